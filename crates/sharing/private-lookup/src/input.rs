//! What the OPRF is evaluated on: an address's normalized identity with a domain-separation
//! prefix that names the protocol and the chain.

use crate::Error;
use chainward_primitives::{Address, AddressKey, Chain};

/// Prefix of every OPRF input; a new input encoding gets a new version here.
const DOMAIN: &[u8] = b"chainward/private-lookup/v1";

/// The OPRF input for an address key:
/// `"chainward/private-lookup/v1" ‖ 0x00 ‖ chain name ‖ 0x00 ‖ AddressKey (32 bytes)`.
///
/// The [`AddressKey`] is spelling-independent (EIP-55 or lower case, CashAddr or legacy), so
/// every spelling of one address gives one input; the chain name keeps a payload that is valid
/// on two chains (a legacy `1…` address on Bitcoin and Bitcoin Cash) two distinct inputs.
pub(crate) fn oprf_input(key: &AddressKey) -> Result<Vec<u8>, Error> {
    let chain = key.chain().ok_or(Error::UnknownChain(key.as_bytes()[0]))?;
    let name = chain.as_str().as_bytes();
    let mut input = Vec::with_capacity(DOMAIN.len() + name.len() + 2 + 32);
    input.extend_from_slice(DOMAIN);
    input.push(0);
    input.extend_from_slice(name);
    input.push(0);
    input.extend_from_slice(key.as_bytes());
    Ok(input)
}

/// Every reading of `address` (one per chain it is valid on, `Address::parse_any`), as
/// distinct `(chain, key)` pairs in parse order.
///
/// # Errors
/// [`Error::Address`] when it is an address on no chain.
pub(crate) fn readings(address: &str) -> Result<Vec<(Chain, AddressKey)>, Error> {
    let mut keys: Vec<(Chain, AddressKey)> = Vec::new();
    for parsed in Address::parse_any(address)? {
        let key = parsed.key();
        if !keys.iter().any(|(_, seen)| *seen == key) {
            keys.push((parsed.chain(), key));
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_layout_is_pinned() {
        let key =
            Address::parse(Chain::Evm, "0x0000000000000000000000000000000000000001").unwrap().key();
        let input = oprf_input(&key).unwrap();
        let mut expected = b"chainward/private-lookup/v1\0evm\0".to_vec();
        expected.extend_from_slice(key.as_bytes());
        assert_eq!(input, expected);
    }

    #[test]
    fn unknown_chain_is_an_error() {
        let key = AddressKey::from_bytes([0xee; 32]);
        assert!(matches!(oprf_input(&key), Err(Error::UnknownChain(0xee))));
    }
}
