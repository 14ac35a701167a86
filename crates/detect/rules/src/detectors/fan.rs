//! Fan-in (R3) and fan-out (R4): many *unusual* counterparties on one side of one hub.
//!
//! See [`crate::config::FanParams`] for what makes a counterparty count. The detector keeps,
//! per hub, the counting counterparties of the window (at most `max_members`, oldest leave
//! first), what the hub moved (fan-in: its outflows since the first member; fan-out: its
//! recent inflows) and, per throwaway candidate, a pending entry until its quiet period ends.
//! Hubs touched in a batch are checked once at the end of the batch: a hub with at least
//! `min_members` (and the flow condition) is reported once per window; with `follow_up`,
//! later members are reported in a finding of their own. Keys are the hub and the last
//! member's transaction, so replays give the same keys.

use super::routine::Routine;
use super::{Detector, Expiry, days, hours};
use crate::config::FanParams;
use crate::engine::Batch;
use crate::finding::{Evidence, Finding};
use crate::flows::AssetKey;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug)]
struct Member {
    time: u64,
    account: u64,
    tx: u64,
    asset: AssetKey,
    amount: f64,
    throwaway: bool,
    reported: bool,
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    deadline: u64,
    hub: u64,
    member: Member,
}

/// Inflows kept per fan-out hub (source of funds).
const INFLOWS: usize = 8;

#[derive(Debug, Default)]
struct Hub {
    members: VecDeque<Member>,
    /// Fan-in: (time, asset, amount) of the hub's outflows.
    outflows: VecDeque<(u64, AssetKey, f64)>,
    /// Fan-out: (time, asset, amount) of the hub's inflows.
    inflows: VecDeque<(u64, AssetKey, f64)>,
    /// When `min_members` was first reached in the current window.
    completed: Option<u64>,
    /// When the hub was last reported.
    reported: Option<u64>,
    last: u64,
}

pub(crate) struct Fan {
    p: FanParams,
    inward: bool,
    pending: VecDeque<Pending>,
    hubs: FxHashMap<u64, Hub>,
    expiry: Expiry,
    touched: Vec<u64>,
    /// With `routine`: the payers' routines, which decide the members.
    routine: Option<Routine>,
    /// With `routine`: the latest time of a judged member (the window counts back from it,
    /// since judgments come late and batches may skip time).
    frontier: u64,
}

impl Fan {
    pub(crate) fn new(p: FanParams, inward: bool) -> Self {
        Self {
            routine: p.routine.clone().map(Routine::new),
            frontier: 0,
            p,
            inward,
            pending: VecDeque::new(),
            hubs: FxHashMap::default(),
            expiry: Expiry::default(),
            touched: Vec::new(),
        }
    }

    fn hub(&mut self, hub: u64, now: u64) -> &mut Hub {
        self.expiry.touch(now, hub);
        let h = self.hubs.entry(hub).or_default();
        h.last = now;
        self.touched.push(hub);
        h
    }

    fn add(&mut self, hub: u64, m: Member, now: u64) {
        let max = self.p.max_members;
        let h = self.hub(hub, now);
        if m.account == hub || h.members.iter().any(|x| x.account == m.account) {
            return;
        }
        if h.members.len() == max {
            h.members.pop_front();
        }
        h.members.push_back(m);
    }

