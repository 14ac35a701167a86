use chainward_ingest::bitcoin::BlkDirSource;
use chainward_ingest::synthetic::{ChainBuilder, write_blk_file};
use chainward_ingest::{Event, IngestError, IngestOptions, ingest};
use chainward_primitives::Chain;
use chainward_primitives::ledger::Network;
use chainward_store::SqliteStore;
use chainward_store_api::{ChainBatch, ChainStore, StoreError};
use std::path::Path;

const REGTEST: Network = Network::chain(Chain::BitcoinTestnet);

fn display(hash: bitcoin::BlockHash) -> String {
    format!("0x{hash}")
}

fn run(
    store: &mut SqliteStore,
    dir: &Path,
    options: &IngestOptions,
) -> (Vec<Event>, chainward_ingest::IngestSummary) {
    let mut source = BlkDirSource::open(dir).unwrap();
    let mut events = Vec::new();
    let summary = ingest(store, &mut source, options, &mut |e| events.push(e.clone())).unwrap();
    (events, summary)
}

fn small_batches() -> IngestOptions {
    IngestOptions { batch_blocks: 7, ..IngestOptions::default() }
}

#[test]
fn a_synthetic_chain_is_stored_whole_with_every_input_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = ChainBuilder::regtest(1);
    let mut blocks = vec![builder.genesis()];
    blocks.extend(builder.mine(40, 5));
    // Out of height order and split over two files, as a node writes them.
    let (first, second) = blocks.split_at(25);
    write_blk_file(&dir.path().join("blk00001.dat"), bitcoin::Network::Regtest, first, None)
        .unwrap();
    let mut reversed = second.to_vec();
    reversed.reverse();
    write_blk_file(&dir.path().join("blk00000.dat"), bitcoin::Network::Regtest, &reversed, None)
        .unwrap();

    let data = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(data.path()).unwrap();
    let (_, summary) = run(&mut store, dir.path(), &small_batches());

    let expected_txs: usize = blocks.iter().map(|b| b.txdata.len()).sum();
    let expected_outputs: usize =
        blocks.iter().flat_map(|b| &b.txdata).map(|t| t.output.len()).sum();
    let spends: usize =
        blocks.iter().flat_map(|b| b.txdata.iter().skip(1)).map(|t| t.input.len()).sum();
    assert_eq!(summary.totals.blocks, 41);
    assert_eq!(summary.totals.transactions as usize, expected_txs);
    assert_eq!(summary.totals.outputs as usize, expected_outputs);
    assert!(spends > 100, "the chain spends: {spends}");
    // Every non-coinbase input spends an output stored earlier: all are resolved.
    assert_eq!(summary.totals.inputs_resolved as usize, spends);
    let tip = store.tip(REGTEST).unwrap().unwrap();
    assert_eq!(tip.height, 40);
    assert_eq!(tip.hash.to_string(), display(blocks[40].block_hash()));
    for (height, block) in blocks.iter().enumerate() {
        let stored = store.block_at(REGTEST, height as u64).unwrap().unwrap();
        assert_eq!(stored.hash.to_string(), display(block.block_hash()), "height {height}");
    }
    let checkpoint = store.checkpoint("bitcoin-blk:bitcoin_testnet").unwrap().unwrap();
    assert_eq!(checkpoint.block, tip);

    // Transactions read back from the store are the decoded ones, with every spent output's
    // value and address copied onto the input that spends it.
    let mut compared = 0;
    for (height, block) in blocks.iter().enumerate().skip(30) {
        let raw = bitcoin::consensus::serialize(block);
        let decoded =
            chainward_chain_bitcoin::decode_block(Chain::BitcoinTestnet, &raw, Some(height as u64))
                .unwrap();
        for tx in &decoded.transactions {
            let (at, stored) = store.transaction(REGTEST, tx.hash).unwrap().unwrap();
            assert_eq!(at, decoded.block);
            assert_eq!(stored.outputs, tx.outputs);
            assert_eq!(stored.transfers, tx.transfers);
            assert_eq!(stored.inputs.len(), tx.inputs.len());
            for (input, original) in stored.inputs.iter().zip(&tx.inputs) {
                assert_eq!(input.previous, original.previous);
                if let Some(previous) = input.previous {
                    let (_, spent) = store.transaction(REGTEST, previous.txid).unwrap().unwrap();
                    let output = &spent.outputs[previous.vout as usize];
                    assert_eq!(input.value, Some(output.value));
                    assert_eq!(input.address, output.address);
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 20, "{compared} inputs compared");

    // Running again finds nothing new and writes nothing.
    let (_, again) = run(&mut store, dir.path(), &small_batches());
    assert_eq!(again.totals.blocks, 0);
    assert_eq!(again.reorgs, 0);
}

#[test]
fn a_heavier_fork_unwinds_the_stale_blocks_and_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = ChainBuilder::regtest(2);
    let genesis = builder.genesis();
    let common = builder.mine(5, 3);
    let mut fork = builder.clone();
    fork.reseed(99);
    let stale = builder.mine(4, 3); // heights 6..=9
    let mut first = vec![genesis];
    first.extend(common.iter().cloned());
    first.extend(stale.iter().cloned());
    write_blk_file(&dir.path().join("blk00000.dat"), bitcoin::Network::Regtest, &first, None)
        .unwrap();

    let data = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(data.path()).unwrap();
    run(&mut store, dir.path(), &small_batches());
    assert_eq!(store.tip(REGTEST).unwrap().unwrap().height, 9);
    let stale_txs: usize = stale.iter().map(|b| b.txdata.len()).sum();

    // The node then saw a longer branch from height 5.
    let replacement = fork.mine(6, 3); // heights 6..=11
    write_blk_file(&dir.path().join("blk00001.dat"), bitcoin::Network::Regtest, &replacement, None)
        .unwrap();
    let source = BlkDirSource::open(dir.path()).unwrap();
    assert_eq!(source.scan().stale, 4, "{:?}", source.scan());
    let (events, summary) = run(&mut store, dir.path(), &small_batches());
    assert_eq!(summary.reorgs, 1);
    let reorg = events.iter().find_map(|e| match e {
        Event::Reorg { fork_height, depth, old_tip } => {
            Some((*fork_height, *depth, old_tip.height))
        }
        _ => None,
    });
    assert_eq!(reorg, Some((5, 4, 9)));
    assert_eq!(summary.totals.unwound_blocks, 4);
    let tip = store.tip(REGTEST).unwrap().unwrap();
    assert_eq!(tip.height, 11);
    assert_eq!(tip.hash.to_string(), display(replacement[5].block_hash()));
    for (i, block) in replacement.iter().enumerate() {
        let stored = store.block_at(REGTEST, 6 + i as u64).unwrap().unwrap();
        assert_eq!(stored.hash.to_string(), display(block.block_hash()));
    }
    // Nothing of the stale branch is left: the transaction count is the new chain's.
    let stats = store.chain_stats().unwrap();
    let network = stats.networks.iter().find(|n| n.network == REGTEST).unwrap();
    let expected: usize = 1
        + common.iter().map(|b| b.txdata.len()).sum::<usize>()
        + replacement.iter().map(|b| b.txdata.len()).sum::<usize>();
    assert_eq!(network.transactions as usize, expected);
    assert!(stale_txs > 0);
    assert_eq!(network.blocks, 12);
}

#[test]
fn a_reorg_deeper_than_the_limit_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = ChainBuilder::regtest(3);
    let mut fork = builder.clone();
    let mut first = vec![builder.genesis()];
    first.extend(builder.mine(6, 1));
    write_blk_file(&dir.path().join("blk00000.dat"), bitcoin::Network::Regtest, &first, None)
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(data.path()).unwrap();
    run(&mut store, dir.path(), &IngestOptions::default());
    let before = store.tip(REGTEST).unwrap().unwrap();

    fork.reseed(1234);
    write_blk_file(
        &dir.path().join("blk00001.dat"),
        bitcoin::Network::Regtest,
        &fork.mine(8, 1),
        None,
    )
    .unwrap();
    let mut source = BlkDirSource::open(dir.path()).unwrap();
    let options = IngestOptions { max_reorg_depth: 3, ..IngestOptions::default() };
    let error = ingest(&mut store, &mut source, &options, &mut |_| {}).unwrap_err();
    assert!(matches!(error, IngestError::ReorgTooDeep { max: 3, .. }), "{error}");
    assert!(error.to_string().contains("--max-reorg-depth"), "{error}");
    assert_eq!(store.tip(REGTEST).unwrap().unwrap(), before);
}

