//! Errors.

/// Why an entity registry could not be updated, saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A registry file that cannot be used.
    #[error("entity registry {path}: {reason}")]
    Registry {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// All 2³² − 1 entity ids were issued.
    #[error("entity ids exhausted: 2^32 - 1 ids issued")]
    EntityIdsExhausted,
    /// I/O.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}
