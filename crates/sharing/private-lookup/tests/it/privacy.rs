//! What each side learns: the server sees fresh random group elements; the partner's set says
//! nothing without the key; a server that evaluates with another key is caught.

use crate::{SEED, evm, keys, lookup, setup};
use chainward_primitives::Address;
use chainward_private_lookup::{
    BlindedRequest, Client, Error, EvaluatedResponse, PublishedSet, Server, ServerKey,
};
use sha2::{Digest, Sha256, Sha512};

/// Whether any `window`-byte slice of `needle` (the whole of it when shorter) occurs in
/// `haystack`. Runs of one byte value (the zero padding of an `AddressKey`) say nothing about
/// an address and match header fields by chance, so they are skipped.
fn leaks(haystack: &[u8], needle: &[u8], window: usize) -> bool {
    let window = window.min(needle.len());
    needle
        .windows(window)
        .filter(|part| part.iter().any(|&byte| byte != part[0]))
        .any(|part| haystack.windows(window).any(|at| at == part))
}

/// The OPRF input as the crate builds it (pinned by a unit test there).
fn oprf_input(address: &Address) -> Vec<u8> {
    let mut input = b"chainward/private-lookup/v1\0".to_vec();
    input.extend_from_slice(address.chain().as_str().as_bytes());
    input.push(0);
    input.extend_from_slice(address.key().as_bytes());
    input
}

/// Everything about `spelling` that must not show in a transcript or a set: its spellings
/// (text), and its payload, key, OPRF input and their plain hashes (bytes), plus, when
/// `with_output`, `F(k, address)` itself.
fn secrets(spelling: &str, with_output: bool) -> (Vec<String>, Vec<Vec<u8>>) {
    let key = ServerKey::from_seed(SEED).unwrap();
    let mut text = vec![spelling.to_owned(), spelling.to_lowercase()];
    let mut bytes: Vec<Vec<u8>> = vec![
        Sha256::digest(spelling.as_bytes()).to_vec(),
        Sha256::digest(spelling.to_lowercase().as_bytes()).to_vec(),
    ];
    for address in Address::parse_any(spelling).unwrap() {
        text.push(address.canonical().to_owned());
        // Strip the 0x: 40 hex digits are the address too.
        text.push(address.canonical().trim_start_matches("0x").to_lowercase());
        let input = oprf_input(&address);
        bytes.extend([
            address.payload().to_vec(),
            address.key().as_bytes().to_vec(),
            Sha256::digest(address.payload()).to_vec(),
            Sha256::digest(address.key().as_bytes()).to_vec(),
            Sha256::digest(address.canonical().as_bytes()).to_vec(),
            Sha256::digest(&input).to_vec(),
            Sha512::digest(&input).to_vec(),
            input,
        ]);
        if with_output {
            bytes.push(key.output_for(&address.key()).unwrap().to_vec());
        }
    }
    (text, bytes)
}

/// The server's whole view of one lookup: the request and response as sent, and every byte
/// field decoded.
fn server_transcript(server: &Server, client: &Client, address: &str) -> (Vec<u8>, Vec<u8>) {
    let (request, _state) = client.blind(address).unwrap();
    let response = server.evaluate(&request).unwrap();
    let mut json = serde_json::to_vec(&request).unwrap();
    json.extend(serde_json::to_vec(&response).unwrap());
    let mut decoded: Vec<u8> = request.elements().concat();
    decoded.extend(response.elements().concat());
    decoded.extend(response.proof());
    (json, decoded)
}

#[test]
fn the_server_transcript_holds_neither_the_address_nor_its_hashes_nor_its_output() {
    let listed = evm(1);
    let unlisted = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
    let (server, _set, client) = setup(&[&listed]);
    for address in [listed.as_str(), unlisted] {
        let (text, bytes) = secrets(address, true);
        let (json, decoded) = server_transcript(&server, &client, address);
        let json_lower = String::from_utf8(json.clone()).unwrap().to_lowercase();
        for secret in &text {
            assert!(!json_lower.contains(&secret.to_lowercase()), "{address}: {secret} in JSON");
        }
        for secret in &bytes {
            assert!(
                !leaks(&decoded, secret, 8),
                "{address}: 8 bytes of a secret in the transcript"
            );
            assert!(!leaks(&json, secret, 8), "{address}: 8 bytes of a secret in the JSON");
        }
    }
}

