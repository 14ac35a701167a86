//! Stable entity ids: growth keeps the id, a merge keeps the larger side's, resolve follows
//! merge chains, the file round-trips and a damaged file is refused; tags reach entities.

use chainward_cluster::{
    ClusterError, ClusterStats, Clustering, EntityId, EntityRegistry, UnionFind, entity_categories,
    entity_labels,
};
use chainward_graph::{LabelInfo, NodeId, NodeLabels};
use chainward_primitives::Category;

fn clustering(slots: usize, groups: &[&[u32]]) -> Clustering {
    let mut union_find = UnionFind::new(slots);
    for group in groups {
        union_find.union_all(group);
    }
    Clustering::from_union_find(union_find, ClusterStats::default())
}

fn n(id: u32) -> NodeId {
    NodeId(id)
}

#[test]
fn growth_keeps_the_id_and_merge_keeps_the_larger_side() {
    let mut registry = EntityRegistry::new();
    let first = registry.assign_at(&clustering(20, &[&[1, 2], &[5, 6, 7]]), 100).unwrap();
    assert_eq!(first.round, 1);
    assert_eq!(first.created.len(), 2);
    let small = registry.entity_of(n(1)).unwrap();
    let large = registry.entity_of(n(5)).unwrap();
    assert_ne!(small, large);
    assert_eq!(registry.entity_of(n(3)), None, "singletons get no id");

    // The small cluster grows: same id.
    let grown = registry.assign_at(&clustering(20, &[&[1, 2, 3], &[5, 6, 7]]), 200).unwrap();
    assert_eq!(grown.grown, vec![small]);
    assert_eq!(grown.unchanged, 1);
    assert!(grown.created.is_empty());
    assert_eq!(registry.entity_of(n(3)), Some(small));
    assert_eq!(registry.members(small), &[n(1), n(2), n(3)]);

    // The large side grows to 4 members, then both merge (with a new address 9): the
    // 4-member entity's id survives and the 3-member one is recorded as merged into it.
    registry.assign_at(&clustering(20, &[&[1, 2, 3], &[5, 6, 7, 8]]), 300).unwrap();
    let merged = registry.assign_at(&clustering(20, &[&[1, 2, 3, 5, 6, 7, 8, 9]]), 400).unwrap();
    assert_eq!(merged.merges.len(), 1);
    let record = merged.merges[0];
    assert_eq!((record.merged, record.into, record.round, record.time), (small, large, 4, 400));
    for id in [1, 2, 3, 5, 9] {
        assert_eq!(registry.entity_of(n(id)), Some(large));
    }
    assert_eq!(registry.merged_into(small), Some(large));
    assert_eq!(registry.resolve(small), large);
    assert_eq!(
        registry.members(small),
        registry.members(large),
        "a merged id reads as its survivor"
    );
    assert_eq!(registry.entity_count(), 1);
}

#[test]
fn merge_ties_keep_the_smallest_id() {
    let mut registry = EntityRegistry::new();
    registry.assign_at(&clustering(10, &[&[1, 2], &[3, 4]]), 1).unwrap();
    let (x, y) = (registry.entity_of(n(1)).unwrap(), registry.entity_of(n(3)).unwrap());
    let outcome = registry.assign_at(&clustering(10, &[&[1, 2, 3, 4]]), 2).unwrap();
    let survivor = x.min(y);
    assert_eq!(outcome.merges[0].into, survivor);
    assert_eq!(registry.entity_of(n(4)), Some(survivor));
}

#[test]
fn resolve_follows_chains_of_merges() {
    let mut registry = EntityRegistry::new();
    registry.assign_at(&clustering(30, &[&[1, 2], &[10, 11, 12], &[20, 21, 22, 23]]), 1).unwrap();
    let a = registry.entity_of(n(1)).unwrap();
    let b = registry.entity_of(n(10)).unwrap();
    let c = registry.entity_of(n(20)).unwrap();
    // a merges into b, then b into c.
    registry.assign_at(&clustering(30, &[&[1, 2, 10, 11, 12], &[20, 21, 22, 23]]), 2).unwrap();
    // Now b has 5 members, c 4: make c larger before the second merge.
    registry
        .assign_at(&clustering(30, &[&[1, 2, 10, 11, 12], &[20, 21, 22, 23, 24, 25]]), 3)
        .unwrap();
    registry.assign_at(&clustering(30, &[&[1, 2, 10, 11, 12, 20, 21, 22, 23, 24, 25]]), 4).unwrap();
    assert_eq!(registry.merged_into(a), Some(b));
    assert_eq!(registry.merged_into(b), Some(c));
    assert_eq!(registry.resolve(a), c);
    assert_eq!(registry.resolve(c), c);
    assert_eq!(registry.resolve(EntityId(999)), EntityId(999));
}

