//! A learned risk model over address features: is an address normal, or does it behave like a
//! phishing, hack or Ponzi address?
//!
//! The pieces, in the order data flows through them:
//! - [`features`]: an [`AddressActivity`] (the address's own transfers: time, counterparty,
//!   value, direction, failed, contract) becomes a versioned vector of [`FEATURE_COUNT`]
//!   [`Features`] named by [`FEATURE_NAMES`]; `NaN` is a missing value. The same function serves
//!   training data and the live monitor, which fills the activity from chain data.
//! - [`dataset`]: labelled [`Sample`]s in a [`Dataset`], and the split by a hash of the
//!   lower-case address (hold-out or k-fold), so no address is ever on both sides.
//! - [`model`]: [`train`] fits one forust-ml gradient-boosted tree ensemble per [`Class`]
//!   (one-vs-rest log loss: forust-ml 0.8 has no softmax objective); [`Model::score`] gives a
//!   [`Prediction`] with class probabilities and the features that decided it (TreeSHAP
//!   contributions), so an alert can say why. [`Model::save`] writes one JSON file with every
//!   booster, the feature names and version, the classes and how it was trained;
//!   [`Model::load`] refuses a file of another feature version.
//! - [`report`]: precision, recall and F1 per class, macro F1, the confusion matrix, baselines
//!   ([`Baseline`]: majority class, smartcore random forest) side by side, and cross-validation.
//! - [`fdgnn`]: the FDGNN Ethereum cybercrime data set, and [`train_fdgnn`], which the CLI calls.
//!
//! Design decisions: the model sees only an address's own transfers (no neighbour labels, so
//! nothing about the test set leaks through the graph); no feature uses absolute time, hashes or
//! block heights (in FDGNN, hack and Ponzi rows have none, and dates say more about when a data
//! set was collected than about an address); training is single-threaded and seeded, so the same
//! data and options give the same model byte for byte. `MODEL.md` beside this crate has the
//! measured figures and how to reproduce them.
//!
//! ```
//! use chainward_model::{AddressActivity, Feature, Features, Transfer};
//!
//! let payment = |time, value, outgoing| Transfer {
//!     time,
//!     counterparty: None,
//!     value,
//!     outgoing,
//!     failed: None,
//!     to_contract: None,
//! };
//! let activity = AddressActivity::new(vec![payment(0, 1.5, false), payment(3_600, 1.0, true)]);
//! let features = Features::from_activity(&activity);
//! assert_eq!(features.get(Feature::NTransfers), 2.0);
//! assert_eq!(features.get(Feature::BalanceProxy), 0.5);
//! assert_eq!(features.get(Feature::GapMeanHours), 1.0);
//! ```
//!
//! Training and scoring (needs the shared data):
//!
//! ```no_run
//! use std::path::Path;
//! use chainward_model::{Model, TrainOptions, train_fdgnn};
//!
//! let dir = Path::new("../shared/data/labeled_tx_graphs/fdgnn_ethereum_cybercrime");
//! let (model, report) = train_fdgnn(dir, &TrainOptions::default())?;
//! println!("{report}");
//! model.save(Path::new("risk-model.json"))?;
//! let model = Model::load(Path::new("risk-model.json"))?;
//! # let features = chainward_model::Features::from_activity(&Default::default());
//! let prediction = model.score(&features);
//! println!("{} {:?}", prediction.class, prediction.top_contributions);
//! # Ok::<(), chainward_model::ModelError>(())
//! ```

pub mod baseline;
pub mod dataset;
pub mod error;
pub mod fdgnn;
pub mod features;
pub mod model;
pub mod report;

pub use baseline::Baseline;
pub use dataset::{Class, Dataset, Sample};
pub use error::ModelError;
pub use fdgnn::{load_fdgnn, train_fdgnn};
pub use features::{
    AddressActivity, FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, Feature, Features, Transfer,
};
pub use model::{Contribution, Model, Prediction, TrainOptions, TrainingMetadata, train};
pub use report::{CrossValidation, EvalReport, Evaluation, cross_validate};
