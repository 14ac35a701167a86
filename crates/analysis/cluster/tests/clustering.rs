//! Clustering over built graphs: multi-input with CoinJoins skipped, each change heuristic off
//! by default and merging when enabled, and exchange deposit addresses on an account chain.

use chainward_cluster::{ChangePolicy, ClusterOptions, CoinJoinKind, HeuristicKind, cluster};
use chainward_graph::{AssetId, GraphBuilder, LabelInfo, NodeId, NodeLabels, TransferGraph};
use chainward_primitives::Category;

fn a(id: u64) -> NodeId {
    NodeId::address(id).unwrap()
}

/// A chain of UTXO transactions, one per second, store ids ascending.
struct Utxo {
    builder: GraphBuilder,
    btc: AssetId,
    next_tx: u32,
}

impl Utxo {
    fn new() -> Self {
        let mut builder = GraphBuilder::new();
        let btc = builder.asset(0, None);
        Self { builder, btc, next_tx: 1 }
    }

    fn tx(&mut self, inputs: &[(u64, u64)], outputs: &[(u64, u64)]) {
        let id = self.next_tx;
        self.next_tx += 1;
        let node = self.builder.transaction_node(id).unwrap();
        let time = 1_700_000_000 + id;
        for &(address, value) in inputs {
            self.builder.add_edge(a(address), node, value as f64, time, self.btc, id).unwrap();
        }
        for &(address, value) in outputs {
            self.builder.add_edge(node, a(address), value as f64, time, self.btc, id).unwrap();
        }
    }

    fn finish(self) -> TransferGraph {
        self.builder.finish().unwrap()
    }
}

#[test]
fn multi_input_joins_inputs_and_skips_coinjoins() {
    let mut chain = Utxo::new();
    chain.tx(&[], &[(1, 5_000_000_000)]); // coinbase
    chain.tx(&[(1, 600_000), (2, 700_000)], &[(3, 1_200_000)]);
    chain.tx(&[(3, 100_000), (4, 100_000), (5, 100_000)], &[(6, 290_000)]);
    // A Whirlpool mix of 7..=11: its inputs must stay apart.
    let pool = 1_000_000;
    chain.tx(
        &[(7, pool), (8, pool), (9, pool + 5_000), (10, pool + 6_000), (11, pool + 7_000)],
        &[(20, pool), (21, pool), (22, pool), (23, pool), (24, pool)],
    );
    let graph = chain.finish();
    let labels = NodeLabels::new();

    let clustering = cluster(&graph, &labels, &ClusterOptions::graphsense());
    assert!(clustering.same_cluster(a(1), a(2)));
    assert!(clustering.same_cluster(a(3), a(5)));
    assert!(!clustering.same_cluster(a(2), a(3)), "an output does not join its inputs");
    assert!(!clustering.same_cluster(a(7), a(8)), "a CoinJoin's inputs stay apart");
    assert_eq!(clustering.representative(a(5)), Some(a(3)));
    assert_eq!(clustering.members(a(4)), &[a(3), a(4), a(5)]);
    assert_eq!(clustering.members(a(7)), &[] as &[NodeId]);
    assert_eq!(clustering.cluster_size(a(7)), 1);

    let stats = clustering.stats();
    assert_eq!(stats.coinbase_transactions, 1);
    assert_eq!(stats.transactions_examined, 3);
    assert_eq!(stats.coinjoins(CoinJoinKind::Whirlpool), 1);
    assert_eq!(stats.coinjoins_total(), 1);
    assert_eq!(stats.merges_by(HeuristicKind::MultiInput), 1 + 2);
    assert_eq!(stats.clusters, 2);
    assert_eq!(stats.clustered_addresses, 5);
    assert_eq!(stats.largest_cluster, 3);
    assert_eq!(clustering.clusters().count(), 2);

    // Without the filter the mix joins its inputs: the filter is what keeps them apart.
    let unfiltered = ClusterOptions { skip_coinjoins: false, ..ClusterOptions::graphsense() };
    assert!(cluster(&graph, &labels, &unfiltered).same_cluster(a(7), a(11)));
}

/// Address 5 has received before; this transaction pays 5 and a fresh 6, so 6 is the
/// one-time change. Inputs 1 and 2 hold 70 000 and 90 000; the outputs are 100 000 and 59 000,
/// so the 59 000 output (address 6) is also the only one below every input.
fn payment_with_fresh_change() -> TransferGraph {
    let mut chain = Utxo::new();
    chain.tx(&[(9, 10_000)], &[(5, 9_000)]);
    chain.tx(&[(1, 70_000), (2, 90_000)], &[(5, 100_000), (6, 59_000)]);
    chain.finish()
}

