//! What to trace: seeds, direction, taint model and the bounds every query runs under.

use chainward_graph::{AssetId, CategorySet, EdgeId, NodeId};
use serde::Serialize;

/// Where the traced funds start.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Seed {
    /// A node whose funds are dirty: an address, or a UTXO transaction node.
    ///
    /// Forward, every outgoing transfer of the node inside the time window is dirty; backward,
    /// every incoming one is (we ask where all its funds came from). The node is treated as
    /// wholly dirty, so dirt that flows back into it later is not counted twice: it is kept
    /// there as [`EndpointReason::Returned`](crate::EndpointReason::Returned).
    ///
    /// With `amount`, only that much of those transfers is dirty: for haircut every transfer
    /// carries the same share `amount / total`; for FIFO the earliest transfers carry it in
    /// full until it is used up; poison ignores it (every transfer is dirty). An amount above
    /// the total is capped at the total. A node with transfers in several assets needs
    /// [`TraceRequest::asset`] with an amount, because one amount cannot span two assets.
    Node {
        /// The node.
        node: NodeId,
        /// The dirty amount in base units; `None` for all of it.
        amount: Option<f64>,
    },
    /// Transfers that are dirty in full: for a transaction seed, the caller passes its edges
    /// (the outputs of a UTXO transaction node, or the transfers of an account transaction).
    /// Forward the dirt starts at each edge's payee, backward at its payer.
    Edges(Vec<EdgeId>),
}

/// Which way funds are followed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Where did the funds go.
    #[default]
    Forward,
    /// Where did the funds come from: the transpose of the forward model, so haircut and FIFO
    /// attribute each outgoing amount to the deposits that, under the same model, paid it.
    Backward,
}

/// How dirt is shared out at a mixing point (an address, or a UTXO transaction node).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaintModel {
    /// Every transfer that leaves after a dirty arrival is wholly dirty. An upper bound for
    /// screening: it does not conserve value, so amounts and shares over-count.
    Poison,
    /// Each transfer leaving carries the dirty share of the balance at that moment
    /// (value-weighted, simulated over the node's history). Conserves value. The industry
    /// default.
    #[default]
    Haircut,
    /// Deposits form a queue and each withdrawal consumes the oldest first (Clayton's Case).
    /// Conserves value; "the legal way to track funds".
    Fifo,
}

impl TaintModel {
    /// The name used on the command line and in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Poison => "poison",
            Self::Haircut => "haircut",
            Self::Fifo => "fifo",
        }
    }

    /// Whether the model conserves value (everything but poison).
    pub const fn conserves(self) -> bool {
        !matches!(self, Self::Poison)
    }
}

impl std::fmt::Display for TaintModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TaintModel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "poison" => Ok(Self::Poison),
            "haircut" => Ok(Self::Haircut),
            "fifo" => Ok(Self::Fifo),
            _ => Err(format!("unknown taint model '{s}'; known: poison, haircut, fifo")),
        }
    }
}

/// Hard caps on what one query may hold or do. Each is checked before it is exceeded, and a
/// query that reaches one stops there and says so in
/// [`TraceStats::cut_by`](crate::TraceStats::cut_by): dirt that could not be followed stays at
/// the node it had reached, as [`EndpointReason::Truncated`](crate::EndpointReason::Truncated).
///
/// Memory is bounded by them: about 100 bytes per node and 40 per edge of the result, plus a
/// scratch buffer of 56 bytes per edge of the largest node swept (itself at most `max_work`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TraceLimits {
    /// Nodes that dirt may reach (each with its asset counts once).
    pub max_nodes: usize,
    /// Edges that may carry dirt in the result.
    pub max_edges: usize,
    /// Edge visits: each node sweep reads every edge of the node, so a node is swept only when
    /// its degree fits the remaining budget.
    pub max_work: u64,
}

impl TraceLimits {
    /// The largest `max_nodes` a request may ask for.
    pub const HARD_MAX_NODES: usize = 50_000_000;
    /// The largest `max_edges` a request may ask for.
    pub const HARD_MAX_EDGES: usize = 100_000_000;
    /// The largest `max_work` a request may ask for (minutes of work).
    pub const HARD_MAX_WORK: u64 = 20_000_000_000;

    /// Tighter defaults for exposure, which runs per screened address and must answer in
    /// milliseconds.
    pub const EXPOSURE: Self = Self { max_nodes: 200_000, max_edges: 200_000, max_work: 5_000_000 };

    pub(crate) fn validate(&self) -> Result<(), crate::TraceError> {
        let check = |what: &'static str, value: u64, max: u64| {
            if value == 0 || value > max {
                Err(crate::TraceError::InvalidBound {
                    what,
                    value: value.to_string(),
                    allowed: format!("1 to {max}"),
                })
            } else {
                Ok(())
            }
        };
        check("limits.max_nodes", self.max_nodes as u64, Self::HARD_MAX_NODES as u64)?;
        check("limits.max_edges", self.max_edges as u64, Self::HARD_MAX_EDGES as u64)?;
        check("limits.max_work", self.max_work, Self::HARD_MAX_WORK)
    }
}

impl Default for TraceLimits {
    /// One million nodes and edges in the result and two million edge visits: under a second
    /// on one core for the worst seed (a trace that spreads to every neighbour), about
    /// 150 MB at most. Typical traces need a few thousand visits.
    fn default() -> Self {
        Self { max_nodes: 1_000_000, max_edges: 1_000_000, max_work: 2_000_000 }
    }
}

