//! Routing and the endpoints.
//!
//! Order of checks: route (404) and method (405), then authentication (401), then `Accept`
//! (406), then the API root / collection the caller may know of (404), then the right (403),
//! then, for POST, `Content-Type` (415), size (413) and body (400).

use crate::cursor::{self, Binding};
use crate::error::ApiError;
use crate::media::{STIX_21, TAXII_21, accepts_taxii, is_taxii_content};
use crate::params::{QueryParams, format_timestamp, is_stix_id};
use crate::{AppState, Inner, auth, stix};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chainward_store_api::{
    AddRequest, ApiRootRow, CollectionRow, DeleteRequest, ObjectPage, ObjectQuery, Rights,
    StatusRow, TaxiiStore, UserRow, VersionSelector, Viewer,
};
use serde_json::{Value, json};

/// The property of a POSTed envelope that names the organizations TLP:RED objects are
/// addressed to (see TAXII.md).
pub(crate) const RED_RECIPIENTS: &str = "x_chainward_red_recipients";

#[derive(Clone, Debug)]
enum Route {
    Discovery,
    ApiRoot { root: String },
    Status { root: String, id: String },
    Collections { root: String },
    Collection { root: String, collection: String },
    Manifest { root: String, collection: String },
    Objects { root: String, collection: String },
    Object { root: String, collection: String, object: String },
    Versions { root: String, collection: String, object: String },
}

impl Route {
    fn parse(path: &str) -> Option<Self> {
        let parts: Vec<String> =
            path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let mut it = parts.into_iter();
        let first = it.next()?;
        let rest: Vec<String> = it.collect();
        if first == "taxii2" {
            return rest.is_empty().then_some(Self::Discovery);
        }
        let root = first;
        Some(match rest.as_slice() {
            [] => Self::ApiRoot { root },
            [s, id] if s == "status" => Self::Status { root, id: id.clone() },
            [c] if c == "collections" => Self::Collections { root },
            [c, collection] if c == "collections" => {
                Self::Collection { root, collection: collection.clone() }
            }
            [c, collection, m] if c == "collections" && m == "manifest" => {
                Self::Manifest { root, collection: collection.clone() }
            }
            [c, collection, o] if c == "collections" && o == "objects" => {
                Self::Objects { root, collection: collection.clone() }
            }
            [c, collection, o, object] if c == "collections" && o == "objects" => {
                Self::Object { root, collection: collection.clone(), object: object.clone() }
            }
            [c, collection, o, object, v]
                if c == "collections" && o == "objects" && v == "versions" =>
            {
                Self::Versions { root, collection: collection.clone(), object: object.clone() }
            }
            _ => return None,
        })
    }

    fn allowed(&self) -> &'static str {
        match self {
            Self::Objects { .. } => "GET, POST",
            Self::Object { .. } => "GET, DELETE",
            _ => "GET",
        }
    }
}

/// The single handler behind every URL.
pub(crate) async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    let response = match handle(state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    tracing::debug!(
        %method, %path, status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0, "TAXII request"
    );
    response
}

