//! Address parsing on the real shared public data: theft reports and sanctions lists.
//!
//! Every address in these files must validate on the chain the file names, except the few
//! entries that are not addresses of that chain at all; those are named one by one, with the
//! reason they fail, so a parser change that starts accepting or rejecting anything shows up.

mod corruption;
mod dprk;
mod sanctions;

use chainward_primitives::{Address, AddressError, Attempt, Chain};
use std::collections::BTreeMap;

/// One row of a CSV file, by column name.
type Row = BTreeMap<String, String>;

fn read_csv(relative: &str) -> Vec<Row> {
    let path = chainward_fixtures::shared_file(relative);
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let headers = reader.headers().expect("CSV header row").clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap_or_else(|e| panic!("{relative}: {e}"));
            headers.iter().zip(record.iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect()
        })
        .collect()
}

fn read_lines(relative: &str) -> Vec<String> {
    let path = chainward_fixtures::shared_file(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn column<'r>(row: &'r Row, name: &str) -> &'r str {
    row.get(name).unwrap_or_else(|| panic!("no column {name} in {row:?}"))
}

/// Parses `address` on `chain`, failing the test with the parser's reason and `context`.
fn parse_ok(chain: Chain, address: &str, context: &str) -> Address {
    let parsed =
        Address::parse(chain, address).unwrap_or_else(|e| panic!("{context}: {address}: {e}"));
    let any = Address::parse_any(address).unwrap_or_else(|e| panic!("{context}: {e}"));
    assert!(any.contains(&parsed), "{context}: parse_any({address}) = {any:?} lacks {parsed:?}");
    parsed
}

/// The attempts of an `Invalid` error.
fn attempts_of(error: AddressError) -> Vec<Attempt> {
    match error {
        AddressError::Invalid { attempts, .. } => attempts,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

/// Every address the data files list as valid, with its chain: the corruption test's input.
fn all_valid_addresses() -> Vec<(Chain, String)> {
    let mut all = dprk::valid_addresses();
    all.extend(sanctions::valid_addresses());
    all.sort();
    all.dedup();
    all
}
