//! Monero addresses: Monero's block Base58 of `network varint ‖ public keys [‖ payment id] ‖
//! first 4 bytes of Keccak-256 of the rest`.
//!
//! Monero Base58 is not Bitcoin's: it cuts the data into 8-byte blocks and encodes each as
//! exactly 11 characters (the last, shorter block per [`ENCODED_BLOCK_SIZES`]), so the string
//! length is fixed by the data length.

use super::base58::{BITCOIN as ALPHABET, RULE};
use super::{Address, Attempt, bad_char, checksum_mismatch};
use crate::{AddressKind, Chain};

const FORMAT: &str = "Monero base58";
const FULL_BLOCK: usize = 8;
const FULL_ENCODED: usize = 11;
/// Characters that encode a block of `n` bytes, indexed by `n`.
const ENCODED_BLOCK_SIZES: [usize; 9] = [0, 2, 3, 5, 6, 7, 9, 10, 11];
const CHECKSUM_LEN: usize = 4;
const STANDARD_LEN: usize = 95;
const INTEGRATED_LEN: usize = 106;

/// Mainnet network bytes, and the length without checksum of each kind.
const NETWORKS: [(u8, AddressKind, usize); 3] = [
    (18, AddressKind::MoneroStandard, 65),
    (19, AddressKind::MoneroIntegrated, 73),
    (42, AddressKind::MoneroSubaddress, 65),
];
/// Testnet and stagenet network bytes: named in errors, never screened.
const TEST_NETWORKS: [(u8, &str); 6] = [
    (53, "testnet"),
    (54, "testnet"),
    (63, "testnet"),
    (24, "stagenet"),
    (25, "stagenet"),
    (36, "stagenet"),
];

/// Encodes `data` in Monero's block Base58.
pub(super) fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(FULL_BLOCK) * FULL_ENCODED);
    for block in data.chunks(FULL_BLOCK) {
        let mut value = block.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let width = ENCODED_BLOCK_SIZES[block.len()];
        let mut chars = [ALPHABET.char(0); FULL_ENCODED];
        for slot in chars[..width].iter_mut().rev() {
            *slot = ALPHABET.char((value % 58) as usize);
            value /= 58;
        }
        out.extend(chars[..width].iter().map(|&c| char::from(c)));
    }
    out
}

/// Decodes Monero's block Base58, rejecting lengths no data has and blocks whose value does
/// not fit their byte count (which would make two spellings of one address).
pub(super) fn decode(input: &str) -> Result<Vec<u8>, String> {
    if let Some(index) = input.bytes().position(|b| ALPHABET.digit(b).is_none()) {
        return Err(bad_char(input, index, RULE));
    }
    let tail = input.len() % FULL_ENCODED;
    let Some(tail_bytes) = ENCODED_BLOCK_SIZES.iter().position(|&n| n == tail) else {
        return Err(format!("{} characters is not a length Monero base58 can have", input.len()));
    };
    let mut out = Vec::with_capacity(input.len() / FULL_ENCODED * FULL_BLOCK + tail_bytes);
    for block in input.as_bytes().chunks(FULL_ENCODED) {
        let bytes = if block.len() == FULL_ENCODED { FULL_BLOCK } else { tail_bytes };
        let mut value: u128 = 0;
        for &c in block {
            value = value * 58 + u128::from(ALPHABET.digit(c).expect("checked above"));
        }
        if value >> (8 * bytes) != 0 {
            return Err("a block's value overflows its size (a character is mistyped)".to_owned());
        }
        out.extend_from_slice(&value.to_be_bytes()[16 - bytes..]);
    }
    Ok(out)
}

