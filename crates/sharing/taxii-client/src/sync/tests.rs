use super::*;

use crate::push::PushResult;
use chainward_store_api::SnapshotRef;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn record(i: u32, source: &str, delisted: bool) -> EntryRecord {
    let text = format!("0x{:040x}", 0x1000 + i);
    let address = Address::parse(Chain::Evm, &text).unwrap();
    let entry = WatchlistEntry {
        key: address.key(),
        chain: Chain::Evm,
        address: address.canonical().into(),
        raw_address: None,
        currency: Some("ETH".into()),
        entity: Some("Lazarus Group".into()),
        category: Category::StolenFunds,
        labels: Vec::new(),
        confidence: 90,
        confidence_label: None,
        program: None,
        reference: Some(format!("case-{i}")),
        actor: None,
        context: None,
        listed_on: Some("2026-11-01".into()),
    };
    EntryRecord {
        source: source.into(),
        entry,
        listed_in: SnapshotRef {
            id: 1,
            effective_at: "2026-11-01".into(),
            content_hash: "a".into(),
        },
        listed_at: "2026-11-01".into(),
        delisted_in: delisted.then(|| SnapshotRef {
            id: 2,
            effective_at: "2026-11-20".into(),
            content_hash: "b".into(),
        }),
    }
}

fn options(now: &str) -> SyncOptions {
    let mut options = SyncOptions::new(Producer::organization("Agency A"));
    options.now = at(now);
    options
}

fn all_added(plan: &SyncPlan) -> PushOutcome {
    PushOutcome {
        results: plan.push.iter().map(|o| (version_key(o), PushResult::Added)).collect(),
        ..PushOutcome::default()
    }
}

