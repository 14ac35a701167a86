//! Training on FDGNN and the hold-out figures.

use std::time::Instant;

use chainward_model::{Class, Feature, load_fdgnn, report::train_and_evaluate};

use crate::{fast_options, fdgnn_dir};

/// The model beats both baselines' floor on addresses it never saw.
///
/// Floor 0.80 macro F1: the majority baseline scores 0.14 (it gets only the normal class), and
/// the default options reach 0.93 pooled over 5 folds in a release run (MODEL.md); these
/// smaller debug-build options stay above 0.85 on the hold-out, and the Ponzi class has only
/// 19 test addresses, so one address moves its F1 by several points. A floor of 0.80 fails on a
/// real regression (a broken feature, a leak fixed badly, a split that mixes addresses) without
/// failing on the noise of 19 addresses.
#[test]
fn fdgnn_hold_out_beats_the_baselines() {
    let started = Instant::now();
    let dataset = load_fdgnn(&fdgnn_dir()).expect("FDGNN loads");
    eprintln!("loaded {} in {:.1?}", dataset.name, started.elapsed());
    // 3,029 labelled addresses; those without a single value transfer (hack and Ponzi only) are
    // left out.
    assert!((2900..=3029).contains(&dataset.len()), "{}", dataset.len());
    let counts = dataset.class_counts();
    assert_eq!(counts[Class::Normal.index()], 1168);
    assert_eq!(counts[Class::Phishing.index()], 1103);

    let started = Instant::now();
    let options = fast_options();
    let (model, report) = train_and_evaluate(&dataset, &options).expect("training succeeds");
    eprintln!("trained and evaluated in {:.1?}\n{report}", started.elapsed());

    // The split is by address: no test address was trained on.
    let (train_set, test) = dataset.split_by_address(options.test_fraction);
    assert!(test.samples.iter().all(|t| !train_set.samples.iter().any(|s| s.address == t.address)));
    assert_eq!(report.test_counts, test.class_counts());
    assert_eq!(report.train_counts, train_set.class_counts());
    assert_eq!(model.metadata().class_counts, train_set.class_counts());

    let majority = report.baselines.iter().find(|b| b.name.starts_with("majority")).unwrap();
    let forest = report.baselines.iter().find(|b| b.name.starts_with("random forest")).unwrap();
    assert!(majority.macro_f1 < 0.2, "{}", majority.macro_f1);
    assert!(
        report.model.macro_f1 > majority.macro_f1,
        "model {} vs majority {}",
        report.model.macro_f1,
        majority.macro_f1
    );
    assert!(report.model.macro_f1 > 0.80, "macro F1 {} below the floor", report.model.macro_f1);
    // The forest is the strong anchor; the two are within noise of each other on FDGNN (5-fold:
    // 0.929 vs 0.913), so the model must not be materially worse.
    assert!(
        report.model.macro_f1 > forest.macro_f1 - 0.05,
        "model {} far below the random forest {}",
        report.model.macro_f1,
        forest.macro_f1
    );
    for m in &report.model.per_class {
        assert!(m.f1 > 0.5, "{} F1 {}", m.class, m.f1);
    }

    // A score explains itself with named features.
    let sample = &test.samples[0];
    let prediction = model.score(&sample.features);
    assert!((prediction.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(!prediction.top_contributions.is_empty());
    assert!(prediction.top_contributions.len() <= options.top_contributions);
    for c in &prediction.top_contributions {
        assert!(chainward_model::FEATURE_NAMES.contains(&c.feature.as_str()));
        assert_ne!(c.contribution, 0.0);
    }
    let mags: Vec<f64> =
        prediction.top_contributions.iter().map(|c| c.contribution.abs()).collect();
    assert!(mags.windows(2).all(|w| w[0] >= w[1]), "{mags:?}");

    // Features that FDGNN cannot give without leaking the label are missing for every address.
    assert!(dataset.samples.iter().all(|s| s.features.get(Feature::FailedShare).is_nan()));
    assert!(
        dataset.samples.iter().all(|s| s.features.get(Feature::ContractCounterpartyShare).is_nan())
    );
}
