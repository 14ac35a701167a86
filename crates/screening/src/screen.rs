//! Screening: an address in, every listing of it (active and de-listed) and a verdict out.
//!
//! Two lookups answer the same question: [`ScreeningIndex`], an in-memory hash index over every
//! record, built once for batch and real-time screening; and any
//! [`chainward_store_api::WatchlistStore`] (an indexed query) for a handful of addresses where
//! building the index would cost more than it saves. [`screen`] turns either into a
//! [`ScreeningResult`].

use chainward_primitives::{Address, AddressError, AddressKey, AddressKind, Chain, RiskLevel};
use chainward_store_api::{EntryRecord, StoreError, WatchlistStore};
use foldhash::fast::FixedState;
use hashbrown::HashMap;
use serde::Serialize;
use std::borrow::Cow;

/// Where screening finds the records of an address key.
pub trait RecordLookup {
    /// Every record (active and de-listed) for `key`.
    ///
    /// # Errors
    /// Store errors.
    fn records(&self, key: &AddressKey) -> Result<Cow<'_, [EntryRecord]>, StoreError>;
}

impl<S: WatchlistStore + ?Sized> RecordLookup for S {
    fn records(&self, key: &AddressKey) -> Result<Cow<'_, [EntryRecord]>, StoreError> {
        self.lookup(key).map(Cow::Owned)
    }
}

/// An in-memory index of every record, keyed by [`AddressKey`].
///
/// Records are sorted by key into one vector and the hash map holds only `(start, len)` per key,
/// so a lookup is one hash probe over a 40-byte slot and a miss never touches the records.
#[derive(Debug, Default)]
pub struct ScreeningIndex {
    slots: HashMap<AddressKey, (u32, u32), FixedState>,
    records: Vec<EntryRecord>,
}

impl ScreeningIndex {
    /// Builds the index from every record of a store.
    ///
    /// # Errors
    /// Store errors.
    pub fn from_store(store: &dyn WatchlistStore) -> Result<Self, StoreError> {
        let mut records = Vec::new();
        store.for_each_record(&mut |record| {
            records.push(record);
            Ok(())
        })?;
        Ok(Self::from_records(records))
    }

    /// Builds the index from records.
    ///
    /// # Panics
    /// When there are more than `u32::MAX` records (the slot offsets are 32-bit).
    pub fn from_records(mut records: Vec<EntryRecord>) -> Self {
        assert!(u32::try_from(records.len()).is_ok(), "at most u32::MAX records in one index");
        // Within one key, active listings first, then by source, so output is stable.
        records.sort_by(|a, b| {
            (a.entry.key, a.delisted_in.is_some(), &a.source).cmp(&(
                b.entry.key,
                b.delisted_in.is_some(),
                &b.source,
            ))
        });
        let mut slots =
            HashMap::with_capacity_and_hasher(records.len(), FixedState::with_seed(0x6368_7764));
        let mut start = 0usize;
        while start < records.len() {
            let key = records[start].entry.key;
            let end = start + records[start..].iter().take_while(|r| r.entry.key == key).count();
            slots.insert(key, (start as u32, (end - start) as u32));
            start = end;
        }
        Self { slots, records }
    }

    /// The records of `key` (empty when it is listed nowhere).
    #[inline]
    pub fn get(&self, key: &AddressKey) -> &[EntryRecord] {
        match self.slots.get(key) {
            Some(&(start, len)) => &self.records[start as usize..(start + len) as usize],
            None => &[],
        }
    }

    /// Number of distinct address keys.
    pub fn keys(&self) -> usize {
        self.slots.len()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the index holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl RecordLookup for ScreeningIndex {
    fn records(&self, key: &AddressKey) -> Result<Cow<'_, [EntryRecord]>, StoreError> {
        Ok(Cow::Borrowed(self.get(key)))
    }
}

/// The overall answer for one screened address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Listed nowhere.
    Clean,
    /// Listed only with categories that carry no risk (an exchange's own address, say), or only
    /// in listings that have been de-listed.
    Informational,
    /// Listed now with a risk category: hold and review, or block when severe.
    Hit,
}

