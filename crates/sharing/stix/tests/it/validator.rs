//! The official OASIS stix2-validator (PyPI `stix2-validator`) over an exported bundle built
//! from the real DPRK theft lists, with this crate's JSON schemas.
//!
//! Options, as the reference notes recommend: `--strict` (warnings are errors) with checks 103
//! (UUIDv4 expected: wrong for deterministic ids, which STIX itself uses for SCOs) and 202
//! (`based-on` to an SCO, "permitted but not suggested") disabled, and `--schemas` pointing at
//! `schemas/`, so wallets and Chainward's extension are checked against their schemas.

use crate::common::{at, dprk_records, options};
use chainward_primitives::ledger::Network;
use chainward_primitives::{Chain, RiskLevel};
use chainward_stix::{ConfirmedAlert, ExportInput, export_bundle};
use chainward_store_api::SnapshotRef;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const INSTALL: &str = "the STIX validator is not installed: run `pip install stix2-validator==3.3.2` \
                       (it provides the `stix2_validator` command)";

/// Runs the validator as `stix2_validator`, else through `python3`.
fn run_validator(args: &[&str], file: &Path) -> Output {
    let direct = Command::new("stix2_validator").args(args).arg(file).output();
    if let Ok(output) = direct {
        return output;
    }
    let script = "import sys; from stix2validator.scripts.stix2_validator import main; \
                  sys.argv[0] = 'stix2_validator'; sys.exit(main())";
    let output = Command::new("python3")
        .args(["-c", script])
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{INSTALL}; python3 could not be run either: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("No module named 'stix2validator'"), "{INSTALL}");
    output
}

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

fn validate(bytes: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.json");
    std::fs::write(&file, bytes).unwrap();
    let schemas = schemas();
    let output = run_validator(
        &["--strict", "-d", "103,202", "--schemas", schemas.to_str().unwrap()],
        &file,
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn the_exported_dprk_bundle_passes_stix2_validator() {
    let mut records = dprk_records();
    records[3].delisted_in =
        Some(SnapshotRef { id: 2, effective_at: "2026-06-01".into(), content_hash: "x".into() });
    let alerts = [ConfirmedAlert {
        address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4".into(),
        network: Network::chain(Chain::Bitcoin),
        rule: "peel-chain".into(),
        severity: RiskLevel::Medium,
        time: at("2026-11-24T09:00:00.000Z"),
        summary: "peel chain from a theft".into(),
    }];
    let bundle =
        export_bundle(&ExportInput { entries: &records, tags: &[], alerts: &alerts }, &options())
            .unwrap();
    let bytes = serde_json::to_vec_pretty(&bundle).unwrap();
    let (valid, text) = validate(&bytes);
    assert!(valid, "stix2-validator refused the export:\n{text}");
    assert!(text.contains("STIX JSON: Valid"), "{text}");
    assert!(!text.contains("[X]") && !text.contains("[!]"), "{text}");
}

#[test]
fn the_schemas_catch_a_wallet_in_the_old_dogesec_shape() {
    // The validator alone accepts this (custom types get only the core schema); with our
    // schemas the missing `value` is caught.
    let bundle = serde_json::json!({
        "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [{
            "type": "cryptocurrency-wallet", "spec_version": "2.1",
            "id": "cryptocurrency-wallet--f0ff06db-1eba-58e1-b534-2a734208a58e",
            "address": "0x1111111111111111111111111111111111111111",
            "extensions": {"extension-definition--be78509e-6958-51b1-8b26-d17ee0eba2d7":
                {"extension_type": "new-sco"}}
        }]
    });
    let (valid, text) = validate(&serde_json::to_vec(&bundle).unwrap());
    assert!(!valid, "{text}");
    assert!(text.contains("'value' is a required property"), "{text}");
}
