//! Substrate SS58 accounts: base58(network prefix ‖ 32-byte public key ‖ 2-byte checksum),
//! checksum = BLAKE2b-512("SS58PRE" ‖ prefix ‖ key)[..2].
//!
//! The payload is the public key alone. The network prefix (0 Polkadot, 2 Kusama, 42 generic
//! Substrate, …) only changes the spelling: the same key is the same owner on every Substrate
//! chain, and sanctions follow the owner. So every spelling of a key has one key and one
//! canonical form, the Polkadot one (prefix 0).

use super::base58::{self, DecodeError, MAX_BYTES};
use super::{Address, Attempt, bad_char, checksum_mismatch};
use crate::{AddressKind, Chain};
use blake2::{Blake2b512, Digest};

const FORMAT: &str = "SS58";
const KEY_LEN: usize = 32;
const CHECKSUM_LEN: usize = 2;
const CANONICAL_PREFIX: u16 = 0;
/// Shortest and longest spellings of a 32-byte account with a one- or two-byte prefix.
const SHAPE_LEN: std::ops::RangeInclusive<usize> = 46..=50;

/// Whether `input` has the length of an SS58 account and could be Base58.
pub(super) fn looks_like(input: &str) -> bool {
    SHAPE_LEN.contains(&input.len()) && input.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn checksum(prefixed_key: &[u8]) -> [u8; CHECKSUM_LEN] {
    let hash = Blake2b512::new().chain_update(b"SS58PRE").chain_update(prefixed_key).finalize();
    [hash[0], hash[1]]
}

/// Decodes the network prefix at the start of `data`: its value and its length in bytes.
fn network_prefix(data: &[u8]) -> Result<(u16, usize), String> {
    match data {
        [first @ 0..=63, ..] => Ok((u16::from(*first), 1)),
        // Two-byte prefixes interleave the 14-bit value's bits (SS58 spec).
        [first @ 64..=127, second, ..] => {
            let lower = (first << 2) | (second >> 6);
            let upper = second & 0b0011_1111;
            Ok((u16::from(lower) | (u16::from(upper) << 8), 2))
        }
        [first, ..] => Err(format!("first byte 0x{first:02x} is not a valid SS58 network prefix")),
        [] => Err("is empty".to_owned()),
    }
}

/// The prefix bytes for network `ident` (0 to 16383).
fn prefix_bytes(ident: u16) -> Vec<u8> {
    if ident < 64 {
        vec![ident as u8]
    } else {
        let first = ((ident & 0b0000_0000_1111_1100) as u8) >> 2;
        let second = ((ident >> 8) as u8) | (((ident & 0b0000_0000_0000_0011) as u8) << 6);
        vec![first | 0b0100_0000, second]
    }
}

/// The SS58 spelling of `key` under network prefix `ident`.
pub(super) fn encode(ident: u16, key: &[u8; KEY_LEN]) -> String {
    let mut data = prefix_bytes(ident);
    data.extend_from_slice(key);
    let sum = checksum(&data);
    data.extend_from_slice(&sum);
    base58::encode(&data, &base58::BITCOIN)
}

/// Parses an SS58 account under any network prefix.
pub(super) fn parse(input: &str) -> Result<Address, Attempt> {
    let attempt = |reason| Attempt { chain: Chain::Polkadot, format: FORMAT, reason };
    let mut buf = [0u8; MAX_BYTES];
    let len = match base58::decode(input, &base58::BITCOIN, &mut buf) {
        Ok(len) => len,
        Err(DecodeError::InvalidChar(index)) => {
            return Err(attempt(bad_char(input, index, base58::RULE)));
        }
        Err(DecodeError::TooLong) => {
            return Err(attempt(format!(
                "decodes to more than {MAX_BYTES} bytes, expected 35 or 36"
            )));
        }
    };
    let data = &buf[..len];
    let (ident, prefix_len) = network_prefix(data).map_err(attempt)?;
    let expected = prefix_len + KEY_LEN + CHECKSUM_LEN;
    if len != expected {
        return Err(attempt(format!(
            "decodes to {len} bytes, expected {expected} (network prefix, 32-byte public key, \
             2-byte checksum)"
        )));
    }
    let (body, sum) = data.split_at(len - CHECKSUM_LEN);
    if checksum(body) != sum {
        return Err(attempt(checksum_mismatch(FORMAT)));
    }
    // Prefixes 46 and 47 are reserved by the SS58 registry and never name an account.
    if matches!(ident, 46 | 47) {
        return Err(attempt(format!("network prefix {ident} is reserved, not an account")));
    }
    let key: [u8; KEY_LEN] = body[prefix_len..].try_into().expect("invariant: length checked");
    let canonical = encode(CANONICAL_PREFIX, &key);
    Ok(Address::from_parts(Chain::Polkadot, AddressKind::Substrate, key.to_vec(), canonical))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The well-known development key "Alice".
    const ALICE_KEY: &str = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
    const ALICE_GENERIC: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    const ALICE_POLKADOT: &str = "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5";

    #[test]
    fn one_key_is_one_address_on_every_network() {
        let generic = parse(ALICE_GENERIC).unwrap();
        assert_eq!(alloy_primitives::hex::encode(generic.payload()), ALICE_KEY);
        assert_eq!(generic.canonical(), ALICE_POLKADOT);
        assert_eq!(parse(ALICE_POLKADOT).unwrap(), generic);
        let key: [u8; 32] = generic.payload().try_into().unwrap();
        // Kusama (2) and a two-byte prefix (e.g. 1284, Moonbeam's registry entry).
        for ident in [2, 64, 1284, 16383] {
            let spelled = encode(ident, &key);
            assert!(looks_like(&spelled), "{spelled}");
            assert_eq!(parse(&spelled).unwrap(), generic, "{ident}");
            let data = bs58::decode(&spelled).into_vec().unwrap();
            assert_eq!(network_prefix(&data).unwrap().0, ident);
        }
    }

    #[test]
    fn rejections() {
        let typo = ALICE_GENERIC.replace("Fz9", "Fz8");
        assert_eq!(parse(&typo).unwrap_err().reason, checksum_mismatch(FORMAT));
        let reserved = encode(46, &[7; 32]);
        assert!(parse(&reserved).unwrap_err().reason.contains("reserved"));
        let short = bs58::encode([0u8; 34]).into_string();
        assert!(parse(&short).unwrap_err().reason.starts_with("decodes to 34 bytes, expected 35"));
    }
}
