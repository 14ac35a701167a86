//! Plain Base58 (the big-number kind, not Monero's blocks), written for speed: `parse_any`
//! decodes every `1…`/`3…` address screening sees, and a digit-at-a-time codec over bytes
//! costs more than the checksum. This one works ten digits at a time on 64-bit limbs.

/// A Base58 alphabet: its 58 characters and the reverse map (0xff = not in the alphabet).
pub(super) struct Alphabet {
    chars: [u8; 58],
    rev: [u8; 128],
}

impl Alphabet {
    const fn new(chars: &[u8; 58]) -> Self {
        let mut rev = [0xffu8; 128];
        let mut i = 0;
        while i < 58 {
            rev[chars[i] as usize] = i as u8;
            i += 1;
        }
        Self { chars: *chars, rev }
    }

    /// The value of ASCII byte `b`, if it is in the alphabet.
    pub(super) fn digit(&self, b: u8) -> Option<u8> {
        self.rev.get(usize::from(b)).copied().filter(|&v| v != 0xff)
    }

    /// The character for `digit` (below 58).
    pub(super) fn char(&self, digit: usize) -> u8 {
        self.chars[digit]
    }
}

pub(super) static BITCOIN: Alphabet =
    Alphabet::new(b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz");
pub(super) static RIPPLE: Alphabet =
    Alphabet::new(b"rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz");

/// What a Base58 error message says about the alphabet.
pub(super) const RULE: &str = "Base58 excludes 0, O, I and l";

/// The largest decoded length supported; longer inputs are [`DecodeError::TooLong`].
pub(super) const MAX_BYTES: usize = 64;
const LIMBS: usize = MAX_BYTES / 8;
/// 58^10, the largest power of 58 below 2^64.
const BIG_BASE: u64 = 430_804_206_899_405_824;
const BIG_DIGITS: usize = 10;

#[derive(Debug, PartialEq, Eq)]
pub(super) enum DecodeError {
    /// The byte at this offset is not in the alphabet (it starts a character).
    InvalidChar(usize),
    /// The value needs more than [`MAX_BYTES`] bytes.
    TooLong,
}

/// Decodes `input` into `out`, returning the decoded length.
pub(super) fn decode(
    input: &str,
    alphabet: &Alphabet,
    out: &mut [u8; MAX_BYTES],
) -> Result<usize, DecodeError> {
    let bytes = input.as_bytes();
    if let Some(index) = bytes.iter().position(|&b| alphabet.digit(b).is_none()) {
        return Err(DecodeError::InvalidChar(index));
    }
    // Each leading zero digit is one leading zero byte.
    let zeros = bytes.iter().take_while(|&&b| b == alphabet.chars[0]).count();
    if zeros > MAX_BYTES {
        return Err(DecodeError::TooLong);
    }
    let mut limbs = [0u64; LIMBS]; // little-endian
    let mut used = 0;
    for chunk in bytes[zeros..].chunks(BIG_DIGITS) {
        let mut carry = 0u64;
        let mut scale = 1u64;
        for &b in chunk {
            carry = carry * 58 + u64::from(alphabet.rev[usize::from(b)]);
            scale *= 58;
        }
        for limb in &mut limbs[..used] {
            let t = u128::from(*limb) * u128::from(scale) + u128::from(carry);
            *limb = t as u64;
            carry = (t >> 64) as u64;
        }
        if carry != 0 {
            if used == LIMBS {
                return Err(DecodeError::TooLong);
            }
            limbs[used] = carry;
            used += 1;
        }
    }
    let mut number = [0u8; MAX_BYTES];
    for (i, limb) in limbs.iter().enumerate() {
        number[MAX_BYTES - 8 * (i + 1)..MAX_BYTES - 8 * i].copy_from_slice(&limb.to_be_bytes());
    }
    let significant = number.iter().position(|&b| b != 0).map_or(0, |i| MAX_BYTES - i);
    let len = zeros + significant;
    if len > MAX_BYTES {
        return Err(DecodeError::TooLong);
    }
    out[..zeros].fill(0);
    out[zeros..len].copy_from_slice(&number[MAX_BYTES - significant..]);
    Ok(len)
}

/// Encodes `data` (at most [`MAX_BYTES`] bytes).
pub(super) fn encode(data: &[u8], alphabet: &Alphabet) -> String {
    assert!(data.len() <= MAX_BYTES, "invariant: addresses are at most {MAX_BYTES} bytes");
    let zeros = data.iter().take_while(|&&b| b == 0).count();
    let mut limbs = [0u64; LIMBS]; // big-endian limbs of the number
    let mut padded = [0u8; MAX_BYTES];
    padded[MAX_BYTES - data.len()..].copy_from_slice(data);
    for (limb, bytes) in limbs.iter_mut().zip(padded.chunks_exact(8)) {
        *limb = u64::from_be_bytes(bytes.try_into().expect("invariant: chunks of 8"));
    }
    // Repeated division by 58^10; digits come out least significant first.
    let mut digits = Vec::with_capacity(data.len() * 138 / 100 + BIG_DIGITS);
    let mut start = limbs.iter().position(|&l| l != 0).unwrap_or(LIMBS);
    while start < LIMBS {
        let mut remainder = 0u128;
        for limb in &mut limbs[start..] {
            let value = (remainder << 64) | u128::from(*limb);
            *limb = (value / u128::from(BIG_BASE)) as u64;
            remainder = value % u128::from(BIG_BASE);
        }
        let mut remainder = remainder as u64;
        for _ in 0..BIG_DIGITS {
            digits.push(alphabet.chars[(remainder % 58) as usize]);
            remainder /= 58;
        }
        while start < LIMBS && limbs[start] == 0 {
            start += 1;
        }
    }
    while digits.last() == Some(&alphabet.chars[0]) {
        digits.pop();
    }
    digits.extend(std::iter::repeat_n(alphabet.chars[0], zeros));
    digits.iter().rev().map(|&c| char::from(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vectors() {
        // From the Bitcoin Core base58 test vectors (base58_encode_decode.json).
        let vectors: [(&str, &str); 12] = [
            ("", ""),
            ("61", "2g"),
            ("626262", "a3gV"),
            ("636363", "aPEr"),
            ("73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"),
            (
                "00eb15231dfceb60925886b67d065299925915aeb172c06647",
                "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
            ),
            ("516b6fcd0f", "ABnLTmg"),
            ("bf4f89001e670274dd", "3SEo3LWLoPntC"),
            ("572e4794", "3EFU7m"),
            ("ecac89cad93923c02321", "EJDM8drfXA6uyA"),
            ("10c8511e", "Rt5zm"),
            ("00000000000000000000", "1111111111"),
        ];
        for (hex, encoded) in vectors {
            let data = alloy_primitives::hex::decode(hex).unwrap();
            assert_eq!(encode(&data, &BITCOIN), encoded);
            let mut out = [0u8; MAX_BYTES];
            let len = decode(encoded, &BITCOIN, &mut out).unwrap();
            assert_eq!(&out[..len], data.as_slice(), "{encoded}");
        }
    }

    #[test]
    fn errors() {
        let mut out = [0u8; MAX_BYTES];
        assert_eq!(decode("1O1", &BITCOIN, &mut out), Err(DecodeError::InvalidChar(1)));
        assert_eq!(decode("é", &BITCOIN, &mut out), Err(DecodeError::InvalidChar(0)));
        assert_eq!(decode(&"z".repeat(88), &BITCOIN, &mut out), Err(DecodeError::TooLong));
        assert_eq!(decode(&"1".repeat(65), &BITCOIN, &mut out), Err(DecodeError::TooLong));
        assert_eq!(decode(&"1".repeat(64), &BITCOIN, &mut out), Ok(64));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn agrees_with_the_bs58_crate(data in prop::collection::vec(any::<u8>(), 0..=MAX_BYTES), zeros in 0usize..4) {
            let mut data = data;
            data.splice(0..0, std::iter::repeat_n(0, zeros.min(MAX_BYTES - data.len())));
            let ours = encode(&data, &BITCOIN);
            prop_assert_eq!(&ours, &bs58::encode(&data).into_string());
            let ripple = encode(&data, &RIPPLE);
            prop_assert_eq!(&ripple, &bs58::encode(&data).with_alphabet(bs58::Alphabet::RIPPLE).into_string());
            let mut out = [0u8; MAX_BYTES];
            let len = decode(&ours, &BITCOIN, &mut out).unwrap();
            prop_assert_eq!(&out[..len], data.as_slice());
        }

        #[test]
        fn decode_agrees_with_the_bs58_crate(input in "[1-9A-HJ-NP-Za-km-z]{0,90}") {
            let mut out = [0u8; MAX_BYTES];
            let mut theirs = [0u8; MAX_BYTES];
            match (decode(&input, &BITCOIN, &mut out), bs58::decode(&input).onto(&mut theirs[..])) {
                (Ok(a), Ok(b)) => prop_assert_eq!(&out[..a], &theirs[..b]),
                (Err(DecodeError::TooLong), Err(_)) => {}
                (ours, theirs) => prop_assert!(false, "{:?} vs {:?}", ours, theirs),
            }
        }
    }
}
