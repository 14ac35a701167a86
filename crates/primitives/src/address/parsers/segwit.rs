//! Segwit addresses: bech32 (BIP-173) for witness version 0, bech32m (BIP-350) for 1 and up.

use super::{
    Address, Attempt, BECH32_CHARSET, checksum_mismatch, first_bad_char, starts_with_ignore_case,
};
use crate::{AddressKind, Chain};
use bech32::primitives::decode::{
    CharError, ChecksumError, SegwitHrpstring, SegwitHrpstringError, UncheckedHrpstring,
    UncheckedHrpstringError,
};
use bech32::primitives::segwit::WitnessLengthError;
use bech32::{Bech32, Bech32m};

const FORMAT: &str = "bech32 (segwit)";

/// Human-readable parts and their chains. Signet shares testnet's `tb`.
const HRPS: [(&str, Chain); 5] = [
    ("bc", Chain::Bitcoin),
    ("tb", Chain::BitcoinTestnet),
    ("bcrt", Chain::BitcoinTestnet),
    ("ltc", Chain::Litecoin),
    ("btg", Chain::BitcoinGold),
];

/// The chain whose human-readable part (and separator `1`) starts `input`, in either case.
pub(super) fn chain_for_prefix(input: &str) -> Option<Chain> {
    HRPS.iter().find_map(|&(hrp, chain)| {
        (starts_with_ignore_case(input, hrp) && input.as_bytes().get(hrp.len()) == Some(&b'1'))
            .then_some(chain)
    })
}

fn hrps_of(chain: Chain) -> String {
    let hrps: Vec<String> =
        HRPS.iter().filter(|(_, c)| *c == chain).map(|(h, _)| format!("'{h}'")).collect();
    if hrps.is_empty() { "none".to_owned() } else { hrps.join(" or ") }
}

/// Parses `input` as a segwit address of `chain`.
pub(super) fn parse(chain: Chain, input: &str) -> Result<Address, Attempt> {
    let attempt = |reason| Attempt { chain, format: FORMAT, reason };
    let segwit = SegwitHrpstring::new(input).map_err(|e| attempt(explain(input, &e)))?;
    let hrp = segwit.hrp().to_lowercase();
    let version = segwit.witness_version();
    let program: Vec<u8> = segwit.byte_iter().collect();
    let found = HRPS.iter().find(|(h, _)| *h == hrp).map(|&(_, c)| c);
    if found != Some(chain) {
        let whose = match found {
            Some(other) => format!("belongs to {}", other.display_name()),
            None => "is unknown".to_owned(),
        };
        return Err(attempt(format!(
            "human-readable part '{hrp}' {whose}, not {} (expected {})",
            chain.display_name(),
            hrps_of(chain)
        )));
    }
    let version = version.to_u8();
    let kind = match (version, program.len()) {
        (0, 20) => AddressKind::P2wpkh,
        (0, 32) => AddressKind::P2wsh,
        (1, 32) => AddressKind::P2tr,
        _ => AddressKind::WitnessOther,
    };
    let mut payload = Vec::with_capacity(1 + program.len());
    payload.push(version);
    payload.extend_from_slice(&program);
    // The checksum depends only on the data, so the lower-case input is the one canonical form.
    Ok(Address::from_parts(chain, kind, payload, input.to_ascii_lowercase()))
}

/// Says in plain words why `bech32` rejected `input`.
fn explain(input: &str, error: &SegwitHrpstringError) -> String {
    match error {
        SegwitHrpstringError::Unchecked(e) => explain_unchecked(input, e),
        SegwitHrpstringError::NoData => "no data after the separator '1'".to_owned(),
        SegwitHrpstringError::TooLong(len) => {
            format!("is {len} characters long; segwit addresses have at most 90")
        }
        SegwitHrpstringError::InvalidWitnessVersion(fe) => {
            format!("witness version {} does not exist (versions are 0 to 16)", fe.to_u8())
        }
        SegwitHrpstringError::Padding(_) => {
            "the data does not end on a byte boundary (invalid padding), so it is corrupt"
                .to_owned()
        }
        SegwitHrpstringError::WitnessLength(e) => {
            let program = program_len(input);
            match e {
                WitnessLengthError::InvalidSegwitV0 => format!(
                    "witness program is {program} bytes; version 0 programs are 20 or 32 bytes"
                ),
                _ => format!("witness program is {program} bytes; programs are 2 to 40 bytes"),
            }
        }
        SegwitHrpstringError::Checksum(ChecksumError::InvalidResidue) => wrong_checksum(input),
        SegwitHrpstringError::Checksum(e) => format!("has no valid checksum: {e}"),
        other => other.to_string(),
    }
}

/// Says in plain words what is wrong with the characters or the human-readable part of a
/// bech32 string; shared with Cardano's plain bech32.
pub(super) fn explain_unchecked(input: &str, error: &UncheckedHrpstringError) -> String {
    match error {
        UncheckedHrpstringError::Char(CharError::MixedCase) => {
            "mixed case: bech32 must be all lower case or all upper case".to_owned()
        }
        UncheckedHrpstringError::Char(CharError::InvalidChar(_)) => {
            let separator = input.rfind('1').map_or(0, |i| i + 1);
            first_bad_char(
                input,
                separator,
                |c| c.is_ascii() && BECH32_CHARSET.contains(&(c as u8).to_ascii_lowercase()),
                "after the separator '1', bech32 uses only qpzry9x8gf2tvdw0s3jn54khce6mua7l",
            )
            .unwrap_or_else(|| error.to_string())
        }
        UncheckedHrpstringError::Char(_) => "no data after the separator '1'".to_owned(),
        UncheckedHrpstringError::Hrp(e) => format!("invalid human-readable part: {e}"),
        other => other.to_string(),
    }
}

