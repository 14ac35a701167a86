//! The command line.

use chainward_primitives::Category;
use chainward_screening::ListFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Chainward: stop stolen and sanctioned crypto assets on their way to cash.
#[derive(Debug, Parser)]
#[command(name = "chainward", version, about, long_about = None, after_help = EXAMPLES)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

const EXAMPLES: &str = "\
Examples:
  chainward import --public-data ../shared/data        import OFAC and GraphSense lists
  chainward screen 0x098b716b8aaf21512996dc57eb0615e2383e2f96
  chainward screen --file deposits.csv --column address --json
  chainward lists sources";

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The data directory holding the embedded store (default: the user's data directory,
    /// e.g. ~/.local/share/chainward).
    #[arg(long, global = true, env = "CHAINWARD_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug); CHAINWARD_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Import sanctions lists and attribution tags as versioned snapshots.
    #[command(after_help = IMPORT_EXAMPLES)]
    Import(ImportArgs),
    /// Screen addresses against every imported list.
    #[command(after_help = SCREEN_EXAMPLES)]
    Screen(ScreenArgs),
    /// Show imported sources, snapshots, import issues and actors.
    #[command(after_help = LISTS_EXAMPLES)]
    Lists(ListsArgs),
    /// Ingest chain data (Bitcoin block files, an EVM node, ETL exports) into the store.
    #[command(after_help = INGEST_EXAMPLES)]
    Ingest(IngestArgs),
    /// Show the chain data stored: blocks, transactions, transfers per network, checkpoints.
    #[command(after_help = STATS_EXAMPLES)]
    Stats(StatsArgs),
    /// Build, update or describe the analytics graph (the transfers of the store, in memory).
    #[command(after_help = GRAPH_EXAMPLES)]
    Graph(GraphArgs),
    /// Follow funds forward (where did they go) or backward (where did they come from).
    #[command(after_help = TRACE_EXAMPLES)]
    Trace(TraceArgs),
    /// Direct and indirect exposure of addresses to sanctioned, stolen, mixed… funds, and risk.
    #[command(after_help = EXPOSURE_EXAMPLES)]
    Exposure(ExposureArgs),
    /// Group addresses into entities (multi-input with CoinJoins skipped, exchange deposit
    /// addresses, opt-in change heuristics); entity ids stay stable across runs.
    #[command(after_help = CLUSTER_EXAMPLES)]
    Cluster(ClusterArgs),
    /// Show an entity: its addresses, the labels they carry, the ids merged into it.
    #[command(after_help = ENTITY_EXAMPLES)]
    Entity(EntityArgs),
    /// Follow chains and raise alerts: every new block is evaluated by the rules engine
    /// (watchlist and exposure hits, laundering typologies, a learned model); alerts are stored
    /// once and sent to sinks (stdout JSON, a webhook, NATS JetStream).
    #[command(after_help = MONITOR_EXAMPLES)]
    Monitor(MonitorArgs),
    /// List, show, confirm or dismiss the alerts the monitor raised.
    #[command(after_help = ALERTS_EXAMPLES)]
    Alerts(AlertsArgs),
    /// Train or describe the learned risk model (gradient-boosted trees over address features).
    #[command(after_help = MODEL_EXAMPLES)]
    Model(ModelArgs),
    /// Measure the detection rules on ground truth no one here wrote (AMLSim's SAR labels).
    #[command(after_help = EVAL_EXAMPLES)]
    Eval(EvalArgs),
    /// Run the TAXII 2.1 server (and the private-lookup endpoint) on this data directory, or
    /// administer it: API roots, collections, organizations, users, rights, tokens, exports.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Share intelligence with partners over TAXII 2.1 (pull, push, sync) or as STIX 2.1 files.
    #[command(after_help = INTEL_EXAMPLES)]
    Intel(IntelArgs),
    /// Measure import and screening speed against their anchors, side by side.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchArgs),
}

const CLUSTER_EXAMPLES: &str = "\
Runs over the analytics graph (`chainward graph update` first) and assigns entity ids in the
registry beside it (analytics/entities.cwe): a cluster keeps its id as it grows; when clusters
merge, the larger keeps its id and the others are recorded as merged into it, so ids written
into case notes always resolve.

Examples:
  chainward cluster
  chainward cluster --change address-reuse,one-time --change-policy agreement
  chainward cluster --graphsense --json       multi-input only, as GraphSense clusters";

const ENTITY_EXAMPLES: &str = "\
Examples:
  chainward entity 1BskZr9N4V8fHeB28sNGGCPH7usBGboS15
  chainward entity 42                 an entity id (a merged id resolves to its survivor)
  chainward entity 42 --exposure --json";

#[derive(Debug, Args)]
pub(crate) struct ClusterArgs {
    /// Change heuristics to add (comma-separated): address-reuse, one-time, optimal.
    #[arg(long, value_delimiter = ',', value_parser = ["address-reuse", "one-time", "optimal"])]
    pub(crate) change: Vec<String>,
    /// How several change heuristics combine: first-match (strongest first decides) or
    /// agreement (all that answer must agree).
    #[arg(long, default_value = "first-match", value_parser = ["first-match", "agreement"])]
    pub(crate) change_policy: String,
    /// Leave out the exchange deposit address heuristic (account chains).
    #[arg(long)]
    pub(crate) no_deposit: bool,
    /// Cluster as GraphSense does: multi-input only.
    #[arg(long, conflicts_with_all = ["change", "no_deposit"])]
    pub(crate) graphsense: bool,
    /// Print the outcome as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EntityArgs {
    /// An address or an entity id.
    #[arg(value_name = "ADDRESS|ID")]
    pub(crate) subject: String,
    /// Addresses listed.
    #[arg(long, default_value_t = 20)]
    pub(crate) members: usize,
    /// Also compute the entity's exposure and risk (its addresses together).
    #[arg(long)]
    pub(crate) exposure: bool,
    /// Print as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

const TRACE_EXAMPLES: &str = "\
Seeds are addresses or transaction hashes (a transaction's outputs or transfers are the dirty
funds). The trace runs over the analytics graph (`chainward graph build` / `update` first) and
stops at services (exchanges, mixers, bridges, …) unless told otherwise. Every bound that cuts
the search is reported.

Taint models: haircut (default; each payment carries the dirty share of the balance at that
moment), fifo (first in, first out: the legal default in many courts), poison (anything touched
is dirty: an upper bound).

Examples:
  chainward trace --from 0x098b716b8aaf21512996dc57eb0615e2383e2f96
  chainward trace --from 0x098b…2f96 --model fifo --hops 20 --since 2022-03-23
  chainward trace --from 0xTXHASH --min-amount 0.1 --stop-at exchange,bridge
  chainward trace --from bc1q… --backward --json
  chainward trace --from 0x098b…2f96 --dot trace.dot && dot -Tsvg trace.dot > trace.svg";

const EXPOSURE_EXAMPLES: &str = "\
Direct exposure: counterparties one transaction away. Indirect: funds that reached the address
(or left it) through unlabelled hops within --hops, attributed with haircut shares. The risk
level (severe/high/medium/low/none) comes with its reasons.

Examples:
  chainward exposure 0x3cffd56b47b7b41c56258d9c7731abadc360e073
  chainward exposure ADDRESS --hops 5 --json";

