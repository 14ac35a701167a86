//! Stellar StrKey accounts: base32(version byte ‖ ed25519 key [‖ muxed id] ‖ CRC16-XModem LE).

use super::{Address, Attempt, bad_char, checksum_mismatch};
use crate::{AddressKind, Chain};
use crc::{CRC_16_XMODEM, Crc};
use data_encoding::{BASE32_NOPAD, DecodeKind};

const FORMAT: &str = "StrKey";
/// `G…`: an ed25519 account public key.
const ACCOUNT: u8 = 6 << 3;
/// `M…`: a muxed account (SEP-23), the same account plus a 64-bit sub-account id.
const MUXED: u8 = 12 << 3;
const ACCOUNT_LEN: usize = 56;
const MUXED_LEN: usize = 69;
const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_XMODEM);

/// Whether `input` has the shape of a Stellar account or muxed account.
pub(super) fn looks_like(input: &str) -> bool {
    match input.as_bytes().first().map(u8::to_ascii_uppercase) {
        Some(b'G') => input.len() == ACCOUNT_LEN,
        Some(b'M') => input.len() == MUXED_LEN,
        _ => false,
    }
}

/// Parses a `G…` account or `M…` muxed account.
///
/// A muxed account is a label on its base account, which holds the funds and is what a
/// sanction names; so its payload is the base account's key and its canonical form is `G…`.
pub(super) fn parse(input: &str) -> Result<Address, Attempt> {
    let attempt = |reason| Attempt { chain: Chain::Stellar, format: FORMAT, reason };
    let (version, expected_len) = match input.as_bytes().first() {
        Some(b'G') => (ACCOUNT, ACCOUNT_LEN),
        Some(b'M') => (MUXED, MUXED_LEN),
        Some(b'g' | b'm') => {
            return Err(attempt("StrKey is upper case; lower-case letters are not allowed".into()));
        }
        _ => {
            return Err(attempt(
                "a Stellar account starts with G (or M for a muxed account)".to_owned(),
            ));
        }
    };
    if input.len() != expected_len {
        return Err(attempt(format!(
            "is {} characters, a Stellar {} is {expected_len}",
            input.len(),
            if version == ACCOUNT { "account (G…)" } else { "muxed account (M…)" }
        )));
    }
    let data = BASE32_NOPAD.decode(input.as_bytes()).map_err(|e| {
        attempt(match e.kind {
            DecodeKind::Symbol => {
                bad_char(input, e.position, "StrKey uses only upper-case A-Z and digits 2-7")
            }
            DecodeKind::Trailing => checksum_mismatch("StrKey (CRC16)"),
            _ => format!("is not valid base32: {e}"),
        })
    })?;
    let (body, crc) = data.split_at(data.len() - 2);
    if CRC16.checksum(body).to_le_bytes() != crc {
        return Err(attempt(checksum_mismatch("StrKey (CRC16)")));
    }
    if body[0] != version {
        return Err(attempt(format!(
            "version byte 0x{:02x} is not a Stellar account public key",
            body[0]
        )));
    }
    let key: [u8; 32] = body[1..33].try_into().expect("invariant: length checked above");
    Ok(Address::from_parts(Chain::Stellar, AddressKind::Account, key.to_vec(), encode(&key)))
}

fn strkey(body: &[u8]) -> String {
    let mut data = body.to_vec();
    data.extend_from_slice(&CRC16.checksum(body).to_le_bytes());
    BASE32_NOPAD.encode(&data)
}

/// The `G…` spelling of an account key.
pub(super) fn encode(key: &[u8; 32]) -> String {
    let mut body = vec![ACCOUNT];
    body.extend_from_slice(key);
    strkey(&body)
}

/// The `M…` spelling of sub-account `id` of an account key.
#[cfg(test)]
pub(super) fn encode_muxed(key: &[u8; 32], id: u64) -> String {
    let mut body = vec![MUXED];
    body.extend_from_slice(key);
    body.extend_from_slice(&id.to_be_bytes());
    strkey(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ";

    #[test]
    fn sep23_vectors() {
        let base = parse(BASE).unwrap();
        assert_eq!(
            alloy_primitives::hex::encode(base.payload()),
            "3f0c34bf93ad0d9971d04ccc90f705511c838aad9734a4a2fb0d7a03fc7fe89a"
        );
        assert_eq!(base.canonical(), BASE);
        let key: [u8; 32] = base.payload().try_into().unwrap();
        for (muxed, id) in [
            ("MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVAAAAAAAAAAAAAJLK", 1 << 63),
            ("MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAAAAAAAACJUQ", 0),
            ("MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAAAAAAE2JUG6", 1234),
        ] {
            assert_eq!(encode_muxed(&key, id), muxed);
            assert_eq!(parse(muxed).unwrap(), base);
        }
    }

    #[test]
    fn rejections() {
        let typo = format!("{}A", &BASE[..55]);
        assert_eq!(parse(&typo).unwrap_err().reason, checksum_mismatch("StrKey (CRC16)"));
        let lower = parse(&BASE.to_lowercase()).unwrap_err().reason;
        assert!(lower.starts_with("StrKey is upper case"), "{lower}");
        let bad = parse(&BASE.replace("QYN", "Q1N")).unwrap_err().reason;
        assert!(bad.starts_with("invalid character '1' at position 5"), "{bad}");
        assert!(parse(&BASE[..55]).unwrap_err().reason.contains("is 55 characters"));
        // A secret seed has version 18 << 3 (`S…`), never an account.
        assert!(!looks_like("SBA2XQ5SRUW5H3FUQARMC6QYEPUYNSVCMM4PGESGVB2UIFHLM73TPXXF"));
    }
}
