//! What a trace returns, and its renderings: a summary table, JSON and Graphviz DOT.

use crate::engine::{self, Params, why};
use crate::request::{Direction, TaintModel, TraceError, TraceRequest};
use crate::sweep::Window;
use chainward_graph::{AssetId, CategorySet, EdgeId, LabelInfo, NodeId, NodeLabels, TransferGraph};
use chainward_primitives::Category;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::fmt::Write as _;

/// Which bound stopped part of a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Bound {
    /// [`TraceLimits::max_nodes`](crate::TraceLimits::max_nodes).
    MaxNodes,
    /// [`TraceLimits::max_edges`](crate::TraceLimits::max_edges).
    MaxEdges,
    /// [`TraceLimits::max_work`](crate::TraceLimits::max_work).
    MaxWork,
    /// [`TraceRequest::max_hops`](crate::TraceRequest::max_hops).
    MaxHops,
}

/// A bound that cut the search, with what it left unexplored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cut {
    /// The bound.
    pub bound: Bound,
    /// Its value.
    pub limit: u64,
    /// Nodes where dirt stopped because of it.
    pub nodes: u64,
    /// The largest share, over the seeds' assets, of the seed funds it stopped.
    pub share: f64,
    /// What happened and what to change, for people.
    pub message: String,
}

impl Cut {
    pub(crate) fn new(bound: Bound, limit: u64, nodes: u64, share: f64) -> Self {
        let held = format!("{nodes} node(s) holding {} of the seed funds", percent(share));
        let message = match bound {
            Bound::MaxNodes => format!(
                "the node limit ({limit}) was reached: {held} could not pass their funds on; \
                 raise limits.max_nodes or narrow the trace (fewer hops, a time window, a \
                 higher minimum amount)"
            ),
            Bound::MaxEdges => format!(
                "the result limit ({limit} edges) was reached: {held} could not pass their \
                 funds on; raise limits.max_edges or narrow the trace (fewer hops, a time \
                 window, a higher minimum amount)"
            ),
            Bound::MaxWork => format!(
                "the work limit ({limit} edge visits) was reached: {held} were not expanded; \
                 raise limits.max_work or narrow the trace (fewer hops, a time window, a \
                 higher minimum amount)"
            ),
            Bound::MaxHops => format!(
                "funds were still moving after {limit} hops: {held} at the hop bound; raise \
                 max_hops to follow them"
            ),
        };
        Self { bound, limit, nodes, share, message }
    }
}

/// Why dirt stopped at an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndpointReason {
    /// The node is in the stop set (a service: exchange, mixer, bridge, …).
    Service,
    /// Forward: the funds were still at the node at the end of the window (or the graph).
    Unspent,
    /// Backward: the funds' source is not in the graph or the window (mined or minted,
    /// history before the graph or the window, fees paid to the node).
    Origin,
    /// Forward: the funds went to fees in this UTXO transaction.
    Fee,
    /// The funds had crossed [`TraceRequest::max_hops`] transactions.
    HopLimit,
    /// A limit stopped the search here (see [`TraceStats::cut_by`]).
    Truncated,
    /// The funds came back to a seed, which is dirty in full already.
    Returned,
}

impl EndpointReason {
    const ALL: [(Self, u8); 7] = [
        (Self::Service, why::SERVICE),
        (Self::Unspent, why::UNSPENT),
        (Self::Origin, why::ORIGIN),
        (Self::Fee, why::FEE),
        (Self::HopLimit, why::HOP_LIMIT),
        (Self::Truncated, why::TRUNCATED),
        (Self::Returned, why::RETURNED),
    ];

    fn from_bits(bits: u8) -> Vec<Self> {
        Self::ALL.iter().filter(|(_, b)| bits & b != 0).map(|(r, _)| *r).collect()
    }

    /// The name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Unspent => "unspent",
            Self::Origin => "origin",
            Self::Fee => "fee",
            Self::HopLimit => "hop_limit",
            Self::Truncated => "truncated",
            Self::Returned => "returned",
        }
    }
}

