//! The TAXII 2.1 part of the store: API roots, collections, the object versions they hold,
//! organizations, users, API tokens, rights and add-objects status resources.
//!
//! The TAXII server (`chainward-taxii-server`) speaks only to [`TaxiiStore`]; it decides who
//! may see what (authentication, rights, TLP) and the store answers the questions it is asked
//! with that decision built into the query, so that filtering happens **before** paging:
//! [`TaxiiStore::taxii_query_objects`] never returns, counts or pages over a version the
//! [`Viewer`] may not see.
//!
//! Order and paging: every version has a `date_added` (microseconds since the Unix epoch,
//! assigned by the store, never decreasing inside a collection) and a row id; pages follow
//! `(date_added, row id)` ascending and a [`Position`] is the last pair a page returned, so a
//! page costs what it returns (an index on `(collection, date_added, id)`), whatever the depth.

use crate::StoreError;
use serde::Serialize;

/// An API root as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiRootRow {
    /// Store id.
    pub id: i64,
    /// Path segment (`/{name}/`): letters, digits, `-` and `_`.
    pub name: String,
    /// Title (required by TAXII).
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Largest request body accepted, in bytes (advertised as `max_content_length`).
    pub max_content_length: u64,
}

/// An API root to create.
#[derive(Clone, Debug)]
pub struct NewApiRoot {
    /// Path segment.
    pub name: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_content_length: u64,
}

/// A collection as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CollectionRow {
    /// Store id.
    pub id: i64,
    /// The API root it belongs to.
    pub api_root_id: i64,
    /// The TAXII collection id (a UUID, lowercase).
    pub uuid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Alias (unique inside its API root), usable in URLs instead of the id.
    pub alias: Option<String>,
}

/// A collection to create.
#[derive(Clone, Debug)]
pub struct NewCollection {
    /// The API root it belongs to.
    pub api_root_id: i64,
    /// The TAXII collection id (a UUID, lowercase).
    pub uuid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Alias.
    pub alias: Option<String>,
}

/// An organization (an agency, a company): the unit rights and TLP audiences are given to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrganizationRow {
    /// Store id.
    pub id: i64,
    /// Unique name.
    pub name: String,
}

/// A user of the TAXII server, member of one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserRow {
    /// Store id.
    pub id: i64,
    /// Unique login name (HTTP Basic user name).
    pub name: String,
    /// The organization.
    pub org_id: i64,
    /// The organization's name.
    pub org_name: String,
    /// Argon2 PHC string of the password; `None`: HTTP Basic is refused for this user.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// Whether the user may write at all (a read-only user never writes, whatever the
    /// organization's rights).
    pub can_write: bool,
    /// A disabled user is refused.
    pub disabled: bool,
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Unique login name.
    pub name: String,
    /// The organization.
    pub org_id: i64,
    /// Argon2 PHC string, or `None` for token-only users.
    pub password_hash: Option<String>,
    /// Whether the user may write.
    pub can_write: bool,
}

/// What an organization may do with one collection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Rights {
    /// May read objects (subject to TLP).
    pub read: bool,
    /// May add objects (and, with `read`, delete its own).
    pub write: bool,
    /// The collection shares TLP:AMBER with this organization.
    pub amber: bool,
}

/// The TLP level of an object version, from its markings (most restrictive wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Tlp {
    /// No TLP marking: served like TLP:CLEAR.
    None,
    /// TLP:CLEAR (or TLP 1.0 WHITE).
    Clear,
    /// TLP:GREEN.
    Green,
    /// TLP:AMBER.
    Amber,
    /// TLP:AMBER+STRICT.
    AmberStrict,
    /// TLP:RED.
    Red,
}

impl Tlp {
    /// Every level, least restrictive first.
    pub const ALL: [Self; 6] =
        [Self::None, Self::Clear, Self::Green, Self::Amber, Self::AmberStrict, Self::Red];

    /// The stored code (0 none … 5 red).
    pub fn code(self) -> i64 {
        match self {
            Self::None => 0,
            Self::Clear => 1,
            Self::Green => 2,
            Self::Amber => 3,
            Self::AmberStrict => 4,
            Self::Red => 5,
        }
    }

    /// The level of a stored code.
    pub fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code).ok().and_then(|i| Self::ALL.get(i).copied())
    }
}

/// Who is asking, for TLP filtering: the caller's organization and whether the collection
/// shares TLP:AMBER with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewer {
    /// The caller's organization.
    pub org_id: i64,
    /// The collection shares AMBER with it ([`Rights::amber`]).
    pub amber: bool,
}

/// One valid object version to store.
#[derive(Clone, Debug)]
pub struct NewObject {
    /// STIX id (`type--uuid`).
    pub stix_id: String,
    /// STIX type.
    pub stix_type: String,
    /// `spec_version` (`2.1` when the object has none).
    pub spec_version: String,
    /// The version as the object states it (`modified`, else `created`), with its value in
    /// microseconds; `None` for objects with neither (most SCOs): the store then uses the
    /// version's `date_added`.
    pub version: Option<(String, i64)>,
    /// TLP level.
    pub tlp: Tlp,
    /// The object, as JSON text.
    pub content: String,
    /// For TLP:RED: the organizations it is addressed to (besides the poster's).
    pub red_recipients: Vec<i64>,
}

