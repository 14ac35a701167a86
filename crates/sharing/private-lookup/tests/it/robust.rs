//! Arbitrary bytes at every input: errors, never panics.

use crate::{SEED, evm, setup};
use chainward_private_lookup::{
    BlindedRequest, Client, Error, EvaluatedResponse, PublicKey, PublishedSet, RateLimiter, Server,
    ServerKey,
};
use proptest::prelude::*;
use std::sync::OnceLock;

/// A small valid set's bytes, built once (key derivation is slow in a debug build).
fn sample_set() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| setup(&[&evm(1), &evm(2), &evm(3)]).1.to_bytes())
}

#[test]
fn the_endpoint_types_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Server>();
    shared::<RateLimiter>();
    shared::<Client>();
    shared::<PublishedSet>();
    shared::<PublicKey>();
    shared::<BlindedRequest>();
    shared::<EvaluatedResponse>();
    shared::<Error>();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic_as_a_set_or_a_key(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = PublishedSet::from_bytes(&bytes);
        let _ = ServerKey::from_bytes(&bytes);
    }

    #[test]
    fn damaged_sets_never_panic(at in 0usize..456, value in any::<u8>(), cut in 0usize..456) {
        let mut bytes = sample_set().to_vec();
        let at = at % bytes.len();
        bytes[at] = value;
        bytes.truncate(cut.max(1));
        let _ = PublishedSet::from_bytes(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics_as_a_message(text in ".{0,200}") {
        let _ = serde_json::from_str::<BlindedRequest>(&text);
        let _ = serde_json::from_str::<EvaluatedResponse>(&text);
        let _ = serde_json::from_str::<PublicKey>(&text);
        let _ = text.parse::<chainward_private_lookup::KeyId>();
    }
}

proptest! {
    // Each valid element costs a scalar multiplication (slow in a debug build).
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn arbitrary_elements_are_evaluated_or_refused(elements in proptest::collection::vec(any::<[u8; 32]>(), 1..4)) {
        static SERVER: OnceLock<Server> = OnceLock::new();
        let server = SERVER.get_or_init(|| Server::new(ServerKey::from_seed(SEED).unwrap()));
        let encoded: Vec<String> = elements.iter().map(|e| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(e)
        }).collect();
        let request: BlindedRequest = serde_json::from_value(serde_json::json!({
            "version": 1, "key_id": server.current_key_id().to_string(), "elements": encoded,
        })).unwrap();
        match server.evaluate(&request) {
            Ok(response) => prop_assert_eq!(response.elements().len(), elements.len()),
            Err(error) => prop_assert!(matches!(error, Error::InvalidElement { .. }), "{}", error),
        }
    }
}
