//! Crypto objects and fixed definitions: the `cryptocurrency-wallet` SCO and its extension
//! definition, Chainward's property extension, and the Lazarus Group template.

use crate::model::{
    Common, CryptocurrencyWallet, ExtensionDefinition, ExternalReference, IntrusionSet, ThreatActor,
};
use crate::{StixId, Timestamp, Tlp};
use chainward_primitives::{Address, Chain};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// muchdogesec/stix2extensions' `cryptocurrency-wallet` extension definition (new-sco), the
/// one this crate writes.
pub const WALLET_EXTENSION_ID: &str = "extension-definition--be78509e-6958-51b1-8b26-d17ee0eba2d7";

/// The schema URL that extension definition names.
pub const WALLET_SCHEMA_URL: &str = "https://raw.githubusercontent.com/muchdogesec/stix2extensions/main/automodel_generated/schemas/scos/cryptocurrency-wallet.json";

/// The identity that created [`WALLET_EXTENSION_ID`] (muchdogesec).
pub const WALLET_EXTENSION_CREATOR: &str = "identity--9779a2db-f98c-5f4b-8d08-8ee04e02dbb5";

/// OpenCTI's new-sco extension id, under which OpenCTI writes its `cryptocurrency-wallet`;
/// accepted on input like [`WALLET_EXTENSION_ID`].
pub const OPENCTI_SCO_EXTENSION_ID: &str =
    "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82";

/// Chainward's property extension: the watchlist fields STIX has no property for, on
/// indicators (`watchlist_entry`) and sightings (`alert`), so a Chainward → Chainward exchange
/// is lossless. Its JSON schema is `schemas/<this id>.json` in this crate.
pub const CHAINWARD_EXTENSION_ID: &str =
    "extension-definition--4ee610e3-3910-46c1-9b3a-916ff768383e";

/// The identity named as the creator of [`CHAINWARD_EXTENSION_ID`].
pub const CHAINWARD_IDENTITY_ID: &str = "identity--0c7b5a1e-7d44-4f0e-9a55-3b1c7f2d9e61";

/// The fixed `created`/`modified` of Chainward's extension definition (its version 1.0).
const CHAINWARD_EXTENSION_CREATED: &str = "2026-11-25T00:00:00.000Z";

/// The STIX `value` Chainward writes for an address: the canonical spelling, except EVM
/// addresses, which are written in lower case (EIP-55 mixed case is a checksum, not part of the
/// address, and most feeds write EVM addresses in lower case). Wallet ids and patterns are
/// computed from this value, so every Chainward producer gives one address the same id.
pub fn wallet_value(address: &Address) -> String {
    match address.chain() {
        Chain::Evm => address.canonical().to_ascii_lowercase(),
        _ => address.canonical().to_owned(),
    }
}

/// The deterministic id of the wallet with this (already normalized) value: UUIDv5 in the STIX
/// SCO namespace over `{"value":"…"}`, as the `stix2` library computes it.
pub fn wallet_id(value: &str) -> StixId {
    let mut contributing = Map::new();
    contributing.insert("value".into(), Value::String(value.to_owned()));
    StixId::sco("cryptocurrency-wallet", &contributing)
}

/// The wallet object of an address.
pub fn wallet_for(address: &Address) -> CryptocurrencyWallet {
    let value = wallet_value(address);
    let mut common = Common::new("cryptocurrency-wallet", wallet_id(&value));
    let mut extension = Map::new();
    extension.insert("extension_type".into(), "new-sco".into());
    common.extensions.insert(WALLET_EXTENSION_ID.into(), Value::Object(extension));
    CryptocurrencyWallet {
        common,
        value,
        holder_ref: None,
        x_chainward_chain: Some(address.chain().as_str().to_owned()),
    }
}

fn fixed(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("fixed timestamps are valid")
}

fn fixed_id(text: &str) -> StixId {
    StixId::parse(text).expect("fixed ids are valid")
}

/// The wallet's extension definition, as muchdogesec publishes it (its statement marking is
/// left out; it is marked TLP:CLEAR).
pub fn wallet_extension_definition() -> ExtensionDefinition {
    let created = fixed("2020-01-01T00:00:00.000Z");
    let mut common =
        Common::sdo("extension-definition", fixed_id(WALLET_EXTENSION_ID), created, created);
    common.created_by_ref = Some(fixed_id(WALLET_EXTENSION_CREATOR));
    common.object_marking_refs = vec![fixed_id(Tlp::Clear.id())];
    ExtensionDefinition {
        common,
        name: "CryptocurrencyWallet".into(),
        description: Some(
            "This extension creates a new SCO that can be used to represent cryptocurrency \
             wallets."
                .into(),
        ),
        schema: WALLET_SCHEMA_URL.into(),
        version: "1.0".into(),
        extension_types: vec!["new-sco".into()],
        extension_properties: Vec::new(),
    }
}

