//! Private watchlist lookups between agencies.
//!
//! A partner agency checks whether an address is on our watchlist **without learning the list
//! and without showing us the address**. The protocol is an oblivious pseudorandom function in
//! verifiable mode (VOPRF, RFC 9497, ristretto255-SHA512, through the `voprf` crate, which only
//! the private `suite` module names):
//!
//! 1. **Publish.** The [`Server`] holds a [`ServerKey`] `k` and publishes its [`PublicKey`]
//!    and a [`PublishedSet`]: `F(k, x)` truncated to 16 bytes for every listed address `x`,
//!    sorted, versioned and bound to the key. Without `k` the set is a list of random strings.
//! 2. **Blind.** The partner's [`Client::blind`] normalizes the address (every chain it is
//!    valid on, spelling-independent [`chainward_primitives::AddressKey`], a domain-separation
//!    prefix naming the chain) and blinds each reading into a [`BlindedRequest`] of
//!    [`SLOTS_PER_LOOKUP`] random-looking group elements (padded with dummies).
//! 3. **Evaluate.** [`Server::evaluate`] multiplies each element by `k` and proves (DLEQ) that
//!    it used the key behind the published public key: an [`EvaluatedResponse`]. The server
//!    sees only uniformly random elements. The HTTP endpoint charges the partner's
//!    [`RateLimiter`] bucket first: each evaluation is one address tested.
//! 4. **Finalize.** [`Client::finalize`] verifies the proof, unblinds to `F(k, x)` and tests
//!    membership in the downloaded set locally. The partner learns `F` for its own address
//!    only, hence only whether that address is listed.
//!
//! Key rotation: every message names its key ([`KeyId`]); the server answers old keys until it
//! retires them. De-listing: responses carry the newest set version, and a partner whose copy
//! is older gets [`Error::StaleSet`] and must download the set again.
//!
//! The design, the alternatives weighed and the threat model are in `PRIVATE-LOOKUP.md` beside
//! this crate's manifest.
//!
//! ```
//! use chainward_primitives::Address;
//! use chainward_private_lookup::{Client, Server, ServerKey};
//!
//! # fn main() -> Result<(), chainward_private_lookup::Error> {
//! // Server: key and watchlist.
//! let mut server = Server::new(ServerKey::from_seed([7; 32])?);
//! let listed = Address::parse_any("0x8589427373D6D84E98730D7795D8f6f8731FDA16")?;
//! let set = server.publish(listed.iter().map(Address::key), 1)?;
//!
//! // Partner: pins the public key, downloads the set, looks an address up.
//! let client = Client::new(server.public_key());
//! let (request, state) = client.blind("0x8589427373d6d84e98730d7795d8f6f8731fda16")?;
//! let response = server.evaluate(&request)?; // over HTTP, as JSON
//! assert!(client.finalize(state, &response, &set)?);
//! # Ok(())
//! # }
//! ```

mod b64;
mod client;
mod error;
mod input;
mod key;
mod message;
mod rate;
mod server;
mod set;
mod suite;

pub use client::{Client, ClientState};
pub use error::Error;
pub use key::{KeyId, PublicKey, ServerKey};
pub use message::{BlindedRequest, EvaluatedResponse};
pub use rate::{Clock, ManualClock, MonotonicClock, RateLimit, RateLimited, RateLimiter};
pub use server::Server;
pub use set::{DEFAULT_TAG_LEN, MAX_TAG_LEN, MIN_TAG_LEN, PublishedSet};

/// The version of the JSON messages ([`BlindedRequest`], [`EvaluatedResponse`]).
pub const PROTOCOL_VERSION: u32 = 1;

/// Elements in one address lookup: the readings of the address (a legacy `3…` address is a
/// Bitcoin, Litecoin, Bitcoin Cash and Bitcoin SV address at once) padded with dummies, so
/// every lookup looks alike to the server.
pub const SLOTS_PER_LOOKUP: usize = 4;

/// The most elements the server evaluates in one request.
pub const MAX_BATCH_ELEMENTS: usize = 64;
