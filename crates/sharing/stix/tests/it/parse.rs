//! Reading bundles: the reference bundle, lossless foreign objects, errors that name the object
//! and property, and no panic on malformed input.

use chainward_stix::{StixObject, Tlp, parse_bundle, parse_bundle_lenient};
use serde_json::{Value, json};

fn reference_bundle() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/aml-example-bundle.json"))
        .unwrap()
}

#[test]
fn the_reference_bundle_parses_and_writes_back_identically() {
    let bytes = reference_bundle();
    let bundle = parse_bundle(&bytes).unwrap();
    assert_eq!(bundle.objects.len(), 16);
    let kinds: Vec<_> = bundle.objects.iter().map(StixObject::object_type).collect();
    assert!(kinds.contains(&"cryptocurrency-transaction") && kinds.contains(&"incident"));
    assert!(matches!(bundle.objects[0], StixObject::MarkingDefinition(_)));
    assert!(matches!(bundle.objects[3], StixObject::Wallet(_)));
    let original: Value = serde_json::from_slice(&bytes).unwrap();
    let written = serde_json::to_value(&bundle).unwrap();
    assert_eq!(written, original);
}

#[test]
fn foreign_objects_and_custom_properties_survive_unchanged() {
    let malware = r#"{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"Poison Ivy","is_family":true,"malware_types":["remote-access-trojan"],"x_weight":1.50,"x_nested":{"b":[1,2.0,"3"],"a":null}}"#;
    let indicator = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.000000Z", "modified": "2016-04-06T20:03:48Z",
        "pattern": "[cryptocurrency-wallet:value = '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY']",
        "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z",
        "x_foo": {"bar": [1, 2, 3], "baz": "qux"},
        "x_opencti_score": 80,
        "extensions": {"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {
            "extension_type": "property-extension", "rank": 5}}
    });
    let text = format!(
        r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{malware},{indicator}]}}"#
    );
    let bundle = parse_bundle(text.as_bytes()).unwrap();
    let StixObject::Indicator(typed) = &bundle.objects[1] else { panic!("an indicator") };
    assert_eq!(typed.common.custom["x_foo"], json!({"bar": [1, 2, 3], "baz": "qux"}));
    let written = serde_json::to_string(&bundle).unwrap();
    // The foreign object is written byte for byte (even `1.50` and key order).
    assert!(written.contains(malware), "{written}");
    let back: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(back["objects"][1], indicator, "timestamps keep their precision");
    // And a second pass changes nothing.
    assert_eq!(serde_json::to_string(&parse_bundle(written.as_bytes()).unwrap()).unwrap(), written);
}

fn bundle_with(object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [object]
    }))
    .unwrap()
}

fn indicator(changes: Value) -> Value {
    let mut object = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
        "created": "2026-11-20T09:00:00.000Z", "modified": "2026-11-20T09:00:00.000Z",
        "pattern": "[cryptocurrency-wallet:value = '0x2222222222222222222222222222222222222222']",
        "pattern_type": "stix", "valid_from": "2026-11-20T09:00:00.000Z"
    });
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            object.as_object_mut().unwrap().remove(key);
        } else {
            object[key] = value.clone();
        }
    }
    object
}

