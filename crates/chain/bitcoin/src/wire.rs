//! Direct decoding of a consensus-serialized block into the ledger model, without an
//! intermediate [`bitcoin::Block`].
//!
//! The bytes are walked once, in place: nothing is copied but the values the model keeps
//! (outpoints, amounts, script addresses). Txids are hashed from the byte spans of the
//! non-witness serialization (version, inputs and outputs, lock time; a segwit transaction's
//! marker, flag and witnesses are left out) instead of re-serializing each transaction. Every
//! compact size must be minimally encoded, as the `bitcoin` crate requires, so those spans are
//! byte for byte what re-serialization would produce.
//!
//! What is accepted is what [`bitcoin::consensus::deserialize::<bitcoin::Block>`] accepts
//! (the tests below check both agree on mutated real blocks), and nothing panics: every read
//! is bounds-checked and every count sizes an allocation only up to what the remaining bytes
//! could hold.

use crate::{DecodeError, output_address};
use alloy_primitives::{B256, U256};
use chainward_primitives::Chain;
use chainward_primitives::ledger::TxStatus;
use chainward_primitives::ledger::{Block, BlockRef, OutPoint, Transaction, TxInput, TxOutput};
use sha2::{Digest, Sha256};

/// The `bitcoin` crate's limit on a witness's element count and on its total size (element
/// bytes and their length prefixes) for one input.
const MAX_WITNESS_SIZE: u64 = 4_000_000;
/// The smallest serialized transaction (segwit marker, no inputs, no outputs), input and
/// output: bounds on how many the remaining bytes can hold, to size allocations.
const MIN_TX_SIZE: usize = 4 + 2 + 1 + 1 + 4;
const MIN_INPUT_SIZE: usize = 32 + 4 + 1 + 4;
const MIN_OUTPUT_SIZE: usize = 8 + 1;
const HEADER_SIZE: usize = 80;

/// Why the bytes are not a block, with the byte offset where decoding stopped.
#[derive(Debug)]
enum WireError {
    /// The data ends inside a field.
    Eof { at: usize, what: &'static str },
    /// A compact size has a longer encoding than its value needs.
    NonMinimal { at: usize },
    /// A transaction with no inputs whose next byte is not the segwit flag 1.
    SegwitFlag { at: usize, flag: u8 },
    /// A segwit transaction whose inputs all have empty witnesses.
    NoWitnesses { at: usize },
    /// A witness with more than 4,000,000 elements or bytes.
    OversizedWitness { at: usize },
    /// Bytes after the last transaction.
    Trailing { at: usize, len: usize },
}

impl WireError {
    fn into_decode_error(self) -> DecodeError {
        let what = match self {
            Self::Eof { at, what } => format!("the data ends inside {what} at byte {at}"),
            Self::NonMinimal { at } => {
                format!("non-minimal compact size (length prefix) at byte {at}")
            }
            Self::SegwitFlag { at, flag } => {
                format!("unsupported segwit flag {flag} at byte {at} (expected 1)")
            }
            Self::NoWitnesses { at } => {
                format!("the transaction at byte {at} sets the witness flag but has no witnesses")
            }
            Self::OversizedWitness { at } => {
                format!("witness at byte {at} exceeds {MAX_WITNESS_SIZE} elements or bytes")
            }
            Self::Trailing { at, len } => {
                format!("{} bytes after the last transaction (which ends at byte {at})", len - at)
            }
        };
        DecodeError::Block { what }
    }
}

/// A bounds-checked reader over the block's bytes.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.buf.len());
        match end {
            Some(end) => {
                let bytes = &self.buf[self.pos..end];
                self.pos = end;
                Ok(bytes)
            }
            None => Err(WireError::Eof { at: self.pos, what }),
        }
    }

    #[inline]
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let bytes = self.take(N, what)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    #[inline]
    fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// A Bitcoin compact size (`VarInt`), rejecting non-minimal encodings as the `bitcoin`
    /// crate does.
    #[inline]
    fn compact_size(&mut self, what: &'static str) -> Result<u64, WireError> {
        let at = self.pos;
        let [first] = self.array(what)?;
        let (value, min) = match first {
            0xfd => (u64::from(u16::from_le_bytes(self.array(what)?)), 0xfd),
            0xfe => (u64::from(u32::from_le_bytes(self.array(what)?)), 0x1_0000),
            0xff => (self.u64(what)?, 0x1_0000_0000),
            small => return Ok(u64::from(small)),
        };
        if value < min { Err(WireError::NonMinimal { at }) } else { Ok(value) }
    }

    /// A compact-size length followed by that many bytes.
    #[inline]
    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let len = self.compact_size(what)?;
        self.take(usize::try_from(len).unwrap_or(usize::MAX), what)
    }

    /// At most `count`, and at most as many items of `min_size` bytes as remain: a capacity
    /// that untrusted counts cannot inflate.
    fn capacity(&self, count: u64, min_size: usize) -> usize {
        let fit = (self.buf.len() - self.pos) / min_size;
        usize::try_from(count).map_or(fit, |count| count.min(fit))
    }
}

