//! Cycles (R6): funds that go round a directed cycle of accounts inside a window, through
//! transfers most of which are *unusual* (first payment between the two accounts, one of them
//! a low-activity account). See [`crate::config::CycleParams`].
//!
//! State: per account its out-edges of the window (at most `max_edges_per_account`, oldest
//! leave first). Each new flow `u → v` starts one depth-first search from `v` back to `u`
//! over edges of the window, at most `max_length - 1` deep, with at most
//! `max_ordinary_edges` ordinary edges on the whole cycle, and at most `max_visits` edge visits:
//! the work per flow is bounded whatever the graph. A cycle (as a set of accounts) is reported
//! once per window.

use super::routine::Routine;
use super::{Detector, Expiry, days};
use crate::config::CycleParams;
use crate::engine::Batch;
use crate::finding::{Evidence, Finding};
use crate::flows::AssetKey;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug)]
struct Edge {
    time: u64,
    to: u64,
    tx: u64,
    asset: AssetKey,
    amount: f64,
    unusual: bool,
}

pub(crate) struct Cycle {
    p: CycleParams,
    out: FxHashMap<u64, VecDeque<Edge>>,
    /// With relay chains: the same edges by receiver (`Edge::to` is then the sender).
    inc: FxHashMap<u64, VecDeque<Edge>>,
    expiry: Expiry,
    reported: FxHashMap<u64, u64>,
    reported_expiry: Expiry,
    /// With `routine`: the payers' routines, which decide the edges.
    routine: Option<Routine>,
    /// With `routine`: the latest time of a judged edge (windows count back from it, since
    /// judgments come late and batches may skip time).
    frontier: u64,
}

/// The longest simple path from a node over one direction's edges, each hop within
/// `max_gap` of the one before and every edge inside one `window`.
struct Walk<'s> {
    adj: &'s FxHashMap<u64, VecDeque<Edge>>,
    max_gap: u64,
    window: u64,
    visits: usize,
    max_visits: usize,
    path: Vec<(u64, Edge)>,
    best: Vec<(u64, Edge)>,
}

impl Walk<'_> {
    fn dfs(&mut self, node: u64, prev: u64, lo: u64, hi: u64, exclude: &[u64], depth: usize) {
        if self.path.len() > self.best.len() {
            self.best = self.path.clone();
        }
        if depth == 0 || self.visits >= self.max_visits {
            return;
        }
        let Some(edges) = self.adj.get(&node) else { return };
        for e in edges.iter().rev() {
            self.visits += 1;
            if self.visits >= self.max_visits {
                return;
            }
            let (lo, hi) = (lo.min(e.time), hi.max(e.time));
            if e.time.abs_diff(prev) > self.max_gap || hi - lo > self.window {
                continue;
            }
            if e.to == node || exclude.contains(&e.to) || self.path.iter().any(|(n, _)| *n == e.to)
            {
                continue;
            }
            self.path.push((node, *e));
            self.dfs(e.to, e.time, lo, hi, exclude, depth - 1);
            self.path.pop();
        }
    }
}

struct Search<'s> {
    out: &'s FxHashMap<u64, VecDeque<Edge>>,
    target: u64,
    since: u64,
    max_edges: usize,
    visits: usize,
    max_visits: usize,
    path: Vec<(u64, Edge)>,
    found: Vec<Vec<(u64, Edge)>>,
    /// Hops must follow each other in time.
    temporal: bool,
    /// Each hop carries at least this share of the previous one.
    hop_share: f64,
    /// The closing flow's amount (the last hop of the cycle).
    close_amount: f64,
}

