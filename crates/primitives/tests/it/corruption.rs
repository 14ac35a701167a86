//! One mistyped character in any listed address must be rejected, with the reason.

use super::all_valid_addresses;
use chainward_primitives::{Address, Chain};

const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const RIPPLE: &str = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz";
const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The alphabet `address` is written in, so a substitution stays a plausible typo (a checker
/// that only rejected impossible characters would pass otherwise).
fn alphabet_of(chain: Chain, address: &str) -> &'static str {
    let lower = address.to_ascii_lowercase();
    let segwit = ["bc1", "tb1", "bcrt1", "ltc1", "btg1"].iter().any(|p| lower.starts_with(p));
    match chain {
        Chain::Ripple => RIPPLE,
        Chain::Stellar => BASE32,
        Chain::Cardano => BECH32,
        Chain::BitcoinCash if !address.starts_with(['1', '3']) => BECH32,
        _ if segwit => BECH32,
        _ => BASE58,
    }
}

/// The next character after `c` in `alphabet` (cyclically); for hex, the next digit of the
/// same case class, so a checksummed address stays mixed case; for upper-case bech32, upper.
fn substitute(chain: Chain, alphabet: &str, c: char) -> char {
    if alphabet == BECH32 && c.is_ascii_uppercase() {
        return substitute(chain, alphabet, c.to_ascii_lowercase()).to_ascii_uppercase();
    }
    let class: &str = if chain == Chain::Evm {
        match c {
            '0'..='9' => "0123456789",
            'a'..='f' => "abcdef",
            _ => "ABCDEF",
        }
    } else {
        alphabet
    };
    let chars: Vec<char> = class.chars().collect();
    let at = chars.iter().position(|&x| x == c).unwrap_or_else(|| panic!("{c} not in {class}"));
    chars[(at + 1) % chars.len()]
}

/// Whether `address` carries a checksum at all: all-lower or all-upper EVM hex does not.
fn is_checksummed(chain: Chain, address: &str) -> bool {
    let hex = address.trim_start_matches("0x");
    chain != Chain::Evm || (hex != hex.to_lowercase() && hex != hex.to_uppercase())
}

#[test]
fn one_substituted_character_is_rejected_with_the_reason() {
    let addresses = all_valid_addresses();
    let mut checked = 0;
    let mut skipped_unchecksummed = 0;
    for (chain, address) in &addresses {
        if !is_checksummed(*chain, address) {
            skipped_unchecksummed += 1;
            continue;
        }
        let alphabet = alphabet_of(*chain, address);
        let chars: Vec<char> = address.chars().collect();
        let len = chars.len();
        let mut positions = vec![len / 2, len * 3 / 4, len - 1];
        positions.dedup();
        for position in positions {
            let mut changed = chars.clone();
            changed[position] = substitute(*chain, alphabet, chars[position]);
            let changed: String = changed.into_iter().collect();
            let error = Address::parse(*chain, &changed)
                .expect_err(&format!("{changed} (from {address}) accepted on {chain}"));
            let message = error.to_string();
            assert!(message.contains("checksum"), "{changed} on {chain}: {message}");
            checked += 1;
        }
    }
    // 804 distinct checksummed addresses, three positions each; 427 distinct lower-case (or
    // upper-case) EVM addresses carry no checksum to break.
    assert_eq!((checked, skipped_unchecksummed), (2412, 427));
}