#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    /// Seed addresses or transaction hashes.
    #[arg(long = "from", value_name = "ADDR|TX", required = true, num_args = 1..)]
    pub(crate) seeds: Vec<String>,
    /// Follow funds backward: where did they come from.
    #[arg(long)]
    pub(crate) backward: bool,
    /// Taint model.
    #[arg(long, default_value = "haircut", value_parser = ["haircut", "fifo", "poison"])]
    pub(crate) model: String,
    /// Hop bound (transactions away from the seeds).
    #[arg(long, default_value_t = 10)]
    pub(crate) hops: u32,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
    /// Drop flows below this amount, in whole coins of the asset (ETH, BTC); token amounts in
    /// base units.
    #[arg(long, value_name = "AMOUNT")]
    pub(crate) min_amount: Option<f64>,
    /// Only so much of the seed address's funds is dirty (whole coins).
    #[arg(long, value_name = "AMOUNT")]
    pub(crate) amount: Option<f64>,
    /// Categories where the trace stops (comma-separated); default: exchange, mixer, bridge,
    /// gambling, defi, service, miner.
    #[arg(long, value_delimiter = ',', value_parser = parse_category, conflicts_with = "no_stop")]
    pub(crate) stop_at: Vec<Category>,
    /// Go through services too (only the bounds stop the trace).
    #[arg(long)]
    pub(crate) no_stop: bool,
    /// Stop after visiting this many transfers (the search is cut and says so).
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) max_edges: usize,
    /// Endpoints shown in the table.
    #[arg(long, default_value_t = 30)]
    pub(crate) rows: usize,
    /// Write the trace graph as Graphviz DOT to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) dot: Option<PathBuf>,
    /// Write the whole trace graph (every node and edge) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) graph_json: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The time window of a trace or an exposure.
#[derive(Debug, Args)]
pub(crate) struct WindowArgs {
    /// Only transfers on or after this date (YYYY-MM-DD, RFC 3339 or Unix seconds).
    #[arg(long, value_name = "WHEN")]
    pub(crate) since: Option<String>,
    /// Only transfers on or before this date (YYYY-MM-DD: to its end, RFC 3339 or Unix seconds).
    #[arg(long, value_name = "WHEN")]
    pub(crate) until: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ExposureArgs {
    /// Addresses.
    #[arg(value_name = "ADDRESS", required = true)]
    pub(crate) addresses: Vec<String>,
    /// Transactions to look through on each side (1 = direct counterparties only).
    #[arg(long, default_value_t = 3)]
    pub(crate) hops: u32,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

const GRAPH_EXAMPLES: &str = "\
The graph is a snapshot file in the data directory (analytics/graph.cwg) that tracing,
exposure and clustering load in a fraction of the time a build takes. `update` appends the
blocks ingested since (unwinding blocks a reorg replaced) and saves it again.

Examples:
  chainward graph build
  chainward graph update --json
  chainward graph info";

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    #[command(subcommand)]
    pub(crate) command: GraphCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum GraphCommand {
    /// Build the graph from everything stored and save the snapshot.
    #[command(after_help = "Examples:\n  chainward graph build\n  chainward graph build --json")]
    Build {
        /// Print as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Bring the snapshot up to the store (build it when there is none).
    #[command(after_help = "Examples:\n  chainward graph update\n  chainward graph update --json")]
    Update {
        /// Print as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Describe the snapshot: edges, nodes, bytes per edge, how far each network goes.
    #[command(after_help = "Examples:\n  chainward graph info\n  chainward graph info --json")]
    Info {
        /// Print as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

const IMPORT_EXAMPLES: &str = "\
Formats are recognised from the file name and first bytes: OFAC sdn.csv(.gz), SDN_ADVANCED.XML
and SDN_ENHANCED.XML, per-currency lists (sanctioned_addresses_XBT.txt), ultrasoundmoney's OFAC
Ethereum CSV, CSV with an address column (your own tags), GraphSense TagPacks and ActorPacks (.yaml[.gz]).
Each file (or folder of per-currency lists) is one snapshot of its source; a newer snapshot
de-lists what it no longer contains. The whole import is one transaction.

Examples:
  chainward import --public-data ../shared/data
  chainward import sdn.csv --as-of 2024-05-03
  chainward import graphsense-tagpacks/packs/
  chainward import ultrasoundmoney_2024-08-20.csv --source ultrasoundmoney-ofac-eth
  chainward import theft.csv --category stolen_funds --entity 'Bybit theft 2025-02 (Lazarus)'
  chainward import --json sdn.csv | jq '.snapshots[].listed'";

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// List files or folders (searched recursively).
    #[arg(value_name = "PATH", required_unless_present = "public_data")]
    pub(crate) paths: Vec<PathBuf>,
    /// Import the standard public lists from this data folder (without a value:
    /// CHAINWARD_SHARED_DATA, else ../shared/data): OFAC sdn.csv, the per-currency OFAC lists,
    /// ultrasoundmoney's OFAC list, all GraphSense TagPacks and the ActorPack, and the DPRK theft
    /// address lists as stolen funds.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    #[allow(clippy::option_option)] // absent / given without a value / given with one
    pub(crate) public_data: Option<Option<PathBuf>>,
    /// Read every file as this format instead of recognising it.
    #[arg(long, value_parser = parse_format)]
    pub(crate) format: Option<ListFormat>,
    /// Store under this source name (default: one per list, e.g. ofac-sdn-csv, graphsense/ofac).
    #[arg(long)]
    pub(crate) source: Option<String>,
    /// The date the lists speak for when they do not say (YYYY-MM-DD); default: today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) as_of: Option<String>,
    /// Category of entries that state none.
    #[arg(long, value_parser = parse_category)]
    pub(crate) category: Option<Category>,
    /// Entity of entries that state none.
    #[arg(long)]
    pub(crate) entity: Option<String>,
    /// Confidence (0-100) of entries that state none.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) confidence: Option<u8>,
    /// Print the outcome as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Print every import issue, not only a summary.
    #[arg(long)]
    pub(crate) show_issues: bool,
}

const SCREEN_EXAMPLES: &str = "\
Each address is screened on every chain it is valid on (a legacy 1... address is a Bitcoin,
Bitcoin Cash and Bitcoin SV address at once). Exit code: 0 clean (or informational only),
1 at least one hit, 2 an error (an invalid address, an unreadable file, no store).

Examples:
  chainward screen 0x098b716b8aaf21512996dc57eb0615e2383e2f96
  chainward screen bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu
  chainward screen --file addresses.txt
  chainward screen --file withdrawals.csv --column destination --json";

#[derive(Debug, Args)]
pub(crate) struct ScreenArgs {
    /// Addresses to screen.
    #[arg(value_name = "ADDRESS", required_unless_present = "file")]
    pub(crate) addresses: Vec<String>,
    /// Read addresses from a file: one a line, or CSV with --column (or an `address` column).
    #[arg(long, short)]
    pub(crate) file: Option<PathBuf>,
    /// The CSV column holding the addresses.
    #[arg(long, requires = "file")]
    pub(crate) column: Option<String>,
    /// Print results as JSON (one array) on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Where lookups go: `auto` uses the in-memory index for more than 1,000 addresses.
    #[arg(long, value_enum, default_value_t = LookupMode::Auto)]
    pub(crate) lookup: LookupMode,
    /// Skip the exposure from the analytics graph (shown when `chainward graph build` has run
    /// and the address moved funds).
    #[arg(long)]
    pub(crate) no_exposure: bool,
    /// Hops of indirect exposure.
    #[arg(long, default_value_t = 3)]
    pub(crate) hops: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LookupMode {
    Auto,
    Store,
    Memory,
}

const LISTS_EXAMPLES: &str = "\
Examples:
  chainward lists sources
  chainward lists snapshots --source ultrasoundmoney-ofac-eth
  chainward lists issues 3
  chainward lists actor 'Lazarus Group' --json";

#[derive(Debug, Args)]
pub(crate) struct ListsArgs {
    #[command(subcommand)]
    pub(crate) what: ListsCommand,
    /// Print as JSON on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ListsCommand {
    /// Every source with its snapshot count and active and de-listed entries.
    #[command(
        after_help = "Examples:\n  chainward lists sources\n  chainward lists sources --json"
    )]
    Sources,
    /// Snapshots with their provenance, newest first.
    #[command(
        after_help = "Examples:\n  chainward lists snapshots\n  chainward lists snapshots --source ultrasoundmoney-ofac-eth --json"
    )]
    Snapshots {
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
    },
    /// The issues found when a snapshot was imported.
    #[command(
        after_help = "Examples:\n  chainward lists issues 3\n  chainward lists issues 3 --json"
    )]
    Issues {
        /// The snapshot id (see `lists snapshots`).
        snapshot: i64,
    },
    /// An actor by id, name or alias.
    #[command(
        after_help = "Examples:\n  chainward lists actor 'Lazarus Group'\n  chainward lists actor APT38 --json"
    )]
    Actor {
        /// Id, name or alias, case-insensitive.
        name: String,
    },
}

