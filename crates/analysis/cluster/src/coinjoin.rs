//! CoinJoin detection: transactions whose inputs belong to several people on purpose, so the
//! multi-input heuristic must not join them.
//!
//! [`is_coinjoin`] tries the wallet-specific shapes first — they name what was seen — and then
//! the generic rule. The rules, all on values in satoshis:
//!
//! | kind | rule | source |
//! | --- | --- | --- |
//! | [`Whirlpool`](CoinJoinKind::Whirlpool) | as many inputs as outputs, 5 to 10 (5 × 5 classically); every output exactly one pool denomination (0.001, 0.01, 0.05 or 0.5 BTC); at least one input exactly the pool value (a free remix) and every other input above it by less than 0.0011 BTC (a premix output carrying the miner fee) | Dumplings `isSamouraiCj`, as ported in BlockSci's `isWhirlpoolCoinJoin` |
//! | [`Wasabi2`](CoinJoinKind::Wasabi2) | at least 50 inputs; inputs and outputs each in descending value order (WabiSabi sorts them); more than 80 % of outputs at a WabiSabi standard denomination | Dumplings, BlockSci `isWasabi2CoinJoin` |
//! | [`Wasabi1`](CoinJoinKind::Wasabi1) | the most frequent output value occurs at least 10 times, lies within 0.1 ± 0.02 BTC, no more often than there are inputs, and at least two outputs have a value of their own (change, coordinator fee) | Dumplings `isWasabiCj` (post-2019 rule) |
//! | [`JoinMarket`](CoinJoinKind::JoinMarket) | the most frequent output value occurs n ≥ 3 times, to n distinct addresses, is not dust; at most n other outputs (each participant's change); at least n distinct input addresses | the JoinMarket transaction shape (n equal outputs, up to n change outputs) |
//! | [`Generic`](CoinJoinKind::Generic) | ≥ 2 inputs, ≥ 3 outputs; with p = ⌈outputs / 2⌉ participants (each a spend and a change), p ≤ inputs and p ≤ distinct input addresses; the most common output value (ties: the smallest) occurs exactly p times and is not the dust value 546 or 2730 | BlockSci `isCoinjoin`, GraphSense `is_coinjoin` |
//!
//! What the graph does not hold is not checked: the script types Dumplings requires (native
//! SegWit only), block heights before which a wallet did not exist, and coordinator addresses.
//! Without them these rules are slightly wider than Dumplings', which for clustering errs on
//! the safe side: a skipped transaction joins nothing.

use crate::UtxoTransaction;
use serde::Serialize;

/// Which CoinJoin shape a transaction has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoinJoinKind {
    /// Samourai Whirlpool mix.
    Whirlpool,
    /// Wasabi Wallet 2 (WabiSabi).
    Wasabi2,
    /// Wasabi Wallet 1.x.
    Wasabi1,
    /// JoinMarket.
    JoinMarket,
    /// BlockSci's generic rule, as GraphSense flags CoinJoins at ingest.
    Generic,
}

impl CoinJoinKind {
    /// Every kind, in the order [`is_coinjoin`] tries them.
    pub const ALL: [Self; 5] =
        [Self::Whirlpool, Self::Wasabi2, Self::Wasabi1, Self::JoinMarket, Self::Generic];

