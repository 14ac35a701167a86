//! The TAXII 2.1 HTTP client: one method per endpoint, retries, bounded reads.

use crate::TaxiiError;
use crate::query::{CollectionAddress, ObjectQuery, api_root_url, join};
use crate::resources::{
    ApiRoot, Collection, Collections, DateAddedRange, Discovery, Envelope, ErrorBody, Manifest,
    Page, Status, TAXII_MEDIA_TYPE, Versions,
};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// How the client authenticates.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// HTTP Basic (every TAXII client must support it, spec §1.6.9).
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a secret.
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Self::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// Retries of transient failures: 429, 5xx (GET and DELETE; POST only on 429 and 503, which
/// say the request was not processed), connection errors and timeouts (POST: only when the
/// connection could not be made).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 4).
    pub max_retries: u32,
    /// The first wait; doubled each retry, with jitter (default 250 ms).
    pub base_delay: Duration,
    /// The longest wait, also the cap on a server's `Retry-After` (default 10 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// How long to follow a `pending` status after POST objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusPolicy {
    /// Status reads at most (default 30).
    pub max_polls: u32,
    /// The first wait between reads; doubled up to `max_interval` (default 200 ms).
    pub interval: Duration,
    /// The longest wait between reads (default 5 s).
    pub max_interval: Duration,
}

impl Default for StatusPolicy {
    fn default() -> Self {
        Self {
            max_polls: 30,
            interval: Duration::from_millis(200),
            max_interval: Duration::from_secs(5),
        }
    }
}

/// The client's settings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Credentials.
    pub auth: Auth,
    /// The timeout of one request, answer included (default 60 s).
    pub timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Status polling after POST objects.
    pub status: StatusPolicy,
    /// The largest answer read, in bytes (default 256 MiB).
    pub max_response_bytes: usize,
    /// The most pages one paged read follows (default 100,000).
    pub max_pages: u32,
    /// PEM certificate authorities trusted besides the system's roots (a partner's private
    /// CA); each entry may hold several certificates. Default: none.
    pub extra_roots_pem: Vec<Vec<u8>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            auth: Auth::None,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            status: StatusPolicy::default(),
            max_response_bytes: 256 << 20,
            max_pages: 100_000,
            extra_roots_pem: Vec::new(),
        }
    }
}

impl ClientConfig {
    /// The defaults with these credentials.
    pub fn with_auth(auth: Auth) -> Self {
        Self { auth, ..Self::default() }
    }
}