    /// Checks the hubs touched in this batch and reports those that qualify.
    fn check(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let now = batch.batch.time;
        let window = days(self.p.window_days);
        let flow_time = hours(self.p.flow_hours);
        let horizon_from = if self.routine.is_some() { self.frontier } else { now };
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for &hub in &touched {
            let Some(h) = self.hubs.get_mut(&hub) else { continue };
            // Throwaway members join late (after their quiet period): not in time order.
            h.members.retain(|x| x.time + window >= horizon_from);
            if h.reported.is_some_and(|r| r + window < now) {
                h.reported = None;
                h.completed = None;
            }
            if h.members.len() < self.p.min_members {
                if h.reported.is_none() {
                    h.completed = None;
                }
                continue;
            }
            let completed = *h.completed.get_or_insert(now);
            let asset = h.members[0].asset;
            let first = h.members.iter().map(|x| x.time).min().unwrap_or(now);
            let moved: f64 = h.members.iter().filter(|x| x.asset == asset).map(|x| x.amount).sum();
            let mut flow = None;
            if self.p.flow_share > 0.0 && self.routine.is_none() {
                let share = self.p.flow_share;
                if self.inward {
                    let sent: f64 = h
                        .outflows
                        .iter()
                        .filter(|o| o.1 == asset && o.0 >= first && o.0 <= completed + flow_time)
                        .map(|o| o.2)
                        .sum();
                    if sent < share * moved {
                        continue;
                    }
                    flow = Some(sent);
                } else {
                    // One inflow, received before the first payout, that the payouts split.
                    let source = h
                        .inflows
                        .iter()
                        .filter(|i| i.1 == asset && i.0 <= first && i.0 + window >= first)
                        .map(|i| i.2)
                        .find(|&i| moved >= share * i && i >= share * moved);
                    let Some(source) = source else { continue };
                    flow = Some(source);
                }
            }
            let follow_up = h.reported.is_some();
            if follow_up && !self.p.follow_up {
                continue;
            }
            let new: Vec<Member> = h.members.iter().filter(|x| !x.reported).copied().collect();
            if new.is_empty() {
                continue;
            }
            let shown: Vec<Member> =
                if follow_up { new.clone() } else { h.members.iter().copied().collect() };
            for x in h.members.iter_mut() {
                x.reported = true;
            }
            h.reported.get_or_insert(now);
            let mut evidence = Evidence::default();
            let mut subjects = vec![hub];
            for x in &shown {
                subjects.push(x.account);
                evidence.txs.push(x.tx);
                evidence.add_amount(x.asset, x.amount);
            }
            let throwaways = shown.iter().filter(|x| x.throwaway).count();
            let last = shown.iter().map(|x| x.time).max().unwrap_or(now);
            let span = (last.saturating_sub(first)) as f64 / 86_400.0;
            let anchor_tx = shown.iter().map(|x| (x.time, x.tx)).max().map_or(0, |x| x.1);
            evidence.figure("members", h.members.len() as f64);
            evidence.figure("fresh_members", throwaways as f64);
            evidence.figure("span_days", span);
            let (what, side) =
                if self.inward { ("fan-in", "senders") } else { ("fan-out", "recipients") };
            let mut summary = if self.routine.is_some() {
                let (kind, whose) = if self.inward {
                    ("senders", "each paid it off the sender's own routine")
                } else {
                    ("recipients", "each paid off the account's own routine")
                };
                let lead =
                    if follow_up { format!("{what} (follow-up): ") } else { format!("{what}: ") };
                format!(
                    "{lead}account ⟨{hub}⟩ has {} {kind} ({whose}) within {span:.1} days",
                    shown.len()
                )
            } else if follow_up {
                format!(
                    "{what} (follow-up): {} more unusual {side} of account ⟨{hub}⟩, {} within \
                     {span:.1} days in all",
                    shown.len(),
                    h.members.len()
                )
            } else {
                format!(
                    "{what}: account ⟨{hub}⟩ has {} unusual {side} ({throwaways} fresh accounts, \
                     the rest new counterparties of accounts with stable ones) within \
                     {span:.1} days",
                    h.members.len()
                )
            };
            if let Some(v) = flow {
                let what = if self.inward { "sent on" } else { "split from one inflow of" };
                evidence.figure("flow", v);
                summary.push_str(&format!("; {what} {v:.4} against {moved:.4} {asset}"));
            }
            out.push(batch.finding(subjects, &format!("{hub}:{anchor_tx}"), summary, evidence));
        }
        touched.clear();
        self.touched = touched;
    }
}