/// What every endpoint needs from the request head.
struct Head {
    authorization: Option<String>,
    accept: Option<String>,
    base_url: String,
    query: Option<String>,
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn handle(state: AppState, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let route = Route::parse(parts.uri.path())
        .ok_or_else(|| ApiError::not_found("no TAXII endpoint at this path"))?;
    let allowed = route.allowed();
    let method_ok = parts.method == Method::GET
        || (parts.method == Method::POST && allowed.contains("POST"))
        || (parts.method == Method::DELETE && allowed.contains("DELETE"));
    if !method_ok {
        return Err(ApiError::method_not_allowed(allowed));
    }
    let base_url = match &state.config().public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => header_str(&parts.headers, header::HOST)
            .map(|host| format!("http://{host}"))
            .unwrap_or_default(),
    };
    let head = Head {
        authorization: header_str(&parts.headers, header::AUTHORIZATION),
        accept: header_str(&parts.headers, header::ACCEPT),
        base_url,
        query: parts.uri.query().map(str::to_owned),
    };
    if parts.method == Method::POST {
        let Route::Objects { root, collection } = route else {
            return Err(ApiError::method_not_allowed(allowed));
        };
        return post_objects(state, head, &parts.headers, body, root, collection).await;
    }
    let delete = parts.method == Method::DELETE;
    state
        .blocking(move |store, inner| {
            let caller = Caller::authenticate(store, inner, &head)?;
            match route {
                Route::Discovery => discovery(store, inner, &caller, &head),
                Route::ApiRoot { root } => api_root(store, &caller, &root),
                Route::Status { root, id } => status(store, &caller, &root, &id),
                Route::Collections { root } => collections(store, &caller, &root),
                Route::Collection { root, collection } => {
                    let (_, found, rights) = caller.collection(store, &root, &collection)?;
                    Ok(taxii(StatusCode::OK, collection_json(&found, rights).to_string()))
                }
                Route::Manifest { root, collection } => {
                    let params = QueryParams::parse(head.query.as_deref())?;
                    list(store, inner, &caller, &root, &collection, None, Kind::Manifest, &params)
                }
                Route::Objects { root, collection } => {
                    let params = QueryParams::parse(head.query.as_deref())?;
                    list(store, inner, &caller, &root, &collection, None, Kind::Objects, &params)
                }
                Route::Object { root, collection, object } if delete => {
                    let params = QueryParams::parse(head.query.as_deref())?;
                    delete_object(store, &caller, &root, &collection, &object, &params)
                }
                Route::Object { root, collection, object } => {
                    let params = QueryParams::parse(head.query.as_deref())?;
                    let object = Some(object.as_str());
                    list(store, inner, &caller, &root, &collection, object, Kind::Object, &params)
                }
                Route::Versions { root, collection, object } => {
                    let params = QueryParams::parse(head.query.as_deref())?;
                    let object = Some(object.as_str());
                    list(store, inner, &caller, &root, &collection, object, Kind::Versions, &params)
                }
            }
        })
        .await
}

/// A `200`-series answer with the TAXII media type.
fn taxii(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_21));
    response
}

/// The authenticated caller and its organization's rights.
struct Caller {
    user: UserRow,
    rights: Vec<(i64, Rights)>,
}

impl Caller {
    fn authenticate(store: &dyn TaxiiStore, inner: &Inner, head: &Head) -> Result<Self, ApiError> {
        let user = auth::authenticate(
            store,
            &inner.key,
            &inner.basic,
            inner.config.basic_auth,
            head.authorization.as_deref(),
        )?;
        if !accepts_taxii(head.accept.as_deref()) {
            return Err(ApiError::not_acceptable(format!(
                "this server answers with {TAXII_21} (Accept: application/taxii+json, with or \
                 without version=2.1, or */*); the request accepts only {:?}",
                head.accept.as_deref().unwrap_or_default()
            )));
        }
        let rights = store.taxii_rights_of(user.org_id)?;
        Ok(Self { user, rights })
    }

    /// The caller's effective rights on a collection: its organization's, without `write`
    /// for a read-only user. `None`: no rights at all (the collection is not shown).
    fn rights_on(&self, collection_id: i64) -> Option<Rights> {
        self.rights
            .iter()
            .find(|(c, _)| *c == collection_id)
            .map(|(_, r)| Rights { write: r.write && self.user.can_write, ..*r })
    }

    fn viewer(&self, rights: Rights) -> Viewer {
        Viewer { org_id: self.user.org_id, amber: rights.amber }
    }