/// Whether `input` has the length of a Monero address and could be Base58.
pub(super) fn looks_like(input: &str) -> bool {
    (input.len() == STANDARD_LEN || input.len() == INTEGRATED_LEN)
        && input.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn checksum(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let hash = alloy_primitives::keccak256(body);
    [hash[0], hash[1], hash[2], hash[3]]
}

/// Parses a Monero mainnet standard, integrated or subaddress address.
pub(super) fn parse(input: &str) -> Result<Address, Attempt> {
    let attempt = |reason| Attempt { chain: Chain::Monero, format: FORMAT, reason };
    if input.len() != STANDARD_LEN && input.len() != INTEGRATED_LEN {
        return Err(attempt(format!(
            "is {} characters; Monero addresses are {STANDARD_LEN} (integrated: \
             {INTEGRATED_LEN})",
            input.chars().count()
        )));
    }
    let data = decode(input).map_err(attempt)?;
    let (body, sum) = data.split_at(data.len() - CHECKSUM_LEN);
    if checksum(body) != sum {
        return Err(attempt(checksum_mismatch("Monero (Keccak-256)")));
    }
    // Every network byte in use is below 0x80, so its varint is that one byte.
    let network = body[0];
    let Some(&(_, kind, len)) = NETWORKS.iter().find(|(n, _, _)| *n == network) else {
        return Err(attempt(match TEST_NETWORKS.iter().find(|(n, _)| *n == network) {
            Some((_, name)) => format!("network byte {network} is a Monero {name} address"),
            None => format!("unknown network byte {network}"),
        }));
    };
    if body.len() != len {
        return Err(attempt(format!(
            "decodes to {} bytes, expected {} for this kind of address",
            data.len(),
            len + CHECKSUM_LEN
        )));
    }
    Ok(Address::from_parts(Chain::Monero, kind, body.to_vec(), encode(&data)))
}

/// Adds the checksum to `body` and encodes it, for tests that build addresses.
#[cfg(test)]
pub(super) fn encode_address(body: &[u8]) -> String {
    let mut data = body.to_vec();
    data.extend_from_slice(&checksum(body));
    encode(&data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monero_unit_test_block_vectors() {
        // monero/tests/unit_tests/base58.cpp
        let vectors: [(&[u8], &str); 10] = [
            (&[0x00], "11"),
            (&[0xff], "5Q"),
            (&[0xff, 0xff], "LUv"),
            (&[0xff; 3], "2UzHL"),
            (&[0xff; 4], "7YXq9G"),
            (&[0xff; 5], "VtB5VXc"),
            (&[0xff; 8], "jpXCZedGfVQ"),
            (&[0x06, 0x15, 0x60, 0x13, 0x76, 0x28, 0x79, 0xF7], "22222222222"),
            (&[0x05, 0xE0, 0x22, 0xBA, 0x37, 0x4B, 0x2A, 0x00], "1z111111111"),
            (
                &[0x06, 0x15, 0x60, 0x13, 0x76, 0x28, 0x79, 0xF7, 0xff, 0xff, 0xff, 0xff, 0xff],
                "22222222222VtB5VXc",
            ),
        ];
        for (data, encoded) in vectors {
            assert_eq!(encode(data), encoded);
            assert_eq!(decode(encoded).unwrap(), data);
        }
        for overflow in ["5R", "zz", "LUw", "jpXCZedGfVR", "123456789ABzzzzzzzzzzz"] {
            assert!(decode(overflow).unwrap_err().contains("overflows"), "{overflow}");
        }
        for bad_len in ["1", "1111", "11111111", "123456789AB1"] {
            assert!(decode(bad_len).unwrap_err().contains("not a length"), "{bad_len}");
        }
        assert!(decode("11O11").unwrap_err().starts_with("invalid character 'O' at position 3"));
    }

    #[test]
    fn monero_unit_test_address_vectors() {
        // encode_addr(tag, data) vectors: varint tag ‖ data ‖ keccak checksum.
        for (encoded, tag, data) in [
            ("15p2yAV", &[0x00][..], &[][..]),
            ("FNQ3D6A", &[0x7f], &[]),
            ("26k9QWweu", &[0x80, 0x01], &[]),
            ("11efCaY6UjG7JrxuB", &[0x00], &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]),
            ("21rhHRT48LN4PriP9", &[0x06], &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]),
        ] {
            let body = [tag, data].concat();
            assert_eq!(encode_address(&body), encoded);
        }
    }

    #[test]
    fn real_addresses() {
        // From OFAC's SDN list (XMR): a standard address and a subaddress.
        let standard = "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsL";
        let parsed = parse(standard).unwrap();
        assert_eq!(parsed.kind(), AddressKind::MoneroStandard);
        assert_eq!(parsed.canonical(), standard);
        assert_eq!(parsed.payload().len(), 65);
        let sub = "884Bz8UH63aYsjVdkfWfScRYWZGGNbjFL7pztqvWNSrtYT4reFSwyvkCj9KEGUtheHhhMUj87ciTBFyzoesrMJ4L1FvSoxL";
        assert_eq!(parse(sub).unwrap().kind(), AddressKind::MoneroSubaddress);
        let typo = standard.replace("Rzdn", "Rzdm");
        assert_eq!(parse(&typo).unwrap_err().reason, checksum_mismatch("Monero (Keccak-256)"));
    }

    #[test]
    fn integrated_and_test_networks() {
        let mut body = vec![19];
        body.extend_from_slice(&[0xab; 72]);
        let integrated = encode_address(&body);
        assert_eq!(integrated.len(), INTEGRATED_LEN);
        let parsed = parse(&integrated).unwrap();
        assert_eq!(parsed.kind(), AddressKind::MoneroIntegrated);
        assert_eq!(parsed.payload(), body.as_slice());
        body.truncate(65);
        body[0] = 53;
        let testnet = encode_address(&body);
        assert!(parse(&testnet).unwrap_err().reason.contains("testnet"));
        body[0] = 19;
        let short_integrated = encode_address(&body);
        assert!(parse(&short_integrated).unwrap_err().reason.contains("expected 77"));
    }
}