/// Names the checksum that failed, and says so when the other variant would have matched:
/// that is an address made by software that predates BIP-350, or a forged version character.
fn wrong_checksum(input: &str) -> String {
    let Ok(unchecked) = UncheckedHrpstring::new(input) else {
        return checksum_mismatch("bech32");
    };
    if unchecked.data_part_ascii().len() <= 6 {
        return "no data after the separator '1', only a checksum".to_owned();
    }
    let v0 = unchecked.witness_version().is_some_and(|v| v.to_u8() == 0);
    if v0 {
        if unchecked.has_valid_checksum::<Bech32m>() {
            return "witness version 0 must use the bech32 checksum (BIP-173), but this string \
                    uses bech32m"
                .to_owned();
        }
        checksum_mismatch("bech32")
    } else {
        if unchecked.has_valid_checksum::<Bech32>() {
            return "witness version 1 and later must use the bech32m checksum (BIP-350), but \
                    this string uses the older bech32"
                .to_owned();
        }
        checksum_mismatch("bech32m")
    }
}

/// The witness program length `input` would have, for messages.
fn program_len(input: &str) -> usize {
    let data = input.rfind('1').map_or(0, |i| input.len() - i - 1);
    data.saturating_sub(1 + 6) * 5 / 8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        alloy_primitives::hex::encode(bytes)
    }

    #[test]
    fn bip350_valid_vectors() {
        // (address, chain, scriptPubKey: OP_n, push length, program)
        let vectors = [
            (
                "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
                Chain::Bitcoin,
                "0014751e76e8199196d454941c45d1b3a323f1433bd6",
                AddressKind::P2wpkh,
            ),
            (
                "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
                Chain::BitcoinTestnet,
                "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
                AddressKind::P2wsh,
            ),
            (
                "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
                Chain::Bitcoin,
                "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
                AddressKind::WitnessOther,
            ),
            ("BC1SW50QGDZ25J", Chain::Bitcoin, "6002751e", AddressKind::WitnessOther),
            (
                "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
                Chain::Bitcoin,
                "5210751e76e8199196d454941c45d1b3a323",
                AddressKind::WitnessOther,
            ),
            (
                "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
                Chain::BitcoinTestnet,
                "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
                AddressKind::P2wsh,
            ),
            (
                "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
                Chain::BitcoinTestnet,
                "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
                AddressKind::P2tr,
            ),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
                Chain::Bitcoin,
                "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
                AddressKind::P2tr,
            ),
        ];
        for (address, chain, script, kind) in vectors {
            assert_eq!(chain_for_prefix(address), Some(chain), "{address}");
            let parsed = parse(chain, address).unwrap();
            let op = if parsed.payload()[0] == 0 { 0 } else { 0x50 + parsed.payload()[0] };
            let expected = format!(
                "{op:02x}{:02x}{}",
                parsed.payload().len() - 1,
                hex(&parsed.payload()[1..])
            );
            assert_eq!(expected, script, "{address}");
            assert_eq!(parsed.kind(), kind, "{address}");
            assert_eq!(parsed.canonical(), address.to_lowercase());
        }
    }

    #[test]
    fn bip350_invalid_vectors() {
        let vectors = [
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
                "must use the bech32m",
            ),
            (
                "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
                "must use the bech32m",
            ),
            (
                "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
                "must use the bech32m",
            ),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "must use the bech32 checksum"),
            (
                "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
                "must use the bech32 checksum",
            ),
            (
                "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
                "invalid character 'o' at position 60",
            ),
            (
                "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
                "witness version 17",
            ),
            ("bc1pw5dgrnzv", "witness program is 1 bytes"),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
                "witness program is 41 bytes",
            ),
            ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "version 0 programs are 20 or 32 bytes"),
            ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixed case"),
            ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "invalid padding"),
            ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "invalid padding"),
            ("bc1gmk9yu", "no data"),
        ];
        for (address, why) in vectors {
            let chain = chain_for_prefix(address).unwrap();
            let err = parse(chain, address).unwrap_err();
            assert!(err.reason.contains(why), "{address}: {}", err.reason);
        }
        // Invalid human-readable part: not a shape any chain claims.
        assert_eq!(
            chain_for_prefix("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut"),
            None
        );
    }

    #[test]
    fn bip173_invalid_checksums() {
        for address in [
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
        ] {
            let chain = chain_for_prefix(address).unwrap();
            let err = parse(chain, address).unwrap_err().reason;
            assert!(err == checksum_mismatch("bech32") || err.starts_with("mixed case"), "{err}");
        }
    }

    #[test]
    fn wrong_network_names_the_right_one() {
        let err =
            parse(Chain::Bitcoin, "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7")
                .unwrap_err();
        assert_eq!(
            err.reason,
            "human-readable part 'tb' belongs to Bitcoin testnet, not Bitcoin (expected 'bc')"
        );
    }
}
