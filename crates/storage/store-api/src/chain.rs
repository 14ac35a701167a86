//! The chain part of the store: blocks, transactions and value movements per network, written in
//! batches that each carry the source's checkpoint.
//!
//! The contract that makes ingest resumable and reorg-safe lives here, not in the engine:
//! [`ChainStore::apply`] unwinds, inserts and moves the checkpoint in **one transaction**. A
//! process killed at any point leaves either the whole batch or none of it, and the checkpoint
//! always names the last block actually stored, so a restart resumes exactly there.

use crate::StoreError;
use alloy_primitives::B256;
use chainward_primitives::ledger::{Block, BlockRef, Network, Transaction};
use serde::Serialize;

/// Where one source stands: the last block it stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    /// The source's name, e.g. `ethereum-rpc:evm-1`, `bitcoin-blk:/data/blocks`.
    pub source: String,
    /// The network it writes.
    pub network: Network,
    /// The last stored block.
    pub block: BlockRef,
    /// When it was written (RFC 3339, UTC).
    pub updated_at: String,
}

/// One atomic step of an ingest.
#[derive(Debug)]
pub struct ChainBatch<'a> {
    /// The source's name (its checkpoint key).
    pub source: &'a str,
    /// The network written.
    pub network: Network,
    /// Remove every stored block of `network` at this height and above first (a reorg: those
    /// blocks left the best chain). `None`: nothing is removed.
    pub unwind_from: Option<u64>,
    /// Blocks of consecutive heights, each the child of the one before; the first is the child
    /// of the stored block below it (if any). May be empty for a pure unwind.
    pub blocks: &'a [Block],
    /// When this batch is written (RFC 3339, UTC); stored with the checkpoint.
    pub written_at: &'a str,
}

/// What one [`ChainStore::apply`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApplyOutcome {
    /// Blocks removed by the unwind.
    pub unwound_blocks: u64,
    /// Blocks inserted.
    pub blocks: u64,
    /// Transactions inserted.
    pub transactions: u64,
    /// Account transfers inserted.
    pub transfers: u64,
    /// UTXO outputs inserted.
    pub outputs: u64,
    /// UTXO inputs inserted.
    pub inputs: u64,
    /// Inputs whose spent output was found in the store (address and value filled in).
    pub inputs_resolved: u64,
    /// Addresses seen for the first time.
    pub new_addresses: u64,
}

/// What is stored for one network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetworkStats {
    /// The network.
    pub network: Network,
    /// Its name (`bitcoin`, `evm-1`, …).
    pub name: String,
    /// Stored blocks.
    pub blocks: u64,
    /// Lowest stored height.
    pub first_height: Option<u64>,
    /// The stored tip.
    pub tip: Option<BlockRef>,
    /// Transactions.
    pub transactions: u64,
    /// Of which failed (reverted).
    pub failed_transactions: u64,
    /// Account transfers, by kind (`native`, `internal`, `erc20`, `erc721`).
    pub transfers: Vec<(String, u64)>,
    /// UTXO outputs.
    pub outputs: u64,
    /// UTXO inputs.
    pub inputs: u64,
}

/// Everything the chain part of the store holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainStats {
    /// Per network.
    pub networks: Vec<NetworkStats>,
    /// Distinct addresses seen in any network.
    pub addresses: u64,
    /// Every source's checkpoint.
    pub checkpoints: Vec<Checkpoint>,
}

/// The chain part of a store.
pub trait ChainStore {
    /// The stored block of `network` at `height`.
    ///
    /// # Errors
    /// Backend errors.
    fn block_at(&self, network: Network, height: u64) -> Result<Option<BlockRef>, StoreError>;

    /// The highest stored block of `network`.
    ///
    /// # Errors
    /// Backend errors.
    fn tip(&self, network: Network) -> Result<Option<BlockRef>, StoreError>;

    /// The checkpoint of a source.
    ///
    /// # Errors
    /// Backend errors.
    fn checkpoint(&self, source: &str) -> Result<Option<Checkpoint>, StoreError>;

    /// Unwinds, inserts and moves the source's checkpoint to the last block, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] when the batch does not link to what is stored (a gap, a height
    /// already stored and not unwound, a parent hash that differs); backend errors. On error
    /// nothing is written.
    fn apply(&mut self, batch: &ChainBatch<'_>) -> Result<ApplyOutcome, StoreError>;

    /// A stored transaction with its block, rebuilt in the ledger model (inputs, outputs and
    /// transfers as stored; an input's value and address are the spent output's when the
    /// source did not give them). With duplicate hashes (two Bitcoin coinbases), the latest.
    ///
    /// # Errors
    /// Backend errors; [`StoreError::Corrupt`] for a row that does not decode.
    fn transaction(
        &self,
        network: Network,
        hash: B256,
    ) -> Result<Option<(BlockRef, Transaction)>, StoreError>;

    /// Counts per network, and the checkpoints.
    ///
    /// # Errors
    /// Backend errors.
    fn chain_stats(&self) -> Result<ChainStats, StoreError>;

    /// The hash of the block at `height` of `network`, if stored (a convenience over
    /// [`ChainStore::block_at`]).
    ///
    /// # Errors
    /// Backend errors.
    fn hash_at(&self, network: Network, height: u64) -> Result<Option<B256>, StoreError> {
        Ok(self.block_at(network, height)?.map(|b| b.hash))
    }
}
