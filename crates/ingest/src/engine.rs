//! The ingest loop: resume, detect reorgs, fetch in batches, write each batch atomically.

use crate::source::{BlockSource, SourceError};
use chainward_primitives::ledger::{BlockRef, Network};
use chainward_store_api::{ApplyOutcome, ChainBatch, ChainStore, StoreError};
use serde::Serialize;
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

/// How an ingest runs.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// The first height to ingest when the store holds nothing of the network yet (default: the
    /// source's first block).
    pub from: Option<u64>,
    /// The last height to ingest (inclusive); default: the source's tip.
    pub to: Option<u64>,
    /// Keep polling the source for new blocks instead of stopping at its tip.
    pub follow: bool,
    /// Blocks this deep below the source's tip are ingested; shallower ones wait until they
    /// have that many confirmations (0: ingest up to the tip; reorgs are unwound either way).
    pub confirmations: u64,
    /// Blocks per store transaction.
    pub batch_blocks: u64,
    /// The deepest reorg unwound automatically; a deeper one stops the ingest with an error.
    pub max_reorg_depth: u64,
    /// How long `follow` waits between polls of the source's tip.
    pub poll_interval: Duration,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            from: None,
            to: None,
            follow: false,
            confirmations: 0,
            batch_blocks: 100,
            max_reorg_depth: 100,
            poll_interval: Duration::from_secs(2),
        }
    }
}

/// What happened, for progress displays and logs.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The ingest starts or resumes.
    Started {
        /// The source's name.
        source: String,
        /// The network.
        network: String,
        /// The first height it will ingest.
        next: u64,
        /// The height it aims for (the source's tip minus confirmations, or `--to`).
        target: Option<u64>,
        /// Whether it resumes from stored blocks.
        resumed: bool,
    },
    /// A batch was written.
    Batch {
        /// Heights written.
        first: u64,
        /// Last height written.
        last: u64,
        /// The current target.
        target: u64,
        /// What the store did.
        outcome: ApplyOutcome,
    },
    /// Stored blocks left the source's best chain and were unwound.
    Reorg {
        /// The last block both agree on.
        fork_height: u64,
        /// Blocks removed.
        depth: u64,
        /// The stored tip before the unwind.
        old_tip: BlockRef,
    },
    /// Following: the store is at the target; waiting for new blocks.
    Waiting {
        /// The stored tip.
        height: u64,
    },
}

/// What a whole ingest did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IngestSummary {
    /// The source's name.
    pub source: String,
    /// The network.
    pub network: String,
    /// Batches (transactions) written.
    pub batches: u64,
    /// Reorgs unwound.
    pub reorgs: u64,
    /// Totals over all batches.
    pub totals: ApplyOutcome,
    /// The stored tip at the end.
    pub tip: Option<BlockRef>,
    /// Wall time.
    pub seconds: f64,
}

/// Why an ingest stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The source failed (after its own retries).
    #[error("{source_name}: {what}: {error}")]
    Source {
        /// The source's name.
        source_name: String,
        /// What was being done (`fetching blocks 100..=199`, `reading the tip`).
        what: String,
        /// The source's error.
        error: SourceError,
    },
    /// The store failed; nothing of the failed batch was written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A reorg deeper than allowed.
    #[error(
        "{network}: the source's chain differs from the stored one below height {deepest} \
         (more than {max} blocks deep, stored tip {tip}); refusing to unwind that far. Raise \
         --max-reorg-depth if this is expected, or check that the source is the same network"
    )]
    ReorgTooDeep {
        /// The network.
        network: String,
        /// The lowest height compared.
        deepest: u64,
        /// The limit.
        max: u64,
        /// The stored tip.
        tip: u64,
    },
    /// The request makes no sense against what is stored.
    #[error("{0}")]
    Invalid(String),
    /// The source kept contradicting itself (its blocks do not link even after re-reading).
    #[error(
        "{network}: the source's blocks at heights {range:?} do not link after {attempts} attempts: {detail}"
    )]
    Unstable {
        /// The network.
        network: String,
        /// The heights.
        range: RangeInclusive<u64>,
        /// Attempts made.
        attempts: u32,
        /// The store's last objection.
        detail: String,
    },
}

fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| String::new(), |t| t.to_string())
}

