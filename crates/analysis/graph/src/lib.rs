//! Chainward's analytics graph: every value transfer in the store as a compact in-memory graph,
//! with adjacency in both directions, that clustering, exposure and tracing run over.
//!
//! - **Nodes** are addresses and UTXO transactions. An address node's id is the store's address
//!   id (`addresses.id`), so no mapping table is kept; a UTXO transaction is a node of its own
//!   (id with the top bit set) because it is where its inputs mix: inputs are edges address →
//!   transaction, outputs edges transaction → address. Account-model transfers (ETH, internal,
//!   ERC-20, ERC-721) are direct address → address edges.
//! - **Edges** carry the amount (base units, as `f64`: exact for every Bitcoin amount, 16
//!   significant digits for wei and token units — taint shares are fractions anyway), the block
//!   time, the asset and the store's transaction id. Each node's edges are ordered by
//!   (time, transaction, position), the order FIFO taint needs.
//! - **Layout**: structure of arrays in CSR form; the in-direction is a permutation of edge ids.
//!   30 bytes per edge (with its position in the transaction) plus 4 for the in-index, and 8
//!   per node slot: see
//!   [`TransferGraph::memory_bytes`].
//! - **Incremental**: [`TransferGraph::append_block`] adds a block's edges to an overlay and
//!   [`TransferGraph::unwind`] removes them on a reorg, without touching the base arrays;
//!   [`TransferGraph::compact`] folds the overlay in.
//! - **Snapshots** ([`snapshot`]): a versioned file of the arrays with a BLAKE3 checksum, loaded
//!   at disk speed instead of rebuilt from the store.
//!
//! ```
//! use chainward_graph::{GraphBuilder, NodeId};
//!
//! let mut builder = GraphBuilder::new();
//! let eth = builder.asset(1, None);
//! let (a, b) = (NodeId::address(1).unwrap(), NodeId::address(2).unwrap());
//! builder.add_edge(a, b, 5.0, 1_700_000_000, eth, 10).unwrap();
//! let graph = builder.finish().unwrap();
//! assert_eq!(graph.out_edges(a).next().unwrap().to, b);
//! assert_eq!(graph.in_edges(b).next().unwrap().amount, 5.0);
//! ```

mod build;
mod labels;
pub mod snapshot;
pub mod store;

pub use build::GraphBuilder;
pub use labels::{CategorySet, LabelInfo, NodeLabels};

use rustc_hash::FxHashMap;
use serde::Serialize;

/// The top bit marks a transaction node.
const TX_BIT: u32 = 1 << 31;

/// A node: an address (its store id) or a UTXO transaction (a dense index with the top bit set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The node of the store address id `id`.
    ///
    /// # Errors
    /// [`GraphError::TooLarge`] for ids of 2³¹ and above.
    pub fn address(id: u64) -> Result<Self, GraphError> {
        u32::try_from(id)
            .ok()
            .filter(|id| id & TX_BIT == 0)
            .map(Self)
            .ok_or(GraphError::TooLarge { what: "address id", value: id })
    }

    /// The `index`-th transaction node.
    ///
    /// # Errors
    /// [`GraphError::TooLarge`] beyond 2³¹ transaction nodes.
    pub fn transaction(index: u32) -> Result<Self, GraphError> {
        if index & TX_BIT == 0 {
            Ok(Self(index | TX_BIT))
        } else {
            Err(GraphError::TooLarge { what: "transaction node index", value: u64::from(index) })
        }
    }

    /// Whether this is a transaction node.
    pub const fn is_transaction(self) -> bool {
        self.0 & TX_BIT != 0
    }

    /// The store address id, for an address node.
    pub const fn address_id(self) -> Option<u64> {
        if self.is_transaction() { None } else { Some(self.0 as u64) }
    }

    /// The index among transaction nodes, or among address slots.
    pub const fn index(self) -> usize {
        (self.0 & !TX_BIT) as usize
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_transaction() {
            write!(f, "tx#{}", self.index())
        } else {
            write!(f, "address#{}", self.0)
        }
    }
}

