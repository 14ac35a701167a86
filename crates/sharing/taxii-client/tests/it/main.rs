//! Against a real medallion 3.0.0 (PyPI, memory backend), started per test on a free port.
//!
//! `pip install medallion==3.0.0` first; without it these tests fail with that instruction.

mod medallion;

use chainward_primitives::{Address, Category, Chain, WatchlistEntry};
use chainward_stix::{Producer, StixObject, Timestamp};
use chainward_store_api::{EntryRecord, SnapshotRef};
use chainward_taxii_client::{
    ApplyOptions, Auth, ClientConfig, CollectionAddress, ObjectQuery, PullOptions, PullState,
    PushOptions, SyncOptions, SyncState, TaxiiClient, plan_apply, plan_sync,
};
use medallion::{Medallion, RO_COLLECTION, RW_COLLECTION};
use std::time::Duration;

fn record(i: u32, delisted: bool) -> EntryRecord {
    let text = format!("0x{:040x}", 0x5000 + i);
    let address = Address::parse(Chain::Evm, &text).unwrap();
    EntryRecord {
        source: "case-notes".into(),
        entry: WatchlistEntry {
            key: address.key(),
            chain: Chain::Evm,
            address: address.canonical().into(),
            raw_address: None,
            currency: Some("ETH".into()),
            entity: Some("Lazarus Group".into()),
            category: Category::StolenFunds,
            labels: Vec::new(),
            confidence: 90,
            confidence_label: None,
            program: None,
            reference: Some(format!("case-{i}")),
            actor: None,
            context: None,
            listed_on: Some("2026-11-01".into()),
        },
        listed_in: SnapshotRef {
            id: 1,
            effective_at: "2026-11-01".into(),
            content_hash: "a".into(),
        },
        listed_at: "2026-11-01".into(),
        delisted_in: delisted.then(|| SnapshotRef {
            id: 2,
            effective_at: "2026-11-20".into(),
            content_hash: "b".into(),
        }),
    }
}

fn sync_options() -> SyncOptions {
    let mut options = SyncOptions::new(Producer::organization("Agency A"));
    // medallion 3.0.0 answers 500 to GET objects once a collection holds an extension definition.
    options.include_extension_definitions = false;
    options
}

fn client(_server: &Medallion) -> TaxiiClient {
    TaxiiClient::new(ClientConfig::with_auth(Auth::Basic {
        user: "admin".into(),
        password: "Password0".into(),
    }))
    .unwrap()
}

fn indicators(objects: &[StixObject]) -> usize {
    objects.iter().filter(|o| matches!(o, StixObject::Indicator(_))).count()
}

/// Pushes `records` (planned as new) and returns how many objects the server stored.
async fn publish(
    client: &TaxiiClient,
    collection: &CollectionAddress,
    records: &[EntryRecord],
    state: &mut SyncState,
) -> usize {
    let plan = plan_sync(records, state, &sync_options()).unwrap();
    let outcome = client.push(collection, &plan.push, &PushOptions::default()).await.unwrap();
    assert_eq!(outcome.failed(), 0, "{:?}", outcome.results);
    plan.record(&outcome, state);
    outcome.succeeded()
}

#[tokio::test]
async fn discovery_collections_and_errors() {
    let server = Medallion::start(100);
    let client = client(&server);
    let discovery = client.discovery(&server.discovery_url()).await.unwrap();
    assert_eq!(discovery.title, "AML sharing test server");
    let roots = TaxiiClient::api_root_urls(&server.discovery_url(), &discovery).unwrap();
    assert_eq!(roots[0].as_str(), server.api_root());
    let root = client.api_root(&server.api_root()).await.unwrap();
    assert_eq!(root.max_content_length, 10_485_760);
    assert_eq!(root.versions, vec!["application/taxii+json;version=2.1".to_owned()]);
    let collections = client.collections(&server.api_root()).await.unwrap();
    assert_eq!(collections.len(), 2);
    let rw = medallion::collection(&server, RW_COLLECTION);
    let collection = client.collection(&rw).await.unwrap();
    assert!(collection.can_read && collection.can_write);

    // Unknown collection: 404 with medallion's TAXII error.
    let unknown = medallion::collection(&server, "11111111-2222-4333-8444-555555555555");
    let error = client.objects(&unknown, &ObjectQuery::default()).await.unwrap_err();
    assert_eq!(error.http_status(), Some(404), "{error}");
    let body = error.server_error().expect("a TAXII error body");
    assert!(!body.title.is_empty());
    assert_eq!(
        body.http_status.as_ref().map(|s| s.to_string().trim_matches('"').to_owned()),
        Some("404".into())
    );

    // No read permission: 403.
    let error = client
        .objects(&medallion::collection(&server, RO_COLLECTION), &ObjectQuery::default())
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), Some(403), "{error}");

    // Wrong credentials: 401, medallion's own message (an HTML body, not TAXII JSON).
    let wrong = TaxiiClient::new(ClientConfig::with_auth(Auth::Basic {
        user: "admin".into(),
        password: "wrong".into(),
    }))
    .unwrap();
    let error = wrong.discovery(&server.discovery_url()).await.unwrap_err();
    assert_eq!(error.http_status(), Some(401));
    assert!(error.to_string().contains("Unauthorized Access"), "{error}");
    let error = wrong.collections(&server.api_root()).await.unwrap_err();
    assert_eq!(error.http_status(), Some(401), "{error}");

    // Nobody listening: a transport error after bounded retries.
    let mut config = ClientConfig::default();
    config.retry.max_retries = 1;
    config.retry.base_delay = Duration::from_millis(10);
    let nobody = TaxiiClient::new(config).unwrap();
    let error = nobody
        .discovery(&format!("http://127.0.0.1:{}/taxii2/", medallion::free_port()))
        .await
        .unwrap_err();
    assert!(matches!(error, chainward_taxii_client::TaxiiError::Transport { .. }), "{error}");
}

