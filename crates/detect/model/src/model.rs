//! The multi-class risk model: one forust-ml GBDT booster per class (one-vs-rest), its model
//! file, scoring with per-feature contributions.
//!
//! forust-ml 0.8 has two objectives, log loss and squared loss, and no softmax; so each class
//! gets a log-loss booster that tells it from the rest, and a score's class probabilities are
//! the boosters' sigmoid outputs normalised to sum to 1. The contributions that explain a score
//! are the Shapley values (TreeSHAP, forust's `ContributionsMethod::Shapley`) of the predicted
//! class's booster, in log-odds: they sum with the booster's bias to its raw output.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use forust_ml::gradientbooster::{ContributionsMethod, ImportanceMethod};
use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use forust_ml::{GradientBooster, Matrix};
use serde::{Deserialize, Serialize};

use crate::dataset::{Class, Dataset};
use crate::error::ModelError;
use crate::features::{FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, Features};

/// The `format` field of a model file.
pub const MODEL_FORMAT: &str = "chainward-model";

/// The version of the model file's layout (not of the features: see [`FEATURE_VERSION`]).
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// How to train. `Default` gives the settings the figures in `MODEL.md` were measured with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainOptions {
    /// Seed of every random choice (row and column sampling of the boosters, the baseline
    /// forest's bootstrap). The same data, options and seed give the same model, bit for bit.
    pub seed: u64,
    /// Trees per class.
    pub iterations: usize,
    /// Shrinkage of each tree's leaf weights.
    pub learning_rate: f32,
    /// Maximum depth of a tree.
    pub max_depth: usize,
    /// Minimum hessian sum in a leaf.
    pub min_leaf_weight: f32,
    /// L2 regularisation of leaf weights.
    pub l2: f32,
    /// Histogram bins per feature.
    pub nbins: u16,
    /// Share of rows each tree is trained on (1.0: all rows, no sampling).
    pub subsample: f32,
    /// Share of features each tree may split on.
    pub colsample_bytree: f64,
    /// Weight samples so every class weighs the same in training (`n / (classes × n_class)`).
    /// Off by default: on FDGNN it raised Ponzi recall but cost more precision (5-fold macro F1
    /// 0.915 with, 0.929 without; see `MODEL.md`).
    pub balance_classes: bool,
    /// Share of addresses held out for evaluation by [`crate::train_fdgnn`] (hash split).
    pub test_fraction: f64,
    /// Trees of the random-forest baseline in reports; 0 leaves the forest out.
    pub baseline_trees: u16,
    /// How many contributions a [`Prediction`] carries.
    pub top_contributions: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            iterations: 300,
            learning_rate: 0.05,
            max_depth: 5,
            min_leaf_weight: 1.0,
            l2: 1.0,
            nbins: 256,
            subsample: 0.8,
            colsample_bytree: 0.8,
            balance_classes: false,
            test_fraction: 0.2,
            baseline_trees: 200,
            top_contributions: 5,
        }
    }
}

impl TrainOptions {
    fn validate(&self) -> Result<(), ModelError> {
        let bad = |what: &str| Err(ModelError::Options(what.to_owned()));
        if self.iterations == 0 {
            return bad("iterations must be at least 1");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad("learning_rate must be positive");
        }
        if !(self.subsample > 0.0 && self.subsample <= 1.0) {
            return bad("subsample must be in (0, 1]");
        }
        if !(self.colsample_bytree > 0.0 && self.colsample_bytree <= 1.0) {
            return bad("colsample_bytree must be in (0, 1]");
        }
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return bad("test_fraction must be in (0, 1)");
        }
        if self.nbins < 2 {
            return bad("nbins must be at least 2");
        }
        if !(self.min_leaf_weight >= 0.0 && self.l2 >= 0.0) {
            return bad("min_leaf_weight and l2 must not be negative");
        }
        Ok(())
    }
}