/// Decodes a consensus-serialized block of `chain` (see [`crate::decode_block`]).
pub(crate) fn decode_block(
    chain: Chain,
    raw: &[u8],
    height: Option<u64>,
) -> Result<Block, DecodeError> {
    let decoded = decode_transactions(chain, raw).map_err(WireError::into_decode_error)?;
    let header = decoded.header;
    let hash = display_hash(sha256d(header));
    if merkle_root(decoded.txids).as_ref().map(<[u8; 32]>::as_slice) != Some(&header[36..68]) {
        return Err(DecodeError::MerkleMismatch { hash: alloy_primitives::hex::encode(hash) });
    }
    let height =
        height.or_else(|| bip34_height(header, decoded.coinbase_script)).unwrap_or(u64::MAX);
    let parent: [u8; 32] = header[4..36].try_into().expect("an 80-byte header");
    let time: [u8; 4] = header[68..72].try_into().expect("an 80-byte header");
    Ok(Block {
        chain,
        evm_chain_id: None,
        block: BlockRef { height, hash },
        parent_hash: display_hash(parent),
        timestamp: u64::from(u32::from_le_bytes(time)),
        transactions: decoded.transactions,
    })
}

/// A block's parts before the merkle check.
struct Decoded<'a> {
    header: &'a [u8; HEADER_SIZE],
    transactions: Vec<Transaction>,
    /// Wire-order txids, in block order.
    txids: Vec<[u8; 32]>,
    /// The first transaction's first input script (BIP-34 height).
    coinbase_script: Option<&'a [u8]>,
}

fn decode_transactions(chain: Chain, raw: &[u8]) -> Result<Decoded<'_>, WireError> {
    let mut cursor = Cursor { buf: raw, pos: 0 };
    let header: &[u8; HEADER_SIZE] =
        cursor.take(HEADER_SIZE, "the header")?.try_into().expect("took 80 bytes");
    let count = cursor.compact_size("the transaction count")?;
    let capacity = cursor.capacity(count, MIN_TX_SIZE);
    let mut transactions = Vec::with_capacity(capacity);
    let mut txids = Vec::with_capacity(capacity);
    let mut coinbase_script = None;
    for index in 0..count {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let tx = decode_tx(chain, &mut cursor, index)?;
        if index == 0 {
            coinbase_script = tx.first_script;
        }
        transactions.push(tx.transaction);
        txids.push(tx.txid);
    }
    if cursor.pos != raw.len() {
        return Err(WireError::Trailing { at: cursor.pos, len: raw.len() });
    }
    Ok(Decoded { header, transactions, txids, coinbase_script })
}

/// A decoded transaction.
struct DecodedTx<'a> {
    transaction: Transaction,
    /// Its txid, wire order.
    txid: [u8; 32],
    /// Its first input's script.
    first_script: Option<&'a [u8]>,
}

