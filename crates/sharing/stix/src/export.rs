//! Watchlist entries, tags and confirmed alerts → a STIX bundle.

use crate::crypto::{
    AlertExtension, CHAINWARD_EXTENSION_ID, EntryExtension, chainward_extension_definition,
    is_lazarus, lazarus_intrusion_set, lazarus_threat_actor, wallet_extension_definition,
    wallet_for, wallet_value,
};
use crate::mapping::{category_label, indicator_types};
use crate::model::{
    Bundle, Common, CryptocurrencyWallet, ExternalReference, Identity, Indicator, IntrusionSet,
    Relationship, Sighting, StixObject,
};
use crate::pattern::wallet_pattern;
use crate::{StixError, StixId, Timestamp, Tlp};
use chainward_primitives::ledger::Network;
use chainward_primitives::{Address, AddressKey, Category, Chain, RiskLevel, WatchlistEntry};
use chainward_store_api::EntryRecord;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Who publishes the bundle: its `identity` is every object's `created_by_ref`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Producer {
    /// The organisation's name.
    pub name: String,
    /// `identity_class` (default `organization`).
    pub identity_class: String,
    /// `contact_information`.
    pub contact_information: Option<String>,
    /// A fixed identity id; by default one derived from the name, so it is stable.
    pub id: Option<StixId>,
    /// The identity's `created`; by default the earliest `created` of the exported objects.
    /// Set it to keep the identity's `created` fixed across exports.
    pub created: Option<Timestamp>,
}

impl Producer {
    /// An organisation.
    pub fn organization(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            identity_class: "organization".into(),
            contact_information: None,
            id: None,
            created: None,
        }
    }

    /// The identity's id.
    pub fn identity_id(&self) -> StixId {
        self.id
            .clone()
            .unwrap_or_else(|| StixId::chainward("identity", &format!("identity|{}", self.name)))
    }
}

/// How to export.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The producer.
    pub producer: Producer,
    /// The TLP marking on every object the bundle describes (default TLP:AMBER: agencies and
    /// their clients, need to know). The extension definitions are always TLP:CLEAR.
    pub tlp: Tlp,
    /// The time of the export: every object's `modified`.
    pub now: Timestamp,
    /// Export de-listed entries as revoked indicators (default true), so that consumers drop
    /// them; without it they are left out.
    pub include_delisted: bool,
}

impl ExportOptions {
    /// TLP:AMBER, now, de-listings included.
    pub fn new(producer: Producer) -> Self {
        Self { producer, tlp: Tlp::Amber, now: Timestamp::now(), include_delisted: true }
    }
}

/// A label on an address from Chainward's own analysis (a clustering or an analyst's tag),
/// exported like a watchlist entry of source `source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// The address.
    pub address: String,
    /// Its chain, when known (else the most specific chain it parses on).
    pub chain: Option<Chain>,
    /// The category.
    pub category: Category,
    /// The entity named.
    pub entity: Option<String>,
    /// Confidence 0–100.
    pub confidence: u8,
    /// Where the tag comes from (`cluster`, `analyst/jdoe`).
    pub source: String,
    /// Free-form labels.
    pub labels: Vec<String>,
}

/// An alert an analyst confirmed: exported as a `sighting` of the address's indicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmedAlert {
    /// The address the alert is about.
    pub address: String,
    /// The network it happened on.
    pub network: Network,
    /// The rule that fired.
    pub rule: String,
    /// Its severity.
    pub severity: RiskLevel,
    /// When it happened.
    pub time: Timestamp,
    /// What happened, for people.
    pub summary: String,
}

/// Everything one export covers.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExportInput<'a> {
    /// Watchlist entries with their history (de-listed ones become revoked indicators).
    pub entries: &'a [EntryRecord],
    /// Tags.
    pub tags: &'a [Tag],
    /// Confirmed alerts.
    pub alerts: &'a [ConfirmedAlert],
}

/// One indicator to write.
struct Row {
    source: String,
    entry: WatchlistEntry,
    address: Address,
    listed_at: Timestamp,
    delisted_at: Option<Timestamp>,
}

