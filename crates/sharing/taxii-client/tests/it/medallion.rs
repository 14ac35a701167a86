//! A medallion 3.0.0 process with the reference fixture (one API root, a read/write and a
//! no-access collection), on a free loopback port, killed on drop.

use chainward_taxii_client::CollectionAddress;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const RW_COLLECTION: &str = "9f2b6a8e-3c1d-4e5f-8a7b-1c2d3e4f5a6b";
pub(crate) const RO_COLLECTION: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

pub(crate) struct Medallion {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `medallion` from `CHAINWARD_MEDALLION`, else from `PATH`.
fn executable() -> PathBuf {
    if let Some(path) = std::env::var_os("CHAINWARD_MEDALLION") {
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
    pub(crate) fn start(max_page_size: u32) -> Self {
        Self::start_with(max_page_size, 2)
    }

    pub(crate) fn start_with(max_page_size: u32, session_timeout: u32) -> Self {
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
            "users": {"admin": "Password0"},
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

    pub(crate) fn discovery_url(&self) -> String {
        format!("http://127.0.0.1:{}/taxii2/", self.port)
    }

    pub(crate) fn api_root(&self) -> String {
        format!("http://127.0.0.1:{}/aml1/", self.port)
    }

    pub(crate) fn collection(&self, id: &str) -> CollectionAddress {
        CollectionAddress::new(&self.api_root(), id).unwrap()
    }
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
