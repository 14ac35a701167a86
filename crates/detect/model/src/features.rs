//! The feature vector of an address, computed from its own transfers.
//!
//! The input is an [`AddressActivity`]: the list of the address's value transfers, each with its
//! time, counterparty, value, direction and (when known) whether it failed and whether the
//! counterparty is a contract. The FDGNN loader fills it from a CSV; the live monitor fills it
//! from chain data, so both see the same features.
//!
//! Every feature is a pure function of the activity. A feature that is undefined for an activity
//! (the mean outgoing value of an address that never sent, the share of failed transfers when no
//! transfer says whether it failed) is `NaN`: the booster sends missing values down a branch of
//! their own, so "never sent" is not confused with "sent zero".
//!
//! The list is versioned by [`FEATURE_VERSION`]: any change to a feature's definition, order or
//! the list itself bumps it, and a model trained on another version refuses to load.
//!
//! Only value-carrying transfers count: a transfer of value 0 (a contract call, an approval, an
//! "address poisoning" spam transfer) is ignored by every feature. Besides being mostly noise,
//! zero-value transfers are where data sets differ most in what they collected: FDGNN's normal
//! and phishing addresses have none at all, its hack and Ponzi addresses many, so a feature that
//! saw them would learn the collection, not the behaviour.
//!
//! No feature uses absolute time (the year an address was active says more about when a data set
//! was collected than about the address), transaction hashes or block heights.

use std::collections::HashMap;

use chainward_primitives::AddressKey;

/// The version of the feature definitions. Bump it on any change to [`FEATURE_NAMES`] or to how
/// a feature is computed.
pub const FEATURE_VERSION: u32 = 1;

/// One value transfer of the address whose features are computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transfer {
    /// Unix time in seconds.
    pub time: i64,
    /// The other side of the transfer; `None` when there is none (a contract creation sent by the
    /// address).
    pub counterparty: Option<AddressKey>,
    /// The amount in the chain's native coin (ETH, BTC), not base units; non-negative.
    pub value: f64,
    /// `true` when the address sent it, `false` when it received it.
    pub outgoing: bool,
    /// Whether the transaction failed, when known.
    pub failed: Option<bool>,
    /// Whether the counterparty is a contract, when known.
    pub to_contract: Option<bool>,
}

/// Everything the features are computed from: one address's transfers, in any order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AddressActivity {
    /// The address's transfers.
    pub transfers: Vec<Transfer>,
}

impl AddressActivity {
    /// An activity of these transfers.
    pub fn new(transfers: Vec<Transfer>) -> Self {
        Self { transfers }
    }
}

macro_rules! define_features {
    ($($variant:ident => $name:literal : $doc:literal,)*) => {
        /// One feature of the vector, in [`FEATURE_NAMES`] order (`feature as usize` is its
        /// column).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Feature {
            $(#[doc = $doc] $variant,)*
        }

        impl Feature {
            /// Every feature, in column order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The feature's name (a column of [`FEATURE_NAMES`]).
            pub fn name(self) -> &'static str {
                FEATURE_NAMES[self as usize]
            }

            /// What the feature measures, in one sentence.
            pub fn description(self) -> &'static str {
                FEATURE_DESCRIPTIONS[self as usize]
            }
        }

        /// The names of the features, in column order.
        pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [$($name,)*];

        const FEATURE_DESCRIPTIONS: [&str; FEATURE_COUNT] = [$($doc,)*];
    };
}

