//! The propagation: seeding, hop layers, stopping rules and limits.
//!
//! Dirt is processed in hop layers. Layer `h` holds what arrived after crossing `h`
//! transactions; within it, UTXO transaction nodes are swept first (crossing one keeps the
//! hop: it is the transaction being counted), then addresses (leaving one enters the next
//! transaction). Each (node, asset) is swept at most once per layer with that layer's
//! arrivals only; because the models are linear (see [`crate::sweep`]) the layers add up to
//! the result of one sweep over everything, however many paths and times the dirt arrived
//! by. That bounds the work at `max_hops` sweeps per node, where a time-ordered work list
//! re-sweeps a node each time new dirt arrives, and it makes the hop bound exact: dirt that
//! has crossed `max_hops` transactions stops, dirt that reached the same node sooner goes on.

use crate::request::{Direction, Seed, TaintModel, TraceError, TraceLimits};
use crate::result::{AssetFlow, Bound, Cut};
use crate::sweep::{self, Arrival, Scratch, Window};
use chainward_graph::{AssetId, CategorySet, Edge, NodeId, NodeLabels, TransferGraph};
use rustc_hash::{FxHashMap, FxHashSet};

/// Endpoint reasons as bits (see [`crate::EndpointReason`]).
pub(crate) mod why {
    pub(crate) const SERVICE: u8 = 1;
    pub(crate) const UNSPENT: u8 = 2;
    pub(crate) const ORIGIN: u8 = 4;
    pub(crate) const FEE: u8 = 8;
    pub(crate) const HOP_LIMIT: u8 = 16;
    pub(crate) const TRUNCATED: u8 = 32;
    pub(crate) const RETURNED: u8 = 64;
}

/// What a node does with dirt that reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Sweeps it on.
    Pass,
    /// A seed node, dirty in full already: keeps it.
    Seed,
    /// In the stop set: keeps it.
    Stop,
}

/// One (node, asset) that dirt reached.
#[derive(Clone, Debug)]
pub(crate) struct NodeState {
    pub(crate) node: NodeId,
    pub(crate) asset: AssetId,
    pub(crate) slot: u32,
    /// Fewest transactions crossed to get here.
    pub(crate) hop: u32,
    pub(crate) role: Role,
    pub(crate) reasons: u8,
    pub(crate) cut: u8,
    pub(crate) swept: bool,
    pub(crate) first_time: u32,
    pub(crate) last_time: u32,
    /// Poison: the earliest arrival (forward) or latest demand (backward) swept so far.
    pub(crate) mark: Option<(u32, u32, u16)>,
    pub(crate) received: f64,
    pub(crate) emitted: f64,
    pub(crate) held: f64,
    /// Held from arrivals at hop 1 (direct counterparties).
    pub(crate) held_direct: f64,
}

/// An edge that carried dirt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TaintEdge {
    pub(crate) edge: Edge,
    pub(crate) amount: f64,
    pub(crate) hop: u32,
}

/// The query as the engine needs it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub(crate) direction: Direction,
    pub(crate) model: TaintModel,
    pub(crate) asset: Option<AssetId>,
    pub(crate) max_hops: u32,
    pub(crate) window: Window,
    pub(crate) min_amount: f64,
    pub(crate) stop_at: CategorySet,
    pub(crate) limits: TraceLimits,
}

/// What a run produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) states: Vec<NodeState>,
    pub(crate) taint: Vec<TaintEdge>,
    pub(crate) flows: Vec<AssetFlow>,
    pub(crate) work: u64,
    pub(crate) cuts: Vec<Cut>,
    pub(crate) layers: u32,
}

const BOUNDS: [Bound; 4] = [Bound::MaxNodes, Bound::MaxEdges, Bound::MaxWork, Bound::MaxHops];

fn bound_index(bound: Bound) -> usize {
    BOUNDS.iter().position(|&b| b == bound).expect("every bound is listed in BOUNDS")
}

