//! Exposure: which labelled entities an address's (or entity's) funds came from and went to,
//! directly and within N hops, by category, with the paths that carried the most.
//!
//! It is two haircut traces from the subject: backward for incoming funds (sources) and
//! forward for outgoing ones (destinations). Haircut because exposure must be value-weighted
//! and conserved: shares of one direction never add up to more than 100%. The traces stop at
//! every labelled node by default (the funds are attributed to the first entity they meet, so
//! a sanctioned address behind an exchange does not taint the exchange's customers), and the
//! subject's own addresses are seeds, so transfers inside the entity are not exposure.

use crate::engine::{self, NodeState, Params, Role, Run};
use crate::request::{Direction, Seed, TaintModel, TraceError, TraceLimits};
use crate::result::Cut;
use crate::sweep::Window;
use chainward_graph::{AssetId, CategorySet, EdgeId, NodeId, NodeLabels, TransferGraph};
use chainward_primitives::{Category, RiskLevel};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// An exposure query. [`ExposureRequest::default`] gives the defaults.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExposureRequest {
    /// Transactions to look through on each side (1 = direct counterparties only).
    pub hops: u32,
    /// Only transfers at or after this time.
    pub since: u32,
    /// Only transfers at or before this time.
    pub until: u32,
    /// Only this asset; `None` reports every asset of the subject on its own.
    pub asset: Option<AssetId>,
    /// Flows below this amount (base units) are not followed.
    pub min_amount: f64,
    /// Where the traces stop and attribute: every category by default (the first labelled
    /// entity the funds meet gets them). [`CategorySet::SERVICES`] instead looks through
    /// labelled non-service addresses.
    pub stop_at: CategorySet,
    /// Paths to report per risky category and direction.
    pub top_paths: usize,
    /// Hard limits, per direction.
    pub limits: TraceLimits,
}

impl Default for ExposureRequest {
    fn default() -> Self {
        Self {
            hops: 3,
            since: 0,
            until: u32::MAX,
            asset: None,
            min_amount: 0.0,
            stop_at: CategorySet::of_all(&Category::ALL),
            top_paths: 3,
            limits: TraceLimits::EXPOSURE,
        }
    }
}

/// A named entity's part of a category's exposure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntityAmount {
    /// The entity (`Binance`, `Lazarus Group`), or the node id when no list names one.
    pub entity: String,
    /// Amount in base units.
    pub amount: f64,
}

/// Exposure to one category on one side, in one asset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryExposure {
    /// The category.
    pub category: Category,
    /// Amount in base units.
    pub amount: f64,
    /// `amount` over the subject's total flow on this side in this asset.
    pub share: f64,
    /// Labelled nodes of the category that the funds reached.
    pub counterparties: u32,
    /// The entities that carried the most, largest first (at most five).
    pub entities: Vec<EntityAmount>,
}

/// A path that carried funds between the subject and a labelled node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExposurePath {
    /// The category of the node at the far end.
    pub category: Category,
    /// The entity there, when a list names it.
    pub entity: Option<String>,
    /// Nodes in the order the money moved (source first).
    pub nodes: Vec<NodeId>,
    /// Edges in the same order.
    pub edges: Vec<EdgeId>,
    /// The smallest traced amount along the path: no more than this followed it.
    pub amount: f64,
    /// Transactions between the subject and the far end.
    pub hops: u32,
}

/// One side (incoming or outgoing) in one asset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowExposure {
    /// The asset.
    pub asset: AssetId,
    /// The subject's total flow on this side, without transfers inside the subject.
    pub total: f64,
    /// Exposure through direct counterparties (one transaction away), riskiest first.
    pub direct: Vec<CategoryExposure>,
    /// Exposure two to N transactions away, through unlabelled nodes, riskiest first.
    pub indirect: Vec<CategoryExposure>,
    /// Funds that reached no labelled node within the bounds.
    pub unattributed: f64,
    /// The paths that carried the most to or from each risky category.
    pub top_paths: Vec<ExposurePath>,
}

/// The outcome of [`exposure`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Exposure {
    /// The address or the addresses of the entity.
    pub subject: Vec<NodeId>,
    /// Hops looked through.
    pub hops: u32,
    /// Where its funds came from, per asset.
    pub incoming: Vec<FlowExposure>,
    /// Where its funds went, per asset.
    pub outgoing: Vec<FlowExposure>,
    /// Edge visits of both traces.
    pub visited_edges: u64,
    /// Bounds that cut either trace.
    pub cut_by: Vec<Cut>,
}

