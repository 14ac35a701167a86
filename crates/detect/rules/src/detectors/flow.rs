//! Flow-shape detectors over one account's recent flows: rapid pass-through (R2),
//! structuring just under a threshold (R1) and peel chains (R7).

use super::{Detector, Expiry, days, hours};
use crate::config::{PassThroughParams, PeelParams, StructuringParams};
use crate::engine::Batch;
use crate::finding::{Evidence, Finding};
use crate::flows::AssetKey;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug)]
struct Inflow {
    time: u64,
    tx: u64,
    from: u64,
    asset: AssetKey,
    amount: f64,
    left: f64,
    reported: bool,
}

/// A pass-through waiting for the account's silence.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    deadline: u64,
    account: u64,
    inflow: Inflow,
    out_tx: u64,
    out_to: u64,
    out_time: u64,
}

/// `pass_through`.
pub(crate) struct PassThrough {
    p: PassThroughParams,
    inflows: FxHashMap<u64, VecDeque<Inflow>>,
    expiry: Expiry,
    waiting: VecDeque<Candidate>,
    reported: FxHashMap<u64, u64>,
    reported_expiry: Expiry,
}

impl PassThrough {
    pub(crate) fn new(p: PassThroughParams) -> Self {
        Self {
            p,
            inflows: FxHashMap::default(),
            expiry: Expiry::default(),
            waiting: VecDeque::new(),
            reported: FxHashMap::default(),
            reported_expiry: Expiry::default(),
        }
    }

    fn report(&mut self, batch: &Batch<'_, '_>, c: &Candidate, out: &mut Vec<Finding>) {
        let window = hours(self.p.window_hours);
        if self.reported.get(&c.account).is_some_and(|&t| t + window >= c.out_time) {
            return; // one finding per account and window
        }
        self.reported.insert(c.account, c.out_time);
        self.reported_expiry.touch(c.out_time, c.account);
        let inflow = &c.inflow;
        let hours_taken = (c.out_time - inflow.time) as f64 / 3600.0;
        let mut ev = Evidence {
            txs: vec![inflow.tx, c.out_tx],
            addresses: vec![inflow.from, c.out_to],
            ..Default::default()
        };
        ev.add_amount(inflow.asset, inflow.amount);
        ev.figure("share_out", inflow.left / inflow.amount);
        ev.figure("hours", hours_taken);
        let fast = hours_taken < self.p.fast_hours;
        let severity = if fast { up(batch.rule.severity) } else { batch.rule.severity };
        let summary = format!(
            "pass-through: new account ⟨{}⟩ sent on {:.0}% of {} {} received from ⟨{}⟩ within \
             {hours_taken:.2} hours{}",
            c.account,
            100.0 * inflow.left / inflow.amount,
            inflow.amount,
            inflow.asset,
            inflow.from,
            if self.p.quiet_hours > 0.0 { ", then went silent" } else { "" }
        );
        out.push(batch.finding_with(
            severity,
            vec![c.account],
            &format!("{}:{}", c.account, inflow.tx),
            summary,
            ev,
        ));
    }
}

/// One severity step up.
fn up(s: crate::config::Severity) -> crate::config::Severity {
    use crate::config::Severity::{High, Info, Low, Medium, Severe};
    match s {
        Info => Low,
        Low => Medium,
        Medium => High,
        High | Severe => Severe,
    }
}

impl Detector for PassThrough {
    fn before(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let now = batch.batch.time;
        while self.waiting.front().is_some_and(|c| c.deadline < now) {
            let Some(c) = self.waiting.pop_front() else { break };
            let silent = batch.profiles.get(c.account).is_none_or(|p| p.last_seen <= c.out_time);
            if silent {
                self.report(batch, &c, out);
            }
        }
        let window = hours(self.p.window_hours);
        let reported = &mut self.reported;
        self.reported_expiry.expire(now.saturating_sub(window), |id| {
            if reported.get(&id).is_some_and(|&t| t + window < now) {
                reported.remove(&id);
            }
        });
    }

    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let window = hours(self.p.window_hours);
        let fresh = days(self.p.fresh_days);
        let quiet = hours(self.p.quiet_hours);
        let now = batch.batch.time;
        let inflows = &mut self.inflows;
        self.expiry.expire(now.saturating_sub(window), |id| {
            if let Some(list) = inflows.get_mut(&id) {
                list.retain(|i| i.time + window >= now);
                if list.is_empty() {
                    inflows.remove(&id);
                }
            }
        });
        let mut ready = Vec::new();
        for v in batch.views {
            let fl = &v.flow;
            if fl.from == fl.to {
                continue;
            }
            // Outflow of `from`: counts against its recent inflows of the same asset.
            if let Some(list) = self.inflows.get_mut(&fl.from) {
                for inflow in list.iter_mut() {
                    if inflow.asset != fl.asset
                        || inflow.time + window < fl.time
                        || inflow.from == fl.to
                    {
                        continue;
                    }
                    inflow.left += fl.amount;
                    if !inflow.reported && inflow.left >= self.p.min_share * inflow.amount {
                        inflow.reported = true;
                        let c = Candidate {
                            deadline: fl.time + quiet,
                            account: fl.from,
                            inflow: *inflow,
                            out_tx: fl.tx,
                            out_to: fl.to,
                            out_time: fl.time,
                        };
                        if quiet > 0 {
                            self.waiting.push_back(c);
                        } else {
                            ready.push(c);
                        }
                    }
                }
            }
            let new_account = !v.to.known
                || (fl.time.saturating_sub(v.to.first_seen) < fresh
                    && v.to.n_in + v.to.n_out <= self.p.max_prior_txs);
            if new_account && fl.amount > 0.0 && fl.amount >= self.p.min_amount {
                let list = self.inflows.entry(fl.to).or_default();
                if list.len() == self.p.max_tracked {
                    list.pop_front();
                }
                list.push_back(Inflow {
                    time: fl.time,
                    tx: fl.tx,
                    from: fl.from,
                    asset: fl.asset,
                    amount: fl.amount,
                    left: 0.0,
                    reported: false,
                });
                self.expiry.touch(fl.time, fl.to);
            }
        }
        for c in ready {
            self.report(batch, &c, out);
        }
    }
}

