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
use serde::Serialize;
use std::borrow::Cow;
use std::hash::BuildHasher;

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
/// Screening is dominated by memory latency, not hashing: a general-purpose map over a million
/// 32-byte keys (about 80 MB of buckets) misses the last-level cache on every probe. This index
/// keeps the probed part small instead:
/// - `slots`: open addressing with linear probing, load at most one half, 8 bytes a slot (a
///   32-bit tag from the key's hash and a 32-bit group number), so a million keys take 16 MB and
///   stay in cache. A lookup of an unlisted address (the common case) reads one slot.
/// - `groups[g]`: the full key of group `g` and the position of its first record, read only when
///   a tag matches (so equal tags never give a wrong answer); its records run to the next
///   group's start in `records`, which are sorted by key. Key and start share a cache line, so a
///   listed address costs two reads.
#[derive(Debug)]
pub struct ScreeningIndex {
    slots: Vec<u64>,
    mask: usize,
    groups: Vec<Group>,
    records: Vec<EntryRecord>,
    hasher: FixedState,
}

/// One distinct key and where its records start.
#[derive(Debug, Clone, Copy)]
struct Group {
    key: AddressKey,
    start: u32,
}

impl Default for ScreeningIndex {
    fn default() -> Self {
        Self::from_records(Vec::new())
    }
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
    /// When there are `u32::MAX` records or more (offsets are 32-bit).
    pub fn from_records(records: Vec<EntryRecord>) -> Self {
        assert!(records.len() < u32::MAX as usize, "fewer than u32::MAX records in one index");
        // Sort positions, not the records themselves: records are large, positions are 4 bytes.
        // Within one key: active listings first, then by source, so output is stable.
        let mut order: Vec<u32> = (0..records.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (&records[a as usize], &records[b as usize]);
            (a.entry.key, a.delisted_in.is_some(), &a.source).cmp(&(
                b.entry.key,
                b.delisted_in.is_some(),
                &b.source,
            ))
        });
        let mut taken: Vec<Option<EntryRecord>> = records.into_iter().map(Some).collect();
        let records: Vec<EntryRecord> = order
            .iter()
            .map(|&i| taken[i as usize].take().expect("every position appears once in the order"))
            .collect();

        let mut groups: Vec<Group> = Vec::new();
        for (i, record) in records.iter().enumerate() {
            if groups.last().map(|g| g.key) != Some(record.entry.key) {
                groups.push(Group { key: record.entry.key, start: i as u32 });
            }
        }
        let distinct = groups.len();
        // A sentinel, so group g's records always end at groups[g + 1].start.
        groups.push(Group { key: AddressKey::from_bytes([0; 32]), start: records.len() as u32 });

