//! Scale-out: monitor workers share the chains' blocks through a NATS JetStream stream.
//!
//! The process that ingests publishes a message per stored block (network, height, hash) to
//! `chainward.blocks.<network id>` on the work-queue stream [`BLOCKS_STREAM`], with the
//! JetStream message id `<network>:<height>:<hash>` so a republished block is dropped by the
//! server. Workers pull from one durable consumer per network shared by all of them, with at
//! most one unacknowledged message: a network's blocks are evaluated in order, by whichever
//! worker is free, and different networks in parallel.
//!
//! A worker acknowledges a block only after its alerts are stored. A worker that dies before
//! that leaves the message unacknowledged; the server hands it to another worker after the
//! acknowledgement wait, which evaluates it again (its engine rebuilds the rules' window from
//! the shared store first). Alerts already stored by the dead worker keep their unique keys,
//! so each block is processed once in effect: none missed, no alert doubled.

use crate::evaluate::{BlockOutcome, EvaluateError, Evaluator, MonitorStore, read_blocks};
use async_nats::jetstream;
use async_nats::jetstream::consumer::pull;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The work-queue stream of stored blocks.
pub const BLOCKS_STREAM: &str = "CHAINWARD_BLOCKS";
/// Subject prefix: `chainward.blocks.<network id>`.
pub const BLOCKS_SUBJECT: &str = "chainward.blocks";
/// The cursor name workers record their evaluations under.
pub const WORKER_MONITOR: &str = "nats-workers";

/// One block to evaluate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockMessage {
    /// The store's network id.
    pub network_id: u32,
    /// Height.
    pub height: u64,
    /// Hash when published (display order, 0x-hex).
    pub hash: String,
}

/// Errors of the block stream.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// NATS could not be reached or refused an operation.
    #[error("NATS {url}: {message}")]
    Nats {
        /// The server.
        url: String,
        /// What failed.
        message: String,
    },
    /// Evaluation failed.
    #[error(transparent)]
    Evaluate(#[from] EvaluateError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] chainward_store_api::StoreError),
}

fn nats_error(url: &str) -> impl Fn(&dyn std::fmt::Display) -> StreamError + '_ {
    move |e| StreamError::Nats { url: url.to_owned(), message: e.to_string() }
}

async fn blocks_stream(
    url: &str,
) -> Result<(jetstream::Context, jetstream::stream::Stream), StreamError> {
    let err = nats_error(url);
    let client =
        async_nats::connect(url).await.map_err(|e| err(&format!("cannot connect: {e}")))?;
    let js = jetstream::new(client);
    let stream = js
        .get_or_create_stream(jetstream::stream::Config {
            name: BLOCKS_STREAM.to_owned(),
            subjects: vec![format!("{BLOCKS_SUBJECT}.>")],
            retention: jetstream::stream::RetentionPolicy::WorkQueue,
            duplicate_window: Duration::from_secs(3600),
            ..Default::default()
        })
        .await
        .map_err(|e| err(&format!("cannot create or open stream {BLOCKS_STREAM}: {e}")))?;
    Ok((js, stream))
}

fn runtime() -> Result<tokio::runtime::Runtime, StreamError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StreamError::Nats { url: String::new(), message: e.to_string() })
}

/// Publishes stored blocks to the stream, each once (positions kept in the store).
pub struct BlockPublisher {
    url: String,
    runtime: tokio::runtime::Runtime,
    js: jetstream::Context,
}

impl std::fmt::Debug for BlockPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockPublisher").field("url", &self.url).finish()
    }
}

impl BlockPublisher {
    /// Connects and creates the stream if needed.
    ///
    /// # Errors
    /// [`StreamError::Nats`].
    pub fn connect(url: &str) -> Result<Self, StreamError> {
        let runtime = runtime()?;
        let (js, _) = runtime.block_on(blocks_stream(url))?;
        Ok(Self { url: url.to_owned(), runtime, js })
    }