/// One object of an add request.
#[derive(Clone, Debug)]
pub enum AddItem {
    /// A valid object, to store.
    Object(NewObject),
    /// An invalid one, reported as a failure in the status.
    Invalid {
        /// Its id as written (or a placeholder).
        id: String,
        /// Its version as written, if any.
        version: Option<String>,
        /// Why it was refused.
        message: String,
    },
}

/// How `date_added` is assigned to the objects of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateAddedPolicy {
    /// Each stored version gets its own, strictly increasing inside the collection, so that a
    /// client paging with `added_after = X-TAXII-Date-Added-Last` never skips an object.
    #[default]
    PerObject,
    /// Every version of one request gets the same (what medallion does).
    PerRequest,
}

/// An add-objects request: stored in one transaction with its status resource.
#[derive(Clone, Debug)]
pub struct AddRequest {
    /// The collection.
    pub collection_id: i64,
    /// The API root (the status lives there).
    pub api_root_id: i64,
    /// The posting user.
    pub user_id: i64,
    /// The posting user's organization.
    pub org_id: i64,
    /// The status resource's id (a UUID).
    pub status_id: String,
    /// When the request arrived (TAXII timestamp).
    pub request_timestamp: String,
    /// The current time in microseconds; `date_added` is never earlier than the collection's
    /// latest.
    pub now_us: i64,
    /// How `date_added` is assigned.
    pub date_added: DateAddedPolicy,
    /// The objects, in request order.
    pub items: Vec<AddItem>,
}

/// One entry of a status resource's `successes`, `failures` or `pendings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusEntry {
    /// The object's id.
    pub id: String,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why (failures) or what happened (duplicates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A status resource as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusRow {
    /// Its id (a UUID).
    pub id: String,
    /// The API root.
    pub api_root_id: i64,
    /// The posting user.
    pub user_id: i64,
    /// The posting user's organization (only it may read the status).
    pub org_id: i64,
    /// `complete` (requests are processed synchronously).
    pub status: String,
    /// When the request arrived.
    pub request_timestamp: String,
    /// Objects stored (or already present, identical).
    pub successes: Vec<StatusEntry>,
    /// Objects refused.
    pub failures: Vec<StatusEntry>,
    /// Objects not yet processed (always empty).
    pub pendings: Vec<StatusEntry>,
}

/// A place in a collection's `(date_added, row id)` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// `date_added` in microseconds.
    pub date_added_us: i64,
    /// Row id.
    pub row_id: i64,
}

/// One value of `match[version]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VersionSelector {
    /// The oldest version.
    First,
    /// The newest version.
    Last,
    /// Every version.
    All,
    /// The version with this timestamp (microseconds).
    At(i64),
}

/// A query for object versions of one collection, as one [`Viewer`] may see them.
///
/// Every filter is ANDed; the values of one filter are ORed. "First" and "last" are computed
/// over the versions the viewer may see, after the `spec_version` filter.
#[derive(Clone, Debug)]
pub struct ObjectQuery {
    /// The collection.
    pub collection_id: i64,
    /// Who asks.
    pub viewer: Viewer,
    /// Only versions after this position (the `next` cursor).
    pub after: Option<Position>,
    /// Only versions added strictly after this time (microseconds).
    pub added_after_us: Option<i64>,
    /// Only these STIX ids (empty: any).
    pub ids: Vec<String>,
    /// Only these STIX types (empty: any).
    pub types: Vec<String>,
    /// `match[version]` (empty: the last version).
    pub versions: Vec<VersionSelector>,
    /// `match[spec_version]` (empty: only each object's latest spec version).
    pub spec_versions: Vec<String>,
    /// Page size (at least 1).
    pub limit: u32,
    /// Whether to return the objects' content (objects) or only metadata (manifest,
    /// versions).
    pub with_content: bool,
}

/// One object version of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRow {
    /// Row id.
    pub row_id: i64,
    /// STIX id.
    pub stix_id: String,
    /// `date_added` in microseconds.
    pub date_added_us: i64,
    /// The version (as the object states it, or the `date_added` timestamp).
    pub version: String,
    /// `spec_version`.
    pub spec_version: String,
    /// The object as JSON text, when asked for.
    pub content: Option<String>,
}

impl ObjectRow {
    /// Its position in the collection's order.
    pub fn position(&self) -> Position {
        Position { date_added_us: self.date_added_us, row_id: self.row_id }
    }
}

/// A page of object versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectPage {
    /// The versions, in `(date_added, row id)` order.
    pub rows: Vec<ObjectRow>,
    /// Whether more versions match after the last one.
    pub more: bool,
}

/// A request to delete versions of one object.
#[derive(Clone, Debug)]
pub struct DeleteRequest {
    /// The collection.
    pub collection_id: i64,
    /// Who asks (only versions it may see are considered).
    pub viewer: Viewer,
    /// The STIX id.
    pub stix_id: String,
    /// `match[version]` (empty: every version).
    pub versions: Vec<VersionSelector>,
    /// `match[spec_version]` (empty: any).
    pub spec_versions: Vec<String>,
}