const INGEST_EXAMPLES: &str = "\
Every batch of blocks is one store transaction with the source's checkpoint: interrupt an ingest
at any moment (even kill -9) and run the same command again to resume where it stopped. Stored
blocks that leave the source's best chain (a reorg) are unwound and replaced.

Examples:
  chainward ingest ethereum --rpc http://127.0.0.1:8545 --from 0 --to 10000
  chainward ingest ethereum --rpc http://127.0.0.1:8545 --follow --confirmations 12
  chainward ingest ethereum --rpc http://127.0.0.1:8545 --traces none --concurrency 16
  chainward ingest etl ./ethereum-export --chain ethereum --chain-id 1
  chainward ingest etl ./bitcoin-export --chain bitcoin
  chainward ingest bitcoin --blocks ~/.bitcoin/blocks
  chainward ingest bitcoin --rpc http://user:password@127.0.0.1:8332 --from 800000
  chainward ingest bitcoin --blocks ./blocks --to 100000 --json";

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    #[command(subcommand)]
    pub(crate) command: IngestCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IngestCommand {
    /// A Bitcoin Core blocks/ directory (blk*.dat, with xor.dat if obfuscated: every header is
    /// read first to find the best chain; its blocks are ingested in height order), or a
    /// Bitcoin-family node's JSON-RPC.
    #[command(group = clap::ArgGroup::new("from_where").required(true).args(["blocks", "rpc"]))]
    #[command(
        after_help = "Examples:\n  chainward ingest bitcoin --blocks ~/.bitcoin/blocks\n  chainward ingest bitcoin --blocks ./blocks --to 100000 --json\n  chainward ingest bitcoin --rpc http://user:password@127.0.0.1:8332 --from 800000\n  chainward ingest bitcoin --rpc http://user:password@127.0.0.1:9332 --chain litecoin"
    )]
    Bitcoin {
        /// The directory of blk*.dat files.
        #[arg(long, value_name = "DIR")]
        blocks: Option<PathBuf>,
        /// Instead: a node's JSON-RPC (`http://user:password@127.0.0.1:8332`); blocks come from
        /// getblockhash + getblock verbosity 3 (2 on nodes before Bitcoin Core 23).
        #[arg(long, value_name = "URL")]
        rpc: Option<String>,
        /// The chain the node serves (with --rpc): bitcoin, bitcoin_testnet, litecoin, …
        #[arg(long, default_value = "bitcoin", value_parser = parse_chain, requires = "rpc")]
        chain: chainward_primitives::Chain,
        #[command(flatten)]
        common: IngestCommon,
    },
    /// An EVM node's JSON-RPC (Ethereum or any EVM chain; the chain id is read from the node):
    /// blocks, receipts and call traces, batched, with bounded concurrency and retries.
    #[command(
        after_help = "Examples:\n  chainward ingest ethereum --rpc http://127.0.0.1:8545 --from 0 --to 10000\n  chainward ingest ethereum --rpc http://127.0.0.1:8545 --follow --confirmations 12\n  chainward ingest ethereum --rpc http://127.0.0.1:8545 --traces none --concurrency 16 --json"
    )]
    Ethereum {
        /// The node's HTTP JSON-RPC endpoint.
        #[arg(long, value_name = "URL", env = "CHAINWARD_RPC_URL")]
        rpc: String,
        /// Keep following the node's tip after reaching it.
        #[arg(long, conflicts_with = "to")]
        follow: bool,
        /// Where internal transfers come from: auto (probe trace_block, then
        /// debug_traceBlockByNumber), parity, geth, or none.
        #[arg(long, value_enum, default_value_t = Traces::Auto)]
        traces: Traces,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
        concurrency: u64,
        /// Calls per JSON-RPC batch.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        rpc_batch: u64,
        /// Retries of a transient RPC failure (connection, timeout, 429, 5xx).
        #[arg(long, default_value_t = 5)]
        retries: u32,
        /// Seconds between polls of the tip with --follow.
        #[arg(long, default_value_t = 2.0)]
        poll_seconds: f64,
        #[command(flatten)]
        common: IngestCommon,
    },
    /// A folder of ethereum-etl exports (blocks, transactions, receipts, logs, token_transfers,
    /// traces; CSV or JSON lines; export_all's partitions too) or bitcoin-etl exports (blocks,
    /// transactions). Exports do not name their chain: say it with --chain.
    #[command(
        after_help = "Examples:\n  chainward ingest etl ./ethereum-export --chain ethereum --chain-id 1\n  chainward ingest etl ./bitcoin-export --chain bitcoin --json"
    )]
    Etl {
        /// The export folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// The chain exported: ethereum (any EVM chain, with --chain-id), or a UTXO chain read
        /// from bitcoin-etl exports (bitcoin, litecoin, dogecoin, bitcoin_cash, dash, zcash).
        #[arg(long, default_value = "ethereum", value_parser = parse_chain)]
        chain: chainward_primitives::Chain,
        /// The EVM chain id of an ethereum-etl export.
        #[arg(long, default_value_t = 1)]
        chain_id: u64,
        #[command(flatten)]
        common: IngestCommon,
    },
}

