//! Fuzzes address parsing: `parse_any` must never panic, and every address it returns must
//! re-parse from its canonical spelling, on its chain, to the same key.

#![no_main]

use chainward_primitives::Address;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let Ok(found) = Address::parse_any(input) else { return };
    for address in found {
        let again = Address::parse(address.chain(), address.canonical()).unwrap_or_else(|e| {
            panic!("canonical {} of {input:?} does not re-parse: {e}", address.canonical())
        });
        assert_eq!(again.key(), address.key(), "{input:?}");
        assert_eq!(again.canonical(), address.canonical(), "{input:?}");
    }
});
