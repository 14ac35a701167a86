//! Throughput of `blk*.dat` decoding into the ledger model, next to the anchor: the `bitcoin`
//! crate's consensus decoding alone (`bitcoin::consensus::deserialize::<bitcoin::Block>`) on
//! the same bytes.
//!
//! Input: every real file in `raw_chain/zuinnote_blk` and the two raw blocks of
//! `raw_chain/rust_bitcoin` (given `blk` framing), ≈ 9.7 MB and 21 blocks from 2009 to 2019,
//! repeated 4 times in memory. Run with
//! `cargo bench -p chainward-chain-bitcoin --bench blk_decode`.
//!
//! Two parts, in one run:
//! - criterion, one lane each (MB/s);
//! - side by side: the lanes interleaved round by round, so that both see the same load on a
//!   shared machine, with the median MB/s of each and their ratio, which is the figure to
//!   compare between runs (absolute times vary with the machine's load). A third line shows
//!   the cost of also spelling every output address (what a consumer that prints or stores
//!   strings pays on top; the model computes the spelling only when asked).

#![allow(missing_docs)]

use chainward_chain_bitcoin::blk::{BlkReader, Network};
use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn input() -> Vec<u8> {
    let dir = chainward_fixtures::shared_file("raw_chain/zuinnote_blk");
    let mut paths: Vec<_> =
        std::fs::read_dir(dir).expect("fixtures").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let mut one = Vec::new();
    for path in paths {
        one.extend(std::fs::read(path).expect("fixture"));
    }
    // The rust-bitcoin raw blocks, framed as a `blk` file frames them.
    for (name, network) in [
        (
            "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw",
            Network::Mainnet,
        ),
        (
            "testnet_block_000000000000045e0b1660b6445b5e5c5ab63c9a4f956be7e1e69be04fa4497b.raw",
            Network::Testnet3,
        ),
    ] {
        let path = chainward_fixtures::shared_file(&format!("raw_chain/rust_bitcoin/{name}"));
        let raw = std::fs::read(path).expect("fixture");
        one.extend_from_slice(&network.magic());
        one.extend_from_slice(&u32::try_from(raw.len()).expect("a block < 4 GiB").to_le_bytes());
        one.extend_from_slice(&raw);
    }
    one.repeat(4)
}

/// Our decoder: every block into the ledger model (txids, script types, addresses, outpoints,
/// merkle root checked). Returns the transaction count, which must match the anchor's.
fn ledger_model(data: &[u8]) -> usize {
    let mut txs = 0;
    for item in BlkReader::new(data).blocks() {
        txs += item.map_or(0, |(_, block)| block.transactions.len());
    }
    txs
}

/// The anchor: the `bitcoin` crate's consensus decoding of the same records, nothing more.
fn bitcoin_deserialize(data: &[u8]) -> usize {
    let mut txs = 0;
    for record in BlkReader::new(data).flatten() {
        txs += bitcoin::consensus::deserialize::<bitcoin::Block>(record.raw)
            .map_or(0, |block| block.txdata.len());
    }
    txs
}

/// The ledger model with every output address spelled (`Address::canonical`).
fn ledger_model_spelled(data: &[u8]) -> usize {
    let mut chars = 0;
    for (_, block) in BlkReader::new(data).blocks().flatten() {
        for output in block.transactions.iter().flat_map(|t| &t.outputs) {
            chars += output.address.as_ref().map_or(0, |a| a.canonical().len());
        }
    }
    chars
}

fn criterion_lanes(c: &mut Criterion, data: &[u8]) {
    let mut group = c.benchmark_group("blk");
    group.throughput(Throughput::BytesDecimal(data.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("ledger_model", |b| b.iter(|| ledger_model(black_box(data))));
    group.bench_function("bitcoin_deserialize_anchor", |b| {
        b.iter(|| bitcoin_deserialize(black_box(data)));
    });
    group.finish();
}

/// Runs the lanes interleaved for `rounds` rounds and prints each one's median MB/s and the
/// ratios to the anchor.
fn side_by_side(data: &[u8], rounds: usize) {
    type Lane = (&'static str, fn(&[u8]) -> usize);
    let lanes: [Lane; 3] = [
        ("ledger model (chainward)", ledger_model),
        ("bitcoin::consensus::deserialize (anchor)", bitcoin_deserialize),
        ("ledger model + every address spelled", ledger_model_spelled),
    ];
    assert_eq!(ledger_model(data), bitcoin_deserialize(data), "both decode every transaction");
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); lanes.len()];
    for round in 0..rounds {
        for i in 0..lanes.len() {
            // Rotate the order so that no lane always runs right after another.
            let lane = (i + round) % lanes.len();
            let start = Instant::now();
            black_box(lanes[lane].1(black_box(data)));
            times[lane].push(start.elapsed());
        }
    }
    let mb_per_s: Vec<f64> = times
        .iter_mut()
        .map(|t| {
            t.sort();
            data.len() as f64 / t[t.len() / 2].as_secs_f64() / 1e6
        })
        .collect();
    println!();
    println!(
        "side by side: {:.1} MB of blk data ({} blocks), {rounds} interleaved rounds, medians",
        data.len() as f64 / 1e6,
        BlkReader::new(data).count()
    );
    for ((name, _), speed) in lanes.iter().zip(&mb_per_s) {
        println!("  {name:<42} {speed:>7.0} MB/s  ({:.2} x anchor)", speed / mb_per_s[1]);
    }
}

fn main() {
    let data = input();
    let mut criterion = Criterion::default().configure_from_args();
    criterion_lanes(&mut criterion, &data);
    criterion.final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion's test mode).
    if std::env::args().any(|a| a == "--bench") {
        side_by_side(&data, 15);
    }
}
