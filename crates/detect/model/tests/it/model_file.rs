//! The model file: round trip, determinism, refusal of another feature version.

use chainward_model::{
    AddressActivity, Class, Dataset, FEATURE_VERSION, Features, Model, ModelError, Sample,
    TrainOptions, Transfer, train,
};
use chainward_primitives::{AddressKey, Chain};

/// A small synthetic data set whose classes differ in behaviour: normal addresses receive and
/// send a few round amounts, phishing ones collect many small payments from one-off senders,
/// hack ones receive one large amount and fan it out fast, Ponzi ones only receive.
fn synthetic() -> Dataset {
    let key = |n: u32| Some(AddressKey::new(Chain::Evm, &n.to_be_bytes()));
    let t = |time: i64, cp: u32, value: f64, outgoing: bool| Transfer {
        time,
        counterparty: key(cp),
        value,
        outgoing,
        failed: None,
        to_contract: None,
    };
    let mut samples = Vec::new();
    for i in 0..160_u32 {
        let class = Class::ALL[(i % 4) as usize];
        let base = i64::from(i) * 1_000_000;
        let jitter = f64::from(i % 7) * 0.013;
        let transfers: Vec<Transfer> = match class {
            Class::Normal => (0..6)
                .map(|k| t(base + k * 86_400 * 3, 1 + (k as u32 % 2), 1.0 + jitter, k % 2 == 1))
                .collect(),
            Class::Phishing => (0..20)
                .map(|k| t(base + k * 7_200, 1000 * i + k as u32, 0.05 + jitter, false))
                .chain([t(base + 200_000, 7, 1.0, true)])
                .collect(),
            Class::Hack => std::iter::once(t(base, 9, 500.0 + jitter, false))
                .chain((1..8).map(|k| t(base + k * 60, 2000 * i + k as u32, 60.0, true)))
                .collect(),
            Class::Ponzi => (0..12)
                .map(|k| t(base + k * 40_000, 3000 * i + k as u32, 0.5 + jitter, false))
                .collect(),
        };
        samples.push(Sample {
            address: format!("0x{i:040x}"),
            class,
            features: Features::from_activity(&AddressActivity::new(transfers)),
        });
    }
    Dataset::new("synthetic", samples)
}

fn small_options() -> TrainOptions {
    TrainOptions {
        iterations: 20,
        max_depth: 3,
        learning_rate: 0.3,
        baseline_trees: 0,
        ..TrainOptions::default()
    }
}

#[test]
fn save_and_load_give_identical_scores() {
    let data = synthetic();
    let model = train(&data, &small_options()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(loaded.metadata(), model.metadata());
    for s in &data.samples {
        let a = model.score(&s.features);
        let b = loaded.score(&s.features);
        assert_eq!(a.class, b.class);
        assert_eq!(a.probabilities.map(f64::to_bits), b.probabilities.map(f64::to_bits));
        assert_eq!(a.top_contributions.len(), b.top_contributions.len());
        for (x, y) in a.top_contributions.iter().zip(&b.top_contributions) {
            assert_eq!(x.feature, y.feature);
            assert_eq!(x.contribution.to_bits(), y.contribution.to_bits());
        }
    }
    // Saving the loaded model writes the same bytes.
    assert_eq!(loaded.to_json(), model.to_json());
    // The synthetic classes are separable; the model learns them.
    let predicted = model.classify(&data.samples.iter().map(|s| s.features).collect::<Vec<_>>());
    let correct = predicted.iter().zip(&data.samples).filter(|(p, s)| **p == s.class).count();
    assert!(correct >= 150, "{correct} of 160");
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let data = synthetic();
    let a = train(&data, &small_options()).unwrap();
    let b = train(&data, &small_options()).unwrap();
    assert_eq!(a.to_json(), b.to_json());
    let c = train(&data, &TrainOptions { seed: 7, ..small_options() }).unwrap();
    assert_ne!(a.to_json(), c.to_json(), "row and column sampling follow the seed");
}

#[test]
fn a_model_of_another_feature_version_is_refused() {
    let model = train(&synthetic(), &small_options()).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&model.to_json()).unwrap();
    json["feature_version"] = serde_json::json!(FEATURE_VERSION + 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let err = Model::load(&path).unwrap_err();
    assert!(
        matches!(err, ModelError::FeatureVersion { found, expected, .. }
            if found == FEATURE_VERSION + 1 && expected == FEATURE_VERSION),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("old.json"), "{message}");
    assert!(message.contains(&format!("feature version {}", FEATURE_VERSION + 1)), "{message}");
    assert!(message.contains("retrain"), "{message}");
}

#[test]
fn a_file_that_is_not_a_model_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.json");
    std::fs::write(&path, r#"{"hello": 1}"#).unwrap();
    let err = Model::load(&path).unwrap_err();
    assert!(matches!(err, ModelError::ModelFile { .. }), "{err:?}");
    assert!(err.to_string().contains("notes.json"));
    let err = Model::load(&dir.path().join("absent.json")).unwrap_err();
    assert!(matches!(err, ModelError::Read { .. }), "{err:?}");
}

#[test]
fn training_needs_every_class() {
    let mut data = synthetic();
    data.samples.retain(|s| s.class != Class::Ponzi);
    let err = train(&data, &small_options()).unwrap_err();
    assert!(err.to_string().contains("ponzi"), "{err}");
    let err = train(&synthetic(), &TrainOptions { iterations: 0, ..small_options() }).unwrap_err();
    assert!(matches!(err, ModelError::Options(_)), "{err:?}");
}
