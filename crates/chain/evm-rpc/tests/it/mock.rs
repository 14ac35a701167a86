//! Answers a real node cannot be made to give, from a wiremock server: HTTP errors, JSON-RPC
//! errors, malformed bodies, timeouts, refused connections, batches answered out of order or
//! incompletely, and a block that changes between the calls of its batch.

use crate::responder::{JsonRpc, Reply, methods, request_count};
use chainward_evm_rpc::{
    ClientOptions, EvmFetcher, FetchError, RpcClient, RpcErrorKind, TraceMode,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Fast retries for tests.
fn options() -> ClientOptions {
    ClientOptions {
        max_retries: 3,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    }
}

fn ok(result: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"jsonrpc": "2.0", "id": 1, "result": result}))
}

#[tokio::test]
async fn http_503_twice_then_success_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream busy"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ok(json!("0x10"))).mount(&server).await;

    let client = RpcClient::new(&server.uri(), options()).expect("client");
    let tip: String = client.call("eth_blockNumber", &json!([])).await.expect("third time lucky");
    assert_eq!(tip, "0x10");
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn http_503_for_ever_gives_up_after_max_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream busy"))
        .mount(&server)
        .await;
    let client = RpcClient::new(&server.uri(), options()).expect("client");
    let error = client.call_raw("eth_blockNumber", &json!([])).await.expect_err("always 503");
    assert_eq!(request_count(&server).await, 4, "1 try + 3 retries");
    assert_eq!(error.attempts(), 4);
    assert!(matches!(error.kind(), RpcErrorKind::Http { status: 503, .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("HTTP status 503"), "{message}");
    assert!(message.contains("upstream busy"), "{message}");
    assert!(message.contains(&server.uri()), "{message}");
}

#[tokio::test]
async fn method_not_found_is_not_retried_and_names_the_method() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(JsonRpc(|_: &str, _: &Value| Reply::Error(-32601, "Method not found")))
        .mount(&server)
        .await;
    let client = RpcClient::new(&server.uri(), options()).expect("client");
    let error =
        client.call_raw("eth_getBlockReceipts", &json!(["0x1"])).await.expect_err("no such method");
    assert_eq!(request_count(&server).await, 1, "a permanent error is not retried");
    assert_eq!(error.rpc_code(), Some(-32601));
    assert!(!error.is_retryable());
    assert!(error.is_method_not_found());
    assert_eq!(error.method(), "eth_getBlockReceipts");
    let message = error.to_string();
    assert!(message.contains(r#"eth_getBlockReceipts(["0x1"])"#), "{message}");
    assert!(message.contains("-32601: Method not found"), "{message}");
}

#[tokio::test]
async fn invalid_params_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(JsonRpc(|_: &str, _: &Value| Reply::Error(-32602, "invalid argument 0")))
        .mount(&server)
        .await;
    let client = RpcClient::new(&server.uri(), options()).expect("client");
    let long = "ab".repeat(200);
    let error = client.call_raw("eth_getBalance", &json!([long])).await.expect_err("invalid");
    assert_eq!(request_count(&server).await, 1);
    assert!(!error.is_method_not_found());
    assert!(error.params().contains("bytes)"), "long params are shortened: {}", error.params());
    assert!(error.params().len() < 200, "{}", error.params());
}

#[tokio::test]
async fn a_malformed_body_is_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"jsonrpc":"2.0","id":1,"result":{"number":"#),
        )
        .mount(&server)
        .await;
    let client = RpcClient::new(&server.uri(), options()).expect("client");
    let error =
        client.call_raw("eth_getBlockByNumber", &json!(["0x1", true])).await.expect_err("cut");
    assert_eq!(request_count(&server).await, 1, "malformed JSON is not retried");
    let RpcErrorKind::Malformed { line, column, .. } = error.kind() else {
        panic!("not Malformed: {error}")
    };
    assert_eq!((*line, *column), (1, 43));
    let message = error.to_string();
    assert!(message.contains("malformed answer at line 1, column 43"), "{message}");
    assert!(message.contains("eth_getBlockByNumber"), "{message}");
    assert!(message.contains(r#"body starts: "{\"jsonrpc\""#), "{message}");
}

#[tokio::test]
async fn a_refused_connection_names_the_url_after_retries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let client = RpcClient::new(&url, options()).expect("client");
    let error = client.call_raw("eth_chainId", &json!([])).await.expect_err("nobody listens");
    assert!(matches!(error.kind(), RpcErrorKind::Connect { .. }), "{error}");
    assert!(error.is_retryable());
    assert_eq!(error.attempts(), 4);
    let message = error.to_string();
    assert!(message.contains(&url), "{message}");
    assert!(message.to_ascii_lowercase().contains("refused"), "{message}");
    assert!(message.contains("after 4 attempts"), "{message}");

    let error = EvmFetcher::connect(&url, options()).await.expect_err("nobody listens");
    assert!(error.to_string().contains(&url), "{error}");
}

#[tokio::test]
async fn a_slow_node_times_out_and_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok(json!("0x1")).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let options =
        ClientOptions { timeout: Duration::from_millis(200), max_retries: 1, ..options() };
    let client = RpcClient::new(&server.uri(), options).expect("client");
    let error = client.call_raw("eth_blockNumber", &json!([])).await.expect_err("too slow");
    assert_eq!(error.kind(), &RpcErrorKind::Timeout { after: Duration::from_millis(200) });
    assert_eq!(error.attempts(), 2);
    assert!(error.to_string().contains("no answer within 200ms"), "{error}");
}

