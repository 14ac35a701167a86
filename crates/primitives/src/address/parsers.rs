//! Per-format parsers and the dispatch between them.
//!
//! [`parse_on`] runs the one or two formats a chain uses. [`parse_any`] looks at the input's
//! *shape* (prefix, first character, length) and runs only the decoders that could accept it,
//! because screening calls it for every address it sees: a `1…` address costs one Base58
//! decode and one checksum, however many chains share its version byte.

mod base58;
pub(super) mod base58check;
mod cardano;
pub(super) mod cashaddr;
mod evm;
mod monero;
mod segwit;
mod ss58;
mod stellar;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use super::{Address, AddressError, Attempt};
use crate::Chain;

pub(super) fn parse_on(chain: Chain, input: &str) -> Result<Address, AddressError> {
    if input.is_empty() {
        return Err(AddressError::Empty);
    }
    let result = match chain {
        Chain::Bitcoin | Chain::BitcoinTestnet | Chain::Litecoin | Chain::BitcoinGold => {
            if segwit::chain_for_prefix(input).is_some() {
                // A Base58Check address may start with the bech32 prefix by chance (a Litecoin
                // `L…` address can begin `LTC1`), so a failed segwit parse is not the last word.
                segwit::parse(chain, input).or_else(|segwit_attempt| {
                    base58check::parse(chain, input).map_err(|base58_attempt| {
                        // Bech32 is never mixed case; a mixed-case input was meant as Base58.
                        if is_mixed_case(input) { base58_attempt } else { segwit_attempt }
                    })
                })
            } else {
                base58check::parse(chain, input)
            }
        }
        Chain::BitcoinCash => {
            if cashaddr::looks_like(input) {
                cashaddr::parse(input)
            } else {
                base58check::parse(chain, input)
            }
        }
        Chain::Tron => {
            if base58check::looks_like_tron_hex(input) {
                Ok(base58check::parse_tron_hex(input))
            } else {
                base58check::parse(chain, input)
            }
        }
        Chain::BitcoinSv
        | Chain::Dogecoin
        | Chain::Dash
        | Chain::Zcash
        | Chain::Verge
        | Chain::Ripple => base58check::parse(chain, input),
        Chain::Evm => evm::parse(input),
        Chain::Stellar => stellar::parse(input),
        Chain::Polkadot => ss58::parse(input),
        Chain::Cardano => cardano::parse(input),
        Chain::Monero => monero::parse(input),
    };
    result.map_err(|mut attempt| {
        // Pasting an address under the wrong chain is the commonest mistake in list data (a
        // Tron address filed under XBT, a Litecoin one under BTC): say where it does belong.
        let elsewhere = parse_any(input).unwrap_or_default();
        let names: Vec<&str> = elsewhere
            .iter()
            .map(|a| a.chain())
            .filter(|&c| c != chain)
            .map(Chain::display_name)
            .collect();
        if !names.is_empty() {
            attempt.reason.push_str(&format!(" (but it is a valid {} address)", names.join(" / ")));
        }
        AddressError::Invalid { input: input.to_owned(), attempts: vec![attempt] }
    })
}

pub(super) fn parse_any(input: &str) -> Result<Vec<Address>, AddressError> {
    if input.is_empty() {
        return Err(AddressError::Empty);
    }
    let mut found = Vec::with_capacity(4);
    let mut attempts = Vec::new();
    let mut record = |result: Result<Address, Attempt>| match result {
        Ok(address) => found.push(address),
        Err(attempt) => attempts.push(attempt),
    };
    let bytes = input.as_bytes();
    // A prefixed format that parses excludes every other shape, so it short-circuits; the
    // first byte rules most of them out cheaply. One that fails does not: an SS58 or base58
    // address may start with `tb1`, `bc1` or `stake` by chance.
    let first = bytes[0].to_ascii_lowercase();
    if first == b'0' && bytes.len() >= 2 && bytes[1].eq_ignore_ascii_case(&b'x') {
        record(evm::parse(input));
    } else {
        let mut prefixed = false;
        if let Some(chain) =
            matches!(first, b'b' | b't' | b'l').then(|| segwit::chain_for_prefix(input)).flatten()
        {
            let result = segwit::parse(chain, input);
            prefixed = result.is_ok();
            record(result);
        } else if matches!(first, b'a' | b's') && cardano::looks_like(input) {
            let result = cardano::parse(input);
            prefixed = result.is_ok();
            record(result);
        }
        if !prefixed {
            if cashaddr::looks_like(input) {
                record(cashaddr::parse(input));
            }
            if base58check::looks_like_tron_hex(input) {
                record(Ok(base58check::parse_tron_hex(input)));
            }
            if stellar::looks_like(input) {
                record(stellar::parse(input));
            }
            if ss58::looks_like(input) {
                record(ss58::parse(input));
            }
            if monero::looks_like(input) {
                record(monero::parse(input));
            }
            base58check::parse_any(input, &mut found, &mut attempts);
        }
    }
    if found.is_empty() {
        Err(AddressError::Invalid { input: input.to_owned(), attempts })
    } else {
        Ok(found)
    }
}

/// The 32 characters of bech32 and CashAddr, in value order.
const BECH32_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// Names the character at byte offset `index` of `input` and its position counted from 1, as a
/// person reading the address would count, followed by the format's rule.
fn bad_char(input: &str, index: usize, rule: &str) -> String {
    let (position, found) = match input.get(index..) {
        Some(rest) => (input[..index].chars().count() + 1, rest.chars().next()),
        None => (index + 1, None),
    };
    match found {
        Some(c) => format!("invalid character {c:?} at position {position} ({rule})"),
        None => format!("invalid character at position {position} ({rule})"),
    }
}

/// The first character of `input` (after `skip` bytes) that `valid` rejects, as a [`bad_char`]
/// message.
fn first_bad_char(
    input: &str,
    skip: usize,
    valid: impl Fn(char) -> bool,
    rule: &str,
) -> Option<String> {
    input
        .char_indices()
        .skip_while(|&(i, _)| i < skip)
        .find(|&(_, c)| !valid(c))
        .map(|(i, _)| bad_char(input, i, rule))
}

/// Whether `input` has both lower- and upper-case letters.
fn is_mixed_case(input: &str) -> bool {
    let bytes = input.as_bytes();
    bytes.iter().any(u8::is_ascii_lowercase) && bytes.iter().any(u8::is_ascii_uppercase)
}

/// Whether `input` starts with `prefix`, ignoring ASCII case.
fn starts_with_ignore_case(input: &str, prefix: &str) -> bool {
    input.len() >= prefix.len()
        && input.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The checksum failure message shared by every format with a checksum.
fn checksum_mismatch(name: &str) -> String {
    format!("{name} checksum does not match (a character is probably mistyped)")
}
