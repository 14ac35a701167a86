//! What lists say about graph nodes: categories and labels, looked up per node in O(1).

use crate::NodeId;
use chainward_primitives::Category;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// A set of [`Category`]s as a bitmask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CategorySet(pub u16);

impl CategorySet {
    /// No category.
    pub const EMPTY: Self = Self(0);

    /// The categories that are services: tracing stops there by default, and exposure counts
    /// what reaches them without going through them.
    pub const SERVICES: Self = Self::of_all(&[
        Category::Exchange,
        Category::Mixer,
        Category::Bridge,
        Category::Gambling,
        Category::Defi,
        Category::Service,
        Category::Miner,
    ]);

    const fn bit(category: Category) -> u16 {
        let mut i = 0;
        while i < Category::ALL.len() {
            if Category::ALL[i] as u8 == category as u8 {
                return 1 << i;
            }
            i += 1;
        }
        0
    }

    /// A set of one category.
    pub const fn of(category: Category) -> Self {
        Self(Self::bit(category))
    }

    /// A set of several.
    pub const fn of_all(categories: &[Category]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < categories.len() {
            bits |= Self::bit(categories[i]);
            i += 1;
        }
        Self(bits)
    }

    /// Adds one.
    pub fn insert(&mut self, category: Category) {
        self.0 |= Self::bit(category);
    }

    /// Whether it holds `category`.
    pub const fn contains(self, category: Category) -> bool {
        self.0 & Self::bit(category) != 0
    }

    /// Whether it shares a category with `other`.
    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Both sets.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether it is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Its categories, in [`Category::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |&c| self.contains(c))
    }
}

impl Serialize for CategorySet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Category::as_str))
    }
}

/// One list's statement about an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabelInfo {
    /// The category.
    pub category: Category,
    /// The entity it names (`Binance`, `Lazarus Group`, `Tornado Cash`), when it does.
    pub entity: Option<String>,
    /// Confidence, 0–100.
    pub confidence: u8,
    /// The list (`ofac-sdn-csv`, `graphsense/exchanges`, …).
    pub source: String,
}

/// Labels per node.
#[derive(Clone, Debug, Default)]
pub struct NodeLabels {
    infos: Vec<LabelInfo>,
    by_node: FxHashMap<u32, Vec<u32>>,
    sets: FxHashMap<u32, CategorySet>,
}

impl NodeLabels {
    /// No labels.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a label to a node (an exact duplicate is ignored).
    pub fn add(&mut self, node: NodeId, info: LabelInfo) {
        let list = self.by_node.entry(node.0).or_default();
        if list.iter().any(|&i| self.infos[i as usize] == info) {
            return;
        }
        self.sets.entry(node.0).or_default().insert(info.category);
        list.push(self.infos.len() as u32);
        self.infos.push(info);
    }

    /// The categories of a node.
    pub fn categories(&self, node: NodeId) -> CategorySet {
        self.sets.get(&node.0).copied().unwrap_or_default()
    }

    /// The labels of a node.
    pub fn labels(&self, node: NodeId) -> impl Iterator<Item = &LabelInfo> {
        self.by_node
            .get(&node.0)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.infos[i as usize])
    }

    /// The label that speaks for a node: the riskiest category, then the highest confidence.
    pub fn primary(&self, node: NodeId) -> Option<&LabelInfo> {
        self.labels(node).max_by_key(|l| (l.category.risk(), l.confidence))
    }

    /// Labelled nodes.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.by_node.keys().map(|&n| NodeId(n))
    }

    /// Number of labelled nodes.
    pub fn len(&self) -> usize {
        self.by_node.len()
    }

    /// Whether no node is labelled.
    pub fn is_empty(&self) -> bool {
        self.by_node.is_empty()
    }
}
