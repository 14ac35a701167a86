//! The normalized chain model: blocks, transactions, and the value they move.
//!
//! One model serves both ledger designs so that tracing and rules see one graph:
//! - **UTXO** chains (Bitcoin family): a [`Transaction`] spends [`TxInput`]s (outpoints, or none
//!   for a coinbase) and creates [`TxOutput`]s with a value, a [`ScriptType`] and, when the script
//!   has one, an [`Address`]. Fees are inputs minus outputs, known only when the source gives the
//!   spent outputs' values.
//! - **Account** chains (every EVM chain): a [`Transaction`] carries [`Transfer`]s: the
//!   transaction's own value, internal value transfers from call traces, and ERC-20 / ERC-721
//!   `Transfer` logs. A reverted transaction is kept, marked [`TxStatus::Failed`], and moves
//!   nothing (its transfers are empty) except its fee.
//!
//! Amounts are integers in base units (satoshi, wei, token units) with their [`Asset`]; nothing is
//! ever a float. Hashes are stored in the byte order explorers print (Bitcoin txids and block
//! hashes reversed from their wire order), so `to_string` gives the familiar hex.

use crate::{Address, Chain};
use alloy_primitives::{B256, U256};
use serde::Serialize;

/// A block's height and hash: enough to tell whether a stored block is still on the best chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct BlockRef {
    /// Height (block number).
    pub height: u64,
    /// Hash, in display order.
    pub hash: B256,
}

/// A decoded block with its transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    /// The chain.
    pub chain: Chain,
    /// The EVM chain id (1 for Ethereum mainnet); `None` for non-EVM chains.
    pub evm_chain_id: Option<u64>,
    /// Height and hash. Raw Bitcoin blocks do not state their height (only the coinbase of
    /// version-2+ blocks does, BIP-34); decoders put it there when known, else `u64::MAX`.
    pub block: BlockRef,
    /// The parent's hash.
    pub parent_hash: B256,
    /// Block time, seconds since the Unix epoch.
    pub timestamp: u64,
    /// Transactions in block order.
    pub transactions: Vec<Transaction>,
}

/// Whether a transaction took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TxStatus {
    /// It took effect (every UTXO transaction in a block does).
    Success,
    /// It reverted (EVM receipt status 0): only its fee was paid.
    Failed,
}

/// A transaction in either ledger model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transaction {
    /// The transaction id (Bitcoin txid, EVM transaction hash), display order.
    pub hash: B256,
    /// Position in its block.
    pub index: u32,
    /// Whether it took effect.
    pub status: TxStatus,
    /// The fee in the chain's native base unit, when known.
    pub fee: Option<U256>,
    /// UTXO inputs (empty on account chains).
    pub inputs: Vec<TxInput>,
    /// UTXO outputs (empty on account chains).
    pub outputs: Vec<TxOutput>,
    /// Account-model value transfers (empty on UTXO chains).
    pub transfers: Vec<Transfer>,
}

/// A reference to a transaction output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct OutPoint {
    /// The transaction that created the output (display order).
    pub txid: B256,
    /// The output's index.
    pub vout: u32,
}

/// A UTXO input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxInput {
    /// The output it spends; `None` for a coinbase input.
    pub previous: Option<OutPoint>,
    /// The spent output's value, when the source gives it (RPC `getblock` verbosity 3).
    pub value: Option<u64>,
    /// The spent output's address, when the source gives it.
    pub address: Option<Address>,
}

/// The standard script templates of an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScriptType {
    /// Pay to a bare public key.
    P2pk,
    /// Pay to public-key hash.
    P2pkh,
    /// Pay to script hash.
    P2sh,
    /// Segwit v0 key hash.
    P2wpkh,
    /// Segwit v0 script hash.
    P2wsh,
    /// Taproot.
    P2tr,
    /// Bare multisig.
    Multisig,
    /// `OP_RETURN` data (unspendable).
    NullData,
    /// A segwit program of another version or length.
    WitnessUnknown,
    /// Anything else.
    NonStandard,
}

/// A UTXO output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxOutput {
    /// Its index in the transaction.
    pub index: u32,
    /// Value in satoshi (or the chain's base unit).
    pub value: u64,
    /// The script template.
    pub script_type: ScriptType,
    /// The address, when the template has one (P2PK is given its P2PKH address, as explorers do).
    pub address: Option<Address>,
}

/// What an account-model transfer moves.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Asset {
    /// The chain's native coin (ETH on Ethereum, BNB on BSC, …).
    Native,
    /// A token, by its contract.
    Token {
        /// The token contract.
        contract: Address,
    },
}

/// How an account-model transfer was observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// The transaction's own value, from sender to recipient.
    Native,
    /// A value transfer inside execution (a call or create with value, a self-destruct), from
    /// the call trace.
    Internal,
    /// An ERC-20 `Transfer(address,address,uint256)` log.
    Erc20,
    /// An ERC-721 `Transfer(address,address,uint256 indexed)` log.
    Erc721,
}

/// An account-model value transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// How it was observed.
    pub kind: TransferKind,
    /// The sender.
    pub from: Address,
    /// The recipient (for a contract creation, the created contract).
    pub to: Address,
    /// What moves.
    pub asset: Asset,
    /// How much, in base units (for ERC-721: 1).
    pub amount: U256,
    /// The ERC-721 token id.
    pub token_id: Option<U256>,
    /// The log's index in the block (token transfers).
    pub log_index: Option<u32>,
    /// The call's position in the trace (internal transfers), e.g. `[0, 2]`.
    pub trace_address: Option<Vec<u32>>,
}

/// One ledger: a chain, and for EVM chains which one (they share an address space but not a
/// history). Blocks, checkpoints and heights are per network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Network {
    /// The chain family.
    pub chain: Chain,
    /// The EVM chain id (1 = Ethereum mainnet); `None` for non-EVM chains.
    pub evm_chain_id: Option<u64>,
}

impl Network {
    /// A non-EVM chain.
    pub const fn chain(chain: Chain) -> Self {
        Self { chain, evm_chain_id: None }
    }

    /// An EVM chain by its chain id.
    pub const fn evm(chain_id: u64) -> Self {
        Self { chain: Chain::Evm, evm_chain_id: Some(chain_id) }
    }

    /// The network a block belongs to.
    pub fn of(block: &Block) -> Self {
        Self { chain: block.chain, evm_chain_id: block.evm_chain_id }
    }
}

impl std::fmt::Display for Network {
    /// `bitcoin`, `litecoin`, …, and `evm-1`, `evm-56`, … for EVM chains.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.evm_chain_id {
            Some(id) => write!(f, "evm-{id}"),
            None => f.write_str(self.chain.as_str()),
        }
    }
}

impl Block {
    /// Account transfers plus UTXO outputs: the value movements this block records.
    pub fn movement_count(&self) -> usize {
        self.transactions.iter().map(|tx| tx.transfers.len() + tx.outputs.len()).sum()
    }
}
