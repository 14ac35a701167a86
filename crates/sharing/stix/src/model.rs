//! The STIX 2.1 objects Chainward reads and writes, and [`StixObject`], which keeps every other
//! object as the JSON it came in.
//!
//! Every typed object flattens [`Common`], whose `custom` map keeps properties this crate does
//! not model (`x_foo`, `x_opencti_score`, a newer spec's additions), so nothing is lost when an
//! object is read and written back.

use crate::{StixId, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `"2.1"`.
pub const SPEC_VERSION: &str = "2.1";

/// The properties every STIX object may carry (STIX 2.1 §3.2), plus the custom ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Common {
    /// `type`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// `spec_version` (`"2.1"`); optional on SCOs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_version: Option<String>,
    /// `id`.
    pub id: StixId,
    /// `created_by_ref`: the producer's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<StixId>,
    /// `created` (SDOs, SROs, marking definitions; absent on SCOs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// `modified` (SDOs, SROs; the version of the object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    /// `revoked`: the producer withdrew the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<bool>,
    /// `labels`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// `confidence` 0–100 (checked by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<i64>,
    /// `lang` (RFC 5646).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// `external_references`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    /// `object_marking_refs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_marking_refs: Vec<StixId>,
    /// `granular_markings`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granular_markings: Vec<GranularMarking>,
    /// `extensions`, keyed by extension-definition id (or a predefined extension name).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
    /// Every other property, kept as it came.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

impl Common {
    /// The common part of a new object: `spec_version` 2.1, nothing else set.
    pub fn new(object_type: &str, id: StixId) -> Self {
        Self {
            object_type: object_type.to_owned(),
            spec_version: Some(SPEC_VERSION.to_owned()),
            id,
            created_by_ref: None,
            created: None,
            modified: None,
            revoked: None,
            labels: Vec::new(),
            confidence: None,
            lang: None,
            external_references: Vec::new(),
            object_marking_refs: Vec::new(),
            granular_markings: Vec::new(),
            extensions: Map::new(),
            custom: Map::new(),
        }
    }

    /// The common part of a new SDO/SRO with `created` and `modified`.
    pub fn sdo(object_type: &str, id: StixId, created: Timestamp, modified: Timestamp) -> Self {
        let mut common = Self::new(object_type, id);
        common.created = Some(created);
        common.modified = Some(modified.max(created));
        common
    }

    /// Whether `revoked` is true.
    pub fn is_revoked(&self) -> bool {
        self.revoked == Some(true)
    }

    /// The version TAXII would list: `modified`, else `created`.
    pub fn version(&self) -> Option<Timestamp> {
        self.modified.or(self.created)
    }
}

/// An `external-reference`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExternalReference {
    /// `source_name` (required).
    pub source_name: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `hashes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Map<String, Value>>,
    /// `external_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Other properties.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// A `granular-marking`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GranularMarking {
    /// `lang`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// `marking_ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marking_ref: Option<StixId>,
    /// `selectors` (required).
    pub selectors: Vec<String>,
    /// Other properties.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// A `kill-chain-phase`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillChainPhase {
    /// `kill_chain_name`.
    pub kill_chain_name: String,
    /// `phase_name`.
    pub phase_name: String,
}

/// `identity`: a producer, an agency, an exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `name` (required).
    pub name: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `roles`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// `identity_class` (`organization`, `individual`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_class: Option<String>,
    /// `sectors`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors: Vec<String>,
    /// `contact_information`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_information: Option<String>,
}

/// `indicator`: a pattern that, matched, means something (here: a listed wallet).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `indicator_types` (open vocabulary `indicator-type-ov`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicator_types: Vec<String>,
    /// `pattern` (required).
    pub pattern: String,
    /// `pattern_type` (required; `stix` is the one this crate reads).
    pub pattern_type: String,
    /// `pattern_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_version: Option<String>,
    /// `valid_from` (required).
    pub valid_from: Timestamp,
    /// `valid_until`: after it the indicator no longer holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
    /// `kill_chain_phases`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kill_chain_phases: Vec<KillChainPhase>,
}

/// `intrusion-set` (Lazarus Group).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntrusionSet {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `name` (required).
    pub name: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `aliases`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `first_seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    /// `last_seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// `goals`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<String>,
    /// `resource_level`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_level: Option<String>,
    /// `primary_motivation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_motivation: Option<String>,
    /// `secondary_motivations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_motivations: Vec<String>,
}

