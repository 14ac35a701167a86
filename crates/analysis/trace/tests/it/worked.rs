//! The worked examples of the taint reference (§3 of detection-benchmarks-rules-taint.md),
//! on an address, on a UTXO transaction, over time, multi-hop, and backward.

use crate::*;
use chainward_graph::{CategorySet, NodeLabels};
use chainward_primitives::Category;
use chainward_trace::{Direction, EndpointReason, Seed, TaintModel, TraceRequest, trace};

const MODELS: [(TaintModel, [f64; 3]); 3] = [
    (TaintModel::Poison, [2.0, 5.0, 3.0]),
    (TaintModel::Haircut, [0.6, 1.5, 0.9]),
    (TaintModel::Fifo, [2.0, 1.0, 0.0]),
];

/// One mixing point M (10) receives 3 dirty (from 1) then 7 clean (from 2), then pays
/// 2, 5, 3 to 11, 12, 13.
fn worked_address() -> chainward_graph::TransferGraph {
    let mut net = Net::new();
    net.pay(1, 10, 3.0, 100);
    net.pay(2, 10, 7.0, 101);
    net.pay(10, 11, 2.0, 110);
    net.pay(10, 12, 5.0, 111);
    net.pay(10, 13, 3.0, 112);
    net.finish()
}

#[test]
fn worked_example_at_an_address() {
    let g = worked_address();
    let labels = NodeLabels::new();
    let seed_edge = edge(&g, a(1), a(10), 100);
    for (model, expected) in MODELS {
        for seed in [Seed::Edges(vec![seed_edge]), Seed::Node { node: a(1), amount: None }] {
            let r = trace(&g, &labels, &TraceRequest::new(vec![seed], Direction::Forward, model))
                .unwrap();
            for (node, want) in [11, 12, 13].into_iter().zip(expected) {
                assert_close(held(&r, a(node)), want);
                assert_close(dirty(&r, edge(&g, a(10), a(node), 110 + (node as u32 - 11))), want);
            }
            if model.conserves() {
                assert_conserved(&r);
                assert_close(r.assets[0].unspent, 3.0);
            }
            assert_eq!(r.stats.cut_by, vec![]);
            let o1 = r.endpoints.iter().find(|e| e.node == a(11)).unwrap();
            assert_eq!(o1.hops, 2);
            assert_eq!(o1.reasons, vec![EndpointReason::Unspent]);
            assert_eq!((o1.first_time, o1.last_time), (110, 110));
            assert_eq!(r.graph.edges.iter().find(|e| e.edge == seed_edge).unwrap().hop, 1);
        }
    }
}

#[test]
fn worked_example_in_a_utxo_transaction_with_a_fee() {
    // Same, as one UTXO transaction: inputs 3 (dirty) and 7, outputs 2, 5, 2.5; fee 0.5.
    let mut net = Net::new();
    net.utxo(&[(1, 3.0), (2, 7.0)], &[(11, 2.0), (12, 5.0), (13, 2.5)], 100);
    let g = net.finish();
    let labels = NodeLabels::new();
    let seed = Seed::Edges(vec![edge_from(&g, a(1), 100)]);
    let expect = [
        (TaintModel::Poison, [2.0, 5.0, 2.5], 0.0),
        (TaintModel::Haircut, [0.6, 1.5, 0.75], 0.15),
        (TaintModel::Fifo, [2.0, 1.0, 0.0], 0.0),
    ];
    for (model, outs, fee) in expect {
        let r =
            trace(&g, &labels, &TraceRequest::new(vec![seed.clone()], Direction::Forward, model))
                .unwrap();
        for (node, want) in [11, 12, 13].into_iter().zip(outs) {
            assert_close(held(&r, a(node)), want);
        }
        // A UTXO transaction is one hop, though two edges.
        assert!(r.endpoints.iter().filter(|e| !e.node.is_transaction()).all(|e| e.hops == 1));
        if model.conserves() {
            assert_close(r.assets[0].fees, fee);
            assert_conserved(&r);
        }
    }
    // Seeding the transaction node itself makes every output dirty.
    let tx = g.in_edges(a(11)).next().unwrap().from;
    let r = trace(
        &g,
        &labels,
        &TraceRequest::new(
            vec![Seed::Node { node: tx, amount: None }],
            Direction::Forward,
            TaintModel::Fifo,
        ),
    )
    .unwrap();
    assert_close(r.assets[0].seed, 9.5);
    assert_close(held(&r, a(12)), 5.0);
}