#[tokio::test]
async fn batches_are_split_and_matched_by_id() {
    let server = MockServer::start().await;
    // The responder answers every batch in reverse order.
    Mock::given(method("POST"))
        .respond_with(JsonRpc(|method: &str, params: &Value| match method {
            "echo" => Reply::Result(params[0].clone()),
            _ => Reply::Error(-32601, "Method not found"),
        }))
        .mount(&server)
        .await;
    let options = ClientOptions { max_batch_size: 50, ..options() };
    let client = RpcClient::new(&server.uri(), options).expect("client");
    let calls: Vec<(&str, Value)> = (0..120).map(|i| ("echo", json!([i]))).collect();
    let answers = client.batch_raw(&calls).await;
    let values: Vec<u64> = answers
        .iter()
        .map(|a| a.as_ref().expect("answered").get().parse().expect("a number"))
        .collect();
    assert_eq!(values, (0..120).collect::<Vec<u64>>());
    assert_eq!(request_count(&server).await, 3, "120 calls in batches of 50");
    assert!(client.batch_raw::<Value>(&[]).await.is_empty());
}

#[tokio::test]
async fn a_call_missing_from_a_batch_answer_fails_alone() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(JsonRpc(|_: &str, params: &Value| {
            if params[0] == json!(2) { Reply::Omit } else { Reply::Result(params[0].clone()) }
        }))
        .mount(&server)
        .await;
    let client = RpcClient::new(&server.uri(), options()).expect("client");
    let calls: Vec<(&str, Value)> = (1..=3).map(|i| ("echo", json!([i]))).collect();
    let answers = client.batch_raw(&calls).await;
    assert_eq!(answers[0].as_ref().expect("answered").get(), "1");
    let error = answers[1].as_ref().expect_err("left out");
    assert!(matches!(error.kind(), RpcErrorKind::MissingResponse { .. }), "{error}");
    assert!(error.to_string().contains("echo([2])"), "{error}");
    assert_eq!(answers[2].as_ref().expect("answered").get(), "3");
}

#[tokio::test]
async fn a_transient_call_error_is_retried_alone() {
    let server = MockServer::start().await;
    let failures = Arc::new(AtomicUsize::new(0));
    let seen = failures.clone();
    Mock::given(method("POST"))
        .respond_with(JsonRpc(move |_: &str, params: &Value| {
            if params[0] == json!(2) && seen.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::Error(-32005, "limit exceeded")
            } else {
                Reply::Result(params[0].clone())
            }
        }))
        .mount(&server)
        .await;
    let client = RpcClient::new(&server.uri(), options()).expect("client");
    let calls: Vec<(&str, Value)> = (1..=3).map(|i| ("echo", json!([i]))).collect();
    let answers: Vec<String> = client
        .batch_raw(&calls)
        .await
        .into_iter()
        .map(|a| a.expect("answered").get().to_owned())
        .collect();
    assert_eq!(answers, ["1", "2", "3"]);
    assert_eq!(methods(&server).await.len(), 4, "3 calls, then the one that failed");
}

