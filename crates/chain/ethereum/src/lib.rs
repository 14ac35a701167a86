//! Decoding of Ethereum (and every EVM chain's) JSON-RPC data into Chainward's ledger model.
//!
//! Pure functions, bytes in and model out: no sockets, no clock. The JSON-RPC client lives
//! elsewhere and hands this crate the raw response bodies.
//!
//! # Main types
//! - [`rpc`]: the decoded RPC results ([`RpcBlock`], [`RpcTransaction`], [`RpcReceipt`],
//!   [`RpcLog`], [`ParityTrace`], [`GethTxTrace`] / [`CallFrame`]) and their decoders
//!   [`decode_block`], [`decode_receipts`], [`decode_logs`], [`decode_parity_traces`],
//!   [`decode_geth_call_traces`]. Each accepts the whole JSON-RPC envelope or the bare result.
//! - [`normalize`] / [`normalize_with`]: join a block, its receipts and optionally its
//!   [`Traces`] into a [`chainward_primitives::ledger::Block`].
//! - [`FlatTrace`]: Parity traces and Geth call trees flattened into one shape.
//! - [`token_transfer`]: the ERC-20 / ERC-721 transfer a log records, if any.
//! - [`etl`]: a directory of ethereum-etl exports (blocks, transactions, receipts, logs,
//!   token transfers, traces; CSV or JSON lines) read into ledger blocks through the same
//!   [`normalize_with`]; the only module that reads files.
//!
//! # Design decisions
//! - **Own lenient structs, not alloy's RPC types.** Recorded mainnet responses from 2015–2016
//!   (ethereum-etl's fixtures) carry `status: null`, no `type`, Parity-only fields and traces
//!   with numeric `blockNumber`; the structs here read only what Chainward uses, accept hex
//!   strings or JSON numbers for quantities, and make everything an old node may omit an
//!   `Option`. Hashes are 32-byte values in the order the node prints them (Ethereum has no
//!   byte-reversal, so display order is wire order).
//! - **Failed transactions are kept**, [`TxStatus::Failed`](chainward_primitives::ledger::TxStatus),
//!   with their fee and no transfers: a reverted transaction moved nothing but its fee.
//! - **Internal transfers** come from call traces: every successful call (plain `call`
//!   only: `delegatecall`/`callcode` move no value between accounts and `staticcall` cannot),
//!   create or self-destruct with value > 0 *below* the top-level call (the top-level call is
//!   the transaction's own value, already a `Native` transfer). A node whose own frame or any
//!   ancestor errored was reverted and yields nothing, as ethereum-etl marks it `status = 0`.
//! - **Token transfers** are `Transfer(address,address,uint256)` logs: 3 topics + 32 data bytes
//!   is ERC-20, 4 topics + no data is ERC-721 (amount 1, token id = topic 3); any other shape
//!   is not a transfer. ethereum-etl's `token_transfers` instead accept any such log whose
//!   topics plus 32-byte data words make exactly four (so it exports ERC-721 transfers as
//!   ERC-20-like rows with the token id as `value`, and also non-indexed variants such as
//!   1 topic + 96 data bytes, which we skip); telling ERC-721 apart is our addition.
//! - Never panics on any input (fuzzed by `fuzz/fuzz_targets/parse_eth_rpc.rs`).
//!
//! # Example
//! ```
//! use chainward_chain_ethereum::{decode_block, decode_receipts, normalize};
//! use chainward_primitives::ledger::{TransferKind, TxStatus};
//!
//! let block = br#"{"jsonrpc":"2.0","id":1,"result":{
//!   "number":"0x10","hash":"0x1111111111111111111111111111111111111111111111111111111111111111",
//!   "parentHash":"0x2222222222222222222222222222222222222222222222222222222222222222",
//!   "timestamp":"0x5f5e100","gasLimit":"0x1c9c380","gasUsed":"0x5208",
//!   "transactions":[{
//!     "hash":"0x3333333333333333333333333333333333333333333333333333333333333333",
//!     "nonce":"0x0","from":"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
//!     "to":"0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","value":"0xde0b6b3a7640000",
//!     "gas":"0x5208","gasPrice":"0x3b9aca00","input":"0x","transactionIndex":"0x0"}]}}"#;
//! let receipts = br#"[{"transactionHash":"0x3333333333333333333333333333333333333333333333333333333333333333",
//!   "cumulativeGasUsed":"0x5208","gasUsed":"0x5208","status":"0x1",
//!   "effectiveGasPrice":"0x3b9aca00","logs":[]}]"#;
//!
//! let block = decode_block(block)?;
//! let receipts = decode_receipts(receipts)?;
//! let block = normalize(1, &block, &receipts, None)?;
//! let tx = &block.transactions[0];
//! assert_eq!(tx.status, TxStatus::Success);
//! assert_eq!(tx.fee.map(|f| f.to_string()), Some("21000000000000".to_owned()));
//! assert_eq!(tx.transfers[0].kind, TransferKind::Native);
//! assert_eq!(tx.transfers[0].amount.to_string(), "1000000000000000000");
//! # Ok::<(), chainward_chain_ethereum::DecodeError>(())
//! ```

