//! Serialization round trips, and malformed input of every kind (errors, never panics).

use crate::{SEED, evm, keys, setup};
use chainward_private_lookup::{
    BlindedRequest, Client, Error, EvaluatedResponse, KeyId, MAX_BATCH_ELEMENTS, PublicKey,
    PublishedSet, Server, ServerKey,
};
use serde_json::{Value, json};

fn request_json(key_id: &str, elements: &[String]) -> Value {
    json!({"version": 1, "key_id": key_id, "elements": elements})
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn messages_round_trip_through_json() {
    let (server, set, client) = setup(&[&evm(1)]);
    let (request, _) = client.blind(&evm(1)).unwrap();
    let text = serde_json::to_string(&request).unwrap();
    assert_eq!(serde_json::from_str::<BlindedRequest>(&text).unwrap(), request);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["key_id"], set.key_id().to_string());
    assert_eq!(value["elements"].as_array().unwrap().len(), 4);

    let response = server.evaluate(&request).unwrap();
    let text = serde_json::to_string(&response).unwrap();
    assert_eq!(serde_json::from_str::<EvaluatedResponse>(&text).unwrap(), response);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["set_version"], 1);
    assert_eq!(value["proof"].as_str().unwrap().len(), 88); // 64 bytes

    let public_key = server.public_key();
    let text = serde_json::to_string(&public_key).unwrap();
    assert!(text.contains("\"suite\":\"ristretto255-SHA512\""), "{text}");
    assert_eq!(serde_json::from_str::<PublicKey>(&text).unwrap(), public_key);
    assert_eq!(PublicKey::from_bytes(*public_key.as_bytes()).unwrap(), public_key);

    let id: KeyId = set.key_id().to_string().parse().unwrap();
    assert_eq!(id, set.key_id());
    assert_eq!(id.to_string().len(), 16);
}

#[test]
fn the_published_set_round_trips_and_refuses_damage() {
    let listed: Vec<String> = (0..20).map(evm).collect();
    let refs: Vec<&str> = listed.iter().map(String::as_str).collect();
    let (_, set, _) = setup(&refs);
    assert_eq!((set.len(), set.version(), set.tag_len()), (20, 1, 16));
    assert!(set.false_positive_rate() < 1e-36);
    let bytes = set.to_bytes();
    assert_eq!(bytes.len(), 72 + 20 * 16 + 32);
    assert_eq!(PublishedSet::from_bytes(&bytes).unwrap(), set);

    let refused = |bytes: &[u8]| PublishedSet::from_bytes(bytes).unwrap_err();
    assert!(matches!(refused(&[]), Error::SetFormat(_)));
    assert!(matches!(refused(&bytes[..bytes.len() - 1]), Error::SetFormat(_)));
    assert!(matches!(refused(&bytes[..100]), Error::SetFormat(_)));
    for at in [0, 7, 8, 20, 40, 60, 70, 100, bytes.len() - 1] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x01;
        assert!(PublishedSet::from_bytes(&damaged).is_err(), "flipped byte {at}");
    }
    // Well-formed but wrong inside (checksum recomputed): unsorted, wrong count, bad key.
    let reseal = |mut body: Vec<u8>| {
        use sha2::{Digest, Sha256};
        body.truncate(body.len() - 32);
        let checksum = Sha256::digest(&body);
        body.extend_from_slice(&checksum);
        body
    };
    let mut unsorted = bytes.clone();
    let (first, second) = unsorted[72..104].split_at_mut(16);
    first.swap_with_slice(second);
    assert!(matches!(refused(&reseal(unsorted)), Error::SetFormat(m) if m.contains("ascending")));
    let mut miscounted = bytes.clone();
    miscounted[64..72].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(refused(&reseal(miscounted)), Error::SetFormat(m) if m.contains("count")));
    let mut bad_key = bytes.clone();
    bad_key[24..56].fill(0xff);
    assert!(matches!(refused(&reseal(bad_key)), Error::PublicKey));
    let mut bad_id = bytes.clone();
    bad_id[16] ^= 1;
    assert!(matches!(refused(&reseal(bad_id)), Error::KeyMismatch { .. }));
    let mut bad_tag_len = bytes.clone();
    bad_tag_len[8] = 4;
    assert!(matches!(refused(&reseal(bad_tag_len)), Error::SetFormat(_)));
    let mut version_2 = bytes;
    version_2[7] = 2;
    assert!(matches!(refused(&version_2), Error::SetFormat(m) if m.contains("version")));
}

