//! NATS JetStream: the alert sink (deduplicated by key) and the block work queue, against a real
//! `nats-server -js`.

use crate::{alert_keys, chain, options, reference_keys, store_blocks};
use chainward_devnode::NatsServer;
use chainward_monitor::sinks::ALERTS_STREAM;
use chainward_monitor::stream::WORKER_MONITOR;
use chainward_monitor::{
    BlockPublisher, Evaluator, SinkSpec, WorkerOptions, catch_up, run_delivery, run_worker,
};
use chainward_rules::RuleSet;
use chainward_store::SqliteStore;
use chainward_store_api::{AlertStore, ChainStore, GraphSource};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn stream_messages(url: &str, stream: &str) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream(stream).await.unwrap();
        stream.info().await.unwrap().state.messages
    })
}

fn evaluated_store(
    blocks: &[chainward_primitives::ledger::Block],
) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store_blocks(&mut store, blocks);
    let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
    catch_up(&mut evaluator, &mut store, &options(), &mut |_| {}).unwrap();
    (dir, store)
}

#[test]
fn alerts_published_twice_are_stored_once_by_the_server() {
    let server = NatsServer::start().unwrap();
    let (blocks, _) = chain(50, 20);
    let spec = SinkSpec::Nats(server.url());
    let (_tx, wake) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(true));
    let (_a, mut first) = evaluated_store(&blocks);
    let count = alert_keys(&first).len() as u64;
    assert!(count > 0);
    let stats = run_delivery(&mut first, std::slice::from_ref(&spec), &wake, &stop).unwrap();
    assert_eq!(stats.delivered[0].1, count);
    assert_eq!(stream_messages(&server.url(), ALERTS_STREAM), count);
    // A second process that evaluated the same chain (or one that crashed before recording its
    // position) publishes the same alerts again: the server keeps one of each.
    let (_b, mut second) = evaluated_store(&blocks);
    let stats = run_delivery(&mut second, std::slice::from_ref(&spec), &wake, &stop).unwrap();
    assert_eq!(stats.delivered[0].1, count);
    assert_eq!(stream_messages(&server.url(), ALERTS_STREAM), count);
}

#[test]
fn a_worker_evaluates_every_published_block_once_in_order() {
    let server = NatsServer::start().unwrap();
    let (blocks, _) = chain(70, 20);
    let reference = reference_keys(&blocks);
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store_blocks(&mut store, &blocks);
    let mut publisher = BlockPublisher::connect(&server.url()).unwrap();
    assert_eq!(publisher.publish_new(&mut store).unwrap(), 70);
    // Published positions are remembered: nothing is published twice.
    assert_eq!(publisher.publish_new(&mut store).unwrap(), 0);

    let stop = Arc::new(AtomicBool::new(false));
    let worker_dir = dir.path().to_owned();
    let worker_stop = Arc::clone(&stop);
    let url = server.url();
    let worker = std::thread::spawn(move || {
        let mut store = SqliteStore::open(&worker_dir).unwrap();
        let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
        let mut heights = Vec::new();
        let options =
            WorkerOptions { fetch_wait: Duration::from_millis(100), ..WorkerOptions::default() };
        run_worker(&mut evaluator, &mut store, &url, &options, &worker_stop, &mut |o| {
            heights.push(o.block.height);
        })
        .unwrap();
        heights
    });
    let network = store.networks().unwrap()[0];
    let tip = store.tip(network.1).unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.monitor_cursor(WORKER_MONITOR, network.0).unwrap() != Some(tip) {
        assert!(Instant::now() < deadline, "the worker did not reach the tip in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Release);
    let heights = worker.join().unwrap();
    assert_eq!(heights, (0..70).collect::<Vec<_>>());
    let keys: BTreeSet<_> = alert_keys(&store).into_iter().collect();
    assert_eq!(keys, reference);
}
