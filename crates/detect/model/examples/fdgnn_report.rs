//! Trains the risk model on FDGNN and prints the hold-out report (and a k-fold run).
//!
//! ```sh
//! cargo run --release -p chainward-model --example fdgnn_report -- \
//!     /work/shared/data/labeled_tx_graphs/fdgnn_ethereum_cybercrime [--folds 5] [--save model.json]
//! ```
//!
//! Without a folder argument it uses `$CHAINWARD_SHARED_DATA/labeled_tx_graphs/...` or
//! `../shared/data/...`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chainward_model::{TrainOptions, cross_validate, load_fdgnn, report};

fn main() -> ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut folds = 5_usize;
    let mut save: Option<PathBuf> = None;
    let mut importance = 15_usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--folds" => folds = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--save" => save = args.next().map(PathBuf::from),
            "--importance" => importance = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.unwrap_or_else(|| {
        let shared = std::env::var_os("CHAINWARD_SHARED_DATA")
            .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from);
        shared.join("labeled_tx_graphs/fdgnn_ethereum_cybercrime")
    });
    let options = TrainOptions::default();

    let started = Instant::now();
    let dataset = match load_fdgnn(&dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!("loaded {} in {:.2?}", dataset.name, started.elapsed());

    let started = Instant::now();
    let (model, hold_out) = match report::train_and_evaluate(&dataset, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!("trained and evaluated in {:.2?}\n", started.elapsed());
    println!("{hold_out}");

    if importance > 0 {
        println!("feature importance (share of total split gain, all boosters):");
        for (name, share) in model.feature_importance().into_iter().take(importance) {
            println!("  {name:<32} {share:.3}");
        }
        println!();
    }

    if let Some(path) = save {
        if let Err(e) = model.save(&path) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        println!("model written to {}\n", path.display());
    }

    if folds >= 2 {
        let started = Instant::now();
        match cross_validate(&dataset, &options, folds) {
            Ok(cv) => println!("{cv}(in {:.2?})", started.elapsed()),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
