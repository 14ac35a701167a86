//! What the analytics graph reads from the store: every value movement of a network block by
//! block, the addresses lists label, and the lookups that turn graph ids back into addresses and
//! transaction hashes.
//!
//! Ids are the store's own (`addresses.id`, `transactions.id`): the graph keeps them as node and
//! edge attributes, so nothing is copied twice and a trace result can always be resolved.

use crate::StoreError;
use alloy_primitives::{B256, U256};
use chainward_primitives::ledger::Network;
use chainward_primitives::{AddressKey, Category};
use serde::Serialize;

/// One end of a value movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum GraphEnd {
    /// An address (`addresses.id`).
    Address(u64),
    /// A UTXO transaction (`transactions.id`): inputs flow into it, outputs out of it.
    Transaction(u64),
}

/// One value movement: a UTXO input (address → transaction), a UTXO output (transaction →
/// address), or an account transfer (address → address).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphEdgeRow {
    /// The store's transaction id.
    pub tx_id: u64,
    /// Payer.
    pub from: GraphEnd,
    /// Payee.
    pub to: GraphEnd,
    /// The token contract's address id; `None` for the native coin.
    pub token: Option<u64>,
    /// Amount in base units.
    pub amount: U256,
}

/// The value movements of one block, in transaction order; per UTXO transaction its inputs
/// (by position), then its outputs (by position).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphBlockRows {
    /// The store's network id.
    pub network_id: u32,
    /// Height.
    pub height: u64,
    /// Hash (display order).
    pub hash: B256,
    /// Block time, Unix seconds.
    pub time: u64,
    /// The movements. Failed transactions move nothing and give none; inputs whose spent
    /// output is unknown and outputs without an address are left out.
    pub edges: Vec<GraphEdgeRow>,
}

/// What one active list entry says about a stored address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabelRow {
    /// `addresses.id`.
    pub address_id: u64,
    /// The category.
    pub category: Category,
    /// The entity named, if any.
    pub entity: Option<String>,
    /// Confidence, 0–100.
    pub confidence: u8,
    /// The source's name.
    pub source: String,
}

/// A stored transaction, as the graph names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransactionRef {
    /// `transactions.id`.
    pub id: u64,
    /// The network.
    pub network: Network,
    /// Its hash (display order).
    pub hash: B256,
    /// Block height.
    pub height: u64,
}

/// The graph's view of the store.
pub trait GraphSource {
    /// Every network with its store id.
    ///
    /// # Errors
    /// Backend errors.
    fn networks(&self) -> Result<Vec<(u32, Network)>, StoreError>;

    /// Calls `f` with every stored block of `network_id` whose height is in `heights`, in
    /// height order (`from..=u64::MAX` for everything from a height up).
    ///
    /// # Errors
    /// Backend errors, or the first error `f` returns (which stops the scan).
    fn for_each_graph_block(
        &self,
        network_id: u32,
        heights: std::ops::RangeInclusive<u64>,
        f: &mut dyn FnMut(GraphBlockRows) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Calls `f` with every active (not de-listed) list entry whose address is in the chain
    /// tables.
    ///
    /// # Errors
    /// Backend errors.
    fn labelled_addresses(&self, f: &mut dyn FnMut(LabelRow)) -> Result<(), StoreError>;

    /// Like [`GraphSource::labelled_addresses`], for addresses with an id of at least
    /// `first_address_id` only (those stored since a caller last read the labels).
    ///
    /// # Errors
    /// Backend errors.
    fn labelled_addresses_from(
        &self,
        first_address_id: u64,
        f: &mut dyn FnMut(LabelRow),
    ) -> Result<(), StoreError>;

    /// A number that changes whenever list entries change (an import or a de-listing), so a
    /// long-running reader knows when to read the labels again.
    ///
    /// # Errors
    /// Backend errors.
    fn labels_version(&self) -> Result<u64, StoreError>;

    /// The highest address id stored (0 when none).
    ///
    /// # Errors
    /// Backend errors.
    fn max_address_id(&self) -> Result<u64, StoreError>;

    /// The id of a stored address.
    ///
    /// # Errors
    /// Backend errors.
    fn address_id(&self, key: &AddressKey) -> Result<Option<u64>, StoreError>;

    /// The canonical spelling of a stored address.
    ///
    /// # Errors
    /// Backend errors.
    fn address_text(&self, id: u64) -> Result<Option<String>, StoreError>;

    /// A stored transaction by id.
    ///
    /// # Errors
    /// Backend errors.
    fn transaction_ref(&self, id: u64) -> Result<Option<TransactionRef>, StoreError>;

    /// Stored transactions with this hash (on any network).
    ///
    /// # Errors
    /// Backend errors.
    fn transactions_by_hash(&self, hash: B256) -> Result<Vec<TransactionRef>, StoreError>;
}
