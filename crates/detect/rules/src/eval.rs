//! Evaluating a rule set on AMLSim output: replay the transactions through the [`Engine`]
//! and score the findings against the simulator's labels, per typology, at account level and
//! at transaction level.
//!
//! - **Account level**: an account is predicted for typology T when a finding of T's detector
//!   (`fan_in` → [`DetectorKind::FanIn`], `fan_out` → [`DetectorKind::FanOut`], `cycle` →
//!   [`DetectorKind::Cycle`]) names it as a subject; the truth is the accounts that
//!   `alert_accounts` or `sar_accounts` list with that alert type.
//! - **Transaction level**: the transactions in those findings' evidence against the SAR
//!   transactions (`is_sar`) of alerts of type T.
//! - **Overall**: the union over the three typologies.
//!
//! The labels are read here only, after the replay; the engine sees the flows alone.

use crate::amlsim::{self, AmlsimError};
use crate::config::{DetectorKind, RuleSet};
use crate::engine::{Context, Engine};
use crate::flows::FlowBatch;
use chainward_graph::NodeLabels;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The typologies scored.
pub const TYPOLOGIES: [(&str, DetectorKind); 3] = [
    ("fan_in", DetectorKind::FanIn),
    ("fan_out", DetectorKind::FanOut),
    ("cycle", DetectorKind::Cycle),
];

/// Precision, recall and F1 of one typology at one level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    /// `fan_in`, `fan_out`, `cycle` or `overall`.
    pub typology: String,
    /// `account` or `transaction`.
    pub level: String,
    /// Items in the truth.
    pub truth: usize,
    /// Items predicted.
    pub predicted: usize,
    /// Predicted items in the truth.
    pub true_positives: usize,
    /// true positives / predicted (1 when nothing is predicted).
    pub precision: f64,
    /// true positives / truth.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
}

impl Score {
    fn of(typology: &str, level: &str, truth: &FxHashSet<u64>, predicted: &FxHashSet<u64>) -> Self {
        let tp = predicted.intersection(truth).count();
        let precision = if predicted.is_empty() { 1.0 } else { tp as f64 / predicted.len() as f64 };
        let recall = if truth.is_empty() { 1.0 } else { tp as f64 / truth.len() as f64 };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Self {
            typology: typology.into(),
            level: level.into(),
            truth: truth.len(),
            predicted: predicted.len(),
            true_positives: tp,
            precision,
            recall,
            f1,
        }
    }
}

/// The outcome of [`evaluate`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    /// The data directory.
    pub data: String,
    /// Batches (days) replayed.
    pub batches: usize,
    /// Flows replayed.
    pub flows: usize,
    /// Findings per rule id.
    pub findings: BTreeMap<String, usize>,
    /// Scores, per typology then overall, account level then transaction level.
    pub scores: Vec<Score>,
}

impl EvalReport {
    /// The score of a typology at a level.
    pub fn score(&self, typology: &str, level: &str) -> Option<&Score> {
        self.scores.iter().find(|s| s.typology == typology && s.level == level)
    }
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "AMLSim evaluation of {}: {} days, {} transactions",
            self.data, self.batches, self.flows
        )?;
        writeln!(f, "| typology | level | truth | predicted | TP | precision | recall | F1 |")?;
        writeln!(f, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")?;
        for s in &self.scores {
            writeln!(
                f,
                "| {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} |",
                s.typology,
                s.level,
                s.truth,
                s.predicted,
                s.true_positives,
                s.precision,
                s.recall,
                s.f1
            )?;
        }
        let findings: Vec<String> =
            self.findings.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        write!(f, "findings per rule: {}", findings.join(", "))
    }
}

struct Truth {
    accounts: FxHashMap<String, FxHashSet<u64>>,
    txs: FxHashMap<String, FxHashSet<u64>>,
}

fn read_truth(dir: &Path) -> Result<Truth, AmlsimError> {
    let mut accounts: FxHashMap<String, FxHashSet<u64>> = FxHashMap::default();
    let mut txs: FxHashMap<String, FxHashSet<u64>> = FxHashMap::default();
    let table = |name: &str,
                 id_col: &str,
                 type_col: &str,
                 into: &mut FxHashMap<String, FxHashSet<u64>>,
                 sar_col: Option<&str>|
     -> Result<(), AmlsimError> {
        let (path, reader) = amlsim::open(dir, name)?;
        let mut csv = csv::Reader::from_reader(reader);
        let bad =
            |line: u64, message: String| AmlsimError::Row { path: path.clone(), line, message };
        let headers = csv.headers().map_err(|e| bad(1, e.to_string()))?.clone();
        let col = |n: &str| {
            headers.iter().position(|h| h == n).ok_or_else(|| bad(1, format!("no `{n}` column")))
        };
        let (ci, ct) = (col(id_col)?, col(type_col)?);
        let cs = sar_col.map(col).transpose()?;
        for (i, record) in csv.records().enumerate() {
            let line = i as u64 + 2;
            let record = record.map_err(|e| bad(line, e.to_string()))?;
            if let Some(cs) = cs
                && !record.get(cs).is_some_and(|v| {
                    v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("yes")
                })
            {
                continue;
            }
            let id: u64 = record
                .get(ci)
                .unwrap_or("")
                .trim()
                .parse()
                .map_err(|e| bad(line, format!("{id_col}: {e}")))?;
            let typ = record.get(ct).unwrap_or("").trim().to_string();
            into.entry(typ).or_default().insert(id);
        }
        Ok(())
    };
    table("alert_accounts", "acct_id", "alert_type", &mut accounts, None)?;
    table("sar_accounts", "ACCOUNT_ID", "ALERT_TYPE", &mut accounts, None)?;
    table("alert_transactions", "tran_id", "alert_type", &mut txs, Some("is_sar"))?;
    Ok(Truth { accounts, txs })
}

