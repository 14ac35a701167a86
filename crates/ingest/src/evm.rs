//! An EVM node's JSON-RPC as a [`BlockSource`].
//!
//! The engine is synchronous (the store is); this source owns a small tokio runtime and drives
//! [`EvmFetcher`] on it. While the engine writes one batch, the next range is already being
//! fetched in the background, so the node and the store work at the same time. A prefetched
//! range is used at most once and only for exactly the range asked next; after a reorg the
//! engine asks for other heights and the prefetch is dropped.

use crate::source::{BlockSource, SourceError};
use alloy_primitives::B256;
use chainward_evm_rpc::{ClientOptions, EvmFetcher, FetchError, TraceMode};
use chainward_primitives::ledger::{Block, Network};
use std::ops::RangeInclusive;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

type Prefetch = (RangeInclusive<u64>, JoinHandle<Result<Vec<Block>, FetchError>>);

/// A node's JSON-RPC endpoint as a source.
#[derive(Debug)]
pub struct EvmRpcSource {
    runtime: Runtime,
    fetcher: EvmFetcher,
    url: String,
    last_tip: Option<u64>,
    prefetch: Option<Prefetch>,
}

impl EvmRpcSource {
    /// Connects (reads the chain id) with the client's batching, concurrency and retry options.
    ///
    /// # Errors
    /// When the runtime cannot start or the node cannot be reached after the client's retries.
    pub fn connect(
        url: &str,
        options: ClientOptions,
        traces: TraceMode,
    ) -> Result<Self, SourceError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("chainward-rpc")
            .build()?;
        let fetcher = runtime.block_on(EvmFetcher::connect(url, options))?.with_trace_mode(traces);
        Ok(Self { runtime, fetcher, url: url.to_owned(), last_tip: None, prefetch: None })
    }

    /// The node's chain id.
    pub fn chain_id(&self) -> u64 {
        self.fetcher.chain_id()
    }

    /// The trace method in use once the first block was fetched (`Auto` resolved).
    pub fn resolved_trace_mode(&self) -> Option<TraceMode> {
        self.fetcher.resolved_trace_mode()
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn start_prefetch(&mut self, after: &RangeInclusive<u64>) {
        let len = after.end() - after.start() + 1;
        let start = after.end() + 1;
        let end = start + len - 1;
        if self.last_tip.is_none_or(|tip| end > tip) {
            return;
        }
        let fetcher = self.fetcher.clone();
        let range = start..=end;
        let task_range = range.clone();
        let handle = self.runtime.spawn(async move { fetcher.fetch_range(task_range).await });
        self.prefetch = Some((range, handle));
    }
}

impl BlockSource for EvmRpcSource {
    fn name(&self) -> String {
        format!("ethereum-rpc:{}", self.network())
    }

    fn network(&self) -> Network {
        Network::evm(self.fetcher.chain_id())
    }

    fn tip(&mut self) -> Result<Option<u64>, SourceError> {
        let tip = self.runtime.block_on(self.fetcher.tip())?;
        self.last_tip = Some(tip);
        Ok(Some(tip))
    }

    fn hash_at(&mut self, height: u64) -> Result<Option<B256>, SourceError> {
        Ok(self.runtime.block_on(self.fetcher.block_hash(height))?)
    }

    fn fetch(&mut self, heights: RangeInclusive<u64>) -> Result<Vec<Block>, SourceError> {
        let prefetched = match self.prefetch.take() {
            Some((range, handle)) if range == heights => Some(handle),
            Some((_, handle)) => {
                handle.abort();
                None
            }
            None => None,
        };
        let blocks = match prefetched {
            Some(handle) => match self.runtime.block_on(handle) {
                Ok(Ok(blocks)) => blocks,
                // A failed or cancelled prefetch is retried in the foreground, where its error
                // (if it persists) reaches the engine.
                _ => self.runtime.block_on(self.fetcher.fetch_range(heights.clone()))?,
            },
            None => self.runtime.block_on(self.fetcher.fetch_range(heights.clone()))?,
        };
        self.start_prefetch(&heights);
        Ok(blocks)
    }
}
