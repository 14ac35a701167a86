//! Reading a directory of [bitcoin-etl](https://github.com/blockchain-etl/bitcoin-etl) exports
//! (Bitcoin, Bitcoin Cash, Dogecoin, Litecoin, Dash, Zcash) into the ledger model.
//!
//! [`BtcEtlExport::open`] finds `blocks` and `transactions` (`.json`: one object per line, or
//! `.csv`), [`BtcEtlExport::blocks`] joins them into [`Block`]s of a given [`Chain`] in height
//! order: inputs with their spent outpoint (and value and address when the export was
//! enriched), outputs with value, script type and address, the coinbase, the fee.
//!
//! # Files
//! Recognized by name, as for the Ethereum reader: `blocks.json` as the README's command writes
//! it, `blocks_<start>_<end>.json` below `blocks/start_block=…/end_block=…/` as `export_all`
//! writes it, and `expected_blocks.json` as bitcoin-etl's test resources name it; likewise for
//! `transactions`. Partitions are read together; one kind in both formats is refused.
//!
//! The nested `inputs` / `outputs` of a transaction are JSON arrays in a `.json` export. In a
//! `.csv` export bitcoin-etl (1.5) writes each as its Python items joined by commas
//! (`{'index': 0, 'value': None, …},{…}`); newer blockchain-etl exporters write compact JSON
//! objects joined the same way. Both are read (a small parser of Python / JSON literals).
//!
//! # Mapping (checked against the `getblock` answers the fixtures were exported from)
//! - **Outputs**: index and value from the row; script type and address from `script_hex`
//!   through [`output_address`](crate::output_address()), the same code as raw blocks and RPC,
//!   not from bitcoin-etl's `type` / `addresses` (which name P2PK by its key's P2PKH address
//!   only on old nodes, and give `nonstandard…` pseudo-addresses).
//! - **Inputs**: the spent outpoint; the value and the address when the export has them
//!   (`export_blocks_and_transactions` against a node leaves them `null`; the stream and
//!   `enrich_transactions` fill them from the spent output). The address is the one
//!   `addresses` entry parsed on the chain; none for multisig, non-standard or
//!   `nonstandard…` entries.
//! - **Coinbase**: bitcoin-etl drops the coinbase input and sets `is_coinbase`; the ledger gets
//!   back one input with no outpoint, as from a raw block.
//! - **Zcash shielded value**: bitcoin-etl adds inputs and outputs of type `shielded` (no
//!   script, no outpoint) for value entering or leaving the shielded pools. The ledger holds
//!   only transparent inputs and outputs, so they are left out of it, but their values count
//!   in the fee: the fee is all input values minus all output values, shielded included,
//!   which is the fee the transaction pays (a transaction spending only shielded value has a
//!   fee here, while a `getblock` answer without `prevout`s gives none).
//! - **Fee**: 0 for a coinbase; inputs minus outputs when every input's value is known (never
//!   bitcoin-etl's own `fee`, which counts unknown input values as 0); otherwise unknown. An
//!   input total below the output total is an error.
//! - **Parent hash**: bitcoin-etl's block rows have none. A block's parent hash is the hash of
//!   the export's block at the height below, when there is one; otherwise (the first block of
//!   an export) it is all zeros, which here means *unknown*.
//! - **Transaction order**: `index` when every row of the block has it; bitcoin-etl leaves it
//!   empty on chains whose blocks it fetches transaction by transaction (Bitcoin Cash,
//!   Dogecoin), and then the file order, which is the block's, is used.
//!
//! Amounts are integers (satoshi) read from the number's text, never through a float.
//!
//! # Example
//! ```no_run
//! use chainward_chain_bitcoin::etl::BtcEtlExport;
//! use chainward_primitives::Chain;
//!
//! let export = BtcEtlExport::open("exports/zcash")?;
//! for block in export.blocks(Chain::Zcash)? {
//!     let fees: u64 = block.transactions.iter().filter_map(|t| t.fee).map(|f| f.to::<u64>()).sum();
//!     println!("{} {} transactions, fees {fees}", block.block.height, block.transactions.len());
//! }
//! # Ok::<(), chainward_chain_bitcoin::etl::EtlError>(())
//! ```

