//! Where alerts go once stored: stdout (JSON lines), a webhook, a NATS JetStream subject.
//!
//! Delivery reads the store's outbox (alerts numbered in storage order) from each sink's last
//! delivered number, so an unreachable webhook or NATS server delays its own deliveries and
//! nothing else, and no alert is lost: the sink is retried with backoff and resumes where it
//! stopped, across restarts too. Delivery is at least once; every message carries the alert's
//! stable key for deduplication (JetStream `Nats-Msg-Id`, HTTP `Idempotency-Key`).
//!
//! A webhook given a secret signs each body, so its receiver can tell our alerts from anyone
//! else's POSTs: `Chainward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
//! (the scheme Stripe and others use; the time stamp bounds replays). [`verify_signature`] is
//! the receiver's check.

use chainward_store_api::{AlertFilter, AlertRecord, AlertStore};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The JetStream stream alerts are published to.
pub const ALERTS_STREAM: &str = "CHAINWARD_ALERTS";
/// The subject prefix of alert messages: `chainward.alerts.<network>.<severity>`.
pub const ALERTS_SUBJECT: &str = "chainward.alerts";

/// A sink as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SinkSpec {
    /// One JSON object per line on standard output.
    Stdout,
    /// `POST` of each alert as JSON to a URL, signed when there is a secret.
    Webhook {
        /// Where to post.
        url: String,
        /// The signing secret (never on the command line: see [`SinkSpec::with_webhook_secret`]).
        secret: Option<WebhookSecret>,
    },
    /// Publication to `chainward.alerts.<network>.<severity>` on a NATS server with JetStream.
    Nats(String),
}

/// A webhook's signing secret; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// The shortest secret accepted (bytes): 128 bits of a random hex or base64 string.
    pub const MIN_LEN: usize = 16;

    /// A secret of at least [`Self::MIN_LEN`] bytes.
    ///
    /// # Errors
    /// A shorter secret, named by length only.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, String> {
        let secret = secret.into();
        if secret.len() < Self::MIN_LEN {
            return Err(format!(
                "the webhook secret has {} bytes; use at least {} (e.g. `openssl rand -hex 32`)",
                secret.len(),
                Self::MIN_LEN
            ));
        }
        Ok(Self(secret))
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length")
    }

    /// The `Chainward-Signature` header value for `body` sent at `unix_seconds`.
    pub fn sign(&self, unix_seconds: i64, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(format!("{unix_seconds}.").as_bytes());
        mac.update(body);
        let tag = mac.finalize().into_bytes();
        format!("t={unix_seconds},v1={}", data_encoding::HEXLOWER.encode(&tag))
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// The header a signed webhook carries.
pub const SIGNATURE_HEADER: &str = "Chainward-Signature";

/// Why a webhook signature was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
    #[error("malformed {SIGNATURE_HEADER} header: {0}")]
    Malformed(String),
    /// The time stamp is further than the tolerance from now (a replay, or a wrong clock).
    #[error("the signature is {0} s away from now, beyond the tolerance")]
    Stale(i64),
    /// No `v1` matches the body under this secret.
    #[error("no v1 signature matches the body")]
    Mismatch,
}

