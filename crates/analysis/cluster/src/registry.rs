//! Entity ids that stay put while clusters grow and merge, so tags and case notes attached to
//! an entity never detach (GraphSense names a cluster by its smallest address id, which moves
//! when clusters merge: graphsense-REST#54/#64, BlockSci#337).
//!
//! [`EntityRegistry::assign`] maps each new clustering onto the entities of the previous one:
//!
//! - a cluster none of whose members had an entity gets a **fresh id**;
//! - a cluster whose members had one entity **keeps** it, however much it grew;
//! - a cluster whose members had several entities keeps the id of the one with the **most
//!   members before** (ties: the smallest id); the others are recorded as **merged into** it,
//!   with the round and time, and [`EntityRegistry::resolve`] follows those records;
//! - if an entity's members now lie in several clusters (a re-clustering with fewer
//!   heuristics, a reorg), the cluster holding most of them (ties: the smallest
//!   representative) keeps the id and each other part gets a fresh id, recorded as **split**
//!   from it.
//!
//! **Singletons**: an address alone in its cluster gets no entity id unless it is pinned
//! ([`EntityRegistry::pin`], e.g. because it carries a tag or a case note); its entity is
//! implicitly itself and [`EntityRegistry::entity_of`] returns `None`. Ids are spent where
//! they matter — clusters of two or more and addresses someone refers to — not on the
//! hundreds of millions of one-off addresses. An address that once had an entity keeps being
//! tracked even if it ends up alone, so its id never silently disappears.
//!
//! The registry persists to a versioned file ([`EntityRegistry::save`]):
//!
//! ```text
//! "CWENTITY"   u32 format version   u32 byte-order mark 0x01020304
//! u64 × 5      address slots, next entity id, merge records, split records, round
//! u32 × slots  entity of each address id (0: none)
//! records      merges then splits, 24 bytes each: u32 entity, u32 other, u32 round,
//!              u32 zero, u64 Unix time (merge: entity merged into other; split: other split
//!              from entity)
//! 32 bytes     BLAKE3 of everything before
//! ```
//!
//! As with the graph snapshot, a file with another magic, version or byte order, a size that
//! does not match its counts, a failed checksum or ids out of range is refused with a message
//! naming the file, and saving writes a temporary file and renames it.

use crate::{ClusterError, Clustering};
use chainward_graph::NodeId;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A stable entity id (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EntityId(pub u32);

impl std::fmt::Display for EntityId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entity#{}", self.0)
    }
}

/// An entity absorbed by another in a merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MergeRecord {
    /// The entity that no longer has members of its own.
    pub merged: EntityId,
    /// The surviving entity.
    pub into: EntityId,
    /// The [`EntityRegistry::assign`] round it happened in.
    pub round: u32,
    /// When, Unix seconds.
    pub time: u64,
}

/// Part of an entity that went its own way under a fresh id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SplitRecord {
    /// The entity the part left (it keeps its id with the larger part).
    pub from: EntityId,
    /// The part's fresh id.
    pub part: EntityId,
    /// The round.
    pub round: u32,
    /// When, Unix seconds.
    pub time: u64,
}

/// What one [`EntityRegistry::assign`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AssignOutcome {
    /// The round number (1 for the first assignment).
    pub round: u32,
    /// Fresh ids given to clusters none of whose members had an entity.
    pub created: Vec<EntityId>,
    /// Entities that kept their id with the same members.
    pub unchanged: usize,
    /// Entities that kept their id and gained members.
    pub grown: Vec<EntityId>,
    /// Entities merged into others this round.
    pub merges: Vec<MergeRecord>,
    /// Parts split off this round.
    pub splits: Vec<SplitRecord>,
}

/// Stable entity ids across re-clusterings. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityRegistry {
    /// Entity of each address id; 0 for none.
    entity_of: Vec<u32>,
    next_id: u32,
    round: u32,
    merges: Vec<MergeRecord>,
    splits: Vec<SplitRecord>,
    /// Derived from `merges`.
    merged_into: FxHashMap<u32, u32>,
    /// Derived from `entity_of`: members of each live entity, ascending.
    members: FxHashMap<u32, Vec<NodeId>>,
}