/// Exports watchlist entries (see [`export_bundle`]).
///
/// # Errors
/// As [`export_bundle`].
pub fn entries_to_bundle(
    entries: &[EntryRecord],
    options: &ExportOptions,
) -> Result<Bundle, StixError> {
    export_bundle(&ExportInput { entries, ..ExportInput::default() }, options)
}

/// Exports entries, tags and confirmed alerts as one bundle: the extension definitions, the TLP
/// marking, the producer's identity, one wallet per address (deduplicated by normalized
/// value), one indicator per entry (id stable per source, address, entity and category; a
/// de-listed entry is revoked with `valid_until`), the intrusion sets and identities entries
/// name with their relationships, and one sighting per confirmed alert. STIX.md gives the
/// mapping.
///
/// # Errors
/// [`StixError::Export`] when a stored date or an address does not parse.
pub fn export_bundle(
    input: &ExportInput<'_>,
    options: &ExportOptions,
) -> Result<Bundle, StixError> {
    let now = options.now;
    let mut rows = Vec::new();
    for record in input.entries {
        if record.delisted_in.is_some() && !options.include_delisted {
            continue;
        }
        let entry = &record.entry;
        let address = Address::parse(entry.chain, &entry.address).map_err(|e| {
            StixError::Export(format!("entry of '{}' for '{}': {e}", record.source, entry.address))
        })?;
        let listed_at = Timestamp::parse_lenient(&record.listed_at)
            .map_err(|e| StixError::Export(format!("listed_at of '{}': {e}", entry.address)))?;
        let delisted_at = record
            .delisted_in
            .as_ref()
            .map(|s| Timestamp::parse_lenient(&s.effective_at))
            .transpose()
            .map_err(|e| {
                StixError::Export(format!("de-listing date of '{}': {e}", entry.address))
            })?;
        rows.push(Row {
            source: record.source.clone(),
            entry: entry.clone(),
            address,
            listed_at,
            delisted_at,
        });
    }
    for tag in input.tags {
        let address = match tag.chain {
            Some(chain) => Address::parse(chain, &tag.address).map_err(|e| e.to_string()),
            None => crate::import::first(Address::parse_any(&tag.address), &tag.address),
        }
        .map_err(|e| StixError::Export(format!("tag '{}': {e}", tag.address)))?;
        rows.push(Row {
            source: tag.source.clone(),
            entry: entry_of(
                &address,
                &tag.address,
                tag.category,
                tag.entity.clone(),
                tag.confidence,
                tag.labels.clone(),
            ),
            address,
            listed_at: now,
            delisted_at: None,
        });
    }
    rows.sort_by(|a, b| {
        (&a.source, &a.entry.address, &a.entry.entity, a.entry.category).cmp(&(
            &b.source,
            &b.entry.address,
            &b.entry.entity,
            b.entry.category,
        ))
    });

    let mut out = Exporter::new(options);
    for row in &rows {
        out.indicator(row);
    }
    for alert in input.alerts {
        out.sighting(alert)?;
    }
    Ok(out.finish())
}

fn entry_of(
    address: &Address,
    spelled: &str,
    category: Category,
    entity: Option<String>,
    confidence: u8,
    labels: Vec<String>,
) -> WatchlistEntry {
    let canonical = address.canonical().to_owned();
    WatchlistEntry {
        key: address.key(),
        chain: address.chain(),
        raw_address: (spelled.trim() != canonical).then(|| spelled.trim().to_owned()),
        address: canonical,
        currency: None,
        entity,
        category,
        labels,
        confidence,
        confidence_label: None,
        program: None,
        reference: None,
        actor: None,
        context: None,
        listed_on: None,
    }
}

struct Exporter<'a> {
    options: &'a ExportOptions,
    producer: StixId,
    marking: StixId,
    wallets: BTreeMap<String, CryptocurrencyWallet>,
    groups: BTreeMap<String, StixObject>,
    indicators: Vec<Indicator>,
    by_key: BTreeMap<AddressKey, StixId>,
    relationships: BTreeMap<String, Relationship>,
    sightings: Vec<Sighting>,
}

