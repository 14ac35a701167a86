//! Valid Bitcoin chains built in code: regtest proof of work, BIP-34 coinbases, transactions
//! that spend earlier outputs into every standard script type. For tests (forks, interrupted
//! ingests) and benchmarks; there is no Bitcoin node to ask (see ARCHITECTURE.md).
//!
//! ```
//! use chainward_ingest::synthetic::ChainBuilder;
//!
//! let mut builder = ChainBuilder::regtest(7);
//! let blocks = builder.mine(3, 2);
//! assert_eq!(blocks.len(), 3);
//! assert_eq!(builder.height(), 3);
//! // A fork from the genesis block: a different chain of the same heights.
//! let mut fork = ChainBuilder::regtest(8);
//! assert_ne!(fork.mine(3, 2)[2].block_hash(), blocks[2].block_hash());
//! ```

use bitcoin::absolute::LockTime;
use bitcoin::blockdata::constants::genesis_block;
use bitcoin::hashes::Hash;
use bitcoin::script::{Builder, ScriptBuf};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, Sequence, Transaction, TxIn, TxMerkleNode,
    TxOut, Witness, block,
};
use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;

/// Builds a chain block by block. `Clone` it at any height to build a fork from there.
#[derive(Clone, Debug)]
pub struct ChainBuilder {
    network: bitcoin::Network,
    tip: BlockHash,
    height: u64,
    time: u32,
    bits: CompactTarget,
    rng: u64,
    spendable: VecDeque<(OutPoint, u64)>,
}

impl ChainBuilder {
    /// A builder on top of the regtest genesis block; `seed` makes its chain differ from
    /// another builder's.
    pub fn regtest(seed: u64) -> Self {
        let genesis = genesis_block(bitcoin::Network::Regtest);
        Self {
            network: bitcoin::Network::Regtest,
            tip: genesis.block_hash(),
            height: 0,
            time: genesis.header.time,
            bits: genesis.header.bits,
            rng: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            spendable: VecDeque::new(),
        }
    }

    /// The genesis block this builder's chains start from.
    pub fn genesis(&self) -> Block {
        genesis_block(self.network)
    }

    /// The height of the last block built.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Changes the seed (call on a clone to make a fork differ).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic, good enough for choosing scripts and amounts.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn script(&mut self) -> ScriptBuf {
        let r = self.next_random();
        let mut program = [0u8; 32];
        program[..8].copy_from_slice(&r.to_le_bytes());
        program[8..16].copy_from_slice(&self.next_random().to_le_bytes());
        program[16..24].copy_from_slice(&self.next_random().to_le_bytes());
        program[24..].copy_from_slice(&self.next_random().to_le_bytes());
        let hash20: [u8; 20] = program[..20].try_into().unwrap_or([0; 20]);
        match r % 6 {
            0 => ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array(hash20)),
            1 => ScriptBuf::new_p2sh(&bitcoin::ScriptHash::from_byte_array(hash20)),
            2 | 3 => ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(hash20)),
            4 => ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array(program)),
            _ => Builder::new()
                .push_opcode(bitcoin::opcodes::all::OP_PUSHNUM_1)
                .push_slice(program)
                .into_script(),
        }
    }

    /// Builds `count` blocks, each with a coinbase and up to `spends` transactions that spend
    /// earlier outputs into two or three new ones.
    pub fn mine(&mut self, count: u64, spends: usize) -> Vec<Block> {
        (0..count).map(|_| self.mine_one(spends)).collect()
    }

    fn mine_one(&mut self, spends: usize) -> Block {
        let height = self.height + 1;
        let coinbase_script = Builder::new()
            .push_int(height as i64)
            .push_slice(self.next_random().to_le_bytes())
            .into_script();
        let reward = 50 * 100_000_000u64;
        let coinbase = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: coinbase_script,
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut { value: Amount::from_sat(reward), script_pubkey: self.script() }],
        };
        let mut transactions = vec![coinbase];
        let mut created = Vec::new();
        for _ in 0..spends {
            // Coinbase outputs mature after 100 blocks on the real chain; nothing here checks
            // that, and spending young outputs keeps short chains interesting.
            let Some((outpoint, value)) = self.spendable.pop_front() else { break };
            let fee = 1_000;
            let parts = 2 + (self.next_random() % 2);
            let share = (value.saturating_sub(fee)) / parts;
            if share < 1_000 {
                continue;
            }
            let output = (0..parts)
                .map(|_| TxOut { value: Amount::from_sat(share), script_pubkey: self.script() })
                .collect();
            let tx = Transaction {
                version: Version::TWO,
                lock_time: LockTime::ZERO,
                input: vec![TxIn {
                    previous_output: outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: Witness::new(),
                }],
                output,
            };
            created.push(tx.clone());
            transactions.push(tx);
        }
        let coinbase_txid = transactions[0].compute_txid();
        self.spendable.push_back((OutPoint::new(coinbase_txid, 0), reward));
        for tx in &created {
            let txid = tx.compute_txid();
            for (vout, out) in tx.output.iter().enumerate() {
                self.spendable.push_back((OutPoint::new(txid, vout as u32), out.value.to_sat()));
            }
        }
        self.time += 600;
        let mut block = Block {
            header: block::Header {
                version: block::Version::from_consensus(0x2000_0000),
                prev_blockhash: self.tip,
                merkle_root: TxMerkleNode::all_zeros(),
                time: self.time,
                bits: self.bits,
                nonce: 0,
            },
            txdata: transactions,
        };
        block.header.merkle_root = block.compute_merkle_root().unwrap_or(TxMerkleNode::all_zeros());
        while block.header.validate_pow(block.header.target()).is_err() {
            block.header.nonce += 1;
        }
        self.tip = block.block_hash();
        self.height = height;
        block
    }
}

/// Writes `blocks` as one `blk*.dat` file with `network`'s magic, optionally obfuscated with
/// Bitcoin Core 28's XOR key (then also write `xor.dat` beside it).
///
/// # Errors
/// I/O errors.
pub fn write_blk_file(
    path: &Path,
    network: bitcoin::Network,
    blocks: &[Block],
    xor_key: Option<[u8; 8]>,
) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    for block in blocks {
        let raw = bitcoin::consensus::serialize(block);
        bytes.extend_from_slice(&network.magic().to_bytes());
        bytes.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&raw);
    }
    if let Some(key) = xor_key {
        chainward_chain_bitcoin::blk::deobfuscate(&mut bytes, key, 0);
        std::fs::write(path.with_file_name("xor.dat"), key)?;
    }
    std::fs::File::create(path)?.write_all(&bytes)
}
