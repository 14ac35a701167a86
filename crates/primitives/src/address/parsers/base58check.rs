//! Base58Check: `version ‖ 20-byte hash ‖ first 4 bytes of SHA-256(SHA-256(version ‖ hash))`.
//!
//! One table describes every family that uses it (Bitcoin and its forks, Dogecoin, Dash,
//! Zcash transparent addresses, Tron, the XRP Ledger), so the parser is written once.

use super::base58::{self, DecodeError, MAX_BYTES};
use super::{Address, Attempt, bad_char, cashaddr, checksum_mismatch};
use crate::{AddressKind, Chain};
use sha2::{Digest, Sha256};

/// One version prefix of one chain.
struct Family {
    chain: Chain,
    version: &'static [u8],
    kind: AddressKind,
    /// The first characters a 20-byte hash under this version encodes to: lets
    /// [`parse_any`] pick its candidates before decoding anything.
    leads: &'static [u8],
}

const fn family(
    chain: Chain,
    version: &'static [u8],
    kind: AddressKind,
    leads: &'static [u8],
) -> Family {
    Family { chain, version, kind, leads }
}

/// Every Base58Check family, most specific first: where one version byte is shared, the chain
/// that uses it most comes first, so [`parse_any`] lists Bitcoin before its forks.
static FAMILIES: [Family; 22] = {
    use AddressKind::{Account, P2pkh, P2sh};
    [
        family(Chain::Bitcoin, &[0x00], P2pkh, b"1"),
        family(Chain::Bitcoin, &[0x05], P2sh, b"3"),
        family(Chain::BitcoinCash, &[0x00], P2pkh, b"1"),
        family(Chain::BitcoinCash, &[0x05], P2sh, b"3"),
        family(Chain::BitcoinSv, &[0x00], P2pkh, b"1"),
        family(Chain::BitcoinSv, &[0x05], P2sh, b"3"),
        family(Chain::Litecoin, &[0x30], P2pkh, b"L"),
        family(Chain::Litecoin, &[0x32], P2sh, b"M"),
        // Litecoin's P2SH version was Bitcoin's until 2017; old `3…` addresses still exist.
        family(Chain::Litecoin, &[0x05], P2sh, b"3"),
        family(Chain::BitcoinTestnet, &[0x6f], P2pkh, b"mn"),
        family(Chain::BitcoinTestnet, &[0xc4], P2sh, b"2"),
        family(Chain::Dogecoin, &[0x1e], P2pkh, b"D"),
        family(Chain::Dogecoin, &[0x16], P2sh, b"9A"),
        family(Chain::Verge, &[0x1e], P2pkh, b"D"),
        family(Chain::Dash, &[0x4c], P2pkh, b"X"),
        family(Chain::Dash, &[0x10], P2sh, b"7"),
        family(Chain::Zcash, &[0x1c, 0xb8], P2pkh, b"t"),
        family(Chain::Zcash, &[0x1c, 0xbd], P2sh, b"t"),
        family(Chain::BitcoinGold, &[0x26], P2pkh, b"G"),
        family(Chain::BitcoinGold, &[0x17], P2sh, b"A"),
        family(Chain::Tron, &[0x41], Account, b"T"),
        family(Chain::Ripple, &[0x00], Account, b"r"),
    ]
};

const HASH_LEN: usize = 20;
const CHECKSUM_LEN: usize = 4;
/// Shortest and longest spellings of a 20-byte hash with a one- or two-byte version.
const SHAPE_LEN: std::ops::RangeInclusive<usize> = 25..=36;

fn alphabet(chain: Chain) -> &'static base58::Alphabet {
    if chain == Chain::Ripple { &base58::RIPPLE } else { &base58::BITCOIN }
}

fn format_name(chain: Chain) -> &'static str {
    if chain == Chain::Ripple { "Base58Check (Ripple alphabet)" } else { "Base58Check" }
}

