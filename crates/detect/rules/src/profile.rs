//! Per-account behaviour profiles shared by the detectors: when an account was first and last
//! seen, how many payments it made and received, how many of those went to (came from) a new
//! counterparty, its recent activity times and its recent counterparties.
//!
//! Memory is bounded: counterparties are kept up to [`MAX_COUNTERPARTIES`] per direction (the
//! least recently added leave first, so a counterparty evicted from a very busy account looks
//! new again, which only makes that account look *less* stable), the last
//! [`RECENT_TIMES`] activity times are kept, and a profile idle for longer than the retention
//! (the rule set's look-back) is dropped, oldest first, through a time-ordered queue, so no
//! batch scans all profiles.

use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// Counterparties kept per account and direction.
pub const MAX_COUNTERPARTIES: usize = 64;
/// Activity times kept per account.
pub const RECENT_TIMES: usize = 8;

/// What is known about one account.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    /// First time seen (Unix seconds).
    pub first_seen: u64,
    /// Last time seen.
    pub last_seen: u64,
    /// Payments made.
    pub n_out: u32,
    /// Payments received.
    pub n_in: u32,
    /// Payments made to a counterparty not paid before.
    pub new_out: u32,
    /// Payments received from a counterparty not seen paying before.
    pub new_in: u32,
    recent: VecDeque<u64>,
    payees: VecDeque<u64>,
    payers: VecDeque<u64>,
    queued_day: u64,
}

impl Profile {
    /// Activity (payments made or received) at or after `since`, counting at most
    /// [`RECENT_TIMES`].
    pub fn activity_since(&self, since: u64) -> u32 {
        self.recent.iter().filter(|&&t| t >= since).count() as u32
    }

    /// The kept activity times, oldest first.
    pub fn recent_times(&self) -> impl Iterator<Item = u64> + '_ {
        self.recent.iter().copied()
    }

    /// Whether it paid `to` before (within the kept counterparties).
    pub fn paid(&self, to: u64) -> bool {
        self.payees.contains(&to)
    }

    /// Whether `from` paid it before.
    pub fn paid_by(&self, from: u64) -> bool {
        self.payers.contains(&from)
    }

    /// Share of its payments that went to new payees (0 with no payments).
    pub fn new_out_share(&self) -> f64 {
        if self.n_out == 0 { 0.0 } else { f64::from(self.new_out) / f64::from(self.n_out) }
    }

    /// Share of its receipts that came from new payers (0 with none).
    pub fn new_in_share(&self) -> f64 {
        if self.n_in == 0 { 0.0 } else { f64::from(self.new_in) / f64::from(self.n_in) }
    }
}

fn push_capped(list: &mut VecDeque<u64>, value: u64, cap: usize) {
    if list.len() == cap {
        list.pop_front();
    }
    list.push_back(value);
}

/// The profiles of all accounts seen within the retention.
#[derive(Clone, Debug, Default)]
pub struct Profiles {
    map: FxHashMap<u64, Profile>,
    queue: VecDeque<(u64, u64)>,
    retention: u64,
}

impl Profiles {
    /// Profiles kept for `retention` seconds after an account's last activity.
    pub fn new(retention: u64) -> Self {
        Self { retention, ..Self::default() }
    }

    /// The profile of `id`, if it was seen within the retention.
    pub fn get(&self, id: u64) -> Option<&Profile> {
        self.map.get(&id)
    }

    /// Number of profiles held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Records a payment `from` → `to` at `time`.
    pub fn record(&mut self, from: u64, to: u64, time: u64) {
        let day = time / 86_400;
        for (id, other, outgoing) in [(from, to, true), (to, from, false)] {
            let p = self.map.entry(id).or_insert_with(|| Profile {
                first_seen: time,
                queued_day: u64::MAX,
                ..Profile::default()
            });
            p.last_seen = p.last_seen.max(time);
            push_capped(&mut p.recent, time, RECENT_TIMES);
            if outgoing {
                p.n_out += 1;
                if !p.payees.contains(&other) {
                    p.new_out += 1;
                    push_capped(&mut p.payees, other, MAX_COUNTERPARTIES);
                }
            } else {
                p.n_in += 1;
                if !p.payers.contains(&other) {
                    p.new_in += 1;
                    push_capped(&mut p.payers, other, MAX_COUNTERPARTIES);
                }
            }
            if p.queued_day != day {
                p.queued_day = day;
                self.queue.push_back((time, id));
            }
        }
    }

    /// Drops profiles idle for longer than the retention before `now`.
    pub fn evict(&mut self, now: u64) {
        let horizon = now.saturating_sub(self.retention);
        while let Some(&(t, id)) = self.queue.front() {
            if t >= horizon {
                break;
            }
            self.queue.pop_front();
            if self.map.get(&id).is_some_and(|p| p.last_seen < horizon) {
                self.map.remove(&id);
            }
        }
    }
}
