//! `chainward model train|info` (the learned risk model) and `chainward eval amlsim` (the rules
//! measured on AMLSim's ground truth).

use crate::cli::{EvalArgs, EvalCommand, ModelArgs, ModelCommand};
use crate::{cli, data_dir};
use anyhow::Context;
use chainward_model::{Model, TrainOptions, train_fdgnn};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Where `model train` writes and `monitor --model` reads by default.
pub(crate) fn default_model_path(global: &cli::Global) -> anyhow::Result<PathBuf> {
    Ok(data_dir(global)?.join("models").join("risk-model.json"))
}

/// The shared public data folder: `CHAINWARD_SHARED_DATA`, else `../shared/data`.
fn shared_data() -> PathBuf {
    std::env::var_os("CHAINWARD_SHARED_DATA")
        .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from)
}

pub(crate) fn model(global: &cli::Global, args: ModelArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ModelCommand::Train { data, out, seed, trees, json } => {
            let data = data.unwrap_or_else(|| {
                shared_data().join("labeled_tx_graphs").join("fdgnn_ethereum_cybercrime")
            });
            anyhow::ensure!(
                data.is_dir(),
                "no training data at {} (set CHAINWARD_SHARED_DATA to the shared data folder, or \
                 pass --data DIR with fdgnn_labeled_addresses.csv and \
                 fdgnn_first_order_transactions.csv.gz)",
                data.display()
            );
            let mut options = TrainOptions { seed, ..TrainOptions::default() };
            if let Some(trees) = trees {
                options.iterations = trees;
            }
            let started = Instant::now();
            tracing::info!(data = %data.display(), "training the risk model");
            let (model, report) = train_fdgnn(&data, &options)
                .with_context(|| format!("training on {}", data.display()))?;
            let out = match out {
                Some(out) => out,
                None => default_model_path(global)?,
            };
            if let Some(parent) = out.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            model.save(&out).with_context(|| format!("cannot write {}", out.display()))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "model": out,
                        "seconds": started.elapsed().as_secs_f64(),
                        "report": report,
                    })
                );
            } else {
                println!("{report}");
                println!(
                    "model written to {} ({:.1} s)",
                    out.display(),
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelCommand::Info { model, json } => {
            let path = match model {
                Some(p) => p,
                None => default_model_path(global)?,
            };
            let loaded =
                Model::load(&path).with_context(|| format!("cannot load {}", path.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(loaded.metadata())?);
            } else {
                println!("{}: {:#?}", path.display(), loaded.metadata());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn eval(_global: &cli::Global, args: EvalArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        EvalCommand::Amlsim { dir, rules, json } => {
            let dir = dir.unwrap_or_else(|| shared_data().join("amlsim").join("dev-10k-seed0"));
            anyhow::ensure!(
                dir.is_dir(),
                "no AMLSim output at {} (set CHAINWARD_SHARED_DATA, or pass the directory holding \
                 transactions.csv(.gz) and sar_accounts.csv(.gz))",
                dir.display()
            );
            // The live defaults use chain-time windows (hours, days); AMLSim steps are whole
            // days over two years, so its own profile is the default here.
            let rules = match rules.as_deref() {
                Some(path) => crate::monitor::load_rules(Some(path))?,
                None => chainward_rules::RuleSet::amlsim_profile(),
            };
            let started = Instant::now();
            let report = chainward_rules::eval::evaluate(&dir, rules)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("evaluating on {}", dir.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
                eprintln!("({:.1} s)", started.elapsed().as_secs_f64());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