impl Exposure {
    /// Both sides.
    pub fn sides(&self) -> impl Iterator<Item = (&'static str, &FlowExposure)> {
        self.incoming
            .iter()
            .map(|f| ("incoming", f))
            .chain(self.outgoing.iter().map(|f| ("outgoing", f)))
    }

    /// The result as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("exposure results are plain structs with string keys, so they serialise")
    }
}

/// Direct and indirect exposure of `subject` (an address, or the addresses of one entity).
///
/// # Errors
/// [`TraceError`] for an empty subject, a subject node not in the graph, or bounds out of
/// range.
pub fn exposure(
    graph: &TransferGraph,
    labels: &NodeLabels,
    subject: &[NodeId],
    request: &ExposureRequest,
) -> Result<Exposure, TraceError> {
    if subject.is_empty() {
        return Err(TraceError::NoSeeds);
    }
    let check = crate::TraceRequest {
        max_hops: request.hops,
        since: request.since,
        until: request.until,
        min_amount: request.min_amount,
        limits: request.limits,
        ..crate::TraceRequest::new(
            vec![Seed::Node { node: subject[0], amount: None }],
            Direction::Forward,
            TaintModel::Haircut,
        )
    };
    check.validate()?;
    if subject.len() > crate::TraceRequest::MAX_SEEDS {
        return Err(TraceError::InvalidBound {
            what: "subject addresses",
            value: subject.len().to_string(),
            allowed: format!("1 to {}", crate::TraceRequest::MAX_SEEDS),
        });
    }
    let seeds: Vec<Seed> = subject.iter().map(|&node| Seed::Node { node, amount: None }).collect();
    let mut cut_by = Vec::new();
    let mut visited_edges = 0;
    let mut sides = [Vec::new(), Vec::new()];
    for (i, direction) in [Direction::Backward, Direction::Forward].into_iter().enumerate() {
        let params = Params {
            direction,
            model: TaintModel::Haircut,
            asset: request.asset,
            max_hops: request.hops,
            window: Window { since: request.since, until: request.until },
            min_amount: request.min_amount,
            stop_at: request.stop_at,
            limits: request.limits,
        };
        let run = engine::run(graph, labels, &seeds, params, true)?;
        visited_edges += run.work;
        sides[i] = summarise(&run, labels, direction, request.top_paths);
        for cut in run.cuts {
            match cut_by.iter_mut().find(|c: &&mut Cut| c.bound == cut.bound) {
                Some(c) if c.share >= cut.share => {}
                Some(c) => *c = cut,
                None => cut_by.push(cut),
            }
        }
    }
    let [incoming, outgoing] = sides;
    Ok(Exposure {
        subject: subject.to_vec(),
        hops: request.hops,
        incoming,
        outgoing,
        visited_edges,
        cut_by,
    })
}

#[derive(Default)]
struct Acc {
    amount: f64,
    nodes: u32,
    entities: FxHashMap<String, f64>,
}

fn summarise(
    run: &Run,
    labels: &NodeLabels,
    direction: Direction,
    top: usize,
) -> Vec<FlowExposure> {
    let mut out = Vec::new();
    for (slot, flow) in run.flows.iter().enumerate() {
        let total = flow.seed - flow.returned;
        if flow.seed <= 0.0 {
            continue;
        }
        let mut direct: FxHashMap<Category, Acc> = FxHashMap::default();
        let mut indirect: FxHashMap<Category, Acc> = FxHashMap::default();
        let mut unattributed = 0.0;
        for st in run.states.iter().filter(|st| st.slot as usize == slot && st.held > 0.0) {
            if st.role == Role::Seed {
                continue;
            }
            let categories = labels.categories(st.node);
            if categories.is_empty() {
                unattributed += st.held;
                continue;
            }
            for category in categories.iter() {
                let entity = labels
                    .labels(st.node)
                    .filter(|l| l.category == category)
                    .find_map(|l| l.entity.clone())
                    .unwrap_or_else(|| st.node.to_string());
                for (map, amount) in
                    [(&mut direct, st.held_direct), (&mut indirect, st.held - st.held_direct)]
                {
                    if amount > 0.0 {
                        let acc = map.entry(category).or_default();
                        acc.amount += amount;
                        acc.nodes += 1;
                        *acc.entities.entry(entity.clone()).or_default() += amount;
                    }
                }
            }
        }
        let finish = |map: FxHashMap<Category, Acc>| {
            let mut list: Vec<CategoryExposure> = map
                .into_iter()
                .map(|(category, acc)| {
                    let mut entities: Vec<EntityAmount> = acc
                        .entities
                        .into_iter()
                        .map(|(entity, amount)| EntityAmount { entity, amount })
                        .collect();
                    entities.sort_by(|a, b| {
                        b.amount.total_cmp(&a.amount).then(a.entity.cmp(&b.entity))
                    });
                    entities.truncate(5);
                    CategoryExposure {
                        category,
                        amount: acc.amount,
                        share: if total > 0.0 { acc.amount / total } else { 0.0 },
                        counterparties: acc.nodes,
                        entities,
                    }
                })
                .collect();
            list.sort_by(|a, b| {
                b.category
                    .risk()
                    .cmp(&a.category.risk())
                    .then(b.amount.total_cmp(&a.amount))
                    .then(a.category.cmp(&b.category))
            });
            list
        };
        let direct = finish(direct);
        let indirect = finish(indirect);
        let mut risky: Vec<Category> = direct
            .iter()
            .chain(&indirect)
            .map(|c| c.category)
            .filter(|c| c.risk() > RiskLevel::None)
            .collect();
        risky.sort();
        risky.dedup();
        let top_paths = if top == 0 {
            Vec::new()
        } else {
            paths(run, labels, slot as u32, direction, &risky, top)
        };
        out.push(FlowExposure {
            asset: flow.asset,
            total,
            direct,
            indirect,
            unattributed,
            top_paths,
        });
    }
    out
}

