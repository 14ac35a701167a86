//! The driver: runs the enabled heuristics over a whole graph and settles the clusters.

use crate::coinjoin::{CoinJoinKind, is_coinjoin};
use crate::heuristics::{
    AddressReuseChange, ChangeHeuristic, Context, ExchangeDeposit, Heuristic, HeuristicKind,
    HeuristicSet, Links, MultiInput, OneTimeChange, OptimalChange, link_change,
};
use crate::{Partition, UnionFind, UtxoTransaction};
use chainward_graph::{NodeId, NodeLabels, TransferGraph};
use serde::Serialize;

/// How enabled change heuristics combine on one transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangePolicy {
    /// Ask them strongest first (address reuse, one-time, optimal); the first that names a
    /// change output decides.
    #[default]
    FirstMatch,
    /// Every enabled change heuristic that names a change output must name the same one;
    /// on disagreement the transaction gets no change link. Fewer links, fewer false ones.
    Agreement,
}

/// What [`cluster`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ClusterOptions {
    /// The heuristics that run.
    pub heuristics: HeuristicSet,
    /// Skip CoinJoin transactions (see [`crate::coinjoin`]) for every UTXO heuristic. Turning
    /// this off joins strangers wholesale; it exists to measure what the filter saves.
    pub skip_coinjoins: bool,
    /// How change heuristics combine.
    pub change_policy: ChangePolicy,
}

impl Default for ClusterOptions {
    /// Multi-input with CoinJoins skipped and exchange deposit addresses: the heuristics with
    /// few false positives. Change heuristics are opt-in.
    fn default() -> Self {
        Self {
            heuristics: HeuristicSet::of(&[
                HeuristicKind::MultiInput,
                HeuristicKind::ExchangeDeposit,
            ]),
            skip_coinjoins: true,
            change_policy: ChangePolicy::FirstMatch,
        }
    }
}

impl ClusterOptions {
    /// GraphSense's clustering: multi-input only, CoinJoins skipped.
    pub fn graphsense() -> Self {
        Self { heuristics: HeuristicSet::of(&[HeuristicKind::MultiInput]), ..Self::default() }
    }

    /// These options with `kind` enabled.
    #[must_use]
    pub fn with(mut self, kind: HeuristicKind) -> Self {
        self.heuristics = self.heuristics.with(kind);
        self
    }

    /// These options with `kind` disabled.
    #[must_use]
    pub fn without(mut self, kind: HeuristicKind) -> Self {
        self.heuristics = self.heuristics.without(kind);
        self
    }
}

/// What a clustering run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClusterStats {
    /// UTXO transactions with inputs that were looked at.
    pub transactions_examined: u64,
    /// UTXO transactions without inputs (coinbase): nothing to link.
    pub coinbase_transactions: u64,
    /// CoinJoins skipped, indexed by [`CoinJoinKind::ALL`] order.
    pub coinjoins_skipped: [u64; CoinJoinKind::ALL.len()],
    /// Unions that joined two clusters, per heuristic, indexed by [`HeuristicKind::ALL`] order.
    pub merges: [u64; HeuristicKind::ALL.len()],
    /// Addresses in clusters of two or more.
    pub clustered_addresses: u64,
    /// Clusters of two or more addresses.
    pub clusters: u64,
    /// Members of the largest cluster.
    pub largest_cluster: u64,
}

impl ClusterStats {
    /// CoinJoins of `kind` skipped.
    pub fn coinjoins(&self, kind: CoinJoinKind) -> u64 {
        self.coinjoins_skipped[kind.index()]
    }

    /// CoinJoins skipped, all kinds.
    pub fn coinjoins_total(&self) -> u64 {
        self.coinjoins_skipped.iter().sum()
    }

    /// Unions by `kind` that joined two clusters.
    pub fn merges_by(&self, kind: HeuristicKind) -> u64 {
        self.merges[kind.index()]
    }
}

/// The clusters of a graph's addresses. Transaction nodes are not entities and are in no
/// cluster. A cluster is named by its smallest address id (its representative); for names
/// that survive re-clustering see [`crate::EntityRegistry`].
#[derive(Clone, Debug, Default)]
pub struct Clustering {
    partition: Partition,
    /// Clusters of two or more, in CSR form, ascending by representative; members ascending.
    group_offsets: Vec<u32>,
    group_members: Vec<NodeId>,
    /// The representative of each group, ascending.
    group_representatives: Vec<u32>,
    stats: ClusterStats,
}

impl Clustering {
    /// Settles a union-find over address ids into a clustering.
    pub fn from_union_find(union_find: UnionFind, stats: ClusterStats) -> Self {
        let partition = union_find.into_partition();
        let mut group_of = vec![u32::MAX; partition.len()];
        let mut group_offsets = vec![0u32];
        let mut group_representatives = Vec::new();
        for (cluster, size) in partition.clusters() {
            group_of[cluster as usize] = (group_offsets.len() - 1) as u32;
            group_representatives.push(cluster);
            let end = group_offsets.last().copied().unwrap_or(0) + size;
            group_offsets.push(end);
        }
        let mut cursor = group_offsets.clone();
        let mut group_members = vec![NodeId(0); *group_offsets.last().unwrap_or(&0) as usize];
        for (id, &cluster) in partition.cluster_ids().iter().enumerate() {
            let group = group_of[cluster as usize];
            if group != u32::MAX {
                group_members[cursor[group as usize] as usize] = NodeId(id as u32);
                cursor[group as usize] += 1;
            }
        }
        let mut stats = stats;
        stats.clusters = (group_offsets.len() - 1) as u64;
        stats.clustered_addresses = group_members.len() as u64;
        stats.largest_cluster =
            group_offsets.windows(2).map(|w| u64::from(w[1] - w[0])).max().unwrap_or(0);
        Self { partition, group_offsets, group_members, group_representatives, stats }
    }