impl Default for EntityRegistry {
    fn default() -> Self {
        Self::new()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl EntityRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            entity_of: Vec::new(),
            next_id: 1,
            round: 0,
            merges: Vec::new(),
            splits: Vec::new(),
            merged_into: FxHashMap::default(),
            members: FxHashMap::default(),
        }
    }

    /// The entity of an address, if it has one (see the module documentation on singletons).
    pub fn entity_of(&self, address: NodeId) -> Option<EntityId> {
        if address.is_transaction() {
            return None;
        }
        self.entity_of.get(address.0 as usize).copied().filter(|&e| e != 0).map(EntityId)
    }

    /// Members of an entity, ascending; for a merged id, its survivor's members.
    pub fn members(&self, entity: EntityId) -> &[NodeId] {
        self.members.get(&self.resolve(entity).0).map_or(&[], Vec::as_slice)
    }

    /// The entity `id` was merged into, if it was.
    pub fn merged_into(&self, id: EntityId) -> Option<EntityId> {
        self.merged_into.get(&id.0).copied().map(EntityId)
    }

    /// The entity that now stands for `id`: `id` itself, or the end of its chain of merges.
    /// Bounded by the number of merge records, so even a corrupt chain cannot loop.
    pub fn resolve(&self, id: EntityId) -> EntityId {
        let mut current = id;
        for _ in 0..=self.merges.len() {
            match self.merged_into(current) {
                Some(next) => current = next,
                None => break,
            }
        }
        current
    }

    /// Every merge so far, oldest first.
    pub fn merges(&self) -> &[MergeRecord] {
        &self.merges
    }

    /// Every split so far, oldest first.
    pub fn splits(&self) -> &[SplitRecord] {
        &self.splits
    }

    /// Assignment rounds so far.
    pub fn round(&self) -> u32 {
        self.round
    }

    /// Entities with members.
    pub fn entity_count(&self) -> usize {
        self.members.len()
    }

    /// Live entities with their members, in no particular order.
    pub fn entities(&self) -> impl Iterator<Item = (EntityId, &[NodeId])> + '_ {
        self.members.iter().map(|(&id, members)| (EntityId(id), members.as_slice()))
    }

    fn fresh_id(&mut self) -> Result<EntityId, ClusterError> {
        let id = self.next_id;
        self.next_id = id.checked_add(1).ok_or(ClusterError::EntityIdsExhausted)?;
        Ok(EntityId(id))
    }

    /// Gives `address` an entity even while it is alone (for a tag or a case note to hang
    /// on), or returns the one it has. `None` for a transaction node.
    ///
    /// # Errors
    /// [`ClusterError::EntityIdsExhausted`] after 2³² − 1 ids.
    pub fn pin(&mut self, address: NodeId) -> Result<Option<EntityId>, ClusterError> {
        if address.is_transaction() {
            return Ok(None);
        }
        if let Some(entity) = self.entity_of(address) {
            return Ok(Some(entity));
        }
        let entity = self.fresh_id()?;
        let slot = address.0 as usize;
        if slot >= self.entity_of.len() {
            self.entity_of.resize(slot + 1, 0);
        }
        self.entity_of[slot] = entity.0;
        self.members.insert(entity.0, vec![address]);
        Ok(Some(entity))
    }

    /// Maps `clustering` onto stable entity ids, at the current time.
    ///
    /// # Errors
    /// [`ClusterError::EntityIdsExhausted`].
    pub fn assign(&mut self, clustering: &Clustering) -> Result<AssignOutcome, ClusterError> {
        self.assign_at(clustering, now())
    }

    /// [`EntityRegistry::assign`] with the time to record given.
    ///
    /// # Errors
    /// [`ClusterError::EntityIdsExhausted`].
    pub fn assign_at(
        &mut self,
        clustering: &Clustering,
        time: u64,
    ) -> Result<AssignOutcome, ClusterError> {
        self.round += 1;
        let round = self.round;
        let partition = clustering.partition();
        if self.entity_of.len() < partition.len() {
            self.entity_of.resize(partition.len(), 0);
        }

        // Units: the clusters of two or more, then tracked addresses now alone.
        let mut units: Vec<&[NodeId]> = clustering.clusters().collect();
        let alone: Vec<NodeId> = self
            .entity_of
            .iter()
            .enumerate()
            .filter(|&(id, &e)| e != 0 && partition.cluster_size(id as u32) < 2)
            .map(|(id, _)| NodeId(id as u32))
            .collect();
        units.extend(alone.chunks(1));

        // Which units each previous entity's members went to, and how many.
        let mut previous_size: FxHashMap<u32, u32> = FxHashMap::default();
        for &e in self.entity_of.iter().filter(|&&e| e != 0) {
            *previous_size.entry(e).or_default() += 1;
        }
        let mut claims: Vec<(u32, u32, u32)> = Vec::new(); // (entity, unit, members)
        let mut scratch: Vec<u32> = Vec::new();
        for (unit, members) in units.iter().enumerate() {
            scratch.clear();
            scratch
                .extend(members.iter().map(|m| self.entity_of[m.0 as usize]).filter(|&e| e != 0));
            scratch.sort_unstable();
            for run in scratch.chunk_by(|a, b| a == b) {
                claims.push((run[0], unit as u32, run.len() as u32));
            }
        }
        // The heir of each entity: the unit with most of its members, ties the earlier unit
        // (units are in ascending representative order).
        let mut heir: FxHashMap<u32, (u32, u32)> = FxHashMap::default();
        for &(entity, unit, count) in &claims {
            let best = heir.entry(entity).or_insert((unit, count));
            if count > best.1 || (count == best.1 && unit < best.0) {
                *best = (unit, count);
            }
        }

        let mut outcome = AssignOutcome { round, ..AssignOutcome::default() };
        let mut assigned: Vec<u32> = vec![0; units.len()];
        let mut claim_start = 0;
        for (unit, members) in units.iter().enumerate() {
            let claim_end = claim_start
                + claims[claim_start..].iter().take_while(|c| c.1 == unit as u32).count();
            let unit_claims = &claims[claim_start..claim_end];
            claim_start = claim_end;
            let mut inherited: Vec<u32> = unit_claims
                .iter()
                .filter(|c| heir.get(&c.0).is_some_and(|h| h.0 == unit as u32))
                .map(|c| c.0)
                .collect();
            let id = if inherited.is_empty() {
                let id = self.fresh_id()?;
                match unit_claims.iter().max_by_key(|c| (c.2, std::cmp::Reverse(c.0))) {
                    Some(&(from, _, _)) => {
                        outcome.splits.push(SplitRecord {
                            from: EntityId(from),
                            part: id,
                            round,
                            time,
                        });
                    }
                    None => outcome.created.push(id),
                }
                id.0
            } else {
                // The survivor: most members before, ties the smallest id.
                inherited.sort_unstable_by_key(|&e| {
                    (std::cmp::Reverse(previous_size.get(&e).copied().unwrap_or(0)), e)
                });
                let survivor = inherited[0];
                for &merged in &inherited[1..] {
                    outcome.merges.push(MergeRecord {
                        merged: EntityId(merged),
                        into: EntityId(survivor),
                        round,
                        time,
                    });
                }
                let before = previous_size.get(&survivor).copied().unwrap_or(0) as usize;
                let kept_all = unit_claims.iter().all(|c| c.0 == survivor);
                if kept_all && before == members.len() {
                    outcome.unchanged += 1;
                } else {
                    outcome.grown.push(EntityId(survivor));
                }
                survivor
            };
            assigned[unit] = id;
        }

        for (unit, members) in units.iter().enumerate() {
            for m in *members {
                self.entity_of[m.0 as usize] = assigned[unit];
            }
        }
        for record in &outcome.merges {
            self.merged_into.insert(record.merged.0, record.into.0);
        }
        self.merges.extend_from_slice(&outcome.merges);
        self.splits.extend_from_slice(&outcome.splits);
        self.rebuild_members();
        Ok(outcome)
    }

    fn rebuild_members(&mut self) {
        self.members.clear();
        for (address, &e) in self.entity_of.iter().enumerate() {
            if e != 0 {
                self.members.entry(e).or_default().push(NodeId(address as u32));
            }
        }
    }
}