/// Where one asset's seed funds ended, in base units. For haircut and FIFO
/// `seed == reached() + dropped_below_min` up to rounding; poison over-counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssetFlow {
    /// The asset.
    pub asset: AssetId,
    /// Dirty funds the seeds put in.
    pub seed: f64,
    /// Reached a node in the stop set.
    pub services: f64,
    /// Left at nodes (forward).
    pub unspent: f64,
    /// Source outside the graph or window (backward).
    pub origin: f64,
    /// Went to UTXO fees (forward).
    pub fees: f64,
    /// Stopped at the hop bound.
    pub hop_limit: f64,
    /// Stopped by a limit.
    pub truncated: f64,
    /// Came back to a seed.
    pub returned: f64,
    /// Dropped below the minimum amount.
    pub dropped_below_min: f64,
    /// Transfers not followed because they carried less than the minimum amount.
    pub dropped_flows: u64,
}

impl AssetFlow {
    pub(crate) fn new(asset: AssetId) -> Self {
        Self {
            asset,
            seed: 0.0,
            services: 0.0,
            unspent: 0.0,
            origin: 0.0,
            fees: 0.0,
            hop_limit: 0.0,
            truncated: 0.0,
            returned: 0.0,
            dropped_below_min: 0.0,
            dropped_flows: 0,
        }
    }

    /// Everything held at endpoints.
    pub fn reached(&self) -> f64 {
        self.services
            + self.unspent
            + self.origin
            + self.fees
            + self.hop_limit
            + self.truncated
            + self.returned
    }
}

/// A node where traced funds stopped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Endpoint {
    /// The node.
    pub node: NodeId,
    /// The asset.
    pub asset: AssetId,
    /// Why the funds stopped here (several when they stopped for several reasons).
    pub reasons: Vec<EndpointReason>,
    /// The node's categories.
    pub categories: CategorySet,
    /// The label that speaks for the node (riskiest category, then highest confidence).
    pub label: Option<LabelInfo>,
    /// Funds held here, in base units.
    pub amount: f64,
    /// `amount` over the seed funds of the asset.
    pub share: f64,
    /// Fewest transactions crossed to get here.
    pub hops: u32,
    /// Time of the first transfer that brought funds here.
    pub first_time: u32,
    /// Time of the last one.
    pub last_time: u32,
}

/// A node of the trace graph.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceNode {
    /// The node.
    pub node: NodeId,
    /// The asset.
    pub asset: AssetId,
    /// Fewest transactions crossed to get here (0 for a seed address).
    pub hop: u32,
    /// Its categories.
    pub categories: CategorySet,
    /// Whether it is a seed node.
    pub seed: bool,
    /// Funds held here (it is an endpoint when positive).
    pub held: f64,
}

/// An edge of the trace graph: a transfer that carried traced funds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEdge {
    /// The edge.
    pub edge: EdgeId,
    /// Payer.
    pub from: NodeId,
    /// Payee.
    pub to: NodeId,
    /// Asset.
    pub asset: AssetId,
    /// Block time.
    pub time: u32,
    /// The transfer's whole amount.
    pub amount: f64,
    /// The traced funds it carried.
    pub dirty: f64,
    /// `dirty` over the seed funds of the asset.
    pub share: f64,
    /// Which transaction from the seed it is (1 for the first).
    pub hop: u32,
}

/// The subgraph that carried traced funds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TraceGraph {
    /// Nodes reached, seeds first.
    pub nodes: Vec<TraceNode>,
    /// Edges that carried funds, in the order they were first reached.
    pub edges: Vec<TraceEdge>,
}

/// Counters and cuts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TraceStats {
    /// (node, asset) pairs reached.
    pub visited_nodes: u64,
    /// Edge visits of all node sweeps (what `max_work` bounds).
    pub visited_edges: u64,
    /// Hop layers processed.
    pub hops_reached: u32,
    /// Bounds that cut the search; empty when it ran to its natural end.
    pub cut_by: Vec<Cut>,
}