#[test]
fn dirt_arriving_later_does_not_taint_earlier_withdrawals() {
    // M receives 7 clean, pays 2, then receives 3 dirty, then pays 5 and 3.
    let mut net = Net::new();
    net.pay(2, 10, 7.0, 100);
    net.pay(10, 11, 2.0, 105);
    net.pay(1, 10, 3.0, 110);
    net.pay(10, 12, 5.0, 120);
    net.pay(10, 13, 3.0, 130);
    let g = net.finish();
    let seed = Seed::Edges(vec![edge(&g, a(1), a(10), 110)]);
    let labels = NodeLabels::new();
    for (model, want) in [
        (TaintModel::Poison, [0.0, 5.0, 3.0]),
        // Balance 8 with 3 dirty when 5 leave: 3 × 5/8; the rest goes with the last 3.
        (TaintModel::Haircut, [0.0, 1.875, 1.125]),
        (TaintModel::Fifo, [0.0, 0.0, 3.0]),
    ] {
        let r =
            trace(&g, &labels, &TraceRequest::new(vec![seed.clone()], Direction::Forward, model))
                .unwrap();
        for (node, w) in [11, 12, 13].into_iter().zip(want) {
            assert_close(held(&r, a(node)), w);
        }
    }
}

#[test]
fn inside_one_account_transaction_funds_leave_only_after_they_arrived() {
    // Address 10 holds 4 clean (tx 4). In tx 5 it first pays 12, then receives 4 dirty from
    // 1, then pays 11 (a contract forwarding what a call brought it): 11 gets the dirt, 12
    // none of it, though all three transfers share a block time and a transaction.
    let mut net = Net::new();
    net.pay_in(4, 3, 10, 4.0, 90);
    net.pay_in(5, 10, 12, 4.0, 100);
    net.pay_in(5, 1, 10, 4.0, 100);
    net.pay_in(5, 10, 11, 4.0, 100);
    let g = net.finish();
    for model in [TaintModel::Haircut, TaintModel::Fifo, TaintModel::Poison] {
        let r = trace(
            &g,
            &NodeLabels::new(),
            &TraceRequest::new(
                vec![Seed::Node { node: a(1), amount: None }],
                Direction::Forward,
                model,
            ),
        )
        .unwrap();
        assert_close(held(&r, a(11)), 4.0);
        assert_close(held(&r, a(12)), 0.0);
    }
}

/// Thief 1 (robbed from victim 90) splits 6 to A (2) and 4 to B (3). A peels: 5 to 4, which
/// pays 1 to exchange 50 and 4 to 5, which pays 2 to exchange 50 and 2 to exchange 51. B had
/// 4 clean from 6 and pays 8 to exchange 51.
pub(crate) fn split_and_peel() -> (chainward_graph::TransferGraph, NodeLabels) {
    let mut net = Net::new();
    net.pay(90, 1, 10.0, 0);
    net.pay(6, 3, 4.0, 1);
    net.pay(1, 2, 6.0, 2);
    net.pay(1, 3, 4.0, 3);
    net.pay(2, 4, 5.0, 10);
    net.pay(4, 50, 1.0, 20);
    net.pay(4, 5, 4.0, 21);
    net.pay(5, 50, 2.0, 30);
    net.pay(5, 51, 2.0, 31);
    net.pay(3, 51, 8.0, 40);
    let mut labels = NodeLabels::new();
    label(&mut labels, 50, Category::Exchange, "Binance");
    label(&mut labels, 51, Category::Exchange, "Kraken");
    (net.finish(), labels)
}

#[test]
fn split_and_peel_chain_reach_two_exchanges() {
    let (g, labels) = split_and_peel();
    let seed = vec![Seed::Node { node: a(1), amount: None }];
    for (model, binance, kraken, unspent) in [
        (TaintModel::Haircut, 3.0, 6.0, 1.0),
        (TaintModel::Fifo, 3.0, 6.0, 1.0),
        (TaintModel::Poison, 3.0, 10.0, 1.0),
    ] {
        let r = trace(&g, &labels, &TraceRequest::new(seed.clone(), Direction::Forward, model))
            .unwrap();
        assert_close(r.assets[0].seed, 10.0);
        let b = r.endpoints.iter().find(|e| e.node == a(50)).unwrap();
        assert_close(b.amount, binance);
        assert_eq!(b.reasons, vec![EndpointReason::Service]);
        assert_eq!(b.label.as_ref().unwrap().entity.as_deref(), Some("Binance"));
        assert_eq!(b.hops, 3);
        let k = r.endpoints.iter().find(|e| e.node == a(51)).unwrap();
        assert_close(k.amount, kraken);
        assert_eq!(k.hops, 2);
        assert_eq!((k.first_time, k.last_time), (31, 40));
        assert_close(held(&r, a(2)), unspent);
        if model.conserves() {
            assert_close(b.share, 0.3);
            assert_close(k.share, 0.6);
            assert_conserved(&r);
            assert_eq!(r.endpoints[0].node, a(51), "largest share first");
        }
    }
}

#[test]
fn services_stop_the_trace_unless_told_otherwise() {
    let (g, labels) = split_and_peel();
    let mut net = Net::new();
    // Not needed: the exchange has no outgoing transfers here, so check on a graph where
    // it has.
    net.pay(1, 50, 5.0, 1);
    net.pay(50, 7, 5.0, 2);
    let g2 = net.finish();
    let seed = vec![Seed::Node { node: a(1), amount: None }];
    let r = trace(
        &g2,
        &labels,
        &TraceRequest::new(seed.clone(), Direction::Forward, TaintModel::Haircut),
    )
    .unwrap();
    assert_close(held(&r, a(50)), 5.0);
    assert_close(held(&r, a(7)), 0.0);
    let mut through = TraceRequest::new(seed, Direction::Forward, TaintModel::Haircut);
    through.stop_at = CategorySet::EMPTY;
    let r = trace(&g2, &labels, &through).unwrap();
    assert_close(held(&r, a(50)), 0.0);
    assert_close(held(&r, a(7)), 5.0);
    drop(g);
}