#[tokio::test]
async fn push_pull_incremental_and_revocation() {
    let server = Medallion::start(100);
    let client = client(&server);
    let collection = medallion::collection(&server, RW_COLLECTION);
    let mut ours = SyncState::default();

    // Agency A publishes 5 entries (one POST: one date_added for all).
    let first: Vec<EntryRecord> = (0..5).map(|i| record(i, false)).collect();
    let pushed = publish(&client, &collection, &first, &mut ours).await;
    assert!(pushed > 5);

    // Agency B pulls everything.
    let mut theirs = SyncState::default();
    let pull = client.pull(&collection, &theirs.pull, &PullOptions::default()).await.unwrap();
    assert_eq!(pull.objects.len(), pushed, "{:?}", pull.fallbacks);
    assert!(pull.rejected.is_empty(), "{:?}", pull.rejected);
    assert_eq!(indicators(&pull.objects), 5);
    let apply = ApplyOptions {
        collection: RW_COLLECTION.into(),
        origin: collection.api_root().to_string(),
        now: Timestamp::now(),
    };
    let plan = plan_apply(&pull.objects, &theirs, &apply);
    let mut active: Vec<WatchlistEntry> = plan.snapshots(|_| Vec::new()).remove(0).entries;
    assert_eq!(active.len(), 5);
    theirs.applied = plan.applied;
    theirs.pull = pull.new_state;

    // Nothing new: nothing returned (the objects at the cursor's date are re-read and skipped).
    let pull = client.pull(&collection, &theirs.pull, &PullOptions::default()).await.unwrap();
    assert!(pull.objects.is_empty(), "{:?}", pull.objects.len());
    assert_eq!(pull.repeats_skipped as usize, pushed);

    // Two more POSTs with three new entries each: several objects share each date_added.
    let mut all = first.clone();
    for batch in [5..8, 8..11] {
        all.extend(batch.map(|i| record(i, false)));
        publish(&client, &collection, &all, &mut ours).await;
    }
    let pull = client.pull(&collection, &theirs.pull, &PullOptions::default()).await.unwrap();
    assert_eq!(indicators(&pull.objects), 6, "only the new ones");
    let ids: std::collections::BTreeSet<_> =
        pull.objects.iter().map(|o| o.id().to_string()).collect();
    assert_eq!(ids.len(), pull.objects.len(), "no object twice");
    let plan = plan_apply(&pull.objects, &theirs, &apply);
    active = plan.snapshots(|_| active.clone()).remove(0).entries;
    assert_eq!(active.len(), 11);
    theirs.applied = plan.applied;
    theirs.pull = pull.new_state;

    // A de-lists entry 3: the indicator is re-published revoked, as a new version.
    all[3] = record(3, true);
    let plan = plan_sync(&all, &ours, &sync_options()).unwrap();
    assert_eq!(plan.revoked_indicators.len(), 1);
    let revoked_id = plan.revoked_indicators[0].clone();
    let outcome = client.push(&collection, &plan.push, &PushOptions::default()).await.unwrap();
    assert_eq!(outcome.failed(), 0);
    plan.record(&outcome, &mut ours);
    let versions =
        client.versions(&collection, revoked_id.as_str(), &ObjectQuery::default()).await.unwrap();
    assert_eq!(versions.body.versions.len(), 2);

    // B pulls it as a de-listing: the address stops matching.
    let pull = client.pull(&collection, &theirs.pull, &PullOptions::default()).await.unwrap();
    assert_eq!(indicators(&pull.objects), 1);
    let plan = plan_apply(&pull.objects, &theirs, &apply);
    assert_eq!(plan.delisted.len(), 1);
    active = plan.snapshots(|_| active.clone()).remove(0).entries;
    assert_eq!(active.len(), 10);
    assert!(!active.iter().any(|e| e.address == all[3].entry.address));

    // Re-pushing the same objects: medallion reports failures, the client finds them present.
    let again = plan_sync(&all, &SyncState::default(), &sync_options()).unwrap();
    let resent: Vec<StixObject> =
        again.push.into_iter().filter(|o| o.id() != &revoked_id).collect();
    let outcome = client.push(&collection, &resent, &PushOptions::default()).await.unwrap();
    assert!(outcome.results.iter().all(|(_, r)| r.is_ok()), "{:?}", outcome.results);

    // Manifest, object, DELETE.
    let manifest = client
        .manifest(
            &collection,
            &ObjectQuery { types: vec!["indicator".into()], ..ObjectQuery::default() },
        )
        .await
        .unwrap();
    assert_eq!(manifest.body.objects.len(), 11);
    assert!(manifest.date_added.first.is_some() && manifest.date_added.last.is_some());
    let one =
        client.object(&collection, revoked_id.as_str(), &ObjectQuery::default()).await.unwrap();
    assert_eq!(one.body.objects[0]["revoked"], true);
    // DELETE takes the latest version by default (medallion as the spec's `last`): all of them.
    let all_versions = ObjectQuery { versions: vec!["all".into()], ..ObjectQuery::default() };
    client.delete_object(&collection, revoked_id.as_str(), &all_versions).await.unwrap();
    let error =
        client.object(&collection, revoked_id.as_str(), &ObjectQuery::default()).await.unwrap_err();
    assert_eq!(error.http_status(), Some(404));
}

