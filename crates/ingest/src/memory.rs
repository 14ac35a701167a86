//! A block source fed in memory: blocks appear when pushed, as if a node had just seen them.
//! For replaying a built chain at a chosen pace (the monitor's latency benchmark and tests).
//!
//! ```
//! use chainward_ingest::BlockSource;
//! use chainward_ingest::memory::MemorySource;
//! use chainward_ingest::synthetic_account::AccountChainBuilder;
//!
//! let mut chain = AccountChainBuilder::new(1, 0);
//! let (mut source, feed) = MemorySource::new("replay");
//! assert_eq!(source.tip().unwrap(), None);
//! for block in chain.mine(3, 10) {
//!     feed.push(block);
//! }
//! assert_eq!(source.tip().unwrap(), Some(2));
//! assert_eq!(source.fetch(1..=2).unwrap().len(), 2);
//! ```

use crate::source::{BlockSource, SourceError};
use alloy_primitives::B256;
use chainward_primitives::ledger::{Block, Network};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

#[derive(Debug, Default)]
struct Shared {
    blocks: Vec<Block>,
    arrived: Vec<Instant>,
}

/// The source side.
#[derive(Debug)]
pub struct MemorySource {
    name: String,
    network: Option<Network>,
    shared: Arc<Mutex<Shared>>,
}

/// The feeding side: clone it into the thread that produces blocks.
#[derive(Clone, Debug)]
pub struct MemoryFeed {
    shared: Arc<Mutex<Shared>>,
}

impl MemoryFeed {
    /// Appends a block (the next height of the chain) and records when it arrived.
    pub fn push(&self, block: Block) {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared.blocks.push(block);
        shared.arrived.push(Instant::now());
    }

    /// When each block arrived, by position.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner).arrived.clone()
    }
}

impl MemorySource {
    /// An empty source and its feed.
    pub fn new(name: &str) -> (Self, MemoryFeed) {
        let shared = Arc::new(Mutex::new(Shared::default()));
        (
            Self { name: name.to_owned(), network: None, shared: Arc::clone(&shared) },
            MemoryFeed { shared },
        )
    }

    /// Declares the network before any block is pushed (otherwise the first block's).
    pub fn with_network(mut self, network: Network) -> Self {
        self.network = Some(network);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn position(&self, height: u64) -> Option<usize> {
        let shared = self.lock();
        let first = shared.blocks.first()?.block.height;
        let index = usize::try_from(height.checked_sub(first)?).ok()?;
        (index < shared.blocks.len()).then_some(index)
    }
}

impl BlockSource for MemorySource {
    fn name(&self) -> String {
        format!("memory:{}", self.name)
    }

    fn network(&self) -> Network {
        self.network.unwrap_or_else(|| {
            self.lock().blocks.first().map_or(
                Network::chain(chainward_primitives::Chain::Evm),
                |b| Network { chain: b.chain, evm_chain_id: b.evm_chain_id },
            )
        })
    }

    fn first_height(&self) -> u64 {
        self.lock().blocks.first().map_or(0, |b| b.block.height)
    }

    fn tip(&mut self) -> Result<Option<u64>, SourceError> {
        Ok(self.lock().blocks.last().map(|b| b.block.height))
    }

    fn hash_at(&mut self, height: u64) -> Result<Option<B256>, SourceError> {
        Ok(self.position(height).map(|i| self.lock().blocks[i].block.hash))
    }

    fn fetch(&mut self, heights: RangeInclusive<u64>) -> Result<Vec<Block>, SourceError> {
        let (Some(start), Some(end)) =
            (self.position(*heights.start()), self.position(*heights.end()))
        else {
            return Err(
                format!("{}: heights {heights:?} are not all available", self.name()).into()
            );
        };
        Ok(self.lock().blocks[start..=end].to_vec())
    }
}
