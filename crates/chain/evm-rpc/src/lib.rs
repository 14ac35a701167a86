//! The JSON-RPC 2.0 client for EVM nodes, and the fetcher that turns a node's blocks into
//! Chainward's ledger model.
//!
//! # Main types
//! - [`RpcClient`]: JSON-RPC 2.0 over HTTP (reqwest, rustls with the ring provider). [`call`]
//!   deserializes a result, [`call_raw`] returns it as raw JSON, and [`batch_raw`] sends many
//!   calls in batches of at most [`ClientOptions::max_batch_size`] and returns one result per
//!   call in request order (answers are matched by id: nodes may answer a batch in any order).
//!   At most [`ClientOptions::max_concurrency`] requests are in flight per client; transient
//!   failures are retried with exponential backoff ([`ClientOptions::max_retries`],
//!   [`ClientOptions::backoff`]).
//! - [`RpcError`] / [`RpcErrorKind`]: one failed call, naming the URL (without credentials),
//!   the method, the params (shortened) and what went wrong (HTTP status, JSON-RPC code and
//!   message, malformed JSON with its position, timeout). [`RpcError::is_retryable`] tells
//!   transient from permanent.
//! - [`EvmFetcher`]: reads the chain id on [`connect`], then [`tip`], [`block_hash`],
//!   [`fetch_block`] and [`fetch_range`] (blocks in height order, at most `max_concurrency` in
//!   flight). Each block is `eth_getBlockByNumber(n, true)` + `eth_getBlockReceipts` (or, on a
//!   node without it, batched `eth_getTransactionReceipt`) + call traces per [`TraceMode`],
//!   decoded and joined by the pure decoders of [`chainward_chain_ethereum`]. With block
//!   receipts and Parity traces the block is asked for with hashes only and its transactions
//!   are rebuilt from receipts and top-level traces: on anvil, full transaction objects cost
//!   three times what receipts and traces cost together (measured by
//!   `scripts/bench-ethereum-etl.sh`); a node whose answers do not allow it gets full blocks.
//! - [`FetchError`]: an RPC failure, an undecodable answer, a block beyond the tip, or a block
//!   that changed during its fetch (a reorg), each naming the height.
//!
//! # Design decisions
//! - **Own client, not alloy's provider**: ingest only reads, so the transport is a small
//!   JSON-RPC client whose batches, limits and retries we control; the answers stay raw JSON
//!   ([`serde_json::value::RawValue`]) until the lenient decoders read them.
//! - **One batch per block**: the block, its receipts and its traces travel in one JSON-RPC
//!   batch, so a block costs one round trip and the three answers come from one moment of the
//!   node; the fetcher still checks that they describe the same block (receipts' and traces'
//!   `blockHash`, transaction hashes) and fetches it again when a reorg got in between.
//! - **Never panics on an answer**: every shape of body is an [`RpcErrorKind`].
//!
//! # Example
//! ```no_run
//! use chainward_evm_rpc::{ClientOptions, EvmFetcher, TraceMode};
//!
//! # async fn run() -> Result<(), chainward_evm_rpc::FetchError> {
//! let fetcher = EvmFetcher::connect("http://127.0.0.1:8545", ClientOptions::default())
//!     .await?
//!     .with_trace_mode(TraceMode::Auto);
//! let tip = fetcher.tip().await?;
//! for block in fetcher.fetch_range(tip.saturating_sub(9)..=tip).await? {
//!     for tx in &block.transactions {
//!         println!("{} {} {:?}: {} transfers", block.block.height, tx.hash, tx.status, tx.transfers.len());
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`call`]: RpcClient::call
//! [`call_raw`]: RpcClient::call_raw
//! [`batch_raw`]: RpcClient::batch_raw
//! [`connect`]: EvmFetcher::connect
//! [`tip`]: EvmFetcher::tip
//! [`block_hash`]: EvmFetcher::block_hash
//! [`fetch_block`]: EvmFetcher::fetch_block
//! [`fetch_range`]: EvmFetcher::fetch_range

mod client;
mod error;
mod fetcher;

pub use client::{ClientOptions, RpcClient, build_http_client};
pub use error::{PARAMS_SHOWN, RpcError, RpcErrorKind};
pub use fetcher::{EvmFetcher, FetchError, TraceMode};