#[test]
fn blinded_requests_are_fresh_and_look_alike_whatever_the_address() {
    let (a, b) = (evm(1), "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"); // 1 reading vs 4
    let (_, set, client) = setup(&[&a]);
    let requests = |address: &str, n: usize| -> Vec<BlindedRequest> {
        (0..n).map(|_| client.blind(address).unwrap().0).collect()
    };
    // Blinding is slow in a debug build (about 20 ms an element): 30 requests of 4 elements.
    let (from_a, from_b) = (requests(&a, 30), requests(b, 30));

    // Same shape: element count and JSON length do not depend on the address.
    let json_len = |r: &BlindedRequest| serde_json::to_string(r).unwrap().len();
    let shape = (from_a[0].elements().len(), json_len(&from_a[0]));
    for request in from_a.iter().chain(&from_b) {
        assert_eq!((request.elements().len(), json_len(request)), shape);
        assert_eq!(request.key_id(), set.key_id());
    }

    // Fresh: no element ever repeats, not even for the same address.
    let mut all: Vec<[u8; 32]> =
        from_a.iter().chain(&from_b).flat_map(|r| r.elements().to_vec()).collect();
    let total = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), total, "a blinded element repeated");

    // Independent of the address: per-bit frequencies over 120 elements each agree within
    // 0.33 (5 standard deviations of the difference of two binomial frequencies); an encoding
    // that depended on the address would differ by up to 1 on many bits.
    let frequencies = |requests: &[BlindedRequest]| -> Vec<f64> {
        let elements: Vec<&[u8; 32]> = requests.iter().flat_map(|r| r.elements()).collect();
        (0..256)
            .map(|bit| {
                let ones = elements.iter().filter(|e| e[bit / 8] >> (bit % 8) & 1 == 1).count();
                ones as f64 / elements.len() as f64
            })
            .collect()
    };
    let (fa, fb) = (frequencies(&from_a), frequencies(&from_b));
    let worst = fa.iter().zip(&fb).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    assert!(worst < 0.33, "bit frequencies differ by {worst}");
}

#[test]
fn the_published_set_holds_neither_addresses_nor_their_plain_hashes() {
    let listed: Vec<String> =
        (0..50).map(evm).chain(["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa".to_owned()]).collect();
    let listed_refs: Vec<&str> = listed.iter().map(String::as_str).collect();
    let (_, set, _) = setup(&listed_refs);
    let bytes = set.to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    for address in &listed {
        let (spellings, hashes) = secrets(address, false);
        for spelling in &spellings {
            assert!(!text.contains(&spelling.to_lowercase()), "{spelling} in the set");
        }
        for hash in &hashes {
            assert!(!leaks(&bytes, hash, 8), "{address}: 8 bytes of a plain hash in the set");
        }
    }
}

#[test]
fn without_the_key_a_partner_cannot_test_an_address() {
    let listed = evm(5);
    let (server, set, client) = setup(&[&listed]);
    let address = Address::parse_any(&listed).unwrap().remove(0);

    // Guessing outputs: random bytes, the unkeyed hash of the input, the output under
    // another key — none is in the set; only F(k, address) is.
    let other_key = ServerKey::from_seed([0x99; 32]).unwrap();
    let mut guesses = vec![
        Sha512::digest(oprf_input(&address)).into(),
        other_key.output_for(&address.key()).unwrap(),
    ];
    for i in 0..1000u32 {
        let mut guess = [0u8; 64];
        guess.copy_from_slice(&Sha512::digest(i.to_le_bytes()));
        guesses.push(guess);
    }
    assert!(guesses.iter().all(|guess| !set.contains_output(guess)));
    let real = ServerKey::from_seed(SEED).unwrap().output_for(&address.key()).unwrap();
    assert!(set.contains_output(&real));

    // The same list under another key shares no entry: sets are unlinkable across keys.
    let mut other_server = Server::new(ServerKey::from_seed([0x99; 32]).unwrap());
    let other_set = other_server.publish(keys(&listed), 1).unwrap();
    assert!(!leaks(&set.to_bytes()[72..], &other_set.to_bytes()[72..88], 16));

    // Answers from a server with another key do not finalize against this set.
    let other_client = Client::new(other_server.public_key());
    let (request, state) = other_client.blind(&listed).unwrap();
    let response = other_server.evaluate(&request).unwrap();
    assert!(matches!(client.finalize(state, &response, &set), Err(Error::KeyMismatch { .. })));
    assert!(lookup(&server, &client, &set, &listed).unwrap());
}