/// `threat-actor`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreatActor {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `name` (required).
    pub name: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `threat_actor_types`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threat_actor_types: Vec<String>,
    /// `aliases`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `first_seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    /// `last_seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// `roles`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// `goals`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<String>,
    /// `sophistication`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sophistication: Option<String>,
    /// `resource_level`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_level: Option<String>,
    /// `primary_motivation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_motivation: Option<String>,
    /// `secondary_motivations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_motivations: Vec<String>,
    /// `personal_motivations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal_motivations: Vec<String>,
}

/// `relationship`: `source_ref --relationship_type--> target_ref`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Relationship {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `relationship_type` (`indicates`, `attributed-to`, `related-to`, `based-on`, …).
    pub relationship_type: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `source_ref`.
    pub source_ref: StixId,
    /// `target_ref`.
    pub target_ref: StixId,
    /// `start_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// `stop_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_time: Option<Timestamp>,
}

/// `sighting`: the producer saw what an indicator describes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `first_seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    /// `last_seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// `count` (0–999,999,999).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// `sighting_of_ref` (required; an SDO, usually an indicator).
    pub sighting_of_ref: StixId,
    /// `observed_data_refs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_data_refs: Vec<StixId>,
    /// `where_sighted_refs` (identities or locations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub where_sighted_refs: Vec<StixId>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<bool>,
}

/// `report`: a published collection of objects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `name` (required).
    pub name: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `report_types`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report_types: Vec<String>,
    /// `published` (required).
    pub published: Timestamp,
    /// `object_refs` (required, non-empty).
    pub object_refs: Vec<StixId>,
}

/// `marking-definition` (TLP 2.0 through its extension; TLP 1.0 and statements through
/// `definition_type`/`definition`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkingDefinition {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `definition_type` (TLP 1.0: `tlp`; `statement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_type: Option<String>,
    /// `definition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Map<String, Value>>,
}

/// `extension-definition`: names and points at the schema of a new object type or a set of
/// extra properties.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtensionDefinition {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `name` (required).
    pub name: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `schema` (required): a URL or a plain-text definition.
    pub schema: String,
    /// `version` (required). Not a TAXII version: medallion 3.0.0 confused the two.
    pub version: String,
    /// `extension_types` (required): `new-sdo`, `new-sco`, `new-sro`, `property-extension`,
    /// `toplevel-property-extension`.
    pub extension_types: Vec<String>,
    /// `extension_properties` (for `toplevel-property-extension`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension_properties: Vec<String>,
}

/// `cryptocurrency-wallet`: a custom SCO (no OASIS type exists) whose `value` is the address.
///
/// Its id is deterministic: UUIDv5 over `{"value": <normalized address>}` (see
/// [`crate::wallet_id`]). Consumers must still deduplicate by normalized value: other producers
/// hash the address as they spelled it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CryptocurrencyWallet {
    /// Common properties.
    #[serde(flatten)]
    pub common: Common,
    /// `value` (required): the address. Wallets written before muchdogesec's October 2025
    /// schema change carry `address` instead; parsing moves it here.
    #[serde(default, alias = "address")]
    pub value: String,
    /// `holder_ref`: the identity that holds the wallet (an exchange for a custodial one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_ref: Option<StixId>,
    /// `x_chainward_chain`: Chainward's chain name (`bitcoin`, `evm`, `tron`, …), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_chainward_chain: Option<String>,
}

/// A STIX object: one of the types this crate models, or any other kept as its raw JSON.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StixObject {
    /// `identity`.
    Identity(Box<Identity>),
    /// `indicator`.
    Indicator(Box<Indicator>),
    /// `intrusion-set`.
    IntrusionSet(Box<IntrusionSet>),
    /// `threat-actor`.
    ThreatActor(Box<ThreatActor>),
    /// `relationship`.
    Relationship(Box<Relationship>),
    /// `sighting`.
    Sighting(Box<Sighting>),
    /// `report`.
    Report(Box<Report>),
    /// `marking-definition`.
    MarkingDefinition(Box<MarkingDefinition>),
    /// `extension-definition`.
    ExtensionDefinition(Box<ExtensionDefinition>),
    /// `cryptocurrency-wallet`.
    Wallet(Box<CryptocurrencyWallet>),
    /// Any other type (`malware`, `incident`, `x-misp-object`, …), byte for byte as read.
    Other(OtherObject),
}

/// An object of a type this crate does not model, kept exactly as it was read.
#[derive(Clone, Debug)]
pub struct OtherObject {
    /// Its `type`.
    pub object_type: String,
    /// Its `id`.
    pub id: StixId,
    /// Its JSON, as read.
    pub raw: Box<serde_json::value::RawValue>,
}

