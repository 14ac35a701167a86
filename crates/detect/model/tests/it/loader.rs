//! The FDGNN loader on small hand-written folders: rows become transfers, bad rows become
//! errors naming file, line and field.

use std::io::Write as _;
use std::path::Path;

use chainward_model::fdgnn::{LABELS_FILE, TRANSACTIONS_FILE, load_activities};
use chainward_model::{Class, ModelError, load_fdgnn};

const A: &str = "0x00c46406d5a38045ed58556a46c56d1f083acc1f";
const B: &str = "0x0158cdd1ba234c9311e42890d00397b7478b5699";
const X: &str = "0x327fdf2105b984e8099928beef74ece4fd4321b7";
const Y: &str = "0x5dcff3a72c5fe9c646456a830a4d5cdd7d3cad42";
const HEADER: &str = "label,center_address,tx_hash,block_number,timestamp,from,to,value_eth,contract_address,is_error";

fn folder(labels: &str, transactions: &str, gzip: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(LABELS_FILE), labels).unwrap();
    if gzip {
        let file = std::fs::File::create(dir.path().join(TRANSACTIONS_FILE)).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        gz.write_all(transactions.as_bytes()).unwrap();
        gz.finish().unwrap();
    } else {
        let plain = TRANSACTIONS_FILE.trim_end_matches(".gz");
        std::fs::write(dir.path().join(plain), transactions).unwrap();
    }
    dir
}

fn labels() -> String {
    format!("label,address\nHack,{A}\nNormal,{B}\n")
}

fn good_rows() -> String {
    format!(
        "{HEADER}\n\
         Hack,{A},,,1575650087,{X},{A},1.000294,,\n\
         Hack,{A},,,1575650105,{A},{Y},1.0,,\n\
         Hack,{A},,,1575650236,{X},{A},0.0,,\n\
         Normal,{B},0xab,8439090,1567001719,{X},{B},1.23727,,0\n"
    )
}

fn error_of(dir: &Path) -> ModelError {
    load_activities(dir).unwrap_err()
}

#[test]
fn rows_become_transfers_of_their_centre() {
    for gzip in [true, false] {
        let dir = folder(&labels(), &good_rows(), gzip);
        let activities = load_activities(dir.path()).unwrap();
        assert_eq!(activities.len(), 2);
        assert_eq!(activities[0].address, A);
        assert_eq!(activities[0].class, Class::Hack);
        let t = &activities[0].activity.transfers;
        assert_eq!(t.len(), 3);
        assert!(!t[0].outgoing && t[1].outgoing && !t[2].outgoing);
        assert_eq!(t[0].value, 1.000294);
        assert_eq!(t[1].time, 1_575_650_105);
        assert!(t.iter().all(|t| t.failed.is_none() && t.to_contract.is_none()));
        assert_eq!(activities[1].activity.transfers.len(), 1);
        let dataset = load_fdgnn(dir.path()).unwrap();
        assert_eq!(dataset.len(), 2);
    }
}

#[test]
fn a_malformed_line_is_named() {
    // Line 4 has a field too few.
    let rows = good_rows().replace(&format!("Hack,{A},,,1575650236,{X},{A},0.0,,"), "Hack,oops");
    let dir = folder(&labels(), &rows, true);
    let err = error_of(dir.path());
    assert!(matches!(err, ModelError::Malformed { line: 4, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("{TRANSACTIONS_FILE}:4")), "{message}");
}

#[test]
fn a_bad_field_is_named_with_its_line_and_column() {
    let cases = [
        ("1575650105,", "yesterday,", "timestamp"),
        ("{Y},1.0,", "{Y},lots,", "value_eth"),
        ("{Y},1.0,", "{Y},-1.0,", "value_eth"),
        ("{A},{Y},1.0", "{A},0x12,1.0", "to"),
    ];
    for (from, to, field) in cases {
        let from = from.replace("{Y}", Y).replace("{A}", A);
        let to = to.replace("{Y}", Y).replace("{A}", A);
        let rows = good_rows().replacen(&from, &to, 1);
        assert_ne!(rows, good_rows(), "{from} not found");
        let dir = folder(&labels(), &rows, false);
        let err = error_of(dir.path());
        match &err {
            ModelError::Field { line, field: f, .. } => {
                assert_eq!(*line, 3, "{err}");
                assert_eq!(f, field, "{err}");
            }
            other => panic!("expected a field error, got {other:?}"),
        }
        assert!(err.to_string().contains(":3: field `"), "{err}");
    }
}

#[test]
fn label_file_problems_are_named() {
    let dir = folder(&format!("label,address\nHack,{A}\nScam,{B}\n"), &good_rows(), false);
    let err = error_of(dir.path());
    assert!(
        matches!(&err, ModelError::Field { line: 3, field, .. } if field == "label"),
        "{err:?}"
    );
    assert!(err.to_string().contains(LABELS_FILE), "{err}");

    let dir = folder(&format!("label,address\nHack,{A}\nHack,{A}\n"), &good_rows(), false);
    let err = error_of(dir.path());
    assert!(err.to_string().contains("listed twice"), "{err}");

    let dir = folder(&format!("kind,address\nHack,{A}\n"), &good_rows(), false);
    let err = error_of(dir.path());
    assert!(matches!(err, ModelError::MissingColumn { column: "label", .. }), "{err:?}");
}

#[test]
fn rows_that_contradict_the_labels_are_refused() {
    // A row whose label differs from the labels file.
    let rows = good_rows().replace(&format!("Normal,{B}"), &format!("Phishing,{B}"));
    let err = error_of(folder(&labels(), &rows, false).path());
    assert!(
        matches!(&err, ModelError::Field { line: 5, field, .. } if field == "label"),
        "{err:?}"
    );
    // A row of an address the labels file does not list.
    let err = error_of(folder(&format!("label,address\nHack,{A}\n"), &good_rows(), false).path());
    assert!(
        matches!(&err, ModelError::Field { line: 5, field, .. } if field == "center_address"),
        "{err:?}"
    );
    // A row in which the centre is neither side.
    let rows = good_rows().replace(&format!("{A},{Y},1.0"), &format!("{X},{Y},1.0"));
    let err = error_of(folder(&labels(), &rows, false).path());
    assert!(err.to_string().contains("neither"), "{err}");
}

#[test]
fn a_missing_folder_names_the_file() {
    let err = load_activities(Path::new("/nonexistent/fdgnn")).unwrap_err();
    assert!(matches!(err, ModelError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains(LABELS_FILE), "{err}");
}
