//! Unit tests on hand-written JSON.

use crate::*;
use alloy_primitives::U256;
use chainward_primitives::ledger::{Asset, TransferKind, TxStatus};

const BLOCK_HASH: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const TX: &str = "0x3333333333333333333333333333333333333333333333333333333333333333";
const FROM: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKEN: &str = "0xcccccccccccccccccccccccccccccccccccccccc";
const TRANSFER: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

fn block_json(to: &str, value: &str) -> String {
    format!(
        r#"{{"number":"0x10","hash":"{BLOCK_HASH}",
        "parentHash":"0x2222222222222222222222222222222222222222222222222222222222222222",
        "timestamp":"0x64","gasLimit":"0x1c9c380","gasUsed":"0x5208",
        "transactions":[{{"hash":"{TX}","nonce":"0x1","from":"{FROM}","to":{to},
        "value":"{value}","gas":"0x30000","gasPrice":"0x2","input":"0x"}}]}}"#
    )
}

fn receipt_json(status: &str, contract: &str, logs: &str) -> String {
    format!(
        r#"[{{"transactionHash":"{TX}","blockHash":"{BLOCK_HASH}","cumulativeGasUsed":"0x100",
        "gasUsed":"0x100","status":"{status}","effectiveGasPrice":"0x3",
        "contractAddress":{contract},"logs":[{logs}]}}]"#
    )
}

fn word(byte: &str) -> String {
    format!("0x{}{}", "0".repeat(24), byte.repeat(20))
}

fn transfer_log(topics: &[String], data: &str) -> String {
    let topics: Vec<String> = topics.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        r#"{{"address":"{TOKEN}","topics":[{}],"data":"{data}","logIndex":"0x7"}}"#,
        topics.join(",")
    )
}

fn run(
    block: &str,
    receipts: &str,
    traces: Option<&Traces>,
) -> chainward_primitives::ledger::Block {
    let block = decode_block(block.as_bytes()).expect("block");
    let receipts = decode_receipts(receipts.as_bytes()).expect("receipts");
    normalize(1, &block, &receipts, traces).expect("normalize")
}

fn erc20_log() -> String {
    transfer_log(&[TRANSFER.to_owned(), word("aa"), word("bb")], &format!("0x{:064x}", 500))
}

#[test]
fn reverted_tx_is_failed_with_fee_and_no_transfers() {
    let to = format!("\"{TOKEN}\"");
    let b = run(&block_json(&to, "0x5"), &receipt_json("0x0", "null", &erc20_log()), None);
    let tx = &b.transactions[0];
    assert_eq!(tx.status, TxStatus::Failed);
    assert_eq!(tx.fee, Some(U256::from(0x100 * 3)));
    assert!(tx.transfers.is_empty());
}

#[test]
fn successful_tx_has_native_and_erc20_transfers() {
    let to = format!("\"{TOKEN}\"");
    let b = run(&block_json(&to, "0x5"), &receipt_json("0x1", "null", &erc20_log()), None);
    let t = &b.transactions[0].transfers;
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].kind, TransferKind::Native);
    assert_eq!(t[0].amount, U256::from(5));
    assert_eq!(t[1].kind, TransferKind::Erc20);
    assert_eq!(t[1].amount, U256::from(500));
    assert_eq!(t[1].log_index, Some(7));
    assert_eq!(t[1].from.canonical().to_lowercase(), format!("0x{}", "aa".repeat(20)));
    assert_eq!(t[1].to.canonical().to_lowercase(), format!("0x{}", "bb".repeat(20)));
    assert!(matches!(&t[1].asset, Asset::Token { contract }
        if contract.canonical().to_lowercase() == TOKEN));
}

#[test]
fn contract_creation_value_goes_to_created_contract() {
    let created = "0xdddddddddddddddddddddddddddddddddddddddd";
    let b =
        run(&block_json("null", "0x9"), &receipt_json("0x1", &format!("\"{created}\""), ""), None);
    let t = &b.transactions[0].transfers;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].kind, TransferKind::Native);
    assert_eq!(t[0].to.canonical().to_lowercase(), created);
}

#[test]
fn erc721_log_is_a_transfer_with_token_id() {
    let log = transfer_log(
        &[TRANSFER.to_owned(), word("aa"), word("bb"), format!("0x{:064x}", 42)],
        "0x",
    );
    let b = run(&block_json("null", "0x0"), &receipt_json("0x1", "null", &log), None);
    let t = &b.transactions[0].transfers;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].kind, TransferKind::Erc721);
    assert_eq!(t[0].amount, U256::from(1));
    assert_eq!(t[0].token_id, Some(U256::from(42)));
}

