//! The engine on a synthetic stream (default rules), and beside it a plain anchor: hashing
//! the same flows into per-address counters. The ratio says what the detectors cost over the
//! least any per-flow processing costs.

use chainward_graph::NodeLabels;
use chainward_rules::{AssetKey, Context, Engine, Flow, FlowBatch, RuleSet};
use criterion::{Criterion, criterion_group, criterion_main};
use rustc_hash::FxHashMap;
use std::hint::black_box;
use std::time::Instant;

/// 100 blocks of 1,000 flows over 50,000 accounts, a block every 12 s; a skewed choice of
/// accounts (a few busy ones) with a deterministic generator.
fn stream() -> Vec<FlowBatch> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut tx = 0;
    (0..100u64)
        .map(|h| {
            let time = 1_700_000_000 + h * 12;
            let flows = (0..1000)
                .map(|_| {
                    tx += 1;
                    let pick = |r: u64| if r.is_multiple_of(10) { r % 100 } else { r % 50_000 };
                    Flow {
                        tx,
                        from: pick(next()),
                        to: pick(next()),
                        asset: AssetKey::Native,
                        amount: (next() % 10_000) as f64 / 100.0,
                        time,
                    }
                })
                .collect();
            FlowBatch { network: 1, height: h, time, flows }
        })
        .collect()
}

fn anchor(batches: &[FlowBatch]) -> usize {
    let mut counters: FxHashMap<u64, (u32, u32, f64)> = FxHashMap::default();
    for b in batches {
        for f in &b.flows {
            let e = counters.entry(f.from).or_default();
            e.0 += 1;
            e.2 -= f.amount;
            let e = counters.entry(f.to).or_default();
            e.1 += 1;
            e.2 += f.amount;
        }
    }
    counters.len()
}

fn engine(batches: &[FlowBatch], labels: &NodeLabels) -> usize {
    let mut engine = Engine::new(RuleSet::defaults());
    let cx = Context::new(labels);
    batches.iter().map(|b| engine.process(b, &cx).len()).sum()
}

fn bench(c: &mut Criterion) {
    let batches = stream();
    let labels = NodeLabels::new();
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.bench_function("engine_100k_flows", |b| b.iter(|| engine(black_box(&batches), &labels)));
    group.bench_function("anchor_hash_counters_100k_flows", |b| {
        b.iter(|| anchor(black_box(&batches)))
    });
    group.finish();
    // The ratio, measured here in one process so both numbers share the machine's state.
    let time = |f: &dyn Fn() -> usize| {
        let start = Instant::now();
        for _ in 0..3 {
            black_box(f());
        }
        start.elapsed().as_secs_f64() / 3.0
    };
    let e = time(&|| engine(&batches, &labels));
    let a = time(&|| anchor(&batches));
    let flows = 100_000.0;
    println!(
        "engine {:.1} ms ({:.0} flows/s), anchor {:.2} ms; ratio engine/anchor = {:.0}x",
        e * 1e3,
        flows / e,
        a * 1e3,
        e / a
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
