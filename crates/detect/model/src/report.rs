//! Evaluation: per-class precision, recall and F1, macro F1, the confusion matrix, baselines
//! side by side, and k-fold cross-validation.
//!
//! Conventions: precision of a class nothing was predicted as is 0, as is the F1 of a class with
//! precision and recall both 0 (scikit-learn's `zero_division=0`). Macro F1 is the unweighted
//! mean over the four classes; the illicit macro F1 the mean over phishing, hack and Ponzi.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::baseline::Baseline;
use crate::dataset::{Class, Dataset};
use crate::error::ModelError;
use crate::features::FEATURE_VERSION;
use crate::model::{Model, TrainOptions, train};

/// Precision, recall and F1 of one class against all others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class.
    pub class: Class,
    /// Of the samples predicted as the class, the share that are.
    pub precision: f64,
    /// Of the samples of the class, the share predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Samples of the class.
    pub support: usize,
}

/// Precision, recall and F1 of "illicit" (any class but normal) against normal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    /// Of the samples predicted illicit, the share that are.
    pub precision: f64,
    /// Of the illicit samples, the share predicted illicit (as any illicit class).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Counts of (actual, predicted) pairs; rows are actual classes, columns predicted, both in
/// [`Class::ALL`] order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// `counts[actual][predicted]`.
    pub counts: [[usize; 4]; 4],
}

impl ConfusionMatrix {
    /// The matrix of paired actual and predicted classes.
    ///
    /// # Panics
    /// When the two lists differ in length.
    pub fn new(actual: &[Class], predicted: &[Class]) -> Self {
        assert_eq!(actual.len(), predicted.len(), "one prediction per sample");
        let mut counts = [[0; 4]; 4];
        for (a, p) in actual.iter().zip(predicted) {
            counts[a.index()][p.index()] += 1;
        }
        Self { counts }
    }

    /// The number of samples.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 { 0.0 } else { num as f64 / den as f64 }
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) }
}

/// One classifier's figures on one test set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The classifier.
    pub name: String,
    /// Per class, in [`Class::ALL`] order.
    pub per_class: Vec<ClassMetrics>,
    /// Mean F1 over the four classes.
    pub macro_f1: f64,
    /// Mean F1 over the three illicit classes.
    pub illicit_macro_f1: f64,
    /// Share of samples classified correctly.
    pub accuracy: f64,
    /// Illicit (any illicit class) against normal.
    pub illicit_vs_normal: BinaryMetrics,
    /// The confusion matrix.
    pub confusion: ConfusionMatrix,
}

impl Evaluation {
    /// The figures of `predicted` against `actual`.
    ///
    /// # Panics
    /// When the two lists differ in length.
    pub fn new(name: impl Into<String>, actual: &[Class], predicted: &[Class]) -> Self {
        let confusion = ConfusionMatrix::new(actual, predicted);
        let c = &confusion.counts;
        let per_class: Vec<ClassMetrics> = Class::ALL
            .iter()
            .map(|&class| {
                let k = class.index();
                let tp = c[k][k];
                let support: usize = c[k].iter().sum();
                let predicted: usize = (0..4).map(|a| c[a][k]).sum();
                let precision = ratio(tp, predicted);
                let recall = ratio(tp, support);
                ClassMetrics { class, precision, recall, f1: f1(precision, recall), support }
            })
            .collect();
        let macro_f1 = per_class.iter().map(|m| m.f1).sum::<f64>() / 4.0;
        let illicit_macro_f1 =
            per_class.iter().filter(|m| m.class.is_illicit()).map(|m| m.f1).sum::<f64>() / 3.0;
        let correct: usize = (0..4).map(|k| c[k][k]).sum();
        // Normal is column and row 0; an illicit sample predicted as another illicit class
        // still counts as caught here.
        let illicit_tp: usize = (1..4).flat_map(|a| (1..4).map(move |p| c[a][p])).sum();
        let predicted_illicit: usize = (0..4).flat_map(|a| (1..4).map(move |p| c[a][p])).sum();
        let actual_illicit: usize = (1..4).map(|a| c[a].iter().sum::<usize>()).sum();
        let precision = ratio(illicit_tp, predicted_illicit);
        let recall = ratio(illicit_tp, actual_illicit);
        Self {
            name: name.into(),
            per_class,
            macro_f1,
            illicit_macro_f1,
            accuracy: ratio(correct, confusion.total()),
            illicit_vs_normal: BinaryMetrics { precision, recall, f1: f1(precision, recall) },
            confusion,
        }
    }
}

