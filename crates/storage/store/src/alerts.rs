//! [`AlertStore`] on SQLite: alerts unique by key, monitor cursors moved in the same transaction
//! as a block's alerts, and per-sink delivery positions.

use crate::chain::hash_from_blob;
use crate::{SqliteStore, backend};
use chainward_primitives::ledger::BlockRef;
use chainward_store_api::{
    AlertFilter, AlertRecord, AlertSeverity, AlertStatus, AlertStore, NewAlert, RecordOutcome,
    StoreError,
};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

fn severity_rank(severity: AlertSeverity) -> i64 {
    AlertSeverity::ALL.iter().position(|s| *s == severity).unwrap_or(0) as i64
}

fn severity_from_rank(rank: i64) -> Result<AlertSeverity, StoreError> {
    usize::try_from(rank)
        .ok()
        .and_then(|i| AlertSeverity::ALL.get(i).copied())
        .ok_or_else(|| StoreError::Corrupt(format!("alerts.severity: unknown rank {rank}")))
}

fn sql_u64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Rejected(format!("{what} {value} is too large")))
}

const SELECT_ALERT: &str = "SELECT a.id, n.name, a.key, a.rule, a.detector, a.severity, \
     a.network_id, a.height, a.block_hash, a.time, a.subjects, a.summary, a.evidence, \
     a.raised_at, a.status, a.note FROM alerts a JOIN networks n ON n.id = a.network_id";

fn alert_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<AlertRecord, StoreError>> {
    let id: i64 = row.get(0)?;
    let severity: i64 = row.get(5)?;
    let hash: Vec<u8> = row.get(8)?;
    let subjects: String = row.get(10)?;
    let status: String = row.get(14)?;
    let parts = (
        row.get::<_, String>(1)?,
        row.get::<_, String>(2)?,
        row.get::<_, String>(3)?,
        row.get::<_, String>(4)?,
        row.get::<_, i64>(6)?,
        row.get::<_, i64>(7)?,
        row.get::<_, i64>(9)?,
        row.get::<_, String>(11)?,
        row.get::<_, String>(12)?,
        row.get::<_, String>(13)?,
        row.get::<_, Option<String>>(15)?,
    );
    Ok((|| {
        let (
            network,
            key,
            rule,
            detector,
            network_id,
            height,
            time,
            summary,
            evidence,
            raised_at,
            note,
        ) = parts;
        let subjects: Vec<String> = serde_json::from_str(&subjects)
            .map_err(|e| StoreError::Corrupt(format!("alerts.subjects of alert {id}: {e}")))?;
        let status = AlertStatus::parse(&status).ok_or_else(|| {
            StoreError::Corrupt(format!("alerts.status of alert {id}: unknown status {status:?}"))
        })?;
        Ok(AlertRecord {
            id: id as u64,
            network,
            alert: NewAlert {
                key,
                rule,
                detector,
                severity: severity_from_rank(severity)?,
                network_id: network_id as u32,
                block: BlockRef {
                    height: height as u64,
                    hash: hash_from_blob(&hash, "alerts.block_hash")?,
                },
                time: time as u64,
                subjects,
                summary,
                evidence,
            },
            raised_at,
            status,
            note,
        })
    })())
}

