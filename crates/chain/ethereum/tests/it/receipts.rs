//! `test_export_receipts_job`: `eth_getTransactionReceipt` → receipts and logs; joined with the
//! same block (483,920) from `test_export_blocks_job/block_with_logs` and checked against
//! `test_export_token_transfers_job/block_with_transfers`.

use crate::blocks::load_blocks;
use crate::common::{Diffs, Row, csv_rows, files, opt, read};
use chainward_chain_ethereum::{
    NormalizeOptions, RpcLog, RpcReceipt, decode_receipts, normalize_with,
};
use chainward_primitives::ledger::{Asset, TransferKind, TxStatus};

const CASE: &str = "test_export_receipts_job/receipts_with_logs";

pub(crate) fn load_receipts(case: &str) -> Vec<RpcReceipt> {
    files(case, "web3_response.eth_getTransactionReceipt_")
        .iter()
        .flat_map(|f| decode_receipts(&read(case, f)).unwrap_or_else(|e| panic!("{case}/{f}: {e}")))
        .collect()
}

pub(crate) fn compare_receipt(
    d: &mut Diffs,
    at: &str,
    row: usize,
    r: &RpcReceipt,
    theirs: &Row,
    prefix: &str,
) {
    let f = |name: &str| format!("{prefix}{name}");
    d.field(at, row, &f("cumulative_gas_used"), r.cumulative_gas_used, theirs);
    d.field(at, row, &f("gas_used"), r.gas_used, theirs);
    d.field(at, row, &f("contract_address"), opt(r.contract_address), theirs);
    d.field(at, row, &f("root"), opt(r.root), theirs);
    d.field(at, row, &f("status"), opt(r.status), theirs);
    d.field(at, row, &f("effective_gas_price"), opt(r.effective_gas_price), theirs);
}

pub(crate) fn compare_logs(d: &mut Diffs, at: &str, logs: &[&RpcLog], rows: &[Row]) {
    if logs.len() != rows.len() {
        d.note(format!("{at}: ours has {} logs, theirs {}", logs.len(), rows.len()));
    }
    for (row, theirs) in rows.iter().enumerate() {
        let Some(log) = logs.iter().find(|l| opt(l.log_index) == theirs["log_index"]) else {
            d.note(format!("{at} row {row}: log {} not decoded by us", theirs["log_index"]));
            continue;
        };
        let topics: Vec<String> = log.topics.iter().map(ToString::to_string).collect();
        d.field(at, row, "transaction_hash", opt(log.transaction_hash), theirs);
        d.field(at, row, "transaction_index", opt(log.transaction_index), theirs);
        d.field(at, row, "block_hash", opt(log.block_hash), theirs);
        d.field(at, row, "block_number", opt(log.block_number), theirs);
        d.field(at, row, "address", log.address, theirs);
        d.field(at, row, "data", &log.data, theirs);
        d.field(at, row, "topics", topics.join(","), theirs);
    }
}

#[test]
fn export_receipts_job_matches_ethereum_etl() {
    let receipts = load_receipts(CASE);
    let mut d = Diffs::default();
    let at = format!("{CASE}/expected_receipts.csv");
    let rows = csv_rows(CASE, "expected_receipts.csv");
    if receipts.len() != rows.len() {
        d.note(format!("{at}: ours has {} receipts, theirs {}", receipts.len(), rows.len()));
    }
    for (row, theirs) in rows.iter().enumerate() {
        let Some(r) =
            receipts.iter().find(|r| r.transaction_hash.to_string() == theirs["transaction_hash"])
        else {
            d.note(format!("{at} row {row}: receipt not decoded by us"));
            continue;
        };
        d.field(&at, row, "transaction_index", opt(r.transaction_index), theirs);
        d.field(&at, row, "block_hash", opt(r.block_hash), theirs);
        d.field(&at, row, "block_number", opt(r.block_number), theirs);
        compare_receipt(&mut d, &at, row, r, theirs, "");
    }
    let logs: Vec<&RpcLog> = receipts.iter().flat_map(|r| &r.logs).collect();
    compare_logs(
        &mut d,
        &format!("{CASE}/expected_logs.csv"),
        &logs,
        &csv_rows(CASE, "expected_logs.csv"),
    );
    d.assert_only("test_export_receipts_job", &[]);
}

/// Block 483,920 + its four receipts through `normalize`: statuses, fees, and the token
/// transfers ethereum-etl exported for the same block.
#[test]
fn normalized_block_483920_matches_ethereum_etl_token_transfers() {
    let blocks = load_blocks("test_export_blocks_job/block_with_logs");
    let receipts = load_receipts(CASE);
    let block =
        normalize_with(1, &blocks[0], &receipts, None, NormalizeOptions::receipts_required())
            .expect("normalize");
    let mut d = Diffs::default();
    let case = "test_export_token_transfers_job/block_with_transfers";
    let at = format!("{case}/expected_token_transfers.csv (via normalize)");
    let rows = csv_rows(case, "expected_token_transfers.csv");
    let ours: Vec<_> = block
        .transactions
        .iter()
        .flat_map(|t| {
            t.transfers.iter().filter(|x| x.kind == TransferKind::Erc20).map(move |x| (t, x))
        })
        .collect();
    if ours.len() != rows.len() {
        d.note(format!("{at}: ours has {} token transfers, theirs {}", ours.len(), rows.len()));
    }
    for (row, theirs) in rows.iter().enumerate() {
        let Some((tx, t)) = ours.iter().find(|(_, t)| opt(t.log_index) == theirs["log_index"])
        else {
            d.note(format!("{at} row {row}: not produced by us"));
            continue;
        };
        let Asset::Token { contract } = &t.asset else { unreachable!("erc20 has a token") };
        d.field(&at, row, "token_address", contract.canonical(), theirs);
        d.field(&at, row, "from_address", t.from.canonical(), theirs);
        d.field(&at, row, "to_address", t.to.canonical(), theirs);
        d.field(&at, row, "value", t.amount, theirs);
        d.field(&at, row, "transaction_hash", tx.hash, theirs);
        d.field(&at, row, "block_number", block.block.height, theirs);
    }
    // Fees: gas_used × effective_gas_price, from ethereum-etl's receipt rows.
    let at = format!("{CASE}/expected_receipts.csv (fee via normalize)");
    for (row, theirs) in csv_rows(CASE, "expected_receipts.csv").iter().enumerate() {
        let tx =
            block.transactions.iter().find(|t| t.hash.to_string() == theirs["transaction_hash"]);
        let fee: Option<u128> = theirs["gas_used"]
            .parse::<u128>()
            .ok()
            .zip(theirs["effective_gas_price"].parse::<u128>().ok())
            .map(|(g, p)| g * p);
        let mut fake = Row::new();
        fake.insert("fee".to_owned(), opt(fee));
        fake.insert("status".to_owned(), "Success".to_owned());
        d.field(&at, row, "fee", opt(tx.and_then(|t| t.fee)), &fake);
        // Pre-Byzantium receipts have no status (ethereum-etl leaves it empty); we say Success.
        d.field(
            &at,
            row,
            "status",
            tx.map(|t| format!("{:?}", t.status)).unwrap_or_default(),
            &fake,
        );
    }
    assert!(block.transactions.iter().all(|t| t.status == TxStatus::Success));
    d.assert_only("block 483920 normalized", &[]);
}
