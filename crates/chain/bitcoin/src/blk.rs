//! Bitcoin Core's `blocks/blk*.dat` files: records of `[4-byte network magic][u32 LE size]
//! [block]`, in the order the node received the blocks (not height order).
//!
//! Between records there may be junk or zero padding (Bitcoin Core pre-allocates files in
//! zeroed chunks); [`BlkReader`] resynchronises by scanning for the next known magic. Since
//! Bitcoin Core 28 the files are XORed with the 8-byte key in `blocks/xor.dat`:
//! [`deobfuscate`] undoes it, and [`BlkDir`] does so while reading a directory.

use crate::{DecodeError, decode_block};
use chainward_primitives::Chain;
use chainward_primitives::ledger::Block;
use std::path::{Path, PathBuf};

/// The network a record's magic belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Network {
    /// Mainnet, magic `f9beb4d9`.
    Mainnet,
    /// Testnet3, magic `0b110907`.
    Testnet3,
    /// Testnet4, magic `1c163f28`.
    Testnet4,
    /// Signet (default), magic `0a03cf40`.
    Signet,
    /// Regtest, magic `fabfb5da`.
    Regtest,
}

const MAGICS: [([u8; 4], Network); 5] = [
    ([0xf9, 0xbe, 0xb4, 0xd9], Network::Mainnet),
    ([0x0b, 0x11, 0x09, 0x07], Network::Testnet3),
    ([0x1c, 0x16, 0x3f, 0x28], Network::Testnet4),
    ([0x0a, 0x03, 0xcf, 0x40], Network::Signet),
    ([0xfa, 0xbf, 0xb5, 0xda], Network::Regtest),
];

impl Network {
    /// The network whose magic `bytes` is.
    pub fn from_magic(bytes: [u8; 4]) -> Option<Self> {
        MAGICS.iter().find(|(magic, _)| *magic == bytes).map(|&(_, network)| network)
    }

    /// The network's magic, as it appears in the file.
    pub fn magic(self) -> [u8; 4] {
        MAGICS.iter().find(|(_, n)| *n == self).map_or([0; 4], |&(magic, _)| magic)
    }

    /// The Chainward chain of the network's addresses.
    pub fn chain(self) -> Chain {
        if self == Self::Mainnet { Chain::Bitcoin } else { Chain::BitcoinTestnet }
    }
}

/// One record of a `blk*.dat` buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlkRecord<'a> {
    /// Byte offset of the record's magic in the buffer (plus the reader's base offset).
    pub offset: u64,
    /// The network of its magic.
    pub network: Network,
    /// The serialized block.
    pub raw: &'a [u8],
}

impl BlkRecord<'_> {
    /// Decodes the block as a block of its network's chain (height from BIP-34 when present).
    ///
    /// # Errors
    /// [`DecodeError::AtOffset`] with what is wrong with the block.
    pub fn decode(&self) -> Result<Block, DecodeError> {
        decode_block(self.network.chain(), self.raw, None)
            .map_err(|e| DecodeError::AtOffset { offset: self.offset, source: Box::new(e) })
    }
}

/// Iterates the records of a `blk*.dat` buffer in file order.
///
/// Junk between records is skipped up to the next known magic; trailing junk or padding ends
/// the iteration. A record whose size runs past the end yields [`DecodeError::Truncated`] and
/// ends it.
#[derive(Clone, Debug)]
pub struct BlkReader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
    done: bool,
}

impl<'a> BlkReader<'a> {
    /// A reader over a whole file's bytes (deobfuscated).
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_base_offset(buf, 0)
    }

    /// A reader over bytes that start at `base` in their file (offsets are reported from it).
    pub fn with_base_offset(buf: &'a [u8], base: u64) -> Self {
        Self { buf, pos: 0, base, done: false }
    }

    /// Decodes every block, in file order, with its record's offset.
    pub fn blocks(self) -> impl Iterator<Item = Result<(u64, Block), DecodeError>> + 'a {
        self.map(|record| record.and_then(|r| r.decode().map(|block| (r.offset, block))))
    }

    fn offset(&self, pos: usize) -> u64 {
        self.base.saturating_add(pos as u64)
    }

    /// The position of the next known magic at or after `from`.
    fn find_magic(&self, from: usize) -> Option<(usize, Network)> {
        let rest = self.buf.get(from..)?;
        rest.windows(4).enumerate().find_map(|(i, w)| {
            Network::from_magic([w[0], w[1], w[2], w[3]]).map(|network| (from + i, network))
        })
    }
}