#[test]
fn a_seed_amount_is_shared_by_model() {
    let (g, labels) = split_and_peel();
    let seed = vec![Seed::Node { node: a(1), amount: Some(5.0) }];
    let r = trace(
        &g,
        &labels,
        &TraceRequest::new(seed.clone(), Direction::Forward, TaintModel::Haircut),
    )
    .unwrap();
    // Half of each of the two transfers.
    assert_close(dirty(&r, edge(&g, a(1), a(2), 2)), 3.0);
    assert_close(dirty(&r, edge(&g, a(1), a(3), 3)), 2.0);
    let r =
        trace(&g, &labels, &TraceRequest::new(seed, Direction::Forward, TaintModel::Fifo)).unwrap();
    // The first 5 out: all of the 6 → 2 transfer would exceed; 5 of it.
    assert_close(dirty(&r, edge(&g, a(1), a(2), 2)), 5.0);
    assert_close(dirty(&r, edge(&g, a(1), a(3), 3)), 0.0);
    assert_conserved(&r);
}

#[test]
fn backward_trace_finds_the_sources() {
    // Worked example backward: where did the 5 paid to 12 come from?
    let g = worked_address();
    let labels = NodeLabels::new();
    let seed = Seed::Edges(vec![edge(&g, a(10), a(12), 111)]);
    for (model, from_1, from_2) in [
        (TaintModel::Haircut, 1.5, 3.5),
        (TaintModel::Fifo, 1.0, 4.0),
        (TaintModel::Poison, 3.0, 7.0),
    ] {
        let r =
            trace(&g, &labels, &TraceRequest::new(vec![seed.clone()], Direction::Backward, model))
                .unwrap();
        assert_close(held(&r, a(1)), from_1);
        assert_close(held(&r, a(2)), from_2);
        assert_eq!(reasons(&r, a(1)), vec![EndpointReason::Origin]);
        assert_eq!(r.endpoints.iter().find(|e| e.node == a(1)).unwrap().hops, 2);
        if model.conserves() {
            assert_conserved(&r);
        }
    }
    // Where did the funds Kraken received come from? Back through B (3) to the victim 90
    // and B's clean funder 6.
    let (g, labels) = split_and_peel();
    let r = trace(
        &g,
        &labels,
        &TraceRequest::new(
            vec![Seed::Node { node: a(51), amount: None }],
            Direction::Backward,
            TaintModel::Haircut,
        ),
    )
    .unwrap();
    // 8 from B: half from 6, half from 1 (all of whose funds came from 90). 2 from 5: from 1.
    assert_close(held(&r, a(6)), 4.0);
    assert_close(held(&r, a(90)), 6.0);
    assert_conserved(&r);
}

#[test]
fn backward_utxo_attributes_outputs_to_inputs() {
    let mut net = Net::new();
    net.utxo(&[(1, 3.0), (2, 7.0)], &[(11, 2.0), (12, 5.0), (13, 2.5)], 100);
    let g = net.finish();
    let seed = Seed::Edges(vec![edge_to(&g, a(12), 100)]);
    let r = trace(
        &g,
        &NodeLabels::new(),
        &TraceRequest::new(vec![seed], Direction::Backward, TaintModel::Fifo),
    )
    .unwrap();
    assert_close(held(&r, a(1)), 1.0);
    assert_close(held(&r, a(2)), 4.0);
    assert!(r.endpoints.iter().all(|e| e.hops == 1));
    assert_conserved(&r);
}

#[test]
fn renderings() {
    let (g, labels) = split_and_peel();
    let r = trace(
        &g,
        &labels,
        &TraceRequest::new(
            vec![Seed::Node { node: a(1), amount: None }],
            Direction::Forward,
            TaintModel::Haircut,
        ),
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["endpoints"][0]["categories"][0], "exchange");
    assert_eq!(json["model"], "haircut");
    let dot = r.to_dot(&chainward_trace::IdNaming, 100);
    assert!(dot.starts_with("digraph trace {"));
    assert!(dot.contains("Kraken"));
    assert!(dot.contains("#1e88e5"), "exchanges are blue");
    assert!(dot.contains("n1 -> n3"));
    let table = r.summary_table(&chainward_trace::IdNaming, 10);
    assert!(table.starts_with("ENTITY"));
    let kraken = table.lines().find(|l| l.contains("Kraken (address#51)")).unwrap();
    assert!(kraken.contains("exchange") && kraken.contains("service"), "{table}");
    assert!(kraken.contains("60.00%"), "{table}");
    let small = r.to_dot(&chainward_trace::IdNaming, 2);
    assert_eq!(small.matches(" -> ").count(), 2);
}
