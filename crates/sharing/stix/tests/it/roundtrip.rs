//! Export → parse → import on the real DPRK theft lists, de-listings, re-export stability,
//! alerts, and deduplication of wallets by normalized address.

use crate::common::{at, dprk_records, options, provenance, sorted};
use chainward_primitives::ledger::Network;
use chainward_primitives::{Address, Category, Chain, RiskLevel};
use chainward_stix::{
    CHAINWARD_EXTENSION_ID, ConfirmedAlert, DelistReason, ExportInput, StixObject, Tag, Tlp,
    entries_to_bundle, export_bundle, indicators_to_entries, parse_bundle, validate_bundle,
    wallet_for,
};
use chainward_store_api::SnapshotRef;
use serde_json::json;

#[test]
fn export_parse_import_gives_the_same_entries() {
    let records = dprk_records();
    let bundle = entries_to_bundle(&records, &options()).unwrap();
    validate_bundle(&bundle).unwrap();
    let bytes = serde_json::to_vec(&bundle).unwrap();
    let parsed = parse_bundle(&bytes).unwrap();
    assert_eq!(parsed, bundle);

    let imported = indicators_to_entries(&parsed, &provenance());
    assert_eq!(imported.sources.len(), 1, "one producer");
    let source = &imported.sources[0];
    let producer = options().producer.identity_id();
    assert_eq!(source.snapshot.source.name, format!("stix/watchlist/{producer}"));
    assert_eq!(source.snapshot.source.format, "stix-2.1");
    assert_eq!(source.producer_name.as_deref(), Some("Chainward test agency"));
    assert_eq!(source.tlp, Some(Tlp::Amber));
    assert!(source.snapshot.issues.is_empty(), "{:?}", source.snapshot.issues);
    assert!(source.delisted.is_empty());
    assert_eq!(source.provenance.len(), source.snapshot.entries.len());
    let original = sorted(records.iter().map(|r| r.entry.clone()).collect());
    assert_eq!(sorted(source.snapshot.entries.clone()), original);
    assert!(source.snapshot.actors.iter().any(|a| a.label == "Lazarus Group"));

    // The standard properties alone (a consumer that ignores Chainward's extension) carry
    // address, chain, category, entity and confidence.
    let mut stripped = parsed;
    for object in &mut stripped.objects {
        if let StixObject::Indicator(indicator) = object {
            indicator.common.extensions.remove(CHAINWARD_EXTENSION_ID);
        }
    }
    let plain = indicators_to_entries(&stripped, &provenance());
    let core = |entries: Vec<chainward_primitives::WatchlistEntry>| {
        let mut rows: Vec<_> = entries
            .into_iter()
            .map(|e| (e.key, e.chain, e.category, e.entity, e.confidence))
            .collect();
        rows.sort_by_key(|r| format!("{r:?}"));
        rows
    };
    assert!(plain.sources[0].snapshot.issues.is_empty(), "{:?}", plain.sources[0].snapshot.issues);
    assert_eq!(core(plain.sources[0].snapshot.entries.clone()), core(original));
}

#[test]
fn the_export_has_the_promised_shape() {
    let records = dprk_records();
    let bundle = entries_to_bundle(&records, &options()).unwrap();
    let count = |kind: &str| bundle.objects.iter().filter(|o| o.object_type() == kind).count();
    let distinct: std::collections::BTreeSet<_> = records
        .iter()
        .map(|r| {
            chainward_stix::wallet_value(&Address::parse(r.entry.chain, &r.entry.address).unwrap())
        })
        .collect();
    assert_eq!(count("cryptocurrency-wallet"), distinct.len());
    assert_eq!(count("indicator"), records.len());
    assert_eq!(count("intrusion-set"), 1);
    assert_eq!(count("threat-actor"), 1);
    assert_eq!(count("extension-definition"), 2);
    assert_eq!(count("identity"), 1);
    let json = serde_json::to_value(&bundle).unwrap();
    let objects = json["objects"].as_array().unwrap();
    let lazarus = objects.iter().find(|o| o["type"] == "intrusion-set").unwrap();
    assert_eq!(lazarus["name"], "Lazarus Group");
    assert_eq!(lazarus["aliases"], json!(["Hidden Cobra", "APT38", "ZINC", "Diamond Sleet"]));
    assert!(objects.iter().any(|o| o["id"] == Tlp::Amber.id()));
    let ronin = objects
        .iter()
        .find(|o| {
            o["type"] == "indicator"
                && o["pattern"]
                    .as_str()
                    .unwrap()
                    .contains("0x098b716b8aaf21512996dc57eb0615e2383e2f96")
        })
        .unwrap();
    assert_eq!(ronin["indicator_types"], json!(["malicious-activity"]));
    assert_eq!(ronin["labels"][0], "stolen-funds");
    assert_eq!(ronin["object_marking_refs"], json!([Tlp::Amber.id()]));
    assert_eq!(ronin["modified"], "2026-11-25T12:00:00.000Z");
    let relationships: Vec<_> = objects
        .iter()
        .filter(|o| o["type"] == "relationship" && o["source_ref"] == ronin["id"])
        .map(|o| o["relationship_type"].as_str().unwrap())
        .collect();
    assert_eq!(relationships.len(), 2);
    assert!(relationships.contains(&"indicates") && relationships.contains(&"based-on"));
}

