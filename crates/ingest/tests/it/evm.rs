//! Ingest from a real local EVM node (anvil, installed by `scripts/setup.sh`).

use alloy_primitives::{B256, U256};
use chainward_devnode::{DevNode, standard_scenario};
use chainward_evm_rpc::{ClientOptions, TraceMode};
use chainward_ingest::evm::EvmRpcSource;
use chainward_ingest::{BlockSource, Event, IngestOptions, ingest};
use chainward_primitives::ledger::{Network, TransferKind, TxStatus};
use chainward_store::SqliteStore;
use chainward_store_api::ChainStore;

/// Sends and waits until mined: anvil's automine can answer before the block exists.
fn send_mined(
    node: &DevNode,
    from: alloy_primitives::Address,
    to: alloy_primitives::Address,
    wei: U256,
) -> B256 {
    let hash = node.send_eth(from, to, wei).unwrap();
    node.wait_receipt(hash).unwrap();
    hash
}

fn source(node: &DevNode) -> EvmRpcSource {
    EvmRpcSource::connect(node.url(), ClientOptions::default(), TraceMode::Auto).unwrap()
}

#[test]
fn every_transfer_of_the_scenario_is_in_the_store() {
    let node = DevNode::start().unwrap();
    let scenario = standard_scenario(&node);
    let data = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(data.path()).unwrap();
    let options = IngestOptions { batch_blocks: 3, ..IngestOptions::default() };
    let summary = ingest(&mut store, &mut source(&node), &options, &mut |_| {}).unwrap();
    let network = Network::evm(node.chain_id());
    assert_eq!(summary.tip.unwrap().height, node.block_number().unwrap());

    let mut kinds = std::collections::BTreeSet::new();
    for expected in &scenario.expected {
        let (_, stored) = store
            .transaction(network, expected.hash)
            .unwrap()
            .unwrap_or_else(|| panic!("{} ({}) is not stored", expected.label, expected.hash));
        assert_eq!(stored.status, expected.status, "{}", expected.label);
        assert_eq!(stored.transfers, expected.transfers, "{}", expected.label);
        assert!(stored.fee.is_some_and(|fee| fee > U256::ZERO), "{}: fee", expected.label);
        kinds.extend(stored.transfers.iter().map(|t| format!("{:?}", t.kind)));
    }
    for kind in
        [TransferKind::Native, TransferKind::Internal, TransferKind::Erc20, TransferKind::Erc721]
    {
        assert!(kinds.contains(&format!("{kind:?}")), "no {kind:?} transfer in {kinds:?}");
    }
    assert!(scenario.expected.iter().any(|t| t.status == TxStatus::Failed));
    let stats = store.chain_stats().unwrap();
    let stored = stats.networks.iter().find(|n| n.network == network).unwrap();
    assert_eq!(
        stored.failed_transactions as usize,
        scenario.expected.iter().filter(|t| t.status == TxStatus::Failed).count()
    );
}

#[test]
fn blocks_replaced_after_evm_revert_are_unwound_and_replaced() {
    let node = DevNode::start().unwrap();
    let accounts = node.accounts().to_vec();
    let ether = U256::from(10u64).pow(U256::from(18u64));
    for _ in 0..2 {
        send_mined(&node, accounts[0], accounts[1], ether);
    }
    let snapshot = node.snapshot().unwrap();
    let stale: Vec<B256> =
        (0..3).map(|_| send_mined(&node, accounts[0], accounts[2], ether)).collect();

    let data = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(data.path()).unwrap();
    let network = Network::evm(node.chain_id());
    let mut rpc = source(&node);
    ingest(&mut store, &mut rpc, &IngestOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(store.tip(network).unwrap().unwrap().height, 5);
    assert!(store.transaction(network, stale[2]).unwrap().is_some());

    node.revert(&snapshot).unwrap();
    let replacing: Vec<B256> =
        (0..4).map(|_| send_mined(&node, accounts[3], accounts[4], ether)).collect();
    let mut events = Vec::new();
    let summary =
        ingest(&mut store, &mut rpc, &IngestOptions::default(), &mut |e| events.push(e.clone()))
            .unwrap();
    assert_eq!(summary.reorgs, 1, "{events:?}");
    let reorg = events.iter().find_map(|e| match e {
        Event::Reorg { fork_height, depth, .. } => Some((*fork_height, *depth)),
        _ => None,
    });
    assert_eq!(reorg, Some((2, 3)));
    assert_eq!(store.tip(network).unwrap().unwrap().height, 6);
    for height in 0..=6 {
        assert_eq!(
            store.hash_at(network, height).unwrap(),
            rpc.hash_at(height).unwrap(),
            "block {height}"
        );
    }
    for hash in &stale {
        assert!(store.transaction(network, *hash).unwrap().is_none(), "stale {hash} left");
    }
    for hash in &replacing {
        let (_, tx) = store.transaction(network, *hash).unwrap().unwrap();
        assert_eq!(tx.transfers.len(), 1);
        assert_eq!(tx.transfers[0].amount, ether);
    }
}

#[test]
fn confirmations_hold_back_the_newest_blocks() {
    let node = DevNode::start().unwrap();
    let accounts = node.accounts().to_vec();
    for _ in 0..6 {
        send_mined(&node, accounts[0], accounts[1], U256::from(1u64));
    }
    let data = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(data.path()).unwrap();
    let options = IngestOptions { confirmations: 2, ..IngestOptions::default() };
    ingest(&mut store, &mut source(&node), &options, &mut |_| {}).unwrap();
    let network = Network::evm(node.chain_id());
    assert_eq!(store.tip(network).unwrap().unwrap().height, node.block_number().unwrap() - 2);
}

/// Blocks fetched with hashes only, their transactions rebuilt from receipts and Parity traces
/// (the fast path on anvil), are exactly the blocks fetched with full transaction objects:
/// every transfer, fee and status of the scenario (ETH, ERC-20, ERC-721, internal, reverted).
#[test]
fn rebuilt_transactions_equal_full_transaction_objects() {
    use chainward_evm_rpc::EvmFetcher;
    let node = DevNode::start().unwrap();
    standard_scenario(&node);
    let tip = node.block_number().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (lean, full) = runtime.block_on(async {
        let lean = EvmFetcher::connect(node.url(), ClientOptions::default()).await.unwrap();
        // The first block tells the fetcher the node serves eth_getBlockReceipts.
        lean.fetch_block(1).await.unwrap();
        let lean_blocks = lean.fetch_range(1..=tip).await.unwrap();
        assert!(lean.rebuilds_transactions(), "anvil's answers allow rebuilding");
        let full = EvmFetcher::connect(node.url(), ClientOptions::default())
            .await
            .unwrap()
            .with_full_transactions(true);
        let full_blocks = full.fetch_range(1..=tip).await.unwrap();
        (lean_blocks, full_blocks)
    });
    assert_eq!(lean.len() as u64, tip);
    let transfers: usize =
        lean.iter().flat_map(|b| &b.transactions).map(|t| t.transfers.len()).sum();
    assert!(transfers >= 8, "the scenario moves value: {transfers} transfers");
    for (l, f) in lean.iter().zip(&full) {
        assert_eq!(l, f, "block {}", f.block.height);
    }
}
