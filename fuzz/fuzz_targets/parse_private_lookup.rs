//! Fuzzes what a private-lookup server reads from partners (a blinded request) and what a
//! partner reads from the server (a published set): never a panic, and a request that parses is
//! evaluated or refused with an error.

#![no_main]

use chainward_private_lookup::{BlindedRequest, PublishedSet, Server, ServerKey};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| Server::new(ServerKey::from_seed([7; 32]).expect("a fixed seed is a key")))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = serde_json::from_slice::<BlindedRequest>(data) {
        let _ = server().evaluate(&request);
    }
    let _ = PublishedSet::from_bytes(data);
});
