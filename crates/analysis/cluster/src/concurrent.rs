//! The bulk path: a union-find shared by worker threads, for clustering a whole chain's input
//! sets at once (GraphSense's "fresh" clustering bootstrap does the same job).
//!
//! The work is memory-latency bound — every input reference is a likely cache and TLB miss in
//! a parent array of 4 bytes per address — so the win is more misses in flight: the loops
//! prefetch the entries of the sets (or ids) they will reach shortly (through `prefetch-index`,
//! since this workspace forbids unsafe code), and a second core doubles the misses again. Every parent entry is an [`AtomicU32`] accessed with relaxed ordering
//! (plain loads and stores on x86-64): the only read-modify-write is the compare-and-swap that
//! links a root, which makes a root linked at most once. Links point from the larger root to
//! the smaller and path halving only ever moves a pointer to an ancestor, so every pointer
//! goes to a smaller id and no interleaving can make a cycle; a lost halving store just leaves
//! a path a little longer. Results are the same as [`UnionFind`](crate::UnionFind)'s, exactly:
//! the partition does not depend on the order of unions, and labels are minimum ids.
//!
//! Settling is parallel too and reuses the parent array's memory for the cluster column:
//! on this kind of virtual machine first-touching fresh pages costs ~4.5 µs per 4 KiB page,
//! more than the arithmetic of the pass.

use crate::{MappingRows, Partition};
use prefetch_index::prefetch_index;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// How many sets ahead of the one being joined the union loop asks for its members' parent
/// entries, and how many ahead it asks for their parents (a second miss, once the first has
/// arrived). The core alone keeps only a handful of misses in flight, because every find is a
/// chain of dependent loads; prefetching the next sets' entries overlaps ~60 of them. Measured
/// on the clustering bench (100 M addresses, 2 threads): union 2.6 s → 1.6 s; 16–32 sets
/// ahead are within noise of each other.
const PREFETCH_SETS_AHEAD: usize = 24;
const PREFETCH_PARENTS_AHEAD: usize = 8;
/// How many ids ahead settling asks for the parent of the id's parent: settling reads the
/// parent array in order, so only that second load misses (mapping 1.2 s → 0.8 s on the bench).
const FLATTEN_PREFETCH_AHEAD: usize = 64;

/// A union-find over the ids `0..len` that several threads update at once.
#[derive(Debug, Default)]
pub struct ConcurrentUnionFind {
    parent: Vec<AtomicU32>,
}

#[inline]
fn find(parent: &[AtomicU32], mut x: u32) -> u32 {
    loop {
        let p = parent[x as usize].load(Relaxed);
        if p == x {
            return x;
        }
        let grandparent = parent[p as usize].load(Relaxed);
        if grandparent == p {
            return p;
        }
        parent[x as usize].store(grandparent, Relaxed);
        x = grandparent;
    }
}

/// Joins `ids` into one set; returns how many links this call made.
#[inline]
fn union_all(parent: &[AtomicU32], ids: &[u32]) -> u64 {
    let Some((&first, rest)) = ids.split_first() else { return 0 };
    let mut root = find(parent, first);
    let mut joined = 0;
    for &id in rest {
        let mut other = find(parent, id);
        while other != root {
            let (low, high) = if other < root { (other, root) } else { (root, other) };
            match parent[high as usize].compare_exchange(high, low, Relaxed, Relaxed) {
                Ok(_) => {
                    joined += 1;
                    root = low;
                    break;
                }
                // Another thread linked `high` first: both roots may have moved.
                Err(_) => {
                    root = find(parent, root);
                    other = find(parent, other);
                }
            }
        }
    }
    joined
}

/// Worker threads: the machine's parallelism, at most 16 (past that the memory system, not the
/// cores, limits a union-find).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(16))
}

