//! The alert part of the store: unique keys, cursor and alerts in one transaction, filters,
//! review status, sink positions, rule windows.

use alloy_primitives::B256;
use chainward_primitives::Chain;
use chainward_primitives::ledger::{Block, BlockRef, Network};
use chainward_store::SqliteStore;
use chainward_store_api::{
    AlertFilter, AlertSeverity, AlertStatus, AlertStore, ChainBatch, ChainStore, GraphSource,
    NewAlert,
};

const NET: Network = Network { chain: Chain::Evm, evm_chain_id: Some(31_337) };

fn blocks(count: u64, start_time: u64, step: u64) -> Vec<Block> {
    let mut parent = B256::ZERO;
    (0..count)
        .map(|height| {
            let hash = B256::with_last_byte(height as u8 + 1);
            let block = Block {
                chain: NET.chain,
                evm_chain_id: NET.evm_chain_id,
                block: BlockRef { height, hash },
                parent_hash: parent,
                timestamp: start_time + height * step,
                transactions: Vec::new(),
            };
            parent = hash;
            block
        })
        .collect()
}

fn store_with_blocks(count: u64) -> (tempfile::TempDir, SqliteStore, u32, Vec<Block>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let chain = blocks(count, 1_000, 10);
    store
        .apply(&ChainBatch {
            source: "test",
            network: NET,
            unwind_from: None,
            blocks: &chain,
            written_at: "2026-12-06T00:00:00Z",
        })
        .unwrap();
    let network_id = store.networks().unwrap()[0].0;
    (dir, store, network_id, chain)
}

fn alert(key: &str, block: &Block, severity: AlertSeverity, subjects: &[&str]) -> NewAlert {
    NewAlert {
        key: key.to_owned(),
        rule: "fan-out".to_owned(),
        detector: "fan_out".to_owned(),
        severity,
        network_id: 1,
        block: block.block,
        time: block.timestamp,
        subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
        summary: format!("summary of {key}"),
        evidence: r#"{"txs":[]}"#.to_owned(),
    }
}

#[test]
fn an_alert_key_is_stored_once_and_the_cursor_moves_with_the_alerts() {
    let (_dir, mut store, network, chain) = store_with_blocks(3);
    assert_eq!(store.monitor_cursor("m", network).unwrap(), None);
    let first = store
        .record_block(
            Some("m"),
            network,
            chain[0].block,
            &[alert("k1", &chain[0], AlertSeverity::High, &["0xa", "0xb"])],
        )
        .unwrap();
    assert_eq!(first.stored.len(), 1);
    assert_eq!(first.duplicates, 0);
    assert_eq!(first.stored[0].network, "evm-31337");
    assert_eq!(first.stored[0].status, AlertStatus::Open);
    assert_eq!(store.monitor_cursor("m", network).unwrap(), Some(chain[0].block));
    // The same finding again (a restart, another worker): not doubled.
    let again = store
        .record_block(
            Some("m"),
            network,
            chain[1].block,
            &[
                alert("k1", &chain[0], AlertSeverity::High, &["0xa"]),
                alert("k2", &chain[1], AlertSeverity::Low, &["0xb"]),
            ],
        )
        .unwrap();
    assert_eq!(again.duplicates, 1);
    assert_eq!(again.stored.len(), 1);
    assert_eq!(again.stored[0].alert.key, "k2");
    assert!(again.stored[0].id > first.stored[0].id, "numbered in storage order");
    assert_eq!(store.alerts(&AlertFilter::default()).unwrap().len(), 2);
    assert_eq!(store.monitor_cursor("m", network).unwrap(), Some(chain[1].block));
    // Another monitor keeps its own cursor; None moves no cursor.
    store.record_block(None, network, chain[2].block, &[]).unwrap();
    assert_eq!(store.monitor_cursor("m", network).unwrap(), Some(chain[1].block));
    store.rewind_monitor("m", network, Some(chain[0].block)).unwrap();
    assert_eq!(store.monitor_cursor("m", network).unwrap(), Some(chain[0].block));
    store.rewind_monitor("m", network, None).unwrap();
    assert_eq!(store.monitor_cursor("m", network).unwrap(), None);
}

