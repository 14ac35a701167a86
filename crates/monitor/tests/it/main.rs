//! The monitor against a real store, a synthetic chain with planted laundering shapes, a real
//! NATS server and a real HTTP receiver.

use chainward_ingest::memory::MemorySource;
use chainward_ingest::synthetic_account::AccountChainBuilder;
use chainward_ingest::{IngestOptions, ingest};
use chainward_monitor::{
    Evaluator, MonitorOptions, SIGNATURE_HEADER, SinkSpec, Start, WebhookSecret, catch_up,
    read_blocks, run_delivery, verify_signature,
};
use chainward_primitives::ledger::Block;
use chainward_rules::RuleSet;
use chainward_store::SqliteStore;
use chainward_store_api::{AlertFilter, AlertStore, GraphSource};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;

mod nats;

pub(crate) fn chain(blocks: u64, payments: usize) -> (Vec<Block>, AccountChainBuilder) {
    let mut builder = AccountChainBuilder::new(11, 6);
    let blocks = builder.mine(blocks, payments);
    (blocks, builder)
}

pub(crate) fn store_blocks(store: &mut SqliteStore, blocks: &[Block]) {
    let (mut source, feed) = MemorySource::new("test");
    for b in blocks {
        feed.push(b.clone());
    }
    ingest(
        store,
        &mut source,
        &IngestOptions { batch_blocks: 25, ..IngestOptions::default() },
        &mut |_| {},
    )
    .unwrap();
}

pub(crate) fn options() -> MonitorOptions {
    MonitorOptions { name: "test".into(), start: Start::Genesis, ..MonitorOptions::default() }
}

pub(crate) fn alert_keys(store: &SqliteStore) -> Vec<String> {
    store.alerts(&AlertFilter::default()).unwrap().into_iter().map(|a| a.alert.key).collect()
}

/// Evaluates the whole chain once, uninterrupted, on a fresh store: the reference.
pub(crate) fn reference_keys(blocks: &[Block]) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store_blocks(&mut store, blocks);
    let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
    catch_up(&mut evaluator, &mut store, &options(), &mut |_| {}).unwrap();
    let keys = alert_keys(&store);
    let set: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!(set.len(), keys.len(), "alert keys are unique");
    set
}

#[test]
fn planted_fan_outs_and_cycles_are_alerted_with_their_members() {
    let (blocks, builder) = chain(80, 40);
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store_blocks(&mut store, &blocks);
    let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
    let pass = catch_up(&mut evaluator, &mut store, &options(), &mut |_| {}).unwrap();
    assert_eq!(pass.blocks, 80);
    let alerts = store.alerts(&AlertFilter::default()).unwrap();
    assert!(!alerts.is_empty(), "planted shapes raise alerts");
    for planted in builder.planted().iter().filter(|p| p.kind == "fan_out") {
        // The splitting address is named by a fan-out alert.
        let source = planted.members[0].canonical().to_owned();
        assert!(
            alerts
                .iter()
                .any(|a| a.alert.detector == "fan_out" && a.alert.subjects.contains(&source)),
            "fan-out from {source} (block {}) not alerted; alerts: {:?}",
            planted.first_height,
            alerts.iter().map(|a| (&a.alert.detector, &a.alert.subjects)).collect::<Vec<_>>()
        );
    }
    for planted in builder.planted().iter().filter(|p| p.kind == "cycle") {
        let member = planted.members[0].canonical().to_owned();
        assert!(
            alerts
                .iter()
                .any(|a| a.alert.detector == "cycle" && a.alert.subjects.contains(&member)),
            "cycle through {member} not alerted"
        );
    }
    // Evidence names transactions by hash and addresses by their spelling, never by store id.
    let evidence: serde_json::Value = serde_json::from_str(&alerts[0].alert.evidence).unwrap();
    let text = evidence.to_string();
    assert!(!text.contains("\"#"), "unresolved id in evidence: {text}");
}