#[test]
fn errors_name_the_object_and_the_property() {
    let id = "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090";
    let cases = [
        (json!({"pattern": "[a-b:c = 'x'] OR [a-b:d = 'y'"}), format!("{id}: pattern: unbalanced bracket at 17")),
        (json!({"pattern": null}), format!("{id}: pattern: required property is missing")),
        (json!({"modified": "2026-11-19T09:00:00.000Z"}), format!("{id}: modified: 2026-11-19T09:00:00.000Z is earlier than created (2026-11-20T09:00:00.000Z)")),
        (json!({"created": "2026-11-20T09:00:00+01:00"}), format!("{id}: created: '2026-11-20T09:00:00+01:00' is not a STIX timestamp: it must be UTC and end in 'Z'")),
        (json!({"spec_version": "2.0"}), format!("{id}: spec_version: is \"2.0\", only \"2.1\" is supported")),
        (json!({"spec_version": null}), format!("{id}: spec_version: required property is missing (STIX 2.0 content is not accepted)")),
        (json!({"id": "malware--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090"}), "malware--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090: id: the id's type 'malware' is not the object's type 'indicator'".to_owned()),
        (json!({"id": "indicator--nope"}), "indicator object at index 0: id: 'indicator--nope' is not a STIX identifier: 'nope' is not a UUID (8-4-4-4-12 hex digits)".to_owned()),
        (json!({"confidence": 101}), format!("{id}: confidence: 101 is not an integer from 0 to 100")),
        (json!({"created_by_ref": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090"}), format!("{id}: created_by_ref: 'indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090' must reference one of: identity")),
        (json!({"valid_until": "2026-11-20T09:00:00.000Z"}), format!("{id}: valid_until: 2026-11-20T09:00:00.000Z is not later than valid_from (2026-11-20T09:00:00.000Z)")),
        (json!({"object_marking_refs": ["tlp-amber"]}), format!("{id}: object_marking_refs: 'tlp-amber' is not a STIX identifier (expected <type>--<UUID>)")),
    ];
    for (changes, expected) in cases {
        let error = parse_bundle(&bundle_with(indicator(changes.clone()))).unwrap_err().to_string();
        assert_eq!(error, expected, "{changes}");
    }
    let wallet = json!({"type": "cryptocurrency-wallet", "id": "cryptocurrency-wallet--39aa5814-2751-545d-8bcc-902c71c74518"});
    assert_eq!(
        parse_bundle(&bundle_with(wallet)).unwrap_err().to_string(),
        "cryptocurrency-wallet--39aa5814-2751-545d-8bcc-902c71c74518: value: must not be empty"
    );
}

#[test]
fn lenient_parsing_keeps_the_good_objects() {
    let text = serde_json::to_vec(&json!({
        "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [indicator(json!({"pattern": "[x"})), Tlp::Red.marking_definition(), 5]
    }))
    .unwrap();
    let (bundle, errors) = parse_bundle_lenient(&text).unwrap();
    assert_eq!(bundle.objects.len(), 1);
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1].to_string(), "object at index 2: not a JSON object");
}

#[test]
fn malformed_input_is_an_error_never_a_panic() {
    let cases: [&[u8]; 16] = [
        b"",
        b"null",
        b"[]",
        b"{",
        b"\xff\xfe",
        br#"{"type":"bundle"}"#,
        br#"{"type":"report","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}"#,
        br#"{"type":"bundle","id":"bundle--5d0092c5"}"#,
        br#"{"type":"bundle","id":"indicator--5d0092c5-5f74-4287-9642-33f4c354e56d"}"#,
        br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":{}}"#,
        br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{}]}"#,
        br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":7}]}"#,
        br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"x","id":"x--5d0092c5-5f74-4287-9642-33f4c354e56d"}]}"#,
        br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator","id":"indicator--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.1","created":"2026-11-20T09:00:00.000Z","modified":"2026-11-20T09:00:00.000Z","pattern":7,"pattern_type":"stix","valid_from":"2026-11-20T09:00:00.000Z"}]}"#,
        br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"cryptocurrency-wallet","id":"cryptocurrency-wallet--39aa5814-2751-545d-8bcc-902c71c74518","value":"a","address":"b"}]}"#,
        br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"sighting","id":"sighting--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.1","created":"2026-11-20T09:00:00.000Z","modified":"2026-11-20T09:00:00.000Z","sighting_of_ref":"cryptocurrency-wallet--39aa5814-2751-545d-8bcc-902c71c74518","count":-1}]}"#,
    ];
    for case in cases {
        let error = parse_bundle(case).expect_err(&String::from_utf8_lossy(case));
        assert!(!error.to_string().is_empty());
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_bundle(deep.as_bytes()).is_err());
    let nested = format!(
        r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{{"type":"x-deep","id":"x-deep--5d0092c5-5f74-4287-9642-33f4c354e56d","x_v":{}{}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse_bundle(nested.as_bytes()).is_err());
    let pattern = format!("{}[a-b:c = 1]{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse_bundle(&bundle_with(indicator(json!({ "pattern": pattern })))).is_err());
}

#[test]
fn every_truncation_and_byte_flip_of_a_real_bundle_is_handled() {
    let bytes = reference_bundle();
    for end in 0..bytes.len() {
        let _ = parse_bundle(&bytes[..end]);
    }
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..5_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut mutated = bytes.clone();
        let at = (state % bytes.len() as u64) as usize;
        mutated[at] = (state >> 32) as u8;
        let _ = parse_bundle(&mutated);
        let _ = parse_bundle_lenient(&mutated);
    }
}

mod properties {
    use chainward_stix::{parse_bundle, parse_pattern};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_bundle(&bytes);
        }

        #[test]
        fn arbitrary_patterns_never_panic(pattern in "[\\[\\]()' a-z:=!<>,.*0-9\\\\-]{0,80}") {
            if let Ok(parsed) = parse_pattern(&pattern) {
                let _ = parsed.wallet_terms();
            }
        }
    }
}
