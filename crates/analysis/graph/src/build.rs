//! Building the CSR arrays from edges given in any order.

use crate::{
    Asset, AssetId, AssetTable, BlockEdges, BlockEnd, EdgeColumns, GraphError, NodeId, Offsets,
    Position, TX_BIT, TransferGraph, Watermark,
};
use rustc_hash::FxHashMap;

/// Collects edges, then sorts them into a [`TransferGraph`] with [`GraphBuilder::finish`].
///
/// A transaction's edges must be added together and in position order (UTXO: inputs, then
/// outputs): the order they are added in is their [`Edge::seq`](crate::Edge::seq), which orders
/// a node's edges inside one transaction.
#[derive(Debug, Default)]
pub struct GraphBuilder {
    pub(crate) edges: EdgeColumns,
    pub(crate) assets: AssetTable,
    pub(crate) tx_nodes: Vec<u32>,
    tx_node_of: FxHashMap<u32, u32>,
    watermarks: Vec<Watermark>,
    position: Position,
}

impl GraphBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder with room for `edges` edges.
    pub fn with_capacity(edges: usize) -> Self {
        let mut builder = Self::default();
        builder.edges.from.reserve(edges);
        builder.edges.to.reserve(edges);
        builder.edges.amount.reserve(edges);
        builder.edges.time.reserve(edges);
        builder.edges.asset.reserve(edges);
        builder.edges.tx.reserve(edges);
        builder.edges.seq.reserve(edges);
        builder
    }

    /// The id of an asset, added to the table on first use.
    pub fn asset(&mut self, network: u32, token: Option<u64>) -> AssetId {
        self.assets.id(Asset { network, token })
    }

    /// The node of a UTXO transaction, by its store id.
    ///
    /// # Errors
    /// [`GraphError::TooLarge`] beyond 2³¹ transaction nodes.
    pub fn transaction_node(&mut self, store_tx_id: u32) -> Result<NodeId, GraphError> {
        if let Some(&k) = self.tx_node_of.get(&store_tx_id) {
            return NodeId::transaction(k);
        }
        let k = self.tx_nodes.len() as u32;
        let node = NodeId::transaction(k)?;
        self.tx_nodes.push(store_tx_id);
        self.tx_node_of.insert(store_tx_id, k);
        Ok(node)
    }

    /// Adds one edge.
    ///
    /// # Errors
    /// [`GraphError::TooLarge`] beyond 2³² − 1 edges.
    pub fn add_edge(
        &mut self,
        from: NodeId,
        to: NodeId,
        amount: f64,
        time: u32,
        asset: AssetId,
        tx: u32,
    ) -> Result<(), GraphError> {
        if self.edges.len() >= u32::MAX as usize - 1 {
            return Err(GraphError::TooLarge {
                what: "edge count",
                value: self.edges.len() as u64,
            });
        }
        let seq = self.position.next(tx);
        self.edges.push(from, to, amount, time, asset, tx, seq);
        Ok(())
    }

    /// Adds a block's edges and moves its network's watermark to it.
    ///
    /// # Errors
    /// [`GraphError::TooLarge`].
    pub fn add_block(&mut self, block: &BlockEdges) -> Result<(), GraphError> {
        for e in &block.edges {
            let from = self.end(e.from)?;
            let to = self.end(e.to)?;
            let asset = self.asset(e.asset.network, e.asset.token);
            self.add_edge(from, to, e.amount, e.time, asset, e.tx)?;
        }
        self.set_watermarks_for(Watermark {
            network: block.network,
            height: block.height,
            hash: block.hash,
        });
        Ok(())
    }

    fn end(&mut self, end: BlockEnd) -> Result<NodeId, GraphError> {
        match end {
            BlockEnd::Address(id) => NodeId::address(id),
            BlockEnd::Transaction(tx) => self.transaction_node(tx),
        }
    }

    fn set_watermarks_for(&mut self, mark: Watermark) {
        self.watermarks.retain(|m| m.network != mark.network);
        self.watermarks.push(mark);
    }

    /// Sets every network's watermark.
    pub fn set_watermarks(&mut self, marks: Vec<Watermark>) {
        self.watermarks = marks;
    }

    /// Edges added so far.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Sorts the edges into CSR arrays: O(edges) counting sorts plus a sort of each node's
    /// own edges by (time, transaction, order added).
    ///
    /// # Errors
    /// [`GraphError::TooLarge`].
    pub fn finish(mut self) -> Result<TransferGraph, GraphError> {
        let edges = std::mem::take(&mut self.edges);
        let n = edges.len();
        // Transaction nodes renumbered by store id, so lookups are a binary search.
        let mut order: Vec<u32> = (0..self.tx_nodes.len() as u32).collect();
        order.sort_unstable_by_key(|&k| self.tx_nodes[k as usize]);
        let mut renumber = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old as usize] = new as u32;
        }
        let tx_nodes: Vec<u32> = order.iter().map(|&k| self.tx_nodes[k as usize]).collect();
        let map_node = |raw: u32| -> u32 {
            if raw & TX_BIT != 0 { renumber[(raw & !TX_BIT) as usize] | TX_BIT } else { raw }
        };
        let from: Vec<u32> = edges.from.iter().map(|&r| map_node(r)).collect();
        let to: Vec<u32> = edges.to.iter().map(|&r| map_node(r)).collect();

        let address_slots = from
            .iter()
            .chain(&to)
            .filter(|&&r| r & TX_BIT == 0)
            .max()
            .map_or(0, |&m| m as usize + 1);
        let tx_count = tx_nodes.len();
        let slot = |raw: u32| -> usize {
            if raw & TX_BIT != 0 { address_slots + (raw & !TX_BIT) as usize } else { raw as usize }
        };
        let slots = address_slots + tx_count;

        // Out direction: counting sort by source, then by (time, tx, order added).
        let out_perm = sort_by_node(
            n,
            slots,
            |i| slot(from[i]),
            |i| (edges.time[i], edges.tx[i], u32::from(edges.seq[i]), i as u32),
        );
        let out_offsets = offsets(&out_perm.1, address_slots);
        let out_perm = out_perm.0;
        let gather_u32 = |column: &[u32]| out_perm.iter().map(|&i| column[i as usize]).collect();
        let sorted = EdgeColumns {
            from: gather_u32(&from),
            to: gather_u32(&to),
            amount: out_perm.iter().map(|&i| edges.amount[i as usize]).collect(),
            time: gather_u32(&edges.time),
            asset: gather_u32(&edges.asset),
            tx: gather_u32(&edges.tx),
            seq: out_perm.iter().map(|&i| edges.seq[i as usize]).collect(),
        };
        drop(edges);
        drop(from);
        drop(to);

        // In direction: edge ids sorted by target, then (time, tx, order added).
        let (in_index, in_counts) = sort_by_node(
            n,
            slots,
            |e| slot(sorted.to[e]),
            |e| (sorted.time[e], sorted.tx[e], u32::from(sorted.seq[e]), out_perm[e]),
        );
        let in_offsets = offsets(&in_counts, address_slots);
        drop(out_perm);

        let mut watermarks = self.watermarks;
        watermarks.sort_by_key(|m| m.network);
        let graph = TransferGraph::from_parts(
            sorted,
            out_offsets,
            in_offsets,
            in_index,
            tx_nodes,
            self.assets.as_slice().to_vec(),
            watermarks,
        );
        Ok(graph)
    }
}