fn parse_chain(text: &str) -> Result<chainward_primitives::Chain, String> {
    text.parse().map_err(|e: chainward_primitives::UnknownChain| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Traces {
    Auto,
    Parity,
    Geth,
    None,
}

/// Options of every ingest.
#[derive(Debug, Args)]
pub(crate) struct IngestCommon {
    /// First height, when the store holds nothing of this network yet.
    #[arg(long)]
    pub(crate) from: Option<u64>,
    /// Last height (inclusive); default: the source's tip.
    #[arg(long)]
    pub(crate) to: Option<u64>,
    /// Ingest only blocks with this many confirmations (blocks above tip - N wait).
    #[arg(long, default_value_t = 0)]
    pub(crate) confirmations: u64,
    /// Blocks per store transaction.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) batch: u64,
    /// The deepest reorg unwound automatically.
    #[arg(long, default_value_t = 100)]
    pub(crate) max_reorg_depth: u64,
    /// Print the summary as JSON on stdout (and no progress bar).
    #[arg(long)]
    pub(crate) json: bool,
}

impl IngestCommon {
    pub(crate) fn options(&self) -> chainward_ingest::IngestOptions {
        chainward_ingest::IngestOptions {
            from: self.from,
            to: self.to,
            confirmations: self.confirmations,
            batch_blocks: self.batch,
            max_reorg_depth: self.max_reorg_depth,
            ..chainward_ingest::IngestOptions::default()
        }
    }
}

const STATS_EXAMPLES: &str = "\
Examples:
  chainward stats
  chainward stats --json | jq '.networks[] | {name, blocks, transactions}'";

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// Print as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

const BENCH_EXAMPLES: &str = "\
Run it on a release build: figures from a debug build mean nothing.

Examples:
  cargo run --release -p chainward -- bench screening
  cargo run --release -p chainward -- bench screening --entries 2000000 --json
  cargo run --release -p chainward -- bench store
  cargo run --release -p chainward -- bench graph --blocks 10000";

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    #[command(subcommand)]
    pub(crate) what: BenchCommand,
    /// Print figures as JSON on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// The monitor under a sustained load: blocks arrive in real time (a synthetic chain with
    /// planted laundering shapes), are ingested and evaluated; prints the latency from a
    /// block's arrival to its alerts being stored (p50/p90/p99/max) against the 1 s budget, and
    /// the rate sustained against the arrival rate.
    #[command(
        after_help = "Examples:\n  cargo run --release -p chainward -- bench monitor\n  cargo run --release -p chainward -- bench monitor --tps 2000 --seconds 120 --json"
    )]
    Monitor {
        /// Transactions per second arriving.
        #[arg(long, default_value_t = 1_000)]
        tps: u64,
        /// Seconds between blocks (each block carries tps × this many transactions).
        #[arg(long, default_value_t = 1.0)]
        block_seconds: f64,
        /// How long the load lasts, in seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Import rate of the public lists and screening throughput on a list of a million entries,
    /// against a plain SipHash map of strings and against the store's indexed lookup.
    #[command(
        after_help = "Examples:\n  cargo run --release -p chainward -- bench screening\n  cargo run --release -p chainward -- bench screening --entries 2000000 --json"
    )]
    Screening {
        /// The public data folder to import.
        #[arg(long, env = "CHAINWARD_SHARED_DATA", default_value = "../shared/data")]
        public_data: PathBuf,
        /// Total list entries to screen against (the public lists plus synthetic ones).
        #[arg(long, default_value_t = 1_000_000)]
        entries: usize,
        /// Lookups to time.
        #[arg(long, default_value_t = 5_000_000)]
        lookups: usize,
    },
    /// The analytics graph: build from the store, snapshot save and load (the anchor: load
    /// time as a fraction of build time), an incremental update against a rebuild, bytes/edge.
    #[command(
        after_help = "Examples:\n  cargo run --release -p chainward -- bench graph --blocks 10000\n  cargo run --release -p chainward -- bench graph --json"
    )]
    Graph {
        /// Account-model blocks to write first.
        #[arg(long, default_value_t = 5_000)]
        blocks: u64,
        /// Transfers per block.
        #[arg(long, default_value_t = 200)]
        transfers_per_block: u64,
        /// Distinct addresses the transfers are drawn from.
        #[arg(long, default_value_t = 200_000)]
        addresses: usize,
    },
    /// Chain-store write rate (account transfers, UTXO inputs and outputs) against SQLite's
    /// bare bulk insert of the same rows.
    #[command(
        after_help = "Examples:\n  cargo run --release -p chainward -- bench store\n  cargo run --release -p chainward -- bench store --blocks 20000 --json"
    )]
    Store {
        /// Account-model blocks to write.
        #[arg(long, default_value_t = 5_000)]
        blocks: u64,
        /// Transfers per block.
        #[arg(long, default_value_t = 200)]
        transfers_per_block: u64,
        /// Distinct addresses the transfers are drawn from.
        #[arg(long, default_value_t = 200_000)]
        addresses: usize,
    },
    /// TAXII paging: our server (in-process, SQLite) and medallion 3.0.0 (subprocess, memory
    /// backend) each serve N objects, paged by the same client; also our POST rate.
    #[command(
        after_help = "Examples:\n  cargo run --release -p chainward -- bench taxii\n  cargo run --release -p chainward -- bench taxii --no-medallion --objects 50000 --json"
    )]
    Taxii {
        /// Objects our server pages.
        #[arg(long, default_value_t = 10_000)]
        objects: usize,
        /// Objects medallion pages (its memory backend is quadratic: 2,000 took 74.5 s here).
        #[arg(long, default_value_t = 2_000)]
        medallion_objects: usize,
        /// Page size asked of both.
        #[arg(long, default_value_t = 1_000)]
        limit: u32,
        /// Leave medallion out (when it is not installed).
        #[arg(long)]
        no_medallion: bool,
    },
}

fn parse_format(text: &str) -> Result<ListFormat, String> {
    text.parse()
}

fn parse_category(text: &str) -> Result<Category, String> {
    text.parse()
}