/// The transaction at the cursor, the `index`th of its block.
fn decode_tx<'a>(
    chain: Chain,
    cursor: &mut Cursor<'a>,
    index: u32,
) -> Result<DecodedTx<'a>, WireError> {
    let start = cursor.pos;
    let version = cursor.take(4, "a transaction version")?;
    // The non-witness serialization is `version ‖ body ‖ lock time`, the body running from
    // the input count to the end of the outputs.
    let mut body_start = cursor.pos;
    let mut input_count = cursor.compact_size("an input count")?;
    // No inputs: a segwit transaction's marker, to be followed by the flag 1 (BIP-144).
    let segwit = input_count == 0;
    if segwit {
        let at = cursor.pos;
        let [flag] = cursor.array("the segwit flag")?;
        if flag != 1 {
            return Err(WireError::SegwitFlag { at, flag });
        }
        body_start = cursor.pos;
        input_count = cursor.compact_size("an input count")?;
    }
    let mut inputs = Vec::with_capacity(cursor.capacity(input_count, MIN_INPUT_SIZE));
    let mut first_script = None;
    let mut coinbase = false;
    for i in 0..input_count {
        let previous = cursor.take(36, "an outpoint")?;
        let script = cursor.bytes("an input script")?;
        cursor.take(4, "a sequence number")?;
        let (txid, vout) = previous.split_at(32);
        let vout = u32::from_le_bytes(vout.try_into().expect("4 bytes"));
        if i == 0 {
            first_script = Some(script);
            // `bitcoin::Transaction::is_coinbase`: one input, spending the null outpoint.
            coinbase = input_count == 1 && vout == u32::MAX && txid.iter().all(|&b| b == 0);
        }
        inputs.push(TxInput {
            previous: (!coinbase)
                .then(|| OutPoint { txid: display_hash(txid.try_into().expect("32 bytes")), vout }),
            value: None,
            address: None,
        });
    }
    let output_count = cursor.compact_size("an output count")?;
    let mut outputs = Vec::with_capacity(cursor.capacity(output_count, MIN_OUTPUT_SIZE));
    for i in 0..output_count {
        let value = cursor.u64("an output value")?;
        let script = cursor.bytes("an output script")?;
        let (script_type, address) = output_address(chain, script);
        outputs.push(TxOutput {
            index: u32::try_from(i).unwrap_or(u32::MAX),
            value,
            script_type,
            address,
        });
    }
    let body_end = cursor.pos;
    if segwit {
        let at = cursor.pos;
        let mut any_witness = false;
        for _ in 0..input_count {
            any_witness |= skip_witness(cursor)?;
        }
        if input_count > 0 && !any_witness {
            return Err(WireError::NoWitnesses { at });
        }
    }
    let lock_time = cursor.take(4, "a lock time")?;
    let txid = if segwit {
        sha256d_parts(&[version, &cursor.buf[body_start..body_end], lock_time])
    } else {
        sha256d(&cursor.buf[start..cursor.pos])
    };
    let transaction = Transaction {
        hash: display_hash(txid),
        index,
        status: TxStatus::Success,
        fee: coinbase.then_some(U256::ZERO),
        inputs,
        outputs,
        transfers: Vec::new(),
    };
    Ok(DecodedTx { transaction, txid, first_script })
}

/// Skips one input's witness; whether it has any element. Enforces the `bitcoin` crate's
/// limits (4,000,000 elements, 4,000,000 bytes of elements and their length prefixes).
fn skip_witness(cursor: &mut Cursor<'_>) -> Result<bool, WireError> {
    let at = cursor.pos;
    let elements = cursor.compact_size("a witness element count")?;
    if elements > MAX_WITNESS_SIZE {
        return Err(WireError::OversizedWitness { at });
    }
    let mut size: u64 = 0;
    for _ in 0..elements {
        let prefix_at = cursor.pos;
        let len = cursor.compact_size("a witness element")?;
        let prefix = (cursor.pos - prefix_at) as u64;
        size = size.saturating_add(prefix).saturating_add(len);
        if size > MAX_WITNESS_SIZE {
            return Err(WireError::OversizedWitness { at });
        }
        cursor.take(usize::try_from(len).unwrap_or(usize::MAX), "a witness element")?;
    }
    Ok(elements > 0)
}

/// The height a version-2+ block's coinbase states (BIP-34), exactly as
/// [`bitcoin::Block::bip34_block_height`] reads it.
fn bip34_height(header: &[u8; HEADER_SIZE], coinbase_script: Option<&[u8]>) -> Option<u64> {
    use bitcoin::blockdata::script::{Instruction, Script, read_scriptint};
    let version = i32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
    if version < 2 {
        return None;
    }
    let script = Script::from_bytes(coinbase_script?);
    match script.instructions_minimal().next()? {
        Ok(Instruction::PushBytes(push)) => {
            read_scriptint(push.as_bytes()).ok().and_then(|h| u64::try_from(h).ok())
        }
        _ => None,
    }
}

/// The merkle root of wire-order txids, as [`bitcoin::merkle_tree::calculate_root`] computes it
/// (an odd last hash is paired with itself); `None` when there are none.
fn merkle_root(mut level: Vec<[u8; 32]>) -> Option<[u8; 32]> {
    while level.len() > 1 {
        let pairs = level.len().div_ceil(2);
        for i in 0..pairs {
            let left = level[2 * i];
            let right = level.get(2 * i + 1).copied().unwrap_or(left);
            level[i] = sha256d_parts(&[&left, &right]);
        }
        level.truncate(pairs);
    }
    level.first().copied()
}