#[test]
fn change_heuristics_are_off_by_default() {
    let graph = payment_with_fresh_change();
    let clustering = cluster(&graph, &NodeLabels::new(), &ClusterOptions::default());
    assert!(clustering.same_cluster(a(1), a(2)));
    assert!(!clustering.same_cluster(a(1), a(6)));
    for kind in [
        HeuristicKind::OneTimeChange,
        HeuristicKind::OptimalChange,
        HeuristicKind::AddressReuseChange,
    ] {
        assert_eq!(clustering.stats().merges_by(kind), 0);
    }
}

#[test]
fn one_time_change_joins_the_fresh_output() {
    let graph = payment_with_fresh_change();
    let options = ClusterOptions::default().with(HeuristicKind::OneTimeChange);
    let clustering = cluster(&graph, &NodeLabels::new(), &options);
    assert!(clustering.same_cluster(a(1), a(6)));
    assert!(!clustering.same_cluster(a(1), a(5)), "the known payee is not change");
    assert_eq!(clustering.stats().merges_by(HeuristicKind::OneTimeChange), 1);

    // Both outputs fresh: no way to tell, no link.
    let mut chain = Utxo::new();
    chain.tx(&[(1, 70_000), (2, 90_000)], &[(5, 100_000), (6, 59_000)]);
    let graph = chain.finish();
    let clustering = cluster(&graph, &NodeLabels::new(), &options);
    assert!(!clustering.same_cluster(a(1), a(6)) && !clustering.same_cluster(a(1), a(5)));
}

#[test]
fn optimal_change_joins_the_output_below_every_input() {
    let mut chain = Utxo::new();
    chain.tx(&[(1, 70_000), (2, 90_000)], &[(5, 100_000), (6, 59_000)]);
    let graph = chain.finish();
    let options = ClusterOptions::default().with(HeuristicKind::OptimalChange);
    let clustering = cluster(&graph, &NodeLabels::new(), &options);
    assert!(clustering.same_cluster(a(2), a(6)));
    assert!(!clustering.same_cluster(a(2), a(5)));
    assert_eq!(clustering.stats().merges_by(HeuristicKind::OptimalChange), 1);

    // Two outputs below the smallest input: ambiguous, no link.
    let mut chain = Utxo::new();
    chain.tx(&[(1, 70_000), (2, 90_000)], &[(5, 60_000), (6, 59_000), (7, 40_000)]);
    let clustering = cluster(&chain.finish(), &NodeLabels::new(), &options);
    assert_eq!(clustering.stats().merges_by(HeuristicKind::OptimalChange), 0);
}

#[test]
fn address_reuse_change_needs_no_multi_input() {
    // Change back to input 1; the payee 5 is not change.
    let mut chain = Utxo::new();
    chain.tx(&[(1, 70_000), (2, 90_000)], &[(5, 100_000), (1, 59_000)]);
    let graph = chain.finish();
    // With multi-input off the reuse link is what joins input 2's spender to the change.
    let options = ClusterOptions::default()
        .without(HeuristicKind::MultiInput)
        .with(HeuristicKind::AddressReuseChange);
    let clustering = cluster(&graph, &NodeLabels::new(), &options);
    assert!(!clustering.same_cluster(a(1), a(5)));
    // The change output is input 1 itself, and it joins the first input: itself. Nothing else.
    assert!(!clustering.same_cluster(a(1), a(2)));

    let mut chain = Utxo::new();
    chain.tx(&[(1, 70_000), (2, 90_000)], &[(5, 100_000), (2, 59_000)]);
    let graph = chain.finish();
    let clustering = cluster(&graph, &NodeLabels::new(), &options);
    assert!(clustering.same_cluster(a(1), a(2)), "change back to input 2 joins input 1");
    assert!(!clustering.same_cluster(a(1), a(5)));
    assert_eq!(clustering.stats().merges_by(HeuristicKind::AddressReuseChange), 1);
}

#[test]
fn change_policies_combine_votes() {
    // Address reuse says output 1 (address 2) is change; optimal change says output 0
    // (address 6, the only one below every input).
    let mut chain = Utxo::new();
    chain.tx(&[(1, 70_000), (2, 90_000)], &[(6, 10_000), (2, 140_000)]);
    let graph = chain.finish();
    let both = ClusterOptions::graphsense()
        .without(HeuristicKind::MultiInput)
        .with(HeuristicKind::AddressReuseChange)
        .with(HeuristicKind::OptimalChange);
    let first = cluster(&graph, &NodeLabels::new(), &both);
    assert!(first.same_cluster(a(1), a(2)), "first match: address reuse wins");
    assert!(!first.same_cluster(a(1), a(6)));
    let agreement = ClusterOptions { change_policy: ChangePolicy::Agreement, ..both };
    let agreed = cluster(&graph, &NodeLabels::new(), &agreement);
    assert!(!agreed.same_cluster(a(1), a(2)) && !agreed.same_cluster(a(1), a(6)));
}