fn parse_date(text: &str) -> Result<String, String> {
    text.parse::<jiff::civil::Date>()
        .map(|d| d.to_string())
        .map_err(|e| format!("'{text}' is not a date YYYY-MM-DD: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command and subcommand shows examples in its `--help` (its own, not only its
    /// parent's).
    #[test]
    fn every_command_has_examples() {
        fn walk(command: &clap::Command, path: String, missing: &mut Vec<String>) {
            let help = command.get_after_help().map(ToString::to_string).unwrap_or_default();
            if command.get_name() != "help" && !help.contains("Examples:") {
                missing.push(path.clone());
            }
            for sub in command.get_subcommands() {
                walk(sub, format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "chainward".into(), &mut missing);
        assert!(missing.is_empty(), "no examples in --help of:\n{}", missing.join("\n"));
    }

    /// Splits an example as a POSIX shell would for these simple lines: words, '…' and "…".
    fn shell_words(line: &str) -> Vec<String> {
        let (mut words, mut word, mut quote, mut started) =
            (Vec::new(), String::new(), None, false);
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => word.push(c),
                (None, '\'' | '"') => (quote, started) = (Some(c), true),
                (None, c) if c.is_whitespace() => {
                    if started {
                        words.push(std::mem::take(&mut word));
                        started = false;
                    }
                }
                (None, c) => (word.push(c), started = true).1,
            }
        }
        if started {
            words.push(word);
        }
        words
    }

    /// Every example line of every `--help` is a command line this CLI accepts, so an example
    /// cannot name a flag that was renamed or never existed.
    #[test]
    fn every_example_parses() {
        fn walk(command: &clap::Command, examples: &mut Vec<String>) {
            let help = command.get_after_help().map(ToString::to_string).unwrap_or_default();
            let section = help.split_once("Examples:").map_or("", |(_, rest)| rest);
            for line in section.lines().map(str::trim).filter(|l| !l.is_empty()) {
                // Two spaces start a comment; redirects, pipes, `&&` and env assignments are
                // the shell's.
                let mut line = line.split("  ").next().unwrap_or_default();
                for shell in [" < ", " > ", " | ", " && "] {
                    line = line.split(shell).next().unwrap_or_default();
                }
                let command = match line.split_once(" -- ") {
                    Some((cargo, rest)) if cargo.starts_with("cargo run") => {
                        format!("chainward {rest}")
                    }
                    _ => match line.find("chainward ") {
                        Some(at) => line[at..].to_owned(),
                        None => continue,
                    },
                };
                examples.push(command);
            }
            for sub in command.get_subcommands() {
                walk(sub, examples);
            }
        }
        let mut examples = Vec::new();
        walk(&Cli::command(), &mut examples);
        assert!(examples.len() > 100, "found only {} examples", examples.len());
        let refused: Vec<String> = examples
            .iter()
            .filter_map(|example| {
                Cli::try_parse_from(shell_words(example)).err().map(|e| format!("{example}\n  {e}"))
            })
            .collect();
        assert!(refused.is_empty(), "examples the CLI refuses:\n{}", refused.join("\n"));
    }
}

const MONITOR_EXAMPLES: &str = "\
Sources (repeatable; each ingests into the store on its own thread):
  evm=URL            follow an EVM node's tip (retried with backoff when it goes away)
  bitcoin-rpc=URL    follow a Bitcoin-family node (bitcoin-rpc=URL#litecoin for another chain)
  blk=DIR            replay Bitcoin Core block files
  etl=DIR            replay an ethereum-etl export (etl-bitcoin=DIR: a bitcoin-etl export)
Without a source the monitor follows what `chainward ingest` processes store.

A restart resumes after the last block whose alerts are stored: no block skipped, no alert
raised twice (alerts have stable keys). Sinks resume from their last delivered alert.

Webhooks carry Idempotency-Key (the alert's key) and, given a secret (CHAINWARD_WEBHOOK_SECRET
or --webhook-secret-file), Chainward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
\"<t>.<body>\">. Receivers recompute it over the raw body and refuse stale time stamps.

Examples:
  chainward monitor --source evm=http://127.0.0.1:8545 --sink stdout
  chainward monitor --source evm=http://node:8545 --rules rules.yaml --sink webhook=https://hooks.example/aml
  CHAINWARD_WEBHOOK_SECRET=$(cat hook.secret) chainward monitor --sink webhook=https://hooks.example/aml
  chainward monitor --source etl=exports/ --start genesis --once --json
  chainward monitor --source evm=http://node:8545 --publish-blocks nats://127.0.0.1:4222   feed workers
  chainward monitor --worker nats://127.0.0.1:4222 --sink nats=nats://127.0.0.1:4222       one of N workers";

const ALERTS_EXAMPLES: &str = "\
Examples:
  chainward alerts                                 the oldest 100 alerts
  chainward alerts --severity high --status open
  chainward alerts --rule fan-out --since 2026-12-01 --json
  chainward alerts --address 0x098b716b8aaf21512996dc57eb0615e2383e2f96
  chainward alerts show 42
  chainward alerts confirm 42 --note \"STR filed\"
  chainward alerts dismiss 43 --note \"known payroll\"";

/// Where the monitor's blocks come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceSpec {
    Evm(String),
    BitcoinRpc(String, chainward_primitives::Chain),
    Blk(PathBuf),
    Etl(PathBuf, chainward_primitives::Chain),
}

impl std::fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Evm(url) => write!(f, "evm={url}"),
            Self::BitcoinRpc(url, chain) => write!(f, "bitcoin-rpc={url}#{chain}"),
            Self::Blk(dir) => write!(f, "blk={}", dir.display()),
            Self::Etl(dir, chain) => write!(f, "etl={} ({chain})", dir.display()),
        }
    }
}

fn parse_source(text: &str) -> Result<SourceSpec, String> {
    let (kind, target) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: write KIND=TARGET, e.g. evm=http://127.0.0.1:8545"))?;
    if target.is_empty() {
        return Err(format!("{text:?}: nothing after '='"));
    }
    match kind {
        "evm" => Ok(SourceSpec::Evm(target.to_owned())),
        "bitcoin-rpc" => {
            let (url, chain) = match target.rsplit_once('#') {
                Some((url, chain)) => (url, parse_chain(chain)?),
                None => (target, chainward_primitives::Chain::Bitcoin),
            };
            Ok(SourceSpec::BitcoinRpc(url.to_owned(), chain))
        }
        "blk" => Ok(SourceSpec::Blk(PathBuf::from(target))),
        "etl" => Ok(SourceSpec::Etl(PathBuf::from(target), chainward_primitives::Chain::Evm)),
        "etl-bitcoin" => {
            Ok(SourceSpec::Etl(PathBuf::from(target), chainward_primitives::Chain::Bitcoin))
        }
        _ => Err(format!(
            "unknown source kind {kind:?}: use evm=URL, bitcoin-rpc=URL, blk=DIR, etl=DIR or etl-bitcoin=DIR"
        )),
    }
}

fn parse_start(text: &str) -> Result<chainward_monitor::Start, String> {
    match text {
        "tip" => Ok(chainward_monitor::Start::Tip),
        "genesis" => Ok(chainward_monitor::Start::Genesis),
        _ => text
            .parse()
            .map(chainward_monitor::Start::Height)
            .map_err(|_| format!("{text:?}: use tip, genesis or a block height")),
    }
}

