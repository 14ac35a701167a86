//! A STIX bundle → watchlist snapshots, one per producer, in the types list imports use.

use crate::crypto::{CHAINWARD_EXTENSION_ID, EntryExtension, wallet_value};
use crate::mapping::category_of;
use crate::model::{Bundle, Common, Indicator, Relationship, StixObject};
use crate::pattern::{WalletTerm, parse_pattern};
use crate::{StixId, Timestamp, Tlp};
use chainward_primitives::{
    Actor, Address, Category, Chain, IssueSeverity, ParseIssue, WatchlistEntry,
};
use chainward_store_api::{SnapshotImport, SourceRef};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The format name of STIX snapshots in the store.
pub const STIX_FORMAT: &str = "stix-2.1";

/// Where a bundle came from.
#[derive(Clone, Debug)]
pub struct ImportProvenance {
    /// The TAXII collection (id or alias) the bundle was read from, if any; part of the source
    /// name.
    pub collection: Option<String>,
    /// The file path or URL.
    pub origin: String,
    /// When the import happens.
    pub imported_at: Timestamp,
    /// The time the bundle speaks for, when known: indicators whose `valid_until` is not after
    /// it are de-listed (default: `imported_at`).
    pub as_of: Option<Timestamp>,
}

/// Why an indicator is not listed any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelistReason {
    /// The producer revoked it (`revoked: true`).
    Revoked,
    /// Its `valid_until` has passed.
    Expired,
}

/// Which STIX object an entry came from, and its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StixProvenance {
    /// The indicator (or, for a wallet listed only through a relationship, the wallet).
    pub object_id: StixId,
    /// Its `modified` (else `created`): the version TAXII lists.
    pub version: Option<Timestamp>,
    /// The most restrictive TLP marking on it, if any.
    pub tlp: Option<Tlp>,
}

/// An entry the bundle de-lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delisting {
    /// The entry as the indicator describes it.
    pub entry: WatchlistEntry,
    /// Where it came from.
    pub provenance: StixProvenance,
    /// Revoked or expired.
    pub reason: DelistReason,
}

/// What one producer's objects in a bundle say.
#[derive(Clone, Debug)]
pub struct SourceImport {
    /// The active entries as a snapshot of source `stix/<collection>/<producer identity id>`:
    /// give it to `WatchlistStore::import_snapshots`. The store de-lists whatever an earlier
    /// snapshot of this source had and this one lacks, so this is right for a bundle that holds
    /// the producer's whole list (a full export, a whole TAXII collection). For an incremental
    /// fetch (`added_after`), use [`SourceImport::merge_into`].
    pub snapshot: SnapshotImport,
    /// For each of `snapshot.entries`, in order: the STIX object and version it came from.
    pub provenance: Vec<StixProvenance>,
    /// Entries revoked or expired.
    pub delisted: Vec<Delisting>,
    /// The producer's identity, if the objects name one.
    pub producer: Option<StixId>,
    /// The producer's name, if its identity is in the bundle.
    pub producer_name: Option<String>,
    /// The most restrictive TLP on any imported object: whoever re-shares these entries must
    /// not share them more widely.
    pub tlp: Option<Tlp>,
}

impl SourceImport {
    /// The snapshot after an incremental fetch: the source's previously active entries, with
    /// those this bundle lists replaced and those it de-lists removed.
    pub fn merge_into(&self, previous_active: &[WatchlistEntry]) -> SnapshotImport {
        let touched: BTreeSet<_> = self
            .snapshot
            .entries
            .iter()
            .chain(self.delisted.iter().map(|d| &d.entry))
            .map(identity)
            .collect();
        let mut snapshot = self.snapshot.clone();
        snapshot.entries = previous_active
            .iter()
            .filter(|e| !touched.contains(&identity(e)))
            .cloned()
            .chain(self.snapshot.entries.iter().cloned())
            .collect();
        snapshot
    }
}

fn identity(entry: &WatchlistEntry) -> (Vec<u8>, String, Category) {
    let (key, entity, category) = entry.identity();
    (key.as_bytes().to_vec(), entity.to_owned(), category)
}

