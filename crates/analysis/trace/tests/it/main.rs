//! Integration tests of chainward-trace: the worked examples of the taint reference, bounds,
//! errors, exposure and risk, and property tests of the invariants.

mod bounds;
mod exposure;
mod props;
mod worked;

use chainward_graph::{
    AssetId, EdgeId, GraphBuilder, LabelInfo, NodeId, NodeLabels, TransferGraph,
};
use chainward_primitives::Category;
use chainward_trace::{EndpointReason, TraceResult};

/// An address node.
pub(crate) fn a(n: u64) -> NodeId {
    NodeId::address(n).unwrap()
}

/// A small graph under construction: account transfers and UTXO transactions, each its own
/// store transaction id, in the order added.
pub(crate) struct Net {
    pub(crate) b: GraphBuilder,
    pub(crate) coin: AssetId,
    next_tx: u32,
}

impl Net {
    pub(crate) fn new() -> Self {
        let mut b = GraphBuilder::new();
        let coin = b.asset(1, None);
        Self { b, coin, next_tx: 1 }
    }

    /// An account transfer; returns its store tx id.
    pub(crate) fn pay(&mut self, from: u64, to: u64, amount: f64, time: u32) -> u32 {
        let tx = self.next_tx;
        self.next_tx += 1;
        self.b.add_edge(a(from), a(to), amount, time, self.coin, tx).unwrap();
        tx
    }

    /// An account transfer inside a given store tx.
    pub(crate) fn pay_in(&mut self, tx: u32, from: u64, to: u64, amount: f64, time: u32) {
        self.b.add_edge(a(from), a(to), amount, time, self.coin, tx).unwrap();
    }

    /// A UTXO transaction; returns its node.
    pub(crate) fn utxo(&mut self, ins: &[(u64, f64)], outs: &[(u64, f64)], time: u32) -> NodeId {
        let tx = self.next_tx;
        self.next_tx += 1;
        let node = self.b.transaction_node(tx).unwrap();
        for &(from, amount) in ins {
            self.b.add_edge(a(from), node, amount, time, self.coin, tx).unwrap();
        }
        for &(to, amount) in outs {
            self.b.add_edge(node, a(to), amount, time, self.coin, tx).unwrap();
        }
        node
    }

    pub(crate) fn finish(self) -> TransferGraph {
        self.b.finish().unwrap()
    }
}

/// The edge from → to at `time`. Transaction nodes are renumbered by `finish`, so UTXO
/// tests look edges up by their address end.
pub(crate) fn edge(g: &TransferGraph, from: NodeId, to: NodeId, time: u32) -> EdgeId {
    g.out_edges(from).find(|e| e.to == to && e.time == time).expect("edge in the test graph").id
}

/// The edge whose payer is `from` at `time` (an input into a UTXO transaction).
pub(crate) fn edge_from(g: &TransferGraph, from: NodeId, time: u32) -> EdgeId {
    g.out_edges(from).find(|e| e.time == time).expect("edge in the test graph").id
}

/// The edge whose payee is `to` at `time` (an output of a UTXO transaction).
pub(crate) fn edge_to(g: &TransferGraph, to: NodeId, time: u32) -> EdgeId {
    g.in_edges(to).find(|e| e.time == time).expect("edge in the test graph").id
}

/// Funds held at a node, over its endpoints.
pub(crate) fn held(r: &TraceResult, node: NodeId) -> f64 {
    r.endpoints.iter().filter(|e| e.node == node).map(|e| e.amount).sum()
}

/// The reasons funds stopped at a node.
pub(crate) fn reasons(r: &TraceResult, node: NodeId) -> Vec<EndpointReason> {
    r.endpoints.iter().filter(|e| e.node == node).flat_map(|e| e.reasons.clone()).collect()
}

/// Dirty amount carried by an edge.
pub(crate) fn dirty(r: &TraceResult, id: EdgeId) -> f64 {
    r.graph.edges.iter().filter(|e| e.edge == id).map(|e| e.dirty).sum()
}

pub(crate) fn label(labels: &mut NodeLabels, node: u64, category: Category, entity: &str) {
    labels.add(
        a(node),
        LabelInfo { category, entity: Some(entity.into()), confidence: 100, source: "test".into() },
    );
}

pub(crate) fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

#[track_caller]
pub(crate) fn assert_close(actual: f64, expected: f64) {
    assert!(close(actual, expected), "expected {expected}, got {actual}");
}

/// Haircut and FIFO conserve: what the seeds put in ends at endpoints or below the minimum.
#[track_caller]
pub(crate) fn assert_conserved(r: &TraceResult) {
    for f in &r.assets {
        let ends: f64 = r.endpoints.iter().filter(|e| e.asset == f.asset).map(|e| e.amount).sum();
        assert!(close(ends, f.reached()), "endpoints {ends} vs reached {}", f.reached());
        assert!(
            (f.seed - f.reached() - f.dropped_below_min).abs() <= 1e-9 * f.seed.max(1.0),
            "seed {} != reached {} + dropped {}: {f:?}",
            f.seed,
            f.reached(),
            f.dropped_below_min
        );
    }
}
