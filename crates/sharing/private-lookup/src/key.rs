//! Keys: the server's secret [`ServerKey`], the [`PublicKey`] partners pin, and the [`KeyId`]
//! every message carries.

use crate::input::oprf_input;
use crate::suite::{self, Element, KeyPair, Output, SEED_LEN};
use crate::{Error, b64};
use chainward_primitives::AddressKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

/// Names one OPRF key: the first 8 bytes of
/// `SHA-256("chainward/private-lookup/key-id/v1" ‖ public key)`, written as 16 hex digits.
///
/// Derived from the public key, so anyone holding the public key can check the id, and a new
/// key (rotation) always has a new id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The id of `public_key`.
    fn of(public_key: &Element) -> Self {
        let digest = Sha256::new()
            .chain_update(b"chainward/private-lookup/key-id/v1")
            .chain_update(public_key)
            .finalize();
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        Self(id)
    }

    /// The id's 8 bytes.
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// Rebuilds an id from its bytes.
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let bytes = text.as_bytes();
        if bytes.len() != 16 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(Error::KeyIdSyntax(text.chars().take(40).collect()));
        }
        let mut id = [0; 8];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                .map_err(|_| Error::KeyIdSyntax(text.to_owned()))?;
        }
        Ok(Self(id))
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The server's public key, which partners pin: the VOPRF proofs are checked against it, and a
/// [`crate::PublishedSet`] is bound to it.
///
/// JSON: `{"suite": "ristretto255-SHA512", "key_id": "<16 hex>", "public_key": "<base64>"}`;
/// deserializing checks the suite, that the key is a valid group element and that the key id
/// is the key's.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(try_from = "PublicKeyWire", into = "PublicKeyWire")]
pub struct PublicKey {
    key_id: KeyId,
    bytes: Element,
}

impl PublicKey {
    /// A public key from its 32 bytes (compressed ristretto255).
    ///
    /// # Errors
    /// [`Error::PublicKey`] when the bytes are not a valid element other than the identity.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, Error> {
        if !suite::is_valid_element(&bytes) {
            return Err(Error::PublicKey);
        }
        Ok(Self { key_id: KeyId::of(&bytes), bytes })
    }

    /// The key's id.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The cipher suite, as RFC 9497 names it.
    pub fn suite(&self) -> &'static str {
        suite::SUITE_ID
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeyWire {
    suite: String,
    key_id: KeyId,
    public_key: String,
}

impl From<PublicKey> for PublicKeyWire {
    fn from(key: PublicKey) -> Self {
        Self {
            suite: suite::SUITE_ID.to_owned(),
            key_id: key.key_id,
            public_key: b64::encode(&key.bytes),
        }
    }
}

impl TryFrom<PublicKeyWire> for PublicKey {
    type Error = Error;

    fn try_from(wire: PublicKeyWire) -> Result<Self, Error> {
        if wire.suite != suite::SUITE_ID {
            return Err(Error::Suite(wire.suite.chars().take(40).collect()));
        }
        let key = Self::from_bytes(b64::decode_array("public_key", &wire.public_key)?)?;
        if key.key_id != wire.key_id {
            return Err(Error::KeyMismatch { expected: key.key_id, got: wire.key_id });
        }
        Ok(key)
    }
}

/// The server's OPRF key: a 32-byte seed from which RFC 9497 `DeriveKeyPair` (VOPRF mode,
/// ristretto255-SHA512, info `chainward/private-lookup/key/v1`) derives the key pair.
///
/// The seed is the only secret; [`ServerKey::save`] writes it (mode 0600) and
/// [`ServerKey::load`] re-derives the pair. `Debug` shows the key id only.
pub struct ServerKey {
    seed: [u8; SEED_LEN],
    pair: KeyPair,
    public: PublicKey,
}

/// Magic and version of a key file: `CWOPRFK` + format byte 1, then the 32-byte seed.
const KEY_FILE_MAGIC: &[u8; 8] = b"CWOPRFK\x01";

impl ServerKey {
    /// A new key from the operating system's random number generator.
    ///
    /// # Errors
    /// [`Error::Rng`] when the generator fails.
    pub fn generate() -> Result<Self, Error> {
        Self::from_seed(suite::random_bytes()?)
    }

    /// The key derived from `seed` (deterministic: the same seed gives the same key).
    ///
    /// # Errors
    /// [`Error::Oprf`] only if derivation fails, which RFC 9497 bounds at probability 2^-255.
    pub fn from_seed(seed: [u8; SEED_LEN]) -> Result<Self, Error> {
        let pair = KeyPair::derive(&seed)?;
        let public = PublicKey::from_bytes(pair.public_key())?;
        Ok(Self { seed, pair, public })
    }

    /// The key's id.
    pub fn key_id(&self) -> KeyId {
        self.public.key_id
    }

    /// The public key to publish.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// `F(k, address)`: the OPRF output for `key`, computed directly with the secret key. This
    /// is what goes (truncated) into a [`crate::PublishedSet`], and what a partner obtains for
    /// the same address through blind, evaluate and finalize.
    ///
    /// # Errors
    /// [`Error::UnknownChain`] for a key whose chain this build does not know.
    pub fn output_for(&self, key: &AddressKey) -> Result<[u8; 64], Error> {
        self.evaluate_input(&oprf_input(key)?)
    }

    pub(crate) fn evaluate_input(&self, input: &[u8]) -> Result<Output, Error> {
        self.pair.evaluate(input)
    }

    pub(crate) fn pair(&self) -> &KeyPair {
        &self.pair
    }

    /// The key file's bytes: magic and version, then the seed. Secret: store it like a
    /// private key.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(KEY_FILE_MAGIC.len() + SEED_LEN);
        bytes.extend_from_slice(KEY_FILE_MAGIC);
        bytes.extend_from_slice(&self.seed);
        bytes
    }

    /// Reads a key from [`ServerKey::to_bytes`]'s output.
    ///
    /// # Errors
    /// [`Error::KeyFormat`] for bytes of another length, magic or version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let seed = bytes
            .strip_prefix(KEY_FILE_MAGIC.as_slice())
            .ok_or(Error::KeyFormat("not a Chainward OPRF key file (magic or version)"))?;
        let seed: [u8; SEED_LEN] = seed.try_into().map_err(|_| Error::KeyFormat("wrong length"))?;
        Self::from_seed(seed)
    }

    /// Writes the key file to `path`, readable by its owner only, through a temporary file
    /// renamed into place.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let io = |source| Error::Io { path: path.to_owned(), source };
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = std::path::PathBuf::from(temporary);
        // A leftover temporary file (crash) may have other permissions: start afresh.
        match std::fs::remove_file(&temporary) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(io(error)),
            _ => {}
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(io)?;
        file.write_all(&self.to_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&temporary, path).map_err(io)
    }

    /// Reads the key file at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file, or [`Error::KeyFormat`].
    pub fn load(path: &Path) -> Result<Self, Error> {
        let bytes =
            std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        Self::from_bytes(&bytes)
    }
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKey").field("key_id", &self.key_id()).finish_non_exhaustive()
    }
}

impl Drop for ServerKey {
    fn drop(&mut self) {
        // Best effort without `unsafe` volatile writes: voprf zeroizes its own scalar.
        self.seed.fill(0);
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}
