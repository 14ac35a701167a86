//! The TAXII 2.1 client of Chainward and the sync logic between a TAXII collection and the
//! watchlist.
//!
//! - [`TaxiiClient`]: one async method per TAXII endpoint (discovery, API root, collections,
//!   objects, object, DELETE, versions, manifest, status, POST objects with status polling),
//!   Basic or Bearer auth, `application/taxii+json;version=2.1` both ways, retries with
//!   backoff on 429, 5xx and connection errors, a request timeout, bounded answers, and
//!   errors ([`TaxiiError::Http`]) that carry the server's TAXII `error` resource.
//!   [`BlockingClient`] wraps it for callers without a runtime.
//! - [`TaxiiClient::pull`]: every object added since the previous pull, exactly once, through
//!   `next` pages; [`PullState`] is the cursor the caller stores (the last `date_added` plus
//!   the objects read at exactly that date, because equal dates are common and `added_after`
//!   is exclusive). Servers that answer `more` without `next`, forget their `next`, or omit
//!   the date headers are handled by fallbacks, each reported in [`PullOutcome::fallbacks`].
//! - [`TaxiiClient::push`]: objects in envelopes bounded by the API root's
//!   `max_content_length`, one [`PushResult`] per object.
//! - [`plan_sync`] / [`plan_apply`] / [`sighting_for_hit`] (no I/O): what to publish from the
//!   watchlist (de-listings as revoked indicators), how pulled indicators change it (the newest
//!   `modified` wins; revoked or expired → de-listed), and the sighting that reports a hit.
//!
//! TAXII-CLIENT.md in this crate describes the pull-state design and each fallback.
//!
//! ```no_run
//! use chainward_taxii_client::{
//!     Auth, BlockingClient, ClientConfig, CollectionAddress, PullOptions, PullState,
//! };
//!
//! let config = ClientConfig::with_auth(Auth::Basic { user: "admin".into(), password: "secret".into() });
//! let client = BlockingClient::new(config)?;
//! let collection = CollectionAddress::new("https://taxii.example/aml1/", "9f2b6a8e-3c1d-4e5f-8a7b-1c2d3e4f5a6b")?;
//! let outcome = client.pull(&collection, &PullState::default(), &PullOptions::default())?;
//! println!("{} new objects; store {:?} for next time", outcome.objects.len(), outcome.new_state);
//! # Ok::<(), chainward_taxii_client::TaxiiError>(())
//! ```

mod blocking;
mod client;
mod error;
mod pull;
mod push;
mod query;
pub mod resources;
mod sync;

pub use blocking::BlockingClient;
pub use client::{Auth, ClientConfig, RetryPolicy, StatusPolicy, TaxiiClient, build_http_client};
pub use error::TaxiiError;
pub use pull::{ObjectVersion, PullFallback, PullOptions, PullOutcome, PullState, RejectedObject};
pub use push::{PushOptions, PushOutcome, PushResult};
pub use query::{CollectionAddress, ObjectQuery, api_root_url};
pub use resources::TAXII_MEDIA_TYPE;
pub use sync::{
    Applied, ApplyOptions, ApplyPlan, EntryIdentity, Hit, Published, SyncOptions, SyncPlan,
    SyncState, indicator_id, plan_apply, plan_sync, sighting_for_hit,
};

use crate::pull::PageSource;
use crate::resources::{Envelope, Manifest, Page};

/// A collection of a server, as a pull reads it.
struct Remote<'a> {
    client: &'a TaxiiClient,
    collection: &'a CollectionAddress,
}

impl PageSource for Remote<'_> {
    async fn objects(&self, query: &ObjectQuery) -> Result<Page<Envelope>, TaxiiError> {
        self.client.objects(self.collection, query).await
    }

    async fn manifest(&self, query: &ObjectQuery) -> Result<Page<Manifest>, TaxiiError> {
        self.client.manifest(self.collection, query).await
    }
}

impl TaxiiClient {
    /// Reads every object added to `collection` since `state` (all of them for the default
    /// state), following `next`; objects `chainward-stix` refuses are reported in
    /// [`PullOutcome::rejected`], not fatal. Store [`PullOutcome::new_state`] once the objects
    /// are applied.
    ///
    /// # Errors
    /// Any [`TaxiiError`] of a request (after retries), or [`TaxiiError::TooManyPages`].
    pub async fn pull(
        &self,
        collection: &CollectionAddress,
        state: &PullState,
        options: &PullOptions,
    ) -> Result<PullOutcome, TaxiiError> {
        pull::pull_from(&Remote { client: self, collection }, state, options).await
    }
}
