//! Tracing and exposure at scale on a synthetic graph, against the GraphSense anchor.
//!
//! ```text
//! cargo run --release -p chainward-trace --example trace_bench -- [EDGES] [EXPOSURE_SUBJECTS]
//! ```
//!
//! `EDGES` defaults to 1,000,000 (a few seconds); the reference run is 100,000,000. The
//! graph is deterministic (an inline xorshift generator): a mix of account transfers and
//! 2-in/2-out UTXO transactions over `EDGES / 4` addresses; times increase with the edge index
//! and three payers in four spend part of what they received recently, so money moves along
//! paths in time; payers and payees are heavy-tailed (power-law-ish degrees); 5% of
//! transfers are deposits to 16 hub exchanges; a thousand risky addresses are labelled
//! (sanctioned, mixer, scam, stolen funds).

use chainward_graph::{GraphBuilder, LabelInfo, NodeId, NodeLabels, TransferGraph};
use chainward_primitives::Category;
use chainward_trace::{
    Direction, ExposureRequest, Seed, TaintModel, TraceRequest, exposure, trace,
};
use std::time::Instant;

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An id in 0..n, skewed toward 0 (`skew` 1 is uniform; larger is heavier-tailed).
    fn skewed(&mut self, n: u64, skew: i32) -> u64 {
        ((self.unit().powi(skew) * n as f64) as u64).min(n - 1)
    }
}

const HUBS: u64 = 16;
const T0: u32 = 1_600_000_000;