/// What a delete did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeleteOutcome {
    /// Versions deleted (all posted by the viewer's organization).
    pub deleted: u64,
    /// Matching visible versions another organization posted; when not zero, nothing was
    /// deleted.
    pub refused: u64,
}

/// The TAXII server's storage.
pub trait TaxiiStore {
    /// Creates an API root.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] when the name is taken; backend errors.
    fn taxii_create_api_root(&mut self, root: &NewApiRoot) -> Result<ApiRootRow, StoreError>;

    /// Every API root, by name.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_api_roots(&self) -> Result<Vec<ApiRootRow>, StoreError>;

    /// Creates a collection.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] when the id or alias is taken; backend errors.
    fn taxii_create_collection(
        &mut self,
        collection: &NewCollection,
    ) -> Result<CollectionRow, StoreError>;

    /// The collections of an API root, in creation order.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_collections(&self, api_root_id: i64) -> Result<Vec<CollectionRow>, StoreError>;

    /// Creates an organization.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] when the name is taken; backend errors.
    fn taxii_create_organization(&mut self, name: &str) -> Result<OrganizationRow, StoreError>;

    /// Every organization, by name.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_organizations(&self) -> Result<Vec<OrganizationRow>, StoreError>;

    /// Creates a user.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] when the name is taken or the organization unknown; backend
    /// errors.
    fn taxii_create_user(&mut self, user: &NewUser) -> Result<UserRow, StoreError>;

    /// Every user, by name.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_users(&self) -> Result<Vec<UserRow>, StoreError>;

    /// The user with this login name.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_user_by_name(&self, name: &str) -> Result<Option<UserRow>, StoreError>;

    /// Replaces a user's password hash (`None`: no HTTP Basic) and enables or disables it.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] for an unknown user; backend errors.
    fn taxii_update_user(
        &mut self,
        user_id: i64,
        password_hash: Option<&str>,
        can_write: bool,
        disabled: bool,
    ) -> Result<(), StoreError>;

    /// Records an API token by its SHA-256 (the token itself is never stored).
    ///
    /// # Errors
    /// [`StoreError::Rejected`] for an unknown user or a hash already stored; backend errors.
    fn taxii_add_token(
        &mut self,
        user_id: i64,
        token_sha256: &[u8; 32],
        label: &str,
    ) -> Result<i64, StoreError>;

    /// Revokes every token of a user; returns how many were live.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_revoke_tokens(&mut self, user_id: i64) -> Result<u64, StoreError>;

    /// The user owning a live token with this SHA-256.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_user_by_token(&self, token_sha256: &[u8; 32]) -> Result<Option<UserRow>, StoreError>;

    /// Sets an organization's rights on a collection (all false: removes them).
    ///
    /// # Errors
    /// [`StoreError::Rejected`] for an unknown collection or organization; backend errors.
    fn taxii_grant(
        &mut self,
        collection_id: i64,
        org_id: i64,
        rights: Rights,
    ) -> Result<(), StoreError>;

    /// An organization's rights on every collection it has any on.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_rights_of(&self, org_id: i64) -> Result<Vec<(i64, Rights)>, StoreError>;

    /// The server's secret key (signs `next` cursors): the stored one, or `candidate`, stored
    /// now, when there is none.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_server_key(&mut self, candidate: &[u8; 32]) -> Result<[u8; 32], StoreError>;

    /// Stores the valid objects of a request and its status resource in **one** transaction;
    /// an exact duplicate of a stored version is a success, a different object with the same
    /// id and version a failure.
    ///
    /// # Errors
    /// Backend errors (nothing is stored).
    fn taxii_add_objects(&mut self, request: &AddRequest) -> Result<StatusRow, StoreError>;

    /// A page of object versions (see [`ObjectQuery`]).
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_query_objects(&self, query: &ObjectQuery) -> Result<ObjectPage, StoreError>;

    /// Deletes the matching versions of one object the viewer may see, if its organization
    /// posted all of them (else deletes nothing and counts them in `refused`).
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_delete_objects(
        &mut self,
        request: &DeleteRequest,
    ) -> Result<DeleteOutcome, StoreError>;

    /// A status resource of an API root.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_status(&self, api_root_id: i64, id: &str) -> Result<Option<StatusRow>, StoreError>;

    /// Deletes status resources whose request arrived before `before` (a TAXII timestamp);
    /// returns how many.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_prune_statuses(&mut self, before: &str) -> Result<u64, StoreError>;

    /// A named setting of the sharing layer (`taxii_settings`), e.g. a TAXII remote's
    /// configuration or sync state kept by the CLI (`intel/…`). `cursor_key` is the server's.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes a named setting (`None` removes it).
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_set_setting(&mut self, name: &str, value: Option<&[u8]>) -> Result<(), StoreError>;

    /// Every setting whose name starts with `prefix`, by name.
    ///
    /// # Errors
    /// Backend errors.
    fn taxii_settings_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}
