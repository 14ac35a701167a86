//! The JSON-RPC results this crate reads, decoded leniently into plain structs.
//!
//! Each `decode_*` function takes the raw bytes of one response: either the whole JSON-RPC
//! envelope (`{"jsonrpc":"2.0","id":…,"result":…}`, as recorded by ethereum-etl) or the bare
//! `result`. Only the fields Chainward uses are read; unknown fields (Parity's `sealFields`,
//! `author`, L2 extras, …) are ignored, and fields that older nodes leave out are `Option`s.

use crate::DecodeError;
use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A block from `eth_getBlockByNumber(n, true)` (with full transaction objects).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RpcBlock {
    /// Block number.
    #[serde(deserialize_with = "crate::qty::u64")]
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block time, seconds since the Unix epoch.
    #[serde(deserialize_with = "crate::qty::u64")]
    pub timestamp: u64,
    /// The miner (fee recipient).
    #[serde(default)]
    pub miner: Option<Address>,
    /// Gas limit.
    #[serde(deserialize_with = "crate::qty::u64")]
    pub gas_limit: u64,
    /// Gas used by all transactions.
    #[serde(deserialize_with = "crate::qty::u64")]
    pub gas_used: u64,
    /// EIP-1559 base fee (London and later).
    #[serde(default, deserialize_with = "crate::qty::opt_u256")]
    pub base_fee_per_gas: Option<U256>,
    /// The transactions, in block order (filled in by [`decode_block`], never read from JSON
    /// directly so that errors can name the transaction's index).
    #[serde(skip)]
    pub transactions: Vec<RpcTransaction>,
}

/// A transaction object from a block.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RpcTransaction {
    /// Transaction hash.
    pub hash: B256,
    /// Sender nonce.
    #[serde(deserialize_with = "crate::qty::u64")]
    pub nonce: u64,
    /// Containing block's hash.
    #[serde(default)]
    pub block_hash: Option<B256>,
    /// Containing block's number.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub block_number: Option<u64>,
    /// Position in the block.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub transaction_index: Option<u64>,
    /// Sender.
    pub from: Address,
    /// Recipient; `None` for a contract creation.
    #[serde(default)]
    pub to: Option<Address>,
    /// Value in wei.
    #[serde(deserialize_with = "crate::qty::u256")]
    pub value: U256,
    /// Gas limit.
    #[serde(deserialize_with = "crate::qty::u64")]
    pub gas: u64,
    /// Gas price (legacy and access-list transactions; nodes also fill it for EIP-1559 ones).
    #[serde(default, deserialize_with = "crate::qty::opt_u256")]
    pub gas_price: Option<U256>,
    /// EIP-1559 fee cap.
    #[serde(default, deserialize_with = "crate::qty::opt_u256")]
    pub max_fee_per_gas: Option<U256>,
    /// EIP-1559 tip cap.
    #[serde(default, deserialize_with = "crate::qty::opt_u256")]
    pub max_priority_fee_per_gas: Option<U256>,
    /// Call data (or init code of a creation).
    #[serde(default)]
    pub input: Bytes,
    /// EIP-2718 type; absent on pre-Berlin nodes' answers (then legacy, 0).
    #[serde(default, rename = "type", deserialize_with = "crate::qty::opt_u64")]
    pub tx_type: Option<u64>,
}

