//! Throughput of `blk*.dat` decoding into the ledger model, next to the anchor: the `bitcoin`
//! crate's consensus decoding alone (`bitcoin::consensus::deserialize::<bitcoin::Block>`).
//!
//! Input: every real file in `raw_chain/zuinnote_blk` concatenated (≈ 8 MB, 19 blocks from
//! 2009 to 2019), repeated 4 times in memory. Run with
//! `cargo bench -p chainward-chain-bitcoin --bench blk_decode`.

#![allow(missing_docs)]

use chainward_chain_bitcoin::blk::BlkReader;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn input() -> Vec<u8> {
    let dir = chainward_fixtures::shared_file("raw_chain/zuinnote_blk");
    let mut paths: Vec<_> =
        std::fs::read_dir(dir).expect("fixtures").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let mut one = Vec::new();
    for path in paths {
        one.extend(std::fs::read(path).expect("fixture"));
    }
    one.repeat(4)
}

fn bench(c: &mut Criterion) {
    let data = input();
    let mut group = c.benchmark_group("blk");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    group.bench_function("ledger_model", |b| {
        b.iter(|| {
            let mut txs = 0;
            for item in BlkReader::new(black_box(&data)).blocks() {
                txs += item.map_or(0, |(_, block)| block.transactions.len());
            }
            txs
        });
    });
    group.bench_function("bitcoin_deserialize_anchor", |b| {
        b.iter(|| {
            let mut txs = 0;
            for record in BlkReader::new(black_box(&data)).flatten() {
                txs += bitcoin::consensus::deserialize::<bitcoin::Block>(record.raw)
                    .map_or(0, |block| block.txdata.len());
            }
            txs
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
