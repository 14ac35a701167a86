//! Integration tests of the SQLite store: snapshots, de-listing, atomicity, format versions.

use chainward_primitives::{
    Actor, AddressKey, Category, Chain, IssueSeverity, ParseIssue, WatchlistEntry,
};
use chainward_store::{FORMAT_VERSION, SqliteStore};
mod alerts;

use chainward_store_api::{SnapshotImport, SourceRef, StoreError, WatchlistStore};

fn entry(byte: u8, entity: &str, category: Category) -> WatchlistEntry {
    let payload = [byte; 20];
    WatchlistEntry {
        key: AddressKey::new(Chain::Evm, &payload),
        chain: Chain::Evm,
        address: format!("0x{}", format!("{byte:02x}").repeat(20)),
        raw_address: None,
        currency: Some("ETH".into()),
        entity: Some(entity.into()),
        category,
        labels: vec![],
        confidence: 100,
        confidence_label: Some("authority_data".into()),
        program: Some("CYBER2".into()),
        reference: None,
        actor: None,
        context: None,
        listed_on: None,
    }
}

fn snapshot(source: &str, effective_at: &str, entries: Vec<WatchlistEntry>) -> SnapshotImport {
    let hash = format!("{source}-{effective_at}-{}", entries.len());
    SnapshotImport {
        source: SourceRef { name: source.into(), format: "test".into() },
        origin: "memory".into(),
        content_hash: hash,
        imported_at: "2026-11-25T00:00:00Z".into(),
        effective_at: effective_at.into(),
        entries,
        actors: vec![],
        issues: vec![],
    }
}

#[test]
fn a_newer_snapshot_delists_what_it_no_longer_contains_and_history_stays() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let first = snapshot(
        "list",
        "2024-08-20",
        vec![
            entry(1, "TORNADO CASH", Category::Sanctioned),
            entry(2, "LAZARUS", Category::Sanctioned),
        ],
    );
    let outcome = store.import_snapshots(&[first]).unwrap();
    assert_eq!((outcome[0].listed, outcome[0].delisted, outcome[0].kept), (2, 0, 0));

    let second = snapshot("list", "2025-03-21", vec![entry(2, "LAZARUS", Category::Sanctioned)]);
    let outcome = store.import_snapshots(&[second]).unwrap();
    assert_eq!((outcome[0].listed, outcome[0].delisted, outcome[0].kept), (0, 1, 1));

    let tornado = store.lookup(&entry(1, "", Category::Sanctioned).key).unwrap();
    assert_eq!(tornado.len(), 1);
    assert!(!tornado[0].is_active());
    assert_eq!(tornado[0].listed_at, "2024-08-20");
    assert_eq!(tornado[0].delisted_in.as_ref().unwrap().effective_at, "2025-03-21");
    let lazarus = store.lookup(&entry(2, "", Category::Sanctioned).key).unwrap();
    assert!(lazarus[0].is_active());

    // Re-listing after a de-listing starts a new listing; the old one stays in history.
    let third = snapshot(
        "list",
        "2026-01-01",
        vec![
            entry(1, "TORNADO CASH", Category::Sanctioned),
            entry(2, "LAZARUS", Category::Sanctioned),
        ],
    );
    store.import_snapshots(&[third]).unwrap();
    let tornado = store.lookup(&entry(1, "", Category::Sanctioned).key).unwrap();
    assert_eq!(tornado.len(), 2);
    assert!(tornado[0].is_active(), "active listing sorts first");
    assert!(!tornado[1].is_active());

    let sources = store.sources().unwrap();
    assert_eq!(sources[0].snapshots, 3);
    assert_eq!(sources[0].active_entries, 2);
    assert_eq!(sources[0].delisted_entries, 1);
}

#[test]
fn identical_content_writes_no_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let s = snapshot("list", "2024-01-01", vec![entry(1, "A", Category::Mixer)]);
    store.import_snapshots(std::slice::from_ref(&s)).unwrap();
    let again = store.import_snapshots(&[s]).unwrap();
    assert_eq!(again[0].snapshot, None);
    assert_eq!(store.snapshots(None).unwrap().len(), 1);
}

