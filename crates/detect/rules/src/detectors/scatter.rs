//! Scatter-gather and gather-scatter (R5).
//!
//! - Scatter-gather: a source pays at least k intermediaries, each of which passes about the
//!   same amount (within `amount_margin`) to one sink, inside the window.
//! - Gather-scatter: an account receives from at least k fresh sources and pays at least k
//!   fresh sinks inside the window (fresh: see `ScatterParams::fresh_days`).

use super::{Detector, Expiry, days};
use crate::config::ScatterParams;
use crate::engine::Batch;
use crate::finding::{Evidence, Finding};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

fn distinct(list: &VecDeque<Touch>) -> Vec<u64> {
    let mut v: Vec<u64> = list.iter().map(|x| x.1).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// (time, counterparty, tx).
type Touch = (u64, u64, u64);
/// Sources, sinks, and the time of the last finding (0: none).
type Sides = (VecDeque<Touch>, VecDeque<Touch>, u64);
/// (time, intermediary, tx in, tx out) per (source, sink), and the last finding time.
type Pair = (VecDeque<(u64, u64, u64, u64)>, u64);

/// `gather_scatter`.
pub(crate) struct GatherScatter {
    p: ScatterParams,
    /// Per account: (time, counterparty, tx) of sources and of sinks.
    sides: FxHashMap<u64, Sides>,
    expiry: Expiry,
}

impl GatherScatter {
    pub(crate) fn new(p: ScatterParams) -> Self {
        Self { p, sides: FxHashMap::default(), expiry: Expiry::default() }
    }
}

impl Detector for GatherScatter {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let window = days(self.p.window_days);
        let now = batch.batch.time;
        let sides = &mut self.sides;
        self.expiry.expire(now.saturating_sub(window), |id| {
            if sides.get(&id).is_some_and(|s| {
                s.0.back().is_none_or(|x| x.0 + window < now)
                    && s.1.back().is_none_or(|x| x.0 + window < now)
            }) {
                sides.remove(&id);
            }
        });
        for v in batch.views {
            let fl = &v.flow;
            if fl.from == fl.to {
                continue;
            }
            let fresh = |s: &crate::engine::Snapshot| {
                self.p.fresh_days == 0.0
                    || !s.known
                    || (fl.time.saturating_sub(s.first_seen) < days(self.p.fresh_days)
                        && s.n_in + s.n_out <= self.p.max_prior_txs)
            };
            let (from_fresh, to_fresh) = (fresh(&v.from), fresh(&v.to));
            for (hub, other, sink) in [(fl.to, fl.from, false), (fl.from, fl.to, true)] {
                if (sink && !to_fresh) || (!sink && !from_fresh) {
                    continue;
                }
                let entry =
                    self.sides.entry(hub).or_insert_with(|| (VecDeque::new(), VecDeque::new(), 0));
                let list = if sink { &mut entry.1 } else { &mut entry.0 };
                while list.front().is_some_and(|x| x.0 + window < fl.time) {
                    list.pop_front();
                }
                if list.len() == self.p.max_tracked {
                    list.pop_front();
                }
                list.push_back((fl.time, other, fl.tx));
                self.expiry.touch(fl.time, hub);
                if !sink {
                    continue;
                }
                let (sources, sinks) = (distinct(&entry.0), distinct(&entry.1));
                let k = self.p.min_branches;
                if sources.len() >= k
                    && sinks.len() >= k
                    && (entry.2 == 0 || entry.2 + window < fl.time)
                {
                    entry.2 = fl.time.max(1);
                    let mut ev = Evidence::default();
                    ev.txs.extend(entry.0.iter().chain(entry.1.iter()).map(|x| x.2));
                    ev.addresses.extend(sources.iter().chain(sinks.iter()));
                    ev.figure("sources", sources.len() as f64);
                    ev.figure("sinks", sinks.len() as f64);
                    let summary = format!(
                        "gather-scatter: account ⟨{hub}⟩ received from {} sources and paid {} sinks within {} days",
                        sources.len(),
                        sinks.len(),
                        self.p.window_days
                    );
                    out.push(batch.finding(vec![hub], &format!("{hub}:{}", fl.tx), summary, ev));
                }
            }
        }
    }
}

/// `scatter_gather`.
pub(crate) struct ScatterGather {
    p: ScatterParams,
    /// Per intermediary: recent inflows (time, source, tx, amount).
    inflows: FxHashMap<u64, VecDeque<(u64, u64, u64, f64)>>,
    /// Per (source, sink): intermediaries seen (time, intermediary, tx in, tx out).
    pairs: FxHashMap<(u64, u64), Pair>,
    expiry: Expiry,
}

