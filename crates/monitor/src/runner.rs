//! Following the store: every block stored above a monitor's cursor is evaluated, in height
//! order, and its alerts stored with the cursor in one transaction.
//!
//! A restart reads the cursor and goes on from the block after it, after rebuilding the rules'
//! window from the blocks below (the engine's look-back): no block is skipped and, since alert
//! keys are unique in the store, none is alerted twice. When the block at the cursor left the
//! store's best chain (a reorg), the cursor moves back by `max_reorg_depth` blocks (or to the
//! highest block still on the chain, when found sooner) and the blocks above are evaluated
//! again: findings on the new chain are raised, and those already raised keep their alert.

use crate::evaluate::{BlockOutcome, EvaluateError, Evaluator, MonitorStore, read_blocks};
use chainward_primitives::ledger::BlockRef;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// Where a monitor starts on a network it has no cursor for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// After the stored tip: only blocks stored from now on are evaluated.
    Tip,
    /// At the first stored block: the whole stored history is evaluated.
    Genesis,
    /// At this height.
    Height(u64),
}

/// How a monitor runs.
#[derive(Clone, Debug)]
pub struct MonitorOptions {
    /// The cursor's name (several monitors with different rules keep separate cursors).
    pub name: String,
    /// Where to start on a network without a cursor.
    pub start: Start,
    /// How far back to look for the fork when the cursor's block left the best chain.
    pub max_reorg_depth: u64,
    /// Blocks read from the store at a time.
    pub chunk: u64,
    /// How long to wait for new blocks between looks at the store when not woken.
    pub poll: Duration,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        Self {
            name: "default".to_owned(),
            start: Start::Tip,
            max_reorg_depth: 100,
            chunk: 64,
            poll: Duration::from_millis(250),
        }
    }
}

/// What a pass over the store did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PassSummary {
    /// Blocks evaluated.
    pub blocks: u64,
    /// Value movements evaluated.
    pub flows: u64,
    /// Alerts newly stored.
    pub alerts: u64,
    /// Findings whose alert was already stored.
    pub duplicates: u64,
    /// Cursors moved back after a reorg.
    pub reorgs: u64,
}

/// Evaluates every stored block above the monitor's cursor on every network, once.
///
/// # Errors
/// [`EvaluateError`]; blocks evaluated before it keep their alerts and cursor.
pub fn catch_up<S: MonitorStore>(
    evaluator: &mut Evaluator,
    store: &mut S,
    options: &MonitorOptions,
    on_block: &mut dyn FnMut(&BlockOutcome),
) -> Result<PassSummary, EvaluateError> {
    let mut summary = PassSummary::default();
    for (network_id, network) in store.networks()? {
        let Some(tip) = store.tip(network)? else { continue };
        let next = match store.monitor_cursor(&options.name, network_id)? {
            Some(cursor) => {
                let stored = store.block_with_time(network_id, cursor.height)?.map(|(b, _)| b);
                if stored == Some(cursor) {
                    cursor.height + 1
                } else {
                    summary.reorgs += 1;
                    let back = rewind(store, options, network_id, cursor)?;
                    evaluator.forget(network_id);
                    back.map_or(0, |b| b.height + 1)
                }
            }
            None => match options.start {
                Start::Tip => {
                    store.record_block(Some(&options.name), network_id, tip, &[])?;
                    tracing::info!(network = %network, height = tip.height, "monitor starts after the stored tip");
                    continue;
                }
                Start::Genesis => 0,
                Start::Height(h) => h,
            },
        };
        let mut from = next;
        while from <= tip.height {
            let to = from.saturating_add(options.chunk.max(1) - 1).min(tip.height);
            let blocks = read_blocks(store, network_id, from, Some(to))?;
            for rows in &blocks {
                let outcome = evaluator.evaluate(store, Some(&options.name), rows)?;
                summary.blocks += 1;
                summary.flows += outcome.flows as u64;
                summary.alerts += outcome.recorded.stored.len() as u64;
                summary.duplicates += outcome.recorded.duplicates;
                on_block(&outcome);
            }
            from = to + 1;
        }
    }
    Ok(summary)
}

/// Moves a cursor whose block left the best chain back to a block still on it.
fn rewind<S: MonitorStore>(
    store: &mut S,
    options: &MonitorOptions,
    network_id: u32,
    cursor: BlockRef,
) -> Result<Option<BlockRef>, EvaluateError> {
    let lowest = cursor.height.saturating_sub(options.max_reorg_depth);
    // The store holds only the new chain, so the fork is not known exactly: go back the whole
    // allowed depth (re-evaluating is harmless: alert keys are unique).
    let back = match lowest.checked_sub(1) {
        Some(h) => store.block_with_time(network_id, h)?.map(|(b, _)| b),
        None => None,
    };
    tracing::warn!(
        network_id,
        old_height = cursor.height,
        new_height = back.map(|b| b.height),
        "the monitor's last block left the best chain; evaluating again from below the fork"
    );
    store.rewind_monitor(&options.name, network_id, back)?;
    Ok(back)
}

/// Follows the store until `stop` is set: a pass, then a wait for `wake` (sent by the ingest
/// threads after each stored batch) or `options.poll`. Calls `after_pass` after every pass
/// that evaluated something.
///
/// # Errors
/// [`EvaluateError`] from a pass.
pub fn follow<S: MonitorStore>(
    evaluator: &mut Evaluator,
    store: &mut S,
    options: &MonitorOptions,
    wake: &Receiver<()>,
    stop: &Arc<AtomicBool>,
    on_block: &mut dyn FnMut(&BlockOutcome),
    after_pass: &mut dyn FnMut(&PassSummary),
) -> Result<PassSummary, EvaluateError> {
    let mut total = PassSummary::default();
    loop {
        // Read the flag before the pass: blocks stored before the stop are still evaluated.
        let stopping = stop.load(Ordering::Acquire);
        let pass = catch_up(evaluator, store, options, on_block)?;
        if pass.blocks > 0 || pass.reorgs > 0 {
            after_pass(&pass);
        }
        total.blocks += pass.blocks;
        total.flows += pass.flows;
        total.alerts += pass.alerts;
        total.duplicates += pass.duplicates;
        total.reorgs += pass.reorgs;
        if stopping {
            return Ok(total);
        }
        match wake.recv_timeout(options.poll) {
            Ok(()) => while wake.try_recv().is_ok() {},
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => stop.store(true, Ordering::Release),
        }
    }
}
