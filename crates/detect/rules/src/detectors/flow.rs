//! Flow-shape detectors over one account's recent flows: rapid pass-through (R2),
//! structuring just under a threshold (R1) and peel chains (R7).

use super::labels::service_name;
use super::{Detector, Expiry, days, hours};
use crate::config::{PassThroughParams, PeelParams, StructuringParams};
use crate::engine::Batch;
use crate::finding::{Evidence, Finding};
use crate::flows::AssetKey;
use chainward_graph::CategorySet;
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

/// A payment of a peel chain into a cash-out service.
#[derive(Clone, Copy, Debug)]
struct Deposit {
    tx: u64,
    to: u64,
    asset: AssetKey,
    amount: f64,
}

/// Deposits kept per chain before it is recognised; later ones are reported at once.
const MAX_PENDING_DEPOSITS: usize = 64;
/// Addresses and transactions kept on a chain's path for the evidence.
const MAX_PATH: usize = 64;

#[derive(Clone, Debug)]
struct Chain {
    hops: u32,
    last: u64,
    start_tx: u64,
    path: Vec<u64>,
    txs: Vec<u64>,
    /// Cash-out deposits seen before the chain had `min_hops` hops.
    pending: Vec<Deposit>,
}

impl Chain {
    /// Keeps the deposits of a chain not yet recognised, up to [`MAX_PENDING_DEPOSITS`].
    fn hold(&mut self, deposits: Vec<Deposit>) {
        let room = MAX_PENDING_DEPOSITS.saturating_sub(self.pending.len());
        self.pending.extend(deposits.into_iter().take(room));
    }
}

/// `peel_chain`.
pub(crate) struct Peel {
    p: PeelParams,
    cashout: CategorySet,
    ends: FxHashMap<u64, Chain>,
    expiry: Expiry,
}

impl Peel {
    pub(crate) fn new(p: PeelParams) -> Self {
        let cashout = CategorySet::of_all(&p.cashout_categories);
        Self { p, cashout, ends: FxHashMap::default(), expiry: Expiry::default() }
    }

    /// The payments among `outputs` into a cash-out service.
    fn deposits(&self, batch: &Batch<'_, '_>, tx: u64, outputs: &[Output]) -> Vec<Deposit> {
        outputs
            .iter()
            .filter(|o| self.is_cashout(batch, o.to))
            .map(|o| Deposit { tx, to: o.to, asset: o.asset, amount: o.amount })
            .collect()
    }

    fn is_cashout(&self, batch: &Batch<'_, '_>, id: u64) -> bool {
        batch.context.categories(id).intersects(self.cashout)
    }

    fn recognised(&self, chain: &Chain) -> bool {
        chain.hops >= self.p.min_hops
    }

    /// The finding for one cash-out deposit of a recognised chain.
    fn cashout_finding(&self, batch: &Batch<'_, '_>, chain: &Chain, d: &Deposit) -> Finding {
        let mut ev = Evidence {
            txs: vec![d.tx],
            addresses: vec![d.to],
            paths: vec![chain.path.clone()],
            ..Default::default()
        };
        ev.add_amount(d.asset, d.amount);
        ev.figure("hops", f64::from(chain.hops));
        let summary = format!(
            "peel chain cash-out: {} {} deposited into {} from the peel chain that left account \
             ⟨{}⟩ ({} hops so far)",
            d.amount,
            d.asset,
            service_name(batch, d.to),
            chain.path[0],
            chain.hops
        );
        batch.finding_with(
            up(batch.rule.severity),
            vec![d.to, chain.path[0]],
            &format!("cashout:{}:{}", d.tx, d.to),
            summary,
            ev,
        )
    }

    /// The finding for a chain that has just reached `min_hops` hops.
    fn chain_finding(&self, batch: &Batch<'_, '_>, chain: &Chain, end: u64, ratio: f64) -> Finding {
        let mut ev = Evidence {
            txs: chain.txs.clone(),
            paths: vec![chain.path.clone()],
            addresses: chain.pending.iter().map(|d| d.to).collect(),
            ..Default::default()
        };
        ev.figure("hops", f64::from(chain.hops));
        ev.figure("last_ratio", ratio);
        ev.figure("cashouts", chain.pending.len() as f64);
        let mut summary = format!(
            "peel chain: {} consecutive peeling transactions from account ⟨{}⟩, now at ⟨{end}⟩",
            chain.hops, chain.path[0]
        );
        if !chain.pending.is_empty() {
            summary.push_str(&format!(
                ", {} deposit(s) into cash-out services on the way",
                chain.pending.len()
            ));
        }
        batch.finding(
            vec![end, chain.path[0]],
            &format!("{}:{}", chain.start_tx, chain.hops),
            summary,
            ev,
        )
    }
}

