//! Reading and validating STIX content: [`parse_bundle`], [`parse_object`], [`validate_object`].
//!
//! Every object is checked in two passes: first its JSON (type name, id format and that the id's
//! type is the object's type, `spec_version`, every timestamp, every `*_ref`/`*_refs`,
//! `confidence`), so an error can name the property; then, for the types this crate models,
//! the typed object (required properties, `modified` ≥ `created`, `valid_until` > `valid_from`,
//! the pattern's syntax, `count` range, reference target types). Nothing here panics on any
//! input: the pattern parser bounds its recursion and serde_json bounds JSON nesting.

use crate::model::{
    Bundle, CryptocurrencyWallet, ExtensionDefinition, Identity, Indicator, IntrusionSet,
    MarkingDefinition, OtherObject, Relationship, Report, SPEC_VERSION, Sighting, StixObject,
    ThreatActor,
};
use crate::pattern::parse_pattern;
use crate::{ObjectError, StixError, StixId, Timestamp};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Properties STIX defines as timestamps, on any object.
const TIMESTAMP_PROPERTIES: [&str; 11] = [
    "created",
    "modified",
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
    "published",
    "start_time",
    "stop_time",
    "first_observed",
    "last_observed",
];

/// The STIX 2.1 Cyber-observable types (they have no `created`/`modified`, and `spec_version`
/// is optional), plus the crypto SCOs of the extensions we read.
const SCO_TYPES: [&str; 20] = [
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
    "cryptocurrency-wallet",
    "cryptocurrency-transaction",
];

/// The STIX 2.1 SDO and SRO types.
const SDO_SRO_TYPES: [&str; 21] = [
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
    "relationship",
    "sighting",
];

/// Whether a type is a cyber-observable (SCO) type, known or declared by a `new-sco` extension.
pub(crate) fn is_sco(object_type: &str, extensions: Option<&Map<String, Value>>) -> bool {
    SCO_TYPES.contains(&object_type)
        || extensions.is_some_and(|e| {
            e.values().any(|v| v.get("extension_type").and_then(Value::as_str) == Some("new-sco"))
        })
}

#[derive(Deserialize)]
struct RawBundle<'a> {
    #[serde(rename = "type")]
    object_type: Option<Value>,
    id: Option<Value>,
    #[serde(borrow)]
    objects: Option<Vec<&'a RawValue>>,
}

/// Reads a bundle and validates every object; the first invalid object fails the whole bundle.
///
/// # Errors
/// [`StixError::Json`] when the bytes are not a JSON object, [`StixError::Bundle`] when the
/// bundle's `type`, `id` or `objects` are wrong, [`StixError::Object`] for the first invalid
/// object.
pub fn parse_bundle(bytes: &[u8]) -> Result<Bundle, StixError> {
    let (bundle, mut errors) = read_bundle(bytes, true)?;
    match errors.is_empty() {
        true => Ok(bundle),
        false => Err(errors.swap_remove(0).into()),
    }
}

/// Reads a bundle, keeping the valid objects and returning an error for each invalid one (what
/// an importer wants from a feed with one broken object among thousands).
///
/// # Errors
/// [`StixError::Json`] or [`StixError::Bundle`] when the bundle as a whole is unreadable.
pub fn parse_bundle_lenient(bytes: &[u8]) -> Result<(Bundle, Vec<ObjectError>), StixError> {
    read_bundle(bytes, false)
}

fn read_bundle(bytes: &[u8], stop_at_first: bool) -> Result<(Bundle, Vec<ObjectError>), StixError> {
    let raw: RawBundle<'_> =
        serde_json::from_slice(bytes).map_err(|e| StixError::Json(e.to_string()))?;
    let bundle_error = |property: &str, message: String| StixError::Bundle {
        property: property.to_owned(),
        message,
    };
    match raw.object_type.as_ref().and_then(Value::as_str) {
        Some("bundle") => {}
        Some(other) => {
            return Err(bundle_error("type", format!("is '{other}', expected 'bundle'")));
        }
        None => return Err(bundle_error("type", "required string property is missing".into())),
    }
    let id = raw
        .id
        .as_ref()
        .and_then(Value::as_str)
        .ok_or_else(|| bundle_error("id", "required string property is missing".into()))?;
    let id = StixId::parse(id).map_err(|e| bundle_error("id", e))?;
    if id.object_type() != "bundle" {
        return Err(bundle_error("id", format!("'{id}' is not a bundle id")));
    }
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in raw.objects.unwrap_or_default().into_iter().enumerate() {
        match read_object(raw) {
            Ok(object) => objects.push(object),
            Err(mut error) => {
                error.index = Some(index);
                errors.push(error);
                if stop_at_first {
                    break;
                }
            }
        }
    }
    Ok((Bundle { object_type: "bundle".into(), id, objects }, errors))
}