#[test]
fn stopping_at_a_height_and_resuming_gives_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = ChainBuilder::regtest(4);
    let mut blocks = vec![builder.genesis()];
    blocks.extend(builder.mine(30, 4));
    write_blk_file(
        &dir.path().join("blk00000.dat"),
        bitcoin::Network::Regtest,
        &blocks,
        Some(*b"\x01\x02\x03\x04\x05\x06\x07\x08"),
    )
    .unwrap();

    let one = tempfile::tempdir().unwrap();
    let mut whole = SqliteStore::open(one.path()).unwrap();
    run(&mut whole, dir.path(), &IngestOptions::default());

    let two = tempfile::tempdir().unwrap();
    let mut parts = SqliteStore::open(two.path()).unwrap();
    for to in [3, 11, 12, 29, 30] {
        let options = IngestOptions { to: Some(to), batch_blocks: 5, ..IngestOptions::default() };
        run(&mut parts, dir.path(), &options);
        assert_eq!(parts.tip(REGTEST).unwrap().unwrap().height, to);
    }
    let (a, b) = (whole.chain_stats().unwrap(), parts.chain_stats().unwrap());
    assert_eq!(a.networks, b.networks);
    assert_eq!(a.addresses, b.addresses);
}

#[test]
fn the_store_rejects_batches_that_do_not_link_and_writes_nothing() {
    let mut builder = ChainBuilder::regtest(5);
    let blocks: Vec<_> = std::iter::once(builder.genesis())
        .chain(builder.mine(4, 1))
        .enumerate()
        .map(|(height, b)| {
            let raw = bitcoin::consensus::serialize(&b);
            chainward_chain_bitcoin::decode_block(Chain::BitcoinTestnet, &raw, Some(height as u64))
                .unwrap()
        })
        .collect();
    let data = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(data.path()).unwrap();
    let batch = |blocks| ChainBatch {
        source: "test",
        network: REGTEST,
        unwind_from: None,
        blocks,
        written_at: "2026-11-25T00:00:00Z",
    };
    store.apply(&batch(&blocks[..2])).unwrap();
    // A gap.
    let error = store.apply(&batch(&blocks[3..])).unwrap_err();
    assert!(matches!(&error, StoreError::Rejected(m) if m.contains("gap")), "{error}");
    // A height already stored.
    let error = store.apply(&batch(&blocks[1..3])).unwrap_err();
    assert!(matches!(&error, StoreError::Rejected(m) if m.contains("already stored")), "{error}");
    // Not consecutive inside the batch.
    let skipping = [blocks[2].clone(), blocks[4].clone()];
    let error = store.apply(&batch(&skipping)).unwrap_err();
    assert!(matches!(&error, StoreError::Rejected(m) if m.contains("does not follow")), "{error}");
    assert_eq!(store.tip(REGTEST).unwrap().unwrap().height, 1);
    assert_eq!(store.checkpoint("test").unwrap().unwrap().block.height, 1);
}

