//! The minimal STIX checks the server makes on each posted object (the content model lives in
//! `chainward-stix`; the server treats objects as JSON) and the TLP level of an object.

use crate::params::{is_stix_id, is_stix_type, parse_timestamp};
use chainward_store_api::{AddItem, NewObject, Tlp};
use serde_json::Value;

/// TLP 2.0 marking definitions (oasis-open/cti-stix-common-objects, `tlp-2.0`) and the TLP 1.0
/// ones still emitted by `stix2` and misp-stix (WHITE counts as CLEAR).
pub const TLP_MARKINGS: [(&str, Tlp); 9] = [
    ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", Tlp::Clear),
    ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", Tlp::Green),
    ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", Tlp::Amber),
    ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", Tlp::AmberStrict),
    ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", Tlp::Red),
    ("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::Clear),
    ("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::Green),
    ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::Amber),
    ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::Red),
];

/// The TLP level of a marking-definition id, if it is a TLP marking.
pub fn tlp_of_marking(id: &str) -> Option<Tlp> {
    TLP_MARKINGS.iter().find(|(m, _)| *m == id).map(|(_, tlp)| *tlp)
}

fn invalid(object: &Value, message: impl Into<String>) -> AddItem {
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| "(no valid id)".to_owned(), str::to_owned);
    let version = object
        .get("modified")
        .or_else(|| object.get("created"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    AddItem::Invalid { id, version, message: message.into() }
}

/// Checks one posted object and turns it into what the store keeps; an invalid object becomes
/// an [`AddItem::Invalid`] with the reason (reported as a failure in the status).
///
/// Checked: a JSON object; `type` (3–250 of `a-z0-9-`); `id` (`<type>--<uuid>`);
/// `spec_version` (`2.0` or `2.1`, default `2.1`); `created` / `modified` (timestamps);
/// `revoked` (boolean); `object_marking_refs` (marking-definition ids); `granular_markings`
/// (objects with a `marking_ref`). The TLP level is the most restrictive TLP marking among
/// `object_marking_refs` and the granular markings' `marking_ref`s.
pub(crate) fn check(object: &Value, red_recipients: &[i64]) -> AddItem {
    let Some(map) = object.as_object() else {
        return invalid(object, "not a JSON object");
    };
    let Some(stix_type) = map.get("type").and_then(Value::as_str) else {
        return invalid(object, "type is missing or not a string");
    };
    if !is_stix_type(stix_type) {
        return invalid(object, format!("type {stix_type:?} is not a STIX type name"));
    }
    let Some(id) = map.get("id").and_then(Value::as_str) else {
        return invalid(object, "id is missing or not a string");
    };
    if !is_stix_id(id) || !id.starts_with(&format!("{stix_type}--")) {
        return invalid(object, format!("id {id:?} is not {stix_type}--<uuid>"));
    }
    let spec_version = match map.get("spec_version") {
        None => "2.1",
        Some(Value::String(v)) if v == "2.1" || v == "2.0" => v.as_str(),
        Some(other) => {
            return invalid(object, format!("spec_version {other} is not \"2.1\" or \"2.0\""));
        }
    };
    let mut version = None;
    for field in ["created", "modified"] {
        match map.get(field) {
            None => {}
            Some(Value::String(text)) => match parse_timestamp(text) {
                Some(us) => version = Some((text.clone(), us)),
                None => return invalid(object, format!("{field} {text:?} is not a timestamp")),
            },
            Some(other) => return invalid(object, format!("{field} {other} is not a string")),
        }
    }
    if let Some(revoked) = map.get("revoked")
        && !revoked.is_boolean()
    {
        return invalid(object, "revoked is not a boolean");
    }
    let mut tlp = Tlp::None;
    let mut refs: Vec<&str> = Vec::new();
    match map.get("object_marking_refs") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item.as_str() {
                    Some(r) if r.starts_with("marking-definition--") && is_stix_id(r) => {
                        refs.push(r);
                    }
                    _ => {
                        return invalid(
                            object,
                            format!(
                                "object_marking_refs holds {item}, not a marking-definition id"
                            ),
                        );
                    }
                }
            }
        }
        Some(_) => return invalid(object, "object_marking_refs is not a list"),
    }
    match map.get("granular_markings") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                if !item.is_object() {
                    return invalid(
                        object,
                        "granular_markings holds a value that is not an object",
                    );
                }
                if let Some(r) = item.get("marking_ref").and_then(Value::as_str) {
                    refs.push(r);
                }
            }
        }
        Some(_) => return invalid(object, "granular_markings is not a list"),
    }
    for r in refs {
        if let Some(level) = tlp_of_marking(r) {
            tlp = tlp.max(level);
        }
    }
    AddItem::Object(NewObject {
        stix_id: id.to_owned(),
        stix_type: stix_type.to_owned(),
        spec_version: spec_version.to_owned(),
        version,
        tlp,
        content: object.to_string(),
        red_recipients: if tlp == Tlp::Red { red_recipients.to_vec() } else { Vec::new() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(item: AddItem) -> NewObject {
        match item {
            AddItem::Object(o) => o,
            AddItem::Invalid { message, .. } => panic!("refused: {message}"),
        }
    }

    #[test]
    fn most_restrictive_tlp_wins_and_versions_come_from_modified() {
        let o = object(check(
            &json!({
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
                "created": "2026-11-20T09:00:00.000Z", "modified": "2026-11-21T09:00:00.000Z",
                "object_marking_refs": [
                    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
                    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
                ]
            }),
            &[7],
        ));
        assert_eq!(o.tlp, Tlp::Red);
        assert_eq!(o.red_recipients, [7]);
        assert_eq!(o.version.unwrap().0, "2026-11-21T09:00:00.000Z");
        let sco = object(check(
            &json!({"type": "cryptocurrency-wallet",
                    "id": "cryptocurrency-wallet--f0ff1e4c-3b8a-5d3c-9c3e-2b1a0f9e8d7c",
                    "value": "0x1111111111111111111111111111111111111111"}),
            &[7],
        ));
        assert_eq!((sco.tlp, sco.version, sco.spec_version.as_str()), (Tlp::None, None, "2.1"));
        assert!(sco.red_recipients.is_empty());
    }

    #[test]
    fn malformed_objects_are_refused_with_a_reason() {
        for (bad, why) in [
            (json!([1]), "not a JSON object"),
            (json!({"id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090"}), "type"),
            (
                json!({"type": "indicator", "id": "malware--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090"}),
                "id",
            ),
            (json!({"type": "indicator", "id": "indicator--1"}), "id"),
            (
                json!({"type": "indicator", "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
                       "modified": "yesterday"}),
                "modified",
            ),
            (
                json!({"type": "indicator", "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
                       "spec_version": "3.0"}),
                "spec_version",
            ),
            (
                json!({"type": "indicator", "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
                       "object_marking_refs": "tlp:red"}),
                "object_marking_refs",
            ),
            (
                json!({"type": "indicator", "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
                       "revoked": "yes"}),
                "revoked",
            ),
        ] {
            match check(&bad, &[]) {
                AddItem::Invalid { message, .. } => assert!(message.contains(why), "{message}"),
                AddItem::Object(_) => panic!("accepted {bad}"),
            }
        }
    }
}