fn read_object(raw: &RawValue) -> Result<StixObject, ObjectError> {
    let value: Value = serde_json::from_str(raw.get())
        .map_err(|e| ObjectError::new(None, format!("not valid JSON: {e}")))?;
    let object = parse_object(&value)?;
    // Foreign objects keep the exact bytes they came with.
    Ok(match object {
        StixObject::Other(other) => StixObject::Other(OtherObject {
            raw: RawValue::from_string(raw.get().to_owned()).unwrap_or(other.raw.clone()),
            ..other
        }),
        typed => typed,
    })
}

/// Reads and validates one object (from a bundle or a TAXII envelope).
///
/// # Errors
/// An [`ObjectError`] naming the object and property.
pub fn parse_object(value: &Value) -> Result<StixObject, ObjectError> {
    let Some(map) = value.as_object() else {
        return Err(ObjectError::new(None, "not a JSON object"));
    };
    let object_type = map.get("type").and_then(Value::as_str).map(str::to_owned);
    let id = map.get("id").and_then(Value::as_str).map(str::to_owned);
    let name = |mut error: ObjectError| {
        error.object_type = object_type.clone();
        error.id = id.clone().filter(|id| StixId::parse(id).is_ok());
        error
    };
    check_json(map).map_err(name)?;
    let object = typed(map, value).map_err(name)?;
    validate_object(&object).map_err(name)?;
    Ok(object)
}

fn typed(map: &Map<String, Value>, value: &Value) -> Result<StixObject, ObjectError> {
    fn de<T: serde::de::DeserializeOwned + Into<StixObject>>(
        value: &Value,
    ) -> Result<StixObject, ObjectError> {
        T::deserialize(value).map(Into::into).map_err(|e| serde_error(&e))
    }
    match map.get("type").and_then(Value::as_str).unwrap_or_default() {
        "identity" => de::<Identity>(value),
        "indicator" => de::<Indicator>(value),
        "intrusion-set" => de::<IntrusionSet>(value),
        "threat-actor" => de::<ThreatActor>(value),
        "relationship" => de::<Relationship>(value),
        "sighting" => de::<Sighting>(value),
        "report" => de::<Report>(value),
        "marking-definition" => de::<MarkingDefinition>(value),
        "extension-definition" => de::<ExtensionDefinition>(value),
        "cryptocurrency-wallet" => {
            if map.contains_key("value") && map.contains_key("address") {
                return Err(ObjectError::new(
                    Some("address"),
                    "both 'value' and the legacy 'address' are present",
                ));
            }
            de::<CryptocurrencyWallet>(value)
        }
        _ => OtherObject::from_value(value)
            .map(StixObject::Other)
            .map_err(|e| ObjectError::new(None, e)),
    }
}

/// Turns serde's message into property + message: "missing field `pattern`" names `pattern`.
fn serde_error(error: &serde_json::Error) -> ObjectError {
    let text = error.to_string();
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return ObjectError::new(Some(field), "required property is missing");
    }
    if let Some(rest) = text.strip_prefix("duplicate field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return ObjectError::new(Some(field), "property given twice");
    }
    let text = match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    };
    ObjectError::new(None, text)
}