/// The receiver's check of a signed webhook: `header` is the `Chainward-Signature` value,
/// `body` the raw request body, `now_unix` the receiver's clock, `tolerance_seconds` how far
/// the time stamp may be from it (300 is usual). Several `v1` values (a secret being rotated)
/// pass when any matches; the comparison takes constant time.
///
/// # Errors
/// [`SignatureError`] naming why the request is not ours.
pub fn verify_signature(
    secret: &WebhookSecret,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_seconds: i64,
) -> Result<(), SignatureError> {
    let mut time = None;
    let mut tags = Vec::new();
    for part in header.split(',').map(str::trim) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed(format!("{part:?} is not key=value")))?;
        match key {
            "t" => {
                let t = value.parse::<i64>().map_err(|_| {
                    SignatureError::Malformed(format!("t={value:?} is not a unix time"))
                })?;
                time = Some(t);
            }
            "v1" => {
                tags.push(data_encoding::HEXLOWER_PERMISSIVE.decode(value.as_bytes()).map_err(
                    |_| SignatureError::Malformed(format!("v1={value:?} is not hexadecimal")),
                )?)
            }
            // Later schemes may add their own keys; they are not ours to judge.
            _ => {}
        }
    }
    let time = time.ok_or_else(|| SignatureError::Malformed("no t= time stamp".into()))?;
    if tags.is_empty() {
        return Err(SignatureError::Malformed("no v1= signature".into()));
    }
    let skew = now_unix.saturating_sub(time);
    if skew.saturating_abs() > tolerance_seconds {
        return Err(SignatureError::Stale(skew));
    }
    let matches = |tag: &Vec<u8>| {
        let mut mac = secret.mac();
        mac.update(format!("{time}.").as_bytes());
        mac.update(body);
        mac.verify_slice(tag).is_ok()
    };
    if tags.iter().any(matches) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

impl SinkSpec {
    /// The spec with `secret` set on a webhook (other sinks are unchanged).
    #[must_use]
    pub fn with_webhook_secret(self, secret: Option<&WebhookSecret>) -> Self {
        match self {
            Self::Webhook { url, .. } => Self::Webhook { url, secret: secret.cloned() },
            other => other,
        }
    }

    /// The name its delivery position is stored under (a webhook's secret is not part of it,
    /// so rotating the secret does not resend anything).
    pub fn position_key(&self) -> String {
        match self {
            Self::Stdout => "stdout".to_owned(),
            Self::Webhook { url, .. } => format!("webhook:{url}"),
            Self::Nats(url) => format!("nats:{url}"),
        }
    }
}

impl FromStr for SinkSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, target) = text.split_once('=').unwrap_or((text, ""));
        let url = |scheme_ok: &[&str]| {
            if target.is_empty() {
                return Err(format!("sink {kind:?} needs a URL: {kind}=URL"));
            }
            if !scheme_ok.iter().any(|s| target.starts_with(s)) {
                return Err(format!(
                    "sink {kind}: {target:?} is not a URL starting with {}",
                    scheme_ok.join(" or ")
                ));
            }
            Ok(target.to_owned())
        };
        match kind {
            "stdout" if target.is_empty() => Ok(Self::Stdout),
            "webhook" => Ok(Self::Webhook { url: url(&["http://", "https://"])?, secret: None }),
            "nats" => Ok(Self::Nats(url(&["nats://", "tls://"])?)),
            _ => Err(format!(
                "unknown sink {text:?}: use stdout, webhook=http(s)://…, or nats=nats://host:port"
            )),
        }
    }
}

/// Why a delivery failed (it is retried).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The receiver could not be reached or refused the alert.
    #[error("{sink}: {message}")]
    Delivery {
        /// The sink.
        sink: String,
        /// What went wrong.
        message: String,
    },
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] chainward_store_api::StoreError),
}

/// An alert as sinks send it: the stored record with its evidence as a JSON object.
pub fn alert_json(record: &AlertRecord) -> Value {
    let mut value = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        let evidence = serde_json::from_str(&record.alert.evidence)
            .unwrap_or(Value::String(record.alert.evidence.clone()));
        object.insert("evidence".to_owned(), evidence);
        object.insert("block_hash".to_owned(), Value::String(record.alert.block.hash.to_string()));
    }
    value
}

/// A connected sink.
#[derive(Debug)]
enum Sink {
    Stdout,
    Webhook { url: String, secret: Option<WebhookSecret>, client: reqwest::Client },
    Nats { url: String, jetstream: Option<Box<async_nats::jetstream::Context>> },
}

impl Sink {
    fn new(spec: &SinkSpec) -> Result<Self, SinkError> {
        Ok(match spec {
            SinkSpec::Stdout => Self::Stdout,
            SinkSpec::Webhook { url, secret } => {
                Self::Webhook { url: url.clone(), secret: secret.clone(), client: http_client()? }
            }
            SinkSpec::Nats(url) => Self::Nats { url: url.clone(), jetstream: None },
        })
    }

