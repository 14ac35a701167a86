//! `chainward bench taxii`: our TAXII server (in-process, SQLite in a temporary directory) and
//! medallion 3.0.0 (a subprocess, memory backend) each serve synthetic indicators, paged by the
//! same `chainward-taxii-client` with the same page size; plus the rate at which our server
//! stores POSTed objects.
//!
//! medallion's memory backend sorts and filters the whole collection for every page (quadratic
//! overall): 2,000 objects paged at limit=100 took 74.5 s on this machine and a 10,000-object
//! page did not come back within 60 s, so it gets fewer objects by default and the comparison
//! is per object.

use anyhow::Context;
use chainward_stix::StixObject;
use chainward_store::SqliteStore;
use chainward_store_api::Rights;
use chainward_taxii_client::{
    Auth, ClientConfig, CollectionAddress, PullOptions, PullState, PushOptions, TaxiiClient,
};
use chainward_taxii_server::{AppState, ServerConfig, admin};
use serde::Serialize;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Serialize)]
struct Figures {
    build: &'static str,
    page_limit: u32,
    ours: Side,
    #[serde(skip_serializing_if = "Option::is_none")]
    medallion: Option<Side>,
    /// medallion's paging time per object over ours.
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio_per_object: Option<f64>,
    post_objects_per_second: f64,
}

#[derive(Debug, Serialize)]
struct Side {
    objects: usize,
    post_seconds: f64,
    page_seconds: f64,
    pages: u32,
    objects_per_second: f64,
}

pub(crate) fn run(
    objects: usize,
    medallion_objects: usize,
    limit: u32,
    no_medallion: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(objects > 0 && limit > 0, "--objects and --limit must be positive");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let ours = runtime.block_on(ours(objects, limit))?;
    let medallion = if no_medallion || medallion_objects == 0 {
        None
    } else {
        Some(runtime.block_on(medallion(medallion_objects, limit))?)
    };
    let ratio = medallion.as_ref().map(|m| {
        (m.page_seconds / m.objects as f64) / (ours.page_seconds / ours.objects as f64).max(1e-12)
    });
    let figures = Figures {
        build: if cfg!(debug_assertions) { "debug (figures mean nothing)" } else { "release" },
        page_limit: limit,
        post_objects_per_second: ours.objects as f64 / ours.post_seconds.max(1e-9),
        ours,
        medallion,
        ratio_per_object: ratio,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print(&figures);
    }
    Ok(ExitCode::SUCCESS)
}

fn print(f: &Figures) {
    println!(
        "TAXII paging, same client (chainward-taxii-client), limit={} ({} build)",
        f.page_limit, f.build
    );
    let line = |name: &str, s: &Side| {
        println!(
            "  {name:<34} {:>6} objects in {:>3} pages: {:>9.3} s ({:>9.0} objects/s)",
            s.objects, s.pages, s.page_seconds, s.objects_per_second
        );
    };
    line("ours (SQLite, in-process)", &f.ours);
    if let Some(m) = &f.medallion {
        line("medallion 3.0.0 (memory backend)", m);
        println!(
            "  medallion ran on {} objects, not {}: its memory backend sorts the whole collection \
             for every page (2,000 objects at limit=100 took 74.5 s here; a 10,000-object page did \
             not return within 60 s).",
            m.objects, f.ours.objects
        );
    }
    if let Some(ratio) = f.ratio_per_object {
        println!("  ratio (medallion time per object / ours): {ratio:.0}×");
    }
    println!(
        "  POST to ours: {} objects in {:.3} s = {:.0} objects/s (envelopes up to max_content_length, status complete)",
        f.ours.objects, f.ours.post_seconds, f.post_objects_per_second
    );
}

/// `count` TLP:GREEN indicators of ~400 bytes.
fn synthetic(count: usize) -> anyhow::Result<Vec<StixObject>> {
    let green = chainward_stix::Tlp::Green.id();
    (0..count)
        .map(|i| {
            let value = serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{}", uuid::Uuid::new_v4()),
                "created": "2026-11-20T09:00:00.000Z", "modified": "2026-11-20T09:00:00.000Z",
                "name": format!("bench indicator {i}"),
                "indicator_types": ["malicious-activity"],
                "pattern": format!("[cryptocurrency-wallet:value = '0x{:040x}']", 0x1000_0000u64 + i as u64),
                "pattern_type": "stix", "pattern_version": "2.1",
                "valid_from": "2026-11-20T09:00:00.000Z",
                "object_marking_refs": [green],
            });
            chainward_stix::parse_object(&value).map_err(|e| anyhow::anyhow!("{e}"))
        })
        .collect()
}

