//! Fuzzes the STIX 2.1 bundle reader (strict and lenient): any bytes give a bundle or an error,
//! never a panic; whatever is accepted serializes back and reads again to the same objects.

#![no_main]

use chainward_stix::{parse_bundle, parse_bundle_lenient};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let strict = parse_bundle(data);
    let lenient = parse_bundle_lenient(data);
    if let Ok(bundle) = &strict {
        let (again, rejected) = lenient.as_ref().expect("lenient accepts what strict accepts");
        assert!(rejected.is_empty(), "strict accepted objects lenient rejected");
        assert_eq!(again.objects.len(), bundle.objects.len());
        let text = serde_json::to_vec(bundle).expect("an accepted bundle serializes");
        let reread = parse_bundle(&text).expect("a serialized bundle reads again");
        assert_eq!(reread.objects.len(), bundle.objects.len());
    }
});
