//! The AMLSim dev set: the AMLSim profile (`profiles/amlsim.yaml`) must reach recall ≥ 0.95
//! and precision ≥ 0.90 at account level for fan_in, fan_out and cycle (the target),
//! reading only the transaction columns (the report's labels are read after the replay).

use chainward_rules::RuleSet;
use chainward_rules::eval::evaluate;

#[test]
fn amlsim_dev_set_meets_the_targets_for_every_typology() {
    let dir = chainward_fixtures::shared_file("amlsim/dev-10k-seed0");
    let report = evaluate(&dir, RuleSet::amlsim_profile()).unwrap();
    println!("{report}");
    for typology in ["fan_in", "fan_out", "cycle"] {
        let score = report.score(typology, "account").unwrap();
        assert!(
            score.recall >= 0.95 && score.precision >= 0.90,
            "{typology}: precision {:.3}, recall {:.3}\n{report}",
            score.precision,
            score.recall
        );
    }
}

/// Without the routine, the same windows name far more accounts than the alerts hold: the
/// off-routine test is what makes fan-out precise (a control for the test above).
#[test]
fn fan_out_without_the_routine_is_not_precise() {
    let dir = chainward_fixtures::shared_file("amlsim/dev-10k-seed0");
    let mut rules = RuleSet::amlsim_profile();
    rules.rules.retain(|r| r.id == "fan-out");
    let yaml = "- id: fan-out\n  detector: fan_out\n  window_days: 600\n  min_members: 3\n  \
                follow_up: true\n  flow_share: 0\n  fresh_days: 0\n  quiet_days: 14\n  \
                stable_counterparties: true\n";
    let plain = RuleSet::from_yaml(yaml, "inline").unwrap();
    let with = evaluate(&dir, rules).unwrap();
    let without = evaluate(&dir, plain).unwrap();
    let (a, b) =
        (with.score("fan_out", "account").unwrap(), without.score("fan_out", "account").unwrap());
    assert!(a.precision >= 0.90, "{with}");
    assert!(b.precision < 0.5 && b.predicted > 2 * a.predicted, "{without}");
}