/// (time, tx, amount) of one payment in the band.
type Payment = (u64, u64, f64);

/// `structuring`.
pub(crate) struct Structuring {
    p: StructuringParams,
    recent: FxHashMap<(u64, AssetKey), VecDeque<Payment>>,
}

impl Structuring {
    pub(crate) fn new(p: StructuringParams) -> Self {
        Self { p, recent: FxHashMap::default() }
    }
}

impl Detector for Structuring {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let window = days(self.p.window_days);
        let lo = self.p.lower_share * self.p.threshold;
        for v in batch.views {
            let fl = &v.flow;
            if !(fl.amount >= lo && fl.amount < self.p.threshold) {
                continue;
            }
            let list = self.recent.entry((fl.from, fl.asset)).or_default();
            while list.front().is_some_and(|x| x.0 + window < fl.time) {
                list.pop_front();
            }
            list.push_back((fl.time, fl.tx, fl.amount));
            let sum: f64 = list.iter().map(|x| x.2).sum();
            if list.len() >= self.p.min_count && sum >= self.p.threshold {
                let mut ev =
                    Evidence { txs: list.iter().map(|x| x.1).collect(), ..Default::default() };
                ev.add_amount(fl.asset, sum);
                ev.figure("payments", list.len() as f64);
                ev.figure("threshold", self.p.threshold);
                let summary = format!(
                    "structuring: account ⟨{}⟩ made {} payments of {} each just under {} (total {sum}) within {} days",
                    fl.from,
                    list.len(),
                    fl.asset,
                    self.p.threshold,
                    self.p.window_days
                );
                let anchor = format!("{}:{}", fl.from, list.front().map_or(fl.tx, |x| x.1));
                out.push(batch.finding(vec![fl.from], &anchor, summary, ev));
                list.clear();
            }
        }
        // Bounded memory: drop senders whose last payment left the window.
        if self.recent.len() > 100_000 {
            let now = batch.batch.time;
            self.recent.retain(|_, l| l.back().is_some_and(|x| x.0 + window >= now));
        }
    }
}

#[derive(Clone, Debug)]
struct Chain {
    hops: u32,
    last: u64,
    start_tx: u64,
    path: Vec<u64>,
    txs: Vec<u64>,
}

/// `peel_chain`.
pub(crate) struct Peel {
    p: PeelParams,
    ends: FxHashMap<u64, Chain>,
    expiry: Expiry,
}

impl Peel {
    pub(crate) fn new(p: PeelParams) -> Self {
        Self { p, ends: FxHashMap::default(), expiry: Expiry::default() }
    }
}