impl Search<'_> {
    fn dfs(&mut self, node: u64, ordinary_left: usize) {
        if self.found.len() >= 4
            || self.visits >= self.max_visits
            || self.path.len() >= self.max_edges
        {
            return;
        }
        let Some(edges) = self.out.get(&node) else { return };
        for e in edges.iter().rev() {
            self.visits += 1;
            if self.visits >= self.max_visits {
                return;
            }
            let prev = self.path.last().map(|(_, p)| *p);
            if e.time < self.since || (self.temporal && prev.is_some_and(|p| e.time < p.time)) {
                break; // edges are in time order: the rest are older
            }
            let cost = usize::from(!e.unusual);
            if cost > ordinary_left {
                continue;
            }
            if self.hop_share > 0.0 && prev.is_some_and(|p| e.amount < self.hop_share * p.amount) {
                continue;
            }
            if e.to == self.target {
                if self.hop_share > 0.0 && self.close_amount < self.hop_share * e.amount {
                    continue;
                }
                self.path.push((node, *e));
                self.found.push(self.path.clone());
                self.path.pop();
                continue;
            }
            if e.to == node || self.path.iter().any(|(n, _)| *n == e.to) {
                continue;
            }
            self.path.push((node, *e));
            self.dfs(e.to, ordinary_left - cost);
            self.path.pop();
        }
    }
}

impl Cycle {
    pub(crate) fn new(p: CycleParams) -> Self {
        Self {
            routine: p.routine.clone().map(Routine::new),
            p,
            out: FxHashMap::default(),
            inc: FxHashMap::default(),
            frontier: 0,
            expiry: Expiry::default(),
            reported: FxHashMap::default(),
            reported_expiry: Expiry::default(),
        }
    }

    fn insert(&mut self, from: u64, edge: Edge) {
        let cap = self.p.max_edges_per_account;
        let push = |list: &mut VecDeque<Edge>, e: Edge| {
            if list.len() == cap {
                list.pop_front();
            }
            list.push_back(e);
        };
        push(self.out.entry(from).or_default(), edge);
        self.expiry.touch(edge.time, from);
        if self.p.min_chain > 0 {
            push(self.inc.entry(edge.to).or_default(), Edge { to: from, ..edge });
            self.expiry.touch(edge.time, edge.to);
        }
    }

    /// Whether `nodes` (as a set) was reported in the window as this shape (a ring, or a chain
    /// that may close into a ring later); marks it reported if not.
    fn first_report(&mut self, nodes: &[u64], t: u64, chain: bool) -> Option<u64> {
        let sig = signature(nodes) ^ if chain { 0x5eed_c4a1_0000_0001 } else { 0 };
        if self.reported.contains_key(&sig) {
            return None;
        }
        self.reported.insert(sig, t);
        self.reported_expiry.touch(t, sig);
        Some(sig)
    }

    /// Looks for cycles that the new edge `u → edge.to` closes and reports the new ones;
    /// returns whether any cycle was found (reported before or not).
    fn close(&mut self, batch: &Batch<'_, '_>, u: u64, edge: Edge, out: &mut Vec<Finding>) -> bool {
        let t = edge.time;
        let cost = usize::from(!edge.unusual);
        let mut search = Search {
            out: &self.out,
            target: u,
            since: t.saturating_sub(days(self.p.window_days)),
            max_edges: self.p.max_length - 1,
            visits: 0,
            max_visits: self.p.max_visits,
            path: Vec::new(),
            found: Vec::new(),
            temporal: self.p.temporal,
            hop_share: self.p.min_hop_share,
            close_amount: edge.amount,
        };
        search.dfs(edge.to, self.p.max_ordinary_edges - cost);
        let found = std::mem::take(&mut search.found);
        let any = !found.is_empty();
        for path in found {
            let mut nodes = vec![u];
            nodes.extend(path.iter().map(|(n, _)| *n));
            if nodes.len() < self.p.min_length {
                continue;
            }
            let Some(sig) = self.first_report(&nodes, t, false) else { continue };
            let mut evidence = Evidence::default();
            evidence.txs.push(edge.tx);
            evidence.add_amount(edge.asset, edge.amount);
            let mut first = t;
            let mut ordinary = cost;
            for (_, e) in &path {
                evidence.txs.push(e.tx);
                evidence.add_amount(e.asset, e.amount);
                first = first.min(e.time);
                ordinary += usize::from(!e.unusual);
            }
            let mut closed = nodes.clone();
            closed.push(u);
            evidence.paths.push(closed);
            let span = (t - first) as f64 / 86_400.0;
            evidence.figure("length", nodes.len() as f64);
            evidence.figure("span_days", span);
            evidence.figure("ordinary_edges", ordinary as f64);
            let summary = if self.routine.is_some() {
                format!(
                    "cycle: funds went round {} accounts in {span:.0} days, closing at account \
                     ⟨{u}⟩, every transfer off its payer's own routine",
                    nodes.len()
                )
            } else {
                format!(
                    "cycle: funds went round {} accounts in {span:.0} days, closing at account \
                     ⟨{u}⟩ ({ordinary} of the transfers between established accounts)",
                    nodes.len()
                )
            };
            out.push(batch.finding(nodes, &format!("{sig:016x}:{}", edge.tx), summary, evidence));
        }
        any
    }