impl PartialEq for OtherObject {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl OtherObject {
    /// Wraps a JSON object that has a valid `type` and `id`.
    ///
    /// # Errors
    /// When `value` is not an object with a string `type` and a valid `id`.
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let object_type = value
            .get("type")
            .and_then(Value::as_str)
            .ok_or("an object needs a string 'type'")?
            .to_owned();
        let id = StixId::parse(
            value.get("id").and_then(Value::as_str).ok_or("an object needs an 'id'")?,
        )?;
        let raw = serde_json::value::to_raw_value(value).map_err(|e| e.to_string())?;
        Ok(Self { object_type, id, raw })
    }
}

impl StixObject {
    /// The object's `type`.
    pub fn object_type(&self) -> &str {
        match self {
            Self::Other(other) => &other.object_type,
            _ => self.common().map_or("", |c| c.object_type.as_str()),
        }
    }

    /// The object's `id`.
    pub fn id(&self) -> &StixId {
        match self {
            Self::Other(other) => &other.id,
            Self::Identity(o) => &o.common.id,
            Self::Indicator(o) => &o.common.id,
            Self::IntrusionSet(o) => &o.common.id,
            Self::ThreatActor(o) => &o.common.id,
            Self::Relationship(o) => &o.common.id,
            Self::Sighting(o) => &o.common.id,
            Self::Report(o) => &o.common.id,
            Self::MarkingDefinition(o) => &o.common.id,
            Self::ExtensionDefinition(o) => &o.common.id,
            Self::Wallet(o) => &o.common.id,
        }
    }

    /// The common properties of a typed object (`None` for [`StixObject::Other`]).
    pub fn common(&self) -> Option<&Common> {
        Some(match self {
            Self::Identity(o) => &o.common,
            Self::Indicator(o) => &o.common,
            Self::IntrusionSet(o) => &o.common,
            Self::ThreatActor(o) => &o.common,
            Self::Relationship(o) => &o.common,
            Self::Sighting(o) => &o.common,
            Self::Report(o) => &o.common,
            Self::MarkingDefinition(o) => &o.common,
            Self::ExtensionDefinition(o) => &o.common,
            Self::Wallet(o) => &o.common,
            Self::Other(_) => return None,
        })
    }

    /// The object as JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Serialize for StixObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Identity(o) => o.serialize(serializer),
            Self::Indicator(o) => o.serialize(serializer),
            Self::IntrusionSet(o) => o.serialize(serializer),
            Self::ThreatActor(o) => o.serialize(serializer),
            Self::Relationship(o) => o.serialize(serializer),
            Self::Sighting(o) => o.serialize(serializer),
            Self::Report(o) => o.serialize(serializer),
            Self::MarkingDefinition(o) => o.serialize(serializer),
            Self::ExtensionDefinition(o) => o.serialize(serializer),
            Self::Wallet(o) => o.serialize(serializer),
            Self::Other(o) => o.raw.serialize(serializer),
        }
    }
}

macro_rules! from_object {
    ($($ty:ident => $variant:ident),* $(,)?) => {$(
        impl From<$ty> for StixObject {
            fn from(object: $ty) -> Self {
                Self::$variant(Box::new(object))
            }
        }
    )*};
}

from_object!(
    Identity => Identity,
    Indicator => Indicator,
    IntrusionSet => IntrusionSet,
    ThreatActor => ThreatActor,
    Relationship => Relationship,
    Sighting => Sighting,
    Report => Report,
    MarkingDefinition => MarkingDefinition,
    ExtensionDefinition => ExtensionDefinition,
    CryptocurrencyWallet => Wallet,
);

/// A STIX bundle: `{"type": "bundle", "id": "bundle--…", "objects": [...]}`.
///
/// Read one with [`crate::parse_bundle`], which validates every object; write one with
/// `serde_json::to_vec`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bundle {
    /// `type`: always `bundle`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// `id`.
    pub id: StixId,
    /// `objects` (omitted when empty: STIX forbids empty lists).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<StixObject>,
}

impl Bundle {
    /// A new bundle with a random id.
    pub fn new(objects: Vec<StixObject>) -> Self {
        Self { object_type: "bundle".into(), id: StixId::random("bundle"), objects }
    }

    /// The object with this id (the first, when a bundle carries several versions).
    pub fn get(&self, id: &str) -> Option<&StixObject> {
        self.objects.iter().find(|o| o.id().as_str() == id)
    }
}
