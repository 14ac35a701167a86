//! End-to-end tests of the `chainward` binary: real files in, exit codes and output out.

mod analytics;
mod ingest;
mod intel;
mod monitor;

use chainward_fixtures::shared_file;
use std::path::Path;
use std::process::{Command, Output};

fn chainward(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("CHAINWARD_LOG")
        .output()
        .expect("the chainward binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const LAZARUS: &str = "0x098b716b8aaf21512996dc57eb0615e2383e2f96";
const TORNADO_100_ETH: &str = "0xA160cdAB225685dA1d56aa342Ad8841c3b53f291";

#[test]
fn import_two_snapshots_then_screen_shows_the_delisting_date_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let old =
        shared_file("sanctions/ultrasoundmoney_ofac_eth_data_2024-08-20_pre_tornado_delisting.csv");
    let new = shared_file("sanctions/ultrasoundmoney_ofac_eth_data.csv");
    let out = chainward(dir.path(), &["import", old.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = chainward(
        dir.path(),
        &["import", new.to_str().unwrap(), "--as-of", "2025-03-22", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let delisted = report["snapshots"][0]["delisted"].as_u64().unwrap();
    assert!(delisted >= 91, "{report}");

    // De-listed only: informational, exit 0, and the date is printed.
    let out = chainward(dir.path(), &["screen", TORNADO_100_ETH]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("DE-LISTED 2025-03-22"), "{stdout}");
    assert!(stdout.contains("TORNADO CASH"), "{stdout}");

    // An active sanctions listing: exit 1, with the reason.
    let out = chainward(dir.path(), &["screen", LAZARUS]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("HIT — risk severe"), "{}", text(&out));

    // JSON for scripts: one object per input.
    let out = chainward(dir.path(), &["screen", "--json", LAZARUS, TORNADO_100_ETH]);
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results[0]["verdict"], "hit");
    assert_eq!(results[1]["verdict"], "informational");
    assert_eq!(results[1]["chains"][0]["hits"][0]["delisted_in"]["effective_at"], "2025-03-22");

    // Sources and snapshots are listed with provenance.
    let out = chainward(dir.path(), &["lists", "snapshots", "--json"]);
    let snapshots: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(snapshots.as_array().unwrap().len(), 2);
    assert_eq!(snapshots[0]["content_hash"].as_str().unwrap().len(), 64);
}

#[test]
fn an_invalid_address_exits_2_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    // One character changed in an EIP-55 checksummed address.
    let out = chainward(dir.path(), &["screen", "0x098B716B8Aaf21512996dC57EB0615e2383E2f97"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.to_lowercase().contains("checksum"), "{stdout}");

    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no list has been imported"),
        "{}",
        text(&out)
    );

    let out = chainward(dir.path(), &["screen", "hello-world"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a valid address"), "{}", text(&out));
}

#[test]
fn screen_reads_a_csv_column_and_a_plain_list() {
    let dir = tempfile::tempdir().unwrap();
    let new = shared_file("sanctions/ultrasoundmoney_ofac_eth_data.csv");
    assert_eq!(chainward(dir.path(), &["import", new.to_str().unwrap()]).status.code(), Some(0));
    let csv = dir.path().join("withdrawals.csv");
    std::fs::write(
        &csv,
        format!("id,destination\n1,{LAZARUS}\n2,0x0000000000000000000000000000000000000001\n"),
    )
    .unwrap();
    let out = chainward(
        dir.path(),
        &["screen", "--file", csv.to_str().unwrap(), "--column", "destination", "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.as_array().unwrap().len(), 2);
    assert_eq!(results[1]["verdict"], "clean");

    let plain = dir.path().join("list.txt");
    std::fs::write(&plain, "# deposits\n0x0000000000000000000000000000000000000001\n\n").unwrap();
    let out =
        chainward(dir.path(), &["screen", "--file", plain.to_str().unwrap(), "--lookup", "memory"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out =
        chainward(dir.path(), &["screen", "--file", csv.to_str().unwrap(), "--column", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column 'nope'"), "{}", text(&out));
}

#[test]
fn a_store_of_a_newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(chainward(dir.path(), &["lists", "sources"]).status.code(), Some(0));
    let conn = rusqlite::Connection::open(dir.path().join("chainward.sqlite3")).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let out = chainward(dir.path(), &["lists", "sources"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("format version 999"), "{stderr}");
    assert!(stderr.contains("upgrade chainward"), "{stderr}");
}

#[test]
fn every_command_has_help_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["import", "screen", "lists", "bench"] {
        let out = chainward(dir.path(), &[command, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Examples:"), "{command}");
    }
}

#[test]
fn importing_one_file_imports_only_that_file_whatever_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let new = shared_file("sanctions/ultrasoundmoney_ofac_eth_data.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["import", "--json", new.to_str().unwrap()])
        .env("CHAINWARD_SHARED_DATA", chainward_fixtures::shared_data())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["snapshots"].as_array().unwrap().len(), 1, "{report}");
}
