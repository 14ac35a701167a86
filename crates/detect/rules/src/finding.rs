//! What detectors report.

use crate::config::{DetectorKind, Severity};
use crate::flows::AssetKey;
use serde::Serialize;
use std::collections::BTreeMap;

/// The figures behind a finding.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// Store transaction ids, in the order the detector met them.
    pub txs: Vec<u64>,
    /// Addresses involved besides the subjects (counterparties, labelled sources …).
    pub addresses: Vec<u64>,
    /// Amounts per asset.
    pub amounts: BTreeMap<AssetKey, f64>,
    /// Paths of addresses the funds followed (a cycle, a peel chain …).
    pub paths: Vec<Vec<u64>>,
    /// Named figures (`members`, `window_days`, `share` …).
    pub figures: BTreeMap<String, f64>,
}

impl Evidence {
    /// Adds an amount to its asset's total.
    pub fn add_amount(&mut self, asset: AssetKey, amount: f64) {
        *self.amounts.entry(asset).or_default() += amount;
    }

    /// Sets a named figure.
    pub fn figure(&mut self, name: &str, value: f64) {
        self.figures.insert(name.to_string(), value);
    }
}

/// One thing a rule found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Stable key: the same finding has the same key across runs, restarts and workers (rule
    /// id, detector, subject and the anchoring transaction or window); never wall-clock time.
    pub key: String,
    /// The rule id from the rule file.
    pub rule: String,
    /// The detector.
    pub detector: DetectorKind,
    /// Severity.
    pub severity: Severity,
    /// The store's network id.
    pub network: u32,
    /// Height of the batch that raised it.
    pub height: u64,
    /// Time of the batch that raised it (Unix seconds).
    pub time: u64,
    /// The addresses the finding is about.
    pub subjects: Vec<u64>,
    /// One sentence with the figures.
    pub summary: String,
    /// The evidence.
    pub evidence: Evidence,
}

/// Summaries name addresses by store id inside `⟨…⟩` (the rules engine knows ids only);
/// this replaces each with what `name` gives for it (the id itself when it gives nothing).
pub fn name_addresses(summary: &str, name: &mut dyn FnMut(u64) -> Option<String>) -> String {
    let mut out = String::with_capacity(summary.len());
    let mut rest = summary;
    while let Some(start) = rest.find('⟨') {
        out.push_str(&rest[..start]);
        let after = &rest[start + '⟨'.len_utf8()..];
        match after.find('⟩').map(|end| (end, after[..end].parse::<u64>())) {
            Some((end, Ok(id))) => {
                out.push_str(&name(id).unwrap_or_else(|| id.to_string()));
                rest = &after[end + '⟩'.len_utf8()..];
            }
            _ => {
                out.push('⟨');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::name_addresses;

    #[test]
    fn ids_in_brackets_are_named_and_everything_else_kept() {
        let mut name = |id: u64| (id == 7).then(|| "0xAbC".to_owned());
        assert_eq!(
            name_addresses("account ⟨7⟩ paid ⟨8⟩ 1.5 token ⟨7⟩; ⟨x⟩ ⟨", &mut name),
            "account 0xAbC paid 8 1.5 token 0xAbC; ⟨x⟩ ⟨"
        );
    }
}
