//! Union-find over dense `u32` ids, and the [`Partition`] it settles into.
//!
//! Linking is **by minimum**: the smaller root becomes the parent. That gives GraphSense's
//! canonical labelling (a cluster is named by its smallest id) for free, and it keeps the
//! invariant `parent[x] <= x`, which path halving preserves. The invariant is what makes the
//! final flattening a single ascending pass: when `x` is reached, `parent[x]` is a smaller id
//! already pointing at its root, so one more read gives the root — no second `find`, no stack.
//!
//! Linking by index has no rank bound, but with path halving m operations on n ids still cost
//! O(m log_(1+m/n) n) in total (Tarjan and van Leeuwen, 1984), and the address-id skew of real
//! chains keeps the hot roots in cache. Linking by size or rank would need a second array and
//! a relabelling pass to reach min-id labels.
//!
//! [`UnionFind`] is the single-threaded form the heuristics link through; for one bulk pass
//! over a whole chain's input sets, [`crate::ConcurrentUnionFind`] does the same on all cores.

/// A union-find (disjoint-set forest) over the ids `0..len`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `len` singletons, ids `0..len`.
    ///
    /// # Panics
    /// If `len` exceeds `u32::MAX as usize + 1`.
    pub fn new(len: usize) -> Self {
        assert!(len <= u32::MAX as usize + 1, "union-find ids are u32: {len} is too many");
        Self { parent: (0..len).map(|i| i as u32).collect() }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// Adds singletons until there are `len` ids (never shrinks).
    pub fn grow(&mut self, len: usize) {
        let start = self.parent.len();
        if len > start {
            assert!(len <= u32::MAX as usize + 1, "union-find ids are u32: {len} is too many");
            self.parent.extend((start..len).map(|i| i as u32));
        }
    }

    /// The root of `x`'s set: the smallest id in it. Halves the path on the way.
    ///
    /// # Panics
    /// If `x` is not below [`UnionFind::len`].
    #[inline]
    pub fn find(&mut self, mut x: u32) -> u32 {
        let parent = &mut self.parent;
        loop {
            let p = parent[x as usize];
            if p == x {
                return x;
            }
            let grandparent = parent[p as usize];
            if grandparent == p {
                return p;
            }
            parent[x as usize] = grandparent;
            x = grandparent;
        }
    }

    /// Joins the sets of `a` and `b`. Returns whether they were apart.
    ///
    /// # Panics
    /// If either id is not below [`UnionFind::len`].
    #[inline]
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        match ra.cmp(&rb) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => {
                self.parent[rb as usize] = ra;
                true
            }
            std::cmp::Ordering::Greater => {
                self.parent[ra as usize] = rb;
                true
            }
        }
    }

    /// Whether `a` and `b` are in one set.
    pub fn same(&mut self, a: u32, b: u32) -> bool {
        self.find(a) == self.find(b)
    }

    /// Joins all of `ids` into one set. Returns how many unions joined two different sets.
    ///
    /// # Panics
    /// If an id is not below [`UnionFind::len`].
    #[inline]
    pub fn union_all(&mut self, ids: &[u32]) -> usize {
        let Some((&first, rest)) = ids.split_first() else { return 0 };
        let mut root = self.find(first);
        let mut joined = 0;
        for &id in rest {
            let other = self.find(id);
            if other != root {
                joined += 1;
                // Link the larger root under the smaller, and carry the smaller on: the set's
                // root is always the minimum seen so far.
                if other < root {
                    self.parent[root as usize] = other;
                    root = other;
                } else {
                    self.parent[other as usize] = root;
                }
            }
        }
        joined
    }

    /// Joins each set of ids given in CSR form — set `i` is
    /// `values[offsets[i]..offsets[i + 1]]`, the layout of an Arrow `ListArray` — and returns
    /// how many unions joined two different sets.
    ///
    /// # Panics
    /// If `offsets` is not non-decreasing, reaches past `values`, or an id is not below
    /// [`UnionFind::len`].
    pub fn union_sets(&mut self, offsets: &[u32], values: &[u32]) -> u64 {
        offsets
            .windows(2)
            .map(|w| self.union_all(&values[w[0] as usize..w[1] as usize]) as u64)
            .sum()
    }

    /// Settles into a [`Partition`]: every id labelled with its cluster's smallest id, and
    /// cluster sizes. O(len), one ascending pass.
    pub fn into_partition(mut self) -> Partition {
        let parent = &mut self.parent;
        for i in 0..parent.len() {
            // `parent[i] <= i`, so `parent[parent[i]]` was settled earlier in this pass: it is
            // the root.
            parent[i] = parent[parent[i] as usize];
        }
        Partition::from_flat(self.parent)
    }
}

