//! Risk: a level (severe, high, medium, low, none) with the reasons behind it, from the
//! subject's own labels and its exposure.
//!
//! The rules, each with its threshold in [`RiskConfig`]:
//! - the subject's own label: its category's [`Category::risk`];
//! - a direct counterparty in a category: that category's [`Category::risk`] (sanctioned →
//!   severe; stolen funds, mixer, darknet, ransomware, scam → high; gambling → medium);
//! - indirect exposure, by share of the subject's flow on that side in that asset:
//!   sanctions-class categories (severe on their own) ≥ 10% high, ≥ 1% medium, > 0 low;
//!   high-risk categories ≥ 25% high, ≥ 5% medium, > 0 low; gambling ≥ 50% medium, ≥ 10%
//!   low.
//!
//! The level is the highest any rule gives; the reasons come riskiest first.

use crate::exposure::Exposure;
use crate::result::percent;
use chainward_graph::NodeLabels;
use chainward_primitives::{Category, RiskLevel};
use serde::{Deserialize, Serialize};

/// Share thresholds for indirect exposure: a share at or above `high` gives high, and so on;
/// `None` never gives that level. `low: Some(0.0)` means any share above zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareThresholds {
    /// Share (0–1) at or above which the level is high.
    pub high: Option<f64>,
    /// Share at or above which it is medium.
    pub medium: Option<f64>,
    /// Share above which it is low (at or above, when positive).
    pub low: Option<f64>,
}

impl ShareThresholds {
    fn level(&self, share: f64) -> RiskLevel {
        let at =
            |t: Option<f64>| t.is_some_and(|t| if t <= 0.0 { share > 0.0 } else { share >= t });
        if at(self.high) {
            RiskLevel::High
        } else if at(self.medium) {
            RiskLevel::Medium
        } else if at(self.low) {
            RiskLevel::Low
        } else {
            RiskLevel::None
        }
    }
}

/// The thresholds of the risk rules (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskConfig {
    /// Indirect exposure to categories that are severe on their own (sanctioned, terrorist
    /// financing).
    pub severe_indirect: ShareThresholds,
    /// Indirect exposure to high-risk categories (stolen funds, mixer, darknet, ransomware,
    /// scam).
    pub high_indirect: ShareThresholds,
    /// Indirect exposure to medium-risk categories (gambling).
    pub medium_indirect: ShareThresholds,
    /// Direct exposure below this share is ignored (0: any amount counts).
    pub direct_min_share: f64,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            severe_indirect: ShareThresholds {
                high: Some(0.10),
                medium: Some(0.01),
                low: Some(0.0),
            },
            high_indirect: ShareThresholds { high: Some(0.25), medium: Some(0.05), low: Some(0.0) },
            medium_indirect: ShareThresholds { high: None, medium: Some(0.50), low: Some(0.10) },
            direct_min_share: 0.0,
        }
    }
}

/// Which rule a finding comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The subject's own label.
    Label,
    /// A direct counterparty.
    Direct,
    /// Indirect exposure.
    Indirect,
}

/// One rule that fired.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskFinding {
    /// The level it gives.
    pub level: RiskLevel,
    /// The rule.
    pub kind: FindingKind,
    /// The category.
    pub category: Category,
    /// `incoming` or `outgoing` (exposure findings).
    pub side: Option<&'static str>,
    /// The share of that side's flow (exposure findings).
    pub share: Option<f64>,
    /// The reason, for people.
    pub message: String,
}

/// The outcome of [`risk`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskAssessment {
    /// The level.
    pub level: RiskLevel,
    /// Why, riskiest first (the findings' messages).
    pub reasons: Vec<String>,
    /// The rules that fired, riskiest first.
    pub findings: Vec<RiskFinding>,
}

/// Rates an exposure, with the subject's own labels from `labels`.
pub fn risk(exposure: &Exposure, labels: &NodeLabels, config: &RiskConfig) -> RiskAssessment {
    risk_named(exposure, labels, config, &crate::IdNaming)
}

/// [`risk`], with assets named by `naming` in the reasons.
pub fn risk_named(
    exposure: &Exposure,
    labels: &NodeLabels,
    config: &RiskConfig,
    naming: &dyn crate::Naming,
) -> RiskAssessment {
    let mut findings = Vec::new();
    for &node in &exposure.subject {
        for label in labels.labels(node) {
            let level = label.category.risk();
            if level > RiskLevel::None {
                let entity = label.entity.as_deref().map(|e| format!(" ({e})")).unwrap_or_default();
                findings.push(RiskFinding {
                    level,
                    kind: FindingKind::Label,
                    category: label.category,
                    side: None,
                    share: None,
                    message: format!(
                        "{node} is itself labelled {}{entity} by {}",
                        label.category, label.source
                    ),
                });
            }
        }
    }
    for (side, flow) in exposure.sides() {
        let (verb, prep) = if side == "incoming" { ("received", "from") } else { ("sent", "to") };
        for c in &flow.direct {
            let level = c.category.risk();
            if level == RiskLevel::None || c.amount <= 0.0 || c.share < config.direct_min_share {
                continue;
            }
            findings.push(RiskFinding {
                level,
                kind: FindingKind::Direct,
                category: c.category,
                side: Some(side),
                share: Some(c.share),
                message: format!(
                    "{verb} {} of its {side} funds in {} directly {prep} {} {}{}",
                    percent(c.share),
                    naming.asset(flow.asset),
                    c.category,
                    if c.counterparties == 1 { "counterparty" } else { "counterparties" },
                    entities(c)
                ),
            });
        }
        for c in &flow.indirect {
            let thresholds = match c.category.risk() {
                RiskLevel::Severe => &config.severe_indirect,
                RiskLevel::High => &config.high_indirect,
                RiskLevel::Medium => &config.medium_indirect,
                _ => continue,
            };
            let level = thresholds.level(c.share);
            if level == RiskLevel::None {
                continue;
            }
            findings.push(RiskFinding {
                level,
                kind: FindingKind::Indirect,
                category: c.category,
                side: Some(side),
                share: Some(c.share),
                message: format!(
                    "{verb} {} of its {side} funds in {} indirectly {prep} {} \
                     (within {} hops){}",
                    percent(c.share),
                    naming.asset(flow.asset),
                    c.category,
                    exposure.hops,
                    entities(c)
                ),
            });
        }
    }
    findings.sort_by(|a, b| {
        b.level.cmp(&a.level).then(b.share.unwrap_or(1.0).total_cmp(&a.share.unwrap_or(1.0)))
    });
    let level = findings.first().map_or(RiskLevel::None, |f| f.level);
    RiskAssessment {
        level,
        reasons: findings.iter().map(|f| f.message.clone()).collect(),
        findings,
    }
}

fn entities(c: &crate::exposure::CategoryExposure) -> String {
    let names: Vec<&str> = c.entities.iter().take(3).map(|e| e.entity.as_str()).collect();
    if names.is_empty() { String::new() } else { format!(": {}", names.join(", ")) }
}
