//! Label-driven detectors: watchlist hits (R14 direct), mixer deposits and withdrawals (R8
//! direct), indirect exposure through the taint engine (R8/R14 indirect), bridge hops of
//! exposed funds (R9) and dispersal from a theft (R15).

use super::{Detector, Expiry, days, hours};
use crate::config::{
    BridgeParams, Direction, DispersalParams, ExposureParams, MixerParams, Severity,
    WatchlistParams,
};
use crate::engine::Batch;
use crate::finding::{Evidence, Finding};
use chainward_graph::{CategorySet, NodeId};
use chainward_primitives::Category;
use rustc_hash::{FxHashMap, FxHashSet};

fn set(categories: &[Category]) -> CategorySet {
    CategorySet::of_all(categories)
}

fn names(c: CategorySet) -> String {
    c.iter().map(Category::as_str).collect::<Vec<_>>().join(", ")
}

/// The entity a labelled address belongs to, or the address itself.
pub(super) fn service_name(batch: &Batch<'_, '_>, id: u64) -> String {
    NodeId::address(id)
        .ok()
        .and_then(|n| batch.context.labels.primary(n))
        .and_then(|l| l.entity.clone())
        .unwrap_or_else(|| format!("address ⟨{id}⟩"))
}

/// `watchlist`.
pub(crate) struct Watchlist {
    p: WatchlistParams,
    cats: CategorySet,
}

impl Watchlist {
    pub(crate) fn new(p: WatchlistParams) -> Self {
        let cats = set(&p.categories);
        Self { p, cats }
    }
}

impl Detector for Watchlist {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        for v in batch.views {
            let fl = &v.flow;
            if fl.amount < self.p.min_amount {
                continue;
            }
            let sides = [
                (fl.from, fl.to, "received from", Direction::Incoming),
                (fl.to, fl.from, "paid", Direction::Outgoing),
            ];
            for (listed, customer, verb, dir) in sides {
                if self.p.direction != Direction::Both && self.p.direction != dir {
                    continue;
                }
                let hit = batch.context.categories(listed).0 & self.cats.0;
                if hit == 0 {
                    continue;
                }
                let hit = CategorySet(hit);
                let mut ev =
                    Evidence { txs: vec![fl.tx], addresses: vec![listed], ..Default::default() };
                ev.add_amount(fl.asset, fl.amount);
                let summary = format!(
                    "watchlist: account ⟨{customer}⟩ {verb} listed address ⟨{listed}⟩ ({}) {} {}",
                    names(hit),
                    fl.amount,
                    fl.asset
                );
                out.push(batch.finding(
                    vec![customer],
                    &format!("{}:{listed}:{customer}", fl.tx),
                    summary,
                    ev,
                ));
            }
        }
    }
}

/// `mixer`.
pub(crate) struct Mixer {
    p: MixerParams,
}

impl Mixer {
    pub(crate) fn new(p: MixerParams) -> Self {
        Self { p }
    }
}

impl Detector for Mixer {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        for v in batch.views {
            let fl = &v.flow;
            if fl.amount < self.p.min_amount {
                continue;
            }
            for (mixer, customer, what) in
                [(fl.to, fl.from, "deposit into"), (fl.from, fl.to, "withdrawal from")]
            {
                if !batch.context.categories(mixer).contains(Category::Mixer) {
                    continue;
                }
                let entity = service_name(batch, mixer);
                let mut ev =
                    Evidence { txs: vec![fl.tx], addresses: vec![mixer], ..Default::default() };
                ev.add_amount(fl.asset, fl.amount);
                let summary = format!(
                    "mixer: account ⟨{customer}⟩: {what} mixer {entity}, {} {}",
                    fl.amount, fl.asset
                );
                out.push(batch.finding(
                    vec![customer],
                    &format!("{}:{mixer}:{customer}", fl.tx),
                    summary,
                    ev,
                ));
            }
        }
    }
}

/// `exposure`.
pub(crate) struct Exposure {
    p: ExposureParams,
    cats: CategorySet,
    checked: FxHashMap<u64, u64>,
    expiry: Expiry,
}

impl Exposure {
    pub(crate) fn new(p: ExposureParams) -> Self {
        let cats = set(&p.categories);
        Self { p, cats, checked: FxHashMap::default(), expiry: Expiry::default() }
    }
}