    fn error(&self, message: impl std::fmt::Display) -> SinkError {
        let sink = match self {
            Self::Stdout => "stdout".to_owned(),
            Self::Webhook { url, .. } => format!("webhook {url}"),
            Self::Nats { url, .. } => format!("nats {url}"),
        };
        SinkError::Delivery { sink, message: message.to_string() }
    }

    /// Sends alerts in order; returns how many were delivered before the first failure.
    async fn deliver(&mut self, alerts: &[AlertRecord]) -> (usize, Option<SinkError>) {
        for (done, alert) in alerts.iter().enumerate() {
            if let Err(e) = self.deliver_one(alert).await {
                return (done, Some(e));
            }
        }
        (alerts.len(), None)
    }

    async fn deliver_one(&mut self, alert: &AlertRecord) -> Result<(), SinkError> {
        let body = alert_json(alert);
        match self {
            Self::Stdout => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{body}").and_then(|()| out.flush()).map_err(|e| self.error(e))
            }
            Self::Webhook { url, secret, client } => {
                // Signed as sent: the receiver checks the bytes it gets.
                let bytes = body.to_string().into_bytes();
                let mut request = client
                    .post(url.as_str())
                    .header("Idempotency-Key", &alert.alert.key)
                    .header(reqwest::header::CONTENT_TYPE, "application/json");
                if let Some(secret) = secret {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64);
                    request = request.header(SIGNATURE_HEADER, secret.sign(now, &bytes));
                }
                let response = request.body(bytes).send().await;
                match response {
                    Ok(r) if r.status().is_success() => Ok(()),
                    Ok(r) => Err(self.error(format!("answered HTTP {}", r.status()))),
                    Err(e) => Err(self.error(e)),
                }
            }
            Self::Nats { url, jetstream } => {
                let js = match jetstream {
                    Some(js) => (**js).clone(),
                    None => {
                        let js = alert_stream(url).await.map_err(|e| SinkError::Delivery {
                            sink: format!("nats {url}"),
                            message: e,
                        })?;
                        *jetstream = Some(Box::new(js.clone()));
                        js
                    }
                };
                let subject = format!(
                    "{ALERTS_SUBJECT}.{}.{}",
                    subject_token(&alert.network),
                    alert.alert.severity
                );
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Nats-Msg-Id", alert.alert.key.as_str());
                let payload = body.to_string().into_bytes();
                let published = js.publish_with_headers(subject, headers, payload.into()).await;
                let result = match published {
                    Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                result.map_err(|e| {
                    // Reconnect next time: the context may be stale.
                    *jetstream = None;
                    SinkError::Delivery { sink: format!("nats {url}"), message: e }
                })
            }
        }
    }
}

/// A NATS subject token: no dots, spaces or wildcards.
pub fn subject_token(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

async fn alert_stream(url: &str) -> Result<async_nats::jetstream::Context, String> {
    let client = async_nats::connect(url).await.map_err(|e| format!("cannot connect: {e}"))?;
    let js = async_nats::jetstream::new(client);
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: ALERTS_STREAM.to_owned(),
        subjects: vec![format!("{ALERTS_SUBJECT}.>")],
        // A resend after a crash between publication and the position update is dropped by
        // the server when it falls inside this window.
        duplicate_window: Duration::from_secs(3600),
        ..Default::default()
    })
    .await
    .map_err(|e| format!("cannot create or open stream {ALERTS_STREAM}: {e}"))?;
    Ok(js)
}

/// The one place HTTP clients are built (rustls needs its provider installed first).
fn http_client() -> Result<reqwest::Client, SinkError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SinkError::Delivery { sink: "webhook".to_owned(), message: e.to_string() })
}

/// What delivery did, for logs and tests.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DeliveryStats {
    /// Alerts delivered per sink (position key, count).
    pub delivered: Vec<(String, u64)>,
    /// Failed attempts (each retried later).
    pub failures: u64,
}