/// An asset: a network's native coin or a token contract on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Asset {
    /// The store's network id.
    pub network: u32,
    /// The token contract's store address id; `None` for the native coin.
    pub token: Option<u64>,
}

/// The assets of a graph, each once, with the index that finds an asset's id.
#[derive(Clone, Debug, Default)]
pub(crate) struct AssetTable {
    assets: Vec<Asset>,
    index: FxHashMap<Asset, u32>,
}

impl AssetTable {
    pub(crate) fn from_assets(assets: Vec<Asset>) -> Self {
        let index = assets.iter().enumerate().map(|(i, a)| (*a, i as u32)).collect();
        Self { assets, index }
    }

    /// The id of `asset`, added on first use.
    pub(crate) fn id(&mut self, asset: Asset) -> AssetId {
        let next = self.assets.len() as u32;
        let id = *self.index.entry(asset).or_insert(next);
        if id == next {
            self.assets.push(asset);
        }
        AssetId(id)
    }

    pub(crate) fn as_slice(&self) -> &[Asset] {
        &self.assets
    }
}

/// An index into the graph's asset table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AssetId(pub u32);

/// An edge's position: base edges first, then the overlay's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EdgeId(pub u32);

/// One value transfer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Edge {
    /// Its id.
    pub id: EdgeId,
    /// The payer: an address, or the transaction whose output this is.
    pub from: NodeId,
    /// The payee: an address, or the transaction this input is spent in.
    pub to: NodeId,
    /// The amount in the asset's base units.
    pub amount: f64,
    /// Block time, Unix seconds.
    pub time: u32,
    /// The asset.
    pub asset: AssetId,
    /// The store's transaction id (`transactions.id`).
    pub tx: u32,
    /// Its position among the transaction's edges (UTXO: inputs, then outputs; account:
    /// transfers in execution order), saturating at 65,535. With `time` and `tx` it orders a
    /// node's incoming and outgoing edges against each other, even inside one transaction: a
    /// contract that receives and forwards in one call receives first.
    pub seq: u16,
}

impl Edge {
    /// When the edge happened: (time, transaction, position). Every edge of a node has its
    /// own.
    pub const fn at(&self) -> (u32, u32, u16) {
        (self.time, self.tx, self.seq)
    }
}

/// Why a graph could not be built, loaded or updated.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// A value does not fit the graph's fixed-width fields.
    #[error("{what} {value} does not fit the analytics graph (limit 2^31 nodes / 2^32 edges)")]
    TooLarge {
        /// Which field.
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// A snapshot file that cannot be used.
    #[error("graph snapshot {path}: {reason}")]
    Snapshot {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A block appended out of order.
    #[error("{0}")]
    Order(String),
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] chainward_store_api::StoreError),
    /// I/O.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Edge columns (structure of arrays).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct EdgeColumns {
    pub(crate) from: Vec<u32>,
    pub(crate) to: Vec<u32>,
    pub(crate) amount: Vec<f64>,
    pub(crate) time: Vec<u32>,
    pub(crate) asset: Vec<u32>,
    pub(crate) tx: Vec<u32>,
    pub(crate) seq: Vec<u16>,
}

impl EdgeColumns {
    pub(crate) fn len(&self) -> usize {
        self.from.len()
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push(
        &mut self,
        from: NodeId,
        to: NodeId,
        amount: f64,
        time: u32,
        asset: AssetId,
        tx: u32,
        seq: u16,
    ) {
        self.from.push(from.0);
        self.to.push(to.0);
        self.amount.push(amount);
        self.time.push(time);
        self.asset.push(asset.0);
        self.tx.push(tx);
        self.seq.push(seq);
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.from.truncate(len);
        self.to.truncate(len);
        self.amount.truncate(len);
        self.time.truncate(len);
        self.asset.truncate(len);
        self.tx.truncate(len);
        self.seq.truncate(len);
    }

    #[inline]
    fn edge(&self, index: usize, id: u32) -> Edge {
        Edge {
            id: EdgeId(id),
            from: NodeId(self.from[index]),
            to: NodeId(self.to[index]),
            amount: self.amount[index],
            time: self.time[index],
            asset: AssetId(self.asset[index]),
            tx: self.tx[index],
            seq: self.seq[index],
        }
    }

    fn bytes(&self) -> usize {
        self.len() * (4 + 4 + 8 + 4 + 4 + 4 + 2)
    }
}

/// CSR offsets for one direction: address slots and transaction nodes apart.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Offsets {
    pub(crate) address: Vec<u32>,
    pub(crate) transaction: Vec<u32>,
}