    /// An API root the caller may know of (one where it has rights on some collection) and
    /// those collections.
    fn root(
        &self,
        store: &dyn TaxiiStore,
        name: &str,
    ) -> Result<(ApiRootRow, Vec<(CollectionRow, Rights)>), ApiError> {
        let not_found = || ApiError::not_found(format!("no API root {name:?} is available to you"));
        let root =
            store.taxii_api_roots()?.into_iter().find(|r| r.name == name).ok_or_else(not_found)?;
        let visible: Vec<(CollectionRow, Rights)> = store
            .taxii_collections(root.id)?
            .into_iter()
            .filter_map(|c| self.rights_on(c.id).map(|r| (c, r)))
            .collect();
        if visible.is_empty() {
            return Err(not_found());
        }
        Ok((root, visible))
    }

    /// A collection the caller may know of, by id or alias.
    fn collection(
        &self,
        store: &dyn TaxiiStore,
        root: &str,
        id: &str,
    ) -> Result<(ApiRootRow, CollectionRow, Rights), ApiError> {
        let not_found = || {
            ApiError::not_found(format!(
                "no collection {id:?} in API root {root:?} is available to you"
            ))
        };
        let (root, visible) = self.root(store, root).map_err(|_| not_found())?;
        let (collection, rights) = visible
            .into_iter()
            .find(|(c, _)| c.uuid.eq_ignore_ascii_case(id) || c.alias.as_deref() == Some(id))
            .ok_or_else(not_found)?;
        Ok((root, collection, rights))
    }
}

fn discovery(
    store: &dyn TaxiiStore,
    inner: &Inner,
    caller: &Caller,
    head: &Head,
) -> Result<Response, ApiError> {
    let mut roots = Vec::new();
    for root in store.taxii_api_roots()? {
        let visible =
            store.taxii_collections(root.id)?.iter().any(|c| caller.rights_on(c.id).is_some());
        if visible {
            roots.push(root.name);
        }
    }
    let url = |name: &str| format!("{}/{name}/", head.base_url);
    let mut body = json!({ "title": inner.config.title });
    if let Some(description) = &inner.config.description {
        body["description"] = json!(description);
    }
    if let Some(contact) = &inner.config.contact {
        body["contact"] = json!(contact);
    }
    if let Some(default) = &inner.config.default_api_root
        && roots.contains(default)
    {
        body["default"] = json!(url(default));
    }
    if !roots.is_empty() {
        body["api_roots"] = json!(roots.iter().map(|r| url(r)).collect::<Vec<_>>());
    }
    Ok(taxii(StatusCode::OK, body.to_string()))
}

fn api_root(store: &dyn TaxiiStore, caller: &Caller, name: &str) -> Result<Response, ApiError> {
    let (root, _) = caller.root(store, name)?;
    let mut body = json!({
        "title": root.title,
        "versions": [TAXII_21],
        "max_content_length": root.max_content_length,
    });
    if let Some(description) = &root.description {
        body["description"] = json!(description);
    }
    Ok(taxii(StatusCode::OK, body.to_string()))
}

fn collection_json(collection: &CollectionRow, rights: Rights) -> Value {
    let mut body = json!({
        "id": collection.uuid,
        "title": collection.title,
        "can_read": rights.read,
        "can_write": rights.write,
        "media_types": [STIX_21],
    });
    if let Some(description) = &collection.description {
        body["description"] = json!(description);
    }
    if let Some(alias) = &collection.alias {
        body["alias"] = json!(alias);
    }
    body
}

fn collections(store: &dyn TaxiiStore, caller: &Caller, root: &str) -> Result<Response, ApiError> {
    let (_, visible) = caller.root(store, root)?;
    let items: Vec<Value> = visible.iter().map(|(c, r)| collection_json(c, *r)).collect();
    Ok(taxii(StatusCode::OK, json!({ "collections": items }).to_string()))
}

fn status_json(status: &StatusRow) -> Value {
    let mut body = json!({
        "id": status.id,
        "status": status.status,
        "request_timestamp": status.request_timestamp,
        "total_count": status.successes.len() + status.failures.len() + status.pendings.len(),
        "success_count": status.successes.len(),
        "failure_count": status.failures.len(),
        "pending_count": status.pendings.len(),
    });
    // Empty lists are not allowed in TAXII resources (§2): leave them out.
    for (name, entries) in [
        ("successes", &status.successes),
        ("failures", &status.failures),
        ("pendings", &status.pendings),
    ] {
        if !entries.is_empty() {
            body[name] = json!(entries);
        }
    }
    body
}