#[test]
fn tag_length_is_a_choice_within_bounds() {
    let key = ServerKey::from_seed(SEED).unwrap();
    let short = PublishedSet::build(&key, keys(&evm(1)), 1, 8).unwrap();
    let round = PublishedSet::from_bytes(&short.to_bytes()).unwrap();
    assert_eq!(round.tag_len(), 8);
    let output = key.output_for(&keys(&evm(1))[0]).unwrap();
    assert!(round.contains_output(&output));
    for bad in [0, 7, 33] {
        assert!(PublishedSet::build(&key, keys(&evm(1)), 1, bad).is_err());
    }
}

#[test]
fn server_keys_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oprf.key");
    let key = ServerKey::generate().unwrap();
    key.save(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let loaded = ServerKey::load(&path).unwrap();
    assert_eq!(loaded.key_id(), key.key_id());
    assert_eq!(loaded.public_key(), key.public_key());
    assert_ne!(ServerKey::generate().unwrap().key_id(), key.key_id());
    assert_eq!(
        ServerKey::from_seed(SEED).unwrap().key_id(),
        ServerKey::from_seed(SEED).unwrap().key_id()
    );
    // Debug never shows the secret.
    let debug = format!("{key:?}");
    assert!(debug.contains(&key.key_id().to_string()) && !debug.contains("seed"), "{debug}");

    assert!(matches!(ServerKey::load(&dir.path().join("missing")), Err(Error::Io { .. })));
    assert!(matches!(ServerKey::from_bytes(b"CWOPRFK\x01short"), Err(Error::KeyFormat(_))));
    assert!(matches!(ServerKey::from_bytes(&[0; 40]), Err(Error::KeyFormat(_))));
}

#[test]
fn malformed_requests_are_refused_with_clear_errors() {
    let (server, _, client) = setup(&[&evm(1)]);
    let (good, _) = client.blind(&evm(1)).unwrap();
    let id = good.key_id().to_string();
    let element = b64(&good.elements()[0]);
    let parse =
        |value: Value| serde_json::from_value::<BlindedRequest>(value).unwrap_err().to_string();

    let message = parse(request_json(&id, &["not base64!".into()]));
    assert!(message.contains("not valid base64"), "{message}");
    let message = parse(request_json(&id, &[b64(&[1; 31])]));
    assert!(message.contains("expected 32 bytes, got 31"), "{message}");
    let message = parse(request_json(&id, &[b64(&[1; 300])]));
    assert!(message.contains("expected 32 bytes"), "{message}");
    let message = parse(request_json("xyz", std::slice::from_ref(&element)));
    assert!(message.contains("16 hex digits"), "{message}");
    let message = parse(request_json(&id, &[]));
    assert!(message.contains("empty batch"), "{message}");
    let message = parse(request_json(&id, &vec![element.clone(); MAX_BATCH_ELEMENTS + 1]));
    assert!(message.contains("exceeds the maximum of 64"), "{message}");
    let message = parse(json!({"version": 2, "key_id": id, "elements": [element]}));
    assert!(message.contains("protocol version 2"), "{message}");
    let message = parse(json!({"version": 1, "key_id": id, "elements": [element], "x": 1}));
    assert!(message.contains("unknown field"), "{message}");
    let message = parse(json!({"version": 1, "key_id": id}));
    assert!(message.contains("missing field"), "{message}");

    // Decodes, but names a key the server does not hold.
    let unknown: BlindedRequest =
        serde_json::from_value(request_json("0123456789abcdef", std::slice::from_ref(&element)))
            .unwrap();
    let error = server.evaluate(&unknown).unwrap_err();
    assert!(matches!(error, Error::UnknownKey(_)) && error.is_client_error(), "{error}");

    // Decodes, but an element is not a group element: not canonical, the identity.
    for (bad, index) in [([0xff; 32], 1), ([0; 32], 1)] {
        let request: BlindedRequest =
            serde_json::from_value(request_json(&id, &[element.clone(), b64(&bad)])).unwrap();
        let error = server.evaluate(&request).unwrap_err();
        assert!(matches!(error, Error::InvalidElement { index: i } if i == index), "{error}");
    }

    // The largest batch allowed is evaluated.
    let full: BlindedRequest =
        serde_json::from_value(request_json(&id, &vec![element; MAX_BATCH_ELEMENTS])).unwrap();
    assert_eq!(server.evaluate(&full).unwrap().elements().len(), MAX_BATCH_ELEMENTS);
}