#[test]
fn malformed_transfer_logs_are_not_transfers() {
    let two_topics = transfer_log(&[TRANSFER.to_owned(), word("aa")], &format!("0x{:0128x}", 500));
    let short_data = transfer_log(&[TRANSFER.to_owned(), word("aa"), word("bb")], "0x01");
    let logs = format!("{two_topics},{short_data}");
    let b = run(&block_json("null", "0x0"), &receipt_json("0x1", "null", &logs), None);
    assert!(b.transactions[0].transfers.is_empty());
}

#[test]
fn geth_errored_subtree_yields_no_internal_transfers() {
    let traces = format!(
        r#"[{{"txHash":"{TX}","result":{{"type":"CALL","from":"{FROM}","to":"{TOKEN}","value":"0x0",
        "calls":[
          {{"type":"CALL","from":"{TOKEN}","to":"0x0000000000000000000000000000000000000001","value":"0x7"}},
          {{"type":"CALL","from":"{TOKEN}","to":"0x0000000000000000000000000000000000000002","value":"0x8",
            "error":"execution reverted",
            "calls":[{{"type":"CALL","from":"0x0000000000000000000000000000000000000002",
                       "to":"0x0000000000000000000000000000000000000003","value":"0x9"}}]}},
          {{"type":"DELEGATECALL","from":"{TOKEN}","to":"0x0000000000000000000000000000000000000004","value":"0xa"}}
        ]}}}}]"#
    );
    let traces = Traces::Geth(decode_geth_call_traces(traces.as_bytes()).expect("traces"));
    let flat = traces.flatten();
    assert_eq!(flat.len(), 5);
    assert_eq!(flat[3].trace_address, vec![1, 0]);
    assert!(!flat[3].succeeded);
    let to = format!("\"{TOKEN}\"");
    let b = run(&block_json(&to, "0x0"), &receipt_json("0x1", "null", ""), Some(&traces));
    let t = &b.transactions[0].transfers;
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(t[0].kind, TransferKind::Internal);
    assert_eq!(t[0].amount, U256::from(7));
    assert_eq!(t[0].trace_address, Some(vec![0]));
}

#[test]
fn missing_receipt_is_lenient_or_an_error() {
    let to = format!("\"{TOKEN}\"");
    let block = decode_block(block_json(&to, "0x5").as_bytes()).expect("block");
    let b = normalize(1, &block, &[], None).expect("lenient");
    assert_eq!(b.transactions[0].status, TxStatus::Success);
    assert_eq!(b.transactions[0].fee, None);
    let err = normalize_with(1, &block, &[], None, NormalizeOptions::receipts_required())
        .expect_err("strict");
    assert!(matches!(err, DecodeError::MissingReceipt { index: 0, .. }), "{err}");
}

#[test]
fn errors_name_the_item_and_field() {
    let bad = block_json("\"0x12\"", "0x5");
    let err = decode_block(bad.as_bytes()).expect_err("bad address");
    assert!(err.to_string().starts_with("transaction #0:"), "{err}");
    let err = decode_block(br#"{"jsonrpc":"2.0","id":1,"result":null}"#).expect_err("null");
    assert!(matches!(err, DecodeError::NullResult { .. }));
    let err = decode_block(br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x"}}"#)
        .expect_err("rpc error");
    assert!(matches!(err, DecodeError::Rpc { code: -32000, .. }));
    let hashes = br#"{"number":"0x1","hash":"0x1111111111111111111111111111111111111111111111111111111111111111",
      "parentHash":"0x1111111111111111111111111111111111111111111111111111111111111111",
      "timestamp":"0x1","gasLimit":"0x1","gasUsed":"0x0","transactions":["0x12"]}"#;
    assert!(matches!(decode_block(hashes), Err(DecodeError::TransactionHashesOnly)));
    let err = decode_receipts(br#"[{"transactionHash":"0x12"}]"#).expect_err("bad receipt");
    assert!(err.to_string().starts_with("receipt #0:"), "{err}");
}

proptest::proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let _ = decode_block(&bytes);
        let _ = decode_receipts(&bytes);
        let _ = decode_logs(&bytes);
        let _ = decode_parity_traces(&bytes);
        let _ = decode_geth_call_traces(&bytes);
    }
}