    /// Looks for a relay chain through the new edge `u → edge.to` (the longest path on each
    /// side of it) and reports it when it has at least `min_chain` transfers.
    fn chain(&mut self, batch: &Batch<'_, '_>, u: u64, edge: Edge, out: &mut Vec<Finding>) {
        let max_edges = self.p.max_length.saturating_sub(1);
        if max_edges == 0 {
            return;
        }
        let mut walk = Walk {
            adj: &self.out,
            max_gap: days(self.p.max_hop_gap_days),
            window: days(self.p.window_days),
            visits: 0,
            max_visits: self.p.max_visits,
            path: Vec::new(),
            best: Vec::new(),
        };
        walk.dfs(edge.to, edge.time, edge.time, edge.time, &[u], max_edges - 1);
        let forward = std::mem::take(&mut walk.best);
        let mut used = vec![u, edge.to];
        used.extend(forward.iter().map(|(_, e)| e.to));
        let lo = forward.iter().map(|(_, e)| e.time).fold(edge.time, u64::min);
        let hi = forward.iter().map(|(_, e)| e.time).fold(edge.time, u64::max);
        let mut walk = Walk { adj: &self.inc, visits: 0, ..walk };
        walk.dfs(u, edge.time, lo, hi, &used, max_edges - 1 - forward.len());
        let backward = walk.best;
        let hops = 1 + forward.len() + backward.len();
        if hops < self.p.min_chain {
            return;
        }
        // backward holds (receiver, edge whose `to` is the sender), walking away from u
        let mut nodes: Vec<u64> = backward.iter().rev().map(|(_, e)| e.to).collect();
        nodes.extend([u, edge.to]);
        nodes.extend(forward.iter().map(|(_, e)| e.to));
        let Some(sig) = self.first_report(&nodes, edge.time, true) else { return };
        let mut evidence = Evidence::default();
        let this = (u, edge);
        let edges = backward.iter().rev().chain(std::iter::once(&this)).chain(&forward);
        let (mut first, mut last) = (edge.time, edge.time);
        for (_, e) in edges {
            evidence.txs.push(e.tx);
            evidence.add_amount(e.asset, e.amount);
            first = first.min(e.time);
            last = last.max(e.time);
        }
        evidence.paths.push(nodes.clone());
        let span = (last - first) as f64 / 86_400.0;
        evidence.figure("length", nodes.len() as f64);
        evidence.figure("span_days", span);
        let (start, end) = (nodes[0], nodes[nodes.len() - 1]);
        let summary = format!(
            "relay chain (an open cycle): funds passed along {} accounts from ⟨{start}⟩ to \
             ⟨{end}⟩ within {span:.0} days, every transfer off its payer's own routine",
            nodes.len()
        );
        out.push(batch.finding(nodes, &format!("{sig:016x}:{}", edge.tx), summary, evidence));
    }
}

