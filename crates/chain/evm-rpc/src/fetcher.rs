//! [`EvmFetcher`]: blocks, receipts and call traces from an EVM node, into the ledger model.

use crate::client::{ClientOptions, RpcClient};
use crate::error::RpcError;
use alloy_primitives::{B256, U64};
use chainward_chain_ethereum::{
    DecodeError, NormalizeOptions, RpcBlock, RpcReceipt, Traces, decode_block, decode_block_hashes,
    decode_geth_call_traces, decode_parity_traces, decode_receipts, normalize_with,
    transactions_from_receipts_and_traces,
};
use chainward_primitives::ledger::Block;
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::task::JoinSet;

/// Where internal transfers (value moved by calls inside a transaction) come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TraceMode {
    /// Probe the node once: `trace_block`, else `debug_traceBlockByNumber`, else no traces
    /// (with a warning: internal transfers will be missing).
    #[default]
    Auto,
    /// Parity-style `trace_block` (Erigon, Nethermind, Reth, anvil).
    Parity,
    /// Geth's `debug_traceBlockByNumber` with `{"tracer": "callTracer"}`.
    Geth,
    /// No traces: blocks carry native and token transfers only.
    None,
}

/// Why blocks could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// A JSON-RPC call failed (after retries); the error names the URL, method and params.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The node's answer for a block could not be decoded or joined.
    #[error("block {height}: {what}: {source}")]
    Decode {
        /// The block's height.
        height: u64,
        /// Which answer (`block`, `receipts`, `traces`) or step (`normalize`).
        what: &'static str,
        /// The decoder's error.
        source: DecodeError,
    },
    /// The node has no block at this height (beyond its tip).
    #[error("block {height} does not exist on the node (eth_getBlockByNumber returned null)")]
    NotFound {
        /// The requested height.
        height: u64,
    },
    /// The block changed while it was being fetched (a chain reorganization), and still did
    /// after refetching.
    #[error("block {height} changed while it was fetched (chain reorganization): {detail}")]
    Reorg {
        /// The height whose block changed.
        height: u64,
        /// What disagreed.
        detail: String,
    },
}

impl FetchError {
    /// Whether trying again later may succeed: transient RPC failures, a block not yet
    /// produced, a reorganization in progress. Decode errors are permanent.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Rpc(e) => e.is_retryable(),
            Self::NotFound { .. } | Self::Reorg { .. } => true,
            Self::Decode { .. } => false,
        }
    }
}

/// How many times a block that changed during its fetch is fetched again before
/// [`FetchError::Reorg`].
const REFETCHES: u32 = 3;

/// Receipt source, learnt from the node: unknown yet, `eth_getBlockReceipts`, or one
/// `eth_getTransactionReceipt` per transaction.
const RECEIPTS_UNKNOWN: u8 = 0;
const RECEIPTS_BY_BLOCK: u8 = 1;
const RECEIPTS_BY_TX: u8 = 2;

/// Fetches blocks with their receipts and traces from an EVM node and normalizes them into
/// [`chainward_primitives::ledger::Block`]s.
///
/// Cheap to clone (clones share the client and what was learnt about the node: its chain id,
/// its trace method, whether it serves `eth_getBlockReceipts`).
#[derive(Clone, Debug)]
pub struct EvmFetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: RpcClient,
    chain_id: u64,
    requested: TraceMode,
    resolved: OnceCell<TraceMode>,
    receipts: AtomicU8,
    /// Whether blocks are fetched without transaction objects (see [`EvmFetcher::attempt`]);
    /// cleared for good the first time a node's answers do not allow it.
    lean: AtomicBool,
}

/// Outcome of one attempt at a block: done, changed under us (fetch again), or failed.
enum Attempt {
    Done(Box<Block>),
    Changed(String),
    Failed(FetchError),
    /// The lean answers lack what rebuilding transactions needs: fetch full blocks instead.
    NotLean(String),
}

impl From<FetchError> for Attempt {
    fn from(e: FetchError) -> Self {
        Self::Failed(e)
    }
}

impl From<RpcError> for Attempt {
    fn from(e: RpcError) -> Self {
        Self::Failed(FetchError::Rpc(e))
    }
}

fn hex(height: u64) -> String {
    format!("{height:#x}")
}

