//! CashAddr, Bitcoin Cash's address format: `prefix:` ‖ base32(version byte ‖ hash ‖ 40-bit
//! BCH checksum), per the CashAddr specification (bitcoincash.org `spec/cashaddr.md`).
//!
//! The codec is written here rather than taken from the `bech32` crate: the alphabet is the
//! same but the checksum is a different, 40-bit code and covers the prefix differently.

use super::{
    Address, Attempt, bad_char, checksum_mismatch, is_mixed_case, starts_with_ignore_case,
};
use crate::{AddressKind, Chain};

const CHARSET: &[u8; 32] = super::BECH32_CHARSET;
const CHARSET_RULE: &str = "CashAddr uses only the characters qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const MAINNET: &str = "bitcoincash";
const CHECKSUM_GROUPS: usize = 8;
const FORMAT: &str = "CashAddr";

/// Hash sizes in bytes, indexed by the version byte's three size bits.
const HASH_SIZES: [usize; 8] = [20, 24, 28, 32, 40, 48, 56, 64];

/// The 5-bit value of each ASCII byte, or 0xff when it is not in [`CHARSET`]; upper case maps
/// like lower case (mixed case is rejected before).
const CHARSET_REV: [u8; 128] = {
    let mut rev = [0xffu8; 128];
    let mut i = 0;
    while i < 32 {
        rev[CHARSET[i] as usize] = i as u8;
        rev[CHARSET[i].to_ascii_uppercase() as usize] = i as u8;
        i += 1;
    }
    rev
};

/// For each value of the checksum's top five bits, the XOR of the generators they select: one
/// table lookup per character instead of five tests.
const GENERATOR_TABLE: [u64; 32] = {
    const GENERATORS: [u64; 5] =
        [0x98f2bc8e61, 0x79b76d99e2, 0xf33e5fb3c4, 0xae2eabe2a8, 0x1e4f43e470];
    let mut table = [0u64; 32];
    let mut top = 0;
    while top < 32 {
        let mut bit = 0;
        while bit < 5 {
            if top & (1 << bit) != 0 {
                table[top] ^= GENERATORS[bit];
            }
            bit += 1;
        }
        top += 1;
    }
    table
};

/// One step of the spec's `PolyMod` (without its final `^ 1`).
const fn polymod_step(c: u64, value: u8) -> u64 {
    ((c & 0x07_ffff_ffff) << 5) ^ value as u64 ^ GENERATOR_TABLE[((c >> 35) & 0x1f) as usize]
}

/// The checksum state after `prefix` (the low five bits of each character) and the zero that
/// stands for `:`.
const fn prefix_state(prefix: &[u8]) -> u64 {
    let mut c = 1;
    let mut i = 0;
    while i < prefix.len() {
        c = polymod_step(c, prefix[i] & 0x1f);
        i += 1;
    }
    polymod_step(c, 0)
}

const MAINNET_STATE: u64 = prefix_state(MAINNET.as_bytes());

/// Encodes `payload` (version byte ‖ hash) under `prefix`, in lower case with the prefix.
pub(super) fn encode(prefix: &str, payload: &[u8]) -> String {
    let groups = (payload.len() * 8).div_ceil(5);
    let mut out = vec![0u8; prefix.len() + 1 + groups + CHECKSUM_GROUPS];
    out[..prefix.len()].copy_from_slice(prefix.as_bytes());
    out[prefix.len()] = b':';
    let mut c = if prefix == MAINNET { MAINNET_STATE } else { prefix_state(prefix.as_bytes()) };
    let data = &mut out[prefix.len() + 1..];
    let (mut acc, mut bits, mut at) = (0u32, 0u32, 0);
    for &byte in payload {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            data[at] = ((acc >> bits) & 0x1f) as u8;
            at += 1;
        }
    }
    if bits > 0 {
        data[at] = ((acc << (5 - bits)) & 0x1f) as u8;
    }
    // `data` now holds 5-bit values and zeros for the checksum template.
    for &value in data.iter() {
        c = polymod_step(c, value);
    }
    let checksum = c ^ 1;
    let (values, template) = data.split_at_mut(groups);
    for (i, slot) in template.iter_mut().enumerate() {
        *slot = ((checksum >> (5 * (CHECKSUM_GROUPS - 1 - i))) & 0x1f) as u8;
    }
    for slot in values.iter_mut().chain(template) {
        *slot = CHARSET[usize::from(*slot)];
    }
    String::from_utf8(out).expect("invariant: the prefix is ASCII and so is the charset")
}