#[test]
fn re_export_keeps_ids_and_moves_modified() {
    let records = dprk_records();
    let first = entries_to_bundle(&records, &options()).unwrap();
    let mut later = options();
    later.now = at("2026-12-01T00:00:00.000Z");
    let second = entries_to_bundle(&records, &later).unwrap();
    assert_ne!(first.id, second.id, "bundles are new");
    let ids =
        |b: &chainward_stix::Bundle| b.objects.iter().map(|o| o.id().clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second));
    for (a, b) in first.objects.iter().zip(&second.objects) {
        if let (StixObject::Indicator(a), StixObject::Indicator(b)) = (a, b) {
            assert_eq!(a.common.created, b.common.created);
            assert!(b.common.modified > a.common.modified);
        }
    }
}

#[test]
fn de_listed_and_expired_entries_are_de_listings() {
    let mut records = dprk_records();
    records[0].delisted_in =
        Some(SnapshotRef { id: 2, effective_at: "2026-06-01".into(), content_hash: "x".into() });
    let bundle = entries_to_bundle(&records, &options()).unwrap();
    let parsed = parse_bundle(&serde_json::to_vec(&bundle).unwrap()).unwrap();
    let source = &indicators_to_entries(&parsed, &provenance()).sources[0];
    assert_eq!(source.delisted.len(), 1);
    assert_eq!(source.delisted[0].reason, DelistReason::Revoked);
    assert_eq!(source.delisted[0].entry, records[0].entry);
    assert_eq!(source.snapshot.entries.len(), records.len() - 1);
    assert!(!source.snapshot.entries.contains(&records[0].entry));
    // An incremental fetch removes it from the previous list and keeps the rest.
    let previous: Vec<_> = records.iter().map(|r| r.entry.clone()).collect();
    let merged = source.merge_into(&previous[..10]);
    assert_eq!(merged.entries.len(), records.len() - 1);

    // A foreign indicator whose valid_until has passed is expired.
    let foreign = json!({
        "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [{
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "indicator_types": ["malicious-activity"], "labels": ["sanctioned"],
            "pattern": "[cryptocurrency-wallet:value = '0x098b716b8aaf21512996dc57eb0615e2383e2f96' OR cryptocurrency-wallet:value = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4']",
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
            "valid_until": "2025-01-01T00:00:00Z"
        }]
    });
    let parsed = parse_bundle(&serde_json::to_vec(&foreign).unwrap()).unwrap();
    let source = &indicators_to_entries(&parsed, &provenance()).sources[0];
    assert_eq!(source.snapshot.source.name, "stix/watchlist/anonymous");
    assert_eq!(source.delisted.len(), 2);
    assert!(source.delisted.iter().all(|d| d.reason == DelistReason::Expired));
    assert_eq!(source.delisted[0].entry.category, Category::Sanctioned);
    assert_eq!(source.delisted[0].entry.confidence, 100);
    assert_eq!(source.delisted[1].entry.chain, Chain::Bitcoin);
}