impl ConcurrentUnionFind {
    /// `len` singletons, ids `0..len`.
    ///
    /// # Panics
    /// If `len` exceeds `u32::MAX as usize + 1`.
    pub fn new(len: usize) -> Self {
        assert!(len <= u32::MAX as usize + 1, "union-find ids are u32: {len} is too many");
        Self { parent: (0..len).map(|i| AtomicU32::new(i as u32)).collect() }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The root (smallest id) of `x`'s set.
    ///
    /// # Panics
    /// If `x` is not below [`ConcurrentUnionFind::len`].
    pub fn find(&self, x: u32) -> u32 {
        find(&self.parent, x)
    }

    /// Joins each set given in CSR form (set `i` is `values[offsets[i]..offsets[i + 1]]`) on
    /// `threads` threads, each taking a contiguous share of the sets. Returns the number of
    /// links made (unions that joined two sets).
    ///
    /// # Panics
    /// If `offsets` is not non-decreasing, reaches past `values`, or an id is not below
    /// [`ConcurrentUnionFind::len`].
    pub fn union_sets(&self, offsets: &[u32], values: &[u32], threads: usize) -> u64 {
        let sets = offsets.len().saturating_sub(1);
        let threads = threads.clamp(1, sets.max(1));
        let parent = &self.parent;
        let set = |s: usize| &values[offsets[s] as usize..offsets[s + 1] as usize];
        let work = |share: usize| -> u64 {
            let (begin, end) = (sets * share / threads, sets * (share + 1) / threads);
            let mut joined = 0;
            for s in begin..end {
                if s + PREFETCH_SETS_AHEAD < end {
                    for &id in set(s + PREFETCH_SETS_AHEAD) {
                        prefetch_index(parent, id as usize);
                    }
                }
                // By now this set's own entries have arrived, so their parents can be asked for.
                if s + PREFETCH_PARENTS_AHEAD < end {
                    for &id in set(s + PREFETCH_PARENTS_AHEAD) {
                        prefetch_index(parent, parent[id as usize].load(Relaxed) as usize);
                    }
                }
                joined += union_all(parent, set(s));
            }
            joined
        };
        if threads == 1 {
            return work(0);
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> =
                (1..threads).map(|share| scope.spawn(move || work(share))).collect();
            let mine = work(0);
            mine + handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .sum::<u64>()
        })
    }

    /// Points every id straight at its root, on `threads` threads. Returns a bitset of the
    /// roots with at least one other member, the shares the ids were cut into and the number
    /// of non-root ids in each.
    fn flatten(&self, threads: usize) -> (Vec<u64>, Vec<std::ops::Range<usize>>, Vec<usize>) {
        let len = self.parent.len();
        let shares = shares(len, threads);
        let words = len.div_ceil(64);
        // Each share marks roots in a bitset of its own, with plain stores: a shared atomic
        // bitset would bounce the big clusters' words between cores on every member.
        let work = |range: std::ops::Range<usize>| -> (Vec<u64>, usize) {
            let parent = &self.parent;
            let mut has_members = vec![0u64; words];
            let mut non_roots = 0;
            let end = range.end;
            for i in range {
                if i + FLATTEN_PREFETCH_AHEAD < end {
                    let ahead = parent[i + FLATTEN_PREFETCH_AHEAD].load(Relaxed);
                    prefetch_index(parent, ahead as usize);
                }
                let p = parent[i].load(Relaxed);
                if p as usize == i {
                    continue;
                }
                let root = find(parent, p);
                parent[i].store(root, Relaxed);
                non_roots += 1;
                has_members[root as usize / 64] |= 1 << (root % 64);
            }
            (has_members, non_roots)
        };
        let mut results = run_shares(&shares, work).into_iter();
        let (mut has_members, first) = results.next().unwrap_or_default();
        let mut non_roots = vec![first];
        for (bits, count) in results {
            has_members.iter_mut().zip(&bits).for_each(|(word, other)| *word |= other);
            non_roots.push(count);
        }
        has_members.resize(words, 0);
        (has_members, shares, non_roots)
    }

