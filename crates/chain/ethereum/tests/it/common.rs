//! Fixture access and difference collection.

use std::collections::HashMap;
use std::fmt::Display;
use std::path::PathBuf;

pub(crate) const ETL: &str = "raw_chain/ethereum_etl_fixtures";

/// The fixture folder of a case, e.g. `dir("test_export_blocks_job/block_with_logs")`.
pub(crate) fn dir(case: &str) -> PathBuf {
    chainward_fixtures::shared_file(&format!("{ETL}/{case}"))
}

pub(crate) fn read(case: &str, file: &str) -> Vec<u8> {
    let path = dir(case).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files of a case whose names start with `prefix`, sorted.
pub(crate) fn files(case: &str, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir(case))
        .unwrap_or_else(|e| panic!("{case}: {e}"))
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

/// An ethereum-etl row: column name → value as text ("" for empty / null).
pub(crate) type Row = HashMap<String, String>;

pub(crate) fn csv_rows(case: &str, file: &str) -> Vec<Row> {
    let bytes = read(case, file);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let Ok(headers) = reader.headers().cloned() else { return Vec::new() };
    reader
        .records()
        .map(|r| {
            let r = r.expect("csv record");
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect()
        })
        .collect()
}

/// Rows of an ethereum-etl JSON-lines export.
pub(crate) fn json_rows(case: &str, file: &str) -> Vec<Row> {
    let bytes = read(case, file);
    String::from_utf8(bytes)
        .expect("utf-8")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            let obj = v.as_object().expect("json object");
            obj.iter().map(|(k, v)| (k.clone(), text(v))).collect()
        })
        .collect()
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Collected differences.
#[derive(Default)]
pub(crate) struct Diffs {
    pub(crate) list: Vec<String>,
    pub(crate) compared: usize,
}

impl Diffs {
    /// Compares one field; text compared case-insensitively (ethereum-etl writes lower case).
    pub(crate) fn field(
        &mut self,
        at: &str,
        row: usize,
        field: &str,
        ours: impl Display,
        theirs: &Row,
    ) {
        let ours = ours.to_string();
        let theirs = theirs.get(field).map(String::as_str).unwrap_or("<no column>");
        self.compared += 1;
        if !ours.eq_ignore_ascii_case(theirs) {
            self.list.push(format!("{at} row {row} field {field}: ours={ours} theirs={theirs}"));
        }
    }

    pub(crate) fn note(&mut self, message: String) {
        self.list.push(message);
    }

    /// Prints everything and asserts that the differences are exactly `known`.
    pub(crate) fn assert_only(self, what: &str, known: &[&str]) {
        println!("{what}: {} fields compared, {} differences", self.compared, self.list.len());
        for d in &self.list {
            println!("  {d}");
        }
        assert!(self.compared > 0, "{what}: nothing compared");
        let unexpected: Vec<&String> =
            self.list.iter().filter(|d| !known.contains(&d.as_str())).collect();
        let vanished: Vec<&&str> =
            known.iter().filter(|k| !self.list.iter().any(|d| d == *k)).collect();
        assert!(
            unexpected.is_empty() && vanished.is_empty(),
            "{what}: unexpected differences {unexpected:#?}; known differences no longer seen {vanished:#?}"
        );
    }
}

/// `Option` as ethereum-etl prints it: empty for `None`.
pub(crate) fn opt<T: Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A trace address as ethereum-etl prints it: comma-joined, empty for the top level.
pub(crate) fn path(p: &[u32]) -> String {
    p.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}
