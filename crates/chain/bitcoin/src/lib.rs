//! Decoding of Bitcoin-family data into Chainward's ledger model
//! ([`chainward_primitives::ledger`]).
//!
//! Three sources are decoded, each from bytes already in memory:
//! - a raw consensus-serialized block: [`decode_block`] (checks the merkle root, takes the
//!   height from the BIP-34 coinbase when it is not given);
//! - Bitcoin Core's `blocks/blk*.dat` files: [`blk::BlkReader`] walks the
//!   `[magic][size][block]` records (all five networks' magics, resynchronising over junk and
//!   zero padding), [`blk::deobfuscate`] undoes the XOR key of Bitcoin Core 28+ (`xor.dat`),
//!   and [`blk::BlkDir`] reads a `blocks/` directory file by file;
//! - a node's `getblock` JSON (verbosity 2 or 3): [`rpc::decode_getblock_json`], with values
//!   converted to satoshi from the number's decimal text, never through a float.
//!
//! Design decisions:
//! - **Display-order hashes.** Block hashes and txids are stored as [`alloy_primitives::B256`]
//!   in the byte order explorers and RPC print (the reverse of the wire order), so
//!   `hash.to_string()` without `0x` is the familiar hex.
//! - **Pure decoding.** Parsing works on `&[u8]` and never panics on any input (a fuzz target
//!   checks this); the only I/O is [`blk::BlkDir`], which reads whole files with
//!   [`std::fs::read`] (memory mapping needs `unsafe`, which the workspace forbids).
//! - **One pass, no intermediate block.** [`decode_block`] walks the bytes once into the model
//!   (a private `wire` module) instead of building a [`bitcoin::Block`] and converting it:
//!   no script or witness is copied, and txids are hashed from the bytes of each
//!   transaction's non-witness serialization rather than by re-serializing it. It accepts
//!   exactly what `bitcoin::consensus::deserialize` accepts (differential tests on real and
//!   mutated blocks check this). What remains is mostly hashing (txids, merkle root, block
//!   hash): `cargo bench -p chainward-chain-bitcoin --bench blk_decode` shows it beside the
//!   `bitcoin` crate's decoding alone.
//! - **Addresses** come from `Address::from_output_script` in `chainward-primitives`; P2PK
//!   outputs are given the P2PKH address of their key's HASH160 here, as explorers show them.
//!   Their string form is computed on first use (`canonical`, `Display`, `Serialize`), not
//!   per output while decoding.
//! - **Fees** are known only when the spent outputs' values are: never from a raw block (except
//!   the coinbase, whose fee is 0), and from RPC verbosity 3.
//!
//! ```
//! use chainward_chain_bitcoin::decode_block;
//! use chainward_primitives::Chain;
//! use bitcoin::blockdata::constants::genesis_block;
//!
//! let raw = bitcoin::consensus::serialize(&genesis_block(bitcoin::Network::Bitcoin));
//! let block = decode_block(Chain::Bitcoin, &raw, Some(0)).unwrap();
//! assert_eq!(
//!     block.block.hash.to_string(),
//!     "0x000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
//! );
//! let coinbase = &block.transactions[0];
//! assert_eq!(coinbase.outputs[0].value, 50 * 100_000_000);
//! assert_eq!(
//!     coinbase.outputs[0].address.as_ref().unwrap().canonical(),
//!     "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
//! );
//! ```

pub mod blk;
pub mod etl;
pub mod rpc;
mod wire;

use alloy_primitives::{B256, U256};
use bitcoin::hashes::Hash;
use chainward_primitives::ledger::{
    Block, BlockRef, OutPoint, ScriptType, Transaction, TxInput, TxOutput, TxStatus,
};
use chainward_primitives::{Address, Chain};

/// Why bytes could not be decoded. Messages say where (file, byte offset) and what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not a consensus-serialized block.
    #[error("not a valid block: {what}")]
    Block {
        /// What the consensus decoder objected to.
        what: String,
    },
    /// The transactions do not hash to the header's merkle root.
    #[error("block {hash}: the transactions do not match the header's merkle root")]
    MerkleMismatch {
        /// The block's hash (display order).
        hash: String,
    },
    /// A `blk*.dat` record runs past the end of the data.
    #[error(
        "truncated record at byte {offset}: it needs {needed} bytes but only {available} remain"
    )]
    Truncated {
        /// Byte offset of the record's magic.
        offset: u64,
        /// Bytes the record needs (header and block).
        needed: u64,
        /// Bytes left from `offset`.
        available: u64,
    },
    /// A `blk*.dat` record at `offset` holds a block that does not decode.
    #[error("record at byte {offset}: {source}")]
    AtOffset {
        /// Byte offset of the record's magic.
        offset: u64,
        /// What is wrong with the block.
        source: Box<Self>,
    },
    /// A file could not be read, or its contents not decoded.
    #[error("{path}: {what}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        what: String,
    },
    /// A `getblock` JSON response is not what was expected.
    #[error("getblock JSON: {what}")]
    Json {
        /// What is wrong, naming the field.
        what: String,
    },
}