#[test]
fn confirmed_alerts_become_sightings() {
    let records = dprk_records();
    let listed = &records.iter().find(|r| r.entry.chain == Chain::Evm).unwrap().entry;
    let alerts = [
        ConfirmedAlert {
            address: listed.address.clone(),
            network: Network::evm(1),
            rule: "direct-exposure".into(),
            severity: RiskLevel::High,
            time: at("2026-11-24T08:00:00.000Z"),
            summary: "deposit from a Lazarus Group address".into(),
        },
        ConfirmedAlert {
            address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4".into(),
            network: Network::chain(Chain::Bitcoin),
            rule: "peel-chain".into(),
            severity: RiskLevel::Medium,
            time: at("2026-11-24T09:00:00.000Z"),
            summary: "peel chain from a theft".into(),
        },
    ];
    let input = ExportInput { entries: &records, tags: &[], alerts: &alerts };
    let bundle = export_bundle(&input, &options()).unwrap();
    validate_bundle(&bundle).unwrap();
    let sightings: Vec<_> = bundle
        .objects
        .iter()
        .filter_map(|o| match o {
            StixObject::Sighting(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(sightings.len(), 2);
    let of = |s: &chainward_stix::Sighting| match bundle.get(s.sighting_of_ref.as_str()) {
        Some(StixObject::Indicator(i)) => i.pattern.clone(),
        _ => panic!("a sighting of an indicator"),
    };
    assert!(of(sightings[0]).contains(&listed.address.to_ascii_lowercase()));
    assert!(of(sightings[1]).contains("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
    assert_eq!(sightings[0].count, Some(1));
    assert_eq!(sightings[0].where_sighted_refs, [options().producer.identity_id()]);
    assert_eq!(sightings[0].common.extensions[CHAINWARD_EXTENSION_ID]["alert"]["severity"], "high");
}

#[test]
fn wallets_deduplicate_by_normalized_address() {
    let checksummed = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
    let lower = checksummed.to_ascii_lowercase();
    let a = wallet_for(&Address::parse(Chain::Evm, checksummed).unwrap());
    let b = wallet_for(&Address::parse(Chain::Evm, &lower).unwrap());
    assert_eq!(a.common.id, b.common.id);
    assert_eq!(a.value, lower);

    // Two tags spelled differently: one wallet, two indicators.
    let tag = |address: &str, source: &str| Tag {
        address: address.into(),
        chain: None,
        category: Category::StolenFunds,
        entity: Some("LAZARUS GROUP".into()),
        confidence: 80,
        source: source.into(),
        labels: Vec::new(),
    };
    let tags = [tag(checksummed, "analyst/a"), tag(&lower, "analyst/b")];
    let bundle =
        export_bundle(&ExportInput { tags: &tags, ..ExportInput::default() }, &options()).unwrap();
    let wallets =
        bundle.objects.iter().filter(|o| o.object_type() == "cryptocurrency-wallet").count();
    assert_eq!(wallets, 1);
    assert_eq!(bundle.objects.iter().filter(|o| o.object_type() == "indicator").count(), 2);

    // A foreign bundle with the two spellings as separate wallets (their ids differ, as other
    // producers hash what they wrote) related to an intrusion set: one entry.
    let wallet = |value: &str, uuid: &str| {
        json!({
            "type": "cryptocurrency-wallet", "spec_version": "2.1",
            "id": format!("cryptocurrency-wallet--{uuid}"), "value": value
        })
    };
    let related = |uuid: &str, wallet: &str| {
        json!({
            "type": "relationship", "spec_version": "2.1", "id": format!("relationship--{uuid}"),
            "created": "2026-11-20T09:00:00.000Z", "modified": "2026-11-20T09:00:00.000Z",
            "relationship_type": "attributed-to",
            "source_ref": format!("cryptocurrency-wallet--{wallet}"),
            "target_ref": "intrusion-set--0b6e8f5a-1d2c-4e3f-8a9b-7c6d5e4f3a2b"
        })
    };
    let foreign = json!({
        "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [
            wallet(checksummed, "11111111-1111-5111-8111-111111111111"),
            wallet(&lower, "22222222-2222-5222-8222-222222222222"),
            {"type": "intrusion-set", "spec_version": "2.1",
             "id": "intrusion-set--0b6e8f5a-1d2c-4e3f-8a9b-7c6d5e4f3a2b",
             "created": "2026-11-20T09:00:00.000Z", "modified": "2026-11-20T09:00:00.000Z",
             "name": "Lazarus Group"},
            related("33333333-3333-4333-8333-333333333333", "11111111-1111-5111-8111-111111111111"),
            related("44444444-4444-4444-8444-444444444444", "22222222-2222-5222-8222-222222222222"),
        ]
    });
    let parsed = parse_bundle(&serde_json::to_vec(&foreign).unwrap()).unwrap();
    let source = &indicators_to_entries(&parsed, &provenance()).sources[0];
    assert_eq!(source.snapshot.entries.len(), 1, "{:?}", source.snapshot.entries);
    let entry = &source.snapshot.entries[0];
    assert_eq!(entry.entity.as_deref(), Some("Lazarus Group"));
    assert_eq!(entry.category, Category::StolenFunds);
    assert_eq!(entry.address, checksummed);
}

#[test]
fn the_reference_bundle_imports() {
    let bytes =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/aml-example-bundle.json"))
            .unwrap();
    let bundle = parse_bundle(&bytes).unwrap();
    let imported = indicators_to_entries(&bundle, &provenance());
    assert_eq!(imported.sources.len(), 1);
    let source = &imported.sources[0];
    assert_eq!(source.producer_name.as_deref(), Some("Example Exchange Compliance Team"));
    let entries = &source.snapshot.entries;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        entries[0].address.to_ascii_lowercase(),
        "0x2222222222222222222222222222222222222222"
    );
    assert_eq!(entries[0].category, Category::Sanctioned, "label 'sanctioned'");
    assert_eq!(entries[0].entity.as_deref(), Some("Lazarus Group"));
    assert_eq!(entries[0].confidence, 85);
    assert_eq!(
        entries[0].reference.as_deref(),
        Some("indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090")
    );
    assert_eq!(source.provenance[0].version, Some(at("2026-11-20T09:00:00.000Z")));
    assert_eq!(source.tlp, Some(Tlp::Amber));
}