/// Rewrites the key id a response claims.
fn relabel(response: &EvaluatedResponse, key_id: &str) -> EvaluatedResponse {
    let mut json = serde_json::to_value(response).unwrap();
    json["key_id"] = key_id.into();
    serde_json::from_value(json).unwrap()
}

#[test]
fn a_server_evaluating_with_another_key_is_caught_by_the_proof() {
    let listed = evm(9);
    let (_honest, set, client) = setup(&[&listed]);
    let published_id = set.key_id().to_string();

    // The server answers with another key but claims the published one.
    let rogue = Server::new(ServerKey::from_seed([0x13; 32]).unwrap());
    let (request, state) = client.blind(&listed).unwrap();
    let relabelled_request: BlindedRequest = {
        let mut json = serde_json::to_value(&request).unwrap();
        json["key_id"] = rogue.current_key_id().to_string().into();
        serde_json::from_value(json).unwrap()
    };
    let response = relabel(&rogue.evaluate(&relabelled_request).unwrap(), &published_id);
    let error = client.finalize(state, &response, &set).unwrap_err();
    assert!(matches!(error, Error::ProofVerification), "{error}");
    assert!(error.is_client_error());
}

#[test]
fn a_tampered_response_is_caught_by_the_proof() {
    let listed = evm(10);
    let (server, set, client) = setup(&[&listed]);
    let tamper = |edit: &dyn Fn(&mut serde_json::Value)| -> Result<bool, Error> {
        let (request, state) = client.blind(&listed).unwrap();
        let mut json = serde_json::to_value(server.evaluate(&request).unwrap()).unwrap();
        edit(&mut json);
        let response: EvaluatedResponse = serde_json::from_value(json).unwrap();
        client.finalize(state, &response, &set)
    };
    // Two evaluated elements swapped.
    let swapped = tamper(&|json| json["elements"].as_array_mut().unwrap().swap(0, 1));
    assert!(matches!(swapped, Err(Error::ProofVerification)), "{swapped:?}");
    // An element replaced by the server's own public key (a valid element).
    let public_key = serde_json::to_value(set.public_key()).unwrap()["public_key"].clone();
    let replaced = tamper(&|json| json["elements"][0] = public_key.clone());
    assert!(matches!(replaced, Err(Error::ProofVerification)), "{replaced:?}");
    // The proof of another evaluation.
    let (other_request, _) = client.blind(&listed).unwrap();
    let other_proof =
        serde_json::to_value(server.evaluate(&other_request).unwrap()).unwrap()["proof"].clone();
    let reproved = tamper(&|json| json["proof"] = other_proof.clone());
    assert!(matches!(reproved, Err(Error::ProofVerification)), "{reproved:?}");
    // Untouched, it works.
    assert!(tamper(&|_| ()).unwrap());
}

#[test]
fn a_set_under_a_key_other_than_the_pinned_one_is_refused() {
    let listed = evm(12);
    let (server, _, client) = setup(&[&listed]);
    let mut other = Server::new(ServerKey::from_seed([0x77; 32]).unwrap());
    let foreign: PublishedSet = other.publish(keys(&listed), 1).unwrap();
    let error = lookup(&server, &client, &foreign, &listed).unwrap_err();
    assert!(matches!(error, Error::KeyMismatch { .. }), "{error}");
}
