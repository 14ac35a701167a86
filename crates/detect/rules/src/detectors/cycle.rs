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
    expiry: Expiry,
    reported: FxHashMap<u64, u64>,
    reported_expiry: Expiry,
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
            p,
            out: FxHashMap::default(),
            expiry: Expiry::default(),
            reported: FxHashMap::default(),
            reported_expiry: Expiry::default(),
        }
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
        let now = batch.batch.time;
        let horizon = now.saturating_sub(window);
        let out = &mut self.out;
        self.expiry.expire(horizon, |node| {
            if let Some(list) = out.get_mut(&node) {
                while list.front().is_some_and(|e| e.time < horizon) {
                    list.pop_front();
                }
                if list.is_empty() {
                    out.remove(&node);
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
        let window = days(self.p.window_days);
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
            let list = self.out.entry(u).or_default();
            if list.len() == self.p.max_edges_per_account {
                list.pop_front();
            }
            list.push_back(edge);
            self.expiry.touch(t, u);
            let cost = usize::from(!unusual);
            if cost > self.p.max_ordinary_edges {
                continue;
            }
            let mut search = Search {
                out: &self.out,
                target: u,
                since: t.saturating_sub(window),
                max_edges: self.p.max_length - 1,
                visits: 0,
                max_visits: self.p.max_visits,
                path: Vec::new(),
                found: Vec::new(),
                temporal: self.p.temporal,
                hop_share: self.p.min_hop_share,
                close_amount: v.flow.amount,
            };
            search.dfs(w, self.p.max_ordinary_edges - cost);
            for path in search.found {
                let mut nodes = vec![u];
                nodes.extend(path.iter().map(|(n, _)| *n));
                if nodes.len() < self.p.min_length {
                    continue;
                }
                let sig = signature(&nodes);
                if self.reported.contains_key(&sig) {
                    continue;
                }
                self.reported.insert(sig, t);
                self.reported_expiry.touch(t, sig);
                let mut evidence = Evidence::default();
                evidence.txs.push(v.flow.tx);
                evidence.add_amount(v.flow.asset, v.flow.amount);
                let mut first = t;
                let mut ordinary = usize::from(!unusual);
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
                let summary = format!(
                    "cycle: funds went round {} accounts in {span:.0} days, closing at account \
                     ⟨{u}⟩ ({ordinary} of the transfers between established accounts)",
                    nodes.len()
                );
                out.push(batch.finding(
                    nodes,
                    &format!("{sig:016x}:{}", v.flow.tx),
                    summary,
                    evidence,
                ));
            }
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
}