/// What a model file records about how the model was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingMetadata {
    /// The training data set's name.
    pub dataset: String,
    /// Training samples per class, in [`Class::ALL`] order.
    pub class_counts: [usize; 4],
    /// The options it was trained with.
    pub options: TrainOptions,
    /// The version of this crate that trained it.
    pub crate_version: String,
    /// The learner.
    pub learner: String,
}

/// One feature's part in a score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The feature's name (one of [`FEATURE_NAMES`]).
    pub feature: String,
    /// The address's value of it (`NaN`, serialized as `null`, when missing).
    pub value: f64,
    /// How much it moved the predicted class's log-odds (positive: towards the class).
    pub contribution: f64,
}

/// The model's answer for one address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The most probable class.
    pub class: Class,
    /// The probability of each class, in [`Class::ALL`] order; they sum to 1.
    pub probabilities: [f64; 4],
    /// The features that moved the predicted class's score most, largest magnitude first.
    pub top_contributions: Vec<Contribution>,
}

impl Prediction {
    /// The probability of one class.
    pub fn probability(&self, class: Class) -> f64 {
        self.probabilities[class.index()]
    }

    /// The probability that the address is illicit (any class but normal).
    pub fn illicit_probability(&self) -> f64 {
        1.0 - self.probability(Class::Normal)
    }
}

/// A trained model: one booster per class.
pub struct Model {
    boosters: Vec<GradientBooster>,
    metadata: TrainingMetadata,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("classes", &Class::ALL)
            .field("trees", &self.boosters.iter().map(|b| b.trees.len()).collect::<Vec<_>>())
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// The model file, as written: everything needed to score, and to refuse a mismatched build.
#[derive(Serialize)]
struct ModelFileOut<'a> {
    format: &'static str,
    format_version: u32,
    feature_version: u32,
    feature_names: &'a [&'a str],
    classes: &'a [Class],
    metadata: &'a TrainingMetadata,
    boosters: &'a [GradientBooster],
}

/// The fields read first, so that a file of another version is refused by what it says, not
/// by whichever field happens not to parse.
#[derive(Deserialize)]
struct ModelFileHeader {
    format: String,
    format_version: u32,
    feature_version: u32,
}

#[derive(Deserialize)]
struct ModelFileIn {
    feature_names: Vec<String>,
    classes: Vec<Class>,
    metadata: TrainingMetadata,
    boosters: Vec<GradientBooster>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn new_booster(options: &TrainOptions) -> Result<GradientBooster, ModelError> {
    let sample_method =
        if options.subsample < 1.0 { SampleMethod::Random } else { SampleMethod::None };
    let booster = GradientBooster::default()
        .set_objective_type(ObjectiveType::LogLoss)
        .set_iterations(options.iterations)
        .set_learning_rate(options.learning_rate)
        .set_max_depth(options.max_depth)
        .set_min_leaf_weight(options.min_leaf_weight)
        .set_l2(options.l2)
        .set_nbins(options.nbins)
        .set_subsample(options.subsample)
        .set_sample_method(sample_method)
        .set_colsample_bytree(options.colsample_bytree)
        .set_seed(options.seed)
        .set_missing(f64::NAN)
        // One thread: the data is small, and a single thread keeps every sum in one order.
        .set_parallel(false)
        .set_initialize_base_score(true);
    Ok(booster)
}

/// Trains a model on every sample of `dataset`.
///
/// # Errors
/// [`ModelError::Options`] for options out of range; [`ModelError::Training`] when the data set
/// is empty, a class has no sample, or the learner fails.
pub fn train(dataset: &Dataset, options: &TrainOptions) -> Result<Model, ModelError> {
    options.validate()?;
    let counts = dataset.class_counts();
    if dataset.is_empty() {
        return Err(ModelError::Training(format!("data set {:?} has no samples", dataset.name)));
    }
    if let Some(c) = Class::ALL.into_iter().find(|c| counts[c.index()] == 0) {
        return Err(ModelError::Training(format!(
            "data set {:?} has no sample of class {c}",
            dataset.name
        )));
    }
    let (data, classes) = dataset.column_major();
    let rows = dataset.len();
    let matrix = Matrix::new(&data, rows, FEATURE_COUNT);
    let weights: Vec<f64> = if options.balance_classes {
        let class_weight: Vec<f64> =
            counts.iter().map(|&n| rows as f64 / (Class::ALL.len() as f64 * n as f64)).collect();
        classes.iter().map(|c| class_weight[c.index()]).collect()
    } else {
        vec![1.0; rows]
    };
    let mut boosters = Vec::with_capacity(Class::ALL.len());
    for class in Class::ALL {
        let y: Vec<f64> = classes.iter().map(|&c| if c == class { 1.0 } else { 0.0 }).collect();
        let mut booster = new_booster(options)?;
        booster
            .fit(&matrix, &y, &weights, None)
            .map_err(|e| ModelError::Training(format!("booster for class {class}: {e}")))?;
        boosters.push(booster);
    }
    Ok(Model {
        boosters,
        metadata: TrainingMetadata {
            dataset: dataset.name.clone(),
            class_counts: counts,
            options: options.clone(),
            crate_version: env!("CARGO_PKG_VERSION").to_owned(),
            learner: "forust-ml 0.8 GradientBooster, LogLoss, one-vs-rest".to_owned(),
        },
    })
}

impl Model {
    /// How the model was trained.
    pub fn metadata(&self) -> &TrainingMetadata {
        &self.metadata
    }