impl AlertStore for SqliteStore {
    fn monitor_cursor(
        &self,
        monitor: &str,
        network_id: u32,
    ) -> Result<Option<BlockRef>, StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT height, hash FROM monitor_cursors WHERE monitor = ?1 AND network_id = ?2",
                params![monitor, network_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| backend(&self.path, e))?;
        row.map(|(height, hash)| {
            Ok(BlockRef {
                height: height as u64,
                hash: hash_from_blob(&hash, "monitor_cursors.hash")?,
            })
        })
        .transpose()
    }

    fn record_block(
        &mut self,
        monitor: Option<&str>,
        network_id: u32,
        block: BlockRef,
        alerts: &[NewAlert],
    ) -> Result<RecordOutcome, StoreError> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| backend(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut outcome = RecordOutcome::default();
        {
            let mut insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO alerts (key, rule, detector, severity, network_id, height, \
                     block_hash, time, subjects, summary, evidence, raised_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, {NOW}) \
                     ON CONFLICT (key) DO NOTHING"
                ))
                .map_err(err)?;
            let mut subject = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO alert_subjects (address, alert_id) VALUES (?1, ?2)",
                )
                .map_err(err)?;
            let mut read_back =
                tx.prepare_cached(&format!("{SELECT_ALERT} WHERE a.id = ?1")).map_err(err)?;
            for alert in alerts {
                let subjects = serde_json::to_string(&alert.subjects)
                    .map_err(|e| StoreError::Rejected(format!("alert {}: {e}", alert.key)))?;
                let inserted = insert
                    .execute(params![
                        alert.key,
                        alert.rule,
                        alert.detector,
                        severity_rank(alert.severity),
                        network_id,
                        sql_u64(alert.block.height, "height")?,
                        alert.block.hash.as_slice(),
                        sql_u64(alert.time, "time")?,
                        subjects,
                        alert.summary,
                        alert.evidence,
                    ])
                    .map_err(err)?;
                if inserted == 0 {
                    outcome.duplicates += 1;
                    continue;
                }
                let id = tx.last_insert_rowid();
                for address in &alert.subjects {
                    subject.execute(params![address, id]).map_err(err)?;
                }
                let record = read_back.query_row([id], alert_from_row).map_err(err)??;
                outcome.stored.push(record);
            }
        }
        if let Some(monitor) = monitor {
            tx.execute(
                &format!(
                    "INSERT INTO monitor_cursors (monitor, network_id, height, hash, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, {NOW}) ON CONFLICT (monitor, network_id) DO UPDATE \
                     SET height = excluded.height, hash = excluded.hash, \
                     updated_at = excluded.updated_at"
                ),
                params![
                    monitor,
                    network_id,
                    sql_u64(block.height, "height")?,
                    block.hash.as_slice()
                ],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(outcome)
    }

    fn rewind_monitor(
        &mut self,
        monitor: &str,
        network_id: u32,
        block: Option<BlockRef>,
    ) -> Result<(), StoreError> {
        let err = |e: rusqlite::Error| backend(&self.path, e);
        match block {
            None => self
                .conn
                .execute(
                    "DELETE FROM monitor_cursors WHERE monitor = ?1 AND network_id = ?2",
                    params![monitor, network_id],
                )
                .map_err(err)?,
            Some(block) => self
                .conn
                .execute(
                    &format!(
                        "UPDATE monitor_cursors SET height = ?3, hash = ?4, updated_at = {NOW} \
                         WHERE monitor = ?1 AND network_id = ?2"
                    ),
                    params![
                        monitor,
                        network_id,
                        sql_u64(block.height, "height")?,
                        block.hash.as_slice()
                    ],
                )
                .map_err(err)?,
        };
        Ok(())
    }

    fn alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError> {
        let mut clauses = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut push = |clause: &str, value: Value| {
            values.push(value);
            clauses.push(clause.replace('?', &format!("?{}", values.len())));
        };
        if let Some(after) = filter.after_id {
            push("a.id > ?", Value::Integer(sql_u64(after, "after id")?));
        }
        if let Some(network_id) = filter.network_id {
            push("a.network_id = ?", Value::Integer(network_id.into()));
        }
        if let Some(rule) = &filter.rule {
            push("a.rule = ?", Value::Text(rule.clone()));
        }
        if let Some(detector) = &filter.detector {
            push("a.detector = ?", Value::Text(detector.clone()));
        }
        if let Some(severity) = filter.min_severity {
            push("a.severity >= ?", Value::Integer(severity_rank(severity)));
        }
        if let Some(status) = filter.status {
            push("a.status = ?", Value::Text(status.as_str().to_owned()));
        }
        if let Some(subject) = &filter.subject {
            push(
                "a.id IN (SELECT alert_id FROM alert_subjects WHERE address = ?)",
                Value::Text(subject.clone()),
            );
        }
        if let Some(since) = filter.since {
            push("a.time >= ?", Value::Integer(sql_u64(since, "since")?));
        }
        if let Some(until) = filter.until {
            push("a.time < ?", Value::Integer(sql_u64(until, "until")?));
        }
        let mut sql = SELECT_ALERT.to_owned();
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        sql.push_str(" ORDER BY a.id");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {}", limit.min(i64::MAX as u64)));
        }
        let err = |e: rusqlite::Error| backend(&self.path, e);
        let mut statement = self.conn.prepare(&sql).map_err(err)?;
        let rows = statement.query_map(params_from_iter(values), alert_from_row).map_err(err)?;
        let mut alerts = Vec::new();
        for row in rows {
            alerts.push(row.map_err(err)??);
        }
        Ok(alerts)
    }

    fn alert(&self, id: u64) -> Result<Option<AlertRecord>, StoreError> {
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        let err = |e: rusqlite::Error| backend(&self.path, e);
        self.conn
            .query_row(&format!("{SELECT_ALERT} WHERE a.id = ?1"), [id], alert_from_row)
            .optional()
            .map_err(err)?
            .transpose()
    }

    fn set_alert_status(
        &mut self,
        id: u64,
        status: AlertStatus,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let Ok(id) = i64::try_from(id) else { return Ok(false) };
        let changed = self
            .conn
            .execute(
                "UPDATE alerts SET status = ?2, note = coalesce(?3, note) WHERE id = ?1",
                params![id, status.as_str(), note],
            )
            .map_err(|e| backend(&self.path, e))?;
        Ok(changed > 0)
    }

    fn sink_position(&self, sink: &str) -> Result<u64, StoreError> {
        let position: Option<i64> = self
            .conn
            .query_row("SELECT alert_id FROM sink_positions WHERE sink = ?1", [sink], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| backend(&self.path, e))?;
        Ok(position.unwrap_or(0) as u64)
    }

    fn set_sink_position(&mut self, sink: &str, id: u64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO sink_positions (sink, alert_id) VALUES (?1, ?2) \
                 ON CONFLICT (sink) DO UPDATE SET alert_id = max(alert_id, excluded.alert_id)",
                params![sink, sql_u64(id, "alert id")?],
            )
            .map_err(|e| backend(&self.path, e))?;
        Ok(())
    }

    fn window_start(
        &self,
        network_id: u32,
        before_height: u64,
        since: u64,
    ) -> Result<Option<u64>, StoreError> {
        // Reads down the primary key from `before_height` to the first block older than
        // `since`: only the window's rows (plus one) are touched.
        let err = |e: rusqlite::Error| backend(&self.path, e);
        let before = sql_u64(before_height, "height")?;
        let older: Option<i64> = self
            .conn
            .query_row(
                "SELECT height FROM blocks WHERE network_id = ?1 AND height < ?2 AND time < ?3 \
                 ORDER BY height DESC LIMIT 1",
                params![network_id, before, sql_u64(since, "time")?],
                |row| row.get(0),
            )
            .optional()
            .map_err(err)?;
        let start = match older {
            Some(height) => Some(height + 1),
            None => self
                .conn
                .query_row(
                    "SELECT min(height) FROM blocks WHERE network_id = ?1",
                    [network_id],
                    |row| row.get::<_, Option<i64>>(0),
                )
                .map_err(err)?,
        };
        Ok(start.filter(|h| *h < before).map(|h| h as u64))
    }

    fn block_with_time(
        &self,
        network_id: u32,
        height: u64,
    ) -> Result<Option<(BlockRef, u64)>, StoreError> {
        let Ok(sql_height) = i64::try_from(height) else { return Ok(None) };
        let row: Option<(Vec<u8>, i64)> = self
            .conn
            .prepare_cached("SELECT hash, time FROM blocks WHERE network_id = ?1 AND height = ?2")
            .and_then(|mut s| {
                s.query_row(params![network_id, sql_height], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(|e| backend(&self.path, e))?;
        row.map(|(hash, time)| {
            Ok((BlockRef { height, hash: hash_from_blob(&hash, "blocks.hash")? }, time as u64))
        })
        .transpose()
    }
}
