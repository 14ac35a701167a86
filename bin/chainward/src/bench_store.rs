//! `chainward bench store`: the embedded store's write rate for chain data, beside SQLite's own
//! bulk-insert rate on the same machine in the same run.
//!
//! Lanes:
//! - account transfers (EVM-shaped: native + ERC-20, addresses drawn from a pool so that most
//!   recur, as on a real chain) through `ChainStore::apply`, 100 blocks per transaction: what
//!   ingest pays per transfer (address interning, three indexes, the checkpoint);
//! - UTXO outputs and inputs of a synthetic Bitcoin chain through the same path (inputs are
//!   resolved against stored outputs);
//! - anchor: the same number of transfer rows inserted into a bare table with no index and no
//!   interning, one transaction, one cached statement: the ceiling SQLite itself sets here.

use crate::bench::SplitMix as Rng;
use crate::cli::Global;
use alloy_primitives::{B256, U256};
use chainward_ingest::synthetic::ChainBuilder;
use chainward_primitives::ledger::{
    Asset, Block, BlockRef, Network, Transaction, Transfer, TransferKind, TxStatus,
};
use chainward_primitives::{Address, Chain};
use chainward_store::SqliteStore;
use chainward_store_api::{ChainBatch, ChainStore};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Serialize)]
struct StoreBench {
    build: &'static str,
    blocks: u64,
    transfers: u64,
    address_pool: usize,
    lanes: Vec<StoreLane>,
}

#[derive(Debug, Serialize)]
struct StoreLane {
    lane: &'static str,
    rows: u64,
    seconds: f64,
    rows_per_second: f64,
    ratio_to_anchor: f64,
}

fn hash(rng: &mut Rng) -> B256 {
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next().to_le_bytes());
    }
    B256::from(bytes)
}

fn account_blocks(blocks: u64, per_block: u64, pool: &[Address], rng: &mut Rng) -> Vec<Block> {
    let token = Address::evm([0x7e; 20]);
    let mut parent = B256::ZERO;
    (0..blocks)
        .map(|height| {
            let transactions = (0..per_block)
                .map(|index| {
                    let from = pool[(rng.next() % pool.len() as u64) as usize].clone();
                    let to = pool[(rng.next() % pool.len() as u64) as usize].clone();
                    let erc20 = index % 3 == 0;
                    Transaction {
                        hash: hash(rng),
                        index: index as u32,
                        status: TxStatus::Success,
                        fee: Some(U256::from(21_000u64 * 30_000_000_000)),
                        inputs: Vec::new(),
                        outputs: Vec::new(),
                        transfers: vec![Transfer {
                            kind: if erc20 { TransferKind::Erc20 } else { TransferKind::Native },
                            from,
                            to,
                            asset: if erc20 {
                                Asset::Token { contract: token.clone() }
                            } else {
                                Asset::Native
                            },
                            amount: U256::from(rng.next()),
                            token_id: None,
                            log_index: erc20.then_some(index as u32),
                            trace_address: None,
                        }],
                    }
                })
                .collect();
            let hash = hash(rng);
            let block = Block {
                chain: Chain::Evm,
                evm_chain_id: Some(31_337),
                block: BlockRef { height, hash },
                parent_hash: parent,
                timestamp: 1_700_000_000 + height * 12,
                transactions,
            };
            parent = hash;
            block
        })
        .collect()
}

/// `size` (at least two) random EVM addresses for transfers to be drawn from.
fn evm_pool(size: usize, rng: &mut Rng) -> Vec<Address> {
    (0..size.max(2)).map(|_| Address::evm(rng.bytes20())).collect()
}

fn write_all(store: &mut SqliteStore, network: Network, blocks: &[Block]) -> anyhow::Result<f64> {
    let started = Instant::now();
    for chunk in blocks.chunks(100) {
        store.apply(&ChainBatch {
            source: "bench",
            network,
            unwind_from: None,
            blocks: chunk,
            written_at: "2026-01-01T00:00:00Z",
        })?;
    }
    Ok(started.elapsed().as_secs_f64())
}