#[derive(Debug, Args)]
pub(crate) struct MonitorArgs {
    /// A block source (repeatable): evm=URL, bitcoin-rpc=URL[#chain], blk=DIR, etl=DIR,
    /// etl-bitcoin=DIR.
    #[arg(long, value_name = "KIND=TARGET", value_parser = parse_source)]
    pub(crate) source: Vec<SourceSpec>,
    /// The rule file (YAML; see `crates/detect/rules/RULES.md`); default: the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    /// Where alerts go (repeatable): stdout, webhook=URL, nats=nats://HOST:PORT. Default: stdout.
    #[arg(long, value_name = "SINK", value_parser = |s: &str| s.parse::<chainward_monitor::SinkSpec>())]
    pub(crate) sink: Vec<chainward_monitor::SinkSpec>,
    /// Store alerts only; deliver to no sink.
    #[arg(long, conflicts_with = "sink")]
    pub(crate) no_sink: bool,
    /// Sign webhook bodies with the secret in this file (trimmed; at least 16 bytes); the
    /// CHAINWARD_WEBHOOK_SECRET variable does the same. Header: Chainward-Signature.
    #[arg(long, value_name = "FILE")]
    pub(crate) webhook_secret_file: Option<PathBuf>,
    /// Where to start on a network the monitor has not evaluated yet: tip (only new blocks),
    /// genesis (everything stored), or a height.
    #[arg(long, default_value = "tip", value_parser = parse_start)]
    pub(crate) start: chainward_monitor::Start,
    /// The monitor's name: its cursor (several monitors with different rules keep their own).
    #[arg(long, default_value = "default")]
    pub(crate) name: String,
    /// Load the analytics graph snapshot for exposure rules (`chainward graph build` first).
    #[arg(long)]
    pub(crate) graph: bool,
    /// The learned risk model as one more rule (`chainward model train` writes one); it scores
    /// the receivers of each block on their activity in the graph, so it needs --graph.
    #[arg(long, value_name = "FILE", requires = "graph")]
    pub(crate) model: Option<PathBuf>,
    /// Alert when the model's illicit probability is at least this.
    #[arg(long, default_value_t = 0.9, requires = "model")]
    pub(crate) model_threshold: f64,
    /// Evaluate what is stored (after replaying file sources) and stop.
    #[arg(long)]
    pub(crate) once: bool,
    /// Milliseconds between looks at a node's tip and at the store.
    #[arg(long, default_value_t = 200)]
    pub(crate) poll_ms: u64,
    /// Evaluate node blocks only with this many confirmations.
    #[arg(long, default_value_t = 0)]
    pub(crate) confirmations: u64,
    /// Scale-out, feeder: publish every stored block to the JetStream work queue at this NATS
    /// server instead of evaluating.
    #[arg(long, value_name = "NATS_URL", conflicts_with = "worker")]
    pub(crate) publish_blocks: Option<String>,
    /// Scale-out, worker: evaluate blocks taken from the JetStream work queue at this NATS
    /// server (the store is shared with the feeder).
    #[arg(long, value_name = "NATS_URL")]
    pub(crate) worker: Option<String>,
    /// Worker: seconds before an unacknowledged block goes to another worker.
    #[arg(long, default_value_t = 30.0)]
    pub(crate) ack_wait_seconds: f64,
    /// Print the summary as JSON on stderr at the end.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct AlertsArgs {
    #[command(subcommand)]
    pub(crate) command: Option<AlertsCommand>,
    #[command(flatten)]
    pub(crate) filter: AlertListArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AlertsCommand {
    /// One alert with its evidence, as JSON.
    #[command(after_help = "Examples:\n  chainward alerts show 42")]
    Show {
        /// The alert's number.
        id: u64,
    },
    /// Mark an alert confirmed suspicious (reported; exportable as a STIX sighting).
    #[command(after_help = "Examples:\n  chainward alerts confirm 42 --note \"STR filed\"")]
    Confirm {
        /// The alert's number.
        id: u64,
        /// A note for the record.
        #[arg(long)]
        note: Option<String>,
    },
    /// Mark an alert dismissed (a false positive).
    #[command(after_help = "Examples:\n  chainward alerts dismiss 43 --note \"known payroll\"")]
    Dismiss {
        /// The alert's number.
        id: u64,
        /// A note for the record.
        #[arg(long)]
        note: Option<String>,
    },
    /// Put an alert back in the open queue.
    #[command(after_help = "Examples:\n  chainward alerts reopen 43 --note \"new evidence\"")]
    Reopen {
        /// The alert's number.
        id: u64,
        /// A note for the record.
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct AlertListArgs {
    /// Only this rule id.
    #[arg(long)]
    pub(crate) rule: Option<String>,
    /// Only this detector (fan_in, watchlist_hit, …).
    #[arg(long)]
    pub(crate) detector: Option<String>,
    /// Only at least this severity: info, low, medium, high, severe.
    #[arg(long, value_parser = |s: &str| chainward_store_api::AlertSeverity::parse(s).ok_or_else(|| format!("{s:?}: use info, low, medium, high or severe")))]
    pub(crate) severity: Option<chainward_store_api::AlertSeverity>,
    /// Only with this status: open, confirmed, dismissed.
    #[arg(long, value_parser = |s: &str| chainward_store_api::AlertStatus::parse(s).ok_or_else(|| format!("{s:?}: use open, confirmed or dismissed")))]
    pub(crate) status: Option<chainward_store_api::AlertStatus>,
    /// Only alerts about this address.
    #[arg(long)]
    pub(crate) address: Option<String>,
    /// Only this network (`evm-1`, `bitcoin`).
    #[arg(long)]
    pub(crate) network: Option<String>,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
    /// Only alerts numbered above this (to page, or to poll for new ones).
    #[arg(long)]
    pub(crate) after_id: Option<u64>,
    /// At most this many, oldest first.
    #[arg(long, default_value_t = 100)]
    pub(crate) limit: u64,
    /// Print JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

const MODEL_EXAMPLES: &str = "\
Trains on the FDGNN Ethereum cybercrime set (phishing, hack, Ponzi and normal addresses) with a
split by address, prints precision/recall/F1 per class beside baselines, and writes the model
that `chainward monitor --model` uses.

Examples:
  chainward model train
  chainward model train --data ../shared/data/labeled_tx_graphs/fdgnn_ethereum_cybercrime --json
  chainward model info";

const EVAL_EXAMPLES: &str = "\
Replays AMLSim output through the monitor: every simulated day becomes a block of a replay
chain, ingested into a scratch store (the data directory is not touched) and evaluated by the
monitor's evaluator, which stores the alerts; the stored alerts are scored against the SAR
labels per typology, at account and transaction level. Only the transactions are read as input
(never the alert or SAR columns). --engine-only runs the rules engine alone (same findings).

Examples:
  chainward eval amlsim                                  ../shared/data/amlsim/dev-10k-seed0
  chainward eval amlsim path/to/amlsim-output --rules rules.yaml --json
  chainward eval amlsim --engine-only";

#[derive(Debug, Args)]
pub(crate) struct ModelArgs {
    #[command(subcommand)]
    pub(crate) command: ModelCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ModelCommand {
    /// Train on labelled data and report on a held-out set of addresses.
    #[command(
        after_help = "Examples:\n  chainward model train\n  chainward model train --data ../shared/data/labeled_tx_graphs/fdgnn_ethereum_cybercrime --seed 7 --json\n  chainward model train --out models/candidate.json --trees 200"
    )]
    Train {
        /// The FDGNN folder (default: $CHAINWARD_SHARED_DATA/labeled_tx_graphs/fdgnn_ethereum_cybercrime).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Where to write the model (default: DATA_DIR/models/risk-model.json).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Seed of every random choice: the same data and seed give the same model.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Trees per class (default: the library's).
        #[arg(long)]
        trees: Option<usize>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show how a model was trained.
    #[command(
        after_help = "Examples:\n  chainward model info\n  chainward model info models/candidate.json --json"
    )]
    Info {
        /// The model file (default: DATA_DIR/models/risk-model.json).
        #[arg(value_name = "FILE")]
        model: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    #[command(subcommand)]
    pub(crate) command: EvalCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EvalCommand {
    /// Precision, recall and F1 per typology against AMLSim's SAR labels.
    #[command(
        after_help = "Examples:\n  chainward eval amlsim\n  chainward eval amlsim path/to/amlsim-output --rules rules.yaml --json\n  chainward eval amlsim --engine-only"
    )]
    Amlsim {
        /// The AMLSim output folder (default: $CHAINWARD_SHARED_DATA/amlsim/dev-10k-seed0).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// A rule file instead of the bundled AMLSim profile
        /// (crates/detect/rules/profiles/amlsim.yaml: windows in simulated days).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Run the rules engine alone over the steps, without the store and the monitor
        /// (seconds instead of tens of seconds; the same findings).
        #[arg(long)]
        engine_only: bool,
    },
}

const SERVE_EXAMPLES: &str = "\
One process serves the data directory's store: TAXII 2.1 at /taxii2/ and /{api-root}/…, and
private lookups at /private-lookup/v1/{key,set,evaluate}. Configure it with `serve admin`
(the server need not be stopped). Ctrl-C stops it cleanly.

Examples:
  chainward serve admin api-root add aml1 --title \"AML trust group 1\"
  chainward serve admin collection add aml1 --title Watchlist --alias watchlist
  chainward serve admin org add agency-a
  chainward serve admin org add agency-b
  CHAINWARD_PASSWORD=… chainward serve admin user add alice --org agency-a --password-env CHAINWARD_PASSWORD
  chainward serve admin user add bob --org agency-b --read-only          prints bob's token once
  chainward serve admin grant aml1 watchlist agency-b --read --amber
  chainward serve admin export-collection aml1 watchlist --as alice --category stolen_funds --tlp amber
  chainward serve admin token issue bob --label laptop
  chainward serve admin publish-set
  chainward serve --listen 0.0.0.0:8443 --tls-cert taxii.pem --tls-key taxii-key.pem --public-url https://taxii.example.org
  chainward serve --listen 127.0.0.1:8000 --log-format json -v          plain HTTP behind a TLS proxy";

/// `chainward serve`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ServeArgs {
    #[command(subcommand)]
    pub(crate) command: Option<ServeCommand>,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub(crate) listen: String,
    /// A configuration file (YAML or JSON): `taxii:` (title, max_page_size, date_added,
    /// basic_auth, …) and `private_lookup:` (burst, refill_seconds).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The URL clients reach the server at (discovery's absolute URLs); default: from the
    /// request's Host.
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key. TAXII 2.1
    /// requires TLS between organizations.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ServeCommand {
    /// Administer the server's store (works whether or not the server runs).
    #[command(
        after_help = "Examples:\n  chainward serve admin api-root list\n  chainward serve admin org add agency-a --json"
    )]
    Admin(ServeAdminArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeAdminArgs {
    #[command(subcommand)]
    pub(crate) command: AdminCommand,
    /// Print JSON on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// API roots (trust groups).
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  chainward serve admin api-root add aml1 --title \"AML trust group 1\"\n  chainward serve admin api-root list"
    )]
    ApiRoot(ApiRootCommand),
    /// Collections of an API root.
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  chainward serve admin collection add aml1 --title Watchlist --alias watchlist\n  chainward serve admin collection list aml1"
    )]
    Collection(CollectionCommand),
    /// Organizations (the unit of rights and of TLP audiences).
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  chainward serve admin org add agency-a\n  chainward serve admin org list"
    )]
    Org(OrgCommand),
    /// Users (log in with HTTP Basic or an API token).
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  chainward serve admin user add bob --org agency-b --read-only\n  chainward serve admin user list"
    )]
    User(UserCommand),
    /// Set an organization's rights on a collection (no flag at all removes them).
    #[command(
        after_help = "Examples:\n  chainward serve admin grant aml1 watchlist agency-b --read --amber\n  chainward serve admin grant aml1 watchlist agency-a --read --write\n  chainward serve admin grant aml1 watchlist agency-c          no flag: removes its rights"
    )]
    Grant {
        /// The API root.
        api_root: String,
        /// The collection's id or alias.
        collection: String,
        /// The organization.
        org: String,
        /// May read.
        #[arg(long)]
        read: bool,
        /// May write.
        #[arg(long)]
        write: bool,
        /// The collection shares TLP:AMBER objects with it.
        #[arg(long)]
        amber: bool,
    },
    /// API tokens.
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  chainward serve admin token issue bob --label laptop\n  chainward serve admin token revoke bob"
    )]
    Token(TokenCommand),
    /// Publish the watchlist (chosen sources and categories) as STIX into a collection of
    /// this server; only what changed since the last export is added, de-listed entries as
    /// revoked indicators.
    #[command(
        after_help = "Examples:\n  chainward serve admin export-collection aml1 watchlist --as alice --category stolen_funds --tlp amber\n  chainward serve admin export-collection aml1 watchlist --as alice --source 'dprk/*' --tlp green --json"
    )]
    ExportCollection {
        /// The API root.
        api_root: String,
        /// The collection's id or alias.
        collection: String,
        /// The user the objects are posted as (its organization owns them).
        #[arg(long = "as", value_name = "USER")]
        user: String,
        /// TLP marking of what is published.
        #[arg(long, default_value = "amber", value_parser = parse_tlp)]
        tlp: chainward_stix::Tlp,
        /// The producer named in the objects (created_by_ref); default: the user's organization.
        #[arg(long)]
        producer: Option<String>,
        #[command(flatten)]
        selection: ShareSelection,
    },
    /// Rebuild the private-lookup set from the active watchlist (a running server picks it up).
    #[command(
        after_help = "Examples:\n  chainward serve admin publish-set\n  chainward serve admin publish-set --json"
    )]
    PublishSet,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApiRootCommand {
    /// Create an API root served at /NAME/.
    #[command(
        after_help = "Examples:\n  chainward serve admin api-root add aml1 --title \"AML trust group 1\"\n  chainward serve admin api-root add kr-jp-us --title \"Trilateral\" --max-content-length 10485760"
    )]
    Add {
        /// URL segment.
        name: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Largest POST body accepted, in bytes.
        #[arg(long, default_value_t = chainward_taxii_server::admin::DEFAULT_MAX_CONTENT_LENGTH)]
        max_content_length: u64,
    },
    /// List API roots.
    #[command(
        after_help = "Examples:\n  chainward serve admin api-root list\n  chainward serve admin api-root list --json"
    )]
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CollectionCommand {
    /// Create a collection (a new random id is printed).
    #[command(
        after_help = "Examples:\n  chainward serve admin collection add aml1 --title Watchlist --alias watchlist\n  chainward serve admin collection add aml1 --title \"Drop box\" --description \"partners write here\""
    )]
    Add {
        /// The API root.
        api_root: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// A name usable in URLs instead of the id.
        #[arg(long)]
        alias: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
    },
    /// List the collections of an API root.
    #[command(
        after_help = "Examples:\n  chainward serve admin collection list aml1\n  chainward serve admin collection list aml1 --json"
    )]
    List {
        /// The API root.
        api_root: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organization.
    #[command(after_help = "Examples:\n  chainward serve admin org add agency-a")]
    Add {
        /// Name.
        name: String,
    },
    /// List organizations.
    #[command(
        after_help = "Examples:\n  chainward serve admin org list\n  chainward serve admin org list --json"
    )]
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user; its first API token is printed once (only its hash is kept).
    #[command(
        after_help = "Examples:\n  chainward serve admin user add bob --org agency-b --read-only          prints bob's token once\n  CHAINWARD_PASSWORD=… chainward serve admin user add alice --org agency-a --password-env CHAINWARD_PASSWORD\n  chainward serve admin user add carol --org agency-c --password-stdin < carol.pass"
    )]
    Add {
        /// Login name.
        name: String,
        /// The user's organization.
        #[arg(long)]
        org: String,
        /// Never writes, whatever its organization may.
        #[arg(long)]
        read_only: bool,
        /// Read an HTTP Basic password from this environment variable.
        #[arg(long, value_name = "VAR", conflicts_with = "password_stdin")]
        password_env: Option<String>,
        /// Read an HTTP Basic password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    #[command(
        after_help = "Examples:\n  chainward serve admin user list\n  chainward serve admin user list --json"
    )]
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue a new API token (printed once).
    #[command(after_help = "Examples:\n  chainward serve admin token issue bob --label laptop")]
    Issue {
        /// The user.
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// Revoke every token of a user.
    #[command(after_help = "Examples:\n  chainward serve admin token revoke bob")]
    Revoke {
        /// The user.
        user: String,
    },
}