impl Offsets {
    #[inline]
    fn range(&self, node: NodeId) -> std::ops::Range<usize> {
        let table = if node.is_transaction() { &self.transaction } else { &self.address };
        let i = node.index();
        if i + 1 < table.len() { table[i] as usize..table[i + 1] as usize } else { 0..0 }
    }

    fn bytes(&self) -> usize {
        (self.address.len() + self.transaction.len()) * 4
    }
}

/// Where a network's stored history stands in the graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Watermark {
    /// The store's network id.
    pub network: u32,
    /// The last block in the graph.
    pub height: u64,
    /// Its hash (display order).
    pub hash: [u8; 32],
}

/// Edges added after the base arrays were built, one segment per block.
#[derive(Clone, Debug, Default)]
struct Overlay {
    edges: EdgeColumns,
    out: FxHashMap<u32, Vec<u32>>,
    inn: FxHashMap<u32, Vec<u32>>,
    blocks: Vec<OverlayBlock>,
}

#[derive(Clone, Debug)]
struct OverlayBlock {
    network: u32,
    height: u64,
    hash: [u8; 32],
    first_edge: usize,
    tx_nodes_before: usize,
}

/// The transfer graph. See the crate documentation.
#[derive(Clone, Debug)]
pub struct TransferGraph {
    pub(crate) edges: EdgeColumns,
    pub(crate) out_offsets: Offsets,
    pub(crate) in_offsets: Offsets,
    /// Edge ids ordered by (to, time, tx, position).
    pub(crate) in_index: Vec<u32>,
    /// Store transaction id of each transaction node.
    pub(crate) tx_nodes: Vec<u32>,
    pub(crate) assets: AssetTable,
    pub(crate) watermarks: Vec<Watermark>,
    /// Transaction nodes in the base arrays (sorted by store id); the overlay's follow.
    base_tx_nodes: usize,
    /// Where each network stood when the base arrays were built.
    base_watermarks: Vec<Watermark>,
    overlay: Overlay,
}

impl TransferGraph {
    pub(crate) fn from_parts(
        edges: EdgeColumns,
        out_offsets: Offsets,
        in_offsets: Offsets,
        in_index: Vec<u32>,
        tx_nodes: Vec<u32>,
        assets: Vec<Asset>,
        watermarks: Vec<Watermark>,
    ) -> Self {
        Self {
            edges,
            out_offsets,
            in_offsets,
            in_index,
            base_tx_nodes: tx_nodes.len(),
            base_watermarks: watermarks.clone(),
            tx_nodes,
            assets: AssetTable::from_assets(assets),
            watermarks,
            overlay: Overlay::default(),
        }
    }

