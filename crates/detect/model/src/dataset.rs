//! Labelled samples, classes, and the split by address.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::features::Features;

/// The classes the model tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// No known illicit activity.
    Normal,
    /// A phishing scam's collecting address.
    Phishing,
    /// An address that received or moved stolen funds of a hack.
    Hack,
    /// A Ponzi scheme (on Ethereum, a contract).
    Ponzi,
}

impl Class {
    /// Every class, in the model's column order.
    pub const ALL: [Self; 4] = [Self::Normal, Self::Phishing, Self::Hack, Self::Ponzi];

    /// The class's position in [`Class::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Phishing => "phishing",
            Self::Hack => "hack",
            Self::Ponzi => "ponzi",
        }
    }

    /// Parses a class name, ignoring case (`Normal`, `phishing`, …).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether the class is an illicit one (everything but [`Class::Normal`]).
    pub fn is_illicit(self) -> bool {
        self != Self::Normal
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One labelled address and its features.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The address, lower case (what the split hashes).
    pub address: String,
    /// Its label.
    pub class: Class,
    /// Its features.
    pub features: Features,
}

/// A named list of labelled samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    /// Where the samples come from (shown in reports and model metadata).
    pub name: String,
    /// The samples, in a deterministic order.
    pub samples: Vec<Sample>,
}

/// The salt of the split hash: changing it would move addresses between train and test.
const SPLIT_SALT: &[u8] = b"chainward-model/split/v1\0";

/// The split bucket of an address: the first 8 bytes of SHA-256 of a fixed salt and the
/// lower-case address, as a big-endian integer. The same address always lands in the same
/// bucket, whatever else is in the data set, so no address is ever on both sides of a split.
pub fn address_bucket(address: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(SPLIT_SALT);
    hasher.update(address.trim().to_ascii_lowercase().as_bytes());
    let digest = hasher.finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Whether an address belongs to the test side of a hold-out split with `test_fraction`
/// (0..1) of the addresses: its bucket, scaled to 0..1, is below the fraction.
pub fn is_test_address(address: &str, test_fraction: f64) -> bool {
    (address_bucket(address) as f64 / (u64::MAX as f64 + 1.0)) < test_fraction
}

impl Dataset {
    /// A data set of these samples.
    pub fn new(name: impl Into<String>, samples: Vec<Sample>) -> Self {
        Self { name: name.into(), samples }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// How many samples each class has, in [`Class::ALL`] order.
    pub fn class_counts(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for s in &self.samples {
            counts[s.class.index()] += 1;
        }
        counts
    }

    /// Splits by address hash into (train, test), `test_fraction` of the addresses in test
    /// ([`is_test_address`]). Deterministic, and stable when samples are added or removed.
    pub fn split_by_address(&self, test_fraction: f64) -> (Self, Self) {
        let (test, train): (Vec<Sample>, Vec<Sample>) =
            self.samples.iter().cloned().partition(|s| is_test_address(&s.address, test_fraction));
        (
            Self::new(format!("{} (train)", self.name), train),
            Self::new(format!("{} (test)", self.name), test),
        )
    }

    /// The `k` folds of a k-fold split by address hash (fold = bucket mod k), as (train, test)
    /// pairs: every address is in the test side of exactly one fold.
    ///
    /// # Panics
    /// When `k` is 0.
    pub fn k_folds(&self, k: usize) -> Vec<(Self, Self)> {
        assert!(k > 0, "a k-fold split needs k > 0");
        let folds: Vec<u64> =
            self.samples.iter().map(|s| address_bucket(&s.address) % k as u64).collect();
        (0..k as u64)
            .map(|fold| {
                let mut train = Vec::new();
                let mut test = Vec::new();
                for (sample, &f) in self.samples.iter().zip(&folds) {
                    if f == fold { test.push(sample.clone()) } else { train.push(sample.clone()) }
                }
                (
                    Self::new(format!("{} (fold {fold} train)", self.name), train),
                    Self::new(format!("{} (fold {fold} test)", self.name), test),
                )
            })
            .collect()
    }

    /// The samples as a column-major matrix (what the learners take), and the classes.
    pub(crate) fn column_major(&self) -> (Vec<f64>, Vec<Class>) {
        let rows = self.samples.len();
        let mut data = vec![0.0; rows * crate::FEATURE_COUNT];
        for (r, s) in self.samples.iter().enumerate() {
            for (c, v) in s.features.values().iter().enumerate() {
                data[c * rows + r] = *v;
            }
        }
        (data, self.samples.iter().map(|s| s.class).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::AddressActivity;

    fn dataset(n: usize) -> Dataset {
        let features = Features::from_activity(&AddressActivity::default());
        Dataset::new(
            "t",
            (0..n)
                .map(|i| Sample {
                    address: format!("0x{i:040x}"),
                    class: Class::ALL[i % 4],
                    features,
                })
                .collect(),
        )
    }

    #[test]
    fn class_names_round_trip() {
        for c in Class::ALL {
            assert_eq!(Class::parse(c.name()), Some(c));
            assert_eq!(Class::parse(&c.name().to_uppercase()), Some(c));
        }
        assert_eq!(Class::parse("Scam"), None);
    }

    #[test]
    fn split_is_by_lowercase_address_and_disjoint() {
        assert_eq!(address_bucket("0xABCDEF"), address_bucket("0xabcdef"));
        let d = dataset(1000);
        let (train, test) = d.split_by_address(0.2);
        assert_eq!(train.len() + test.len(), 1000);
        assert!((150..250).contains(&test.len()), "{}", test.len());
        for s in &test.samples {
            assert!(!train.samples.iter().any(|t| t.address == s.address));
        }
        // Stable under removal of other samples.
        let smaller = Dataset::new("s", d.samples[..500].to_vec());
        let (_, test_small) = smaller.split_by_address(0.2);
        for s in &test_small.samples {
            assert!(test.samples.iter().any(|t| t.address == s.address));
        }
    }

    #[test]
    fn k_folds_cover_every_address_once() {
        let d = dataset(200);
        let folds = d.k_folds(5);
        assert_eq!(folds.len(), 5);
        let mut seen: Vec<String> = folds
            .iter()
            .flat_map(|(_, test)| test.samples.iter().map(|s| s.address.clone()))
            .collect();
        assert_eq!(seen.len(), 200);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 200);
        for (train, test) in &folds {
            assert_eq!(train.len() + test.len(), 200);
        }
    }
}