#[test]
fn parity_traces_give_internal_transfers_and_pre_byzantium_failure() {
    let traces = format!(
        r#"{{"jsonrpc":"2.0","id":1,"result":[
        {{"type":"call","action":{{"callType":"call","from":"{FROM}","to":"{TOKEN}","value":"0x0",
          "gas":"0x0","input":"0x"}},"result":{{"gasUsed":"0x0","output":"0x"}},"subtraces":2,
          "traceAddress":[],"transactionHash":"{TX}","transactionPosition":0,"blockNumber":16}},
        {{"type":"call","action":{{"callType":"call","from":"{TOKEN}","to":"{FROM}","value":"0x4"}},
          "result":{{"gasUsed":"0x0"}},"subtraces":0,"traceAddress":[0],"transactionHash":"{TX}",
          "transactionPosition":0}},
        {{"type":"suicide","action":{{"address":"{TOKEN}","refundAddress":"{FROM}","balance":"0x6"}},
          "result":null,"subtraces":0,"traceAddress":[1],"transactionHash":"{TX}",
          "transactionPosition":0}},
        {{"type":"reward","action":{{"author":"{FROM}","rewardType":"block","value":"0x9"}},
          "result":null,"subtraces":0,"traceAddress":[],"transactionHash":null,
          "transactionPosition":null}}]}}"#
    );
    let parsed = decode_parity_traces(traces.as_bytes()).expect("traces");
    let to = format!("\"{TOKEN}\"");
    // Pre-Byzantium receipt: no status.
    let receipts = format!(
        r#"[{{"transactionHash":"{TX}","cumulativeGasUsed":"0x1","gasUsed":"0x1","logs":[]}}]"#
    );
    let ok = Traces::Parity(parsed.clone());
    let b = run(&block_json(&to, "0x0"), &receipts, Some(&ok));
    let t = &b.transactions[0];
    assert_eq!(t.status, TxStatus::Success);
    assert_eq!(t.fee, Some(U256::from(2)), "falls back to gasPrice");
    let kinds: Vec<_> =
        t.transfers.iter().map(|x| (x.kind, x.amount, x.trace_address.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (TransferKind::Internal, U256::from(4), Some(vec![0])),
            (TransferKind::Internal, U256::from(6), Some(vec![1])),
        ]
    );

    // The same transaction whose top-level call ran out of gas: failed, nothing moves.
    let mut failed = parsed;
    failed[0].error = Some("Out of gas".to_owned());
    let failed = Traces::Parity(failed);
    assert!(failed.flatten().iter().take(3).all(|t| !t.succeeded));
    let b = run(&block_json(&to, "0x5"), &receipts, Some(&failed));
    assert_eq!(b.transactions[0].status, TxStatus::Failed);
    assert!(b.transactions[0].transfers.is_empty());
}

#[test]
fn transactions_rebuilt_from_receipts_and_traces_match_the_full_block() {
    let to = "\"0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"";
    let full = run(&block_json(to, "0x5"), &receipt_json("0x1", "null", ""), None);
    let hashes_only = format!(
        r#"{{"number":"0x10","hash":"{BLOCK_HASH}",
        "parentHash":"0x2222222222222222222222222222222222222222222222222222222222222222",
        "timestamp":"0x64","gasLimit":"0x1c9c380","gasUsed":"0x5208","transactions":["{TX}"]}}"#
    );
    let (mut block, hashes) = decode_block_hashes(hashes_only.as_bytes()).unwrap();
    assert_eq!(hashes.len(), 1);
    let receipts_with_parties = receipt_json("0x1", "null", "").replacen(
        "\"cumulativeGasUsed\"",
        &format!("\"from\":\"{FROM}\",\"to\":{to},\"cumulativeGasUsed\""),
        1,
    );
    let receipts = decode_receipts(receipts_with_parties.as_bytes()).unwrap();
    let traces = decode_parity_traces(
        format!(
            r#"[{{"type":"call","action":{{"callType":"call","from":"{FROM}","to":{to},"value":"0x5",
            "gas":"0x0","input":"0x"}},"result":{{"gasUsed":"0x0","output":"0x"}},"subtraces":0,
            "traceAddress":[],"transactionHash":"{TX}","transactionPosition":0,"blockHash":"{BLOCK_HASH}"}}]"#
        )
        .as_bytes(),
    )
    .unwrap();
    block.transactions =
        transactions_from_receipts_and_traces(&hashes, &receipts, &traces).unwrap();
    let rebuilt = normalize(1, &block, &receipts, None).unwrap();
    assert_eq!(rebuilt, full);

    // A receipt without sender and recipient: the top-level call trace gives them.
    let anonymous = decode_receipts(receipt_json("0x1", "null", "").as_bytes()).unwrap();
    block.transactions =
        transactions_from_receipts_and_traces(&hashes, &anonymous, &traces).unwrap();
    assert_eq!(normalize(1, &block, &anonymous, None).unwrap(), full);

    // Without the top-level trace it refuses (the fetcher then asks for full blocks).
    let error = transactions_from_receipts_and_traces(&hashes, &receipts, &[]).unwrap_err();
    assert!(error.to_string().contains("top-level trace"), "{error}");
}
