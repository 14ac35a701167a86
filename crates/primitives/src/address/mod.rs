//! Addresses: parsing, validation and normalization for every [`Chain`].
//!
//! An [`Address`] is always valid: it can only be made by parsing, which checks the encoding's
//! checksum (Base58Check, bech32/bech32m, CashAddr, EIP-55 when mixed case, SS58, StrKey, …).
//! Its normalized *payload* is what identifies it on its chain, whatever the spelling: the
//! legacy and CashAddr forms of one Bitcoin Cash address, or the lower-case and checksummed
//! forms of one EVM address, have the same payload and the same [`AddressKey`].

mod parsers;
mod script;

use crate::Chain;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// What kind of address (script or account type) an [`Address`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AddressKind {
    /// Pay to public-key hash (Base58Check, or CashAddr type 0).
    P2pkh,
    /// Pay to script hash (Base58Check, or CashAddr type 1).
    P2sh,
    /// Segwit v0 key hash (20-byte program).
    P2wpkh,
    /// Segwit v0 script hash (32-byte program).
    P2wsh,
    /// Segwit v1 taproot (32-byte program).
    P2tr,
    /// A segwit program of a version or length with no defined meaning yet.
    WitnessOther,
    /// An account address (EVM, Tron, XRP Ledger, Stellar).
    Account,
    /// A Substrate SS58 account (public key).
    Substrate,
    /// A Cardano Shelley address (payment and optional stake credential).
    CardanoShelley,
    /// A Monero standard address.
    MoneroStandard,
    /// A Monero subaddress.
    MoneroSubaddress,
    /// A Monero integrated address (standard address plus payment id).
    MoneroIntegrated,
}

/// A validated, normalized address on one chain.
///
/// Equality and hashing are over chain, kind and payload: what identifies the address. The
/// canonical spelling is a function of those three, so it adds nothing to identity; addresses
/// built from output scripts (a block decoder makes one per output) compute it on first use of
/// [`Address::canonical`], `Display` or `Serialize`, since most are never printed and a
/// Base58Check spelling costs a double SHA-256 and a base conversion.
#[derive(Clone)]
pub struct Address {
    chain: Chain,
    kind: AddressKind,
    payload: Payload,
    /// The canonical spelling: set by parsers, computed on first use for script addresses.
    canonical: OnceLock<Box<str>>,
}

impl Address {
    /// Builds an address from its parts. Only parsers call this, after validating.
    pub(crate) fn from_parts(
        chain: Chain,
        kind: AddressKind,
        payload: Vec<u8>,
        canonical: String,
    ) -> Self {
        Self {
            chain,
            kind,
            payload: Payload::from_vec(payload),
            canonical: OnceLock::from(canonical.into_boxed_str()),
        }
    }

    /// Builds a Bitcoin-family script address whose canonical spelling is computed when first
    /// asked for, by [`script::canonical_of`]. Only `script` calls this, with the payloads it
    /// builds (`version ‖ hash`, CashAddr `type ‖ hash`, `witness version ‖ program`), given
    /// as the parts to concatenate.
    pub(crate) fn from_parts_lazy(chain: Chain, kind: AddressKind, payload: &[&[u8]]) -> Self {
        Self { chain, kind, payload: Payload::new(payload), canonical: OnceLock::new() }
    }

    /// The EVM address of 20 bytes (canonical EIP-55 spelling).
    pub fn evm(bytes: [u8; 20]) -> Self {
        let checksummed = alloy_primitives::Address::from(bytes).to_checksum(None);
        Self::from_parts(Chain::Evm, AddressKind::Account, bytes.to_vec(), checksummed)
    }

    /// Parses `input` as an address of `chain`.
    ///
    /// Leading and trailing white space is ignored; nothing else is forgiven.
    ///
    /// # Errors
    /// [`AddressError`] names the chain, the formats tried and why each one failed (bad
    /// character, wrong length, checksum mismatch, unknown version byte, …).
    pub fn parse(chain: Chain, input: &str) -> Result<Self, AddressError> {
        parsers::parse_on(chain, input.trim())
    }

