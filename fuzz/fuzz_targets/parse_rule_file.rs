//! Fuzzes the rule file parser: any bytes give a validated rule set or an error naming the file,
//! never a panic.

#![no_main]

use chainward_rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(error) = RuleSet::from_yaml(text, "fuzz.yaml") {
        let message = error.to_string();
        assert!(message.contains("fuzz.yaml"), "the error does not name the file: {message}");
    }
});
