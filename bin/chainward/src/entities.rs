//! `chainward cluster` and `chainward entity`.

use crate::analysis::{Analytics, address_exposure, print_exposure};
use crate::cli::{self, ClusterArgs, EntityArgs};
use anyhow::{Context, bail};
use chainward_cluster::{
    AssignOutcome, ChangePolicy, ClusterOptions, ClusterStats, CoinJoinKind, EntityId,
    EntityRegistry, HeuristicKind, entity_categories, entity_labels,
};
use chainward_graph::CategorySet;
use chainward_trace::ExposureRequest;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn registry_path(global: &cli::Global) -> anyhow::Result<PathBuf> {
    Ok(crate::data_dir(global)?.join("analytics").join("entities.cwe"))
}

/// The registry, if `chainward cluster` has run.
pub(crate) fn load_registry(global: &cli::Global) -> anyhow::Result<Option<EntityRegistry>> {
    let path = registry_path(global)?;
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(EntityRegistry::load(&path)?))
}

#[derive(Serialize)]
struct ClusterReport {
    options: ClusterOptions,
    stats: ClusterStats,
    coinjoins_by_kind: Vec<(&'static str, u64)>,
    merges_by_heuristic: Vec<(&'static str, u64)>,
    assignment: AssignOutcomeSummary,
    entities: usize,
    seconds: f64,
    registry: String,
}

#[derive(Serialize)]
struct AssignOutcomeSummary {
    round: u32,
    created: usize,
    unchanged: usize,
    grown: usize,
    merged: usize,
    split: usize,
}

impl From<&AssignOutcome> for AssignOutcomeSummary {
    fn from(o: &AssignOutcome) -> Self {
        Self {
            round: o.round,
            created: o.created.len(),
            unchanged: o.unchanged,
            grown: o.grown.len(),
            merged: o.merges.len(),
            split: o.splits.len(),
        }
    }
}

pub(crate) fn cluster(global: &cli::Global, args: ClusterArgs) -> anyhow::Result<ExitCode> {
    let analytics = Analytics::open(global)?;
    let mut options =
        if args.graphsense { ClusterOptions::graphsense() } else { ClusterOptions::default() };
    if args.no_deposit {
        options = options.without(HeuristicKind::ExchangeDeposit);
    }
    for change in &args.change {
        options = options.with(match change.as_str() {
            "address-reuse" => HeuristicKind::AddressReuseChange,
            "one-time" => HeuristicKind::OneTimeChange,
            _ => HeuristicKind::OptimalChange,
        });
    }
    options.change_policy = if args.change_policy == "agreement" {
        ChangePolicy::Agreement
    } else {
        ChangePolicy::FirstMatch
    };

    let started = Instant::now();
    let clustering = chainward_cluster::cluster(&analytics.graph, &analytics.labels, &options);
    let path = registry_path(global)?;
    let mut registry = load_registry(global)?.unwrap_or_default();
    let outcome = registry.assign(&clustering)?;
    registry.save(&path).with_context(|| format!("cannot save {}", path.display()))?;
    let stats = clustering.stats().clone();
    let report = ClusterReport {
        options,
        coinjoins_by_kind: CoinJoinKind::ALL
            .iter()
            .map(|&k| (k.as_str(), stats.coinjoins(k)))
            .collect(),
        merges_by_heuristic: HeuristicKind::ALL
            .iter()
            .filter(|&&k| options.heuristics.contains(k))
            .map(|&k| (k.as_str(), stats.merges_by(k)))
            .collect(),
        stats,
        assignment: AssignOutcomeSummary::from(&outcome),
        entities: registry.entity_count(),
        seconds: started.elapsed().as_secs_f64(),
        registry: path.display().to_string(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let s = &report.stats;
    println!(
        "clusters        {} of two or more addresses ({} addresses; largest {})",
        s.clusters, s.clustered_addresses, s.largest_cluster
    );
    println!(
        "transactions    {} examined, {} coinbase, {} CoinJoins skipped",
        s.transactions_examined,
        s.coinbase_transactions,
        s.coinjoins_total()
    );
    for (kind, count) in report.coinjoins_by_kind.iter().filter(|(_, c)| *c > 0) {
        println!("  coinjoin      {count} {kind}");
    }
    for (kind, count) in &report.merges_by_heuristic {
        println!("merges          {count} by {kind}");
    }
    let a = &report.assignment;
    println!(
        "entities        {} (round {}: {} new, {} unchanged, {} grown, {} merged into others, {} split off)",
        report.entities, a.round, a.created, a.unchanged, a.grown, a.merged, a.split
    );
    println!("registry        {}", report.registry);
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct EntityReport {
    entity: Option<EntityId>,
    asked: String,
    resolved_from: Option<EntityId>,
    size: usize,
    members: Vec<String>,
    categories: CategorySet,
    labels: Vec<LabelRow>,
    merged_ids: Vec<EntityId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exposure: Option<crate::analysis::AddressExposure>,
}

/// An entity in brief, for `screen`.
#[derive(Serialize)]
pub(crate) struct EntitySummary {
    pub(crate) entity: EntityId,
    pub(crate) size: usize,
    pub(crate) labels: Vec<LabelRow>,
}

/// The entity's size and its members' labels (at most five, riskiest first).
pub(crate) fn summary(
    entity: EntityId,
    analytics: &Analytics,
    registry: &EntityRegistry,
) -> EntitySummary {
    EntitySummary {
        entity,
        size: registry.members(entity).len(),
        labels: entity_labels(entity, &analytics.labels, registry)
            .into_iter()
            .take(5)
            .map(LabelRow::from)
            .collect(),
    }
}

#[derive(Serialize)]
pub(crate) struct LabelRow {
    pub(crate) category: chainward_primitives::Category,
    pub(crate) entity: Option<String>,
    pub(crate) confidence: u8,
    pub(crate) source: String,
    pub(crate) carried_by: usize,
}

impl From<chainward_cluster::EntityLabel> for LabelRow {
    fn from(l: chainward_cluster::EntityLabel) -> Self {
        Self {
            category: l.label.category,
            entity: l.label.entity,
            confidence: l.label.confidence,
            source: l.label.source,
            carried_by: l.members.len(),
        }
    }
}

impl std::fmt::Display for LabelRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} | {} | confidence {} | {} | on {} of its addresses",
            self.category,
            self.entity.as_deref().unwrap_or("(unnamed)"),
            self.confidence,
            self.source,
            self.carried_by
        )
    }
}

pub(crate) fn entity(global: &cli::Global, args: EntityArgs) -> anyhow::Result<ExitCode> {
    let analytics = Analytics::open(global)?;
    let registry = load_registry(global)?.context(
        "no entity registry in this data directory yet: run `chainward cluster` after `chainward graph build`",
    )?;
    let (asked_id, members) =
        if let Ok(id) = args.subject.trim_start_matches("entity#").parse::<u32>() {
            let resolved = registry.resolve(EntityId(id));
            if registry.members(resolved).is_empty() {
                bail!("no entity {id} in the registry ({} entities)", registry.entity_count());
            }
            (Some(EntityId(id)), registry.members(resolved).to_vec())
        } else {
            let nodes = analytics.address_nodes(&args.subject)?;
            let Some(&node) = nodes.first() else {
                bail!("{} has no transfer in the analytics graph", args.subject);
            };
            match registry.entity_of(node) {
                Some(entity) => (Some(entity), registry.members(entity).to_vec()),
                None => (None, vec![node]),
            }
        };
    let entity = asked_id.map(|id| registry.resolve(id));
    let (labels, categories) = match entity {
        Some(entity) => (
            entity_labels(entity, &analytics.labels, &registry)
                .into_iter()
                .map(LabelRow::from)
                .collect(),
            entity_categories(entity, &analytics.labels, &registry),
        ),
        None => (
            analytics
                .labels
                .labels(members[0])
                .map(|l| LabelRow {
                    category: l.category,
                    entity: l.entity.clone(),
                    confidence: l.confidence,
                    source: l.source.clone(),
                    carried_by: 1,
                })
                .collect(),
            analytics.labels.categories(members[0]),
        ),
    };
    let merged_ids = match entity {
        Some(entity) => registry
            .merges()
            .iter()
            .filter(|m| registry.resolve(m.merged) == entity)
            .map(|m| m.merged)
            .collect(),
        None => Vec::new(),
    };
    let exposure = if args.exposure {
        Some(address_exposure(&analytics, &members, &ExposureRequest::default())?)
    } else {
        None
    };
    let report = EntityReport {
        entity,
        asked: args.subject.clone(),
        resolved_from: asked_id.filter(|id| Some(*id) != entity),
        size: members.len(),
        members: members.iter().take(args.members).map(|&m| analytics.address_text(m)).collect(),
        categories,
        labels,
        merged_ids,
        exposure,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    match report.entity {
        Some(e) => {
            println!("{e} ({} address{})", report.size, if report.size == 1 { "" } else { "es" })
        }
        None => println!("{}: in no multi-address cluster (its own entity)", report.asked),
    }
    if let Some(from) = report.resolved_from {
        println!("  {from} was merged into it");
    }
    if !report.merged_ids.is_empty() {
        let ids: Vec<String> = report.merged_ids.iter().map(ToString::to_string).collect();
        println!("  merged into it: {}", ids.join(", "));
    }
    for label in &report.labels {
        println!("  label: {label}");
    }
    for member in &report.members {
        println!("  address: {member}");
    }
    if report.size > report.members.len() {
        println!("  … and {} more (--members N)", report.size - report.members.len());
    }
    if let Some(exposure) = &report.exposure {
        println!("  exposure:");
        print_exposure(exposure, "    ");
    }
    Ok(ExitCode::SUCCESS)
}
