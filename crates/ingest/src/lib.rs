//! Chain ingest: blocks from a source into the store's transfer graph, resumable and
//! reorg-safe.
//!
//! - [`BlockSource`]: a chain as one source sees it, read by height: an EVM node's JSON-RPC
//!   ([`evm::EvmRpcSource`], fetching the next batch while the store writes this one), a
//!   Bitcoin Core `blocks/` directory ([`bitcoin::BlkDirSource`]), a Bitcoin node's JSON-RPC
//!   ([`bitcoin_rpc::BitcoinRpcSource`]), an ethereum-etl or bitcoin-etl
//!   export folder ([`etl::EtlSource`]).
//! - [`ingest`]: the loop. It resumes after the highest stored block, checks that the stored
//!   tip is still on the source's chain (walking down to the fork and unwinding what left it,
//!   up to [`IngestOptions::max_reorg_depth`]), fetches the next batch, and hands it to
//!   [`chainward_store_api::ChainStore::apply`], which unwinds, inserts and moves the checkpoint
//!   in one transaction.
//! - [`synthetic`]: valid Bitcoin chains built in code (regtest proof of work, real scripts and
//!   spends), for tests, forks and benchmarks, written as `blk*.dat` files.
//!
//! Design decisions:
//! - **The store is the checkpoint.** Progress is never kept anywhere the store's transaction
//!   does not cover, so `SIGKILL` at any instant loses at most the batch in flight, and the
//!   rerun writes exactly what the uninterrupted run would have (a test kills it repeatedly).
//! - **Confirmations are a lag, reorgs are always handled.** Blocks are ingested up to the
//!   source's tip minus [`IngestOptions::confirmations`]; whatever is stored is still compared
//!   with the source at every batch, so a reorg deeper than the lag is unwound too.
//! - **Sources own their retries.** The RPC client retries transient failures itself; an error
//!   reaching the engine stops the ingest with everything before it stored.

pub mod bitcoin;
pub mod bitcoin_rpc;
mod engine;
pub mod etl;
pub mod evm;
pub mod memory;
mod source;
pub mod synthetic;
pub mod synthetic_account;

pub use engine::{Event, IngestError, IngestOptions, IngestSummary, ingest};
pub use source::{BlockSource, SourceError};
