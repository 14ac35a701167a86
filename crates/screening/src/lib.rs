//! Screening: list parsers, versioned snapshots, and address screening.
//!
//! Work-in-progress crate doc; see the final version below.

mod error;
pub mod ofac_xml;
pub mod tagpack;

pub use error::ListError;
