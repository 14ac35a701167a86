//! Bounds: hops, minimum amount, time window, limits; and refused requests.

use crate::worked::split_and_peel;
use crate::*;
use chainward_graph::NodeLabels;
use chainward_trace::{
    Bound, Direction, EndpointReason, Seed, TaintModel, TraceError, TraceLimits, TraceRequest,
    trace,
};

fn from_thief(model: TaintModel) -> TraceRequest {
    TraceRequest::new(vec![Seed::Node { node: a(1), amount: None }], Direction::Forward, model)
}

#[test]
fn max_hops_holds_the_funds_where_the_bound_falls() {
    let (g, labels) = split_and_peel();
    for model in [TaintModel::Haircut, TaintModel::Fifo, TaintModel::Poison] {
        let mut req = from_thief(model);
        req.max_hops = 2;
        let r = trace(&g, &labels, &req).unwrap();
        // 1 → 2 → 4 is two hops: 4 holds the 5 it got; Kraken is two hops away via 3.
        assert_close(held(&r, a(4)), 5.0);
        assert_eq!(reasons(&r, a(4)), vec![EndpointReason::HopLimit]);
        assert_close(held(&r, a(50)), 0.0);
        assert!(r.endpoints.iter().all(|e| e.hops <= 2));
        let cut = r.stats.cut_by.iter().find(|c| c.bound == Bound::MaxHops).unwrap();
        assert_eq!((cut.limit, cut.nodes), (2, 1));
        assert!(cut.message.contains("raise max_hops"), "{}", cut.message);
        assert!(r.is_complete(), "the hop bound is the request's own");
        if model.conserves() {
            assert_close(cut.share, 0.5);
            assert_conserved(&r);
        }
    }
}

#[test]
fn min_amount_drops_small_flows_and_counts_them() {
    let (g, labels) = split_and_peel();
    let mut req = from_thief(TaintModel::Haircut);
    req.min_amount = 1.5;
    let r = trace(&g, &labels, &req).unwrap();
    // 4 → Binance (1) falls below; so does A's unspent 1.
    assert_close(held(&r, a(50)), 2.0);
    assert_close(held(&r, a(2)), 0.0);
    assert_close(r.assets[0].dropped_below_min, 2.0);
    assert_eq!(r.assets[0].dropped_flows, 1);
    assert_conserved(&r);
}

#[test]
fn time_window_bounds_what_carries_dirt() {
    let (g, labels) = split_and_peel();
    let mut req = from_thief(TaintModel::Fifo);
    req.until = 25;
    let r = trace(&g, &labels, &req).unwrap();
    // Transfers after 25 do not happen in the window: 5 and B (3) still hold theirs.
    assert_close(held(&r, a(5)), 4.0);
    assert_close(held(&r, a(3)), 4.0);
    assert_close(held(&r, a(50)), 1.0);
    assert_close(held(&r, a(51)), 0.0);
    assert_conserved(&r);
    // A window that starts after the thief's transfers leaves nothing to trace.
    let mut late = from_thief(TaintModel::Fifo);
    late.since = 15;
    assert!(matches!(trace(&g, &labels, &late), Err(TraceError::NothingToTrace(_))));
    // Backward, sources before the window are origins: Kraken's 8 from B, half of it from
    // 6 at time 1, before the window; the other half from 1, funded by 90 at time 0.
    let mut back = TraceRequest::new(
        vec![Seed::Edges(vec![edge(&g, a(3), a(51), 40)])],
        Direction::Backward,
        TaintModel::Haircut,
    );
    back.since = 2;
    let r = trace(&g, &labels, &back).unwrap();
    assert_close(held(&r, a(3)), 4.0);
    assert_eq!(reasons(&r, a(3)), vec![EndpointReason::Origin]);
    assert_close(held(&r, a(1)), 4.0);
    assert_close(held(&r, a(90)), 0.0);
    assert_conserved(&r);
}

/// A fan-out tree: node k pays its children 2k+100 and 2k+101, ten levels deep.
fn tree() -> chainward_graph::TransferGraph {
    let mut net = Net::new();
    net.pay(99, 1, 1024.0, 0);
    let mut level = vec![(1u64, 1024.0f64)];
    let mut next_id = 2;
    for depth in 1..=10u32 {
        let mut next = Vec::new();
        for (node, amount) in level {
            for _ in 0..2 {
                net.pay(node, next_id, amount / 2.0, depth * 10);
                next.push((next_id, amount / 2.0));
                next_id += 1;
            }
        }
        level = next;
    }
    net.finish()
}

#[test]
fn limits_cut_the_search_and_say_so() {
    let g = tree();
    let labels = NodeLabels::new();
    for (limits, bound) in [
        (TraceLimits { max_edges: 50, ..TraceLimits::default() }, Bound::MaxEdges),
        (TraceLimits { max_nodes: 40, ..TraceLimits::default() }, Bound::MaxNodes),
        (TraceLimits { max_work: 100, ..TraceLimits::default() }, Bound::MaxWork),
    ] {
        for model in [TaintModel::Haircut, TaintModel::Fifo, TaintModel::Poison] {
            let mut req = from_thief(model);
            req.limits = limits;
            req.max_hops = 64;
            let r = trace(&g, &labels, &req).unwrap();
            assert!(r.graph.edges.len() <= limits.max_edges);
            assert!(r.graph.nodes.len() <= limits.max_nodes);
            assert!(r.stats.visited_edges <= limits.max_work);
            let cut = r.stats.cut_by.iter().find(|c| c.bound == bound).unwrap_or_else(|| {
                panic!("{bound:?} not reported for {model}: {:?}", r.stats.cut_by)
            });
            assert!(cut.nodes > 0 && cut.share > 0.0);
            assert!(cut.message.contains("raise limits."), "{}", cut.message);
            assert!(!r.is_complete());
            assert!(r.endpoints.iter().any(|e| e.reasons.contains(&EndpointReason::Truncated)));
            if model.conserves() {
                assert_conserved(&r);
            }
        }
    }
    // Unbounded by limits, the whole tree: 1024 leaves of 1 each.
    let mut req = from_thief(TaintModel::Haircut);
    req.max_hops = 64;
    let r = trace(&g, &labels, &req).unwrap();
    assert!(r.stats.cut_by.is_empty());
    assert_eq!(r.endpoints.len(), 1024);
    assert_conserved(&r);
}