/// One finding as the scoring needs it: its rule, its detector, the AMLSim account ids it
/// names and the AMLSim transaction ids of its evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoredFinding {
    /// The rule id.
    pub rule: String,
    /// The detector.
    pub detector: DetectorKind,
    /// Account ids named.
    pub subjects: Vec<u64>,
    /// Transaction ids (`tran_id`) in the evidence.
    pub txs: Vec<u64>,
}

/// Replays an AMLSim directory through an engine running `rules` and scores the findings.
///
/// # Errors
/// [`AmlsimError`] for missing or malformed files.
pub fn evaluate(dir: &Path, rules: RuleSet) -> Result<EvalReport, AmlsimError> {
    let batches = amlsim::read_batches(dir)?;
    let labels = NodeLabels::new();
    let context = Context::new(&labels);
    let mut engine = Engine::new(rules);
    let mut found = Vec::new();
    let mut flows = 0;
    for batch in batches.iter().chain(end_of_replay(&batches, engine.lookback_seconds()).iter()) {
        flows += batch.flows.len();
        found.extend(engine.process(batch, &context).into_iter().map(|f| ScoredFinding {
            rule: f.rule,
            detector: f.detector,
            subjects: f.subjects,
            txs: f.evidence.txs,
        }));
    }
    score(dir, batches.len(), flows, &found)
}

/// After the last batch, an empty one far enough ahead that everything waiting for silence or
/// for judgment is decided (nothing more arrives); `None` without batches.
pub fn end_of_replay(batches: &[FlowBatch], lookback_seconds: u64) -> Option<FlowBatch> {
    batches.last().map(|last| FlowBatch {
        network: last.network,
        height: last.height + 1,
        time: last.time + lookback_seconds + 86_400,
        flows: Vec::new(),
    })
}

/// Scores findings against the AMLSim labels of `dir`: per typology, at account level and at
/// transaction level, then overall.
///
/// # Errors
/// [`AmlsimError`] for missing or malformed label files.
pub fn score(
    dir: &Path,
    batches: usize,
    flows: usize,
    found: &[ScoredFinding],
) -> Result<EvalReport, AmlsimError> {
    let mut predicted_accounts: FxHashMap<DetectorKind, FxHashSet<u64>> = FxHashMap::default();
    let mut predicted_txs: FxHashMap<DetectorKind, FxHashSet<u64>> = FxHashMap::default();
    let mut findings = BTreeMap::new();
    for finding in found {
        *findings.entry(finding.rule.clone()).or_insert(0) += 1;
        predicted_accounts.entry(finding.detector).or_default().extend(&finding.subjects);
        predicted_txs.entry(finding.detector).or_default().extend(&finding.txs);
    }
    let truth = read_truth(dir)?;
    let empty = FxHashSet::default();
    let mut scores = Vec::new();
    let (mut all_truth_a, mut all_pred_a, mut all_truth_t, mut all_pred_t) =
        (FxHashSet::default(), FxHashSet::default(), FxHashSet::default(), FxHashSet::default());
    for (typology, kind) in TYPOLOGIES {
        let ta = truth.accounts.get(typology).unwrap_or(&empty);
        let pa = predicted_accounts.get(&kind).unwrap_or(&empty);
        let tt = truth.txs.get(typology).unwrap_or(&empty);
        let pt = predicted_txs.get(&kind).unwrap_or(&empty);
        scores.push(Score::of(typology, "account", ta, pa));
        scores.push(Score::of(typology, "transaction", tt, pt));
        all_truth_a.extend(ta);
        all_pred_a.extend(pa);
        all_truth_t.extend(tt);
        all_pred_t.extend(pt);
    }
    scores.push(Score::of("overall", "account", &all_truth_a, &all_pred_a));
    scores.push(Score::of("overall", "transaction", &all_truth_t, &all_pred_t));
    Ok(EvalReport { data: dir.display().to_string(), batches, flows, findings, scores })
}