fn status(
    store: &dyn TaxiiStore,
    caller: &Caller,
    root: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let (root, _) = caller.root(store, root)?;
    let found = store
        .taxii_status(root.id, id)?
        .filter(|s| s.org_id == caller.user.org_id)
        .ok_or_else(|| ApiError::not_found(format!("no status {id:?} is available to you")))?;
    Ok(taxii(StatusCode::OK, status_json(&found).to_string()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Manifest,
    Objects,
    Object,
    Versions,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Manifest => "manifest",
            Self::Objects => "objects",
            Self::Object => "object",
            Self::Versions => "versions",
        }
    }
}

fn check_object_id(object: &str) -> Result<(), ApiError> {
    if is_stix_id(object) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("{object:?} is not a STIX identifier")))
    }
}

/// Whether any version of `object` exists that the viewer may see.
fn object_exists(
    store: &dyn TaxiiStore,
    collection_id: i64,
    viewer: Viewer,
    object: &str,
) -> Result<bool, ApiError> {
    let page = store.taxii_query_objects(&ObjectQuery {
        collection_id,
        viewer,
        after: None,
        added_after_us: None,
        ids: vec![object.to_owned()],
        types: Vec::new(),
        versions: vec![VersionSelector::All],
        spec_versions: vec!["2.0".into(), "2.1".into()],
        limit: 1,
        with_content: false,
    })?;
    Ok(!page.rows.is_empty())
}

/// Manifest, objects, one object, versions: one paged query each.
#[allow(clippy::too_many_arguments)]
fn list(
    store: &dyn TaxiiStore,
    inner: &Inner,
    caller: &Caller,
    root: &str,
    collection: &str,
    object: Option<&str>,
    kind: Kind,
    params: &QueryParams,
) -> Result<Response, ApiError> {
    let (_, found, rights) = caller.collection(store, root, collection)?;
    if !rights.read {
        return Err(ApiError::forbidden("you may not read this collection"));
    }
    if let Some(object) = object {
        check_object_id(object)?;
    }
    let viewer = caller.viewer(rights);
    // The object and versions endpoints take no match[id] / match[type]; versions takes no
    // match[version].
    let (ids, types) = match object {
        Some(object) => (vec![object.to_owned()], Vec::new()),
        None => (params.ids.clone(), params.types.clone()),
    };
    let versions =
        if kind == Kind::Versions { vec![VersionSelector::All] } else { params.versions.clone() };
    let binding = Binding {
        endpoint: kind.name(),
        collection_id: found.id,
        object_id: object,
        added_after_us: params.added_after_us,
        ids: if object.is_some() { &[] } else { &params.ids },
        types: &types,
        versions: if kind == Kind::Versions { &[] } else { &params.versions },
        spec_versions: &params.spec_versions,
    };
    let after = params
        .next
        .as_deref()
        .map(|next| cursor::decode(&inner.key, caller.user.id, &binding, next))
        .transpose()?;
    let max = inner.config.max_page_size;
    let limit = params.limit.map_or(max, |l| l.min(max));
    let page = store.taxii_query_objects(&ObjectQuery {
        collection_id: found.id,
        viewer,
        after,
        added_after_us: params.added_after_us,
        ids,
        types: types.clone(),
        versions,
        spec_versions: params.spec_versions.clone(),
        limit,
        with_content: matches!(kind, Kind::Objects | Kind::Object),
    })?;
    if let Some(object) = object
        && page.rows.is_empty()
        && after.is_none()
        && !object_exists(store, found.id, viewer, object)?
    {
        return Err(ApiError::not_found(format!("no object {object} in this collection")));
    }
    let next = match page.rows.last() {
        Some(last) if page.more => {
            Some(cursor::encode(&inner.key, caller.user.id, &binding, last.position()))
        }
        _ => None,
    };
    let body = match kind {
        Kind::Objects | Kind::Object => envelope(&page, next.as_deref()),
        Kind::Manifest => {
            let items: Vec<Value> = page
                .rows
                .iter()
                .map(|row| {
                    json!({
                        "id": row.stix_id,
                        "date_added": format_timestamp(row.date_added_us),
                        "version": row.version,
                        "media_type": format!("application/stix+json;version={}", row.spec_version),
                    })
                })
                .collect();
            paged_json(page.more, next.as_deref(), "objects", items)
        }
        Kind::Versions => {
            let items: Vec<Value> = page.rows.iter().map(|row| json!(row.version)).collect();
            paged_json(page.more, next.as_deref(), "versions", items)
        }
    };
    let mut response = taxii(StatusCode::OK, body);
    if let (Some(first), Some(last)) = (page.rows.first(), page.rows.last()) {
        let headers = response.headers_mut();
        for (name, us) in [
            ("x-taxii-date-added-first", first.date_added_us),
            ("x-taxii-date-added-last", last.date_added_us),
        ] {
            if let Ok(value) = HeaderValue::from_str(&format_timestamp(us)) {
                headers.insert(name, value);
            }
        }
    }
    Ok(response)
}