impl Detector for Exposure {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let Some(graph) = batch.context.graph else { return };
        let now = batch.batch.time;
        let recheck = hours(self.p.recheck_hours);
        let checked = &mut self.checked;
        self.expiry.expire(now.saturating_sub(recheck), |id| {
            if checked.get(&id).is_some_and(|&t| t + recheck <= now) {
                checked.remove(&id);
            }
        });
        let mut done = 0;
        let mut seen = FxHashSet::default();
        for v in batch.views {
            if done >= self.p.max_per_batch {
                break;
            }
            let id = v.flow.to;
            if !seen.insert(id) || self.checked.contains_key(&id) {
                continue;
            }
            let Ok(node) = NodeId::address(id) else { continue };
            if !graph.contains(node) {
                continue;
            }
            done += 1;
            self.checked.insert(id, now);
            self.expiry.touch(now, id);
            let request =
                chainward_trace::ExposureRequest { hops: self.p.hops, ..Default::default() };
            let Ok(exposure) =
                chainward_trace::exposure(graph, batch.context.labels, &[node], &request)
            else {
                continue;
            };
            let mut worst: Option<(Category, f64, f64)> = None;
            for side in &exposure.incoming {
                for c in &side.indirect {
                    if self.cats.contains(c.category) && worst.is_none_or(|w| c.share > w.1) {
                        worst = Some((c.category, c.share, c.amount));
                    }
                }
            }
            let Some((category, share, amount)) = worst else { continue };
            if share < self.p.min_share {
                continue;
            }
            let severity = if share >= self.p.high_share {
                Severity::High
            } else if share >= self.p.medium_share {
                Severity::Medium
            } else {
                Severity::Low
            };
            let mut ev = Evidence { txs: vec![v.flow.tx], ..Default::default() };
            ev.figure("share", share);
            ev.figure("amount_base_units", amount);
            ev.figure("hops", f64::from(self.p.hops));
            for side in &exposure.incoming {
                for path in side.top_paths.iter().filter(|p| p.category == category) {
                    ev.paths.push(path.nodes.iter().filter_map(|n| n.address_id()).collect());
                }
            }
            let summary = format!(
                "exposure: {:.1}% of the funds received by account ⟨{id}⟩ come indirectly (≤ {} hops) from {category}",
                share * 100.0,
                self.p.hops
            );
            out.push(batch.finding_with(
                severity,
                vec![id],
                &format!("{id}:{}", v.flow.tx),
                summary,
                ev,
            ));
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Taint {
    source: u64,
    hops: u32,
    time: u64,
}

/// Exposure by propagation: an address reached from a labelled source within N transfers in
/// the window. Shared by `bridge` and `dispersal`.
#[derive(Default)]
struct Propagation {
    tainted: FxHashMap<u64, Taint>,
    expiry: Expiry,
}

impl Propagation {
    fn expire(&mut self, horizon: u64) {
        let tainted = &mut self.tainted;
        self.expiry.expire(horizon, |id| {
            if tainted.get(&id).is_some_and(|t| t.time < horizon) {
                tainted.remove(&id);
            }
        });
    }

    /// The taint of the payer of a flow: itself labelled (hop 0) or reached before.
    fn of(&self, batch: &Batch<'_, '_>, id: u64, cats: CategorySet, horizon: u64) -> Option<Taint> {
        if batch.context.categories(id).intersects(cats) {
            return Some(Taint { source: id, hops: 0, time: batch.batch.time });
        }
        self.tainted.get(&id).copied().filter(|t| t.time >= horizon)
    }

    fn spread(&mut self, to: u64, from: Taint, time: u64, max_hops: u32) -> bool {
        if from.hops >= max_hops {
            return false;
        }
        let t = Taint { source: from.source, hops: from.hops + 1, time };
        match self.tainted.get(&to) {
            Some(old) if old.hops <= t.hops && old.time >= time => false,
            _ => {
                self.tainted.insert(to, t);
                self.expiry.touch(time, to);
                true
            }
        }
    }
}

/// `bridge`.
pub(crate) struct Bridge {
    p: BridgeParams,
    cats: CategorySet,
    prop: Propagation,
}

impl Bridge {
    pub(crate) fn new(p: BridgeParams) -> Self {
        let cats = set(&p.source_categories);
        Self { p, cats, prop: Propagation::default() }
    }
}

impl Detector for Bridge {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let now = batch.batch.time;
        let horizon = now.saturating_sub(days(self.p.window_days));
        self.prop.expire(horizon);
        for v in batch.views {
            let fl = &v.flow;
            let Some(taint) = self.prop.of(batch, fl.from, self.cats, horizon) else { continue };
            if batch.context.categories(fl.to).contains(Category::Bridge) {
                let mut ev = Evidence {
                    txs: vec![fl.tx],
                    addresses: vec![taint.source, fl.to],
                    ..Default::default()
                };
                ev.add_amount(fl.asset, fl.amount);
                ev.figure("hops_from_source", f64::from(taint.hops));
                let summary = format!(
                    "bridge: account ⟨{}⟩ moved {} {} into bridge ⟨{}⟩ with exposure to source ⟨{}⟩ ({} transfers away)",
                    fl.from, fl.amount, fl.asset, fl.to, taint.source, taint.hops
                );
                out.push(batch.finding(
                    vec![fl.from],
                    &format!("{}:{}", fl.tx, fl.from),
                    summary,
                    ev,
                ));
            } else {
                self.prop.spread(fl.to, taint, fl.time, self.p.taint_hops);
            }
        }
    }
}

/// `dispersal`.
pub(crate) struct Dispersal {
    p: DispersalParams,
    cats: CategorySet,
    prop: Propagation,
    /// Per source: window start, addresses reached, whether reported.
    episodes: FxHashMap<u64, (u64, FxHashSet<u64>, bool, Vec<u64>)>,
}

impl Dispersal {
    pub(crate) fn new(p: DispersalParams) -> Self {
        let cats = set(&p.source_categories);
        Self { p, cats, prop: Propagation::default(), episodes: FxHashMap::default() }
    }
}

impl Detector for Dispersal {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let now = batch.batch.time;
        let window = days(self.p.window_days);
        let horizon = now.saturating_sub(window);
        self.prop.expire(horizon);
        self.episodes.retain(|_, e| e.0 + window >= now);
        for v in batch.views {
            let fl = &v.flow;
            let Some(taint) = self.prop.of(batch, fl.from, self.cats, horizon) else { continue };
            if !self.prop.spread(fl.to, taint, fl.time, self.p.taint_hops) {
                continue;
            }
            // Only new addresses count: never seen before, or first seen inside the episode.
            let ep = self
                .episodes
                .entry(taint.source)
                .or_insert_with(|| (fl.time, FxHashSet::default(), false, Vec::new()));
            let fresh = !v.to.known || v.to.first_seen >= ep.0;
            if !fresh || ep.1.len() >= self.p.min_addresses {
                continue;
            }
            ep.1.insert(fl.to);
            if ep.3.len() < 100 {
                ep.3.push(fl.tx);
            }
            if ep.1.len() >= self.p.min_addresses && !ep.2 {
                ep.2 = true;
                let mut ev = Evidence {
                    txs: ep.3.clone(),
                    addresses: vec![taint.source],
                    ..Default::default()
                };
                ev.figure("addresses", ep.1.len() as f64);
                ev.figure("window_days", self.p.window_days);
                let mut subjects: Vec<u64> = ep.1.iter().copied().collect();
                subjects.sort_unstable();
                subjects.insert(0, taint.source);
                let summary = format!(
                    "dispersal: funds of ⟨{}⟩ reached {} new addresses within {} days (≤ {} transfers)",
                    taint.source,
                    ep.1.len(),
                    self.p.window_days,
                    self.p.taint_hops
                );
                out.push(batch.finding(
                    subjects,
                    &format!("{}:{}", taint.source, ep.0),
                    summary,
                    ev,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::config::{
        BridgeParams, DetectorConfig, DispersalParams, MixerParams, WatchlistParams,
    };
    use chainward_primitives::Category;

    #[test]
    fn watchlist_hits_and_misses() {
        let l = labels(&[(9, Category::Sanctioned), (8, Category::Exchange)]);
        let mut e = engine(DetectorConfig::Watchlist(WatchlistParams::default()));
        let found =
            run(&mut e, &[f(1, 9, 2, 1.0, 10), f(2, 2, 8, 1.0, 20), f(3, 3, 4, 1.0, 30)], &l);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subjects, vec![2]);
        assert_eq!(found[0].evidence.addresses, vec![9]);
    }

    #[test]
    fn mixer_deposit_and_withdrawal() {
        let l = labels(&[(5, Category::Mixer)]);
        let mut e = engine(DetectorConfig::Mixer(MixerParams::default()));
        let found =
            run(&mut e, &[f(1, 2, 5, 1.0, 10), f(2, 5, 3, 1.0, 20), f(3, 2, 3, 1.0, 30)], &l);
        assert_eq!(found.len(), 2);
        assert!(found[0].summary.contains("deposit") && found[1].summary.contains("withdrawal"));
    }

    #[test]
    fn bridge_after_stolen_funds_but_not_clean() {
        let l = labels(&[(66, Category::StolenFunds), (7, Category::Bridge)]);
        let mut e = engine(DetectorConfig::Bridge(BridgeParams::default()));
        let found = run(
            &mut e,
            &[f(1, 66, 2, 5.0, 10), f(2, 2, 3, 5.0, 20), f(3, 3, 7, 5.0, 30), f(4, 4, 7, 5.0, 40)],
            &l,
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].subjects, vec![3]);
    }

    #[test]
    fn dispersal_aggregates_per_source() {
        let l = labels(&[(66, Category::StolenFunds)]);
        let p = DispersalParams { min_addresses: 20, ..Default::default() };
        let mut e = engine(DetectorConfig::Dispersal(p.clone()));
        let flows: Vec<_> = (0..30).map(|i| f(i, 66, 1000 + i, 1.0, 100 + i)).collect();
        let found = run(&mut e, &flows, &l);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subjects[0], 66);
        // 19 addresses: a near miss
        let mut e = engine(DetectorConfig::Dispersal(p));
        assert!(run(&mut e, &flows[..19], &l).is_empty());
    }
}
