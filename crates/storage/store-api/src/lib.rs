//! Chainward's storage interface: traits and row types, with no database named.
//!
//! Callers (importers, screening, later ingest and analytics) speak to [`WatchlistStore`];
//! `chainward-store` implements it on SQLite (the embedded default) and, later, PostgreSQL, so
//! a new backend changes no caller.
//!
//! The watchlist model is a versioned history per source:
//! - a *source* is one list (`ofac-sdn`, `graphsense/ofac`, `ultrasoundmoney-ofac-eth`);
//! - each import of it is a [`SnapshotImport`] with provenance (origin, import time, content
//!   hash, the date it speaks for);
//! - an entry is *listed* by the first snapshot that contains it and *de-listed* by the first
//!   later snapshot that no longer does. Nothing is ever deleted, so the history stays
//!   queryable: [`EntryRecord`] carries both ends.
//!
//! A whole batch of snapshots is written in one transaction: an import either lands whole or
//! leaves the store as it was.
//!
//! The chain model (blocks, transactions, transfers per network, and ingest checkpoints) is
//! behind [`ChainStore`]: see [`chain`]. What the analytics graph reads is behind
//! [`GraphSource`]: see [`graph`].

pub mod alerts;
pub mod chain;
pub mod graph;
pub mod taxii;

pub use alerts::{
    AlertFilter, AlertRecord, AlertSeverity, AlertStatus, AlertStore, NewAlert, RecordOutcome,
};
pub use chain::{ApplyOutcome, ChainBatch, ChainStats, ChainStore, Checkpoint, NetworkStats};
use chainward_primitives::{Actor, AddressKey, ParseIssue, WatchlistEntry};
pub use graph::{GraphBlockRows, GraphEdgeRow, GraphEnd, GraphSource, LabelRow, TransactionRef};
use serde::Serialize;
pub use taxii::{
    AddItem, AddRequest, ApiRootRow, CollectionRow, DateAddedPolicy, DeleteOutcome, DeleteRequest,
    NewApiRoot, NewCollection, NewObject, NewUser, ObjectPage, ObjectQuery, ObjectRow,
    OrganizationRow, Position, Rights, StatusEntry, StatusRow, TaxiiStore, Tlp, UserRow,
    VersionSelector, Viewer,
};

/// The store's identifier of a snapshot.
pub type SnapshotId = i64;

/// A source (one list) as it is named in the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    /// Unique name, e.g. `ofac-sdn`, `graphsense/ofac`.
    pub name: String,
    /// The format it is read in, e.g. `ofac-sdn-csv`, `graphsense-tagpack`.
    pub format: String,
}

/// One snapshot of one source, ready to be written.
#[derive(Clone, Debug)]
pub struct SnapshotImport {
    /// The source.
    pub source: SourceRef,
    /// Where the content came from (file path or URL).
    pub origin: String,
    /// SHA-256 (hex) of the content as read.
    pub content_hash: String,
    /// When it was imported (RFC 3339, UTC).
    pub imported_at: String,
    /// The date the content speaks for (`YYYY-MM-DD` or RFC 3339): its publication date when
    /// known, else the import time. Listing and de-listing dates come from it.
    pub effective_at: String,
    /// The validated entries. Duplicates (same identity) are merged by the store.
    pub entries: Vec<WatchlistEntry>,
    /// Actors the source defines.
    pub actors: Vec<Actor>,
    /// Problems found while parsing and validating, kept with the snapshot.
    pub issues: Vec<ParseIssue>,
}

/// A snapshot as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    /// Its id.
    pub id: SnapshotId,
    /// Its source's name.
    pub source: String,
    /// Its source's format.
    pub format: String,
    /// Where the content came from.
    pub origin: String,
    /// SHA-256 (hex) of the content.
    pub content_hash: String,
    /// Import time.
    pub imported_at: String,
    /// The date it speaks for.
    pub effective_at: String,
    /// Entries it contains.
    pub entry_count: u64,
    /// Entries it listed for the first time.
    pub listed: u64,
    /// Entries it de-listed.
    pub delisted: u64,
    /// Issues found in it.
    pub issue_count: u64,
}