use crate::output_address;
use alloy_primitives::{B256, U256};
use chainward_etl_files::FileKind;
use chainward_primitives::ledger::{
    Block, BlockRef, OutPoint, Transaction, TxInput, TxOutput, TxStatus,
};
use chainward_primitives::{Address, Chain};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// What one export file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ExportKind {
    /// `export_blocks_and_transactions --blocks-output`.
    Blocks,
    /// `export_blocks_and_transactions --transactions-output` (or `enrich_transactions`).
    Transactions,
}

impl ExportKind {
    /// Every kind.
    pub const ALL: [Self; 2] = [Self::Blocks, Self::Transactions];

    /// bitcoin-etl's name for it (the file stem).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Blocks => "blocks",
            Self::Transactions => "transactions",
        }
    }
}

impl FileKind for ExportKind {
    const KINDS: &'static [Self] = &Self::ALL;

    fn base_name(self) -> &'static str {
        self.name()
    }
}

impl fmt::Display for ExportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The format of a file, from its extension (as bitcoin-etl chooses it).
pub use chainward_etl_files::Format;

/// One export file found in the directory.
pub type ExportFile = chainward_etl_files::ExportFile<ExportKind>;

/// Why an export could not be read. Row-level errors name the file, the line (1-based; a CSV
/// header is line 1) and the field (`inputs[2].value` inside a transaction).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EtlError {
    /// A directory or file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A required file is not in the directory.
    #[error(
        "{}: no {kind} export: expected {kind}.json or {kind}.csv (or export_all's \
         {kind}/…/{kind}_<start>_<end>.json)",
        dir.display()
    )]
    MissingFile {
        /// The directory.
        dir: PathBuf,
        /// The kind missing.
        kind: ExportKind,
    },
    /// One kind is given in both formats, probably the same items twice.
    #[error(
        "the {kind} export is given as CSV ({}) and as JSON ({}); keep one of them",
        csv.display(),
        json.display()
    )]
    MixedFormats {
        /// The kind.
        kind: ExportKind,
        /// A CSV file of it.
        csv: PathBuf,
        /// A JSON file of it.
        json: PathBuf,
    },
    /// A line is not a row: wrong number of CSV fields, not a JSON object, not UTF-8.
    #[error("{}, line {line}: {message}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A field is missing, empty when required, malformed, or inconsistent with the others.
    #[error("{}, line {line}, field `{field}`: {message}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// The line (1-based; for a missing CSV column, the header's).
        line: u64,
        /// The column or key (`inputs[0].value` inside a transaction).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A transaction names a block that is not in the blocks export.
    #[error("{}, line {line}: transaction {transaction} is in block {block}, which is not in the blocks export", path.display())]
    UnknownBlock {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The transaction (hex, as bitcoin-etl prints it).
        transaction: String,
        /// The block it names (hash or number).
        block: String,
    },
    /// The same item twice.
    #[error("{}, line {line}: {item} is already at {first}", path.display())]
    Duplicate {
        /// The file of the second occurrence.
        path: PathBuf,
        /// Its line.
        line: u64,
        /// The item.
        item: String,
        /// Where the first one is (`file, line N`).
        first: String,
    },
    /// A block's `transaction_count` disagrees with its rows in the transactions export.
    #[error(
        "block {number} ({}) has transaction_count {declared} but {found} transactions in the \
         export",
        strip(*hash)
    )]
    TransactionCount {
        /// Block height.
        number: u64,
        /// Block hash.
        hash: B256,
        /// What the block row says.
        declared: u64,
        /// Rows found.
        found: usize,
    },
}

chainward_etl_files::impl_from_file_errors!(EtlError, ExportKind);

/// A directory of bitcoin-etl exports.
#[derive(Clone, Debug)]
pub struct BtcEtlExport {
    dir: PathBuf,
    files: Vec<ExportFile>,
}