    /// Parses `input` on every chain it is valid on, most specific first.
    ///
    /// A string can be valid on several chains: a legacy `1…` address is a Bitcoin, a Bitcoin
    /// Cash and a Bitcoin SV address at once. Screening checks each interpretation.
    ///
    /// # Errors
    /// When no chain accepts it, [`AddressError`] names every format tried and why it failed.
    pub fn parse_any(input: &str) -> Result<Vec<Self>, AddressError> {
        parsers::parse_any(input.trim())
    }

    /// Parses `input` on the chains an asset ticker lives on ([`Chain::for_ticker`]).
    ///
    /// # Errors
    /// When the ticker is unknown, or the address is valid on none of its chains.
    pub fn parse_for_ticker(ticker: &str, input: &str) -> Result<Vec<Self>, AddressError> {
        let chains = Chain::for_ticker(ticker);
        if chains.is_empty() {
            return Err(AddressError::UnknownTicker { ticker: ticker.to_owned() });
        }
        let mut found = Vec::new();
        let mut attempts = Vec::new();
        for &chain in chains {
            match Self::parse(chain, input) {
                Ok(address) => found.push(address),
                Err(AddressError::Invalid { attempts: tried, .. }) => attempts.extend(tried),
                Err(other) => return Err(other),
            }
        }
        if found.is_empty() {
            Err(AddressError::Invalid { input: input.trim().to_owned(), attempts })
        } else {
            Ok(found)
        }
    }

    /// The chain this address is on.
    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// The address's kind.
    pub fn kind(&self) -> AddressKind {
        self.kind
    }

    /// The normalized payload: what identifies the address on its chain (version byte and
    /// hash, witness version and program, public key, …), independent of spelling.
    pub fn payload(&self) -> &[u8] {
        self.payload.as_slice()
    }

    /// The one canonical spelling: EIP-55 for EVM, `bitcoincash:` CashAddr for Bitcoin Cash,
    /// lower-case bech32, and the chain's own encoding otherwise.
    pub fn canonical(&self) -> &str {
        self.canonical
            .get_or_init(|| script::canonical_of(self.chain, self.kind, self.payload()).into())
    }

    /// The fixed-size lookup key of this address.
    pub fn key(&self) -> AddressKey {
        AddressKey::new(self.chain, self.payload())
    }
}

/// An address's payload bytes: inline up to [`Payload::INLINE`] bytes (every address an output
/// script has: `version ‖ hash`, `witness version ‖ 32-byte program`), so a block decoder
/// allocates nothing per output for it; longer payloads (Monero, Cardano, long witness
/// programs) on the heap.
#[derive(Clone)]
enum Payload {
    Inline { len: u8, bytes: [u8; Self::INLINE] },
    Heap(Box<[u8]>),
}

impl Payload {
    /// The longest payload kept inline: a version byte and a 32-byte hash or program with
    /// room to spare, and with the length and the tag, 40 bytes.
    const INLINE: usize = 38;

    /// The concatenation of `parts`.
    fn new(parts: &[&[u8]]) -> Self {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        if len > Self::INLINE {
            return Self::Heap(parts.concat().into());
        }
        let mut bytes = [0; Self::INLINE];
        let mut at = 0;
        for part in parts {
            bytes[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        Self::Inline { len: len as u8, bytes }
    }

    fn from_vec(payload: Vec<u8>) -> Self {
        if payload.len() > Self::INLINE {
            Self::Heap(payload.into())
        } else {
            Self::new(&[&payload])
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Self::Heap(bytes) => bytes,
        }
    }
}

impl PartialEq for Address {
    fn eq(&self, other: &Self) -> bool {
        self.chain == other.chain && self.kind == other.kind && self.payload() == other.payload()
    }
}

impl Eq for Address {}

impl Hash for Address {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.chain.hash(state);
        self.kind.hash(state);
        self.payload().hash(state);
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("chain", &self.chain)
            .field("kind", &self.kind)
            .field("payload", &self.payload())
            .field("canonical", &self.canonical())
            .finish()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical())
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.canonical())
    }
}

