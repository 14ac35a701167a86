//! The full blind → evaluate → finalize flow.

use crate::{evm, key_on, keys, lookup, setup};
use chainward_primitives::{Address, Chain};
use chainward_private_lookup::{Client, Error, SLOTS_PER_LOOKUP, Server, ServerKey};

#[test]
fn a_listed_address_is_found_and_an_unlisted_one_is_not() {
    let listed = [evm(1), evm(2), "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa".to_owned()];
    let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
    let (server, set, client) = setup(&listed);
    for address in &listed {
        assert!(lookup(&server, &client, &set, address).unwrap(), "{address} is listed");
    }
    for address in [evm(3).as_str(), "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"] {
        assert!(!lookup(&server, &client, &set, address).unwrap(), "{address} is not listed");
    }
}

#[test]
fn every_spelling_of_an_evm_address_gives_the_same_answer() {
    let listed = evm(7);
    let unlisted = evm(8);
    let (server, set, client) = setup(&[&listed]);
    for (address, expected) in [(&listed, true), (&unlisted, false)] {
        let hex = &address[2..];
        let spellings = [
            address.clone(),
            format!("0x{}", hex.to_lowercase()),
            format!("0x{}", hex.to_uppercase()),
            format!("  {address}\n"),
        ];
        for spelling in &spellings {
            assert_eq!(lookup(&server, &client, &set, spelling).unwrap(), expected, "{spelling}");
        }
    }
    // A wrong EIP-55 checksum is not an address at all, not an unlisted one.
    let mut wrong = listed;
    let at = wrong.char_indices().skip(2).find(|(_, c)| c.is_ascii_alphabetic()).unwrap().0;
    let flipped = if wrong.as_bytes()[at].is_ascii_uppercase() {
        wrong[at..=at].to_lowercase()
    } else {
        wrong[at..=at].to_uppercase()
    };
    wrong.replace_range(at..=at, &flipped);
    assert!(matches!(lookup(&server, &client, &set, &wrong), Err(Error::Address(_))));
}

#[test]
fn a_legacy_address_is_tested_on_every_chain_it_is_valid_on() {
    let legacy = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
    let cashaddr = Address::parse(Chain::BitcoinCash, legacy).unwrap().canonical().to_owned();
    // Listed on Bitcoin Cash only.
    let mut server = Server::new(ServerKey::from_seed(crate::SEED).unwrap());
    let set = server.publish([key_on(Chain::BitcoinCash, legacy)], 1).unwrap();
    let client = Client::new(server.public_key());
    for spelling in [legacy, cashaddr.as_str()] {
        let (request, state) = client.blind(spelling).unwrap();
        assert_eq!(request.elements().len(), SLOTS_PER_LOOKUP);
        let response = server.evaluate(&request).unwrap();
        let chains = client.finalize_chains(state, &response, &set).unwrap();
        assert_eq!(chains, [Chain::BitcoinCash], "{spelling}");
    }
}

#[test]
fn the_most_ambiguous_addresses_fit_one_lookup() {
    // A `3…` P2SH address is valid on Bitcoin, Litecoin (legacy), Bitcoin Cash and Bitcoin SV.
    for address in ["3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"] {
        let readings = keys(address).len();
        assert!((1..=SLOTS_PER_LOOKUP).contains(&readings), "{address}: {readings} readings");
        let (server, set, client) = setup(&[address]);
        assert!(lookup(&server, &client, &set, address).unwrap());
    }
}

#[test]
fn a_string_that_is_no_address_is_an_error_not_a_miss() {
    let (server, set, client) = setup(&[&evm(1)]);
    for input in ["", "hello", "0x1234", "bc1qinvalid"] {
        let error = lookup(&server, &client, &set, input).unwrap_err();
        assert!(matches!(error, Error::Address(_)), "{input:?}: {error}");
        assert!(error.is_client_error());
    }
}

#[test]
fn key_rotation_keeps_old_sets_working_until_the_old_key_is_retired() {
    let address = evm(11);
    let (mut server, old_set, old_client) = setup(&[&address]);
    let old_id = server.current_key_id();
    server.rotate(ServerKey::from_seed([0x43; 32]).unwrap());
    assert_ne!(server.current_key_id(), old_id);
    assert_eq!(server.key_ids(), [server.current_key_id(), old_id]);
    let new_set = server.publish(keys(&address), 1).unwrap();
    assert_eq!(new_set.key_id(), server.current_key_id());
    let new_client = Client::new(server.public_key());

    assert!(lookup(&server, &old_client, &old_set, &address).unwrap());
    assert!(lookup(&server, &new_client, &new_set, &address).unwrap());
    // A set of one key is useless with the other.
    assert!(matches!(
        lookup(&server, &new_client, &old_set, &address),
        Err(Error::KeyMismatch { .. })
    ));

    assert!(!server.retire(server.current_key_id()), "the current key cannot be retired");
    assert!(server.retire(old_id));
    let error = lookup(&server, &old_client, &old_set, &address).unwrap_err();
    assert!(matches!(error, Error::UnknownKey(id) if id == old_id), "{error}");
}

#[test]
fn a_delisting_reaches_partners_through_the_set_version() {
    let (a, b) = (evm(21), evm(22));
    let (mut server, v1, client) = setup(&[&a, &b]);
    assert!(lookup(&server, &client, &v1, &a).unwrap());
    let v2 = server.publish(keys(&b), 2).unwrap();
    assert_eq!((v2.version(), v2.len()), (2, 1));
    // The partner still holding version 1 is told to refresh rather than answered from it.
    let error = lookup(&server, &client, &v1, &a).unwrap_err();
    assert!(matches!(error, Error::StaleSet { have: 1, latest: 2 }), "{error}");
    assert!(!lookup(&server, &client, &v2, &a).unwrap());
    assert!(lookup(&server, &client, &v2, &b).unwrap());
    // Versions only go up.
    assert!(matches!(server.publish(keys(&a), 2), Err(Error::VersionNotIncreasing { .. })));
}

#[test]
fn a_restarted_server_learns_the_published_version_back() {
    let address = evm(31);
    let (_, set, client) = setup(&[&address]);
    let mut restarted = Server::new(ServerKey::from_seed(crate::SEED).unwrap());
    assert_eq!(restarted.set_version(set.key_id()), None);
    restarted.record_published(&set).unwrap();
    assert_eq!(restarted.set_version(set.key_id()), Some(1));
    assert!(lookup(&restarted, &client, &set, &address).unwrap());
}

#[test]
fn an_empty_set_answers_not_listed() {
    let (server, set, client) = setup(&[]);
    assert!(set.is_empty());
    assert!(!lookup(&server, &client, &set, &evm(1)).unwrap());
}
