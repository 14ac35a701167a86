//! `etl`: directories of ethereum-etl exports, read by [`EthEtlExport`], against the recorded
//! node answers they were exported from, decoded by `decode_*` and `normalize_with`.
//!
//! Each test builds an export directory the way a user has one (`blocks.csv`,
//! `transactions.csv`, …) from the fixture files (`expected_blocks.csv`, …), sometimes from
//! several fixture folders that export the same block (483,920: blocks, receipts and logs, and
//! token transfers are three ethereum-etl test cases). The two ledgers are compared block by
//! block, transaction by transaction, transfer by transfer, field by field; every difference
//! is collected and the test asserts that the list is exactly the documented exceptions.
//!
//! Compared at ledger level:
//! - `test_export_blocks_job/{block_with_logs, block_without_transactions,
//!   blocks_with_transactions}`: blocks + transactions (no receipts: status Success, fee unknown
//!   on both sides);
//! - block 483,920 with receipts and logs (CSV, JSON) or token transfers (CSV);
//! - `test_stream/blocks_1755634_1755635`: blocks + transactions carrying receipts + logs, or
//!   token transfers instead of logs;
//! - the traced blocks (`test_export_traces_job`, `test_stream` 2,112,234 and 508,110,
//!   `test_extract_geth_traces_job`): their traces exports (Parity CSV / JSON,
//!   `geth_traces.json`, and the CSV `extract_geth_traces` made of it) joined to a block and
//!   transactions written by the test from the traces themselves (no block of theirs was
//!   recorded), against the same block JSON and the recorded `trace_block` /
//!   `debug_traceBlockByNumber` answers.
//!
//! Not comparable with node answers (only exports were recorded): blocks 17,173,049–050. They
//! check the CSV and JSON exports against each other, and `logs` against `token_transfers`.

use crate::blocks::load_blocks;
use crate::common::{dir, read};
use crate::receipts::load_receipts;
use alloy_primitives::{B256, U256};
use chainward_chain_ethereum::etl::{EthEtlExport, EtlError, ExportKind};
use chainward_chain_ethereum::{
    FlatTrace, NormalizeOptions, TraceKind, Traces, decode_block, decode_geth_call_traces,
    decode_parity_traces, normalize, normalize_with,
};
use chainward_primitives::ledger::{Block, TransferKind};
use std::fmt::{Debug, Write as _};
use std::fs;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Export directories

/// A fresh, empty directory for one test's export.
fn scratch(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("etl").join(name);
    let _ = fs::remove_dir_all(&path);
    fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// A fixture file in an export: `(case, fixture file, name in the export)`.
type FixtureFile<'a> = (&'a str, &'a str, &'a str);

