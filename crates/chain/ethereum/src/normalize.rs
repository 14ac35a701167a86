//! Joining a block, its receipts and (optionally) its traces into the ledger model.

use crate::DecodeError;
use crate::rpc::{RpcBlock, RpcLog, RpcReceipt, RpcTransaction, Traces};
use crate::trace::FlatTrace;
use alloy_primitives::{B256, U256, b256};
use chainward_primitives::ledger::{
    Asset, Block, BlockRef, Transaction, Transfer, TransferKind, TxStatus,
};
use chainward_primitives::{Address, Chain};
use std::collections::HashMap;

/// `keccak256("Transfer(address,address,uint256)")`, topic 0 of ERC-20 and ERC-721 transfers.
pub const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

/// How strict [`normalize_with`] is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NormalizeOptions {
    /// Fail with [`DecodeError::MissingReceipt`] when a transaction has no receipt (instead of
    /// assuming success with unknown fee and no token transfers).
    pub require_receipts: bool,
}

impl NormalizeOptions {
    /// Options requiring a receipt for every transaction.
    pub fn receipts_required() -> Self {
        Self { require_receipts: true }
    }
}

fn evm(address: alloy_primitives::Address) -> Address {
    Address::evm(address.into_array())
}

fn topic_address(topic: &B256) -> Address {
    let mut bytes = [0u8; 20];
    bytes.copy_from_slice(&topic[12..]);
    Address::evm(bytes)
}

/// The token transfer a log records, if it is one.
///
/// Topic 0 must be [`TRANSFER_TOPIC`]; then 3 topics with exactly 32 bytes of data is ERC-20
/// (amount = data) and 4 topics with empty data is ERC-721 (token id = topic 3, amount 1).
/// Other shapes with the same topic 0 are not transfers. Addresses are the low 20 bytes of
/// their topics, as ethereum-etl reads them.
pub fn token_transfer(log: &RpcLog) -> Option<Transfer> {
    let topics = log.topics.as_slice();
    if topics.first() != Some(&TRANSFER_TOPIC) {
        return None;
    }
    let (kind, amount, token_id) = match (topics.len(), log.data.len()) {
        (3, 32) => (TransferKind::Erc20, U256::from_be_slice(&log.data), None),
        (4, 0) => (TransferKind::Erc721, U256::from(1u8), Some(U256::from_be_bytes(topics[3].0))),
        _ => return None,
    };
    Some(Transfer {
        kind,
        from: topic_address(&topics[1]),
        to: topic_address(&topics[2]),
        asset: Asset::Token { contract: evm(log.address) },
        amount,
        token_id,
        log_index: log.log_index.and_then(|i| u32::try_from(i).ok()),
        trace_address: None,
    })
}

/// Internal transfers of one transaction's traces (see [`FlatTrace::is_internal_transfer`]).
fn internal_transfers<'a>(traces: impl Iterator<Item = &'a FlatTrace>) -> Vec<Transfer> {
    traces
        .filter(|t| t.is_internal_transfer())
        .filter_map(|t| {
            Some(Transfer {
                kind: TransferKind::Internal,
                from: evm(t.from?),
                to: evm(t.to?),
                asset: Asset::Native,
                amount: t.value,
                token_id: None,
                log_index: None,
                trace_address: Some(t.trace_address.clone()),
            })
        })
        .collect()
}

/// [`normalize_with`] with default options (receipts optional).
///
/// # Errors
/// See [`normalize_with`].
pub fn normalize(
    chain_id: u64,
    block: &RpcBlock,
    receipts: &[RpcReceipt],
    traces: Option<&Traces>,
) -> Result<Block, DecodeError> {
    normalize_with(chain_id, block, receipts, traces, NormalizeOptions::default())
}

