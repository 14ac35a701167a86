//! Errors of list parsing and import.

/// Why a list file could not be parsed at all.
///
/// Row-level problems are not errors: they become [`chainward_primitives::ParseIssue`]s and the
/// rest of the file is imported. This error means the file as a whole is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is malformed as a whole (not XML, YAML syntax error, wrong columns, …).
    #[error("{file}:{line}: {}{message}", field.as_ref().map(|f| format!("field '{f}': ")).unwrap_or_default())]
    Malformed {
        /// The file.
        file: String,
        /// The 1-based line (0 when unknown).
        line: u64,
        /// The field or element concerned.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The file's format could not be recognised.
    #[error("{file}: unrecognised list format: {message}")]
    UnknownFormat {
        /// The file.
        file: String,
        /// What was looked at and what was expected.
        message: String,
    },
}

impl ListError {
    /// A [`ListError::Malformed`] without a field.
    pub fn malformed(file: &str, line: u64, message: impl Into<String>) -> Self {
        Self::Malformed { file: file.to_owned(), line, field: None, message: message.into() }
    }
}
