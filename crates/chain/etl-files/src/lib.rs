//! Finding and reading the export files of the [blockchain-etl](https://github.com/blockchain-etl)
//! tools (ethereum-etl, bitcoin-etl), for any chain.
//!
//! The chain readers (`chainward-chain-ethereum`, `chainward-chain-bitcoin`) name their kinds
//! of file through [`FileKind`] and turn rows into their own types; this crate holds what the
//! exports of every chain share:
//!
//! - **Discovery** ([`discover`]): a file is recognized by its name, `.csv` or `.json` (the
//!   tools pick the format by the same extension): `<kind>.csv` as the READMEs' commands write
//!   it, `<kind>_<start>_<end>.csv` as `export_all` writes it into
//!   `<kind>/start_block=…/end_block=…/` folders (searched too, at most 4 deep), and
//!   `expected_<kind>.csv` as the tools' own test resources name them. Several files of one
//!   kind (partitions) are kept together; one kind in both formats is refused as ambiguous.
//! - **Rows** ([`for_each_row`]): a CSV file (a header line, then one row per item) or a JSON
//!   lines file (one object per line), row by row, each with its exact 1-based line (CRLF line
//!   ends, blank lines and quoted newlines counted as a text editor shows them; a CSV header is
//!   its line), and errors ([`RowError`]) naming the file, the line and the field.
//!
//! # Example
//! ```no_run
//! use chainward_etl_files::{FileKind, Format, RowError, discover, for_each_row};
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
//! enum Kind {
//!     Blocks,
//! }
//!
//! impl FileKind for Kind {
//!     const KINDS: &'static [Self] = &[Self::Blocks];
//!     fn base_name(self) -> &'static str {
//!         "blocks"
//!     }
//! }
//!
//! for file in discover("exports".as_ref(), &[Kind::Blocks]).expect("a readable export") {
//!     for_each_row(&file.path, file.format, &["number"], |row| {
//!         println!("line {}: block {:?}", row.line(), row.cell("number"));
//!         Ok::<(), RowError>(())
//!     })?;
//! }
//! # Ok::<(), RowError>(())
//! ```

mod rows;

pub use rows::{Columns, Row, RowError, for_each_row};

use std::fmt::Debug;
use std::path::{Path, PathBuf};

/// The kinds of file of one tool's exports (`blocks`, `transactions`, …).
pub trait FileKind: Copy + Eq + Ord + Debug + 'static {
    /// Every kind, in the order files are listed.
    const KINDS: &'static [Self];

    /// The tool's name for the kind: the file stem (`blocks`, `token_transfers`, …) and the
    /// name of `export_all`'s folder for it.
    fn base_name(self) -> &'static str;
}

/// The kind a file stem names: `blocks`, `expected_blocks` or `blocks_<digits>…`.
pub fn kind_of_stem<K: FileKind>(stem: &str) -> Option<K> {
    let stem = stem.strip_prefix("expected_").unwrap_or(stem);
    K::KINDS.iter().copied().find(|kind| {
        stem == kind.base_name()
            || stem
                .strip_prefix(kind.base_name())
                .and_then(|rest| rest.strip_prefix('_'))
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// The format of a file, from its extension (as the blockchain-etl tools choose it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// `.csv`: a header line, then one row per item.
    Csv,
    /// `.json`: one JSON object per line.
    JsonLines,
}

/// One export file found in the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportFile<K> {
    /// What it holds.
    pub kind: K,
    /// Its format.
    pub format: Format,
    /// Where it is.
    pub path: PathBuf,
}

/// Why the files of an export could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError<K: FileKind> {
    /// A directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A required kind has no file.
    #[error("{}: no {} export", dir.display(), kind.base_name())]
    MissingFile {
        /// The directory.
        dir: PathBuf,
        /// The kind missing.
        kind: K,
    },
    /// One kind is given in both formats, probably the same items twice.
    #[error(
        "the {} export is given as CSV ({}) and as JSON ({}); keep one of them",
        kind.base_name(),
        csv.display(),
        json.display()
    )]
    MixedFormats {
        /// The kind.
        kind: K,
        /// A CSV file of it.
        csv: PathBuf,
        /// A JSON file of it.
        json: PathBuf,
    },
}

