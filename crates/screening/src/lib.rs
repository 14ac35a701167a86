//! Screening: sanctions and attribution list parsers, versioned list snapshots, and address
//! screening.
//!
//! The flow, left to right:
//! 1. [`import::plan_import`] finds list files and recognises their [`ListFormat`]: OFAC's
//!    `sdn.csv` ([`ofac_csv`]) and SDN XML ([`ofac_xml`]), per-currency OFAC lists and CSV tag
//!    lists ([`simple_lists`]), GraphSense TagPacks and ActorPacks ([`tagpack`]).
//! 2. [`import::load`] parses a file into raw rows, validates every address on the chains its
//!    currency names, and packages a [`chainward_store_api::SnapshotImport`] with provenance
//!    (origin, content hash, import time, the date it speaks for). Rows that fail become issues
//!    with file, line and field; the rest is imported.
//! 3. A [`chainward_store_api::WatchlistStore`] writes the batch in one transaction and de-lists
//!    what a newer snapshot of a source no longer contains.
//! 4. [`screen::screen`] parses an input on every chain it is valid on and looks each
//!    interpretation up, in the store or in a [`ScreeningIndex`] built from it, returning every
//!    listing (active and de-listed) with a [`Verdict`] and its reasons.
//!
//! Parsers never fetch anything: they take bytes, so they can be fuzzed and tested on data the
//! tests write.
//!
//! ```
//! use chainward_screening::{ScreeningIndex, Verdict, screen};
//!
//! let index = ScreeningIndex::default();
//! let result = screen("0x098b716b8aaf21512996dc57eb0615e2383e2f96", &index).unwrap();
//! assert_eq!(result.verdict, Verdict::Clean);
//! ```

mod error;
pub mod import;
pub mod ofac_csv;
pub mod ofac_xml;
pub mod screen;
pub mod simple_lists;
pub mod tagpack;

pub use error::ListError;
pub use import::{ImportOptions, ListFile, ListFormat};
pub use screen::{
    ChainResult, RecordLookup, ScreenError, ScreeningIndex, ScreeningResult, Verdict, screen,
};
