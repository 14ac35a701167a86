//! The opaque `next` cursor: a position in a collection's `(date_added, row id)` order, bound
//! to the user and the query it was issued for, and signed.
//!
//! Layout (57 bytes, then base64url without padding, 76 characters):
//!
//! | bytes | field |
//! | --- | --- |
//! | 0 | format version (1) |
//! | 1..9 | user id (big-endian i64) |
//! | 9..25 | first 16 bytes of SHA-256 of the query binding (endpoint, collection, object id, `added_after`, every `match[…]`, sorted) |
//! | 25..33 | `date_added` of the last entry returned (µs, big-endian i64) |
//! | 33..41 | row id of the last entry returned (big-endian i64) |
//! | 41..57 | first 16 bytes of HMAC-SHA256(server key, bytes 0..41) |
//!
//! A cursor is accepted only when the signature checks (so it was issued by this server and
//! not altered) and the user and binding equal the current request's: a cursor from another
//! collection, endpoint, filter set or user is refused with 400. Rights and TLP are applied
//! anew on every page because the cursor is only a position. `limit` is not bound: a client
//! may change its page size between pages.

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chainward_store_api::{Position, VersionSelector};
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const PAYLOAD: usize = 41;
const MAC: usize = 16;

/// HMAC-SHA256 (RFC 2104) with a 32-byte key.
pub(crate) fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new().chain_update(ipad).chain_update(message).finalize();
    Sha256::new().chain_update(opad).chain_update(inner).finalize().into()
}

/// Compares without an early exit.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a cursor is bound to, besides the user.
#[derive(Debug)]
pub(crate) struct Binding<'a> {
    /// `objects`, `manifest`, `object` or `versions`.
    pub(crate) endpoint: &'a str,
    /// The collection's store id.
    pub(crate) collection_id: i64,
    /// The object id of the object and versions endpoints.
    pub(crate) object_id: Option<&'a str>,
    /// `added_after`.
    pub(crate) added_after_us: Option<i64>,
    /// `match[id]`.
    pub(crate) ids: &'a [String],
    /// `match[type]`.
    pub(crate) types: &'a [String],
    /// `match[version]`.
    pub(crate) versions: &'a [VersionSelector],
    /// `match[spec_version]`.
    pub(crate) spec_versions: &'a [String],
}

impl Binding<'_> {
    fn digest(&self) -> [u8; 16] {
        fn sorted(items: &[String]) -> String {
            let mut items = items.to_vec();
            items.sort();
            items.dedup();
            items.join(",")
        }
        let mut versions: Vec<String> = self
            .versions
            .iter()
            .map(|v| match v {
                VersionSelector::First => "first".to_owned(),
                VersionSelector::Last => "last".to_owned(),
                VersionSelector::All => "all".to_owned(),
                VersionSelector::At(us) => us.to_string(),
            })
            .collect();
        versions.sort();
        versions.dedup();
        let text = format!(
            "{}\n{}\n{}\n{:?}\n{}\n{}\n{}\n{}",
            self.endpoint,
            self.collection_id,
            self.object_id.unwrap_or(""),
            self.added_after_us,
            sorted(self.ids),
            sorted(self.types),
            versions.join(","),
            sorted(self.spec_versions),
        );
        let hash = Sha256::digest(text.as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&hash[..16]);
        out
    }
}

/// Encodes a cursor.
pub(crate) fn encode(key: &[u8; 32], user_id: i64, binding: &Binding<'_>, at: Position) -> String {
    let mut bytes = Vec::with_capacity(PAYLOAD + MAC);
    bytes.push(VERSION);
    bytes.extend_from_slice(&user_id.to_be_bytes());
    bytes.extend_from_slice(&binding.digest());
    bytes.extend_from_slice(&at.date_added_us.to_be_bytes());
    bytes.extend_from_slice(&at.row_id.to_be_bytes());
    let mac = hmac_sha256(key, &bytes);
    bytes.extend_from_slice(&mac[..MAC]);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn i64_at(bytes: &[u8], at: usize) -> i64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[at..at + 8]);
    i64::from_be_bytes(buf)
}

/// Decodes and checks a cursor for this user and query.
pub(crate) fn decode(
    key: &[u8; 32],
    user_id: i64,
    binding: &Binding<'_>,
    text: &str,
) -> Result<Position, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "the next cursor is not valid: it is malformed, was altered, or was not issued by \
             this server",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| invalid())?;
    if bytes.len() != PAYLOAD + MAC || bytes[0] != VERSION {
        return Err(invalid());
    }
    let mac = hmac_sha256(key, &bytes[..PAYLOAD]);
    if !constant_time_eq(&mac[..MAC], &bytes[PAYLOAD..]) {
        return Err(invalid());
    }
    if i64_at(&bytes, 1) != user_id || bytes[9..25] != binding.digest() {
        return Err(ApiError::bad_request(
            "the next cursor was issued for another query, collection or user; resend it with \
             the same URL and filters as the request that returned it",
        ));
    }
    Ok(Position { date_added_us: i64_at(&bytes, 25), row_id: i64_at(&bytes, 33) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(collection_id: i64) -> Binding<'static> {
        Binding {
            endpoint: "objects",
            collection_id,
            object_id: None,
            added_after_us: None,
            ids: &[],
            types: &[],
            versions: &[],
            spec_versions: &[],
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2_shape() {
        // RFC 4231 test case 2 uses a 4-byte key; a 32-byte key padded with zeros is the same
        // HMAC key, so the known answer applies.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac = hmac_sha256(&key, b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn cursors_round_trip_and_refuse_tampering() {
        let key = [7u8; 32];
        let at = Position { date_added_us: 1_795_165_200_000_000, row_id: 42 };
        let cursor = encode(&key, 3, &binding(1), at);
        assert_eq!(cursor.len(), 76);
        assert_eq!(decode(&key, 3, &binding(1), &cursor).unwrap(), at);
        assert!(decode(&key, 4, &binding(1), &cursor).is_err(), "another user");
        assert!(decode(&key, 3, &binding(2), &cursor).is_err(), "another collection");
        assert!(decode(&[8u8; 32], 3, &binding(1), &cursor).is_err(), "another key");
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        bytes[40] ^= 1;
        assert!(decode(&key, 3, &binding(1), &URL_SAFE_NO_PAD.encode(bytes)).is_err());
        assert!(decode(&key, 3, &binding(1), "not a cursor").is_err());
    }
}