/// Decodes a CashAddr string into its lower-case prefix and payload (version byte ‖ data),
/// checking case, characters and checksum but not the meaning of the version byte. Without a
/// prefix, `default_prefix` is assumed (the checksum covers it, so a wrong guess fails).
pub(super) fn decode(input: &str, default_prefix: &str) -> Result<(String, Vec<u8>), String> {
    if is_mixed_case(input) {
        return Err("mixed case: CashAddr must be all lower case or all upper case".to_owned());
    }
    let (prefix, data, offset) = match input.split_once(':') {
        Some((prefix, data)) => (prefix.to_ascii_lowercase(), data, prefix.len() + 1),
        None => (default_prefix.to_owned(), input, 0),
    };
    if data.contains(':') {
        return Err("has more than one ':' (the prefix must not be repeated)".to_owned());
    }
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("invalid prefix {prefix:?} before ':'"));
    }
    if data.len() < CHECKSUM_GROUPS + 2 {
        return Err(format!("has {} characters after the prefix, too short", data.len()));
    }
    let mut c = if prefix == MAINNET { MAINNET_STATE } else { prefix_state(prefix.as_bytes()) };
    let payload_groups = data.len() - CHECKSUM_GROUPS;
    let mut payload = Vec::with_capacity(payload_groups * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (i, b) in data.bytes().enumerate() {
        let value = match CHARSET_REV.get(usize::from(b)) {
            Some(&v) if v != 0xff => v,
            _ => return Err(bad_char(input, offset + i, CHARSET_RULE)),
        };
        c = polymod_step(c, value);
        if i < payload_groups {
            acc = (acc << 5) | u32::from(value);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                payload.push((acc >> bits) as u8);
            }
        }
    }
    if c ^ 1 != 0 {
        return Err(checksum_mismatch(FORMAT));
    }
    // Leftover bits are padding: fewer than five, and zero.
    if bits >= 5 || acc & ((1 << bits) - 1) != 0 {
        return Err("the data does not end on a byte boundary (invalid padding)".to_owned());
    }
    Ok((prefix, payload))
}

/// Whether `input` has the shape of a CashAddr address, with or without its prefix.
pub(super) fn looks_like(input: &str) -> bool {
    if input.as_bytes().first().is_some_and(|b| b.eq_ignore_ascii_case(&b'b'))
        && ["bitcoincash:", "bchtest:", "bchreg:"].iter().any(|p| starts_with_ignore_case(input, p))
    {
        return true;
    }
    // Prefixless: type bits 0 to 3 give q, p, z or r; each hash size gives one length.
    let first = input.as_bytes().first().map(u8::to_ascii_lowercase);
    matches!(first, Some(b'q' | b'p' | b'z' | b'r'))
        && HASH_SIZES.iter().any(|&size| input.len() == ((1 + size) * 8).div_ceil(5) + 8)
}

/// The CashAddr type bits for a kind: 0 for P2PKH, 1 for P2SH.
pub(in crate::address) fn type_of(kind: AddressKind) -> u8 {
    u8::from(kind == AddressKind::P2sh)
}

/// The canonical mainnet spelling of a P2PKH (`kind_type` 0) or P2SH (1) hash.
pub(in crate::address) fn encode_mainnet(kind_type: u8, hash: &[u8]) -> String {
    let size_bits = HASH_SIZES
        .iter()
        .position(|&s| s == hash.len())
        .expect("invariant: hashes are 20 bytes or validated against HASH_SIZES")
        as u8;
    let mut payload = Vec::with_capacity(1 + hash.len());
    payload.push(kind_type << 3 | size_bits);
    payload.extend_from_slice(hash);
    encode(MAINNET, &payload)
}