async fn ours(count: usize, limit: u32) -> anyhow::Result<Side> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().to_path_buf();
    let setup = path.clone();
    let (token, collection_id) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut store = SqliteStore::open(&setup)?;
        admin::create_api_root(&mut store, "bench", "Bench", None, 100 * 1024 * 1024)?;
        let collection =
            admin::create_collection(&mut store, "bench", "Bench", None, Some("bench"))?;
        admin::create_organization(&mut store, "bench")?;
        let spec = admin::UserSpec {
            name: "bench",
            organization: "bench",
            password: None,
            can_write: true,
        };
        let (_, token) = admin::create_user(&mut store, &spec)?;
        admin::grant(
            &mut store,
            "bench",
            "bench",
            "bench",
            Rights { read: true, write: true, amber: true },
        )?;
        Ok((token, collection.uuid))
    })
    .await??;
    let open = path.clone();
    let state = tokio::task::spawn_blocking(move || {
        AppState::new(ServerConfig::default(), move || SqliteStore::open(&open))
    })
    .await??;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        tokio::spawn(chainward_taxii_server::serve_with_shutdown(listener, state, async {
            let _ = stopped.await;
        }));
    let client = client(Auth::Bearer(token))?;
    let collection =
        CollectionAddress::new(&format!("http://127.0.0.1:{port}/bench/"), &collection_id)?;
    let side = measure(&client, &collection, count, limit).await;
    let _ = stop.send(());
    let _ = server.await;
    drop(dir);
    side
}

fn client(auth: Auth) -> anyhow::Result<TaxiiClient> {
    let mut config = ClientConfig::with_auth(auth);
    // medallion's pages over thousands of objects take minutes.
    config.timeout = Duration::from_secs(900);
    Ok(TaxiiClient::new(config)?)
}

async fn measure(
    client: &TaxiiClient,
    collection: &CollectionAddress,
    count: usize,
    limit: u32,
) -> anyhow::Result<Side> {
    let objects = synthetic(count)?;
    let started = Instant::now();
    let pushed = client.push(collection, &objects, &PushOptions::default()).await?;
    let post_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        pushed.succeeded() == count,
        "only {} of {count} objects were stored: {:?}",
        pushed.succeeded(),
        crate::intel::failures(&pushed)
    );
    let options = PullOptions { limit: Some(limit), ..PullOptions::default() };
    let started = Instant::now();
    let pulled = client.pull(collection, &PullState::default(), &options).await?;
    let page_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        pulled.objects.len() == count,
        "paged {} objects of {count} (fallbacks {:?})",
        pulled.objects.len(),
        pulled.fallbacks
    );
    Ok(Side {
        objects: count,
        post_seconds,
        page_seconds,
        pages: pulled.pages,
        objects_per_second: count as f64 / page_seconds.max(1e-9),
    })
}

struct Medallion {
    child: Child,
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn medallion_executable() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHAINWARD_MEDALLION") {
        return Ok(PathBuf::from(path));
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("medallion"))
        .find(|p| p.is_file())
        .context(
            "medallion is not installed: `pip install medallion==3.0.0` (or set CHAINWARD_MEDALLION, \
             or pass --no-medallion)",
        )
}

async fn medallion(count: usize, limit: u32) -> anyhow::Result<Side> {
    let exe = medallion_executable()?;
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let root = format!("http://127.0.0.1:{port}/bench/");
    let id = "9f2b6a8e-3c1d-4e5f-8a7b-1c2d3e4f5a6b";
    let data = serde_json::json!({
        "/discovery": {"title": "bench", "default": root, "api_roots": [root]},
        "bench": {
            "information": {"title": "bench", "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 104_857_600},
            "status": [],
            "collections": [{"id": id, "title": "bench", "can_read": true, "can_write": true,
                "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": []}]
        }
    });
    let data_path = dir.path().join("data.json");
    std::fs::write(&data_path, serde_json::to_vec(&data)?)?;
    let config = serde_json::json!({
        "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
            "filename": data_path, "session_timeout": 3600},
        "users": {"bench": "bench-password"},
        "taxii": {"max_page_size": limit}
    });
    let config_path = dir.path().join("config.json");
    std::fs::write(&config_path, serde_json::to_vec(&config)?)?;
    let log = std::fs::File::create(dir.path().join("medallion.log"))?;
    let child = Command::new(&exe)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let _guard = Medallion { child };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "medallion did not start within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let client = client(Auth::Basic { user: "bench".into(), password: "bench-password".into() })?;
    let collection = CollectionAddress::new(&root, id)?;
    measure(&client, &collection, count, limit).await
}