fn paged_json(more: bool, next: Option<&str>, key: &str, items: Vec<Value>) -> String {
    let mut body = json!({ "more": more });
    if let Some(next) = next {
        body["next"] = json!(next);
    }
    if !items.is_empty() {
        body[key] = Value::Array(items);
    }
    body.to_string()
}

/// An envelope, written around the stored JSON text of each object (not re-parsed).
fn envelope(page: &ObjectPage, next: Option<&str>) -> String {
    let size: usize = page.rows.iter().map(|r| r.content.as_ref().map_or(0, String::len) + 1).sum();
    let mut out = String::with_capacity(size + 200);
    out.push_str(if page.more { "{\"more\":true" } else { "{\"more\":false" });
    if let Some(next) = next {
        out.push_str(",\"next\":");
        out.push_str(&Value::from(next).to_string());
    }
    if !page.rows.is_empty() {
        out.push_str(",\"objects\":[");
        for (i, row) in page.rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(row.content.as_deref().unwrap_or("null"));
        }
        out.push(']');
    }
    out.push('}');
    out
}

fn delete_object(
    store: &mut dyn TaxiiStore,
    caller: &Caller,
    root: &str,
    collection: &str,
    object: &str,
    params: &QueryParams,
) -> Result<Response, ApiError> {
    let (_, found, rights) = caller.collection(store, root, collection)?;
    if !(rights.read && rights.write) {
        return Err(ApiError::forbidden(
            "deleting objects needs both read and write access to the collection",
        ));
    }
    check_object_id(object)?;
    let viewer = caller.viewer(rights);
    if !object_exists(store, found.id, viewer, object)? {
        return Err(ApiError::not_found(format!("no object {object} in this collection")));
    }
    let outcome = store.taxii_delete_objects(&DeleteRequest {
        collection_id: found.id,
        viewer,
        stix_id: object.to_owned(),
        versions: params.versions.clone(),
        spec_versions: params.spec_versions.clone(),
    })?;
    if outcome.refused > 0 {
        return Err(ApiError::forbidden(format!(
            "{} matching version(s) of {object} were added by another organization; only the \
             organization that added an object may delete it (nothing was deleted)",
            outcome.refused
        )));
    }
    if outcome.deleted == 0 {
        return Err(ApiError::not_found(format!("no version of {object} matches the filters")));
    }
    tracing::info!(object, deleted = outcome.deleted, user = %caller.user.name, "TAXII delete");
    Ok(StatusCode::OK.into_response())
}

