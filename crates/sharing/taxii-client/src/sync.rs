//! Sync logic, with no I/O: what to push from the local watchlist, how pulled objects change
//! it, and the sighting that reports a screening hit back.
//!
//! - [`plan_sync`]: local entries → the objects to push: new and changed entries as
//!   indicators, de-listed ones as the same indicator re-published with `revoked: true`, a
//!   `valid_until` and a newer `modified`; unchanged objects are not re-sent (each object's
//!   fingerprint, its JSON without `modified`, is kept in [`SyncState::published`]).
//! - [`plan_apply`]: pulled objects → one [`SourceImport`] per producer (through
//!   `chainward_stix::indicators_to_entries`) to merge with [`SourceImport::merge_into`]: the
//!   newest `modified` of an id wins, a revoked or expired version de-lists what the indicator
//!   listed before (recorded in [`SyncState::applied`], so the de-listing does not depend on
//!   the revoked version carrying the same relationships), and an indicator whose
//!   `valid_until` passes later is de-listed by a later apply.
//! - [`sighting_for_hit`]: a STIX `sighting` of the indicator that matched.

use crate::pull::{ObjectVersion, PullState, normalize_version};
use crate::push::PushOutcome;
use chainward_primitives::{Address, Category, Chain, WatchlistEntry};
use chainward_stix::{
    Common, DelistReason, Delisting, ExportInput, ExportOptions, ImportProvenance, Producer,
    STIX_FORMAT, Sighting, SourceImport, StixError, StixId, StixObject, StixProvenance, Timestamp,
    Tlp, export_bundle, indicators_to_entries, wallet_value,
};
use chainward_store_api::{EntryRecord, SnapshotImport, SourceRef};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// What was last published of one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Its `modified` (empty for objects without one).
    pub modified: String,
    /// SHA-256 of its JSON without `modified`.
    pub fingerprint: String,
    /// Whether it was published revoked.
    #[serde(default)]
    pub revoked: bool,
}

/// An entry a pulled indicator listed: enough to de-list it later.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryIdentity {
    /// Chainward's chain name.
    pub chain: String,
    /// The canonical address.
    pub address: String,
    /// The entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The category.
    pub category: String,
}

impl EntryIdentity {
    fn of(entry: &WatchlistEntry) -> Self {
        Self {
            chain: entry.chain.as_str().to_owned(),
            address: entry.address.clone(),
            entity: entry.entity.clone(),
            category: entry.category.as_str().to_owned(),
        }
    }

    /// The entry again (enough of it for its identity), when the address still parses.
    fn entry(&self) -> Option<WatchlistEntry> {
        let chain: Chain = self.chain.parse().ok()?;
        let address = Address::parse(chain, &self.address).ok()?;
        Some(WatchlistEntry {
            key: address.key(),
            chain,
            address: address.canonical().to_owned(),
            raw_address: None,
            currency: None,
            entity: self.entity.clone(),
            category: self.category.parse().unwrap_or(Category::Other),
            labels: Vec::new(),
            confidence: 0,
            confidence_label: None,
            program: None,
            reference: None,
            actor: None,
            context: None,
            listed_on: None,
        })
    }
}

/// What a pulled indicator (or relationship-listed wallet) did to the watchlist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The version applied (`modified`, else `created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The snapshot source its entries went to (`stix/<collection>/<producer>`).
    pub source: String,
    /// The entries it lists now (empty when revoked or expired).
    #[serde(default)]
    pub entries: Vec<EntryIdentity>,
    /// Its `valid_until`, if any: a later apply de-lists it once that has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

/// What the caller keeps between syncs with one collection (serialize it as JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The incremental pull's position.
    #[serde(default)]
    pub pull: PullState,
    /// What we published, by object id.
    #[serde(default)]
    pub published: BTreeMap<String, Published>,
    /// What we applied from the collection, by indicator (or wallet) id.
    #[serde(default)]
    pub applied: BTreeMap<String, Applied>,
}

