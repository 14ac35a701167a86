//! The watchlist tables: sources, snapshots, entries with their listing history, issues, actors.

use crate::{SqliteStore, backend};
use chainward_primitives::{
    Actor, AddressKey, Category, Chain, IssueSeverity, ParseIssue, WatchlistEntry,
};
use chainward_store_api::{
    EntryRecord, SnapshotId, SnapshotImport, SnapshotInfo, SnapshotOutcome, SnapshotRef,
    SourceSummary, StoreError, WatchlistStore,
};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Columns of a full record, in the order [`record_from_row`] reads them.
const RECORD_SELECT: &str = "
    SELECT e.address_key, e.chain, e.address, e.raw_address, e.currency, e.entity, e.category,
           e.labels, e.confidence, e.confidence_label, e.program, e.reference, e.actor, e.context,
           e.listed_on, s.name, e.listed_snapshot, ls.effective_at, ls.content_hash, e.listed_at,
           e.delisted_snapshot, ds.effective_at, ds.content_hash
    FROM entries e
    JOIN sources s ON s.id = e.source_id
    JOIN snapshots ls ON ls.id = e.listed_snapshot
    LEFT JOIN snapshots ds ON ds.id = e.delisted_snapshot";

type Identity = (AddressKey, String, Category);

impl WatchlistStore for SqliteStore {
    fn import_snapshots(
        &mut self,
        batch: &[SnapshotImport],
    ) -> Result<Vec<SnapshotOutcome>, StoreError> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| backend(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for snapshot in batch {
            outcomes.push(import_one(&tx, snapshot).map_err(|e| match e {
                ImportError::Sql(e) => err(e),
                ImportError::Store(e) => e,
            })?);
        }
        tx.commit().map_err(err)?;
        Ok(outcomes)
    }

    fn lookup(&self, key: &AddressKey) -> Result<Vec<EntryRecord>, StoreError> {
        let sql = format!(
            "{RECORD_SELECT} WHERE e.address_key = ?1 \
             ORDER BY e.delisted_snapshot IS NOT NULL, e.id"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| backend(&self.path, e))?;
        let rows = statement
            .query_map([key.as_bytes().as_slice()], record_from_row)
            .map_err(|e| backend(&self.path, e))?;
        rows.map(|row| row.map_err(|e| backend(&self.path, e))?).collect()
    }

    fn for_each_record(
        &self,
        visit: &mut dyn FnMut(EntryRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.conn.prepare(RECORD_SELECT).map_err(|e| backend(&self.path, e))?;
        let mut rows = statement.query([]).map_err(|e| backend(&self.path, e))?;
        while let Some(row) = rows.next().map_err(|e| backend(&self.path, e))? {
            let record = record_from_row(row).map_err(|e| backend(&self.path, e))??;
            visit(record)?;
        }
        Ok(())
    }

    fn sources(&self) -> Result<Vec<SourceSummary>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT s.name, s.format,
                    (SELECT count(*) FROM snapshots WHERE source_id = s.id),
                    (SELECT count(*) FROM entries WHERE source_id = s.id
                        AND delisted_snapshot IS NULL),
                    (SELECT count(*) FROM entries WHERE source_id = s.id
                        AND delisted_snapshot IS NOT NULL),
                    (SELECT effective_at FROM snapshots WHERE source_id = s.id
                        ORDER BY id DESC LIMIT 1)
                 FROM sources s ORDER BY s.name",
            )
            .map_err(|e| backend(&self.path, e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(SourceSummary {
                    name: row.get(0)?,
                    format: row.get(1)?,
                    snapshots: row.get(2)?,
                    active_entries: row.get(3)?,
                    delisted_entries: row.get(4)?,
                    latest_effective_at: row.get(5)?,
                })
            })
            .map_err(|e| backend(&self.path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| backend(&self.path, e))
    }