pub mod etl;
mod normalize;
mod qty;
pub mod rpc;
mod trace;

#[cfg(test)]
mod tests;

pub use normalize::{NormalizeOptions, TRANSFER_TOPIC, normalize, normalize_with, token_transfer};
pub use rpc::{
    CallFrame, GethTxTrace, ParityAction, ParityResult, ParityTrace, RpcBlock, RpcLog, RpcReceipt,
    RpcTransaction, Traces, decode_block, decode_block_hashes, decode_geth_call_traces,
    decode_logs, decode_parity_traces, decode_receipts, transactions_from_receipts_and_traces,
};
pub use trace::{FlatTrace, TraceKind};

use alloy_primitives::B256;

/// Why a response could not be decoded or joined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or the top-level object lacks or mangles a field.
    #[error("{what}: {source}")]
    Json {
        /// Which response.
        what: &'static str,
        /// serde_json's message (names the field and position).
        source: serde_json::Error,
    },
    /// One element of an array (a transaction, receipt, log or trace) is malformed.
    #[error("{what} #{index}: {source}")]
    Item {
        /// What kind of element.
        what: &'static str,
        /// Its index in the array.
        index: usize,
        /// serde_json's message (names the field).
        source: serde_json::Error,
    },
    /// The node answered with a JSON-RPC error.
    #[error("{what}: the node returned error {code}: {message}")]
    Rpc {
        /// Which response.
        what: &'static str,
        /// JSON-RPC error code.
        code: i64,
        /// JSON-RPC error message.
        message: String,
    },
    /// The result is `null` (block or receipt not found, or not yet available).
    #[error("{what}: the result is null (not found)")]
    NullResult {
        /// Which response.
        what: &'static str,
    },
    /// The JSON has the wrong overall shape.
    #[error("{what}: expected {expected}")]
    Shape {
        /// Which response.
        what: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// The block lists transaction hashes only (`eth_getBlockByNumber(n, false)`).
    #[error("block: transactions are hashes only; request the block with full transactions")]
    TransactionHashesOnly,
    /// A transaction's `transactionIndex` disagrees with its position in the block.
    #[error("transaction at position {position} says its transactionIndex is {declared}")]
    TransactionIndex {
        /// Its position in the block's list.
        position: usize,
        /// What it says.
        declared: u64,
    },
    /// More transactions than fit a `u32` index.
    #[error("block has more than u32::MAX transactions")]
    TooManyTransactions,
    /// A receipt names another block.
    #[error("receipt of transaction {tx} is from block {receipt_block}, not {block}")]
    ReceiptFromOtherBlock {
        /// The receipt's transaction.
        tx: B256,
        /// The block the receipt names.
        receipt_block: B256,
        /// The block being normalized.
        block: B256,
    },
    /// A receipt's transaction is not in the block.
    #[error("receipt of transaction {tx} matches no transaction of the block")]
    UnexpectedReceipt {
        /// The receipt's transaction.
        tx: B256,
    },
    /// A transaction has no receipt and receipts were required.
    #[error("transaction {index} ({tx}) has no receipt")]
    MissingReceipt {
        /// Its index in the block.
        index: u32,
        /// Its hash.
        tx: B256,
    },
    /// `gasUsed × price` does not fit 256 bits (only possible with corrupt data).
    #[error("transaction {index} ({tx}): fee overflows 256 bits")]
    FeeOverflow {
        /// Its index in the block.
        index: u32,
        /// Its hash.
        tx: B256,
    },
}
