//! `chainward graph`: build, update and describe the analytics graph snapshot.

use crate::cli::{self, GraphArgs, GraphCommand};
use crate::{data_dir, open_store};
use anyhow::Context;
use chainward_graph::{TransferGraph, snapshot, store as graph_store};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Where the snapshot lives in a data directory.
pub(crate) fn snapshot_path(global: &cli::Global) -> anyhow::Result<PathBuf> {
    Ok(data_dir(global)?.join("analytics").join("graph.cwg"))
}

/// Loads the snapshot if there is one.
pub(crate) fn load_snapshot(global: &cli::Global) -> anyhow::Result<Option<TransferGraph>> {
    let path = snapshot_path(global)?;
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(snapshot::load(&path)?))
}

/// Loads the snapshot, or says how to make one.
pub(crate) fn require_snapshot(global: &cli::Global) -> anyhow::Result<TransferGraph> {
    load_snapshot(global)?.with_context(|| {
        "no analytics graph in this data directory yet: run `chainward graph build` after ingesting"
    })
}

struct Bar {
    bar: ProgressBar,
    blocks: u64,
    edges: u64,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        let bar = if std::io::stderr().is_terminal() && !quiet {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar, blocks: 0, edges: 0 }
    }
}

impl graph_store::Progress for Bar {
    fn block(&mut self, network: u32, height: u64, edges: usize) {
        self.blocks += 1;
        self.edges += edges as u64;
        if self.blocks.is_multiple_of(1000) {
            tracing::info!(
                network,
                height,
                blocks = self.blocks,
                edges = self.edges,
                "graph: blocks read"
            );
        }
        if self.blocks.is_multiple_of(100) {
            self.bar.set_message(format!(
                "network {network} block {height}: {} blocks, {} edges",
                self.blocks, self.edges
            ));
        }
    }
}

#[derive(Serialize)]
struct GraphReport {
    path: String,
    edges: usize,
    address_nodes: usize,
    transaction_nodes: usize,
    assets: usize,
    memory_bytes: usize,
    bytes_per_edge: f64,
    file_bytes: u64,
    watermarks: Vec<WatermarkReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    build_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    load_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update: Option<graph_store::UpdateOutcome>,
}

#[derive(Serialize)]
struct WatermarkReport {
    network: String,
    height: u64,
    hash: String,
}

fn report(
    graph: &TransferGraph,
    path: &Path,
    networks: &[(u32, chainward_primitives::ledger::Network)],
) -> GraphReport {
    let edges = graph.edge_count();
    GraphReport {
        path: path.display().to_string(),
        edges,
        address_nodes: graph.address_nodes().count(),
        transaction_nodes: graph.transaction_count(),
        assets: graph.assets().len(),
        memory_bytes: graph.memory_bytes(),
        bytes_per_edge: if edges == 0 { 0.0 } else { graph.memory_bytes() as f64 / edges as f64 },
        file_bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        watermarks: graph
            .watermarks()
            .iter()
            .map(|m| WatermarkReport {
                network: networks
                    .iter()
                    .find(|(id, _)| *id == m.network)
                    .map_or_else(|| format!("network {}", m.network), |(_, n)| n.to_string()),
                height: m.height,
                hash: alloy_primitives::B256::from(m.hash).to_string(),
            })
            .collect(),
        build_seconds: None,
        load_seconds: None,
        update: None,
    }
}

fn print(report: &GraphReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!("graph           {}", report.path);
    println!(
        "edges           {} ({} address nodes, {} transaction nodes, {} assets)",
        report.edges, report.address_nodes, report.transaction_nodes, report.assets
    );
    println!(
        "memory          {:.1} MB, {:.1} bytes/edge; file {:.1} MB",
        report.memory_bytes as f64 / 1e6,
        report.bytes_per_edge,
        report.file_bytes as f64 / 1e6
    );
    for m in &report.watermarks {
        println!("up to           {} block {} {}", m.network, m.height, m.hash);
    }
    if let Some(u) = &report.update {
        println!(
            "update          {} blocks, {} edges appended; {} blocks unwound{}",
            u.blocks,
            u.edges,
            u.unwound_blocks,
            if u.rebuilt { "; rebuilt (a reorg reached below the snapshot)" } else { "" }
        );
    }
    if let Some(b) = report.build_seconds {
        println!("built in        {b:.3} s");
    }
    if let Some(l) = report.load_seconds {
        println!("loads in        {l:.3} s (the snapshot, instead of rebuilding)");
    }
    Ok(())
}

pub(crate) fn run(global: &cli::Global, args: GraphArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(global)?;
    let path = snapshot_path(global)?;
    let networks = chainward_store_api::GraphSource::networks(&store)?;
    match args.command {
        GraphCommand::Build { json } => {
            std::fs::create_dir_all(path.parent().expect("a parent"))
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut bar = Bar::new(json);
            let started = Instant::now();
            let mut graph = graph_store::build(&store, &mut bar)?;
            let build_seconds = started.elapsed().as_secs_f64();
            bar.bar.finish_and_clear();
            snapshot::save(&mut graph, &path)?;
            let mut report = report(&graph, &path, &networks);
            report.build_seconds = Some(build_seconds);
            print(&report, json)?;
        }
        GraphCommand::Update { json } => {
            let mut bar = Bar::new(json);
            let mut graph = match load_snapshot(global)? {
                Some(graph) => graph,
                None => {
                    std::fs::create_dir_all(path.parent().expect("a parent"))
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    graph_store::build(&store, &mut bar)?
                }
            };
            let outcome = graph_store::update(&mut graph, &store, &mut bar)?;
            bar.bar.finish_and_clear();
            snapshot::save(&mut graph, &path)?;
            let mut report = report(&graph, &path, &networks);
            report.update = Some(outcome);
            print(&report, json)?;
        }
        GraphCommand::Info { json } => {
            let started = Instant::now();
            let graph = require_snapshot(global)?;
            let mut report = report(&graph, &path, &networks);
            report.load_seconds = Some(started.elapsed().as_secs_f64());
            print(&report, json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