/// A receipt from `eth_getTransactionReceipt` / `eth_getBlockReceipts`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RpcReceipt {
    /// The transaction.
    pub transaction_hash: B256,
    /// Its position in the block.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub transaction_index: Option<u64>,
    /// Containing block's hash.
    #[serde(default)]
    pub block_hash: Option<B256>,
    /// Containing block's number.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub block_number: Option<u64>,
    /// Gas used by this and all earlier transactions of the block.
    #[serde(deserialize_with = "crate::qty::u64")]
    pub cumulative_gas_used: u64,
    /// Gas used by this transaction.
    #[serde(deserialize_with = "crate::qty::u64")]
    pub gas_used: u64,
    /// The contract a creation made.
    #[serde(default)]
    pub contract_address: Option<Address>,
    /// Post-state root (pre-Byzantium receipts, instead of `status`).
    #[serde(default)]
    pub root: Option<B256>,
    /// 1 = success, 0 = reverted; `None` before Byzantium (block 4,370,000).
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub status: Option<u64>,
    /// The price actually paid per gas; older nodes leave it out.
    #[serde(default, deserialize_with = "crate::qty::opt_u256")]
    pub effective_gas_price: Option<U256>,
    /// The sender (nodes since 2021 give it).
    #[serde(default)]
    pub from: Option<Address>,
    /// The recipient; `None` for a contract creation.
    #[serde(default)]
    pub to: Option<Address>,
    /// The logs emitted.
    #[serde(default)]
    pub logs: Vec<RpcLog>,
}

/// A log entry (in a receipt or from `eth_getLogs` / `eth_getFilterLogs`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RpcLog {
    /// The emitting contract.
    pub address: Address,
    /// Indexed topics (topic 0 is the event signature hash).
    #[serde(default)]
    pub topics: Vec<B256>,
    /// Non-indexed data.
    #[serde(default)]
    pub data: Bytes,
    /// Index in the block.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub log_index: Option<u64>,
    /// The emitting transaction.
    #[serde(default)]
    pub transaction_hash: Option<B256>,
    /// The emitting transaction's position.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub transaction_index: Option<u64>,
    /// Containing block's hash.
    #[serde(default)]
    pub block_hash: Option<B256>,
    /// Containing block's number.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub block_number: Option<u64>,
    /// Set when a reorg removed the log.
    #[serde(default)]
    pub removed: bool,
}

impl RpcLog {
    /// Builds a log from its parts (for callers that read logs from elsewhere, e.g. CSV).
    pub fn new(address: Address, topics: Vec<B256>, data: Bytes, log_index: Option<u64>) -> Self {
        Self {
            address,
            topics,
            data,
            log_index,
            transaction_hash: None,
            transaction_index: None,
            block_hash: None,
            block_number: None,
            removed: false,
        }
    }
}

/// One Parity/OpenEthereum/Erigon trace from `trace_block` / `trace_transaction`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ParityTrace {
    /// `call`, `create`, `suicide` (self-destruct) or `reward`.
    #[serde(rename = "type")]
    pub trace_type: String,
    /// What was done; which fields are set depends on `trace_type`.
    pub action: ParityAction,
    /// The outcome (`None` when it errored, and for rewards).
    #[serde(default)]
    pub result: Option<ParityResult>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// Number of direct child calls.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub subtraces: Option<u64>,
    /// Position in the call tree; `[]` for the transaction's top-level call.
    #[serde(default)]
    pub trace_address: Vec<u32>,
    /// The transaction (`None` for block rewards).
    #[serde(default)]
    pub transaction_hash: Option<B256>,
    /// The transaction's position (`None` for block rewards).
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub transaction_position: Option<u64>,
    /// Block number.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub block_number: Option<u64>,
}

/// The `action` of a Parity trace: the union of the call, create, suicide and reward shapes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ParityAction {
    /// `call`, `callcode`, `delegatecall` or `staticcall` (calls only).
    #[serde(default)]
    pub call_type: Option<String>,
    /// Caller (calls, creates).
    #[serde(default)]
    pub from: Option<Address>,
    /// Callee (calls).
    #[serde(default)]
    pub to: Option<Address>,
    /// Value (calls, creates, rewards).
    #[serde(default, deserialize_with = "crate::qty::opt_u256")]
    pub value: Option<U256>,
    /// Gas given.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub gas: Option<u64>,
    /// Call data (calls).
    #[serde(default)]
    pub input: Option<Bytes>,
    /// Init code (creates).
    #[serde(default)]
    pub init: Option<Bytes>,
    /// The self-destructed contract (suicides).
    #[serde(default)]
    pub address: Option<Address>,
    /// Who receives its balance (suicides).
    #[serde(default)]
    pub refund_address: Option<Address>,
    /// The balance moved (suicides).
    #[serde(default, deserialize_with = "crate::qty::opt_u256")]
    pub balance: Option<U256>,
    /// The rewarded miner (rewards).
    #[serde(default)]
    pub author: Option<Address>,
    /// `block` or `uncle` (rewards).
    #[serde(default)]
    pub reward_type: Option<String>,
}