impl Verdict {
    /// The printed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Clean => "clean",
            Self::Informational => "informational",
            Self::Hit => "hit",
        }
    }
}

/// The address on one chain with its records.
#[derive(Clone, Debug, Serialize)]
pub struct ChainResult {
    /// The chain.
    pub chain: Chain,
    /// The canonical spelling on that chain.
    pub address: String,
    /// The address kind.
    pub kind: AddressKind,
    /// Every record of it, active first.
    pub hits: Vec<EntryRecord>,
}

/// The result of screening one input.
#[derive(Clone, Debug, Serialize)]
pub struct ScreeningResult {
    /// The input as given.
    pub input: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The highest risk among active listings.
    pub risk: RiskLevel,
    /// Why, one line per active listing that carries risk, highest first.
    pub reasons: Vec<String>,
    /// Every chain the input is valid on, with its records.
    pub chains: Vec<ChainResult>,
}

/// Screens one input on every chain it is valid on.
///
/// # Errors
/// [`ScreenError::Address`] when the input is valid on no chain (the message names the formats
/// tried); [`ScreenError::Store`] when the lookup fails.
pub fn screen(input: &str, lookup: &dyn RecordLookup) -> Result<ScreeningResult, ScreenError> {
    let addresses = Address::parse_any(input)?;
    screen_addresses(input, &addresses, lookup)
}

/// Screens already-parsed interpretations of one input.
///
/// # Errors
/// [`ScreenError::Store`] when the lookup fails.
pub fn screen_addresses(
    input: &str,
    addresses: &[Address],
    lookup: &dyn RecordLookup,
) -> Result<ScreeningResult, ScreenError> {
    let mut chains = Vec::with_capacity(addresses.len());
    for address in addresses {
        let hits = lookup.records(&address.key())?.into_owned();
        chains.push(ChainResult {
            chain: address.chain(),
            address: address.canonical().to_owned(),
            kind: address.kind(),
            hits,
        });
    }
    let mut risky: Vec<(RiskLevel, String)> = Vec::new();
    let mut any_record = false;
    for chain in &chains {
        for record in &chain.hits {
            any_record = true;
            if !record.is_active() {
                continue;
            }
            let risk = record_risk(record);
            if risk > RiskLevel::None {
                risky.push((risk, reason(chain.chain, record)));
            }
        }
    }
    risky.sort_by_key(|r| std::cmp::Reverse(r.0));
    risky.dedup_by(|a, b| a.1 == b.1);
    let risk = risky.first().map_or(RiskLevel::None, |r| r.0);
    let verdict = if risk > RiskLevel::None {
        Verdict::Hit
    } else if any_record {
        Verdict::Informational
    } else {
        Verdict::Clean
    };
    Ok(ScreeningResult {
        input: input.to_owned(),
        verdict,
        risk,
        reasons: risky.into_iter().map(|r| r.1).collect(),
        chains,
    })
}

/// The risk of one active record: its category's, one level lower when the source itself gives
/// it less than even odds (a web-crawled tag is a lead, not a finding).
pub fn record_risk(record: &EntryRecord) -> RiskLevel {
    let risk = record.entry.category.risk();
    if record.entry.confidence < 50 {
        match risk {
            RiskLevel::Severe => RiskLevel::High,
            RiskLevel::High => RiskLevel::Medium,
            RiskLevel::Medium | RiskLevel::Low => RiskLevel::Low,
            RiskLevel::None => RiskLevel::None,
        }
    } else {
        risk
    }
}

fn reason(chain: Chain, record: &EntryRecord) -> String {
    let entry = &record.entry;
    let mut text = format!(
        "{} on {}: {} ({}, listed {}",
        entry.category,
        chain.as_str(),
        entry.entity.as_deref().unwrap_or("unnamed entity"),
        record.source,
        record.listed_at
    );
    if let Some(program) = &entry.program {
        text.push_str(&format!(", programme {program}"));
    }
    text.push(')');
    text
}

/// Why screening an input failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScreenError {
    /// The input is not an address.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The lookup failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
