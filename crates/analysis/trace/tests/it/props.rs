//! Property tests over random small graphs (account transfers, self-transfers and UTXO
//! transactions): conservation under every bound, agreement with a straightforward global
//! event simulation, and forward/backward duality (backward is the transpose of forward).

use crate::*;
use chainward_graph::{EdgeId, NodeLabels, TransferGraph};
use chainward_trace::{Direction, Seed, TaintModel, TraceLimits, TraceRequest, trace};
use proptest::prelude::*;
use std::collections::{HashMap, VecDeque};

/// A UTXO transaction: inputs, outputs (scaled to the inputs), time, fee.
type Utxo = (Vec<(u64, u16)>, Vec<(u64, u16)>, u8, u16);

#[derive(Clone, Debug)]
struct Spec {
    transfers: Vec<(u64, u64, u16, u8)>,
    utxos: Vec<Utxo>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let transfer = (1u64..8, 1u64..8, 1u16..100, 0u8..12);
    let side = prop::collection::vec((1u64..8, 1u16..100), 1..4);
    let utxo = (side.clone(), side, 0u8..12, 0u16..30);
    (prop::collection::vec(transfer, 1..25), prop::collection::vec(utxo, 0..5))
        .prop_map(|(transfers, utxos)| Spec { transfers, utxos })
}

fn build(spec: &Spec) -> TransferGraph {
    let mut net = Net::new();
    for &(from, to, amount, time) in &spec.transfers {
        net.pay(from, to, f64::from(amount), u32::from(time));
    }
    for (ins, outs, time, fee) in &spec.utxos {
        let total_in: f64 = ins.iter().map(|i| f64::from(i.1)).sum();
        let total_out: f64 = outs.iter().map(|o| f64::from(o.1)).sum();
        // Outputs scaled to the inputs minus a fee, as a real transaction would be.
        let scale = (total_in - f64::from(*fee).min(total_in / 2.0)) / total_out;
        let ins: Vec<(u64, f64)> = ins.iter().map(|&(n, v)| (n, f64::from(v))).collect();
        let outs: Vec<(u64, f64)> = outs.iter().map(|&(n, v)| (n, f64::from(v) * scale)).collect();
        net.utxo(&ins, &outs, u32::from(*time));
    }
    net.finish()
}

/// A straightforward global simulation of forward haircut or FIFO from fully dirty seed
/// edges: every transfer in (time, tx) order, address payers before transaction nodes
/// within one transaction, each node's edges in graph order.
fn reference(g: &TransferGraph, seeds: &[EdgeId], fifo: bool) -> HashMap<EdgeId, f64> {
    #[derive(Default)]
    struct State {
        balance: f64,
        dirt: f64,
        queue: VecDeque<(f64, f64)>,
    }
    let mut states: HashMap<u32, State> = HashMap::new();
    let mut groups: Vec<(u32, u32)> = g.edges().map(|e| (e.time, e.tx)).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut dirt: HashMap<EdgeId, f64> = HashMap::new();
    let mut payers: Vec<_> = g.edges().map(|e| e.from).collect();
    payers.sort_unstable();
    payers.dedup();
    for (time, tx) in groups {
        for tx_phase in [false, true] {
            let in_group = |e: &chainward_graph::Edge| {
                (e.time, e.tx) == (time, tx) && e.from.is_transaction() == tx_phase
            };
            let mut paid = Vec::new();
            for &payer in &payers {
                if payer.is_transaction() != tx_phase {
                    continue;
                }
                for e in g.out_edges(payer).filter(|e| in_group(e)) {
                    let st = states.entry(payer.0).or_default();
                    let d = if fifo {
                        let (mut need, mut got) = (e.amount, 0.0);
                        while need > 0.0 {
                            let Some(front) = st.queue.front_mut() else { break };
                            if front.0 <= need {
                                need -= front.0;
                                got += front.1;
                                st.queue.pop_front();
                            } else {
                                let part = front.1 * need / front.0;
                                got += part;
                                front.1 -= part;
                                front.0 -= need;
                                need = 0.0;
                            }
                        }
                        got
                    } else {
                        let effective = st.balance.max(e.amount);
                        let d = if effective > 0.0 { st.dirt * e.amount / effective } else { 0.0 };
                        st.dirt -= d;
                        st.balance = effective - e.amount;
                        d
                    };
                    let carried = if seeds.contains(&e.id) { e.amount } else { d };
                    dirt.insert(e.id, carried);
                    paid.push(e.to);
                }
            }
            paid.sort_unstable();
            paid.dedup();
            for payee in paid {
                for e in g.in_edges(payee).filter(|e| in_group(e)) {
                    let d = dirt[&e.id];
                    let st = states.entry(payee.0).or_default();
                    st.balance += e.amount;
                    st.dirt += d;
                    st.queue.push_back((e.amount, d));
                }
            }
        }
    }
    dirt
}