impl BtcEtlExport {
    /// Finds the export files in `dir` (see the [module docs](self) for the names).
    ///
    /// # Errors
    /// [`EtlError::Io`] when the directory cannot be listed, [`EtlError::MissingFile`] when
    /// blocks or transactions are missing, and [`EtlError::MixedFormats`] when one kind is
    /// present as both CSV and JSON.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, EtlError> {
        let dir = dir.as_ref().to_path_buf();
        let files = chainward_etl_files::discover(&dir, &ExportKind::ALL)?;
        Ok(Self { dir, files })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every file found, by kind then path.
    pub fn files(&self) -> &[ExportFile] {
        &self.files
    }

    /// Reads the export into ledger blocks of `chain` (bitcoin-etl's `--chain`: addresses are
    /// parsed and derived for it), in height order.
    ///
    /// # Errors
    /// [`EtlError`] for the first malformed row (naming file, line and field), a transaction
    /// naming an unknown block, a duplicate, a block whose `transaction_count` disagrees with
    /// its rows, an input address not valid on `chain`, or an unreadable file.
    pub fn blocks(&self, chain: Chain) -> Result<Vec<Block>, EtlError> {
        let mut join = Join {
            export: self,
            chain,
            entries: Vec::new(),
            by_hash: HashMap::new(),
            by_number: HashMap::new(),
        };
        join.read_blocks()?;
        join.read_transactions()?;
        join.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Rows

/// One row (a block or a transaction) as a JSON object, whichever format it came from.
struct Row<'a> {
    path: &'a Path,
    line: u64,
    fields: Map<String, Value>,
}

/// The columns of a CSV transactions file that hold lists of inputs and outputs.
const NESTED: [&str; 2] = ["inputs", "outputs"];

/// Calls `f` with every row of `path`, in file order. A CSV cell becomes a JSON string (an
/// empty one `null`), except `inputs` / `outputs`, which are parsed as lists of literals.
fn for_each_row(
    path: &Path,
    format: Format,
    required: &[&str],
    mut f: impl FnMut(Row<'_>) -> Result<(), EtlError>,
) -> Result<(), EtlError> {
    chainward_etl_files::for_each_row(path, format, required, |row| {
        let fields = match row.format() {
            Format::Csv => {
                let mut fields = Map::new();
                for (name, cell) in row.cells() {
                    let value = if NESTED.contains(&name) {
                        literal::items(cell)
                            .map(Value::Array)
                            .map_err(|message| row.error(name, message))?
                    } else if cell.is_empty() {
                        Value::Null
                    } else {
                        Value::String(cell.to_owned())
                    };
                    fields.insert(name.to_owned(), value);
                }
                fields
            }
            _ => row.json_map()?,
        };
        f(Row { path, line: row.line(), fields })
    })
}

/// A JSON object inside a row (the row itself, or one of its inputs / outputs), with the
/// prefix that names its fields in errors (`inputs[1].`).
struct Obj<'a> {
    row: &'a Row<'a>,
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Obj<'a> {
    fn of_row(row: &'a Row<'a>) -> Self {
        Self { row, map: &row.fields, prefix: String::new() }
    }

    fn error(&self, field: &str, message: impl Into<String>) -> EtlError {
        EtlError::Field {
            path: self.row.path.to_owned(),
            line: self.row.line,
            field: format!("{}{field}", self.prefix),
            message: message.into(),
        }
    }

    /// The field parsed with `parse`, or `None` when it is absent or `null`.
    fn opt<T>(
        &self,
        field: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<Option<T>, EtlError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => parse(value).map(Some).map_err(|m| self.error(field, m)),
        }
    }

