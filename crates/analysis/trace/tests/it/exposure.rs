//! Exposure and risk on small labelled graphs.

use crate::*;
use chainward_graph::NodeLabels;
use chainward_primitives::{Category, RiskLevel};
use chainward_trace::{ExposureRequest, FindingKind, RiskConfig, TraceError, exposure, risk};

/// Subject 1 receives 2 from Lazarus (100, sanctioned) and 8 from 7, which had 4 from
/// Tornado (101, mixer) and 4 from 8 (unlabelled, no history). It pays 5 to Binance (200)
/// and 5 to 9, which pays 2.5 to a scam (201) and keeps the rest.
fn labelled() -> (chainward_graph::TransferGraph, NodeLabels) {
    let mut net = Net::new();
    net.pay(101, 7, 4.0, 5);
    net.pay(8, 7, 4.0, 6);
    net.pay(100, 1, 2.0, 10);
    net.pay(7, 1, 8.0, 20);
    net.pay(1, 200, 5.0, 30);
    net.pay(1, 9, 5.0, 31);
    net.pay(9, 201, 2.5, 40);
    let mut labels = NodeLabels::new();
    label(&mut labels, 100, Category::Sanctioned, "Lazarus Group");
    label(&mut labels, 101, Category::Mixer, "Tornado Cash");
    label(&mut labels, 200, Category::Exchange, "Binance");
    label(&mut labels, 201, Category::Scam, "Fake Airdrop");
    (net.finish(), labels)
}

#[test]
fn direct_and_indirect_exposure_by_category() {
    let (g, labels) = labelled();
    let x = exposure(&g, &labels, &[a(1)], &ExposureRequest::default()).unwrap();
    assert_eq!(x.incoming.len(), 1);
    let inc = &x.incoming[0];
    assert_close(inc.total, 10.0);
    assert_eq!(inc.direct.len(), 1);
    assert_eq!(inc.direct[0].category, Category::Sanctioned);
    assert_close(inc.direct[0].share, 0.2);
    assert_eq!(inc.direct[0].entities[0].entity, "Lazarus Group");
    assert_eq!(inc.indirect.len(), 1);
    assert_eq!(inc.indirect[0].category, Category::Mixer);
    assert_close(inc.indirect[0].amount, 4.0);
    assert_close(inc.indirect[0].share, 0.4);
    assert_close(inc.unattributed, 4.0);
    let out = &x.outgoing[0];
    assert_close(out.total, 10.0);
    assert_eq!(out.direct[0].category, Category::Exchange);
    assert_close(out.direct[0].share, 0.5);
    assert_eq!(out.indirect[0].category, Category::Scam);
    assert_close(out.indirect[0].share, 0.25);
    assert_close(out.unattributed, 2.5);

    // The paths, in the order the money moved.
    let mixer = inc.top_paths.iter().find(|p| p.category == Category::Mixer).unwrap();
    assert_eq!(mixer.nodes, vec![a(101), a(7), a(1)]);
    assert_eq!(mixer.edges, vec![edge(&g, a(101), a(7), 5), edge(&g, a(7), a(1), 20)]);
    assert_close(mixer.amount, 4.0);
    assert_eq!(mixer.hops, 2);
    assert_eq!(mixer.entity.as_deref(), Some("Tornado Cash"));
    let scam = out.top_paths.iter().find(|p| p.category == Category::Scam).unwrap();
    assert_eq!(scam.nodes, vec![a(1), a(9), a(201)]);
    assert_close(scam.amount, 2.5);
    assert!(out.top_paths.iter().all(|p| p.category != Category::Exchange), "not risky");

    // One hop sees direct counterparties only.
    let direct_only =
        exposure(&g, &labels, &[a(1)], &ExposureRequest { hops: 1, ..Default::default() }).unwrap();
    assert!(direct_only.incoming[0].indirect.is_empty());
    assert_close(direct_only.incoming[0].unattributed, 8.0);

    let json: serde_json::Value = serde_json::from_str(&x.to_json()).unwrap();
    assert_eq!(json["incoming"][0]["direct"][0]["category"], "sanctioned");

    let assessed = risk(&x, &labels, &RiskConfig::default());
    assert_eq!(assessed.level, RiskLevel::Severe);
    assert_eq!(assessed.findings[0].kind, FindingKind::Direct);
    assert!(assessed.reasons[0].contains("20.00%"), "{:?}", assessed.reasons);
    assert!(assessed.reasons[0].contains("Lazarus Group"), "{:?}", assessed.reasons);
    assert!(assessed.reasons.iter().any(|r| r.contains("indirectly from mixer")));
}