        let capacity = (distinct * 2).next_power_of_two().max(16);
        let hasher = FixedState::with_seed(0x6368_7764);
        let mut index =
            Self { slots: vec![0; capacity], mask: capacity - 1, groups, records, hasher };
        for group in 0..distinct {
            let (mut slot, tag) = index.probe_start(&index.groups[group].key);
            while index.slots[slot] != 0 {
                slot = (slot + 1) & index.mask;
            }
            index.slots[slot] = (u64::from(tag) << 32) | group as u64;
        }
        index
    }

    /// The first slot to probe and the tag for `key`. Tags are never zero, so an all-zero slot
    /// is empty.
    #[inline]
    fn probe_start(&self, key: &AddressKey) -> (usize, u32) {
        let hash = self.hasher.hash_one(key.as_bytes());
        ((hash as usize) & self.mask, ((hash >> 32) as u32) | 1)
    }

    /// The records of `key` (empty when it is listed nowhere).
    #[inline]
    pub fn get(&self, key: &AddressKey) -> &[EntryRecord] {
        let (mut slot, tag) = self.probe_start(key);
        loop {
            let value = self.slots[slot];
            if value == 0 {
                return &[];
            }
            if (value >> 32) as u32 == tag {
                let group = (value & 0xffff_ffff) as usize;
                if self.groups[group].key == *key {
                    let end = self.groups[group + 1].start as usize;
                    return &self.records[self.groups[group].start as usize..end];
                }
            }
            slot = (slot + 1) & self.mask;
        }
    }

    /// The records of each key of `keys`, in order, into `out` (cleared first).
    ///
    /// Faster than calling [`ScreeningIndex::get`] in a loop: for each run of
    /// [`ScreeningIndex::BATCH`] keys it issues every first-slot read, then every group read,
    /// before resolving any, so the cache misses overlap instead of queuing one after another.
    pub fn get_batch<'a>(&'a self, keys: &[AddressKey], out: &mut Vec<&'a [EntryRecord]>) {
        out.clear();
        out.reserve(keys.len());
        let mut probes = [(0usize, 0u32); Self::BATCH];
        let mut first = [0u64; Self::BATCH];
        let mut candidates =
            [Group { key: AddressKey::from_bytes([0; 32]), start: 0 }; Self::BATCH];
        for chunk in keys.chunks(Self::BATCH) {
            for (probe, key) in probes.iter_mut().zip(chunk) {
                *probe = self.probe_start(key);
            }
            for (value, probe) in first.iter_mut().zip(&probes[..chunk.len()]) {
                *value = self.slots[probe.0];
            }
            for ((candidate, value), probe) in
                candidates.iter_mut().zip(&first).zip(&probes[..chunk.len()])
            {
                if *value != 0 && (*value >> 32) as u32 == probe.1 {
                    *candidate = self.groups[(*value & 0xffff_ffff) as usize];
                }
            }
            for (i, key) in chunk.iter().enumerate() {
                let value = first[i];
                if value == 0 {
                    out.push(&[]);
                } else if (value >> 32) as u32 == probes[i].1 && candidates[i].key == *key {
                    let group = (value & 0xffff_ffff) as usize;
                    let end = self.groups[group + 1].start as usize;
                    out.push(&self.records[candidates[i].start as usize..end]);
                } else {
                    out.push(self.get(key));
                }
            }
        }
    }

    /// Keys resolved together by [`ScreeningIndex::get_batch`].
    pub const BATCH: usize = 16;

    /// Number of distinct address keys.
    pub fn keys(&self) -> usize {
        self.groups.len() - 1
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the index holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Bytes the probed part of the index takes (slots), for reports.
    pub fn slot_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<u64>()
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

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_primitives::{Category, WatchlistEntry};
    use chainward_store_api::SnapshotRef;

    fn record(byte: u8, source: &str, delisted: bool) -> EntryRecord {
        let snapshot =
            SnapshotRef { id: 1, effective_at: "2024-01-01".into(), content_hash: String::new() };
        EntryRecord {
            source: source.into(),
            entry: WatchlistEntry {
                key: AddressKey::new(Chain::Evm, &[byte; 20]),
                chain: Chain::Evm,
                address: String::new(),
                raw_address: None,
                currency: None,
                entity: None,
                category: Category::Mixer,
                labels: vec![],
                confidence: 100,
                confidence_label: None,
                program: None,
                reference: None,
                actor: None,
                context: None,
                listed_on: None,
            },
            listed_in: snapshot.clone(),
            listed_at: "2024-01-01".into(),
            delisted_in: delisted.then_some(snapshot),
        }
    }

    #[test]
    fn every_key_finds_exactly_its_records_and_absent_keys_find_none() {
        let mut records = Vec::new();
        for byte in 0..=200u8 {
            records.push(record(byte, "b", byte % 3 == 0));
            if byte % 2 == 0 {
                records.push(record(byte, "a", false));
            }
        }
        let index = ScreeningIndex::from_records(records);
        assert_eq!(index.keys(), 201);
        for byte in 0..=200u8 {
            let found = index.get(&AddressKey::new(Chain::Evm, &[byte; 20]));
            assert_eq!(found.len(), if byte % 2 == 0 { 2 } else { 1 }, "{byte}");
            assert!(found.iter().all(|r| r.entry.key == AddressKey::new(Chain::Evm, &[byte; 20])));
            assert!(found[0].is_active() || found.len() == 1, "active listings sort first");
        }
        for byte in 201..=255u8 {
            assert!(index.get(&AddressKey::new(Chain::Evm, &[byte; 20])).is_empty());
        }
        assert!(index.get(&AddressKey::new(Chain::Tron, &[1; 20])).is_empty());
        assert!(ScreeningIndex::default().get(&AddressKey::new(Chain::Evm, &[1; 20])).is_empty());
        let keys: Vec<AddressKey> =
            (0..=255u8).rev().map(|b| AddressKey::new(Chain::Evm, &[b; 20])).collect();
        let mut batch = Vec::new();
        index.get_batch(&keys, &mut batch);
        assert_eq!(batch.len(), keys.len());
        for (key, found) in keys.iter().zip(&batch) {
            assert_eq!(*found, index.get(key), "get_batch and get agree on every key");
        }
    }
}
