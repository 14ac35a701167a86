//! The graph against the store it is built from: every movement becomes an edge, updates equal a
//! rebuild (through reorgs), and snapshots round-trip or are refused.

use alloy_primitives::{B256, U256};
use chainward_graph::{BlockEnd, EdgeId, GraphBuilder, NodeId, TransferGraph, snapshot, store};
use chainward_primitives::ledger::{
    Asset, Block, BlockRef, Network, OutPoint, ScriptType, Transaction, Transfer, TransferKind,
    TxInput, TxOutput, TxStatus,
};
use chainward_primitives::{Address, Category, Chain};
use chainward_store::SqliteStore;
use chainward_store_api::{ChainBatch, ChainStore, GraphSource};

fn evm(n: u8) -> Address {
    Address::evm([n; 20])
}

fn btc(n: u8) -> Address {
    Address::from_pubkey_hash(Chain::Bitcoin, &[n; 20]).expect("p2pkh")
}

fn hash(tag: u64, salt: u64) -> B256 {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&tag.to_be_bytes());
    bytes[8..16].copy_from_slice(&salt.to_be_bytes());
    B256::from(bytes)
}

fn transfer(from: u8, to: u8, amount: u64, token: Option<u8>) -> Transfer {
    Transfer {
        kind: if token.is_some() { TransferKind::Erc20 } else { TransferKind::Native },
        from: evm(from),
        to: evm(to),
        asset: token.map_or(Asset::Native, |t| Asset::Token { contract: evm(t) }),
        amount: U256::from(amount),
        token_id: None,
        log_index: None,
        trace_address: None,
    }
}

fn evm_block(height: u64, salt: u64, txs: Vec<(TxStatus, Vec<Transfer>)>) -> Block {
    Block {
        chain: Chain::Evm,
        evm_chain_id: Some(1),
        block: BlockRef { height, hash: hash(height, salt) },
        parent_hash: if height == 0 {
            B256::ZERO
        } else {
            hash(height - 1, if height > 3 { salt } else { 0 })
        },
        timestamp: 1_700_000_000 + height * 12,
        transactions: txs
            .into_iter()
            .enumerate()
            .map(|(i, (status, transfers))| Transaction {
                hash: hash(height * 100 + i as u64, salt + 7),
                index: i as u32,
                status,
                fee: None,
                inputs: vec![],
                outputs: vec![],
                transfers,
            })
            .collect(),
    }
}

fn apply(store: &mut SqliteStore, network: Network, unwind_from: Option<u64>, blocks: &[Block]) {
    store
        .apply(&ChainBatch {
            source: "test",
            network,
            unwind_from,
            blocks,
            written_at: "2026-01-01T00:00:00Z",
        })
        .expect("apply");
}

/// Edges as comparable tuples, resolved to store ids (node numbering of transactions differs
/// between graphs; their store ids do not).
fn edge_set(graph: &TransferGraph) -> Vec<(String, String, u64, u32, u32)> {
    let name = |n: NodeId| match n.address_id() {
        Some(id) => format!("a{id}"),
        None => format!("t{}", graph.transaction_store_id(n).expect("tx node")),
    };
    let mut edges: Vec<_> =
        graph.edges().map(|e| (name(e.from), name(e.to), e.amount as u64, e.time, e.tx)).collect();
    edges.sort();
    edges
}

fn address_node(store: &SqliteStore, address: &Address) -> NodeId {
    let id = store.address_id(&address.key()).expect("query").expect("stored");
    NodeId::address(id).expect("fits")
}

