//! `test_stream`: ethereum-etl's streaming exporter (JSON lines, receipts joined into the
//! transaction rows). Compared: `blocks_1755634_1755635` (blocks, transactions + receipts,
//! logs, token transfers), `blocks_2112234_2112234` and `blocks_508110_508110` (Parity
//! traces). Not compared: `blocks_17173049_17173050` (only the expected outputs are in the
//! fixtures), and the `contracts` / `tokens` outputs (need bytecode analysis and `eth_call`).

use crate::blocks::{compare_block, compare_transactions, load_blocks};
use crate::common::{Diffs, json_rows, opt, read};
use crate::receipts::{compare_logs, compare_receipt, load_receipts};
use crate::traces::compare_traces;
use chainward_chain_ethereum::{
    NormalizeOptions, RpcLog, Traces, decode_parity_traces, normalize_with,
};
use chainward_primitives::ledger::{Asset, TransferKind};

#[test]
fn stream_blocks_1755634_1755635_matches_ethereum_etl() {
    let case = "test_stream/blocks_1755634_1755635";
    let blocks = load_blocks(case);
    let receipts = load_receipts(case);
    let mut d = Diffs::default();

    let at = format!("{case}/expected_blocks.json");
    for (row, theirs) in json_rows(case, "expected_blocks.json").iter().enumerate() {
        match blocks.iter().find(|b| b.number.to_string() == theirs["number"]) {
            Some(b) => compare_block(&mut d, &at, row, b, theirs),
            None => d.note(format!("{at} row {row}: block not decoded by us")),
        }
    }

    let at = format!("{case}/expected_transactions.json");
    let rows = json_rows(case, "expected_transactions.json");
    compare_transactions(&mut d, &at, &blocks, &rows);
    for (row, theirs) in rows.iter().enumerate() {
        match receipts.iter().find(|r| r.transaction_hash.to_string() == theirs["hash"]) {
            Some(r) => compare_receipt(&mut d, &at, row, r, theirs, "receipt_"),
            None => d.note(format!("{at} row {row}: no receipt decoded")),
        }
    }

    let logs: Vec<&RpcLog> = receipts.iter().flat_map(|r| &r.logs).collect();
    compare_logs(
        &mut d,
        &format!("{case}/expected_logs.json"),
        &logs,
        &json_rows(case, "expected_logs.json"),
    );

    // Token transfers via the full normalize of each block with its receipts.
    let at = format!("{case}/expected_token_transfers.json (via normalize)");
    let mut ours = Vec::new();
    for b in &blocks {
        let mine: Vec<_> =
            receipts.iter().filter(|r| r.block_hash == Some(b.hash)).cloned().collect();
        let n = normalize_with(1, b, &mine, None, NormalizeOptions::receipts_required())
            .expect("normalize");
        for t in n.transactions {
            for x in t.transfers.into_iter().filter(|x| x.kind == TransferKind::Erc20) {
                ours.push((n.block.height, t.hash, x));
            }
        }
    }
    let rows = json_rows(case, "expected_token_transfers.json");
    if ours.len() != rows.len() {
        d.note(format!("{at}: ours has {} token transfers, theirs {}", ours.len(), rows.len()));
    }
    for (row, ((height, hash, t), theirs)) in ours.iter().zip(&rows).enumerate() {
        let Asset::Token { contract } = &t.asset else { unreachable!("token transfer") };
        d.field(&at, row, "token_address", contract.canonical(), theirs);
        d.field(&at, row, "from_address", t.from.canonical(), theirs);
        d.field(&at, row, "to_address", t.to.canonical(), theirs);
        d.field(&at, row, "value", t.amount, theirs);
        d.field(&at, row, "transaction_hash", hash, theirs);
        d.field(&at, row, "log_index", opt(t.log_index), theirs);
        d.field(&at, row, "block_number", height, theirs);
    }
    d.assert_only(case, &[]);
}

#[test]
fn stream_parity_traces_match_ethereum_etl() {
    let mut d = Diffs::default();
    for (case, block) in [
        ("test_stream/blocks_2112234_2112234", "0x203aea"),
        ("test_stream/blocks_508110_508110", "0x7c0ce"),
    ] {
        let json = read(case, &format!("web3_response.trace_block_{block}.json"));
        let traces =
            Traces::Parity(decode_parity_traces(&json).unwrap_or_else(|e| panic!("{case}: {e}")));
        compare_traces(
            &mut d,
            &format!("{case}/expected_traces.json"),
            &traces.flatten(),
            &json_rows(case, "expected_traces.json"),
            true,
        );
    }
    d.assert_only("test_stream traces", &[]);
}