    fn snapshots(&self, source: Option<&str>) -> Result<Vec<SnapshotInfo>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT n.id, s.name, s.format, n.origin, n.content_hash, n.imported_at,
                        n.effective_at, n.entry_count, n.listed, n.delisted, n.issue_count
                 FROM snapshots n JOIN sources s ON s.id = n.source_id
                 WHERE ?1 IS NULL OR s.name = ?1
                 ORDER BY n.id DESC",
            )
            .map_err(|e| backend(&self.path, e))?;
        let rows = statement
            .query_map([source], |row| {
                Ok(SnapshotInfo {
                    id: row.get(0)?,
                    source: row.get(1)?,
                    format: row.get(2)?,
                    origin: row.get(3)?,
                    content_hash: row.get(4)?,
                    imported_at: row.get(5)?,
                    effective_at: row.get(6)?,
                    entry_count: row.get(7)?,
                    listed: row.get(8)?,
                    delisted: row.get(9)?,
                    issue_count: row.get(10)?,
                })
            })
            .map_err(|e| backend(&self.path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| backend(&self.path, e))
    }

    fn issues(&self, snapshot: SnapshotId) -> Result<Vec<ParseIssue>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT file, line, field, severity, message FROM issues
                 WHERE snapshot_id = ?1 ORDER BY rowid",
            )
            .map_err(|e| backend(&self.path, e))?;
        let rows = statement
            .query_map([snapshot], |row| {
                let severity: String = row.get(3)?;
                Ok(ParseIssue {
                    file: row.get(0)?,
                    line: row.get(1)?,
                    field: row.get(2)?,
                    severity: if severity == "warning" {
                        IssueSeverity::Warning
                    } else {
                        IssueSeverity::Error
                    },
                    message: row.get(4)?,
                })
            })
            .map_err(|e| backend(&self.path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| backend(&self.path, e))
    }

    fn actor(&self, name: &str) -> Result<Vec<Actor>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT actor_id, label, aliases, categories, jurisdictions, uri, context
                 FROM actors a
                 WHERE lower(actor_id) = lower(?1) OR lower(label) = lower(?1)
                    OR EXISTS (SELECT 1 FROM json_each(a.aliases)
                               WHERE lower(json_each.value) = lower(?1))",
            )
            .map_err(|e| backend(&self.path, e))?;
        let rows = statement
            .query_map([name], |row| {
                Ok(Actor {
                    id: row.get(0)?,
                    label: row.get(1)?,
                    aliases: json_list(&row.get::<_, String>(2)?),
                    categories: json_list(&row.get::<_, String>(3)?),
                    jurisdictions: json_list(&row.get::<_, String>(4)?),
                    uri: row.get(5)?,
                    context: row.get(6)?,
                    line: 0,
                })
            })
            .map_err(|e| backend(&self.path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| backend(&self.path, e))
    }
}

enum ImportError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