/// Decodes a consensus-serialized block of `chain` into the ledger model.
///
/// `height` is used when given; otherwise it is read from the coinbase (BIP-34, version 2+
/// blocks), or `u64::MAX` when it cannot be. Coinbase inputs have `previous: None`; fees are
/// `None` (the spent outputs are not in the block) except the coinbase's, which is 0.
///
/// # Errors
/// [`DecodeError::Block`] when the bytes do not decode (or have trailing bytes), naming the
/// byte offset, and [`DecodeError::MerkleMismatch`] when the transactions do not match the
/// header.
pub fn decode_block(chain: Chain, raw: &[u8], height: Option<u64>) -> Result<Block, DecodeError> {
    wire::decode_block(chain, raw, height)
}

/// Converts an already decoded [`bitcoin::Block`], checking its merkle root as
/// [`decode_block`] does.
///
/// # Errors
/// [`DecodeError::MerkleMismatch`] when the transactions do not match the header.
pub fn from_bitcoin_block(
    chain: Chain,
    block: &bitcoin::Block,
    height: Option<u64>,
) -> Result<Block, DecodeError> {
    let hash = display_hash(block.block_hash().to_byte_array());
    // The txids are hashed once, for the merkle check (the one `Block::check_merkle_root`
    // does) and for the model.
    let txids: Vec<bitcoin::Txid> = block.txdata.iter().map(|tx| tx.compute_txid()).collect();
    let root = bitcoin::merkle_tree::calculate_root(txids.iter().map(|t| t.to_raw_hash()));
    if root != Some(block.header.merkle_root.to_raw_hash()) {
        return Err(DecodeError::MerkleMismatch { hash: hex_of(&hash) });
    }
    let height = height.or_else(|| block.bip34_block_height().ok()).unwrap_or(u64::MAX);
    let transactions = block
        .txdata
        .iter()
        .zip(&txids)
        .enumerate()
        .map(|(i, (tx, id))| convert_tx(chain, i, tx, *id))
        .collect();
    Ok(Block {
        chain,
        evm_chain_id: None,
        block: BlockRef { height, hash },
        parent_hash: display_hash(block.header.prev_blockhash.to_byte_array()),
        timestamp: u64::from(block.header.time),
        transactions,
    })
}

fn convert_tx(
    chain: Chain,
    index: usize,
    tx: &bitcoin::Transaction,
    txid: bitcoin::Txid,
) -> Transaction {
    let coinbase = tx.is_coinbase();
    let inputs = tx
        .input
        .iter()
        .map(|input| TxInput {
            previous: (!coinbase).then(|| OutPoint {
                txid: display_hash(input.previous_output.txid.to_byte_array()),
                vout: input.previous_output.vout,
            }),
            value: None,
            address: None,
        })
        .collect();
    let outputs = tx
        .output
        .iter()
        .enumerate()
        .map(|(i, output)| {
            let (script_type, address) = output_address(chain, output.script_pubkey.as_bytes());
            TxOutput {
                index: u32::try_from(i).unwrap_or(u32::MAX),
                value: output.value.to_sat(),
                script_type,
                address,
            }
        })
        .collect();
    Transaction {
        hash: display_hash(txid.to_byte_array()),
        index: u32::try_from(index).unwrap_or(u32::MAX),
        status: TxStatus::Success,
        fee: coinbase.then_some(U256::ZERO),
        inputs,
        outputs,
        transfers: Vec::new(),
    }
}

/// The script type and address of an output script: `Address::from_output_script`, plus the
/// P2PKH address of the key's HASH160 for P2PK outputs (as explorers show them).
pub fn output_address(chain: Chain, script: &[u8]) -> (ScriptType, Option<Address>) {
    let (script_type, address) = Address::from_output_script(chain, script);
    if script_type == ScriptType::P2pk
        && let Some(key) = script.get(1..script.len().saturating_sub(1))
    {
        let hash = bitcoin::hashes::hash160::Hash::hash(key).to_byte_array();
        return (script_type, Address::from_pubkey_hash(chain, &hash));
    }
    (script_type, address)
}

/// A wire-order hash as a display-order [`B256`].
fn display_hash(mut wire: [u8; 32]) -> B256 {
    wire.reverse();
    B256::from(wire)
}

fn hex_of(hash: &B256) -> String {
    alloy_primitives::hex::encode(hash)
}