#[test]
fn account_transfers_become_edges_and_failed_transactions_move_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let blocks = vec![
        evm_block(0, 0, vec![(TxStatus::Success, vec![transfer(1, 2, 100, None)])]),
        evm_block(
            1,
            0,
            vec![
                (TxStatus::Success, vec![transfer(2, 3, 60, None), transfer(2, 4, 5, Some(9))]),
                (TxStatus::Failed, vec![]),
            ],
        ),
    ];
    apply(&mut store, Network::evm(1), None, &blocks);
    let graph = store::build(&store, &mut ()).unwrap();
    assert_eq!(graph.edge_count(), 3);
    let two = address_node(&store, &evm(2));
    let ins: Vec<_> = graph.in_edges(two).collect();
    assert_eq!(ins.len(), 1);
    assert_eq!(ins[0].amount, 100.0);
    assert_eq!(ins[0].from, address_node(&store, &evm(1)));
    let outs: Vec<_> = graph.out_edges(two).collect();
    assert_eq!(outs.len(), 2);
    assert_eq!(outs[0].amount, 60.0);
    let token = graph.assets()[outs[1].asset.0 as usize];
    assert_eq!(token.token, store.address_id(&evm(9).key()).unwrap());
    assert_eq!(graph.assets()[outs[0].asset.0 as usize].token, None);
    assert!(outs.iter().all(|e| e.time == 1_700_000_012));
    assert_eq!(graph.watermarks()[0].height, 1);
}

fn utxo_block(height: u64, prev: Option<B256>, parent: B256) -> (Block, B256) {
    // A coinbase paying address 1; from height 1 a spend of the previous coinbase to 2 and 3.
    let coinbase = Transaction {
        hash: hash(height, 50),
        index: 0,
        status: TxStatus::Success,
        fee: None,
        inputs: vec![TxInput { previous: None, value: None, address: None }],
        outputs: vec![TxOutput {
            index: 0,
            value: 50_000,
            script_type: ScriptType::P2pkh,
            address: Some(btc(1)),
        }],
        transfers: vec![],
    };
    let mut transactions = vec![coinbase];
    if let Some(prev) = prev {
        transactions.push(Transaction {
            hash: hash(height, 51),
            index: 1,
            status: TxStatus::Success,
            fee: None,
            inputs: vec![TxInput {
                previous: Some(OutPoint { txid: prev, vout: 0 }),
                value: None,
                address: None,
            }],
            outputs: vec![
                TxOutput {
                    index: 0,
                    value: 30_000,
                    script_type: ScriptType::P2pkh,
                    address: Some(btc(2)),
                },
                TxOutput {
                    index: 1,
                    value: 19_000,
                    script_type: ScriptType::P2pkh,
                    address: Some(btc(3)),
                },
                TxOutput { index: 2, value: 0, script_type: ScriptType::NullData, address: None },
            ],
            transfers: vec![],
        });
    }
    let block_hash = hash(height, 99);
    (
        Block {
            chain: Chain::Bitcoin,
            evm_chain_id: None,
            block: BlockRef { height, hash: block_hash },
            parent_hash: parent,
            timestamp: 1_600_000_000 + height * 600,
            transactions,
        },
        block_hash,
    )
}

#[test]
fn utxo_inputs_and_outputs_meet_at_transaction_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let (b0, h0) = utxo_block(0, None, B256::ZERO);
    let (b1, _) = utxo_block(1, Some(b0.transactions[0].hash), h0);
    apply(&mut store, Network::chain(Chain::Bitcoin), None, &[b0, b1]);
    let graph = store::build(&store, &mut ()).unwrap();
    // Two coinbase outputs, one resolved input, two outputs with an address.
    assert_eq!(graph.edge_count(), 5);
    assert_eq!(graph.transaction_count(), 3);
    let one = address_node(&store, &btc(1));
    let spend_edge = graph.out_edges(one).next().expect("the spend");
    assert!(spend_edge.to.is_transaction());
    assert_eq!(spend_edge.amount, 50_000.0);
    let outs: Vec<_> = graph.out_edges(spend_edge.to).map(|e| (e.to, e.amount)).collect();
    assert_eq!(
        outs,
        vec![(address_node(&store, &btc(2)), 30_000.0), (address_node(&store, &btc(3)), 19_000.0)]
    );
    let store_tx = graph.transaction_store_id(spend_edge.to).unwrap();
    assert_eq!(graph.transaction_node(store_tx), Some(spend_edge.to));
    let tx = store.transaction_ref(u64::from(store_tx)).unwrap().unwrap();
    assert_eq!(tx.height, 1);
}

