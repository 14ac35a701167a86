//! The engine: runs every enabled rule over each batch of flows, keeps their state, and
//! returns the findings.

use crate::config::{Rule, RuleSet, Severity};
use crate::detectors::{self, Detector};
use crate::finding::Finding;
use crate::flows::{Flow, FlowBatch};
use crate::profile::{Profile, Profiles, RECENT_TIMES};
use chainward_graph::{CategorySet, NodeId, NodeLabels, TransferGraph};

/// Looks up the spelled address of a store address id (for address poisoning).
pub trait AddressText {
    /// The canonical text of `id`, if known.
    fn address_text(&self, id: u64) -> Option<String>;
}

impl<F: Fn(u64) -> Option<String>> AddressText for F {
    fn address_text(&self, id: u64) -> Option<String> {
        self(id)
    }
}

/// What detectors may consult besides the flows.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Labels of addresses (lists).
    pub labels: &'a NodeLabels,
    /// The transfer graph, for exposure; `None` skips the exposure detector.
    pub graph: Option<&'a TransferGraph>,
    /// Address spelling, for poisoning; `None` skips the poisoning detector.
    pub address_text: Option<&'a dyn AddressText>,
}

impl<'a> Context<'a> {
    /// A context with labels only.
    pub fn new(labels: &'a NodeLabels) -> Self {
        Self { labels, graph: None, address_text: None }
    }

    /// The categories of an address.
    pub fn categories(&self, id: u64) -> CategorySet {
        NodeId::address(id).map(|n| self.labels.categories(n)).unwrap_or_default()
    }
}

/// An account's profile just before a flow, as the detectors see it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Whether the account had been seen before.
    pub known: bool,
    /// First seen.
    pub first_seen: u64,
    /// Last seen.
    pub last_seen: u64,
    /// Payments made.
    pub n_out: u32,
    /// Payments received.
    pub n_in: u32,
    /// Share of payments made to new payees.
    pub new_out_share: f64,
    /// Share of receipts from new payers.
    pub new_in_share: f64,
    recent: [u64; RECENT_TIMES],
    recent_len: u8,
}

impl Snapshot {
    fn of(p: Option<&Profile>, now: u64) -> Self {
        let Some(p) = p else { return Self::default() };
        let _ = now;
        let mut recent = [0; RECENT_TIMES];
        let mut n = 0;
        for (i, t) in p.recent_times().enumerate().take(RECENT_TIMES) {
            recent[i] = t;
            n = i + 1;
        }
        Self {
            known: true,
            first_seen: p.first_seen,
            last_seen: p.last_seen,
            n_out: p.n_out,
            n_in: p.n_in,
            new_out_share: p.new_out_share(),
            new_in_share: p.new_in_share(),
            recent,
            recent_len: n as u8,
        }
    }

    /// Activity at or after `since` (at most the kept times).
    pub fn activity_since(&self, since: u64) -> u32 {
        self.recent[..self.recent_len as usize].iter().filter(|&&t| t >= since).count() as u32
    }

    /// Seconds since first seen.
    pub fn age(&self, now: u64) -> u64 {
        if self.known { now.saturating_sub(self.first_seen) } else { 0 }
    }
}

/// A flow with its two accounts' profiles just before it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlowView {
    /// The flow.
    pub flow: Flow,
    /// First payment from `from` to `to` (within the kept counterparties).
    pub pair_new: bool,
    /// The payer's profile.
    pub from: Snapshot,
    /// The payee's profile.
    pub to: Snapshot,
}

/// What a detector gets for one batch.
pub(crate) struct Batch<'b, 'a> {
    pub(crate) rule: &'b Rule,
    pub(crate) batch: &'b FlowBatch,
    pub(crate) views: &'b [FlowView],
    pub(crate) profiles: &'b Profiles,
    pub(crate) context: &'b Context<'a>,
}

impl Batch<'_, '_> {
    /// A finding of this rule in this batch; `anchor` makes its key unique and stable.
    pub(crate) fn finding(
        &self,
        subjects: Vec<u64>,
        anchor: &str,
        summary: String,
        evidence: crate::finding::Evidence,
    ) -> Finding {
        self.finding_with(self.rule.severity, subjects, anchor, summary, evidence)
    }

    /// [`Self::finding`] with a severity of its own (at least the rule's).
    pub(crate) fn finding_with(
        &self,
        severity: Severity,
        subjects: Vec<u64>,
        anchor: &str,
        summary: String,
        evidence: crate::finding::Evidence,
    ) -> Finding {
        let detector = self.rule.config.kind();
        Finding {
            key: format!("{}:{}:{}:{anchor}", self.rule.id, detector, self.batch.network),
            rule: self.rule.id.clone(),
            detector,
            severity,
            network: self.batch.network,
            height: self.batch.height,
            time: self.batch.time,
            subjects,
            summary,
            evidence,
        }
    }
}

/// The rules engine: feed it batches in order ([`Engine::process`]); after a restart, replay
/// [`Engine::lookback_seconds`] of already-evaluated batches through [`Engine::warm`] first.
pub struct Engine {
    rules: Vec<(Rule, Box<dyn Detector>)>,
    profiles: Profiles,
    lookback: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.iter().map(|(r, _)| &r.id).collect::<Vec<_>>())
            .field("profiles", &self.profiles.len())
            .field("lookback", &self.lookback)
            .finish()
    }
}

impl Engine {
    /// An engine running the enabled rules of `rules`.
    pub fn new(rules: RuleSet) -> Self {
        let lookback = rules.lookback_seconds();
        let rules = rules
            .rules
            .into_iter()
            .filter(|r| r.enabled)
            .map(|r| {
                let d = detectors::build(&r.config);
                (r, d)
            })
            .collect();
        Self { rules, profiles: Profiles::new(lookback.max(86_400)), lookback }
    }

    /// Evaluates one batch: updates state and returns the findings it raised.
    pub fn process(&mut self, batch: &FlowBatch, context: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        self.run(batch, context, Some(&mut out));
        out
    }

    /// Updates state only (warm-up after a restart).
    pub fn warm(&mut self, batch: &FlowBatch, context: &Context<'_>) {
        self.run(batch, context, None);
    }

    /// How far back (seconds) state is needed, so a restart replays that much.
    pub fn lookback_seconds(&self) -> u64 {
        self.lookback
    }

    /// Profiles held (for memory monitoring).
    pub fn profiles(&self) -> usize {
        self.profiles.len()
    }

    fn run(
        &mut self,
        batch: &FlowBatch,
        context: &Context<'_>,
        mut out: Option<&mut Vec<Finding>>,
    ) {
        let mut sink = Vec::new();
        // Before the batch is recorded: detectors confirm what waited for silence.
        for (rule, det) in &mut self.rules {
            let b = Batch { rule, batch, views: &[], profiles: &self.profiles, context };
            det.before(&b, &mut sink);
        }
        let mut views = Vec::with_capacity(batch.flows.len());
        for flow in &batch.flows {
            let from = self.profiles.get(flow.from);
            let view = FlowView {
                flow: *flow,
                pair_new: !from.is_some_and(|p| p.paid(flow.to)),
                from: Snapshot::of(from, flow.time),
                to: Snapshot::of(self.profiles.get(flow.to), flow.time),
            };
            views.push(view);
            self.profiles.record(flow.from, flow.to, flow.time);
        }
        for (rule, det) in &mut self.rules {
            let b = Batch { rule, batch, views: &views, profiles: &self.profiles, context };
            det.observe(&b, &mut sink);
        }
        self.profiles.evict(batch.time);
        if let Some(out) = out.as_mut() {
            out.append(&mut sink);
        }
    }
}