/// Builds the HTTP client: the one place this crate makes a `reqwest::Client`.
///
/// It installs rustls' ring provider first (reqwest is built with `rustls-no-provider`, whose
/// builder panics without one; a second install returns `Err`, which is ignored).
///
/// # Errors
/// [`TaxiiError::Transport`] when reqwest cannot build the client.
pub fn build_http_client(config: &ClientConfig) -> Result<reqwest::Client, TaxiiError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let failed = |message: String| TaxiiError::Transport {
        method: String::new(),
        url: String::new(),
        message,
        timed_out: false,
    };
    let mut builder = reqwest::Client::builder();
    for pem in &config.extra_roots_pem {
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| failed(format!("a trusted CA certificate is not valid PEM: {e}")))?;
        if certificates.is_empty() {
            return Err(failed("a trusted CA file holds no certificate".into()));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("chainward-taxii-client/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failed(format!("cannot build the HTTP client: {e}")))
}

/// A TAXII 2.1 client. Cheap to clone (clones share the connection pool).
///
/// Every request sends `Accept: application/taxii+json;version=2.1` (medallion answers 406 to
/// the bare `application/taxii+json`), POST sends the same `Content-Type`, and every error
/// carries the server's TAXII `error` resource when it sent one.
#[derive(Clone, Debug)]
pub struct TaxiiClient {
    http: reqwest::Client,
    config: ClientConfig,
}

/// One answer read whole.
struct Answer {
    headers: HeaderMap,
    body: Vec<u8>,
    url: String,
}

impl TaxiiClient {
    /// A client with these settings.
    ///
    /// # Errors
    /// As [`build_http_client`].
    pub fn new(config: ClientConfig) -> Result<Self, TaxiiError> {
        Ok(Self { http: build_http_client(&config)?, config })
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// GET discovery (`https://host/taxii2/`).
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn discovery(&self, url: &str) -> Result<Discovery, TaxiiError> {
        let url = api_root_url(url)?;
        self.get_json(url, "discovery").await.map(|p| p.body)
    }

    /// The API roots of a discovery resource as absolute URLs (relative ones are resolved
    /// against the discovery URL), the default first.
    ///
    /// # Errors
    /// [`TaxiiError::Url`] for a URL that does not resolve.
    pub fn api_root_urls(
        discovery_url: &str,
        discovery: &Discovery,
    ) -> Result<Vec<Url>, TaxiiError> {
        let base = api_root_url(discovery_url)?;
        let mut urls = Vec::new();
        for text in discovery.default.iter().chain(&discovery.api_roots) {
            let url = api_root_url(join(&base, text)?.as_str())?;
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        Ok(urls)
    }

    /// GET an API root's information (title, versions, `max_content_length`).
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn api_root(&self, api_root: &str) -> Result<ApiRoot, TaxiiError> {
        let url = api_root_url(api_root)?;
        self.get_json(url, "api-root").await.map(|p| p.body)
    }

    /// GET the collections of an API root.
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn collections(&self, api_root: &str) -> Result<Vec<Collection>, TaxiiError> {
        let url = join(&api_root_url(api_root)?, "collections/")?;
        let page: Page<Collections> = self.get_json(url, "collections").await?;
        Ok(page.body.collections)
    }

    /// GET one collection.
    ///
    /// # Errors
    /// Any [`TaxiiError`] (404 for an unknown collection).
    pub async fn collection(
        &self,
        collection: &CollectionAddress,
    ) -> Result<Collection, TaxiiError> {
        self.get_json(collection.url("")?, "collection").await.map(|p| p.body)
    }

    /// GET one page of a collection's objects.
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn objects(
        &self,
        collection: &CollectionAddress,
        query: &ObjectQuery,
    ) -> Result<Page<Envelope>, TaxiiError> {
        let mut url = collection.url("objects/")?;
        query.apply(&mut url);
        self.get_json(url, "envelope").await
    }

    /// GET one page of a collection's manifest.
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn manifest(
        &self,
        collection: &CollectionAddress,
        query: &ObjectQuery,
    ) -> Result<Page<Manifest>, TaxiiError> {
        let mut url = collection.url("manifest/")?;
        query.apply(&mut url);
        self.get_json(url, "manifest").await
    }

    /// GET one object (its versions as `query.versions` selects; the latest by default).
    ///
    /// # Errors
    /// Any [`TaxiiError`] (404 when the collection does not hold it).
    pub async fn object(
        &self,
        collection: &CollectionAddress,
        object_id: &str,
        query: &ObjectQuery,
    ) -> Result<Page<Envelope>, TaxiiError> {
        let mut url = collection.object_url(object_id, "")?;
        query.apply(&mut url);
        self.get_json(url, "envelope").await
    }

    /// DELETE an object (the versions `query.versions` / `query.spec_versions` select; all by
    /// default).
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn delete_object(
        &self,
        collection: &CollectionAddress,
        object_id: &str,
        query: &ObjectQuery,
    ) -> Result<(), TaxiiError> {
        let mut url = collection.object_url(object_id, "")?;
        query.apply(&mut url);
        self.send(Method::DELETE, url, None).await.map(|_| ())
    }

    /// GET the versions of an object.
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn versions(
        &self,
        collection: &CollectionAddress,
        object_id: &str,
        query: &ObjectQuery,
    ) -> Result<Page<Versions>, TaxiiError> {
        let mut url = collection.object_url(object_id, "versions/")?;
        query.apply(&mut url);
        self.get_json(url, "versions").await
    }

    /// GET a status.
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn status(&self, api_root: &str, status_id: &str) -> Result<Status, TaxiiError> {
        if status_id.is_empty() || !status_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(TaxiiError::Url(format!("'{status_id}' is not a status id")));
        }
        let url = join(&api_root_url(api_root)?, &format!("status/{status_id}/"))?;
        self.get_json(url, "status").await.map(|p| p.body)
    }

    /// POST objects in one envelope and return the server's first status (not followed: see
    /// [`TaxiiClient::add_objects_and_wait`]).
    ///
    /// # Errors
    /// Any [`TaxiiError`] (413 when the body is over `max_content_length`).
    pub async fn add_objects(
        &self,
        collection: &CollectionAddress,
        objects: &[Value],
    ) -> Result<Status, TaxiiError> {
        let body =
            envelope_bytes(objects.iter().map(|o| serde_json::to_vec(o).unwrap_or_default()));
        self.post_envelope(collection, body).await
    }

    pub(crate) async fn post_envelope(
        &self,
        collection: &CollectionAddress,
        body: Vec<u8>,
    ) -> Result<Status, TaxiiError> {
        let url = collection.url("objects/")?;
        let answer = self.send(Method::POST, url, Some(body)).await?;
        decode(&answer, "status")
    }

    /// POST objects and follow the status until it is `complete`, at most
    /// [`StatusPolicy::max_polls`] reads; a status still pending then is returned as it is.
    ///
    /// # Errors
    /// Any [`TaxiiError`].
    pub async fn add_objects_and_wait(
        &self,
        collection: &CollectionAddress,
        objects: &[Value],
    ) -> Result<Status, TaxiiError> {
        let status = self.add_objects(collection, objects).await?;
        self.wait_for_status(collection.api_root().as_str(), status).await
    }

    /// Follows a status until `complete` or the poll budget is spent.
    ///
    /// # Errors
    /// Any [`TaxiiError`] of a status read.
    pub async fn wait_for_status(
        &self,
        api_root: &str,
        mut status: Status,
    ) -> Result<Status, TaxiiError> {
        let policy = &self.config.status;
        let mut interval = policy.interval;
        let mut polls = 0;
        while !status.is_complete() && polls < policy.max_polls {
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(policy.max_interval);
            status = self.status(api_root, &status.id).await?;
            polls += 1;
        }
        if !status.is_complete() {
            tracing::warn!(status_id = %status.id, polls, pending = status.pending_count, "TAXII status still pending");
        }
        Ok(status)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        resource: &'static str,
    ) -> Result<Page<T>, TaxiiError> {
        let answer = self.send(Method::GET, url, None).await?;
        let date_added = DateAddedRange {
            first: header(&answer.headers, "x-taxii-date-added-first"),
            last: header(&answer.headers, "x-taxii-date-added-last"),
        };
        Ok(Page { body: decode(&answer, resource)?, date_added })
    }

    /// Sends a request with retries and reads the answer whole (bounded).
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, TaxiiError> {
        let shown = shown_url(&url);
        let policy = &self.config.retry;
        let mut attempt = 0;
        loop {
            let mut request =
                self.http.request(method.clone(), url.clone()).header(ACCEPT, TAXII_MEDIA_TYPE);
            request = match &self.config.auth {
                Auth::None => request,
                Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
                Auth::Bearer(token) => request.bearer_auth(token),
            };
            if let Some(body) = &body {
                request = request.header(CONTENT_TYPE, TAXII_MEDIA_TYPE).body(body.clone());
            }
            let is_post = method == Method::POST;
            let retry_after;
            match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let read = self.read_body(response).await;
                    if status.is_success() {
                        let body = read.map_err(|message| TaxiiError::Transport {
                            method: method.to_string(),
                            url: shown.clone(),
                            message,
                            timed_out: false,
                        })?;
                        return Ok(Answer { headers, body, url: shown });
                    }
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::SERVICE_UNAVAILABLE
                        || (!is_post && status.is_server_error());
                    if !retryable || attempt >= policy.max_retries {
                        return Err(http_error(&method, &shown, status, &read.unwrap_or_default()));
                    }
                    retry_after = header(&headers, RETRY_AFTER.as_str())
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    tracing::debug!(url = %shown, status = status.as_u16(), attempt, "TAXII request retried");
                }
                Err(error) => {
                    let retryable = error.is_connect()
                        || (!is_post && (error.is_timeout() || error.is_request()));
                    if !retryable || attempt >= policy.max_retries {
                        return Err(TaxiiError::Transport {
                            method: method.to_string(),
                            url: shown,
                            message: error_chain(&error),
                            timed_out: error.is_timeout(),
                        });
                    }
                    retry_after = None;
                    tracing::debug!(url = %shown, error = %error, attempt, "TAXII request retried");
                }
            }
            let backoff = policy.base_delay.saturating_mul(1 << attempt.min(16));
            let wait = retry_after.unwrap_or_else(|| jitter(backoff)).min(policy.max_delay);
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, String> {
        let max = self.config.max_response_bytes;
        if response.content_length().is_some_and(|len| len > max as u64) {
            return Err(format!("answer larger than {max} bytes"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| error_chain(&e))? {
            if body.len() + chunk.len() > max {
                return Err(format!("answer larger than {max} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// `{"objects":[…]}` from serialized objects.
pub(crate) fn envelope_bytes(objects: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut body = b"{\"objects\":[".to_vec();
    for (i, object) in objects.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&object);
    }
    body.extend_from_slice(b"]}");
    body
}

fn decode<T: DeserializeOwned>(answer: &Answer, resource: &'static str) -> Result<T, TaxiiError> {
    serde_json::from_slice(&answer.body).map_err(|e| TaxiiError::Decode {
        url: answer.url.clone(),
        resource,
        message: e.to_string(),
    })
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn http_error(method: &Method, url: &str, status: StatusCode, body: &[u8]) -> TaxiiError {
    let error = serde_json::from_slice::<ErrorBody>(body).ok().map(Box::new);
    let text = if error.is_some() {
        String::new()
    } else {
        let text = String::from_utf8_lossy(body);
        let text: String = text.chars().take(300).collect();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    TaxiiError::Http {
        method: method.to_string(),
        url: url.to_owned(),
        status: status.as_u16(),
        error,
        body: text,
    }
}

/// The URL without user, password or query string, for messages and logs.
fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// `delay` scaled by a factor in [0.5, 1.0), so that clients retrying together spread out.
fn jitter(delay: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let factor = 0.5 + f64::from(nanos % 1000) / 2000.0;
    delay.mul_f64(factor)
}
