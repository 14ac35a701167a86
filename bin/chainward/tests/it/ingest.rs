//! `chainward ingest` and `chainward stats` end to end, and the kill -9 test.

use super::{chainward, text};
use chainward_ingest::synthetic::{ChainBuilder, write_blk_file};
use rusqlite::Connection;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn synthetic_blocks_dir(blocks: u64, spends: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = ChainBuilder::regtest(42);
    let mut chain = vec![builder.genesis()];
    chain.extend(builder.mine(blocks, spends));
    for (i, part) in chain.chunks(chain.len().div_ceil(3)).enumerate() {
        let path = dir.path().join(format!("blk{i:05}.dat"));
        write_blk_file(&path, bitcoin::Network::Regtest, part, None).unwrap();
    }
    dir
}

/// Every chain table, row by row in key order, as text (the checkpoint's write time left out).
fn dump(data_dir: &Path) -> Vec<String> {
    let conn = Connection::open(data_dir.join("chainward.sqlite3")).unwrap();
    let queries = [
        "SELECT id, chain, evm_chain_id, name FROM networks ORDER BY id",
        "SELECT id, hex(key), address FROM addresses ORDER BY id",
        "SELECT network_id, height, hex(hash), hex(parent_hash), time, tx_count FROM blocks ORDER BY 1, 2",
        "SELECT id, network_id, height, position, hex(hash), failed, hex(fee) FROM transactions ORDER BY id",
        "SELECT tx_id, position, hex(prev_txid), prev_vout, value, address_id FROM tx_inputs ORDER BY 1, 2",
        "SELECT tx_id, position, value, script_type, address_id FROM tx_outputs ORDER BY 1, 2",
        "SELECT tx_id, position, kind, from_id, to_id, token_id, hex(amount), hex(nft_id), log_index, trace_address FROM transfers ORDER BY 1, 2",
        "SELECT source, network_id, height, hex(hash) FROM ingest_checkpoints ORDER BY source",
    ];
    let mut rows = Vec::new();
    for query in queries {
        let mut statement = conn.prepare(query).unwrap();
        let columns = statement.column_count();
        let mut result = statement.query([]).unwrap();
        while let Some(row) = result.next().unwrap() {
            let values: Vec<String> =
                (0..columns).map(|i| format!("{:?}", row.get_ref(i).unwrap())).collect();
            rows.push(format!("{query}: {}", values.join("|")));
        }
    }
    rows
}

fn stored_height(data_dir: &Path) -> i64 {
    Connection::open(data_dir.join("chainward.sqlite3"))
        .and_then(|conn| {
            conn.query_row("SELECT coalesce(max(height), -1) FROM ingest_checkpoints", [], |row| {
                row.get(0)
            })
        })
        .unwrap_or(-1)
}