/// Decodes `input` and checks its length and checksum; returns the buffer and the length of
/// `version ‖ hash` at its start.
fn decode(
    input: &str,
    alphabet: &base58::Alphabet,
    expected_len: usize,
) -> Result<([u8; MAX_BYTES], usize), String> {
    let mut buf = [0u8; MAX_BYTES];
    let len = match base58::decode(input, alphabet, &mut buf) {
        Ok(len) => len,
        Err(DecodeError::InvalidChar(index)) => return Err(bad_char(input, index, base58::RULE)),
        Err(DecodeError::TooLong) => {
            return Err(format!("decodes to more than {MAX_BYTES} bytes, expected {expected_len}"));
        }
    };
    if len != expected_len {
        let unit = if len == 1 { "byte" } else { "bytes" };
        return Err(format!("decodes to {len} {unit}, expected {expected_len}"));
    }
    let body = len - CHECKSUM_LEN;
    if Sha256::digest(Sha256::digest(&buf[..body]))[..CHECKSUM_LEN] != buf[body..len] {
        return Err(checksum_mismatch("Base58Check"));
    }
    Ok((buf, body))
}

fn decoded_len(family: &Family) -> usize {
    family.version.len() + HASH_LEN + CHECKSUM_LEN
}

/// The address `body` (`version ‖ hash`, already checked) is under `family`.
fn build(family: &Family, input: &str, body: &[u8]) -> Address {
    let hash = &body[family.version.len()..];
    if family.chain == Chain::BitcoinCash {
        // The legacy and CashAddr spellings must share a payload: [type] ‖ hash.
        let kind_type = cashaddr::type_of(family.kind);
        let mut payload = Vec::with_capacity(1 + hash.len());
        payload.push(kind_type);
        payload.extend_from_slice(hash);
        let canonical = cashaddr::encode_mainnet(kind_type, hash);
        return Address::from_parts(family.chain, family.kind, payload, canonical);
    }
    // Base58 maps byte strings one-to-one to strings (leading zero bytes are leading `1`s), so a
    // string that decodes is already the canonical spelling of its payload.
    Address::from_parts(family.chain, family.kind, body.to_vec(), input.to_owned())
}

/// Parses `input` as a Base58Check address of `chain`.
pub(super) fn parse(chain: Chain, input: &str) -> Result<Address, Attempt> {
    let attempt = |reason| Attempt { chain, format: format_name(chain), reason };
    let families = || FAMILIES.iter().filter(move |f| f.chain == chain);
    // All of a chain's versions have one length (checked by a test).
    let expected_len = families().map(decoded_len).next().expect("every chain has a family");
    let (buf, body) = decode(input, alphabet(chain), expected_len).map_err(attempt)?;
    let body = &buf[..body];
    match families().find(|f| body.starts_with(f.version)) {
        Some(family) => Ok(build(family, input, body)),
        None => {
            let expected: Vec<String> =
                families().map(|f| format!("0x{}", hex(f.version))).collect();
            Err(attempt(format!(
                "unknown version byte 0x{} for {} (expected {})",
                hex(&body[..body.len() - HASH_LEN]),
                chain.display_name(),
                expected.join(" or ")
            )))
        }
    }
}

/// Adds every Base58Check reading of `input` to `found`, or why each candidate failed to
/// `attempts`. Does nothing when no family's address can start and be as long as `input`.
pub(super) fn parse_any(input: &str, found: &mut Vec<Address>, attempts: &mut Vec<Attempt>) {
    let Some(&first) = input.as_bytes().first() else { return };
    if !SHAPE_LEN.contains(&input.len()) {
        return;
    }
    let candidates = || FAMILIES.iter().filter(move |f| f.leads.contains(&first));
    let Some(some) = candidates().next() else { return };
    // The candidates for one first character share the alphabet (only XRP's starts with `r`)
    // and the version length (checked by a test).
    let fail = |reason: String, attempts: &mut Vec<Attempt>| {
        let mut chains: Vec<Chain> = candidates().map(|f| f.chain).collect();
        chains.dedup();
        attempts.extend(chains.into_iter().map(|chain| Attempt {
            chain,
            format: format_name(chain),
            reason: reason.clone(),
        }));
    };
    match decode(input, alphabet(some.chain), decoded_len(some)) {
        Ok((buf, body)) => {
            let body = &buf[..body];
            let before = found.len();
            for family in candidates().filter(|f| body.starts_with(f.version)) {
                found.push(build(family, input, body));
            }
            if found.len() == before {
                let version = hex(&body[..body.len() - HASH_LEN]);
                fail(format!("unknown version byte 0x{version}"), attempts);
            }
        }
        Err(reason) => fail(reason, attempts),
    }
}

