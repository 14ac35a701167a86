//! `test_export_token_transfers_job` (logs from `eth_getFilterLogs`) and
//! `test_extract_token_transfers_job` (logs from ethereum-etl's `logs.csv`) → token transfers.

use crate::common::{Diffs, Row, csv_rows, opt, read};
use alloy_primitives::{Address, B256, Bytes};
use chainward_chain_ethereum::{RpcLog, decode_logs, token_transfer};
use chainward_primitives::ledger::{Asset, TransferKind};

/// Compares the token transfers our extractor finds in `logs` with ethereum-etl's rows.
fn compare(d: &mut Diffs, at: &str, logs: &[RpcLog], tx_hashes: &[String], rows: &[Row]) {
    let ours: Vec<_> = logs
        .iter()
        .zip(tx_hashes)
        .filter_map(|(l, h)| token_transfer(l).map(|t| (l, h, t)))
        .collect();
    if ours.len() != rows.len() {
        d.note(format!("{at}: ours has {} token transfers, theirs {}", ours.len(), rows.len()));
    }
    for (row, theirs) in rows.iter().enumerate() {
        let Some((log, hash, t)) =
            ours.iter().find(|(l, _, _)| opt(l.log_index) == theirs["log_index"])
        else {
            d.note(format!("{at} row {row}: not produced by us"));
            continue;
        };
        let Asset::Token { contract } = &t.asset else { unreachable!("token transfer") };
        d.field(at, row, "token_address", contract.canonical(), theirs);
        d.field(at, row, "from_address", t.from.canonical(), theirs);
        d.field(at, row, "to_address", t.to.canonical(), theirs);
        // ethereum-etl's `value` is the third word: the amount (ERC-20) or token id (ERC-721).
        let value =
            if t.kind == TransferKind::Erc721 { opt(t.token_id) } else { t.amount.to_string() };
        d.field(at, row, "value", value, theirs);
        d.field(at, row, "transaction_hash", hash, theirs);
        d.field(at, row, "log_index", opt(t.log_index), theirs);
        if let Some(n) = log.block_number {
            d.field(at, row, "block_number", n, theirs);
        }
    }
}

#[test]
fn export_token_transfers_job_matches_ethereum_etl() {
    let case = "test_export_token_transfers_job/block_with_transfers";
    let logs = decode_logs(&read(case, "web3_response.eth_getFilterLogs_0x0.json")).expect("logs");
    let hashes: Vec<String> = logs.iter().map(|l| opt(l.transaction_hash)).collect();
    let mut d = Diffs::default();
    compare(
        &mut d,
        &format!("{case}/expected_token_transfers.csv"),
        &logs,
        &hashes,
        &csv_rows(case, "expected_token_transfers.csv"),
    );
    d.assert_only(case, &[]);
}

#[test]
fn extract_token_transfers_job_matches_ethereum_etl() {
    let case = "test_extract_token_transfers_job/logs";
    let rows = csv_rows(case, "logs.csv");
    let mut logs = Vec::new();
    let mut hashes = Vec::new();
    for row in &rows {
        let topics: Vec<B256> = row["topics"]
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().expect("topic"))
            .collect();
        let address: Address = row["address"].parse().expect("address");
        let data: Bytes = row["data"].parse().expect("data");
        let log_index = row["log_index"].parse().expect("log index");
        logs.push(RpcLog::new(address, topics, data, Some(log_index)));
        hashes.push(row["transaction_hash"].clone());
    }
    let mut d = Diffs::default();
    compare(
        &mut d,
        &format!("{case}/expected_token_transfers.csv"),
        &logs,
        &hashes,
        &csv_rows(case, "expected_token_transfers.csv"),
    );
    d.assert_only(case, &[]);
}
