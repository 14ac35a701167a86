//! The learned risk model as one more rule: addresses that receive value in a block are scored
//! on their whole activity in the analytics graph; a high illicit probability raises an alert
//! that names the class and the features that decided it.

use chainward_graph::{NodeId, TransferGraph};
use chainward_model::{AddressActivity, Class, Features, Model, Transfer};
use chainward_primitives::AddressKey;
use chainward_store_api::{AlertSeverity, GraphBlockRows, GraphEnd};
use serde_json::json;

/// How the model rule runs.
#[derive(Clone, Debug)]
pub struct ModelRuleOptions {
    /// Alert when the illicit probability (any class but normal) is at least this.
    pub threshold: f64,
    /// At most this many addresses scored per block (the busiest receivers first), so a block
    /// of a million transfers cannot stall the monitor.
    pub max_per_block: usize,
    /// At most this many of an address's transfers read (the latest), bounding the work for hot
    /// wallets.
    pub max_transfers: usize,
    /// Decimals of the native coin (18 for EVM chains, 8 for Bitcoin): features are in coins.
    pub native_decimals: i32,
}

impl Default for ModelRuleOptions {
    fn default() -> Self {
        Self { threshold: 0.9, max_per_block: 200, max_transfers: 10_000, native_decimals: 18 }
    }
}

/// One finding of the model: the address id, the prediction, the evidence JSON.
#[derive(Clone, Debug)]
pub struct ModelFinding {
    /// The store's address id.
    pub address: u64,
    /// Severity from the probability.
    pub severity: AlertSeverity,
    /// The most probable illicit class.
    pub class: Class,
    /// Its probability of being illicit.
    pub probability: f64,
    /// The prediction with its top feature contributions.
    pub evidence: serde_json::Value,
}

/// Scores the receivers of a block.
pub fn score_block(
    model: &Model,
    graph: &TransferGraph,
    rows: &GraphBlockRows,
    options: &ModelRuleOptions,
) -> Vec<ModelFinding> {
    let mut counts: rustc_hash::FxHashMap<u64, usize> = rustc_hash::FxHashMap::default();
    for edge in &rows.edges {
        if let GraphEnd::Address(id) = edge.to {
            *counts.entry(id).or_default() += 1;
        }
    }
    let mut receivers: Vec<(u64, usize)> = counts.into_iter().collect();
    receivers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    receivers.truncate(options.max_per_block);
    let scale = 10f64.powi(options.native_decimals);
    let mut findings = Vec::new();
    for (address, _) in receivers {
        let Ok(node) = NodeId::address(address) else { continue };
        if !graph.contains(node) {
            continue;
        }
        let activity = activity(graph, node, scale, options.max_transfers);
        if activity.transfers.is_empty() {
            continue;
        }
        let prediction = model.score(&Features::from_activity(&activity));
        let probability = prediction.illicit_probability();
        if probability < options.threshold {
            continue;
        }
        let class = Class::ALL[1..]
            .iter()
            .copied()
            .max_by(|a, b| prediction.probability(*a).total_cmp(&prediction.probability(*b)))
            .unwrap_or(Class::Hack);
        let severity =
            if probability >= 0.98 { AlertSeverity::High } else { AlertSeverity::Medium };
        findings.push(ModelFinding {
            address,
            severity,
            class,
            probability,
            evidence: json!({
                "class": class.to_string(),
                "illicit_probability": probability,
                "probabilities": Class::ALL.iter().map(|c| (c.to_string(), prediction.probability(*c))).collect::<std::collections::BTreeMap<_, _>>(),
                "top_contributions": prediction.top_contributions,
                "transfers_scored": activity.transfers.len(),
            }),
        });
    }
    findings
}

/// An address's native-coin transfers in the graph, the latest `limit` of each direction.
fn activity(graph: &TransferGraph, node: NodeId, scale: f64, limit: usize) -> AddressActivity {
    let native = |asset: chainward_graph::AssetId| {
        graph.assets().get(asset.0 as usize).is_some_and(|a| a.token.is_none())
    };
    let key = |other: NodeId| {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&u64::from(other.0).to_le_bytes());
        bytes[31] = 0xfe;
        Some(AddressKey::from_bytes(bytes))
    };
    let mut transfers = Vec::new();
    let out: Vec<_> = graph.out_edges(node).filter(|e| native(e.asset)).collect();
    let inc: Vec<_> = graph.in_edges(node).filter(|e| native(e.asset)).collect();
    for (edges, outgoing) in [(out, true), (inc, false)] {
        let skip = edges.len().saturating_sub(limit);
        for e in edges.into_iter().skip(skip) {
            let other = if outgoing { e.to } else { e.from };
            transfers.push(Transfer {
                time: i64::from(e.time),
                counterparty: key(other),
                value: e.amount / scale,
                outgoing,
                failed: Some(false),
                to_contract: None,
            });
        }
    }
    AddressActivity::new(transfers)
}