/// The JSON-level checks every object gets, whatever its type.
fn check_json(map: &Map<String, Value>) -> Result<(), ObjectError> {
    let object_type = match map.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return Err(ObjectError::new(Some("type"), "must be a string")),
        None => return Err(ObjectError::new(Some("type"), "required property is missing")),
    };
    crate::id::check_type_name(object_type).map_err(|e| ObjectError::new(Some("type"), e))?;
    let id = match map.get("id") {
        Some(Value::String(id)) => {
            StixId::parse(id).map_err(|e| ObjectError::new(Some("id"), e))?
        }
        Some(_) => return Err(ObjectError::new(Some("id"), "must be a string")),
        None => return Err(ObjectError::new(Some("id"), "required property is missing")),
    };
    if id.object_type() != object_type {
        return Err(ObjectError::new(
            Some("id"),
            format!(
                "the id's type '{}' is not the object's type '{object_type}'",
                id.object_type()
            ),
        ));
    }
    let extensions = map.get("extensions").and_then(Value::as_object);
    let sco = is_sco(object_type, extensions);
    match map.get("spec_version") {
        Some(Value::String(v)) if v == SPEC_VERSION => {}
        Some(v) => {
            return Err(ObjectError::new(
                Some("spec_version"),
                format!("is {v}, only \"2.1\" is supported"),
            ));
        }
        None if sco => {}
        None if SDO_SRO_TYPES.contains(&object_type)
            || matches!(
                object_type,
                "marking-definition" | "extension-definition" | "language-content"
            )
            || map.contains_key("created") =>
        {
            return Err(ObjectError::new(
                Some("spec_version"),
                "required property is missing (STIX 2.0 content is not accepted)",
            ));
        }
        None => {}
    }
    for property in TIMESTAMP_PROPERTIES {
        match map.get(property) {
            None => {}
            Some(Value::String(text)) => {
                Timestamp::parse(text).map_err(|e| ObjectError::new(Some(property), e))?;
            }
            Some(_) => return Err(ObjectError::new(Some(property), "must be a timestamp string")),
        }
    }
    for (key, value) in map {
        if key.ends_with("_ref") {
            let Some(text) = value.as_str() else {
                return Err(ObjectError::new(Some(key), "must be an identifier string"));
            };
            StixId::parse(text).map_err(|e| ObjectError::new(Some(key), e))?;
        } else if key.ends_with("_refs") {
            let Some(items) = value.as_array() else {
                return Err(ObjectError::new(Some(key), "must be a list of identifiers"));
            };
            for item in items {
                let Some(text) = item.as_str() else {
                    return Err(ObjectError::new(
                        Some(key),
                        "must be a list of identifier strings",
                    ));
                };
                StixId::parse(text).map_err(|e| ObjectError::new(Some(key), e))?;
            }
        }
    }
    if let Some(confidence) = map.get("confidence") {
        match confidence.as_i64() {
            Some(0..=100) => {}
            _ => {
                return Err(ObjectError::new(
                    Some("confidence"),
                    format!("{confidence} is not an integer from 0 to 100"),
                ));
            }
        }
    }
    if let Some(revoked) = map.get("revoked")
        && !revoked.is_boolean()
    {
        return Err(ObjectError::new(Some("revoked"), "must be true or false"));
    }
    if let Some(extensions) = map.get("extensions") {
        let Some(extensions) = extensions.as_object() else {
            return Err(ObjectError::new(Some("extensions"), "must be an object"));
        };
        for (key, value) in extensions {
            if !value.is_object() {
                return Err(ObjectError::new(
                    Some(&format!("extensions.{key}")),
                    "must be an object",
                ));
            }
            if key.starts_with("extension-definition--") {
                StixId::parse(key).map_err(|e| ObjectError::new(Some("extensions"), e))?;
            }
        }
    }
    Ok(())
}

fn require_versioned(common: &crate::model::Common) -> Result<(), ObjectError> {
    let created = common
        .created
        .ok_or_else(|| ObjectError::new(Some("created"), "required property is missing"))?;
    let modified = common
        .modified
        .ok_or_else(|| ObjectError::new(Some("modified"), "required property is missing"))?;
    if common.spec_version.is_none() {
        return Err(ObjectError::new(Some("spec_version"), "required property is missing"));
    }
    if modified < created {
        return Err(ObjectError::new(
            Some("modified"),
            format!("{modified} is earlier than created ({created})"),
        ));
    }
    Ok(())
}

fn require_ref_type(property: &str, id: &StixId, allowed: &[&str]) -> Result<(), ObjectError> {
    if allowed.contains(&id.object_type()) {
        Ok(())
    } else {
        Err(ObjectError::new(
            Some(property),
            format!("'{id}' must reference one of: {}", allowed.join(", ")),
        ))
    }
}

fn require_text(property: &str, text: &str) -> Result<(), ObjectError> {
    if text.trim().is_empty() {
        Err(ObjectError::new(Some(property), "must not be empty"))
    } else {
        Ok(())
    }
}

/// The typed checks of an object (also run on objects built in code, e.g. by export).
///
/// # Errors
/// An [`ObjectError`] naming the property (the caller adds the object's id and type).
pub fn validate_object(object: &StixObject) -> Result<(), ObjectError> {
    let result = validate_typed(object);
    result.map_err(|mut error| {
        error.id.get_or_insert_with(|| object.id().to_string());
        error.object_type.get_or_insert_with(|| object.object_type().to_owned());
        error
    })
}