impl SyncState {
    /// The ids of the pulled indicators that list this address now (the `sighting_of_ref` of
    /// a hit on it).
    pub fn indicators_listing(&self, chain: Chain, address: &str) -> Vec<&str> {
        self.applied
            .iter()
            .filter(|(_, a)| {
                a.entries.iter().any(|e| e.chain == chain.as_str() && e.address == address)
            })
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

/// How to plan a push.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Who publishes (every object's `created_by_ref`).
    pub producer: Producer,
    /// The TLP marking of what is published (default AMBER).
    pub tlp: Tlp,
    /// Now: the `modified` of what is (re-)published.
    pub now: Timestamp,
    /// Entries of sources starting with one of these are not published (default `stix/`:
    /// what was pulled from partners is not echoed back).
    pub exclude_source_prefixes: Vec<String>,
    /// Publish the extension definitions (default true). medallion 3.0.0 answers 500 to every
    /// GET of objects once a collection holds one: turn this off for it.
    pub include_extension_definitions: bool,
}

impl SyncOptions {
    /// TLP:AMBER, now, partners' entries excluded, extension definitions included.
    pub fn new(producer: Producer) -> Self {
        Self {
            producer,
            tlp: Tlp::Amber,
            now: Timestamp::now(),
            exclude_source_prefixes: vec!["stix/".into()],
            include_extension_definitions: true,
        }
    }
}

/// What to push.
#[derive(Clone, Debug, Default)]
pub struct SyncPlan {
    /// The objects, in dependency order (definitions, markings, identities, groups, wallets,
    /// indicators, relationships, sightings).
    pub push: Vec<StixObject>,
    /// Indicators published for the first time.
    pub new_indicators: Vec<StixId>,
    /// Indicators re-published because the entry changed.
    pub changed_indicators: Vec<StixId>,
    /// Indicators re-published revoked (de-listed locally).
    pub revoked_indicators: Vec<StixId>,
    /// Objects left out because the collection has them as they are.
    pub unchanged: usize,
    /// De-listed entries never published (left out: partners never had them).
    pub never_published_delisted: usize,
    /// What [`SyncState::published`] becomes for each pushed object, once pushed.
    pub published: BTreeMap<String, Published>,
}

impl SyncPlan {
    /// Records in `state` the objects the push stored (failed ones are planned again next
    /// time).
    pub fn record(&self, outcome: &PushOutcome, state: &mut SyncState) {
        for (version, result) in &outcome.results {
            if result.is_ok()
                && let Some(published) = self.published.get(&version.id)
            {
                state.published.insert(version.id.clone(), published.clone());
            }
        }
    }
}

/// The id `chainward-stix` gives the indicator of an entry record (its identity in its
/// source), or `None` when the address does not parse.
pub fn indicator_id(record: &EntryRecord) -> Option<StixId> {
    let entry = &record.entry;
    let address = Address::parse(entry.chain, &entry.address).ok()?;
    Some(StixId::chainward(
        "indicator",
        &format!(
            "indicator|{}|{}|{}|{}|{}",
            record.source,
            entry.chain,
            wallet_value(&address),
            entry.entity.as_deref().unwrap_or(""),
            entry.category
        ),
    ))
}

/// Plans a push of the local watchlist (entries with their history, as the store returns
/// them) against what was published before.
///
/// # Errors
/// [`StixError::Export`] when an entry cannot be exported (an unparsable stored date).
pub fn plan_sync(
    local: &[EntryRecord],
    state: &SyncState,
    options: &SyncOptions,
) -> Result<SyncPlan, StixError> {
    let mut plan = SyncPlan::default();
    // Which records to export: shared sources only; a de-listed entry only when its
    // indicator was published (partners never had the others); an identity listed again
    // after a de-listing once, active.
    let mut chosen: BTreeMap<String, &EntryRecord> = BTreeMap::new();
    let mut unkeyed = Vec::new();
    for record in local {
        if options.exclude_source_prefixes.iter().any(|p| record.source.starts_with(p.as_str())) {
            continue;
        }
        let Some(id) = indicator_id(record) else {
            unkeyed.push(record);
            continue;
        };
        if !record.is_active() && !state.published.contains_key(id.as_str()) {
            plan.never_published_delisted += 1;
            continue;
        }
        match chosen.get(id.as_str()) {
            Some(existing) if existing.is_active() => {}
            _ => {
                chosen.insert(id.to_string(), record);
            }
        }
    }
    let records: Vec<EntryRecord> = chosen.into_values().chain(unkeyed).cloned().collect();
    let export = ExportOptions {
        producer: options.producer.clone(),
        tlp: options.tlp,
        now: options.now,
        include_delisted: true,
    };
    let bundle =
        export_bundle(&ExportInput { entries: &records, ..ExportInput::default() }, &export)?;
    for mut object in bundle.objects {
        if !options.include_extension_definitions
            && matches!(object, StixObject::ExtensionDefinition(_))
        {
            continue;
        }
        let id = object.id().to_string();
        let fingerprint = fingerprint(&object);
        let revoked = object.common().is_some_and(Common::is_revoked);
        let previous = state.published.get(&id);
        if previous.is_some_and(|p| p.fingerprint == fingerprint) {
            plan.unchanged += 1;
            continue;
        }
        // A new version must be newer than the one published, whatever the clock says.
        if let (Some(previous), Some(common)) = (previous, common_mut(&mut object))
            && let (Some(modified), Ok(before)) =
                (common.modified, Timestamp::parse(&previous.modified))
            && modified <= before
        {
            common.modified = Some(before.plus_millis(1));
        }
        if let StixObject::Indicator(indicator) = &object {
            let id = indicator.common.id.clone();
            match previous {
                None => plan.new_indicators.push(id),
                Some(p) if revoked && !p.revoked => plan.revoked_indicators.push(id),
                Some(_) => plan.changed_indicators.push(id),
            }
        }
        let modified = object.common().and_then(|c| c.modified).map(|m| m.to_string());
        plan.published
            .insert(id, Published { modified: modified.unwrap_or_default(), fingerprint, revoked });
        plan.push.push(object);
    }
    Ok(plan)
}

/// SHA-256 of an object's JSON without `modified`: equal for two exports of the same content.
fn fingerprint(object: &StixObject) -> String {
    let mut value = object.to_value();
    if let Value::Object(map) = &mut value {
        map.remove("modified");
    }
    let digest = Sha256::digest(serde_json::to_vec(&value).unwrap_or_default());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn common_mut(object: &mut StixObject) -> Option<&mut Common> {
    Some(match object {
        StixObject::Identity(o) => &mut o.common,
        StixObject::Indicator(o) => &mut o.common,
        StixObject::IntrusionSet(o) => &mut o.common,
        StixObject::ThreatActor(o) => &mut o.common,
        StixObject::Relationship(o) => &mut o.common,
        StixObject::Sighting(o) => &mut o.common,
        StixObject::Report(o) => &mut o.common,
        StixObject::MarkingDefinition(o) => &mut o.common,
        StixObject::ExtensionDefinition(o) => &mut o.common,
        StixObject::Wallet(o) => &mut o.common,
        _ => return None,
    })
}

/// Where pulled objects come from.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// The collection (id or alias): part of the snapshot source names.
    pub collection: String,
    /// The collection's URL, kept as the snapshots' origin.
    pub origin: String,
    /// Now: indicators whose `valid_until` is not after it are de-listed.
    pub now: Timestamp,
}

/// How pulled objects change the watchlist.
#[derive(Clone, Debug, Default)]
pub struct ApplyPlan {
    /// One per snapshot source touched. For each, write
    /// `source.merge_into(<that source's active entries>)` with the store's
    /// `import_snapshots`: it replaces the entries this pull lists and removes the ones it
    /// de-lists (`delisted`), keeping the rest.
    pub sources: Vec<SourceImport>,
    /// Pulled versions not newer than the one applied before (ignored).
    pub stale: Vec<ObjectVersion>,
    /// Indicators de-listed, with why.
    pub delisted: Vec<(StixId, DelistReason)>,
    /// What [`SyncState::applied`] becomes once the snapshots are written.
    pub applied: BTreeMap<String, Applied>,
}

impl ApplyPlan {
    /// The snapshots to write, given each source's active entries (`previous_active(name)`).
    pub fn snapshots(
        &self,
        mut previous_active: impl FnMut(&str) -> Vec<WatchlistEntry>,
    ) -> Vec<SnapshotImport> {
        self.sources
            .iter()
            .map(|s| s.merge_into(&previous_active(&s.snapshot.source.name)))
            .collect()
    }
}

/// Plans how pulled objects change the watchlist (see the module docs).
pub fn plan_apply(pulled: &[StixObject], state: &SyncState, options: &ApplyOptions) -> ApplyPlan {
    let now = options.now;
    let mut plan = ApplyPlan::default();
    // The newest pulled version of each indicator, if newer than the one applied.
    let version_of = |o: &StixObject| o.common().and_then(Common::version);
    let mut newest: BTreeMap<&str, &StixObject> = BTreeMap::new();
    for object in pulled {
        if !matches!(object, StixObject::Indicator(_)) {
            continue;
        }
        let id = object.id().as_str();
        match newest.get(id) {
            Some(existing) if version_of(existing) >= version_of(object) => {
                plan.stale.push(version_key(object));
            }
            Some(existing) => {
                plan.stale.push(version_key(existing));
                newest.insert(id, object);
            }
            None => {
                newest.insert(id, object);
            }
        }
    }
    newest.retain(|id, object| {
        let applied = state
            .applied
            .get(*id)
            .and_then(|a| a.version.as_deref())
            .and_then(|v| Timestamp::parse(v).ok());
        let keep = match (applied, version_of(object)) {
            (Some(applied), Some(pulled)) => pulled > applied,
            (Some(_), None) => false,
            (None, _) => true,
        };
        if !keep {
            plan.stale.push(version_key(object));
        }
        keep
    });
    // Wallets that an indicator is based on are listed through that indicator: their
    // wallet-to-group relationships must not list them on their own (they would re-list an
    // address whose indicator is stale here, or revoked).
    let indicator_wallets: BTreeSet<&str> = pulled
        .iter()
        .filter_map(|o| match o {
            StixObject::Relationship(r)
                if r.relationship_type == "based-on"
                    && r.source_ref.object_type() == "indicator" =>
            {
                Some(r.target_ref.as_str())
            }
            _ => None,
        })
        .collect();
    let mut objects: Vec<StixObject> = pulled
        .iter()
        .filter(|o| match o {
            StixObject::Indicator(_) => false,
            StixObject::Relationship(r) => {
                r.relationship_type == "based-on"
                    || !(indicator_wallets.contains(r.source_ref.as_str())
                        || indicator_wallets.contains(r.target_ref.as_str()))
            }
            _ => true,
        })
        .cloned()
        .collect();
    objects.extend(newest.values().map(|o| (*o).clone()));
    let valid_until: BTreeMap<String, String> = newest
        .values()
        .filter_map(|o| match o {
            StixObject::Indicator(i) => Some((i.common.id.to_string(), i.valid_until?.to_string())),
            _ => None,
        })
        .collect();
    let bundle = chainward_stix::Bundle::new(objects);
    let provenance = ImportProvenance {
        collection: Some(options.collection.clone()),
        origin: options.origin.clone(),
        imported_at: now,
        as_of: Some(now),
    };
    let mut sources: BTreeMap<String, SourceImport> = BTreeMap::new();
    let mut applied = state.applied.clone();
    let mut removals: Vec<(String, Delisting)> = Vec::new();
    for mut source in indicators_to_entries(&bundle, &provenance).sources {
        let name = source.snapshot.source.name.clone();
        // What each object lists now.
        let mut listing: BTreeMap<String, (Option<Timestamp>, Vec<EntryIdentity>)> =
            BTreeMap::new();
        for (entry, prov) in source.snapshot.entries.iter_mut().zip(&source.provenance) {
            let previous = state.applied.get(prov.object_id.as_str());
            // A new version pulled without the relationships that named its entity keeps
            // the entity it was listed with.
            if entry.entity.is_none()
                && let Some(old) = previous.and_then(|p| {
                    p.entries.iter().find(|e| e.address == entry.address && e.entity.is_some())
                })
            {
                entry.entity = old.entity.clone();
            }
            let slot = listing.entry(prov.object_id.to_string()).or_default();
            slot.0 = prov.version;
            slot.1.push(EntryIdentity::of(entry));
        }
        for delisting in &source.delisted {
            let id = delisting.provenance.object_id.to_string();
            plan.delisted.push((delisting.provenance.object_id.clone(), delisting.reason));
            listing.entry(id).or_default().0 = delisting.provenance.version;
        }
        for (id, (version, entries)) in listing {
            // What the previous version listed and this one does not: de-listed, in the
            // source it was listed in.
            if let Some(previous) = state.applied.get(&id) {
                for old in &previous.entries {
                    if entries.contains(old) {
                        continue;
                    }
                    if let Some(entry) = old.entry() {
                        removals.push((
                            previous.source.clone(),
                            Delisting {
                                entry,
                                provenance: StixProvenance {
                                    object_id: StixId::parse(&id)
                                        .unwrap_or_else(|_| StixId::random("indicator")),
                                    version,
                                    tlp: None,
                                },
                                reason: DelistReason::Revoked,
                            },
                        ));
                    }
                }
            }
            applied.insert(
                id.clone(),
                Applied {
                    version: version.map(|v| v.to_string()),
                    source: name.clone(),
                    entries,
                    valid_until: valid_until.get(&id).cloned(),
                },
            );
        }
        source.snapshot.entries.sort_by(|a, b| a.address.cmp(&b.address));
        sources.insert(name, source);
    }
    // Indicators applied earlier whose valid_until has passed since.
    for (id, record) in &mut applied {
        let expired = record
            .valid_until
            .as_deref()
            .and_then(|v| Timestamp::parse(v).ok())
            .is_some_and(|until| until <= now);
        if !expired || record.entries.is_empty() {
            continue;
        }
        if let Ok(object_id) = StixId::parse(id) {
            plan.delisted.push((object_id.clone(), DelistReason::Expired));
            for old in std::mem::take(&mut record.entries) {
                if let Some(entry) = old.entry() {
                    removals.push((
                        record.source.clone(),
                        Delisting {
                            entry,
                            provenance: StixProvenance {
                                object_id: object_id.clone(),
                                version: record
                                    .version
                                    .as_deref()
                                    .and_then(|v| Timestamp::parse(v).ok()),
                                tlp: None,
                            },
                            reason: DelistReason::Expired,
                        },
                    ));
                }
            }
        }
    }
    for (source_name, delisting) in removals {
        let source = sources
            .entry(source_name.clone())
            .or_insert_with(|| empty_source(&source_name, options));
        // Not if this pull lists the same entry again in that source.
        let identity = delisting.entry.identity();
        if source.snapshot.entries.iter().any(|e| e.identity() == identity) {
            continue;
        }
        source.delisted.push(delisting);
    }
    plan.sources = sources.into_values().collect();
    plan.applied = applied;
    plan.delisted.sort_by(|a, b| a.0.cmp(&b.0));
    plan.delisted.dedup_by(|a, b| a.0 == b.0);
    plan
}

fn version_key(object: &StixObject) -> ObjectVersion {
    ObjectVersion {
        id: object.id().to_string(),
        version: object
            .common()
            .and_then(Common::version)
            .map(|v| normalize_version(&v.to_string())),
    }
}

fn empty_source(name: &str, options: &ApplyOptions) -> SourceImport {
    SourceImport {
        snapshot: SnapshotImport {
            source: SourceRef { name: name.to_owned(), format: STIX_FORMAT.into() },
            origin: options.origin.clone(),
            content_hash: String::new(),
            imported_at: options.now.to_string(),
            effective_at: options.now.to_string(),
            entries: Vec::new(),
            actors: Vec::new(),
            issues: Vec::new(),
        },
        provenance: Vec::new(),
        delisted: Vec::new(),
        producer: None,
        producer_name: None,
        tlp: None,
    }
}

/// A screening hit to report back: the indicator that matched, and when and how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The indicator that matched (see [`SyncState::indicators_listing`]).
    pub indicator: StixId,
    /// How many times it matched (1–999,999,999).
    pub count: u32,
    /// The first match.
    pub first_seen: Timestamp,
    /// The last match.
    pub last_seen: Timestamp,
    /// What happened, for people (no customer data: it goes to partners).
    pub description: Option<String>,
}

