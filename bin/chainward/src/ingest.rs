//! `chainward ingest …` and `chainward stats`: chain data into the store, and what is stored.

use crate::cli::{IngestArgs, IngestCommand, IngestCommon, StatsArgs};
use crate::{cli, open_store};
use anyhow::Context;
use chainward_evm_rpc::{ClientOptions, TraceMode};
use chainward_ingest::bitcoin::BlkDirSource;
use chainward_ingest::bitcoin_rpc::BitcoinRpcSource;
use chainward_ingest::etl::EtlSource;
use chainward_ingest::evm::EvmRpcSource;
use chainward_ingest::{BlockSource, Event, IngestOptions, IngestSummary, ingest};
use chainward_primitives::Chain;
use chainward_store_api::ChainStore;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Connects to an EVM node's JSON-RPC endpoint.
pub(crate) fn connect_evm(
    url: &str,
    options: ClientOptions,
    traces: TraceMode,
) -> anyhow::Result<EvmRpcSource> {
    EvmRpcSource::connect(url, options, traces)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot connect to the node at {url}"))
}

/// A Bitcoin-family node's JSON-RPC endpoint.
pub(crate) fn open_bitcoin_rpc(
    url: &str,
    chain: Chain,
    options: ClientOptions,
) -> anyhow::Result<BitcoinRpcSource> {
    BitcoinRpcSource::new(url, chain, options)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot use the node at {url}"))
}

/// A directory of Bitcoin Core `blk*.dat` files.
pub(crate) fn open_blk(dir: &Path) -> anyhow::Result<BlkDirSource> {
    BlkDirSource::open(dir)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot read the block files in {}", dir.display()))
}

/// An ethereum-etl (`chain` EVM, numbered `chain_id`) or bitcoin-etl export directory.
pub(crate) fn open_etl(dir: &Path, chain: Chain, chain_id: u64) -> anyhow::Result<EtlSource> {
    if chain == Chain::Evm {
        EtlSource::ethereum(dir, chain_id)
    } else {
        EtlSource::bitcoin(dir, chain)
    }
    .map_err(|e| anyhow::anyhow!("{e}"))
    .with_context(|| format!("cannot read the export in {}", dir.display()))
}