/// A settled clustering of the ids `0..len`: each id's cluster, named by its smallest id (as
/// GraphSense names them), and each cluster's size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Partition {
    cluster: Vec<u32>,
    /// Indexed by cluster id; 0 for ids that name no cluster.
    size: Vec<u32>,
}

/// The rows GraphSense's `get_mapping_min(True)` returns: ids in clusters of two or more, in
/// ascending order, beside their cluster id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MappingRows {
    /// Ids, ascending.
    pub address_id: Vec<u32>,
    /// The cluster (smallest id) of each.
    pub cluster_id: Vec<u32>,
}

impl MappingRows {
    /// GraphSense's checksum: the sum of the cluster ids of all rows.
    pub fn checksum(&self) -> u64 {
        self.cluster_id.iter().map(|&c| u64::from(c)).sum()
    }
}

impl Partition {
    /// A partition from each id's cluster, which must be the smallest id of the cluster (so
    /// `cluster[c] == c` for every cluster id `c`).
    pub(crate) fn from_flat(cluster: Vec<u32>) -> Self {
        let mut size = vec![0u32; cluster.len()];
        for &c in &cluster {
            size[c as usize] += 1;
        }
        Self { cluster, size }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.cluster.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.cluster.is_empty()
    }

    /// The cluster of `id`: the smallest id in it. `None` beyond [`Partition::len`].
    pub fn cluster_of(&self, id: u32) -> Option<u32> {
        self.cluster.get(id as usize).copied()
    }

    /// The size of the cluster `id` belongs to (1 for a singleton, 0 beyond the ids).
    pub fn cluster_size(&self, id: u32) -> u32 {
        self.cluster_of(id).map_or(0, |c| self.size[c as usize])
    }

    /// The cluster of every id, indexed by id.
    pub fn cluster_ids(&self) -> &[u32] {
        &self.cluster
    }

    /// Clusters of two or more ids, as (cluster id, size), ascending by id.
    pub fn clusters(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.size.iter().enumerate().filter(|&(_, &s)| s > 1).map(|(c, &s)| (c as u32, s))
    }

    /// Ids in clusters of two or more.
    pub fn non_singleton_ids(&self) -> usize {
        self.cluster.iter().filter(|&&c| self.size[c as usize] > 1).count()
    }

    /// The largest cluster as (cluster id, size); `None` when there are no ids.
    pub fn largest(&self) -> Option<(u32, u32)> {
        self.size
            .iter()
            .enumerate()
            .max_by_key(|&(c, &s)| (s, std::cmp::Reverse(c)))
            .map(|(c, &s)| (c as u32, s))
    }

    /// GraphSense's comparison checksum: the sum of cluster ids (as `u64`) over every id in a
    /// cluster of two or more.
    pub fn checksum(&self) -> u64 {
        self.cluster.iter().filter(|&&c| self.size[c as usize] > 1).map(|&c| u64::from(c)).sum()
    }

    /// The rows of ids in clusters of two or more (GraphSense's `get_mapping_min(True)`).
    pub fn mapping_min(&self) -> MappingRows {
        let mut rows = MappingRows::default();
        for (id, &c) in self.cluster.iter().enumerate() {
            if self.size[c as usize] > 1 {
                rows.address_id.push(id as u32);
                rows.cluster_id.push(c);
            }
        }
        rows
    }
}

