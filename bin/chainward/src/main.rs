//! `chainward`: screen addresses against sanctions and attribution lists, from one binary and one
//! data directory.
//!
//! `main` only parses the command line, sets up logging, opens the store and hands over to a
//! command module; errors print with their whole chain and map to exit code 2.

mod analysis;
mod bench;
mod bench_monitor;
mod bench_store;
mod bench_taxii;
mod cli;
mod detect;
mod entities;
mod graph;
mod import;
mod ingest;
mod intel;
mod lists;
mod monitor;
mod screen;
mod serve;

use anyhow::Context;
use chainward_store::SqliteStore;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(&cli.global);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        cli::Command::Import(args) => import::run(&cli.global, args),
        cli::Command::Screen(args) => screen::run(&cli.global, args),
        cli::Command::Lists(args) => lists::run(&cli.global, args),
        cli::Command::Ingest(args) => ingest::run(&cli.global, args),
        cli::Command::Stats(args) => ingest::stats(&cli.global, args),
        cli::Command::Graph(args) => graph::run(&cli.global, args),
        cli::Command::Trace(args) => analysis::trace(&cli.global, args),
        cli::Command::Exposure(args) => analysis::exposure(&cli.global, args),
        cli::Command::Cluster(args) => entities::cluster(&cli.global, args),
        cli::Command::Entity(args) => entities::entity(&cli.global, args),
        cli::Command::Monitor(args) => monitor::run(&cli.global, args),
        cli::Command::Alerts(args) => monitor::alerts(&cli.global, args),
        cli::Command::Model(args) => detect::model(&cli.global, args),
        cli::Command::Eval(args) => detect::eval(&cli.global, args),
        cli::Command::Serve(args) => serve::run(&cli.global, args),
        cli::Command::Intel(args) => intel::run(&cli.global, args),
        cli::Command::Bench(args) => bench::run(&cli.global, args),
    }
}

/// The data directory: `--data-dir`, `CHAINWARD_DATA_DIR`, or the user's data directory.
pub(crate) fn data_dir(global: &cli::Global) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &global.data_dir {
        return Ok(dir.clone());
    }
    directories::ProjectDirs::from("org", "chainward", "chainward")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .context("cannot work out a data directory for this user; pass --data-dir")
}

pub(crate) fn open_store(global: &cli::Global) -> anyhow::Result<SqliteStore> {
    let dir = data_dir(global)?;
    SqliteStore::open(&dir).with_context(|| format!("cannot open the store in {}", dir.display()))
}

fn init_logging(global: &cli::Global) {
    use tracing_subscriber::EnvFilter;
    let default = match global.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_env("CHAINWARD_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match global.log_format {
        cli::LogFormat::Json => builder.json().init(),
        cli::LogFormat::Text => builder.init(),
    }
}
