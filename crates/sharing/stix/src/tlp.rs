//! Traffic Light Protocol 2.0 marking definitions, with the fixed ids OASIS publishes.

use crate::model::{Common, MarkingDefinition};
use crate::{StixId, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The extension definition every TLP 2.0 marking uses
/// (oasis-open/cti-stix-common-objects `extension-definition-specifications/tlp-2.0`).
pub const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// The `created` date of all five official TLP 2.0 marking definitions.
pub const TLP2_CREATED: &str = "2022-10-01T00:00:00.000Z";

/// A TLP 2.0 level, ordered from least to most restrictive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tlp {
    /// TLP:CLEAR — no limit on disclosure (TLP 1.0: WHITE).
    Clear,
    /// TLP:GREEN — the recipient's community.
    Green,
    /// TLP:AMBER — the recipient's organisation and its clients, need to know.
    Amber,
    /// TLP:AMBER+STRICT — the recipient's organisation only.
    AmberStrict,
    /// TLP:RED — the named recipients only.
    Red,
}

impl Tlp {
    /// Every level, least restrictive first.
    pub const ALL: [Self; 5] =
        [Self::Clear, Self::Green, Self::Amber, Self::AmberStrict, Self::Red];

    /// The fixed id of the official TLP 2.0 marking definition.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Self::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Self::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Self::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Self::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The TLP 1.0 marking id of the same colour (STIX 2.1 §7.2.1.4), if TLP 1.0 had it.
    pub const fn tlp1_id(self) -> Option<&'static str> {
        match self {
            Self::Clear => Some("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Self::Green => Some("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"),
            Self::Amber => Some("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"),
            Self::AmberStrict => None,
            Self::Red => Some("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"),
        }
    }

    /// The marking's `name` (`TLP:AMBER+STRICT`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Clear => "TLP:CLEAR",
            Self::Green => "TLP:GREEN",
            Self::Amber => "TLP:AMBER",
            Self::AmberStrict => "TLP:AMBER+STRICT",
            Self::Red => "TLP:RED",
        }
    }

    /// The extension's `tlp_2_0` value (`amber+strict`).
    pub const fn tlp_2_0(self) -> &'static str {
        match self {
            Self::Clear => "clear",
            Self::Green => "green",
            Self::Amber => "amber",
            Self::AmberStrict => "amber+strict",
            Self::Red => "red",
        }
    }

    /// The level a marking id stands for: the TLP 2.0 ids, and the TLP 1.0 ids that producers
    /// such as the `stix2` library and misp-stix still emit (WHITE reads as CLEAR).
    pub fn from_marking_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id || t.tlp1_id() == Some(id))
    }

    /// The official marking-definition object, exactly as OASIS publishes it.
    pub fn marking_definition(self) -> MarkingDefinition {
        let mut extension = serde_json::Map::new();
        extension.insert("extension_type".into(), "property-extension".into());
        extension.insert("tlp_2_0".into(), self.tlp_2_0().into());
        let mut common = Common::new(
            "marking-definition",
            StixId::parse(self.id()).expect("the TLP ids are valid"),
        );
        common.created = Some(Timestamp::parse(TLP2_CREATED).expect("a valid timestamp"));
        common.extensions.insert(TLP2_EXTENSION_ID.into(), extension.into());
        MarkingDefinition {
            common,
            name: Some(self.name().into()),
            definition_type: None,
            definition: None,
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Tlp {
    type Err = String;

    /// Reads `amber`, `TLP:AMBER`, `amber+strict`, `white` (as CLEAR), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let level = lower.strip_prefix("tlp:").unwrap_or(&lower);
        match level {
            "white" => Ok(Self::Clear),
            _ => Self::ALL.into_iter().find(|t| t.tlp_2_0() == level).ok_or_else(|| {
                format!("unknown TLP level '{s}'; known: clear, green, amber, amber+strict, red")
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_ids_and_shape() {
        let amber = serde_json::to_value(Tlp::Amber.marking_definition()).unwrap();
        assert_eq!(
            amber,
            serde_json::json!({
                "type": "marking-definition",
                "spec_version": "2.1",
                "id": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
                "created": "2022-10-01T00:00:00.000Z",
                "name": "TLP:AMBER",
                "extensions": {
                    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                        "extension_type": "property-extension",
                        "tlp_2_0": "amber"
                    }
                }
            })
        );
        assert_eq!(
            Tlp::from_marking_id("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"),
            Some(Tlp::Amber)
        );
        assert_eq!(Tlp::from_marking_id(Tlp::AmberStrict.id()), Some(Tlp::AmberStrict));
        assert_eq!("TLP:WHITE".parse::<Tlp>(), Ok(Tlp::Clear));
        assert!(Tlp::Red > Tlp::AmberStrict && Tlp::AmberStrict > Tlp::Amber);
    }
}
