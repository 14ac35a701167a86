//! Against a real anvil: the standard scenario's transfers, in every trace mode; batching;
//! tip, hashes and missing blocks; the receipts fallback on recorded answers.

use crate::responder::{JsonRpc, Reply, methods};
use chainward_devnode::{DevNode, Scenario, standard_scenario};
use chainward_evm_rpc::{ClientOptions, EvmFetcher, FetchError, RpcClient, TraceMode};
use chainward_primitives::ledger::{Block, Transfer, TransferKind};
use serde_json::{Value, json};
use std::collections::HashMap;
use wiremock::MockServer;
use wiremock::matchers::method;

/// A node with the standard scenario on it.
fn scenario_node() -> (DevNode, Scenario) {
    let node = DevNode::start().expect("anvil starts (run `bash scripts/setup.sh`)");
    let scenario = standard_scenario(&node);
    (node, scenario)
}

async fn fetcher(node: &DevNode, mode: TraceMode) -> EvmFetcher {
    EvmFetcher::connect(node.url(), ClientOptions::default())
        .await
        .expect("connects")
        .with_trace_mode(mode)
}

/// Every transaction of `blocks` is one of the scenario's, with its status, a fee, and exactly
/// the expected transfers that `keep` keeps; every expected transaction is there.
fn assert_scenario(blocks: &[Block], scenario: &Scenario, keep: impl Fn(&Transfer) -> bool) {
    let heights: Vec<u64> = blocks.iter().map(|b| b.block.height).collect();
    assert_eq!(heights, scenario.blocks.clone().collect::<Vec<_>>(), "blocks in height order");
    for pair in blocks.windows(2) {
        assert_eq!(pair[1].parent_hash, pair[0].block.hash, "blocks link");
    }
    let mut seen = 0;
    for block in blocks {
        assert_eq!(block.evm_chain_id, Some(31337));
        for tx in &block.transactions {
            let expected = scenario
                .get(tx.hash)
                .unwrap_or_else(|| panic!("transaction {} is not the scenario's", tx.hash));
            assert_eq!(tx.status, expected.status, "{}: status", expected.label);
            assert!(
                tx.fee.is_some_and(|fee| !fee.is_zero()),
                "{}: fee {:?}",
                expected.label,
                tx.fee
            );
            let want: Vec<Transfer> =
                expected.transfers.iter().filter(|t| keep(t)).cloned().collect();
            assert_eq!(tx.transfers, want, "{}: transfers", expected.label);
            seen += 1;
        }
    }
    assert_eq!(seen, scenario.expected.len(), "every scenario transaction was fetched");
}

fn internal(blocks: &[Block]) -> Vec<&Transfer> {
    blocks
        .iter()
        .flat_map(|b| &b.transactions)
        .flat_map(|t| &t.transfers)
        .filter(|t| t.kind == TransferKind::Internal)
        .collect()
}

#[tokio::test]
async fn parity_and_geth_traces_give_the_scenario_transfers() {
    let (node, scenario) = scenario_node();
    let parity = fetcher(&node, TraceMode::Parity).await;
    let geth = fetcher(&node, TraceMode::Geth).await;
    let by_parity = parity.fetch_range(scenario.blocks.clone()).await.expect("fetched (Parity)");
    let by_geth = geth.fetch_range(scenario.blocks.clone()).await.expect("fetched (Geth)");

    assert_scenario(&by_parity, &scenario, |_| true);
    assert_scenario(&by_geth, &scenario, |_| true);
    let internal_parity = internal(&by_parity);
    assert_eq!(internal_parity.len(), 5, "forward 1, split 3 (one nested), receive 1");
    assert_eq!(internal_parity, internal(&by_geth), "both trace families agree");
    assert_eq!(by_parity, by_geth, "whole blocks agree");
}

#[tokio::test]
async fn auto_probes_once_and_finds_parity_traces_on_anvil() {
    let (node, scenario) = scenario_node();
    let auto = fetcher(&node, TraceMode::Auto).await;
    assert_eq!(auto.resolved_trace_mode(), None, "not probed before the first fetch");
    let blocks = auto.fetch_range(scenario.blocks.clone()).await.expect("fetched");
    assert_eq!(auto.resolved_trace_mode(), Some(TraceMode::Parity));
    assert_eq!(auto.receipts_per_transaction(), Some(false), "anvil serves eth_getBlockReceipts");
    assert_scenario(&blocks, &scenario, |_| true);
}

#[tokio::test]
async fn without_traces_only_internal_transfers_are_missing() {
    let (node, scenario) = scenario_node();
    let plain = fetcher(&node, TraceMode::None).await;
    let blocks = plain.fetch_range(scenario.blocks.clone()).await.expect("fetched");
    assert_scenario(&blocks, &scenario, |t| t.kind != TransferKind::Internal);
}