/// Ingests from `source` into `store` until the target (or forever with `follow`).
///
/// Every batch is one store transaction that also moves the source's checkpoint, so the
/// process may be killed at any moment: the next run resumes after the last stored block and
/// ends with the same store an uninterrupted run would have written.
///
/// # Errors
/// [`IngestError`]: the source failing after its retries, the store failing, or a reorg deeper
/// than `max_reorg_depth`. Batches written before the error stay.
pub fn ingest(
    store: &mut dyn ChainStore,
    source: &mut dyn BlockSource,
    options: &IngestOptions,
    observe: &mut dyn FnMut(&Event),
) -> Result<IngestSummary, IngestError> {
    let started = Instant::now();
    let network = source.network();
    let name = source.name();
    let source_error = |what: String| {
        let name = name.clone();
        move |error| IngestError::Source { source_name: name, what, error }
    };
    let mut summary =
        IngestSummary { source: name.clone(), network: network.to_string(), ..Default::default() };
    let batch_blocks = options.batch_blocks.max(1);

    let stored_tip = store.tip(network)?;
    let mut next = match (stored_tip, options.from) {
        (Some(tip), Some(from)) if from > tip.height + 1 => {
            return Err(IngestError::Invalid(format!(
                "{network}: the store holds blocks up to {}; starting at {from} would leave a \
                 gap. Start at {} or below, or use another data directory",
                tip.height,
                tip.height + 1
            )));
        }
        (Some(tip), _) => tip.height + 1,
        (None, Some(from)) => from,
        (None, None) => source.first_height(),
    };
    let mut first_round = true;
    let mut link_failures = 0u32;
    loop {
        let source_tip = source.tip().map_err(source_error("reading the tip".into()))?;
        let target = source_tip
            .map(|tip| tip.saturating_sub(options.confirmations))
            .filter(|_| source_tip.is_some_and(|tip| tip >= options.confirmations))
            .map(|target| options.to.map_or(target, |to| target.min(to)));
        if first_round {
            observe(&Event::Started {
                source: name.clone(),
                network: network.to_string(),
                next,
                target,
                resumed: stored_tip.is_some(),
            });
            first_round = false;
        }

        // Reorg check: does the stored tip still lie on the source's chain?
        let mut unwind_from = None;
        if let Some(tip) = store.tip(network)? {
            match first_divergent(store, source, network, tip, options, &source_error)? {
                Some(divergent) => {
                    observe(&Event::Reorg {
                        fork_height: divergent.saturating_sub(1),
                        depth: tip.height + 1 - divergent,
                        old_tip: tip,
                    });
                    summary.reorgs += 1;
                    unwind_from = Some(divergent);
                    next = divergent;
                }
                None => next = tip.height + 1,
            }
        }

        let end = target.map(|t| t.min(next.saturating_add(batch_blocks - 1)));
        let range = match end {
            Some(end) if end >= next => Some(next..=end),
            _ => None,
        };
        if range.is_none() && unwind_from.is_none() {
            if options.follow && options.to.is_none_or(|to| next <= to) {
                observe(&Event::Waiting { height: next.saturating_sub(1) });
                std::thread::sleep(options.poll_interval);
                continue;
            }
            break;
        }
        let blocks = match &range {
            Some(range) => source
                .fetch(range.clone())
                .map_err(source_error(format!("fetching blocks {range:?}")))?,
            None => Vec::new(),
        };
        let written_at = now_rfc3339();
        let batch = ChainBatch {
            source: &name,
            network,
            unwind_from,
            blocks: &blocks,
            written_at: &written_at,
        };
        match store.apply(&batch) {
            Ok(outcome) => {
                link_failures = 0;
                summary.batches += 1;
                add(&mut summary.totals, &outcome);
                if let Some(range) = &range {
                    observe(&Event::Batch {
                        first: *range.start(),
                        last: *range.end(),
                        target: target.unwrap_or(*range.end()),
                        outcome,
                    });
                    next = range.end() + 1;
                }
            }
            // The source's chain moved between the hash check and the fetch: check again.
            Err(StoreError::Rejected(detail)) if range.is_some() => {
                link_failures += 1;
                if link_failures >= 5 {
                    return Err(IngestError::Unstable {
                        network: network.to_string(),
                        range: range.unwrap_or(next..=next),
                        attempts: link_failures,
                        detail,
                    });
                }
                tracing::warn!(%network, %detail, "blocks did not link; re-checking the source's chain");
            }
            Err(e) => return Err(e.into()),
        }
    }
    summary.tip = store.tip(network)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The lowest stored height whose block left the source's chain, walking down from `tip` at
/// most `max_reorg_depth` blocks; `None` when the stored tip is still on it.
fn first_divergent<E>(
    store: &dyn ChainStore,
    source: &mut dyn BlockSource,
    network: Network,
    tip: BlockRef,
    options: &IngestOptions,
    source_error: &impl Fn(String) -> E,
) -> Result<Option<u64>, IngestError>
where
    E: FnOnce(SourceError) -> IngestError,
{
    let mut height = tip.height;
    let mut stored = tip.hash;
    loop {
        // Below its first block a source (an export of a later range) cannot disagree: the
        // store's parent-hash check links its first block to what is stored.
        if height < source.first_height() {
            return Ok((height != tip.height).then_some(height + 1));
        }
        let theirs = source
            .hash_at(height)
            .map_err(source_error(format!("reading the hash of block {height}")))?;
        if theirs == Some(stored) {
            return Ok((height != tip.height).then_some(height + 1));
        }
        if tip.height - height >= options.max_reorg_depth {
            return Err(IngestError::ReorgTooDeep {
                network: network.to_string(),
                deepest: height,
                max: options.max_reorg_depth,
                tip: tip.height,
            });
        }
        let below = match height.checked_sub(1) {
            Some(below) => store.block_at(network, below)?,
            None => None,
        };
        match below {
            Some(block) => {
                height = block.height;
                stored = block.hash;
            }
            // Nothing stored agrees with the source: every stored block is replaced.
            None => return Ok(Some(height)),
        }
    }
}

fn add(total: &mut ApplyOutcome, batch: &ApplyOutcome) {
    total.unwound_blocks += batch.unwound_blocks;
    total.blocks += batch.blocks;
    total.transactions += batch.transactions;
    total.transfers += batch.transfers;
    total.outputs += batch.outputs;
    total.inputs += batch.inputs;
    total.inputs_resolved += batch.inputs_resolved;
    total.new_addresses += batch.new_addresses;
}
