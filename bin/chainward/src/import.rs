//! `chainward import`.

use crate::cli::{Global, ImportArgs};
use anyhow::Context;
use chainward_primitives::{Category, IssueSeverity};
use chainward_screening::import::{self, ImportOptions, ListFile};
use chainward_store_api::{SnapshotImport, SnapshotOutcome, WatchlistStore};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub(crate) fn run(global: &Global, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let mut store = crate::open_store(global)?;
    let options = ImportOptions {
        format: args.format,
        source: args.source.clone(),
        as_of: args.as_of.clone(),
        category: args.category,
        entity: args.entity.clone(),
        confidence: args.confidence,
    };
    let mut plans: Vec<(ListFile, ImportOptions)> = Vec::new();
    if let Some(dir) = &args.public_data {
        let dir = dir.clone().unwrap_or_else(|| {
            std::env::var_os("CHAINWARD_SHARED_DATA")
                .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from)
        });
        plans.extend(public_data_plan(&dir)?);
    }
    if !args.paths.is_empty() {
        for plan in import::plan_import(&args.paths, &options)? {
            plans.push((plan, options.clone()));
        }
    }
    if plans.is_empty() {
        anyhow::bail!("no list files found in {:?}", args.paths);
    }
    let report = import_plans(&mut store, &plans)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, args.show_issues);
    }
    Ok(ExitCode::SUCCESS)
}

/// What an import did, for humans and `--json`.
#[derive(Debug, Serialize)]
pub(crate) struct ImportReport {
    pub(crate) store: String,
    pub(crate) elapsed_seconds: f64,
    pub(crate) rows_read: u64,
    pub(crate) entries: u64,
    pub(crate) rows_per_second: f64,
    pub(crate) snapshots: Vec<SnapshotOutcome>,
    pub(crate) issues: Vec<IssueLine>,
}

#[derive(Debug, Serialize)]
pub(crate) struct IssueLine {
    pub(crate) source: String,
    #[serde(flatten)]
    pub(crate) issue: chainward_primitives::ParseIssue,
}

/// Parses every planned list, then writes them all in one transaction.
pub(crate) fn import_plans(
    store: &mut dyn WatchlistStore,
    plans: &[(ListFile, ImportOptions)],
) -> anyhow::Result<ImportReport> {
    let started = Instant::now();
    let imported_at = jiff::Timestamp::now().round(jiff::Unit::Second)?.to_string();
    let progress = ProgressBar::new(plans.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} lists {msg} [{elapsed}]")
            .expect("the template is valid"),
    );
    let mut batch: Vec<SnapshotImport> = Vec::with_capacity(plans.len());
    let mut rows_read = 0u64;
    for (plan, options) in plans {
        progress.set_message(plan.source.clone());
        let snapshot = import::load(plan, options, &imported_at)
            .with_context(|| format!("cannot import {}", plan.source))?;
        let snapshot = apply_row_filter(snapshot, options);
        rows_read += snapshot.entries.len() as u64
            + snapshot.issues.iter().filter(|i| i.severity == IssueSeverity::Error).count() as u64;
        tracing::info!(
            source = %plan.source,
            format = %plan.format,
            entries = snapshot.entries.len(),
            issues = snapshot.issues.len(),
            "parsed"
        );
        batch.push(snapshot);
        progress.inc(1);
    }
    progress.set_message("writing the store");
    let outcomes = store.import_snapshots(&batch).context("the import was rolled back")?;
    progress.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let issues = batch
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| outcome.snapshot.is_some())
        .flat_map(|(snapshot, _)| {
            snapshot.issues.iter().map(|issue| IssueLine {
                source: snapshot.source.name.clone(),
                issue: issue.clone(),
            })
        })
        .collect();
    let entries = outcomes.iter().map(|o| o.entries).sum();
    tracing::info!(snapshots = outcomes.len(), entries, elapsed, "import committed");
    Ok(ImportReport {
        store: String::new(),
        elapsed_seconds: elapsed,
        rows_read,
        entries,
        rows_per_second: rows_read as f64 / elapsed.max(1e-9),
        snapshots: outcomes,
        issues,
    })
}