    /// Edges leaving `node`, in (time, transaction, position) order.
    pub fn out_edges(&self, node: NodeId) -> impl Iterator<Item = Edge> + '_ {
        let base = self.out_offsets.range(node).map(|i| self.edges.edge(i, i as u32));
        let overlay = self.overlay.out.get(&node.0).map(Vec::as_slice).unwrap_or_default();
        base.chain(overlay.iter().map(|&i| self.overlay_edge(i)))
    }

    /// Edges entering `node`, in (time, transaction, position) order.
    pub fn in_edges(&self, node: NodeId) -> impl Iterator<Item = Edge> + '_ {
        let base = self.in_offsets.range(node).map(|i| {
            let e = self.in_index[i];
            self.edges.edge(e as usize, e)
        });
        let overlay = self.overlay.inn.get(&node.0).map(Vec::as_slice).unwrap_or_default();
        base.chain(overlay.iter().map(|&i| self.overlay_edge(i)))
    }

    #[inline]
    fn overlay_edge(&self, overlay_index: u32) -> Edge {
        let id = self.edges.len() as u32 + overlay_index;
        self.overlay.edges.edge(overlay_index as usize, id)
    }

    /// One edge by id.
    pub fn edge(&self, id: EdgeId) -> Option<Edge> {
        let i = id.0 as usize;
        if i < self.edges.len() {
            Some(self.edges.edge(i, id.0))
        } else if i - self.edges.len() < self.overlay.edges.len() {
            Some(self.overlay_edge((i - self.edges.len()) as u32))
        } else {
            None
        }
    }

    /// Number of edges leaving `node`.
    pub fn out_degree(&self, node: NodeId) -> usize {
        self.out_offsets.range(node).len() + self.overlay.out.get(&node.0).map_or(0, Vec::len)
    }

    /// Number of edges entering `node`.
    pub fn in_degree(&self, node: NodeId) -> usize {
        self.in_offsets.range(node).len() + self.overlay.inn.get(&node.0).map_or(0, Vec::len)
    }

    /// Whether `node` has any edge.
    pub fn contains(&self, node: NodeId) -> bool {
        self.out_degree(node) > 0 || self.in_degree(node) > 0
    }

    /// Every edge, base then overlay.
    pub fn edges(&self) -> impl Iterator<Item = Edge> + '_ {
        (0..self.edge_count()).filter_map(|i| self.edge(EdgeId(i as u32)))
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len() + self.overlay.edges.len()
    }

    /// Address slots: one more than the highest address id in the base arrays.
    pub fn address_slots(&self) -> usize {
        self.out_offsets.address.len().saturating_sub(1)
    }

    /// Address nodes with at least one edge.
    pub fn address_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        let base = (0..self.address_slots() as u32).map(NodeId).filter(|&n| self.contains(n));
        let mut extra: Vec<u32> = self
            .overlay
            .out
            .keys()
            .chain(self.overlay.inn.keys())
            .copied()
            .filter(|&n| n & TX_BIT == 0 && n as usize >= self.address_slots())
            .collect();
        extra.sort_unstable();
        extra.dedup();
        base.chain(extra.into_iter().map(NodeId))
    }

    /// Transaction nodes.
    pub fn transaction_count(&self) -> usize {
        self.tx_nodes.len()
    }

    /// The store transaction id of a transaction node.
    pub fn transaction_store_id(&self, node: NodeId) -> Option<u32> {
        if node.is_transaction() { self.tx_nodes.get(node.index()).copied() } else { None }
    }

    /// The transaction node of a store transaction id (UTXO transactions only).
    pub fn transaction_node(&self, store_tx_id: u32) -> Option<NodeId> {
        let base = &self.tx_nodes[..self.base_tx_nodes];
        base.binary_search(&store_tx_id)
            .ok()
            .or_else(|| {
                self.tx_nodes[self.base_tx_nodes..]
                    .iter()
                    .position(|&t| t == store_tx_id)
                    .map(|i| i + self.base_tx_nodes)
            })
            .and_then(|i| NodeId::transaction(i as u32).ok())
    }

    /// The asset table.
    pub fn assets(&self) -> &[Asset] {
        self.assets.as_slice()
    }

    /// Where each network stands.
    pub fn watermarks(&self) -> &[Watermark] {
        &self.watermarks
    }

    /// Bytes held by the graph's arrays (what `bytes/edge` is computed from).
    pub fn memory_bytes(&self) -> usize {
        self.edges.bytes()
            + self.in_index.len() * 4
            + self.out_offsets.bytes()
            + self.in_offsets.bytes()
            + self.tx_nodes.len() * 4
            + std::mem::size_of_val(self.assets.as_slice())
            + self.overlay.edges.bytes()
            + self.overlay.edges.len() * 8
    }

    /// Edges in the overlay, not yet compacted.
    pub fn overlay_edges(&self) -> usize {
        self.overlay.edges.len()
    }

    /// Adds one block's edges on top of the graph. Blocks of a network must come in height
    /// order, each above the network's watermark.
    ///
    /// # Errors
    /// [`GraphError::Order`] for a block at or below the watermark; [`GraphError::TooLarge`].
    pub fn append_block(&mut self, block: &BlockEdges) -> Result<(), GraphError> {
        if let Some(mark) = self.watermarks.iter().find(|m| m.network == block.network)
            && block.height <= mark.height
        {
            return Err(GraphError::Order(format!(
                "block {} of network {} is not above the graph's watermark {}: unwind first",
                block.height, block.network, mark.height
            )));
        }
        let first = self.overlay.edges.len();
        let tx_before = self.tx_nodes.len();
        let base_len = self.edges.len();
        if base_len + first + block.edges.len() > u32::MAX as usize {
            return Err(GraphError::TooLarge {
                what: "edge count",
                value: (base_len + first + block.edges.len()) as u64,
            });
        }
        let mut tx_node_of: FxHashMap<u32, NodeId> = FxHashMap::default();
        let mut position = Position::default();
        for e in &block.edges {
            let resolve = |end: BlockEnd,
                           tx_nodes: &mut Vec<u32>,
                           tx_node_of: &mut FxHashMap<u32, NodeId>|
             -> Result<NodeId, GraphError> {
                match end {
                    BlockEnd::Address(id) => NodeId::address(id),
                    BlockEnd::Transaction(tx) => {
                        if let Some(&n) = tx_node_of.get(&tx) {
                            return Ok(n);
                        }
                        let n = NodeId::transaction(tx_nodes.len() as u32)?;
                        tx_nodes.push(tx);
                        tx_node_of.insert(tx, n);
                        Ok(n)
                    }
                }
            };
            let from = resolve(e.from, &mut self.tx_nodes, &mut tx_node_of)?;
            let to = resolve(e.to, &mut self.tx_nodes, &mut tx_node_of)?;
            let asset = self.assets.id(e.asset);
            let index = self.overlay.edges.len() as u32;
            let seq = position.next(e.tx);
            self.overlay.edges.push(from, to, e.amount, e.time, asset, e.tx, seq);
            self.overlay.out.entry(from.0).or_default().push(index);
            self.overlay.inn.entry(to.0).or_default().push(index);
        }
        self.overlay.blocks.push(OverlayBlock {
            network: block.network,
            height: block.height,
            hash: block.hash,
            first_edge: first,
            tx_nodes_before: tx_before,
        });
        self.set_watermark(Watermark {
            network: block.network,
            height: block.height,
            hash: block.hash,
        });
        Ok(())
    }

    /// Removes the overlay's blocks of `network` at `height` and above (a reorg).
    ///
    /// # Errors
    /// [`GraphError::Order`] when those blocks are in the base arrays (the graph must be
    /// rebuilt), or when another network's blocks were appended after them.
    pub fn unwind(
        &mut self,
        network: u32,
        height: u64,
        new_tip: Option<Watermark>,
    ) -> Result<(), GraphError> {
        let Some(pos) =
            self.overlay.blocks.iter().position(|b| b.network == network && b.height >= height)
        else {
            let in_base =
                self.watermarks.iter().any(|m| m.network == network && m.height >= height);
            if in_base {
                return Err(GraphError::Order(format!(
                    "network {network} unwinds to height {height}, below the graph's base arrays: rebuild the graph"
                )));
            }
            return Ok(());
        };
        if self.overlay.blocks[pos..].iter().any(|b| b.network != network) {
            return Err(GraphError::Order(format!(
                "network {network} unwinds to height {height} under blocks of another network: rebuild the graph"
            )));
        }
        let first_edge = self.overlay.blocks[pos].first_edge;
        let tx_before = self.overlay.blocks[pos].tx_nodes_before;
        self.overlay.blocks.truncate(pos);
        for i in first_edge..self.overlay.edges.len() {
            for (map, node) in [
                (&mut self.overlay.out, self.overlay.edges.from[i]),
                (&mut self.overlay.inn, self.overlay.edges.to[i]),
            ] {
                if let Some(list) = map.get_mut(&node) {
                    list.retain(|&e| (e as usize) < first_edge);
                    if list.is_empty() {
                        map.remove(&node);
                    }
                }
            }
        }
        self.overlay.edges.truncate(first_edge);
        self.tx_nodes.truncate(tx_before);
        self.watermarks.retain(|m| m.network != network);
        if let Some(mark) = new_tip {
            self.watermarks.push(mark);
        }
        Ok(())
    }

    /// The overlay's blocks of a network, (height, hash) in height order.
    pub fn overlay_block_hashes(&self, network: u32) -> Vec<(u64, [u8; 32])> {
        self.overlay
            .blocks
            .iter()
            .filter(|b| b.network == network)
            .map(|b| (b.height, b.hash))
            .collect()
    }

    /// Where a network stood when the base arrays were built.
    pub fn base_watermark(&self, network: u32) -> Option<&Watermark> {
        self.base_watermarks.iter().find(|m| m.network == network)
    }

    /// Number of overlay blocks of a network.
    pub fn overlay_blocks(&self, network: u32) -> usize {
        self.overlay.blocks.iter().filter(|b| b.network == network).count()
    }

    /// Folds the overlay into the base arrays (one pass over all edges).
    ///
    /// # Errors
    /// [`GraphError::TooLarge`].
    pub fn compact(&mut self) -> Result<(), GraphError> {
        if self.overlay.edges.len() == 0 {
            return Ok(());
        }
        let mut builder = GraphBuilder::with_capacity(self.edge_count());
        builder.assets = self.assets.clone();
        builder.tx_nodes = std::mem::take(&mut self.tx_nodes);
        builder.set_watermarks(std::mem::take(&mut self.watermarks));
        for e in self.edges() {
            builder.edges.push(e.from, e.to, e.amount, e.time, e.asset, e.tx, e.seq);
        }
        *self = builder.finish()?;
        Ok(())
    }

    pub(crate) fn set_watermark(&mut self, mark: Watermark) {
        self.watermarks.retain(|m| m.network != mark.network);
        self.watermarks.push(mark);
        self.watermarks.sort_by_key(|m| m.network);
    }
}