#[test]
fn bad_requests_are_refused_clearly() {
    let (g, labels) = split_and_peel();
    let run = |req: TraceRequest| trace(&g, &labels, &req).unwrap_err();
    let missing = run(TraceRequest::new(
        vec![Seed::Node { node: a(12345), amount: None }],
        Direction::Forward,
        TaintModel::Haircut,
    ));
    assert_eq!(missing, TraceError::UnknownNode(a(12345)));
    assert_eq!(
        missing.to_string(),
        "address#12345 is not in the analytics graph (no transfers recorded for it)"
    );
    let bad_edge = chainward_graph::EdgeId(9999);
    assert_eq!(
        run(TraceRequest::new(
            vec![Seed::Edges(vec![bad_edge])],
            Direction::Forward,
            TaintModel::Fifo
        )),
        TraceError::UnknownEdge(bad_edge)
    );
    assert_eq!(
        run(TraceRequest::new(vec![], Direction::Forward, TaintModel::Fifo)),
        TraceError::NoSeeds
    );
    for hops in [0, 65] {
        let mut req = from_thief(TaintModel::Haircut);
        req.max_hops = hops;
        let e = run(req);
        assert!(matches!(e, TraceError::InvalidBound { what: "max_hops", .. }), "{e}");
        assert!(e.to_string().contains("allowed: 1 to 64"), "{e}");
    }
    let mut req = from_thief(TaintModel::Haircut);
    req.since = 10;
    req.until = 5;
    assert!(matches!(run(req), TraceError::InvalidBound { what: "time window", .. }));
    let mut req = from_thief(TaintModel::Haircut);
    req.min_amount = f64::NAN;
    assert!(matches!(run(req), TraceError::InvalidBound { what: "min_amount", .. }));
    let mut req = from_thief(TaintModel::Haircut);
    req.limits.max_work = TraceLimits::HARD_MAX_WORK + 1;
    assert!(matches!(run(req), TraceError::InvalidBound { what: "limits.max_work", .. }));
    let mut req = from_thief(TaintModel::Haircut);
    req.limits.max_nodes = 0;
    assert!(matches!(run(req), TraceError::InvalidBound { what: "limits.max_nodes", .. }));
    let req = TraceRequest::new(
        vec![Seed::Node { node: a(1), amount: Some(-1.0) }],
        Direction::Forward,
        TaintModel::Haircut,
    );
    assert!(matches!(run(req), TraceError::InvalidBound { what: "seed amount", .. }));
    let mut req = TraceRequest::new(
        vec![Seed::Edges(vec![edge(&g, a(1), a(2), 2)])],
        Direction::Forward,
        TaintModel::Haircut,
    );
    req.since = 5;
    assert!(matches!(run(req), TraceError::SeedOutsideWindow { .. }));
    // An amount from a node with two assets needs the asset named.
    let mut net = Net::new();
    net.pay(1, 2, 5.0, 1);
    let token = net.b.asset(1, Some(777));
    net.b.add_edge(a(1), a(3), 9.0, 2, token, 99).unwrap();
    let g2 = net.finish();
    let req = TraceRequest::new(
        vec![Seed::Node { node: a(1), amount: Some(1.0) }],
        Direction::Forward,
        TaintModel::Haircut,
    );
    let e = trace(&g2, &labels, &req).unwrap_err();
    assert!(matches!(e, TraceError::AmbiguousAsset { assets: 2, .. }), "{e}");
    let mut one = req;
    one.asset = Some(token);
    let r = trace(&g2, &labels, &one).unwrap();
    assert_eq!(r.assets.len(), 1);
    assert_close(held(&r, a(3)), 1.0);
    // Without an amount, each asset is traced on its own and never mixed.
    let all = TraceRequest::new(
        vec![Seed::Node { node: a(1), amount: None }],
        Direction::Forward,
        TaintModel::Haircut,
    );
    let r = trace(&g2, &labels, &all).unwrap();
    assert_eq!(r.assets.len(), 2);
    assert!(r.endpoints.iter().all(|e| (e.node == a(3)) == (e.asset == token)));
}

#[test]
fn assets_never_mix_at_a_node() {
    // 10 receives 5 dirty coin and 5 token, then pays 5 token: no coin dirt can ride on it.
    let mut net = Net::new();
    let token = net.b.asset(1, Some(777));
    net.pay(1, 10, 5.0, 1);
    net.b.add_edge(a(2), a(10), 5.0, 2, token, 50).unwrap();
    net.b.add_edge(a(10), a(11), 5.0, 3, token, 51).unwrap();
    let g = net.finish();
    let r = trace(&g, &NodeLabels::new(), &from_thief(TaintModel::Poison)).unwrap();
    assert_close(held(&r, a(11)), 0.0);
    assert_close(held(&r, a(10)), 5.0);
}
