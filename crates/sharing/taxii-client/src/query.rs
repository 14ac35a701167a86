//! Where a request goes: API roots, collections, and the filters of a GET.

use crate::TaxiiError;
use reqwest::Url;

/// A collection on a server: its API root's URL and its id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CollectionAddress {
    api_root: Url,
    id: String,
}

impl CollectionAddress {
    /// The collection `id` of the API root at `api_root` (a trailing `/` is added when
    /// missing: TAXII paths end with one).
    ///
    /// # Errors
    /// [`TaxiiError::Url`] when `api_root` is not an http(s) URL or `id` holds characters a
    /// path segment cannot.
    pub fn new(api_root: &str, id: &str) -> Result<Self, TaxiiError> {
        let api_root = api_root_url(api_root)?;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c)) {
            return Err(TaxiiError::Url(format!("'{id}' is not a collection id")));
        }
        Ok(Self { api_root, id: id.to_owned() })
    }

    /// The API root's URL (ends with `/`).
    pub fn api_root(&self) -> &Url {
        &self.api_root
    }

    /// The collection's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `{api-root}/collections/{id}/` followed by `rest` (which ends with `/` or is empty).
    pub(crate) fn url(&self, rest: &str) -> Result<Url, TaxiiError> {
        join(&self.api_root, &format!("collections/{}/{rest}", self.id))
    }

    /// `{collection}/objects/{object-id}/` followed by `rest`.
    pub(crate) fn object_url(&self, object_id: &str, rest: &str) -> Result<Url, TaxiiError> {
        if object_id.is_empty()
            || !object_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(TaxiiError::Url(format!("'{object_id}' is not a STIX id")));
        }
        self.url(&format!("objects/{object_id}/{rest}"))
    }
}

/// Parses an API root URL, adding the trailing `/`.
///
/// # Errors
/// [`TaxiiError::Url`] for anything but an http(s) URL.
pub fn api_root_url(text: &str) -> Result<Url, TaxiiError> {
    let mut url = Url::parse(text.trim()).map_err(|e| TaxiiError::Url(format!("'{text}': {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TaxiiError::Url(format!("'{text}': only http and https are supported")));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

pub(crate) fn join(base: &Url, rest: &str) -> Result<Url, TaxiiError> {
    base.join(rest).map_err(|e| TaxiiError::Url(format!("{base} + {rest}: {e}")))
}

/// The filters and paging parameters of a GET on objects, manifest, an object or its versions
/// (spec §3.4–3.5). Multi-valued filters are sent comma-separated (ORed by the server);
/// different filters are ANDed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectQuery {
    /// `added_after`: only what the server added after this TAXII timestamp (exclusive).
    pub added_after: Option<String>,
    /// `limit`: at most this many per page (the server may return fewer).
    pub limit: Option<u32>,
    /// `next`: the server's cursor from the previous page (send it with the same query).
    pub next: Option<String>,
    /// `match[id]`.
    pub ids: Vec<String>,
    /// `match[type]`.
    pub types: Vec<String>,
    /// `match[version]`: `last` (the server's default), `first`, `all`, or timestamps.
    pub versions: Vec<String>,
    /// `match[spec_version]`.
    pub spec_versions: Vec<String>,
}

impl ObjectQuery {
    /// Appends the parameters to `url`'s query string.
    pub(crate) fn apply(&self, url: &mut Url) {
        let has_any = self.added_after.is_some()
            || self.limit.is_some()
            || self.next.is_some()
            || !self.ids.is_empty()
            || !self.types.is_empty()
            || !self.versions.is_empty()
            || !self.spec_versions.is_empty();
        if !has_any {
            return;
        }
        let mut pairs = url.query_pairs_mut();
        if let Some(added_after) = &self.added_after {
            pairs.append_pair("added_after", added_after);
        }
        if let Some(limit) = self.limit {
            pairs.append_pair("limit", &limit.to_string());
        }
        if let Some(next) = &self.next {
            pairs.append_pair("next", next);
        }
        for (name, values) in [
            ("match[id]", &self.ids),
            ("match[type]", &self.types),
            ("match[version]", &self.versions),
            ("match[spec_version]", &self.spec_versions),
        ] {
            if !values.is_empty() {
                pairs.append_pair(name, &values.join(","));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_query() {
        let c = CollectionAddress::new("http://127.0.0.1:5000/aml1", "9f2b").unwrap();
        assert_eq!(c.api_root().as_str(), "http://127.0.0.1:5000/aml1/");
        let mut url = c.url("objects/").unwrap();
        ObjectQuery {
            added_after: Some("2026-01-01T00:00:00.000000Z".into()),
            limit: Some(10),
            types: vec!["indicator".into(), "sighting".into()],
            ..ObjectQuery::default()
        }
        .apply(&mut url);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:5000/aml1/collections/9f2b/objects/?added_after=2026-01-01T00%3A00%3A00.000000Z&limit=10&match%5Btype%5D=indicator%2Csighting"
        );
        assert_eq!(
            c.object_url("indicator--1", "versions/").unwrap().path(),
            "/aml1/collections/9f2b/objects/indicator--1/versions/"
        );
        assert!(CollectionAddress::new("ftp://x/", "a").is_err());
        assert!(CollectionAddress::new("http://x/", "a/b").is_err());
    }
}