/// The result of importing a bundle.
#[derive(Clone, Debug, Default)]
pub struct StixImport {
    /// One per producer, sorted by source name.
    pub sources: Vec<SourceImport>,
}

impl StixImport {
    /// The snapshots, for `WatchlistStore::import_snapshots`.
    pub fn snapshots(&self) -> Vec<SnapshotImport> {
        self.sources.iter().map(|s| s.snapshot.clone()).collect()
    }
}

/// What the importer gathered for one producer.
#[derive(Default)]
struct Gathered {
    listed: Vec<(WatchlistEntry, StixProvenance)>,
    delisted: Vec<Delisting>,
    issues: Vec<ParseIssue>,
    actors: BTreeMap<String, Actor>,
    hash: Vec<(String, String)>,
    latest: Option<Timestamp>,
    tlp: Option<Tlp>,
}

struct Context<'a> {
    bundle: &'a Bundle,
    by_id: HashMap<&'a str, &'a StixObject>,
    from: HashMap<&'a str, Vec<&'a Relationship>>,
    provenance: &'a ImportProvenance,
    now: Timestamp,
}

/// Maps a bundle's indicators, and wallets related to an intrusion set or threat actor, to
/// watchlist entries, one snapshot per producer (`created_by_ref`).
///
/// - Only `pattern_type: stix` patterns of the forms [`crate::Pattern::wallet_terms`] accepts
///   are imported; others become warnings in the snapshot's issues. Addresses are validated
///   and normalized by `chainward-primitives` (on the chain the pattern, Chainward's
///   extension or the wallet's `x_chainward_chain` names, else the most specific chain the
///   address is valid on); an invalid address is an error issue and is left out.
/// - Revoked indicators, and those whose `valid_until` is not after `as_of`, are de-listings.
/// - When several versions of an indicator are present, the latest `modified` wins.
/// - Category, entity and confidence follow the table in STIX.md; an indicator written by
///   Chainward carries its exact entry in Chainward's extension, which wins.
pub fn indicators_to_entries(bundle: &Bundle, provenance: &ImportProvenance) -> StixImport {
    let mut by_id: HashMap<&str, &StixObject> = HashMap::new();
    for object in &bundle.objects {
        let newer = match by_id.get(object.id().as_str()) {
            Some(existing) => version(object) > version(existing),
            None => true,
        };
        if newer {
            by_id.insert(object.id().as_str(), object);
        }
    }
    let mut from: HashMap<&str, Vec<&Relationship>> = HashMap::new();
    for object in by_id.values() {
        if let StixObject::Relationship(r) = object {
            from.entry(r.source_ref.as_str()).or_default().push(r);
            from.entry(r.target_ref.as_str()).or_default().push(r);
        }
    }
    let context = Context {
        bundle,
        by_id,
        from,
        provenance,
        now: provenance.as_of.unwrap_or(provenance.imported_at),
    };
    let mut producers: BTreeMap<Option<StixId>, Gathered> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for object in &bundle.objects {
        if let StixObject::Indicator(indicator) = object {
            if !seen.insert(indicator.common.id.as_str()) {
                continue;
            }
            let Some(StixObject::Indicator(latest)) =
                context.by_id.get(indicator.common.id.as_str())
            else {
                continue;
            };
            let gathered = producers.entry(latest.common.created_by_ref.clone()).or_default();
            context.indicator(latest, gathered);
        }
    }
    for object in &bundle.objects {
        if let StixObject::Relationship(relationship) = object
            && seen.insert(relationship.common.id.as_str())
        {
            context.related_wallet(relationship, &mut producers);
        }
    }
    let sources = producers
        .into_iter()
        .map(|(producer, gathered)| context.finish(producer, gathered))
        .collect();
    StixImport { sources }
}

fn version(object: &StixObject) -> Option<Timestamp> {
    object.common().and_then(Common::version)
}

fn tlp_of(common: &Common) -> Option<Tlp> {
    common.object_marking_refs.iter().filter_map(|m| Tlp::from_marking_id(m.as_str())).max()
}