impl<'a> Exporter<'a> {
    fn new(options: &'a ExportOptions) -> Self {
        Self {
            options,
            producer: options.producer.identity_id(),
            marking: StixId::parse(options.tlp.id()).expect("TLP ids are valid"),
            wallets: BTreeMap::new(),
            groups: BTreeMap::new(),
            indicators: Vec::new(),
            by_key: BTreeMap::new(),
            relationships: BTreeMap::new(),
            sightings: Vec::new(),
        }
    }

    /// The common properties of an object this producer writes.
    fn common(&self, object_type: &str, id: StixId, created: Timestamp) -> Common {
        let mut common = Common::sdo(object_type, id, created, self.options.now);
        common.created_by_ref = Some(self.producer.clone());
        common.object_marking_refs = vec![self.marking.clone()];
        common
    }

    fn wallet(&mut self, address: &Address) -> StixId {
        let value = wallet_value(address);
        let chain = address.chain().as_str();
        let marking = self.marking.clone();
        let wallet = self.wallets.entry(value).or_insert_with(|| {
            let mut wallet = wallet_for(address);
            wallet.common.object_marking_refs = vec![marking];
            wallet
        });
        // The same spelling valid on several chains (a legacy `1…` address on Bitcoin, Bitcoin
        // Cash and Bitcoin SV) is one wallet whose chain the indicators state.
        if wallet.x_chainward_chain.as_deref() != Some(chain) {
            wallet.x_chainward_chain = None;
        }
        wallet.common.id.clone()
    }

    fn relationship(&mut self, kind: &str, source: &StixId, target: &StixId, created: Timestamp) {
        let key = format!("relationship|{kind}|{source}|{target}");
        if self.relationships.contains_key(&key) {
            return;
        }
        let id = StixId::chainward("relationship", &key);
        let relationship = Relationship {
            common: self.common("relationship", id, created),
            relationship_type: kind.into(),
            description: None,
            source_ref: source.clone(),
            target_ref: target.clone(),
            start_time: None,
            stop_time: None,
        };
        self.relationships.insert(key, relationship);
    }

    /// The intrusion set (risky categories) or identity (others) an entity name stands for.
    fn group(&mut self, name: &str, category: Category, created: Timestamp) -> StixId {
        let risky = category.risk() != RiskLevel::None;
        let lazarus = risky && is_lazarus(name);
        let key = match (risky, lazarus) {
            (true, true) => "intrusion-set|lazarus group".to_owned(),
            (true, false) => format!("intrusion-set|{}", name.trim().to_lowercase()),
            (false, _) => format!("identity|{}", name.trim().to_lowercase()),
        };
        let object_type = if risky { "intrusion-set" } else { "identity" };
        let id = StixId::chainward(object_type, &key);
        if let Some(existing) = self.groups.get_mut(&key) {
            // The group exists since its earliest entry.
            let common = match existing {
                StixObject::IntrusionSet(o) => &mut o.common,
                StixObject::Identity(o) => &mut o.common,
                _ => return id,
            };
            if common.created.is_some_and(|c| created < c) {
                common.created = Some(created);
            }
            return id;
        }
        let common = self.common(object_type, id.clone(), created);
        let object: StixObject = if lazarus {
            let mut set = lazarus_intrusion_set(id.clone(), created, self.options.now);
            set.common.created_by_ref = common.created_by_ref;
            set.common.object_marking_refs = common.object_marking_refs;
            let actor_id = StixId::chainward("threat-actor", "threat-actor|lazarus group");
            let mut actor = lazarus_threat_actor(actor_id.clone(), created, self.options.now);
            actor.common.created_by_ref = Some(self.producer.clone());
            actor.common.object_marking_refs = vec![self.marking.clone()];
            self.groups.insert("threat-actor|lazarus group".into(), actor.into());
            self.relationship("attributed-to", &id, &actor_id, created);
            set.into()
        } else if risky {
            IntrusionSet {
                common,
                name: name.trim().to_owned(),
                description: None,
                aliases: Vec::new(),
                first_seen: None,
                last_seen: None,
                goals: Vec::new(),
                resource_level: None,
                primary_motivation: None,
                secondary_motivations: Vec::new(),
            }
            .into()
        } else {
            Identity {
                common,
                name: name.trim().to_owned(),
                description: None,
                roles: Vec::new(),
                identity_class: Some("organization".into()),
                sectors: Vec::new(),
                contact_information: None,
            }
            .into()
        };
        self.groups.insert(key, object);
        id
    }