/// The export files of `dir` and of its kinds' `export_all` folders, by kind then path.
///
/// # Errors
/// [`DiscoverError::Io`] when a directory cannot be listed, [`DiscoverError::MixedFormats`]
/// when one kind is present as both CSV and JSON (the first such kind), and
/// [`DiscoverError::MissingFile`] when a kind of `required` has no file (the first such kind).
pub fn discover<K: FileKind>(
    dir: &Path,
    required: &[K],
) -> Result<Vec<ExportFile<K>>, DiscoverError<K>> {
    let mut files = Vec::new();
    scan(dir, None, 0, &mut files)?;
    for &kind in K::KINDS {
        let sub = dir.join(kind.base_name());
        if sub.is_dir() {
            scan(&sub, Some(kind), 1, &mut files)?;
        }
    }
    files.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    files.dedup();
    for &kind in K::KINDS {
        let of = |format| files.iter().find(|f| f.kind == kind && f.format == format);
        if let (Some(csv), Some(json)) = (of(Format::Csv), of(Format::JsonLines)) {
            return Err(DiscoverError::MixedFormats {
                kind,
                csv: csv.path.clone(),
                json: json.path.clone(),
            });
        }
    }
    if let Some(&kind) = required.iter().find(|&&kind| files.iter().all(|f| f.kind != kind)) {
        return Err(DiscoverError::MissingFile { dir: dir.to_owned(), kind });
    }
    Ok(files)
}

/// Implements `From<`[`DiscoverError`]`<kind>>` and `From<`[`RowError`]`>` for a chain
/// reader's error enum `error`, which has variants of the same names and fields as theirs
/// (`Io`, `MissingFile`, `MixedFormats`, `Line`, `Field`), with its own messages.
#[macro_export]
macro_rules! impl_from_file_errors {
    ($error:ty, $kind:ty) => {
        impl ::core::convert::From<$crate::DiscoverError<$kind>> for $error {
            fn from(error: $crate::DiscoverError<$kind>) -> Self {
                match error {
                    $crate::DiscoverError::Io { path, source } => Self::Io { path, source },
                    $crate::DiscoverError::MissingFile { dir, kind } => {
                        Self::MissingFile { dir, kind }
                    }
                    $crate::DiscoverError::MixedFormats { kind, csv, json } => {
                        Self::MixedFormats { kind, csv, json }
                    }
                }
            }
        }

        impl ::core::convert::From<$crate::RowError> for $error {
            fn from(error: $crate::RowError) -> Self {
                match error {
                    $crate::RowError::Io { path, source } => Self::Io { path, source },
                    $crate::RowError::Line { path, line, message } => {
                        Self::Line { path, line, message }
                    }
                    $crate::RowError::Field { path, line, field, message } => {
                        Self::Field { path, line, field, message }
                    }
                }
            }
        }
    };
}

/// Adds the export files of `dir` (of kind `only`, when set) and, below a kind's own folder,
/// of its subfolders (`export_all`'s `start_block=…/end_block=…`, at most 4 deep).
fn scan<K: FileKind>(
    dir: &Path,
    only: Option<K>,
    depth: usize,
    files: &mut Vec<ExportFile<K>>,
) -> Result<(), DiscoverError<K>> {
    let io = |source| DiscoverError::Io { path: dir.to_owned(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if only.is_some() && depth < 4 {
                scan(&path, only, depth + 1, files)?;
            }
            continue;
        }
        let Some((stem, extension)) = name.rsplit_once('.') else { continue };
        let format = if extension.eq_ignore_ascii_case("csv") {
            Format::Csv
        } else if extension.eq_ignore_ascii_case("json") {
            Format::JsonLines
        } else {
            continue;
        };
        let Some(kind) = kind_of_stem(stem) else { continue };
        if only.is_none_or(|k| k == kind) {
            files.push(ExportFile { kind, format, path });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