/// Numbers the edges of one transaction as they are added, which is position order.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Position {
    tx: Option<u32>,
    next: u16,
}

impl Position {
    pub(crate) fn next(&mut self, tx: u32) -> u16 {
        if self.tx != Some(tx) {
            self.tx = Some(tx);
            self.next = 0;
        }
        let seq = self.next;
        self.next = self.next.saturating_add(1);
        seq
    }
}

/// One end of an edge as the store names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockEnd {
    /// A store address id.
    Address(u64),
    /// A store transaction id (a UTXO transaction).
    Transaction(u32),
}

/// An edge as the store gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlockEdge {
    /// Payer.
    pub from: BlockEnd,
    /// Payee.
    pub to: BlockEnd,
    /// Amount in base units.
    pub amount: f64,
    /// Block time.
    pub time: u32,
    /// Asset.
    pub asset: Asset,
    /// Store transaction id.
    pub tx: u32,
}

/// One block's edges, for [`TransferGraph::append_block`].
#[derive(Clone, Debug, PartialEq)]
pub struct BlockEdges {
    /// The store's network id.
    pub network: u32,
    /// Height.
    pub height: u64,
    /// Hash.
    pub hash: [u8; 32],
    /// Edges in transaction and position order.
    pub edges: Vec<BlockEdge>,
}