    /// Settles into GraphSense's `get_mapping_min(True)` rows: ids in clusters of two or more,
    /// ascending, with their cluster's smallest id. The parent array's memory becomes the
    /// cluster column.
    pub fn into_mapping_min(self, threads: usize) -> MappingRows {
        let (has_members, shares, non_roots) = self.flatten(threads);
        let is_row = |i: usize, cluster: u32| {
            cluster as usize != i || has_members[i / 64] >> (i % 64) & 1 != 0
        };
        let counts: Vec<usize> = shares
            .iter()
            .zip(&non_roots)
            .map(|(range, &n)| {
                let words = &has_members[range.start / 64..range.end.div_ceil(64)];
                n + words.iter().map(|w| w.count_ones() as usize).sum::<usize>()
            })
            .collect();
        let total: usize = counts.iter().sum();
        let mut address = vec![0u32; total];
        {
            // Each share compacts its rows to the front of its own range of the parent array
            // (writes never overtake reads) and writes its ids into its own run of `address`.
            let mut address_rest = address.as_mut_slice();
            let mut jobs = Vec::with_capacity(shares.len());
            for (range, &count) in shares.iter().zip(&counts) {
                let (address_share, tail) = std::mem::take(&mut address_rest).split_at_mut(count);
                address_rest = tail;
                jobs.push((range.clone(), address_share));
            }
            let parent = &self.parent;
            let compact = |(range, address_share): (std::ops::Range<usize>, &mut [u32])| {
                let mut row = range.start;
                for (i, slot) in parent[range.clone()].iter().enumerate() {
                    let id = range.start + i;
                    let c = slot.load(Relaxed);
                    if is_row(id, c) {
                        parent[row].store(c, Relaxed);
                        address_share[row - range.start] = id as u32;
                        row += 1;
                    }
                }
            };
            std::thread::scope(|scope| {
                let mut jobs = jobs.into_iter();
                let first = jobs.next();
                let handles: Vec<_> = jobs.map(|job| scope.spawn(move || compact(job))).collect();
                if let Some(job) = first {
                    compact(job);
                }
                for h in handles {
                    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                }
            });
        }
        // Close the gaps between the shares' runs, then hand the memory over as plain u32s
        // (an in-place collect: same size and alignment, so the allocation is reused).
        let mut parent = self.parent;
        let mut written = 0;
        for (range, &count) in shares.iter().zip(&counts) {
            for k in 0..count {
                let c = parent[range.start + k].load(Relaxed);
                parent[written + k].store(c, Relaxed);
            }
            written += count;
        }
        parent.truncate(total);
        let cluster: Vec<u32> = parent.into_iter().map(AtomicU32::into_inner).collect();
        MappingRows { address_id: address, cluster_id: cluster }
    }

    /// Settles into a [`Partition`].
    pub fn into_partition(self, threads: usize) -> Partition {
        self.flatten(threads);
        let cluster: Vec<u32> = self.parent.into_iter().map(AtomicU32::into_inner).collect();
        Partition::from_flat(cluster)
    }
}

/// `len` ids cut into `threads` ranges, each starting on a multiple of 64 so that no bitset word
/// straddles two.
fn shares(len: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
    let threads = threads.clamp(1, len.div_ceil(64).max(1));
    let bounds: Vec<usize> =
        (0..=threads).map(|k| if k == threads { len } else { (len * k / threads) & !63 }).collect();
    bounds.windows(2).map(|w| w[0]..w[1]).collect()
}

fn run_shares<T: Send>(
    shares: &[std::ops::Range<usize>],
    work: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> =
            shares[1..].iter().map(|r| scope.spawn(move || work(r.clone()))).collect();
        let mut results = vec![work(shares[0].clone())];
        results.extend(
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        );
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnionFind;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_the_single_threaded_union_find(
            len in 1usize..400,
            threads in 1usize..5,
            raw in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 0..6), 0..150),
        ) {
            let mut offsets = vec![0u32];
            let mut values = Vec::new();
            for set in &raw {
                values.extend(set.iter().map(|&v| v % len as u32));
                offsets.push(values.len() as u32);
            }
            let mut reference = UnionFind::new(len);
            let links = reference.union_sets(&offsets, &values);
            let expected = reference.into_partition();

            let concurrent = ConcurrentUnionFind::new(len);
            prop_assert_eq!(concurrent.union_sets(&offsets, &values, threads), links);
            prop_assert_eq!(&concurrent.into_partition(threads), &expected);

            let concurrent = ConcurrentUnionFind::new(len);
            concurrent.union_sets(&offsets, &values, threads);
            prop_assert_eq!(concurrent.into_mapping_min(threads), expected.mapping_min());
        }
    }

    #[test]
    fn shares_are_word_aligned_and_cover_everything() {
        for (len, threads) in [(0, 2), (1, 4), (63, 2), (64, 2), (1000, 3), (100_003, 7)] {
            let parts = shares(len, threads);
            assert_eq!(parts.first().map(|r| r.start), Some(0));
            assert_eq!(parts.last().map(|r| r.end), Some(len));
            for pair in parts.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert_eq!(pair[1].start % 64, 0);
            }
        }
    }
}
