//! `chainward serve`: the TAXII 2.1 server on the data directory's store with the private-lookup
//! endpoint beside it, and `chainward serve admin …`.
//!
//! One process is the hub: requests run on blocking threads, each with a store connection from
//! the server's pool; `serve admin` writes the same store from another process (SQLite WAL), so
//! users, rights and exports take effect without a restart. The private-lookup key lives in
//! `DATA_DIR/keys/private-lookup.key` (0600), the published set in
//! `DATA_DIR/keys/private-lookup.set`; the server rebuilds the set on start and reloads it
//! whenever `serve admin publish-set` rewrites it.

use crate::cli::{
    AdminCommand, ApiRootCommand, CollectionCommand, Global, OrgCommand, ServeAdminArgs, ServeArgs,
    ServeCommand, TokenCommand, UserCommand,
};
use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use chainward_private_lookup::{
    BlindedRequest, PublishedSet, RateLimit, RateLimiter, Server as LookupServer, ServerKey,
};
use chainward_store::SqliteStore;
use chainward_store_api::{
    AddItem, AddRequest, NewObject, Rights, TaxiiStore, Tlp as StoreTlp, WatchlistStore,
};
use chainward_taxii_server::{AppState, ServerConfig, admin};
use serde::Deserialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

pub(crate) fn run(global: &Global, args: ServeArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(ServeCommand::Admin(admin_args)) => admin_run(global, admin_args),
        None => serve(global, &args),
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// The configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    taxii: ServerConfig,
    private_lookup: LookupConfig,
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct LookupConfig {
    /// Serve `/private-lookup/v1/…`.
    enabled: bool,
    /// Evaluations a partner may make at once (4 per address looked up).
    burst: u32,
    /// Seconds to earn one evaluation back.
    refill_seconds: f64,
}

impl Default for LookupConfig {
    fn default() -> Self {
        // PRIVATE-LOOKUP.md: 100 lookups at once, then one per 40 s.
        Self { enabled: true, burst: 400, refill_seconds: 10.0 }
    }
}

fn load_config(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration {}", path.display()))?;
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let config: FileConfig = match extension.as_str() {
        "json" => serde_json::from_str(&text)
            .with_context(|| format!("{}: invalid configuration", path.display()))?,
        "yaml" | "yml" => serde_saphyr::from_str(&text)
            .with_context(|| format!("{}: invalid configuration", path.display()))?,
        other => anyhow::bail!(
            "{}: configuration files are YAML (.yaml, .yml) or JSON (.json), not {other:?}",
            path.display()
        ),
    };
    anyhow::ensure!(
        config.private_lookup.refill_seconds >= 0.0
            && config.private_lookup.refill_seconds.is_finite(),
        "{}: private_lookup.refill_seconds must be a non-negative number",
        path.display()
    );
    Ok(config)
}

// ---------------------------------------------------------------------------------------------
// The server

fn serve(global: &Global, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let dir = crate::data_dir(global)?;
    let mut config = load_config(args.config.as_deref())?;
    if let Some(url) = &args.public_url {
        config.taxii.public_url = Some(url.clone());
    }
    // Opens (and migrates) the store once, in the foreground, so errors name it.
    let store = crate::open_store(global)?;
    let lookup = if config.private_lookup.enabled {
        let set = publish_set(&dir, &store)?;
        Some(Arc::new(Lookup::new(
            &dir,
            &config.private_lookup,
            config.taxii.basic_auth,
            store,
            set,
        )?))
    } else {
        drop(store);
        None
    };
    let open_dir = dir.clone();
    let state = AppState::new(config.taxii, move || SqliteStore::open(&open_dir))
        .with_context(|| format!("cannot start the TAXII server on {}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = runtime
                .block_on(axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key))
                .with_context(|| {
                    format!(
                        "cannot use the TLS certificate {} with the key {}",
                        cert.display(),
                        key.display()
                    )
                })?;
            Some(config)
        }
        _ => None,
    };
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let local = listener.local_addr()?;
        let pruning = tokio::spawn(state.clone().prune_statuses_hourly());
        let mut app = chainward_taxii_server::router(state);
        if let Some(lookup) = &lookup {
            app = lookup_router(Arc::clone(lookup)).merge(app);
            tokio::spawn(watch_set(Arc::clone(lookup)));
        }
        let app = app.layer(axum::middleware::from_fn(log_request));
        tracing::info!(address = %local, data_dir = %dir.display(), private_lookup = lookup.is_some(), "serving");
        let scheme = if tls.is_some() { "https" } else { "http" };
        eprintln!(
            "chainward serve: TAXII 2.1 discovery at {scheme}://{local}/taxii2/{} (data directory \
             {}); Ctrl-C stops",
            if lookup.is_some() { ", private lookups at /private-lookup/v1/" } else { "" },
            dir.display()
        );
        match tls {
            Some(config) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    shutdown_signal().await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
                });
                axum_server::from_tcp_rustls(listener.into_std()?, config)?
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await
                    .context("the server failed")?;
            }
            None => axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .context("the server failed")?,
        }
        pruning.abort();
        tracing::info!("stopped");
        eprintln!("chainward serve: stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// One structured log line per request (method, path, status, time); never query strings,
/// bodies or credentials.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

// ---------------------------------------------------------------------------------------------
// Private lookups

fn keys_dir(dir: &Path) -> PathBuf {
    dir.join("keys")
}

fn key_path(dir: &Path) -> PathBuf {
    keys_dir(dir).join("private-lookup.key")
}

fn set_path(dir: &Path) -> PathBuf {
    keys_dir(dir).join("private-lookup.set")
}

/// The private-lookup key, created (0600, in a 0700 directory) on first use.
fn lookup_key(dir: &Path) -> anyhow::Result<ServerKey> {
    let path = key_path(dir);
    if path.exists() {
        return ServerKey::load(&path).with_context(|| format!("cannot read {}", path.display()));
    }
    let keys = keys_dir(dir);
    std::fs::create_dir_all(&keys).with_context(|| format!("cannot create {}", keys.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o700))?;
    }
    let key = ServerKey::generate().context("cannot generate the private-lookup key")?;
    key.save(&path).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), key_id = %key.key_id(), "private-lookup key created");
    Ok(key)
}

