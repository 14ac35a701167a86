//! An ethereum-etl or bitcoin-etl export folder as a [`BlockSource`].
//!
//! Exports do not say which chain they come from, so the caller names it. The whole export is
//! read and joined when the source opens (the readers check every row and name the file, line
//! and field of the first bad one); heights must be consecutive, as the exporters write them.

use crate::source::{BlockSource, SourceError};
use alloy_primitives::B256;
use chainward_chain_bitcoin::etl::BtcEtlExport;
use chainward_chain_ethereum::etl::EthEtlExport;
use chainward_primitives::Chain;
use chainward_primitives::ledger::{Block, Network};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// A folder of exports, read whole.
#[derive(Debug)]
pub struct EtlSource {
    path: PathBuf,
    network: Network,
    blocks: Vec<Block>,
}

impl EtlSource {
    /// Reads an ethereum-etl export of the EVM chain `chain_id`.
    ///
    /// # Errors
    /// A missing required file, or the first malformed row (file, line, field).
    pub fn ethereum(dir: &Path, chain_id: u64) -> Result<Self, SourceError> {
        let blocks = EthEtlExport::open(dir)?.blocks(chain_id)?;
        Self::new(dir, Network::evm(chain_id), blocks)
    }

    /// Reads a bitcoin-etl export of a UTXO chain (Bitcoin, Litecoin, Zcash, …).
    ///
    /// # Errors
    /// A missing required file, or the first malformed row (file, line, field).
    pub fn bitcoin(dir: &Path, chain: Chain) -> Result<Self, SourceError> {
        let blocks = BtcEtlExport::open(dir)?.blocks(chain)?;
        Self::new(dir, Network::chain(chain), blocks)
    }

    fn new(dir: &Path, network: Network, blocks: Vec<Block>) -> Result<Self, SourceError> {
        for pair in blocks.windows(2) {
            if pair[1].block.height != pair[0].block.height + 1 {
                return Err(format!(
                    "{}: the export skips from block {} to {}; export a consecutive range",
                    dir.display(),
                    pair[0].block.height,
                    pair[1].block.height
                )
                .into());
            }
        }
        Ok(Self { path: dir.to_owned(), network, blocks })
    }

    /// The blocks read.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    fn index(&self, height: u64) -> Option<usize> {
        let first = self.blocks.first()?.block.height;
        let index = usize::try_from(height.checked_sub(first)?).ok()?;
        (index < self.blocks.len()).then_some(index)
    }
}

impl BlockSource for EtlSource {
    fn name(&self) -> String {
        format!("etl:{}", self.network)
    }

    fn network(&self) -> Network {
        self.network
    }

    fn first_height(&self) -> u64 {
        self.blocks.first().map_or(0, |b| b.block.height)
    }

    fn tip(&mut self) -> Result<Option<u64>, SourceError> {
        Ok(self.blocks.last().map(|b| b.block.height))
    }

    fn hash_at(&mut self, height: u64) -> Result<Option<B256>, SourceError> {
        Ok(self.index(height).map(|i| self.blocks[i].block.hash))
    }

    fn fetch(&mut self, heights: RangeInclusive<u64>) -> Result<Vec<Block>, SourceError> {
        match (self.index(*heights.start()), self.index(*heights.end())) {
            (Some(start), Some(end)) => Ok(self.blocks[start..=end].to_vec()),
            _ => Err(format!(
                "{}: blocks {heights:?} are not in the export (it holds {}..={})",
                self.path.display(),
                self.first_height(),
                self.blocks.last().map_or(0, |b| b.block.height)
            )
            .into()),
        }
    }
}
