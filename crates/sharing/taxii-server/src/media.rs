//! Media types (TAXII 2.1 §1.6.8): `Accept` negotiation and the POST `Content-Type` check.

/// The TAXII 2.1 media type; every answer carries it.
pub const TAXII_21: &str = "application/taxii+json;version=2.1";

/// The STIX 2.1 media type listed for collections and manifest entries.
pub const STIX_21: &str = "application/stix+json;version=2.1";

/// One media range: type/subtype and its parameters, lowercased, without spaces or quotes.
struct MediaRange<'a> {
    essence: String,
    params: Vec<(String, &'a str)>,
}

fn parse_range(text: &str) -> Option<MediaRange<'_>> {
    let mut parts = text.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    if essence.is_empty() || !essence.contains('/') {
        return None;
    }
    let mut params = Vec::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (name, value) = part.split_once('=')?;
        params.push((name.trim().to_ascii_lowercase(), value.trim().trim_matches('"')));
    }
    Some(MediaRange { essence, params })
}

impl MediaRange<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// `application/taxii+json` without a version (the latest: 2.1) or with version 2.1.
    fn is_taxii_21(&self) -> bool {
        self.essence == "application/taxii+json"
            && self.param("version").is_none_or(|v| v.trim() == "2.1")
    }
}

/// Whether an `Accept` header value lets us answer with [`TAXII_21`]: it names
/// `application/taxii+json` (version 2.1 or none), `application/*` or `*/*` with a non-zero
/// quality. A request without `Accept` accepts anything.
pub(crate) fn accepts_taxii(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return true };
    accept.split(',').filter_map(parse_range).any(|range| {
        let q_zero =
            range.param("q").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0);
        !q_zero
            && (range.is_taxii_21() || range.essence == "*/*" || range.essence == "application/*")
    })
}

/// Whether a POST's `Content-Type` is the TAXII 2.1 media type (version 2.1 or none).
pub(crate) fn is_taxii_content(content_type: Option<&str>) -> bool {
    content_type.and_then(parse_range).is_some_and(|range| range.is_taxii_21())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_follows_the_spec() {
        for ok in [
            "application/taxii+json;version=2.1",
            "application/taxii+json; version=2.1",
            "application/taxii+json",
            "APPLICATION/TAXII+JSON;VERSION=\"2.1\"",
            "*/*",
            "application/*",
            "text/html, application/taxii+json;version=2.1;q=0.5",
        ] {
            assert!(accepts_taxii(Some(ok)), "{ok}");
        }
        assert!(accepts_taxii(None));
        for bad in [
            "application/json",
            "application/stix+json;version=2.1",
            "application/taxii+json;version=2.0",
            "application/vnd.oasis.taxii+json; version=2.0",
            "application/taxii+json;version=2.1;q=0",
            "",
            "garbage",
        ] {
            assert!(!accepts_taxii(Some(bad)), "{bad}");
        }
    }

    #[test]
    fn content_type_must_be_taxii() {
        assert!(is_taxii_content(Some("application/taxii+json;version=2.1")));
        assert!(is_taxii_content(Some("application/taxii+json")));
        assert!(!is_taxii_content(Some("application/json")));
        assert!(!is_taxii_content(Some("application/taxii+json;version=2.0")));
        assert!(!is_taxii_content(None));
    }
}