    /// What the run did.
    pub fn stats(&self) -> &ClusterStats {
        &self.stats
    }

    /// The partition of address ids (`0..address slots`).
    pub fn partition(&self) -> &Partition {
        &self.partition
    }

    /// The representative (smallest member) of `address`'s cluster; the address itself for a
    /// singleton. `None` for a transaction node.
    pub fn representative(&self, address: NodeId) -> Option<NodeId> {
        if address.is_transaction() {
            return None;
        }
        Some(NodeId(self.partition.cluster_of(address.0).unwrap_or(address.0)))
    }

    /// Members of `address`'s cluster (1 for a singleton, 0 for a transaction node).
    pub fn cluster_size(&self, address: NodeId) -> usize {
        if address.is_transaction() {
            0
        } else {
            (self.partition.cluster_size(address.0) as usize).max(1)
        }
    }

    /// Whether two addresses are in one cluster.
    pub fn same_cluster(&self, a: NodeId, b: NodeId) -> bool {
        match (self.representative(a), self.representative(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }

    /// Members of `address`'s cluster, ascending; empty for a singleton or transaction node.
    pub fn members(&self, address: NodeId) -> &[NodeId] {
        let Some(rep) = self.representative(address) else { return &[] };
        match self.group_representatives.binary_search(&rep.0) {
            Ok(group) => self.group(group),
            Err(_) => &[],
        }
    }

    fn group(&self, index: usize) -> &[NodeId] {
        let (start, end) = (self.group_offsets[index], self.group_offsets[index + 1]);
        &self.group_members[start as usize..end as usize]
    }

    /// Clusters of two or more addresses, ascending by representative; members ascending.
    pub fn clusters(&self) -> impl Iterator<Item = &[NodeId]> + '_ {
        (0..self.group_representatives.len()).map(move |g| self.group(g))
    }
}

/// Clusters every address of `graph`: the enabled UTXO heuristics on each transaction that is
/// not a CoinJoin, then the account-chain heuristics on the graph. O(edges) plus a near-linear
/// union-find.
pub fn cluster(graph: &TransferGraph, labels: &NodeLabels, options: &ClusterOptions) -> Clustering {
    let slots =
        graph.address_nodes().last().map_or(0, |n| n.0 as usize + 1).max(graph.address_slots());
    let mut union_find = UnionFind::new(slots);
    let mut stats = ClusterStats::default();
    let ctx = Context { graph, labels };
    let enabled = options.heuristics;

    let change: Vec<&dyn ChangeHeuristic> = [
        (HeuristicKind::AddressReuseChange, &AddressReuseChange as &dyn ChangeHeuristic),
        (HeuristicKind::OneTimeChange, &OneTimeChange),
        (HeuristicKind::OptimalChange, &OptimalChange),
    ]
    .into_iter()
    .filter(|(kind, _)| enabled.contains(*kind))
    .map(|(_, h)| h)
    .collect();
    let multi_input = enabled.contains(HeuristicKind::MultiInput);

    if multi_input || !change.is_empty() {
        let mut tx = UtxoTransaction::default();
        for index in 0..graph.transaction_count() {
            let Ok(node) = NodeId::transaction(index as u32) else { break };
            tx.load(graph, node);
            if tx.inputs.is_empty() {
                stats.coinbase_transactions += 1;
                continue;
            }
            stats.transactions_examined += 1;
            if options.skip_coinjoins
                && let Some(kind) = is_coinjoin(&tx)
            {
                stats.coinjoins_skipped[kind.index()] += 1;
                continue;
            }
            if multi_input {
                let merges = &mut stats.merges[HeuristicKind::MultiInput.index()];
                MultiInput.link_transaction(&ctx, &tx, &mut Links::new(&mut union_find, merges));
            }
            if let Some((kind, output)) = choose_change(&ctx, &tx, &change, options.change_policy) {
                let merges = &mut stats.merges[kind.index()];
                link_change(&tx, output, &mut Links::new(&mut union_find, merges));
            }
        }
    }
    if enabled.contains(HeuristicKind::ExchangeDeposit) {
        let merges = &mut stats.merges[HeuristicKind::ExchangeDeposit.index()];
        ExchangeDeposit.link_graph(&ctx, &mut Links::new(&mut union_find, merges));
    }
    Clustering::from_union_find(union_find, stats)
}

/// The change output of `tx` under `policy`, with the heuristic credited for it.
fn choose_change(
    ctx: &Context<'_>,
    tx: &UtxoTransaction,
    heuristics: &[&dyn ChangeHeuristic],
    policy: ChangePolicy,
) -> Option<(HeuristicKind, usize)> {
    if tx.outputs.len() < 2 {
        return None;
    }
    let mut votes = heuristics.iter().filter_map(|h| Some((h.kind(), h.change_output(ctx, tx)?)));
    match policy {
        ChangePolicy::FirstMatch => votes.next(),
        ChangePolicy::Agreement => {
            let first = votes.next()?;
            votes.all(|(_, output)| output == first.1).then_some(first)
        }
    }
}
