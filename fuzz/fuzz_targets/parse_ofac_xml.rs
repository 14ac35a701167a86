//! Fuzzes the OFAC SDN XML parser: on any bytes `parse_sdn_xml` must return, never panic, and
//! what it returns must be consistent: a whole-file error names the file and a line inside it,
//! entries have trimmed, non-empty addresses on lines of the input.

#![no_main]

use chainward_screening::ListError;
use chainward_screening::ofac_xml::parse_sdn_xml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = 1 + data.iter().filter(|b| **b == b'\n').count() as u64;
    match parse_sdn_xml(data, "fuzz.xml") {
        Ok(list) => {
            for entry in &list.entries {
                assert!(!entry.address.is_empty(), "empty address imported");
                assert_eq!(entry.address.trim(), entry.address, "untrimmed address");
                assert!((1..=lines).contains(&entry.line), "line {} of {lines}", entry.line);
            }
            for issue in &list.issues {
                assert_eq!(issue.file, "fuzz.xml");
                assert!((1..=lines).contains(&issue.line), "issue line {} of {lines}", issue.line);
            }
        }
        Err(ListError::Malformed { file, line, .. }) => {
            assert_eq!(file, "fuzz.xml");
            assert!(line <= lines, "error line {line} of {lines}");
        }
        Err(other) => panic!("reading a slice cannot fail with {other:?}"),
    }
});