define_features! {
    NTransfers => "n_transfers": "Number of transfers, in and out.",
    NIn => "n_in": "Number of incoming transfers.",
    NOut => "n_out": "Number of outgoing transfers.",
    OutShare => "out_share": "Outgoing transfers / all transfers.",
    DistinctIn => "distinct_in": "Distinct counterparties that sent to the address.",
    DistinctOut => "distinct_out": "Distinct counterparties the address sent to.",
    DistinctCounterparties => "distinct_counterparties": "Distinct counterparties, either direction.",
    SingleUseCounterpartyShare => "single_use_counterparty_share": "Share of distinct counterparties seen in exactly one transfer.",
    TopCounterpartyShare => "top_counterparty_share": "Share of transfers with the most frequent counterparty.",
    InOutCounterpartyOverlap => "in_out_counterparty_overlap": "Counterparties seen in both directions / counterparties seen at all.",
    InValueSum => "in_value_sum": "Sum of incoming values (native coin).",
    InValueMean => "in_value_mean": "Mean incoming value; NaN without incoming transfers.",
    InValueMedian => "in_value_median": "Median incoming value; NaN without incoming transfers.",
    InValueMax => "in_value_max": "Largest incoming value; NaN without incoming transfers.",
    InValueMin => "in_value_min": "Smallest incoming value; NaN without incoming transfers.",
    InValueCv => "in_value_cv": "Coefficient of variation (std / mean) of incoming values; NaN when the mean is 0.",
    OutValueSum => "out_value_sum": "Sum of outgoing values (native coin).",
    OutValueMean => "out_value_mean": "Mean outgoing value; NaN without outgoing transfers.",
    OutValueMedian => "out_value_median": "Median outgoing value; NaN without outgoing transfers.",
    OutValueMax => "out_value_max": "Largest outgoing value; NaN without outgoing transfers.",
    OutValueMin => "out_value_min": "Smallest outgoing value; NaN without outgoing transfers.",
    OutValueCv => "out_value_cv": "Coefficient of variation (std / mean) of outgoing values; NaN when the mean is 0.",
    OutInValueRatio => "out_in_value_ratio": "Outgoing value sum / incoming value sum; NaN when nothing came in.",
    BalanceProxy => "balance_proxy": "Incoming value sum - outgoing value sum (fees not counted).",
    RoundValueShare => "round_value_share": "Share of transfers whose value is a multiple of 0.01 coin.",
    ActiveSpanDays => "active_span_days": "Days from the first transfer to the last.",
    ActiveDays => "active_days": "Distinct UTC days with a transfer.",
    TransfersPerActiveDay => "transfers_per_active_day": "Transfers / active days.",
    MaxTransfersPerDay => "max_transfers_per_day": "Most transfers on one UTC day.",
    GapMeanHours => "gap_mean_hours": "Mean time between consecutive transfers, hours; NaN below 2 transfers.",
    GapMedianHours => "gap_median_hours": "Median time between consecutive transfers, hours; NaN below 2 transfers.",
    GapMinHours => "gap_min_hours": "Shortest time between consecutive transfers, hours; NaN below 2 transfers.",
    Burstiness => "burstiness": "(std - mean) / (std + mean) of the gaps (Goh & Barabasi): -1 regular, 0 random, 1 bursty; NaN below 3 transfers.",
    HourEntropy => "hour_entropy": "Shannon entropy (bits) of the UTC hour of day of the transfers.",
    FirstTransferOutgoing => "first_transfer_outgoing": "1 when the earliest transfer was outgoing, else 0.",
    LastTransferOutgoing => "last_transfer_outgoing": "1 when the latest transfer was outgoing, else 0.",
    HoursToFirstOut => "hours_to_first_out": "Hours from the first incoming to the first outgoing transfer (negative when it sent first); NaN without both.",
    FailedShare => "failed_share": "Share of failed transfers among those whose outcome is known; NaN when none is known.",
    ContractCounterpartyShare => "contract_counterparty_share": "Share of transfers whose counterparty is a contract, among those where it is known; NaN when none is known.",
}

/// The number of features.
pub const FEATURE_COUNT: usize = Feature::ALL.len();

/// The position of a feature name in [`FEATURE_NAMES`].
pub fn feature_index(name: &str) -> Option<usize> {
    FEATURE_NAMES.iter().position(|n| *n == name)
}

/// The feature vector of one address, in [`FEATURE_NAMES`] order; `NaN` is a missing value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Features {
    values: [f64; FEATURE_COUNT],
}

impl Features {
    /// Computes the features of an activity. An activity without a transfer of non-zero value
    /// gives counts of 0 and every other feature missing.
    pub fn from_activity(activity: &AddressActivity) -> Self {
        compute(activity)
    }

    /// Features from values already computed elsewhere, in [`FEATURE_NAMES`] order.
    pub fn from_values(values: [f64; FEATURE_COUNT]) -> Self {
        Self { values }
    }

    /// The values, in [`FEATURE_NAMES`] order.
    pub fn values(&self) -> &[f64; FEATURE_COUNT] {
        &self.values
    }

