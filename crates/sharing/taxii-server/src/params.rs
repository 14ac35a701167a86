//! Query parameters (TAXII 2.1 §3.4–3.5): `added_after`, `limit`, `next` and the `match[…]`
//! filters. Anything malformed is a 400 naming the parameter; unknown parameters and unknown
//! `match[…]` fields are ignored, as the spec allows.

use crate::error::ApiError;
use chainward_store_api::VersionSelector;
use std::str::FromStr;

/// The parsed query of a manifest, objects, object or versions request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueryParams {
    /// `added_after`, in microseconds.
    pub(crate) added_after_us: Option<i64>,
    /// `limit`.
    pub(crate) limit: Option<u32>,
    /// `next`.
    pub(crate) next: Option<String>,
    /// `match[id]`.
    pub(crate) ids: Vec<String>,
    /// `match[type]`.
    pub(crate) types: Vec<String>,
    /// `match[version]`.
    pub(crate) versions: Vec<VersionSelector>,
    /// `match[spec_version]`.
    pub(crate) spec_versions: Vec<String>,
}

/// Parses a TAXII/STIX timestamp (RFC 3339, UTC) to microseconds since the epoch, truncating
/// finer digits (rounding down, so `date_added > added_after` stays exact for whole
/// microseconds).
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.ends_with(['Z', 'z']) || !text.contains('T') {
        return None;
    }
    let ts = jiff::Timestamp::from_str(text).ok()?;
    Some(ts.as_nanosecond().div_euclid(1000) as i64)
}

/// Formats microseconds since the epoch as a TAXII timestamp with six fractional digits.
pub(crate) fn format_timestamp(us: i64) -> String {
    let ts = jiff::Timestamp::from_microsecond(us).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{}.{:06}Z", ts.strftime("%Y-%m-%dT%H:%M:%S"), us.rem_euclid(1_000_000))
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// Decodes `application/x-www-form-urlencoded` text (`%XX`, `+` for a space).
fn percent_decode(text: &str) -> Result<String, ApiError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let pair = bytes
                    .get(i + 1)
                    .copied()
                    .and_then(hex)
                    .zip(bytes.get(i + 2).copied().and_then(hex));
                let (hi, lo) = pair.ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "malformed percent-encoding in the query {text:?}"
                    ))
                })?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::bad_request("the query is not UTF-8"))
}

/// A STIX type name: 3–250 characters of `a-z`, `0-9` and `-`.
pub(crate) fn is_stix_type(text: &str) -> bool {
    (3..=250).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A UUID in its canonical lowercase-or-uppercase hex form.
pub(crate) fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { b.is_ascii_hexdigit() }
        })
}

/// A STIX identifier `type--uuid`.
pub(crate) fn is_stix_id(text: &str) -> bool {
    text.split_once("--").is_some_and(|(t, u)| is_stix_type(t) && is_uuid(u))
}

fn list(name: &str, value: &str) -> Result<Vec<String>, ApiError> {
    let items: Vec<String> = value.split(',').map(|v| v.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err(ApiError::bad_request(format!("{name} has an empty value")));
    }
    Ok(items)
}

impl QueryParams {
    /// Parses a raw query string.
    pub(crate) fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut params = Self::default();
        let mut seen: Vec<String> = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key)?;
            let value = percent_decode(value)?;
            let known = matches!(
                key.as_str(),
                "added_after"
                    | "limit"
                    | "next"
                    | "match[id]"
                    | "match[type]"
                    | "match[version]"
                    | "match[spec_version]"
            );
            if !known {
                continue;
            }
            if seen.contains(&key) {
                return Err(ApiError::bad_request(format!("{key} is given more than once")));
            }
            seen.push(key.clone());
            match key.as_str() {
                "added_after" => {
                    params.added_after_us = Some(parse_timestamp(&value).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "added_after {value:?} is not a timestamp like \
                             2026-11-25T10:00:00.000000Z"
                        ))
                    })?);
                }
                "limit" => {
                    let limit = value.trim().parse::<u32>().ok().filter(|l| *l > 0);
                    params.limit = Some(limit.ok_or_else(|| {
                        ApiError::bad_request(format!("limit {value:?} is not a positive integer"))
                    })?);
                }
                "next" => {
                    if value.is_empty() {
                        return Err(ApiError::bad_request("next is empty"));
                    }
                    params.next = Some(value);
                }
                "match[id]" => {
                    params.ids = list(&key, &value)?;
                    if let Some(bad) = params.ids.iter().find(|id| !is_stix_id(id)) {
                        return Err(ApiError::bad_request(format!(
                            "match[id] {bad:?} is not a STIX identifier (type--uuid)"
                        )));
                    }
                }
                "match[type]" => {
                    params.types = list(&key, &value)?;
                    if let Some(bad) = params.types.iter().find(|t| !is_stix_type(t)) {
                        return Err(ApiError::bad_request(format!(
                            "match[type] {bad:?} is not a STIX type name"
                        )));
                    }
                }
                "match[version]" => {
                    for item in list(&key, &value)? {
                        let selector = match item.as_str() {
                            "first" => VersionSelector::First,
                            "last" => VersionSelector::Last,
                            "all" => VersionSelector::All,
                            other => {
                                VersionSelector::At(parse_timestamp(other).ok_or_else(|| {
                                    ApiError::bad_request(format!(
                                        "match[version] {other:?} is not first, last, all or a \
                                         timestamp"
                                    ))
                                })?)
                            }
                        };
                        params.versions.push(selector);
                    }
                }
                _ => {
                    params.spec_versions = list(&key, &value)?;
                    if let Some(bad) =
                        params.spec_versions.iter().find(|v| !matches!(v.as_str(), "2.0" | "2.1"))
                    {
                        return Err(ApiError::bad_request(format!(
                            "match[spec_version] {bad:?} is not a STIX version (2.0 or 2.1)"
                        )));
                    }
                }
            }
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_filter() {
        let q = QueryParams::parse(Some(
            "added_after=2026-11-20T09%3A00%3A00.5Z&limit=10&match%5Btype%5D=indicator,malware\
             &match[version]=first,2026-11-20T09:00:00.000Z&match[spec_version]=2.1&x=1",
        ))
        .unwrap();
        assert_eq!(q.added_after_us, Some(1_795_165_200_500_000));
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.types, ["indicator", "malware"]);
        assert_eq!(
            q.versions,
            [VersionSelector::First, VersionSelector::At(1_795_165_200_000_000)]
        );
        assert_eq!(q.spec_versions, ["2.1"]);
    }

    #[test]
    fn malformed_parameters_are_refused() {
        for bad in [
            "added_after=yesterday",
            "added_after=2026-11-20",
            "limit=0",
            "limit=abc",
            "limit=-1",
            "match[type]=Indicator",
            "match[type]=indicator,",
            "match[id]=indicator--nope",
            "match[version]=newest",
            "match[spec_version]=3.0",
            "limit=1&limit=2",
            "next=",
            "added_after=%zz",
        ] {
            assert!(QueryParams::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_round_trip_at_microseconds() {
        let us = parse_timestamp("2026-11-20T09:00:00.123456789Z").unwrap();
        assert_eq!(format_timestamp(us), "2026-11-20T09:00:00.123456Z");
        assert_eq!(parse_timestamp("2026-11-20T09:00:00+01:00"), None);
    }
}