/// The evaluation of a model on a hold-out set, with baselines trained on the same training set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The data set.
    pub dataset: String,
    /// How train and test were split.
    pub split: String,
    /// Training samples per class, in [`Class::ALL`] order.
    pub train_counts: [usize; 4],
    /// Test samples per class, in [`Class::ALL`] order.
    pub test_counts: [usize; 4],
    /// The feature version.
    pub feature_version: u32,
    /// The model's figures.
    pub model: Evaluation,
    /// The baselines' figures.
    pub baselines: Vec<Evaluation>,
}

/// Trains baselines on `train` and evaluates them and `model` on `test`.
///
/// # Errors
/// [`ModelError::Training`] when a baseline fails.
pub fn evaluate(
    model: &Model,
    train_set: &Dataset,
    test: &Dataset,
    options: &TrainOptions,
    split: impl Into<String>,
) -> Result<EvalReport, ModelError> {
    let actual: Vec<Class> = test.samples.iter().map(|s| s.class).collect();
    let features: Vec<_> = test.samples.iter().map(|s| s.features).collect();
    let model_eval = Evaluation::new("gbdt (forust-ml)", &actual, &model.classify(&features));
    let mut baselines = Vec::new();
    let mut learners = vec![Baseline::majority(train_set)];
    if options.baseline_trees > 0 {
        learners.push(Baseline::random_forest(train_set, options.baseline_trees, options.seed)?);
    }
    for learner in learners {
        baselines.push(Evaluation::new(learner.name(), &actual, &learner.classify(test)?));
    }
    Ok(EvalReport {
        dataset: test.name.clone(),
        split: split.into(),
        train_counts: train_set.class_counts(),
        test_counts: test.class_counts(),
        feature_version: FEATURE_VERSION,
        model: model_eval,
        baselines,
    })
}

/// Trains on a hold-out split by address hash and evaluates: the model and the report.
///
/// # Errors
/// As [`train`] and [`evaluate`].
pub fn train_and_evaluate(
    dataset: &Dataset,
    options: &TrainOptions,
) -> Result<(Model, EvalReport), ModelError> {
    let (train_set, test) = dataset.split_by_address(options.test_fraction);
    let model = train(&train_set, options)?;
    let split = format!(
        "hold-out by SHA-256 of the lower-case address: {:.0}% train / {:.0}% test, no address \
         on both sides",
        (1.0 - options.test_fraction) * 100.0,
        options.test_fraction * 100.0
    );
    let mut report = evaluate(&model, &train_set, &test, options, split)?;
    report.dataset.clone_from(&dataset.name);
    Ok((model, report))
}

/// One fold of a cross-validation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    /// The fold's test samples.
    pub test_size: usize,
    /// The model's macro F1 on the fold.
    pub model_macro_f1: f64,
    /// Each baseline's macro F1 on the fold, in [`EvalReport::baselines`] order.
    pub baseline_macro_f1: Vec<(String, f64)>,
}

/// A k-fold cross-validation by address hash: per fold and pooled over all folds' predictions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    /// The number of folds.
    pub k: usize,
    /// Per fold.
    pub folds: Vec<FoldResult>,
    /// The model's figures over every fold's test predictions together.
    pub model: Evaluation,
    /// The baselines' figures pooled the same way.
    pub baselines: Vec<Evaluation>,
}

