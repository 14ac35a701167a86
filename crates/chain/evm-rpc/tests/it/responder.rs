//! A wiremock responder that speaks JSON-RPC 2.0: single calls and batches (answered in
//! reverse order, so that tests prove answers are matched by id).

use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// What the mock answers to one call.
pub(crate) enum Reply {
    /// A result.
    Result(Value),
    /// A JSON-RPC error object.
    Error(i64, &'static str),
    /// No answer at all for this call (left out of the batch).
    Omit,
}

/// Answers each call with `F(method, params)`.
pub(crate) struct JsonRpc<F>(pub(crate) F);

impl<F> Respond for JsonRpc<F>
where
    F: Fn(&str, &Value) -> Reply + Send + Sync + 'static,
{
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).expect("a JSON-RPC request");
        let answer = |call: &Value| -> Option<Value> {
            let id = call["id"].clone();
            let method = call["method"].as_str().expect("a method");
            match (self.0)(method, &call["params"]) {
                Reply::Result(result) => {
                    Some(json!({"jsonrpc": "2.0", "id": id, "result": result}))
                }
                Reply::Error(code, message) => Some(
                    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
                ),
                Reply::Omit => None,
            }
        };
        match body {
            Value::Array(calls) => {
                let mut answers: Vec<Value> = calls.iter().filter_map(answer).collect();
                answers.reverse();
                ResponseTemplate::new(200).set_body_json(answers)
            }
            call => match answer(&call) {
                Some(answer) => ResponseTemplate::new(200).set_body_json(answer),
                None => ResponseTemplate::new(200).set_body_string(""),
            },
        }
    }
}

/// The methods of every call the server received, batches flattened, in order.
pub(crate) async fn methods(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.expect("recording is on");
    let mut out = Vec::new();
    for request in requests {
        let body: Value = serde_json::from_slice(&request.body).expect("a JSON-RPC request");
        let calls = match body {
            Value::Array(calls) => calls,
            call => vec![call],
        };
        out.extend(calls.iter().map(|c| c["method"].as_str().unwrap_or_default().to_owned()));
    }
    out
}

/// How many HTTP requests the server received.
pub(crate) async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.expect("recording is on").len()
}