    /// The field parsed with `parse`; an error when it is absent or `null`.
    fn req<T>(
        &self,
        field: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<T, EtlError> {
        self.opt(field, parse)?.ok_or_else(|| {
            let present = self.map.contains_key(field);
            self.error(field, if present { "is empty" } else { "is missing" })
        })
    }

    /// The objects of an array field.
    fn objects(&self, field: &str) -> Result<Vec<Self>, EtlError> {
        let Some(value) = self.map.get(field) else {
            return Err(self.error(field, "is missing"));
        };
        let Value::Array(items) = value else {
            return Err(self.error(field, format!("is {}, expected a list", kind_of(value))));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => {
                    Ok(Obj { row: self.row, map, prefix: format!("{}{field}[{i}].", self.prefix) })
                }
                other => Err(self.error(
                    &format!("{field}[{i}]"),
                    format!("is {}, expected an object", kind_of(other)),
                )),
            })
            .collect()
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The value as shown in an error message (long scripts cut short).
fn shown(value: &Value) -> String {
    const MAX: usize = 80;
    let text = match value {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    };
    if text.chars().count() <= MAX {
        text
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

/// A non-negative integer of 64 bits: a JSON integer, or decimal digits in a string.
fn int_u64(value: &Value) -> Result<u64, String> {
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    };
    parsed.ok_or_else(|| format!("{} is not a non-negative integer of 64 bits", shown(value)))
}

fn int_u32(value: &Value) -> Result<u32, String> {
    int_u64(value).and_then(|n| {
        u32::try_from(n).map_err(|_| format!("{} does not fit in 32 bits", shown(value)))
    })
}

fn string(value: &Value) -> Result<&str, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!("{} is not a string", shown(other))),
    }
}

fn boolean(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if matches!(s.as_str(), "True" | "true") => Ok(true),
        Value::String(s) if matches!(s.as_str(), "False" | "false") => Ok(false),
        other => Err(format!("{} is not true or false", shown(other))),
    }
}

/// A 32-byte hash in display order, 64 hex digits (bitcoin-etl writes no `0x`).
fn hash(value: &Value) -> Result<B256, String> {
    let text = string(value)?;
    let body = text.strip_prefix("0x").unwrap_or(text);
    let mut out = [0u8; 32];
    if body.len() != 64 || alloy_primitives::hex::decode_to_slice(body, &mut out).is_err() {
        return Err(format!("{} is not a 32-byte hash (64 hex digits)", shown(value)));
    }
    Ok(B256::from(out))
}

fn hex_bytes(value: &Value) -> Result<Vec<u8>, String> {
    alloy_primitives::hex::decode(string(value)?)
        .map_err(|_| format!("{} is not hex bytes", shown(value)))
}

fn strings(value: &Value) -> Result<Vec<&str>, String> {
    match value {
        Value::Array(items) => items.iter().map(string).collect(),
        other => Err(format!("{} is not a list of strings", shown(other))),
    }
}

// ---------------------------------------------------------------------------------------------
// The join

/// Where a row is: an index into the export's files, and a line.
#[derive(Clone, Copy, Debug)]
struct At {
    file: usize,
    line: u64,
}

/// A block being assembled.
struct Entry {
    number: u64,
    hash: B256,
    timestamp: u64,
    declared: Option<u64>,
    at: At,
    /// Transactions with the `index` their row states and where the row is.
    txs: Vec<(Option<u64>, At, Transaction)>,
}

struct Join<'a> {
    export: &'a BtcEtlExport,
    chain: Chain,
    entries: Vec<Entry>,
    by_hash: HashMap<B256, usize>,
    by_number: HashMap<u64, usize>,
}