/// Rebuilds the published set from the active watchlist (version = previous + 1) and writes it.
fn publish_set(dir: &Path, store: &SqliteStore) -> anyhow::Result<PublishedSet> {
    let key = lookup_key(dir)?;
    let mut server = LookupServer::new(key);
    let path = set_path(dir);
    let mut version = 1;
    if let Ok(bytes) = std::fs::read(&path)
        && let Ok(previous) = PublishedSet::from_bytes(&bytes)
        && server.record_published(&previous).is_ok()
    {
        version = previous.version() + 1;
    }
    let mut keys = Vec::new();
    store.for_each_record(&mut |record| {
        if record.is_active() {
            keys.push(record.entry.key);
        }
        Ok(())
    })?;
    let set = server.publish(keys, version).context("cannot build the private-lookup set")?;
    let dir_of = keys_dir(dir);
    let mut file = tempfile::NamedTempFile::new_in(&dir_of)
        .with_context(|| format!("cannot write into {}", dir_of.display()))?;
    std::io::Write::write_all(&mut file, &set.to_bytes())?;
    file.persist(&path).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(version, entries = set.len(), "private-lookup set published");
    Ok(set)
}

/// Why a request was refused: status and message.
type Refusal = (StatusCode, String);

struct Published {
    set: PublishedSet,
    bytes: Bytes,
    modified: Option<SystemTime>,
}

