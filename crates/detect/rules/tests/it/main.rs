//! Integration tests of chainward-rules: the AMLSim targets, the example rule file, and
//! replay properties of the engine.

mod amlsim;
mod live;
mod props;

use chainward_rules::RuleSet;

#[test]
fn example_rule_file_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/rules.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let set = RuleSet::from_yaml(&text, "examples/rules.yaml").unwrap();
    let kinds: std::collections::BTreeSet<_> = set.rules.iter().map(|r| r.config.kind()).collect();
    assert_eq!(
        kinds.len(),
        chainward_rules::DetectorKind::ALL.len(),
        "every detector is in the example"
    );
}

#[test]
fn amlsim_profile_parses_and_is_not_the_live_default() {
    let set = RuleSet::amlsim_profile();
    assert_eq!(set, RuleSet::from_yaml(chainward_rules::AMLSIM_PROFILE, "amlsim.yaml").unwrap());
    assert!(set.lookback_seconds() > RuleSet::defaults().lookback_seconds());
}
