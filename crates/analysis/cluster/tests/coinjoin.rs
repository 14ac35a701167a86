//! Each CoinJoin shape is recognised on a transaction built to it, and ordinary transactions
//! are not.

use chainward_cluster::coinjoin::{
    is_generic_coinjoin, is_joinmarket, is_wasabi1, is_wasabi2, is_wasabi2_denomination,
    is_whirlpool,
};
use chainward_cluster::{CoinJoinKind, UtxoTransaction, is_coinjoin};
use chainward_graph::NodeId;

const BTC: u64 = 100_000_000;

fn addr(id: u32) -> NodeId {
    NodeId(id)
}

fn tx(inputs: &[(u32, u64)], outputs: &[(u32, u64)]) -> UtxoTransaction {
    UtxoTransaction::new(
        NodeId(1 << 31),
        inputs.iter().map(|&(a, v)| (addr(a), v)),
        outputs.iter().map(|&(a, v)| (addr(a), v)),
    )
}

#[test]
fn ordinary_payments_are_not_coinjoins() {
    let two_in_two_out = tx(&[(1, 70_000), (2, 50_000)], &[(3, 100_000), (4, 19_000)]);
    assert_eq!(is_coinjoin(&two_in_two_out), None);
    // A batch payout: one input, many distinct outputs.
    let batch =
        tx(&[(1, 10 * BTC)], &(10..20).map(|a| (a, u64::from(a) * 1000)).collect::<Vec<_>>());
    assert_eq!(is_coinjoin(&batch), None);
    // Three equal payments from one address: one participant, not a mix.
    let equal_from_one = tx(&[(1, BTC), (1, BTC)], &[(5, 1000), (6, 1000), (7, 1000), (8, 5000)]);
    assert_eq!(is_coinjoin(&equal_from_one), None);
}

#[test]
fn whirlpool_five_by_five() {
    let pool = 1_000_000;
    let mix = tx(
        &[(1, pool), (2, pool), (3, pool + 5_000), (4, pool + 7_000), (5, pool + 9_000)],
        &[(11, pool), (12, pool), (13, pool), (14, pool), (15, pool)],
    );
    assert!(is_whirlpool(&mix));
    assert_eq!(is_coinjoin(&mix), Some(CoinJoinKind::Whirlpool));

    // Not a pool denomination.
    let odd = tx(
        &[(1, 2_000_000), (2, 2_000_000), (3, 2_005_000), (4, 2_005_000), (5, 2_005_000)],
        &[(11, 2_000_000), (12, 2_000_000), (13, 2_000_000), (14, 2_000_000), (15, 2_000_000)],
    );
    assert!(!is_whirlpool(&odd));
    // An input far above the pool is no premix.
    let mut fat = mix;
    fat.inputs[4].value = pool + 500_000;
    assert!(!is_whirlpool(&fat));
}

#[test]
fn wasabi1_round() {
    // 12 participants at ~0.1 BTC, coordinator fee and change outputs of their own values.
    let denomination = 10_034_000;
    let inputs: Vec<(u32, u64)> =
        (1..=14).map(|a| (a, 12_000_000 + u64::from(a) * 1_000)).collect();
    let mut outputs: Vec<(u32, u64)> = (100..112).map(|a| (a, denomination)).collect();
    outputs.extend([(200, 1_500_000), (201, 1_700_000), (202, 310_000)]);
    let round = tx(&inputs, &outputs);
    assert!(is_wasabi1(&round));
    assert_eq!(is_coinjoin(&round), Some(CoinJoinKind::Wasabi1));
    // Only 9 equal outputs: below Wasabi 1's minimum.
    let small = tx(&inputs, &outputs[3..]);
    assert!(!is_wasabi1(&small));
}

#[test]
fn wasabi2_round() {
    // 60 inputs and 70 outputs, both descending, outputs at standard denominations.
    let inputs: Vec<(u32, u64)> =
        (0..60).map(|i| (i + 1, 50_000_000 - u64::from(i) * 100_000)).collect();
    let standard = [10_000_000u64, 5_000_000, 4_782_969, 2_097_152, 1_000_000, 200_000, 50_000];
    let mut values: Vec<u64> = (0..70).map(|i| standard[i % standard.len()]).collect();
    values.sort_unstable_by(|a, b| b.cmp(a));
    let outputs: Vec<(u32, u64)> =
        values.iter().enumerate().map(|(i, &v)| (1000 + i as u32, v)).collect();
    let round = tx(&inputs, &outputs);
    assert!(standard.iter().all(|&v| is_wasabi2_denomination(v)));
    assert!(!is_wasabi2_denomination(1_234_567));
    assert!(is_wasabi2(&round));
    assert_eq!(is_coinjoin(&round), Some(CoinJoinKind::Wasabi2));
    // WabiSabi sorts outputs; an unsorted one is something else.
    let mut unsorted = round;
    unsorted.outputs.swap(0, 69);
    assert!(!is_wasabi2(&unsorted));
}

#[test]
fn joinmarket_round() {
    // Taker and three makers: 4 equal outputs, 3 change outputs, 5 inputs from 5 addresses.
    let round = tx(
        &[(1, 30_000_000), (2, 25_000_000), (3, 40_000_000), (4, 22_000_000), (5, 9_000_000)],
        &[
            (11, 20_000_000),
            (12, 20_000_000),
            (13, 20_000_000),
            (14, 20_000_000),
            (21, 4_990_000),
            (22, 19_995_000),
            (23, 10_990_000),
        ],
    );
    assert!(is_joinmarket(&round));
    assert_eq!(is_coinjoin(&round), Some(CoinJoinKind::JoinMarket));
    // Equal outputs all to one address: a payment split, not n participants.
    let split = tx(
        &[(1, 30_000_000), (2, 25_000_000), (3, 40_000_000)],
        &[(11, 20_000_000), (11, 20_000_000), (11, 20_000_000), (21, 4_990_000)],
    );
    assert!(!is_joinmarket(&split));
}

#[test]
fn blocksci_generic_rule() {
    // 2 participants: 3 outputs, the common value exactly twice, 2 distinct input addresses.
    let mix = tx(&[(1, 600_000), (2, 700_000)], &[(3, 500_000), (4, 500_000), (5, 290_000)]);
    assert!(is_generic_coinjoin(&mix));
    assert!(!is_joinmarket(&mix));
    assert_eq!(is_coinjoin(&mix), Some(CoinJoinKind::Generic));
    // Dust as the common value is excluded.
    let dust = tx(&[(1, 600_000), (2, 700_000)], &[(3, 546), (4, 546), (5, 290_000)]);
    assert!(!is_generic_coinjoin(&dust));
    // Both inputs from one address: one participant.
    let one = tx(&[(1, 600_000), (1, 700_000)], &[(3, 500_000), (4, 500_000), (5, 290_000)]);
    assert!(!is_generic_coinjoin(&one));
}