pub(crate) fn run(global: &cli::Global, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let mut store = open_store(global)?;
    let (mut source, common): (Box<dyn BlockSource>, &IngestCommon) = match &args.command {
        IngestCommand::Bitcoin { blocks: None, rpc: Some(rpc), chain, common } => {
            (Box::new(open_bitcoin_rpc(rpc, *chain, ClientOptions::default())?), common)
        }
        IngestCommand::Bitcoin { blocks, common, .. } => {
            let blocks = blocks.as_ref().context("--blocks DIR or --rpc URL is required")?;
            let source = open_blk(blocks)?;
            let scan = source.scan();
            tracing::info!(
                files = scan.files,
                bytes = scan.bytes,
                blocks = scan.records,
                best_chain = scan.best_chain,
                stale = scan.stale,
                unplaced = scan.unplaced,
                "block files scanned"
            );
            for damaged in &scan.damaged {
                tracing::warn!(record = %damaged, "damaged block record skipped");
            }
            if !common.json {
                eprintln!(
                    "{}: {} block files, {} blocks: {} on the best chain (heights {}..), {} stale, \
                     {} unplaced, {} damaged records skipped",
                    blocks.display(),
                    scan.files,
                    scan.records,
                    scan.best_chain,
                    source.first_height(),
                    scan.stale,
                    scan.unplaced,
                    scan.damaged.len()
                );
            }
            (Box::new(source), common)
        }
        IngestCommand::Ethereum {
            rpc,
            follow: _,
            traces,
            concurrency,
            rpc_batch,
            retries,
            poll_seconds: _,
            common,
        } => {
            let options = ClientOptions {
                max_batch_size: *rpc_batch as usize,
                max_concurrency: *concurrency as usize,
                max_retries: *retries,
                ..ClientOptions::default()
            };
            let traces = match traces {
                cli::Traces::Auto => TraceMode::Auto,
                cli::Traces::Parity => TraceMode::Parity,
                cli::Traces::Geth => TraceMode::Geth,
                cli::Traces::None => TraceMode::None,
            };
            let source = connect_evm(rpc, options, traces)?;
            tracing::info!(url = %rpc, chain_id = source.chain_id(), "connected");
            (Box::new(source), common)
        }
        IngestCommand::Etl { dir, chain, chain_id, common } => {
            let source = open_etl(dir, *chain, *chain_id)?;
            if !common.json {
                let blocks = source.blocks();
                eprintln!(
                    "{}: {} blocks ({}..={}) of {}",
                    dir.display(),
                    blocks.len(),
                    source.first_height(),
                    blocks.last().map_or(0, |b| b.block.height),
                    source.network()
                );
            }
            (Box::new(source), common)
        }
    };
    let mut options = common.options();
    if let IngestCommand::Ethereum { follow, poll_seconds, .. } = &args.command {
        options.follow = *follow;
        options.poll_interval = Duration::from_secs_f64(poll_seconds.max(0.05));
    }
    let summary = run_ingest(&mut store, source.as_mut(), &options, common.json)?;
    if common.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the ingest with a progress bar on a terminal, structured logs otherwise.
fn run_ingest(
    store: &mut dyn ChainStore,
    source: &mut dyn BlockSource,
    options: &IngestOptions,
    quiet: bool,
) -> anyhow::Result<IngestSummary> {
    let terminal = std::io::stderr().is_terminal() && !quiet;
    let bar = if terminal { ProgressBar::new(0) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:30} block {pos}/{len} {per_sec} {msg} [{elapsed}, eta {eta}]",
        )
        .expect("the template is valid"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let started = Instant::now();
    let mut movements = 0u64;
    let mut observe = |event: &Event| match event {
        Event::Started { source, network, next, target, resumed } => {
            tracing::info!(%source, %network, next, target, resumed, "ingest started");
            bar.set_position(*next);
            bar.set_length(target.unwrap_or(*next).saturating_add(1));
            bar.reset_eta();
        }
        Event::Batch { first, last, target, outcome } => {
            movements += outcome.transfers + outcome.outputs;
            let seconds = started.elapsed().as_secs_f64().max(1e-9);
            tracing::info!(
                first,
                last,
                target,
                transactions = outcome.transactions,
                transfers = outcome.transfers,
                outputs = outcome.outputs,
                inputs = outcome.inputs,
                transfers_per_second = (movements as f64 / seconds).round(),
                "batch stored"
            );
            bar.set_length(target + 1);
            bar.set_position(last + 1);
            bar.set_message(format!("{:.0} transfers/s", movements as f64 / seconds));
        }
        Event::Reorg { fork_height, depth, old_tip } => {
            tracing::warn!(fork_height, depth, old_tip = old_tip.height, old_hash = %old_tip.hash, "reorg: unwinding blocks that left the best chain");
            bar.println(format!(
                "reorg: {depth} block(s) above {fork_height} left the best chain; unwound"
            ));
        }
        Event::Waiting { height } => {
            tracing::debug!(height, "waiting for new blocks");
            bar.set_message(format!("following at {height}"));
        }
    };
    let result = ingest(store, source, options, &mut observe);
    bar.finish_and_clear();
    Ok(result?)
}

fn print_summary(summary: &IngestSummary) {
    let totals = &summary.totals;
    let seconds = summary.seconds.max(1e-9);
    println!(
        "{} → {}: {} blocks, {} transactions, {} transfers, {} outputs, {} inputs ({} resolved) \
         in {:.1} s ({:.0} blocks/s, {:.0} transfers+outputs/s); {} reorg(s), {} block(s) unwound",
        summary.source,
        summary.network,
        totals.blocks,
        totals.transactions,
        totals.transfers,
        totals.outputs,
        totals.inputs,
        totals.inputs_resolved,
        summary.seconds,
        totals.blocks as f64 / seconds,
        (totals.transfers + totals.outputs) as f64 / seconds,
        summary.reorgs,
        totals.unwound_blocks,
    );
    match &summary.tip {
        Some(tip) => println!("stored tip: block {} {}", tip.height, tip.hash),
        None => println!("nothing stored"),
    }
}

pub(crate) fn stats(global: &cli::Global, args: StatsArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(global)?;
    let stats = store.chain_stats()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(ExitCode::SUCCESS);
    }
    if stats.networks.is_empty() {
        println!("no chain data stored yet (see `chainward ingest --help`)");
    }
    for network in &stats.networks {
        let tip = network
            .tip
            .map_or_else(|| "-".to_owned(), |tip| format!("{} {}", tip.height, tip.hash));
        println!("{}", network.name);
        println!(
            "  blocks        {} (heights {}..={})",
            network.blocks,
            network.first_height.map_or_else(|| "-".into(), |h| h.to_string()),
            network.tip.map_or_else(|| "-".into(), |t| t.height.to_string())
        );
        println!("  tip           {tip}");
        println!(
            "  transactions  {} ({} failed)",
            network.transactions, network.failed_transactions
        );
        if network.outputs + network.inputs > 0 {
            println!("  outputs       {}", network.outputs);
            println!("  inputs        {}", network.inputs);
        }
        for (kind, count) in &network.transfers {
            println!("  transfers     {count} {kind}");
        }
    }
    println!("addresses       {}", stats.addresses);
    for checkpoint in &stats.checkpoints {
        println!(
            "checkpoint      {} at {} block {} ({})",
            checkpoint.source, checkpoint.network, checkpoint.block.height, checkpoint.updated_at
        );
    }
    Ok(ExitCode::SUCCESS)
}
