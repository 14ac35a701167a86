//! Chainward's TAXII 2.1 server, as a library: every endpoint of TAXII 2.1 (discovery, API
//! roots, status, collections, manifest, objects GET/POST, object GET/DELETE, versions) with
//! every filter, over the [`TaxiiStore`] trait, with authentication (API tokens and HTTP
//! Basic), per-organization rights per collection, and TLP 2.0 enforcement.
//!
//! The model, the cursor format and what we do differently from medallion are in
//! `crates/sharing/taxii-server/TAXII.md`.
//!
//! ```no_run
//! # use chainward_store_api::{StoreError, TaxiiStore};
//! # async fn run<S, F>(open: F) -> Result<(), chainward_taxii_server::ServerError>
//! # where S: TaxiiStore + Send + 'static, F: Fn() -> Result<S, StoreError> + Send + Sync + 'static {
//! use chainward_taxii_server::{ServerConfig, serve};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9443").await?;
//! // The composition root names the store: the CLI passes `move || SqliteStore::open(&dir)`.
//! serve(listener, ServerConfig::default(), open).await
//! # }
//! ```
//!
//! Requests run on blocking threads, each with a store taken from a small pool (one SQLite
//! connection per store); at most [`ServerConfig::max_connections`] run at once.

pub mod admin;
mod auth;
mod cursor;
mod error;
mod handlers;
pub mod media;
mod params;
pub mod stix;

pub use auth::{TOKEN_PREFIX, hash_password, token_sha256, verify_password};
pub use chainward_store_api::{DateAddedPolicy, Rights, TaxiiStore};
pub use error::{ApiError, ServerError};

use auth::BasicCache;
use chainward_store_api::StoreError;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// The server's settings (the `[taxii]` section of the configuration file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Discovery `title`.
    pub title: String,
    /// Discovery `description`.
    pub description: Option<String>,
    /// Discovery `contact`.
    pub contact: Option<String>,
    /// The API root named as discovery's `default` (when the caller may see it).
    pub default_api_root: Option<String>,
    /// The URL clients reach the server at (`https://taxii.example.org`), used for the
    /// absolute URLs of discovery; default: `http://` + the request's `Host`.
    pub public_url: Option<String>,
    /// Largest page (`limit` is capped to it; also the page size without `limit`). Default
    /// 1000.
    pub max_page_size: u32,
    /// How `date_added` is assigned to the objects of one POST. Default `per_object`.
    pub date_added: DateAddedPolicy,
    /// Whether HTTP Basic is accepted (API tokens always are). Default true.
    pub basic_auth: bool,
    /// Requests served at once (each holds one store connection). Default 8.
    pub max_connections: usize,
    /// Hours a status resource is kept after its request (TAXII 2.1 asks for at least 24);
    /// older ones are deleted hourly. 0 keeps them forever. Default 168 (a week).
    pub status_retention_hours: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            title: "Chainward TAXII server".into(),
            description: None,
            contact: None,
            default_api_root: None,
            public_url: None,
            max_page_size: 1000,
            date_added: DateAddedPolicy::PerObject,
            basic_auth: true,
            max_connections: 8,
            status_retention_hours: 168,
        }
    }
}

/// The shortest status retention TAXII 2.1 allows (§4.3: status resources should stay queryable for at least 24 hours).
pub const MIN_STATUS_RETENTION_HOURS: u32 = 24;

type BoxStore = Box<dyn TaxiiStore + Send>;
type Opener = Box<dyn Fn() -> Result<BoxStore, StoreError> + Send + Sync>;

/// Idle stores, reused by requests; a request opens a new one when none is idle.
struct Pool {
    open: Opener,
    idle: Mutex<Vec<BoxStore>>,
}

impl Pool {
    fn take(&self) -> Result<BoxStore, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(store) => Ok(store),
            None => (self.open)(),
        }
    }

    fn give(&self, store: BoxStore) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(store);
        }
    }
}

pub(crate) struct Inner {
    pub(crate) config: ServerConfig,
    pub(crate) key: [u8; 32],
    pub(crate) basic: BasicCache,
    pool: Pool,
    permits: tokio::sync::Semaphore,
}