fn import_one(
    tx: &Transaction<'_>,
    snapshot: &SnapshotImport,
) -> Result<SnapshotOutcome, ImportError> {
    tx.execute(
        "INSERT INTO sources (name, format) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET format = excluded.format",
        params![snapshot.source.name, snapshot.source.format],
    )?;
    let source_id: i64 =
        tx.query_row("SELECT id FROM sources WHERE name = ?1", [&snapshot.source.name], |row| {
            row.get(0)
        })?;
    let latest: Option<(String, String)> = tx
        .query_row(
            "SELECT content_hash, effective_at FROM snapshots WHERE source_id = ?1
             ORDER BY id DESC LIMIT 1",
            [source_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let entries = merge_duplicates(&snapshot.entries);
    let mut outcome = SnapshotOutcome {
        source: snapshot.source.name.clone(),
        snapshot: None,
        entries: entries.len() as u64,
        listed: 0,
        kept: 0,
        delisted: 0,
        issues: snapshot.issues.len() as u64,
    };
    if let Some((hash, effective_at)) = latest {
        if hash == snapshot.content_hash {
            outcome.kept = outcome.entries;
            return Ok(outcome);
        }
        if snapshot.effective_at < effective_at {
            return Err(ImportError::Store(StoreError::OutOfOrder {
                source_name: snapshot.source.name.clone(),
                offered: snapshot.effective_at.clone(),
                latest: effective_at,
            }));
        }
    }
    tx.execute(
        "INSERT INTO snapshots (source_id, origin, content_hash, imported_at, effective_at,
                                entry_count, listed, delisted, issue_count)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 0, 0)",
        params![
            source_id,
            snapshot.origin,
            snapshot.content_hash,
            snapshot.imported_at,
            snapshot.effective_at
        ],
    )?;
    let snapshot_id = tx.last_insert_rowid();
    outcome.snapshot = Some(snapshot_id);

    let mut active: HashMap<Identity, (i64, Vec<u8>)> = HashMap::new();
    {
        let mut statement = tx.prepare(
            "SELECT id, address_key, entity, category, fingerprint FROM entries
             WHERE source_id = ?1 AND delisted_snapshot IS NULL",
        )?;
        let mut rows = statement.query([source_id])?;
        while let Some(row) = rows.next()? {
            let key = key_from_blob(&row.get::<_, Vec<u8>>(1)?)?;
            let entity: Option<String> = row.get(2)?;
            let category = category_from(&row.get::<_, String>(3)?)?;
            active.insert((key, entity.unwrap_or_default(), category), (row.get(0)?, row.get(4)?));
        }
    }

    let mut insert = tx.prepare_cached(
        "INSERT INTO entries (source_id, address_key, chain, address, raw_address, currency,
             entity, category, labels, confidence, confidence_label, program, reference, actor,
             context, listed_on, fingerprint, listed_snapshot, listed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE entries SET chain = ?2, address = ?3, raw_address = ?4, currency = ?5,
             labels = ?6, confidence = ?7, confidence_label = ?8, program = ?9, reference = ?10,
             actor = ?11, context = ?12, listed_on = ?13, fingerprint = ?14
         WHERE id = ?1",
    )?;
    for entry in &entries {
        let fingerprint = fingerprint(entry);
        let labels = serde_json::to_string(&entry.labels).expect("a list of strings serializes");
        let identity = (entry.key, entry.entity.clone().unwrap_or_default(), entry.category);
        if let Some((id, stored_fingerprint)) = active.remove(&identity) {
            outcome.kept += 1;
            if stored_fingerprint != fingerprint {
                update.execute(params![
                    id,
                    entry.chain.as_str(),
                    entry.address,
                    entry.raw_address,
                    entry.currency,
                    labels,
                    entry.confidence,
                    entry.confidence_label,
                    entry.program,
                    entry.reference,
                    entry.actor,
                    entry.context,
                    entry.listed_on,
                    fingerprint,
                ])?;
            }
        } else {
            outcome.listed += 1;
            let listed_at = entry.listed_on.as_deref().unwrap_or(&snapshot.effective_at);
            insert.execute(params![
                source_id,
                entry.key.as_bytes().as_slice(),
                entry.chain.as_str(),
                entry.address,
                entry.raw_address,
                entry.currency,
                entry.entity,
                entry.category.as_str(),
                labels,
                entry.confidence,
                entry.confidence_label,
                entry.program,
                entry.reference,
                entry.actor,
                entry.context,
                entry.listed_on,
                fingerprint,
                snapshot_id,
                listed_at,
            ])?;
        }
    }
    {
        let mut delist =
            tx.prepare_cached("UPDATE entries SET delisted_snapshot = ?2 WHERE id = ?1")?;
        for (id, _) in active.values() {
            delist.execute(params![id, snapshot_id])?;
            outcome.delisted += 1;
        }
    }
    {
        let mut insert_issue = tx.prepare_cached(
            "INSERT INTO issues (snapshot_id, file, line, field, severity, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for issue in &snapshot.issues {
            let severity = match issue.severity {
                IssueSeverity::Warning => "warning",
                IssueSeverity::Error => "error",
            };
            insert_issue.execute(params![
                snapshot_id,
                issue.file,
                issue.line,
                issue.field,
                severity,
                issue.message
            ])?;
        }
    }
    // A snapshot defines its source's actor set whole, like its entries.
    tx.execute("DELETE FROM actors WHERE source_id = ?1", [source_id])?;
    {
        let mut insert_actor = tx.prepare_cached(
            "INSERT OR REPLACE INTO actors (source_id, snapshot_id, actor_id, label, aliases,
                 categories, jurisdictions, uri, context)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for actor in &snapshot.actors {
            insert_actor.execute(params![
                source_id,
                snapshot_id,
                actor.id,
                actor.label,
                serde_json::to_string(&actor.aliases).expect("strings serialize"),
                serde_json::to_string(&actor.categories).expect("strings serialize"),
                serde_json::to_string(&actor.jurisdictions).expect("strings serialize"),
                actor.uri,
                actor.context,
            ])?;
        }
    }
    tx.execute(
        "UPDATE snapshots SET entry_count = ?2, listed = ?3, delisted = ?4, issue_count = ?5
         WHERE id = ?1",
        params![snapshot_id, outcome.entries, outcome.listed, outcome.delisted, outcome.issues],
    )?;
    Ok(outcome)
}

