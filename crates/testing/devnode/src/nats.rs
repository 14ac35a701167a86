//! A real NATS server with JetStream for tests, from Debian's `nats-server` package (installed by
//! `scripts/setup.sh`), on a free loopback port with its store in a temporary directory; killed
//! on drop.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Overrides where `nats-server` is found.
pub const NATS_SERVER_VAR: &str = "CHAINWARD_NATS_SERVER";

/// A running `nats-server -js`.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    port: u16,
    _store: tempfile::TempDir,
}

/// The `nats-server` binary: `CHAINWARD_NATS_SERVER`, else on `PATH`, else Debian's
/// `/usr/sbin/nats-server` (not on a normal user's `PATH`).
pub fn nats_server_path() -> PathBuf {
    if let Some(path) = std::env::var_os(NATS_SERVER_VAR) {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("nats-server"))
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| PathBuf::from("/usr/sbin/nats-server"))
}

impl NatsServer {
    /// Starts a server and waits until it accepts connections.
    ///
    /// # Errors
    /// When `nats-server` is missing (the message says to run `bash scripts/setup.sh`) or does
    /// not come up within 10 s.
    pub fn start() -> Result<Self, String> {
        let path = nats_server_path();
        if !path.is_file() {
            return Err(format!(
                "nats-server not found at {} (install it with `bash scripts/setup.sh`, which \
                 installs Debian's nats-server package, or set {NATS_SERVER_VAR})",
                path.display()
            ));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let store = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        let child = Command::new(&path)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let server = Self { child, port, _store: store };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("nats-server did not listen on port {port} within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