/// The preset's theft lists carry the victims' own addresses beside the thieves'; those are
/// dropped rather than flagged.
fn apply_row_filter(mut snapshot: SnapshotImport, options: &ImportOptions) -> SnapshotImport {
    if options.category == Some(Category::StolenFunds) {
        snapshot.entries.retain(|e| {
            !e.context.as_deref().unwrap_or_default().to_lowercase().contains("victim")
        });
    }
    snapshot
}

fn print_report(report: &ImportReport, show_issues: bool) {
    let written = report.snapshots.iter().filter(|s| s.snapshot.is_some()).count();
    println!(
        "Imported {written} new snapshot(s) of {} source(s) in {:.1} s: {} rows read, {} entries \
         ({:.0} rows/s)",
        report.snapshots.len(),
        report.elapsed_seconds,
        report.rows_read,
        report.entries,
        report.rows_per_second
    );
    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "source", "snapshot", "entries", "listed", "kept", "delisted", "issues"
    );
    for s in &report.snapshots {
        let id = s.snapshot.map_or_else(|| "same".to_owned(), |id| format!("#{id}"));
        println!(
            "{:<44} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7}",
            s.source, id, s.entries, s.listed, s.kept, s.delisted, s.issues
        );
    }
    let errors = report.issues.iter().filter(|i| i.issue.severity == IssueSeverity::Error).count();
    let warnings = report.issues.len() - errors;
    if !report.issues.is_empty() {
        println!(
            "{} issue(s): {errors} row(s) not imported, {warnings} warning(s).",
            report.issues.len()
        );
        let shown = if show_issues { report.issues.len() } else { 10.min(report.issues.len()) };
        for line in &report.issues[..shown] {
            println!("  [{}] {}", line.source, line.issue);
        }
        if shown < report.issues.len() {
            println!(
                "  … {} more: `chainward import --show-issues` or `chainward lists issues ID`",
                report.issues.len() - shown
            );
        }
    }
}

/// The standard public lists in a shared-data folder, with the dates their `SOURCE.md` gives.
pub(crate) fn public_data_plan(root: &Path) -> anyhow::Result<Vec<(ListFile, ImportOptions)>> {
    anyhow::ensure!(
        root.is_dir(),
        "public data folder {} is absent (set CHAINWARD_SHARED_DATA or pass --public-data DIR)",
        root.display()
    );
    let mut plans = Vec::new();
    let mut add = |relative: &str, options: ImportOptions| -> anyhow::Result<()> {
        let path: PathBuf = root.join(relative);
        anyhow::ensure!(path.exists(), "{} is missing from the public data", path.display());
        for plan in import::plan_import(&[path], &options)? {
            plans.push((plan, options.clone()));
        }
        Ok(())
    };
    let dated = |date: &str| ImportOptions { as_of: Some(date.into()), ..ImportOptions::default() };
    add("sanctions/ofac_sdn_2024-05-03.csv.gz", dated("2024-05-03"))?;
    add("sanctions/0xB10C_lists", dated("2024-09-27"))?;
    add("sanctions/ultrasoundmoney_ofac_eth_data.csv", dated("2026-05-26"))?;
    add("attribution_tags/graphsense_tagpacks", ImportOptions::default())?;
    let theft = |entity: &str| ImportOptions {
        category: Some(Category::StolenFunds),
        entity: Some(entity.into()),
        confidence: Some(70),
        ..ImportOptions::default()
    };
    add(
        "dprk_hacks/ronin_bridge_tayvano_addresses_partial.csv",
        theft("Ronin Bridge theft 2022-03-23 (Lazarus Group)"),
    )?;
    add(
        "dprk_hacks/harmony_bridge_tayvano_addresses_partial.csv",
        theft("Harmony Horizon Bridge theft 2022-06-24 (Lazarus Group)"),
    )?;
    add(
        "dprk_hacks/stake_com_tayvano_addresses.csv",
        theft("Stake.com theft 2023-09-04 (Lazarus Group)"),
    )?;
    Ok(plans)
}