impl Detector for Fan {
    fn before(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let now = batch.batch.time;
        while self.pending.front().is_some_and(|p| p.deadline < now) {
            let Some(p) = self.pending.pop_front() else { break };
            let quiet =
                batch.profiles.get(p.member.account).is_none_or(|x| x.last_seen <= p.member.time);
            if quiet {
                self.add(p.hub, p.member, now);
            }
        }
        self.check(batch, out);
        let lag = self.p.routine.as_ref().map_or(0, |r| r.delay_days() * 86_400);
        let keep = days(self.p.window_days) + hours(self.p.flow_hours) + lag;
        let hubs = &mut self.hubs;
        self.expiry.expire(now.saturating_sub(keep), |hub| {
            if hubs.get(&hub).is_some_and(|h| h.last + keep < now) {
                hubs.remove(&hub);
            }
        });
    }

    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        if let Some(routine) = self.routine.as_mut() {
            routine.record(batch.views);
            let now = batch.batch.time;
            for x in routine.judge(now) {
                self.frontier = self.frontier.max(x.time);
                let (hub, account) = if self.inward { (x.to, x.from) } else { (x.from, x.to) };
                let member = Member {
                    time: x.time,
                    account,
                    tx: x.tx,
                    asset: x.asset,
                    amount: x.amount,
                    throwaway: false,
                    reported: false,
                };
                self.add(hub, member, now);
            }
            self.check(batch, out);
            return;
        }
        let quiet = days(self.p.quiet_days);
        let fresh = days(self.p.fresh_days);
        let established = days(self.p.established_days);
        let track_inflows = !self.inward && self.p.flow_share > 0.0;
        let track_outflows = self.inward && self.p.flow_share > 0.0;
        for v in batch.views {
            let fl = &v.flow;
            if fl.from == fl.to {
                continue;
            }
            let t = fl.time;
            if track_inflows {
                let h = self.hub(fl.to, t);
                if h.inflows.len() == INFLOWS {
                    h.inflows.pop_front();
                }
                h.inflows.push_back((t, fl.asset, fl.amount));
            }
            if track_outflows && let Some(h) = self.hubs.get_mut(&fl.from) {
                if h.outflows.len() == 4 * INFLOWS {
                    h.outflows.pop_front();
                }
                h.outflows.push_back((t, fl.asset, fl.amount));
                h.last = t;
                self.expiry.touch(t, fl.from);
                self.touched.push(fl.from);
            }
            if !v.pair_new {
                continue;
            }
            let (hub, account, snap, share) = if self.inward {
                (fl.to, fl.from, &v.from, v.from.new_out_share)
            } else {
                (fl.from, fl.to, &v.to, v.to.new_in_share)
            };
            let mut member = Member {
                time: t,
                account,
                tx: fl.tx,
                asset: fl.asset,
                amount: fl.amount,
                throwaway: false,
                reported: false,
            };
            let is_fresh = !snap.known
                || (t.saturating_sub(snap.first_seen) < fresh
                    && snap.n_in + snap.n_out <= self.p.max_prior_txs);
            if is_fresh {
                member.throwaway = true;
                if quiet > 0 {
                    self.pending.push_back(Pending { deadline: t + quiet, hub, member });
                } else {
                    self.add(hub, member, t);
                }
            } else if self.p.stable_counterparties
                && snap.age(t) >= established
                && share <= self.p.max_new_share
            {
                self.add(hub, member, t);
            }
        }
        self.check(batch, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::config::{DetectorConfig, FanParams};
    use chainward_graph::NodeLabels;

    /// The AMLSim profile's parameters (throwaway and stable counterparties, a year).
    fn amlsim() -> FanParams {
        FanParams {
            window_days: 365.0,
            min_members: 3,
            fresh_days: 0.0,
            quiet_days: 14.0,
            stable_counterparties: true,
            follow_up: true,
            ..FanParams::default()
        }
    }

    #[test]
    fn live_fan_out_of_fresh_recipients_from_one_inflow_fires_once() {
        let labels = NodeLabels::new();
        let mut e = engine(DetectorConfig::FanOut(FanParams::fan_out()));
        let mut flows = vec![f(1, 50, 7, 130.0, 1000)];
        for i in 0..12u64 {
            flows.push(f(10 + i, 7, 100 + i, 10.0, 1012 + 12 * (i / 4)));
        }
        let found = run(&mut e, &flows, &labels);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].subjects[0], 7);
        assert_eq!(found[0].subjects.len(), 13, "hub and the twelve recipients");
        // nine recipients: a near miss
        let mut e = engine(DetectorConfig::FanOut(FanParams::fan_out()));
        assert!(run(&mut e, &flows[..10], &labels).is_empty());
        // no inflow to split: not R4's shape
        let mut e = engine(DetectorConfig::FanOut(FanParams::fan_out()));
        assert!(run(&mut e, &flows[1..], &labels).is_empty());
    }

    fn background(flows: &mut Vec<crate::flows::Flow>, tx: &mut u64) {
        // Stable payers 100..103 pay their usual payees weekly for a month.
        for week in 0..5 {
            for p in 100..104u64 {
                *tx += 1;
                flows.push(f(*tx, p, p + 100, 10.0, week * 7 * DAY));
            }
        }
    }

    #[test]
    fn throwaway_feeders_fire_fan_in() {
        let labels = NodeLabels::new();
        let mut e = engine(DetectorConfig::FanIn(amlsim()));
        let mut flows = Vec::new();
        let mut tx = 0;
        background(&mut flows, &mut tx);
        // Three brand-new accounts each pay hub 1 once, then go silent.
        for (i, s) in [11u64, 12, 13].into_iter().enumerate() {
            tx += 1;
            flows.push(f(tx, s, 1, 150.0, (40 + 10 * i as u64) * DAY));
        }
        let mut found = run(&mut e, &flows, &labels);
        found.extend(tick(&mut e, 200 * DAY, &labels));
        assert_eq!(found.len(), 1, "{found:#?}");
        let mut s = found[0].subjects.clone();
        s.sort_unstable();
        assert_eq!(s, vec![1, 11, 12, 13]);
    }

    #[test]
    fn near_miss_senders_active_again_do_not_fire() {
        let labels = NodeLabels::new();
        let mut e = engine(DetectorConfig::FanIn(amlsim()));
        let mut flows = Vec::new();
        let mut tx = 0;
        for (i, s) in [11u64, 12, 13].into_iter().enumerate() {
            tx += 1;
            flows.push(f(tx, s, 1, 150.0, (40 + 10 * i as u64) * DAY));
            // each pays someone else two days later: not a throwaway account
            tx += 1;
            flows.push(f(tx, s, 50 + s, 5.0, (42 + 10 * i as u64) * DAY));
        }
        let mut found = run(&mut e, &flows, &labels);
        found.extend(tick(&mut e, 200 * DAY, &labels));
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn stable_payers_paying_a_new_hub_fire_and_rotating_payers_do_not() {
        let labels = NodeLabels::new();
        let mut e = engine(DetectorConfig::FanIn(amlsim()));
        let mut flows = Vec::new();
        let mut tx = 0;
        background(&mut flows, &mut tx); // payers 100..103 have one payee each
        // a rotating payer: a new payee every week
        for week in 0..6 {
            tx += 1;
            flows.push(f(tx, 300, 400 + week, 10.0, week * 7 * DAY));
        }
        for (i, p) in [100u64, 101, 102, 300].into_iter().enumerate() {
            tx += 1;
            flows.push(f(tx, p, 1, 300.0, (50 + i as u64) * DAY));
        }
        let found = run(&mut e, &flows, &labels);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(!found[0].subjects.contains(&300));
        // fan-out mirror: recipients with stable payers
        let mut e = engine(DetectorConfig::FanOut(amlsim()));
        let mut flows = Vec::new();
        let mut tx = 0;
        background(&mut flows, &mut tx); // payees 200..203 have one payer each
        for (i, r) in [200u64, 201, 202].into_iter().enumerate() {
            tx += 1;
            flows.push(f(tx, 7, r, 300.0, (50 + i as u64) * DAY));
        }
        let found = run(&mut e, &flows, &labels);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subjects[0], 7);
    }

    #[test]
    fn off_routine_payees_of_a_weekly_payer_fire_fan_out_and_its_rotation_does_not() {
        let p = FanParams {
            window_days: 600.0,
            min_members: 3,
            follow_up: true,
            routine: Some(crate::config::RoutineParams::default()),
            ..FanParams::default()
        };
        let mut flows = Vec::new();
        let mut tx = 0;
        // hub 7 pays a new payee every Monday for 40 weeks, like payer 8
        for week in 0..40u64 {
            for (hub, base) in [(7u64, 1_000u64), (8, 2_000)] {
                tx += 1;
                flows.push(f(tx, hub, base + week, 10.0, week * 7 * DAY));
            }
        }
        // and, off its Mondays, three more over two months
        flows.extend([
            f(900, 7, 50, 300.0, 60 * DAY),
            f(901, 7, 51, 300.0, 95 * DAY),
            f(902, 7, 52, 300.0, 124 * DAY),
        ]);
        let found = run_until(DetectorConfig::FanOut(p.clone()), &flows, 600 * DAY);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].subjects, vec![7, 50, 51, 52]);
        // two off-routine payees are not "many"
        let found = run_until(DetectorConfig::FanOut(p), &flows[..flows.len() - 1], 600 * DAY);
        assert!(found.is_empty(), "{found:#?}");
    }
}