    /// The raw outputs (log-odds) of each class's booster for each row of a column-major matrix.
    fn raw_scores(&self, data: &[f64], rows: usize) -> Vec<[f64; 4]> {
        let matrix = Matrix::new(data, rows, FEATURE_COUNT);
        let mut out = vec![[0.0; 4]; rows];
        for (k, booster) in self.boosters.iter().enumerate() {
            for (row, raw) in booster.predict(&matrix, false).into_iter().enumerate() {
                out[row][k] = raw;
            }
        }
        out
    }

    fn normalise(raw: [f64; 4]) -> [f64; 4] {
        let p = raw.map(sigmoid);
        let total: f64 = p.iter().sum();
        if total > 0.0 { p.map(|x| x / total) } else { [0.25; 4] }
    }

    fn argmax(p: &[f64; 4]) -> Class {
        let mut best = 0;
        for k in 1..4 {
            if p[k] > p[best] {
                best = k;
            }
        }
        Class::ALL[best]
    }

    /// The class probabilities of many addresses at once, each in [`Class::ALL`] order.
    pub fn probabilities(&self, features: &[Features]) -> Vec<[f64; 4]> {
        let rows = features.len();
        let mut data = vec![0.0; rows * FEATURE_COUNT];
        for (r, f) in features.iter().enumerate() {
            for (c, v) in f.values().iter().enumerate() {
                data[c * rows + r] = *v;
            }
        }
        self.raw_scores(&data, rows).into_iter().map(Self::normalise).collect()
    }

    /// The most probable class of many addresses at once (no contributions: for evaluation).
    pub fn classify(&self, features: &[Features]) -> Vec<Class> {
        self.probabilities(features).iter().map(Self::argmax).collect()
    }

    /// Scores one address: class, probabilities and the features that decided it.
    pub fn score(&self, features: &Features) -> Prediction {
        let values = features.values();
        let probabilities = Self::normalise(self.raw_scores(values, 1)[0]);
        let class = Self::argmax(&probabilities);
        let matrix = Matrix::new(values, 1, FEATURE_COUNT);
        let contributions = self.boosters[class.index()].predict_contributions(
            &matrix,
            ContributionsMethod::Shapley,
            false,
        );
        // The last column is the bias.
        let mut top: Vec<Contribution> = contributions[..FEATURE_COUNT]
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != 0.0)
            .map(|(i, &contribution)| Contribution {
                feature: FEATURE_NAMES[i].to_owned(),
                value: values[i],
                contribution,
            })
            .collect();
        top.sort_by(|a, b| {
            b.contribution.abs().total_cmp(&a.contribution.abs()).then(a.feature.cmp(&b.feature))
        });
        top.truncate(self.metadata.options.top_contributions);
        Prediction { class, probabilities, top_contributions: top }
    }