impl ScatterGather {
    pub(crate) fn new(p: ScatterParams) -> Self {
        Self {
            p,
            inflows: FxHashMap::default(),
            pairs: FxHashMap::default(),
            expiry: Expiry::default(),
        }
    }
}

impl Detector for ScatterGather {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let window = days(self.p.window_days);
        let now = batch.batch.time;
        let inflows = &mut self.inflows;
        self.expiry.expire(now.saturating_sub(window), |id| {
            if inflows.get(&id).is_some_and(|l| l.back().is_none_or(|x| x.0 + window < now)) {
                inflows.remove(&id);
            }
        });
        if self.pairs.len() > 4 * self.p.max_tracked.max(1024) {
            self.pairs.retain(|_, (l, _)| l.back().is_some_and(|x| x.0 + window >= now));
        }
        for v in batch.views {
            let fl = &v.flow;
            if fl.from == fl.to {
                continue;
            }
            // fl.from as intermediary passing on to sink fl.to
            if let Some(list) = self.inflows.get(&fl.from) {
                for &(t, source, tx_in, amount) in list.iter() {
                    if t + window < fl.time || source == fl.to || amount <= 0.0 {
                        continue;
                    }
                    if (fl.amount - amount).abs() > self.p.amount_margin * amount
                        || fl.amount > amount
                    {
                        continue;
                    }
                    let entry =
                        self.pairs.entry((source, fl.to)).or_insert_with(|| (VecDeque::new(), 0));
                    while entry.0.front().is_some_and(|x| x.0 + window < fl.time) {
                        entry.0.pop_front();
                    }
                    if entry.0.iter().any(|x| x.1 == fl.from) {
                        continue;
                    }
                    entry.0.push_back((fl.time, fl.from, tx_in, fl.tx));
                    if entry.0.len() >= self.p.min_branches
                        && (entry.1 == 0 || entry.1 + window < fl.time)
                    {
                        entry.1 = fl.time.max(1);
                        let mids: Vec<u64> = entry.0.iter().map(|x| x.1).collect();
                        let mut ev = Evidence::default();
                        for x in &entry.0 {
                            ev.txs.extend([x.2, x.3]);
                            ev.paths.push(vec![source, x.1, fl.to]);
                        }
                        ev.addresses = mids.clone();
                        ev.figure("intermediaries", mids.len() as f64);
                        let summary = format!(
                            "scatter-gather: ⟨{source}⟩ paid {} intermediaries that passed the funds on to ⟨{}⟩ within {} days",
                            mids.len(),
                            fl.to,
                            self.p.window_days
                        );
                        let mut subjects = vec![source, fl.to];
                        subjects.extend(mids);
                        out.push(batch.finding(
                            subjects,
                            &format!("{source}:{}:{}", fl.to, fl.tx),
                            summary,
                            ev,
                        ));
                    }
                }
            }
            let list = self.inflows.entry(fl.to).or_default();
            while list.front().is_some_and(|x| x.0 + window < fl.time) {
                list.pop_front();
            }
            if list.len() == self.p.max_tracked {
                list.pop_front();
            }
            list.push_back((fl.time, fl.from, fl.tx, fl.amount));
            self.expiry.touch(fl.time, fl.to);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::config::{DetectorConfig, ScatterParams};
    use chainward_graph::NodeLabels;

    #[test]
    fn scatter_gather_fires_with_three_and_not_two() {
        let l = NodeLabels::new();
        let mut flows = Vec::new();
        for (i, m) in [10u64, 11, 12].into_iter().enumerate() {
            flows.push(f(i as u64, 1, m, 100.0, DAY));
            flows.push(f(10 + i as u64, m, 2, 95.0, 2 * DAY));
        }
        let mut e = engine(DetectorConfig::ScatterGather(ScatterParams::default()));
        let found = run(&mut e, &flows, &l);
        assert_eq!(found.len(), 1, "{found:#?}");
        let mut e = engine(DetectorConfig::ScatterGather(ScatterParams::default()));
        let two: Vec<_> = flows.iter().filter(|f| f.from != 12 && f.to != 12).copied().collect();
        assert!(run(&mut e, &two, &l).is_empty());
    }

    #[test]
    fn gather_scatter_needs_both_sides() {
        let l = NodeLabels::new();
        let mut flows: Vec<_> = (0..3).map(|i| f(i, 10 + i, 1, 10.0, DAY)).collect();
        flows.extend((0..3).map(|i| f(10 + i, 1, 20 + i, 10.0, 2 * DAY)));
        let mut e = engine(DetectorConfig::GatherScatter(ScatterParams::default()));
        assert_eq!(run(&mut e, &flows, &l).len(), 1);
        let mut e = engine(DetectorConfig::GatherScatter(ScatterParams::default()));
        assert!(run(&mut e, &flows[..5], &l).is_empty());
    }
}