/// The outcome of [`trace`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceResult {
    /// The direction traced.
    pub direction: Direction,
    /// The taint model.
    pub model: TaintModel,
    /// Per asset: what the seeds put in and where it ended.
    pub assets: Vec<AssetFlow>,
    /// Where the funds stopped, largest share first.
    pub endpoints: Vec<Endpoint>,
    /// The subgraph that carried them.
    pub graph: TraceGraph,
    /// Counters and cuts.
    pub stats: TraceStats,
}

/// Traces funds from the request's seeds over `graph`.
///
/// # Errors
/// [`TraceError`] for a request out of bounds, seeds not in the graph, or seeds with nothing
/// to trace in the window.
pub fn trace(
    graph: &TransferGraph,
    labels: &NodeLabels,
    request: &TraceRequest,
) -> Result<TraceResult, TraceError> {
    request.validate()?;
    let params = Params {
        direction: request.direction,
        model: request.model,
        asset: request.asset,
        max_hops: request.max_hops,
        window: Window { since: request.since, until: request.until },
        min_amount: request.min_amount,
        stop_at: request.stop_at,
        limits: request.limits,
    };
    let run = engine::run(graph, labels, &request.seeds, params, false)?;
    let seed_of = |slot: u32| run.flows[slot as usize].seed;
    let share = |amount: f64, slot: u32| {
        let s = seed_of(slot);
        if s > 0.0 { amount / s } else { 0.0 }
    };
    let mut endpoints: Vec<Endpoint> = run
        .states
        .iter()
        .filter(|st| st.held > 0.0)
        .map(|st| Endpoint {
            node: st.node,
            asset: st.asset,
            reasons: EndpointReason::from_bits(st.reasons),
            categories: labels.categories(st.node),
            label: labels.primary(st.node).cloned(),
            amount: st.held,
            share: share(st.held, st.slot),
            hops: st.hop,
            first_time: if st.first_time == u32::MAX { 0 } else { st.first_time },
            last_time: st.last_time,
        })
        .collect();
    endpoints.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then(b.amount.total_cmp(&a.amount))
            .then(a.node.cmp(&b.node))
            .then(a.asset.cmp(&b.asset))
    });
    let nodes = run
        .states
        .iter()
        .map(|st| TraceNode {
            node: st.node,
            asset: st.asset,
            hop: st.hop,
            categories: labels.categories(st.node),
            seed: st.role == engine::Role::Seed,
            held: st.held,
        })
        .collect();
    let slot_of_asset =
        |asset: AssetId| run.flows.iter().position(|f| f.asset == asset).map_or(0, |i| i as u32);
    let edges = run
        .taint
        .iter()
        .map(|t| TraceEdge {
            edge: t.edge.id,
            from: t.edge.from,
            to: t.edge.to,
            asset: t.edge.asset,
            time: t.edge.time,
            amount: t.edge.amount,
            dirty: t.amount,
            share: share(t.amount, slot_of_asset(t.edge.asset)),
            hop: t.hop,
        })
        .collect();
    Ok(TraceResult {
        direction: request.direction,
        model: request.model,
        endpoints,
        graph: TraceGraph { nodes, edges },
        stats: TraceStats {
            visited_nodes: run.states.len() as u64,
            visited_edges: run.work,
            hops_reached: run.layers,
            cut_by: run.cuts,
        },
        assets: run.flows,
    })
}

/// How the caller names nodes, amounts and times: the library knows store ids only, the
/// caller knows address strings, transaction hashes, decimals and time zones. Every method
/// has a plain default, so `impl Naming for MyNamer { fn node(..) }` is enough.
pub trait Naming {
    /// A node's display name (an address string, a transaction hash).
    fn node(&self, node: NodeId) -> String {
        node.to_string()
    }

    /// An amount of an asset, in base units, for display.
    fn amount(&self, asset: AssetId, amount: f64) -> String {
        let _ = asset;
        format_amount(amount)
    }

    /// A Unix time for display.
    fn time(&self, time: u32) -> String {
        time.to_string()
    }

    /// An asset's name for display (`ETH`, a token's contract).
    fn asset(&self, asset: AssetId) -> String {
        format!("asset {}", asset.0)
    }
}

/// Names nodes by id (`address#42`, `tx#7`) and amounts in base units.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdNaming;

impl Naming for IdNaming {}

