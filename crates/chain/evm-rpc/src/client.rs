//! [`RpcClient`]: JSON-RPC 2.0 over HTTP with batching, bounded concurrency and retries.

use crate::error::{RpcError, RpcErrorKind, chain, excerpt, shorten};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How an [`RpcClient`] batches, bounds, times out and retries its requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Most calls in one HTTP request; [`RpcClient::batch_raw`] splits larger batches (default
    /// 100; public providers often cap batches at 100 or fewer).
    pub max_batch_size: usize,
    /// Most HTTP requests in flight at once, over all callers of one client (default 8).
    pub max_concurrency: usize,
    /// Deadline of one HTTP request, connection included (default 30 s).
    pub timeout: Duration,
    /// How many times a transient failure is retried (default 5; 0 = try once).
    pub max_retries: u32,
    /// Delay before the first retry, doubled on each further retry (default 250 ms).
    pub backoff: Duration,
    /// Ceiling of the retry delay, also applied to a node's `Retry-After` (default 30 s).
    pub max_backoff: Duration,
    /// Largest answer accepted, in bytes (default 256 MiB; a block's traces can be tens of MB).
    pub max_response_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            max_batch_size: 100,
            max_concurrency: 8,
            timeout: Duration::from_secs(30),
            max_retries: 5,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            max_response_bytes: 256 << 20,
        }
    }
}

/// Builds an HTTP client: the one place every `reqwest::Client` of the project is made.
///
/// It installs rustls' ring provider first (reqwest is built with `rustls-no-provider`, whose
/// builder panics without one; installing twice is harmless).
///
/// # Errors
/// When reqwest cannot build the client (its TLS backend failed to initialize).
pub fn build_http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // A second install returns Err: the provider is already there, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A JSON-RPC 2.0 client for one node URL.
///
/// Cheap to clone (the clones share the connection pool, the concurrency limit and the id
/// counter). Every method returns [`RpcError`]s that name the URL, the method and its params.
#[derive(Clone, Debug)]
pub struct RpcClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    url: reqwest::Url,
    /// The URL as errors show it: no user, password or query string.
    shown_url: String,
    http: reqwest::Client,
    options: ClientOptions,
    next_id: AtomicU64,
    permits: Semaphore,
}

/// One call ready to send.
#[derive(Clone, Debug)]
struct Call {
    method: String,
    params: Box<RawValue>,
}

#[derive(Serialize)]
struct Request<'a> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    params: &'a RawValue,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    id: serde_json::Value,
    /// `Some` whenever the member is present, `null` included (a block that does not exist).
    #[serde(default, deserialize_with = "present")]
    result: Option<Box<RawValue>>,
    #[serde(default)]
    error: Option<ErrorObject>,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Box<RawValue>>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

/// What one HTTP exchange gave: an answer per call (by position in the request), or a failure
/// of the whole request.
type Exchange = Result<Vec<Result<Box<RawValue>, RpcErrorKind>>, RpcErrorKind>;