#[test]
fn updates_equal_a_rebuild_through_a_reorg() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let network = Network::evm(1);
    let block = |h: u64, salt: u64| {
        evm_block(
            h,
            salt,
            vec![(
                TxStatus::Success,
                vec![transfer((h % 5) as u8 + 1, (h % 7) as u8 + 10, h * 10 + salt, None)],
            )],
        )
    };
    apply(&mut store, network, None, &(0..3).map(|h| block(h, 0)).collect::<Vec<_>>());
    let mut graph = store::build(&store, &mut ()).unwrap();
    apply(&mut store, network, None, &(3..8).map(|h| block(h, 1)).collect::<Vec<_>>());
    let outcome = store::update(&mut graph, &store, &mut ()).unwrap();
    assert_eq!((outcome.blocks, outcome.unwound_blocks, outcome.rebuilt), (5, 0, false));
    assert_eq!(graph.overlay_edges(), 5);
    assert_eq!(edge_set(&graph), edge_set(&store::build(&store, &mut ()).unwrap()));

    // Heights 5.. leave the best chain and are replaced by another branch.
    let mut fork: Vec<Block> = (5..9).map(|h| block(h, 2)).collect();
    fork[0].parent_hash = hash(4, 1);
    for i in 1..fork.len() {
        fork[i].parent_hash = fork[i - 1].block.hash;
    }
    apply(&mut store, network, Some(5), &fork);
    let outcome = store::update(&mut graph, &store, &mut ()).unwrap();
    assert_eq!((outcome.unwound_blocks, outcome.blocks, outcome.rebuilt), (3, 4, false));
    let rebuilt = store::build(&store, &mut ()).unwrap();
    assert_eq!(edge_set(&graph), edge_set(&rebuilt));
    assert_eq!(graph.watermarks(), rebuilt.watermarks());

    // A reorg below the base arrays forces a rebuild, still equal.
    let mut deep: Vec<Block> = (1..4).map(|h| block(h, 3)).collect();
    deep[0].parent_hash = hash(0, 0);
    for i in 1..deep.len() {
        deep[i].parent_hash = deep[i - 1].block.hash;
    }
    apply(&mut store, network, Some(1), &deep);
    let outcome = store::update(&mut graph, &store, &mut ()).unwrap();
    assert!(outcome.rebuilt);
    assert_eq!(edge_set(&graph), edge_set(&store::build(&store, &mut ()).unwrap()));

    // Compacting changes nothing but the layout.
    let before = edge_set(&graph);
    graph.compact().unwrap();
    assert_eq!(graph.overlay_edges(), 0);
    assert_eq!(edge_set(&graph), before);
}

fn sample_graph() -> TransferGraph {
    let mut builder = GraphBuilder::new();
    let native = builder.asset(1, None);
    let token = builder.asset(1, Some(77));
    let a = |n| NodeId::address(n).unwrap();
    let t = builder.transaction_node(500).unwrap();
    builder.add_edge(a(1), t, 10.0, 100, native, 500).unwrap();
    builder.add_edge(a(2), t, 5.0, 100, native, 500).unwrap();
    builder.add_edge(t, a(3), 14.0, 100, native, 500).unwrap();
    builder.add_edge(a(3), a(4), 1e20, 90, token, 7).unwrap();
    builder.add_edge(a(3), a(1), 2.5, 95, native, 8).unwrap();
    builder.finish().unwrap()
}

