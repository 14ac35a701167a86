//! Fund tracing, exposure and risk over Chainward's transfer graph.
//!
//! - [`trace`] follows funds from seeds ([`Seed`]: an address or UTXO transaction node, or
//!   specific transfers) forward (where did they go) or backward (where did they come from),
//!   under a [`TaintModel`]: poison (screening upper bound), haircut (value-weighted, the
//!   industry default) or FIFO (Clayton's Case, the legal default). It returns a
//!   [`TraceResult`]: endpoints (services reached, unspent funds, origins, fees, the hop
//!   bound) with amounts, shares, hops and times; the subgraph that carried the funds; and
//!   per-asset totals. It renders as a summary table, JSON and Graphviz DOT; node names,
//!   amounts and times come from the caller through [`Naming`], because the graph knows
//!   store ids only.
//! - [`exposure()`] is two haircut traces from an address or entity, stopping at labelled
//!   nodes: direct and indirect exposure by category, per asset, with the paths that carried
//!   the most. [`risk()`] turns it, with the subject's own labels, into a level and reasons
//!   under documented thresholds ([`RiskConfig`]).
//!
//! Key decisions:
//! - **Mixing points are nodes.** An address, or a UTXO transaction node (inputs in order,
//!   then outputs in order, fees last), has one time-ordered history per asset; each model
//!   is a sweep over it. Time is respected: funds leave only on transfers after they arrived,
//!   ordered by (time, transaction, position) — so a contract that receives and forwards in
//!   one call passes the funds on, and a UTXO input never pays for an earlier output. Assets
//!   never mix: a flow continues only on edges of its own asset.
//! - **Exact and bounded propagation.** Haircut and FIFO are linear in the dirt that arrives,
//!   so the engine sweeps each node at most once per hop layer with that layer's arrivals and
//!   the layers add up exactly, however many paths and times the funds took. Backward is the
//!   transpose of forward (the tests check it), so both directions agree.
//! - **Conservation.** For haircut and FIFO, what the seeds put in equals what the endpoints
//!   hold plus what fell below the minimum amount ([`AssetFlow`]); funds the graph cannot see
//!   (fees, rewards, history before it) count as clean funds arriving just in time.
//! - **Every query is bounded.** Hops, time window, minimum amount and [`TraceLimits`]
//!   (nodes, edges, edge visits); a bound that cuts the search says so in
//!   [`TraceStats::cut_by`], and the funds it stopped stay where they were, so totals still
//!   add up.
//!
//! ```
//! use chainward_graph::{GraphBuilder, NodeId, NodeLabels};
//! use chainward_trace::{Direction, Seed, TaintModel, TraceRequest, trace};
//!
//! // The worked example: 3 dirty then 7 clean arrive at 10, which pays 2, 5 and 3.
//! let node = |n| NodeId::address(n).unwrap();
//! let mut builder = GraphBuilder::new();
//! let btc = builder.asset(1, None);
//! builder.add_edge(node(1), node(10), 3.0, 100, btc, 1).unwrap();
//! builder.add_edge(node(2), node(10), 7.0, 101, btc, 2).unwrap();
//! for (i, (to, amount)) in [(11, 2.0), (12, 5.0), (13, 3.0)].into_iter().enumerate() {
//!     builder.add_edge(node(10), node(to), amount, 110 + i as u32, btc, 3 + i as u32).unwrap();
//! }
//! let graph = builder.finish().unwrap();
//!
//! let seed = Seed::Node { node: node(1), amount: None };
//! let request = TraceRequest::new(vec![seed], Direction::Forward, TaintModel::Fifo);
//! let result = trace(&graph, &NodeLabels::new(), &request).unwrap();
//! let held = |n| result.endpoints.iter().find(|e| e.node == node(n)).map_or(0.0, |e| e.amount);
//! assert_eq!((held(11), held(12), held(13)), (2.0, 1.0, 0.0));
//! println!("{}", result.summary_table(&chainward_trace::IdNaming, 20));
//! ```

mod engine;
mod exposure;
mod request;
mod result;
mod risk;
mod sweep;

pub use exposure::{
    CategoryExposure, EntityAmount, Exposure, ExposurePath, ExposureRequest, FlowExposure, exposure,
};
pub use request::{Direction, Seed, TaintModel, TraceError, TraceLimits, TraceRequest};
pub use result::{
    AssetFlow, Bound, Cut, Endpoint, EndpointReason, IdNaming, Naming, TraceEdge, TraceGraph,
    TraceNode, TraceResult, TraceStats, trace,
};
pub use risk::{
    FindingKind, RiskAssessment, RiskConfig, RiskFinding, ShareThresholds, risk, risk_named,
};