    /// Publishes every stored block above each network's publication position; returns how
    /// many were published.
    ///
    /// # Errors
    /// [`StreamError`]; blocks published before it keep their position.
    pub fn publish_new<S: MonitorStore>(&mut self, store: &mut S) -> Result<u64, StreamError> {
        let mut published = 0;
        for (network_id, network) in store.networks()? {
            let Some(tip) = store.tip(network)? else { continue };
            let position_key = format!("nats-blocks:{network_id}");
            // The position is the next height to publish (0: none published yet).
            let mut next = store.sink_position(&position_key)?;
            while next <= tip.height {
                let Some((block, _)) = store.block_with_time(network_id, next)? else {
                    next += 1;
                    continue;
                };
                let message =
                    BlockMessage { network_id, height: block.height, hash: block.hash.to_string() };
                let mut headers = async_nats::HeaderMap::new();
                headers.insert(
                    "Nats-Msg-Id",
                    format!("{network_id}:{}:{}", block.height, message.hash).as_str(),
                );
                let payload = serde_json::to_vec(&message).unwrap_or_default();
                let err = nats_error(&self.url);
                self.runtime.block_on(async {
                    self.js
                        .publish_with_headers(
                            format!("{BLOCKS_SUBJECT}.{network_id}"),
                            headers,
                            payload.into(),
                        )
                        .await
                        .map_err(|e| err(&e))?
                        .await
                        .map_err(|e| err(&e))
                })?;
                next = block.height + 1;
                store.set_sink_position(&position_key, next)?;
                published += 1;
            }
        }
        Ok(published)
    }
}

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// How long the server waits for a worker's acknowledgement before handing the block to
    /// another worker.
    pub ack_wait: Duration,
    /// How long one fetch waits for a block.
    pub fetch_wait: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self { ack_wait: Duration::from_secs(30), fetch_wait: Duration::from_millis(500) }
    }
}

fn consumer_name(network_id: u32) -> String {
    format!("chainward-monitor-{network_id}")
}

/// Takes blocks from the stream and evaluates them until `stop` is set.
///
/// # Errors
/// [`StreamError`]. An evaluation error leaves the block unacknowledged (another worker, or
/// this one after a restart, retries it) and is returned.
pub fn run_worker<S: MonitorStore>(
    evaluator: &mut Evaluator,
    store: &mut S,
    url: &str,
    options: &WorkerOptions,
    stop: &Arc<AtomicBool>,
    on_block: &mut dyn FnMut(&BlockOutcome),
) -> Result<u64, StreamError> {
    let runtime = runtime()?;
    let (_, stream) = runtime.block_on(blocks_stream(url))?;
    let err = nats_error(url);
    let mut consumers: Vec<(u32, jetstream::consumer::PullConsumer)> = Vec::new();
    let mut evaluated = 0;
    while !stop.load(Ordering::Acquire) {
        // Networks appear as chains are ingested.
        for (network_id, _) in store.networks()? {
            if consumers.iter().any(|(n, _)| *n == network_id) {
                continue;
            }
            let name = consumer_name(network_id);
            let consumer = runtime
                .block_on(stream.get_or_create_consumer(
                    &name,
                    pull::Config {
                        durable_name: Some(name.clone()),
                        filter_subject: format!("{BLOCKS_SUBJECT}.{network_id}"),
                        ack_policy: jetstream::consumer::AckPolicy::Explicit,
                        ack_wait: options.ack_wait,
                        max_ack_pending: 1,
                        ..Default::default()
                    },
                ))
                .map_err(|e| err(&format!("consumer {name}: {e}")))?;
            consumers.push((network_id, consumer));
        }
        if consumers.is_empty() {
            std::thread::sleep(options.fetch_wait);
            continue;
        }
        for (_, consumer) in &consumers {
            let messages = runtime.block_on(async {
                let mut batch = consumer
                    .fetch()
                    .max_messages(1)
                    .expires(options.fetch_wait)
                    .messages()
                    .await
                    .map_err(|e| err(&e))?;
                let mut got = Vec::new();
                while let Some(m) = batch.next().await {
                    got.push(m.map_err(|e| err(&e))?);
                }
                Ok::<_, StreamError>(got)
            })?;
            for message in messages {
                let block: BlockMessage = match serde_json::from_slice(&message.payload) {
                    Ok(b) => b,
                    Err(e) => {
                        // Not ours to evaluate; acknowledging drops it so it cannot block the
                        // network's queue forever.
                        tracing::error!(error = %e, subject = %message.subject, "malformed block message dropped");
                        runtime.block_on(message.ack()).map_err(|e| err(&e))?;
                        continue;
                    }
                };
                let rows = read_blocks(store, block.network_id, block.height, Some(block.height))?;
                let Some(rows) = rows.into_iter().next() else {
                    // Unwound by a reorg after publication: nothing to evaluate at this height
                    // until the new chain's block is stored and published.
                    tracing::warn!(
                        network_id = block.network_id,
                        height = block.height,
                        "published block no longer stored; skipped"
                    );
                    runtime.block_on(message.ack()).map_err(|e| err(&e))?;
                    continue;
                };
                let outcome = evaluator.evaluate(store, Some(WORKER_MONITOR), &rows)?;
                on_block(&outcome);
                runtime.block_on(message.double_ack()).map_err(|e| err(&e))?;
                evaluated += 1;
            }
        }
    }
    Ok(evaluated)
}