fn validate_typed(object: &StixObject) -> Result<(), ObjectError> {
    if let Some(common) = object.common() {
        if common.id.object_type() != common.object_type {
            return Err(ObjectError::new(Some("id"), "the id's type is not the object's type"));
        }
        if let Some(creator) = &common.created_by_ref {
            require_ref_type("created_by_ref", creator, &["identity"])?;
        }
        for marking in &common.object_marking_refs {
            require_ref_type("object_marking_refs", marking, &["marking-definition"])?;
        }
        if let Some(confidence) = common.confidence
            && !(0..=100).contains(&confidence)
        {
            return Err(ObjectError::new(Some("confidence"), "must be from 0 to 100"));
        }
    }
    match object {
        StixObject::Identity(o) => {
            require_versioned(&o.common)?;
            require_text("name", &o.name)
        }
        StixObject::IntrusionSet(o) => {
            require_versioned(&o.common)?;
            require_text("name", &o.name)
        }
        StixObject::ThreatActor(o) => {
            require_versioned(&o.common)?;
            require_text("name", &o.name)
        }
        StixObject::Indicator(o) => {
            require_versioned(&o.common)?;
            require_text("pattern", &o.pattern)?;
            require_text("pattern_type", &o.pattern_type)?;
            if o.pattern_type == "stix" {
                parse_pattern(&o.pattern)
                    .map_err(|e| ObjectError::new(Some("pattern"), e.to_string()))?;
            }
            if let Some(until) = o.valid_until
                && until <= o.valid_from
            {
                return Err(ObjectError::new(
                    Some("valid_until"),
                    format!("{until} is not later than valid_from ({})", o.valid_from),
                ));
            }
            Ok(())
        }
        StixObject::Relationship(o) => {
            require_versioned(&o.common)?;
            require_text("relationship_type", &o.relationship_type)?;
            if !o
                .relationship_type
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(ObjectError::new(
                    Some("relationship_type"),
                    "may only contain a-z, 0-9 and '-'",
                ));
            }
            if let (Some(start), Some(stop)) = (o.start_time, o.stop_time)
                && stop <= start
            {
                return Err(ObjectError::new(Some("stop_time"), "must be later than start_time"));
            }
            Ok(())
        }
        StixObject::Sighting(o) => {
            require_versioned(&o.common)?;
            let of = o.sighting_of_ref.object_type();
            if is_sco(of, None) || matches!(of, "relationship" | "sighting" | "marking-definition")
            {
                return Err(ObjectError::new(
                    Some("sighting_of_ref"),
                    format!("'{}' is not an SDO", o.sighting_of_ref),
                ));
            }
            for place in &o.where_sighted_refs {
                require_ref_type("where_sighted_refs", place, &["identity", "location"])?;
            }
            for observed in &o.observed_data_refs {
                require_ref_type("observed_data_refs", observed, &["observed-data"])?;
            }
            if let Some(count) = o.count
                && !(0..=999_999_999).contains(&count)
            {
                return Err(ObjectError::new(Some("count"), "must be from 0 to 999,999,999"));
            }
            if let (Some(first), Some(last)) = (o.first_seen, o.last_seen)
                && last < first
            {
                return Err(ObjectError::new(Some("last_seen"), "is earlier than first_seen"));
            }
            Ok(())
        }
        StixObject::Report(o) => {
            require_versioned(&o.common)?;
            require_text("name", &o.name)?;
            if o.object_refs.is_empty() {
                return Err(ObjectError::new(Some("object_refs"), "must not be empty"));
            }
            Ok(())
        }
        StixObject::MarkingDefinition(o) => {
            if o.common.created.is_none() {
                return Err(ObjectError::new(Some("created"), "required property is missing"));
            }
            Ok(())
        }
        StixObject::ExtensionDefinition(o) => {
            require_versioned(&o.common)?;
            if o.common.created_by_ref.is_none() {
                return Err(ObjectError::new(
                    Some("created_by_ref"),
                    "required property is missing",
                ));
            }
            require_text("name", &o.name)?;
            require_text("schema", &o.schema)?;
            require_text("version", &o.version)?;
            if o.extension_types.is_empty() {
                return Err(ObjectError::new(Some("extension_types"), "must not be empty"));
            }
            for kind in &o.extension_types {
                if !matches!(
                    kind.as_str(),
                    "new-sdo"
                        | "new-sco"
                        | "new-sro"
                        | "property-extension"
                        | "toplevel-property-extension"
                ) {
                    return Err(ObjectError::new(
                        Some("extension_types"),
                        format!("'{kind}' is not an extension type"),
                    ));
                }
            }
            Ok(())
        }
        StixObject::Wallet(o) => {
            if o.common.spec_version.as_deref().is_some_and(|v| v != SPEC_VERSION) {
                return Err(ObjectError::new(Some("spec_version"), "only \"2.1\" is supported"));
            }
            require_text("value", &o.value)?;
            if let Some(holder) = &o.holder_ref {
                require_ref_type("holder_ref", holder, &["identity"])?;
            }
            Ok(())
        }
        StixObject::Other(_) => Ok(()),
    }
}

/// Validates every object of a bundle (for bundles built in code).
///
/// # Errors
/// The first invalid object.
pub fn validate_bundle(bundle: &Bundle) -> Result<(), StixError> {
    for (index, object) in bundle.objects.iter().enumerate() {
        validate_object(object).map_err(|mut e| {
            e.index = Some(index);
            e
        })?;
    }
    Ok(())
}