/// For each risky category, the paths that carried the most to its nodes: from each of its
/// largest endpoints, walk back along the traced edges to a seed, at each step taking the
/// edge that carried the most among those that fit (earlier in time forward, later backward;
/// no more hops than the step before; no node twice).
fn paths(
    run: &Run,
    labels: &NodeLabels,
    slot: u32,
    direction: Direction,
    categories: &[Category],
    top: usize,
) -> Vec<ExposurePath> {
    let forward = direction == Direction::Forward;
    let target = |t: &engine::TaintEdge| if forward { t.edge.to } else { t.edge.from };
    let source = |t: &engine::TaintEdge| if forward { t.edge.from } else { t.edge.to };
    let asset = run.flows[slot as usize].asset;
    let mut into: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for (i, t) in run.taint.iter().enumerate() {
        if t.edge.asset == asset {
            into.entry(target(t).0).or_default().push(i as u32);
        }
    }
    let seeds: FxHashSet<u32> =
        run.states.iter().filter(|st| st.role == Role::Seed).map(|st| st.node.0).collect();
    let mut out = Vec::new();
    for &category in categories {
        let mut ends: Vec<&NodeState> = run
            .states
            .iter()
            .filter(|st| {
                st.slot == slot
                    && st.held > 0.0
                    && st.role != Role::Seed
                    && labels.categories(st.node).contains(category)
            })
            .collect();
        ends.sort_by(|a, b| b.held.total_cmp(&a.held).then(a.node.cmp(&b.node)));
        let mut found: Vec<ExposurePath> = Vec::new();
        for end in ends.into_iter().take(top * 2) {
            let mut nodes = vec![end.node];
            let mut edges = Vec::new();
            let mut visited: FxHashSet<u32> = FxHashSet::default();
            visited.insert(end.node.0);
            let (mut time_bound, mut hop_bound) = (if forward { u32::MAX } else { 0 }, u32::MAX);
            let mut amount = f64::INFINITY;
            let mut cur = end.node;
            let mut ok = false;
            for _ in 0..=(2 * run.layers + 2) {
                if seeds.contains(&cur.0) {
                    ok = true;
                    break;
                }
                let best = into
                    .get(&cur.0)
                    .into_iter()
                    .flatten()
                    .map(|&i| &run.taint[i as usize])
                    .filter(|t| {
                        (if forward {
                            t.edge.time <= time_bound
                        } else {
                            t.edge.time >= time_bound
                        }) && t.hop <= hop_bound
                            && !visited.contains(&source(t).0)
                    })
                    .max_by(|a, b| a.amount.total_cmp(&b.amount));
                let Some(t) = best else { break };
                amount = amount.min(t.amount);
                time_bound = t.edge.time;
                hop_bound = t.hop;
                cur = source(t);
                visited.insert(cur.0);
                nodes.push(cur);
                edges.push(t.edge.id);
            }
            if !ok || edges.is_empty() {
                continue;
            }
            // Walked from the far end toward the subject: that is money order backward, and
            // its reverse forward.
            if forward {
                nodes.reverse();
                edges.reverse();
            }
            let entity = labels
                .labels(end.node)
                .filter(|l| l.category == category)
                .find_map(|l| l.entity.clone());
            found.push(ExposurePath { category, entity, nodes, edges, amount, hops: end.hop });
        }
        found.sort_by(|a, b| b.amount.total_cmp(&a.amount));
        found.truncate(top);
        out.extend(found);
    }
    out
}