impl Context<'_> {
    fn issue(
        &self,
        id: &StixId,
        field: &str,
        severity: IssueSeverity,
        message: String,
    ) -> ParseIssue {
        ParseIssue {
            file: self.provenance.origin.clone(),
            line: 0,
            field: Some(format!("{id}: {field}")),
            severity,
            message,
        }
    }

    fn name_of(&self, id: &StixId) -> Option<(String, &StixObject)> {
        let object = self.by_id.get(id.as_str()).copied()?;
        let name = match object {
            StixObject::IntrusionSet(o) => o.name.clone(),
            StixObject::ThreatActor(o) => o.name.clone(),
            StixObject::Identity(o) => o.name.clone(),
            _ => return None,
        };
        Some((name, object))
    }

    /// The entity an object is attributed to: the intrusion set (else threat actor, else
    /// identity) at the other end of one of its relationships.
    fn entity_of(&self, id: &StixId, gathered: &mut Gathered) -> Option<String> {
        let mut best: Option<(u8, String, &StixObject)> = None;
        for relationship in self.from.get(id.as_str()).into_iter().flatten() {
            if relationship.common.is_revoked() {
                continue;
            }
            let other = if &relationship.source_ref == id {
                &relationship.target_ref
            } else {
                &relationship.source_ref
            };
            let Some((name, object)) = self.name_of(other) else { continue };
            let rank = match other.object_type() {
                "intrusion-set" => 0,
                "threat-actor" => 1,
                _ if relationship.relationship_type == "related-to" => 2,
                _ => continue,
            };
            if best.as_ref().is_none_or(|(r, n, _)| (rank, &name) < (*r, n)) {
                best = Some((rank, name, object));
            }
        }
        let (rank, name, object) = best?;
        if rank < 2 {
            gathered.actors.entry(object.id().to_string()).or_insert_with(|| actor_of(object));
        }
        Some(name)
    }

    fn indicator(&self, indicator: &Indicator, gathered: &mut Gathered) {
        let id = &indicator.common.id;
        let extension: Option<EntryExtension> = indicator
            .common
            .extensions
            .get(CHAINWARD_EXTENSION_ID)
            .and_then(|e| e.get("watchlist_entry"))
            .and_then(|e| serde_json::from_value(e.clone()).ok());
        gathered.hash.push((id.to_string(), serde_json::to_string(indicator).unwrap_or_default()));
        if indicator.pattern_type != "stix" {
            gathered.issues.push(self.issue(
                id,
                "pattern_type",
                IssueSeverity::Warning,
                format!("pattern type '{}' is not imported (only 'stix')", indicator.pattern_type),
            ));
            return;
        }
        let terms = match parse_pattern(&indicator.pattern)
            .map_err(|e| e.to_string())
            .and_then(|p| p.wallet_terms())
        {
            Ok(terms) => terms,
            Err(message) => {
                gathered.issues.push(self.issue(
                    id,
                    "pattern",
                    IssueSeverity::Warning,
                    format!("unsupported pattern, not imported: {message}"),
                ));
                return;
            }
        };
        let status = if indicator.common.is_revoked() {
            Some(DelistReason::Revoked)
        } else if indicator.valid_until.is_some_and(|until| until <= self.now) {
            Some(DelistReason::Expired)
        } else {
            None
        };
        let category = match &extension {
            Some(ext) => ext.category.parse().unwrap_or(Category::Other),
            None => category_of(&indicator.common.labels, &indicator.indicator_types),
        };
        let related = self.entity_of(id, gathered);
        let entity = match &extension {
            Some(ext) => ext.entity.clone(),
            None => related,
        };
        let confidence = indicator
            .common
            .confidence
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(if category == Category::Sanctioned { 100 } else { 50 });
        let tlp = tlp_of(&indicator.common);
        gathered.tlp = gathered.tlp.max(tlp);
        let version = indicator.common.version();
        gathered.latest = gathered.latest.max(version);
        let provenance = StixProvenance { object_id: id.clone(), version, tlp };
        for term in terms {
            let chain_hint = extension
                .as_ref()
                .map(|e| e.chain.clone())
                .or_else(|| term.chain.clone())
                .or_else(|| self.wallet_chain(&term));
            let address = match resolve(&term.value, chain_hint.as_deref()) {
                Ok(address) => address,
                Err(message) => {
                    gathered.issues.push(self.issue(id, "pattern", IssueSeverity::Error, message));
                    continue;
                }
            };
            let canonical = address.canonical().to_owned();
            let entry = match &extension {
                Some(ext) => WatchlistEntry {
                    key: address.key(),
                    chain: address.chain(),
                    address: canonical,
                    raw_address: ext.raw_address.clone(),
                    currency: ext.currency.clone(),
                    entity: entity.clone(),
                    category,
                    labels: ext.labels.clone(),
                    confidence,
                    confidence_label: ext.confidence_label.clone(),
                    program: ext.program.clone(),
                    reference: ext.reference.clone(),
                    actor: ext.actor.clone(),
                    context: ext.context.clone(),
                    listed_on: ext.listed_on.clone(),
                },
                None => WatchlistEntry {
                    key: address.key(),
                    chain: address.chain(),
                    raw_address: (term.value != canonical && term.value != wallet_value(&address))
                        .then(|| term.value.clone()),
                    address: canonical,
                    currency: None,
                    entity: entity.clone(),
                    category,
                    labels: indicator.common.labels.clone(),
                    confidence,
                    confidence_label: None,
                    program: None,
                    reference: Some(id.to_string()),
                    actor: None,
                    context: indicator.description.clone(),
                    listed_on: Some(indicator.valid_from.date()),
                },
            };
            match status {
                Some(reason) => gathered.delisted.push(Delisting {
                    entry,
                    provenance: provenance.clone(),
                    reason,
                }),
                None => gathered.listed.push((entry, provenance.clone())),
            }
        }
    }

    /// The chain a wallet object with this value states.
    fn wallet_chain(&self, term: &WalletTerm) -> Option<String> {
        self.bundle.objects.iter().find_map(|o| match o {
            StixObject::Wallet(w) if w.value == term.value => w.x_chainward_chain.clone(),
            _ => None,
        })
    }

    /// A wallet listed only through a relationship with an intrusion set or threat actor.
    fn related_wallet(
        &self,
        relationship: &Relationship,
        producers: &mut BTreeMap<Option<StixId>, Gathered>,
    ) {
        let Some(StixObject::Relationship(relationship)) =
            self.by_id.get(relationship.common.id.as_str())
        else {
            return;
        };
        let (wallet, group) = match (
            self.by_id.get(relationship.source_ref.as_str()),
            self.by_id.get(relationship.target_ref.as_str()),
        ) {
            (Some(StixObject::Wallet(w)), Some(g)) | (Some(g), Some(StixObject::Wallet(w))) => {
                (w, g)
            }
            _ => return,
        };
        let name = match group {
            StixObject::IntrusionSet(o) => o.name.clone(),
            StixObject::ThreatActor(o) => o.name.clone(),
            _ => return,
        };
        let gathered = producers.entry(relationship.common.created_by_ref.clone()).or_default();
        let address = match resolve(&wallet.value, wallet.x_chainward_chain.as_deref()) {
            Ok(address) => address,
            Err(message) => {
                gathered.issues.push(self.issue(
                    &wallet.common.id,
                    "value",
                    IssueSeverity::Error,
                    message,
                ));
                return;
            }
        };
        let key = address.key();
        let covered = gathered
            .listed
            .iter()
            .map(|(e, _)| e.key)
            .chain(gathered.delisted.iter().map(|d| d.entry.key));
        if covered.into_iter().any(|k| k == key) {
            return;
        }
        gathered.actors.entry(group.id().to_string()).or_insert_with(|| actor_of(group));
        gathered.hash.push((
            relationship.common.id.to_string(),
            serde_json::to_string(relationship.as_ref()).unwrap_or_default(),
        ));
        let canonical = address.canonical().to_owned();
        let entry = WatchlistEntry {
            key,
            chain: address.chain(),
            raw_address: (wallet.value != canonical && wallet.value != wallet_value(&address))
                .then(|| wallet.value.clone()),
            address: canonical,
            currency: None,
            entity: Some(name),
            category: Category::StolenFunds,
            labels: Vec::new(),
            confidence: relationship
                .common
                .confidence
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(50),
            confidence_label: None,
            program: None,
            reference: Some(wallet.common.id.to_string()),
            actor: None,
            context: relationship.description.clone(),
            listed_on: relationship.common.created.map(|c| c.date()),
        };
        let tlp = tlp_of(&relationship.common).max(tlp_of(&wallet.common));
        gathered.tlp = gathered.tlp.max(tlp);
        let version = relationship.common.version();
        gathered.latest = gathered.latest.max(version);
        let provenance = StixProvenance { object_id: wallet.common.id.clone(), version, tlp };
        if relationship.common.is_revoked() {
            gathered.delisted.push(Delisting { entry, provenance, reason: DelistReason::Revoked });
        } else {
            gathered.listed.push((entry, provenance));
        }
    }

    fn finish(&self, producer: Option<StixId>, mut gathered: Gathered) -> SourceImport {
        let who = producer.as_ref().map_or("anonymous".to_owned(), ToString::to_string);
        let name = match &self.provenance.collection {
            Some(collection) => format!("stix/{collection}/{who}"),
            None => format!("stix/{who}"),
        };
        gathered.hash.sort();
        let mut hasher = Sha256::new();
        for (id, json) in &gathered.hash {
            hasher.update(id.as_bytes());
            hasher.update([0]);
            hasher.update(json.as_bytes());
            hasher.update([0]);
        }
        let content_hash: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let effective_at =
            self.provenance.as_of.or(gathered.latest).unwrap_or(self.provenance.imported_at);
        let producer_name = producer.as_ref().and_then(|p| match self.by_id.get(p.as_str()) {
            Some(StixObject::Identity(identity)) => Some(identity.name.clone()),
            _ => None,
        });
        let (entries, provenance) = gathered.listed.into_iter().unzip();
        SourceImport {
            snapshot: SnapshotImport {
                source: SourceRef { name, format: STIX_FORMAT.into() },
                origin: self.provenance.origin.clone(),
                content_hash,
                imported_at: self.provenance.imported_at.to_string(),
                effective_at: effective_at.to_string(),
                entries,
                actors: gathered.actors.into_values().collect(),
                issues: gathered.issues,
            },
            provenance,
            delisted: gathered.delisted,
            producer,
            producer_name,
            tlp: gathered.tlp,
        }
    }
}

