//! Fuzzes the GraphSense TagPack and ActorPack parsers: on any bytes they must return, never
//! panic or exhaust memory, and what they return must be consistent: errors and issues name the
//! file and a line of the input, entries have a non-blank address on a line of the input.

#![no_main]

use chainward_primitives::ParsedList;
use chainward_screening::ListError;
use chainward_screening::tagpack::{parse_actorpack, parse_tagpack};
use libfuzzer_sys::fuzz_target;

/// An upper bound on the input's lines: YAML also breaks lines at a lone `\r`.
fn lines(data: &[u8]) -> u64 {
    let breaks = data
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count();
    1 + breaks as u64
}

fn check(result: Result<ParsedList, ListError>, lines: u64) {
    match result {
        Ok(list) => {
            for entry in &list.entries {
                assert!(!entry.address.trim().is_empty(), "blank address imported");
                assert!((1..=lines).contains(&entry.line), "line {} of {lines}", entry.line);
            }
            for actor in &list.actors {
                assert!(!actor.id.trim().is_empty(), "blank actor id");
                assert!((1..=lines).contains(&actor.line), "actor line {} of {lines}", actor.line);
            }
            for issue in &list.issues {
                assert_eq!(issue.file, "fuzz.yaml");
                // An empty value at the very end sits on the line after the last one.
                assert!(issue.line <= lines + 1, "issue line {} of {lines}", issue.line);
            }
        }
        Err(ListError::Malformed { file, line, .. }) => {
            assert_eq!(file, "fuzz.yaml");
            assert!(line <= lines + 1, "error line {line} of {lines}");
        }
        Err(other) => panic!("parsing a slice cannot fail with {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let lines = lines(data);
    check(parse_tagpack(data, "fuzz.yaml"), lines);
    check(parse_actorpack(data, "fuzz.yaml"), lines);
});