#[test]
fn two_stores_on_one_file_intern_addresses_without_clashing() {
    use alloy_primitives::{B256, U256};
    use chainward_primitives::Address;
    use chainward_primitives::ledger::{
        Asset, Block, BlockRef, Transaction, Transfer, TransferKind, TxStatus,
    };
    // Two handles (as two processes would) on one data directory; each one's address cache was
    // filled before the other wrote, and both then write the same new address.
    let network = Network::evm(1);
    let (alice, bob, carol) =
        (Address::evm([0xa1; 20]), Address::evm([0xb0; 20]), Address::evm([0xc4; 20]));
    let block = |height: u64, parent: B256, to: &Address| Block {
        chain: Chain::Evm,
        evm_chain_id: Some(1),
        block: BlockRef { height, hash: B256::repeat_byte(height as u8 + 1) },
        parent_hash: parent,
        timestamp: height,
        transactions: vec![Transaction {
            hash: B256::repeat_byte(0x40 + height as u8),
            index: 0,
            status: TxStatus::Success,
            fee: Some(U256::from(1u8)),
            inputs: vec![],
            outputs: vec![],
            transfers: vec![Transfer {
                kind: TransferKind::Native,
                from: alice.clone(),
                to: to.clone(),
                asset: Asset::Native,
                amount: U256::from(height),
                token_id: None,
                log_index: None,
                trace_address: None,
            }],
        }],
    };
    let b0 = block(0, B256::ZERO, &bob);
    let b1 = block(1, b0.block.hash, &carol);
    let b2 = block(2, b1.block.hash, &carol);
    fn batch(blocks: &[Block]) -> ChainBatch<'_> {
        ChainBatch {
            source: "test",
            network: Network::evm(1),
            unwind_from: None,
            blocks,
            written_at: "2026-11-25T00:00:00Z",
        }
    }
    let data = tempfile::tempdir().unwrap();
    let mut first = SqliteStore::open(data.path()).unwrap();
    let mut second = SqliteStore::open(data.path()).unwrap();
    first.apply(&batch(std::slice::from_ref(&b0))).unwrap();
    second.apply(&batch(std::slice::from_ref(&b1))).unwrap(); // carol is new to `first`
    first.apply(&batch(std::slice::from_ref(&b2))).unwrap();
    let (_, one) = first.transaction(network, b1.transactions[0].hash).unwrap().unwrap();
    let (_, two) = first.transaction(network, b2.transactions[0].hash).unwrap().unwrap();
    assert_eq!(one.transfers[0].to, carol);
    assert_eq!(two.transfers[0].to, carol);
    assert_eq!(first.chain_stats().unwrap().addresses, 3);
}