    /// The value of one feature.
    pub fn get(&self, feature: Feature) -> f64 {
        self.values[feature as usize]
    }

    /// The value of the feature named `name`, if there is one.
    pub fn by_name(&self, name: &str) -> Option<f64> {
        feature_index(name).map(|i| self.values[i])
    }

    fn set(&mut self, feature: Feature, value: f64) {
        self.values[feature as usize] = value;
    }
}

const SECONDS_PER_HOUR: f64 = 3600.0;
const SECONDS_PER_DAY: i64 = 86_400;

/// Summary statistics of a list of values; all `NaN` when it is empty.
struct ValueStats {
    sum: f64,
    mean: f64,
    median: f64,
    max: f64,
    min: f64,
    cv: f64,
}

fn value_stats(values: &mut [f64]) -> ValueStats {
    if values.is_empty() {
        return ValueStats {
            sum: 0.0,
            mean: f64::NAN,
            median: f64::NAN,
            max: f64::NAN,
            min: f64::NAN,
            cv: f64::NAN,
        };
    }
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let sum: f64 = values.iter().sum();
    let mean = sum / n;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let cv = if mean > 0.0 { variance.sqrt() / mean } else { f64::NAN };
    ValueStats {
        sum,
        mean,
        median: median_of_sorted(values),
        max: values[values.len() - 1],
        min: values[0],
        cv,
    }
}

