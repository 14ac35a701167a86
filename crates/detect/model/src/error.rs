//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong loading data, training, saving or loading a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A file or folder could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line of a data file is not valid CSV, or has the wrong number of fields.
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line the record starts on.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A field of a data file holds a value that is not allowed.
    #[error("{}:{line}: field `{field}`: {message}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// The 1-based line the record starts on.
        line: u64,
        /// The column name.
        field: String,
        /// What is wrong, quoting the value.
        message: String,
    },
    /// A data file's header lacks a column the loader needs.
    #[error("{}: no column `{column}` in the header", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// A model file was written for another feature version than this build computes.
    #[error(
        "{}: the model was trained on feature version {found}, but this build computes \
         feature version {expected}; retrain the model with this build",
        path.display()
    )]
    FeatureVersion {
        /// The model file.
        path: PathBuf,
        /// The feature version the file states.
        found: u32,
        /// The feature version of this build ([`crate::FEATURE_VERSION`]).
        expected: u32,
    },
    /// A model file is not a readable model of this crate's format.
    #[error("{}: not a usable chainward model file: {message}", path.display())]
    ModelFile {
        /// The model file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Training options are out of range.
    #[error("invalid training options: {0}")]
    Options(String),
    /// Training could not run (empty data set, a class without samples, a learner's error).
    #[error("training failed: {0}")]
    Training(String),
}
