//! A UTXO transaction as the heuristics see it: its inputs and outputs in position order.

use chainward_graph::{NodeId, TransferGraph};

/// One input or output: the address and the value in base units (satoshis).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TxPort {
    /// The address spending (input) or paid (output).
    pub address: NodeId,
    /// The value in base units.
    pub value: u64,
}

/// A UTXO transaction's inputs and outputs, in position order.
///
/// [`UtxoTransaction::load`] refills one value in place, so scanning every transaction of a
/// chain allocates only when a transaction is wider than any before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UtxoTransaction {
    /// The transaction's node in the graph.
    pub node: NodeId,
    /// Inputs, in input order.
    pub inputs: Vec<TxPort>,
    /// Outputs, in output order.
    pub outputs: Vec<TxPort>,
}

impl Default for UtxoTransaction {
    fn default() -> Self {
        Self { node: NodeId(1 << 31), inputs: Vec::new(), outputs: Vec::new() }
    }
}

/// Graph amounts are `f64` base units, exact for every Bitcoin amount; anything that is not a
/// non-negative integer (never seen on a UTXO chain) is rounded and clamped at zero.
fn base_units(amount: f64) -> u64 {
    if amount > 0.0 { amount.round() as u64 } else { 0 }
}

impl UtxoTransaction {
    /// A transaction from explicit inputs and outputs given as (address, value).
    pub fn new(
        node: NodeId,
        inputs: impl IntoIterator<Item = (NodeId, u64)>,
        outputs: impl IntoIterator<Item = (NodeId, u64)>,
    ) -> Self {
        let port = |(address, value)| TxPort { address, value };
        Self {
            node,
            inputs: inputs.into_iter().map(port).collect(),
            outputs: outputs.into_iter().map(port).collect(),
        }
    }

    /// The transaction of a graph node, or `None` for an address node.
    pub fn from_graph(graph: &TransferGraph, node: NodeId) -> Option<Self> {
        let mut tx = Self::default();
        tx.load(graph, node).then_some(tx)
    }

    /// Replaces `self` with the transaction of `node`, reusing its buffers. Returns `false`
    /// (leaving `self` empty) for an address node.
    pub fn load(&mut self, graph: &TransferGraph, node: NodeId) -> bool {
        self.node = node;
        self.inputs.clear();
        self.outputs.clear();
        if !node.is_transaction() {
            return false;
        }
        // Inputs are address → transaction edges and outputs transaction → address edges; the
        // graph keeps a node's edges of one transaction in the order they were added, which is
        // position order.
        self.inputs.extend(
            graph
                .in_edges(node)
                .filter(|e| !e.from.is_transaction())
                .map(|e| TxPort { address: e.from, value: base_units(e.amount) }),
        );
        self.outputs.extend(
            graph
                .out_edges(node)
                .filter(|e| !e.to.is_transaction())
                .map(|e| TxPort { address: e.to, value: base_units(e.amount) }),
        );
        true
    }

    /// Whether `address` is one of the inputs.
    pub fn spends_from(&self, address: NodeId) -> bool {
        self.inputs.iter().any(|i| i.address == address)
    }

    /// Number of distinct input addresses.
    pub fn distinct_input_addresses(&self) -> usize {
        distinct(self.inputs.iter().map(|p| p.address.0))
    }

    /// The most frequent output value and how often it occurs; ties go to the smallest value
    /// (GraphSense's port of BlockSci's rule). `None` without outputs.
    pub fn most_common_output_value(&self) -> Option<(u64, usize)> {
        let mut values: Vec<u64> = self.outputs.iter().map(|o| o.value).collect();
        values.sort_unstable();
        let mut best: Option<(u64, usize)> = None;
        for run in values.chunk_by(|a, b| a == b) {
            // Ascending runs with a strict `>`: the first (smallest) value wins a tie.
            if best.is_none_or(|(_, count)| run.len() > count) {
                best = Some((run[0], run.len()));
            }
        }
        best
    }
}

/// Number of distinct values.
pub(crate) fn distinct(values: impl Iterator<Item = u32>) -> usize {
    let mut values: Vec<u32> = values.collect();
    values.sort_unstable();
    values.dedup();
    values.len()
}