/// The server's shared state: configuration, the store pool and the cursor-signing key.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state: opens one store (checking that it opens), and reads the
    /// cursor-signing key from it (creating it on first use). `open_store` is called again
    /// whenever a request finds no idle store.
    ///
    /// Blocking: call it outside the async runtime or in `spawn_blocking`.
    ///
    /// # Errors
    /// Store errors; [`ServerError::Invalid`] for a zero `max_page_size` or `max_connections`.
    pub fn new<S, F>(config: ServerConfig, open_store: F) -> Result<Self, ServerError>
    where
        S: TaxiiStore + Send + 'static,
        F: Fn() -> Result<S, StoreError> + Send + Sync + 'static,
    {
        if config.max_page_size == 0 || config.max_connections == 0 {
            return Err(ServerError::Invalid(
                "max_page_size and max_connections must be positive".into(),
            ));
        }
        if (1..MIN_STATUS_RETENTION_HOURS).contains(&config.status_retention_hours) {
            return Err(ServerError::Invalid(format!(
                "status_retention_hours must be 0 (keep forever) or at least \
                 {MIN_STATUS_RETENTION_HOURS}, as TAXII 2.1 asks; got {}",
                config.status_retention_hours
            )));
        }
        let open: Opener = Box::new(move || open_store().map(|s| Box::new(s) as BoxStore));
        let mut store = open()?;
        let key = store.taxii_server_key(&auth::random_bytes::<32>())?;
        let permits = tokio::sync::Semaphore::new(config.max_connections);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                key,
                basic: BasicCache::default(),
                pool: Pool { open, idle: Mutex::new(vec![store]) },
                permits,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// Deletes the status resources older than the retention at time `now_us` (microseconds
    /// since the epoch) and returns how many; none when the retention is 0. The objects the
    /// requests added stay.
    ///
    /// # Errors
    /// Store errors.
    pub async fn prune_statuses(&self, now_us: i64) -> Result<u64, ApiError> {
        let hours = self.inner.config.status_retention_hours;
        if hours == 0 {
            return Ok(0);
        }
        let before = params::format_timestamp(now_us - i64::from(hours) * 3_600_000_000);
        self.blocking(move |store, _| Ok(store.taxii_prune_statuses(&before)?)).await
    }

    /// Prunes status resources now and then every hour, for as long as the task runs; a
    /// failure is logged and retried at the next hour.
    pub async fn prune_statuses_hourly(self) {
        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
        hourly.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            hourly.tick().await;
            match self.prune_statuses(jiff::Timestamp::now().as_microsecond()).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "old status resources deleted"),
                Err(error) => tracing::warn!(%error, "cannot delete old status resources"),
            }
        }
    }

    /// Runs `work` on a blocking thread with a pooled store.
    pub(crate) async fn blocking<T, W>(&self, work: W) -> Result<T, ApiError>
    where
        T: Send + 'static,
        W: FnOnce(&mut dyn TaxiiStore, &Inner) -> Result<T, ApiError> + Send + 'static,
    {
        let _permit = self.inner.permits.acquire().await.map_err(ApiError::internal)?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut store = inner.pool.take()?;
            let result = work(store.as_mut(), &inner);
            inner.pool.give(store);
            result
        })
        .await
        .map_err(ApiError::internal)?
    }
}

/// The TAXII 2.1 routes: `/taxii2/` and `/{api-root}/…` (trailing slash optional).
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().fallback(handlers::dispatch).with_state(state)
}

/// Serves TAXII on `listener` until the process ends.
///
/// # Errors
/// Store errors while starting; I/O errors of the listener.
pub async fn serve<S, F>(
    listener: tokio::net::TcpListener,
    config: ServerConfig,
    open_store: F,
) -> Result<(), ServerError>
where
    S: TaxiiStore + Send + 'static,
    F: Fn() -> Result<S, StoreError> + Send + Sync + 'static,
{
    let state = tokio::task::spawn_blocking(move || AppState::new(config, open_store))
        .await
        .map_err(|e| ServerError::Io(std::io::Error::other(e)))??;
    serve_with_shutdown(listener, state, std::future::pending()).await
}

/// Serves TAXII on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    tracing::info!(address = ?listener.local_addr().ok(), "TAXII server listening");
    let pruning = tokio::spawn(state.clone().prune_statuses_hourly());
    let served = axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await;
    pruning.abort();
    served?;
    Ok(())
}