fn generate(edges: usize) -> (TransferGraph, NodeLabels, u64) {
    let addresses = (edges as u64 / 4).max(1_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut b = GraphBuilder::with_capacity(edges + 4);
    let coin = b.asset(1, None);
    let addr = |id: u64| NodeId::address(id).expect("synthetic ids fit");
    // Ten transfers a second: 100 M edges span four months.
    let time_of = |i: usize| T0 + (i / 10) as u32;
    // Most payers spend funds they received recently (part of them, the rest kept for
    // later), as wallets and peel chains do: that is what makes money move along paths in
    // time. The rest are heavy-tailed random payers.
    let mut recent: Vec<(u64, f64)> = Vec::with_capacity(1 << 16);
    let payer = |rng: &mut Rng, recent: &mut Vec<(u64, f64)>| -> (u64, f64) {
        if recent.len() > 1_000 && !rng.next().is_multiple_of(4) {
            let k = (rng.next() % recent.len() as u64) as usize;
            let (id, held) = recent.swap_remove(k);
            let spend = held * (0.3 + 0.7 * rng.unit());
            if held - spend > 1.0 && rng.next().is_multiple_of(2) {
                recent.push((id, held - spend));
            }
            (id, spend)
        } else {
            (HUBS + rng.skewed(addresses - HUBS, 3), (rng.unit() * 14.0).exp())
        }
    };
    let received = |rng: &mut Rng, recent: &mut Vec<(u64, f64)>, id: u64, amount: f64| {
        if id < HUBS {
            return;
        }
        if recent.len() < 1 << 16 {
            recent.push((id, amount));
        } else {
            let k = (rng.next() % recent.len() as u64) as usize;
            recent[k] = (id, amount);
        }
    };
    let payee = |rng: &mut Rng| -> u64 {
        match rng.next() % 20 {
            0 => rng.next() % HUBS,
            1..=9 => rng.skewed(addresses, 2),
            _ => rng.next() % addresses,
        }
    };
    let mut i = 0usize;
    let mut tx = 1u32;
    while i < edges {
        let time = time_of(i);
        if rng.next().is_multiple_of(10) {
            // A UTXO transaction, 2 inputs and 2 outputs (payment and change).
            let node = b.transaction_node(tx).expect("synthetic tx count fits");
            let (first, a1) = payer(&mut rng, &mut recent);
            let (second, a2) = payer(&mut rng, &mut recent);
            b.add_edge(addr(first), node, a1, time, coin, tx).expect("fits");
            b.add_edge(addr(second), node, a2, time, coin, tx).expect("fits");
            let to = payee(&mut rng);
            let pay = (a1 + a2) * (0.2 + 0.7 * rng.unit());
            let change = (a1 + a2) * 0.999 - pay;
            b.add_edge(node, addr(to), pay, time, coin, tx).expect("fits");
            b.add_edge(node, addr(first), change, time, coin, tx).expect("fits");
            received(&mut rng, &mut recent, to, pay);
            i += 4;
        } else {
            let (from, amount) = payer(&mut rng, &mut recent);
            let to = payee(&mut rng);
            b.add_edge(addr(from), addr(to), amount, time, coin, tx).expect("fits");
            received(&mut rng, &mut recent, to, amount);
            i += 1;
        }
        tx += 1;
    }
    let graph = b.finish().expect("synthetic graph builds");
    let mut labels = NodeLabels::new();
    let info = |category: Category, entity: String| LabelInfo {
        category,
        entity: Some(entity),
        confidence: 90,
        source: "bench".into(),
    };
    for h in 0..HUBS {
        labels.add(addr(h), info(Category::Exchange, format!("Exchange {h}")));
    }
    let risky = [Category::Sanctioned, Category::Mixer, Category::Scam, Category::StolenFunds];
    for k in 0..1_000 {
        let id = HUBS + rng.next() % (addresses - HUBS);
        let category = risky[k % risky.len()];
        labels.add(addr(id), info(category, format!("{category} {k}")));
    }
    (graph, labels, addresses)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run_trace(
    graph: &TransferGraph,
    labels: &NodeLabels,
    seed: NodeId,
    model: TaintModel,
    min_amount: f64,
    what: &str,
) {
    let mut req =
        TraceRequest::new(vec![Seed::Node { node: seed, amount: None }], Direction::Forward, model);
    req.max_hops = 10;
    req.min_amount = min_amount;
    let t = Instant::now();
    let r = trace(graph, labels, &req).expect("the seed is in the graph");
    let secs = t.elapsed().as_secs_f64();
    let f = &r.assets[0];
    let pct = |x: f64| 100.0 * x / f.seed;
    println!(
        "  10-hop {model:<7} ({what}): {:.3} s, {} edge visits ({:.0} M/s), {} nodes, {} tainted \
         edges, {} endpoints; {:.1}% at exchanges, {:.1}% unspent, {:.1}% at hop bound, {:.1}% \
         cut, {:.1}% dropped; 64 s / this = {:.0}x",
        secs,
        r.stats.visited_edges,
        r.stats.visited_edges as f64 / secs / 1e6,
        r.stats.visited_nodes,
        r.graph.edges.len(),
        r.endpoints.len(),
        pct(f.services),
        pct(f.unspent),
        pct(f.hop_limit),
        pct(f.truncated),
        pct(f.dropped_below_min),
        64.0 / secs
    );
    for cut in r.stats.cut_by.iter().filter(|c| c.bound != chainward_trace::Bound::MaxHops) {
        println!("      cut: {}", cut.message);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let edges: usize = args.next().map_or(1_000_000, |a| a.parse().expect("EDGES is a number"));
    let subjects: usize = args.next().map_or(1_000, |a| a.parse().expect("a number"));

    let t = Instant::now();
    let (graph, labels, addresses) = generate(edges);
    let build = t.elapsed().as_secs_f64();
    let edge_count = graph.edge_count();
    println!(
        "graph: {edge_count} edges, {addresses} address slots, {} tx nodes",
        graph.transaction_count()
    );
    println!(
        "build: {build:.1} s; memory {:.1} MB = {:.1} bytes/edge",
        graph.memory_bytes() as f64 / 1e6,
        graph.memory_bytes() as f64 / edge_count as f64
    );

    // The floor the graph API sets: reading every edge once through each adjacency.
    let t = Instant::now();
    let mut sum = 0.0;
    for node in graph.address_nodes() {
        sum += graph.out_edges(node).map(|e| e.amount).sum::<f64>();
    }
    let out_ns = t.elapsed().as_secs_f64() * 1e9 / edge_count as f64;
    let t = Instant::now();
    for node in graph.address_nodes() {
        sum -= graph.in_edges(node).map(|e| e.amount).sum::<f64>();
    }
    let in_ns = t.elapsed().as_secs_f64() * 1e9 / edge_count as f64;
    println!(
        "graph API floor: out-edges {out_ns:.1} ns/edge, in-edges {in_ns:.1} ns/edge ({sum:.0})"
    );

    // A typical seed (a few early outgoing transfers, so it has time to spread) and the
    // busiest address that is not a service (the worst case an analyst can ask for).
    let mut rng = Rng(42);
    let span = (edge_count / 10) as u32;
    let typical = loop {
        let id = HUBS + rng.next() % (addresses - HUBS);
        let node = NodeId::address(id).expect("fits");
        let degree = graph.out_degree(node);
        if (3..=50).contains(&degree)
            && graph.out_edges(node).next().is_some_and(|e| e.time < T0 + span / 20)
        {
            break node;
        }
    };
    let busiest = NodeId::address(HUBS).expect("fits");
    for (name, seed) in [("typical", typical), ("busiest", busiest)] {
        let seed_total: f64 = graph.out_edges(seed).map(|e| e.amount).sum();
        println!(
            "\n{name} seed {seed}: {} outgoing transfers, {seed_total:.0} units",
            graph.out_degree(seed)
        );
        for (what, min_share) in [("min 0.01% of seed", 1e-4), ("no minimum", 0.0)] {
            for model in [TaintModel::Haircut, TaintModel::Fifo, TaintModel::Poison] {
                run_trace(&graph, &labels, seed, model, seed_total * min_share, what);
            }
        }
    }

    let mut latencies = Vec::with_capacity(subjects);
    let mut visited = 0u64;
    let mut cut = 0usize;
    let request = ExposureRequest::default();
    let mut done = 0;
    while done < subjects {
        let id = rng.next() % addresses;
        let node = NodeId::address(id).expect("fits");
        if !graph.contains(node) {
            continue;
        }
        let t = Instant::now();
        let x = exposure(&graph, &labels, &[node], &request).expect("the subject is in the graph");
        latencies.push(t.elapsed().as_secs_f64());
        visited += x.visited_edges;
        cut += usize::from(x.cut_by.iter().any(|c| c.bound != chainward_trace::Bound::MaxHops));
        done += 1;
    }
    latencies.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    println!(
        "\nexposure, 3 hops both ways, {subjects} random addresses: p50 {:.3} ms, p99 {:.3} ms, \
         max {:.3} ms; {:.0} edge visits on average; {cut} cut by a limit",
        p50 * 1e3,
        p99 * 1e3,
        latencies.last().copied().unwrap_or(0.0) * 1e3,
        visited as f64 / subjects as f64
    );
    println!(
        "anchor: GraphSense neighbour search at depth 3 took 64-77 s (graphsense-REST#14): \
         p50 {:.0}x faster, p99 {:.0}x faster than 64 s",
        64.0 / p50,
        64.0 / p99
    );
}