/// A stable counting sort of `0..n` by `node_of`, each node's run then sorted by `key`.
/// Returns the permutation and the per-slot counts.
fn sort_by_node(
    n: usize,
    slots: usize,
    node_of: impl Fn(usize) -> usize,
    key: impl Fn(usize) -> (u32, u32, u32, u32),
) -> (Vec<u32>, Vec<u32>) {
    let mut counts = vec![0u32; slots];
    for i in 0..n {
        counts[node_of(i)] += 1;
    }
    let mut start = Vec::with_capacity(slots);
    let mut acc = 0usize;
    for &c in &counts {
        start.push(acc);
        acc += c as usize;
    }
    let mut perm = vec![0u32; n];
    let mut cursor = start.clone();
    for i in 0..n {
        let s = node_of(i);
        perm[cursor[s]] = i as u32;
        cursor[s] += 1;
    }
    for (s, &begin) in start.iter().enumerate() {
        let run = &mut perm[begin..begin + counts[s] as usize];
        if run.len() > 1 {
            run.sort_unstable_by_key(|&i| key(i as usize));
        }
    }
    (perm, counts)
}

fn offsets(counts: &[u32], address_slots: usize) -> Offsets {
    let prefix = |range: &[u32], base: u32| -> Vec<u32> {
        let mut out = Vec::with_capacity(range.len() + 1);
        let mut acc = base;
        out.push(acc);
        for &c in range {
            acc += c;
            out.push(acc);
        }
        out
    };
    let address = prefix(&counts[..address_slots], 0);
    let base = *address.last().unwrap_or(&0);
    let transaction = prefix(&counts[address_slots..], base);
    Offsets { address, transaction }
}
