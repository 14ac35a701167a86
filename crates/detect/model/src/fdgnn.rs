//! The FDGNN Ethereum cybercrime data set: labelled addresses and their first-order transactions.
//!
//! The folder holds `fdgnn_labeled_addresses.csv` (`label,address`) and
//! `fdgnn_first_order_transactions.csv.gz` (or `.csv`): `label, center_address, tx_hash,
//! block_number, timestamp, from, to, value_eth, contract_address, is_error`, the external ETH
//! transactions of each labelled ("centre") address.
//!
//! Which columns are used, and why the others are not:
//! - `center_address` only groups rows by address; `label` is only checked against the labels
//!   file. Neither is a feature.
//! - `tx_hash` and `block_number` are empty in every Hack and Ponzi row and filled in every
//!   Normal and Phishing row: as features they would give the label away. They are not read.
//! - `is_error` is likewise empty for Hack and Ponzi and `0`/`1` for the others, so it is not
//!   read either: every transfer's `failed` is unknown, and the `failed_share` feature is missing
//!   for every address (it stays in the vector for data that has it).
//! - `contract_address` is empty in every row; `contract_counterparty_share` is missing too.
//! - `timestamp`, `from`, `to` and `value_eth` make the [`AddressActivity`]: a row whose `from`
//!   is the centre is outgoing to `to`; a row whose `to` is the centre is incoming from `from`;
//!   a row with an empty `to` that the centre did not send is the centre's own creation (Ponzi
//!   contracts), counted as incoming from its creator. A self-transfer counts once, outgoing.
//!
//! Zero-value rows are read like any other, and ignored by the features: FDGNN's normal and
//! phishing rows have none at all (XBlock's collection left them out), while 99% of its hack
//! addresses and all its Ponzi addresses have some, so they would give the label away.
//!
//! A row that is not valid CSV, or a field that does not parse, is a [`ModelError`] naming the
//! file, the line and the field.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use chainward_primitives::{Address, AddressKey, Chain};

use crate::dataset::{Class, Dataset, Sample};
use crate::error::ModelError;
use crate::features::{AddressActivity, Feature, Features, Transfer};
use crate::model::{Model, TrainOptions};
use crate::report::{EvalReport, train_and_evaluate};

/// The labels file in the FDGNN folder.
pub const LABELS_FILE: &str = "fdgnn_labeled_addresses.csv";

/// The transactions file in the FDGNN folder (a `.csv` of the same stem is read when the
/// compressed one is absent).
pub const TRANSACTIONS_FILE: &str = "fdgnn_first_order_transactions.csv.gz";

/// One labelled address with its transfers, before features are computed.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledActivity {
    /// The address, lower case.
    pub address: String,
    /// Its label.
    pub class: Class,
    /// Its transfers.
    pub activity: AddressActivity,
}

/// A CSV file being read, with its column positions.
struct CsvFile {
    path: PathBuf,
    reader: csv::Reader<Box<dyn Read>>,
    columns: Vec<usize>,
    names: &'static [&'static str],
    record: csv::ByteRecord,
}

impl CsvFile {
    fn open(path: &Path, names: &'static [&'static str]) -> Result<Self, ModelError> {
        let file = File::open(path)
            .map_err(|source| ModelError::Read { path: path.to_owned(), source })?;
        let input: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
        } else {
            Box::new(file)
        };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
        let headers = reader.byte_headers().map_err(|e| csv_error(path, &e, 1))?.clone();
        let mut columns = Vec::with_capacity(names.len());
        for &name in names {
            let i = headers
                .iter()
                .position(|h| h.trim_ascii() == name.as_bytes())
                .ok_or(ModelError::MissingColumn { path: path.to_owned(), column: name })?;
            columns.push(i);
        }
        Ok(Self { path: path.to_owned(), reader, columns, names, record: csv::ByteRecord::new() })
    }

    /// Reads the next record; `Ok(false)` at the end.
    fn next(&mut self) -> Result<bool, ModelError> {
        let line = self.reader.position().line();
        self.reader.read_byte_record(&mut self.record).map_err(|e| csv_error(&self.path, &e, line))
    }

    fn line(&self) -> u64 {
        self.record.position().map_or(0, csv::Position::line)
    }

    /// The `i`th wanted column of the current record, trimmed.
    fn field(&self, i: usize) -> Result<&str, ModelError> {
        let bytes = self.record.get(self.columns[i]).unwrap_or_default();
        std::str::from_utf8(bytes).map(str::trim).map_err(|_| self.field_error(i, "not UTF-8"))
    }

    fn field_error(&self, i: usize, message: impl Into<String>) -> ModelError {
        ModelError::Field {
            path: self.path.clone(),
            line: self.line(),
            field: self.names[i].to_owned(),
            message: message.into(),
        }
    }
}

fn csv_error(path: &Path, error: &csv::Error, fallback_line: u64) -> ModelError {
    let line = error.position().map_or(fallback_line, csv::Position::line);
    if let csv::ErrorKind::Io(io) = error.kind() {
        return ModelError::Read {
            path: path.to_owned(),
            source: std::io::Error::new(io.kind(), format!("line {line}: {io}")),
        };
    }
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        _ => error.to_string(),
    };
    ModelError::Malformed { path: path.to_owned(), line, message }
}

/// Parses EVM addresses, each distinct spelling once.
#[derive(Default)]
struct AddressCache {
    keys: HashMap<Box<str>, AddressKey>,
}