fn median_of_sorted(values: &[f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// A value that is a whole multiple of 0.01 coin. The tolerance absorbs the float error
/// of values converted from base units (0.36014700000000005), which some exports carry and
/// others do not: it must not decide the feature.
fn is_round(value: f64) -> bool {
    let cents = value * 100.0;
    let tolerance = 1e-6_f64.max(cents.abs() * 1e-12);
    value > 0.0 && (cents - cents.round()).abs() <= tolerance
}

fn share(count: usize, total: usize) -> f64 {
    if total == 0 { f64::NAN } else { count as f64 / total as f64 }
}

fn compute(activity: &AddressActivity) -> Features {
    let mut f = Features { values: [f64::NAN; FEATURE_COUNT] };
    // Only value-carrying transfers count (see the module docs); NaN values are not transfers.
    let mut transfers: Vec<&Transfer> =
        activity.transfers.iter().filter(|t| t.value > 0.0).collect();
    // Stable: transfers of the same second keep their given order.
    transfers.sort_by_key(|t| t.time);
    let n = transfers.len();
    let n_out = transfers.iter().filter(|t| t.outgoing).count();
    let n_in = n - n_out;
    f.set(Feature::NTransfers, n as f64);
    f.set(Feature::NIn, n_in as f64);
    f.set(Feature::NOut, n_out as f64);
    f.set(Feature::OutShare, share(n_out, n));

    // Counterparties: (transfers with it, seen incoming, seen outgoing).
    let mut counterparties: HashMap<AddressKey, (usize, bool, bool)> = HashMap::new();
    for t in &transfers {
        if let Some(key) = t.counterparty {
            let entry = counterparties.entry(key).or_default();
            entry.0 += 1;
            if t.outgoing {
                entry.2 = true;
            } else {
                entry.1 = true;
            }
        }
    }
    let distinct = counterparties.len();
    let distinct_in = counterparties.values().filter(|c| c.1).count();
    let distinct_out = counterparties.values().filter(|c| c.2).count();
    let both = counterparties.values().filter(|c| c.1 && c.2).count();
    let single_use = counterparties.values().filter(|c| c.0 == 1).count();
    let top = counterparties.values().map(|c| c.0).max().unwrap_or(0);
    f.set(Feature::DistinctIn, distinct_in as f64);
    f.set(Feature::DistinctOut, distinct_out as f64);
    f.set(Feature::DistinctCounterparties, distinct as f64);
    f.set(Feature::SingleUseCounterpartyShare, share(single_use, distinct));
    f.set(Feature::TopCounterpartyShare, share(top, n));
    f.set(Feature::InOutCounterpartyOverlap, share(both, distinct));

    let mut in_values: Vec<f64> =
        transfers.iter().filter(|t| !t.outgoing).map(|t| t.value).collect();
    let mut out_values: Vec<f64> =
        transfers.iter().filter(|t| t.outgoing).map(|t| t.value).collect();
    let ins = value_stats(&mut in_values);
    let outs = value_stats(&mut out_values);
    f.set(Feature::InValueSum, ins.sum);
    f.set(Feature::InValueMean, ins.mean);
    f.set(Feature::InValueMedian, ins.median);
    f.set(Feature::InValueMax, ins.max);
    f.set(Feature::InValueMin, ins.min);
    f.set(Feature::InValueCv, ins.cv);
    f.set(Feature::OutValueSum, outs.sum);
    f.set(Feature::OutValueMean, outs.mean);
    f.set(Feature::OutValueMedian, outs.median);
    f.set(Feature::OutValueMax, outs.max);
    f.set(Feature::OutValueMin, outs.min);
    f.set(Feature::OutValueCv, outs.cv);
    f.set(Feature::OutInValueRatio, if ins.sum > 0.0 { outs.sum / ins.sum } else { f64::NAN });
    f.set(Feature::BalanceProxy, ins.sum - outs.sum);
    let round = transfers.iter().filter(|t| is_round(t.value)).count();
    f.set(Feature::RoundValueShare, share(round, n));

    time_features(&mut f, &transfers);

    let known_failed: Vec<bool> = transfers.iter().filter_map(|t| t.failed).collect();
    let failed = known_failed.iter().filter(|&&b| b).count();
    f.set(Feature::FailedShare, share(failed, known_failed.len()));
    let known_contract: Vec<bool> = transfers.iter().filter_map(|t| t.to_contract).collect();
    let contract = known_contract.iter().filter(|&&b| b).count();
    f.set(Feature::ContractCounterpartyShare, share(contract, known_contract.len()));
    f
}

/// The time features; `transfers` is sorted by time.
fn time_features(f: &mut Features, transfers: &[&Transfer]) {
    let (Some(first), Some(last)) = (transfers.first(), transfers.last()) else {
        f.set(Feature::ActiveSpanDays, 0.0);
        f.set(Feature::ActiveDays, 0.0);
        f.set(Feature::MaxTransfersPerDay, 0.0);
        return;
    };
    let n = transfers.len();
    f.set(Feature::ActiveSpanDays, (last.time - first.time) as f64 / SECONDS_PER_DAY as f64);

    let mut per_day: HashMap<i64, usize> = HashMap::new();
    let mut per_hour = [0_usize; 24];
    for t in transfers {
        *per_day.entry(t.time.div_euclid(SECONDS_PER_DAY)).or_default() += 1;
        let hour = t.time.rem_euclid(SECONDS_PER_DAY) / 3600;
        per_hour[usize::try_from(hour).expect("rem_euclid by a day gives 0..24 hours")] += 1;
    }
    let active_days = per_day.len();
    f.set(Feature::ActiveDays, active_days as f64);
    f.set(Feature::TransfersPerActiveDay, n as f64 / active_days as f64);
    f.set(Feature::MaxTransfersPerDay, per_day.values().copied().max().unwrap_or(0) as f64);
    let entropy = per_hour
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum::<f64>();
    f.set(Feature::HourEntropy, entropy.max(0.0));

    let mut gaps: Vec<f64> =
        transfers.windows(2).map(|w| (w[1].time - w[0].time) as f64 / SECONDS_PER_HOUR).collect();
    if !gaps.is_empty() {
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        gaps.sort_by(f64::total_cmp);
        f.set(Feature::GapMeanHours, mean);
        f.set(Feature::GapMedianHours, median_of_sorted(&gaps));
        f.set(Feature::GapMinHours, gaps[0]);
        if gaps.len() >= 2 {
            let std = (gaps.iter().map(|g| (g - mean) * (g - mean)).sum::<f64>()
                / gaps.len() as f64)
                .sqrt();
            if std + mean > 0.0 {
                f.set(Feature::Burstiness, (std - mean) / (std + mean));
            }
        }
    }

    f.set(Feature::FirstTransferOutgoing, if first.outgoing { 1.0 } else { 0.0 });
    f.set(Feature::LastTransferOutgoing, if last.outgoing { 1.0 } else { 0.0 });
    let first_in = transfers.iter().find(|t| !t.outgoing).map(|t| t.time);
    let first_out = transfers.iter().find(|t| t.outgoing).map(|t| t.time);
    if let (Some(first_in), Some(first_out)) = (first_in, first_out) {
        f.set(Feature::HoursToFirstOut, (first_out - first_in) as f64 / SECONDS_PER_HOUR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_primitives::Chain;

    fn key(n: u8) -> Option<AddressKey> {
        Some(AddressKey::new(Chain::Evm, &[n; 20]))
    }

    fn t(time: i64, counterparty: u8, value: f64, outgoing: bool) -> Transfer {
        Transfer {
            time,
            counterparty: key(counterparty),
            value,
            outgoing,
            failed: None,
            to_contract: None,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn names_are_unique_and_match_the_enum() {
        assert_eq!(FEATURE_NAMES.len(), Feature::ALL.len());
        for (i, feature) in Feature::ALL.iter().enumerate() {
            assert_eq!(*feature as usize, i);
            assert_eq!(feature_index(feature.name()), Some(i));
            assert!(!feature.description().is_empty());
        }
        let mut names = FEATURE_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FEATURE_COUNT);
    }

    #[test]
    fn empty_activity_has_zero_counts_and_missing_rest() {
        let f = Features::from_activity(&AddressActivity::default());
        assert_eq!(f.get(Feature::NTransfers), 0.0);
        assert_eq!(f.get(Feature::InValueSum), 0.0);
        assert_eq!(f.get(Feature::ActiveDays), 0.0);
        assert!(f.get(Feature::InValueMean).is_nan());
        assert!(f.get(Feature::OutShare).is_nan());
        assert!(f.get(Feature::GapMeanHours).is_nan());
        assert!(f.get(Feature::HourEntropy).is_nan());
    }

    #[test]
    fn counts_values_and_counterparties() {
        // Day 0: receive 1.0 from A at 00:00, 3.0 from B at 01:00, 0.255 from A at 02:00, and a
        // zero-value transfer from D (ignored); day 2: send 2.5 to C at 00:00.
        let day = 86_400;
        let activity = AddressActivity::new(vec![
            t(2 * day, 3, 2.5, true),
            t(0, 1, 1.0, false),
            t(3600, 2, 3.0, false),
            t(5000, 4, 0.0, false),
            t(7200, 1, 0.255, false),
        ]);
        let f = Features::from_activity(&activity);
        assert_eq!(f.get(Feature::NTransfers), 4.0);
        assert_eq!(f.get(Feature::NIn), 3.0);
        assert_eq!(f.get(Feature::NOut), 1.0);
        assert!(close(f.get(Feature::OutShare), 0.25));
        assert_eq!(f.get(Feature::DistinctIn), 2.0);
        assert_eq!(f.get(Feature::DistinctOut), 1.0);
        assert_eq!(f.get(Feature::DistinctCounterparties), 3.0);
        // B and C are seen once, A twice.
        assert!(close(f.get(Feature::SingleUseCounterpartyShare), 2.0 / 3.0));
        assert!(close(f.get(Feature::TopCounterpartyShare), 0.5));
        assert_eq!(f.get(Feature::InOutCounterpartyOverlap), 0.0);
        assert!(close(f.get(Feature::InValueSum), 4.255));
        assert!(close(f.get(Feature::InValueMean), 4.255 / 3.0));
        assert!(close(f.get(Feature::InValueMedian), 1.0));
        assert!(close(f.get(Feature::InValueMax), 3.0));
        assert!(close(f.get(Feature::InValueMin), 0.255));
        assert!(close(f.get(Feature::OutValueSum), 2.5));
        assert!(close(f.get(Feature::OutValueMedian), 2.5));
        assert!(close(f.get(Feature::OutValueCv), 0.0));
        assert!(close(f.get(Feature::OutInValueRatio), 2.5 / 4.255));
        assert!(close(f.get(Feature::BalanceProxy), 1.755));
        // 1.0, 3.0 and 2.5 are multiples of 0.01; 0.255 is not.
        assert!(close(f.get(Feature::RoundValueShare), 0.75));
        assert!(close(f.get(Feature::ActiveSpanDays), 2.0));
        assert_eq!(f.get(Feature::ActiveDays), 2.0);
        assert!(close(f.get(Feature::TransfersPerActiveDay), 2.0));
        assert_eq!(f.get(Feature::MaxTransfersPerDay), 3.0);
        // Gaps: 1 h, 1 h, 46 h.
        assert!(close(f.get(Feature::GapMeanHours), 16.0));
        assert!(close(f.get(Feature::GapMedianHours), 1.0));
        assert!(close(f.get(Feature::GapMinHours), 1.0));
        let std = ((15.0_f64 * 15.0 * 2.0 + 30.0 * 30.0) / 3.0).sqrt();
        assert!(close(f.get(Feature::Burstiness), (std - 16.0) / (std + 16.0)));
        // Hours 0, 1, 2, 0 (the zero-value transfer at 01:23 is not counted): entropy of (1/2, 1/4, 1/4) = 1.5 bits.
        assert!(close(f.get(Feature::HourEntropy), 1.5));
        assert_eq!(f.get(Feature::FirstTransferOutgoing), 0.0);
        assert_eq!(f.get(Feature::LastTransferOutgoing), 1.0);
        assert!(close(f.get(Feature::HoursToFirstOut), 48.0));
        assert!(f.get(Feature::FailedShare).is_nan());
        assert!(f.get(Feature::ContractCounterpartyShare).is_nan());
    }

    #[test]
    fn zero_value_transfers_count_for_nothing() {
        let only_zero = AddressActivity::new(vec![t(0, 1, 0.0, false), t(60, 2, 0.0, true)]);
        let f = Features::from_activity(&only_zero);
        let empty = Features::from_activity(&AddressActivity::default());
        assert_eq!(format!("{f:?}"), format!("{empty:?}"));
    }

    #[test]
    fn receive_only_address_has_missing_outgoing_statistics() {
        let f = Features::from_activity(&AddressActivity::new(vec![t(10, 1, 0.5, false)]));
        assert!(f.get(Feature::OutValueMean).is_nan());
        assert!(f.get(Feature::OutValueMax).is_nan());
        assert_eq!(f.get(Feature::OutValueSum), 0.0);
        assert!(f.get(Feature::HoursToFirstOut).is_nan());
        assert!(f.get(Feature::GapMeanHours).is_nan());
        assert!(f.get(Feature::Burstiness).is_nan());
        assert_eq!(f.get(Feature::HourEntropy), 0.0);
        // 0.5 is round; nothing went out.
        assert_eq!(f.get(Feature::RoundValueShare), 1.0);
        assert!(f.get(Feature::OutInValueRatio) == 0.0);
    }

    #[test]
    fn known_outcomes_and_contract_flags_are_shares_of_the_known() {
        let mut a = t(0, 1, 1.0, true);
        a.failed = Some(true);
        a.to_contract = Some(true);
        let mut b = t(1, 2, 1.0, true);
        b.failed = Some(false);
        let c = t(2, 3, 1.0, false);
        let f = Features::from_activity(&AddressActivity::new(vec![a, b, c]));
        assert!(close(f.get(Feature::FailedShare), 0.5));
        assert!(close(f.get(Feature::ContractCounterpartyShare), 1.0));
    }

    #[test]
    fn regular_transfers_are_not_bursty_and_same_second_bursts_are() {
        let regular: Vec<Transfer> = (0..10).map(|i| t(i * 3600, 1, 1.0, false)).collect();
        let f = Features::from_activity(&AddressActivity::new(regular));
        assert!(close(f.get(Feature::Burstiness), -1.0));
        let mut bursty: Vec<Transfer> = (0..30).map(|_| t(0, 1, 1.0, false)).collect();
        bursty.push(t(1_000_000, 1, 1.0, false));
        let f = Features::from_activity(&AddressActivity::new(bursty));
        assert!(f.get(Feature::Burstiness) > 0.5);
        assert_eq!(f.get(Feature::GapMinHours), 0.0);
    }

    #[test]
    fn round_values_tolerate_conversion_noise() {
        assert!(is_round(0.36));
        assert!(is_round(0.36000000000000004));
        assert!(is_round(499.99));
        assert!(is_round(1_000_000.0));
        assert!(!is_round(0.360147));
        assert!(!is_round(0.36014700000000005));
        assert!(!is_round(0.0));
        assert!(!is_round(1.000294));
    }

    #[test]
    fn times_before_1970_do_not_panic() {
        let f = Features::from_activity(&AddressActivity::new(vec![t(-1, 1, 1.0, false)]));
        assert_eq!(f.get(Feature::ActiveDays), 1.0);
    }
}
