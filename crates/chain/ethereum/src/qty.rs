//! Serde helpers for JSON-RPC quantities: `"0x1a"` hex strings (what nodes send) or plain JSON
//! numbers (what Parity uses for `blockNumber` and `transactionPosition` in traces).

use alloy_primitives::U256;
use serde::{Deserialize, Deserializer, de::Error as _};

#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Num(u64),
    Str(String),
}

fn hex_digits(s: &str, max: usize) -> Result<&str, String> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| format!("quantity {s:?} does not start with 0x"))?;
    if digits.is_empty() {
        return Err(format!("quantity {s:?} has no digits"));
    }
    if digits.len() > max {
        return Err(format!("quantity {s:?} has more than {max} hex digits"));
    }
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("quantity {s:?} is not hexadecimal"));
    }
    Ok(digits)
}

/// Parses a hex quantity into a `u64`.
pub(crate) fn parse_u64(s: &str) -> Result<u64, String> {
    let digits = hex_digits(s, 16)?;
    u64::from_str_radix(digits, 16).map_err(|e| format!("quantity {s:?}: {e}"))
}

/// Parses a hex quantity into a `U256`.
pub(crate) fn parse_u256(s: &str) -> Result<U256, String> {
    let digits = hex_digits(s, 64)?;
    U256::from_str_radix(digits, 16).map_err(|e| format!("quantity {s:?}: {e}"))
}

pub(crate) fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Raw::deserialize(d)? {
        Raw::Num(n) => Ok(n),
        Raw::Str(s) => parse_u64(&s).map_err(D::Error::custom),
    }
}

pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Num(n)) => Ok(Some(n)),
        Some(Raw::Str(s)) => parse_u64(&s).map(Some).map_err(D::Error::custom),
    }
}

pub(crate) fn u256<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
    match Raw::deserialize(d)? {
        Raw::Num(n) => Ok(U256::from(n)),
        Raw::Str(s) => parse_u256(&s).map_err(D::Error::custom),
    }
}

pub(crate) fn opt_u256<'de, D: Deserializer<'de>>(d: D) -> Result<Option<U256>, D::Error> {
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Num(n)) => Ok(Some(U256::from(n))),
        Some(Raw::Str(s)) => parse_u256(&s).map(Some).map_err(D::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quantities() {
        assert_eq!(parse_u64("0x0"), Ok(0));
        assert_eq!(parse_u64("0x76250"), Ok(0x76250));
        assert!(parse_u64("0x").is_err());
        assert!(parse_u64("76250").is_err());
        assert!(parse_u64("0x+1").is_err());
        assert!(parse_u64("0x10000000000000000").is_err());
        assert_eq!(parse_u256("0xde0b6b3a7640000"), Ok(U256::from(10u64.pow(18))));
        assert!(parse_u256(&format!("0x1{}", "0".repeat(64))).is_err());
    }
}