#[tokio::test]
async fn odd_answers_are_errors_not_panics() {
    let bodies = [
        "",
        "null",
        "42",
        "[]",
        "[1,2]",
        r#"{"jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#,
        r#"{"jsonrpc":"2.0","id":18446744073709551616,"result":1}"#,
        "\u{feff}{}",
    ];
    for body in bodies {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let client = RpcClient::new(&server.uri(), options()).expect("client");
        let answer = client.call::<u64, _>("eth_blockNumber", &json!([])).await;
        // Only the big id is a real answer; its `result` is not the String asked for below.
        if body.contains("18446744073709551616") {
            assert_eq!(answer.expect("one call, one answer"), 1);
            let wrong = client.call::<String, _>("eth_blockNumber", &json!([])).await;
            let error = wrong.expect_err("a number is not a string");
            assert!(matches!(error.kind(), RpcErrorKind::UnexpectedResult { .. }), "{error}");
        } else {
            assert!(answer.is_err(), "{body:?} gave {answer:?}");
        }
    }
}

/// A block JSON with one transaction, and its receipt naming `receipt_block` as its block.
fn block_and_receipts(height: u64, block_hash: &str, receipt_block: &str) -> (Value, Value) {
    block_with_parent(height, block_hash, receipt_block, HASH_P)
}

/// [`block_and_receipts`] with a chosen parent hash.
fn block_with_parent(
    height: u64,
    block_hash: &str,
    receipt_block: &str,
    parent: &str,
) -> (Value, Value) {
    let tx = "0x3333333333333333333333333333333333333333333333333333333333333333";
    let block = json!({
        "number": format!("{height:#x}"), "hash": block_hash,
        "parentHash": parent,
        "timestamp": "0x5f5e100", "gasLimit": "0x1c9c380", "gasUsed": "0x5208",
        "transactions": [{
            "hash": tx, "nonce": "0x0", "from": "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "to": "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "value": "0x1",
            "gas": "0x5208", "gasPrice": "0x1", "input": "0x", "transactionIndex": "0x0"
        }]
    });
    let receipts = json!([{
        "transactionHash": tx, "blockHash": receipt_block, "cumulativeGasUsed": "0x5208",
        "gasUsed": "0x5208", "status": "0x1", "effectiveGasPrice": "0x1", "logs": []
    }]);
    (block, receipts)
}

const HASH_A: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const HASH_B: &str = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const HASH_P: &str = "0x2222222222222222222222222222222222222222222222222222222222222222";

#[tokio::test]
async fn a_block_that_keeps_changing_is_a_reorg_error_naming_its_height() {
    let server = MockServer::start().await;
    let (block, receipts) = block_and_receipts(0x10, HASH_A, HASH_B);
    Mock::given(method("POST"))
        .respond_with(JsonRpc(move |method: &str, _: &Value| match method {
            "eth_chainId" => Reply::Result(json!("0x1")),
            "eth_getBlockByNumber" => Reply::Result(block.clone()),
            "eth_getBlockReceipts" => Reply::Result(receipts.clone()),
            _ => Reply::Error(-32601, "Method not found"),
        }))
        .mount(&server)
        .await;
    let fetcher = EvmFetcher::connect(&server.uri(), options())
        .await
        .expect("connects")
        .with_trace_mode(TraceMode::None);
    let error = fetcher.fetch_block(0x10).await.expect_err("never consistent");
    assert!(matches!(error, FetchError::Reorg { height: 16, .. }), "{error}");
    assert!(error.is_retryable());
    let message = error.to_string();
    assert!(message.contains("block 16 changed while it was fetched"), "{message}");
    assert!(message.contains(HASH_B), "{message}");
    let fetches = methods(&server).await.iter().filter(|m| *m == "eth_getBlockByNumber").count();
    assert_eq!(fetches, 4, "fetched once and again 3 times");
}

#[tokio::test]
async fn a_block_that_changed_once_is_fetched_again() {
    let server = MockServer::start().await;
    let (block_a, receipts_b) = block_and_receipts(0x10, HASH_A, HASH_B);
    let (block_b, _) = block_and_receipts(0x10, HASH_B, HASH_B);
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .respond_with(JsonRpc(move |method: &str, _: &Value| match method {
            "eth_chainId" => Reply::Result(json!("0x1")),
            // The first block answer is from before the reorg, the receipts from after.
            "eth_getBlockByNumber" if calls.fetch_add(1, Ordering::SeqCst) == 0 => {
                Reply::Result(block_a.clone())
            }
            "eth_getBlockByNumber" => Reply::Result(block_b.clone()),
            "eth_getBlockReceipts" => Reply::Result(receipts_b.clone()),
            _ => Reply::Error(-32601, "Method not found"),
        }))
        .mount(&server)
        .await;
    let fetcher = EvmFetcher::connect(&server.uri(), options())
        .await
        .expect("connects")
        .with_trace_mode(TraceMode::None);
    let block = fetcher.fetch_block(0x10).await.expect("consistent the second time");
    assert_eq!(format!("{}", block.block.hash), HASH_B);
    assert_eq!(block.transactions.len(), 1);
}

