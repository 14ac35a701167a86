//! Where blocks come from.

use alloy_primitives::B256;
use chainward_primitives::ledger::{Block, Network};
use std::ops::RangeInclusive;

/// A source's error, already carrying its own context (file and offset, URL and method).
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A chain as one source sees it: a best chain of blocks by height.
///
/// Sources are read by height so that the engine can compare the source's chain with the
/// stored one block by block and unwind what left it.
pub trait BlockSource {
    /// The checkpoint key, stable across runs (`ethereum-rpc:evm-1`, `bitcoin-blk:bitcoin`).
    fn name(&self) -> String;

    /// The network the blocks belong to.
    fn network(&self) -> Network;

    /// The lowest height the source can give (0 for a node; an export's first block).
    fn first_height(&self) -> u64 {
        0
    }

    /// The highest height of the source's best chain now; `None` when it has no block.
    ///
    /// # Errors
    /// When the source cannot be read.
    fn tip(&mut self) -> Result<Option<u64>, SourceError>;

    /// The hash of the source's block at `height`, `None` when it has none there.
    ///
    /// # Errors
    /// When the source cannot be read.
    fn hash_at(&mut self, height: u64) -> Result<Option<B256>, SourceError>;

    /// The blocks at `heights`, in order, each with its height set.
    ///
    /// # Errors
    /// When the source cannot be read or a block cannot be decoded; the error names the block.
    fn fetch(&mut self, heights: RangeInclusive<u64>) -> Result<Vec<Block>, SourceError>;
}