/// Chainward's property-extension definition.
pub fn chainward_extension_definition() -> ExtensionDefinition {
    let created = fixed(CHAINWARD_EXTENSION_CREATED);
    let mut common =
        Common::sdo("extension-definition", fixed_id(CHAINWARD_EXTENSION_ID), created, created);
    common.created_by_ref = Some(fixed_id(CHAINWARD_IDENTITY_ID));
    common.object_marking_refs = vec![fixed_id(Tlp::Clear.id())];
    ExtensionDefinition {
        common,
        name: "Chainward watchlist".into(),
        description: Some(
            "Watchlist fields of a Chainward entry (chain, category, entity, source labels, \
             sanctions programme, reference) on indicators, and the rule and severity of a \
             confirmed alert on sightings."
                .into(),
        ),
        schema: format!(
            "JSON Schema: crates/sharing/stix/schemas/{CHAINWARD_EXTENSION_ID}.json in the \
             Chainward repository. Indicators carry {{\"extension_type\": \
             \"property-extension\", \"watchlist_entry\": {{...}}}}; sightings carry \
             {{\"extension_type\": \"property-extension\", \"alert\": {{...}}}}."
        ),
        version: "1.0".into(),
        extension_types: vec!["property-extension".into()],
        extension_properties: Vec::new(),
    }
}

/// The watchlist fields an indicator carries in Chainward's extension (`watchlist_entry`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryExtension {
    /// The Chainward source the entry came from (`tags/ronin_bridge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Chainward's chain name.
    pub chain: String,
    /// The canonical spelling.
    pub address: String,
    /// The spelling in the source list, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_address: Option<String>,
    /// The currency ticker the source gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The listed entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Chainward's category name (`stolen_funds`).
    pub category: String,
    /// The source's own category words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// The source's name for its confidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_label: Option<String>,
    /// Sanctions programme(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// The source's reference for the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The attributed actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Free-text context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The listing date the source states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_on: Option<String>,
}

/// The alert fields a sighting carries in Chainward's extension (`alert`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertExtension {
    /// The rule that fired.
    pub rule: String,
    /// Its severity (`none` … `severe`).
    pub severity: String,
    /// The network (`bitcoin`, `evm-1`).
    pub network: String,
    /// The address, as Chainward spells it.
    pub address: String,
}

/// Names under which Lazarus Group appears in lists (OFAC writes `LAZARUS GROUP`), compared
/// case-insensitively, spaces and punctuation ignored.
pub const LAZARUS_NAMES: [&str; 8] = [
    "Lazarus Group",
    "Lazarus",
    "Hidden Cobra",
    "APT38",
    "ZINC",
    "Diamond Sleet",
    "TraderTraitor",
    "BlueNoroff",
];

/// The aliases Chainward writes on the Lazarus Group intrusion set (from the MISP galaxy's
/// synonyms, as in the reference bundle).
pub const LAZARUS_ALIASES: [&str; 4] = ["Hidden Cobra", "APT38", "ZINC", "Diamond Sleet"];

fn squash(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Whether a listed entity name means Lazarus Group.
pub fn is_lazarus(name: &str) -> bool {
    let name = squash(name);
    LAZARUS_NAMES.iter().any(|known| squash(known) == name)
}

/// The Lazarus Group intrusion set (MITRE G0032; MISP galaxy threat-actor cluster value
/// `68391641-859f-4a9a-9a1e-3e5cf71ec376`).
pub fn lazarus_intrusion_set(id: StixId, created: Timestamp, modified: Timestamp) -> IntrusionSet {
    IntrusionSet {
        common: Common {
            external_references: vec![
                reference("mitre-attack", "G0032"),
                reference("misp-galaxy:threat-actor", "68391641-859f-4a9a-9a1e-3e5cf71ec376"),
            ],
            ..Common::sdo("intrusion-set", id, created, modified)
        },
        name: "Lazarus Group".into(),
        description: Some(
            "North Korean state-sponsored group behind most large cryptocurrency thefts \
             (Ronin, Harmony, Atomic Wallet, Stake.com, Bybit)."
                .into(),
        ),
        aliases: LAZARUS_ALIASES.map(str::to_owned).to_vec(),
        first_seen: None,
        last_seen: None,
        goals: Vec::new(),
        resource_level: Some("government".into()),
        primary_motivation: Some("personal-gain".into()),
        secondary_motivations: Vec::new(),
    }
}

/// The Lazarus Group threat actor (a nation-state crime syndicate).
pub fn lazarus_threat_actor(id: StixId, created: Timestamp, modified: Timestamp) -> ThreatActor {
    ThreatActor {
        common: Common::sdo("threat-actor", id, created, modified),
        name: "Lazarus Group".into(),
        description: None,
        threat_actor_types: vec!["nation-state".into(), "crime-syndicate".into()],
        aliases: LAZARUS_ALIASES.map(str::to_owned).to_vec(),
        first_seen: None,
        last_seen: None,
        roles: vec!["agent".into()],
        goals: Vec::new(),
        sophistication: Some("advanced".into()),
        resource_level: Some("government".into()),
        primary_motivation: Some("personal-gain".into()),
        secondary_motivations: Vec::new(),
        personal_motivations: Vec::new(),
    }
}

fn reference(source_name: &str, external_id: &str) -> ExternalReference {
    ExternalReference {
        source_name: source_name.into(),
        description: None,
        url: None,
        hashes: None,
        external_id: Some(external_id.into()),
        custom: Map::new(),
    }
}