#[tokio::test]
async fn auto_without_any_trace_method_fetches_without_traces() {
    let server = MockServer::start().await;
    let (block, receipts) = block_and_receipts(0x10, HASH_A, HASH_A);
    Mock::given(method("POST"))
        .respond_with(JsonRpc(move |method: &str, _: &Value| match method {
            "eth_chainId" => Reply::Result(json!("0x1")),
            "eth_blockNumber" => Reply::Result(json!("0x10")),
            "eth_getBlockByNumber" => Reply::Result(block.clone()),
            "eth_getBlockReceipts" => Reply::Result(receipts.clone()),
            "debug_traceBlockByNumber" => Reply::Error(-32000, "tracing is disabled"),
            _ => Reply::Error(-32601, "Method not found"),
        }))
        .mount(&server)
        .await;
    let fetcher = EvmFetcher::connect(&server.uri(), options()).await.expect("connects");
    let blocks = fetcher.fetch_range(0x10..=0x10).await.expect("fetched");
    assert_eq!(fetcher.resolved_trace_mode(), Some(TraceMode::None));
    assert_eq!(blocks[0].transactions[0].transfers.len(), 1, "the native transfer");
    let sent = methods(&server).await;
    assert_eq!(sent.iter().filter(|m| m.contains("trace")).count(), 2, "probed once: {sent:?}");
}

#[tokio::test]
async fn a_malformed_block_is_a_decode_error_naming_the_height() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(JsonRpc(move |method: &str, _: &Value| match method {
            "eth_chainId" => Reply::Result(json!("0x1")),
            "eth_getBlockByNumber" => Reply::Result(json!({"number": "0x10", "hash": 5})),
            "eth_getBlockReceipts" => Reply::Result(json!([])),
            _ => Reply::Error(-32601, "Method not found"),
        }))
        .mount(&server)
        .await;
    let fetcher = EvmFetcher::connect(&server.uri(), options())
        .await
        .expect("connects")
        .with_trace_mode(TraceMode::None);
    let error = fetcher.fetch_block(0x10).await.expect_err("malformed");
    assert!(matches!(error, FetchError::Decode { height: 16, what: "block", .. }), "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn blocks_that_do_not_link_are_refetched_then_reported() {
    let server = MockServer::start().await;
    // Block 17 names a parent that is not block 16, however often it is asked for.
    let (block16, receipts16) = block_and_receipts(16, HASH_A, HASH_A);
    let (block17, receipts17) = block_with_parent(17, HASH_B, HASH_B, HASH_P);
    Mock::given(method("POST"))
        .respond_with(JsonRpc(move |method: &str, params: &Value| {
            let sixteen = params[0] == json!("0x10");
            match method {
                "eth_chainId" => Reply::Result(json!("0x1")),
                "eth_getBlockByNumber" if sixteen => Reply::Result(block16.clone()),
                "eth_getBlockByNumber" => Reply::Result(block17.clone()),
                "eth_getBlockReceipts" if sixteen => Reply::Result(receipts16.clone()),
                "eth_getBlockReceipts" => Reply::Result(receipts17.clone()),
                _ => Reply::Error(-32601, "Method not found"),
            }
        }))
        .mount(&server)
        .await;
    let fetcher = EvmFetcher::connect(&server.uri(), options())
        .await
        .expect("connects")
        .with_trace_mode(TraceMode::None);
    let error = fetcher.fetch_range(16..=17).await.expect_err("the blocks never link");
    assert!(matches!(error, FetchError::Reorg { height: 17, .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains(HASH_P) && message.contains(HASH_A), "{message}");
    let fetches = methods(&server).await.iter().filter(|m| *m == "eth_getBlockByNumber").count();
    assert_eq!(fetches, 4, "both blocks, then both again from the break");
}