/// Clusters ids `0..=max_id` on all cores ([`crate::ConcurrentUnionFind`]) by joining each set
/// of ids given in CSR form (set `i` is
/// `values[offsets[i]..offsets[i + 1]]`: the input address ids of one transaction, as
/// GraphSense's Arrow feed and `scripts/bench-clustering.sh` give them).
///
/// # Panics
/// If `offsets` is not non-decreasing, reaches past `values`, or an id exceeds `max_id`.
pub fn cluster_input_sets(offsets: &[u32], values: &[u32], max_id: u32) -> Partition {
    let threads = crate::concurrent::default_threads();
    let union_find = crate::ConcurrentUnionFind::new(max_id as usize + 1);
    union_find.union_sets(offsets, values, threads);
    union_find.into_partition(threads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Labels by repeated relaxation to the minimum over each set: slow, obviously right.
    fn naive_labels(len: usize, sets: &[Vec<u32>]) -> Vec<u32> {
        let mut label: Vec<u32> = (0..len as u32).collect();
        loop {
            let mut changed = false;
            for set in sets {
                let Some(min) = set.iter().map(|&id| label[id as usize]).min() else { continue };
                for &id in set {
                    if label[id as usize] != min {
                        let old = label[id as usize];
                        for l in label.iter_mut().filter(|l| **l == old) {
                            *l = min;
                        }
                        changed = true;
                    }
                }
            }
            if !changed {
                return label;
            }
        }
    }

    fn csr(sets: &[Vec<u32>]) -> (Vec<u32>, Vec<u32>) {
        let mut offsets = vec![0u32];
        let mut values = Vec::new();
        for set in sets {
            values.extend_from_slice(set);
            offsets.push(values.len() as u32);
        }
        (offsets, values)
    }

    proptest! {
        #[test]
        fn matches_naive_reference(
            len in 1usize..200,
            raw in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 0..6), 0..80),
        ) {
            let sets: Vec<Vec<u32>> =
                raw.iter().map(|s| s.iter().map(|&v| v % len as u32).collect()).collect();
            let expected = naive_labels(len, &sets);

            let (offsets, values) = csr(&sets);
            let partition = cluster_input_sets(&offsets, &values, len as u32 - 1);
            prop_assert_eq!(partition.cluster_ids(), expected.as_slice());

            // One union at a time gives the same partition as the bulk path.
            let mut one_by_one = UnionFind::new(len);
            for set in &sets {
                for pair in set.windows(2) {
                    one_by_one.union(pair[0], pair[1]);
                }
            }
            for (id, &label) in expected.iter().enumerate() {
                prop_assert_eq!(one_by_one.find(id as u32), label);
            }

            for (id, &label) in expected.iter().enumerate() {
                let size = expected.iter().filter(|&&l| l == label).count() as u32;
                prop_assert_eq!(partition.cluster_size(id as u32), size);
            }
            let checksum: u64 = expected
                .iter()
                .filter(|&&l| expected.iter().filter(|&&m| m == l).count() > 1)
                .map(|&l| u64::from(l))
                .sum();
            prop_assert_eq!(partition.checksum(), checksum);
            prop_assert_eq!(partition.mapping_min().checksum(), checksum);
        }
    }

    #[test]
    fn graphsense_tiny_example() {
        // tracing-anchors.md §1.9: [[1,2,3],[4,5],[2,7]] with max id 10.
        let (offsets, values) = csr(&[vec![1, 2, 3], vec![4, 5], vec![2, 7]]);
        let partition = cluster_input_sets(&offsets, &values, 10);
        assert_eq!(partition.cluster_ids(), &[0, 1, 1, 1, 4, 4, 6, 1, 8, 9, 10]);
        let rows = partition.mapping_min();
        assert_eq!(rows.address_id, vec![1, 2, 3, 4, 5, 7]);
        assert_eq!(rows.cluster_id, vec![1, 1, 1, 4, 4, 1]);
        assert_eq!(partition.checksum(), 1 + 1 + 1 + 4 + 4 + 1);
        assert_eq!(partition.clusters().collect::<Vec<_>>(), vec![(1, 4), (4, 2)]);
        assert_eq!(partition.largest(), Some((1, 4)));
        assert_eq!(partition.cluster_size(6), 1);
        assert_eq!(partition.non_singleton_ids(), 6);
    }

    #[test]
    fn union_reports_whether_sets_were_apart() {
        let mut uf = UnionFind::new(4);
        assert!(uf.union(3, 2));
        assert!(!uf.union(2, 3));
        assert!(uf.union(1, 3));
        assert_eq!(uf.find(3), 1);
        assert!(!uf.same(0, 3));
        uf.grow(6);
        assert_eq!(uf.len(), 6);
        assert_eq!(uf.union_all(&[5, 4, 0, 4]), 2);
        assert_eq!(uf.find(5), 0);
    }

    #[test]
    fn long_chains_do_not_recurse() {
        // A path of a million links built worst-first: find must stay iterative.
        let n = 1_000_000u32;
        let mut uf = UnionFind::new(n as usize);
        for i in (1..n).rev() {
            uf.union(i, i - 1);
        }
        assert_eq!(uf.find(n - 1), 0);
        assert_eq!(uf.into_partition().cluster_size(0), n);
    }
}
