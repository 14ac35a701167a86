//! Reading a directory of [ethereum-etl](https://github.com/blockchain-etl/ethereum-etl)
//! exports into the ledger model.
//!
//! [`EthEtlExport::open`] finds the files, [`EthEtlExport::blocks`] turns them into
//! [`chainward_primitives::ledger::Block`]s in height order.
//!
//! # Files
//! | Kind | Name | Needed | Gives |
//! | --- | --- | --- | --- |
//! | [`ExportKind::Blocks`] | `blocks.csv` / `.json` | yes | height, hash, parent, time |
//! | [`ExportKind::Transactions`] | `transactions.*` | yes | the native value transfer |
//! | [`ExportKind::Receipts`] | `receipts.*` | no | status (failed transactions), fee |
//! | [`ExportKind::Logs`] | `logs.*` | no | ERC-20 and ERC-721 transfers |
//! | [`ExportKind::TokenTransfers`] | `token_transfers.*` | no | token transfers, only without logs |
//! | [`ExportKind::Traces`] | `traces.*` | no | internal transfers (and status before Byzantium) |
//! | [`ExportKind::GethTraces`] | `geth_traces.json` | no | the same, from Geth, only without traces |
//!
//! A file is recognized by its name (`.csv` or `.json`, which ethereum-etl picks by the same
//! extension): `<kind>.csv` as the README's commands write it, `<kind>_<start>_<end>.csv` as
//! `export_all` writes it into `<kind>/start_block=…/end_block=…/` folders (searched too), and
//! `expected_<kind>.csv` as ethereum-etl's own test resources name them. Several files of one
//! kind (partitions) are read together; one kind in both formats is refused as ambiguous. The
//! stream command's transaction rows carry the receipt (`receipt_status`, `receipt_gas_used`,
//! …): they are used when there is no receipts file.
//!
//! # How rows become ledger blocks
//! Each row becomes the node answer it was exported from ([`RpcBlock`], [`RpcTransaction`],
//! [`RpcReceipt`], [`RpcLog`], [`ParityTrace`] / [`GethTxTrace`]) and each block goes through
//! [`normalize_with`]: every rule (fees, failed transactions moving nothing, ERC-721 told apart
//! from ERC-20, internal transfers from successful plain `call`s, creates and self-destructs
//! below the top level, reverted subtrees left out) is the crate's one implementation, so an
//! export and the node answers it was made from give the same ledger (the tests check this on
//! ethereum-etl's recorded fixtures).
//!
//! Columns the ledger has no use for (`input`, `logs_bloom`, `withdrawals`, `l1_fee`, …) are not
//! read. Numbers are decimal text of up to 78 digits, parsed exactly (JSON numbers from their
//! literal text, never through a float).
//!
//! # Deliberate limits
//! - **token_transfers cannot tell ERC-721 from ERC-20.** ethereum-etl writes a row for every
//!   `Transfer` log whose topics plus 32-byte data words make four, with the third word as
//!   `value`: an ERC-721 transfer's row holds its token id there, exactly like an ERC-20
//!   amount. Read from `token_transfers`, every transfer is [`TransferKind::Erc20`] with that
//!   `value` as its amount; only `logs` (which keep the topics) give [`TransferKind::Erc721`].
//!   Also, non-indexed variants that ethereum-etl accepts (1 topic + 96 data bytes) are kept
//!   from `token_transfers` but skipped from `logs`, as [`token_transfer`] does.
//! - **Receipts carry status and fee.** Without them a transaction counts as successful with
//!   an unknown fee; with traces, a pre-Byzantium transaction whose top-level call errored is
//!   failed (as [`normalize_with`] decides). With receipts, every transaction must have one.
//! - **Traces must cover the blocks**: a block with transactions and no trace row is an error
//!   (a trace export of another block range), not a block without internal transfers.
//! - The whole export is held in memory while it is joined.
//!
//! [`TransferKind::Erc20`]: chainward_primitives::ledger::TransferKind::Erc20
//! [`TransferKind::Erc721`]: chainward_primitives::ledger::TransferKind::Erc721
//! [`RpcBlock`]: crate::RpcBlock
//! [`RpcTransaction`]: crate::RpcTransaction
//! [`RpcReceipt`]: crate::RpcReceipt
//! [`RpcLog`]: crate::RpcLog
//! [`ParityTrace`]: crate::ParityTrace
//! [`GethTxTrace`]: crate::GethTxTrace
//! [`normalize_with`]: crate::normalize_with
//! [`token_transfer`]: crate::token_transfer
//!
//! # Example
//! ```no_run
//! use chainward_chain_ethereum::etl::{EthEtlExport, ExportKind};
//!
//! let export = EthEtlExport::open("exports/2023-05-02")?;
//! if !export.has(ExportKind::Receipts) {
//!     eprintln!("no receipts: failed transactions and fees are unknown");
//! }
//! for block in export.blocks(1)? {
//!     println!("{} {} transactions", block.block.height, block.transactions.len());
//! }
//! # Ok::<(), chainward_chain_ethereum::etl::EtlError>(())
//! ```

mod build;
mod rows;

#[cfg(test)]
mod tests;

use crate::DecodeError;
use crate::rpc::Traces;
use alloy_primitives::B256;
use chainward_etl_files::FileKind;
use chainward_primitives::ledger::Block;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The format of a file, from its extension (as ethereum-etl chooses it).
pub use chainward_etl_files::Format;