struct Lookup {
    dir: PathBuf,
    server: RwLock<LookupServer>,
    published: RwLock<Arc<Published>>,
    limiter: Mutex<RateLimiter>,
    /// For authentication (the TAXII users and tokens).
    store: Mutex<SqliteStore>,
    basic_auth: bool,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Lookup {
    fn new(
        dir: &Path,
        config: &LookupConfig,
        basic_auth: bool,
        store: SqliteStore,
        set: PublishedSet,
    ) -> anyhow::Result<Self> {
        let mut server = LookupServer::new(lookup_key(dir)?);
        server.record_published(&set).context("the set was published under another key")?;
        let limit = RateLimit {
            burst: config.burst,
            refill_every: Duration::from_secs_f64(config.refill_seconds),
        };
        let bytes = Bytes::from(set.to_bytes());
        Ok(Self {
            dir: dir.to_path_buf(),
            server: RwLock::new(server),
            published: RwLock::new(Arc::new(Published {
                set,
                bytes,
                modified: modified(&set_path(dir)),
            })),
            limiter: Mutex::new(RateLimiter::new(limit)),
            store: Mutex::new(store),
            basic_auth,
        })
    }

    fn current(&self) -> Arc<Published> {
        Arc::clone(&self.published.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Reloads the set when `serve admin publish-set` rewrote it.
    fn reload_if_changed(&self) {
        let path = set_path(&self.dir);
        let now = modified(&path);
        if now.is_none() || now == self.current().modified {
            return;
        }
        let loaded = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| PublishedSet::from_bytes(&b).map_err(|e| e.to_string()));
        match loaded {
            Ok(set) => {
                let recorded = self
                    .server
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .record_published(&set);
                if let Err(error) = recorded {
                    tracing::warn!(%error, "the new private-lookup set is under another key; ignored");
                    return;
                }
                tracing::info!(
                    version = set.version(),
                    entries = set.len(),
                    "private-lookup set reloaded"
                );
                let bytes = Bytes::from(set.to_bytes());
                *self.published.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Arc::new(Published { set, bytes, modified: now });
            }
            Err(error) => tracing::warn!(%error, "cannot reload the private-lookup set"),
        }
    }

    /// The partner (organization) of an authenticated request.
    fn partner(&self, headers: &HeaderMap) -> Result<String, Refusal> {
        let unauthorized = |message: &str| (StatusCode::UNAUTHORIZED, message.to_owned());
        let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return Err(unauthorized("send an API token (Authorization: Bearer …) or HTTP Basic"));
        };
        let (scheme, credential) = value.trim().split_once(' ').unwrap_or((value, ""));
        let store = self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let internal = |e: chainward_store_api::StoreError| {
            tracing::error!(error = %e, "private lookup: store error");
            (StatusCode::INTERNAL_SERVER_ERROR, "see the server log".to_owned())
        };
        let user = if scheme.eq_ignore_ascii_case("bearer") {
            store
                .taxii_user_by_token(&chainward_taxii_server::token_sha256(credential.trim()))
                .map_err(internal)?
                .ok_or_else(|| unauthorized("the API token is unknown or revoked"))?
        } else if scheme.eq_ignore_ascii_case("basic") && self.basic_auth {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(credential.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| unauthorized("malformed HTTP Basic credentials"))?;
            let (name, password) = decoded
                .split_once(':')
                .ok_or_else(|| unauthorized("malformed HTTP Basic credentials"))?;
            let user = store.taxii_user_by_name(name).map_err(internal)?;
            match user {
                Some(user)
                    if user.password_hash.as_deref().is_some_and(|phc| {
                        chainward_taxii_server::verify_password(password, phc)
                    }) =>
                {
                    user
                }
                _ => return Err(unauthorized("wrong user name or password")),
            }
        } else {
            return Err(unauthorized("use Bearer (or Basic, when enabled)"));
        };
        if user.disabled {
            return Err(unauthorized("this account is disabled"));
        }
        let org = store
            .taxii_organizations()
            .map_err(internal)?
            .into_iter()
            .find(|o| o.id == user.org_id)
            .map_or_else(|| format!("org-{}", user.org_id), |o| o.name);
        Ok(org)
    }
}

async fn watch_set(lookup: Arc<Lookup>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        interval.tick().await;
        let lookup = Arc::clone(&lookup);
        let _ = tokio::task::spawn_blocking(move || lookup.reload_if_changed()).await;
    }
}

fn lookup_error(status: StatusCode, title: &str, description: &str) -> Response {
    let body = serde_json::json!({
        "title": title, "description": description, "http_status": status.as_u16().to_string(),
    });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn lookup_router(lookup: Arc<Lookup>) -> axum::Router {
    axum::Router::new()
        .route("/private-lookup/v1/key", get(lookup_key_handler))
        .route("/private-lookup/v1/set", get(lookup_set_handler))
        .route(
            "/private-lookup/v1/evaluate",
            post(lookup_evaluate_handler).layer(axum::extract::DefaultBodyLimit::max(8 * 1024)),
        )
        .with_state(lookup)
}

async fn authenticate(lookup: &Arc<Lookup>, headers: HeaderMap) -> Result<String, Response> {
    let lookup = Arc::clone(lookup);
    let refusal = match tokio::task::spawn_blocking(move || lookup.partner(&headers)).await {
        Ok(Ok(partner)) => return Ok(partner),
        Ok(Err(refusal)) => refusal,
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "see the server log".to_owned()),
    };
    let title =
        if refusal.0 == StatusCode::UNAUTHORIZED { "Unauthorized" } else { "Internal error" };
    let mut response = lookup_error(refusal.0, title, &refusal.1);
    if refusal.0 == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"chainward\", Bearer realm=\"chainward\""),
        );
    }
    Err(response)
}