/// Which of the watchlist is shared.
#[derive(Debug, Clone, Args)]
pub(crate) struct ShareSelection {
    /// Only entries of these sources (repeatable; a trailing `*` matches a prefix).
    #[arg(long, value_name = "SOURCE")]
    pub(crate) source: Vec<String>,
    /// Only entries of these categories (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = parse_category)]
    pub(crate) category: Vec<Category>,
    /// Also share entries pulled from partners (sources `stix/…`), but only those that came
    /// under a TLP no looser than the one shared under, and never RED (the rest is held back
    /// and said); off by default.
    #[arg(long)]
    pub(crate) include_partner_entries: bool,
    /// Leave out confirmed alerts (exported as sightings by default).
    #[arg(long)]
    pub(crate) no_alerts: bool,
}

fn parse_tlp(text: &str) -> Result<chainward_stix::Tlp, String> {
    text.parse()
}

const INTEL_EXAMPLES: &str = "\
A remote is a partner's TAXII collection. Its secret is never stored: it comes from
CHAINWARD_INTEL_<NAME>_TOKEN (an API token cwt_…, or the password of --user), else from a
prompt on stdin. State (pull cursor, what was applied and published) is kept per remote in the
store. Pulled indicators become watchlist entries of source stix/<collection>/<producer>;
revoked ones are de-listed.