#[test]
fn a_restart_resumes_after_the_last_evaluated_block_without_skipping_or_doubling() {
    let (blocks, _) = chain(90, 30);
    let reference = reference_keys(&blocks);
    assert!(!reference.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    // First run: the first 37 blocks arrive and are evaluated; then the process "dies".
    store_blocks(&mut store, &blocks[..37]);
    {
        let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
        let pass = catch_up(&mut evaluator, &mut store, &options(), &mut |_| {}).unwrap();
        assert_eq!(pass.blocks, 37);
    }
    let network_id = store.networks().unwrap()[0].0;
    assert_eq!(store.monitor_cursor("test", network_id).unwrap().unwrap().height, 36);
    // More blocks arrive while it is down; a new process resumes.
    store_blocks(&mut store, &blocks[37..]);
    let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
    let mut evaluated = Vec::new();
    let pass =
        catch_up(&mut evaluator, &mut store, &options(), &mut |o| evaluated.push(o.block.height))
            .unwrap();
    assert_eq!(evaluated, (37..90).collect::<Vec<_>>(), "exactly the blocks not yet evaluated");
    assert_eq!(pass.duplicates, 0);
    let keys = alert_keys(&store);
    let set: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!(set.len(), keys.len());
    assert_eq!(set, reference, "a restarted monitor raises exactly what an uninterrupted one does");
    // A third start finds nothing new.
    let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
    let pass = catch_up(&mut evaluator, &mut store, &options(), &mut |_| {}).unwrap();
    assert_eq!((pass.blocks, pass.alerts), (0, 0));
}

#[test]
fn blocks_are_read_by_height_range() {
    let (blocks, _) = chain(40, 10);
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store_blocks(&mut store, &blocks);
    let network = store.networks().unwrap()[0].0;
    let all = read_blocks(&store, network, 0, None).unwrap();
    assert_eq!(all.len(), 40);
    let some = read_blocks(&store, network, 10, Some(19)).unwrap();
    let heights: Vec<u64> = some.iter().map(|b| b.height).collect();
    assert_eq!(heights, (10..=19).collect::<Vec<_>>());
    for (ranged, whole) in some.iter().zip(&all[10..20]) {
        assert_eq!(ranged.hash, whole.hash);
        assert_eq!(ranged.edges, whole.edges, "block {}: same edges either way", ranged.height);
    }
    assert!(some.iter().any(|b| !b.edges.is_empty()));
    assert_eq!(read_blocks(&store, network, 25, Some(25)).unwrap().len(), 1);
    assert!(read_blocks(&store, network, 100, None).unwrap().is_empty());
    assert!(read_blocks(&store, network, 30, Some(20)).unwrap().is_empty(), "an empty range");
}

#[test]
fn a_monitor_started_at_the_tip_evaluates_only_new_blocks() {
    let (blocks, _) = chain(40, 20);
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store_blocks(&mut store, &blocks[..30]);
    let options = MonitorOptions { start: Start::Tip, ..options() };
    let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
    let pass = catch_up(&mut evaluator, &mut store, &options, &mut |_| {}).unwrap();
    assert_eq!(pass.blocks, 0);
    store_blocks(&mut store, &blocks[30..]);
    let mut heights = Vec::new();
    catch_up(&mut evaluator, &mut store, &options, &mut |o| heights.push(o.block.height)).unwrap();
    assert_eq!(heights, (30..40).collect::<Vec<_>>());
}

#[test]
fn a_webhook_that_is_down_gets_every_alert_once_it_is_back_in_order() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let (blocks, _) = chain(60, 20);
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store_blocks(&mut store, &blocks);
    let mut evaluator = Evaluator::new(&store, RuleSet::defaults(), None).unwrap();
    catch_up(&mut evaluator, &mut store, &options(), &mut |_| {}).unwrap();
    let expected = alert_keys(&store);
    assert!(expected.len() >= 3);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    // Down for the first two attempts, then up.
    runtime.block_on(
        Mock::given(method("POST"))
            .and(path("/hook"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .mount(&server),
    );
    runtime.block_on(
        Mock::given(method("POST"))
            .and(path("/hook"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server),
    );
    let secret = WebhookSecret::new("a-test-secret-of-32-characters!!").unwrap();
    let spec = SinkSpec::Webhook { url: format!("{}/hook", server.uri()), secret: None }
        .with_webhook_secret(Some(&secret));
    let (_wake_tx, wake) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // Each call to run_delivery with stop set makes one pass; a failed pass backs off, so
    // repeat until everything is delivered.
    stop.store(true, std::sync::atomic::Ordering::Release);
    let mut failures = 0;
    while store.sink_position(&spec.position_key()).unwrap()
        < store.alerts(&AlertFilter::default()).unwrap().last().unwrap().id
    {
        assert!(std::time::Instant::now() < deadline, "not delivered in 30 s");
        failures +=
            run_delivery(&mut store, std::slice::from_ref(&spec), &wake, &stop).unwrap().failures;
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(failures, 2, "the two 503 answers were failures, retried");
    let requests = runtime.block_on(server.received_requests()).unwrap();
    let delivered: Vec<String> = requests
        .iter()
        .filter_map(|r| r.headers.get("idempotency-key").map(|v| v.to_str().unwrap().to_owned()))
        .collect();
    // The first alert was attempted three times (two refusals), then each once, in order.
    assert_eq!(delivered.len(), expected.len() + 2);
    assert_eq!(&delivered[2..], &expected[..]);
    // Every request is signed over the bytes received, and the signature is checked as a
    // receiver would; a body changed on the way is refused.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    for request in &requests {
        let header = request.headers.get(SIGNATURE_HEADER).expect("signed").to_str().unwrap();
        verify_signature(&secret, header, &request.body, now.as_secs() as i64, 300).unwrap();
        let mut changed = request.body.clone();
        changed.push(b' ');
        assert!(verify_signature(&secret, header, &changed, now.as_secs() as i64, 300).is_err());
    }
    let body: serde_json::Value = serde_json::from_slice(&requests.last().unwrap().body).unwrap();
    assert_eq!(body["key"], expected.last().unwrap().as_str());
    assert!(body["evidence"].is_object(), "evidence is sent as JSON, not a string");
    // Nothing left: another pass sends nothing.
    let again = run_delivery(&mut store, std::slice::from_ref(&spec), &wake, &stop).unwrap();
    assert_eq!(again.delivered[0].1, 0);
}
