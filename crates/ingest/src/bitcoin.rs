//! Bitcoin Core's `blocks/` directory as a [`BlockSource`].
//!
//! `blk*.dat` files hold blocks in the order the node downloaded them, not by height, and hold
//! stale blocks too. Like Bitcoin Core's own block index, [`BlkDirSource::open`] first reads
//! every header (80 bytes per record: cheap), checks each header's proof of work, links headers
//! by parent hash, and picks the best chain: the tip with the most cumulative work whose
//! ancestry reaches a block of known height (the genesis block, or a block whose coinbase
//! states its height, BIP-34). Heights follow from that chain; only its blocks are decoded.
//! A block whose parent is missing and whose height is unknown cannot be placed: it is counted
//! in [`BlkScan::unplaced`] and left out.

use crate::source::{BlockSource, SourceError};
use alloy_primitives::B256;
use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use chainward_chain_bitcoin::blk::{BlkDir, BlkReader};
use chainward_chain_bitcoin::decode_block;
use chainward_primitives::Chain;
use chainward_primitives::ledger::{Block, Network};
use serde::Serialize;
use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// Where a block's bytes are.
#[derive(Clone, Copy, Debug)]
struct Location {
    file: usize,
    /// Offset of the serialized block (after magic and size) in the deobfuscated file.
    start: usize,
    len: usize,
}

#[derive(Clone, Debug)]
struct IndexedHeader {
    prev: B256,
    work: bitcoin::Work,
    location: Location,
}

/// What the header scan found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BlkScan {
    /// Files read.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Block records found (distinct blocks).
    pub records: u64,
    /// Blocks on the best chain.
    pub best_chain: u64,
    /// Blocks off the best chain (stale forks).
    pub stale: u64,
    /// Blocks that could not be placed (parent missing, height unknown).
    pub unplaced: u64,
    /// Records skipped as damaged (bad header, proof of work, truncated), with where.
    pub damaged: Vec<String>,
}

/// A `blocks/` directory (or any directory of `blk?????.dat` files) as a source.
#[derive(Debug)]
pub struct BlkDirSource {
    dir: BlkDir,
    path: PathBuf,
    chain: Chain,
    /// The best chain's blocks by height, from `base_height`.
    best: Vec<(B256, Location)>,
    base_height: u64,
    scan: BlkScan,
    cached_file: Option<(usize, Vec<u8>)>,
}

fn display_hash(hash: bitcoin::BlockHash) -> B256 {
    let mut bytes = hash.to_byte_array();
    bytes.reverse();
    B256::from(bytes)
}

impl BlkDirSource {
    /// Scans `dir`'s headers and picks the best chain.
    ///
    /// # Errors
    /// When the directory or a file cannot be read, when the files mix networks, or when no
    /// block can be placed at a height.
    pub fn open(dir: &Path) -> Result<Self, SourceError> {
        let blk = BlkDir::open(dir)?;
        let mut scan = BlkScan { files: blk.files().len(), ..BlkScan::default() };
        let mut headers: HashMap<B256, IndexedHeader> = HashMap::new();
        let mut order: Vec<B256> = Vec::new();
        let mut network = None;
        for (file_index, file) in blk.files().iter().enumerate() {
            let bytes = blk.read(file)?;
            scan.bytes += bytes.len() as u64;
            for record in BlkReader::new(&bytes) {
                let record = match record {
                    Ok(record) => record,
                    Err(e) => {
                        scan.damaged.push(format!("{}: {e}", file.display()));
                        continue;
                    }
                };
                match network {
                    None => network = Some(record.network),
                    Some(seen) if seen != record.network => {
                        return Err(format!(
                            "{}: block at byte {} is a {:?} block, but earlier files hold {:?} \
                             blocks; one directory must hold one network",
                            file.display(),
                            record.offset,
                            record.network,
                            seen
                        )
                        .into());
                    }
                    Some(_) => {}
                }
                let header: Header =
                    match record.raw.get(..80).map(bitcoin::consensus::deserialize::<Header>) {
                        Some(Ok(header)) => header,
                        _ => {
                            scan.damaged.push(format!(
                                "{}: record at byte {}: not a block header",
                                file.display(),
                                record.offset
                            ));
                            continue;
                        }
                    };
                if header.validate_pow(header.target()).is_err() {
                    scan.damaged.push(format!(
                        "{}: record at byte {}: block {} fails its proof of work",
                        file.display(),
                        record.offset,
                        header.block_hash()
                    ));
                    continue;
                }
                let hash = display_hash(header.block_hash());
                let start = (record.offset + 8) as usize;
                let location = Location { file: file_index, start, len: record.raw.len() };
                if headers
                    .insert(
                        hash,
                        IndexedHeader {
                            prev: display_hash(header.prev_blockhash),
                            work: header.work(),
                            location,
                        },
                    )
                    .is_none()
                {
                    order.push(hash);
                }
            }
        }
        scan.records = order.len() as u64;
        let network = network.ok_or_else(|| format!("{}: no block found", dir.display()))?;
        let chain = network.chain();
        let mut source = Self {
            dir: blk,
            path: dir.to_owned(),
            chain,
            best: Vec::new(),
            base_height: 0,
            scan,
            cached_file: None,
        };
        source.pick_best_chain(&headers, &order)?;
        Ok(source)
    }