#[tokio::test]
async fn a_batch_of_120_comes_back_in_request_order() {
    let node = DevNode::start().expect("anvil starts");
    node.mine(130).expect("mined");
    let options = ClientOptions { max_batch_size: 50, ..ClientOptions::default() };
    let client = RpcClient::new(node.url(), options).expect("client");
    let heights: Vec<u64> = (1..=120).rev().collect();
    let calls: Vec<(&str, Value)> = heights
        .iter()
        .map(|h| ("eth_getBlockByNumber", json!([format!("{h:#x}"), false])))
        .collect();
    let answers = client.batch_raw(&calls).await;
    assert_eq!(answers.len(), 120);
    for (height, answer) in heights.iter().zip(answers) {
        let block: Value = serde_json::from_str(answer.expect("answered").get()).expect("JSON");
        assert_eq!(block["number"], json!(format!("{height:#x}")));
    }

    // One bad call in a batch fails alone, naming its method.
    let calls = [
        ("eth_blockNumber", json!([])),
        ("eth_noSuchMethod", json!([1])),
        ("eth_chainId", json!([])),
    ];
    let answers = client.batch_raw(&calls).await;
    assert_eq!(answers[0].as_ref().expect("answered").get(), r#""0x82""#);
    let error = answers[1].as_ref().expect_err("unknown method");
    assert!(error.is_method_not_found(), "{error}");
    assert!(error.to_string().contains("eth_noSuchMethod([1])"), "{error}");
    assert_eq!(answers[2].as_ref().expect("answered").get(), r#""0x7a69""#);
}

#[tokio::test]
async fn tip_hashes_and_blocks_beyond_the_tip() {
    let node = DevNode::start().expect("anvil starts");
    node.mine(5).expect("mined");
    let fetcher = fetcher(&node, TraceMode::Parity).await;
    assert_eq!(fetcher.chain_id(), 31337);
    let tip = fetcher.tip().await.expect("tip");
    assert_eq!(tip, 5);
    let hash = fetcher.block_hash(tip).await.expect("hash").expect("the tip exists");
    let block = fetcher.fetch_block(tip).await.expect("fetched");
    assert_eq!(block.block.hash, hash);
    assert_eq!(fetcher.block_hash(tip + 1).await.expect("answered"), None);
    let missing = fetcher.fetch_block(tip + 1).await.expect_err("beyond the tip");
    assert!(matches!(missing, FetchError::NotFound { height: 6 }), "{missing}");
    assert!(missing.to_string().contains("block 6"), "{missing}");
    #[allow(clippy::reversed_empty_ranges)] // on purpose: an empty range is no error
    let empty = fetcher.fetch_range(3..=2).await.expect("an empty range");
    assert!(empty.is_empty());
}

#[tokio::test]
async fn a_reorganized_height_has_a_new_hash() {
    let node = DevNode::start().expect("anvil starts");
    let [a0, a1, a2] = [node.accounts()[0], node.accounts()[1], node.accounts()[2]];
    let snapshot = node.snapshot().expect("snapshot");
    let sent = node.send_eth(a0, a1, alloy_primitives::U256::from(1u8)).expect("sent");
    node.wait_receipt(sent).expect("mined");
    let fetcher = fetcher(&node, TraceMode::Parity).await;
    let before = fetcher.fetch_block(1).await.expect("fetched");

    node.revert(&snapshot).expect("reverted");
    let sent = node.send_eth(a0, a2, alloy_primitives::U256::from(2u8)).expect("sent");
    node.wait_receipt(sent).expect("mined");
    let after = fetcher.fetch_block(1).await.expect("fetched");
    assert_ne!(before.block.hash, after.block.hash);
    assert_eq!(fetcher.block_hash(1).await.expect("hash"), Some(after.block.hash));
    assert_eq!(after.transactions[0].transfers[0].amount, alloy_primitives::U256::from(2u8));
}

/// A node without `eth_getBlockReceipts`: anvil's own answers, served by a mock that refuses
/// that one method. The fetcher falls back to `eth_getTransactionReceipt`, remembers it, and
/// produces the same block as from anvil itself.
#[tokio::test]
async fn falls_back_to_receipts_per_transaction_and_remembers() {
    let (node, scenario) = scenario_node();
    let real = fetcher(&node, TraceMode::Parity).await;
    let client = real.client().clone();
    let blocks = real.fetch_range(scenario.blocks.clone()).await.expect("fetched");
    let busiest = blocks.iter().max_by_key(|b| b.transactions.len()).expect("blocks");
    let height = format!("{:#x}", busiest.block.height);
    assert!(busiest.transactions.len() >= 10);

    let recorded_block: Value =
        client.call("eth_getBlockByNumber", &json!([height, true])).await.expect("block");
    let recorded_traces: Value =
        client.call("trace_block", &json!([height])).await.expect("traces");
    let mut receipts = HashMap::new();
    for tx in &busiest.transactions {
        let receipt: Value =
            client.call("eth_getTransactionReceipt", &json!([tx.hash])).await.expect("receipt");
        receipts.insert(format!("{}", tx.hash), receipt);
    }

    let server = MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(JsonRpc(move |method: &str, params: &Value| match method {
            "eth_chainId" => Reply::Result(json!("0x7a69")),
            "eth_getBlockByNumber" => Reply::Result(recorded_block.clone()),
            "trace_block" => Reply::Result(recorded_traces.clone()),
            "eth_getBlockReceipts" => Reply::Error(-32601, "Method not found"),
            "eth_getTransactionReceipt" => {
                let hash = params[0].as_str().unwrap_or_default();
                Reply::Result(receipts.get(hash).cloned().unwrap_or(Value::Null))
            }
            _ => Reply::Error(-32601, "Method not found"),
        }))
        .mount(&server)
        .await;

    let mocked = EvmFetcher::connect(&server.uri(), ClientOptions::default())
        .await
        .expect("connects")
        .with_trace_mode(TraceMode::Parity);
    let first = mocked.fetch_block(busiest.block.height).await.expect("fetched");
    assert_eq!(&first, busiest, "the same block as from anvil");
    assert_eq!(mocked.receipts_per_transaction(), Some(true));
    let second = mocked.fetch_block(busiest.block.height).await.expect("fetched again");
    assert_eq!(&second, busiest);

    let sent = methods(&server).await;
    let count = |m: &str| sent.iter().filter(|s| s.as_str() == m).count();
    assert_eq!(count("eth_getBlockReceipts"), 1, "asked once, then remembered: {sent:?}");
    assert_eq!(count("eth_getTransactionReceipt"), 2 * busiest.transactions.len());
}
