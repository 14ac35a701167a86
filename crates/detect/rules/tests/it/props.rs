//! Replay properties: the same batches give the same findings (keys included) in two engines,
//! and warming on a prefix then processing the rest gives what processing everything gives
//! for the rest.

use chainward_graph::NodeLabels;
use chainward_rules::{AssetKey, Context, Engine, Flow, FlowBatch, RuleSet};
use proptest::prelude::*;

fn batches(raw: Vec<Vec<(u8, u8, u16)>>) -> Vec<FlowBatch> {
    let mut tx = 0;
    raw.into_iter()
        .enumerate()
        .map(|(h, flows)| {
            let time = 1_600_000_000 + h as u64 * 6 * 3600;
            let flows = flows
                .into_iter()
                .map(|(a, b, amount)| {
                    tx += 1;
                    Flow {
                        tx,
                        from: u64::from(a % 24),
                        to: u64::from(b % 24),
                        asset: AssetKey::Native,
                        amount: f64::from(amount) / 10.0,
                        time,
                    }
                })
                .collect();
            FlowBatch { network: 1, height: h as u64, time, flows }
        })
        .collect()
}

fn stream() -> impl Strategy<Value = Vec<FlowBatch>> {
    prop::collection::vec(
        prop::collection::vec((any::<u8>(), any::<u8>(), any::<u16>()), 0..12),
        1..40,
    )
    .prop_map(batches)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn replay_is_deterministic(stream in stream()) {
        let labels = NodeLabels::new();
        let cx = Context::new(&labels);
        let (mut a, mut b) = (Engine::new(RuleSet::defaults()), Engine::new(RuleSet::defaults()));
        for batch in &stream {
            let fa = a.process(batch, &cx);
            let fb = b.process(batch, &cx);
            prop_assert_eq!(fa, fb);
        }
    }

    #[test]
    fn warm_then_process_matches_process_all(stream in stream(), cut in 0usize..40) {
        let cut = cut.min(stream.len());
        let labels = NodeLabels::new();
        let cx = Context::new(&labels);
        let mut full = Engine::new(RuleSet::defaults());
        let mut expected = Vec::new();
        for (i, batch) in stream.iter().enumerate() {
            let f = full.process(batch, &cx);
            if i >= cut {
                expected.extend(f);
            }
        }
        let mut restarted = Engine::new(RuleSet::defaults());
        let mut got = Vec::new();
        for (i, batch) in stream.iter().enumerate() {
            if i < cut {
                restarted.warm(batch, &cx);
            } else {
                got.extend(restarted.process(batch, &cx));
            }
        }
        let keys = |v: &[chainward_rules::Finding]| v.iter().map(|f| f.key.clone()).collect::<Vec<_>>();
        prop_assert_eq!(keys(&expected), keys(&got));
    }
}