impl Join<'_> {
    fn place(&self, at: At) -> String {
        format!("{}, line {}", self.export.files[at.file].path.display(), at.line)
    }

    fn duplicate(&self, at: At, item: String, first: At) -> EtlError {
        EtlError::Duplicate {
            path: self.export.files[at.file].path.clone(),
            line: at.line,
            item,
            first: self.place(first),
        }
    }

    fn rows(
        &self,
        kind: ExportKind,
        required: &[&str],
        mut f: impl FnMut(&Row<'_>, At) -> Result<(), EtlError>,
    ) -> Result<(), EtlError> {
        for (file, entry) in self.export.files.iter().enumerate().filter(|(_, f)| f.kind == kind) {
            for_each_row(&entry.path, entry.format, required, |row| {
                f(&row, At { file, line: row.line })
            })?;
        }
        Ok(())
    }

    fn read_blocks(&mut self) -> Result<(), EtlError> {
        let mut found = Vec::new();
        self.rows(ExportKind::Blocks, &["hash", "number", "timestamp"], |row, at| {
            let obj = Obj::of_row(row);
            found.push(Entry {
                number: obj.req("number", int_u64)?,
                hash: obj.req("hash", hash)?,
                timestamp: obj.req("timestamp", int_u64)?,
                declared: obj.opt("transaction_count", int_u64)?,
                at,
                txs: Vec::new(),
            });
            Ok(())
        })?;
        for entry in found {
            if let Some(&other) = self.by_hash.get(&entry.hash) {
                let first = self.entries[other].at;
                return Err(self.duplicate(
                    entry.at,
                    format!("block {}", strip(entry.hash)),
                    first,
                ));
            }
            if let Some(&other) = self.by_number.get(&entry.number) {
                let first = self.entries[other].at;
                return Err(self.duplicate(entry.at, format!("block {}", entry.number), first));
            }
            self.by_hash.insert(entry.hash, self.entries.len());
            self.by_number.insert(entry.number, self.entries.len());
            self.entries.push(entry);
        }
        Ok(())
    }

    fn read_transactions(&mut self) -> Result<(), EtlError> {
        let mut found = Vec::new();
        let required = ["hash", "is_coinbase", "inputs", "outputs"];
        self.rows(ExportKind::Transactions, &required, |row, at| {
            let obj = Obj::of_row(row);
            let tx = convert_tx(self.chain, &obj)?;
            let block = self.block_of(&obj, at, tx.hash)?;
            found.push((block, obj.opt("index", int_u64)?, at, tx));
            Ok(())
        })?;
        for (block, index, at, tx) in found {
            self.entries[block].txs.push((index, at, tx));
        }
        Ok(())
    }

    /// The block a transaction row names by `block_hash` and/or `block_number`.
    fn block_of(&self, obj: &Obj<'_>, at: At, tx: B256) -> Result<usize, EtlError> {
        let block_hash = obj.opt("block_hash", hash)?;
        let number = obj.opt("block_number", int_u64)?;
        let found = match (block_hash, number) {
            (Some(h), _) => self.by_hash.get(&h).copied().ok_or_else(|| strip(h)),
            (None, Some(n)) => self.by_number.get(&n).copied().ok_or_else(|| n.to_string()),
            (None, None) => return Err(obj.error("block_hash", "is missing: no block named")),
        };
        let b = found.map_err(|block| EtlError::UnknownBlock {
            path: self.export.files[at.file].path.clone(),
            line: at.line,
            transaction: strip(tx),
            block,
        })?;
        let entry = &self.entries[b];
        if let Some(n) = number
            && n != entry.number
        {
            let message =
                format!("block {} has number {}, not {n}", strip(entry.hash), entry.number);
            return Err(obj.error("block_number", message));
        }
        Ok(b)
    }

    fn finish(mut self) -> Result<Vec<Block>, EtlError> {
        let mut entries = std::mem::take(&mut self.entries);
        entries.sort_by_key(|e| e.number);
        let hashes: HashMap<u64, B256> = entries.iter().map(|e| (e.number, e.hash)).collect();
        let mut blocks = Vec::with_capacity(entries.len());
        for entry in entries {
            let transactions = self.order(&entry)?;
            let parent_hash = entry
                .number
                .checked_sub(1)
                .and_then(|n| hashes.get(&n).copied())
                .unwrap_or(B256::ZERO);
            blocks.push(Block {
                chain: self.chain,
                evm_chain_id: None,
                block: BlockRef { height: entry.number, hash: entry.hash },
                parent_hash,
                timestamp: entry.timestamp,
                transactions,
            });
        }
        Ok(blocks)
    }

    /// A block's transactions in block order, indexed, after checking their count.
    fn order(&self, entry: &Entry) -> Result<Vec<Transaction>, EtlError> {
        let mut txs: Vec<_> = entry.txs.iter().collect();
        let indexed = txs.iter().filter(|(index, _, _)| index.is_some()).count();
        if indexed == txs.len() {
            txs.sort_by_key(|(index, at, _)| (*index, at.file, at.line));
        } else if indexed > 0 {
            let (_, at, tx) = txs.iter().find(|(index, _, _)| index.is_none()).expect("one");
            return Err(EtlError::Field {
                path: self.export.files[at.file].path.clone(),
                line: at.line,
                field: "index".to_owned(),
                message: format!(
                    "is empty for transaction {}, while other transactions of block {} have one",
                    strip(tx.hash),
                    entry.number
                ),
            });
        }
        let mut seen: HashMap<B256, At> = HashMap::new();
        let mut out = Vec::with_capacity(txs.len());
        for (position, (index, at, tx)) in txs.into_iter().enumerate() {
            if let Some(&first) = seen.get(&tx.hash) {
                let item = format!("transaction {} of block {}", strip(tx.hash), entry.number);
                return Err(self.duplicate(*at, item, first));
            }
            seen.insert(tx.hash, *at);
            if let Some(index) = *index
                && index != position as u64
            {
                return Err(EtlError::Field {
                    path: self.export.files[at.file].path.clone(),
                    line: at.line,
                    field: "index".to_owned(),
                    message: format!(
                        "is {index}, but the block's transactions in the export have indexes \
                         0 to {} (one missing or repeated)",
                        entry.txs.len().saturating_sub(1)
                    ),
                });
            }
            let mut tx = tx.clone();
            tx.index = u32::try_from(position).unwrap_or(u32::MAX);
            out.push(tx);
        }
        if let Some(declared) = entry.declared
            && declared != out.len() as u64
        {
            return Err(EtlError::TransactionCount {
                number: entry.number,
                hash: entry.hash,
                declared,
                found: out.len(),
            });
        }
        Ok(out)
    }
}

