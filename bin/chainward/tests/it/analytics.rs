//! Graph analytics end to end: a theft on a real local node (anvil), split, peeled and deposited
//! to tagged exchange addresses, traced with the shares each taint model gives; and exposure on
//! a graph built around the real DPRK theft address lists.

use super::{chainward, text};
use alloy_primitives::{Address, U256};
use chainward_devnode::DevNode;
use serde_json::Value;
use std::path::Path;

const ETH: f64 = 1e18;

fn eth(amount: f64) -> U256 {
    U256::from((amount * 1e6).round() as u64) * U256::from(1_000_000_000_000u64)
}

fn fresh(byte: u8) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xde;
    bytes[1] = 0xad;
    bytes[19] = byte;
    Address::from(bytes)
}

fn send(node: &DevNode, from: Address, to: Address, amount: f64) {
    let hash = node.send_eth(from, to, eth(amount)).unwrap();
    let receipt = node.wait_receipt(hash).unwrap();
    assert_eq!(receipt.status, Some(1), "{from} -> {to} {amount} ETH reverted");
}

fn json(data: &Path, args: &[&str]) -> Value {
    let out = chainward(data, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)))
}

/// The amount (ETH) an endpoint received, 0 when it is not an endpoint.
fn endpoint_eth(trace: &Value, address: Address) -> f64 {
    let wanted = address.to_checksum(None);
    trace["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["address"].as_str() == Some(wanted.as_str()))
        .map(|e| e["amount"].as_f64().unwrap() / ETH)
        .sum()
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!((actual - expected).abs() < 1e-6, "{what}: {actual} ETH, expected {expected}");
}

/// victim → T (100); T → A 60, T → B 39; clean → B 50; A → E1 10, A → C 49.9; C → E2 30,
/// C → D 19.8; B → E1 20, B → E2 60. E1 and E2 are tagged exchanges.
#[test]
fn a_theft_on_a_real_node_is_traced_to_exchange_deposits_under_each_taint_model() {
    let node = DevNode::start().unwrap();
    let accounts = node.accounts().to_vec();
    let (victim, clean) = (accounts[0], accounts[2]);
    let [thief, a, b, c, d, e1, e2] = [1, 2, 3, 4, 5, 6, 7].map(fresh);
    send(&node, victim, thief, 100.0);
    send(&node, thief, a, 60.0);
    send(&node, thief, b, 39.0);
    send(&node, clean, b, 50.0);
    send(&node, a, e1, 10.0);
    send(&node, a, c, 49.9);
    send(&node, c, e2, 30.0);
    send(&node, c, d, 19.8);
    send(&node, b, e1, 20.0);
    send(&node, b, e2, 60.0);

    let data = tempfile::tempdir().unwrap();
    let out = chainward(data.path(), &["ingest", "ethereum", "--rpc", node.url()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let tags = data.path().join("exchanges.csv");
    std::fs::write(&tags, format!("address\n{e1}\n{e2}\n")).unwrap();
    let out = chainward(
        data.path(),
        &["import", tags.to_str().unwrap(), "--category", "exchange", "--entity", "Exchanges"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let built = json(data.path(), &["graph", "build", "--json"]);
    assert!(built["edges"].as_u64().unwrap() >= 10, "{built}");

    let thief_text = thief.to_checksum(None);
    let trace = |model: &str| {
        json(data.path(), &["trace", "--from", &thief_text, "--model", model, "--json"])
    };

    let poison = trace("poison");
    close(endpoint_eth(&poison, e1), 30.0, "poison E1");
    close(endpoint_eth(&poison, e2), 90.0, "poison E2");

    let haircut = trace("haircut");
    close(endpoint_eth(&haircut, e1), 10.0 + 20.0 * 39.0 / 89.0, "haircut E1");
    close(
        endpoint_eth(&haircut, e2),
        30.0 + 60.0 * (39.0 - 20.0 * 39.0 / 89.0) / 69.0,
        "haircut E2",
    );
    close(endpoint_eth(&haircut, d), 19.8, "haircut D holds what it received");

    let fifo = trace("fifo");
    close(endpoint_eth(&fifo, e1), 30.0, "FIFO E1");
    close(endpoint_eth(&fifo, e2), 49.0, "FIFO E2");
    close(endpoint_eth(&fifo, d), 19.8, "FIFO D");

    for result in [&poison, &haircut, &fifo] {
        let exchange_endpoints: Vec<&Value> = result["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["category"] == "exchange")
            .collect();
        assert_eq!(exchange_endpoints.len(), 2, "{result}");
        assert!(exchange_endpoints.iter().all(|e| e["entity"] == "Exchanges"), "{result}");
        assert_eq!(result["complete"], true, "no bound cut this small trace: {result}");
    }

    // Backward from E2 under haircut finds the thief's funds and the clean sender.
    let back = json(
        data.path(),
        &["trace", "--from", &e2.to_checksum(None), "--backward", "--model", "haircut", "--json"],
    );
    let sources: Vec<&str> = back["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["address"].as_str())
        .collect();
    assert!(sources.contains(&clean.to_checksum(None).as_str()), "{back}");

    // The trace graph as Graphviz.
    let dot_path = data.path().join("trace.dot");
    let out = chainward(
        data.path(),
        &["trace", "--from", &thief_text, "--dot", dot_path.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dot = std::fs::read_to_string(&dot_path).unwrap();
    assert!(dot.starts_with("digraph") && dot.contains("->"), "{dot}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Exchanges") && table.contains("exchange"), "{table}");

    // Once the thief is listed, screening D (three hops downstream, never listed itself) shows
    // its exposure to the stolen funds and flags it; labels are read at query time, so the
    // graph needs no rebuild.
    let stolen = data.path().join("thief.csv");
    std::fs::write(&stolen, format!("address\n{thief}\n")).unwrap();
    let out = chainward(
        data.path(),
        &[
            "import",
            stolen.to_str().unwrap(),
            "--category",
            "stolen_funds",
            "--entity",
            "Test theft",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = chainward(data.path(), &["screen", &d.to_checksum(None), "--json"]);
    assert_eq!(out.status.code(), Some(1), "exposure risk high is a hit: {}", text(&out));
    let screened: Value = serde_json::from_slice(&out.stdout).unwrap();
    let exposure = &screened[0]["exposure"];
    assert_eq!(exposure["risk"]["level"], "high", "{screened}");
    let stolen_share: f64 =
        incoming_rows(exposure, "stolen_funds").iter().map(|c| c["share"].as_f64().unwrap()).sum();
    close(stolen_share, 1.0, "D's incoming funds are all stolen");
    let out = chainward(data.path(), &["screen", &d.to_checksum(None), "--no-exposure"]);
    assert_eq!(out.status.code(), Some(0), "without exposure D is clean: {}", text(&out));
}

#[test]
fn a_seed_that_is_not_in_the_graph_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let out =
        chainward(data.path(), &["trace", "--from", "0x098b716b8aaf21512996dc57eb0615e2383e2f96"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("graph build"), "{}", text(&out));
}

/// The rows (direct, indirect) of one category in an address's incoming exposure, as
/// `exposure --json` and `screen --json` print it.
fn incoming_rows<'a>(exposure: &'a Value, category: &str) -> Vec<&'a Value> {
    let incoming = exposure["sides"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == "incoming")
        .unwrap_or_else(|| panic!("no incoming side: {exposure}"));
    incoming["categories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["category"] == category)
        .collect()
}

/// The thieves' EVM addresses of a DPRK theft list, lower-cased and deduplicated: rows that
/// validate as written (a wrong EIP-55 checksum is refused by the import) and are not the
/// victim's own addresses (the lists name those too; the import leaves them out).
fn evm_addresses(relative: &str) -> Vec<String> {
    let path = chainward_fixtures::shared_file(relative);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let column = reader.headers().unwrap().iter().position(|h| h == "address").unwrap();
    let mut addresses: Vec<String> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| !r.iter().any(|field| field.to_lowercase().contains("victim")))
        .map(|r| r[column].trim().to_owned())
        .filter(|a| a.starts_with("0x") && a.len() == 42)
        .filter(|a| {
            chainward_primitives::Address::parse(chainward_primitives::Chain::Evm, a).is_ok()
        })
        .map(|a| a.to_lowercase())
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// The real Ronin, Harmony and Stake theft lists, imported as tags; a graph where each list's
/// addresses pay a consolidation address that also takes as much clean money, and the three
/// consolidations pay one deposit address: half of what the deposit received is stolen, and
/// exposure says so, naming the three thefts.
#[test]
fn exposure_over_the_real_dprk_theft_lists() {
    use alloy_primitives::B256;
    use chainward_primitives::ledger::{
        Asset, Block, BlockRef, Network, Transaction, Transfer, TransferKind, TxStatus,
    };
    use chainward_store_api::{ChainBatch, ChainStore};

    let lists = [
        (
            "dprk_hacks/ronin_bridge_tayvano_addresses_partial.csv",
            "Ronin Bridge theft 2022-03-23 (Lazarus Group)",
        ),
        (
            "dprk_hacks/harmony_bridge_tayvano_addresses_partial.csv",
            "Harmony Horizon Bridge theft 2022-06-24 (Lazarus Group)",
        ),
        (
            "dprk_hacks/stake_com_tayvano_addresses.csv",
            "Stake.com theft 2023-09-04 (Lazarus Group)",
        ),
    ];
    let data = tempfile::tempdir().unwrap();
    for (file, entity) in lists {
        let path = chainward_fixtures::shared_file(file);
        let out = chainward(
            data.path(),
            &["import", path.to_str().unwrap(), "--category", "stolen_funds", "--entity", entity],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let thieves: Vec<Vec<String>> = lists.iter().map(|(f, _)| evm_addresses(f)).collect();
    assert!(
        thieves.iter().all(|t| t.len() >= 10),
        "each list has its EVM addresses: {:?}",
        thieves.iter().map(Vec::len).collect::<Vec<_>>()
    );

    let parse = |text: &str| {
        chainward_primitives::Address::parse(chainward_primitives::Chain::Evm, text).unwrap()
    };
    let plain = |n: u8| {
        chainward_primitives::Address::evm([
            0xc0, n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n,
        ])
    };
    let clean_source = plain(1);
    let consolidation = [plain(2), plain(3), plain(4)];
    let deposit = plain(5);
    let wei = |eth: u64| U256::from(eth) * U256::from(1_000_000_000_000_000_000u64);
    let transfer = |from: &chainward_primitives::Address,
                    to: &chainward_primitives::Address,
                    eth: u64| Transfer {
        kind: TransferKind::Native,
        from: from.clone(),
        to: to.clone(),
        asset: Asset::Native,
        amount: wei(eth),
        token_id: None,
        log_index: None,
        trace_address: None,
    };
    let mut tx_counter = 0u64;
    let mut block = |height: u64, parent: B256, transfers: Vec<Transfer>| {
        let transactions = transfers
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                tx_counter += 1;
                Transaction {
                    hash: B256::left_padding_from(&tx_counter.to_be_bytes()),
                    index: i as u32,
                    status: TxStatus::Success,
                    fee: None,
                    inputs: vec![],
                    outputs: vec![],
                    transfers: vec![t],
                }
            })
            .collect();
        Block {
            chain: chainward_primitives::Chain::Evm,
            evm_chain_id: Some(1),
            block: BlockRef { height, hash: B256::repeat_byte(height as u8 + 1) },
            parent_hash: parent,
            timestamp: 1_650_000_000 + height * 12,
            transactions,
        }
    };
    let mut first = Vec::new();
    for (list, hub) in thieves.iter().zip(&consolidation) {
        for thief in list {
            first.push(transfer(&parse(thief), hub, 10));
        }
        first.push(transfer(&clean_source, hub, 10 * list.len() as u64));
    }
    let second: Vec<Transfer> = thieves
        .iter()
        .zip(&consolidation)
        .map(|(list, hub)| transfer(hub, &deposit, 20 * list.len() as u64))
        .collect();
    let blocks = vec![block(0, B256::ZERO, first), block(1, B256::repeat_byte(1), second)];
    {
        let mut store = chainward_store::SqliteStore::open(data.path()).unwrap();
        store
            .apply(&ChainBatch {
                source: "test",
                network: Network::evm(1),
                unwind_from: None,
                blocks: &blocks,
                written_at: "2026-12-06T00:00:00Z",
            })
            .unwrap();
    }
    let built = json(data.path(), &["graph", "build", "--json"]);
    let theft_count: usize = thieves.iter().map(Vec::len).sum();
    assert_eq!(built["edges"].as_u64().unwrap() as usize, theft_count + 3 + 3, "{built}");

    // The deposit: half of its incoming funds are stolen, two hops away, from all three thefts.
    let out = chainward(data.path(), &["exposure", &deposit.to_string(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "high risk exits 1: {}", text(&out));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let [stolen] = incoming_rows(&result[0], "stolen_funds")[..] else {
        panic!("one stolen_funds row (direct or indirect): {result}")
    };
    assert_eq!(stolen["reach"], "indirect", "{stolen}");
    close(stolen["share"].as_f64().unwrap(), 0.5, "stolen share of the deposit's funds");
    assert_eq!(stolen["counterparties"].as_u64().unwrap() as usize, theft_count, "{stolen}");
    let entities: Vec<&str> =
        stolen["entities"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    for (_, entity) in lists {
        assert!(entities.contains(&entity), "{entity} missing from {entities:?}");
    }
    assert_eq!(result[0]["risk"]["level"], "high", "{result}");

    // A consolidation address: the Ronin addresses are its direct counterparties.
    let out = chainward(
        data.path(),
        &["exposure", &consolidation[0].to_string(), "--hops", "1", "--json"],
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let [stolen] = incoming_rows(&result[0], "stolen_funds")[..] else {
        panic!("one stolen_funds row (direct or indirect): {result}")
    };
    assert_eq!(stolen["reach"], "direct", "{stolen}");
    assert_eq!(stolen["counterparties"].as_u64().unwrap() as usize, thieves[0].len(), "{stolen}");
    close(stolen["share"].as_f64().unwrap(), 0.5, "Ronin share of the first consolidation");
}

/// Multi-input clustering through the CLI, and entity ids that survive re-clustering: two
/// clusters, then a transaction that spends from both merges them; the surviving id is one of
/// the two and the other resolves to it.
#[test]
fn clusters_get_stable_entity_ids_and_a_merge_keeps_one() {
    use alloy_primitives::B256;
    use chainward_primitives::ledger::{
        Block, BlockRef, Network, OutPoint, ScriptType, Transaction, TxInput, TxOutput, TxStatus,
    };
    use chainward_primitives::{Address as ChainAddress, Chain};
    use chainward_store_api::{ChainBatch, ChainStore};

    let address = |n: u8| ChainAddress::from_pubkey_hash(Chain::Bitcoin, &[n; 20]).unwrap();
    let hash = |n: u64| B256::left_padding_from(&n.to_be_bytes());
    let output = |index: u32, n: u8| TxOutput {
        index,
        value: 100_000,
        script_type: ScriptType::P2pkh,
        address: Some(address(n)),
    };
    let spend = |txid: B256, vout: u32, n: u8| TxInput {
        previous: Some(OutPoint { txid, vout }),
        value: Some(100_000),
        address: Some(address(n)),
    };
    let tx = |id: u64, index: u32, inputs: Vec<TxInput>, outputs: Vec<TxOutput>| Transaction {
        hash: hash(id),
        index,
        status: TxStatus::Success,
        fee: None,
        inputs,
        outputs,
        transfers: vec![],
    };
    let block = |height: u64, transactions: Vec<Transaction>| Block {
        chain: Chain::Bitcoin,
        evm_chain_id: None,
        block: BlockRef { height, hash: hash(1000 + height) },
        parent_hash: if height == 0 { B256::ZERO } else { hash(1000 + height - 1) },
        timestamp: 1_600_000_000 + height * 600,
        transactions,
    };
    // A funding transaction pays 1, 2, 3, 4 once and 2, 3 twice.
    let funding = tx(
        1,
        0,
        vec![TxInput { previous: None, value: None, address: None }],
        vec![output(0, 1), output(1, 2), output(2, 3), output(3, 4), output(4, 2), output(5, 3)],
    );
    let b0 = block(0, vec![funding]);
    let b1 = block(
        1,
        vec![
            tx(2, 0, vec![spend(hash(1), 0, 1), spend(hash(1), 1, 2)], vec![output(0, 7)]),
            tx(3, 1, vec![spend(hash(1), 2, 3), spend(hash(1), 3, 4)], vec![output(0, 8)]),
        ],
    );
    let b2 = block(
        2,
        vec![tx(4, 0, vec![spend(hash(1), 4, 2), spend(hash(1), 5, 3)], vec![output(0, 9)])],
    );
    let data = tempfile::tempdir().unwrap();
    let write = |blocks: &[Block]| {
        let mut store = chainward_store::SqliteStore::open(data.path()).unwrap();
        store
            .apply(&ChainBatch {
                source: "test",
                network: Network::chain(Chain::Bitcoin),
                unwind_from: None,
                blocks,
                written_at: "2026-12-06T00:00:00Z",
            })
            .unwrap();
    };
    write(&[b0, b1]);
    json(data.path(), &["graph", "build", "--json"]);
    let first = json(data.path(), &["cluster", "--json"]);
    assert_eq!(first["stats"]["clusters"], 2, "{first}");
    assert_eq!(first["assignment"]["created"], 2, "{first}");
    let entity_of =
        |n: u8| -> Value { json(data.path(), &["entity", &address(n).to_string(), "--json"]) };
    let (left, right) = (entity_of(1), entity_of(4));
    assert_eq!(left["size"], 2, "{left}");
    assert_eq!(entity_of(2)["entity"], left["entity"]);
    assert_ne!(left["entity"], right["entity"]);
    let lone = entity_of(7);
    assert!(lone["entity"].is_null(), "a payee that never spent is its own entity: {lone}");

    // Re-clustering the same graph changes nothing.
    let again = json(data.path(), &["cluster", "--json"]);
    assert_eq!(again["assignment"]["unchanged"], 2, "{again}");
    assert_eq!(entity_of(1)["entity"], left["entity"]);

    // Spending from 2 and 3 together merges the two entities; one id survives, the other
    // resolves to it.
    write(&[b2]);
    json(data.path(), &["graph", "update", "--json"]);
    let merged = json(data.path(), &["cluster", "--json"]);
    assert_eq!(merged["stats"]["clusters"], 1, "{merged}");
    assert_eq!(merged["assignment"]["merged"], 1, "{merged}");
    let survivor = entity_of(4);
    assert_eq!(survivor["size"], 4, "{survivor}");
    assert_eq!(entity_of(1)["entity"], survivor["entity"]);
    let gone = if survivor["entity"] == left["entity"] { &right } else { &left };
    let old_id = gone["entity"].as_u64().unwrap().to_string();
    let resolved = json(data.path(), &["entity", &old_id, "--json"]);
    assert_eq!(resolved["entity"], survivor["entity"], "{resolved}");
    assert_eq!(resolved["resolved_from"].as_u64().unwrap().to_string(), old_id, "{resolved}");

    // A label on address 1 propagates to its entity: screening address 4, never listed
    // itself, names the entity and the label with its confidence and how many addresses carry
    // it.
    let tags = data.path().join("exchange.csv");
    std::fs::write(&tags, format!("address\n{}\n", address(1))).unwrap();
    let out = chainward(
        data.path(),
        &["import", tags.to_str().unwrap(), "--category", "exchange", "--entity", "Test Exchange"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = chainward(data.path(), &["screen", &address(4).to_string(), "--json"]);
    let screened: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entity = &screened[0]["entity"];
    assert_eq!(entity["entity"], survivor["entity"], "{screened}");
    assert_eq!(entity["labels"][0]["entity"], "Test Exchange", "{screened}");
    assert_eq!(entity["labels"][0]["category"], "exchange", "{screened}");
    assert_eq!(entity["labels"][0]["carried_by"], 1, "{screened}");
}