/// What importing one snapshot did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotOutcome {
    /// The source.
    pub source: String,
    /// The new snapshot, or `None` when the content was identical to the latest snapshot of the
    /// source (nothing written).
    pub snapshot: Option<SnapshotId>,
    /// Entries in the snapshot (after merging duplicates).
    pub entries: u64,
    /// Newly listed entries.
    pub listed: u64,
    /// Entries still listed (present before and now).
    pub kept: u64,
    /// Entries de-listed by this snapshot.
    pub delisted: u64,
    /// Issues recorded.
    pub issues: u64,
}

/// Where an entry's listing or de-listing happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotRef {
    /// The snapshot.
    pub id: SnapshotId,
    /// The date it speaks for.
    pub effective_at: String,
    /// Its content hash.
    pub content_hash: String,
}

/// A stored entry with its history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryRecord {
    /// The source's name.
    pub source: String,
    /// The entry.
    #[serde(flatten)]
    pub entry: WatchlistEntry,
    /// The snapshot that first contained it.
    pub listed_in: SnapshotRef,
    /// The date it was listed: the source's own date when it states one, else `listed_in`'s.
    pub listed_at: String,
    /// The snapshot that no longer contained it, if any.
    pub delisted_in: Option<SnapshotRef>,
}

impl EntryRecord {
    /// Whether the entry is listed now.
    pub fn is_active(&self) -> bool {
        self.delisted_in.is_none()
    }
}

/// A source with counts, for listings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceSummary {
    /// The source.
    pub name: String,
    /// Its format.
    pub format: String,
    /// Number of snapshots.
    pub snapshots: u64,
    /// Entries listed now.
    pub active_entries: u64,
    /// Entries de-listed at some point.
    pub delisted_entries: u64,
    /// The latest snapshot's effective date.
    pub latest_effective_at: Option<String>,
}

/// Errors of any store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store on disk has a format this build cannot use.
    #[error(
        "the store at {path} has format version {found}, but this build of chainward uses \
         version {expected}: {advice}"
    )]
    IncompatibleFormat {
        /// Where the store is.
        path: String,
        /// The version found.
        found: u32,
        /// The version this build uses.
        expected: u32,
        /// What to do.
        advice: String,
    },
    /// A snapshot older than the latest one of its source was offered.
    #[error(
        "snapshot of '{source_name}' dated {offered} is older than its latest snapshot ({latest}); \
         import snapshots in date order"
    )]
    OutOfOrder {
        /// The source.
        source_name: String,
        /// The offered snapshot's date.
        offered: String,
        /// The latest stored snapshot's date.
        latest: String,
    },
    /// The backend failed.
    #[error("store backend error: {0}")]
    Backend(String),
    /// A chain batch does not fit what is stored (a gap, an overlap, a broken parent link).
    #[error("chain batch rejected: {0}")]
    Rejected(String),
    /// A stored value could not be decoded.
    #[error("corrupt store row: {0}")]
    Corrupt(String),
}

/// The watchlist part of the store.
pub trait WatchlistStore {
    /// Writes a batch of snapshots in one transaction; on error nothing is written.
    ///
    /// # Errors
    /// [`StoreError::OutOfOrder`] when a snapshot is older than its source's latest; backend
    /// errors.
    fn import_snapshots(
        &mut self,
        batch: &[SnapshotImport],
    ) -> Result<Vec<SnapshotOutcome>, StoreError>;

    /// Every record (active and de-listed) for an address key, listed first.
    ///
    /// # Errors
    /// Backend errors.
    fn lookup(&self, key: &AddressKey) -> Result<Vec<EntryRecord>, StoreError>;

    /// Calls `visit` for every record in the store (to build an in-memory index).
    ///
    /// # Errors
    /// Backend errors, or the first error `visit` returns.
    fn for_each_record(
        &self,
        visit: &mut dyn FnMut(EntryRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// The sources with counts.
    ///
    /// # Errors
    /// Backend errors.
    fn sources(&self) -> Result<Vec<SourceSummary>, StoreError>;

    /// Snapshots, newest first, of one source or all.
    ///
    /// # Errors
    /// Backend errors.
    fn snapshots(&self, source: Option<&str>) -> Result<Vec<SnapshotInfo>, StoreError>;

    /// The issues recorded with a snapshot.
    ///
    /// # Errors
    /// Backend errors.
    fn issues(&self, snapshot: SnapshotId) -> Result<Vec<ParseIssue>, StoreError>;

    /// Actors whose id or any alias equals `name` (case-insensitive).
    ///
    /// # Errors
    /// Backend errors.
    fn actor(&self, name: &str) -> Result<Vec<Actor>, StoreError>;
}