/// A hash as bitcoin-etl prints it (no `0x`).
fn strip(hash: B256) -> String {
    alloy_primitives::hex::encode(hash)
}

/// bitcoin-etl's name for Zcash's shielded value (inputs and outputs with no script).
const SHIELDED: &str = "shielded";

/// One transaction row (its index is set when the block's transactions are ordered).
fn convert_tx(chain: Chain, obj: &Obj<'_>) -> Result<Transaction, EtlError> {
    let txid = obj.req("hash", hash)?;
    let coinbase = obj.req("is_coinbase", boolean)?;
    let mut inputs = Vec::new();
    if coinbase {
        // bitcoin-etl moves the coinbase input's script to the block (`coinbase_param`) and
        // drops the input; the ledger keeps it, without outpoint, as raw blocks give it.
        inputs.push(TxInput { previous: None, value: None, address: None });
    }
    let mut input_total: Option<u128> = Some(0);
    let mut any_input = false;
    for input in obj.objects("inputs")? {
        any_input = true;
        let value = input.opt("value", int_u64)?;
        input_total = input_total.zip(value).map(|(t, v)| t + u128::from(v));
        let script_type = input.opt("type", |v| string(v).map(str::to_owned))?;
        if script_type.as_deref() == Some(SHIELDED) {
            continue;
        }
        if coinbase {
            return Err(input.error("spent_transaction_hash", "a coinbase spends no output"));
        }
        let previous = OutPoint {
            txid: input.req("spent_transaction_hash", hash)?,
            vout: input.req("spent_output_index", int_u32)?,
        };
        let address = input_address(chain, &input, script_type.as_deref())?;
        inputs.push(TxInput { previous: Some(previous), value, address });
    }
    let mut outputs = Vec::new();
    let mut output_total: u128 = 0;
    for output in obj.objects("outputs")? {
        let value = output.req("value", int_u64)?;
        output_total += u128::from(value);
        if output.opt("type", |v| string(v).map(str::to_owned))?.as_deref() == Some(SHIELDED) {
            continue;
        }
        let script = output.req("script_hex", hex_bytes)?;
        let (script_type, address) = output_address(chain, &script);
        outputs.push(TxOutput {
            index: output.req("index", int_u32)?,
            value,
            script_type,
            address,
        });
    }
    let fee = if coinbase {
        Some(U256::ZERO)
    } else {
        match input_total {
            Some(total) if any_input => match total.checked_sub(output_total) {
                Some(fee) => Some(U256::from(fee)),
                None => {
                    let message =
                        format!("the inputs total {total}, less than the outputs' {output_total}");
                    return Err(obj.error("inputs", message));
                }
            },
            _ => None,
        }
    };
    Ok(Transaction {
        hash: txid,
        index: 0,
        status: TxStatus::Success,
        fee,
        inputs,
        outputs,
        transfers: Vec::new(),
    })
}

