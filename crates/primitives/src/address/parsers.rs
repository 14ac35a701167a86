//! Per-format parsers. PLACEHOLDER: only EVM lower-case hex until the full parsers land.

use super::{Address, AddressError, AddressKind, Attempt};
use crate::Chain;

pub(super) fn parse_on(chain: Chain, input: &str) -> Result<Address, AddressError> {
    if input.is_empty() {
        return Err(AddressError::Empty);
    }
    if chain == Chain::Evm {
        if let Some(hex) = input.strip_prefix("0x") {
            if let Ok(bytes) = alloy_primitives::hex::decode(hex) {
                if bytes.len() == 20 {
                    let a = alloy_primitives::Address::from_slice(&bytes);
                    return Ok(Address::from_parts(chain, AddressKind::Account, bytes, a.to_checksum(None)));
                }
            }
        }
    }
    Err(AddressError::Invalid {
        input: input.to_owned(),
        attempts: vec![Attempt { chain, format: "placeholder", reason: "not implemented".into() }],
    })
}

pub(super) fn parse_any(input: &str) -> Result<Vec<Address>, AddressError> {
    parse_on(Chain::Evm, input).map(|a| vec![a])
}
