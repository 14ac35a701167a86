//! `test_export_blocks_job`: `eth_getBlockByNumber(n, true)` → blocks and transactions.

use crate::common::{Diffs, Row, csv_rows, files, opt, read};
use chainward_chain_ethereum::{RpcBlock, decode_block, normalize};
use chainward_primitives::ledger::TransferKind;

/// Cases with both recorded RPC and expected output. Not compared:
/// `blocks_with_transactions_and_withdrawals` (only the expected output is in the fixtures).
const CASES: &[&str] =
    &["block_with_logs", "block_without_transactions", "blocks_with_transactions"];

pub(crate) fn load_blocks(case: &str) -> Vec<RpcBlock> {
    files(case, "web3_response.eth_getBlockByNumber_")
        .iter()
        .filter(|f| f.ends_with("_true.json"))
        .map(|f| decode_block(&read(case, f)).unwrap_or_else(|e| panic!("{case}/{f}: {e}")))
        .collect()
}

/// Compares one block's fields with an ethereum-etl block row.
pub(crate) fn compare_block(d: &mut Diffs, at: &str, row: usize, b: &RpcBlock, theirs: &Row) {
    d.field(at, row, "number", b.number, theirs);
    d.field(at, row, "hash", b.hash, theirs);
    d.field(at, row, "parent_hash", b.parent_hash, theirs);
    d.field(at, row, "miner", opt(b.miner), theirs);
    d.field(at, row, "gas_limit", b.gas_limit, theirs);
    d.field(at, row, "gas_used", b.gas_used, theirs);
    d.field(at, row, "timestamp", b.timestamp, theirs);
    d.field(at, row, "transaction_count", b.transactions.len(), theirs);
    d.field(at, row, "base_fee_per_gas", opt(b.base_fee_per_gas), theirs);
}

/// Compares every transaction field we carry with an ethereum-etl transaction row, and the
/// normalized transaction (index, native transfer) as well.
pub(crate) fn compare_transactions(d: &mut Diffs, at: &str, blocks: &[RpcBlock], rows: &[Row]) {
    let ours: Vec<_> =
        blocks.iter().flat_map(|b| b.transactions.iter().map(move |t| (b, t))).collect();
    if ours.len() != rows.len() {
        d.note(format!("{at}: ours has {} transactions, theirs {}", ours.len(), rows.len()));
    }
    for (row, theirs) in rows.iter().enumerate() {
        let Some(&(b, tx)) = ours.iter().find(|(_, t)| t.hash.to_string() == theirs["hash"]) else {
            d.note(format!("{at} row {row}: transaction {} not decoded by us", theirs["hash"]));
            continue;
        };
        d.field(at, row, "hash", tx.hash, theirs);
        d.field(at, row, "nonce", tx.nonce, theirs);
        d.field(at, row, "block_hash", opt(tx.block_hash), theirs);
        d.field(at, row, "block_number", opt(tx.block_number), theirs);
        d.field(at, row, "transaction_index", opt(tx.transaction_index), theirs);
        d.field(at, row, "from_address", tx.from, theirs);
        d.field(at, row, "to_address", opt(tx.to), theirs);
        d.field(at, row, "value", tx.value, theirs);
        d.field(at, row, "gas", tx.gas, theirs);
        d.field(at, row, "gas_price", opt(tx.gas_price), theirs);
        d.field(at, row, "input", &tx.input, theirs);
        d.field(at, row, "block_timestamp", b.timestamp, theirs);
        d.field(at, row, "max_fee_per_gas", opt(tx.max_fee_per_gas), theirs);
        d.field(at, row, "max_priority_fee_per_gas", opt(tx.max_priority_fee_per_gas), theirs);
        // Mapping: a node that omits `type` sent a legacy transaction; ethereum-etl writes 0.
        d.field(at, row, "transaction_type", tx.tx_type.unwrap_or(0), theirs);

        // The normalized model (no receipts: status assumed Success, fee unknown).
        let block = normalize(1, b, &[], None).unwrap_or_else(|e| panic!("{at}: {e}"));
        let Some(n) = block.transactions.iter().find(|t| t.hash == tx.hash) else {
            d.note(format!("{at} row {row}: normalized block lacks the transaction"));
            continue;
        };
        d.field(at, row, "transaction_index", n.index, theirs);
        d.field(at, row, "block_number", block.block.height, theirs);
        d.field(at, row, "block_hash", block.block.hash, theirs);
        d.field(at, row, "block_timestamp", block.timestamp, theirs);
        let native = n.transfers.iter().find(|t| t.kind == TransferKind::Native);
        d.field(
            at,
            row,
            "value",
            native.map_or_else(|| "0".to_owned(), |t| t.amount.to_string()),
            theirs,
        );
        if let Some(t) = native {
            d.field(at, row, "to_address", t.to.canonical(), theirs);
            d.field(at, row, "from_address", t.from.canonical(), theirs);
        }
    }
}

#[test]
fn export_blocks_job_matches_ethereum_etl() {
    let mut d = Diffs::default();
    for case in CASES {
        let case = format!("test_export_blocks_job/{case}");
        let blocks = load_blocks(&case);
        let block_rows = csv_rows(&case, "expected_blocks.csv");
        let at = format!("{case}/expected_blocks.csv");
        if blocks.len() != block_rows.len() {
            d.note(format!("{at}: ours has {} blocks, theirs {}", blocks.len(), block_rows.len()));
        }
        for (row, theirs) in block_rows.iter().enumerate() {
            match blocks.iter().find(|b| b.number.to_string() == theirs["number"]) {
                Some(b) => compare_block(&mut d, &at, row, b, theirs),
                None => d.note(format!("{at} row {row}: block not decoded by us")),
            }
        }
        let tx_rows = csv_rows(&case, "expected_transactions.csv");
        compare_transactions(
            &mut d,
            &format!("{case}/expected_transactions.csv"),
            &blocks,
            &tx_rows,
        );
    }
    d.assert_only("test_export_blocks_job", &[]);
}
