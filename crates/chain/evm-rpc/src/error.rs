//! [`RpcError`]: one failed JSON-RPC call, with the call it was and what went wrong.

use std::fmt;
use std::time::Duration;

/// Why one JSON-RPC call failed.
///
/// It names the node (its URL without credentials or query string), the method, the params
/// (shortened to [`PARAMS_SHOWN`] characters), how many attempts were made, and the
/// [`RpcErrorKind`]. [`RpcError::is_retryable`] tells a transient failure (connection, timeout,
/// HTTP 429/502/503/504, JSON-RPC limit errors) from a permanent one; the client has already
/// retried transient failures `max_retries` times when it returns one.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct RpcError(Box<Inner>);

/// How many characters of the params an error shows.
pub const PARAMS_SHOWN: usize = 160;

/// How many bytes of a response body an error quotes.
pub(crate) const BODY_SHOWN: usize = 200;

#[derive(Clone, Debug)]
struct Inner {
    url: String,
    method: String,
    params: String,
    attempts: u32,
    kind: RpcErrorKind,
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.method.is_empty() {
            write!(f, "{}: {}", self.url, self.kind)?;
        } else {
            write!(f, "{}({}) at {}: {}", self.method, self.params, self.url, self.kind)?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

/// What went wrong with a JSON-RPC call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RpcErrorKind {
    /// The URL is not usable or the HTTP client could not be built.
    #[error("cannot use this node URL: {reason}")]
    Setup {
        /// Why.
        reason: String,
    },
    /// The params could not be serialized to JSON.
    #[error("the params do not serialize to JSON: {reason}")]
    Params {
        /// serde_json's message.
        reason: String,
    },
    /// No connection could be made (refused, unreachable, DNS, TLS handshake).
    #[error("cannot connect: {reason}")]
    Connect {
        /// The transport's message, with its causes.
        reason: String,
    },
    /// The connection broke while sending the request or reading the answer (reset, closed).
    #[error("the request failed: {reason}")]
    Transport {
        /// The transport's message, with its causes.
        reason: String,
    },
    /// No complete answer within the client's timeout.
    #[error("no answer within {after:?}")]
    Timeout {
        /// The timeout.
        after: Duration,
    },
    /// The node answered with an HTTP error status (and no JSON-RPC answer in the body).
    #[error("HTTP status {status}{}", quoted_body(body))]
    Http {
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
        /// The delay the node asked for in `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The node answered this call with a JSON-RPC error object.
    #[error("the node returned JSON-RPC error {code}: {message}{}", data_suffix(data))]
    Rpc {
        /// The error code (-32601 method not found, -32602 invalid params, …).
        code: i64,
        /// The error message.
        message: String,
        /// The `data` member, as JSON text (shortened), if any.
        data: Option<String>,
    },
    /// The answer is not valid JSON-RPC 2.0 (not JSON, wrong shape, neither result nor error).
    #[error("malformed answer{}: {reason}{}", position(*line, *column), quoted_body(body))]
    Malformed {
        /// 1-based line of the problem in the body, when known.
        line: usize,
        /// 1-based column of the problem in the body, when known (0 = unknown).
        column: usize,
        /// What is wrong.
        reason: String,
        /// The start of the body.
        body: String,
    },
    /// The batch answer has no response with this call's id.
    #[error("the batch answer has no response for this call (id {id})")]
    MissingResponse {
        /// The id the call was sent with.
        id: u64,
    },
    /// The answer is larger than the client accepts.
    #[error("the answer is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit (`ClientOptions::max_response_bytes`).
        limit: usize,
    },
    /// The result does not have the shape the caller asked for.
    #[error("unexpected result: {reason}{}", quoted_body(body))]
    UnexpectedResult {
        /// serde_json's message (with line and column).
        reason: String,
        /// The start of the result.
        body: String,
    },
}

fn quoted_body(body: &str) -> String {
    if body.is_empty() { String::new() } else { format!(" (body starts: {body:?})") }
}

fn data_suffix(data: &Option<String>) -> String {
    data.as_deref().map(|d| format!(" (data: {d})")).unwrap_or_default()
}

fn position(line: usize, column: usize) -> String {
    if line == 0 { String::new() } else { format!(" at line {line}, column {column}") }
}

/// Messages of JSON-RPC errors that nodes send for conditions that pass (-32603 / -32000).
const TRANSIENT_MESSAGES: &[&str] = &[
    "header not found",
    "timeout",
    "timed out",
    "try again",
    "too many requests",
    "rate limit",
    "busy",
];

/// Messages nodes use instead of (or beside) -32601 for an unknown method.
const UNKNOWN_METHOD_MESSAGES: &[&str] = &[
    "method not found",
    "does not exist",
    "not available",
    "not supported",
    "unsupported method",
    "unknown method",
];

impl RpcErrorKind {
    /// Whether the same call may succeed if sent again later.
    ///
    /// Transient: connection failures, broken connections, timeouts, HTTP 408/429/502/503/504,
    /// JSON-RPC -32005 (limit exceeded) and 429, and -32603/-32000 whose message says the
    /// condition passes ("header not found", "timeout", "try again", "rate limit", "busy").
    /// Everything else is permanent: method not found (-32601), invalid params (-32602), other
    /// HTTP statuses, malformed answers.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Http { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
            Self::Rpc { code, message, .. } => match code {
                -32005 | 429 => true,
                -32603 | -32000 => {
                    let message = message.to_ascii_lowercase();
                    TRANSIENT_MESSAGES.iter().any(|m| message.contains(m))
                }
                _ => false,
            },
            Self::Setup { .. }
            | Self::Params { .. }
            | Self::Malformed { .. }
            | Self::MissingResponse { .. }
            | Self::TooLarge { .. }
            | Self::UnexpectedResult { .. } => false,
        }
    }

    /// Whether the node says it does not serve this method: JSON-RPC -32601, or a message such
    /// as "the method trace_block does not exist/is not available" (Geth sends that with
    /// -32601; some providers use -32600 / -32000 or HTTP 404/405).
    pub fn is_method_not_found(&self) -> bool {
        match self {
            Self::Rpc { code: -32601, .. } => true,
            Self::Rpc { message, .. } => {
                let message = message.to_ascii_lowercase();
                message.contains("method")
                    && UNKNOWN_METHOD_MESSAGES.iter().any(|m| message.contains(m))
            }
            Self::Http { status, .. } => matches!(status, 404 | 405 | 501),
            _ => false,
        }
    }

    /// Whether the node itself answered (an error object or an HTTP error status), as opposed
    /// to the request not getting through or the answer being unreadable.
    pub fn is_node_answer(&self) -> bool {
        matches!(self, Self::Rpc { .. } | Self::Http { .. })
    }
}