impl EvmFetcher {
    /// Connects to the node at `url` and reads its chain id (`eth_chainId`). Traces are
    /// [`TraceMode::Auto`] until [`EvmFetcher::with_trace_mode`] says otherwise.
    ///
    /// # Errors
    /// [`FetchError::Rpc`] when the URL is unusable or `eth_chainId` fails.
    pub async fn connect(url: &str, options: ClientOptions) -> Result<Self, FetchError> {
        Self::from_client(RpcClient::new(url, options)?).await
    }

    /// Like [`EvmFetcher::connect`], with an existing client.
    ///
    /// # Errors
    /// [`FetchError::Rpc`] when `eth_chainId` fails.
    pub async fn from_client(client: RpcClient) -> Result<Self, FetchError> {
        let chain_id: U64 = client.call("eth_chainId", &json!([])).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                chain_id: chain_id.to(),
                requested: TraceMode::Auto,
                resolved: OnceCell::new(),
                receipts: AtomicU8::new(RECEIPTS_UNKNOWN),
                lean: AtomicBool::new(true),
            }),
        })
    }

    /// The same fetcher with another trace mode (an `Auto` mode probes again).
    #[must_use]
    pub fn with_trace_mode(self, mode: TraceMode) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: self.inner.client.clone(),
                chain_id: self.inner.chain_id,
                requested: mode,
                resolved: OnceCell::new(),
                receipts: AtomicU8::new(self.inner.receipts.load(Ordering::Relaxed)),
                lean: AtomicBool::new(self.inner.lean.load(Ordering::Relaxed)),
            }),
        }
    }

    /// The same fetcher asking for full transaction objects always (`true`), or rebuilding
    /// them from receipts and Parity traces when the node serves both (`false`, the default;
    /// it falls back to full objects by itself when the answers do not allow it).
    #[must_use]
    pub fn with_full_transactions(self, full: bool) -> Self {
        self.inner.lean.store(!full, Ordering::Relaxed);
        self
    }

    /// Whether blocks are fetched with hashes only and their transactions rebuilt.
    pub fn rebuilds_transactions(&self) -> bool {
        self.inner.lean.load(Ordering::Relaxed)
    }

    /// The node's chain id (`eth_chainId`), stored in every block as `evm_chain_id`.
    pub fn chain_id(&self) -> u64 {
        self.inner.chain_id
    }

    /// The JSON-RPC client.
    pub fn client(&self) -> &RpcClient {
        &self.inner.client
    }

    /// The trace mode asked for.
    pub fn trace_mode(&self) -> TraceMode {
        self.inner.requested
    }

    /// The trace mode in use: the one asked for, or what [`TraceMode::Auto`] found (`None`
    /// until the first block is fetched).
    pub fn resolved_trace_mode(&self) -> Option<TraceMode> {
        match self.inner.requested {
            TraceMode::Auto => self.inner.resolved.get().copied(),
            mode => Some(mode),
        }
    }

    /// Whether the node was found not to serve `eth_getBlockReceipts`, so receipts are read one
    /// transaction at a time (`None` until a block with transactions was fetched).
    pub fn receipts_per_transaction(&self) -> Option<bool> {
        match self.inner.receipts.load(Ordering::Relaxed) {
            RECEIPTS_BY_BLOCK => Some(false),
            RECEIPTS_BY_TX => Some(true),
            _ => None,
        }
    }

    /// The node's latest block number (`eth_blockNumber`).
    ///
    /// # Errors
    /// [`FetchError::Rpc`] when the call fails.
    pub async fn tip(&self) -> Result<u64, FetchError> {
        let tip: U64 = self.inner.client.call("eth_blockNumber", &json!([])).await?;
        Ok(tip.to())
    }

    /// The hash of the node's block at `height`, `None` when it has none there.
    ///
    /// # Errors
    /// [`FetchError::Rpc`] when the call fails or the answer has no valid `hash`.
    pub async fn block_hash(&self, height: u64) -> Result<Option<B256>, FetchError> {
        #[derive(Deserialize)]
        struct Header {
            hash: B256,
        }
        let header: Option<Header> =
            self.inner.client.call("eth_getBlockByNumber", &json!([hex(height), false])).await?;
        Ok(header.map(|h| h.hash))
    }

    /// Fetches and normalizes the block at `height`.
    ///
    /// One JSON-RPC batch carries `eth_getBlockByNumber(height, true)`,
    /// `eth_getBlockReceipts(height)` and the trace call; when the node does not serve
    /// `eth_getBlockReceipts`, receipts come from batched `eth_getTransactionReceipt` calls
    /// instead (and the fetcher remembers). The answers must describe one block: every
    /// receipt's and Parity trace's `blockHash` is the block's, there is one receipt (and one
    /// Geth trace) per transaction, trace transaction hashes are the block's. Otherwise the
    /// block changed between the calls and is fetched again, up to 3 times.
    ///
    /// # Errors
    /// [`FetchError::NotFound`] beyond the node's tip, [`FetchError::Reorg`] when the block
    /// kept changing, [`FetchError::Rpc`] / [`FetchError::Decode`] when a call or an answer
    /// fails.
    pub async fn fetch_block(&self, height: u64) -> Result<Block, FetchError> {
        let traces = self.traces().await?;
        let mut detail = String::new();
        for attempt in 0..=REFETCHES {
            if attempt > 0 {
                tracing::debug!(height, attempt, %detail, "block changed during fetch; refetching");
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
            match self.attempt(height, traces).await {
                Attempt::Done(block) => return Ok(*block),
                Attempt::Changed(why) => detail = why,
                Attempt::Failed(e) => return Err(e),
                Attempt::NotLean(why) => {
                    if self.inner.lean.swap(false, Ordering::Relaxed) {
                        tracing::info!(
                            url = self.inner.client.url(),
                            %why,
                            "fetching full blocks: the node's receipts and traces cannot stand in for transaction objects"
                        );
                    }
                    return Box::pin(self.fetch_block(height)).await;
                }
            }
        }
        Err(FetchError::Reorg { height, detail })
    }

    /// Fetches and normalizes the blocks of `heights`, in height order, with at most
    /// `max_concurrency` blocks in flight.
    ///
    /// Consecutive blocks must link (each `parent_hash` is the previous block's hash); when
    /// they do not, the chain reorganized during the fetch: the blocks from the break on are
    /// fetched again once, and if they still do not link the error names the height.
    ///
    /// # Errors
    /// The first error of any block (see [`EvmFetcher::fetch_block`]), or
    /// [`FetchError::Reorg`] when the blocks do not link.
    pub async fn fetch_range(
        &self,
        heights: RangeInclusive<u64>,
    ) -> Result<Vec<Block>, FetchError> {
        let mut blocks = self.fetch_all(heights.clone()).await?;
        if let Some(at) = first_break(&blocks) {
            let from = *heights.start() + at as u64 - 1;
            tracing::debug!(height = from + 1, "blocks do not link; refetching from {from}");
            blocks.truncate(at - 1);
            blocks.extend(self.fetch_all(from..=*heights.end()).await?);
            if let Some(at) = first_break(&blocks) {
                let block = &blocks[at];
                return Err(FetchError::Reorg {
                    height: block.block.height,
                    detail: format!(
                        "its parent hash {} is not the hash {} of block {}",
                        block.parent_hash,
                        blocks[at - 1].block.hash,
                        blocks[at - 1].block.height
                    ),
                });
            }
        }
        Ok(blocks)
    }

    async fn fetch_all(&self, heights: RangeInclusive<u64>) -> Result<Vec<Block>, FetchError> {
        if heights.is_empty() {
            return Ok(Vec::new());
        }
        // Probe once before the workers start, so they do not all probe.
        self.traces().await?;
        let start = *heights.start();
        let count = heights.end().saturating_sub(start).saturating_add(1);
        let window = self.inner.client.options().max_concurrency.max(1);
        let mut slots: Vec<Option<Block>> = Vec::with_capacity(count.min(1 << 16) as usize);
        let mut next = heights.into_iter();
        let mut set = JoinSet::new();
        loop {
            while set.len() < window {
                let Some(height) = next.next() else { break };
                let fetcher = self.clone();
                set.spawn(async move { (height, fetcher.fetch_block(height).await) });
            }
            let Some(joined) = set.join_next().await else { break };
            let (height, result) = joined.expect("a block task neither panics nor is aborted");
            let index = (height - start) as usize;
            if slots.len() <= index {
                slots.resize_with(index + 1, || None);
            }
            // Dropping the set on error aborts the blocks still in flight.
            slots[index] = Some(result?);
        }
        Ok(slots.into_iter().map(|b| b.expect("every height was fetched")).collect())
    }

    /// The trace mode to use, probing the node once for [`TraceMode::Auto`].
    async fn traces(&self) -> Result<TraceMode, FetchError> {
        match self.inner.requested {
            TraceMode::Auto => self.inner.resolved.get_or_try_init(|| self.probe()).await.copied(),
            mode => Ok(mode),
        }
    }

    async fn probe(&self) -> Result<TraceMode, FetchError> {
        let client = &self.inner.client;
        let tip = hex(self.tip().await?);
        let parity = match client.call_raw("trace_block", &json!([tip])).await {
            Ok(_) => return Ok(TraceMode::Parity),
            Err(e) if e.kind().is_node_answer() => e,
            Err(e) => return Err(e.into()),
        };
        let geth = match client
            .call_raw("debug_traceBlockByNumber", &json!([tip, {"tracer": "callTracer"}]))
            .await
        {
            Ok(_) => {
                tracing::debug!(url = client.url(), trace_block = %parity, "using Geth traces");
                return Ok(TraceMode::Geth);
            }
            Err(e) if e.kind().is_node_answer() => e,
            Err(e) => return Err(e.into()),
        };
        tracing::warn!(
            url = client.url(),
            trace_block = %parity,
            debug_trace_block = %geth,
            "the node serves neither trace_block nor debug_traceBlockByNumber: \
             internal transfers will be missing"
        );
        Ok(TraceMode::None)
    }

    async fn attempt(&self, height: u64, traces: TraceMode) -> Attempt {
        let client = &self.inner.client;
        let n = hex(height);
        let by_block = self.inner.receipts.load(Ordering::Relaxed) != RECEIPTS_BY_TX;
        // With block receipts and Parity traces, the transactions can be rebuilt from them
        // (sender, recipient and price from the receipt, value from the top-level trace), so
        // the block is asked for with hashes only: on some nodes (anvil) full transaction
        // objects cost more than receipts and traces together. Confirmed receipts-by-block
        // only: the first block of a node that lacks them still asks for full objects.
        let lean = traces == TraceMode::Parity
            && self.inner.receipts.load(Ordering::Relaxed) == RECEIPTS_BY_BLOCK
            && self.inner.lean.load(Ordering::Relaxed);
        let mut calls = vec![("eth_getBlockByNumber", json!([n, !lean]))];
        if by_block {
            calls.push(("eth_getBlockReceipts", json!([n])));
        }
        match traces {
            TraceMode::Parity => calls.push(("trace_block", json!([n]))),
            TraceMode::Geth => {
                calls.push(("debug_traceBlockByNumber", json!([n, {"tracer": "callTracer"}])));
            }
            TraceMode::Auto | TraceMode::None => {}
        }
        let mut answers = client.batch_raw(&calls).await.into_iter();
        let mut next = || answers.next().expect("batch_raw answers every call");

        let block = match next() {
            Ok(raw) if is_null(&raw) => return FetchError::NotFound { height }.into(),
            Ok(raw) => raw,
            Err(e) => return e.into(),
        };
        let receipts_answer = if by_block { Some(next()) } else { None };
        let traces = match traces {
            TraceMode::Parity | TraceMode::Geth => match next() {
                Ok(raw) => Some((traces, raw)),
                Err(e) => return e.into(),
            },
            TraceMode::Auto | TraceMode::None => None,
        };
        let receipts = match receipts_answer {
            Some(Ok(raw)) => {
                self.inner.receipts.store(RECEIPTS_BY_BLOCK, Ordering::Relaxed);
                if is_null(&raw) {
                    return Attempt::Changed(format!(
                        "eth_getBlockReceipts has no block {height}, eth_getBlockByNumber has"
                    ));
                }
                vec![raw]
            }
            Some(Err(e)) if e.is_method_not_found() => {
                tracing::info!(
                    url = client.url(),
                    "the node does not serve eth_getBlockReceipts; reading receipts per transaction"
                );
                self.inner.receipts.store(RECEIPTS_BY_TX, Ordering::Relaxed);
                match self.receipts_per_tx(height, &block).await {
                    Ok(receipts) => receipts,
                    Err(attempt) => return attempt,
                }
            }
            Some(Err(e)) => return e.into(),
            None => match self.receipts_per_tx(height, &block).await {
                Ok(receipts) => receipts,
                Err(attempt) => return attempt,
            },
        };

        // Decoding a full block is CPU work (milliseconds): keep it off the runtime's workers.
        let chain_id = self.inner.chain_id;
        let answers = Answers { height, chain_id, block, receipts, traces, lean };
        match tokio::task::spawn_blocking(move || answers.join()).await {
            Ok(attempt) => attempt,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                // Only when the runtime shuts down, which drops this future before it sees it.
                Err(e) => panic!("decoding block {height} was cancelled: {e}"),
            },
        }
    }

    /// Receipts through one batched `eth_getTransactionReceipt` per transaction of the raw
    /// block `block`.
    async fn receipts_per_tx(
        &self,
        height: u64,
        block: &RawValue,
    ) -> Result<Vec<Box<RawValue>>, Attempt> {
        #[derive(Deserialize)]
        struct Hashes {
            #[serde(default)]
            transactions: Vec<Hash>,
        }
        #[derive(Deserialize)]
        struct Hash {
            hash: B256,
        }
        let hashes: Vec<B256> = match serde_json::from_str::<Hashes>(block.get()) {
            Ok(h) => h.transactions.into_iter().map(|t| t.hash).collect(),
            // Let the full decoder say what is wrong.
            Err(_) => match decode_block(block.get().as_bytes()) {
                Ok(b) => b.transactions.into_iter().map(|t| t.hash).collect(),
                Err(source) => {
                    return Err(FetchError::Decode { height, what: "block", source }.into());
                }
            },
        };
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let calls: Vec<(&str, [B256; 1])> =
            hashes.iter().map(|hash| ("eth_getTransactionReceipt", [*hash])).collect();
        let answers = self.inner.client.batch_raw(&calls).await;
        let mut receipts = Vec::with_capacity(answers.len());
        for (hash, answer) in hashes.iter().zip(answers) {
            let raw = answer?;
            if is_null(&raw) {
                return Err(Attempt::Changed(format!(
                    "transaction {hash} of block {height} has no receipt"
                )));
            }
            receipts.push(raw);
        }
        Ok(receipts)
    }
}