impl CrossValidation {
    /// Mean and (population) standard deviation of the model's per-fold macro F1.
    pub fn model_macro_f1_mean_std(&self) -> (f64, f64) {
        mean_std(self.folds.iter().map(|f| f.model_macro_f1))
    }
}

fn mean_std(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    if n == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.clone().sum::<f64>() / n;
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// k-fold cross-validation by address hash ([`Dataset::k_folds`]), with the baselines.
///
/// # Errors
/// [`ModelError::Options`] when `k < 2`; otherwise as [`train`] and [`evaluate`].
pub fn cross_validate(
    dataset: &Dataset,
    options: &TrainOptions,
    k: usize,
) -> Result<CrossValidation, ModelError> {
    if k < 2 {
        return Err(ModelError::Options(format!("k-fold needs k >= 2, got {k}")));
    }
    let mut folds = Vec::new();
    let mut actual = Vec::new();
    let mut model_pred = Vec::new();
    let mut baseline_pred: Vec<(String, Vec<Class>)> = Vec::new();
    for (train_set, test) in dataset.k_folds(k) {
        let model = train(&train_set, options)?;
        let features: Vec<_> = test.samples.iter().map(|s| s.features).collect();
        let fold_actual: Vec<Class> = test.samples.iter().map(|s| s.class).collect();
        let predicted = model.classify(&features);
        let mut learners = vec![Baseline::majority(&train_set)];
        if options.baseline_trees > 0 {
            learners.push(Baseline::random_forest(
                &train_set,
                options.baseline_trees,
                options.seed,
            )?);
        }
        let mut fold_baselines = Vec::new();
        for (i, learner) in learners.iter().enumerate() {
            let p = learner.classify(&test)?;
            // The majority class may differ between folds; name the slot by the learner kind.
            let name = match learner {
                Baseline::Majority(_) => "majority".to_owned(),
                Baseline::RandomForest(_) => learner.name(),
            };
            fold_baselines.push((name.clone(), Evaluation::new("", &fold_actual, &p).macro_f1));
            if baseline_pred.len() <= i {
                baseline_pred.push((name, Vec::new()));
            }
            baseline_pred[i].1.extend(p);
        }
        folds.push(FoldResult {
            test_size: test.len(),
            model_macro_f1: Evaluation::new("", &fold_actual, &predicted).macro_f1,
            baseline_macro_f1: fold_baselines,
        });
        actual.extend(fold_actual);
        model_pred.extend(predicted);
    }
    Ok(CrossValidation {
        k,
        folds,
        model: Evaluation::new("gbdt (forust-ml)", &actual, &model_pred),
        baselines: baseline_pred
            .into_iter()
            .map(|(name, p)| Evaluation::new(name, &actual, &p))
            .collect(),
    })
}

fn write_evaluation(f: &mut fmt::Formatter<'_>, e: &Evaluation) -> fmt::Result {
    writeln!(f, "{}", e.name)?;
    writeln!(
        f,
        "  {:<10} {:>9} {:>9} {:>9} {:>8}",
        "class", "precision", "recall", "f1", "support"
    )?;
    for m in &e.per_class {
        writeln!(
            f,
            "  {:<10} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            m.class.name(),
            m.precision,
            m.recall,
            m.f1,
            m.support
        )?;
    }
    writeln!(
        f,
        "  macro F1 {:.3}   illicit macro F1 {:.3}   accuracy {:.3}",
        e.macro_f1, e.illicit_macro_f1, e.accuracy
    )?;
    writeln!(
        f,
        "  illicit vs normal: precision {:.3} recall {:.3} F1 {:.3}",
        e.illicit_vs_normal.precision, e.illicit_vs_normal.recall, e.illicit_vs_normal.f1
    )?;
    write!(f, "  confusion (rows actual, columns predicted):\n  {:<10}", "")?;
    for c in Class::ALL {
        write!(f, " {:>8}", c.name())?;
    }
    writeln!(f)?;
    for (a, row) in Class::ALL.iter().zip(&e.confusion.counts) {
        write!(f, "  {:<10}", a.name())?;
        for n in row {
            write!(f, " {n:>8}")?;
        }
        writeln!(f)?;
    }
    Ok(())
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_evaluation(f, self)
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "data set: {}", self.dataset)?;
        writeln!(f, "split: {}", self.split)?;
        writeln!(f, "feature version: {}", self.feature_version)?;
        let counts = |c: &[usize; 4]| {
            Class::ALL
                .iter()
                .map(|k| format!("{k} {}", c[k.index()]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(f, "train: {}", counts(&self.train_counts))?;
        writeln!(f, "test:  {}", counts(&self.test_counts))?;
        writeln!(f)?;
        write_evaluation(f, &self.model)?;
        for b in &self.baselines {
            writeln!(f)?;
            write_evaluation(f, b)?;
        }
        writeln!(f)?;
        writeln!(f, "side by side (F1 per class, macro F1):")?;
        write!(f, "  {:<28}", "")?;
        for c in Class::ALL {
            write!(f, " {:>8}", c.name())?;
        }
        writeln!(f, " {:>8}", "macro")?;
        for e in std::iter::once(&self.model).chain(&self.baselines) {
            write!(f, "  {:<28}", e.name)?;
            for m in &e.per_class {
                write!(f, " {:>8.3}", m.f1)?;
            }
            writeln!(f, " {:>8.3}", e.macro_f1)?;
        }
        Ok(())
    }
}

impl fmt::Display for CrossValidation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mean, std) = self.model_macro_f1_mean_std();
        writeln!(f, "{}-fold cross-validation by address hash", self.k)?;
        writeln!(f, "  model macro F1 per fold: mean {mean:.3}, std {std:.3}")?;
        for (i, fold) in self.folds.iter().enumerate() {
            write!(f, "  fold {i}: n={:<5} model {:.3}", fold.test_size, fold.model_macro_f1)?;
            for (name, v) in &fold.baseline_macro_f1 {
                write!(f, "  {name} {v:.3}")?;
            }
            writeln!(f)?;
        }
        writeln!(f, "pooled over folds:")?;
        write_evaluation(f, &self.model)?;
        for b in &self.baselines {
            write_evaluation(f, b)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Class::{Hack, Normal, Phishing, Ponzi};

    #[test]
    fn metrics_from_a_known_confusion() {
        let actual = [Normal, Normal, Normal, Phishing, Phishing, Hack, Ponzi];
        let predicted = [Normal, Normal, Phishing, Phishing, Normal, Hack, Hack];
        let e = Evaluation::new("t", &actual, &predicted);
        let normal = &e.per_class[0];
        assert!((normal.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((normal.recall - 2.0 / 3.0).abs() < 1e-12);
        let hack = &e.per_class[2];
        assert!((hack.precision - 0.5).abs() < 1e-12);
        assert_eq!(hack.recall, 1.0);
        let ponzi = &e.per_class[3];
        assert_eq!((ponzi.precision, ponzi.recall, ponzi.f1), (0.0, 0.0, 0.0));
        assert_eq!(ponzi.support, 1);
        assert!((e.accuracy - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!(e.confusion.counts[3][2], 1);
        // Illicit vs normal: 4 illicit, 3 of them predicted illicit; 4 predicted illicit, 3 right.
        assert!((e.illicit_vs_normal.precision - 0.75).abs() < 1e-12);
        assert!((e.illicit_vs_normal.recall - 0.75).abs() < 1e-12);
        let expected_macro = e.per_class.iter().map(|m| m.f1).sum::<f64>() / 4.0;
        assert!((e.macro_f1 - expected_macro).abs() < 1e-12);
    }
}
