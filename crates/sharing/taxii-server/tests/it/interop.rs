//! Interop with the real taxii2-client from PyPI (`pip install taxii2-client`, tested with
//! 2.3.0): `tests/interop/taxii2client_check.py` drives discovery, the API root, collections,
//! add objects + status, get objects with filters, paging with `as_pages`, manifest, versions,
//! get and delete object against this server. The test fails (never skips) when the client is
//! missing.

use crate::{ALICE_PASSWORD, start};
use chainward_taxii_server::ServerConfig;
use std::process::Command;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taxii2_client_from_pypi_drives_every_endpoint() {
    let probe = Command::new(python())
        .args(["-c", "import taxii2client, sys; print(taxii2client.__version__)"])
        .output()
        .expect("python3 must be installed to run the taxii2-client interop test");
    assert!(
        probe.status.success(),
        "taxii2client is not importable by {}: pip install taxii2-client (tested with 2.3.0)\n{}",
        python(),
        String::from_utf8_lossy(&probe.stderr)
    );
    let s =
        start(ServerConfig { default_api_root: Some("aml1".into()), ..ServerConfig::default() })
            .await;
    let script =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/taxii2client_check.py").to_owned();
    let base = s.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python()).args([script.as_str(), &base, "alice", ALICE_PASSWORD]).output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "taxii2-client check failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("interop: OK"), "{stdout}");
    assert!(stdout.contains("pages(objects, 4): [4, 4, 4, 3]"), "{stdout}");
}