fn signature(nodes: &[u64]) -> u64 {
    let mut sorted = nodes.to_vec();
    sorted.sort_unstable();
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for n in sorted {
        for b in n.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

impl Detector for Cycle {
    fn before(&mut self, batch: &Batch<'_, '_>, _out: &mut Vec<Finding>) {
        let window = days(self.p.window_days);
        // Off-routine edges are judged late: their window counts back from the latest one.
        let now = if self.routine.is_some() { self.frontier } else { batch.batch.time };
        let horizon = now.saturating_sub(window);
        let (out, inc) = (&mut self.out, &mut self.inc);
        self.expiry.expire(horizon, |node| {
            for map in [&mut *out, &mut *inc] {
                if let Some(list) = map.get_mut(&node) {
                    while list.front().is_some_and(|e| e.time < horizon) {
                        list.pop_front();
                    }
                    if list.is_empty() {
                        map.remove(&node);
                    }
                }
            }
        });
        let reported = &mut self.reported;
        self.reported_expiry.expire(horizon, |sig| {
            if reported.get(&sig).is_some_and(|&t| t < horizon) {
                reported.remove(&sig);
            }
        });
    }

    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        if let Some(routine) = self.routine.as_mut() {
            routine.record(batch.views);
            for x in routine.judge(batch.batch.time) {
                self.frontier = self.frontier.max(x.time);
                let edge = Edge {
                    time: x.time,
                    to: x.to,
                    tx: x.tx,
                    asset: x.asset,
                    amount: x.amount,
                    unusual: true,
                };
                self.insert(x.from, edge);
                if !self.close(batch, x.from, edge, out) && self.p.min_chain > 0 {
                    self.chain(batch, x.from, edge, out);
                }
            }
            return;
        }
        let activity = days(self.p.activity_days);
        for v in batch.views {
            let (u, w) = (v.flow.from, v.flow.to);
            if u == w {
                continue;
            }
            let t = v.flow.time;
            let since = t.saturating_sub(activity);
            let low =
                |s: &crate::engine::Snapshot| s.activity_since(since) <= self.p.low_activity_max;
            let unusual = v.pair_new && (low(&v.from) || low(&v.to));
            let edge = Edge {
                time: t,
                to: w,
                tx: v.flow.tx,
                asset: v.flow.asset,
                amount: v.flow.amount,
                unusual,
            };
            self.insert(u, edge);
            if usize::from(!unusual) > self.p.max_ordinary_edges {
                continue;
            }
            self.close(batch, u, edge, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::config::{CycleParams, DetectorConfig};
    use chainward_graph::NodeLabels;

    #[test]
    fn fresh_cycle_fires_once() {
        let labels = NodeLabels::new();
        let mut e = engine(DetectorConfig::Cycle(CycleParams::default()));
        let flows = vec![
            f(1, 1, 2, 100.0, 10 * DAY),
            f(2, 2, 3, 90.0, 11 * DAY),
            f(3, 3, 4, 81.0, 12 * DAY),
            f(4, 4, 1, 73.0, 14 * DAY),
        ];
        let found = run(&mut e, &flows, &labels);
        assert_eq!(found.len(), 1, "{found:#?}");
        let mut s = found[0].subjects.clone();
        s.sort_unstable();
        assert_eq!(s, vec![1, 2, 3, 4]);
        // closing it again does not repeat the finding
        let again = run(&mut e, &[f(5, 4, 1, 5.0, 15 * DAY)], &labels);
        assert!(again.is_empty());
    }

    #[test]
    fn live_defaults_want_time_order_and_conserved_value() {
        let labels = NodeLabels::new();
        // out of time order round the ring: not funds returning
        let mut e = engine(DetectorConfig::Cycle(CycleParams::default()));
        let flows = vec![
            f(1, 2, 3, 100.0, 10 * DAY),
            f(2, 1, 2, 100.0, 11 * DAY),
            f(3, 3, 1, 100.0, 12 * DAY),
        ];
        assert!(run(&mut e, &flows, &labels).is_empty());
        // value not conserved
        let mut e = engine(DetectorConfig::Cycle(CycleParams::default()));
        let flows = vec![
            f(1, 1, 2, 100.0, 10 * DAY),
            f(2, 2, 3, 30.0, 11 * DAY),
            f(3, 3, 1, 29.0, 12 * DAY),
        ];
        assert!(run(&mut e, &flows, &labels).is_empty());
        // the AMLSim profile takes both
        let p = CycleParams { temporal: false, min_hop_share: 0.0, ..CycleParams::default() };
        let mut e = engine(DetectorConfig::Cycle(p));
        assert_eq!(run(&mut e, &flows, &labels).len(), 1);
    }

    #[test]
    fn near_misses_do_not_fire() {
        let labels = NodeLabels::new();
        // too slow: closes after the window
        let mut e = engine(DetectorConfig::Cycle(CycleParams::default()));
        let slow = vec![f(1, 1, 2, 1.0, 0), f(2, 2, 3, 1.0, 20 * DAY), f(3, 3, 1, 1.0, 40 * DAY)];
        assert!(run(&mut e, &slow, &labels).is_empty());
        // busy accounts paying each other in a ring: ordinary edges
        let mut e = engine(DetectorConfig::Cycle(CycleParams::default()));
        let mut flows = Vec::new();
        let mut tx = 0;
        for d in 0..30u64 {
            for a in 1..=3u64 {
                tx += 1;
                flows.push(f(tx, a, 10 + a * 10 + d, 1.0, d * DAY)); // lots of activity
            }
        }
        flows.extend([
            f(900, 1, 2, 1.0, 30 * DAY),
            f(901, 2, 3, 1.0, 31 * DAY),
            f(902, 3, 1, 1.0, 32 * DAY),
        ]);
        assert!(run(&mut e, &flows, &labels).is_empty());
    }

    /// Accounts 1..=5 each pay a new payee every Monday for 20 weeks (their routine).
    fn routines(tx: &mut u64) -> Vec<crate::flows::Flow> {
        let mut flows = Vec::new();
        for week in 0..20u64 {
            for a in 1..=5u64 {
                *tx += 1;
                flows.push(f(*tx, a, 10_000 + a * 100 + week, 10.0, week * 7 * DAY));
            }
        }
        flows
    }

    fn routine_cycle() -> CycleParams {
        CycleParams {
            max_length: 10,
            temporal: false,
            min_hop_share: 0.0,
            routine: Some(crate::config::RoutineParams::default()),
            min_chain: 3,
            ..CycleParams::default()
        }
    }

    #[test]
    fn off_routine_relays_form_a_chain_and_a_ring() {
        let mut tx = 0;
        let mut flows = routines(&mut tx);
        // three off-routine hops, mid-week, out of time order: 1 → 2 → 3 → 4
        flows.extend([
            f(901, 2, 3, 5.0, 73 * DAY),
            f(900, 1, 2, 5.0, 75 * DAY),
            f(902, 3, 4, 5.0, 80 * DAY),
        ]);
        let found = run_until(DetectorConfig::Cycle(routine_cycle()), &flows, 400 * DAY);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].subjects, vec![1, 2, 3, 4]);
        assert!(found[0].summary.starts_with("relay chain"), "{}", found[0].summary);
        let mut txs = found[0].evidence.txs.clone();
        txs.sort_unstable();
        assert_eq!(txs, vec![900, 901, 902]);

        // two hops are not a chain of three
        let found =
            run_until(DetectorConfig::Cycle(routine_cycle()), &flows[..flows.len() - 1], 400 * DAY);
        assert!(found.is_empty(), "{found:#?}");

        // closing the ring 4 → 1 makes it a cycle of four
        flows.push(f(903, 4, 1, 5.0, 81 * DAY));
        let found = run_until(DetectorConfig::Cycle(routine_cycle()), &flows, 400 * DAY);
        assert!(
            found.iter().any(|x| x.summary.starts_with("cycle") && x.subjects.len() == 4),
            "{found:#?}"
        );
    }

    #[test]
    fn transfers_on_the_payers_routine_make_no_chain() {
        let mut tx = 0;
        let mut flows = routines(&mut tx);
        // the same hops, each on its payer's Monday in place of the usual payee
        flows.retain(|x| !(x.time == 70 * DAY && (1..=3).contains(&x.from)));
        flows.extend([
            f(900, 1, 2, 5.0, 70 * DAY),
            f(901, 2, 3, 5.0, 70 * DAY),
            f(902, 3, 4, 5.0, 70 * DAY),
        ]);
        let found = run_until(DetectorConfig::Cycle(routine_cycle()), &flows, 400 * DAY);
        assert!(found.is_empty(), "{found:#?}");
    }
}
