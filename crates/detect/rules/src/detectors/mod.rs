//! The built-in detectors, one family per file. Each is a [`Detector`]: it sees every batch
//! (after the engine has put each flow's profiles beside it) and keeps its own bounded state.

mod cycle;
mod fan;
mod flow;
mod labels;
mod poisoning;
mod routine;
mod scatter;

use crate::config::DetectorConfig;
use crate::engine::Batch;
use crate::finding::Finding;
use std::collections::VecDeque;

/// One detector's state and logic.
pub(crate) trait Detector: Send {
    /// Called before the batch's flows are recorded in the profiles (to confirm what waited
    /// for silence).
    fn before(&mut self, _batch: &Batch<'_, '_>, _out: &mut Vec<Finding>) {}

    /// Called with the batch's flows and their profiles.
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>);
}

/// The detector of a rule.
pub(crate) fn build(config: &DetectorConfig) -> Box<dyn Detector> {
    match config {
        DetectorConfig::Watchlist(p) => Box::new(labels::Watchlist::new(p.clone())),
        DetectorConfig::Exposure(p) => Box::new(labels::Exposure::new(p.clone())),
        DetectorConfig::Mixer(p) => Box::new(labels::Mixer::new(p.clone())),
        DetectorConfig::Bridge(p) => Box::new(labels::Bridge::new(p.clone())),
        DetectorConfig::Dispersal(p) => Box::new(labels::Dispersal::new(p.clone())),
        DetectorConfig::FanIn(p) => Box::new(fan::Fan::new(p.clone(), true)),
        DetectorConfig::FanOut(p) => Box::new(fan::Fan::new(p.clone(), false)),
        DetectorConfig::Cycle(p) => Box::new(cycle::Cycle::new(p.clone())),
        DetectorConfig::ScatterGather(p) => Box::new(scatter::ScatterGather::new(p.clone())),
        DetectorConfig::GatherScatter(p) => Box::new(scatter::GatherScatter::new(p.clone())),
        DetectorConfig::PeelChain(p) => Box::new(flow::Peel::new(p.clone())),
        DetectorConfig::PassThrough(p) => Box::new(flow::PassThrough::new(p.clone())),
        DetectorConfig::Structuring(p) => Box::new(flow::Structuring::new(p.clone())),
        DetectorConfig::Poisoning(p) => Box::new(poisoning::Poisoning::new(p.clone())),
    }
}

/// Seconds in `days`.
pub(crate) fn days(d: f64) -> u64 {
    (d * 86_400.0) as u64
}

/// Seconds in `hours`.
pub(crate) fn hours(h: f64) -> u64 {
    (h * 3_600.0) as u64
}

/// A time-ordered queue of (time, key) that tells which per-key state may have expired, so
/// state is evicted without scanning it all.
#[derive(Debug, Default)]
pub(crate) struct Expiry {
    queue: VecDeque<(u64, u64)>,
}

impl Expiry {
    /// `key` was touched at `time`.
    pub(crate) fn touch(&mut self, time: u64, key: u64) {
        if self.queue.back() != Some(&(time, key)) {
            self.queue.push_back((time, key));
        }
    }

    /// Pops keys touched before `horizon`; `f` decides whether each one's state is gone.
    pub(crate) fn expire(&mut self, horizon: u64, mut f: impl FnMut(u64)) {
        while let Some(&(t, key)) = self.queue.front() {
            if t >= horizon {
                break;
            }
            self.queue.pop_front();
            f(key);
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Hand-built batches for the detectors' tests.
    use crate::config::{DetectorConfig, Rule, RuleSet};
    use crate::engine::{Context, Engine};
    use crate::finding::Finding;
    use crate::flows::{AssetKey, Flow, FlowBatch};
    use chainward_graph::{LabelInfo, NodeId, NodeLabels};
    use chainward_primitives::Category;

    pub(crate) const DAY: u64 = 86_400;

    /// A flow of the native coin.
    pub(crate) fn f(tx: u64, from: u64, to: u64, amount: f64, time: u64) -> Flow {
        Flow { tx, from, to, asset: AssetKey::Native, amount, time }
    }

    /// An engine running one rule.
    pub(crate) fn engine(config: DetectorConfig) -> Engine {
        Engine::new(RuleSet { rules: vec![Rule::new("r", config)] })
    }

    /// Feeds flows grouped into batches by time and returns all findings.
    pub(crate) fn run(engine: &mut Engine, flows: &[Flow], labels: &NodeLabels) -> Vec<Finding> {
        run_ctx(engine, flows, &Context::new(labels))
    }

    /// [`run`] with a full context.
    pub(crate) fn run_ctx(engine: &mut Engine, flows: &[Flow], cx: &Context<'_>) -> Vec<Finding> {
        let mut flows = flows.to_vec();
        flows.sort_by_key(|f| f.time);
        let mut out = Vec::new();
        let mut i = 0;
        let mut height = 0;
        while i < flows.len() {
            let t = flows[i].time;
            let j = flows[i..].iter().position(|f| f.time != t).map_or(flows.len(), |k| i + k);
            let batch = FlowBatch { network: 1, height, time: t, flows: flows[i..j].to_vec() };
            out.extend(engine.process(&batch, cx));
            height += 1;
            i = j;
        }
        out
    }

    /// Labels putting each address in its category, all of entity "E".
    pub(crate) fn labels(list: &[(u64, Category)]) -> NodeLabels {
        let mut l = NodeLabels::new();
        for &(id, category) in list {
            l.add(
                NodeId::address(id).unwrap(),
                LabelInfo {
                    category,
                    entity: Some("E".into()),
                    confidence: 100,
                    source: "test".into(),
                },
            );
        }
        l
    }

    /// A fresh engine running `config` over `flows`, then an empty batch at `until` so that
    /// everything waiting for confirmation or judgment is decided.
    pub(crate) fn run_until(config: DetectorConfig, flows: &[Flow], until: u64) -> Vec<Finding> {
        let labels = NodeLabels::new();
        let mut e = engine(config);
        let mut found = run(&mut e, flows, &labels);
        found.extend(tick(&mut e, until, &labels));
        found
    }

    /// An empty batch at `time` (lets pending confirmations happen).
    pub(crate) fn tick(engine: &mut Engine, time: u64, labels: &NodeLabels) -> Vec<Finding> {
        engine.process(
            &FlowBatch { network: 1, height: 999_999, time, flows: vec![] },
            &Context::new(labels),
        )
    }
}