/// Delivers stored alerts to sinks until `stop` is set, waking on `wake` (sent after each
/// stored block) or every second. On stop it makes one last pass, so alerts stored before the
/// stop are delivered when the sinks are reachable.
///
/// # Errors
/// A sink that cannot be set up (a bad URL); store errors. Unreachable receivers are not
/// errors: they are retried with backoff up to 30 s between attempts.
pub fn run_delivery(
    store: &mut dyn AlertStore,
    specs: &[SinkSpec],
    wake: &Receiver<()>,
    stop: &Arc<AtomicBool>,
) -> Result<DeliveryStats, SinkError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SinkError::Delivery { sink: "delivery".into(), message: e.to_string() })?;
    let mut sinks: Vec<(String, Sink, Backoff)> = specs
        .iter()
        .map(|spec| Ok((spec.position_key(), Sink::new(spec)?, Backoff::default())))
        .collect::<Result<_, SinkError>>()?;
    let mut stats = DeliveryStats {
        delivered: sinks.iter().map(|(k, _, _)| (k.clone(), 0)).collect(),
        failures: 0,
    };
    loop {
        let stopping = stop.load(Ordering::Acquire);
        for (index, (key, sink, backoff)) in sinks.iter_mut().enumerate() {
            if !stopping && !backoff.ready() {
                continue;
            }
            loop {
                let position = store.sink_position(key)?;
                let batch = store.alerts(&AlertFilter {
                    after_id: Some(position),
                    limit: Some(256),
                    ..AlertFilter::default()
                })?;
                if batch.is_empty() {
                    break;
                }
                let (done, failure) = runtime.block_on(sink.deliver(&batch));
                if done > 0 {
                    store.set_sink_position(key, batch[done - 1].id)?;
                    stats.delivered[index].1 += done as u64;
                }
                if let Some(e) = failure {
                    stats.failures += 1;
                    let wait = backoff.fail();
                    tracing::warn!(sink = %key, error = %e, retry_in_ms = wait.as_millis() as u64, "alert delivery failed");
                    break;
                }
                backoff.succeed();
            }
        }
        if stopping {
            return Ok(stats);
        }
        match wake.recv_timeout(Duration::from_secs(1)) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => stop.store(true, Ordering::Release),
        }
    }
}

/// Exponential backoff between failed attempts: 0.5 s doubling to 30 s.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
    next: Option<Instant>,
}

impl Backoff {
    fn ready(&self) -> bool {
        self.next.is_none_or(|t| Instant::now() >= t)
    }

    fn fail(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let wait = Duration::from_millis(500u64.saturating_mul(1 << self.failures.min(6)) / 2)
            .min(Duration::from_secs(30));
        self.next = Some(Instant::now() + wait);
        wait
    }