impl RpcError {
    pub(crate) fn new(url: &str, method: &str, params: &str, kind: RpcErrorKind) -> Self {
        Self(Box::new(Inner {
            url: url.to_owned(),
            method: method.to_owned(),
            params: shorten(params, PARAMS_SHOWN),
            attempts: 1,
            kind,
        }))
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.0.attempts = attempts;
        self
    }

    /// The node's URL, without user, password or query string.
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The JSON-RPC method (empty when the client itself could not be built).
    pub fn method(&self) -> &str {
        &self.0.method
    }

    /// The params as JSON text, shortened to [`PARAMS_SHOWN`] characters.
    pub fn params(&self) -> &str {
        &self.0.params
    }

    /// How many times the call was sent.
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// What went wrong.
    pub fn kind(&self) -> &RpcErrorKind {
        &self.0.kind
    }

    /// The JSON-RPC error code, when the node answered with an error object.
    pub fn rpc_code(&self) -> Option<i64> {
        match &self.0.kind {
            RpcErrorKind::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// See [`RpcErrorKind::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        self.0.kind.is_retryable()
    }

    /// See [`RpcErrorKind::is_method_not_found`].
    pub fn is_method_not_found(&self) -> bool {
        self.0.kind.is_method_not_found()
    }
}

/// `s` cut to at most `max` characters (on a character boundary), marked when cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((end, _)) => format!("{}… ({} bytes)", &s[..end], s.len()),
    }
}

/// The start of a body, for quoting in an error.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let end = body.len().min(BODY_SHOWN * 4);
    shorten(String::from_utf8_lossy(&body[..end]).trim(), BODY_SHOWN)
}

/// An error and its causes on one line (reqwest puts "connection refused" in a cause).
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(code: i64, message: &str) -> RpcErrorKind {
        RpcErrorKind::Rpc { code, message: message.to_owned(), data: None }
    }

    fn http(status: u16) -> RpcErrorKind {
        RpcErrorKind::Http { status, body: String::new(), retry_after: None }
    }

    #[test]
    fn classifies_retryable() {
        for kind in [
            RpcErrorKind::Connect { reason: "refused".into() },
            RpcErrorKind::Transport { reason: "reset".into() },
            RpcErrorKind::Timeout { after: Duration::from_secs(1) },
            http(429),
            http(502),
            http(503),
            http(504),
            rpc(-32005, "limit exceeded"),
            rpc(-32603, "header not found"),
            rpc(-32000, "request timed out"),
        ] {
            assert!(kind.is_retryable(), "{kind}");
        }
        for kind in [
            http(400),
            http(401),
            http(500),
            rpc(-32601, "Method not found"),
            rpc(-32602, "invalid params"),
            rpc(-32603, "execution reverted"),
            rpc(3, "execution reverted"),
            RpcErrorKind::Malformed { line: 1, column: 1, reason: "x".into(), body: "x".into() },
            RpcErrorKind::MissingResponse { id: 3 },
        ] {
            assert!(!kind.is_retryable(), "{kind}");
        }
    }

    #[test]
    fn classifies_method_not_found() {
        assert!(rpc(-32601, "Method not found").is_method_not_found());
        assert!(
            rpc(-32000, "the method eth_getBlockReceipts does not exist/is not available")
                .is_method_not_found()
        );
        assert!(rpc(-32600, "Unsupported method: trace_block").is_method_not_found());
        assert!(!rpc(-32000, "header not found").is_method_not_found());
        assert!(!rpc(-32602, "invalid argument 0").is_method_not_found());
        assert!(http(405).is_method_not_found());
    }

    #[test]
    fn displays_the_call() {
        let e = RpcError::new(
            "http://node:8545/",
            "eth_getBlockByNumber",
            r#"["0x10",true]"#,
            rpc(-32602, "invalid argument"),
        )
        .with_attempts(3);
        assert_eq!(
            e.to_string(),
            r#"eth_getBlockByNumber(["0x10",true]) at http://node:8545/: the node returned JSON-RPC error -32602: invalid argument (after 3 attempts)"#
        );
        assert_eq!(e.rpc_code(), Some(-32602));
    }

    #[test]
    fn shortens_on_char_boundaries() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "abc… (4 bytes)");
        assert_eq!(shorten("ééé", 2), "éé… (6 bytes)");
        assert_eq!(excerpt(b"  <html>\xff</html>  "), "<html>\u{fffd}</html>");
    }
}
