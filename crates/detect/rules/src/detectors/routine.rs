//! Off-routine transfers: each payer's own routine, learnt from its payments, and the
//! payments that fall outside it. The rules are in [`RoutineParams`]; fan-in, fan-out and
//! cycle use the result as their notion of an *unusual* transfer when their `routine` is set.
//!
//! Payments are kept per payer and judged a whole day at a time, once the routine after the
//! day is visible too ([`RoutineParams::delay_days`] later). A day's judgment reads only that
//! payer's payments, so the work per payment is bounded by `periods` and the windows, never
//! by the number of accounts.

use super::Expiry;
use crate::config::RoutineParams;
use crate::engine::FlowView;
use crate::flows::AssetKey;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

const DAY: u64 = 86_400;

/// A payment judged off-routine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct OffRoutineTransfer {
    pub(crate) time: u64,
    pub(crate) from: u64,
    pub(crate) to: u64,
    pub(crate) tx: u64,
    pub(crate) asset: AssetKey,
    pub(crate) amount: f64,
}

#[derive(Clone, Copy, Debug)]
struct Payment {
    day: i64,
    time: u64,
    to: u64,
    tx: u64,
    asset: AssetKey,
    amount: f64,
    /// First payment from this payer to this payee.
    new_pair: bool,
    /// Transactions the payee had before (its own history).
    payee_history: u32,
}

#[derive(Debug, Default)]
struct Payer {
    payments: VecDeque<Payment>,
    /// Days before this one lost payments to the `max_payments` cap: not judged.
    truncated_before: Option<i64>,
    last_due: Option<i64>,
}

/// Learns routines and judges payments; see the module docs.
#[derive(Debug)]
pub(crate) struct Routine {
    p: RoutineParams,
    payers: FxHashMap<u64, Payer>,
    /// (day, payer) still to judge, in day order.
    due: VecDeque<(i64, u64)>,
    expiry: Expiry,
}

impl Routine {
    pub(crate) fn new(p: RoutineParams) -> Self {
        Self { p, payers: FxHashMap::default(), due: VecDeque::new(), expiry: Expiry::default() }
    }

    /// Records the batch's payments (flows between two different accounts).
    pub(crate) fn record(&mut self, views: &[FlowView]) {
        for v in views {
            let f = &v.flow;
            if f.from == f.to {
                continue;
            }
            let day = (f.time / DAY) as i64;
            let payer = self.payers.entry(f.from).or_default();
            if payer.payments.len() >= self.p.max_payments
                && let Some(old) = payer.payments.pop_front()
            {
                payer.truncated_before = Some(old.day + 1);
            }
            payer.payments.push_back(Payment {
                day,
                time: f.time,
                to: f.to,
                tx: f.tx,
                asset: f.asset,
                amount: f.amount,
                new_pair: v.pair_new,
                payee_history: v.to.n_in.saturating_add(v.to.n_out),
            });
            if payer.last_due != Some(day) {
                payer.last_due = Some(day);
                self.due.push_back((day, f.from));
            }
            self.expiry.touch(f.time, f.from);
        }
    }

    /// Judges every payer-day whose routine after it is visible by `now`; returns the
    /// off-routine payments found, in day order.
    pub(crate) fn judge(&mut self, now: u64) -> Vec<OffRoutineTransfer> {
        let today = (now / DAY) as i64;
        let delay = self.p.delay_days() as i64;
        let history = self.p.history_days() as i64;
        let mut found = Vec::new();
        while let Some(&(day, payer)) = self.due.front() {
            if day + delay >= today {
                break;
            }
            self.due.pop_front();
            let Some(state) = self.payers.get_mut(&payer) else { continue };
            let keep_from = day - history;
            while state.payments.front().is_some_and(|x| x.day < keep_from) {
                state.payments.pop_front();
            }
            if state.truncated_before.is_some_and(|t| t > keep_from) {
                continue;
            }
            let payments = state.payments.make_contiguous();
            judge_day(&self.p, payments, day, |x| {
                found.push(OffRoutineTransfer {
                    time: x.time,
                    from: payer,
                    to: x.to,
                    tx: x.tx,
                    asset: x.asset,
                    amount: x.amount,
                })
            });
        }
        // Payers silent for longer than a judgment needs are dropped.
        let horizon = now.saturating_sub((delay + history + 1) as u64 * DAY);
        let payers = &mut self.payers;
        self.expiry.expire(horizon, |id| {
            if payers
                .get(&id)
                .and_then(|p| p.payments.back())
                .is_none_or(|last| last.time < horizon)
            {
                payers.remove(&id);
            }
        });
        found
    }