/// Parses a Bitcoin Cash mainnet CashAddr address, with or without the `bitcoincash:` prefix.
pub(super) fn parse(input: &str) -> Result<Address, Attempt> {
    let attempt = |reason| Attempt { chain: Chain::BitcoinCash, format: FORMAT, reason };
    let (prefix, payload) = decode(input, MAINNET).map_err(attempt)?;
    if prefix != MAINNET {
        return Err(attempt(format!(
            "prefix '{prefix}' is not Bitcoin Cash mainnet (expected '{MAINNET}')"
        )));
    }
    let version = payload[0];
    let hash = &payload[1..];
    if version & 0x80 != 0 {
        return Err(attempt(format!("version byte 0x{version:02x} sets the reserved bit")));
    }
    let expected = HASH_SIZES[usize::from(version & 0x07)];
    if hash.len() != expected {
        return Err(attempt(format!(
            "version byte 0x{version:02x} announces a {expected}-byte hash but the address \
             carries {} bytes",
            hash.len()
        )));
    }
    // Types 2 and 3 are the token-aware spellings (CHIP-2022-02 CashTokens) of the same P2PKH
    // and P2SH locking scripts: same owner, so same payload.
    let (kind, kind_type) = match version >> 3 {
        0 | 2 => (AddressKind::P2pkh, 0),
        1 | 3 => (AddressKind::P2sh, 1),
        other => return Err(attempt(format!("unknown address type {other}"))),
    };
    let mut normalized = Vec::with_capacity(payload.len());
    normalized.push(kind_type);
    normalized.extend_from_slice(hash);
    let canonical = if version >> 3 == kind_type {
        // The checksum covers the prefix, so a valid prefixless string is the prefixed one
        // with its prefix dropped: no need to encode again.
        let data = input.rsplit(':').next().unwrap_or(input);
        let mut canonical = String::with_capacity(MAINNET.len() + 1 + data.len());
        canonical.push_str(MAINNET);
        canonical.push(':');
        canonical.extend(data.chars().map(|c| c.to_ascii_lowercase()));
        canonical
    } else {
        encode_mainnet(kind_type, hash)
    };
    Ok(Address::from_parts(Chain::BitcoinCash, kind, normalized, canonical))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        alloy_primitives::hex::decode(s).unwrap()
    }

    #[test]
    fn spec_checksum_vectors() {
        // Valid checksums around payloads that are purposely not addresses.
        for s in [
            "prefix:x64nx6hz",
            "PREFIX:X64NX6HZ",
            "p:gpf8m4h7",
            "bitcoincash:qpzry9x8gf2tvdw0s3jn54khce6mua7lcw20ayyn",
            "bchtest:testnetaddress4d6njnut",
            "bchreg:555555555555555555555555555555555555555555555udxmlmrz",
        ] {
            let (prefix, data) = s.split_once(':').unwrap();
            let prefix = prefix.to_ascii_lowercase();
            let values: Vec<u8> =
                data.bytes().map(|b| CHARSET_REV[usize::from(b)]).collect::<Vec<_>>();
            assert!(values.iter().all(|&v| v < 32), "{s}");
            let state =
                values.iter().fold(prefix_state(prefix.as_bytes()), |c, &v| polymod_step(c, v));
            assert_eq!(state ^ 1, 0, "{s}");
            // The payloads are not whole bytes, so `decode` must reject them or agree.
            if let Ok((p, _)) = decode(s, MAINNET) {
                assert_eq!(p, prefix);
            }
        }
    }

    #[test]
    fn spec_translation_vectors() {
        let pairs = [
            ("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
            ("1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR", "qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy"),
            ("16w1D5WRVKJuZUsSRzdLp9w3YGcgoxDXb", "qqq3728yw0y47sqn6l2na30mcw6zm78dzqre909m2r"),
            ("3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", "ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq"),
            ("3LDsS579y7sruadqu11beEJoTjdFiFCdX4", "pr95sy3j9xwd2ap32xkykttr4cvcu7as4yc93ky28e"),
            ("31nwvkZwyPdgzjBJZXfDmSWsC4ZLKpYyUw", "pqq3728yw0y47sqn6l2na30mcw6zm78dzq5ucqzc37"),
        ];
        for (legacy, cash) in pairs {
            let prefixed = format!("bitcoincash:{cash}");
            let from_cash = parse(cash).unwrap();
            let from_prefixed = parse(&prefixed).unwrap();
            let from_upper = parse(&prefixed.to_uppercase()).unwrap();
            let from_legacy = super::super::base58check::parse(Chain::BitcoinCash, legacy).unwrap();
            assert_eq!(from_cash.canonical(), prefixed);
            for other in [&from_prefixed, &from_upper, &from_legacy] {
                assert_eq!(other, &from_cash, "{legacy}");
            }
            let expected_kind =
                if legacy.starts_with('1') { AddressKind::P2pkh } else { AddressKind::P2sh };
            assert_eq!(from_cash.kind(), expected_kind);
        }
    }

    #[test]
    fn spec_larger_vectors() {
        let vectors = [
            (
                0,
                "bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2",
                "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9",
            ),
            (
                1,
                "bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t",
                "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9",
            ),
            (
                1,
                "pref:pr6m7j9njldwwzlg9v7v53unlr4jkmx6ey65nvtks5",
                "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9",
            ),
            (
                0,
                "bitcoincash:q9adhakpwzztepkpwp5z0dq62m6u5v5xtyj7j3h2ws4mr9g0",
                "7ADBF6C17084BC86C1706827B41A56F5CA32865925E946EA",
            ),
            (
                0,
                "bitcoincash:qgagf7w02x4wnz3mkwnchut2vxphjzccwxgjvvjmlsxqwkcw59jxxuz",
                "3A84F9CF51AAE98A3BB3A78BF16A6183790B18719126325BFC0C075B",
            ),
            (
                1,
                "bchtest:pvch8mmxy0rtfrlarg7ucrxxfzds5pamg73h7370aa87d80gyhqxq7fqng6m6",
                "3173EF6623C6B48FFD1A3DCC0CC6489B0A07BB47A37F47CFEF4FE69DE825C060",
            ),
            (
                0,
                "bitcoincash:qnq8zwpj8cq05n7pytfmskuk9r4gzzel8qtsvwz79zdskftrzxtar994cgutavfklv39gr3uvz",
                "C07138323E00FA4FC122D3B85B9628EA810B3F381706385E289B0B25631197D194B5C238BEB136FB",
            ),
            (
                0,
                "bitcoincash:qlg0x333p4238k0qrc5ej7rzfw5g8e4a4r6vvzyrcy8j3s5k0en7calvclhw46hudk5flttj6ydvjc0pv3nchp52amk97tqa5zygg96mtky5sv5w",
                "D0F346310D5513D9E01E299978624BA883E6BDA8F4C60883C10F28C2967E67EC77ECC7EEEAEAFC6DA89FAD72D11AC961E164678B868AEEEC5F2C1DA08884175B",
            ),
        ];
        for (kind_type, address, hash) in vectors {
            let (prefix, payload) = decode(address, MAINNET).unwrap();
            let hash = unhex(hash);
            assert_eq!(&payload[1..], hash.as_slice(), "{address}");
            assert_eq!(payload[0] >> 3, kind_type, "{address}");
            assert_eq!(HASH_SIZES[usize::from(payload[0] & 7)], hash.len(), "{address}");
            assert_eq!(encode(&prefix, &payload), address);
            if prefix == MAINNET {
                let parsed = parse(address).unwrap();
                assert_eq!(&parsed.payload()[1..], hash.as_slice());
                assert_eq!(parsed.canonical(), address);
                assert!(looks_like(address.trim_start_matches("bitcoincash:")), "{address}");
            } else {
                let err = parse(address).unwrap_err().reason;
                assert!(err.contains("not Bitcoin Cash mainnet"), "{err}");
            }
        }
    }

    #[test]
    fn spec_undefined_type_vectors_decode_but_are_not_addresses() {
        let (_, empty) = decode("prefix:0qxsg0rgpa", MAINNET).unwrap();
        assert_eq!(empty, [15 << 3]);
        let (prefix, data) =
            decode("prefix:0zeuqqwwk0xjclsv4lzljpye09m74gv4darmzluu6g4yxxk5eja92nup8dp7p", MAINNET)
                .unwrap();
        assert_eq!(prefix, "prefix");
        assert_eq!(
            &data[1..],
            unhex("B3C001CEB3CD2C7E0CAFC5F904997977EAA1956F47B17F9CD22A431AD4CCBA55").as_slice()
        );
    }

    #[test]
    fn rejections_name_the_reason() {
        let good = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a";
        let mixed = parse("bitcoincash:Qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a").unwrap_err();
        assert!(mixed.reason.starts_with("mixed case"), "{}", mixed.reason);
        let typo = parse(&good.replace("qpm2", "qpm3")).unwrap_err();
        assert_eq!(typo.reason, checksum_mismatch(FORMAT));
        let bad_char = parse(&good.replace("qpm2", "qpb2")).unwrap_err();
        assert!(bad_char.reason.starts_with("invalid character 'b' at position 15"));
        let testnet = parse("bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t").unwrap_err();
        assert!(testnet.reason.contains("not Bitcoin Cash mainnet"));
        // A testnet address with its prefix dropped fails the mainnet checksum.
        let stripped = parse("pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t").unwrap_err();
        assert_eq!(stripped.reason, checksum_mismatch(FORMAT));
        let double = parse(&format!("bitcoincash:{good}")).unwrap_err();
        assert!(double.reason.contains("more than one ':'"), "{}", double.reason);
    }

    #[test]
    fn token_aware_spelling_is_the_same_address() {
        let plain = parse("bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2").unwrap();
        let mut payload = vec![2 << 3];
        payload.extend_from_slice(&plain.payload()[1..]);
        let token = encode(MAINNET, &payload);
        assert!(token.starts_with("bitcoincash:z"));
        assert_eq!(parse(&token).unwrap(), plain);
    }
}