#[test]
fn change_heuristics_skip_coinjoins() {
    let mut chain = Utxo::new();
    // Generic CoinJoin: 2 participants, 3 outputs, the 290 000 output below every input.
    chain.tx(&[(1, 600_000), (2, 700_000)], &[(3, 500_000), (4, 500_000), (5, 290_000)]);
    let options = ClusterOptions::default().with(HeuristicKind::OptimalChange);
    let clustering = cluster(&chain.finish(), &NodeLabels::new(), &options);
    assert!(!clustering.same_cluster(a(1), a(5)));
    assert_eq!(clustering.stats().coinjoins(CoinJoinKind::Generic), 1);
}

fn exchange_label(name: &str) -> LabelInfo {
    LabelInfo {
        category: Category::Exchange,
        entity: Some(name.to_owned()),
        confidence: 90,
        source: "test/exchanges".to_owned(),
    }
}

#[test]
fn exchange_deposit_addresses_join_their_exchange() {
    let mut builder = GraphBuilder::new();
    let eth = builder.asset(1, None);
    let usdt = builder.asset(1, Some(77));
    let mut tx = 0;
    let mut send = |builder: &mut GraphBuilder, from: u64, to: u64, amount: f64, asset| {
        tx += 1;
        builder.add_edge(a(from), a(to), amount, 1_700_000_000 + tx, asset, tx).unwrap();
    };
    let (binance_hot, binance_hot2, kraken_hot) = (100, 101, 200);
    // Customers 1, 2 pay deposit addresses 10, 11, which forward to Binance's hot wallets.
    send(&mut builder, 1, 10, 5.0, eth);
    send(&mut builder, 10, binance_hot, 4.9, eth);
    send(&mut builder, 2, 11, 700.0, usdt);
    send(&mut builder, 11, binance_hot2, 700.0, usdt);
    send(&mut builder, 11, binance_hot, 0.01, eth);
    // 12 forwards to Binance and to Kraken: not a deposit address of either.
    send(&mut builder, 3, 12, 2.0, eth);
    send(&mut builder, 12, binance_hot, 1.0, eth);
    send(&mut builder, 12, kraken_hot, 1.0, eth);
    // 13 forwards to Kraken only: Kraken's deposit address.
    send(&mut builder, 4, 13, 3.0, eth);
    send(&mut builder, 13, kraken_hot, 3.0, eth);
    // 14 also pays a shop: a user wallet.
    send(&mut builder, 5, 14, 3.0, eth);
    send(&mut builder, 14, binance_hot, 1.0, eth);
    send(&mut builder, 14, 300, 1.0, eth);
    // 15 never received from outside Binance: a withdrawal round trip, not a deposit address.
    send(&mut builder, binance_hot, 15, 1.0, eth);
    send(&mut builder, 15, binance_hot, 1.0, eth);
    // 16 only got a zero-value (poisoning) transfer in: not funded.
    send(&mut builder, 6, 16, 0.0, usdt);
    send(&mut builder, 16, binance_hot, 1.0, eth);
    let graph = builder.finish().unwrap();

    let mut labels = NodeLabels::new();
    labels.add(a(binance_hot), exchange_label("Binance"));
    labels.add(a(binance_hot2), exchange_label("binance"));
    labels.add(a(kraken_hot), exchange_label("Kraken"));

    let clustering = cluster(&graph, &labels, &ClusterOptions::default());
    assert!(clustering.same_cluster(a(10), a(binance_hot)));
    assert!(clustering.same_cluster(a(11), a(binance_hot)), "both hot wallets are Binance");
    assert!(clustering.same_cluster(a(binance_hot2), a(binance_hot)));
    assert!(clustering.same_cluster(a(13), a(kraken_hot)));
    assert!(!clustering.same_cluster(a(binance_hot), a(kraken_hot)));
    for not_deposit in [12, 14, 15, 16] {
        assert_eq!(clustering.cluster_size(a(not_deposit)), 1, "address {not_deposit}");
    }
    assert!(!clustering.same_cluster(a(1), a(10)), "the customer is not the exchange");
    assert_eq!(clustering.stats().merges_by(HeuristicKind::ExchangeDeposit), 4);

    // Off when disabled.
    let off = ClusterOptions::default().without(HeuristicKind::ExchangeDeposit);
    assert_eq!(cluster(&graph, &labels, &off).stats().clusters, 0);
}
