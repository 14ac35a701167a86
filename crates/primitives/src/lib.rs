//! Chainward's domain types, with no I/O.
//!
//! - [`Chain`]: the chains and address families Chainward knows.
//! - [`Address`]: a validated, normalized address; [`Address::parse_any`] finds every chain a
//!   string is valid on, and [`AddressKey`] is the fixed-size key that screening looks up.
//! - [`watchlist`]: what lists say about addresses ([`ListEntry`], [`WatchlistEntry`],
//!   [`Category`], [`RiskLevel`]) and the [`ParseIssue`]s found on the way.
//! - [`ledger`]: the normalized chain model (blocks, UTXO inputs and outputs, account transfers)
//!   that every chain decoder produces.
//!
//! The key design decision: an address is identified by its chain and normalized *payload*
//! (version byte and hash, witness program, public key), never by its spelling, so the legacy and
//! CashAddr forms of a Bitcoin Cash address, or the checksummed and lower-case forms of an EVM
//! address, screen identically.
//!
//! ```
//! use chainward_primitives::{Address, Chain};
//!
//! let address = Address::parse(Chain::Evm, "0x098b716b8aaf21512996dc57eb0615e2383e2f96").unwrap();
//! assert_eq!(address.canonical(), "0x098B716B8Aaf21512996dC57EB0615e2383E2f96");
//! ```

pub mod address;
mod chain;
pub mod ledger;
pub mod watchlist;

pub use address::{Address, AddressError, AddressKey, AddressKind, Attempt};
pub use chain::{Chain, UnknownChain};
pub use watchlist::{
    Actor, Category, IssueSeverity, ListEntry, ParseIssue, ParsedList, RiskLevel, WatchlistEntry,
};