/// What one export file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ExportKind {
    /// `export_blocks_and_transactions --blocks-output`.
    Blocks,
    /// `export_blocks_and_transactions --transactions-output` (or the stream's transactions,
    /// which carry their receipts).
    Transactions,
    /// `export_receipts_and_logs --receipts-output`.
    Receipts,
    /// `export_receipts_and_logs --logs-output`.
    Logs,
    /// `export_token_transfers` / `extract_token_transfers`.
    TokenTransfers,
    /// `export_traces` (Parity / Erigon `trace_block`) or `extract_geth_traces`.
    Traces,
    /// `export_geth_traces`: Geth `callTracer` trees, one JSON line per block.
    GethTraces,
}

impl ExportKind {
    /// Every kind.
    pub const ALL: [Self; 7] = [
        Self::Blocks,
        Self::Transactions,
        Self::Receipts,
        Self::Logs,
        Self::TokenTransfers,
        Self::Traces,
        Self::GethTraces,
    ];

    /// ethereum-etl's name for it (the file stem): `blocks`, `token_transfers`, ….
    pub const fn name(self) -> &'static str {
        match self {
            Self::Blocks => "blocks",
            Self::Transactions => "transactions",
            Self::Receipts => "receipts",
            Self::Logs => "logs",
            Self::TokenTransfers => "token_transfers",
            Self::Traces => "traces",
            Self::GethTraces => "geth_traces",
        }
    }

    /// The kind a file stem names: `blocks`, `expected_blocks` or `blocks_<digits>…`.
    #[cfg(test)]
    fn of_stem(stem: &str) -> Option<Self> {
        chainward_etl_files::kind_of_stem(stem)
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

/// One export file found in the directory.
pub type ExportFile = chainward_etl_files::ExportFile<ExportKind>;

/// Why an export could not be read. Row-level errors name the file, the line (1-based; a CSV
/// header is line 1) and the field.
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
        "{}: no {kind} export: expected {kind}.csv or {kind}.json (or export_all's \
         {kind}/…/{kind}_<start>_<end>.csv)",
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
    /// A field is missing, empty when required, or malformed.
    #[error("{}, line {line}, field `{field}`: {message}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// The line (1-based; for a missing CSV column, 1: the header).
        line: u64,
        /// The column or key.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A row names a block that is not in the blocks export.
    #[error("{}, line {line}: {item} is in block {block}, which is not in the blocks export", path.display())]
    UnknownBlock {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The row's item (`transaction 0x…`, `trace`, …).
        item: String,
        /// The block it names (hash or number).
        block: String,
    },
    /// A row names a transaction that is not in the transactions export (or not in its block).
    #[error("{}, line {line}: {item} belongs to transaction {transaction}, which is not in the transactions export{detail}", path.display())]
    UnknownTransaction {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The row's item (`receipt`, `log 3`, …).
        item: String,
        /// The transaction it names (hash, or block and position).
        transaction: String,
        /// More about where it was looked for (may be empty).
        detail: String,
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
        "block {number} ({hash}) has transaction_count {declared} but {found} transactions in the export"
    )]
    TransactionCount {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
        /// What the block row says.
        declared: u64,
        /// Rows found.
        found: usize,
    },
    /// Traces are exported but none for a block with transactions.
    #[error(
        "block {number} ({hash}) has {transactions} transactions but no traces in the {kind} export (is it of another block range?)"
    )]
    MissingTraces {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
        /// Its transaction count.
        transactions: usize,
        /// The traces export kind.
        kind: ExportKind,
    },
    /// Joining a block with its receipts and traces failed (a transaction index out of order,
    /// a missing receipt, a fee overflowing 256 bits).
    #[error("block {number} ({hash}): {source}")]
    Join {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
        /// What [`normalize_with`](crate::normalize_with) said.
        source: Box<DecodeError>,
    },
}

chainward_etl_files::impl_from_file_errors!(EtlError, ExportKind);

/// A directory of ethereum-etl exports.
#[derive(Clone, Debug)]
pub struct EthEtlExport {
    dir: PathBuf,
    files: Vec<ExportFile>,
}

impl EthEtlExport {
    /// Finds the export files in `dir` (see the [module docs](self) for the names).
    ///
    /// # Errors
    /// [`EtlError::Io`] when the directory cannot be listed, [`EtlError::MissingFile`] when
    /// blocks or transactions are missing, and [`EtlError::MixedFormats`] when one kind is
    /// present as both CSV and JSON.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, EtlError> {
        let dir = dir.as_ref().to_path_buf();
        let files =
            chainward_etl_files::discover(&dir, &[ExportKind::Blocks, ExportKind::Transactions])?;
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

    /// Whether the export has files of `kind`.
    pub fn has(&self, kind: ExportKind) -> bool {
        self.files.iter().any(|f| f.kind == kind)
    }

    /// The files of `kind`, in path order.
    pub fn files_of(&self, kind: ExportKind) -> impl Iterator<Item = &ExportFile> {
        self.files.iter().filter(move |f| f.kind == kind)
    }

    /// Reads the export into ledger blocks of the EVM chain `chain_id` (ethereum-etl does not
    /// record it), in height order.
    ///
    /// # Errors
    /// [`EtlError`] for the first malformed row (naming file, line and field), a row naming an
    /// unknown block or transaction, a duplicate, a block whose `transaction_count` disagrees
    /// with its rows, missing traces or receipts, or an unreadable file.
    pub fn blocks(&self, chain_id: u64) -> Result<Vec<Block>, EtlError> {
        build::blocks(self, chain_id)
    }

    /// The call traces of each block, by block number: from the traces export (Parity style,
    /// also what `extract_geth_traces` writes) or else from `geth_traces.json`; `None` when
    /// the export has neither.
    ///
    /// # Errors
    /// [`EtlError`] for a malformed row or an unreadable file.
    pub fn traces(&self) -> Result<Option<BTreeMap<u64, Traces>>, EtlError> {
        build::traces(self)
    }
}