/// The `result` of a Parity trace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ParityResult {
    /// Gas used.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub gas_used: Option<u64>,
    /// Return data (calls).
    #[serde(default)]
    pub output: Option<Bytes>,
    /// The created contract (creates).
    #[serde(default)]
    pub address: Option<Address>,
    /// The created contract's code (creates).
    #[serde(default)]
    pub code: Option<Bytes>,
}

/// One transaction's entry in Geth's `debug_traceBlockByNumber(n, {tracer: "callTracer"})`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GethTxTrace {
    /// The transaction (newer Geth versions include it; older ones only keep block order).
    #[serde(default)]
    pub tx_hash: Option<B256>,
    /// The top-level call frame.
    pub result: CallFrame,
}

/// A `callTracer` frame.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CallFrame {
    /// `CALL`, `CALLCODE`, `DELEGATECALL`, `STATICCALL`, `CREATE`, `CREATE2`, `SELFDESTRUCT`.
    #[serde(rename = "type")]
    pub frame_type: String,
    /// Caller (old Geth omits it on `SELFDESTRUCT` frames).
    #[serde(default)]
    pub from: Option<Address>,
    /// Callee, created contract, or self-destruct beneficiary.
    #[serde(default)]
    pub to: Option<Address>,
    /// Value (absent on `STATICCALL`).
    #[serde(default, deserialize_with = "crate::qty::opt_u256")]
    pub value: Option<U256>,
    /// Gas given.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub gas: Option<u64>,
    /// Gas used.
    #[serde(default, deserialize_with = "crate::qty::opt_u64")]
    pub gas_used: Option<u64>,
    /// Call data or init code.
    #[serde(default)]
    pub input: Option<Bytes>,
    /// Return data or deployed code.
    #[serde(default)]
    pub output: Option<Bytes>,
    /// Why it failed; the whole subtree's effects were reverted.
    #[serde(default)]
    pub error: Option<String>,
    /// Child frames, in execution order.
    #[serde(default)]
    pub calls: Vec<Self>,
}

/// Call traces of one block, from either node family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Traces {
    /// Parity-style flat traces (`trace_block`, Erigon, Nethermind, Reth).
    Parity(Vec<ParityTrace>),
    /// Geth `callTracer` trees, one per transaction in block order.
    Geth(Vec<GethTxTrace>),
}

/// Parses the JSON and unwraps a JSON-RPC envelope if there is one.
fn result_value(json: &[u8], what: &'static str) -> Result<Value, DecodeError> {
    let value: Value =
        serde_json::from_slice(json).map_err(|source| DecodeError::Json { what, source })?;
    let Value::Object(mut map) = value else {
        return Ok(value);
    };
    // An envelope: only envelope members, with a result or an error (some recorders drop
    // `jsonrpc` and `id`).
    let envelope = (map.contains_key("result") || map.contains_key("error"))
        && map.keys().all(|k| matches!(k.as_str(), "jsonrpc" | "id" | "result" | "error"));
    if envelope {
        if let Some(error) = map.remove("error") {
            let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
            let message =
                error.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
            return Err(DecodeError::Rpc { what, code, message });
        }
        if let Some(result) = map.remove("result") {
            return Ok(result);
        }
        return Err(DecodeError::Shape { what, expected: "a `result` or `error` member" });
    }
    Ok(Value::Object(map))
}

fn non_null(value: Value, what: &'static str) -> Result<Value, DecodeError> {
    if value.is_null() { Err(DecodeError::NullResult { what }) } else { Ok(value) }
}