/// A trace query. Build it with [`TraceRequest::new`] and set the fields that differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceRequest {
    /// Where the funds start.
    pub seeds: Vec<Seed>,
    /// Forward (where did they go) or backward (where did they come from).
    pub direction: Direction,
    /// The taint model.
    pub model: TaintModel,
    /// Only this asset; `None` traces every asset the seeds carry, each on its own.
    pub asset: Option<AssetId>,
    /// Transactions to follow from the seed (a UTXO transaction counts once, though it is two
    /// edges). Dirt that has crossed this many stops where it is, as
    /// [`EndpointReason::HopLimit`](crate::EndpointReason::HopLimit). 1 to [`Self::MAX_HOPS`].
    pub max_hops: u32,
    /// Only transfers at or after this time (Unix seconds) carry dirt.
    pub since: u32,
    /// Only transfers at or before this time carry dirt; what is still at a node then is
    /// unspent.
    pub until: u32,
    /// Flows below this amount (base units) are dropped, counted in
    /// [`AssetFlow::dropped_below_min`](crate::AssetFlow::dropped_below_min), and not followed; so is dirt below it
    /// that stays at a node. Applied per node sweep: pieces of one transfer that reach it on
    /// different hops are judged apart.
    pub min_amount: f64,
    /// Nodes in these categories are where the trace ends ([`CategorySet::SERVICES`] by
    /// default: exchanges, mixers, bridges, gambling, DeFi, services, miners).
    pub stop_at: CategorySet,
    /// Hard limits.
    pub limits: TraceLimits,
}

impl TraceRequest {
    /// The default hop bound.
    pub const DEFAULT_MAX_HOPS: u32 = 10;
    /// The largest hop bound a request may ask for.
    pub const MAX_HOPS: u32 = 64;
    /// The most seeds one request may name (seed edges count one each).
    pub const MAX_SEEDS: usize = 100_000;

    /// A request with the defaults: [`Self::DEFAULT_MAX_HOPS`] hops, all time, no minimum
    /// amount, stopping at services, default limits.
    pub fn new(seeds: Vec<Seed>, direction: Direction, model: TaintModel) -> Self {
        Self {
            seeds,
            direction,
            model,
            asset: None,
            max_hops: Self::DEFAULT_MAX_HOPS,
            since: 0,
            until: u32::MAX,
            min_amount: 0.0,
            stop_at: CategorySet::SERVICES,
            limits: TraceLimits::default(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), crate::TraceError> {
        use crate::TraceError;
        let seed_count: usize = self
            .seeds
            .iter()
            .map(|s| match s {
                Seed::Node { .. } => 1,
                Seed::Edges(edges) => edges.len(),
            })
            .sum();
        if seed_count == 0 {
            return Err(TraceError::NoSeeds);
        }
        if seed_count > Self::MAX_SEEDS {
            return Err(TraceError::InvalidBound {
                what: "seeds",
                value: seed_count.to_string(),
                allowed: format!("1 to {}", Self::MAX_SEEDS),
            });
        }
        if self.max_hops == 0 || self.max_hops > Self::MAX_HOPS {
            return Err(TraceError::InvalidBound {
                what: "max_hops",
                value: self.max_hops.to_string(),
                allowed: format!("1 to {}", Self::MAX_HOPS),
            });
        }
        if self.since > self.until {
            return Err(TraceError::InvalidBound {
                what: "time window",
                value: format!("{}..{}", self.since, self.until),
                allowed: "since <= until".into(),
            });
        }
        if !self.min_amount.is_finite() || self.min_amount < 0.0 {
            return Err(TraceError::InvalidBound {
                what: "min_amount",
                value: self.min_amount.to_string(),
                allowed: "a finite amount >= 0".into(),
            });
        }
        for seed in &self.seeds {
            if let Seed::Node { amount: Some(a), .. } = seed
                && !(a.is_finite() && *a > 0.0)
            {
                return Err(TraceError::InvalidBound {
                    what: "seed amount",
                    value: a.to_string(),
                    allowed: "a finite amount > 0".into(),
                });
            }
        }
        self.limits.validate()
    }
}

/// Why a query was refused. Every variant is a fault in the request, not in the graph.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The request names no seed.
    #[error("nothing to trace: give at least one seed address, transaction or transfer")]
    NoSeeds,
    /// A seed node has no transfer in the graph.
    #[error("{0} is not in the analytics graph (no transfers recorded for it)")]
    UnknownNode(NodeId),
    /// A seed edge id is not in the graph.
    #[error("transfer #{} is not in the analytics graph", .0.0)]
    UnknownEdge(EdgeId),
    /// A seed edge lies outside the request's time window.
    #[error("seed transfer #{} at time {time} lies outside the time window {since}..{until}", .edge.0)]
    SeedOutsideWindow {
        /// The edge.
        edge: EdgeId,
        /// Its time.
        time: u32,
        /// The window's start.
        since: u32,
        /// The window's end.
        until: u32,
    },
    /// The seeds carry no funds in the window and asset asked for.
    #[error("nothing to trace: {0}")]
    NothingToTrace(String),
    /// A seed amount was given for a node with transfers in several assets.
    #[error(
        "{node} has {direction} transfers in {assets} assets: name one asset to trace an amount from it"
    )]
    AmbiguousAsset {
        /// The seed node.
        node: NodeId,
        /// `outgoing` or `incoming`.
        direction: &'static str,
        /// How many assets.
        assets: usize,
    },
    /// A bound outside what the engine accepts.
    #[error("{what} = {value} is out of range (allowed: {allowed})")]
    InvalidBound {
        /// Which field.
        what: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
}