impl RpcClient {
    /// A client for the node at `url` (`http://` or `https://`).
    ///
    /// # Errors
    /// [`RpcErrorKind::Setup`] when the URL does not parse or is not HTTP(S), or the HTTP client
    /// cannot be built.
    pub fn new(url: &str, options: ClientOptions) -> Result<Self, RpcError> {
        let setup = |reason: String| {
            RpcError::new(&shorten(url, 100), "", "", RpcErrorKind::Setup { reason })
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| setup(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(setup(format!("scheme {:?} is not http or https", parsed.scheme())));
        }
        let http = build_http_client(options.timeout).map_err(|e| setup(chain(&e)))?;
        let mut shown = parsed.clone();
        // Credentials and API keys in the query string stay out of error messages.
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.set_query(None);
        shown.set_fragment(None);
        let permits = Semaphore::new(options.max_concurrency.max(1));
        Ok(Self {
            inner: Arc::new(Inner {
                url: parsed,
                shown_url: shown.to_string(),
                http,
                options,
                next_id: AtomicU64::new(1),
                permits,
            }),
        })
    }

    /// The node's URL as errors show it (no credentials, no query string).
    pub fn url(&self) -> &str {
        &self.inner.shown_url
    }

    /// The options this client was made with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Calls `method` and deserializes its result (use `Option<T>` where the node may answer
    /// `null`).
    ///
    /// # Errors
    /// [`RpcError`] when the call fails after retries (see [`RpcClient::call_raw`]), or
    /// [`RpcErrorKind::UnexpectedResult`] when the result is not a `T`.
    pub async fn call<T, P>(&self, method: &str, params: &P) -> Result<T, RpcError>
    where
        T: DeserializeOwned,
        P: Serialize + ?Sized,
    {
        let raw = self.call_raw(method, params).await?;
        serde_json::from_str(raw.get()).map_err(|e| {
            RpcError::new(
                self.url(),
                method,
                &params_text(params),
                RpcErrorKind::UnexpectedResult {
                    reason: e.to_string(),
                    body: excerpt(raw.get().as_bytes()),
                },
            )
        })
    }

    /// Calls `method` and returns its result as raw JSON (`null` included), without parsing it
    /// further.
    ///
    /// # Errors
    /// [`RpcError`] when the params do not serialize, the node cannot be reached, answers with
    /// an HTTP error, a JSON-RPC error or malformed JSON, or does not answer in time; transient
    /// failures are retried first.
    pub async fn call_raw<P>(&self, method: &str, params: &P) -> Result<Box<RawValue>, RpcError>
    where
        P: Serialize + ?Sized,
    {
        let call = self.prepare(method, params)?;
        let mut results = self.run(vec![call], false).await;
        results.pop().expect("run returns one result per call")
    }

    /// Sends many calls and returns one result per call, in the order of `calls`.
    ///
    /// Calls are sent in JSON-RPC batches of at most `max_batch_size`, concurrently (at most
    /// `max_concurrency` requests in flight); answers are matched to calls by id, whatever
    /// order the node sends them in. A failure of a whole request (connection, HTTP status)
    /// becomes the error of each of its calls; transient failures, of a request or of single
    /// calls, are retried.
    pub async fn batch_raw<P: Serialize>(
        &self,
        calls: &[(&str, P)],
    ) -> Vec<Result<Box<RawValue>, RpcError>> {
        let prepared: Vec<Result<Call, RpcError>> =
            calls.iter().map(|(method, params)| self.prepare(method, params)).collect();
        let mut results: Vec<Option<Result<Box<RawValue>, RpcError>>> =
            (0..calls.len()).map(|_| None).collect();
        let mut sendable = Vec::with_capacity(calls.len());
        for (index, call) in prepared.into_iter().enumerate() {
            match call {
                Ok(call) => sendable.push((index, call)),
                Err(e) => results[index] = Some(Err(e)),
            }
        }
        let chunk_size = self.inner.options.max_batch_size.max(1);
        let mut chunks: Vec<(Vec<usize>, Vec<Call>)> = Vec::new();
        for group in sendable.chunks(chunk_size) {
            chunks.push(group.iter().cloned().unzip());
        }
        if chunks.len() == 1 {
            let (indices, calls) = chunks.pop().expect("one chunk");
            for (index, result) in indices.into_iter().zip(self.run(calls, true).await) {
                results[index] = Some(result);
            }
        } else {
            let mut set = JoinSet::new();
            for (indices, calls) in chunks {
                let client = self.clone();
                set.spawn(async move { (indices, client.run(calls, true).await) });
            }
            while let Some(joined) = set.join_next().await {
                let (indices, answers) =
                    joined.expect("a batch task neither panics nor is aborted");
                for (index, result) in indices.into_iter().zip(answers) {
                    results[index] = Some(result);
                }
            }
        }
        results.into_iter().map(|r| r.expect("every call has a result")).collect()
    }

    fn prepare<P: Serialize + ?Sized>(&self, method: &str, params: &P) -> Result<Call, RpcError> {
        let params = serde_json::value::to_raw_value(params).map_err(|e| {
            RpcError::new(self.url(), method, "", RpcErrorKind::Params { reason: e.to_string() })
        })?;
        Ok(Call { method: method.to_owned(), params })
    }

    fn error(&self, call: &Call, kind: RpcErrorKind, attempts: u32) -> RpcError {
        RpcError::new(self.url(), &call.method, call.params.get(), kind).with_attempts(attempts)
    }

    /// Sends `calls` (as a batch, or as a single request object when `batch` is false and there
    /// is one call), retrying transient failures, and returns one result per call.
    async fn run(&self, calls: Vec<Call>, batch: bool) -> Vec<Result<Box<RawValue>, RpcError>> {
        let options = &self.inner.options;
        let mut results: Vec<Option<Result<Box<RawValue>, RpcError>>> =
            (0..calls.len()).map(|_| None).collect();
        let mut pending: Vec<usize> = (0..calls.len()).collect();
        let mut attempt = 0u32;
        while !pending.is_empty() {
            attempt += 1;
            let may_retry = attempt <= options.max_retries;
            let to_send: Vec<&Call> = pending.iter().map(|&i| &calls[i]).collect();
            let mut retry_after = None;
            match self.exchange(&to_send, batch || to_send.len() > 1).await {
                Err(kind) => {
                    if !(may_retry && kind.is_retryable()) {
                        for &i in &pending {
                            results[i] = Some(Err(self.error(&calls[i], kind.clone(), attempt)));
                        }
                        break;
                    }
                    tracing::debug!(
                        url = self.url(),
                        method = %calls[pending[0]].method,
                        calls = pending.len(),
                        attempt,
                        error = %kind,
                        "JSON-RPC request failed; retrying"
                    );
                    if let RpcErrorKind::Http { retry_after: after, .. } = &kind {
                        retry_after = *after;
                    }
                }
                Ok(answers) => {
                    let mut still = Vec::new();
                    for (&i, answer) in pending.iter().zip(answers) {
                        match answer {
                            Ok(raw) => results[i] = Some(Ok(raw)),
                            Err(kind) if may_retry && kind.is_retryable() => {
                                tracing::debug!(
                                    url = self.url(),
                                    method = %calls[i].method,
                                    attempt,
                                    error = %kind,
                                    "JSON-RPC call failed; retrying"
                                );
                                still.push(i);
                            }
                            Err(kind) => {
                                results[i] = Some(Err(self.error(&calls[i], kind, attempt)))
                            }
                        }
                    }
                    pending = still;
                    if pending.is_empty() {
                        break;
                    }
                }
            }
            tokio::time::sleep(self.delay(attempt, retry_after)).await;
        }
        results.into_iter().map(|r| r.expect("every call has a result")).collect()
    }

    /// The delay before retry number `attempt` (1-based): `backoff × 2^(attempt-1)`, at least
    /// the node's `Retry-After`, at most `max_backoff`, plus up to 25 % jitter so that
    /// concurrent callers do not retry in step.
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let options = &self.inner.options;
        let exponential =
            options.backoff.saturating_mul(1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX));
        let base = exponential.max(retry_after.unwrap_or_default()).min(options.max_backoff);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        base + base / 4 * (nanos % 1000) / 1000
    }

    /// One HTTP request carrying `calls`; answers in the order of `calls`.
    async fn exchange(&self, calls: &[&Call], batch: bool) -> Exchange {
        let first_id = self.inner.next_id.fetch_add(calls.len() as u64, Ordering::Relaxed);
        let requests: Vec<Request<'_>> = calls
            .iter()
            .enumerate()
            .map(|(n, call)| Request {
                jsonrpc: "2.0",
                id: first_id + n as u64,
                method: &call.method,
                params: &call.params,
            })
            .collect();
        let body =
            if batch { serde_json::to_vec(&requests) } else { serde_json::to_vec(&requests[0]) }
                .map_err(|e| RpcErrorKind::Params { reason: e.to_string() })?;

        let (status, retry_after, bytes) = {
            let _permit =
                self.inner.permits.acquire().await.expect("the semaphore is never closed");
            self.post(body).await?
        };
        let ids: Vec<u64> = requests.iter().map(|r| r.id).collect();
        if !(200..300).contains(&status) {
            let http = RpcErrorKind::Http { status, body: excerpt(&bytes), retry_after };
            if http.is_retryable() {
                return Err(http);
            }
            // Some providers send a JSON-RPC error object with a 4xx status: prefer it, so
            // that "method not found" is still recognized.
            return match parse_answer(&bytes, &ids) {
                Ok(answers) if answers.iter().all(Result::is_err) => Ok(answers),
                _ => Err(http),
            };
        }
        parse_answer(&bytes, &ids)
    }

    async fn post(&self, body: Vec<u8>) -> Result<(u16, Option<Duration>, Vec<u8>), RpcErrorKind> {
        let options = &self.inner.options;
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                RpcErrorKind::Timeout { after: options.timeout }
            } else if e.is_connect() {
                RpcErrorKind::Connect { reason: chain(&e) }
            } else {
                RpcErrorKind::Transport { reason: chain(&e) }
            }
        };
        let mut response = self
            .inner
            .http
            .post(self.inner.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let limit = options.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(RpcErrorKind::TooLarge { limit });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > limit {
                return Err(RpcErrorKind::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, retry_after, bytes))
    }
}