async fn lookup_key_handler(State(lookup): State<Arc<Lookup>>, headers: HeaderMap) -> Response {
    if let Err(response) = authenticate(&lookup, headers).await {
        return response;
    }
    let key = lookup.server.read().unwrap_or_else(std::sync::PoisonError::into_inner).public_key();
    match serde_json::to_string(&key) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(_) => lookup_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", ""),
    }
}

async fn lookup_set_handler(State(lookup): State<Arc<Lookup>>, headers: HeaderMap) -> Response {
    if let Err(response) = authenticate(&lookup, headers).await {
        return response;
    }
    let published = lookup.current();
    let etag = HeaderValue::from_str(&format!("\"{}\"", published.set.version()))
        .unwrap_or(HeaderValue::from_static("\"0\""));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
            (header::ETAG, etag),
        ],
        published.bytes.clone(),
    )
        .into_response()
}

async fn lookup_evaluate_handler(
    State(lookup): State<Arc<Lookup>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let partner = match authenticate(&lookup, headers).await {
        Ok(partner) => partner,
        Err(response) => return response,
    };
    let request: BlindedRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return lookup_error(
                StatusCode::BAD_REQUEST,
                "Bad request",
                &format!("the body is not a blinded request: {e}"),
            );
        }
    };
    let acquired = lookup
        .limiter
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .try_acquire(&partner, request.evaluation_count());
    if let Err(limited) = acquired {
        tracing::warn!(%partner, "private lookup: rate limited");
        let mut response =
            lookup_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests", &limited.to_string());
        if let Some(after) = limited.retry_after
            && let Ok(value) = HeaderValue::from_str(&after.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let evaluator = Arc::clone(&lookup);
    let result = tokio::task::spawn_blocking(move || {
        evaluator
            .server
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .evaluate(&request)
    })
    .await;
    match result {
        Ok(Ok(response)) => {
            // Counted per partner, never per address: elements are never logged.
            tracing::info!(%partner, "private lookup evaluated");
            match serde_json::to_string(&response) {
                Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
                Err(_) => lookup_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", ""),
            }
        }
        Ok(Err(error)) if error.is_client_error() => {
            let status = if matches!(error, chainward_private_lookup::Error::UnknownKey(_)) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            lookup_error(status, "Refused", &error.to_string())
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "private lookup failed");
            lookup_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "see the server log")
        }
        Err(_) => lookup_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", ""),
    }
}

// ---------------------------------------------------------------------------------------------
// Administration