async fn post_objects(
    state: AppState,
    head: Head,
    headers: &HeaderMap,
    body: Body,
    root: String,
    collection: String,
) -> Result<Response, ApiError> {
    // 1. Who, where, may they (blocking: token lookup, argon2).
    let (caller, root_row, found) = state
        .blocking(move |store, inner| {
            let caller = Caller::authenticate(store, inner, &head)?;
            let (root_row, found, rights) = caller.collection(store, &root, &collection)?;
            if !rights.write {
                return Err(ApiError::forbidden("you may not add objects to this collection"));
            }
            Ok((caller, root_row, found))
        })
        .await?;
    // 2. Media type and size, before reading the body.
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if !is_taxii_content(content_type) {
        return Err(ApiError::unsupported_media_type(format!(
            "POST a TAXII envelope with Content-Type: {TAXII_21}; got {:?}",
            content_type.unwrap_or_default()
        )));
    }
    let max = root_row.max_content_length;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > max) {
        return Err(ApiError::too_large(max));
    }
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        // A chunked body over the limit (a declared length was checked above): axum's error
        // wraps http-body-util's `LengthLimitError` ("length limit exceeded").
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        let mut too_large = false;
        while let Some(error) = source {
            too_large |= error.to_string().contains("length limit exceeded");
            source = error.source();
        }
        if too_large {
            ApiError::too_large(max)
        } else {
            ApiError::bad_request(format!("could not read the request body: {e}"))
        }
    })?;
    // 3. Parse, check and store in one transaction (blocking).
    state
        .blocking(move |store, inner| {
            let envelope: Value = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::bad_request(format!("the body is not a JSON TAXII envelope: {e}"))
            })?;
            let Some(map) = envelope.as_object() else {
                return Err(ApiError::bad_request("the body is not a TAXII envelope (an object)"));
            };
            let objects = match map.get("objects") {
                Some(Value::Array(objects)) if !objects.is_empty() => objects,
                Some(Value::Array(_)) => {
                    return Err(ApiError::bad_request("the envelope's objects list is empty"));
                }
                Some(_) => {
                    return Err(ApiError::bad_request("the envelope's objects is not a list"));
                }
                None => return Err(ApiError::bad_request("the envelope has no objects")),
            };
            let recipients = red_recipients(store, map.get(RED_RECIPIENTS))?;
            let items = objects.iter().map(|o| stix::check(o, &recipients)).collect();
            let now_us = jiff::Timestamp::now().as_microsecond();
            let request = AddRequest {
                collection_id: found.id,
                api_root_id: root_row.id,
                user_id: caller.user.id,
                org_id: caller.user.org_id,
                status_id: uuid::Uuid::new_v4().to_string(),
                request_timestamp: format_timestamp(now_us),
                now_us,
                date_added: inner.config.date_added,
                items,
            };
            let status = store.taxii_add_objects(&request)?;
            tracing::info!(
                collection = %found.uuid, user = %caller.user.name,
                stored = status.successes.len(), refused = status.failures.len(), "TAXII add"
            );
            Ok(taxii(StatusCode::ACCEPTED, status_json(&status).to_string()))
        })
        .await
}

/// Resolves `x_chainward_red_recipients` (a list of organization names) to organization ids.
fn red_recipients(store: &dyn TaxiiStore, value: Option<&Value>) -> Result<Vec<i64>, ApiError> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let names = value
        .as_array()
        .and_then(|items| items.iter().map(Value::as_str).collect::<Option<Vec<&str>>>())
        .ok_or_else(|| {
            ApiError::bad_request(format!("{RED_RECIPIENTS} must be a list of organization names"))
        })?;
    let orgs = store.taxii_organizations()?;
    names
        .into_iter()
        .map(|name| {
            orgs.iter().find(|o| o.name == name).map(|o| o.id).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{RED_RECIPIENTS} names {name:?}, which is not an organization of this server; \
                     nothing was stored"
                ))
            })
        })
        .collect()
}