#[tokio::test]
async fn paging_with_a_small_limit() {
    let server = Medallion::start(100);
    let client = client(&server);
    let collection = medallion::collection(&server, RW_COLLECTION);
    let mut ours = SyncState::default();
    let mut all = Vec::new();
    for batch in [0..4, 4..9, 9..12] {
        all.extend(batch.map(|i| record(i, false)));
        publish(&client, &collection, &all, &mut ours).await;
    }
    let full =
        client.pull(&collection, &PullState::default(), &PullOptions::default()).await.unwrap();
    let total = full.objects.len();
    let options = PullOptions { limit: Some(3), ..PullOptions::default() };
    let paged = client.pull(&collection, &PullState::default(), &options).await.unwrap();
    assert!(paged.pages as usize >= total / 3, "{} pages", paged.pages);
    let mut a: Vec<String> = full.objects.iter().map(|o| o.id().to_string()).collect();
    let mut b: Vec<String> = paged.objects.iter().map(|o| o.id().to_string()).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(full.new_state.added_after, paged.new_state.added_after);

    // medallion 3.0.0 sends `next` with `more`; it forgets it after its session timeout
    // (here 2 s) and then refuses it with 400, which the pull treats as "page on by date".
    let first = client
        .objects(&collection, &ObjectQuery { limit: Some(2), ..ObjectQuery::default() })
        .await
        .unwrap();
    assert!(first.body.more);
    let next = first.body.next.clone().expect("medallion 3.0.0 sends next with more");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let error = client
        .objects(
            &collection,
            &ObjectQuery { limit: Some(2), next: Some(next), ..ObjectQuery::default() },
        )
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), Some(400), "{error}");
}

/// Release build only: `cargo test --release -p chainward-taxii-client --test it -- --ignored page_10000`.
#[tokio::test]
#[ignore = "measurement: 10,000 objects through medallion"]
async fn page_10000_objects() {
    let server = Medallion::start_with(1000, 30);
    let client = client(&server);
    let collection = medallion::collection(&server, RW_COLLECTION);
    let records: Vec<EntryRecord> = (0..2400).map(|i| record(i, false)).collect();
    let plan = plan_sync(&records, &SyncState::default(), &sync_options()).unwrap();
    let objects: Vec<StixObject> = plan.push.into_iter().take(10_000).collect();
    let started = std::time::Instant::now();
    for chunk in objects.chunks(1000) {
        let outcome = client
            .push(
                &collection,
                chunk,
                &PushOptions { verify_failures: false, ..PushOptions::default() },
            )
            .await
            .unwrap();
        assert_eq!(outcome.failed(), 0);
    }
    eprintln!("pushed {} objects in {:.1} s", objects.len(), started.elapsed().as_secs_f64());
    let started = std::time::Instant::now();
    let pull = client
        .pull(
            &collection,
            &PullState::default(),
            &PullOptions { limit: Some(1000), ..PullOptions::default() },
        )
        .await
        .unwrap();
    eprintln!(
        "paged {} objects in {} pages in {:.1} s (fallbacks {:?})",
        pull.objects.len(),
        pull.pages,
        started.elapsed().as_secs_f64(),
        pull.fallbacks
    );
    assert_eq!(pull.objects.len(), objects.len());
}