struct Engine<'a> {
    graph: &'a TransferGraph,
    labels: &'a NodeLabels,
    p: Params,
    forward: bool,
    states: Vec<NodeState>,
    index: FxHashMap<u64, u32>,
    taint: Vec<TaintEdge>,
    taint_index: FxHashMap<u32, u32>,
    seed_edges: FxHashSet<u32>,
    seeding: bool,
    flows: Vec<AssetFlow>,
    slot_of: FxHashMap<u32, u32>,
    cut_amounts: Vec<[f64; 4]>,
    layer: u32,
    tx_now: Vec<Arrival>,
    addr_now: Vec<Arrival>,
    tx_next: Vec<Arrival>,
    addr_next: Vec<Arrival>,
    scratch: Scratch,
    emits: Vec<(Edge, f64)>,
    work: u64,
}

fn key(node: NodeId, asset: AssetId) -> u64 {
    u64::from(asset.0) << 32 | u64::from(node.0)
}

/// Runs one trace.
///
/// # Errors
/// Seeds that are not in the graph, or (unless `allow_empty`) seeds with nothing to trace.
pub(crate) fn run(
    graph: &TransferGraph,
    labels: &NodeLabels,
    seeds: &[Seed],
    p: Params,
    allow_empty: bool,
) -> Result<Run, TraceError> {
    let mut engine = Engine {
        graph,
        labels,
        p,
        forward: p.direction == Direction::Forward,
        states: Vec::new(),
        index: FxHashMap::default(),
        taint: Vec::new(),
        taint_index: FxHashMap::default(),
        seed_edges: FxHashSet::default(),
        seeding: true,
        flows: Vec::new(),
        slot_of: FxHashMap::default(),
        cut_amounts: Vec::new(),
        layer: 0,
        tx_now: Vec::new(),
        addr_now: Vec::new(),
        tx_next: Vec::new(),
        addr_next: Vec::new(),
        scratch: Scratch::default(),
        emits: Vec::new(),
        work: 0,
    };
    engine.seed(seeds)?;
    if !allow_empty && engine.flows.iter().all(|f| f.seed <= 0.0) {
        let what = if engine.forward { "outgoing" } else { "incoming" };
        return Err(TraceError::NothingToTrace(format!(
            "the seeds have no {what} transfers{} in the time window",
            if p.asset.is_some() { " of the asset asked for" } else { "" }
        )));
    }
    engine.seeding = false;
    let mut layers = 0;
    for h in 1..=p.max_hops {
        if engine.tx_next.is_empty() && engine.addr_next.is_empty() {
            break;
        }
        layers = h;
        engine.layer = h;
        std::mem::swap(&mut engine.tx_now, &mut engine.tx_next);
        std::mem::swap(&mut engine.addr_now, &mut engine.addr_next);
        // Transaction nodes feed addresses of the same layer, so they go first; the loop
        // only repeats for a graph with transaction → transaction edges.
        while !engine.tx_now.is_empty() {
            let list = std::mem::take(&mut engine.tx_now);
            let list = engine.process(list);
            if engine.tx_now.is_empty() {
                engine.tx_now = list;
            }
        }
        let list = std::mem::take(&mut engine.addr_now);
        engine.addr_now = engine.process(list);
    }
    debug_assert!(engine.tx_next.is_empty() && engine.addr_next.is_empty());
    engine.finish_poison();
    Ok(engine.into_run(layers))
}