    fn indicator(&mut self, row: &Row) {
        let entry = &row.entry;
        let value = wallet_value(&row.address);
        let wallet = self.wallet(&row.address);
        let id = StixId::chainward(
            "indicator",
            &format!(
                "indicator|{}|{}|{value}|{}|{}",
                row.source,
                entry.chain,
                entry.entity.as_deref().unwrap_or(""),
                entry.category
            ),
        );
        let created = row.listed_at.min(self.options.now);
        let valid_from = entry
            .listed_on
            .as_deref()
            .and_then(|d| Timestamp::parse_lenient(d).ok())
            .unwrap_or(row.listed_at);
        let mut common = self.common("indicator", id.clone(), created);
        common.confidence = Some(i64::from(entry.confidence));
        if row.delisted_at.is_some() {
            common.revoked = Some(true);
        }
        let mut labels = vec![category_label(entry.category)];
        for label in &entry.labels {
            if !labels.contains(label) {
                labels.push(label.clone());
            }
        }
        common.labels = labels;
        if let Some(reference) = &entry.reference {
            let is_url = reference.starts_with("https://") || reference.starts_with("http://");
            common.external_references.push(ExternalReference {
                source_name: row.source.clone(),
                description: None,
                url: is_url.then(|| reference.clone()),
                hashes: None,
                external_id: (!is_url).then(|| reference.clone()),
                custom: Map::new(),
            });
        }
        let extension = EntryExtension {
            source: Some(row.source.clone()),
            chain: entry.chain.as_str().to_owned(),
            address: entry.address.clone(),
            raw_address: entry.raw_address.clone(),
            currency: entry.currency.clone(),
            entity: entry.entity.clone(),
            category: entry.category.as_str().to_owned(),
            labels: entry.labels.clone(),
            confidence_label: entry.confidence_label.clone(),
            program: entry.program.clone(),
            reference: entry.reference.clone(),
            actor: entry.actor.clone(),
            context: entry.context.clone(),
            listed_on: entry.listed_on.clone(),
        };
        let mut payload = Map::new();
        payload.insert("extension_type".into(), "property-extension".into());
        payload.insert(
            "watchlist_entry".into(),
            serde_json::to_value(extension).unwrap_or(Value::Null),
        );
        common.extensions.insert(CHAINWARD_EXTENSION_ID.into(), Value::Object(payload));
        let entity =
            entry.entity.as_deref().or(entry.actor.as_deref()).filter(|e| !e.trim().is_empty());
        let name = match entity {
            Some(entity) => format!("{entity}: {} address {value}", entry.category),
            None => format!("{} address {value}", entry.category),
        };
        let valid_until = row.delisted_at.filter(|until| *until > valid_from);
        self.indicators.push(Indicator {
            common,
            name: Some(name),
            // STIX wants a description on indicators (validator check 303).
            description: Some(
                entry
                    .context
                    .clone()
                    .unwrap_or_else(|| format!("Listed by {} as {}.", row.source, entry.category)),
            ),
            indicator_types: indicator_types(entry.category)
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            pattern: wallet_pattern(&value),
            pattern_type: "stix".into(),
            pattern_version: Some("2.1".into()),
            valid_from,
            valid_until,
            kill_chain_phases: Vec::new(),
        });
        self.by_key.entry(entry.key).or_insert_with(|| id.clone());
        self.relationship("based-on", &id, &wallet, created);
        if let Some(entity) = entity {
            let group = self.group(entity, entry.category, created);
            let kind =
                if group.object_type() == "intrusion-set" { "indicates" } else { "related-to" };
            self.relationship(kind, &id, &group, created);
            self.relationship("related-to", &wallet, &group, created);
        }
    }