#[test]
fn malformed_responses_are_refused_with_clear_errors() {
    let (server, set, client) = setup(&[&evm(1)]);
    let respond = || {
        let (request, state) = client.blind(&evm(1)).unwrap();
        (serde_json::to_value(server.evaluate(&request).unwrap()).unwrap(), state)
    };
    let finalize = |value: Value, state| {
        let response: EvaluatedResponse = serde_json::from_value(value)?;
        Ok::<_, Box<dyn std::error::Error>>(client.finalize(state, &response, &set)?)
    };

    let (mut value, state) = respond();
    value["proof"] = b64(&[0; 63]).into();
    let message = finalize(value, state).unwrap_err().to_string();
    assert!(message.contains("proof: expected 64 bytes"), "{message}");

    let (mut value, state) = respond();
    value["proof"] = b64(&[0xff; 64]).into();
    let message = finalize(value, state).unwrap_err().to_string();
    assert!(message.contains("canonical scalars"), "{message}");

    let (mut value, state) = respond();
    value["elements"].as_array_mut().unwrap().pop();
    let message = finalize(value, state).unwrap_err().to_string();
    assert!(message.contains("3 elements for 4 requested"), "{message}");

    let (mut value, state) = respond();
    value["elements"][2] = b64(&[0xff; 32]).into();
    let message = finalize(value, state).unwrap_err().to_string();
    assert!(message.contains("element 2 is not a valid"), "{message}");

    let (mut value, state) = respond();
    value["key_id"] = "0123456789abcdef".into();
    let message = finalize(value, state).unwrap_err().to_string();
    assert!(message.contains("key id mismatch"), "{message}");

    let (mut value, state) = respond();
    value["elements"][0] = "%%%".into();
    let message = finalize(value, state).unwrap_err().to_string();
    assert!(message.contains("not valid base64"), "{message}");
}

#[test]
fn public_keys_are_checked_when_read() {
    let key = ServerKey::from_seed(SEED).unwrap().public_key();
    let mut value = serde_json::to_value(key).unwrap();
    value["key_id"] = "0000000000000000".into();
    let message = serde_json::from_value::<PublicKey>(value).unwrap_err().to_string();
    assert!(message.contains("key id mismatch"), "{message}");

    let mut value = serde_json::to_value(key).unwrap();
    value["suite"] = "P256-SHA256".into();
    assert!(serde_json::from_value::<PublicKey>(value).is_err());

    assert!(matches!(PublicKey::from_bytes([0; 32]), Err(Error::PublicKey)));
    assert!(matches!(PublicKey::from_bytes([0xff; 32]), Err(Error::PublicKey)));
}

#[test]
fn blind_keys_takes_parsed_addresses() {
    let (server, set, client) = setup(&[&evm(3)]);
    let (request, state) = client.blind_keys(&keys(&evm(3))).unwrap();
    assert!(client.finalize(state, &server.evaluate(&request).unwrap(), &set).unwrap());
    let too_many =
        [keys(&evm(1)), keys(&evm(2)), keys(&evm(3)), keys(&evm(4)), keys(&evm(5))].concat();
    assert!(matches!(
        client.blind_keys(&too_many),
        Err(Error::TooManyReadings { count: 5, max: 4 })
    ));
    let unknown = chainward_primitives::AddressKey::from_bytes([0xee; 32]);
    assert!(matches!(client.blind_keys(&[unknown]), Err(Error::UnknownChain(0xee))));
    let _ = Client::for_set(&set);
    let _ = Server::new(ServerKey::from_seed(SEED).unwrap());
}