fn params_text<P: Serialize + ?Sized>(params: &P) -> String {
    serde_json::to_string(params).unwrap_or_default()
}

fn malformed(error: &serde_json::Error, body: &[u8]) -> RpcErrorKind {
    RpcErrorKind::Malformed {
        line: error.line(),
        column: error.column(),
        reason: error.to_string(),
        body: excerpt(body),
    }
}

fn outcome(response: Response) -> Result<Box<RawValue>, RpcErrorKind> {
    if let Some(error) = response.error {
        return Err(RpcErrorKind::Rpc {
            code: error.code,
            message: error.message,
            data: error.data.map(|d| shorten(d.get(), 200)),
        });
    }
    response.result.ok_or_else(|| RpcErrorKind::Malformed {
        line: 0,
        column: 0,
        reason: "the response has neither `result` nor `error`".to_owned(),
        body: String::new(),
    })
}

/// Parses a body into one answer per id of `ids` (in that order). A single response object
/// answers a one-call request whatever its id; sent to a batch, a single error object (a node
/// refusing the whole batch) is every call's error.
fn parse_answer(body: &[u8], ids: &[u64]) -> Exchange {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        Some(b'[') => {
            let mut responses: Vec<Response> =
                serde_json::from_slice(body).map_err(|e| malformed(&e, body))?;
            if ids.len() == 1 && responses.len() == 1 {
                // One call, one answer: it is this call's, even if a proxy mangled the id.
                return Ok(responses.drain(..).map(outcome).collect());
            }
            let mut by_id: HashMap<u64, Response> = HashMap::with_capacity(responses.len());
            for response in responses {
                if let Some(id) = response.id.as_u64() {
                    by_id.insert(id, response);
                }
            }
            Ok(ids
                .iter()
                .map(|id| match by_id.remove(id) {
                    Some(response) => outcome(response),
                    None => Err(RpcErrorKind::MissingResponse { id: *id }),
                })
                .collect())
        }
        Some(b'{') => {
            let response: Response =
                serde_json::from_slice(body).map_err(|e| malformed(&e, body))?;
            if ids.len() == 1 {
                return Ok(vec![outcome(response)]);
            }
            match outcome(response) {
                Err(kind) => Ok(ids.iter().map(|_| Err(kind.clone())).collect()),
                Ok(_) => Err(RpcErrorKind::Malformed {
                    line: 1,
                    column: 1,
                    reason: format!(
                        "a batch of {} calls was answered with one result object",
                        ids.len()
                    ),
                    body: excerpt(body),
                }),
            }
        }
        _ => {
            let reason = if body.is_empty() {
                "the body is empty".to_owned()
            } else {
                "expected a JSON object or array".to_owned()
            };
            Err(RpcErrorKind::Malformed { line: 1, column: 1, reason, body: excerpt(body) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(answers: &Exchange) -> Vec<String> {
        answers
            .as_ref()
            .expect("parses")
            .iter()
            .map(|a| match a {
                Ok(raw) => raw.get().to_owned(),
                Err(e) => format!("error: {e}"),
            })
            .collect()
    }

    #[test]
    fn matches_batch_answers_by_id() {
        let body = br#"[{"jsonrpc":"2.0","id":7,"result":"0x7"},
            {"jsonrpc":"2.0","id":5,"result":null},
            {"jsonrpc":"2.0","id":6,"error":{"code":-32601,"message":"Method not found"}}]"#;
        assert_eq!(
            texts(&parse_answer(body, &[5, 6, 7, 8])),
            [
                "null",
                "error: the node returned JSON-RPC error -32601: Method not found",
                r#""0x7""#,
                "error: the batch answer has no response for this call (id 8)",
            ]
        );
    }

    #[test]
    fn one_error_object_answers_a_whole_batch() {
        let body =
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}"#;
        let answers = texts(&parse_answer(body, &[1, 2]));
        assert_eq!(answers.len(), 2);
        assert!(answers.iter().all(|a| a.contains("batch too large")), "{answers:?}");
    }

    #[test]
    fn malformed_bodies_name_the_position() {
        let Err(e) = parse_answer(b"{\"jsonrpc\":\"2.0\",\n\"id\":1,\"result\":[1,2", &[1]) else {
            panic!("accepted truncated JSON")
        };
        let text = e.to_string();
        assert!(text.contains("line 2"), "{text}");
        let Err(e) = parse_answer(b"<html>bad gateway</html>", &[1]) else {
            panic!("accepted HTML")
        };
        assert!(e.to_string().contains("<html>bad gateway"), "{e}");
        assert!(parse_answer(b"", &[1]).is_err());
        let neither = texts(&parse_answer(br#"{"jsonrpc":"2.0","id":1}"#, &[1]));
        assert!(neither[0].contains("neither `result` nor `error`"), "{neither:?}");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let options = ClientOptions {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..ClientOptions::default()
        };
        let client = RpcClient::new("http://127.0.0.1:1", options).expect("valid URL");
        let within = |d: Duration, lo: u64| {
            d >= Duration::from_millis(lo) && d <= Duration::from_millis(lo + lo / 4)
        };
        assert!(within(client.delay(1, None), 100));
        assert!(within(client.delay(2, None), 200));
        assert!(within(client.delay(4, None), 800));
        assert!(within(client.delay(40, None), 1000));
        assert!(within(client.delay(1, Some(Duration::from_millis(500))), 500));
    }

    #[test]
    fn hides_credentials_in_the_shown_url() {
        let client = RpcClient::new(
            "https://user:secret@node.example/v1/?apikey=k",
            ClientOptions::default(),
        )
        .expect("valid URL");
        assert_eq!(client.url(), "https://node.example/v1/");
        let e = RpcClient::new("ftp://node", ClientOptions::default()).expect_err("not http");
        assert!(e.to_string().contains("not http or https"), "{e}");
    }
}
