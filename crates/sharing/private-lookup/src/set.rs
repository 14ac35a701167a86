//! The published set: the watchlist as truncated OPRF outputs, which partners download and test
//! locally after an online evaluation.

use crate::input::oprf_input;
use crate::suite::Element;
use crate::{Error, KeyId, PublicKey, ServerKey};
use chainward_primitives::AddressKey;
use sha2::{Digest, Sha256};
use std::fmt;

/// Bytes of each OPRF output kept in a set unless asked otherwise: 128 bits, so a lookup of an
/// unlisted address is reported listed with probability `n / 2^128` for a set of `n` entries.
pub const DEFAULT_TAG_LEN: usize = 16;
/// The shortest tag a set may use (false-positive rate `n / 2^64`).
pub const MIN_TAG_LEN: usize = 8;
/// The longest tag a set may use.
pub const MAX_TAG_LEN: usize = 32;

/// Magic `CWPLSET` and format byte 1 (ristretto255-SHA512 outputs).
const MAGIC: &[u8; 8] = b"CWPLSET\x01";
/// Magic, tag length, 7 reserved zero bytes, key id, public key, version, count.
const HEADER_LEN: usize = 8 + 1 + 7 + 8 + 32 + 8 + 8;
const CHECKSUM_LEN: usize = 32;

/// A versioned snapshot of the watchlist as seen through the OPRF: the set of
/// `F(k, address)[..tag_len]` for every listed address, sorted, without duplicates, bound to
/// the key it was computed with.
///
/// Without the key nobody can compute `F`, so the set says nothing about which addresses it
/// holds; a partner tests one address by obtaining `F(k, address)` from the server through a
/// blinded request ([`crate::Client`]). Membership is exact except for tag collisions: an
/// unlisted address tests positive with probability `len / 2^(8·tag_len)` (about 3·10^-33 for
/// a million entries at the default 16 bytes); a listed address always tests positive.
///
/// File format (version 1, [`PublishedSet::to_bytes`]): magic `CWPLSET\x01`, tag length (u8),
/// 7 zero bytes, key id (8), public key (32), version (u64 LE), count (u64 LE), the tags
/// (count × tag length, ascending), then SHA-256 of everything before it.
#[derive(Clone, PartialEq, Eq)]
pub struct PublishedSet {
    public_key: PublicKey,
    version: u64,
    tag_len: usize,
    /// `count × tag_len` bytes, ascending by tag, no duplicates.
    tags: Vec<u8>,
}

impl PublishedSet {
    /// Computes the set of `keys` under `server_key`, as snapshot `version`, keeping `tag_len`
    /// bytes of each output.
    ///
    /// # Errors
    /// [`Error::SetFormat`] for a tag length outside [`MIN_TAG_LEN`]..=[`MAX_TAG_LEN`], and
    /// [`Error::UnknownChain`] for a key of a chain this build does not know.
    pub fn build(
        server_key: &ServerKey,
        keys: impl IntoIterator<Item = AddressKey>,
        version: u64,
        tag_len: usize,
    ) -> Result<Self, Error> {
        check_tag_len(tag_len)?;
        let mut outputs = Vec::new();
        for key in keys {
            let output = server_key.evaluate_input(&oprf_input(&key)?)?;
            outputs.push(<[u8; MAX_TAG_LEN]>::try_from(&output[..MAX_TAG_LEN]).expect("32 <= 64"));
        }
        outputs.iter_mut().for_each(|tag| tag[tag_len..].fill(0));
        outputs.sort_unstable();
        outputs.dedup();
        let mut tags = Vec::with_capacity(outputs.len() * tag_len);
        outputs.iter().for_each(|tag| tags.extend_from_slice(&tag[..tag_len]));
        Ok(Self { public_key: server_key.public_key(), version, tag_len, tags })
    }

    /// The key the outputs were computed with.
    pub fn key_id(&self) -> KeyId {
        self.public_key.key_id()
    }

