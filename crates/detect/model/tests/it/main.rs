//! Integration tests: training on the real FDGNN data, the model file, and the loader's errors.

mod fdgnn;
mod loader;
mod model_file;

use std::path::PathBuf;

use chainward_model::TrainOptions;

/// The FDGNN folder in the shared data.
pub(crate) fn fdgnn_dir() -> PathBuf {
    chainward_fixtures::shared_file("labeled_tx_graphs/fdgnn_ethereum_cybercrime")
}

/// Options small enough for a debug build: fewer, shallower trees, a smaller forest.
pub(crate) fn fast_options() -> TrainOptions {
    TrainOptions {
        iterations: 80,
        max_depth: 4,
        learning_rate: 0.1,
        baseline_trees: 60,
        ..TrainOptions::default()
    }
}
