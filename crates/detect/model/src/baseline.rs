//! Baselines that give the model's figures an anchor: the majority class, and a random forest
//! (smartcore 0.7) on the same features.

use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::dataset::{Class, Dataset};
use crate::error::ModelError;
use crate::features::FEATURE_COUNT;

/// What a missing value becomes for the forest, which has no notion of missing: far below any
/// feature value (the lowest, `balance_proxy`, is minus a balance), so "missing" is one side of
/// any split, as a booster's missing branch would be.
const MISSING_SENTINEL: f64 = -1e30;

/// A baseline classifier, trained on a training set.
#[derive(Debug)]
pub enum Baseline {
    /// Always the most frequent training class.
    Majority(Class),
    /// A random forest.
    RandomForest(Box<RandomForestClassifier<f64, u32, DenseMatrix<f64>, Vec<u32>>>),
}

fn row_major(dataset: &Dataset) -> Result<DenseMatrix<f64>, ModelError> {
    let values: Vec<f64> = dataset
        .samples
        .iter()
        .flat_map(|s| s.features.values().map(|v| if v.is_nan() { MISSING_SENTINEL } else { v }))
        .collect();
    DenseMatrix::new(dataset.len(), FEATURE_COUNT, values, false)
        .map_err(|e| ModelError::Training(format!("baseline matrix: {e}")))
}

impl Baseline {
    /// The majority-class baseline of a training set.
    pub fn majority(train: &Dataset) -> Self {
        let counts = train.class_counts();
        let mut best = 0;
        for k in 1..counts.len() {
            if counts[k] > counts[best] {
                best = k;
            }
        }
        Self::Majority(Class::ALL[best])
    }

    /// A random forest of `trees` trees (√features candidates per split, unlimited depth,
    /// bootstrap samples), seeded.
    ///
    /// # Errors
    /// [`ModelError::Training`] when the training set is empty or smartcore fails.
    pub fn random_forest(train: &Dataset, trees: u16, seed: u64) -> Result<Self, ModelError> {
        if train.is_empty() {
            return Err(ModelError::Training("random forest: empty training set".to_owned()));
        }
        let x = row_major(train)?;
        let y: Vec<u32> = train.samples.iter().map(|s| s.class.index() as u32).collect();
        let params =
            RandomForestClassifierParameters::default().with_n_trees(trees.max(1)).with_seed(seed);
        let forest = RandomForestClassifier::fit(&x, &y, params)
            .map_err(|e| ModelError::Training(format!("random forest: {e}")))?;
        Ok(Self::RandomForest(Box::new(forest)))
    }

    /// The baseline's name in reports.
    pub fn name(&self) -> String {
        match self {
            Self::Majority(class) => format!("majority ({class})"),
            Self::RandomForest(_) => "random forest (smartcore)".to_owned(),
        }
    }

    /// The predicted class of every sample.
    ///
    /// # Errors
    /// [`ModelError::Training`] when smartcore fails to predict.
    pub fn classify(&self, dataset: &Dataset) -> Result<Vec<Class>, ModelError> {
        match self {
            Self::Majority(class) => Ok(vec![*class; dataset.len()]),
            Self::RandomForest(forest) => {
                if dataset.is_empty() {
                    return Ok(Vec::new());
                }
                let x = row_major(dataset)?;
                let y = forest
                    .predict(&x)
                    .map_err(|e| ModelError::Training(format!("random forest: {e}")))?;
                Ok(y.into_iter().map(|k| Class::ALL[k as usize]).collect())
            }
        }
    }
}