fn indicators(plan: &SyncPlan) -> Vec<&chainward_stix::Indicator> {
    plan.push
        .iter()
        .filter_map(|o| match o {
            StixObject::Indicator(i) => Some(i.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn publishes_new_entries_once_and_excludes_partners_entries() {
    let local = vec![
        record(1, "case-notes", false),
        record(2, "case-notes", false),
        record(3, "stix/partner/identity--x", false),
    ];
    let mut state = SyncState::default();
    let plan = plan_sync(&local, &state, &options("2026-11-25T12:00:00.000Z")).unwrap();
    assert_eq!(plan.new_indicators.len(), 2);
    assert_eq!(indicators(&plan).len(), 2);
    assert!(plan.push.iter().any(|o| matches!(o, StixObject::ExtensionDefinition(_))));
    // The ids the planner predicts are the exporter's.
    let predicted: BTreeSet<String> =
        local[..2].iter().map(|r| indicator_id(r).unwrap().to_string()).collect();
    let exported: BTreeSet<String> =
        indicators(&plan).iter().map(|i| i.common.id.to_string()).collect();
    assert_eq!(predicted, exported);
    plan.record(&all_added(&plan), &mut state);

    // Nothing changed: nothing to push, even at a later time.
    let again = plan_sync(&local, &state, &options("2026-11-26T12:00:00.000Z")).unwrap();
    assert!(
        again.push.is_empty(),
        "{:?}",
        again.push.iter().map(|o| o.id().to_string()).collect::<Vec<_>>()
    );
    assert_eq!(again.unchanged, plan.push.len());

    // Without extension definitions (medallion 3.0.0).
    let mut no_defs = options("2026-11-25T12:00:00.000Z");
    no_defs.include_extension_definitions = false;
    let plan = plan_sync(&local, &SyncState::default(), &no_defs).unwrap();
    assert!(!plan.push.iter().any(|o| matches!(o, StixObject::ExtensionDefinition(_))));
}

#[test]
fn delisting_republishes_the_indicator_revoked_and_newer() {
    let mut local = vec![record(1, "case-notes", false), record(2, "case-notes", false)];
    let mut state = SyncState::default();
    let plan = plan_sync(&local, &state, &options("2026-11-25T12:00:00.000Z")).unwrap();
    plan.record(&all_added(&plan), &mut state);
    let id = indicator_id(&local[0]).unwrap();

    local[0] = record(1, "case-notes", true);
    // The clock is behind the published version: modified must still move forward.
    let plan = plan_sync(&local, &state, &options("2026-11-24T00:00:00.000Z")).unwrap();
    assert_eq!(plan.revoked_indicators, vec![id.clone()]);
    assert!(plan.new_indicators.is_empty() && plan.changed_indicators.is_empty());
    let revoked = indicators(&plan).into_iter().find(|i| i.common.id == id).unwrap();
    assert!(revoked.common.is_revoked());
    assert_eq!(revoked.common.modified.unwrap(), at("2026-11-25T12:00:00.001Z"));
    assert_eq!(revoked.valid_until.unwrap(), at("2026-11-20T00:00:00.000Z"));
    // The other indicator is unchanged and not re-sent.
    assert_eq!(indicators(&plan).len(), 1);

    // A de-listed entry never published is not sent at all.
    let plan = plan_sync(
        &[record(9, "case-notes", true)],
        &SyncState::default(),
        &options("2026-11-25T12:00:00.000Z"),
    )
    .unwrap();
    assert!(indicators(&plan).is_empty());
    assert_eq!(plan.never_published_delisted, 1);
}

fn apply_options(now: &str) -> ApplyOptions {
    ApplyOptions { collection: "c1".into(), origin: "http://x/".into(), now: at(now) }
}

/// The partner's bundle for some records, as pulled objects.
fn exported(records: &[EntryRecord], now: &str) -> Vec<StixObject> {
    // As if published before, so that de-listed records are exported (revoked).
    let mut state = SyncState::default();
    for record in records {
        let published =
            Published { modified: String::new(), fingerprint: String::new(), revoked: false };
        state.published.insert(indicator_id(record).unwrap().to_string(), published);
    }
    plan_sync(records, &state, &options(now)).unwrap().push
}

fn active(plan: &ApplyPlan, previous: &[WatchlistEntry]) -> Vec<String> {
    let mut out: Vec<String> = plan
        .snapshots(|_| previous.to_vec())
        .into_iter()
        .flat_map(|s| s.entries.into_iter().map(|e| e.address))
        .collect();
    out.sort();
    out
}

#[test]
fn pulled_revocation_delists_and_newest_version_wins() {
    let listed =
        exported(&[record(1, "ofac", false), record(2, "ofac", false)], "2026-11-25T12:00:00.000Z");
    let mut state = SyncState::default();
    let plan = plan_apply(&listed, &state, &apply_options("2026-11-25T13:00:00.000Z"));
    assert_eq!(plan.sources.len(), 1);
    let previous = plan.sources[0].snapshot.entries.clone();
    assert_eq!(active(&plan, &[]).len(), 2);
    assert!(plan.delisted.is_empty());
    state.applied = plan.applied;

    // The partner revokes entry 1 (a newer version, revoked).
    let revoked = exported(&[record(1, "ofac", true)], "2026-11-26T12:00:00.000Z");
    let revoked_indicators: Vec<StixObject> =
        revoked.into_iter().filter(|o| matches!(o, StixObject::Indicator(_))).collect();
    let plan = plan_apply(&revoked_indicators, &state, &apply_options("2026-11-26T13:00:00.000Z"));
    assert_eq!(plan.delisted.len(), 1);
    assert_eq!(active(&plan, &previous), vec![previous[1].address.clone()]);
    state.applied = plan.applied;
    assert!(state.indicators_listing(Chain::Evm, &previous[0].address).is_empty());
    assert_eq!(state.indicators_listing(Chain::Evm, &previous[1].address).len(), 1);

    // The older, active version arriving late changes nothing.
    let plan = plan_apply(&listed, &state, &apply_options("2026-11-26T14:00:00.000Z"));
    assert_eq!(plan.stale.len(), 2);
    assert!(plan.sources.is_empty());
}

#[test]
fn revocation_without_relationships_delists_by_what_was_listed() {
    // A foreign producer: no Chainward extension, the entity comes from relationships.
    let strip = |objects: Vec<StixObject>| -> Vec<StixObject> {
        objects
            .into_iter()
            .map(|mut o| {
                if let Some(common) = common_mut(&mut o) {
                    common.extensions.clear();
                }
                o
            })
            .filter(|o| !matches!(o, StixObject::ExtensionDefinition(_)))
            .collect()
    };
    let listed = strip(exported(&[record(1, "feed", false)], "2026-11-25T12:00:00.000Z"));
    let plan =
        plan_apply(&listed, &SyncState::default(), &apply_options("2026-11-25T13:00:00.000Z"));
    let previous = plan.sources[0].snapshot.entries.clone();
    assert_eq!(previous[0].entity.as_deref(), Some("Lazarus Group"));
    let state = SyncState { applied: plan.applied, ..SyncState::default() };

    let revoked: Vec<StixObject> =
        strip(exported(&[record(1, "feed", true)], "2026-11-26T12:00:00.000Z"))
            .into_iter()
            .filter(|o| matches!(o, StixObject::Indicator(_)))
            .collect();
    let plan = plan_apply(&revoked, &state, &apply_options("2026-11-26T13:00:00.000Z"));
    assert!(active(&plan, &previous).is_empty());
}

#[test]
fn expiry_after_apply_delists_later() {
    let mut objects = exported(&[record(1, "feed", false)], "2026-11-25T12:00:00.000Z");
    for object in &mut objects {
        if let StixObject::Indicator(i) = object {
            i.valid_until = Some(at("2026-12-01T00:00:00.000Z"));
        }
    }
    let plan =
        plan_apply(&objects, &SyncState::default(), &apply_options("2026-11-25T13:00:00.000Z"));
    let previous = plan.sources[0].snapshot.entries.clone();
    assert_eq!(previous.len(), 1);
    let state = SyncState { applied: plan.applied, ..SyncState::default() };
    // Nothing pulled, but the date has passed.
    let plan = plan_apply(&[], &state, &apply_options("2026-12-02T00:00:00.000Z"));
    assert_eq!(plan.delisted.len(), 1);
    assert_eq!(plan.delisted[0].1, DelistReason::Expired);
    assert!(active(&plan, &previous).is_empty());
    // An indicator pulled already expired is a de-listing too.
    let plan =
        plan_apply(&objects, &SyncState::default(), &apply_options("2026-12-02T00:00:00.000Z"));
    assert_eq!(plan.delisted.len(), 1);
    assert!(active(&plan, &previous).is_empty());
}

#[test]
fn sighting_reports_the_hit() {
    let indicator = StixId::parse("indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090").unwrap();
    let hit = Hit {
        indicator: indicator.clone(),
        count: 3,
        first_seen: at("2026-11-20T09:00:00.000Z"),
        last_seen: at("2026-11-21T09:00:00.000Z"),
        description: Some("3 deposits screened".into()),
    };
    let us = Producer::organization("Agency B");
    let sighting = sighting_for_hit(&hit, &us, Tlp::Amber, at("2026-11-22T00:00:00.000Z"));
    assert_eq!(sighting.sighting_of_ref, indicator);
    assert_eq!(sighting.where_sighted_refs, vec![us.identity_id()]);
    assert_eq!(sighting.common.created_by_ref, Some(us.identity_id()));
    assert_eq!(sighting.count, Some(3));
    assert_eq!(sighting.first_seen, Some(hit.first_seen));
    assert_eq!(sighting.last_seen, Some(hit.last_seen));
    assert_eq!(sighting.common.object_marking_refs[0].as_str(), Tlp::Amber.id());
    chainward_stix::validate_object(&sighting.clone().into()).unwrap();
    // A later report of the same hit is a new version of the same sighting.
    let later =
        sighting_for_hit(&Hit { count: 5, ..hit }, &us, Tlp::Amber, at("2026-11-23T00:00:00.000Z"));
    assert_eq!(later.common.id, sighting.common.id);
    assert!(later.common.modified > sighting.common.modified);
}