const MAGIC: &[u8; 8] = b"CWENTITY";
/// The registry file format version. Any change to the layout bumps it.
pub const REGISTRY_FORMAT_VERSION: u32 = 1;
const BYTE_ORDER_MARK: u32 = 0x0102_0304;
const HEADER_LEN: u64 = 8 + 4 + 4 + 5 * 8;

/// One merge or split record as stored.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct RawRecord {
    entity: u32,
    other: u32,
    round: u32,
    zero: u32,
    time: u64,
}
const RECORD_LEN: u64 = std::mem::size_of::<RawRecord>() as u64;

fn bad(path: &Path, reason: impl Into<String>) -> ClusterError {
    ClusterError::Registry { path: path.display().to_string(), reason: reason.into() }
}

fn io(path: &Path, what: &str) -> impl FnOnce(std::io::Error) -> ClusterError {
    let context = format!("{what} {}", path.display());
    move |source| ClusterError::Io { context, source }
}

impl EntityRegistry {
    /// Writes the registry to `path` (a temporary file beside it, then a rename). Returns the
    /// file size.
    ///
    /// # Errors
    /// I/O errors, naming the file.
    pub fn save(&self, path: &Path) -> Result<u64, ClusterError> {
        let tmp = path.with_extension("tmp");
        let file = File::create(&tmp).map_err(io(&tmp, "creating"))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut hasher = blake3::Hasher::new();
        let records = |list: &mut dyn Iterator<Item = RawRecord>| list.collect::<Vec<_>>();
        let merges = records(&mut self.merges.iter().map(|m| RawRecord {
            entity: m.merged.0,
            other: m.into.0,
            round: m.round,
            zero: 0,
            time: m.time,
        }));
        let splits = records(&mut self.splits.iter().map(|s| RawRecord {
            entity: s.from.0,
            other: s.part.0,
            round: s.round,
            zero: 0,
            time: s.time,
        }));
        let counts: [u64; 5] = [
            self.entity_of.len() as u64,
            u64::from(self.next_id),
            merges.len() as u64,
            splits.len() as u64,
            u64::from(self.round),
        ];
        let mut write = || -> std::io::Result<()> {
            let mut put = |bytes: &[u8]| -> std::io::Result<()> {
                hasher.update(bytes);
                out.write_all(bytes)
            };
            put(MAGIC)?;
            put(&REGISTRY_FORMAT_VERSION.to_le_bytes())?;
            put(&BYTE_ORDER_MARK.to_ne_bytes())?;
            for c in counts {
                put(&c.to_le_bytes())?;
            }
            put(self.entity_of.as_bytes())?;
            put(merges.as_bytes())?;
            put(splits.as_bytes())?;
            out.write_all(hasher.finalize().as_bytes())?;
            out.flush()?;
            out.get_ref().sync_all()
        };
        write().map_err(io(&tmp, "writing"))?;
        drop(out);
        std::fs::rename(&tmp, path).map_err(io(path, "renaming the entity registry to"))?;
        Ok(std::fs::metadata(path).map_err(io(path, "reading"))?.len())
    }