/// The address of a spent output as the export states it: its one `addresses` entry, parsed
/// on `chain`; none for bare multisig (several keys), non-standard scripts (bitcoin-etl's
/// `nonstandard…` pseudo-addresses) and `OP_RETURN`.
fn input_address(
    chain: Chain,
    input: &Obj<'_>,
    script_type: Option<&str>,
) -> Result<Option<Address>, EtlError> {
    if matches!(script_type, Some("multisig" | "nonstandard" | "nulldata")) {
        return Ok(None);
    }
    let Some(addresses) = input.opt("addresses", |v| {
        strings(v).map(|list| list.into_iter().map(str::to_owned).collect::<Vec<_>>())
    })?
    else {
        return Ok(None);
    };
    match addresses.as_slice() {
        [one] if !one.starts_with("nonstandard") => Address::parse(chain, one)
            .map(Some)
            .map_err(|e| input.error("addresses", format!("not an address of {chain}: {e}"))),
        _ => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------------
// Python literals

/// The Python (and JSON) literals bitcoin-etl's CSV exporter writes for nested lists: dicts,
/// lists, strings, integers, `None`, `True`, `False` (and `null`, `true`, `false`).
mod literal {
    use serde_json::{Map, Number, Value};

    /// Nesting deeper than this is refused (a transaction's inputs are 3 levels deep).
    const MAX_DEPTH: usize = 16;

    /// The items of a CSV cell: values joined by commas (`{…},{…}`), or one list (`[{…}]`);
    /// an empty cell has none.
    pub(super) fn items(text: &str) -> Result<Vec<Value>, String> {
        let mut p = Parser { s: text.as_bytes(), i: 0 };
        p.ws();
        if p.i == p.s.len() {
            return Ok(Vec::new());
        }
        let items = if p.peek() == Some(b'[') {
            match p.value(0)? {
                Value::Array(items) => items,
                _ => unreachable!("a value starting with [ is a list"),
            }
        } else {
            let mut items = vec![p.value(0)?];
            p.ws();
            while p.eat(b',') {
                items.push(p.value(0)?);
                p.ws();
            }
            items
        };
        p.ws();
        if p.i != p.s.len() {
            return Err(p.error("unexpected text after the items"));
        }
        Ok(items)
    }

    struct Parser<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl Parser<'_> {
        fn error(&self, what: &str) -> String {
            format!("{what} at character {} of the list", self.i + 1)
        }

        fn peek(&self) -> Option<u8> {
            self.s.get(self.i).copied()
        }

        fn ws(&mut self) {
            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                self.i += 1;
            }
        }

        fn eat(&mut self, byte: u8) -> bool {
            self.ws();
            if self.peek() == Some(byte) {
                self.i += 1;
                true
            } else {
                false
            }
        }

        fn value(&mut self, depth: usize) -> Result<Value, String> {
            if depth > MAX_DEPTH {
                return Err(self.error("nested too deep"));
            }
            self.ws();
            match self.peek() {
                Some(b'{') => {
                    self.i += 1;
                    let mut map = Map::new();
                    if !self.eat(b'}') {
                        loop {
                            self.ws();
                            let key = match self.peek() {
                                Some(b'\'' | b'"') => self.string()?,
                                _ => return Err(self.error("expected a quoted key")),
                            };
                            if !self.eat(b':') {
                                return Err(self.error("expected ':'"));
                            }
                            let value = self.value(depth + 1)?;
                            map.insert(key, value);
                            if self.eat(b',') {
                                if self.eat(b'}') {
                                    break;
                                }
                                continue;
                            }
                            if self.eat(b'}') {
                                break;
                            }
                            return Err(self.error("expected ',' or '}'"));
                        }
                    }
                    Ok(Value::Object(map))
                }
                Some(b'[') => {
                    self.i += 1;
                    let mut items = Vec::new();
                    if !self.eat(b']') {
                        loop {
                            items.push(self.value(depth + 1)?);
                            if self.eat(b',') {
                                if self.eat(b']') {
                                    break;
                                }
                                continue;
                            }
                            if self.eat(b']') {
                                break;
                            }
                            return Err(self.error("expected ',' or ']'"));
                        }
                    }
                    Ok(Value::Array(items))
                }
                Some(b'\'' | b'"') => self.string().map(Value::String),
                Some(b'-' | b'0'..=b'9') => self.number(),
                Some(_) => {
                    let start = self.i;
                    while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                        self.i += 1;
                    }
                    match &self.s[start..self.i] {
                        b"None" | b"null" => Ok(Value::Null),
                        b"True" | b"true" => Ok(Value::Bool(true)),
                        b"False" | b"false" => Ok(Value::Bool(false)),
                        _ => {
                            self.i = start;
                            Err(self.error("expected a value"))
                        }
                    }
                }
                None => Err(self.error("expected a value, found the end")),
            }
        }

        fn number(&mut self) -> Result<Value, String> {
            let start = self.i;
            if self.peek() == Some(b'-') {
                self.i += 1;
            }
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.i += 1;
            }
            if self.peek().is_some_and(|b| matches!(b, b'.' | b'e' | b'E')) {
                return Err(self.error("not an integer"));
            }
            let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default();
            let number = if let Some(digits) = text.strip_prefix('-') {
                digits.parse::<u64>().ok().and_then(|_| text.parse::<i64>().ok()).map(Number::from)
            } else {
                text.parse::<u64>().ok().map(Number::from)
            };
            number.map(Value::Number).ok_or_else(|| self.error("integer out of range"))
        }

        /// A quoted string, with Python's (and JSON's) escapes.
        fn string(&mut self) -> Result<String, String> {
            let quote = self.s[self.i];
            self.i += 1;
            let mut out = Vec::new();
            loop {
                let Some(b) = self.peek() else {
                    return Err(self.error("unterminated string"));
                };
                self.i += 1;
                if b == quote {
                    break;
                }
                if b != b'\\' {
                    out.push(b);
                    continue;
                }
                let Some(escape) = self.peek() else {
                    return Err(self.error("unterminated string"));
                };
                self.i += 1;
                let simple = match escape {
                    b'\\' | b'\'' | b'"' | b'/' => Some(escape),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    b'b' => Some(0x08),
                    b'f' => Some(0x0c),
                    b'0' => Some(0),
                    _ => None,
                };
                if let Some(byte) = simple {
                    out.push(byte);
                    continue;
                }
                let width = match escape {
                    b'x' => 2,
                    b'u' => 4,
                    b'U' => 8,
                    _ => return Err(self.error("unknown escape")),
                };
                let code = self
                    .s
                    .get(self.i..self.i + width)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                    .ok_or_else(|| self.error("bad escape"))?;
                self.i += width;
                let mut buf = [0u8; 4];
                out.extend_from_slice(code.encode_utf8(&mut buf).as_bytes());
            }
            String::from_utf8(out).map_err(|_| self.error("string is not UTF-8"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::literal::items;
    use serde_json::json;

    #[test]
    fn python_and_json_literals() {
        assert_eq!(items("").unwrap(), Vec::<serde_json::Value>::new());
        assert_eq!(
            items(
                "{'index': 0, 'a': None, 'b': True, 'c': ['1x', \"it's\"], 'v': -5},{'index': 1}"
            )
            .unwrap(),
            vec![
                json!({"index": 0, "a": null, "b": true, "c": ["1x", "it's"], "v": -5}),
                json!({"index": 1}),
            ]
        );
        assert_eq!(
            items(r#"{"index":0,"value":18446744073709551615,"t":null}"#).unwrap(),
            vec![json!({"index": 0, "value": u64::MAX, "t": null})]
        );
        assert_eq!(items("[{'i': 1}, {'i': 2}]").unwrap(), vec![json!({"i": 1}), json!({"i": 2})]);
        assert_eq!(items(r"{'s': 'a\'b\\c\x41\u00e9'}").unwrap(), vec![json!({"s": "a'b\\cAé"})]);
        for bad in [
            "{'value': 1.5}",
            "{'value': 1e8}",
            "{'value': 18446744073709551616}",
            "{'a': 1",
            "{'a' 1}",
            "{a: 1}",
            "{'a': 1} x",
            "{'a': nope}",
            "'unterminated",
            "{'a': '\\q'}",
            &"[".repeat(100),
        ] {
            assert!(items(bad).is_err(), "{bad}");
        }
    }
}
