//! `chainward bench monitor`: latency from a block's arrival to its alerts being stored, under a
//! sustained transaction rate, with ingest and evaluation on their own threads and store
//! connections exactly as `chainward monitor` runs them.

use chainward_ingest::memory::MemorySource;
use chainward_ingest::synthetic_account::AccountChainBuilder;
use chainward_ingest::{Event, IngestOptions, ingest};
use chainward_monitor::{Evaluator, MonitorOptions, Start, follow};
use chainward_rules::RuleSet;
use chainward_store::SqliteStore;
use serde::Serialize;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// The latency budget the issue sets: alerts within 1 s of a block's arrival.
const BUDGET_SECONDS: f64 = 1.0;

#[derive(Debug, Serialize)]
struct MonitorBench {
    build: &'static str,
    blocks: usize,
    transactions_per_block: u64,
    arrival_tps: f64,
    sustained_tps: f64,
    sustained_over_arrival: f64,
    alerts: u64,
    latency_ms: Percentiles,
    p99_over_budget: f64,
}

#[derive(Debug, Serialize)]
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

pub(crate) fn run(
    tps: u64,
    block_seconds: f64,
    seconds: u64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        block_seconds > 0.0 && tps > 0 && seconds > 0,
        "tps, block seconds and seconds must be positive"
    );
    let per_block = ((tps as f64) * block_seconds).round().max(1.0) as u64;
    let count = ((seconds as f64) / block_seconds).ceil() as u64;
    let dir = tempfile::tempdir()?;
    // Blocks are built before the clock starts, so building them costs the run nothing.
    let mut builder = AccountChainBuilder::new(3, 10);
    builder.block_seconds = block_seconds.ceil() as u64;
    let blocks = builder.mine(count, per_block as usize);
    eprintln!("{count} blocks of {per_block} transactions built; replaying at {tps} tx/s …");

    let (mut source, feed) = MemorySource::new("bench");
    let stop = Arc::new(AtomicBool::new(false));
    let (wake_tx, wake_rx) = mpsc::channel();
    let ingest_dir = dir.path().to_owned();
    // The store must know the network before the monitor starts at genesis: the first block is
    // pushed before the threads start.
    let first_arrival = Instant::now();
    feed.push(blocks[0].clone());
    let ingest_thread = std::thread::spawn(move || -> anyhow::Result<()> {
        let mut store = SqliteStore::open(&ingest_dir)?;
        let options = IngestOptions {
            follow: true,
            batch_blocks: 1,
            poll_interval: Duration::from_millis(10),
            to: Some(count - 1),
            ..IngestOptions::default()
        };
        let mut observe = |event: &Event| {
            if let Event::Batch { .. } = event {
                let _ = wake_tx.send(());
            }
        };
        let result = ingest(&mut store, &mut source, &options, &mut observe);
        result.map(|_| ()).map_err(Into::into)
    });
    let feeder = {
        let feed = feed.clone();
        let blocks = blocks[1..].to_vec();
        std::thread::spawn(move || {
            for (i, block) in blocks.into_iter().enumerate() {
                let due = first_arrival + Duration::from_secs_f64(block_seconds * (i + 1) as f64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                feed.push(block);
            }
        })
    };

    let mut store = SqliteStore::open(dir.path())?;
    // Wait until the first block is stored so the monitor sees the network.
    while chainward_store_api::ChainStore::chain_stats(&store)?.networks.is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None)?;
    let options = MonitorOptions {
        name: "bench".into(),
        start: Start::Genesis,
        poll: Duration::from_millis(10),
        ..MonitorOptions::default()
    };
    let mut done_at: Vec<Option<Instant>> = vec![None; count as usize];
    let mut alerts = 0u64;
    let evaluator_stop = Arc::clone(&stop);
    let mut on_block = |outcome: &chainward_monitor::BlockOutcome| {
        let now = Instant::now();
        if let Some(slot) = done_at.get_mut(outcome.block.height as usize) {
            *slot = Some(now);
        }
        alerts += outcome.recorded.stored.len() as u64;
        if outcome.block.height + 1 == count {
            evaluator_stop.store(true, Ordering::Release);
        }
    };
    follow(&mut evaluator, &mut store, &options, &wake_rx, &stop, &mut on_block, &mut |_| {})?;
    let _ = feeder.join();
    match ingest_thread.join() {
        Ok(result) => result?,
        Err(_) => anyhow::bail!("the ingest thread panicked"),
    }
    let arrivals = feed.arrivals();
    let mut latencies: Vec<f64> = done_at
        .iter()
        .zip(&arrivals)
        .filter_map(|(done, arrived)| done.map(|d| d.duration_since(*arrived).as_secs_f64() * 1e3))
        .collect();
    anyhow::ensure!(
        latencies.len() == count as usize,
        "only {} of {count} blocks were evaluated",
        latencies.len()
    );
    latencies.sort_by(f64::total_cmp);
    let span = done_at
        .last()
        .copied()
        .flatten()
        .map_or(1.0, |d| d.duration_since(first_arrival).as_secs_f64());
    let total_tx = blocks.iter().map(|b| b.transactions.len()).sum::<usize>() as f64;
    let arrival_span = arrivals
        .last()
        .map_or(1.0, |a| a.duration_since(first_arrival).as_secs_f64())
        .max(block_seconds);
    let report = MonitorBench {
        build: if cfg!(debug_assertions) { "debug" } else { "release" },
        blocks: count as usize,
        transactions_per_block: per_block,
        arrival_tps: total_tx / (arrival_span + block_seconds),
        sustained_tps: total_tx / span.max(1e-9),
        sustained_over_arrival: (total_tx / span.max(1e-9))
            / (total_tx / (arrival_span + block_seconds)),
        alerts,
        latency_ms: Percentiles {
            p50: percentile(&latencies, 0.5),
            p90: percentile(&latencies, 0.9),
            p99: percentile(&latencies, 0.99),
            max: latencies.last().copied().unwrap_or(f64::NAN),
        },
        p99_over_budget: percentile(&latencies, 0.99) / (BUDGET_SECONDS * 1e3),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "monitor under load ({} build): {} blocks × {} transactions",
            report.build, report.blocks, report.transactions_per_block
        );
        println!("  arrival rate        {:>10.0} tx/s", report.arrival_tps);
        println!(
            "  sustained rate      {:>10.0} tx/s  ({:.2}× arrival: ≥ 1 keeps up)",
            report.sustained_tps, report.sustained_over_arrival
        );
        println!(
            "  arrival → alerts    p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            report.latency_ms.p50,
            report.latency_ms.p90,
            report.latency_ms.p99,
            report.latency_ms.max
        );
        println!("  p99 / 1 s budget    {:>10.3}", report.p99_over_budget);
        println!("  alerts raised       {:>10}", report.alerts);
    }
    Ok(ExitCode::SUCCESS)
}
