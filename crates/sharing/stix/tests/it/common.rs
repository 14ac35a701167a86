//! Shared helpers: the DPRK theft lists as stored watchlist records, fixed export options.

use chainward_primitives::{Category, WatchlistEntry};
use chainward_screening::{ImportOptions, import};
use chainward_stix::{ExportOptions, ImportProvenance, Producer, Timestamp};
use chainward_store_api::{EntryRecord, SnapshotRef};

/// The DPRK theft address lists of the shared data, imported as the CLI imports them: the
/// attacker lists as stolen funds of Lazarus Group, the Atomic Wallet victims as `other`.
pub(crate) fn dprk_records() -> Vec<EntryRecord> {
    let folder = chainward_fixtures::shared_file("dprk_hacks");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "the four DPRK address lists in {}", folder.display());
    let mut records = Vec::new();
    for file in files {
        let victims = file.to_string_lossy().contains("atomic_wallet");
        let options = ImportOptions {
            category: Some(if victims { Category::Other } else { Category::StolenFunds }),
            entity: (!victims).then(|| "Lazarus Group".to_owned()),
            as_of: Some("2025-03-01".into()),
            ..ImportOptions::default()
        };
        let plans = import::plan_import(std::slice::from_ref(&file), &options).unwrap();
        for plan in plans {
            let snapshot = import::load(&plan, &options, "2026-11-25T00:00:00Z").unwrap();
            for entry in snapshot.entries {
                records.push(EntryRecord {
                    source: snapshot.source.name.clone(),
                    listed_at: entry.listed_on.clone().unwrap_or(snapshot.effective_at.clone()),
                    entry,
                    listed_in: SnapshotRef {
                        id: 1,
                        effective_at: snapshot.effective_at.clone(),
                        content_hash: snapshot.content_hash.clone(),
                    },
                    delisted_in: None,
                });
            }
        }
    }
    assert!(records.len() > 400, "{} records", records.len());
    records
}

pub(crate) fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

pub(crate) fn options() -> ExportOptions {
    let mut options = ExportOptions::new(Producer::organization("Chainward test agency"));
    options.now = at("2026-11-25T12:00:00.000Z");
    options
}

pub(crate) fn provenance() -> ImportProvenance {
    ImportProvenance {
        collection: Some("watchlist".into()),
        origin: "test-bundle.json".into(),
        imported_at: at("2026-11-26T00:00:00.000Z"),
        as_of: None,
    }
}

/// Entries in a canonical order, for multiset comparison.
pub(crate) fn sorted(mut entries: Vec<WatchlistEntry>) -> Vec<WatchlistEntry> {
    entries.sort_by_key(|e| serde_json::to_string(e).unwrap());
    entries
}