fn format_amount(amount: f64) -> String {
    if amount == amount.trunc() && amount.abs() < 1e15 {
        format!("{amount:.0}")
    } else if amount.abs() >= 1.0 {
        format!("{amount:.4}")
    } else {
        format!("{amount:.6e}")
    }
}

pub(crate) fn percent(share: f64) -> String {
    if share <= 0.0 {
        "0%".into()
    } else if share < 0.0001 {
        "<0.01%".into()
    } else {
        format!("{:.2}%", share * 100.0)
    }
}

/// A category's display colour in DOT graphs.
fn colour(category: Option<Category>) -> &'static str {
    match category {
        Some(Category::Sanctioned | Category::TerroristFinancing) => "#e53935",
        Some(Category::StolenFunds | Category::Ransomware) => "#ff7043",
        Some(Category::Mixer) => "#8e24aa",
        Some(Category::Scam | Category::Darknet) => "#fb8c00",
        Some(Category::Exchange) => "#1e88e5",
        Some(Category::Bridge) => "#00897b",
        Some(Category::Gambling) => "#fdd835",
        Some(Category::Defi) => "#43a047",
        Some(Category::Miner | Category::Service | Category::Other) => "#90a4ae",
        Some(_) => "#bdbdbd",
        None => "#ffffff",
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl TraceResult {
    /// Whether no limit cut the search (the hop bound is the request's own choice and does not
    /// count).
    pub fn is_complete(&self) -> bool {
        self.stats.cut_by.iter().all(|c| c.bound == Bound::MaxHops)
    }

    fn seed_amount(&self, asset: AssetId) -> f64 {
        self.assets.iter().find(|f| f.asset == asset).map_or(0.0, |f| f.seed)
    }

    /// The result as JSON (node, edge and asset ids as numbers; categories by name).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("trace results are plain structs with string keys, so they serialise")
    }

    /// The trace graph in Graphviz DOT: the `max_edges` edges that carried the most (a graph
    /// of thousands of edges cannot be read), their nodes, seeds in bold, endpoints filled
    /// with their category's colour and labelled with what they hold.
    pub fn to_dot(&self, naming: &dyn Naming, max_edges: usize) -> String {
        let mut order: Vec<usize> = (0..self.graph.edges.len()).collect();
        order.sort_by(|&a, &b| self.graph.edges[b].dirty.total_cmp(&self.graph.edges[a].dirty));
        order.truncate(max_edges);
        order.sort_unstable();
        let mut shown: FxHashSet<u32> = FxHashSet::default();
        for &i in &order {
            shown.insert(self.graph.edges[i].from.0);
            shown.insert(self.graph.edges[i].to.0);
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "digraph trace {{\n  // {} {} trace; {} of {} edges shown",
            self.direction_str(),
            self.model,
            order.len(),
            self.graph.edges.len()
        );
        out.push_str("  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
        // Per node: what it holds (summed over assets, shown against the first asset's seed)
        // and its endpoints, largest first.
        let mut held: FxHashMap<u32, (f64, AssetId)> = FxHashMap::default();
        for n in &self.graph.nodes {
            if shown.contains(&n.node.0) {
                held.entry(n.node.0).or_insert((0.0, n.asset)).0 += n.held;
            }
        }
        let mut ends: FxHashMap<u32, Vec<&Endpoint>> = FxHashMap::default();
        for e in &self.endpoints {
            if shown.contains(&e.node.0) {
                ends.entry(e.node.0).or_default().push(e);
            }
        }
        let mut seen: FxHashSet<u32> = FxHashSet::default();
        for n in &self.graph.nodes {
            if !shown.contains(&n.node.0) || !seen.insert(n.node.0) {
                continue;
            }
            let (held, asset) = held.get(&n.node.0).copied().unwrap_or((0.0, n.asset));
            let ends = ends.get(&n.node.0).map(Vec::as_slice).unwrap_or_default();
            let mut label = naming.node(n.node);
            let primary =
                ends.first().and_then(|e| e.label.as_ref()).map(|l| (l.category, l.entity.clone()));
            if let Some((category, entity)) = &primary {
                let _ = write!(label, "\n{}", entity.as_deref().unwrap_or(category.as_str()));
            }
            if held > 0.0 {
                let seed = self.seed_amount(asset);
                let mut reasons: Vec<&str> =
                    ends.iter().flat_map(|e| e.reasons.iter().map(|r| r.as_str())).collect();
                reasons.sort_unstable();
                reasons.dedup();
                let _ = write!(
                    label,
                    "\n{} ({}) {}",
                    naming.amount(asset, held),
                    percent(if seed > 0.0 { held / seed } else { 0.0 }),
                    reasons.join(",")
                );
            }
            let fill = match primary {
                Some((c, _)) => colour(Some(c)),
                None if held > 0.0 => "#eeeeee",
                None => colour(None),
            };
            let style = if n.seed { ", penwidth=3" } else { "" };
            let shape = if n.node.is_transaction() { ", shape=ellipse" } else { "" };
            let _ = writeln!(
                out,
                "  n{} [label=\"{}\", fillcolor=\"{fill}\"{style}{shape}];",
                n.node.0,
                dot_escape(&label)
            );
        }
        for &i in &order {
            let e = &self.graph.edges[i];
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{} ({})\\nhop {}\"];",
                e.from.0,
                e.to.0,
                dot_escape(&naming.amount(e.asset, e.dirty)),
                percent(e.share),
                e.hop
            );
        }
        out.push_str("}\n");
        out
    }

    fn direction_str(&self) -> &'static str {
        match self.direction {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        }
    }

    /// The endpoints as a text table (entity, category, reason, amount, share, hops,
    /// first/last time), the first `max_rows` rows, then the per-asset totals and any cut.
    pub fn summary_table(&self, naming: &dyn Naming, max_rows: usize) -> String {
        let header = ["ENTITY", "CATEGORY", "REASON", "AMOUNT", "SHARE", "HOPS", "FIRST", "LAST"];
        let mut rows: Vec<[String; 8]> = Vec::new();
        for e in self.endpoints.iter().take(max_rows) {
            let entity = e.label.as_ref().and_then(|l| l.entity.clone()).map_or_else(
                || naming.node(e.node),
                |name| format!("{name} ({})", naming.node(e.node)),
            );
            let category = match &e.label {
                Some(l) => l.category.as_str().to_string(),
                None if e.node.is_transaction() => "transaction".into(),
                None => "-".into(),
            };
            let reasons: Vec<&str> = e.reasons.iter().map(|r| r.as_str()).collect();
            rows.push([
                entity,
                category,
                reasons.join(","),
                naming.amount(e.asset, e.amount),
                percent(e.share),
                e.hops.to_string(),
                naming.time(e.first_time),
                naming.time(e.last_time),
            ]);
        }
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                let pad = w.saturating_sub(cell.chars().count());
                // Numbers right-aligned, text left-aligned.
                if (3..=5).contains(&i) {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(cell);
                } else {
                    s.push_str(cell);
                    s.push_str(&" ".repeat(pad));
                }
                s.push_str("  ");
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(&mut out, &header.map(String::from));
        for row in &rows {
            line(&mut out, row);
        }
        if self.endpoints.len() > rows.len() {
            let _ = writeln!(out, "… {} more endpoints", self.endpoints.len() - rows.len());
        }
        for f in &self.assets {
            let _ = writeln!(
                out,
                "{}: seed {}, at services {}, unspent {}, origin {}, fees {}, at hop bound {}, \
                 cut {}, returned {}, dropped below minimum {} ({} transfers)",
                naming.asset(f.asset),
                naming.amount(f.asset, f.seed),
                naming.amount(f.asset, f.services),
                naming.amount(f.asset, f.unspent),
                naming.amount(f.asset, f.origin),
                naming.amount(f.asset, f.fees),
                naming.amount(f.asset, f.hop_limit),
                naming.amount(f.asset, f.truncated),
                naming.amount(f.asset, f.returned),
                naming.amount(f.asset, f.dropped_below_min),
                f.dropped_flows
            );
        }
        for cut in &self.stats.cut_by {
            let _ = writeln!(out, "note: {}", cut.message);
        }
        out
    }
}