/// Joins a block with its receipts (matched by transaction hash) and optional traces.
///
/// - Status comes from the receipt's `status`; a pre-Byzantium receipt has none, and then the
///   transaction is [`TxStatus::Failed`] only if traces are given and its top-level call
///   errored. A transaction without receipt is assumed successful, with fee `None` and no
///   token transfers (or an error, with [`NormalizeOptions::require_receipts`]).
/// - Fee = `gasUsed × effectiveGasPrice` (the transaction's `gasPrice` when an old node leaves
///   `effectiveGasPrice` out).
/// - Transfers, only for successful transactions: the native value, then internal transfers in
///   trace order, then token transfers in log order.
///
/// # Errors
/// [`DecodeError`] when a receipt belongs to another block or to no transaction of the block,
/// a transaction's `transactionIndex` disagrees with its position, a fee overflows, or a
/// required receipt is missing.
pub fn normalize_with(
    chain_id: u64,
    block: &RpcBlock,
    receipts: &[RpcReceipt],
    traces: Option<&Traces>,
    options: NormalizeOptions,
) -> Result<Block, DecodeError> {
    let mut by_hash: HashMap<B256, &RpcReceipt> = HashMap::with_capacity(receipts.len());
    for receipt in receipts {
        if let Some(hash) = receipt.block_hash
            && hash != block.hash
        {
            return Err(DecodeError::ReceiptFromOtherBlock {
                tx: receipt.transaction_hash,
                receipt_block: hash,
                block: block.hash,
            });
        }
        by_hash.insert(receipt.transaction_hash, receipt);
    }
    if let Some(stray) =
        receipts.iter().find(|r| !block.transactions.iter().any(|t| t.hash == r.transaction_hash))
    {
        return Err(DecodeError::UnexpectedReceipt { tx: stray.transaction_hash });
    }

    let flat = traces.map(Traces::flatten).unwrap_or_default();
    let mut transactions = Vec::with_capacity(block.transactions.len());
    for (position, tx) in block.transactions.iter().enumerate() {
        let index = u32::try_from(position).map_err(|_| DecodeError::TooManyTransactions)?;
        if let Some(declared) = tx.transaction_index
            && declared != position as u64
        {
            return Err(DecodeError::TransactionIndex { position, declared });
        }
        let tx_traces: Vec<&FlatTrace> = flat
            .iter()
            .filter(|t| match t.transaction_hash {
                Some(hash) => hash == tx.hash,
                None => t.transaction_position == Some(position as u64),
            })
            .collect();
        let receipt = by_hash.get(&tx.hash).copied();
        if receipt.is_none() && options.require_receipts {
            return Err(DecodeError::MissingReceipt { index, tx: tx.hash });
        }
        transactions.push(transaction(index, tx, receipt, &tx_traces)?);
    }

    Ok(Block {
        chain: Chain::Evm,
        evm_chain_id: Some(chain_id),
        block: BlockRef { height: block.number, hash: block.hash },
        parent_hash: block.parent_hash,
        timestamp: block.timestamp,
        transactions,
    })
}

fn transaction(
    index: u32,
    tx: &RpcTransaction,
    receipt: Option<&RpcReceipt>,
    traces: &[&FlatTrace],
) -> Result<Transaction, DecodeError> {
    let top_level_failed = traces.iter().any(|t| t.trace_address.is_empty() && t.error.is_some());
    let status = match receipt.and_then(|r| r.status) {
        Some(0) => TxStatus::Failed,
        Some(_) => TxStatus::Success,
        None if top_level_failed => TxStatus::Failed,
        None => TxStatus::Success,
    };
    let fee = match receipt {
        Some(r) => match r.effective_gas_price.or(tx.gas_price) {
            Some(price) => Some(
                price
                    .checked_mul(U256::from(r.gas_used))
                    .ok_or(DecodeError::FeeOverflow { index, tx: tx.hash })?,
            ),
            None => None,
        },
        None => None,
    };
    let mut transfers = Vec::new();
    if status == TxStatus::Success {
        let to = tx.to.or_else(|| receipt.and_then(|r| r.contract_address));
        if !tx.value.is_zero()
            && let Some(to) = to
        {
            transfers.push(Transfer {
                kind: TransferKind::Native,
                from: evm(tx.from),
                to: evm(to),
                asset: Asset::Native,
                amount: tx.value,
                token_id: None,
                log_index: None,
                trace_address: None,
            });
        }
        transfers.extend(internal_transfers(traces.iter().copied()));
        if let Some(r) = receipt {
            transfers.extend(r.logs.iter().filter(|l| !l.removed).filter_map(token_transfer));
        }
    }
    Ok(Transaction {
        hash: tx.hash,
        index,
        status,
        fee,
        inputs: Vec::new(),
        outputs: Vec::new(),
        transfers,
    })
}
