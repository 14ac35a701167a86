//! Quick benchmark of a private lookup (blind + evaluate + finalize) beside the plain lookup it
//! replaces: SHA-256 of the address key tested against a hash set of the list.
//!
//! ```sh
//! cargo run --release -p chainward-private-lookup --example oprf_bench -- [LIST_SIZE] [LOOKUPS]
//! ```
//!
//! Both paths parse the address string (`Address::parse_any`), so the ratio is the cost of the
//! privacy, not of parsing. The OPRF path is timed in its three steps; the JSON encoding the
//! HTTP endpoint adds is timed apart, and the network round trip is not included.

use chainward_primitives::{Address, AddressKey};
use chainward_private_lookup::{Client, EvaluatedResponse, Server, ServerKey};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn address(i: u64) -> String {
    let digest = Sha256::new().chain_update(b"bench address").chain_update(i.to_le_bytes());
    let bytes: [u8; 20] = digest.finalize()[..20].try_into().expect("20 of 32 bytes");
    Address::evm(bytes).canonical().to_owned()
}

fn keys(address: &str) -> Vec<AddressKey> {
    Address::parse_any(address).expect("a valid address").iter().map(Address::key).collect()
}

fn per(total: Duration, count: usize) -> f64 {
    total.as_secs_f64() * 1e6 / count as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let list_size: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20_000);
    let lookups: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);

    // Half the lookups are listed addresses, half are not.
    let queries: Vec<String> = (0..lookups as u64)
        .map(|i| if i % 2 == 0 { address(i % list_size) } else { address(list_size + i) })
        .collect();

    // Server: key and published set.
    let mut server = Server::new(ServerKey::from_seed([1; 32])?);
    let started = Instant::now();
    let set = server.publish((0..list_size).flat_map(|i| keys(&address(i))), 1)?;
    let publish = started.elapsed();
    let set_bytes = set.to_bytes().len();
    let client = Client::new(server.public_key());

    // Anchor: SHA-256 of the address key in a hash set.
    let plain: HashSet<[u8; 32]> = (0..list_size)
        .flat_map(|i| keys(&address(i)))
        .map(|key| Sha256::digest(key.as_bytes()).into())
        .collect();
    let started = Instant::now();
    let mut plain_hits = 0;
    for query in &queries {
        let hit = keys(query)
            .iter()
            .any(|key| plain.contains(&<[u8; 32]>::from(Sha256::digest(key.as_bytes()))));
        plain_hits += usize::from(black_box(hit));
    }
    let anchor = started.elapsed();

    // Private lookups, step by step.
    let (mut blind, mut evaluate, mut finalize, mut json) = Default::default();
    let (mut oprf_hits, mut request_bytes, mut response_bytes) = (0, 0, 0);
    for query in &queries {
        let started = Instant::now();
        let (request, state) = client.blind(query)?;
        blind += started.elapsed();

        let started = Instant::now();
        let request_json = serde_json::to_string(&request)?;
        let request = serde_json::from_str(&request_json)?;
        json += started.elapsed();

        let started = Instant::now();
        let response = server.evaluate(&request)?;
        evaluate += started.elapsed();

        let started = Instant::now();
        let response_json = serde_json::to_string(&response)?;
        let response: EvaluatedResponse = serde_json::from_str(&response_json)?;
        json += started.elapsed();
        (request_bytes, response_bytes) = (request_json.len(), response_json.len());

        let started = Instant::now();
        oprf_hits += usize::from(client.finalize(state, &response, &set)?);
        finalize += started.elapsed();
    }
    assert_eq!(oprf_hits, plain_hits, "both lookups agree");
    assert_eq!(oprf_hits, lookups.div_ceil(2), "every listed query is found");

    let private = blind + evaluate + finalize;
    println!(
        "private lookup benchmark: {list_size} listed addresses, {lookups} lookups (half listed)"
    );
    println!(
        "  publish set          {:>10.1} µs/entry   ({:.2} s total)",
        per(publish, list_size as usize),
        publish.as_secs_f64()
    );
    println!(
        "  set size             {:>10} bytes ({:.1} bytes/entry, tag {} bytes)",
        set_bytes,
        set_bytes as f64 / list_size as f64,
        set.tag_len()
    );
    println!("  request / response   {request_bytes:>10} / {response_bytes} bytes of JSON");
    println!("  blind (partner)      {:>10.1} µs/lookup", per(blind, lookups));
    println!("  evaluate (server)    {:>10.1} µs/lookup", per(evaluate, lookups));
    println!("  finalize (partner)   {:>10.1} µs/lookup", per(finalize, lookups));
    println!("  JSON both ways       {:>10.1} µs/lookup (not in the total)", per(json, lookups));
    println!("  private total        {:>10.1} µs/lookup", per(private, lookups));
    println!("  anchor: SHA-256 set  {:>10.3} µs/lookup", per(anchor, lookups));
    println!("  ratio private/anchor {:>10.0}x", private.as_secs_f64() / anchor.as_secs_f64());
    println!(
        "  server capacity      {:>10.0} lookups/s per core (evaluate only)",
        lookups as f64 / evaluate.as_secs_f64()
    );
    Ok(())
}
