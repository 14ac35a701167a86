//! Tags propagate from addresses to their entity: an entity carries every label of every
//! member, with the label's own confidence, and says which members carry it — an analyst sees
//! both "this entity is Binance (confidence 90)" and the addresses that claim rests on.

use crate::{EntityId, EntityRegistry};
use chainward_graph::{CategorySet, LabelInfo, NodeId, NodeLabels};
use serde::Serialize;

/// One label of an entity and the members that carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityLabel {
    /// The label, with its confidence unchanged.
    pub label: LabelInfo,
    /// Members carrying it, ascending.
    pub members: Vec<NodeId>,
}

/// The labels of `entity`'s members (of its survivor, for a merged id), each once with the
/// members carrying it: riskiest category first, then highest confidence, then most members.
pub fn entity_labels(
    entity: EntityId,
    labels: &NodeLabels,
    registry: &EntityRegistry,
) -> Vec<EntityLabel> {
    let mut found: Vec<EntityLabel> = Vec::new();
    for &member in registry.members(entity) {
        for label in labels.labels(member) {
            match found.iter_mut().find(|f| f.label == *label) {
                Some(existing) => existing.members.push(member),
                None => found.push(EntityLabel { label: label.clone(), members: vec![member] }),
            }
        }
    }
    found.sort_by(|a, b| {
        (b.label.category.risk(), b.label.confidence, b.members.len())
            .cmp(&(a.label.category.risk(), a.label.confidence, a.members.len()))
            .then_with(|| a.label.source.cmp(&b.label.source))
    });
    found
}

/// The categories of `entity`: the union of its members' categories.
pub fn entity_categories(
    entity: EntityId,
    labels: &NodeLabels,
    registry: &EntityRegistry,
) -> CategorySet {
    registry
        .members(entity)
        .iter()
        .fold(CategorySet::EMPTY, |set, &member| set.union(labels.categories(member)))
}
