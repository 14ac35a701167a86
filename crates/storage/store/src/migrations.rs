//! Schema versions and the migrations between them.
//!
//! `MIGRATIONS[i]` takes a store from format `i` to `i + 1`; the list is append-only. The format
//! version is `PRAGMA user_version`.

use crate::APPLICATION_ID;
use chainward_store_api::StoreError;
use rusqlite::Connection;
use std::path::Path;

/// The store format this build reads and writes.
pub const FORMAT_VERSION: u32 = MIGRATIONS.len() as u32;

const MIGRATIONS: &[&str] = &[
    // 0 -> 1: watchlists with versioned snapshots.
    r#"
    CREATE TABLE sources (
        id      INTEGER PRIMARY KEY,
        name    TEXT NOT NULL UNIQUE,
        format  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE snapshots (
        id            INTEGER PRIMARY KEY,
        source_id     INTEGER NOT NULL REFERENCES sources(id),
        origin        TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        imported_at   TEXT NOT NULL,
        effective_at  TEXT NOT NULL,
        entry_count   INTEGER NOT NULL,
        listed        INTEGER NOT NULL,
        delisted      INTEGER NOT NULL,
        issue_count   INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX snapshots_by_source ON snapshots(source_id, id);

    CREATE TABLE entries (
        id                 INTEGER PRIMARY KEY,
        source_id          INTEGER NOT NULL REFERENCES sources(id),
        address_key        BLOB NOT NULL,
        chain              TEXT NOT NULL,
        address            TEXT NOT NULL,
        raw_address        TEXT,
        currency           TEXT,
        entity             TEXT,
        category           TEXT NOT NULL,
        labels             TEXT NOT NULL,
        confidence         INTEGER NOT NULL,
        confidence_label   TEXT,
        program            TEXT,
        reference          TEXT,
        actor              TEXT,
        context            TEXT,
        listed_on          TEXT,
        fingerprint        BLOB NOT NULL,
        listed_snapshot    INTEGER NOT NULL REFERENCES snapshots(id),
        listed_at          TEXT NOT NULL,
        delisted_snapshot  INTEGER REFERENCES snapshots(id)
    ) STRICT;
    CREATE INDEX entries_by_key ON entries(address_key);
    CREATE INDEX entries_active_by_source ON entries(source_id) WHERE delisted_snapshot IS NULL;

    CREATE TABLE issues (
        snapshot_id  INTEGER NOT NULL REFERENCES snapshots(id),
        file         TEXT NOT NULL,
        line         INTEGER NOT NULL,
        field        TEXT,
        severity     TEXT NOT NULL,
        message      TEXT NOT NULL
    ) STRICT;
    CREATE INDEX issues_by_snapshot ON issues(snapshot_id);

    CREATE TABLE actors (
        source_id      INTEGER NOT NULL REFERENCES sources(id),
        snapshot_id    INTEGER NOT NULL REFERENCES snapshots(id),
        actor_id       TEXT NOT NULL,
        label          TEXT NOT NULL,
        aliases        TEXT NOT NULL,
        categories     TEXT NOT NULL,
        jurisdictions  TEXT NOT NULL,
        uri            TEXT,
        context        TEXT,
        PRIMARY KEY (source_id, actor_id)
    ) STRICT;
    "#,
    // 1 -> 2: chain data (blocks, transactions, UTXO inputs/outputs, account transfers) and
    // ingest checkpoints.
    r#"
    CREATE TABLE networks (
        id            INTEGER PRIMARY KEY,
        chain         INTEGER NOT NULL,
        evm_chain_id  INTEGER,
        name          TEXT NOT NULL UNIQUE
    ) STRICT;

    CREATE TABLE addresses (
        id       INTEGER PRIMARY KEY,
        key      BLOB NOT NULL UNIQUE,
        address  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE blocks (
        network_id   INTEGER NOT NULL REFERENCES networks(id),
        height       INTEGER NOT NULL,
        hash         BLOB NOT NULL,
        parent_hash  BLOB NOT NULL,
        time         INTEGER NOT NULL,
        tx_count     INTEGER NOT NULL,
        PRIMARY KEY (network_id, height)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX blocks_by_hash ON blocks(hash);

    CREATE TABLE transactions (
        id          INTEGER PRIMARY KEY,
        network_id  INTEGER NOT NULL,
        height      INTEGER NOT NULL,
        position    INTEGER NOT NULL,
        hash        BLOB NOT NULL,
        failed      INTEGER NOT NULL,
        fee         BLOB
    ) STRICT;
    CREATE INDEX transactions_by_hash ON transactions(hash);
    CREATE INDEX transactions_by_block ON transactions(network_id, height);

    CREATE TABLE tx_outputs (
        tx_id        INTEGER NOT NULL,
        position     INTEGER NOT NULL,
        value        INTEGER NOT NULL,
        script_type  INTEGER NOT NULL,
        address_id   INTEGER,
        PRIMARY KEY (tx_id, position)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX tx_outputs_by_address ON tx_outputs(address_id) WHERE address_id IS NOT NULL;

    CREATE TABLE tx_inputs (
        tx_id        INTEGER NOT NULL,
        position     INTEGER NOT NULL,
        prev_txid    BLOB,
        prev_vout    INTEGER,
        value        INTEGER,
        address_id   INTEGER,
        PRIMARY KEY (tx_id, position)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX tx_inputs_by_address ON tx_inputs(address_id) WHERE address_id IS NOT NULL;

    CREATE TABLE transfers (
        tx_id          INTEGER NOT NULL,
        position       INTEGER NOT NULL,
        kind           INTEGER NOT NULL,
        from_id        INTEGER NOT NULL,
        to_id          INTEGER NOT NULL,
        token_id       INTEGER,
        amount         BLOB NOT NULL,
        nft_id         BLOB,
        log_index      INTEGER,
        trace_address  TEXT,
        PRIMARY KEY (tx_id, position)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX transfers_by_from ON transfers(from_id);
    CREATE INDEX transfers_by_to ON transfers(to_id);

    CREATE TABLE ingest_checkpoints (
        source      TEXT PRIMARY KEY,
        network_id  INTEGER NOT NULL REFERENCES networks(id),
        height      INTEGER NOT NULL,
        hash        BLOB NOT NULL,
        updated_at  TEXT NOT NULL
    ) STRICT;
    "#,
    // 2 -> 3: alerts raised by the monitor, monitor cursors and sink delivery positions.
    r#"
    CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY,
        key         TEXT NOT NULL UNIQUE,
        rule        TEXT NOT NULL,
        detector    TEXT NOT NULL,
        severity    INTEGER NOT NULL,
        network_id  INTEGER NOT NULL REFERENCES networks(id),
        height      INTEGER NOT NULL,
        block_hash  BLOB NOT NULL,
        time        INTEGER NOT NULL,
        subjects    TEXT NOT NULL,
        summary     TEXT NOT NULL,
        evidence    TEXT NOT NULL,
        raised_at   TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'open',
        note        TEXT
    ) STRICT;
    CREATE INDEX alerts_by_time ON alerts(time);
    CREATE INDEX alerts_by_rule ON alerts(rule);

    CREATE TABLE alert_subjects (
        address   TEXT NOT NULL,
        alert_id  INTEGER NOT NULL REFERENCES alerts(id),
        PRIMARY KEY (address, alert_id)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE monitor_cursors (
        monitor     TEXT NOT NULL,
        network_id  INTEGER NOT NULL REFERENCES networks(id),
        height      INTEGER NOT NULL,
        hash        BLOB NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (monitor, network_id)
    ) STRICT;

    CREATE TABLE sink_positions (
        sink      TEXT PRIMARY KEY,
        alert_id  INTEGER NOT NULL
    ) STRICT;
    "#,
    // 3 -> 4: TAXII 2.1 server: API roots, collections, object versions, organizations, users,
    // tokens, rights, status resources and the server's cursor-signing key.
    r#"
    CREATE TABLE taxii_settings (
        name   TEXT PRIMARY KEY,
        value  BLOB NOT NULL
    ) STRICT;

    CREATE TABLE taxii_api_roots (
        id                  INTEGER PRIMARY KEY,
        name                TEXT NOT NULL UNIQUE,
        title               TEXT NOT NULL,
        description         TEXT,
        max_content_length  INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE taxii_collections (
        id           INTEGER PRIMARY KEY,
        api_root_id  INTEGER NOT NULL REFERENCES taxii_api_roots(id),
        uuid         TEXT NOT NULL UNIQUE,
        title        TEXT NOT NULL,
        description  TEXT,
        alias        TEXT,
        created_at   TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX taxii_collections_alias ON taxii_collections(api_root_id, alias)
        WHERE alias IS NOT NULL;

    CREATE TABLE taxii_organizations (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        created_at  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE taxii_users (
        id             INTEGER PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        org_id         INTEGER NOT NULL REFERENCES taxii_organizations(id),
        password_hash  TEXT,
        can_write      INTEGER NOT NULL,
        disabled       INTEGER NOT NULL DEFAULT 0,
        created_at     TEXT NOT NULL
    ) STRICT;

    CREATE TABLE taxii_tokens (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES taxii_users(id),
        sha256      BLOB NOT NULL UNIQUE,
        label       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        revoked_at  TEXT
    ) STRICT;

    CREATE TABLE taxii_rights (
        collection_id  INTEGER NOT NULL REFERENCES taxii_collections(id),
        org_id         INTEGER NOT NULL REFERENCES taxii_organizations(id),
        can_read       INTEGER NOT NULL,
        can_write      INTEGER NOT NULL,
        amber          INTEGER NOT NULL,
        PRIMARY KEY (org_id, collection_id)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE taxii_objects (
        id             INTEGER PRIMARY KEY,
        collection_id  INTEGER NOT NULL REFERENCES taxii_collections(id),
        stix_id        TEXT NOT NULL,
        type           TEXT NOT NULL,
        spec_version   TEXT NOT NULL,
        version        TEXT NOT NULL,
        version_us     INTEGER NOT NULL,
        date_added     INTEGER NOT NULL,
        tlp            INTEGER NOT NULL,
        poster_org_id  INTEGER NOT NULL REFERENCES taxii_organizations(id),
        poster_user_id INTEGER NOT NULL REFERENCES taxii_users(id),
        content        TEXT NOT NULL
    ) STRICT;
    CREATE INDEX taxii_objects_by_date ON taxii_objects(collection_id, date_added, id);
    CREATE UNIQUE INDEX taxii_objects_by_version
        ON taxii_objects(collection_id, stix_id, version_us, spec_version);

    CREATE TABLE taxii_red_recipients (
        object_id  INTEGER NOT NULL REFERENCES taxii_objects(id) ON DELETE CASCADE,
        org_id     INTEGER NOT NULL REFERENCES taxii_organizations(id),
        PRIMARY KEY (object_id, org_id)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE taxii_status (
        id                 TEXT PRIMARY KEY,
        api_root_id        INTEGER NOT NULL REFERENCES taxii_api_roots(id),
        user_id            INTEGER NOT NULL REFERENCES taxii_users(id),
        org_id             INTEGER NOT NULL REFERENCES taxii_organizations(id),
        request_timestamp  TEXT NOT NULL,
        successes          TEXT NOT NULL,
        failures           TEXT NOT NULL
    ) STRICT;
    "#,
];

pub(crate) fn stored_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Brings the store to [`FORMAT_VERSION`], or refuses it.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let backend = |e: rusqlite::Error| StoreError::Backend(format!("{}: {e}", path.display()));
    let found = stored_version(conn).map_err(backend)?;
    let application_id: i32 =
        conn.query_row("PRAGMA application_id", [], |row| row.get(0)).map_err(backend)?;
    let empty: bool = conn
        .query_row("SELECT count(*) = 0 FROM sqlite_schema", [], |row| row.get(0))
        .map_err(backend)?;
    if !empty && application_id != APPLICATION_ID {
        return Err(StoreError::IncompatibleFormat {
            path: path.display().to_string(),
            found,
            expected: FORMAT_VERSION,
            advice: format!(
                "it is a SQLite database of another program (application id {application_id:#x}); \
                 choose another data directory with --data-dir"
            ),
        });
    }
    if found > FORMAT_VERSION {
        return Err(StoreError::IncompatibleFormat {
            path: path.display().to_string(),
            found,
            expected: FORMAT_VERSION,
            advice: "it was written by a newer chainward; upgrade chainward, or point --data-dir \
                     at another directory"
                .to_owned(),
        });
    }
    if found == FORMAT_VERSION {
        return Ok(());
    }
    let tx = conn.transaction().map_err(backend)?;
    for (version, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(migration).map_err(|e| {
            StoreError::Backend(format!(
                "{}: migration from format {version} to {} failed: {e}",
                path.display(),
                version + 1
            ))
        })?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(backend)?;
    tx.pragma_update(None, "user_version", FORMAT_VERSION).map_err(backend)?;
    tx.commit().map_err(backend)?;
    tracing::info!(path = %path.display(), from = found, to = FORMAT_VERSION, "store migrated");
    Ok(())
}