fn admin_run(global: &Global, args: ServeAdminArgs) -> anyhow::Result<ExitCode> {
    let json = args.json;
    let mut store = crate::open_store(global)?;
    let print = |value: serde_json::Value, text: String| {
        if json {
            println!("{value}");
        } else {
            println!("{text}");
        }
    };
    match args.command {
        AdminCommand::ApiRoot(ApiRootCommand::Add {
            name,
            title,
            description,
            max_content_length,
        }) => {
            let row = admin::create_api_root(
                &mut store,
                &name,
                &title,
                description.as_deref(),
                max_content_length,
            )
            .with_context(|| format!("cannot create API root {name:?}"))?;
            print(
                serde_json::json!({"name": row.name, "title": row.title, "max_content_length": row.max_content_length}),
                format!("API root {} created: served at /{}/", row.name, row.name),
            );
        }
        AdminCommand::ApiRoot(ApiRootCommand::List) => {
            let roots = store.taxii_api_roots()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&roots)?);
            } else {
                for root in roots {
                    println!(
                        "/{}/  {}  (max_content_length {})",
                        root.name, root.title, root.max_content_length
                    );
                }
            }
        }
        AdminCommand::Collection(CollectionCommand::Add {
            api_root,
            title,
            alias,
            description,
        }) => {
            let row = admin::create_collection(
                &mut store,
                &api_root,
                &title,
                description.as_deref(),
                alias.as_deref(),
            )
            .with_context(|| format!("cannot create collection {title:?} in {api_root:?}"))?;
            print(
                serde_json::json!({"id": row.uuid, "alias": row.alias, "title": row.title, "api_root": api_root}),
                format!(
                    "Collection {} created in /{api_root}/: id {}{}",
                    row.title,
                    row.uuid,
                    row.alias.as_deref().map(|a| format!(" (alias {a})")).unwrap_or_default()
                ),
            );
        }
        AdminCommand::Collection(CollectionCommand::List { api_root }) => {
            let root = admin::api_root(&store, &api_root)?;
            let collections = store.taxii_collections(root.id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&collections)?);
            } else {
                for c in collections {
                    println!("{}  {}  {}", c.uuid, c.alias.as_deref().unwrap_or("-"), c.title);
                }
            }
        }
        AdminCommand::Org(OrgCommand::Add { name }) => {
            let row = admin::create_organization(&mut store, &name)
                .with_context(|| format!("cannot create organization {name:?}"))?;
            print(
                serde_json::json!({"name": row.name}),
                format!("Organization {} created", row.name),
            );
        }
        AdminCommand::Org(OrgCommand::List) => {
            let orgs = store.taxii_organizations()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&orgs)?);
            } else {
                for o in orgs {
                    println!("{}", o.name);
                }
            }
        }
        AdminCommand::User(UserCommand::Add {
            name,
            org,
            read_only,
            password_env,
            password_stdin,
        }) => {
            let password = read_password(password_env.as_deref(), password_stdin)?;
            let spec = admin::UserSpec {
                name: &name,
                organization: &org,
                password: password.as_deref(),
                can_write: !read_only,
            };
            let (user, token) = admin::create_user(&mut store, &spec)
                .with_context(|| format!("cannot create user {name:?}"))?;
            print(
                serde_json::json!({"user": user.name, "organization": org, "can_write": user.can_write,
                    "password": password.is_some(), "token": token}),
                format!(
                    "User {} created in {org} ({}{}).\nAPI token (shown once; only its hash is kept):\n{token}",
                    user.name,
                    if user.can_write { "read/write" } else { "read-only" },
                    if password.is_some() { ", HTTP Basic password set" } else { ", tokens only" }
                ),
            );
        }
        AdminCommand::User(UserCommand::List) => {
            let users = store.taxii_users()?;
            let orgs = store.taxii_organizations()?;
            let org_name =
                |id: i64| orgs.iter().find(|o| o.id == id).map_or("?", |o| o.name.as_str());
            let rows: Vec<serde_json::Value> = users
                .iter()
                .map(|u| serde_json::json!({"name": u.name, "organization": org_name(u.org_id),
                    "can_write": u.can_write, "disabled": u.disabled, "password": u.password_hash.is_some()}))
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for u in &users {
                    println!(
                        "{:<20} {:<20} {}{}",
                        u.name,
                        org_name(u.org_id),
                        if u.can_write { "read/write" } else { "read-only" },
                        if u.disabled { " DISABLED" } else { "" }
                    );
                }
            }
        }
        AdminCommand::Grant { api_root, collection, org, read, write, amber } => {
            admin::grant(&mut store, &api_root, &collection, &org, Rights { read, write, amber })
                .with_context(|| format!("cannot grant {org:?} rights on {api_root}/{collection}"))?;
            print(
                serde_json::json!({"api_root": api_root, "collection": collection, "organization": org,
                    "read": read, "write": write, "amber": amber}),
                format!(
                    "{org} on /{api_root}/ {collection}: read {read}, write {write}, TLP:AMBER {amber}"
                ),
            );
        }
        AdminCommand::Token(TokenCommand::Issue { user, label }) => {
            let token = admin::issue_token(&mut store, &user, &label)
                .with_context(|| format!("cannot issue a token for {user:?}"))?;
            print(
                serde_json::json!({"user": user, "label": label, "token": token}),
                format!("API token for {user} (shown once; only its hash is kept):\n{token}"),
            );
        }
        AdminCommand::Token(TokenCommand::Revoke { user }) => {
            let revoked = admin::revoke_tokens(&mut store, &user)
                .with_context(|| format!("cannot revoke the tokens of {user:?}"))?;
            print(
                serde_json::json!({"user": user, "revoked": revoked}),
                format!("{revoked} token(s) of {user} revoked"),
            );
        }
        AdminCommand::ExportCollection { api_root, collection, user, tlp, producer, selection } => {
            return export_collection(
                &mut store,
                &api_root,
                &collection,
                &user,
                tlp,
                producer,
                &selection,
                json,
            );
        }
        AdminCommand::PublishSet => {
            let dir = crate::data_dir(global)?;
            let set = publish_set(&dir, &store)?;
            print(
                serde_json::json!({"version": set.version(), "entries": set.len(), "key_id": set.key_id().to_string(),
                    "file": set_path(&dir)}),
                format!(
                    "Private-lookup set version {} published: {} entries under key {} ({}); a running \
                     server reloads it within a second.",
                    set.version(),
                    set.len(),
                    set.key_id(),
                    set_path(&dir).display()
                ),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_password(env: Option<&str>, stdin: bool) -> anyhow::Result<Option<String>> {
    if let Some(var) = env {
        let value = std::env::var(var)
            .with_context(|| format!("--password-env {var}: the variable is not set"))?;
        anyhow::ensure!(!value.is_empty(), "--password-env {var}: the variable is empty");
        return Ok(Some(value));
    }
    if stdin {
        let input = std::io::stdin();
        if input.is_terminal() {
            eprint!("Password: ");
        }
        let mut line = String::new();
        input.read_line(&mut line).context("cannot read the password from stdin")?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        anyhow::ensure!(!line.is_empty(), "the password read from stdin is empty");
        return Ok(Some(line));
    }
    Ok(None)
}

/// Publishes the watchlist into a collection of this store, as `user`, without HTTP: only the
/// objects that changed since the last export, de-listed entries as revoked indicators.
#[allow(clippy::too_many_arguments)]
fn export_collection(
    store: &mut SqliteStore,
    api_root: &str,
    collection: &str,
    user: &str,
    tlp: chainward_stix::Tlp,
    producer: Option<String>,
    selection: &crate::cli::ShareSelection,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let root = admin::api_root(store, api_root)?;
    let target = admin::collection(store, api_root, collection)?;
    let poster = admin::user(store, user)?;
    anyhow::ensure!(!poster.disabled, "user {user:?} is disabled");
    let org = store
        .taxii_organizations()?
        .into_iter()
        .find(|o| o.id == poster.org_id)
        .context("the user's organization is missing")?;
    let producer = producer.unwrap_or_else(|| org.name.clone());
    let records = crate::intel::local_records(store, selection, tlp)?;
    let alerts =
        if selection.no_alerts { Vec::new() } else { crate::intel::confirmed_alerts(store)? };
    let key = crate::intel::export_state_key(api_root, &target.uuid);
    let mut state = crate::intel::load_state(store, &key)?;
    let options = crate::intel::export_options(&producer, tlp, selection);
    let publication = crate::intel::plan_publication(&records, &alerts, &state, &options)?;
    let mut summary = publication.summary();
    if !publication.objects.is_empty() {
        let now_us = jiff::Timestamp::now().as_microsecond();
        let items = publication.objects.iter().map(|o| AddItem::Object(new_object(o))).collect();
        let request = AddRequest {
            collection_id: target.id,
            api_root_id: root.id,
            user_id: poster.id,
            org_id: poster.org_id,
            status_id: uuid::Uuid::new_v4().to_string(),
            request_timestamp: taxii_timestamp(now_us),
            now_us,
            date_added: chainward_store_api::DateAddedPolicy::PerObject,
            items,
        };
        let status = store.taxii_add_objects(&request).context("cannot store the objects")?;
        let outcome = crate::intel::outcome_of(&status);
        publication.record(&outcome, &mut state);
        crate::intel::save_state(store, &key, &state)?;
        summary.stored = status.successes.len();
        summary.failed = status.failures.len();
        summary.failures = crate::intel::failures(&outcome);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        crate::intel::print_push(&format!("/{api_root}/ collection {}", target.uuid), &summary);
    }
    Ok(if summary.failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn taxii_timestamp(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        .unwrap_or_default()
}

/// What the store keeps of one of our own objects (the server's checks, which our exports
/// pass by construction).
fn new_object(object: &chainward_stix::StixObject) -> NewObject {
    let value = object.to_value();
    let text = |field: &str| value.get(field).and_then(serde_json::Value::as_str);
    let version = text("modified").or_else(|| text("created")).and_then(|v| {
        v.parse::<jiff::Timestamp>().ok().map(|t| (v.to_owned(), t.as_microsecond()))
    });
    let mut tlp = StoreTlp::None;
    for marking in value
        .get("object_marking_refs")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
    {
        if let Some(level) = chainward_taxii_server::stix::tlp_of_marking(marking) {
            tlp = tlp.max(level);
        }
    }
    NewObject {
        stix_id: object.id().to_string(),
        stix_type: object.object_type().to_owned(),
        spec_version: text("spec_version").unwrap_or("2.1").to_owned(),
        version,
        tlp,
        content: value.to_string(),
        red_recipients: Vec::new(),
    }
}