fn is_null(raw: &RawValue) -> bool {
    raw.get().trim() == "null"
}

/// The raw answers for one block, decoded and joined off the async runtime.
struct Answers {
    height: u64,
    chain_id: u64,
    block: Box<RawValue>,
    /// One `eth_getBlockReceipts` array, or one receipt per transaction.
    receipts: Vec<Box<RawValue>>,
    traces: Option<(TraceMode, Box<RawValue>)>,
    /// The block has transaction hashes only; rebuild the transactions.
    lean: bool,
}

impl Answers {
    fn join(self) -> Attempt {
        let height = self.height;
        let decode_error =
            |what, source| Attempt::Failed(FetchError::Decode { height, what, source });
        let (mut block, hashes) = if self.lean {
            match decode_block_hashes(self.block.get().as_bytes()) {
                Ok((block, hashes)) => (block, Some(hashes)),
                Err(source) => return decode_error("block", source),
            }
        } else {
            match decode_block(self.block.get().as_bytes()) {
                Ok(block) => (block, None),
                Err(source) => return decode_error("block", source),
            }
        };
        if block.number != height {
            return decode_error(
                "block",
                DecodeError::Shape { what: "block", expected: "the requested block number" },
            );
        }
        let mut receipts = Vec::with_capacity(block.transactions.len());
        for raw in &self.receipts {
            match decode_receipts(raw.get().as_bytes()) {
                Ok(decoded) => receipts.extend(decoded),
                Err(source) => return decode_error("receipts", source),
            }
        }
        let traces = match &self.traces {
            Some((TraceMode::Parity, raw)) => {
                let bytes = raw.get().as_bytes();
                let traces = match decode_parity_traces(bytes) {
                    Ok(traces) => traces,
                    Err(source) => return decode_error("traces", source),
                };
                if let Some(why) = parity_blocks_disagree(&block, bytes) {
                    return Attempt::Changed(why);
                }
                if let Some(hashes) = &hashes {
                    if receipts.len() != hashes.len() {
                        return Attempt::Changed(format!(
                            "{} receipts for the {} transactions of block {}",
                            receipts.len(),
                            hashes.len(),
                            block.hash
                        ));
                    }
                    match transactions_from_receipts_and_traces(hashes, &receipts, &traces) {
                        Ok(transactions) => block.transactions = transactions,
                        Err(why) => return Attempt::NotLean(why.to_string()),
                    }
                }
                Some(Traces::Parity(traces))
            }
            Some((_, raw)) => match decode_geth_call_traces(raw.get().as_bytes()) {
                Ok(traces) => Some(Traces::Geth(traces)),
                Err(source) => return decode_error("traces", source),
            },
            None => None,
        };
        if hashes.is_some() && block.transactions.len() != hashes.as_ref().map_or(0, Vec::len) {
            return Attempt::NotLean("no Parity traces to rebuild the transactions from".into());
        }
        if let Some(why) = receipts_disagree(&block, &receipts) {
            return Attempt::Changed(why);
        }
        if let Some(why) = traces.as_ref().and_then(|t| traces_disagree(&block, t)) {
            return Attempt::Changed(why);
        }
        match normalize_with(
            self.chain_id,
            &block,
            &receipts,
            traces.as_ref(),
            NormalizeOptions::receipts_required(),
        ) {
            Ok(block) => Attempt::Done(Box::new(block)),
            Err(source) => decode_error("normalize", source),
        }
    }
}