    /// Payers held (for tests and memory checks).
    #[cfg(test)]
    pub(crate) fn payers(&self) -> usize {
        self.payers.len()
    }
}

/// The payer's payments on `day` (a slice of `payments`, which are in day order).
fn on(payments: &[Payment], day: i64) -> &[Payment] {
    let start = payments.partition_point(|x| x.day < day);
    let end = start + payments[start..].partition_point(|x| x.day == day);
    &payments[start..end]
}

/// The days `day ± j·period`, j = 1..periods, on one side.
fn phase_days(p: &RoutineParams, day: i64, side: i64) -> impl Iterator<Item = i64> + '_ {
    let period = i64::from(p.period_days);
    (1..=i64::from(p.periods)).map(move |j| day + side * j * period)
}

/// Whether paying `to` on `day` repeats a pair habit on that phase.
fn pair_routine(p: &RoutineParams, payments: &[Payment], to: u64, day: i64) -> bool {
    [-1, 1].into_iter().any(|side| {
        let hits = phase_days(p, day, side)
            .filter(|&d| on(payments, d).iter().any(|x| x.to == to))
            .count();
        hits >= p.min_periods as usize
    })
}

/// Payments on `day` that no pair habit explains.
fn rotating(p: &RoutineParams, payments: &[Payment], day: i64) -> usize {
    on(payments, day).iter().filter(|x| !pair_routine(p, payments, x.to, day)).count()
}

/// How many unexplained payees the payer usually pays on `day`'s phase (0: no habit there).
fn usual_rotating(p: &RoutineParams, payments: &[Payment], day: i64) -> usize {
    let mut usual = 0;
    for side in [-1, 1] {
        let mut counts: Vec<usize> = phase_days(p, day, side)
            .filter(|&d| !on(payments, d).is_empty())
            .map(|d| rotating(p, payments, d))
            .collect();
        if counts.len() >= p.min_periods as usize {
            counts.sort_unstable();
            usual = usual.max(counts[(counts.len() - 1) / 2]);
        }
    }
    usual
}

/// Whether the payer's activity around `day` recurs period by period.
fn regular(p: &RoutineParams, payments: &[Payment], day: i64) -> bool {
    let window = i64::from(p.regular_window_days);
    let period = i64::from(p.period_days);
    let mut active: Vec<i64> =
        payments.iter().map(|x| x.day).filter(|&d| d != day && (d - day).abs() <= window).collect();
    active.dedup();
    if active.len() < 3 {
        return false;
    }
    let recurring = active
        .iter()
        .filter(|&&d| !on(payments, d - period).is_empty() || !on(payments, d + period).is_empty())
        .count();
    recurring as f64 >= p.regular_share * active.len() as f64
}

