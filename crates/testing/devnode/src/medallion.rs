//! A real TAXII 2.1 server to interoperate with: medallion 3.0.0 from PyPI (installed by
//! `scripts/setup.sh` from `tools/python/requirements.txt`), memory backend, with the reference
//! fixture of `../shared/docs/reference/stix-taxii.md` (API root `aml1`, a read/write and a
//! no-access collection, user `admin`), on a free loopback port; killed on drop.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The read/write collection.
pub const RW_COLLECTION: &str = "9f2b6a8e-3c1d-4e5f-8a7b-1c2d3e4f5a6b";
/// A collection nobody may read or write.
pub const RO_COLLECTION: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
/// The fixture's user and password.
pub const USER: (&str, &str) = ("admin", "Password0");
/// Overrides where `medallion` is found.
pub const MEDALLION_VAR: &str = "CHAINWARD_MEDALLION";

/// A running medallion.
#[derive(Debug)]
pub struct Medallion {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `medallion` from `CHAINWARD_MEDALLION`, else from `PATH`.
fn executable() -> PathBuf {
    if let Some(path) = std::env::var_os(MEDALLION_VAR) {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("medallion"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "medallion is not installed: run `pip install medallion==3.0.0` \
                 (or set CHAINWARD_MEDALLION to its executable)"
            )
        })
}

impl Medallion {
    /// With `next` cursors that expire after 2 s (medallion's default is 30 s), so that a
    /// test can see it happen.
    ///
    /// # Panics
    /// When medallion is not installed (the message says how to install it) or does not
    /// answer within 30 s (the message carries its log).
    pub fn start(max_page_size: u32) -> Self {
        Self::start_with(max_page_size, 2)
    }

    /// With `next` cursors that expire after `session_timeout` seconds.
    ///
    /// # Panics
    /// As [`Medallion::start`].
    pub fn start_with(max_page_size: u32, session_timeout: u32) -> Self {
        let exe = executable();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let root = format!("http://127.0.0.1:{port}/aml1/");
        let collection = |id: &str, title: &str, rw: bool| {
            serde_json::json!({
                "id": id, "title": title, "can_read": rw, "can_write": rw,
                "media_types": ["application/stix+json;version=2.1"],
                "objects": [], "manifest": []
            })
        };
        let data = serde_json::json!({
            "/discovery": {
                "title": "AML sharing test server",
                "description": "Local fixture for interop tests",
                "default": root,
                "api_roots": [root]
            },
            "aml1": {
                "information": {
                    "title": "AML trust group 1",
                    "versions": ["application/taxii+json;version=2.1"],
                    "max_content_length": 10_485_760
                },
                "status": [],
                "collections": [
                    collection(RW_COLLECTION, "Watchlist (read/write)", true),
                    collection(RO_COLLECTION, "Restricted (no access)", false)
                ]
            }
        });
        let data_path = dir.path().join("aml-taxii-data.json");
        std::fs::write(&data_path, serde_json::to_vec_pretty(&data).unwrap()).unwrap();
        let config = serde_json::json!({
            "backend": {
                "module": "medallion.backends.memory_backend",
                "module_class": "MemoryBackend",
                "filename": data_path,
                "session_timeout": session_timeout,
                "check_interval": 1
            },
            "users": {USER.0: USER.1},
            "taxii": {"max_page_size": max_page_size}
        });
        let config_path = dir.path().join("medallion-config.json");
        std::fs::write(&config_path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        let log = std::fs::File::create(dir.path().join("medallion.log")).unwrap();
        let child = Command::new(&exe)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e} (pip install medallion==3.0.0)", exe.display())
            });
        let server = Self { child, port, dir };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log =
            std::fs::read_to_string(self.dir.path().join("medallion.log")).unwrap_or_default();
        panic!("medallion did not answer on port {} within 30 s:\n{log}", self.port);
    }

    /// The discovery URL.
    pub fn discovery_url(&self) -> String {
        format!("http://127.0.0.1:{}/taxii2/", self.port)
    }

    /// The API root's URL.
    pub fn api_root(&self) -> String {
        format!("http://127.0.0.1:{}/aml1/", self.port)
    }
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