fn sha256d(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

fn sha256d_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut engine = Sha256::new();
    for part in parts {
        engine.update(part);
    }
    Sha256::digest(engine.finalize()).into()
}

/// A wire-order hash as a display-order [`B256`].
fn display_hash(mut wire: [u8; 32]) -> B256 {
    wire.reverse();
    B256::from(wire)
}

#[cfg(test)]
mod tests {
    //! Differential tests against the `bitcoin` crate: on real blocks and on mutations of
    //! them, this decoder accepts exactly what `bitcoin::consensus::deserialize` accepts, and
    //! gives what [`crate::from_bitcoin_block`] makes of it.

    use super::*;
    use bitcoin::consensus::{deserialize, serialize};
    use bitcoin::hashes::Hash;
    use proptest::prelude::*;

    fn read(relative: &str) -> Vec<u8> {
        let path = chainward_fixtures::shared_file(relative);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The blocks of a `blk` fixture file.
    fn blk_blocks(name: &str) -> Vec<Vec<u8>> {
        let bytes = read(&format!("raw_chain/zuinnote_blk/{name}"));
        crate::blk::BlkReader::new(&bytes).map(|r| r.unwrap().raw.to_vec()).collect()
    }

    /// A small segwit block: the header, coinbase, first two segwit transactions and first
    /// legacy one of a real segwit block, with the merkle root fixed, so that mutations are
    /// cheap to decode in debug builds.
    fn small_segwit_block() -> &'static [u8] {
        static BLOCK: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
            let raw = &blk_blocks("scriptwitness.blk")[0];
            let block: bitcoin::Block = deserialize(raw).unwrap();
            let segwit =
                |tx: &&bitcoin::Transaction| tx.input.iter().any(|i| !i.witness.is_empty());
            let mut txdata = vec![block.txdata[0].clone()];
            txdata.extend(block.txdata[1..].iter().filter(segwit).take(2).cloned());
            txdata.extend(block.txdata[1..].iter().filter(|tx| !segwit(tx)).take(1).cloned());
            assert_eq!(txdata.len(), 4);
            let mut small = bitcoin::Block { header: block.header, txdata };
            small.header.merkle_root = small.compute_merkle_root().unwrap();
            serialize(&small)
        });
        &BLOCK
    }

    /// What the `bitcoin` crate makes of `raw`: its decoding converted by
    /// `from_bitcoin_block`.
    fn anchor(chain: Chain, raw: &[u8]) -> Option<Block> {
        let block: bitcoin::Block = deserialize(raw).ok()?;
        crate::from_bitcoin_block(chain, &block, None).ok()
    }

    /// Both decoders agree on `raw`: the same verdict on its structure (before the merkle
    /// check) with the same txids, and the same ledger block or both an error.
    fn assert_agree(chain: Chain, raw: &[u8]) {
        let theirs: Result<bitcoin::Block, _> = deserialize(raw);
        let ours = decode_transactions(chain, raw);
        assert_eq!(
            ours.is_ok(),
            theirs.is_ok(),
            "structure: ours {:?}, theirs {theirs:?}",
            ours.err()
        );
        if let (Ok(ours), Ok(theirs)) = (&ours, &theirs) {
            let txids: Vec<[u8; 32]> =
                theirs.txdata.iter().map(|tx| tx.compute_txid().to_byte_array()).collect();
            assert_eq!(ours.txids, txids);
        }
        let block = decode_block(chain, raw, None).ok();
        assert_eq!(block, anchor(chain, raw));
        if let Some(block) = block {
            // Lazily spelled addresses read the same as eagerly converted ones.
            let expected = anchor(chain, raw).unwrap();
            let spell = |b: &Block| -> Vec<String> {
                b.transactions
                    .iter()
                    .flat_map(|t| &t.outputs)
                    .filter_map(|o| o.address.as_ref().map(ToString::to_string))
                    .collect()
            };
            assert_eq!(spell(&block), spell(&expected));
        }
    }

    #[test]
    fn every_real_block_decodes_as_the_bitcoin_crate_does() {
        let dir = chainward_fixtures::shared_file("raw_chain/zuinnote_blk");
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut blocks = 0;
        for name in &names {
            for raw in blk_blocks(name) {
                assert_agree(Chain::Bitcoin, &raw);
                blocks += 1;
            }
        }
        assert_eq!(blocks, 19);
        for name in [
            "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw",
            "testnet_block_000000000000045e0b1660b6445b5e5c5ab63c9a4f956be7e1e69be04fa4497b.raw",
        ] {
            let raw = read(&format!("raw_chain/rust_bitcoin/{name}"));
            assert_agree(Chain::Bitcoin, &raw);
            assert_agree(Chain::BitcoinTestnet, &raw);
            assert_agree(Chain::BitcoinCash, &raw);
            assert_agree(Chain::Litecoin, &raw);
        }
    }

    /// A block of one header and `txs` (raw transactions), with its count.
    fn block_of(txs: &[&[u8]]) -> Vec<u8> {
        let mut raw = vec![0u8; HEADER_SIZE];
        raw[0] = 2;
        raw.push(u8::try_from(txs.len()).unwrap());
        for tx in txs {
            raw.extend_from_slice(tx);
        }
        raw
    }

    /// A transaction in parts: version, marker and flag (if any), inputs, outputs, witnesses
    /// and lock time.
    fn tx(segwit: Option<u8>, inputs: &[u8], outputs: &[u8], witness: &[u8]) -> Vec<u8> {
        let mut tx = vec![1, 0, 0, 0];
        if let Some(flag) = segwit {
            tx.extend_from_slice(&[0, flag]);
        }
        tx.extend_from_slice(inputs);
        tx.extend_from_slice(outputs);
        tx.extend_from_slice(witness);
        tx.extend_from_slice(&[0, 0, 0, 0]);
        tx
    }

    /// One input spending `(txid byte, vout)` with an empty script.
    fn input(byte: u8, vout: u32) -> Vec<u8> {
        let mut input = vec![1];
        input.extend_from_slice(&[byte; 32]);
        input.extend_from_slice(&vout.to_le_bytes());
        input.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff]);
        input
    }

    const ONE_P2PKH_OUTPUT: &[u8] = &[
        1, 0xe8, 3, 0, 0, 0, 0, 0, 0, 25, 0x76, 0xa9, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        13, 14, 15, 16, 17, 18, 19, 20, 0x88, 0xac,
    ];

    #[test]
    fn edge_cases_of_the_format_are_decided_as_the_bitcoin_crate_does() {
        let coinbase = tx(None, &input(0, u32::MAX), ONE_P2PKH_OUTPUT, &[]);
        let spend = tx(None, &input(7, 3), ONE_P2PKH_OUTPUT, &[]);
        let witness = [1, 2, 0xaa, 0xbb];
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("plain", block_of(&[&coinbase, &spend])),
            ("no transactions", block_of(&[])),
            ("trailing byte", [block_of(&[&coinbase]), vec![0]].concat()),
            ("header only", vec![0; HEADER_SIZE]),
            ("short header", vec![0; HEADER_SIZE - 1]),
            (
                "segwit",
                block_of(&[&coinbase, &tx(Some(1), &input(7, 3), ONE_P2PKH_OUTPUT, &witness)]),
            ),
            ("segwit, flag 2", block_of(&[&tx(Some(2), &input(7, 3), ONE_P2PKH_OUTPUT, &witness)])),
            (
                "segwit, all witnesses empty",
                block_of(&[&tx(Some(1), &input(7, 3), ONE_P2PKH_OUTPUT, &[0])]),
            ),
            ("segwit, no inputs", block_of(&[&tx(Some(1), &[0], ONE_P2PKH_OUTPUT, &[])])),
            ("segwit, no inputs or outputs", block_of(&[&tx(Some(1), &[0], &[0], &[])])),
            (
                "two coinbase-like inputs",
                block_of(&[&tx(
                    None,
                    &[&[2][..], &input(0, u32::MAX)[1..], &input(0, u32::MAX)[1..]].concat(),
                    ONE_P2PKH_OUTPUT,
                    &[],
                )]),
            ),
            (
                "non-minimal output count",
                block_of(&[&tx(
                    None,
                    &input(7, 3),
                    &[&[0xfd, 1, 0][..], &ONE_P2PKH_OUTPUT[1..]].concat(),
                    &[],
                )]),
            ),
            (
                "non-minimal script length",
                block_of(&[&tx(
                    None,
                    &[&[1][..], &[7; 36], &[0xfd, 0, 0], &[0xff; 4]].concat(),
                    ONE_P2PKH_OUTPUT,
                    &[],
                )]),
            ),
            (
                "huge input count",
                block_of(&[&tx(
                    None,
                    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                    &[],
                    &[],
                )]),
            ),
            ("huge transaction count", [vec![0; HEADER_SIZE], vec![0xff; 9]].concat()),
            (
                "huge script length",
                block_of(&[&tx(None, &[&[1][..], &[7; 36], &[0xff; 9]].concat(), &[], &[])]),
            ),
            (
                "huge witness count",
                block_of(&[&tx(Some(1), &input(7, 3), ONE_P2PKH_OUTPUT, &[0xfe, 1, 9, 0x3d, 0])]),
            ),
        ];
        for (name, raw) in cases {
            let theirs: Result<bitcoin::Block, _> = deserialize(&raw);
            let ours = decode_transactions(Chain::Bitcoin, &raw);
            assert_eq!(
                ours.is_ok(),
                theirs.is_ok(),
                "{name}: ours {:?}, theirs {theirs:?}",
                ours.err()
            );
            assert_agree(Chain::Bitcoin, &raw);
        }
    }

    #[test]
    fn the_witness_size_limit_is_the_bitcoin_crates() {
        // One witness element whose length prefix (5 bytes) and bytes total exactly
        // 4,000,000, then one byte more.
        for (len, ok) in [(3_999_995u32, true), (3_999_996, false)] {
            let mut witness = vec![1, 0xfe];
            witness.extend_from_slice(&len.to_le_bytes());
            witness.resize(witness.len() + len as usize, 0x5a);
            let raw = block_of(&[&tx(Some(1), &input(7, 3), ONE_P2PKH_OUTPUT, &witness)]);
            assert_eq!(decode_transactions(Chain::Bitcoin, &raw).is_ok(), ok, "{len}");
            assert_eq!(deserialize::<bitcoin::Block>(&raw).is_ok(), ok, "{len}");
        }
    }

    #[test]
    fn errors_say_where() {
        let raw = [vec![0; HEADER_SIZE], vec![1, 1, 0, 0]].concat();
        let err = decode_block(Chain::Bitcoin, &raw, None).unwrap_err().to_string();
        assert!(err.contains("transaction version at byte 81"), "{err}");
        let coinbase = tx(None, &input(0, u32::MAX), ONE_P2PKH_OUTPUT, &[]);
        let raw = [block_of(&[&coinbase]), vec![0, 0]].concat();
        let err = decode_block(Chain::Bitcoin, &raw, None).unwrap_err().to_string();
        assert!(err.contains("2 bytes after the last transaction"), "{err}");
    }

    /// A mutation of a block: overwrite, insert or delete bytes, or cut it short.
    #[derive(Clone, Debug)]
    enum Mutation {
        Set(usize, u8),
        Insert(usize, Vec<u8>),
        Delete(usize, usize),
        Truncate(usize),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        // Bytes that matter to the format: segwit marker and flag, compact-size prefixes.
        let byte = prop_oneof![Just(0u8), Just(1), Just(0xfd), Just(0xfe), Just(0xff), any::<u8>()];
        prop_oneof![
            (any::<usize>(), byte.clone()).prop_map(|(at, b)| Mutation::Set(at, b)),
            (any::<usize>(), prop::collection::vec(byte, 1..4))
                .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
            (any::<usize>(), 1..40usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
            any::<usize>().prop_map(Mutation::Truncate),
        ]
    }

    fn apply(raw: &mut Vec<u8>, mutation: &Mutation) {
        let len = raw.len().max(1);
        match mutation {
            Mutation::Set(at, b) => {
                if let Some(byte) = raw.get_mut(at % len) {
                    *byte = *b;
                }
            }
            Mutation::Insert(at, bytes) => {
                let at = at % (raw.len() + 1);
                raw.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(at, n) => {
                let at = at % len;
                raw.drain(at.min(raw.len())..(at + n).min(raw.len()));
            }
            Mutation::Truncate(at) => raw.truncate(at % len),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn mutated_blocks_are_decided_as_the_bitcoin_crate_does(
            which in 0..3usize,
            mutations in prop::collection::vec(mutation(), 1..4),
        ) {
            let mut raw = match which {
                0 => small_segwit_block().to_vec(),
                1 => blk_blocks("version1.blk").remove(0),
                _ => read("raw_chain/rust_bitcoin/testnet_block_000000000000045e0b1660b6445b5e5c5ab63c9a4f956be7e1e69be04fa4497b.raw"),
            };
            for m in &mutations {
                apply(&mut raw, m);
            }
            assert_agree(Chain::Bitcoin, &raw);
        }
    }
}