Examples:
  chainward intel remote add agency-a --url https://taxii.agency-a.example/aml1/ --collection watchlist --user bob --tlp amber
  chainward intel remote add agency-c --url https://10.0.0.7:8443/aml1/ --collection watchlist --ca-cert agency-c-ca.pem
  CHAINWARD_INTEL_AGENCY_A_TOKEN=cwt_… chainward intel pull agency-a
  chainward intel sync agency-a --every 60            pull then push, every minute
  chainward intel push agency-a --category stolen_funds,sanctioned
  chainward intel sighting agency-a 0x098b716b8aaf21512996dc57eb0615e2383e2f96
  chainward intel export --out bundle.json --tlp green --source 'dprk/*'
  chainward intel import partner-bundle.json --collection partner-x";

/// `chainward intel`.
#[derive(Debug, Args)]
pub(crate) struct IntelArgs {
    #[command(subcommand)]
    pub(crate) command: IntelCommand,
    /// Print JSON on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IntelCommand {
    /// Configure partners' TAXII collections.
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  chainward intel remote add agency-a --url https://taxii.agency-a.example/aml1/ --collection watchlist --user bob --tlp amber\n  chainward intel remote list"
    )]
    Remote(RemoteCommand),
    /// Pull new objects from a remote into the watchlist.
    #[command(
        after_help = "Examples:\n  CHAINWARD_INTEL_AGENCY_A_TOKEN=cwt_… chainward intel pull agency-a\n  chainward intel pull agency-a --every 300 --json"
    )]
    Pull(IntelRunArgs),
    /// Push our entries (new, changed, de-listed as revoked) and confirmed alerts to a remote.
    #[command(
        after_help = "Examples:\n  chainward intel push agency-a --category stolen_funds,sanctioned\n  chainward intel push agency-a --source 'dprk/*' --json"
    )]
    Push(IntelRunArgs),
    /// Pull, then push.
    #[command(
        after_help = "Examples:\n  chainward intel sync agency-a --every 60            pull then push, every minute\n  chainward intel sync agency-a --json"
    )]
    Sync(IntelRunArgs),
    /// Write the watchlist (and confirmed alerts) as a STIX 2.1 bundle file.
    #[command(
        after_help = "Examples:\n  chainward intel export --out bundle.json --tlp green --source 'dprk/*'\n  chainward intel export --out amber.json --category stolen_funds --include-partner-entries --json"
    )]
    Export {
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// TLP marking.
        #[arg(long, default_value = "amber", value_parser = parse_tlp)]
        tlp: chainward_stix::Tlp,
        /// The producer named in the objects.
        #[arg(long, default_value = "Chainward")]
        producer: String,
        #[command(flatten)]
        selection: ShareSelection,
    },
    /// Import a STIX 2.1 bundle file (indicators → watchlist entries, revoked → de-listed).
    #[command(
        after_help = "Examples:\n  chainward intel import partner-bundle.json --collection partner-x\n  chainward intel import partner-bundle.json --json"
    )]
    Import {
        /// The bundle.
        file: PathBuf,
        /// The collection name its sources are filed under (stix/<collection>/<producer>).
        #[arg(long, default_value = "file")]
        collection: String,
    },
    /// Report a screening hit on a pulled indicator back to the remote it came from.
    #[command(
        after_help = "Examples:\n  chainward intel sighting agency-a 0x098b716b8aaf21512996dc57eb0615e2383e2f96\n  chainward intel sighting agency-a 0x098b716b8aaf21512996dc57eb0615e2383e2f96 --count 3 --description \"deposit refused\""
    )]
    Sighting {
        /// The remote.
        remote: String,
        /// The address that hit.
        address: String,
        /// How many times it was seen.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// When it was first seen (RFC 3339; default now).
        #[arg(long)]
        first_seen: Option<String>,
        /// What happened (goes to the partner: no customer data).
        #[arg(long)]
        description: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RemoteCommand {
    /// Add (or replace) a remote.
    #[command(
        after_help = "Examples:\n  chainward intel remote add agency-a --url https://taxii.agency-a.example/aml1/ --collection watchlist --user bob --tlp amber\n  chainward intel remote add agency-c --url https://10.0.0.7:8443/aml1/ --collection watchlist --ca-cert agency-c-ca.pem\n  chainward intel remote add medallion --url http://127.0.0.1:5000/api1/ --collection watchlist --user admin --no-extension-definitions"
    )]
    Add {
        /// A name for the partner (letters, digits, '-', '_').
        name: String,
        /// The API root URL (https://host/aml1/).
        #[arg(long)]
        url: String,
        /// The collection's id or alias.
        #[arg(long)]
        collection: String,
        /// The user name (HTTP Basic); without it the secret must be an API token.
        #[arg(long)]
        user: Option<String>,
        /// TLP marking of what we push there.
        #[arg(long, default_value = "amber", value_parser = parse_tlp)]
        tlp: chainward_stix::Tlp,
        /// Our name in what we push (created_by_ref).
        #[arg(long, default_value = "Chainward")]
        producer: String,
        /// Do not push STIX extension definitions (medallion 3.0.0 breaks on them).
        #[arg(long)]
        no_extension_definitions: bool,
        /// Also trust the certificate authorities in this PEM file for this remote (a
        /// partner's private CA or self-signed certificate); the system's roots stay trusted.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
    },
    /// List remotes.
    #[command(
        after_help = "Examples:\n  chainward intel remote list\n  chainward intel remote list --json"
    )]
    List,
    /// Remove a remote and its state.
    #[command(after_help = "Examples:\n  chainward intel remote remove agency-a")]
    Remove {
        /// The remote.
        name: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct IntelRunArgs {
    /// The remote.
    pub(crate) remote: String,
    /// Repeat every this many seconds until interrupted.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) every: Option<f64>,
    #[command(flatten)]
    pub(crate) selection: ShareSelection,
}