impl Engine<'_> {
    fn slot(&mut self, asset: AssetId) -> u32 {
        if let Some(&s) = self.slot_of.get(&asset.0) {
            return s;
        }
        let s = self.flows.len() as u32;
        self.flows.push(AssetFlow::new(asset));
        self.cut_amounts.push([0.0; 4]);
        self.slot_of.insert(asset.0, s);
        s
    }

    fn new_state(&mut self, node: NodeId, asset: AssetId, role: Role) -> u32 {
        let slot = self.slot(asset);
        let role = if role == Role::Pass
            && !node.is_transaction()
            && self.labels.categories(node).intersects(self.p.stop_at)
        {
            Role::Stop
        } else {
            role
        };
        let id = self.states.len() as u32;
        self.states.push(NodeState {
            node,
            asset,
            slot,
            hop: u32::MAX,
            role,
            reasons: 0,
            cut: 0,
            swept: false,
            first_time: u32::MAX,
            last_time: 0,
            mark: None,
            received: 0.0,
            emitted: 0.0,
            held: 0.0,
            held_direct: 0.0,
        });
        self.index.insert(key(node, asset), id);
        id
    }

    fn seed_state(&mut self, node: NodeId, asset: AssetId, role: Role) -> u32 {
        let hop = if node.is_transaction() { 1 } else { 0 };
        let s = match self.index.get(&key(node, asset)) {
            Some(&s) => s,
            None => self.new_state(node, asset, role),
        };
        let st = &mut self.states[s as usize];
        if role == Role::Seed {
            st.role = Role::Seed;
        }
        st.hop = st.hop.min(hop);
        s
    }

    fn in_window(&self, e: &Edge) -> bool {
        e.time >= self.p.window.since && e.time <= self.p.window.until
    }

    fn seed(&mut self, seeds: &[Seed]) -> Result<(), TraceError> {
        for seed in seeds {
            match seed {
                Seed::Node { node, amount } => self.seed_node(*node, *amount)?,
                Seed::Edges(ids) => {
                    for &id in ids {
                        let e = self.graph.edge(id).ok_or(TraceError::UnknownEdge(id))?;
                        if !self.in_window(&e) {
                            return Err(TraceError::SeedOutsideWindow {
                                edge: id,
                                time: e.time,
                                since: self.p.window.since,
                                until: self.p.window.until,
                            });
                        }
                        if self.p.asset.is_some_and(|a| a != e.asset)
                            || !self.seed_edges.insert(id.0)
                        {
                            continue;
                        }
                        let src = if self.forward { e.from } else { e.to };
                        let s = self.seed_state(src, e.asset, Role::Pass);
                        let slot = self.states[s as usize].slot as usize;
                        self.flows[slot].seed += e.amount;
                        self.emit(s, e, e.amount, 1);
                    }
                }
            }
        }
        Ok(())
    }

    fn seed_node(&mut self, node: NodeId, amount: Option<f64>) -> Result<(), TraceError> {
        if !self.graph.contains(node) {
            return Err(TraceError::UnknownNode(node));
        }
        let edges: Vec<Edge> = if self.forward {
            self.graph.out_edges(node).collect()
        } else {
            self.graph.in_edges(node).collect()
        };
        let mut by_asset: Vec<(AssetId, Vec<Edge>)> = Vec::new();
        for e in edges {
            if !self.in_window(&e) || self.p.asset.is_some_and(|a| a != e.asset) {
                continue;
            }
            match by_asset.iter_mut().find(|(a, _)| *a == e.asset) {
                Some((_, list)) => list.push(e),
                None => by_asset.push((e.asset, vec![e])),
            }
        }
        if amount.is_some() && by_asset.len() > 1 {
            return Err(TraceError::AmbiguousAsset {
                node,
                direction: if self.forward { "outgoing" } else { "incoming" },
                assets: by_asset.len(),
            });
        }
        for (asset, list) in by_asset {
            let s = self.seed_state(node, asset, Role::Seed);
            let slot = self.states[s as usize].slot as usize;
            let total: f64 = list.iter().map(|e| e.amount).sum();
            let want = amount.map_or(total, |a| a.min(total));
            let mut left = want;
            for e in list {
                if !self.seed_edges.insert(e.id.0) {
                    continue;
                }
                let dirty = match (amount, self.p.model) {
                    (None, _) | (Some(_), TaintModel::Poison) => e.amount,
                    (Some(_), TaintModel::Haircut) => {
                        if total > 0.0 {
                            e.amount * (want / total)
                        } else {
                            0.0
                        }
                    }
                    (Some(_), TaintModel::Fifo) => {
                        let d = e.amount.min(left);
                        left -= d;
                        d
                    }
                };
                if dirty > 0.0 {
                    self.flows[slot].seed += dirty;
                    self.emit(s, e, dirty, 1);
                }
            }
        }
        Ok(())
    }

    fn hold(&mut self, s: u32, reason: u8, amount: f64, hop: u32) {
        if amount <= 0.0 {
            return;
        }
        let st = &mut self.states[s as usize];
        st.held += amount;
        st.reasons |= reason;
        if hop <= 1 {
            st.held_direct += amount;
        }
        let flow = &mut self.flows[st.slot as usize];
        match reason {
            why::SERVICE => flow.services += amount,
            why::UNSPENT => flow.unspent += amount,
            why::ORIGIN => flow.origin += amount,
            why::FEE => flow.fees += amount,
            why::HOP_LIMIT => flow.hop_limit += amount,
            why::TRUNCATED => flow.truncated += amount,
            _ => flow.returned += amount,
        }
    }

    fn cut(&mut self, s: u32, bound: Bound, amount: f64, hop: u32) {
        let reason = if bound == Bound::MaxHops { why::HOP_LIMIT } else { why::TRUNCATED };
        self.hold(s, reason, amount, hop);
        let i = bound_index(bound);
        let st = &mut self.states[s as usize];
        st.cut |= 1 << i;
        self.cut_amounts[st.slot as usize][i] += amount;
    }

    fn drop_below_min(&mut self, s: u32, amount: f64, flows: u64) {
        if amount > 0.0 {
            let flow = &mut self.flows[self.states[s as usize].slot as usize];
            flow.dropped_below_min += amount;
            flow.dropped_flows += flows;
        }
    }

    /// Sends `amount` of dirt from state `src` over `e`, arriving after `to_hop` transactions.
    fn emit(&mut self, src: u32, e: Edge, amount: f64, to_hop: u32) {
        if amount <= 0.0 {
            return;
        }
        if self.p.model == TaintModel::Poison {
            self.states[src as usize].emitted += amount;
        }
        if amount < self.p.min_amount {
            self.drop_below_min(src, amount, 1);
            return;
        }
        if !self.seeding && self.seed_edges.contains(&e.id.0) {
            // A seed edge is dirty in full already.
            self.hold(src, why::RETURNED, amount, to_hop);
            return;
        }
        let target = if self.forward { e.to } else { e.from };
        let state = self.index.get(&key(target, e.asset)).copied();
        let slot = self.taint_index.get(&e.id.0).copied();
        if slot.is_none() && self.taint.len() >= self.p.limits.max_edges {
            self.cut(src, Bound::MaxEdges, amount, to_hop);
            return;
        }
        if state.is_none() && self.states.len() >= self.p.limits.max_nodes {
            self.cut(src, Bound::MaxNodes, amount, to_hop);
            return;
        }
        let t = match state {
            Some(t) => t,
            None => self.new_state(target, e.asset, Role::Pass),
        };
        match slot {
            Some(i) => {
                let te = &mut self.taint[i as usize];
                te.amount += amount;
                te.hop = te.hop.min(to_hop);
            }
            None => {
                self.taint_index.insert(e.id.0, self.taint.len() as u32);
                self.taint.push(TaintEdge { edge: e, amount, hop: to_hop });
            }
        }
        let st = &mut self.states[t as usize];
        st.received += amount;
        st.hop = st.hop.min(to_hop);
        st.first_time = st.first_time.min(e.time);
        st.last_time = st.last_time.max(e.time);
        let arrival =
            Arrival { state: t, edge: e.id.0, time: e.time, tx: e.tx, seq: e.seq, amount };
        let now = to_hop == self.layer;
        let list = match (target.is_transaction(), now) {
            (true, true) => &mut self.tx_now,
            (true, false) => &mut self.tx_next,
            (false, true) => &mut self.addr_now,
            (false, false) => &mut self.addr_next,
        };
        list.push(arrival);
    }

    /// Sweeps every node of one list, grouped by state.
    fn process(&mut self, mut list: Vec<Arrival>) -> Vec<Arrival> {
        list.sort_unstable_by_key(|a| (a.state, a.time, a.tx, a.seq, a.edge));
        let mut i = 0;
        while i < list.len() {
            let s = list[i].state;
            let j = i + list[i..].partition_point(|a| a.state == s);
            self.node(s, &list[i..j]);
            i = j;
        }
        list.clear();
        list
    }

    fn node(&mut self, s: u32, arrivals: &[Arrival]) {
        let h = self.layer;
        let total: f64 = arrivals.iter().map(|a| a.amount).sum();
        let st = &self.states[s as usize];
        let node = st.node;
        let asset = st.asset;
        match st.role {
            Role::Seed => return self.hold(s, why::RETURNED, total, h),
            Role::Stop => return self.hold(s, why::SERVICE, total, h),
            Role::Pass => {}
        }
        if !node.is_transaction() && h >= self.p.max_hops {
            return self.cut(s, Bound::MaxHops, total, h);
        }
        let degree = (self.graph.in_degree(node) + self.graph.out_degree(node)) as u64;
        if self.work + degree > self.p.limits.max_work {
            return self.cut(s, Bound::MaxWork, total, h);
        }
        let mut emits = std::mem::take(&mut self.emits);
        emits.clear();
        let p = self.p;
        let site = sweep::Site {
            graph: self.graph,
            node,
            asset,
            window: p.window,
            min_amount: p.min_amount,
        };
        let scratch = &mut self.scratch;
        let end = match (self.forward, p.model) {
            (true, TaintModel::Haircut) => sweep::forward_haircut(site, arrivals, &mut emits),
            (true, TaintModel::Fifo) => sweep::forward_fifo(site, arrivals, scratch, &mut emits),
            (false, TaintModel::Haircut) => {
                sweep::backward_haircut(site, arrivals, scratch, &mut emits)
            }
            (false, TaintModel::Fifo) => sweep::backward_fifo(site, arrivals, scratch, &mut emits),
            (forward, TaintModel::Poison) => {
                let mark = self.states[s as usize].mark;
                let (scanned, new_mark) = if forward {
                    let first = arrivals[0].at();
                    let scanned = sweep::forward_poison(site, first, mark, &mut emits);
                    (scanned, mark.map_or(first, |m| m.min(first)))
                } else {
                    let last = arrivals.last().map(Arrival::at).unwrap_or_default();
                    let scanned = sweep::backward_poison(site, last, mark, &mut emits);
                    (scanned, mark.map_or(last, |m| m.max(last)))
                };
                self.states[s as usize].mark = Some(new_mark);
                sweep::SweepEnd { residual: 0.0, dropped: 0.0, scanned }
            }
        };
        self.work += end.scanned;
        self.states[s as usize].swept = true;
        let to_hop = if node.is_transaction() { h } else { h + 1 };
        for &(e, amount) in &emits {
            self.emit(s, e, amount, to_hop);
        }
        self.emits = emits;
        self.drop_below_min(s, end.dropped, 0);
        if end.residual > 0.0 {
            if end.residual < p.min_amount {
                self.drop_below_min(s, end.residual, 0);
            } else {
                let reason = match (self.forward, node.is_transaction()) {
                    (false, _) => why::ORIGIN,
                    (true, true) => why::FEE,
                    (true, false) => why::UNSPENT,
                };
                self.hold(s, reason, end.residual, h);
            }
        }
    }

    /// Poison keeps no balance: what a swept node received and did not pass on stays there.
    fn finish_poison(&mut self) {
        if self.p.model != TaintModel::Poison {
            return;
        }
        for s in 0..self.states.len() as u32 {
            let st = &self.states[s as usize];
            if !st.swept {
                continue;
            }
            let left = st.received - st.emitted - st.held;
            if left > 0.0 && left >= self.p.min_amount {
                let reason = match (self.forward, st.node.is_transaction()) {
                    (false, _) => why::ORIGIN,
                    (true, true) => why::FEE,
                    (true, false) => why::UNSPENT,
                };
                let hop = st.hop;
                self.hold(s, reason, left, hop);
            }
        }
    }

    fn into_run(self, layers: u32) -> Run {
        let mut cuts = Vec::new();
        for (i, &bound) in BOUNDS.iter().enumerate() {
            let nodes = self.states.iter().filter(|st| st.cut & (1 << i) != 0).count();
            if nodes == 0 {
                continue;
            }
            let share = self
                .flows
                .iter()
                .zip(&self.cut_amounts)
                .map(|(f, c)| if f.seed > 0.0 { c[i] / f.seed } else { 0.0 })
                .fold(0.0, f64::max);
            let limit = match bound {
                Bound::MaxNodes => self.p.limits.max_nodes as u64,
                Bound::MaxEdges => self.p.limits.max_edges as u64,
                Bound::MaxWork => self.p.limits.max_work,
                Bound::MaxHops => u64::from(self.p.max_hops),
            };
            cuts.push(Cut::new(bound, limit, nodes as u64, share));
        }
        Run {
            states: self.states,
            taint: self.taint,
            flows: self.flows,
            work: self.work,
            cuts,
            layers,
        }
    }
}