fn item<T: DeserializeOwned>(
    value: Value,
    what: &'static str,
    index: usize,
) -> Result<T, DecodeError> {
    serde_json::from_value(value).map_err(|source| DecodeError::Item { what, index, source })
}

fn array(value: Value, what: &'static str) -> Result<Vec<Value>, DecodeError> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Null => Err(DecodeError::NullResult { what }),
        _ => Err(DecodeError::Shape { what, expected: "a JSON array" }),
    }
}

/// Decodes an `eth_getBlockByNumber` / `eth_getBlockByHash` result with full transactions.
///
/// # Errors
/// [`DecodeError`] when the bytes are not JSON, the node returned an error or `null`, a block
/// field is missing or malformed, or a transaction is only a hash or is malformed (naming its
/// index and field).
pub fn decode_block(json: &[u8]) -> Result<RpcBlock, DecodeError> {
    const WHAT: &str = "block";
    let mut value = non_null(result_value(json, WHAT)?, WHAT)?;
    let txs = match value.as_object_mut() {
        Some(map) => map.remove("transactions").unwrap_or(Value::Array(Vec::new())),
        None => return Err(DecodeError::Shape { what: WHAT, expected: "a JSON object" }),
    };
    let mut block: RpcBlock =
        serde_json::from_value(value).map_err(|source| DecodeError::Json { what: WHAT, source })?;
    for (index, tx) in array(txs, "block transactions")?.into_iter().enumerate() {
        if tx.is_string() {
            return Err(DecodeError::TransactionHashesOnly);
        }
        block.transactions.push(item(tx, "transaction", index)?);
    }
    Ok(block)
}

/// Decodes an `eth_getBlockByNumber(n, false)` result: the header, with no transactions, and
/// the transaction hashes in block order.
///
/// # Errors
/// [`DecodeError`] when the bytes are not JSON, the node returned an error or `null`, a block
/// field is missing or malformed, or the transactions are not hashes.
pub fn decode_block_hashes(json: &[u8]) -> Result<(RpcBlock, Vec<B256>), DecodeError> {
    const WHAT: &str = "block";
    let mut value = non_null(result_value(json, WHAT)?, WHAT)?;
    let txs = match value.as_object_mut() {
        Some(map) => map.remove("transactions").unwrap_or(Value::Array(Vec::new())),
        None => return Err(DecodeError::Shape { what: WHAT, expected: "a JSON object" }),
    };
    let block: RpcBlock =
        serde_json::from_value(value).map_err(|source| DecodeError::Json { what: WHAT, source })?;
    let hashes = array(txs, "block transactions")?
        .into_iter()
        .enumerate()
        .map(|(index, tx)| item(tx, "transaction hash", index))
        .collect::<Result<_, _>>()?;
    Ok((block, hashes))
}

