//! Unit tests of discovery and of row reading (line numbers, header checks).

use super::{DiscoverError, ExportFile, FileKind, Format, Row, RowError, discover, for_each_row};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Blocks,
    TokenTransfers,
}

impl FileKind for Kind {
    const KINDS: &'static [Self] = &[Self::Blocks, Self::TokenTransfers];

    fn base_name(self) -> &'static str {
        match self {
            Self::Blocks => "blocks",
            Self::TokenTransfers => "token_transfers",
        }
    }
}

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("chainward-etl-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn file_stems_are_recognized() {
    for (stem, kind) in [
        ("blocks", Some(Kind::Blocks)),
        ("expected_blocks", Some(Kind::Blocks)),
        ("blocks_00000000_00099999", Some(Kind::Blocks)),
        ("token_transfers_00000000_00099999", Some(Kind::TokenTransfers)),
        ("expected_token_transfers", Some(Kind::TokenTransfers)),
        ("blocks_backup", None),
        ("token", None),
        ("expected_blocks_old", None),
        ("transactions", None),
    ] {
        assert_eq!(super::kind_of_stem::<Kind>(stem), kind, "{stem}");
    }
}

#[test]
fn discovery_finds_top_level_files_and_export_all_partitions() {
    let dir = TempDir::new("discover");
    let top = dir.write("expected_token_transfers.JSON", "");
    let b1 = dir
        .write("blocks/start_block=00000000/end_block=00099999/blocks_00000000_00099999.csv", "");
    let b0 = dir.write("blocks.csv", "");
    dir.write("blocks/start_block=00000000/end_block=00099999/token_transfers_0_9.json", "");
    dir.write(".blocks.csv", "");
    dir.write("notes.txt", "");
    dir.write("tokens.csv", "");
    dir.write("other/blocks.csv", "");
    let files = discover::<Kind>(&dir.0, &[]).unwrap();
    let file = |kind, format, path: &Path| ExportFile { kind, format, path: path.to_owned() };
    assert_eq!(
        files,
        [
            // By path components: the `blocks` folder sorts before `blocks.csv`.
            file(Kind::Blocks, Format::Csv, &b1),
            file(Kind::Blocks, Format::Csv, &b0),
            file(Kind::TokenTransfers, Format::JsonLines, &top),
        ]
    );
}

#[test]
fn discovery_refuses_one_kind_in_both_formats() {
    let dir = TempDir::new("mixed");
    dir.write("blocks.csv", "");
    dir.write("blocks/start_block=0/end_block=9/blocks_0_9.json", "");
    let err = discover::<Kind>(&dir.0, &[]).unwrap_err();
    assert!(matches!(err, DiscoverError::MixedFormats { kind: Kind::Blocks, .. }), "{err:?}");
    assert!(err.to_string().starts_with("the blocks export is given as CSV ("), "{err}");
    let err = discover::<Kind>(&dir.0.join("absent"), &[]).unwrap_err();
    assert!(matches!(err, DiscoverError::Io { .. }), "{err:?}");
    std::fs::remove_file(dir.0.join("blocks.csv")).unwrap();
    assert_eq!(discover(&dir.0, &[Kind::Blocks]).unwrap().len(), 1);
    let err = discover(&dir.0, &[Kind::Blocks, Kind::TokenTransfers]).unwrap_err();
    assert!(matches!(err, DiscoverError::MissingFile { kind: Kind::TokenTransfers, .. }));
}

fn lines_of(path: &Path, format: Format) -> Result<Vec<u64>, RowError> {
    let mut seen = Vec::new();
    for_each_row(path, format, &[], |row: &Row<'_>| {
        seen.push(row.line());
        Ok::<(), RowError>(())
    })?;
    Ok(seen)
}

#[test]
fn csv_lines_count_blank_lines_crlf_and_quoted_newlines() {
    let dir = TempDir::new("csv-lines");
    for (name, text, expected) in [
        ("lf.csv", "a,b\n1,2\n\n3,4\n\n\n5,6", vec![2, 4, 7]),
        ("crlf.csv", "a,b\r\n1,2\r\n\r\n3,4\r\n", vec![2, 4]),
        ("quoted.csv", "a,b\n1,\"x\ny\"\n3,4\n", vec![2, 4]),
        ("quoted-crlf.csv", "a,b\r\n\"1\r\n\r\n\",2\r\n\r\n3,4\r\n", vec![2, 6]),
        ("leading.csv", "\n\na,b\n1,2\n", vec![4]),
        ("empty.csv", "", vec![]),
    ] {
        let path = dir.write(name, text);
        assert_eq!(lines_of(&path, Format::Csv).unwrap(), expected, "{name}");
    }
    let path = dir.write("short.csv", "a,b\r\n1,2\r\n\r\n3\r\n");
    let err = lines_of(&path, Format::Csv).unwrap_err().to_string();
    assert!(err.ends_with("short.csv, line 4: has 1 fields but the header has 2"), "{err}");
}

#[test]
fn json_lines_are_numbered_with_blank_lines_and_crlf() {
    let dir = TempDir::new("json-lines");
    let path = dir.write("rows.json", "{\"a\": 1}\r\n\r\n  \n{\"a\": 2}\n{\"a\": 3}");
    assert_eq!(lines_of(&path, Format::JsonLines).unwrap(), [1, 4, 5]);
    let path = dir.write("bad.json", "{\"a\": 1}\n\n[1]\n");
    let mut errors = Vec::new();
    for_each_row(&path, Format::JsonLines, &[], |row| {
        if let Err(e) = row.json_map() {
            errors.push(e.to_string());
        }
        assert_eq!(row.json_object()?.len(), usize::from(row.line() == 1), "line {}", row.line());
        Ok::<(), RowError>(())
    })
    .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("bad.json, line 3: not a JSON object: "), "{}", errors[0]);
}

#[test]
fn csv_header_is_checked_and_cells_are_found_by_name() {
    let dir = TempDir::new("csv-header");
    let path = dir.write("twice.csv", "\r\na, b,a\r\n1,2,3\r\n");
    let err = lines_of(&path, Format::Csv).unwrap_err().to_string();
    assert!(err.ends_with("twice.csv, line 2, field `a`: the header names this column twice"));
    let path = dir.write("rows.csv", "a, b\n1,\n");
    let err = for_each_row(&path, Format::Csv, &["a", "c"], |_| Ok::<(), RowError>(()))
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("rows.csv, line 1, field `c`: missing column (the header does not name it)")
    );
    for_each_row(&path, Format::Csv, &["a", "b"], |row| {
        assert_eq!((row.cell("a"), row.cell("b"), row.cell("c")), (Some("1"), Some(""), None));
        assert_eq!(row.cells().collect::<Vec<_>>(), [("a", "1"), ("b", "")]);
        assert_eq!(row.columns().map(|c| c.get("b")), Some(Some(1)));
        let err = row.error("b", "is empty").to_string();
        assert!(err.ends_with("rows.csv, line 2, field `b`: is empty"), "{err}");
        assert!(row.json_map().is_err());
        Ok::<(), RowError>(())
    })
    .unwrap();
}