/// Whether `input` has the shape of Tron's hex spelling: `41` and 40 hex digits.
pub(super) fn looks_like_tron_hex(input: &str) -> bool {
    input.len() == 42 && input.starts_with("41") && input.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses Tron's hex spelling (`41` ‖ 20-byte hash, as Tron's APIs print it), which has no
/// checksum, so any input of [`looks_like_tron_hex`]'s shape is valid. Its canonical spelling
/// is the Base58Check one.
pub(super) fn parse_tron_hex(input: &str) -> Address {
    debug_assert!(looks_like_tron_hex(input));
    let body = alloy_primitives::hex::decode(input).expect("invariant: 42 hex digits");
    let canonical = encode(&body, Chain::Tron);
    Address::from_parts(Chain::Tron, AddressKind::Account, body, canonical)
}

/// Encodes `version ‖ hash` as Base58Check in `chain`'s alphabet.
pub(in crate::address) fn encode(body: &[u8], chain: Chain) -> String {
    let mut data = Vec::with_capacity(body.len() + CHECKSUM_LEN);
    data.extend_from_slice(body);
    data.extend_from_slice(&Sha256::digest(Sha256::digest(body))[..CHECKSUM_LEN]);
    base58::encode(&data, alphabet(chain))
}

fn hex(bytes: &[u8]) -> String {
    alloy_primitives::hex::encode(bytes)
}