    /// What the header scan found.
    pub fn scan(&self) -> &BlkScan {
        &self.scan
    }

    fn pick_best_chain(
        &mut self,
        headers: &HashMap<B256, IndexedHeader>,
        order: &[B256],
    ) -> Result<(), SourceError> {
        // Cumulative work and height per block, resolved iteratively (chains are long: no
        // recursion).
        let mut resolved: HashMap<B256, Option<(bitcoin::Work, u64)>> = HashMap::new();
        for &start in order {
            let mut path = Vec::new();
            let mut cursor = start;
            let base = loop {
                if let Some(done) = resolved.get(&cursor) {
                    break *done;
                }
                let header = &headers[&cursor];
                path.push(cursor);
                if header.prev == B256::ZERO {
                    break Some((bitcoin::Work::from_be_bytes([0; 32]), u64::MAX));
                }
                match headers.get(&header.prev) {
                    Some(_) => cursor = header.prev,
                    None => {
                        // A root whose parent is not here: its height only from BIP-34.
                        let height = self.bip34_height(header.location);
                        break height
                            .map(|h| (bitcoin::Work::from_be_bytes([0; 32]), h.wrapping_sub(1)));
                    }
                }
            };
            let mut state = base;
            for &hash in path.iter().rev() {
                state = state
                    .map(|(work, height)| (work + headers[&hash].work, height.wrapping_add(1)));
                resolved.insert(hash, state);
            }
        }
        let mut best: Option<(B256, bitcoin::Work, u64)> = None;
        for &hash in order {
            if let Some(Some((work, height))) = resolved.get(&hash)
                && best.as_ref().is_none_or(|(_, best_work, _)| work > best_work)
            {
                best = Some((hash, *work, *height));
            }
        }
        let Some((tip, _, tip_height)) = best else {
            return Err(format!(
                "{}: no block can be placed at a height (no genesis block, and no block whose \
                 parent is missing states its height)",
                self.path.display()
            )
            .into());
        };
        let mut chain = Vec::new();
        let mut cursor = tip;
        while let Some(header) = headers.get(&cursor) {
            chain.push((cursor, header.location));
            if chain.len() as u64 > tip_height {
                break;
            }
            cursor = header.prev;
        }
        chain.reverse();
        self.base_height = tip_height + 1 - chain.len() as u64;
        self.best = chain;
        self.scan.best_chain = self.best.len() as u64;
        self.scan.unplaced = resolved.values().filter(|state| state.is_none()).count() as u64;
        self.scan.stale = self.scan.records - self.scan.best_chain - self.scan.unplaced;
        Ok(())
    }

    fn bip34_height(&mut self, location: Location) -> Option<u64> {
        let raw = self.block_bytes(location).ok()?;
        decode_block(self.chain, &raw, None).ok().map(|b| b.block.height).filter(|&h| h != u64::MAX)
    }

    fn block_bytes(&mut self, location: Location) -> Result<Vec<u8>, SourceError> {
        if self.cached_file.as_ref().is_none_or(|(index, _)| *index != location.file) {
            let path = &self.dir.files()[location.file];
            self.cached_file = Some((location.file, self.dir.read(path)?));
        }
        let (_, bytes) = self.cached_file.as_ref().ok_or("file cache")?;
        Ok(bytes
            .get(location.start..location.start + location.len)
            .ok_or_else(|| format!("block bytes at {} moved: the file changed", location.start))?
            .to_vec())
    }
}

impl BlockSource for BlkDirSource {
    fn name(&self) -> String {
        format!("bitcoin-blk:{}", self.chain.as_str())
    }

    fn network(&self) -> Network {
        Network::chain(self.chain)
    }

    fn first_height(&self) -> u64 {
        self.base_height
    }

    fn tip(&mut self) -> Result<Option<u64>, SourceError> {
        Ok((!self.best.is_empty()).then(|| self.base_height + self.best.len() as u64 - 1))
    }

    fn hash_at(&mut self, height: u64) -> Result<Option<B256>, SourceError> {
        Ok(height
            .checked_sub(self.base_height)
            .and_then(|i| self.best.get(i as usize))
            .map(|(hash, _)| *hash))
    }

    fn fetch(&mut self, heights: RangeInclusive<u64>) -> Result<Vec<Block>, SourceError> {
        let mut blocks = Vec::new();
        for height in heights {
            let (hash, location) = height
                .checked_sub(self.base_height)
                .and_then(|i| self.best.get(i as usize))
                .copied()
                .ok_or_else(|| format!("no block at height {height} in {}", self.path.display()))?;
            let raw = self.block_bytes(location)?;
            let file = self.dir.files()[location.file].display().to_string();
            let block = decode_block(self.chain, &raw, Some(height)).map_err(|e| {
                format!("{file}: block {hash} (height {height}) at byte {}: {e}", location.start)
            })?;
            blocks.push(block);
        }
        Ok(blocks)
    }
}
