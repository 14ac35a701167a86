//! Integration tests of private lookups: the full flow, what each side can learn, rate
//! limiting, and the wire formats.

mod flow;
mod privacy;
mod rate;
mod robust;
mod wire;

use chainward_primitives::{Address, AddressKey, Chain};
use chainward_private_lookup::{Client, Error, PublishedSet, Server, ServerKey};

/// The seed of the test server's key; tests that need `F(k, ·)` rebuild the key from it.
pub(crate) const SEED: [u8; 32] = [0x42; 32];

/// A distinct EVM address (20 pseudo-random bytes) in its EIP-55 spelling.
pub(crate) fn evm(i: u32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(b"test evm address").chain_update(i.to_le_bytes());
    let bytes: [u8; 20] = digest.finalize()[..20].try_into().unwrap();
    Address::evm(bytes).canonical().to_owned()
}

/// Every key `address` reads as.
pub(crate) fn keys(address: &str) -> Vec<AddressKey> {
    Address::parse_any(address).unwrap().iter().map(Address::key).collect()
}

/// The key of `address` on `chain`.
pub(crate) fn key_on(chain: Chain, address: &str) -> AddressKey {
    Address::parse(chain, address).unwrap().key()
}

/// A server with the test key that published `listed` as version 1, and a client pinned to it.
pub(crate) fn setup(listed: &[&str]) -> (Server, PublishedSet, Client) {
    let mut server = Server::new(ServerKey::from_seed(SEED).unwrap());
    let set = server.publish(listed.iter().flat_map(|a| keys(a)), 1).unwrap();
    let client = Client::new(server.public_key());
    (server, set, client)
}

/// One full lookup: blind, evaluate (through JSON, as over HTTP), finalize.
pub(crate) fn lookup(
    server: &Server,
    client: &Client,
    set: &PublishedSet,
    address: &str,
) -> Result<bool, Error> {
    let (request, state) = client.blind(address)?;
    let request = serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
    let response = server.evaluate(&request)?;
    let response = serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap();
    client.finalize(state, &response, set)
}
