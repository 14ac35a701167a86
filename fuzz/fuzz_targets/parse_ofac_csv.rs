//! OFAC's legacy sdn.csv parser and the tags CSV parser on arbitrary bytes: never a panic, and
//! every entry it returns has a non-empty address and a line inside the input.
#![no_main]

use chainward_screening::{ofac_csv, simple_lists};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    if let Ok(list) = ofac_csv::parse_sdn_csv(data, "fuzz.csv") {
        for entry in &list.entries {
            assert!(!entry.address.is_empty());
            assert!(entry.line >= 1 && entry.line <= lines, "line {} of {lines}", entry.line);
        }
    }
    if let Ok(list) = simple_lists::parse_tags_csv(data, "fuzz.csv") {
        for entry in &list.entries {
            assert!(entry.line <= lines, "line {} of {lines}", entry.line);
        }
    }
});
