//! EVM addresses: `0x` and 40 hex digits, with the EIP-55 mixed-case checksum when mixed case.

use super::{Address, Attempt, first_bad_char};
use crate::{AddressKind, Chain};

const FORMAT: &str = "hex (EIP-55)";

/// Parses `input` as an EVM address.
///
/// All-lower and all-upper hex carry no checksum and are accepted as they are; mixed case is
/// a claim to be EIP-55 checksummed, so it must be exactly the checksummed form.
pub(super) fn parse(input: &str) -> Result<Address, Attempt> {
    let attempt = |reason| Attempt { chain: Chain::Evm, format: FORMAT, reason };
    let hex = match input.strip_prefix("0x") {
        Some(hex) => hex,
        None if input.starts_with("0X") => {
            return Err(attempt("the prefix must be a lower-case '0x'".to_owned()));
        }
        None => return Err(attempt("does not start with '0x'".to_owned())),
    };
    if let Some(reason) =
        first_bad_char(input, 2, |c| c.is_ascii_hexdigit(), "hex digits are 0-9 and a-f")
    {
        return Err(attempt(reason));
    }
    if hex.len() != 40 {
        return Err(attempt(format!("has {} hex digits after 0x, expected 40", hex.len())));
    }
    let mut bytes = [0u8; 20];
    alloy_primitives::hex::decode_to_slice(hex, &mut bytes)
        .map_err(|e| attempt(format!("is not valid hex: {e}")))?;
    let checksummed = alloy_primitives::Address::from(bytes).to_checksum(None);
    if super::is_mixed_case(hex) && checksummed[2..] != *hex {
        return Err(attempt(
            "EIP-55 checksum does not match: mixed-case hex must be exactly the checksummed \
             form (like 0xAbC…), so a character or the case of a letter is probably mistyped"
                .to_owned(),
        ));
    }
    Ok(Address::from_parts(Chain::Evm, AddressKind::Account, bytes.to_vec(), checksummed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_vectors() {
        // The EIP's own test vectors: all caps, all lower, and checksummed mixed case.
        for address in [
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
            "0xde709f2102306220921060314715629080e2fb77",
            "0x27b1fdb04752bbc536007a920d24acb045561c26",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let parsed = parse(address).unwrap();
            // The all-caps and all-lower vectors are themselves valid checksums.
            assert_eq!(parsed.canonical(), address, "{address}");
            let lower = format!("0x{}", address[2..].to_lowercase());
            assert_eq!(parse(&lower).unwrap(), parsed);
        }
    }

    #[test]
    fn broken_checksum_and_shape_are_explained() {
        let flipped = parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").unwrap_err();
        assert!(flipped.reason.starts_with("EIP-55 checksum does not match"));
        let short = parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA").unwrap_err();
        assert_eq!(short.reason, "has 38 hex digits after 0x, expected 40");
        let bad = parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg").unwrap_err();
        assert_eq!(bad.reason, "invalid character 'g' at position 42 (hex digits are 0-9 and a-f)");
        assert!(parse("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").is_err());
        // A transaction hash is 64 hex digits, not an address.
        let tx = "0x44256bb8f9e3a6ec1e4b7b0a1a1c1e1f9e3a6ec1e4b7b0a1a1c1e1f9e3a69f77";
        assert!(parse(tx).unwrap_err().reason.contains("expected 40"));
    }
}
