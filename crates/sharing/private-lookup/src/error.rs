//! The crate's error type.

use crate::KeyId;
use chainward_primitives::AddressError;
use std::path::PathBuf;

/// Why a private-lookup step failed.
///
/// [`Error::is_client_error`] tells an HTTP endpoint which errors are the caller's (400) and
/// which are the server's (500).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The string to look up is not an address on any chain.
    #[error("not an address: {0}")]
    Address(#[source] Box<AddressError>),
    /// The address reads as an address on more chains than one lookup has slots for.
    #[error("the address reads as {count} addresses (chains); one lookup holds at most {max}")]
    TooManyReadings {
        /// How many readings the address has.
        count: usize,
        /// Slots per lookup ([`crate::SLOTS_PER_LOOKUP`]).
        max: usize,
    },
    /// An address key whose chain id is unknown to this build.
    #[error("address key with unknown chain id {0}")]
    UnknownChain(u8),
    /// A message field is not valid standard base64.
    #[error("{field}: not valid base64")]
    Base64 {
        /// The field.
        field: &'static str,
    },
    /// A decoded field has the wrong length.
    #[error("{field}: expected {expected} bytes, got {got}")]
    Length {
        /// The field.
        field: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it had.
        got: usize,
    },
    /// A key id is not 16 lower- or upper-case hex digits.
    #[error("key id {0:?} is not 16 hex digits")]
    KeyIdSyntax(String),
    /// A message of a protocol version this build does not speak.
    #[error("protocol version {got} is not supported (this build speaks {supported})")]
    ProtocolVersion {
        /// The version in the message.
        got: u32,
        /// The version this build speaks.
        supported: u32,
    },
    /// A public key names a cipher suite other than ristretto255-SHA512.
    #[error("cipher suite {0:?} is not supported")]
    Suite(String),
    /// An element of a request or response is not a valid ristretto255 group element (or is
    /// the identity).
    #[error("element {index} is not a valid ristretto255 group element")]
    InvalidElement {
        /// Its position in the batch.
        index: usize,
    },
    /// A public key is not a valid group element.
    #[error("the public key is not a valid ristretto255 group element")]
    PublicKey,
    /// A proof's scalars are not canonical.
    #[error("the proof is not two canonical scalars")]
    InvalidProof,
    /// A request names a key this server does not hold (never had, or retired).
    #[error("unknown or retired key id {0}")]
    UnknownKey(KeyId),
    /// Two things that must name the same key do not (request, response, published set,
    /// pinned public key, or a key id that does not match its public key).
    #[error("key id mismatch: expected {expected}, got {got}")]
    KeyMismatch {
        /// The key id that was expected.
        expected: KeyId,
        /// The key id found.
        got: KeyId,
    },
    /// A request with no element.
    #[error("empty batch")]
    EmptyBatch,
    /// A request with more elements than the server evaluates at once.
    #[error("batch of {len} elements exceeds the maximum of {max}")]
    BatchTooLarge {
        /// Elements in the request.
        len: usize,
        /// [`crate::MAX_BATCH_ELEMENTS`].
        max: usize,
    },
    /// A response does not have one element per element of the request.
    #[error("response has {got} elements for {expected} requested")]
    ResponseLength {
        /// Elements requested.
        expected: usize,
        /// Elements in the response.
        got: usize,
    },
    /// The server's proof does not verify against the published public key: the server
    /// evaluated with another key (or the response was altered).
    #[error("the server's proof does not verify against the published key")]
    ProofVerification,
    /// The partner's copy of the published set is older than the server's current one (an
    /// address may have been listed or de-listed since): download it again.
    #[error("published set version {have} is older than the server's current version {latest}")]
    StaleSet {
        /// The version the partner holds.
        have: u64,
        /// The server's current version for that key.
        latest: u64,
    },
    /// A set published for a key must have a higher version than the previous one.
    #[error("set version {version} is not above the last published version {last}")]
    VersionNotIncreasing {
        /// The version asked for.
        version: u64,
        /// The last version published for that key.
        last: u64,
    },
    /// A published set file that is not one, is truncated, corrupt or of another version.
    #[error("published set: {0}")]
    SetFormat(&'static str),
    /// A key file that is not one or is corrupt.
    #[error("key file: {0}")]
    KeyFormat(&'static str),
    /// Reading or writing a key file failed.
    #[error("{path}: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Rng(String),
    /// The OPRF library failed where it cannot for well-formed input (a broken invariant).
    #[error("OPRF failure while {context}: {message}")]
    Oprf {
        /// What was being done.
        context: &'static str,
        /// The library's message.
        message: String,
    },
}

impl Error {
    /// Whether the error is the caller's fault (bad input, wrong key, stale set): an HTTP
    /// endpoint answers 400 (or 404 for [`Error::UnknownKey`]) with the message. The others
    /// (I/O, RNG, OPRF library failures) are the server's: answer 500 and log.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Io { .. } | Self::Rng(_) | Self::Oprf { .. })
    }
}

impl From<AddressError> for Error {
    fn from(error: AddressError) -> Self {
        Self::Address(Box::new(error))
    }
}