#[test]
fn duplicates_in_one_snapshot_merge_their_currencies() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let mut usdt = entry(3, "GARANTEX", Category::Sanctioned);
    usdt.currency = Some("USDT".into());
    let outcome = store
        .import_snapshots(&[snapshot(
            "list",
            "2024-01-01",
            vec![entry(3, "GARANTEX", Category::Sanctioned), usdt],
        )])
        .unwrap();
    assert_eq!(outcome[0].entries, 1);
    let records = store.lookup(&entry(3, "", Category::Sanctioned).key).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].entry.currency.as_deref(), Some("ETH, USDT"));
}

#[test]
fn a_failed_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store
        .import_snapshots(&[snapshot("b", "2025-01-01", vec![entry(9, "B", Category::Scam)])])
        .unwrap();
    let good = snapshot("a", "2024-01-01", vec![entry(1, "A", Category::Mixer)]);
    let stale = snapshot("b", "2024-01-01", vec![]);
    let error = store.import_snapshots(&[good, stale]).unwrap_err();
    assert!(matches!(error, StoreError::OutOfOrder { .. }), "{error}");
    assert!(error.to_string().contains("older than its latest snapshot"));
    assert!(store.lookup(&entry(1, "", Category::Mixer).key).unwrap().is_empty());
    assert_eq!(store.snapshots(None).unwrap().len(), 1);
    assert_eq!(store.lookup(&entry(9, "", Category::Scam).key).unwrap().len(), 1);
}

#[test]
fn changed_attributes_of_a_kept_entry_are_updated() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store
        .import_snapshots(&[snapshot("l", "2024-01-01", vec![entry(5, "E", Category::Sanctioned)])])
        .unwrap();
    let mut changed = entry(5, "E", Category::Sanctioned);
    changed.program = Some("DPRK3".into());
    let mut second = snapshot("l", "2024-02-01", vec![changed]);
    second.content_hash = "other".into();
    store.import_snapshots(&[second]).unwrap();
    let records = store.lookup(&entry(5, "", Category::Sanctioned).key).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].entry.program.as_deref(), Some("DPRK3"));
    assert_eq!(records[0].listed_at, "2024-01-01");
}

#[test]
fn issues_and_actors_are_kept_with_their_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let mut s = snapshot("actors", "2024-01-01", vec![]);
    s.issues.push(ParseIssue {
        file: "x.yaml".into(),
        line: 12,
        field: Some("address".into()),
        severity: IssueSeverity::Error,
        message: "bad".into(),
    });
    s.actors.push(Actor {
        id: "lazarus".into(),
        label: "Lazarus Group".into(),
        aliases: vec!["APT38".into(), "Hidden Cobra".into()],
        ..Actor::default()
    });
    let outcome = store.import_snapshots(&[s]).unwrap();
    let issues = store.issues(outcome[0].snapshot.unwrap()).unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].line, 12);
    assert_eq!(store.actor("hidden cobra").unwrap()[0].label, "Lazarus Group");
    assert!(store.actor("nobody").unwrap().is_empty());
}

#[test]
fn a_store_of_a_newer_format_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.format_version().unwrap(), FORMAT_VERSION);
    let path = store.path().to_path_buf();
    drop(store);
    let conn = rusqlite_connection(&path);
    conn.pragma_update(None, "user_version", FORMAT_VERSION + 1).unwrap();
    drop(conn);
    let error = SqliteStore::open(dir.path()).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StoreError::IncompatibleFormat { .. }), "{message}");
    assert!(message.contains("newer chainward"), "{message}");
}

#[test]
fn a_foreign_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite_connection(&dir.path().join(chainward_store::DATABASE_FILE));
    conn.execute_batch("CREATE TABLE other (x INTEGER);").unwrap();
    drop(conn);
    let message = SqliteStore::open(dir.path()).unwrap_err().to_string();
    assert!(message.contains("another program"), "{message}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(chainward_store::DATABASE_FILE), b"not a database at all, no")
        .unwrap();
    let message = SqliteStore::open(dir.path()).unwrap_err().to_string();
    assert!(message.contains("Chainward store"), "{message}");
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