    fn sighting(&mut self, alert: &ConfirmedAlert) -> Result<(), StixError> {
        let address = Address::parse(alert.network.chain, &alert.address)
            .map_err(|e| StixError::Export(format!("alert on '{}': {e}", alert.address)))?;
        let indicator = match self.by_key.get(&address.key()) {
            Some(id) => id.clone(),
            None => {
                // No entry lists the address: the confirmed alert is itself the indicator.
                let mut entry = entry_of(
                    &address,
                    &alert.address,
                    Category::Other,
                    None,
                    50,
                    vec!["chainward-alert".into()],
                );
                entry.context = Some(alert.summary.clone());
                let row = Row {
                    source: format!("alerts/{}", alert.rule),
                    entry,
                    address: address.clone(),
                    listed_at: alert.time,
                    delisted_at: None,
                };
                self.indicator(&row);
                self.by_key[&address.key()].clone()
            }
        };
        let id = StixId::chainward(
            "sighting",
            &format!(
                "sighting|{}|{}|{}|{}",
                alert.network,
                address.canonical(),
                alert.rule,
                alert.time
            ),
        );
        let mut common = self.common("sighting", id, alert.time.min(self.options.now));
        let extension = AlertExtension {
            rule: alert.rule.clone(),
            severity: alert.severity.as_str().into(),
            network: alert.network.to_string(),
            address: address.canonical().into(),
        };
        let mut payload = Map::new();
        payload.insert("extension_type".into(), "property-extension".into());
        payload.insert("alert".into(), serde_json::to_value(extension).unwrap_or(Value::Null));
        common.extensions.insert(CHAINWARD_EXTENSION_ID.into(), Value::Object(payload));
        self.sightings.push(Sighting {
            common,
            description: Some(alert.summary.clone()),
            first_seen: Some(alert.time),
            last_seen: Some(alert.time),
            count: Some(1),
            sighting_of_ref: indicator,
            observed_data_refs: Vec::new(),
            where_sighted_refs: vec![self.producer.clone()],
            summary: None,
        });
        Ok(())
    }

    fn finish(self) -> Bundle {
        let options = self.options;
        let mut objects: Vec<StixObject> =
            vec![wallet_extension_definition().into(), chainward_extension_definition().into()];
        objects.push(Tlp::Clear.marking_definition().into());
        if options.tlp != Tlp::Clear {
            objects.push(options.tlp.marking_definition().into());
        }
        let producer = &options.producer;
        let earliest = self
            .indicators
            .iter()
            .filter_map(|i| i.common.created)
            .chain(self.sightings.iter().filter_map(|s| s.common.created))
            .min()
            .unwrap_or(options.now);
        let created = producer.created.unwrap_or(earliest);
        let mut identity = Common::sdo("identity", self.producer.clone(), created, options.now);
        identity.object_marking_refs = vec![self.marking.clone()];
        // The producer's identity is the one object that names itself as its creator, so
        // that every object (this one too) has a `created_by_ref`.
        identity.created_by_ref = Some(self.producer.clone());
        objects.push(
            Identity {
                common: identity,
                name: producer.name.clone(),
                description: None,
                roles: Vec::new(),
                identity_class: Some(producer.identity_class.clone()),
                sectors: Vec::new(),
                contact_information: producer.contact_information.clone(),
            }
            .into(),
        );
        objects.extend(self.groups.into_values());
        objects.extend(self.wallets.into_values().map(StixObject::from));
        objects.extend(self.indicators.into_iter().map(StixObject::from));
        objects.extend(self.relationships.into_values().map(StixObject::from));
        objects.extend(self.sightings.into_iter().map(StixObject::from));
        Bundle::new(objects)
    }
}