impl<'a> Iterator for BlkReader<'a> {
    type Item = Result<BlkRecord<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let Some((start, network)) = self.find_magic(self.pos) else {
            self.done = true;
            return None;
        };
        let available = self.buf.len() - start;
        let size = self
            .buf
            .get(start + 4..start + 8)
            .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        let needed = size.map_or(8, |size| 8 + size);
        let end = usize::try_from(needed).ok().and_then(|n| start.checked_add(n));
        match end.filter(|&end| end <= self.buf.len()) {
            Some(end) => {
                self.pos = end;
                Some(Ok(BlkRecord {
                    offset: self.offset(start),
                    network,
                    raw: &self.buf[start + 8..end],
                }))
            }
            None => {
                self.done = true;
                Some(Err(DecodeError::Truncated {
                    offset: self.offset(start),
                    needed,
                    available: available as u64,
                }))
            }
        }
    }
}

/// Undoes (or applies: XOR is its own inverse) Bitcoin Core's block-file obfuscation on `buf`,
/// which starts at byte `file_offset` of its file: byte `i` of the file is XORed with
/// `key[i % 8]`.
pub fn deobfuscate(buf: &mut [u8], key: [u8; 8], file_offset: u64) {
    if key == [0; 8] {
        return;
    }
    let shift = (file_offset % 8) as usize;
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(shift + i) % 8];
    }
}

/// A Bitcoin Core `blocks/` directory: its XOR key and its `blk?????.dat` files in name order.
#[derive(Clone, Debug)]
pub struct BlkDir {
    key: [u8; 8],
    files: Vec<PathBuf>,
}

impl BlkDir {
    /// Lists `dir`'s block files and reads `xor.dat` if present (no key otherwise).
    ///
    /// # Errors
    /// [`DecodeError::File`] when the directory cannot be listed or `xor.dat` is not 8 bytes.
    pub fn open(dir: &Path) -> Result<Self, DecodeError> {
        let file_error = |path: &Path, what: String| DecodeError::File {
            path: path.display().to_string(),
            what,
        };
        let xor = dir.join("xor.dat");
        let key = match std::fs::read(&xor) {
            Ok(bytes) => <[u8; 8]>::try_from(bytes.as_slice()).map_err(|_| {
                file_error(&xor, format!("is {} bytes, expected an 8-byte key", bytes.len()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => [0; 8],
            Err(e) => return Err(file_error(&xor, e.to_string())),
        };
        let entries = std::fs::read_dir(dir).map_err(|e| file_error(dir, e.to_string()))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| file_error(dir, e.to_string()))?;
            let name = entry.file_name();
            if name.to_str().is_some_and(is_blk_name) {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(Self { key, files })
    }

    /// The XOR key (all zero when the files are not obfuscated).
    pub fn key(&self) -> [u8; 8] {
        self.key
    }

    /// The `blk?????.dat` files, in name order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Reads one file and deobfuscates it (only when the key is not zero).
    ///
    /// # Errors
    /// [`DecodeError::File`] when it cannot be read.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, DecodeError> {
        let mut bytes = std::fs::read(path).map_err(|e| DecodeError::File {
            path: path.display().to_string(),
            what: e.to_string(),
        })?;
        deobfuscate(&mut bytes, self.key, 0);
        Ok(bytes)
    }

    /// Decodes every block of every file in order, calling `f` with the file, the record's
    /// offset and the block (or the error of that record, naming the file).
    ///
    /// # Errors
    /// When a file cannot be read.
    pub fn for_each_block(
        &self,
        mut f: impl FnMut(&Path, Result<(u64, Block), DecodeError>),
    ) -> Result<(), DecodeError> {
        for path in &self.files {
            let bytes = self.read(path)?;
            for item in BlkReader::new(&bytes).blocks() {
                let item = item.map_err(|e| DecodeError::File {
                    path: path.display().to_string(),
                    what: e.to_string(),
                });
                f(path, item);
            }
        }
        Ok(())
    }
}

/// Whether `name` is `blk` + 5 digits + `.dat`.
fn is_blk_name(name: &str) -> bool {
    name.len() == 12
        && name.starts_with("blk")
        && name.ends_with(".dat")
        && name.as_bytes()[3..8].iter().all(|b| b.is_ascii_digit())
}