#[test]
fn a_failed_record_writes_neither_alerts_nor_cursor() {
    let (_dir, mut store, network, chain) = store_with_blocks(2);
    // An alert naming a network that does not exist breaks the foreign key mid-batch.
    let good = alert("ok", &chain[0], AlertSeverity::Low, &["0xa"]);
    let mut bad = alert("bad", &chain[0], AlertSeverity::Low, &["0xa"]);
    bad.block.height = u64::MAX;
    let error = store.record_block(Some("m"), network, chain[0].block, &[good, bad]).unwrap_err();
    assert!(error.to_string().contains("too large"), "{error}");
    assert!(store.alerts(&AlertFilter::default()).unwrap().is_empty());
    assert_eq!(store.monitor_cursor("m", network).unwrap(), None);
}

#[test]
fn filters_narrow_and_status_is_kept() {
    let (_dir, mut store, network, chain) = store_with_blocks(3);
    store
        .record_block(
            Some("m"),
            network,
            chain[2].block,
            &[
                alert("a", &chain[0], AlertSeverity::Info, &["0xa"]),
                alert("b", &chain[1], AlertSeverity::Medium, &["0xb"]),
                alert("c", &chain[2], AlertSeverity::Severe, &["0xa", "0xc"]),
            ],
        )
        .unwrap();
    fn keys(store: &SqliteStore, filter: AlertFilter) -> Vec<String> {
        store.alerts(&filter).unwrap().into_iter().map(|a| a.alert.key).collect()
    }
    assert_eq!(
        keys(&store, AlertFilter { subject: Some("0xa".into()), ..Default::default() }),
        ["a", "c"]
    );
    assert_eq!(
        keys(
            &store,
            AlertFilter { min_severity: Some(AlertSeverity::Medium), ..Default::default() }
        ),
        ["b", "c"]
    );
    assert_eq!(
        keys(&store, AlertFilter { since: Some(1_010), until: Some(1_020), ..Default::default() }),
        ["b"]
    );
    assert_eq!(keys(&store, AlertFilter { limit: Some(1), ..Default::default() }), ["a"]);
    let all = store.alerts(&AlertFilter::default()).unwrap();
    assert_eq!(
        keys(&store, AlertFilter { after_id: Some(all[0].id), ..Default::default() }),
        ["b", "c"]
    );
    assert!(store.set_alert_status(all[2].id, AlertStatus::Confirmed, Some("reported")).unwrap());
    assert!(!store.set_alert_status(9_999, AlertStatus::Dismissed, None).unwrap());
    let confirmed = store.alert(all[2].id).unwrap().unwrap();
    assert_eq!(confirmed.status, AlertStatus::Confirmed);
    assert_eq!(confirmed.note.as_deref(), Some("reported"));
    assert_eq!(
        keys(&store, AlertFilter { status: Some(AlertStatus::Confirmed), ..Default::default() }),
        ["c"]
    );
}

#[test]
fn sink_positions_only_move_forward() {
    let (_dir, mut store, _, _) = store_with_blocks(1);
    assert_eq!(store.sink_position("stdout").unwrap(), 0);
    store.set_sink_position("stdout", 5).unwrap();
    store.set_sink_position("stdout", 3).unwrap();
    assert_eq!(store.sink_position("stdout").unwrap(), 5);
    assert_eq!(store.sink_position("webhook:x").unwrap(), 0);
}

#[test]
fn a_rule_window_starts_at_the_first_block_inside_it() {
    // Blocks every 10 s from t = 1000: block h has time 1000 + 10 h.
    let (_dir, store, network, chain) = store_with_blocks(10);
    // Window for block 9 going back to t = 1045: blocks 5..=8 are inside.
    assert_eq!(store.window_start(network, 9, 1_045).unwrap(), Some(5));
    // Everything below is inside: from the first stored block.
    assert_eq!(store.window_start(network, 9, 0).unwrap(), Some(0));
    // Nothing below is recent enough.
    assert_eq!(store.window_start(network, 9, 5_000).unwrap(), None);
    assert_eq!(store.window_start(network, 0, 0).unwrap(), None);
    assert_eq!(store.block_with_time(network, 3).unwrap(), Some((chain[3].block, 1_030)));
    assert_eq!(store.block_with_time(network, 30).unwrap(), None);
}