fn anchor(rows: &[(Vec<u8>, Vec<u8>, Vec<u8>)]) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let mut conn = rusqlite::Connection::open(dir.path().join("anchor.sqlite3"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE t (tx INTEGER, position INTEGER, from_key BLOB, to_key BLOB, amount BLOB)",
    )?;
    let started = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (i, (from, to, amount)) in rows.iter().enumerate() {
            insert.execute(rusqlite::params![i as i64, 0, from, to, amount])?;
        }
    }
    tx.commit()?;
    Ok(started.elapsed().as_secs_f64())
}

pub(crate) fn run(
    _global: &Global,
    blocks: u64,
    per_block: u64,
    address_pool: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut rng = Rng(7);
    let pool = evm_pool(address_pool, &mut rng);
    eprintln!("generating {blocks} blocks of {per_block} transfers…");
    let account = account_blocks(blocks, per_block, &pool, &mut rng);
    let transfers = blocks * per_block;

    let anchor_rows: Vec<_> = account
        .iter()
        .flat_map(|b| &b.transactions)
        .flat_map(|t| &t.transfers)
        .map(|t| {
            (
                t.from.key().as_bytes().to_vec(),
                t.to.key().as_bytes().to_vec(),
                t.amount.to_be_bytes_trimmed_vec(),
            )
        })
        .collect();
    eprintln!("anchor: bare SQLite bulk insert…");
    let anchor_seconds = anchor(&anchor_rows)?;

    eprintln!("account transfers through the chain store…");
    let dir = tempfile::tempdir()?;
    let mut store = SqliteStore::open(dir.path())?;
    let account_seconds = write_all(&mut store, Network::evm(31_337), &account)?;

    eprintln!("account transfers, graph indexes dropped (what a bulk mode would save)…");
    let bare_dir = tempfile::tempdir()?;
    let mut bare = SqliteStore::open(bare_dir.path())?;
    rusqlite::Connection::open(bare.path())?.execute_batch(
        "DROP INDEX transfers_by_from; DROP INDEX transfers_by_to;
         DROP INDEX tx_outputs_by_address; DROP INDEX tx_inputs_by_address;",
    )?;
    let bare_seconds = write_all(&mut bare, Network::evm(31_337), &account)?;

    eprintln!("UTXO chain through the chain store…");
    let mut builder = ChainBuilder::regtest(11);
    let utxo_count = (blocks / 2).max(1);
    let raw: Vec<_> =
        std::iter::once(builder.genesis()).chain(builder.mine(utxo_count, 60)).collect();
    let utxo: Vec<Block> = raw
        .iter()
        .enumerate()
        .map(|(height, block)| {
            chainward_chain_bitcoin::decode_block(
                Chain::BitcoinTestnet,
                &bitcoin::consensus::serialize(block),
                Some(height as u64),
            )
        })
        .collect::<Result<_, _>>()?;
    let utxo_rows: u64 = utxo
        .iter()
        .flat_map(|b| &b.transactions)
        .map(|t| (t.inputs.len() + t.outputs.len()) as u64)
        .sum();
    let utxo_seconds = write_all(&mut store, Network::chain(Chain::BitcoinTestnet), &utxo)?;

    let anchor_rate = transfers as f64 / anchor_seconds;
    let lane = |lane, rows: u64, seconds: f64| StoreLane {
        lane,
        rows,
        seconds,
        rows_per_second: rows as f64 / seconds,
        ratio_to_anchor: rows as f64 / seconds / anchor_rate,
    };
    let report = StoreBench {
        build: if cfg!(debug_assertions) { "debug" } else { "release" },
        blocks,
        transfers,
        address_pool: pool.len(),
        lanes: vec![
            lane("ChainStore::apply, account transfers", transfers, account_seconds),
            lane("ChainStore::apply, UTXO inputs+outputs", utxo_rows, utxo_seconds),
            lane("same, without the from/to/address indexes", transfers, bare_seconds),
            lane("anchor: bare SQLite insert, no index", transfers, anchor_seconds),
        ],
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "store write rate ({} build; {} blocks, {} transfers, {} addresses in the pool)",
            report.build, report.blocks, report.transfers, report.address_pool
        );
        println!("{:<42} {:>10} {:>9} {:>12} {:>9}", "lane", "rows", "seconds", "rows/s", "ratio");
        for lane in &report.lanes {
            println!(
                "{:<42} {:>10} {:>9.2} {:>12.0} {:>8.2}x",
                lane.lane, lane.rows, lane.seconds, lane.rows_per_second, lane.ratio_to_anchor
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct GraphBench {
    build: &'static str,
    transfers_in_store: u64,
    edges: usize,
    bytes_per_edge: f64,
    build_from_store_seconds: f64,
    snapshot_bytes: u64,
    save_seconds: f64,
    load_seconds: f64,
    load_to_build_ratio: f64,
    update_blocks: u64,
    update_seconds: f64,
    rebuild_seconds: f64,
    update_to_rebuild_ratio: f64,
}

/// `chainward bench graph`.
pub(crate) fn run_graph(
    blocks: u64,
    per_block: u64,
    address_pool: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use chainward_graph::{snapshot, store as graph_store};
    let mut rng = Rng(7);
    let pool = evm_pool(address_pool, &mut rng);
    let update_blocks = (blocks / 100).max(1);
    eprintln!("generating and storing {} blocks of {per_block} transfers…", blocks + update_blocks);
    let all = account_blocks(blocks + update_blocks, per_block, &pool, &mut rng);
    let dir = tempfile::tempdir()?;
    let mut store = SqliteStore::open(dir.path())?;
    let network = Network::evm(31_337);
    write_all(&mut store, network, &all[..blocks as usize])?;

    eprintln!("building the graph from the store…");
    let started = Instant::now();
    let mut graph = graph_store::build(&store, &mut ())?;
    let build_seconds = started.elapsed().as_secs_f64();
    let path = dir.path().join("graph.cwg");
    let started = Instant::now();
    let snapshot_bytes = snapshot::save(&mut graph, &path)?;
    let save_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut loaded = snapshot::load(&path)?;
    let load_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(loaded.edge_count() == graph.edge_count(), "the loaded snapshot lost edges");

    eprintln!("{update_blocks} more blocks: incremental update against a rebuild…");
    write_all(&mut store, network, &all[blocks as usize..])?;
    let started = Instant::now();
    let outcome = graph_store::update(&mut loaded, &store, &mut ())?;
    let update_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let rebuilt = graph_store::build(&store, &mut ())?;
    let rebuild_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        outcome.blocks == update_blocks && loaded.edge_count() == rebuilt.edge_count(),
        "the update and the rebuild disagree"
    );

    let report = GraphBench {
        build: if cfg!(debug_assertions) { "debug" } else { "release" },
        transfers_in_store: blocks * per_block,
        edges: graph.edge_count(),
        bytes_per_edge: graph.memory_bytes() as f64 / graph.edge_count().max(1) as f64,
        build_from_store_seconds: build_seconds,
        snapshot_bytes,
        save_seconds,
        load_seconds,
        load_to_build_ratio: load_seconds / build_seconds,
        update_blocks,
        update_seconds,
        rebuild_seconds,
        update_to_rebuild_ratio: update_seconds / rebuild_seconds,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "analytics graph ({} build): {} transfers in the store, {} edges, {:.1} bytes/edge",
            report.build, report.transfers_in_store, report.edges, report.bytes_per_edge
        );
        println!("{:<40} {:>10} {:>10}", "step", "seconds", "ratio");
        println!("{:<40} {:>10.3} {:>10}", "build from the store (anchor)", build_seconds, "1.00x");
        println!(
            "{:<40} {:>10.3} {:>9.3}x",
            format!("save snapshot ({:.1} MB)", snapshot_bytes as f64 / 1e6),
            save_seconds,
            save_seconds / build_seconds
        );
        println!(
            "{:<40} {:>10.3} {:>9.3}x",
            "load snapshot", load_seconds, report.load_to_build_ratio
        );
        println!(
            "{:<40} {:>10.3} {:>10}",
            format!("rebuild with {update_blocks} more blocks (anchor)"),
            rebuild_seconds,
            "1.00x"
        );
        println!(
            "{:<40} {:>10.3} {:>9.3}x",
            format!("incremental update, {update_blocks} blocks"),
            update_seconds,
            report.update_to_rebuild_ratio
        );
    }
    Ok(ExitCode::SUCCESS)
}