impl AddressCache {
    fn key(&mut self, spelling: &str) -> Result<AddressKey, String> {
        if let Some(key) = self.keys.get(spelling) {
            return Ok(*key);
        }
        let key = Address::parse(Chain::Evm, spelling)
            .map_err(|e| format!("{spelling:?} is not an EVM address: {e}"))?
            .key();
        self.keys.insert(spelling.into(), key);
        Ok(key)
    }
}

fn transactions_path(dir: &Path) -> PathBuf {
    let gz = dir.join(TRANSACTIONS_FILE);
    if gz.exists() {
        return gz;
    }
    let plain = dir.join(TRANSACTIONS_FILE.trim_end_matches(".gz"));
    if plain.exists() { plain } else { gz }
}

/// Reads the labels and every labelled address's transfers, in the labels file's order.
///
/// # Errors
/// [`ModelError::Read`] for a missing or unreadable file; [`ModelError::Malformed`],
/// [`ModelError::Field`] or [`ModelError::MissingColumn`] naming the file and line of the first
/// bad row (unknown label, invalid address, duplicate address, unparseable time or value, a row
/// of an unlabelled address or with another label than the labels file's).
pub fn load_activities(dir: &Path) -> Result<Vec<LabelledActivity>, ModelError> {
    let mut cache = AddressCache::default();
    let mut out: Vec<LabelledActivity> = Vec::new();
    let mut by_key: HashMap<AddressKey, usize> = HashMap::new();

    const LABEL_COLUMNS: &[&str] = &["label", "address"];
    let mut labels = CsvFile::open(&dir.join(LABELS_FILE), LABEL_COLUMNS)?;
    while labels.next()? {
        let label = labels.field(0)?;
        let class = Class::parse(label)
            .ok_or_else(|| labels.field_error(0, format!("unknown label {label:?}")))?;
        let spelling = labels.field(1)?;
        let key = cache.key(spelling).map_err(|m| labels.field_error(1, m))?;
        if by_key.insert(key, out.len()).is_some() {
            return Err(labels.field_error(1, format!("{spelling} is listed twice")));
        }
        out.push(LabelledActivity {
            address: spelling.to_ascii_lowercase(),
            class,
            activity: AddressActivity::default(),
        });
    }

    const TX_COLUMNS: &[&str] =
        &["label", "center_address", "timestamp", "from", "to", "value_eth"];
    let mut txs = CsvFile::open(&transactions_path(dir), TX_COLUMNS)?;
    while txs.next()? {
        let center_spelling = txs.field(1)?;
        let center = cache.key(center_spelling).map_err(|m| txs.field_error(1, m))?;
        let &index = by_key.get(&center).ok_or_else(|| {
            txs.field_error(1, format!("{center_spelling} is not in {LABELS_FILE}"))
        })?;
        let label = txs.field(0)?;
        if Class::parse(label) != Some(out[index].class) {
            return Err(txs.field_error(
                0,
                format!(
                    "{label:?}, but {LABELS_FILE} labels {center_spelling} {}",
                    out[index].class
                ),
            ));
        }
        let time_text = txs.field(2)?;
        let time: i64 = time_text
            .parse()
            .map_err(|_| txs.field_error(2, format!("{time_text:?} is not a Unix time")))?;
        let from_text = txs.field(3)?;
        if from_text.is_empty() {
            return Err(txs.field_error(3, "empty"));
        }
        let from = cache.key(from_text).map_err(|m| txs.field_error(3, m))?;
        let to_text = txs.field(4)?;
        let to = if to_text.is_empty() {
            None
        } else {
            Some(cache.key(to_text).map_err(|m| txs.field_error(4, m))?)
        };
        let value_text = txs.field(5)?;
        let value: f64 =
            value_text.parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0).ok_or_else(
                || txs.field_error(5, format!("{value_text:?} is not a non-negative amount")),
            )?;
        let (outgoing, counterparty) = if from == center {
            (true, to)
        } else if to == Some(center) || to.is_none() {
            (false, Some(from))
        } else {
            return Err(txs.field_error(
                1,
                format!("{center_spelling} is neither the row's `from` nor its `to`"),
            ));
        };
        out[index].activity.transfers.push(Transfer {
            time,
            counterparty,
            value,
            outgoing,
            failed: None,
            to_contract: None,
        });
    }
    Ok(out)
}

/// Loads the FDGNN folder as a data set of features.
///
/// Addresses without a single transfer of non-zero value are left out: they have no features
/// (see [`crate::features`]), and in FDGNN they are all hack or Ponzi addresses, so "no
/// transfers" would be a label. The data set's name says how many were left out.
///
/// # Errors
/// As [`load_activities`].
pub fn load_fdgnn(dir: &Path) -> Result<Dataset, ModelError> {
    let activities = load_activities(dir)?;
    let total = activities.len();
    let samples = activities
        .into_iter()
        .map(|a| Sample {
            features: Features::from_activity(&a.activity),
            address: a.address,
            class: a.class,
        })
        .filter(|s| s.features.get(Feature::NTransfers) > 0.0)
        .collect::<Vec<_>>();
    let name = format!(
        "FDGNN Ethereum cybercrime ({} of {total} addresses; {} without a value transfer left out)",
        samples.len(),
        total - samples.len()
    );
    Ok(Dataset::new(name, samples))
}

/// Loads the FDGNN folder, trains on the training side of the hold-out split by address hash
/// ([`TrainOptions::test_fraction`]) and evaluates on the other side, with baselines.
///
/// # Errors
/// As [`load_fdgnn`] and [`crate::train`].
pub fn train_fdgnn(dir: &Path, options: &TrainOptions) -> Result<(Model, EvalReport), ModelError> {
    let dataset = load_fdgnn(dir)?;
    train_and_evaluate(&dataset, options)
}