#[test]
fn transfers_inside_an_entity_are_not_exposure() {
    let (g, labels) = labelled();
    let x = exposure(&g, &labels, &[a(1), a(9)], &ExposureRequest::default()).unwrap();
    let out = &x.outgoing[0];
    // 1 → 9 is internal: 5 to Binance and 2.5 to the scam, both direct now.
    assert_close(out.total, 7.5);
    let scam = out.direct.iter().find(|c| c.category == Category::Scam).unwrap();
    assert_close(scam.share, 2.5 / 7.5);
    assert!(out.indirect.is_empty());
}

#[test]
fn exposure_refuses_bad_subjects() {
    let (g, labels) = labelled();
    assert_eq!(
        exposure(&g, &labels, &[], &ExposureRequest::default()).unwrap_err(),
        TraceError::NoSeeds
    );
    assert_eq!(
        exposure(&g, &labels, &[a(4242)], &ExposureRequest::default()).unwrap_err(),
        TraceError::UnknownNode(a(4242))
    );
    let zero = ExposureRequest { hops: 0, ..Default::default() };
    assert!(matches!(exposure(&g, &labels, &[a(1)], &zero), Err(TraceError::InvalidBound { .. })));
}

/// Subject 2 receives 100 from 7, which had `dirty` from a labelled 100 and the rest clean.
fn risk_of(category: Category, dirty: f64, subject_label: Option<Category>) -> RiskLevel {
    let mut net = Net::new();
    if dirty > 0.0 {
        net.pay(100, 7, dirty, 1);
    }
    net.pay(8, 7, 100.0 - dirty, 2);
    net.pay(7, 2, 100.0, 20);
    let g = net.finish();
    let mut labels = NodeLabels::new();
    label(&mut labels, 100, category, "them");
    if let Some(c) = subject_label {
        label(&mut labels, 2, c, "us");
    }
    let x = exposure(&g, &labels, &[a(2)], &ExposureRequest::default()).unwrap();
    risk(&x, &labels, &RiskConfig::default()).level
}

#[test]
fn risk_levels_follow_the_thresholds() {
    use Category::*;
    use RiskLevel as L;
    for (category, dirty, want) in [
        (Sanctioned, 20.0, L::High),
        (Sanctioned, 10.0, L::High),
        (Sanctioned, 5.0, L::Medium),
        (Sanctioned, 0.5, L::Low),
        (Sanctioned, 0.0, L::None),
        (Mixer, 30.0, L::High),
        (StolenFunds, 10.0, L::Medium),
        (Scam, 1.0, L::Low),
        (Gambling, 60.0, L::Medium),
        (Gambling, 20.0, L::Low),
        (Gambling, 5.0, L::None),
        (Exchange, 90.0, L::None),
    ] {
        assert_eq!(risk_of(category, dirty, None), want, "{category} at {dirty}%");
    }
    assert_eq!(risk_of(Exchange, 50.0, Some(Sanctioned)), L::Severe);
    assert_eq!(risk_of(Exchange, 50.0, Some(Mixer)), L::High);
    // Thresholds are configuration.
    let mut net = Net::new();
    net.pay(100, 7, 5.0, 1);
    net.pay(8, 7, 95.0, 2);
    net.pay(7, 2, 100.0, 20);
    let g = net.finish();
    let mut labels = NodeLabels::new();
    label(&mut labels, 100, Sanctioned, "them");
    let x = exposure(&g, &labels, &[a(2)], &ExposureRequest::default()).unwrap();
    let mut strict = RiskConfig::default();
    strict.severe_indirect.high = Some(0.05);
    assert_eq!(risk(&x, &labels, &strict).level, L::High);
}
