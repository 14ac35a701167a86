//! Errors: [`ApiError`] (answered to clients as a TAXII `error` resource) and [`ServerError`]
//! (returned to the caller of [`crate::serve`] and [`crate::AppState::new`]).

use crate::media::TAXII_21;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chainward_store_api::StoreError;

/// The `WWW-Authenticate` challenge sent with every 401.
pub(crate) const CHALLENGE: &str = "Basic realm=\"chainward-taxii\", charset=\"UTF-8\", \
                                    Bearer realm=\"chainward-taxii\"";

/// A failed request, answered as a TAXII 2.1 `error` resource (`title`, `description`,
/// `http_status`) with the TAXII media type.
///
/// Client errors are answered verbatim; internal errors (store failures) are logged with their
/// detail and answered with a generic message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    description: String,
    allow: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        Self { status, title, description: description.into(), allow: None }
    }

    /// 400: a malformed parameter, cursor or body.
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", description)
    }

    /// 401: no or wrong credentials.
    pub fn unauthorized(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Authentication required", description)
    }

    /// 403: the caller sees the resource but may not do this.
    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", description)
    }

    /// 404: no such resource, or one the caller may not know of.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", description)
    }

    /// 405: the method is not defined for this URL.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut error = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            format!("this endpoint accepts {allow}"),
        );
        error.allow = Some(allow);
        error
    }

    /// 406: the `Accept` header names no media type the server answers with.
    pub fn not_acceptable(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, "Not acceptable", description)
    }

    /// 413: the request body is larger than the API root's `max_content_length`.
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!("the request body exceeds this API root's max_content_length ({limit} bytes)"),
        )
    }

    /// 415: the `Content-Type` of a POST is not the TAXII media type.
    pub fn unsupported_media_type(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type", description)
    }

    /// 500: logged with its detail, answered without it.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "TAXII request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            "the server could not complete the request; the operator's log has the detail",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::internal(error)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.title, self.description)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_21));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// Errors starting or running the server, and of the admin functions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A named thing (API root, collection, organization, user) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An argument is not valid (a name, a size).
    #[error("{0}")]
    Invalid(String),
    /// Hashing a password failed.
    #[error("password hashing failed: {0}")]
    Password(String),
    /// The listener failed.
    #[error("TAXII server I/O error: {0}")]
    Io(#[from] std::io::Error),
}