#[test]
fn ingest_bitcoin_blocks_then_stats_reports_what_is_stored() {
    let blocks = synthetic_blocks_dir(30, 3);
    let data = tempfile::tempdir().unwrap();
    let dir = blocks.path().to_str().unwrap();
    let out = chainward(data.path(), &["ingest", "bitcoin", "--blocks", dir, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["totals"]["blocks"], 31, "{summary}");
    assert_eq!(summary["tip"]["height"], 30, "{summary}");

    let out = chainward(data.path(), &["stats", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let network = &stats["networks"][0];
    assert_eq!(network["name"], "bitcoin_testnet", "{stats}");
    assert_eq!(network["blocks"], 31);
    assert_eq!(network["transactions"], summary["totals"]["transactions"]);
    assert_eq!(stats["checkpoints"][0]["source"], "bitcoin-blk:bitcoin_testnet");

    let out = chainward(data.path(), &["stats"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bitcoin_testnet") && stdout.contains("blocks        31"), "{stdout}");
}

#[test]
fn a_missing_or_damaged_block_directory_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out =
        chainward(data.path(), &["ingest", "bitcoin", "--blocks", empty.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no block found"), "{}", text(&out));

    // A truncated last record: the blocks before it are ingested, the damage is reported.
    let blocks = synthetic_blocks_dir(5, 1);
    let last = blocks.path().join("blk00002.dat");
    let bytes = std::fs::read(&last).unwrap();
    std::fs::write(&last, &bytes[..bytes.len() - 10]).unwrap();
    let out =
        chainward(data.path(), &["ingest", "bitcoin", "--blocks", blocks.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 damaged records skipped"), "{}", text(&out));
}

/// Kills the ingest with SIGKILL at random moments until a run completes; the store must then
/// be exactly what one uninterrupted run writes.
#[test]
fn killing_the_ingest_at_random_points_leaves_the_same_store_as_an_uninterrupted_run() {
    let blocks = synthetic_blocks_dir(600, 12);
    let dir = blocks.path().to_str().unwrap();
    let args = ["ingest", "bitcoin", "--blocks", dir, "--batch", "25"];

    let reference = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = chainward(reference.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let full_run = started.elapsed();
    let expected = dump(reference.path());
    assert!(expected.len() > 10_000, "a substantial store: {} rows", expected.len());

    for round in 0..3u64 {
        let data = tempfile::tempdir().unwrap();
        let mut rng = 0x5eed_u64 + round;
        let mut kills = 0;
        let mut interrupted_mid_chain = 0;
        loop {
            let mut child = Command::new(env!("CARGO_BIN_EXE_chainward"))
                .arg("--data-dir")
                .arg(data.path())
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // A random moment within a full run's duration (xorshift, fixed seeds: the same
            // moments every run of the test, different in each round).
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let wait = full_run.mul_f64((rng % 1000) as f64 / 1000.0 * 0.9);
            std::thread::sleep(wait.max(Duration::from_millis(5)));
            match child.try_wait().unwrap() {
                Some(status) => {
                    assert!(status.success(), "round {round}: the ingest failed: {status}");
                    break;
                }
                None => {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    kills += 1;
                    if (1..600).contains(&stored_height(data.path())) {
                        interrupted_mid_chain += 1;
                    }
                    assert!(kills < 100, "round {round}: never completed");
                }
            }
        }
        // Whatever state the kills left, one more run completes it.
        let out = chainward(data.path(), &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let got = dump(data.path());
        assert!(
            interrupted_mid_chain > 0,
            "round {round}: no kill landed mid-chain ({kills} kills)"
        );
        assert_eq!(got.len(), expected.len(), "round {round} after {kills} kills");
        for (a, b) in got.iter().zip(&expected) {
            assert_eq!(a, b, "round {round} after {kills} kills");
        }
    }
}

#[test]
fn ingest_ethereum_from_a_real_node_then_resume_finds_nothing_new() {
    let node = chainward_devnode::DevNode::start().unwrap();
    let scenario = chainward_devnode::standard_scenario(&node);
    let data = tempfile::tempdir().unwrap();
    let args = ["ingest", "ethereum", "--rpc", node.url(), "--batch", "4", "--json"];
    let out = chainward(data.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["network"], format!("evm-{}", node.chain_id()), "{summary}");
    assert_eq!(summary["tip"]["height"], node.block_number().unwrap(), "{summary}");
    let transfers: usize = scenario.expected.iter().map(|t| t.transfers.len()).sum();
    assert!(summary["totals"]["transfers"].as_u64().unwrap() as usize >= transfers, "{summary}");

    let out = chainward(data.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["totals"]["blocks"], 0, "{again}");

    // A node that is not there: a clear error naming the URL, exit code 2.
    let out = chainward(
        data.path(),
        &["ingest", "ethereum", "--rpc", "http://127.0.0.1:9", "--retries", "1"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:9"), "{}", text(&out));
}

#[test]
fn ingest_etl_reads_real_ethereum_etl_and_bitcoin_etl_exports() {
    let data = tempfile::tempdir().unwrap();
    let eth = chainward_fixtures::shared_file(
        "raw_chain/ethereum_etl_fixtures/test_export_blocks_job/blocks_with_transactions",
    );
    let out = chainward(data.path(), &["ingest", "etl", eth.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["network"], "evm-1", "{summary}");
    assert_eq!(summary["tip"]["height"], 47219, "{summary}");
    assert_eq!(summary["totals"]["transactions"], 4, "{summary}");

    let btc = chainward_fixtures::shared_file(
        "raw_chain/bitcoin_etl_fixtures/test_export_blocks_job/bitcoin/block_with_transactions",
    );
    let out = chainward(
        data.path(),
        &["ingest", "etl", btc.to_str().unwrap(), "--chain", "bitcoin", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["network"], "bitcoin", "{summary}");
    assert_eq!(summary["tip"]["height"], 50002, "{summary}");
    assert!(summary["totals"]["outputs"].as_u64().unwrap() > 0, "{summary}");
}

#[test]
fn a_malformed_export_row_is_named_and_nothing_is_stored() {
    let data = tempfile::tempdir().unwrap();
    let export = tempfile::tempdir().unwrap();
    let source = chainward_fixtures::shared_file(
        "raw_chain/ethereum_etl_fixtures/test_export_blocks_job/blocks_with_transactions",
    );
    for name in ["expected_blocks.csv", "expected_transactions.csv"] {
        std::fs::copy(source.join(name), export.path().join(name)).unwrap();
    }
    let path = export.path().join("expected_transactions.csv");
    let csv = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let value_column = header.iter().position(|c| *c == "value").unwrap();
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_owned).collect();
    fields[value_column] = "12x".to_owned();
    lines[2] = fields.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();

    let out = chainward(data.path(), &["ingest", "etl", export.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3") && stderr.contains("value"), "{stderr}");
    let out = chainward(data.path(), &["stats", "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["networks"].as_array().map(Vec::len), Some(0), "{stats}");
}