/// Calls `emit` with each off-routine payment of the payer on `day`.
fn judge_day(p: &RoutineParams, payments: &[Payment], day: i64, mut emit: impl FnMut(&Payment)) {
    let today = on(payments, day);
    if today.is_empty() {
        return;
    }
    let unexplained_count = rotating(p, payments, day);
    let usual = usual_rotating(p, payments, day);
    if usual > 0 && unexplained_count <= usual {
        return;
    }
    let dormant_days = i64::from(p.dormant_days);
    let is_regular = regular(p, payments, day);
    let mut candidates: Vec<&Payment> = today
        .iter()
        .filter(|x| !pair_routine(p, payments, x.to, day))
        .filter(|x| {
            x.new_pair
                || (is_regular
                    && payments
                        .iter()
                        .filter(|y| y.to == x.to && (y.day - day).abs() <= dormant_days)
                        .count()
                        == 1)
        })
        .collect();
    // A habitual day with `excess` payments too many: blame the payees with least history.
    let excess = unexplained_count - usual;
    if usual > 0 && candidates.len() > excess {
        let mut histories: Vec<u32> = candidates.iter().map(|x| x.payee_history).collect();
        histories.sort_unstable();
        let cut = histories[excess - 1];
        candidates.retain(|x| x.payee_history <= cut);
    }
    for x in candidates {
        emit(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Snapshot;
    use crate::flows::Flow;

    fn view(tx: u64, from: u64, to: u64, day: u64, new_pair: bool, payee_history: u32) -> FlowView {
        let flow = Flow { tx, from, to, asset: AssetKey::Native, amount: 100.0, time: day * DAY };
        let mut to = Snapshot::default();
        to.known = payee_history > 0;
        to.n_in = payee_history;
        FlowView { flow, pair_new: new_pair, from: Snapshot::default(), to }
    }

    /// Runs views (in time order) through a routine and returns the off-routine tx ids.
    fn judge_all(views: &[FlowView]) -> Vec<u64> {
        let mut r = Routine::new(RoutineParams::default());
        let mut out = Vec::new();
        for v in views {
            out.extend(r.judge(v.flow.time).into_iter().map(|x| x.tx));
            r.record(std::slice::from_ref(v));
        }
        out.extend(r.judge(10_000 * DAY).into_iter().map(|x| x.tx));
        out.sort_unstable();
        out
    }

    /// A weekly payer (day 0, 7, 14 …) rotating through new payees 1000 + week.
    fn weekly_rotation(weeks: u64, payer: u64, tx: &mut u64) -> Vec<FlowView> {
        (0..weeks)
            .map(|w| {
                *tx += 1;
                view(*tx, payer, 1000 + w, w * 7, true, 30)
            })
            .collect()
    }

    fn merged(mut views: Vec<FlowView>) -> Vec<FlowView> {
        views.sort_by_key(|v| (v.flow.time, v.flow.tx));
        views
    }

    #[test]
    fn a_weekly_rotation_is_routine() {
        let mut tx = 0;
        assert!(judge_all(&weekly_rotation(30, 1, &mut tx)).is_empty());
        // a fixed weekly payee too, even with weeks skipped
        let views: Vec<FlowView> = (0..30u64)
            .filter(|w| w % 5 != 3)
            .map(|w| view(100 + w, 2, 50, w * 7, w == 0, 30))
            .collect();
        assert!(judge_all(&views).is_empty());
    }

    #[test]
    fn an_off_phase_payment_to_a_new_payee_is_off_routine() {
        let mut tx = 0;
        let mut views = weekly_rotation(30, 1, &mut tx);
        views.push(view(900, 1, 77, 7 * 10 + 3, true, 0)); // a Thursday among Mondays
        assert_eq!(judge_all(&merged(views)), vec![900]);
    }

    #[test]
    fn an_extra_payment_on_a_habitual_day_blames_the_payee_without_history() {
        let mut tx = 0;
        let mut views = weekly_rotation(30, 1, &mut tx);
        views.push(view(900, 1, 77, 7 * 10, true, 0)); // same day as the rotation's payee
        assert_eq!(judge_all(&merged(views)), vec![900]);
    }

    #[test]
    fn a_known_payee_counts_only_when_dormant_and_the_payer_regular() {
        let mut tx = 0;
        let mut views = weekly_rotation(30, 1, &mut tx);
        // payee 1003 was paid in week 3; paid again off-phase in week 12: dormant, regular
        views.push(view(900, 1, 1003, 7 * 12 + 2, false, 30));
        // payee 1011 was paid in week 11: paid again 8 days later, not dormant
        views.push(view(901, 1, 1011, 7 * 12 + 5, false, 30));
        assert_eq!(judge_all(&merged(views)), vec![900]);
        // an irregular payer paying a known payee off-phase: not judged off-routine
        let views: Vec<FlowView> = [0u64, 3, 11, 12, 20, 26, 33, 41, 47]
            .iter()
            .enumerate()
            .map(|(i, &d)| view(200 + i as u64, 3, 60 + i as u64 % 3, d, i < 3, 30))
            .collect();
        assert!(judge_all(&views).iter().all(|&t| {
            let v = views.iter().find(|v| v.flow.tx == t).map(|v| v.pair_new);
            v == Some(true)
        }));
    }

    #[test]
    fn judgment_waits_for_the_routine_after_the_day_and_state_is_dropped() {
        let p = RoutineParams::default();
        let mut r = Routine::new(p.clone());
        r.record(&[view(1, 1, 2, 10, true, 0)]);
        // still inside the delay: not judged yet
        assert!(r.judge((10 + p.delay_days()) * DAY).is_empty());
        assert_eq!(r.judge((11 + p.delay_days()) * DAY).len(), 1);
        assert_eq!(r.payers(), 1);
        r.judge((12 + p.delay_days() + p.history_days() + 1) * DAY);
        assert_eq!(r.payers(), 0, "a silent payer's state is dropped");
    }

    #[test]
    fn an_overflowing_payer_is_not_judged() {
        let p = RoutineParams { max_payments: 16, ..RoutineParams::default() };
        let mut r = Routine::new(p);
        let views: Vec<FlowView> =
            (0..40u64).map(|i| view(i, 1, 500 + i, 3 + i / 20, true, 0)).collect();
        r.record(&views);
        assert!(r.judge(1_000 * DAY).is_empty());
    }
}
