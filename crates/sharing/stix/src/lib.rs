//! STIX 2.1 for Chainward: the content model, validation, and the mapping between STIX bundles
//! and Chainward's watchlist.
//!
//! - [`model`]: typed objects ([`Indicator`], [`CryptocurrencyWallet`], [`IntrusionSet`],
//!   [`ThreatActor`], [`Relationship`], [`Sighting`], [`Report`], [`Identity`],
//!   [`MarkingDefinition`], [`ExtensionDefinition`]) sharing [`Common`] properties, and
//!   [`StixObject`], which keeps objects of any other type as the exact JSON they came in, so
//!   foreign content round-trips losslessly. [`Bundle`] holds them.
//! - [`parse_bundle`] / [`parse_object`]: reading with validation that names the object and the
//!   property (`indicator--…: pattern: unbalanced bracket at 17`); never panics on any input.
//! - [`pattern`]: a STIX pattern parser and the wallet forms a watchlist can hold.
//! - [`Tlp`]: the TLP 2.0 marking definitions with their fixed OASIS ids.
//! - [`indicators_to_entries`]: a bundle → one `SnapshotImport` per producer (the type list
//!   imports produce, so the store writes it the same way), with revocations and expiries as
//!   de-listings.
//! - [`entries_to_bundle`] / [`export_bundle`]: watchlist entries, tags and confirmed alerts →
//!   a bundle.
//!
//! Key decisions (STIX.md in this crate has the tables):
//! - wallets are `cryptocurrency-wallet` SCOs with `value`, under muchdogesec's extension
//!   definition (the same type and property as OpenCTI); their id is the STIX deterministic
//!   UUIDv5 over the *normalized* address ([`wallet_value`]: lower case for EVM), and wallets
//!   are deduplicated by normalized address, never by id, since other producers hash other
//!   spellings;
//! - what STIX has no property for (chain, category, source labels, programme) travels in
//!   Chainward's own property extension, so Chainward → Chainward is lossless, while the
//!   standard properties carry the same meaning for everyone else;
//! - exported ids are deterministic (wallets per STIX; indicators per source, address, entity
//!   and category in [`CHAINWARD_NAMESPACE`]), so a re-export is a new version (new
//!   `modified`) of the same objects; de-listed entries are exported as revoked indicators.
//!
//! ```
//! use chainward_stix::{parse_bundle, Tlp, StixObject};
//!
//! let json = br#"{"type": "bundle", "id": "bundle--0f1e2d3c-4b5a-4697-8879-6a5b4c3d2e1f",
//!   "objects": [{"type": "indicator", "spec_version": "2.1",
//!     "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
//!     "created": "2026-11-20T09:00:00.000Z", "modified": "2026-11-20T09:00:00.000Z",
//!     "pattern": "[cryptocurrency-wallet:value = '0x2222222222222222222222222222222222222222'",
//!     "pattern_type": "stix", "valid_from": "2026-11-20T09:00:00.000Z"}]}"#;
//! let error = parse_bundle(json).unwrap_err().to_string();
//! assert_eq!(
//!     error,
//!     "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090: pattern: unbalanced bracket at 0"
//! );
//! assert_eq!(Tlp::Amber.id(), "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
//! ```

mod crypto;
mod error;
mod export;
mod id;
mod import;
pub mod mapping;
pub mod model;
pub mod pattern;
mod time;
mod tlp;
mod validate;

pub use crypto::{
    AlertExtension, CHAINWARD_EXTENSION_ID, CHAINWARD_IDENTITY_ID, EntryExtension, LAZARUS_ALIASES,
    LAZARUS_NAMES, OPENCTI_SCO_EXTENSION_ID, WALLET_EXTENSION_CREATOR, WALLET_EXTENSION_ID,
    WALLET_SCHEMA_URL, chainward_extension_definition, is_lazarus, lazarus_intrusion_set,
    lazarus_threat_actor, wallet_extension_definition, wallet_for, wallet_id, wallet_value,
};
pub use error::{ObjectError, StixError};
pub use export::{
    ConfirmedAlert, ExportInput, ExportOptions, Producer, Tag, entries_to_bundle, export_bundle,
};
pub use id::{CHAINWARD_NAMESPACE, SCO_NAMESPACE, StixId};
pub use import::{
    DelistReason, Delisting, ImportProvenance, STIX_FORMAT, SourceImport, StixImport,
    StixProvenance, indicators_to_entries,
};
pub use model::{
    Bundle, Common, CryptocurrencyWallet, ExtensionDefinition, ExternalReference, Identity,
    Indicator, IntrusionSet, MarkingDefinition, OtherObject, Relationship, Report, Sighting,
    StixObject, ThreatActor,
};
pub use pattern::{Pattern, PatternError, parse_pattern};
pub use time::Timestamp;
pub use tlp::{TLP2_CREATED, TLP2_EXTENSION_ID, Tlp};
pub use validate::{
    parse_bundle, parse_bundle_lenient, parse_object, validate_bundle, validate_object,
};