impl Detector for Peel {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let gap = hours(self.p.max_gap_hours);
        let now = batch.batch.time;
        let ends = &mut self.ends;
        self.expiry.expire(now.saturating_sub(gap), |id| {
            if ends.get(&id).is_some_and(|c| c.last + gap < now) {
                ends.remove(&id);
            }
        });
        // Group the batch's flows by transaction (flows of one transaction are adjacent).
        let views = batch.views;
        let mut i = 0;
        while i < views.len() {
            let tx = views[i].flow.tx;
            let j = views[i..].iter().position(|v| v.flow.tx != tx).map_or(views.len(), |k| i + k);
            let group = &views[i..j];
            i = j;
            let mut inputs: Vec<u64> = group.iter().map(|v| v.flow.from).collect();
            inputs.sort_unstable();
            inputs.dedup();
            let mut outputs: Vec<(u64, f64)> = Vec::new();
            for v in group {
                match outputs.iter_mut().find(|o| o.0 == v.flow.to) {
                    Some(o) => o.1 += v.flow.amount,
                    None => outputs.push((v.flow.to, v.flow.amount)),
                }
            }
            if inputs.len() > 2 || outputs.len() != 2 {
                continue;
            }
            let (small, large) = if outputs[0].1 <= outputs[1].1 {
                (outputs[0], outputs[1])
            } else {
                (outputs[1], outputs[0])
            };
            if large.1 <= 0.0 || small.1 / large.1 > self.p.max_ratio {
                continue;
            }
            let time = group[0].flow.time;
            let prev = inputs
                .iter()
                .filter_map(|a| self.ends.get(a))
                .find(|c| c.last + gap >= time)
                .cloned();
            let mut chain = prev.unwrap_or(Chain {
                hops: 0,
                last: time,
                start_tx: tx,
                path: vec![inputs[0]],
                txs: vec![],
            });
            chain.hops += 1;
            chain.last = time;
            if chain.path.len() < 64 {
                chain.path.push(large.0);
                chain.txs.push(tx);
            }
            if chain.hops == self.p.min_hops {
                let mut ev = Evidence {
                    txs: chain.txs.clone(),
                    paths: vec![chain.path.clone()],
                    ..Default::default()
                };
                ev.figure("hops", f64::from(chain.hops));
                ev.figure("last_ratio", small.1 / large.1);
                let summary = format!(
                    "peel chain: {} consecutive peeling transactions from account ⟨{}⟩, now at ⟨{}⟩",
                    chain.hops, chain.path[0], large.0
                );
                out.push(batch.finding(
                    vec![large.0, chain.path[0]],
                    &format!("{}:{}", chain.start_tx, chain.hops),
                    summary,
                    ev,
                ));
            }
            for a in &inputs {
                self.ends.remove(a);
            }
            self.ends.insert(large.0, chain);
            self.expiry.touch(time, large.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::config::{DetectorConfig, PassThroughParams, PeelParams, StructuringParams};
    use chainward_graph::NodeLabels;

    #[test]
    fn pass_through_fires_and_slow_or_partial_does_not() {
        let l = NodeLabels::new();
        let mut e = engine(DetectorConfig::PassThrough(PassThroughParams::default()));
        let mut found = run(&mut e, &[f(1, 1, 2, 100.0, 0), f(2, 2, 3, 95.0, 600)], &l);
        assert!(found.is_empty(), "waits for the account's silence");
        found.extend(tick(&mut e, 2 * 3600, &l));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, crate::config::Severity::Medium, "under an hour");
        // active again after forwarding: an ordinary account
        let mut e = engine(DetectorConfig::PassThrough(PassThroughParams::default()));
        let flows = [f(1, 1, 2, 100.0, 0), f(2, 2, 3, 95.0, 600), f(3, 9, 2, 5.0, 1200)];
        let mut found = run(&mut e, &flows, &l);
        found.extend(tick(&mut e, 2 * 3600, &l));
        assert!(found.is_empty(), "{found:#?}");
        // an account known before the inflow is not new
        let mut e = engine(DetectorConfig::PassThrough(PassThroughParams::default()));
        let flows = [f(1, 2, 8, 1.0, 0), f(2, 1, 2, 100.0, 60), f(3, 2, 3, 95.0, 600)];
        let mut found = run(&mut e, &flows, &l);
        found.extend(tick(&mut e, 2 * 3600, &l));
        assert!(found.is_empty(), "{found:#?}");
        let mut e = engine(DetectorConfig::PassThrough(PassThroughParams::default()));
        assert!(run(&mut e, &[f(1, 1, 2, 100.0, 0), f(2, 2, 3, 95.0, 2 * DAY)], &l).is_empty());
        let mut e = engine(DetectorConfig::PassThrough(PassThroughParams::default()));
        assert!(run(&mut e, &[f(1, 1, 2, 100.0, 0), f(2, 2, 3, 50.0, 3600)], &l).is_empty());
    }

    #[test]
    fn structuring_fires_under_threshold_only() {
        let l = NodeLabels::new();
        let p = StructuringParams { threshold: 10_000.0, ..Default::default() };
        let mut e = engine(DetectorConfig::Structuring(p.clone()));
        let flows: Vec<_> = (0..3).map(|i| f(i, 1, 10 + i, 9_500.0, i * DAY)).collect();
        assert_eq!(run(&mut e, &flows, &l).len(), 1);
        let mut e = engine(DetectorConfig::Structuring(p));
        let flows: Vec<_> = (0..3).map(|i| f(i, 1, 10 + i, 10_000.0, i * DAY)).collect();
        assert!(run(&mut e, &flows, &l).is_empty());
    }

    #[test]
    fn peel_chain_of_five() {
        let l = NodeLabels::new();
        let mut e = engine(DetectorConfig::PeelChain(PeelParams::default()));
        let mut flows = Vec::new();
        let mut holder = 1u64;
        let mut value = 100.0;
        for hop in 0..5u64 {
            let next = 100 + hop;
            flows.push(f(hop, holder, next, value * 0.95, hop * 3600));
            flows.push(f(hop, holder, 500 + hop, value * 0.04, hop * 3600));
            holder = next;
            value *= 0.95;
        }
        let found = run(&mut e, &flows, &l);
        assert_eq!(found.len(), 1, "{found:#?}");
        // four hops: a near miss
        let mut e = engine(DetectorConfig::PeelChain(PeelParams::default()));
        assert!(run(&mut e, &flows[..8], &l).is_empty());
    }
}
