//! A blocking wrapper for callers without a runtime (the CLI).

use crate::pull::{PullOptions, PullOutcome, PullState};
use crate::push::{PushOptions, PushOutcome};
use crate::query::CollectionAddress;
use crate::resources::{ApiRoot, Collection, Discovery};
use crate::{ClientConfig, TaxiiClient, TaxiiError};
use chainward_stix::StixObject;
use std::future::Future;

/// [`TaxiiClient`] on its own single-threaded tokio runtime.
///
/// The common calls have blocking twins; any other runs through [`BlockingClient::block_on`]:
/// `blocking.block_on(blocking.client().versions(&collection, id, &query))`.
#[derive(Debug)]
pub struct BlockingClient {
    runtime: tokio::runtime::Runtime,
    client: TaxiiClient,
}

impl BlockingClient {
    /// A client with these settings and a runtime of its own.
    ///
    /// # Errors
    /// [`TaxiiError::Runtime`] when the runtime cannot start; as [`TaxiiClient::new`].
    pub fn new(config: ClientConfig) -> Result<Self, TaxiiError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| TaxiiError::Runtime(e.to_string()))?;
        Ok(Self { runtime, client: TaxiiClient::new(config)? })
    }

    /// The async client.
    pub fn client(&self) -> &TaxiiClient {
        &self.client
    }

    /// Runs a future of the async client to completion.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// [`TaxiiClient::discovery`].
    ///
    /// # Errors
    /// As the async call.
    pub fn discovery(&self, url: &str) -> Result<Discovery, TaxiiError> {
        self.block_on(self.client.discovery(url))
    }

    /// [`TaxiiClient::api_root`].
    ///
    /// # Errors
    /// As the async call.
    pub fn api_root(&self, api_root: &str) -> Result<ApiRoot, TaxiiError> {
        self.block_on(self.client.api_root(api_root))
    }

    /// [`TaxiiClient::collections`].
    ///
    /// # Errors
    /// As the async call.
    pub fn collections(&self, api_root: &str) -> Result<Vec<Collection>, TaxiiError> {
        self.block_on(self.client.collections(api_root))
    }

    /// [`TaxiiClient::pull`].
    ///
    /// # Errors
    /// As the async call.
    pub fn pull(
        &self,
        collection: &CollectionAddress,
        state: &PullState,
        options: &PullOptions,
    ) -> Result<PullOutcome, TaxiiError> {
        self.block_on(self.client.pull(collection, state, options))
    }

    /// [`TaxiiClient::push`].
    ///
    /// # Errors
    /// As the async call.
    pub fn push(
        &self,
        collection: &CollectionAddress,
        objects: &[StixObject],
        options: &PushOptions,
    ) -> Result<PushOutcome, TaxiiError> {
        self.block_on(self.client.push(collection, objects, options))
    }
}