    /// Reads a registry written by [`EntityRegistry::save`].
    ///
    /// # Errors
    /// [`ClusterError::Registry`] for a file of another format or version, truncated,
    /// failing its checksum or holding ids out of range; I/O errors.
    pub fn load(path: &Path) -> Result<Self, ClusterError> {
        if cfg!(target_endian = "big") {
            return Err(bad(path, "registry files are little-endian; this machine is big-endian"));
        }
        let file = File::open(path).map_err(io(path, "opening"))?;
        let size = file.metadata().map_err(io(path, "reading"))?.len();
        let mut input = BufReader::with_capacity(1 << 20, file);
        let mut hasher = blake3::Hasher::new();
        let truncated = |e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                bad(path, "the file is truncated")
            } else {
                ClusterError::Io { context: format!("reading {}", path.display()), source: e }
            }
        };
        let mut fill = |bytes: &mut [u8]| -> std::io::Result<()> {
            input.read_exact(bytes)?;
            hasher.update(bytes);
            Ok(())
        };
        let mut header = [0u8; HEADER_LEN as usize];
        fill(&mut header).map_err(truncated)?;
        if &header[..8] != MAGIC {
            return Err(bad(path, "not a Chainward entity registry (wrong magic bytes)"));
        }
        let word =
            |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().unwrap_or_default());
        let version = word(8);
        if version != REGISTRY_FORMAT_VERSION {
            return Err(bad(
                path,
                format!(
                    "format version {version}; this build reads version {REGISTRY_FORMAT_VERSION}"
                ),
            ));
        }
        if u32::from_ne_bytes(header[12..16].try_into().unwrap_or_default()) != BYTE_ORDER_MARK {
            return Err(bad(path, "written on a machine of the other byte order"));
        }
        let count = |i: usize| {
            let at = 16 + 8 * i;
            u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or_default())
        };
        let [slots, next_id, merges, splits, round] = [0, 1, 2, 3, 4].map(count);
        let expected = (|| {
            slots
                .checked_mul(4)?
                .checked_add(merges.checked_add(splits)?.checked_mul(RECORD_LEN)?)?
                .checked_add(HEADER_LEN + 32)
        })();
        if expected != Some(size) {
            return Err(bad(
                path,
                format!(
                    "the file is {size} bytes, its header describes {} bytes: truncated or corrupt",
                    expected.map_or("an impossible number of".to_owned(), |e| e.to_string())
                ),
            ));
        }
        let (Ok(next_id), Ok(round)) = (u32::try_from(next_id), u32::try_from(round)) else {
            return Err(bad(path, "entity id or round out of range in the header"));
        };
        if next_id == 0 {
            return Err(bad(path, "entity ids start at 1: the header says 0"));
        }
        let mut entity_of = vec![0u32; slots as usize];
        let mut merge_records = vec![RawRecord::default(); merges as usize];
        let mut split_records = vec![RawRecord::default(); splits as usize];
        fill(entity_of.as_mut_bytes()).map_err(truncated)?;
        fill(merge_records.as_mut_bytes()).map_err(truncated)?;
        fill(split_records.as_mut_bytes()).map_err(truncated)?;
        let mut stored = [0u8; 32];
        input.read_exact(&mut stored).map_err(truncated)?;
        if *hasher.finalize().as_bytes() != stored {
            return Err(bad(path, "checksum mismatch: the file is corrupt"));
        }

        let in_range = |id: u32| id != 0 && id < next_id;
        if entity_of.iter().any(|&e| e != 0 && !in_range(e)) {
            return Err(bad(path, "an address names an entity id that was never issued"));
        }
        let mut registry = Self { entity_of, next_id, round, ..Self::new() };
        for r in &merge_records {
            if !in_range(r.entity) || !in_range(r.other) || r.entity == r.other || r.round > round {
                return Err(bad(path, "a merge record names ids or a round out of range"));
            }
            if registry.merged_into.insert(r.entity, r.other).is_some() {
                return Err(bad(path, format!("entity {} is recorded as merged twice", r.entity)));
            }
            registry.merges.push(MergeRecord {
                merged: EntityId(r.entity),
                into: EntityId(r.other),
                round: r.round,
                time: r.time,
            });
        }
        for r in &split_records {
            if !in_range(r.entity) || !in_range(r.other) || r.round > round {
                return Err(bad(path, "a split record names ids or a round out of range"));
            }
            registry.splits.push(SplitRecord {
                from: EntityId(r.entity),
                part: EntityId(r.other),
                round: r.round,
                time: r.time,
            });
        }
        registry.rebuild_members();
        Ok(registry)
    }
}