    /// Each feature's share of the total split gain over every booster, largest first.
    pub fn feature_importance(&self) -> Vec<(&'static str, f64)> {
        let mut total = [0.0_f64; FEATURE_COUNT];
        for booster in &self.boosters {
            for (feature, gain) in
                booster.calculate_feature_importance(ImportanceMethod::TotalGain, false)
            {
                if feature < FEATURE_COUNT {
                    total[feature] += f64::from(gain);
                }
            }
        }
        let sum: f64 = total.iter().sum();
        let mut out: Vec<(&'static str, f64)> = FEATURE_NAMES
            .iter()
            .zip(total)
            .map(|(name, g)| (*name, if sum > 0.0 { g / sum } else { 0.0 }))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        out
    }

    /// The model file's JSON text.
    ///
    /// # Panics
    /// Never in practice: serializing these in-memory values to a string cannot fail.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&ModelFileOut {
            format: MODEL_FORMAT,
            format_version: MODEL_FORMAT_VERSION,
            feature_version: FEATURE_VERSION,
            feature_names: &FEATURE_NAMES,
            classes: &Class::ALL,
            metadata: &self.metadata,
            boosters: &self.boosters,
        })
        .expect("a model serializes to a JSON string")
    }

    /// Writes the model file: one JSON document with every booster, the feature names and
    /// version, the class names and the training metadata. Written to a temporary file beside
    /// `path` and renamed, so a reader never sees half a model.
    ///
    /// # Errors
    /// [`ModelError::Write`] naming the file.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let write_err = |source| ModelError::Write { path: path.to_owned(), source };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let mut file = fs::File::create(&tmp).map_err(write_err)?;
        file.write_all(self.to_json().as_bytes()).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        drop(file);
        fs::rename(&tmp, path).map_err(write_err)
    }

    /// Reads a model file written by [`Model::save`].
    ///
    /// # Errors
    /// [`ModelError::Read`] when it cannot be read; [`ModelError::FeatureVersion`] when it was
    /// trained on other features than this build computes; [`ModelError::ModelFile`] when it is
    /// not a model file of this format, or its feature names or classes differ from this
    /// build's.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = fs::read_to_string(path)
            .map_err(|source| ModelError::Read { path: path.to_owned(), source })?;
        Self::from_json(&text, path)
    }

    /// Parses a model file's text; `path` only names it in errors.
    ///
    /// # Errors
    /// As [`Model::load`].
    pub fn from_json(text: &str, path: &Path) -> Result<Self, ModelError> {
        let bad = |message: String| ModelError::ModelFile { path: path.to_owned(), message };
        let header: ModelFileHeader =
            serde_json::from_str(text).map_err(|e| bad(format!("no model header: {e}")))?;
        if header.format != MODEL_FORMAT {
            return Err(bad(format!("format is {:?}, expected {MODEL_FORMAT:?}", header.format)));
        }
        if header.format_version != MODEL_FORMAT_VERSION {
            return Err(bad(format!(
                "file format version {} is not the supported version {MODEL_FORMAT_VERSION}",
                header.format_version
            )));
        }
        if header.feature_version != FEATURE_VERSION {
            return Err(ModelError::FeatureVersion {
                path: path.to_owned(),
                found: header.feature_version,
                expected: FEATURE_VERSION,
            });
        }
        let file: ModelFileIn = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if file.feature_names != FEATURE_NAMES {
            return Err(bad(format!(
                "feature version {FEATURE_VERSION} but other feature names ({} names)",
                file.feature_names.len()
            )));
        }
        if file.classes != Class::ALL {
            return Err(bad(format!("classes {:?}, expected {:?}", file.classes, Class::ALL)));
        }
        if file.boosters.len() != Class::ALL.len() {
            return Err(bad(format!(
                "{} boosters, expected one per class ({})",
                file.boosters.len(),
                Class::ALL.len()
            )));
        }
        Ok(Self { boosters: file.boosters, metadata: file.metadata })
    }
}
