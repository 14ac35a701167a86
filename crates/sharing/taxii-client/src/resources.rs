//! The TAXII 2.1 resources (spec §2–5) as the client reads and writes them.
//!
//! Every struct keeps unknown properties in `custom`, so a server's additions (`x_…`) are not
//! lost, and every list defaults to empty: TAXII omits empty lists.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The TAXII 2.1 media type, sent in `Accept` and `Content-Type`.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";

/// `discovery` (GET `/taxii2/`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// `title` (required).
    pub title: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `contact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// `default`: the default API root's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `api_roots`: URLs (absolute, or relative to the discovery URL).
    #[serde(default)]
    pub api_roots: Vec<String>,
    /// Other properties.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// `api-root` (GET `{api-root}/`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiRoot {
    /// `title` (required).
    pub title: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `versions`: the TAXII media types the root supports.
    #[serde(default)]
    pub versions: Vec<String>,
    /// `max_content_length`: the largest request body, in bytes, the root accepts.
    pub max_content_length: u64,
    /// Other properties.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// `collections` (GET `{api-root}/collections/`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Collections {
    /// `collections` (absent when there are none).
    #[serde(default)]
    pub collections: Vec<Collection>,
}

/// `collection` (GET `{api-root}/collections/{id}/`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    /// `id`.
    pub id: String,
    /// `title`.
    pub title: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `alias`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// `can_read`.
    pub can_read: bool,
    /// `can_write`.
    pub can_write: bool,
    /// `media_types`.
    #[serde(default)]
    pub media_types: Vec<String>,
    /// Other properties.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// `envelope`: a page of objects (GET objects, GET object) and the body of POST objects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// `more`: more objects match the query than this page holds.
    #[serde(default)]
    pub more: bool,
    /// `next`: the server's cursor for the next page, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// `objects`, as JSON (parsed by the caller with `chainward-stix`, so that one bad object
    /// is reported instead of failing the page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<Value>,
}

/// `manifest` (GET `{collection}/manifest/`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `more`.
    #[serde(default)]
    pub more: bool,
    /// `next` (not in the 2.1 manifest resource, but servers send it and expect it back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// `objects`.
    #[serde(default)]
    pub objects: Vec<ManifestRecord>,
}

/// One `manifest-record`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRecord {
    /// The object's id.
    pub id: String,
    /// When the server added this version (TAXII timestamp).
    pub date_added: String,
    /// The version (`modified`, else `created`, else a server value).
    pub version: String,
    /// `media_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// `versions` (GET `{collection}/objects/{id}/versions/`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    /// `more`.
    #[serde(default)]
    pub more: bool,
    /// `next`, when the server gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// `versions`.
    #[serde(default)]
    pub versions: Vec<String>,
}

/// `status` (answer to POST objects, GET `{api-root}/status/{id}/`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// `id`.
    pub id: String,
    /// `status`: `complete` or `pending`.
    pub status: String,
    /// `request_timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timestamp: Option<String>,
    /// `total_count`.
    #[serde(default)]
    pub total_count: u64,
    /// `success_count`.
    #[serde(default)]
    pub success_count: u64,
    /// `successes`.
    #[serde(default)]
    pub successes: Vec<StatusDetails>,
    /// `failure_count`.
    #[serde(default)]
    pub failure_count: u64,
    /// `failures`.
    #[serde(default)]
    pub failures: Vec<StatusDetails>,
    /// `pending_count`.
    #[serde(default)]
    pub pending_count: u64,
    /// `pendings`.
    #[serde(default)]
    pub pendings: Vec<StatusDetails>,
}

impl Status {
    /// Whether the server has finished with every object.
    pub fn is_complete(&self) -> bool {
        self.status == "complete"
    }
}

/// One `status-details`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDetails {
    /// The object's id.
    pub id: String,
    /// The object's version.
    #[serde(default)]
    pub version: String,
    /// The server's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `error` (the body of a 4xx/5xx, when the server sends one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// `title` (required).
    pub title: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `error_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// `error_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `http_status` (a string in the spec; some servers send a number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<Value>,
    /// `external_details`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_details: Option<String>,
    /// `details`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// The `X-TAXII-Date-Added-First` / `-Last` headers of a manifest, objects, object or
/// versions answer, verbatim (the server's own spelling is what it expects back in
/// `added_after`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DateAddedRange {
    /// `X-TAXII-Date-Added-First`.
    pub first: Option<String>,
    /// `X-TAXII-Date-Added-Last`.
    pub last: Option<String>,
}

/// An answer with its date-added headers.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The resource.
    pub body: T,
    /// The headers.
    pub date_added: DateAddedRange,
}