/// The block's transactions rebuilt from what its receipts and its Parity traces say: hash,
/// position, sender and recipient from the receipt (else from the top-level trace), the fee
/// price from its `effectiveGasPrice`, the value from the transaction's top-level trace.
///
/// Some nodes (anvil among them) serve full transaction objects far slower than receipts and
/// traces together (they recover every sender's signature again), and nothing else of the
/// object is needed: the nonce, gas limit, input and type are left empty.
///
/// # Errors
/// [`DecodeError::MissingReceipt`] for a hash without a receipt; [`DecodeError::Shape`] for a
/// receipt without `from` or `effectiveGasPrice`, or a transaction without a top-level trace.
pub fn transactions_from_receipts_and_traces(
    hashes: &[B256],
    receipts: &[RpcReceipt],
    traces: &[ParityTrace],
) -> Result<Vec<RpcTransaction>, DecodeError> {
    let receipt_of: std::collections::HashMap<B256, &RpcReceipt> =
        receipts.iter().map(|r| (r.transaction_hash, r)).collect();
    let root_of: std::collections::HashMap<B256, &ParityTrace> = traces
        .iter()
        .filter(|t| t.trace_address.is_empty())
        .filter_map(|t| t.transaction_hash.map(|h| (h, t)))
        .collect();
    let mut transactions = Vec::with_capacity(hashes.len());
    for (index, &hash) in hashes.iter().enumerate() {
        let position = u32::try_from(index).map_err(|_| DecodeError::TooManyTransactions)?;
        let receipt = receipt_of
            .get(&hash)
            .ok_or(DecodeError::MissingReceipt { index: position, tx: hash })?;
        let root = root_of.get(&hash).ok_or(DecodeError::Shape {
            what: "parity traces",
            expected: "a top-level trace for every transaction",
        })?;
        let from = receipt.from.or(root.action.from).ok_or(DecodeError::Shape {
            what: "receipts",
            expected: "a from address (or a full block)",
        })?;
        let gas_price = receipt.effective_gas_price.ok_or(DecodeError::Shape {
            what: "receipts",
            expected: "effectiveGasPrice (or a full block)",
        })?;
        transactions.push(RpcTransaction {
            hash,
            nonce: 0,
            block_hash: receipt.block_hash,
            block_number: receipt.block_number,
            transaction_index: Some(index as u64),
            from,
            // A receipt without `to` is a creation only if the top-level trace says so.
            to: receipt.to.or(if root.trace_type == "call" { root.action.to } else { None }),
            value: root.action.value.unwrap_or_default(),
            gas: 0,
            gas_price: Some(gas_price),
            max_fee_per_gas: None,
            max_priority_fee_per_gas: None,
            input: Bytes::new(),
            tx_type: None,
        });
    }
    Ok(transactions)
}

/// Decodes `eth_getBlockReceipts` (an array) or `eth_getTransactionReceipt` (one receipt).
///
/// # Errors
/// [`DecodeError`] when the bytes are not JSON, the node returned an error or `null`, or a
/// receipt or one of its logs is malformed (naming the receipt's index).
pub fn decode_receipts(json: &[u8]) -> Result<Vec<RpcReceipt>, DecodeError> {
    const WHAT: &str = "receipts";
    match non_null(result_value(json, WHAT)?, WHAT)? {
        Value::Array(items) => {
            items.into_iter().enumerate().map(|(i, v)| item(v, "receipt", i)).collect()
        }
        single => Ok(vec![item(single, "receipt", 0)?]),
    }
}

/// Decodes an `eth_getLogs` / `eth_getFilterLogs` result.
///
/// # Errors
/// [`DecodeError`] when the bytes are not JSON, not an array, or a log is malformed.
pub fn decode_logs(json: &[u8]) -> Result<Vec<RpcLog>, DecodeError> {
    const WHAT: &str = "logs";
    let items = array(result_value(json, WHAT)?, WHAT)?;
    items.into_iter().enumerate().map(|(i, v)| item(v, "log", i)).collect()
}

/// Decodes a Parity `trace_block` / `trace_transaction` result.
///
/// # Errors
/// [`DecodeError`] when the bytes are not JSON, not an array, or a trace is malformed.
pub fn decode_parity_traces(json: &[u8]) -> Result<Vec<ParityTrace>, DecodeError> {
    const WHAT: &str = "parity traces";
    let items = array(result_value(json, WHAT)?, WHAT)?;
    items.into_iter().enumerate().map(|(i, v)| item(v, "parity trace", i)).collect()
}

/// Decodes a Geth `debug_traceBlockByNumber` / `debug_traceBlockByHash` result made with
/// `{"tracer": "callTracer"}`: an array of `{txHash?, result: CallFrame}`.
///
/// # Errors
/// [`DecodeError`] when the bytes are not JSON, not an array, or an entry is malformed (for
/// example a per-transaction `error` instead of a `result`).
pub fn decode_geth_call_traces(json: &[u8]) -> Result<Vec<GethTxTrace>, DecodeError> {
    const WHAT: &str = "geth call traces";
    let items = array(result_value(json, WHAT)?, WHAT)?;
    items.into_iter().enumerate().map(|(i, v)| item(v, "geth call trace", i)).collect()
}