/// The summed payment of one transaction to one address.
#[derive(Clone, Copy, Debug)]
struct Output {
    to: u64,
    asset: AssetKey,
    amount: f64,
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
            let time = group[0].flow.time;
            let mut inputs: Vec<u64> = group.iter().map(|v| v.flow.from).collect();
            inputs.sort_unstable();
            inputs.dedup();
            let mut outputs: Vec<Output> = Vec::new();
            for v in group {
                match outputs.iter_mut().find(|o| o.to == v.flow.to) {
                    Some(o) => o.amount += v.flow.amount,
                    None => outputs.push(Output {
                        to: v.flow.to,
                        asset: v.flow.asset,
                        amount: v.flow.amount,
                    }),
                }
            }
            let live = |ends: &FxHashMap<u64, Chain>, a: &u64| {
                ends.get(a).is_some_and(|c| c.last + gap >= time)
            };
            let peeling = (inputs.len() <= 2 && outputs.len() == 2).then(|| {
                if outputs[0].amount <= outputs[1].amount {
                    (outputs[0], outputs[1])
                } else {
                    (outputs[1], outputs[0])
                }
            });
            let peeling = peeling.filter(|(small, large)| {
                large.amount > 0.0 && small.amount / large.amount <= self.p.max_ratio
            });
            let Some((small, large)) = peeling else {
                // Not a peel, but the chain's holder may be paying a service directly.
                if let Some(end) = inputs.iter().copied().find(|a| live(&self.ends, a)) {
                    let deposits = self.deposits(batch, tx, &outputs);
                    let chain = &self.ends[&end];
                    if self.recognised(chain) {
                        out.extend(deposits.iter().map(|d| self.cashout_finding(batch, chain, d)));
                    } else if let Some(chain) = self.ends.get_mut(&end) {
                        chain.hold(deposits);
                    }
                }
                continue;
            };
            let prev = inputs.iter().find(|a| live(&self.ends, a)).and_then(|a| self.ends.get(a));
            let mut chain = prev.cloned().unwrap_or(Chain {
                hops: 0,
                last: time,
                start_tx: tx,
                path: vec![inputs[0]],
                txs: vec![],
                pending: vec![],
            });
            chain.hops += 1;
            chain.last = time;
            if chain.path.len() < MAX_PATH {
                chain.path.push(large.to);
                chain.txs.push(tx);
            }
            let deposits = self.deposits(batch, tx, &[small, large]);
            if self.recognised(&chain) {
                if chain.hops == self.p.min_hops {
                    chain.pending.extend(deposits);
                    out.push(self.chain_finding(
                        batch,
                        &chain,
                        large.to,
                        small.amount / large.amount,
                    ));
                    let pending = std::mem::take(&mut chain.pending);
                    out.extend(pending.iter().map(|d| self.cashout_finding(batch, &chain, d)));
                } else {
                    out.extend(deposits.iter().map(|d| self.cashout_finding(batch, &chain, d)));
                }
            } else {
                chain.hold(deposits);
            }
            for a in &inputs {
                self.ends.remove(a);
            }
            // A remainder paid into a service leaves the chain there.
            if !self.is_cashout(batch, large.to) {
                self.ends.insert(large.to, chain);
                self.expiry.touch(time, large.to);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::config::{
        DetectorConfig, PassThroughParams, PeelParams, Severity, StructuringParams,
    };
    use crate::flows::Flow;
    use chainward_graph::NodeLabels;
    use chainward_primitives::Category;

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

    /// A peel chain from holder 1 of `hops` hops an hour apart (holders 100, 101, …; peels to
    /// `peel_to(hop)`), then its last holder pays everything to `final_to`.
    fn peel_chain(hops: u64, peel_to: impl Fn(u64) -> u64, final_to: u64) -> Vec<Flow> {
        let mut flows = Vec::new();
        let (mut holder, mut value) = (1u64, 100.0);
        for hop in 0..hops {
            let next = 100 + hop;
            flows.push(f(hop, holder, next, value * 0.95, hop * 3600));
            flows.push(f(hop, holder, peel_to(hop), value * 0.04, hop * 3600));
            holder = next;
            value *= 0.95;
        }
        flows.push(f(hops, holder, final_to, value, hops * 3600));
        flows
    }

    #[test]
    fn peel_chain_deposits_into_exchanges_are_cash_outs() {
        const EXCHANGE: u64 = 900;
        const OTHER_EXCHANGE: u64 = 901;
        let l = labels(&[(EXCHANGE, Category::Exchange), (OTHER_EXCHANGE, Category::Exchange)]);
        // Peels 1 (before the chain is recognised) and 6 (after) go to an exchange, and the
        // remainder after hop 7 to another.
        let peel_to = |hop| if hop == 1 || hop == 6 { EXCHANGE } else { 500 + hop };
        let flows = peel_chain(7, peel_to, OTHER_EXCHANGE);
        let mut e = engine(DetectorConfig::PeelChain(PeelParams::default()));
        let found = run(&mut e, &flows, &l);
        let chains: Vec<_> =
            found.iter().filter(|x| x.summary.starts_with("peel chain:")).collect();
        assert_eq!(chains.len(), 1, "{found:#?}");
        assert_eq!(chains[0].evidence.addresses, [EXCHANGE], "the early deposit is named");
        let mut cashouts: Vec<(u64, u64, Severity)> = found
            .iter()
            .filter(|x| x.summary.starts_with("peel chain cash-out"))
            .map(|x| (x.evidence.txs[0], x.subjects[0], x.severity))
            .collect();
        cashouts.sort_unstable_by_key(|c| c.0);
        assert_eq!(
            cashouts,
            [
                (1, EXCHANGE, Severity::High),
                (6, EXCHANGE, Severity::High),
                (7, OTHER_EXCHANGE, Severity::High)
            ],
            "each deposit once, one step above the rule's medium: {found:#?}"
        );
        let keys: std::collections::HashSet<_> = found.iter().map(|x| &x.key).collect();
        assert_eq!(keys.len(), found.len(), "keys are distinct");
    }

    #[test]
    fn deposits_of_short_chains_or_with_no_cashout_categories_are_not_reported() {
        const EXCHANGE: u64 = 900;
        let l = labels(&[(EXCHANGE, Category::Exchange)]);
        // Three hops, each peel into the exchange, then the remainder too: no chain.
        let flows = peel_chain(3, |_| EXCHANGE, EXCHANGE);
        let mut e = engine(DetectorConfig::PeelChain(PeelParams::default()));
        assert!(run(&mut e, &flows, &l).is_empty());
        // A recognised chain, but cash-outs turned off: the chain finding alone.
        let flows = peel_chain(6, |_| EXCHANGE, EXCHANGE);
        let p = PeelParams { cashout_categories: vec![], ..Default::default() };
        let mut e = engine(DetectorConfig::PeelChain(p));
        let found = run(&mut e, &flows, &l);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].evidence.addresses.is_empty());
    }

    #[test]
    fn a_remainder_paid_into_an_exchange_ends_the_chain() {
        const EXCHANGE: u64 = 900;
        let l = labels(&[(EXCHANGE, Category::Exchange)]);
        // Hop 3's larger output goes to the exchange; the exchange's own later 1-in/2-out
        // payments must not extend the chain to five hops.
        let mut flows = peel_chain(3, |hop| 500 + hop, 777);
        flows.retain(|x| x.tx < 3);
        flows.push(f(3, 102, EXCHANGE, 80.0, 3 * 3600));
        flows.push(f(3, 102, 503, 3.0, 3 * 3600));
        for k in 0..3 {
            let t = (4 + k) * 3600;
            flows.push(f(4 + k, EXCHANGE, 700 + k, 70.0, t));
            flows.push(f(4 + k, EXCHANGE, 800 + k, 2.0, t));
        }
        let mut e = engine(DetectorConfig::PeelChain(PeelParams::default()));
        assert!(run(&mut e, &flows, &l).is_empty(), "the chain stopped at the exchange");
    }
}