/// A fixed-size, hashable identity of an address: `[chain id, payload length, payload…]`,
/// with payloads longer than [`AddressKey::INLINE`] bytes replaced by their SHA-256 (marked by
/// length byte `0xff`). Equal keys mean the same address on the same chain.
///
/// The layout is persisted in the store: changing it is a store format change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressKey([u8; 32]);

impl AddressKey {
    /// Payload bytes kept inline; longer payloads are hashed.
    pub const INLINE: usize = 30;

    /// The key for `payload` on `chain`.
    pub fn new(chain: Chain, payload: &[u8]) -> Self {
        let mut key = [0u8; 32];
        key[0] = chain.id();
        if payload.len() <= Self::INLINE {
            key[1] = payload.len() as u8;
            key[2..2 + payload.len()].copy_from_slice(payload);
        } else {
            key[1] = 0xff;
            key[2..].copy_from_slice(&Sha256::digest(payload)[..Self::INLINE]);
        }
        Self(key)
    }

    /// The key's bytes, as stored.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Rebuilds a key from stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The chain encoded in the key, if its id is known.
    pub fn chain(&self) -> Option<Chain> {
        Chain::from_id(self.0[0])
    }
}

/// One way of reading an address that was tried and failed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Attempt {
    /// The chain tried.
    pub chain: Chain,
    /// The encoding tried (`Base58Check`, `bech32`, `CashAddr`, `hex (EIP-55)`, …).
    pub format: &'static str,
    /// Why it failed, in words a compliance officer understands.
    pub reason: String,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.chain.display_name(), self.format, self.reason)
    }
}

/// Why a string is not a valid address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The input is empty or only white space.
    #[error("empty address")]
    Empty,
    /// No format accepted the input; `attempts` says what each one objected to.
    #[error("'{input}' is not a valid address: {}", format_attempts(attempts))]
    Invalid {
        /// The input, trimmed.
        input: String,
        /// Every format tried, with its reason. Empty when the input matched no format's shape.
        attempts: Vec<Attempt>,
    },
    /// An asset ticker with no known chain.
    #[error("unknown currency ticker '{ticker}'")]
    UnknownTicker {
        /// The ticker as given.
        ticker: String,
    },
}

fn format_attempts(attempts: &[Attempt]) -> String {
    if attempts.is_empty() {
        return format!(
            "it matches the shape of no known format (tried: {})",
            Chain::ALL.map(Chain::display_name).join(", ")
        );
    }
    attempts.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn short_payloads_are_inline_and_long_ones_hashed() {
        let short = AddressKey::new(Chain::Evm, &[7u8; 20]);
        assert_eq!(short.as_bytes()[0], Chain::Evm.id());
        assert_eq!(short.as_bytes()[1], 20);
        assert_eq!(&short.as_bytes()[2..22], &[7u8; 20]);
        assert_eq!(&short.as_bytes()[22..], &[0u8; 10]);
        let long = AddressKey::new(Chain::Monero, &[1u8; 69]);
        assert_eq!(long.as_bytes()[1], 0xff);
        assert_ne!(long, AddressKey::new(Chain::Monero, &[2u8; 69]));
        assert_ne!(short, AddressKey::new(Chain::Tron, &[7u8; 20]));
        assert_eq!(long.chain(), Some(Chain::Monero));
    }
}

#[cfg(test)]
mod evm_constructor_tests {
    use super::*;

    #[test]
    fn evm_from_bytes_equals_the_parsed_address() {
        let parsed =
            Address::parse(Chain::Evm, "0x098b716b8aaf21512996dc57eb0615e2383e2f96").unwrap();
        let bytes: [u8; 20] = parsed.payload().try_into().unwrap();
        let built = Address::evm(bytes);
        assert_eq!(built, parsed);
        assert_eq!(built.canonical(), "0x098B716B8Aaf21512996dC57EB0615e2383E2f96");
    }
}