/// The version prefixes of `chain`, for tests and for building addresses from scripts.
pub(in crate::address) fn versions(chain: Chain) -> Vec<(&'static [u8], AddressKind)> {
    FAMILIES.iter().filter(|f| f.chain == chain).map(|f| (f.version, f.kind)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sharing_a_chain_or_a_lead_have_one_length() {
        for a in &FAMILIES {
            for b in &FAMILIES {
                if a.chain == b.chain || a.leads.iter().any(|l| b.leads.contains(l)) {
                    assert_eq!(a.version.len(), b.version.len(), "{:?} {:?}", a.chain, b.chain);
                }
            }
        }
    }

    #[test]
    fn every_family_leads_with_its_declared_characters() {
        for f in &FAMILIES {
            for fill in [0x00u8, 0x5a, 0xff] {
                let mut body = f.version.to_vec();
                body.extend_from_slice(&[fill; HASH_LEN]);
                let encoded = encode(&body, f.chain);
                assert!(
                    f.leads.contains(&encoded.as_bytes()[0]),
                    "{:?} {:02x?} encodes to {encoded}, not led by {:?}",
                    f.chain,
                    f.version,
                    std::str::from_utf8(f.leads)
                );
                assert!(SHAPE_LEN.contains(&encoded.len()), "{encoded}");
            }
        }
    }

    #[test]
    fn bitcoin_vectors() {
        // bitcoinjs-lib base58 fixtures: version 0, hash 751e76e8199196d454941c45d1b3a323f1433bd6.
        let a = parse(Chain::Bitcoin, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH").unwrap();
        assert_eq!(a.kind(), AddressKind::P2pkh);
        assert_eq!(hex(a.payload()), "00751e76e8199196d454941c45d1b3a323f1433bd6");
        assert_eq!(a.canonical(), "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH");
        let p2sh = parse(Chain::Bitcoin, "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC").unwrap();
        assert_eq!(p2sh.kind(), AddressKind::P2sh);
        assert_eq!(p2sh.payload()[0], 0x05);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let typo = parse(Chain::Bitcoin, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMJ").unwrap_err();
        assert_eq!(typo.reason, checksum_mismatch("Base58Check"));
        let bad = parse(Chain::Bitcoin, "1BgGZOtcN4rm9KBzDn7KprQz87SZ26SAMH").unwrap_err();
        assert_eq!(
            bad.reason,
            "invalid character 'O' at position 6 (Base58 excludes 0, O, I and l)"
        );
        let short = parse(Chain::Bitcoin, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26").unwrap_err();
        assert_eq!(short.reason, "decodes to 22 bytes, expected 25");
        let ltc = parse(Chain::Bitcoin, "LWMmqH8comrTdahYsBz6vnydCtTcTLc7yL").unwrap_err();
        assert_eq!(ltc.reason, "unknown version byte 0x30 for Bitcoin (expected 0x00 or 0x05)");
        let unicode = parse(Chain::Bitcoin, "1BgGZ9tcN4rm9KBzDn7Kpr€z87SZ26SAMH").unwrap_err();
        assert!(unicode.reason.starts_with("invalid character '€' at position 23"));
        let long = parse(Chain::Bitcoin, &"z".repeat(120)).unwrap_err();
        assert!(long.reason.starts_with("decodes to more than 64 bytes"), "{}", long.reason);
        let one = parse(Chain::Bitcoin, "3").unwrap_err();
        assert_eq!(one.reason, "decodes to 1 byte, expected 25");
    }

    #[test]
    fn ripple_vectors() {
        // The genesis account and ACCOUNT_ZERO / ACCOUNT_ONE of the XRP Ledger.
        let genesis = parse(Chain::Ripple, "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh").unwrap();
        assert_eq!(hex(genesis.payload()), "00b5f762798a53d543a014caf8b297cff8f2f937e8");
        let zero = parse(Chain::Ripple, "rrrrrrrrrrrrrrrrrrrrrhoLvTp").unwrap();
        assert_eq!(zero.payload(), &[0u8; 21]);
        let one = parse(Chain::Ripple, "rrrrrrrrrrrrrrrrrrrrBZbvji").unwrap();
        assert_eq!(one.payload()[20], 1);
        // A Bitcoin-alphabet address is not an XRP one.
        assert!(parse(Chain::Ripple, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH").is_err());
    }

    #[test]
    fn tron_base58_and_hex_are_one_address() {
        let b58 = parse(Chain::Tron, "TXDSr5SDTKFzsXBsNdTwQEYyeyqcBQekh7").unwrap();
        let hex_form = hex(b58.payload());
        assert_eq!(hex_form.len(), 42);
        assert!(looks_like_tron_hex(&hex_form));
        assert_eq!(parse_tron_hex(&hex_form), b58);
        let upper = parse_tron_hex(&hex_form.to_uppercase());
        assert_eq!(upper.canonical(), "TXDSr5SDTKFzsXBsNdTwQEYyeyqcBQekh7");
        assert!(!looks_like_tron_hex("41zz"));
        assert!(!looks_like_tron_hex(&hex_form.replacen("41", "42", 1)));
    }

    #[test]
    fn zcash_two_byte_versions() {
        let a = parse(Chain::Zcash, "t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL").unwrap();
        assert_eq!(&a.payload()[..2], &[0x1c, 0xb8]);
        assert_eq!(a.payload().len(), 22);
    }

    #[test]
    fn bitcoin_cash_legacy_payload_is_type_and_hash() {
        // CashAddr spec: 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu = qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a.
        let a = parse(Chain::BitcoinCash, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu").unwrap();
        assert_eq!(a.canonical(), "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a");
        assert_eq!(a.payload()[0], 0);
        let p2sh = parse(Chain::BitcoinCash, "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC").unwrap();
        assert_eq!(p2sh.canonical(), "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq");
        assert_eq!(p2sh.payload()[0], 1);
        assert_eq!(&a.payload()[1..], &p2sh.payload()[1..]);
    }
}
