//! Chainward's stores: the embedded SQLite store (the default), behind
//! [`chainward_store_api::WatchlistStore`] and [`chainward_store_api::ChainStore`].
//!
//! [`SqliteStore::open`] opens (or creates) `chainward.sqlite3` inside a data directory. The
//! schema carries a format version ([`FORMAT_VERSION`]) in `PRAGMA user_version` and an
//! application id in `PRAGMA application_id`:
//! - a store of an older format is migrated forward in one transaction ([`migrations`]);
//! - a store of a newer format, or a SQLite file that is not a Chainward store, is refused with a
//!   message that says what was found and what to do.
//!
//! Every import is one transaction, so a failed or interrupted import leaves the store exactly
//! as it was. The schema is documented in `docs/schema.md`.
//!
//! ```
//! use chainward_store::SqliteStore;
//! use chainward_store_api::WatchlistStore;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(dir.path()).unwrap();
//! assert!(store.sources().unwrap().is_empty());
//! ```

mod alerts;
mod chain;
mod graph;
mod migrations;
mod taxii;
mod watchlist;

use chainward_store_api::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

pub use migrations::FORMAT_VERSION;

/// The file name of the store inside its data directory.
pub const DATABASE_FILE: &str = "chainward.sqlite3";

/// `PRAGMA application_id` of a Chainward store ("CHWD"), so that another program's SQLite file
/// is never mistaken for one and migrated.
pub const APPLICATION_ID: i32 = 0x4348_5744;

/// The embedded store: one SQLite file in a data directory.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    chain_cache: chain::ChainCache,
}

impl SqliteStore {
    /// Opens the store in `data_dir`, creating the directory and the database when absent and
    /// migrating an older format forward.
    ///
    /// # Errors
    /// [`StoreError::IncompatibleFormat`] for a newer format or a foreign SQLite file;
    /// [`StoreError::Backend`] when the directory or file cannot be opened.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Backend(format!("cannot create data directory {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| backend(&path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| backend(&path, e))?;
        // WAL: readers (screening) never block on a running import.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| not_a_store(&path, e))?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(|e| backend(&path, e))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(|e| backend(&path, e))?;
        // Chain ingest inserts into indexes keyed by random hashes and address ids; with
        // SQLite's default 2 MB page cache those B-trees thrash through the OS (measured: 13k
        // transfers/s at 2 MB). 256 MB keeps their hot pages in memory.
        conn.pragma_update(None, "cache_size", -262_144).map_err(|e| backend(&path, e))?;
        let mut store = Self { conn, path, chain_cache: chain::ChainCache::default() };
        migrations::migrate(&mut store.conn, &store.path)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format version stored in the database.
    ///
    /// # Errors
    /// Backend errors.
    pub fn format_version(&self) -> Result<u32, StoreError> {
        migrations::stored_version(&self.conn).map_err(|e| backend(&self.path, e))
    }
}

fn backend(path: &Path, error: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("{}: {error}", path.display()))
}

fn not_a_store(path: &Path, error: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!(
        "{} cannot be opened as a SQLite database ({error}); is it a Chainward store?",
        path.display()
    ))
}