/// Merges entries with the same identity: a list may name one address several times for one
/// entity (OFAC lists an EVM address once per token: ETH, USDT, USDC).
fn merge_duplicates(entries: &[WatchlistEntry]) -> Vec<WatchlistEntry> {
    let mut merged: Vec<WatchlistEntry> = Vec::with_capacity(entries.len());
    let mut index: HashMap<(AddressKey, Option<&str>, Category), usize> =
        HashMap::with_capacity(entries.len());
    for entry in entries {
        match index.entry((entry.key, entry.entity.as_deref(), entry.category)) {
            Entry::Occupied(slot) => {
                let kept = &mut merged[*slot.get()];
                if let Some(currency) = &entry.currency {
                    let known = kept.currency.get_or_insert_with(String::new);
                    if !known.split(", ").any(|c| c == currency) {
                        if !known.is_empty() {
                            known.push_str(", ");
                        }
                        known.push_str(currency);
                    }
                }
                for label in &entry.labels {
                    if !kept.labels.contains(label) {
                        kept.labels.push(label.clone());
                    }
                }
                kept.confidence = kept.confidence.max(entry.confidence);
            }
            Entry::Vacant(slot) => {
                slot.insert(merged.len());
                merged.push(entry.clone());
            }
        }
    }
    merged
}

/// A digest of everything about an entry beyond its identity, to see whether a kept entry
/// changed.
fn fingerprint(entry: &WatchlistEntry) -> Vec<u8> {
    let mut hasher = Sha256::new();
    let fields: [Option<&str>; 10] = [
        Some(entry.address.as_str()),
        entry.raw_address.as_deref(),
        entry.currency.as_deref(),
        entry.confidence_label.as_deref(),
        entry.program.as_deref(),
        entry.reference.as_deref(),
        entry.actor.as_deref(),
        entry.context.as_deref(),
        entry.listed_on.as_deref(),
        Some(entry.chain.as_str()),
    ];
    for field in fields {
        match field {
            Some(value) => {
                hasher.update([1]);
                hasher.update((value.len() as u64).to_le_bytes());
                hasher.update(value.as_bytes());
            }
            None => hasher.update([0]),
        }
    }
    for label in &entry.labels {
        hasher.update((label.len() as u64).to_le_bytes());
        hasher.update(label.as_bytes());
    }
    hasher.update([entry.confidence]);
    hasher.finalize()[..16].to_vec()
}

fn key_from_blob(blob: &[u8]) -> rusqlite::Result<AddressKey> {
    let bytes: [u8; 32] = blob.try_into().map_err(|_| corrupt("address_key is not 32 bytes"))?;
    Ok(AddressKey::from_bytes(bytes))
}

pub(crate) fn category_from(text: &str) -> rusqlite::Result<Category> {
    text.parse().map_err(|e: String| corrupt(&e))
}

fn corrupt(message: &str) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(message.to_owned().into())
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<Result<EntryRecord, StoreError>> {
    let chain_name: String = row.get(1)?;
    let chain: Chain = match chain_name.parse() {
        Ok(chain) => chain,
        Err(e) => return Ok(Err(StoreError::Corrupt(format!("entries.chain: {e}")))),
    };
    let delisted_id: Option<SnapshotId> = row.get(20)?;
    let delisted_in = match delisted_id {
        Some(id) => {
            Some(SnapshotRef { id, effective_at: row.get(21)?, content_hash: row.get(22)? })
        }
        None => None,
    };
    Ok(Ok(EntryRecord {
        source: row.get(15)?,
        entry: WatchlistEntry {
            key: key_from_blob(&row.get::<_, Vec<u8>>(0)?)?,
            chain,
            address: row.get(2)?,
            raw_address: row.get(3)?,
            currency: row.get(4)?,
            entity: row.get(5)?,
            category: category_from(&row.get::<_, String>(6)?)?,
            labels: json_list(&row.get::<_, String>(7)?),
            confidence: row.get(8)?,
            confidence_label: row.get(9)?,
            program: row.get(10)?,
            reference: row.get(11)?,
            actor: row.get(12)?,
            context: row.get(13)?,
            listed_on: row.get(14)?,
        },
        listed_in: SnapshotRef {
            id: row.get(16)?,
            effective_at: row.get(17)?,
            content_hash: row.get(18)?,
        },
        listed_at: row.get(19)?,
        delisted_in,
    }))
}