/// Why the receipts are not those of `block`, if they are not.
fn receipts_disagree(block: &RpcBlock, receipts: &[RpcReceipt]) -> Option<String> {
    if let Some(r) = receipts.iter().find(|r| r.block_hash.is_some_and(|h| h != block.hash)) {
        return Some(format!(
            "the receipt of transaction {} names block {}, eth_getBlockByNumber returned {}",
            r.transaction_hash,
            r.block_hash.unwrap_or_default(),
            block.hash
        ));
    }
    if receipts.len() != block.transactions.len() {
        return Some(format!(
            "{} receipts for the {} transactions of block {}",
            receipts.len(),
            block.transactions.len(),
            block.hash
        ));
    }
    None
}

/// Why the Parity traces (as JSON) are not those of `block`, by their `blockHash`.
fn parity_blocks_disagree(block: &RpcBlock, json: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct BlockOf {
        #[serde(default, rename = "blockHash")]
        block_hash: Option<B256>,
    }
    let refs: Vec<BlockOf> = serde_json::from_slice(json).ok()?;
    let other = refs.iter().find_map(|r| r.block_hash.filter(|h| *h != block.hash))?;
    Some(format!(
        "trace_block answered for block {other}, eth_getBlockByNumber returned {}",
        block.hash
    ))
}