#[test]
fn edges_are_in_time_order_both_ways_and_inputs_keep_their_positions() {
    let graph = sample_graph();
    let a3 = NodeId::address(3).unwrap();
    let times: Vec<u32> = graph.out_edges(a3).map(|e| e.time).collect();
    assert_eq!(times, vec![90, 95]);
    let t = graph.transaction_node(500).unwrap();
    let inputs: Vec<_> = graph.in_edges(t).map(|e| e.from.address_id().unwrap()).collect();
    assert_eq!(inputs, vec![1, 2]);
    for e in graph.edges() {
        assert_eq!(graph.edge(e.id), Some(e));
        assert!(graph.in_edges(e.to).any(|x| x.id == e.id));
        assert!(graph.out_edges(e.from).any(|x| x.id == e.id));
    }
    assert_eq!(graph.edge(EdgeId(99)), None);
    assert_eq!(graph.address_nodes().count(), 4);
}

#[test]
fn snapshots_round_trip_and_damaged_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.cwg");
    let mut graph = sample_graph();
    graph
        .append_block(&chainward_graph::BlockEdges {
            network: 1,
            height: 10,
            hash: [7; 32],
            edges: vec![chainward_graph::BlockEdge {
                from: BlockEnd::Address(4),
                to: BlockEnd::Address(9),
                amount: 3.0,
                time: 200,
                asset: chainward_graph::Asset { network: 1, token: None },
                tx: 900,
            }],
        })
        .unwrap();
    let expected = edge_set(&graph);
    snapshot::save(&mut graph, &path).unwrap();
    let loaded = snapshot::load(&path).unwrap();
    assert_eq!(edge_set(&loaded), expected);
    assert_eq!(loaded.watermarks(), graph.watermarks());
    assert_eq!(loaded.assets(), graph.assets());

    let bytes = std::fs::read(&path).unwrap();
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 1;
    std::fs::write(&path, &flipped).unwrap();
    let error = snapshot::load(&path).unwrap_err().to_string();
    assert!(error.contains("checksum"), "{error}");
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    let error = snapshot::load(&path).unwrap_err().to_string();
    assert!(error.contains("truncated"), "{error}");
    let mut versioned = bytes;
    versioned[8] = 99;
    std::fs::write(&path, &versioned).unwrap();
    let error = snapshot::load(&path).unwrap_err().to_string();
    assert!(error.contains("version 99"), "{error}");
    std::fs::write(&path, b"not a graph at all, just text").unwrap();
    let error = snapshot::load(&path).unwrap_err().to_string();
    assert!(error.contains("magic") || error.contains("truncated"), "{error}");
}

#[test]
fn labels_come_from_active_list_entries_of_stored_addresses() {
    use chainward_primitives::WatchlistEntry;
    use chainward_store_api::{SnapshotImport, SourceRef, WatchlistStore};
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    apply(
        &mut store,
        Network::evm(1),
        None,
        &[evm_block(0, 0, vec![(TxStatus::Success, vec![transfer(1, 2, 100, None)])])],
    );
    let entry =
        |address: Address, entity: &str, category: Category, confidence: u8| WatchlistEntry {
            key: address.key(),
            chain: Chain::Evm,
            address: address.canonical().to_owned(),
            raw_address: None,
            currency: None,
            entity: Some(entity.into()),
            category,
            labels: vec![],
            confidence,
            confidence_label: None,
            program: None,
            reference: None,
            actor: None,
            context: None,
            listed_on: None,
        };
    store
        .import_snapshots(&[SnapshotImport {
            source: SourceRef { name: "tags".into(), format: "test".into() },
            origin: "memory".into(),
            content_hash: "h".into(),
            imported_at: "2026-11-25T00:00:00Z".into(),
            effective_at: "2026-11-25".into(),
            entries: vec![
                entry(evm(2), "Binance", Category::Exchange, 80),
                entry(evm(55), "Nobody stored", Category::Sanctioned, 100),
            ],
            actors: vec![],
            issues: vec![],
        }])
        .unwrap();
    let labels = store::labels(&store).unwrap();
    assert_eq!(labels.len(), 1);
    let two = address_node(&store, &evm(2));
    assert!(labels.categories(two).contains(Category::Exchange));
    let label = labels.primary(two).unwrap();
    assert_eq!(
        (label.entity.as_deref(), label.confidence, label.source.as_str()),
        (Some("Binance"), 80, "tags")
    );
}