fn big(model: TaintModel, direction: Direction, seeds: Vec<Seed>) -> TraceRequest {
    let mut req = TraceRequest::new(seeds, direction, model);
    req.max_hops = TraceRequest::MAX_HOPS;
    req
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn forward_matches_a_global_event_simulation(spec in spec(), pick in any::<prop::sample::Index>(), fifo in any::<bool>()) {
        let g = build(&spec);
        let ids: Vec<EdgeId> = g.edges().map(|e| e.id).collect();
        let seed = ids[pick.index(ids.len())];
        let model = if fifo { TaintModel::Fifo } else { TaintModel::Haircut };
        let r = trace(&g, &NodeLabels::new(), &big(model, Direction::Forward, vec![Seed::Edges(vec![seed])])).unwrap();
        let want = reference(&g, &[seed], fifo);
        let total = g.edge(seed).unwrap().amount;
        for id in &ids {
            let got = dirty(&r, *id);
            let exp = want.get(id).copied().unwrap_or(0.0);
            prop_assert!((got - exp).abs() <= 1e-9 * total, "edge {id:?}: engine {got}, reference {exp}");
        }
        assert_conserved(&r);
    }

    #[test]
    fn backward_is_the_transpose_of_forward(spec in spec(), i in any::<prop::sample::Index>(), o in any::<prop::sample::Index>(), fifo in any::<bool>()) {
        let g = build(&spec);
        let ids: Vec<EdgeId> = g.edges().map(|e| e.id).collect();
        prop_assume!(ids.len() >= 2);
        // `o` is drawn from the edges other than `i`, so no draw is thrown away.
        let (i, o) = (i.index(ids.len()), o.index(ids.len() - 1));
        let (i, o) = (ids[i], ids[if o >= i { o + 1 } else { o }]);
        let model = if fifo { TaintModel::Fifo } else { TaintModel::Haircut };
        let labels = NodeLabels::new();
        let fwd = trace(&g, &labels, &big(model, Direction::Forward, vec![Seed::Edges(vec![i])])).unwrap();
        let back = trace(&g, &labels, &big(model, Direction::Backward, vec![Seed::Edges(vec![o])])).unwrap();
        let (f, b) = (dirty(&fwd, o), dirty(&back, i));
        let scale = g.edge(i).unwrap().amount.max(g.edge(o).unwrap().amount);
        prop_assert!((f - b).abs() <= 1e-9 * scale, "forward {i:?}→{o:?} {f}, backward {b}");
        assert_conserved(&back);
    }

    #[test]
    fn conservation_and_bounds_hold_under_every_bound(
        spec in spec(),
        node in 1u64..8,
        pick in any::<prop::sample::Index>(),
        use_node in any::<bool>(),
        model in prop::sample::select(vec![TaintModel::Haircut, TaintModel::Fifo, TaintModel::Poison]),
        backward in any::<bool>(),
        max_hops in 1u32..6,
        min_amount in prop::sample::select(vec![0.0, 0.5, 5.0, 30.0]),
        window in (0u32..12, 0u32..12),
        limits in (1usize..30, 1usize..30, 1u64..200),
    ) {
        let g = build(&spec);
        let seed = if use_node && g.contains(a(node)) {
            Seed::Node { node: a(node), amount: None }
        } else {
            let ids: Vec<EdgeId> = g.edges().map(|e| e.id).collect();
            Seed::Edges(vec![ids[pick.index(ids.len())]])
        };
        let direction = if backward { Direction::Backward } else { Direction::Forward };
        let mut req = TraceRequest::new(vec![seed], direction, model);
        req.max_hops = max_hops;
        req.min_amount = min_amount;
        req.since = window.0.min(window.1);
        req.until = window.0.max(window.1);
        req.limits = TraceLimits { max_nodes: limits.0, max_edges: limits.1, max_work: limits.2 };
        let Ok(r) = trace(&g, &NodeLabels::new(), &req) else { return Ok(()) };
        prop_assert!(r.graph.nodes.len() <= limits.0);
        prop_assert!(r.graph.edges.len() <= limits.1);
        prop_assert!(r.stats.visited_edges <= limits.2);
        prop_assert!(r.endpoints.iter().all(|e| e.hops <= max_hops));
        prop_assert!(r.graph.edges.iter().all(|e| e.time >= req.since && e.time <= req.until));
        prop_assert!(r.graph.edges.iter().all(|e| e.dirty >= min_amount));
        if model.conserves() {
            assert_conserved(&r);
            prop_assert!(r.graph.edges.iter().all(|e| e.dirty <= e.amount * (1.0 + 1e-9)));
        } else {
            prop_assert!(r.graph.edges.iter().all(|e| e.dirty == e.amount));
        }
    }
}