/// A `sighting` of `hit.indicator`, sighted where `reporter` is (`where_sighted_refs`),
/// created by `reporter`, marked `tlp`.
///
/// Its id is fixed by the indicator, the reporter and `first_seen`, so a later report of the
/// same hit with a higher count is a new version of the same sighting (`modified` = `now`).
pub fn sighting_for_hit(hit: &Hit, reporter: &Producer, tlp: Tlp, now: Timestamp) -> Sighting {
    let reporter_id = reporter.identity_id();
    let id = StixId::chainward(
        "sighting",
        &format!("sighting|hit|{}|{reporter_id}|{}", hit.indicator, hit.first_seen),
    );
    let first_seen = hit.first_seen.min(hit.last_seen);
    let mut common = Common::sdo("sighting", id, first_seen.min(now), now);
    common.created_by_ref = Some(reporter_id.clone());
    if let Ok(marking) = StixId::parse(tlp.id()) {
        common.object_marking_refs = vec![marking];
    }
    Sighting {
        common,
        description: hit.description.clone(),
        first_seen: Some(first_seen),
        last_seen: Some(hit.last_seen.max(hit.first_seen)),
        count: Some(i64::from(hit.count.clamp(1, 999_999_999))),
        sighting_of_ref: hit.indicator.clone(),
        observed_data_refs: Vec::new(),
        where_sighted_refs: vec![reporter_id],
        summary: None,
    }
}

#[cfg(test)]
mod tests;