    fn succeed(&mut self) {
        self.failures = 0;
        self.next = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_specs_parse_and_name_what_is_wrong() {
        assert_eq!("stdout".parse::<SinkSpec>(), Ok(SinkSpec::Stdout));
        assert_eq!(
            "webhook=http://127.0.0.1:9/x".parse::<SinkSpec>(),
            Ok(SinkSpec::Webhook { url: "http://127.0.0.1:9/x".into(), secret: None })
        );
        assert_eq!(
            "nats=nats://127.0.0.1:4222".parse::<SinkSpec>(),
            Ok(SinkSpec::Nats("nats://127.0.0.1:4222".into()))
        );
        let e = "webhook".parse::<SinkSpec>().unwrap_err();
        assert!(e.contains("needs a URL"), "{e}");
        let e = "webhook=ftp://x".parse::<SinkSpec>().unwrap_err();
        assert!(e.contains("not a URL"), "{e}");
        let e = "kafka=x".parse::<SinkSpec>().unwrap_err();
        assert!(e.contains("unknown sink"), "{e}");
    }

    #[test]
    fn webhook_signatures_match_python_hmac_and_refuse_what_is_not_ours() {
        let secret = WebhookSecret::new("0123456789abcdef").unwrap();
        let body = br#"{"a":1}"#;
        let header = secret.sign(1_700_000_000, body);
        // hmac.new(b"0123456789abcdef", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
        assert_eq!(
            header,
            "t=1700000000,v1=9eb18f493f8ec135d9eb2dad817c369bb4e9cbfa818657897a7437c1cd8c3a23"
        );
        let now = 1_700_000_100;
        assert_eq!(verify_signature(&secret, &header, body, now, 300), Ok(()));
        let tampered = br#"{"a":2}"#;
        assert_eq!(
            verify_signature(&secret, &header, tampered, now, 300),
            Err(SignatureError::Mismatch)
        );
        let other = WebhookSecret::new("fedcba9876543210").unwrap();
        assert_eq!(
            verify_signature(&other, &header, body, now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&secret, &header, body, now + 3600, 300),
            Err(SignatureError::Stale(3700))
        );
        // A secret being rotated: either signature passes.
        let both = format!("{},v1={}", other.sign(1_700_000_000, body), &header[16..]);
        assert_eq!(verify_signature(&secret, &both, body, now, 300), Ok(()));
        for (bad, why) in [
            ("v1=00", "no t="),
            ("t=1700000000", "no v1="),
            ("t=yesterday,v1=00", "not a unix time"),
            ("t=1700000000,v1=zz", "not hexadecimal"),
            ("t1700000000,v1=00", "not key=value"),
        ] {
            let e = verify_signature(&secret, bad, body, now, 300).unwrap_err();
            assert!(
                matches!(e, SignatureError::Malformed(_)) && e.to_string().contains(why),
                "{e}"
            );
        }
        let short = WebhookSecret::new("short").unwrap_err();
        assert!(short.contains("5 bytes") && short.contains("at least 16"), "{short}");
        assert_eq!(format!("{secret:?}"), "WebhookSecret(…)", "Debug hides the secret");
    }

    proptest::proptest! {
        /// Any header and body get an answer, never a panic; only the right tag passes.
        #[test]
        fn signature_checks_never_panic(
            header in "(t=-?[0-9]{0,20}|v1=[0-9a-fA-F]{0,70}|[a-z0-9=]{0,8})(,(t=-?[0-9]{0,20}|v1=[0-9a-fA-F]{0,70}| ?[^,]{0,12})){0,4}",
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            now in proptest::prelude::any::<i64>(),
        ) {
            let secret = WebhookSecret::new("0123456789abcdef").unwrap();
            let verdict = verify_signature(&secret, &header, &body, now, 300);
            if verdict.is_ok() {
                // Passing without the secret would mean a forged tag: it must be ours.
                let t: i64 = header
                    .split(',')
                    .filter_map(|p| p.trim().strip_prefix("t="))
                    .next_back()
                    .and_then(|t| t.parse().ok())
                    .unwrap();
                let signed = secret.sign(t, &body);
                let tag = signed.split_once("v1=").unwrap().1;
                proptest::prop_assert!(header.to_ascii_lowercase().contains(tag));
            }
            let signed = secret.sign(now.clamp(-1_000_000_000_000, 1_000_000_000_000), &body);
            let at = now.clamp(-1_000_000_000_000, 1_000_000_000_000);
            proptest::prop_assert_eq!(verify_signature(&secret, &signed, &body, at, 0), Ok(()));
        }
    }

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        let mut b = Backoff::default();
        let waits: Vec<_> = (0..10).map(|_| b.fail().as_millis()).collect();
        assert_eq!(waits[..4], [500, 1000, 2000, 4000]);
        assert!(waits.iter().all(|w| *w <= 30_000));
        b.succeed();
        assert!(b.ready());
    }

    #[test]
    fn subject_tokens_have_no_separators() {
        assert_eq!(subject_token("evm-1"), "evm-1");
        assert_eq!(subject_token("a.b c*>"), "a_b_c__");
    }
}
