//! The alert part of the store: what the monitor raised, where each monitor stands, and how far
//! each sink has delivered.
//!
//! Two promises live here, not in the monitor:
//! - **no alert twice**: an alert's `key` is unique; storing a key already stored does nothing,
//!   so a restarted monitor or a second worker re-evaluating a block cannot double an alert;
//! - **no block skipped**: [`AlertStore::record_block`] stores a block's alerts and moves the
//!   monitor's cursor in one transaction, so a monitor killed at any point resumes at the first
//!   block whose alerts are not stored.
//!
//! Sinks deliver from an outbox: alerts are numbered in the order they were stored, and each sink
//! remembers the last number it delivered. Delivery is at least once; receivers deduplicate by
//! the alert key (the NATS sink sets it as the JetStream message id, the webhook as the
//! `Idempotency-Key` header).

use crate::StoreError;
use chainward_primitives::ledger::BlockRef;
use serde::Serialize;

/// How serious an alert is, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    /// Worth knowing; no action expected.
    Info,
    /// Review when time allows.
    Low,
    /// Review today.
    Medium,
    /// Review now; consider holding the funds.
    High,
    /// Block and escalate (sanctions, direct theft proceeds).
    Severe,
}

impl AlertSeverity {
    /// Every severity, lowest first.
    pub const ALL: [Self; 5] = [Self::Info, Self::Low, Self::Medium, Self::High, Self::Severe];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Severe => "severe",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for AlertSeverity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a compliance officer is with an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Not reviewed yet.
    Open,
    /// Reviewed and confirmed suspicious (a report may follow; exportable as a STIX sighting).
    Confirmed,
    /// Reviewed and dismissed (a false positive).
    Dismissed,
}

impl AlertStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Confirmed => "confirmed",
            Self::Dismissed => "dismissed",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Open, Self::Confirmed, Self::Dismissed].into_iter().find(|s| s.as_str() == text)
    }
}

/// An alert as the monitor raises it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewAlert {
    /// Stable across runs and workers: the same finding always has the same key.
    pub key: String,
    /// The rule's id in the rule file.
    pub rule: String,
    /// The detector behind the rule (`fan_in`, `watchlist_hit`, …).
    pub detector: String,
    /// Severity.
    pub severity: AlertSeverity,
    /// The store's network id of the block that raised it.
    pub network_id: u32,
    /// That block.
    pub block: BlockRef,
    /// The block's time (Unix seconds).
    pub time: u64,
    /// The addresses the alert is about (canonical spelling).
    pub subjects: Vec<String>,
    /// One sentence with the figures.
    pub summary: String,
    /// The evidence as a JSON object (transactions, addresses, amounts, paths, figures).
    pub evidence: String,
}

/// A stored alert.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertRecord {
    /// Its number, in the order alerts were stored (sinks deliver in this order).
    pub id: u64,
    /// The network's name (`evm-1`, `bitcoin`).
    pub network: String,
    /// What was raised.
    #[serde(flatten)]
    pub alert: NewAlert,
    /// When it was stored (RFC 3339, UTC).
    pub raised_at: String,
    /// Review status.
    pub status: AlertStatus,
    /// The reviewer's note, if any.
    pub note: Option<String>,
}

/// Which alerts to list; every field narrows.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    /// Only alerts numbered above this.
    pub after_id: Option<u64>,
    /// Only this network (store id).
    pub network_id: Option<u32>,
    /// Only this rule id.
    pub rule: Option<String>,
    /// Only this detector.
    pub detector: Option<String>,
    /// Only at least this severity.
    pub min_severity: Option<AlertSeverity>,
    /// Only with this status.
    pub status: Option<AlertStatus>,
    /// Only alerts naming this address as a subject (canonical spelling).
    pub subject: Option<String>,
    /// Only blocks at or after this time (Unix seconds).
    pub since: Option<u64>,
    /// Only blocks before this time (Unix seconds).
    pub until: Option<u64>,
    /// At most this many, oldest first.
    pub limit: Option<u64>,
}

/// What [`AlertStore::record_block`] did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RecordOutcome {
    /// Alerts newly stored, with their numbers.
    pub stored: Vec<AlertRecord>,
    /// Alerts whose key was already stored (raised before: by an earlier run or another worker).
    pub duplicates: u64,
}

/// The alert part of a store.
pub trait AlertStore {
    /// Where a monitor stands on a network: the last block whose alerts are stored.
    ///
    /// # Errors
    /// Backend errors.
    fn monitor_cursor(
        &self,
        monitor: &str,
        network_id: u32,
    ) -> Result<Option<BlockRef>, StoreError>;

    /// Stores the alerts of one evaluated block (keys already stored are skipped) and, when
    /// `monitor` is given, moves that monitor's cursor to `block`: in one transaction.
    ///
    /// # Errors
    /// Backend errors; nothing is written then.
    fn record_block(
        &mut self,
        monitor: Option<&str>,
        network_id: u32,
        block: BlockRef,
        alerts: &[NewAlert],
    ) -> Result<RecordOutcome, StoreError>;

    /// Moves a monitor's cursor back (after a reorg unwound blocks it had evaluated). Alerts
    /// already raised stay.
    ///
    /// # Errors
    /// Backend errors.
    fn rewind_monitor(
        &mut self,
        monitor: &str,
        network_id: u32,
        block: Option<BlockRef>,
    ) -> Result<(), StoreError>;

    /// Stored alerts matching `filter`, oldest first.
    ///
    /// # Errors
    /// Backend errors.
    fn alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError>;

    /// One alert by number.
    ///
    /// # Errors
    /// Backend errors.
    fn alert(&self, id: u64) -> Result<Option<AlertRecord>, StoreError>;

    /// Sets an alert's review status and note; `false` when there is no such alert.
    ///
    /// # Errors
    /// Backend errors.
    fn set_alert_status(
        &mut self,
        id: u64,
        status: AlertStatus,
        note: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// The number of the last alert a sink delivered (0: none).
    ///
    /// # Errors
    /// Backend errors.
    fn sink_position(&self, sink: &str) -> Result<u64, StoreError>;

    /// Records that a sink delivered every alert up to `id`.
    ///
    /// # Errors
    /// Backend errors.
    fn set_sink_position(&mut self, sink: &str, id: u64) -> Result<(), StoreError>;

    /// Where a rule window ending below `before_height` starts: the lowest stored height `h`
    /// such that every stored block in `h..before_height` is at or after `since`, walking down
    /// from `before_height`; `None` when no block below it is that recent.
    ///
    /// # Errors
    /// Backend errors.
    fn window_start(
        &self,
        network_id: u32,
        before_height: u64,
        since: u64,
    ) -> Result<Option<u64>, StoreError>;

    /// The stored block of a network at a height, with its time.
    ///
    /// # Errors
    /// Backend errors.
    fn block_with_time(
        &self,
        network_id: u32,
        height: u64,
    ) -> Result<Option<(BlockRef, u64)>, StoreError>;
}