    /// The public key the outputs were computed with; a partner checks it against the key it
    /// pinned.
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// The snapshot's version (increases with every publication under one key).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Entries in the set.
    pub fn len(&self) -> usize {
        self.tags.len() / self.tag_len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// Bytes of each output kept.
    pub fn tag_len(&self) -> usize {
        self.tag_len
    }

    /// The probability that one reading of an unlisted address tests positive:
    /// `len / 2^(8·tag_len)`.
    pub fn false_positive_rate(&self) -> f64 {
        self.len() as f64 / 2f64.powi(8 * self.tag_len as i32)
    }

    /// Whether the OPRF output `output` (64 bytes, as finalized) is in the set.
    pub fn contains_output(&self, output: &[u8; 64]) -> bool {
        let tag = &output[..self.tag_len];
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            let at = &self.tags[middle * self.tag_len..(middle + 1) * self.tag_len];
            match at.cmp(tag) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    /// The set's file bytes (format above).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_LEN + self.tags.len() + CHECKSUM_LEN);
        bytes.extend_from_slice(MAGIC);
        bytes.push(self.tag_len as u8);
        bytes.extend_from_slice(&[0; 7]);
        bytes.extend_from_slice(self.key_id().as_bytes());
        bytes.extend_from_slice(self.public_key.as_bytes());
        bytes.extend_from_slice(&self.version.to_le_bytes());
        bytes.extend_from_slice(&(self.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&self.tags);
        let checksum = Sha256::digest(&bytes);
        bytes.extend_from_slice(&checksum);
        bytes
    }

    /// Reads a set from [`PublishedSet::to_bytes`]'s output.
    ///
    /// # Errors
    /// [`Error::SetFormat`] for another magic or format version, a bad tag length, a length
    /// that disagrees with the count, a checksum mismatch or unsorted tags;
    /// [`Error::PublicKey`] or [`Error::KeyMismatch`] for a bad key or key id.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
            return Err(Error::SetFormat("truncated header"));
        }
        if bytes[..7] != MAGIC[..7] {
            return Err(Error::SetFormat("not a Chainward published set (magic)"));
        }
        if bytes[7] != MAGIC[7] {
            return Err(Error::SetFormat("unsupported format version"));
        }
        let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if Sha256::digest(body)[..] != *checksum {
            return Err(Error::SetFormat("checksum mismatch (corrupt or truncated)"));
        }
        let tag_len = usize::from(body[8]);
        check_tag_len(tag_len)?;
        if body[9..16].iter().any(|&byte| byte != 0) {
            return Err(Error::SetFormat("reserved header bytes are not zero"));
        }
        let key_id = KeyId::from_bytes(body[16..24].try_into().expect("8 bytes"));
        let public_key: Element = body[24..56].try_into().expect("32 bytes");
        let public_key = PublicKey::from_bytes(public_key)?;
        if public_key.key_id() != key_id {
            return Err(Error::KeyMismatch { expected: public_key.key_id(), got: key_id });
        }
        let version = u64::from_le_bytes(body[56..64].try_into().expect("8 bytes"));
        let count = u64::from_le_bytes(body[64..72].try_into().expect("8 bytes"));
        let tags = &body[HEADER_LEN..];
        let expected = usize::try_from(count).ok().and_then(|count| count.checked_mul(tag_len));
        if expected != Some(tags.len()) {
            return Err(Error::SetFormat("entry count does not match the length"));
        }
        let mut previous: Option<&[u8]> = None;
        for tag in tags.chunks_exact(tag_len) {
            if previous.is_some_and(|previous| previous >= tag) {
                return Err(Error::SetFormat("entries are not strictly ascending"));
            }
            previous = Some(tag);
        }
        Ok(Self { public_key, version, tag_len, tags: tags.to_vec() })
    }
}

fn check_tag_len(tag_len: usize) -> Result<(), Error> {
    if (MIN_TAG_LEN..=MAX_TAG_LEN).contains(&tag_len) {
        Ok(())
    } else {
        Err(Error::SetFormat("tag length outside 8..=32 bytes"))
    }
}

impl fmt::Debug for PublishedSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishedSet")
            .field("key_id", &self.key_id())
            .field("version", &self.version)
            .field("len", &self.len())
            .field("tag_len", &self.tag_len)
            .finish()
    }
}