    /// The persisted name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Whirlpool => "whirlpool",
            Self::Wasabi2 => "wasabi2",
            Self::Wasabi1 => "wasabi1",
            Self::JoinMarket => "joinmarket",
            Self::Generic => "generic",
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

const SATS_PER_BTC: u64 = 100_000_000;
/// Whirlpool's pool denominations: 0.001, 0.01, 0.05 and 0.5 BTC.
pub const WHIRLPOOL_POOLS: [u64; 4] = [100_000, 1_000_000, 5_000_000, 50_000_000];
/// A premix input exceeds its pool value by the miner fee it carries: under 0.0011 BTC.
const WHIRLPOOL_PREMIX_MARGIN: u64 = 110_000;
/// Dust values BlockSci excludes: outputs of those values are not a CoinJoin's mixed outputs.
const DUST_VALUES: [u64; 2] = [546, 2730];
const WASABI1_BASE: u64 = SATS_PER_BTC / 10;
const WASABI1_PRECISION: u64 = SATS_PER_BTC / 50;
/// Smallest and largest WabiSabi standard denominations (5000 sat and 1343.75 BTC).
const WASABI2_MIN: u64 = 5_000;
const WASABI2_MAX: u64 = 134_375_000_000;

/// The CoinJoin shape of `tx`, if it has one. See the module documentation for the rules.
pub fn is_coinjoin(tx: &UtxoTransaction) -> Option<CoinJoinKind> {
    // Nearly every transaction has fewer than 3 outputs: decide those without any work.
    if tx.inputs.len() < 2 || tx.outputs.len() < 3 {
        return None;
    }
    if is_whirlpool(tx) {
        Some(CoinJoinKind::Whirlpool)
    } else if is_wasabi2(tx) {
        Some(CoinJoinKind::Wasabi2)
    } else if is_wasabi1(tx) {
        Some(CoinJoinKind::Wasabi1)
    } else if is_joinmarket(tx) {
        Some(CoinJoinKind::JoinMarket)
    } else if is_generic_coinjoin(tx) {
        Some(CoinJoinKind::Generic)
    } else {
        None
    }
}

/// Samourai Whirlpool's mix shape.
pub fn is_whirlpool(tx: &UtxoTransaction) -> bool {
    let n = tx.outputs.len();
    if !(5..=10).contains(&n) || tx.inputs.len() != n {
        return false;
    }
    let pool = tx.outputs[0].value;
    if !WHIRLPOOL_POOLS.contains(&pool) || tx.outputs.iter().any(|o| o.value != pool) {
        return false;
    }
    let remixes = tx.inputs.iter().filter(|i| i.value == pool).count();
    remixes >= 1
        && tx.inputs.iter().all(|i| i.value >= pool && i.value - pool < WHIRLPOOL_PREMIX_MARGIN)
}

/// Whether `value` is one of WabiSabi's standard denominations: within 5000 sat and
/// 1343.75 BTC, a power of 2, a power of 3, twice a power of 3, or 1, 2 or 5 times a power of
/// 10 (Wasabi's `DenominationBuilder`; the Dumplings port drops the 5 × 10ⁿ series by a slip,
/// real rounds use it).
pub fn is_wasabi2_denomination(value: u64) -> bool {
    if value == WASABI2_MIN || value == WASABI2_MAX {
        return true;
    }
    if !(WASABI2_MIN..=WASABI2_MAX).contains(&value) {
        return false;
    }
    let power_of = |mut v: u64, base: u64| {
        while v.is_multiple_of(base) {
            v /= base;
        }
        v == 1
    };
    value.is_power_of_two()
        || power_of(value, 3)
        || (value.is_multiple_of(2) && power_of(value / 2, 3))
        || power_of(value, 10)
        || (value.is_multiple_of(2) && power_of(value / 2, 10))
        || (value.is_multiple_of(5) && power_of(value / 5, 10))
}

/// Wasabi 2 (WabiSabi) round shape.
pub fn is_wasabi2(tx: &UtxoTransaction) -> bool {
    if tx.inputs.len() < 50 {
        return false;
    }
    let descending = |ports: &[crate::TxPort]| ports.windows(2).all(|w| w[0].value >= w[1].value);
    if !descending(&tx.inputs) || !descending(&tx.outputs) {
        return false;
    }
    let standard = tx.outputs.iter().filter(|o| is_wasabi2_denomination(o.value)).count();
    // More than 80 %, in integers: standard / outputs > 4 / 5.
    standard * 5 > tx.outputs.len() * 4
}

/// Wasabi 1.x round shape.
pub fn is_wasabi1(tx: &UtxoTransaction) -> bool {
    let Some((value, count)) = tx.most_common_output_value() else { return false };
    if count < 10 || tx.inputs.len() < count || value.abs_diff(WASABI1_BASE) > WASABI1_PRECISION {
        return false;
    }
    let unique_values = {
        let mut values: Vec<u64> = tx.outputs.iter().map(|o| o.value).collect();
        values.sort_unstable();
        values.chunk_by(|a, b| a == b).filter(|run| run.len() == 1).count()
    };
    unique_values >= 2
}

/// JoinMarket shape: n ≥ 3 equal outputs and at most n change outputs.
pub fn is_joinmarket(tx: &UtxoTransaction) -> bool {
    let Some((value, n)) = tx.most_common_output_value() else { return false };
    if n < 3 || DUST_VALUES.contains(&value) || tx.outputs.len() > 2 * n {
        return false;
    }
    let equal_output_addresses = crate::transaction::distinct(
        tx.outputs.iter().filter(|o| o.value == value).map(|o| o.address.0),
    );
    equal_output_addresses == n && tx.distinct_input_addresses() >= n
}

/// BlockSci's `isCoinjoin`, as GraphSense flags transactions at ingest.
pub fn is_generic_coinjoin(tx: &UtxoTransaction) -> bool {
    if tx.inputs.len() < 2 || tx.outputs.len() < 3 {
        return false;
    }
    // Each participant contributes a spend and a change output.
    let participants = tx.outputs.len().div_ceil(2);
    if participants > tx.inputs.len() || participants > tx.distinct_input_addresses() {
        return false;
    }
    let Some((value, count)) = tx.most_common_output_value() else { return false };
    count == participants && !DUST_VALUES.contains(&value)
}