/// An export directory made of fixture files.
fn export_of(name: &str, files: &[FixtureFile<'_>]) -> PathBuf {
    let out = scratch(name);
    for (case, file, as_name) in files {
        let from = dir(case).join(file);
        fs::copy(&from, out.join(as_name)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
    out
}

fn etl_ledger(dir: &Path) -> Vec<Block> {
    EthEtlExport::open(dir)
        .and_then(|e| e.blocks(1))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

// ---------------------------------------------------------------------------------------------
// Ledger comparison

/// Every difference between two ledgers, and how much was compared.
#[derive(Default)]
struct LedgerDiff {
    list: Vec<String>,
    blocks: usize,
    txs: usize,
    transfers: usize,
    fields: usize,
}

impl LedgerDiff {
    fn check<T: PartialEq + Debug>(&mut self, at: &str, field: &str, etl: T, rpc: T) {
        self.fields += 1;
        if etl != rpc {
            self.list.push(format!("{at} {field}: etl={etl:?} rpc={rpc:?}"));
        }
    }

    /// Compares `etl` with `rpc`, blocks matched by height, transactions by hash, transfers
    /// by position.
    fn compare(&mut self, at: &str, etl: &[Block], rpc: &[Block]) {
        self.check(at, "block count", etl.len(), rpc.len());
        self.check(
            at,
            "heights",
            etl.iter().map(|b| b.block.height).collect::<Vec<_>>(),
            rpc.iter().map(|b| b.block.height).collect::<Vec<_>>(),
        );
        for r in rpc {
            let at = format!("{at} block {}", r.block.height);
            let Some(e) = etl.iter().find(|e| e.block.height == r.block.height) else {
                self.list.push(format!("{at}: missing from the etl ledger"));
                continue;
            };
            self.blocks += 1;
            self.check(&at, "chain", e.chain, r.chain);
            self.check(&at, "evm_chain_id", e.evm_chain_id, r.evm_chain_id);
            self.check(&at, "hash", e.block.hash, r.block.hash);
            self.check(&at, "parent_hash", e.parent_hash, r.parent_hash);
            self.check(&at, "timestamp", e.timestamp, r.timestamp);
            self.check(&at, "transaction count", e.transactions.len(), r.transactions.len());
            for rt in &r.transactions {
                let at = format!("{at} tx {}", rt.hash);
                let Some(et) = e.transactions.iter().find(|t| t.hash == rt.hash) else {
                    self.list.push(format!("{at}: missing from the etl ledger"));
                    continue;
                };
                self.txs += 1;
                self.check(&at, "index", et.index, rt.index);
                self.check(&at, "status", et.status, rt.status);
                self.check(&at, "fee", et.fee, rt.fee);
                self.check(&at, "inputs", &et.inputs, &rt.inputs);
                self.check(&at, "outputs", &et.outputs, &rt.outputs);
                self.check(&at, "transfer count", et.transfers.len(), rt.transfers.len());
                for (i, (ex, rx)) in et.transfers.iter().zip(&rt.transfers).enumerate() {
                    let at = format!("{at} transfer {i}");
                    self.transfers += 1;
                    self.check(&at, "kind", ex.kind, rx.kind);
                    self.check(&at, "from", &ex.from, &rx.from);
                    self.check(&at, "to", &ex.to, &rx.to);
                    self.check(&at, "asset", &ex.asset, &rx.asset);
                    self.check(&at, "amount", ex.amount, rx.amount);
                    self.check(&at, "token_id", ex.token_id, rx.token_id);
                    self.check(&at, "log_index", ex.log_index, rx.log_index);
                    self.check(&at, "trace_address", &ex.trace_address, &rx.trace_address);
                }
            }
        }
        // Whatever the field list above misses, the values must still be equal.
        if self.list.is_empty() {
            assert_eq!(etl, rpc, "{at}: equal field by field but not as values");
        }
    }

    /// Prints the counts and differences; asserts the differences are exactly `known`.
    fn assert_only(&self, what: &str, known: &[&str]) {
        println!(
            "{what}: {} blocks, {} transactions, {} transfers compared ({} fields), {} differences",
            self.blocks,
            self.txs,
            self.transfers,
            self.fields,
            self.list.len()
        );
        for d in &self.list {
            println!("  {d}");
        }
        assert!(self.blocks > 0, "{what}: nothing compared");
        let unexpected: Vec<_> =
            self.list.iter().filter(|d| !known.contains(&d.as_str())).collect();
        let vanished: Vec<_> =
            known.iter().filter(|k| !self.list.iter().any(|d| d == *k)).collect();
        assert!(
            unexpected.is_empty() && vanished.is_empty(),
            "{what}: unexpected differences {unexpected:#?}; known differences no longer seen \
             {vanished:#?}"
        );
    }
}

fn by_height(mut blocks: Vec<Block>) -> Vec<Block> {
    blocks.sort_by_key(|b| b.block.height);
    blocks
}

// ---------------------------------------------------------------------------------------------
// Fixture cases against node answers

const BLOCKS_JOB: [&str; 3] = [
    "test_export_blocks_job/block_with_logs",
    "test_export_blocks_job/block_without_transactions",
    "test_export_blocks_job/blocks_with_transactions",
];

#[test]
fn export_blocks_job_ledgers_equal_rpc_ledgers() {
    let mut d = LedgerDiff::default();
    for case in BLOCKS_JOB {
        let name = case.replace('/', "-");
        let export = export_of(
            &name,
            &[
                (case, "expected_blocks.csv", "blocks.csv"),
                (case, "expected_transactions.csv", "transactions.csv"),
            ],
        );
        let rpc: Vec<Block> = load_blocks(case)
            .iter()
            .map(|b| normalize(1, b, &[], None).unwrap_or_else(|e| panic!("{case}: {e}")))
            .collect();
        let rpc = by_height(rpc);
        d.compare(case, &etl_ledger(&export), &rpc);
        // The fixture folder itself reads the same (`expected_*` names; node answers ignored).
        d.compare(&format!("{case} (folder)"), &etl_ledger(&dir(case)), &rpc);
    }
    d.assert_only("test_export_blocks_job", &[]);
}

const RECEIPTS: &str = "test_export_receipts_job/receipts_with_logs";
const TRANSFERS: &str = "test_export_token_transfers_job/block_with_transfers";

/// Block 483,920: blocks and transactions from `test_export_blocks_job/block_with_logs`,
/// receipts and logs from `test_export_receipts_job`, token transfers from
/// `test_export_token_transfers_job`, in every combination a user can have.
#[test]
fn block_483920_with_receipts_logs_or_token_transfers_equals_rpc() {
    let case = "test_export_blocks_job/block_with_logs";
    let rpc: Vec<Block> = load_blocks(case)
        .iter()
        .map(|b| {
            normalize_with(
                1,
                b,
                &load_receipts(RECEIPTS),
                None,
                NormalizeOptions::receipts_required(),
            )
            .expect("normalize")
        })
        .collect();
    let base = [
        (case, "expected_blocks.csv", "blocks.csv"),
        (case, "expected_transactions.csv", "transactions.csv"),
    ];
    let variants: [(&str, &[FixtureFile<'_>]); 3] = [
        (
            "receipts+logs csv",
            &[
                (RECEIPTS, "expected_receipts.csv", "receipts.csv"),
                (RECEIPTS, "expected_logs.csv", "logs.csv"),
            ],
        ),
        (
            "receipts+logs json",
            &[
                (RECEIPTS, "expected_receipts.json", "receipts.json"),
                (RECEIPTS, "expected_logs.json", "logs.json"),
            ],
        ),
        (
            "receipts csv + token_transfers csv",
            &[
                (RECEIPTS, "expected_receipts.csv", "receipts.csv"),
                (TRANSFERS, "expected_token_transfers.csv", "token_transfers.csv"),
            ],
        ),
    ];
    let mut d = LedgerDiff::default();
    for (i, (what, extra)) in variants.iter().enumerate() {
        let files: Vec<_> = base.iter().chain(extra.iter()).copied().collect();
        let export = export_of(&format!("block-483920-{i}"), &files);
        d.compare(&format!("483920 ({what})"), &etl_ledger(&export), &rpc);
    }
    // Without logs or token transfers, the receipts alone: statuses and fees, no tokens.
    let export = export_of(
        "block-483920-receipts-only",
        &[base[0], base[1], (RECEIPTS, "expected_receipts.csv", "receipts.csv")],
    );
    let mut no_tokens = rpc.clone();
    for tx in &mut no_tokens[0].transactions {
        tx.transfers.retain(|t| t.kind != TransferKind::Erc20);
    }
    d.compare("483920 (receipts only)", &etl_ledger(&export), &no_tokens);
    // Without receipts, token transfers still come from the logs.
    let export = export_of(
        "block-483920-logs-only",
        &[base[0], base[1], (RECEIPTS, "expected_logs.csv", "logs.csv")],
    );
    let no_receipts: Vec<Block> =
        load_blocks(case).iter().map(|b| normalize(1, b, &[], None).expect("normalize")).collect();
    let mut with_tokens = no_receipts;
    for (tx, r) in with_tokens[0].transactions.iter_mut().zip(&rpc[0].transactions) {
        tx.transfers = r.transfers.clone();
    }
    d.compare("483920 (logs, no receipts)", &etl_ledger(&export), &with_tokens);
    d.assert_only("block 483920", &[]);
}

#[test]
fn stream_1755634_1755635_equals_rpc() {
    let case = "test_stream/blocks_1755634_1755635";
    let receipts = load_receipts(case);
    let rpc: Vec<Block> = load_blocks(case)
        .iter()
        .map(|b| {
            let mine: Vec<_> =
                receipts.iter().filter(|r| r.block_hash == Some(b.hash)).cloned().collect();
            normalize_with(1, b, &mine, None, NormalizeOptions::receipts_required())
                .expect("normalize")
        })
        .collect();
    let rpc = by_height(rpc);
    let mut d = LedgerDiff::default();
    for (what, tokens) in [
        ("logs", ("expected_logs.json", "logs.json")),
        ("token_transfers", ("expected_token_transfers.json", "token_transfers.json")),
    ] {
        let export = export_of(
            &format!("stream-1755634-{what}"),
            &[
                (case, "expected_blocks.json", "blocks.json"),
                (case, "expected_transactions.json", "transactions.json"),
                (case, tokens.0, tokens.1),
            ],
        );
        d.compare(&format!("{case} ({what})"), &etl_ledger(&export), &rpc);
    }
    d.assert_only(case, &[]);
}

// ---------------------------------------------------------------------------------------------
// Traces: ledger level (block shells written from the traces) and trace level

/// `(Parity case, Geth case, block number in the recorded method names)`.
const TRACED: [(&str, &str, &str); 5] = [
    ("block_with_create", "block_with_create", "0xf44f2"),
    ("block_with_error", "block_with_error", "0xf45bf"),
    ("block_with_subtraces", "block_with_subtraces", "0xf4240"),
    ("block_with_suicide", "block_with_suicide", "0xf7105"),
    ("block_without_transactions", "block_without_transactions", "0x0"),
];

const STREAM_TRACED: [(&str, &str); 2] = [
    ("test_stream/blocks_2112234_2112234", "0x203aea"),
    ("test_stream/blocks_508110_508110", "0x7c0ce"),
];

/// A block's transactions as its top-level traces show them: (hash, position, from, to, value).
type Shell = Vec<(B256, u64, String, Option<String>, U256)>;

fn shell_of(flat: &[FlatTrace]) -> Shell {
    let mut txs: Shell = flat
        .iter()
        .filter(|t| t.trace_address.is_empty() && t.kind != TraceKind::Reward)
        .map(|t| {
            let to = if t.kind == TraceKind::Create { None } else { t.to.map(|a| a.to_string()) };
            (
                t.transaction_hash.expect("Parity traces name their transaction"),
                t.transaction_position.expect("and its position"),
                t.from.expect("a top-level call has a sender").to_string(),
                to,
                t.value,
            )
        })
        .collect();
    txs.sort_by_key(|t| t.1);
    txs
}

fn shell_hash(number: u64) -> B256 {
    B256::from(U256::from(number) + U256::from(0xb10c_u64 << 32))
}

/// The block shell as ethereum-etl CSV (blocks, transactions) and as node JSON.
fn write_shell(dir: &Path, number: u64, txs: &Shell) -> Vec<u8> {
    let (hash, parent, time) =
        (shell_hash(number), shell_hash(number.wrapping_sub(1)), 1_450_000_000 + number);
    let mut blocks = String::from("number,hash,parent_hash,timestamp,transaction_count\n");
    writeln!(blocks, "{number},{hash},{parent},{time},{}", txs.len()).unwrap();
    let mut csv = String::from(
        "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price\n",
    );
    let mut json = Vec::new();
    for (h, i, from, to, value) in txs {
        let to_text = to.clone().unwrap_or_default();
        writeln!(csv, "{h},{i},{hash},{number},{i},{from},{to_text},{value},21000,1").unwrap();
        let to_json = to.as_ref().map_or("null".to_owned(), |t| format!("\"{t}\""));
        json.push(format!(
            r#"{{"hash":"{h}","nonce":"0x{i:x}","from":"{from}","to":{to_json},"value":"0x{value:x}",
               "gas":"0x5208","gasPrice":"0x1","input":"0x","transactionIndex":"0x{i:x}"}}"#
        ));
    }
    fs::write(dir.join("blocks.csv"), blocks).unwrap();
    fs::write(dir.join("transactions.csv"), csv).unwrap();
    format!(
        r#"{{"number":"0x{number:x}","hash":"{hash}","parentHash":"{parent}","timestamp":"0x{time:x}",
           "gasLimit":"0x0","gasUsed":"0x0","transactions":[{}]}}"#,
        json.join(",")
    )
    .into_bytes()
}

fn parity_case(case: &str, block: &str) -> Vec<chainward_chain_ethereum::ParityTrace> {
    decode_parity_traces(&read(case, &format!("web3_response.trace_block_{block}.json")))
        .unwrap_or_else(|e| panic!("{case}: {e}"))
}

fn geth_case(case: &str, block: &str) -> Vec<chainward_chain_ethereum::GethTxTrace> {
    let block = if block == "0x0" { "0x1" } else { block };
    let file = format!("web3_response.debug_traceBlockByNumber_{block}_tracer_calltracer.json");
    decode_geth_call_traces(&read(case, &file)).unwrap_or_else(|e| panic!("{case}: {e}"))
}

/// The traced blocks' ledgers, traces from the export against traces from the node.
#[test]
fn traced_blocks_ledgers_equal_rpc_ledgers() {
    let mut d = LedgerDiff::default();
    let mut internal = 0;
    let mut run = |name: &str,
                   export_file: (&str, &str, &str),
                   rpc_traces: Traces,
                   shell: &Shell,
                   number: u64| {
        let out = export_of(name, &[export_file]);
        let block_json = write_shell(&out, number, shell);
        let block = decode_block(&block_json).expect("shell block");
        let rpc = normalize(1, &block, &[], Some(&rpc_traces)).expect("normalize");
        let etl = etl_ledger(&out);
        internal += rpc
            .transactions
            .iter()
            .flat_map(|t| &t.transfers)
            .filter(|t| t.kind == TransferKind::Internal)
            .count();
        d.compare(name, &etl, &[rpc]);
    };
    for (parity, geth, block) in TRACED {
        let p_case = format!("test_export_traces_job/{parity}");
        let g_case = format!("test_extract_geth_traces_job/{geth}");
        let parity_traces = parity_case(&p_case, block);
        let number = parity_traces.first().and_then(|t| t.block_number).unwrap_or(0);
        let shell = shell_of(&Traces::Parity(parity_traces.clone()).flatten());
        run(
            &format!("{parity}-parity-csv"),
            (&p_case, "expected_traces.csv", "traces.csv"),
            Traces::Parity(parity_traces),
            &shell,
            number,
        );
        // Geth: the genesis has no trace; the test's block 1 stands in for it (both empty).
        let geth_number = if number == 0 { 1 } else { number };
        let geth_traces = Traces::Geth(geth_case(&g_case, block));
        run(
            &format!("{geth}-geth-json"),
            (&g_case, "geth_traces.json", "geth_traces.json"),
            geth_traces.clone(),
            &shell,
            geth_number,
        );
        run(
            &format!("{geth}-geth-extracted-csv"),
            (&g_case, "expected_traces.csv", "traces.csv"),
            geth_traces,
            &shell,
            geth_number,
        );
    }
    for (case, block) in STREAM_TRACED {
        let traces = parity_case(case, block);
        let number = traces[0].block_number.expect("block number");
        let shell = shell_of(&Traces::Parity(traces.clone()).flatten());
        run(
            &case.replace('/', "-"),
            (case, "expected_traces.json", "traces.json"),
            Traces::Parity(traces),
            &shell,
            number,
        );
    }
    // These recorded blocks hold one internal transfer (block 1,011,973's self-destruct, which
    // old Geth did not record); `internal_transfer_rules_match_rpc` covers the rest.
    println!("internal transfers in the node ledgers: {internal}");
    assert!(internal >= 1, "{internal}");
    d.assert_only("traced blocks", &[]);
}

/// The internal-transfer rules on one hand-written transaction whose call tree has every case:
/// a value call, a reverted subtree with a value call below it, a `delegatecall` and a
/// `staticcall` with value, a create and a self-destruct below the top level. The same rows as
/// a traces export and as a `trace_block` answer must give the same ledger.
#[test]
fn internal_transfer_rules_match_rpc() {
    let c = |n: u8| format!("0x{}", format!("{n:02x}").repeat(20));
    // (trace_address, type, call_type, from, to, value, error)
    let rows: [(&str, &str, &str, String, String, u64, &str); 9] = [
        ("", "call", "call", A.to_owned(), c(1), 100, ""),
        ("0", "call", "call", c(1), c(2), 7, ""),
        ("1", "call", "call", c(1), c(3), 8, "Reverted"),
        ("1,0", "call", "call", c(3), c(4), 9, ""),
        ("1,0,0", "create", "", c(4), c(5), 10, ""),
        ("2", "call", "delegatecall", c(1), c(6), 11, ""),
        ("3", "call", "staticcall", c(1), c(7), 12, ""),
        ("4", "create", "", c(1), c(8), 13, ""),
        ("4,0", "suicide", "", c(8), c(9), 14, ""),
    ];
    let out = scratch("internal-rules");
    let tx = (B256::from(U256::from(0x7777_u64)), 0, A.to_owned(), Some(c(1)), U256::from(100));
    let block_json = write_shell(&out, 5, &vec![tx.clone()]);
    let mut csv = String::from(
        "block_number,transaction_hash,transaction_index,from_address,to_address,value,trace_type,call_type,trace_address,error,subtraces\n",
    );
    let mut json = Vec::new();
    for (path, kind, call_type, from, to, value, error) in &rows {
        writeln!(csv, "5,{},0,{from},{to},{value},{kind},{call_type},\"{path}\",{error},0", tx.0)
            .unwrap();
        let action = match *kind {
            "call" => format!(
                r#"{{"callType":"{call_type}","from":"{from}","to":"{to}","value":"0x{value:x}"}}"#
            ),
            "create" => format!(r#"{{"from":"{from}","value":"0x{value:x}"}}"#),
            _ => {
                format!(r#"{{"address":"{from}","refundAddress":"{to}","balance":"0x{value:x}"}}"#)
            }
        };
        let result =
            if *kind == "create" { format!(r#"{{"address":"{to}"}}"#) } else { "{}".to_owned() };
        let (result, error) = if error.is_empty() {
            (result, "null".to_owned())
        } else {
            ("null".to_owned(), format!("\"{error}\""))
        };
        let address: Vec<&str> = path.split(',').filter(|p| !p.is_empty()).collect();
        json.push(format!(
            r#"{{"type":"{kind}","action":{action},"result":{result},"error":{error},"subtraces":0,
               "traceAddress":[{}],"transactionHash":"{}","transactionPosition":0,"blockNumber":5}}"#,
            address.join(","),
            tx.0
        ));
    }
    fs::write(out.join("traces.csv"), csv).unwrap();
    let block = decode_block(&block_json).expect("block");
    let traces = decode_parity_traces(format!("[{}]", json.join(",")).as_bytes()).expect("traces");
    let rpc = normalize(1, &block, &[], Some(&Traces::Parity(traces))).expect("normalize");
    let etl = etl_ledger(&out);
    let mut d = LedgerDiff::default();
    d.compare("internal transfer rules", &etl, std::slice::from_ref(&rpc));
    d.assert_only("internal transfer rules", &[]);
    // The native value, then the call to 0x02.., the create 0x08.. and its self-destruct.
    let amounts: Vec<u64> =
        etl[0].transactions[0].transfers.iter().map(|t| t.amount.to::<u64>()).collect();
    assert_eq!(amounts, [100, 7, 13, 14]);
}

/// Trace by trace: the export's rows, back as node traces and flattened, against the node's.
#[test]
fn exported_traces_flatten_like_rpc_traces() {
    let mut diffs = Vec::new();
    let mut compared = 0;
    let mut compare = |at: &str, etl: &[FlatTrace], rpc: &[FlatTrace]| {
        if etl.len() != rpc.len() {
            diffs.push(format!("{at}: etl has {} traces, rpc {}", etl.len(), rpc.len()));
        }
        for (i, (e, r)) in etl.iter().zip(rpc).enumerate() {
            compared += 1;
            let fields: [(&str, String, String); 11] = [
                (
                    "transaction_hash",
                    format!("{:?}", e.transaction_hash),
                    format!("{:?}", r.transaction_hash),
                ),
                (
                    "transaction_position",
                    format!("{:?}", e.transaction_position),
                    format!("{:?}", r.transaction_position),
                ),
                ("kind", format!("{:?}", e.kind), format!("{:?}", r.kind)),
                ("call_type", format!("{:?}", e.call_type), format!("{:?}", r.call_type)),
                ("from", format!("{:?}", e.from), format!("{:?}", r.from)),
                ("to", format!("{:?}", e.to), format!("{:?}", r.to)),
                ("value", e.value.to_string(), r.value.to_string()),
                (
                    "trace_address",
                    format!("{:?}", e.trace_address),
                    format!("{:?}", r.trace_address),
                ),
                ("error", format!("{:?}", e.error), format!("{:?}", r.error)),
                ("succeeded", e.succeeded.to_string(), r.succeeded.to_string()),
                (
                    "internal transfer",
                    e.is_internal_transfer().to_string(),
                    r.is_internal_transfer().to_string(),
                ),
            ];
            for (field, ev, rv) in fields {
                if !ev.eq_ignore_ascii_case(&rv) {
                    diffs.push(format!("{at} trace {i} {field}: etl={ev} rpc={rv}"));
                }
            }
        }
    };
    let traces_of = |out: &Path| -> Vec<FlatTrace> {
        fs::write(out.join("blocks.csv"), "").unwrap();
        fs::write(out.join("transactions.csv"), "").unwrap();
        let map = EthEtlExport::open(out).and_then(|e| e.traces()).expect("traces").expect("some");
        map.values().flat_map(Traces::flatten).collect()
    };
    for (parity, geth, block) in TRACED {
        let p_case = format!("test_export_traces_job/{parity}");
        let rpc = Traces::Parity(parity_case(&p_case, block)).flatten();
        let etl =
            traces_of(&export_of("flat-parity", &[(&p_case, "expected_traces.csv", "traces.csv")]));
        compare(&p_case, &etl, &rpc);
        let g_case = format!("test_extract_geth_traces_job/{geth}");
        let rpc = Traces::Geth(geth_case(&g_case, block)).flatten();
        let etl = traces_of(&export_of(
            "flat-geth",
            &[(&g_case, "geth_traces.json", "geth_traces.json")],
        ));
        compare(&format!("{g_case} geth_traces.json"), &etl, &rpc);
        let etl = traces_of(&export_of(
            "flat-geth-csv",
            &[(&g_case, "expected_traces.csv", "traces.csv")],
        ));
        compare(&format!("{g_case} traces.csv"), &etl, &rpc);
    }
    for (case, block) in STREAM_TRACED {
        let rpc = Traces::Parity(parity_case(case, block)).flatten();
        let etl =
            traces_of(&export_of("flat-stream", &[(case, "expected_traces.json", "traces.json")]));
        compare(case, &etl, &rpc);
    }
    println!("{compared} traces compared, {} differences", diffs.len());
    for d in &diffs {
        println!("  {d}");
    }
    assert!(compared > 30, "{compared}");
    assert!(diffs.is_empty(), "{diffs:#?}");
}

// ---------------------------------------------------------------------------------------------
// Exports against each other (blocks 17,173,049–050: no node answers recorded)

#[test]
fn csv_and_json_exports_give_the_same_ledger() {
    let case = "test_export_blocks_job/blocks_with_transactions_and_withdrawals";
    let csv = etl_ledger(&export_of(
        "withdrawals-csv",
        &[
            (case, "expected_blocks.csv", "blocks.csv"),
            (case, "expected_transactions.csv", "transactions.csv"),
        ],
    ));
    let json = etl_ledger(&export_of(
        "withdrawals-json",
        &[
            (case, "expected_blocks.json", "blocks.json"),
            (case, "expected_transactions.json", "transactions.json"),
        ],
    ));
    let mut d = LedgerDiff::default();
    d.compare("17173049-50 csv vs json", &csv, &json);
    assert_eq!(csv, json);
    assert_eq!(csv.iter().map(|b| b.transactions.len()).sum::<usize>(), 298);
    d.assert_only("csv vs json", &[]);
}

/// ethereum-etl's `token_transfers` and our reading of `logs` differ exactly on ERC-721
/// transfers: the row's `value` is the token id, read as an ERC-20 amount.
#[test]
fn token_transfers_lose_only_the_erc721_distinction() {
    let case = "test_stream/blocks_17173049_17173050";
    let base = [
        (case, "expected_blocks.json", "blocks.json"),
        (case, "expected_transactions.json", "transactions.json"),
    ];
    let export = |name, file: (&'static str, &'static str, &'static str)| {
        etl_ledger(&export_of(name, &[base[0], base[1], file]))
    };
    let from_logs = export("stream-17173049-logs", (case, "expected_logs.json", "logs.json"));
    let from_rows = export(
        "stream-17173049-token-transfers",
        (case, "expected_token_transfers.json", "token_transfers.json"),
    );
    let (mut same, mut erc721, mut other) = (0, 0, Vec::new());
    for (a, b) in from_logs.iter().zip(&from_rows) {
        assert_eq!(a.transactions.len(), b.transactions.len());
        for (ta, tb) in a.transactions.iter().zip(&b.transactions) {
            assert_eq!((ta.hash, ta.status, ta.fee), (tb.hash, tb.status, tb.fee));
            if ta.transfers.len() != tb.transfers.len() {
                other.push(format!(
                    "{}: {} vs {} transfers",
                    ta.hash,
                    ta.transfers.len(),
                    tb.transfers.len()
                ));
                continue;
            }
            for (x, y) in ta.transfers.iter().zip(&tb.transfers) {
                if x == y {
                    same += 1;
                } else if x.kind == TransferKind::Erc721
                    && y.kind == TransferKind::Erc20
                    && x.token_id == Some(y.amount)
                    && y.token_id.is_none()
                    && (&x.from, &x.to, &x.asset, x.log_index)
                        == (&y.from, &y.to, &y.asset, y.log_index)
                {
                    erc721 += 1;
                } else {
                    other.push(format!("{}: {x:?} vs {y:?}", ta.hash));
                }
            }
        }
    }
    println!("{same} transfers equal, {erc721} ERC-721 read as ERC-20 from token_transfers");
    assert!(other.is_empty(), "{other:#?}");
    assert_eq!(erc721, 9);
    assert!(same > 400, "{same}");
}

// ---------------------------------------------------------------------------------------------
// Errors

const H1: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const H0: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";
const TX: &str = "0x3333333333333333333333333333333333333333333333333333333333333333";
const A: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

const BLOCKS_CSV: &str = "number,hash,parent_hash,timestamp,transaction_count\n";

fn valid_blocks() -> String {
    format!("{BLOCKS_CSV}16,{H1},{H0},100,1\n")
}

fn valid_transactions() -> String {
    format!(
        "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price\n\
         {TX},0,{H1},16,0,{A},{B},1000000000000000000,21000,2\n"
    )
}

/// An export of one block with one transaction, with `files` replacing or adding files.
fn small_export(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let out = scratch(name);
    fs::write(out.join("blocks.csv"), valid_blocks()).unwrap();
    fs::write(out.join("transactions.csv"), valid_transactions()).unwrap();
    for (file, text) in files {
        fs::write(out.join(file), text).unwrap();
    }
    out
}

fn error_of(dir: &Path) -> EtlError {
    match EthEtlExport::open(dir).and_then(|e| e.blocks(1)) {
        Ok(blocks) => panic!("{}: no error, {} blocks", dir.display(), blocks.len()),
        Err(e) => e,
    }
}

/// Asserts the message names the file (by name), the line and (when given) the field.
fn assert_names(error: &EtlError, file: &str, line: u64, field: Option<&str>, detail: &str) {
    let message = error.to_string();
    println!("{message}");
    assert!(message.contains(&format!("{file}, line {line}")), "{message}");
    if let Some(field) = field {
        assert!(message.contains(&format!("field `{field}`")), "{message}");
    }
    assert!(message.contains(detail), "{message}");
}

#[test]
fn the_small_export_is_valid() {
    let blocks = etl_ledger(&small_export("small-valid", &[]));
    assert_eq!(blocks.len(), 1);
    let tx = &blocks[0].transactions[0];
    assert_eq!(tx.transfers[0].amount, U256::from(10u64.pow(18)));
    assert_eq!(tx.fee, None);
}

#[test]
fn malformed_csv_rows_name_file_line_and_field() {
    /// (test name, file, its text, line, field, words the message must hold)
    type Case<'a> = (&'a str, &'a str, String, u64, Option<&'a str>, &'a str);
    let cases: [Case<'_>; 7] = [
        (
            "bad-number",
            "blocks.csv",
            format!("{BLOCKS_CSV}\n16x,{H1},{H0},100,1\n"),
            3,
            Some("number"),
            "'16x' is not a non-negative decimal integer",
        ),
        (
            "bad-hash",
            "blocks.csv",
            format!("{BLOCKS_CSV}16,{},{H0},100,1\n", &H1[..60]),
            2,
            Some("hash"),
            "32-byte hash",
        ),
        (
            "negative",
            "transactions.csv",
            valid_transactions().replace("1000000000000000000", "-1"),
            2,
            Some("value"),
            "'-1'",
        ),
        (
            "float",
            "transactions.csv",
            valid_transactions().replace("1000000000000000000", "1e18"),
            2,
            Some("value"),
            "'1e18'",
        ),
        (
            "too-big",
            "transactions.csv",
            valid_transactions().replace("1000000000000000000", &"9".repeat(79)),
            2,
            Some("value"),
            "does not fit in 256 bits",
        ),
        (
            "missing-column",
            "transactions.csv",
            valid_transactions().replace(",value,", ",amount,"),
            1,
            Some("value"),
            "missing column",
        ),
        (
            "bad-address",
            "transactions.csv",
            valid_transactions().replace(A, "0xaaaa"),
            2,
            Some("from_address"),
            "20-byte address",
        ),
    ];
    for (name, file, text, line, field, detail) in cases {
        let error = error_of(&small_export(name, &[(file, &text)]));
        assert!(matches!(error, EtlError::Field { .. }), "{name}: {error:?}");
        assert_names(&error, file, line, field, detail);
    }
    // Wrong column count.
    let text = format!("{BLOCKS_CSV}16,{H1},{H0},100\n");
    let error = error_of(&small_export("column-count", &[("blocks.csv", &text)]));
    assert!(matches!(error, EtlError::Line { line: 2, .. }), "{error:?}");
    assert_names(&error, "blocks.csv", 2, None, "has 4 fields but the header has 5");
}

#[test]
fn malformed_json_rows_name_file_line_and_field() {
    let good =
        format!(r#"{{"number": 16, "hash": "{H1}", "parent_hash": "{H0}", "timestamp": 100}}"#);
    let cases: [(&str, String, u64, Option<&str>, &str); 4] = [
        ("json-not-json", format!("{good}\n\n{{\"number\": 17,\n"), 3, None, "not a JSON object"),
        (
            "json-missing-key",
            good.replace(r#""timestamp": 100"#, r#""time": 100"#),
            1,
            Some("timestamp"),
            "is missing",
        ),
        ("json-null", good.replace("100", "null"), 1, Some("timestamp"), "is empty"),
        ("json-float", good.replace("100", "100.5"), 1, Some("timestamp"), "'100.5'"),
    ];
    for (name, text, line, field, detail) in cases {
        let out = small_export(name, &[("blocks.json", &text)]);
        fs::remove_file(out.join("blocks.csv")).unwrap();
        let error = error_of(&out);
        assert_names(&error, "blocks.json", line, field, detail);
    }
    // A 78-digit JSON number is exact; 79 digits is an error, not a float.
    let out = small_export("json-78-digits", &[]);
    let max = U256::MAX.to_string();
    let tx = format!(
        r#"{{"hash":"{TX}","block_hash":"{H1}","block_number":16,"transaction_index":0,"from_address":"{A}","to_address":"{B}","value":{max}}}"#
    );
    fs::write(out.join("transactions.json"), &tx).unwrap();
    fs::remove_file(out.join("transactions.csv")).unwrap();
    let blocks = etl_ledger(&out);
    assert_eq!(blocks[0].transactions[0].transfers[0].amount, U256::MAX);
    fs::write(out.join("transactions.json"), tx.replace(&max, &format!("{max}0"))).unwrap();
    assert_names(&error_of(&out), "transactions.json", 1, Some("value"), "256 bits");
}

#[test]
fn rows_naming_unknown_blocks_or_transactions_are_errors() {
    let other = "0x2222222222222222222222222222222222222222222222222222222222222222";
    let error = error_of(&small_export(
        "unknown-block",
        &[(
            "transactions.csv",
            &valid_transactions().replace(&format!(",{H1},"), &format!(",{other},")),
        )],
    ));
    assert!(matches!(error, EtlError::UnknownBlock { .. }), "{error:?}");
    assert_names(
        &error,
        "transactions.csv",
        2,
        None,
        &format!("transaction {TX} is in block {other}"),
    );

    let receipts = format!(
        "transaction_hash,block_hash,gas_used,status\n{TX},{H1},21000,1\n{other},{H1},21000,1\n"
    );
    let error = error_of(&small_export("unknown-tx", &[("receipts.csv", &receipts)]));
    assert!(matches!(error, EtlError::UnknownTransaction { .. }), "{error:?}");
    assert_names(
        &error,
        "receipts.csv",
        3,
        None,
        &format!("receipt belongs to transaction {other}"),
    );

    let logs = format!(
        "log_index,transaction_hash,block_hash,block_number,address,data,topics\n0,{TX},{other},16,{A},0x,\n"
    );
    let error = error_of(&small_export("log-other-block", &[("logs.csv", &logs)]));
    assert_names(
        &error,
        "logs.csv",
        2,
        Some("block_hash"),
        &format!("is in block {H1}, not {other}"),
    );

    let traces = "block_number,transaction_hash,transaction_index,from_address,to_address,value,trace_type,call_type,trace_address,error\n\
                  17,,,,0xcccccccccccccccccccccccccccccccccccccccc,5,reward,,,\n";
    let error = error_of(&small_export("trace-unknown-block", &[("traces.csv", traces)]));
    assert_names(
        &error,
        "traces.csv",
        2,
        None,
        "reward trace is in block 17, which is not in the blocks export",
    );
}

#[test]
fn inconsistent_exports_are_errors() {
    // A second row for the same block.
    let text = format!("{}16,{H1},{H0},100,1\n", valid_blocks());
    let error = error_of(&small_export("duplicate-block", &[("blocks.csv", &text)]));
    assert!(matches!(error, EtlError::Duplicate { .. }), "{error:?}");
    assert_names(&error, "blocks.csv", 3, None, "blocks.csv, line 2");
    // transaction_count disagrees with the rows.
    let text = valid_blocks().replace(",100,1", ",100,2");
    let error = error_of(&small_export("tx-count", &[("blocks.csv", &text)]));
    assert!(matches!(error, EtlError::TransactionCount { declared: 2, found: 1, .. }), "{error:?}");
    // Receipts for some transactions but not all.
    let receipts = "transaction_hash,gas_used\n";
    let error = error_of(&small_export("missing-receipt", &[("receipts.csv", receipts)]));
    assert!(matches!(error, EtlError::Join { .. }), "{error:?}");
    assert!(error.to_string().contains("has no receipt"), "{error}");
    // Traces of another range: the block's transaction has none.
    let traces = "block_number,transaction_hash,transaction_index,from_address,to_address,value,trace_type\n";
    let error = error_of(&small_export("missing-traces", &[("traces.csv", traces)]));
    assert!(matches!(error, EtlError::MissingTraces { .. }), "{error:?}");
}

#[test]
fn missing_or_ambiguous_files_are_errors() {
    let out = small_export("no-transactions", &[]);
    fs::remove_file(out.join("transactions.csv")).unwrap();
    let error = EthEtlExport::open(&out).unwrap_err();
    assert!(
        matches!(error, EtlError::MissingFile { kind: ExportKind::Transactions, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("no transactions export"), "{error}");

    let out = scratch("empty-dir");
    let error = EthEtlExport::open(&out).unwrap_err();
    assert!(matches!(error, EtlError::MissingFile { kind: ExportKind::Blocks, .. }), "{error:?}");

    let error = EthEtlExport::open(out.join("absent")).unwrap_err();
    assert!(matches!(error, EtlError::Io { .. }), "{error:?}");

    // ethereum-etl's receipts test folder holds the same receipts and logs in both formats.
    let error = EthEtlExport::open(dir(RECEIPTS)).unwrap_err();
    assert!(
        matches!(error, EtlError::MixedFormats { kind: ExportKind::Receipts, .. }),
        "{error:?}"
    );

    let out = small_export("mixed", &[("blocks.json", "")]);
    let error = EthEtlExport::open(&out).unwrap_err();
    assert!(matches!(error, EtlError::MixedFormats { kind: ExportKind::Blocks, .. }), "{error:?}");
}

/// `export_all` writes `<kind>/start_block=…/end_block=…/<kind>_<start>_<end>.csv`, one
/// folder per partition; all partitions are read.
#[test]
fn export_all_partitions_are_found() {
    let out = scratch("export-all");
    let second = "0x2222222222222222222222222222222222222222222222222222222222222222";
    for (start, body) in
        [(16, format!("16,{H1},{H0},100,1\n")), (17, format!("17,{second},{H1},112,0\n"))]
    {
        let dir = out.join(format!("blocks/start_block={start:08}/end_block={start:08}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join(format!("blocks_{start:08}_{start:08}.csv")),
            format!("{BLOCKS_CSV}{body}"),
        )
        .unwrap();
    }
    let dir = out.join("transactions/start_block=00000016/end_block=00000016");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("transactions_00000016_00000016.csv"), valid_transactions()).unwrap();
    fs::create_dir_all(out.join(".tmp")).unwrap();
    fs::write(out.join(".tmp/transaction_hashes_00000016_00000016.csv"), "hash\n").unwrap();
    let export = EthEtlExport::open(&out).expect("open");
    assert_eq!(export.files().len(), 3, "{:#?}", export.files());
    assert!(!export.has(ExportKind::Receipts));
    let blocks = export.blocks(1).expect("blocks");
    assert_eq!(blocks.iter().map(|b| b.block.height).collect::<Vec<_>>(), [16, 17]);
    assert_eq!(blocks[1].parent_hash, blocks[0].block.hash);
}
