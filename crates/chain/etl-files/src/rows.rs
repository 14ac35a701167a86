//! Reading one export file row by row, CSV or JSON lines alike, with exact line numbers and
//! errors naming the file, the line and the field.

use super::Format;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Why a file or one of its rows could not be read. Messages name the file, the line (1-based;
/// a CSV header is line 1) and the field.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
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
        /// The line (1-based; for a missing CSV column, the header's).
        line: u64,
        /// The column or key.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The columns of a CSV file, from its header (names trimmed).
#[derive(Clone, Debug)]
pub struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    /// The column names, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The position of column `name`.
    pub fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// One row of a file: where it is and its cells (a CSV record or a JSON line's text).
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    path: &'a Path,
    line: u64,
    cells: Cells<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Cells<'a> {
    Csv { columns: &'a Columns, record: &'a csv::StringRecord },
    Json(&'a str),
}

impl<'a> Row<'a> {
    /// A row of a JSON-lines file: `text` is line `line` of `path`.
    pub fn from_json_line(path: &'a Path, line: u64, text: &'a str) -> Self {
        Self { path, line, cells: Cells::Json(text) }
    }

    /// The file.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// The row's line in its file (1-based; a CSV row's first line).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The format of its file.
    pub fn format(&self) -> Format {
        match self.cells {
            Cells::Csv { .. } => Format::Csv,
            Cells::Json(_) => Format::JsonLines,
        }
    }

    /// A CSV row's columns (`None` in a JSON-lines file).
    pub fn columns(&self) -> Option<&'a Columns> {
        match self.cells {
            Cells::Csv { columns, .. } => Some(columns),
            Cells::Json(_) => None,
        }
    }

    /// A CSV row's cell in column `name`, possibly empty; `None` when the header does not name
    /// it, or in a JSON-lines file.
    pub fn cell(&self, name: &str) -> Option<&'a str> {
        match self.cells {
            Cells::Csv { columns, record } => columns.get(name).and_then(|i| record.get(i)),
            Cells::Json(_) => None,
        }
    }

    /// A CSV row's cells with their column names, in file order (none in a JSON-lines file).
    pub fn cells(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let csv = match self.cells {
            Cells::Csv { columns, record } => Some((columns, record)),
            Cells::Json(_) => None,
        };
        csv.into_iter().flat_map(|(columns, record)| {
            columns.names.iter().map(String::as_str).zip(record.iter())
        })
    }

    /// A JSON line's object, each value as its JSON text (numbers keep all their digits).
    ///
    /// # Errors
    /// [`RowError::Line`] when the line is not a JSON object (or the row is a CSV row).
    pub fn json_object(&self) -> Result<HashMap<String, &'a RawValue>, RowError> {
        serde_json::from_str(self.json_text()?).map_err(|e| self.not_an_object(&e))
    }

    /// A JSON line's object, parsed into values.
    ///
    /// # Errors
    /// [`RowError::Line`] when the line is not a JSON object (or the row is a CSV row).
    pub fn json_map(&self) -> Result<Map<String, Value>, RowError> {
        serde_json::from_str(self.json_text()?).map_err(|e| self.not_an_object(&e))
    }

    fn json_text(&self) -> Result<&'a str, RowError> {
        match self.cells {
            Cells::Json(text) => Ok(text),
            Cells::Csv { .. } => Err(self.line_error("is a CSV row, not a JSON line")),
        }
    }

    fn not_an_object(&self, error: &serde_json::Error) -> RowError {
        self.line_error(format!("not a JSON object: {error}"))
    }

    /// An error about this row's line.
    pub fn line_error(&self, message: impl Into<String>) -> RowError {
        RowError::Line { path: self.path.to_owned(), line: self.line, message: message.into() }
    }

    /// An error about `field` of this row.
    pub fn error(&self, field: &str, message: impl Into<String>) -> RowError {
        RowError::Field {
            path: self.path.to_owned(),
            line: self.line,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Calls `f` with every row of `path`, in file order.
///
/// In a CSV file every name in `required` must be a column of the header (else an error at
/// the header's line), and no column may be named twice; an empty file (the tools write no
/// header when they have no items) has no rows. Blank lines of a JSON-lines file are skipped;
/// its lines are not parsed here (see [`Row::json_object`], [`Row::json_map`]).
///
/// # Errors
/// The first error of `f`, or a [`RowError`] (converted into `E`) when the file cannot be read
/// or a CSV line is not a row of the header's columns.
pub fn for_each_row<E: From<RowError>>(
    path: &Path,
    format: Format,
    required: &[&str],
    mut f: impl FnMut(&Row<'_>) -> Result<(), E>,
) -> Result<(), E> {
    match format {
        Format::Csv => {
            // The csv crate's own line numbers are off after blank lines and with CRLF line
            // ends, so lines are counted here from the byte offsets it reports.
            let bytes = std::fs::read(path)
                .map_err(|source| RowError::Io { path: path.to_owned(), source })?;
            let mut lines = Lines { bytes: &bytes, offset: 0, line: 1 };
            let mut reader =
                csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
            let headers = reader.headers().map_err(|e| csv_error(path, &mut lines, e))?.clone();
            if headers.is_empty() {
                return Ok(());
            }
            let header_line = lines.line_at(0);
            let header_error = |field: &str, message: &str| RowError::Field {
                path: path.to_owned(),
                line: header_line,
                field: field.to_owned(),
                message: message.to_owned(),
            };
            let names: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
            let mut index = HashMap::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                if index.insert(name.clone(), i).is_some() {
                    return Err(header_error(name, "the header names this column twice").into());
                }
            }
            if let Some(missing) = required.iter().find(|c| !index.contains_key(**c)) {
                let message = "missing column (the header does not name it)";
                return Err(header_error(missing, message).into());
            }
            let columns = Columns { names, index };
            let mut record = csv::StringRecord::new();
            while reader.read_record(&mut record).map_err(|e| csv_error(path, &mut lines, e))? {
                let line = lines.line_at(record.position().map_or(0, csv::Position::byte));
                f(&Row { path, line, cells: Cells::Csv { columns: &columns, record: &record } })?;
            }
        }
        Format::JsonLines => {
            let file = File::open(path)
                .map_err(|source| RowError::Io { path: path.to_owned(), source })?;
            for (i, text) in BufReader::new(file).lines().enumerate() {
                let line = i as u64 + 1;
                let text = text.map_err(|e| RowError::Line {
                    path: path.to_owned(),
                    line,
                    message: format!("cannot be read: {e}"),
                })?;
                if text.trim().is_empty() {
                    continue;
                }
                f(&Row::from_json_line(path, line, &text))?;
            }
        }
    }
    Ok(())
}

/// Line numbers from byte offsets, counted forward.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the record the csv reader reports at byte `from`: it reports where it
    /// started reading, before the line ends (and blank lines) it skips.
    fn line_at(&mut self, from: u64) -> u64 {
        let from = usize::try_from(from).unwrap_or(usize::MAX).clamp(self.offset, self.bytes.len());
        let skipped = self.bytes[from..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        let start = from + skipped;
        self.line += self.bytes[self.offset..start].iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset = start;
        self.line
    }
}

fn csv_error(path: &Path, lines: &mut Lines<'_>, error: csv::Error) -> RowError {
    let line = error.position().map_or(lines.line, |p| lines.line_at(p.byte()));
    match error.into_kind() {
        csv::ErrorKind::Io(source) => RowError::Io { path: path.to_owned(), source },
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => RowError::Line {
            path: path.to_owned(),
            line,
            message: format!("has {len} fields but the header has {expected_len}"),
        },
        csv::ErrorKind::Utf8 { err, .. } => RowError::Line {
            path: path.to_owned(),
            line,
            message: format!("field {} is not UTF-8", err.field() + 1),
        },
        other => RowError::Line { path: path.to_owned(), line, message: format!("{other:?}") },
    }
}
