//! Ingest from a Bitcoin node's JSON-RPC, replaying answers a real node gave (recorded by
//! bitcoin-etl's tests): no Bitcoin node can be installed here.

use chainward_evm_rpc::ClientOptions;
use chainward_ingest::bitcoin_rpc::BitcoinRpcSource;
use chainward_ingest::{IngestOptions, ingest};
use chainward_primitives::Chain;
use chainward_primitives::ledger::Network;
use chainward_store::SqliteStore;
use chainward_store_api::ChainStore;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::method};

/// Answers from recorded files: `getblockhash` and `getblock` (verbosity 2), `getblockcount`
/// = the highest height recorded. Verbosity 3 is refused as an old node would.
struct RecordedNode {
    hashes: HashMap<u64, String>,
    blocks: HashMap<String, Value>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Respond for RecordedNode {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let answer = |call: &Value| {
            let id = call["id"].clone();
            let params = &call["params"];
            let name = call["method"].as_str().unwrap();
            self.calls.lock().unwrap().push(format!("{name} {params}"));
            let result = match name {
                "getblockcount" => Ok(json!(self.hashes.keys().max().unwrap())),
                "getblockhash" => self
                    .hashes
                    .get(&params[0].as_u64().unwrap())
                    .map(|h| json!(h))
                    .ok_or((-8, "Block height out of range")),
                "getblock" if params[1] == 2 => self
                    .blocks
                    .get(params[0].as_str().unwrap())
                    .cloned()
                    .ok_or((-5, "Block not found")),
                "getblock" => Err((-8, "Verbosity was 3, expected 0..2")),
                _ => Err((-32601, "Method not found")),
            };
            match result {
                Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result, "error": null}),
                Err((code, message)) => {
                    json!({"jsonrpc": "2.0", "id": id, "result": null, "error": {"code": code, "message": message}})
                }
            }
        };
        let reply = match &body {
            Value::Array(calls) => Value::Array(calls.iter().map(answer).collect()),
            call => answer(call),
        };
        ResponseTemplate::new(200).set_body_json(reply)
    }
}

#[test]
fn blocks_replayed_from_a_real_nodes_answers_are_ingested_in_full() {
    let base = chainward_fixtures::shared_file(
        "raw_chain/bitcoin_etl_fixtures/test_export_blocks_job/bitcoin",
    );
    let mut hashes = HashMap::new();
    let mut blocks = HashMap::new();
    for case in ["block_without_transactions", "block_with_transactions"] {
        for entry in std::fs::read_dir(base.join(case)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            if let Some(height) = name.strip_prefix("rpc_response_getblockhash_") {
                let height: u64 = height.trim_end_matches(".json").parse().unwrap();
                hashes.insert(height, serde_json::from_str::<String>(&text).unwrap());
            } else if name.starts_with("rpc_response_getblock_") && name.ends_with("_2.json") {
                let block: Value = serde_json::from_str(&text).unwrap();
                blocks.insert(block["hash"].as_str().unwrap().to_owned(), block);
            }
        }
    }
    assert_eq!(hashes.len(), 3, "heights 50000..=50002 recorded");
    let count = |field: &str| -> u64 {
        blocks
            .values()
            .flat_map(|b| b["tx"].as_array().unwrap())
            .map(|tx| tx[field].as_array().unwrap().len() as u64)
            .sum()
    };
    let (expected_inputs, expected_outputs) = (count("vin"), count("vout"));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(RecordedNode { hashes, blocks, calls: calls.clone() })
            .mount(&server)
            .await;
        server
    });

    let mut source =
        BitcoinRpcSource::new(&server.uri(), Chain::Bitcoin, ClientOptions::default()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(data.path()).unwrap();
    let options = IngestOptions { from: Some(50_000), batch_blocks: 2, ..IngestOptions::default() };
    let summary = ingest(&mut store, &mut source, &options, &mut |_| {}).unwrap();
    let network = Network::chain(Chain::Bitcoin);
    assert_eq!(summary.totals.blocks, 3);
    let tip = store.tip(network).unwrap().unwrap();
    assert_eq!(tip.height, 50_002);
    assert_eq!(
        tip.hash.to_string(),
        "0x000000002066d7f9b134c30b5005b7bf5fbfa52f279883f1fde793dcdc964266"
    );
    // Verbosity 3 was asked in the first batch only, refused, and 2 used from then on.
    let asked = calls.lock().unwrap().clone();
    let first_v2 =
        asked.iter().position(|c| c.starts_with("getblock [") && c.ends_with(",2]")).unwrap();
    let v3: Vec<usize> = (0..asked.len())
        .filter(|&i| asked[i].starts_with("getblock [") && asked[i].ends_with(",3]"))
        .collect();
    assert!(!v3.is_empty() && v3.iter().all(|&i| i < first_v2), "{asked:?}");
    assert!(summary.totals.transactions > 3);
    assert_eq!(summary.totals.outputs as usize, {
        let stats = store.chain_stats().unwrap();
        stats.networks[0].outputs as usize
    });
    assert_eq!(summary.totals.inputs, expected_inputs, "{summary:?}");
    assert_eq!(summary.totals.outputs, expected_outputs, "{summary:?}");

    // Nothing new on a second run.
    let again = ingest(&mut store, &mut source, &options, &mut |_| {}).unwrap();
    assert_eq!(again.totals.blocks, 0);
    drop(server);
}
