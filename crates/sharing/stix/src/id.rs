//! STIX identifiers (`type--UUID`) and the deterministic ids this crate makes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The namespace STIX 2.1 fixes for deterministic SCO ids (§2.9): the id of an SCO is
/// `uuid5(SCO_NAMESPACE, canonical JSON of its id-contributing properties)`. The same constant
/// is `SCO_DET_ID_NAMESPACE` in the `stix2` Python library.
pub const SCO_NAMESPACE: Uuid = Uuid::from_u128(0x00abedb4_aa42_466c_9c01_fed23315a9b7);

/// Chainward's own namespace for the ids of the SDOs and SROs it exports (indicators,
/// relationships, sightings, intrusion sets): a re-export of the same entry gives the same id.
pub const CHAINWARD_NAMESPACE: Uuid = Uuid::from_u128(0x5b30e861_9136_4d04_bcad_ec3ac8cf9bbf);

/// A STIX identifier: `<object type>--<UUID>`.
///
/// Parsing checks the type name (3–250 characters of `a-z`, `0-9` and `-`, starting with a
/// letter, no `--`) and the UUID (RFC 4122/9562 variant; versions 1–8 are accepted on input,
/// the STIX schemas' pattern allows 1–5).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StixId(String);

impl StixId {
    /// Parses an identifier.
    ///
    /// # Errors
    /// A message saying what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some((object_type, uuid)) = text.split_once("--") else {
            return Err(format!("'{text}' is not a STIX identifier (expected <type>--<UUID>)"));
        };
        check_type_name(object_type)
            .map_err(|e| format!("'{text}' is not a STIX identifier: {e}"))?;
        check_uuid(uuid).map_err(|e| format!("'{text}' is not a STIX identifier: {e}"))?;
        Ok(Self(text.to_owned()))
    }

    /// The identifier `<object_type>--<uuid>` (the type is trusted to be valid).
    pub fn from_parts(object_type: &str, uuid: Uuid) -> Self {
        Self(format!("{object_type}--{uuid}"))
    }

    /// A random (UUIDv4) identifier, as STIX wants for SDOs, SROs and bundles.
    pub fn random(object_type: &str) -> Self {
        Self::from_parts(object_type, Uuid::new_v4())
    }

    /// A deterministic identifier in [`CHAINWARD_NAMESPACE`] over `name`.
    pub fn chainward(object_type: &str, name: &str) -> Self {
        Self::from_parts(object_type, Uuid::new_v5(&CHAINWARD_NAMESPACE, name.as_bytes()))
    }

    /// The deterministic id of an SCO from its id-contributing properties (STIX 2.1 §2.9):
    /// UUIDv5 in [`SCO_NAMESPACE`] over their canonical JSON (RFC 8785: keys sorted, no spaces).
    pub fn sco(
        object_type: &str,
        contributing: &serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        // serde_json's map is ordered by key and its compact writer adds no spaces, which is the
        // JSON Canonicalization Scheme for string-valued properties.
        let canonical = serde_json::Value::Object(contributing.clone()).to_string();
        Self::from_parts(object_type, Uuid::new_v5(&SCO_NAMESPACE, canonical.as_bytes()))
    }

    /// The object type part.
    pub fn object_type(&self) -> &str {
        self.0.split_once("--").map_or("", |(t, _)| t)
    }

    /// The UUID part, as written.
    pub fn uuid_str(&self) -> &str {
        self.0.split_once("--").map_or("", |(_, u)| u)
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a STIX type name: 3–250 characters, `a-z0-9-`, starts with a letter, no `--`.
pub(crate) fn check_type_name(name: &str) -> Result<(), String> {
    if name.len() < 3 || name.len() > 250 {
        return Err(format!("type name '{name}' must be 3 to 250 characters"));
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(format!("type name '{name}' may only contain a-z, 0-9 and '-'"));
    }
    if !name.as_bytes()[0].is_ascii_lowercase() || name.ends_with('-') || name.contains("--") {
        return Err(format!(
            "type name '{name}' must start with a letter, not end with '-' and not contain '--'"
        ));
    }
    Ok(())
}

fn check_uuid(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if !shape_ok {
        return Err(format!("'{text}' is not a UUID (8-4-4-4-12 hex digits)"));
    }
    let version = bytes[14];
    if !(b'1'..=b'8').contains(&version) {
        return Err(format!("'{text}' has UUID version '{}', not 1–8", version as char));
    }
    if !matches!(bytes[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B') {
        return Err(format!(
            "'{text}' is not an RFC 4122 UUID (variant digit must be 8, 9, a or b)"
        ));
    }
    Ok(())
}

impl fmt::Display for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl FromStr for StixId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for StixId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for StixId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for StixId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wallet_id(value: &str) -> String {
        let mut map = serde_json::Map::new();
        map.insert("value".into(), value.into());
        StixId::sco("cryptocurrency-wallet", &map).to_string()
    }

    #[test]
    fn sco_ids_match_the_stix2_library() {
        // Known answers from the reference notes (stix2 3.0.2, id_contrib_props=["value"]).
        assert_eq!(
            wallet_id("1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY"),
            "cryptocurrency-wallet--27fadc91-1e1c-5474-988f-07a16840be45"
        );
        assert_eq!(
            wallet_id("0x1111111111111111111111111111111111111111"),
            "cryptocurrency-wallet--f0ff06db-1eba-58e1-b534-2a734208a58e"
        );
        assert_eq!(
            wallet_id("0x2222222222222222222222222222222222222222"),
            "cryptocurrency-wallet--39aa5814-2751-545d-8bcc-902c71c74518"
        );
    }

    #[test]
    fn parses_and_refuses_identifiers() {
        let id = StixId::parse("indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090").unwrap();
        assert_eq!(id.object_type(), "indicator");
        for bad in [
            "indicator",
            "indicator--",
            "Indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
            "in--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
            "indicator--7e6d5c4b-3a29-0817-a6f5-e4d3c2b1a090",
            "indicator--7e6d5c4b-3a29-4817-c6f5-e4d3c2b1a090",
            "indicator--7e6d5c4b3a294817a6f5e4d3c2b1a090",
            "x--y--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
            "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a09é",
        ] {
            assert!(StixId::parse(bad).is_err(), "{bad}");
        }
    }
}