/// Why the traces are not those of `block`: a traced transaction it does not have, or (Geth)
/// not one trace per transaction in block order.
fn traces_disagree(block: &RpcBlock, traces: &Traces) -> Option<String> {
    match traces {
        Traces::Parity(traces) => {
            let hashes: HashSet<B256> = block.transactions.iter().map(|t| t.hash).collect();
            let stray =
                traces.iter().find_map(|t| t.transaction_hash.filter(|h| !hashes.contains(h)))?;
            Some(format!(
                "trace_block traces transaction {stray}, which block {} lacks",
                block.hash
            ))
        }
        Traces::Geth(traces) => {
            if traces.len() != block.transactions.len() {
                return Some(format!(
                    "{} Geth traces for the {} transactions of block {}",
                    traces.len(),
                    block.transactions.len(),
                    block.hash
                ));
            }
            let (trace, tx) = traces
                .iter()
                .zip(&block.transactions)
                .find(|(trace, tx)| trace.tx_hash.is_some_and(|h| h != tx.hash))?;
            Some(format!(
                "the Geth trace of transaction {} is for {}",
                tx.hash,
                trace.tx_hash.unwrap_or_default()
            ))
        }
    }
}

/// The index of the first block whose parent is not the block before it.
fn first_break(blocks: &[Block]) -> Option<usize> {
    (1..blocks.len()).find(|&i| blocks[i].parent_hash != blocks[i - 1].block.hash)
}