/// Validates an address on the chain a hint names (a Chainward chain name, `ethereum`, or a
/// ticker), else on the most specific chain it is valid on.
fn resolve(value: &str, hint: Option<&str>) -> Result<Address, String> {
    let value = value.trim();
    if let Some(hint) = hint.map(str::trim).filter(|h| !h.is_empty()) {
        if let Ok(chain) = hint.parse::<Chain>() {
            return Address::parse(chain, value).map_err(|e| e.to_string());
        }
        if !Chain::for_ticker(hint).is_empty() {
            return first(Address::parse_for_ticker(hint, value), value);
        }
    }
    first(Address::parse_any(value), value)
}

/// The most specific reading of an address (the first one `parse_any` returns).
pub(crate) fn first(
    parsed: Result<Vec<Address>, chainward_primitives::AddressError>,
    value: &str,
) -> Result<Address, String> {
    parsed
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or_else(|| format!("'{value}' is valid on no supported chain"))
}

fn actor_of(object: &StixObject) -> Actor {
    let (name, aliases, categories, description, common) = match object {
        StixObject::IntrusionSet(o) => (
            o.name.clone(),
            o.aliases.clone(),
            vec!["intrusion-set".to_owned()],
            o.description.clone(),
            &o.common,
        ),
        StixObject::ThreatActor(o) => (
            o.name.clone(),
            o.aliases.clone(),
            o.threat_actor_types.clone(),
            o.description.clone(),
            &o.common,
        ),
        _ => return Actor { id: object.id().to_string(), ..Actor::default() },
    };
    Actor {
        id: object.id().to_string(),
        label: name,
        aliases,
        categories,
        jurisdictions: Vec::new(),
        uri: common.external_references.iter().find_map(|r| r.url.clone()),
        context: description,
        line: 0,
    }
}
