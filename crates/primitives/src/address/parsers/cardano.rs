//! Cardano Shelley addresses (CIP-19): bech32 of `header ‖ credentials`, prefix `addr` /
//! `addr_test` for payment addresses and `stake` / `stake_test` for reward addresses.
//!
//! Not segwit: they are longer than BIP-173's 90 characters and have no witness version, so
//! they are decoded as plain bech32 (which allows up to 1023 characters).

use super::{Address, Attempt, checksum_mismatch, starts_with_ignore_case};
use crate::{AddressKind, Chain};
use bech32::Bech32;
use bech32::primitives::decode::{CheckedHrpstring, CheckedHrpstringError, ChecksumError};

const FORMAT: &str = "bech32 (Cardano Shelley)";
const HASH_LEN: usize = 28;
/// (prefix, network id, is a reward address)
const PREFIXES: [(&str, u8, bool); 4] =
    [("addr", 1, false), ("addr_test", 0, false), ("stake", 1, true), ("stake_test", 0, true)];

/// Whether `input` starts like a Shelley address.
pub(super) fn looks_like(input: &str) -> bool {
    PREFIXES.iter().any(|(hrp, _, _)| {
        starts_with_ignore_case(input, hrp) && input.as_bytes().get(hrp.len()) == Some(&b'1')
    })
}

/// Parses a Shelley payment or reward address.
pub(super) fn parse(input: &str) -> Result<Address, Attempt> {
    let attempt = |reason| Attempt { chain: Chain::Cardano, format: FORMAT, reason };
    let checked = CheckedHrpstring::new::<Bech32>(input).map_err(|e| {
        attempt(match e {
            CheckedHrpstringError::Parse(e) => super::segwit::explain_unchecked(input, &e),
            CheckedHrpstringError::Checksum(ChecksumError::InvalidResidue) => {
                checksum_mismatch("bech32")
            }
            CheckedHrpstringError::Checksum(e) => format!("has no valid checksum: {e}"),
            other => other.to_string(),
        })
    })?;
    let hrp = checked.hrp().to_lowercase();
    let Some(&(_, network, reward)) = PREFIXES.iter().find(|(p, _, _)| *p == hrp) else {
        return Err(attempt(format!(
            "prefix '{hrp}' is not a Shelley address prefix (addr, addr_test, stake, stake_test)"
        )));
    };
    checked.validate_segwit_padding().map_err(|_| {
        attempt("the data does not end on a byte boundary (invalid padding)".to_owned())
    })?;
    let bytes: Vec<u8> = checked.byte_iter().collect();
    let Some(&header) = bytes.first() else {
        return Err(attempt("no data after the separator '1'".to_owned()));
    };
    let (kind_bits, header_network) = (header >> 4, header & 0x0f);
    let expected = match (kind_bits, reward) {
        // Base addresses: payment and stake credentials (key or script hashes).
        (0..=3, false) => Some(1 + 2 * HASH_LEN),
        // Pointer addresses: payment credential and a chain pointer of three variable-length
        // naturals, checked below.
        (4 | 5, false) => None,
        // Enterprise addresses (payment credential only) and reward addresses.
        (6 | 7, false) | (14 | 15, true) => Some(1 + HASH_LEN),
        _ => {
            let what = if reward { "a reward (stake) address" } else { "a payment address" };
            return Err(attempt(format!(
                "header type {kind_bits} is not {what}; the prefix '{hrp}' requires one"
            )));
        }
    };
    match expected {
        Some(len) if bytes.len() != len => {
            return Err(attempt(format!(
                "decodes to {} bytes, expected {len} for header type {kind_bits}",
                bytes.len()
            )));
        }
        None if !is_pointer(&bytes[1..]) => {
            return Err(attempt("pointer address has a malformed chain pointer".to_owned()));
        }
        _ => {}
    }
    if header_network != network {
        return Err(attempt(format!(
            "network id {header_network} does not match the prefix '{hrp}' (expects {network})"
        )));
    }
    // Padding and checksum are validated, so the lower-case input is the only spelling.
    Ok(Address::from_parts(
        Chain::Cardano,
        AddressKind::CardanoShelley,
        bytes,
        input.to_ascii_lowercase(),
    ))
}

/// Whether `rest` is a 28-byte credential followed by exactly three variable-length naturals
/// (slot, transaction index, certificate index), each 7 bits a byte, high bit = more follows.
fn is_pointer(rest: &[u8]) -> bool {
    let Some(pointer) = rest.get(HASH_LEN..) else { return false };
    let mut naturals = 0;
    let mut in_natural = false;
    for &b in pointer {
        in_natural = b & 0x80 != 0;
        if !in_natural {
            naturals += 1;
        }
    }
    naturals == 3 && !in_natural
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cip19_vectors() {
        // CIP-19's test vectors: base (key/key), pointer, enterprise, reward, testnet base.
        let vectors = [
            (
                "addr1qx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgse35a3x",
                0x01,
                57,
            ),
            ("addr1gx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer5pnz75xxcrzqf96k", 0x41, 35),
            ("addr1vx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzers66hrl8", 0x61, 29),
            ("stake1uyehkck0lajq8gr28t9uxnuvgcqrc6070x3k9r8048z8y5gh6ffgw", 0xe1, 29),
            (
                "addr_test1qz2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgs68faae",
                0x00,
                57,
            ),
        ];
        for (address, header, len) in vectors {
            assert!(looks_like(address), "{address}");
            let parsed = parse(address).unwrap();
            assert_eq!(parsed.payload()[0], header, "{address}");
            assert_eq!(parsed.payload().len(), len, "{address}");
            assert_eq!(parsed.canonical(), address);
            assert_eq!(parse(&address.to_uppercase()).unwrap(), parsed);
        }
    }

    #[test]
    fn rejections() {
        let base = "addr1vx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzers66hrl8";
        let typo = base.replace("x2fx", "x2gx");
        assert_eq!(parse(&typo).unwrap_err().reason, checksum_mismatch("bech32"));
        // The enterprise address's payload re-encoded under the reward prefix.
        let hrp = bech32::Hrp::parse("stake").unwrap();
        let payload = parse(base).unwrap().payload().to_vec();
        let wrong = bech32::encode::<Bech32>(hrp, &payload).unwrap();
        assert!(parse(&wrong).unwrap_err().reason.contains("is not a reward (stake) address"));
        // A mainnet header under the testnet prefix.
        let hrp = bech32::Hrp::parse("addr_test").unwrap();
        let wrong = bech32::encode::<Bech32>(hrp, &payload).unwrap();
        assert!(parse(&wrong).unwrap_err().reason.contains("network id 1"));
        // A truncated base address.
        let hrp = bech32::Hrp::parse("addr").unwrap();
        let mut short = payload;
        short[0] = 0x01;
        let wrong = bech32::encode::<Bech32>(hrp, &short).unwrap();
        assert!(parse(&wrong).unwrap_err().reason.starts_with("decodes to 29 bytes, expected 57"));
    }
}