#[test]
fn splits_keep_the_id_with_the_larger_part_and_pinned_singletons_keep_theirs() {
    let mut registry = EntityRegistry::new();
    registry.assign_at(&clustering(20, &[&[1, 2, 3, 4, 5]]), 1).unwrap();
    let id = registry.entity_of(n(1)).unwrap();
    let pinned = registry.pin(n(9)).unwrap().unwrap();
    assert_eq!(registry.members(pinned), &[n(9)]);
    // Re-clustered with fewer heuristics: {1,2} and {3,4,5}; 9 still alone.
    let outcome = registry.assign_at(&clustering(20, &[&[1, 2], &[3, 4, 5]]), 2).unwrap();
    assert_eq!(registry.entity_of(n(3)), Some(id), "the larger part keeps the id");
    let part = registry.entity_of(n(1)).unwrap();
    assert_ne!(part, id);
    assert_eq!(outcome.splits.len(), 1);
    assert_eq!((outcome.splits[0].from, outcome.splits[0].part), (id, part));
    assert_eq!(registry.entity_of(n(9)), Some(pinned), "a pinned singleton keeps its id");
    // The pinned address joins a cluster: the cluster inherits the larger entity.
    registry.assign_at(&clustering(20, &[&[1, 2, 9], &[3, 4, 5]]), 3).unwrap();
    assert_eq!(registry.entity_of(n(9)), Some(part));
    assert_eq!(registry.resolve(pinned), part);
}

#[test]
fn save_and_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entities.cwe");
    let mut registry = EntityRegistry::new();
    registry.assign_at(&clustering(40, &[&[1, 2], &[5, 6, 7]]), 10).unwrap();
    registry.pin(n(30)).unwrap();
    registry.assign_at(&clustering(40, &[&[1, 2, 5, 6, 7]]), 20).unwrap();
    registry.assign_at(&clustering(40, &[&[1, 2], &[5, 6, 7]]), 30).unwrap();
    let size = registry.save(&path).unwrap();
    assert_eq!(size, std::fs::metadata(&path).unwrap().len());
    let loaded = EntityRegistry::load(&path).unwrap();
    assert_eq!(loaded, registry);
    assert_eq!(loaded.merges().len(), 1);
    assert_eq!(loaded.splits().len(), 1);
    assert_eq!(loaded.round(), 3);
    assert!(!dir.path().join("entities.tmp").exists());
}

#[test]
fn damaged_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entities.cwe");
    let mut registry = EntityRegistry::new();
    registry.assign_at(&clustering(40, &[&[1, 2], &[5, 6, 7]]), 10).unwrap();
    registry.save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();
    let refuse = |bytes: &[u8], expected: &str| {
        std::fs::write(&path, bytes).unwrap();
        let err = EntityRegistry::load(&path).unwrap_err();
        assert!(matches!(err, ClusterError::Registry { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains(expected), "{message}");
    };
    let mut flipped = good.clone();
    flipped[80] ^= 0x10; // inside the entity array
    refuse(&flipped, "checksum mismatch");
    refuse(&good[..good.len() - 5], "truncated or corrupt");
    refuse(&good[..20], "truncated");
    let mut magic = good.clone();
    magic[0] = b'X';
    refuse(&magic, "wrong magic");
    let mut version = good.clone();
    version[8] = 99;
    refuse(&version, "format version 99");
    std::fs::write(&path, &good).unwrap();
    assert!(EntityRegistry::load(&path).is_ok());
}

fn label(category: Category, entity: &str, confidence: u8, source: &str) -> LabelInfo {
    LabelInfo { category, entity: Some(entity.to_owned()), confidence, source: source.to_owned() }
}

#[test]
fn tags_propagate_to_the_entity_with_their_confidence() {
    let mut registry = EntityRegistry::new();
    registry.assign_at(&clustering(10, &[&[1, 2, 3]]), 1).unwrap();
    let entity = registry.entity_of(n(2)).unwrap();
    let mut labels = NodeLabels::new();
    let binance = label(Category::Exchange, "Binance", 80, "tags/a");
    labels.add(n(1), binance.clone());
    labels.add(n(3), binance.clone());
    labels.add(n(2), label(Category::Sanctioned, "Garantex", 100, "ofac"));
    labels.add(n(7), label(Category::Scam, "Elsewhere", 100, "tags/b"));

    let tags = entity_labels(entity, &labels, &registry);
    assert_eq!(tags.len(), 2, "a label outside the entity does not propagate");
    assert_eq!(tags[0].label.category, Category::Sanctioned, "riskiest first");
    assert_eq!(tags[0].members, vec![n(2)]);
    assert_eq!(tags[1].label, binance, "confidence is carried unchanged");
    assert_eq!(tags[1].members, vec![n(1), n(3)]);
    let categories = entity_categories(entity, &labels, &registry);
    assert!(categories.contains(Category::Exchange) && categories.contains(Category::Sanctioned));
    assert!(!categories.contains(Category::Scam));
}
