//! Building and updating the graph from the store, through [`GraphSource`].

use crate::{
    Asset, BlockEdge, BlockEdges, BlockEnd, GraphBuilder, GraphError, LabelInfo, NodeId,
    NodeLabels, TransferGraph, Watermark,
};
use chainward_store_api::{GraphBlockRows, GraphEnd, GraphSource, StoreError};

/// Progress of a build or update, for a progress bar.
pub trait Progress {
    /// A block was read: its network, height and edge count.
    fn block(&mut self, network: u32, height: u64, edges: usize);
}

impl Progress for () {
    fn block(&mut self, _: u32, _: u64, _: usize) {}
}

fn u32_id(what: &'static str, id: u64) -> Result<u32, StoreError> {
    u32::try_from(id).map_err(|_| {
        StoreError::Rejected(format!("{what} {id} does not fit the analytics graph (limit 2^32)"))
    })
}

/// Converts the store's rows of one block into graph edges.
///
/// # Errors
/// [`StoreError::Rejected`] for ids beyond the graph's limits.
pub fn block_edges(rows: &GraphBlockRows) -> Result<BlockEdges, StoreError> {
    let time = u32::try_from(rows.time).unwrap_or(u32::MAX);
    let end = |e: GraphEnd| -> Result<BlockEnd, StoreError> {
        Ok(match e {
            GraphEnd::Address(id) => BlockEnd::Address(id),
            GraphEnd::Transaction(id) => BlockEnd::Transaction(u32_id("transaction id", id)?),
        })
    };
    let mut edges = Vec::with_capacity(rows.edges.len());
    for r in &rows.edges {
        edges.push(BlockEdge {
            from: end(r.from)?,
            to: end(r.to)?,
            amount: f64::from(r.amount),
            time,
            asset: Asset { network: rows.network_id, token: r.token },
            tx: u32_id("transaction id", r.tx_id)?,
        });
    }
    Ok(BlockEdges { network: rows.network_id, height: rows.height, hash: rows.hash.0, edges })
}

/// Builds the graph of everything stored.
///
/// # Errors
/// Store errors; [`GraphError::TooLarge`].
pub fn build(
    store: &dyn GraphSource,
    progress: &mut dyn Progress,
) -> Result<TransferGraph, GraphError> {
    let mut builder = GraphBuilder::new();
    for (network_id, _) in store.networks()? {
        scan_blocks(store, network_id, 0, progress, &mut |block| builder.add_block(block))?;
    }
    builder.finish()
}

/// Calls `f` with every stored block of a network from `from` up, as graph edges; the first
/// error, the store's or `f`'s, stops the scan and is returned.
fn scan_blocks(
    store: &dyn GraphSource,
    network_id: u32,
    from: u64,
    progress: &mut dyn Progress,
    f: &mut dyn FnMut(&BlockEdges) -> Result<(), GraphError>,
) -> Result<(), GraphError> {
    let mut failure = None;
    store
        .for_each_graph_block(network_id, from..=u64::MAX, &mut |rows| {
            let block = block_edges(&rows)?;
            progress.block(network_id, rows.height, block.edges.len());
            f(&block).map_err(|e| {
                failure = Some(e);
                StoreError::Rejected("stopped".into())
            })
        })
        .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
    failure.map_or(Ok(()), Err)
}

/// What an update did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpdateOutcome {
    /// Blocks appended.
    pub blocks: u64,
    /// Edges appended.
    pub edges: u64,
    /// Blocks removed because the store no longer has them (a reorg).
    pub unwound_blocks: u64,
    /// Whether the whole graph had to be rebuilt (a reorg below its base arrays).
    pub rebuilt: bool,
}

/// Brings the graph up to the store: for each network, checks that the block at the graph's
/// watermark is still stored with the same hash (else unwinds the overlay to the fork, or
/// rebuilds when the fork is below the base arrays), then appends the blocks above it.
///
/// # Errors
/// Store errors; [`GraphError`]s.
pub fn update(
    graph: &mut TransferGraph,
    store: &(impl GraphSource + chainward_store_api::ChainStore),
    progress: &mut dyn Progress,
) -> Result<UpdateOutcome, GraphError> {
    let mut outcome = UpdateOutcome::default();
    for (network_id, network) in store.networks()? {
        // The base arrays cannot be unwound: if the block they end at left the store's best
        // chain, everything is rebuilt.
        if let Some(base) = graph.base_watermark(network_id)
            && store.hash_at(network, base.height)?.map(|h| h.0) != Some(base.hash)
        {
            *graph = build(store, progress)?;
            outcome.rebuilt = true;
            return Ok(outcome);
        }
        // Overlay blocks form a chain: the lowest one the store no longer has (same height,
        // same hash) and all above it leave.
        let overlay = graph.overlay_block_hashes(network_id);
        let mut stale = None;
        for &(height, hash) in &overlay {
            if store.hash_at(network, height)?.map(|h| h.0) != Some(hash) {
                stale = Some(height);
                break;
            }
        }
        if let Some(fork_height) = stale {
            let new_tip = match fork_height.checked_sub(1) {
                Some(h) => store.block_at(network, h)?.map(|b| Watermark {
                    network: network_id,
                    height: b.height,
                    hash: b.hash.0,
                }),
                None => None,
            };
            let before = overlay.len();
            graph.unwind(network_id, fork_height, new_tip)?;
            outcome.unwound_blocks += (before - graph.overlay_blocks(network_id)) as u64;
        }
        let from =
            graph.watermarks().iter().find(|m| m.network == network_id).map_or(0, |m| m.height + 1);
        scan_blocks(store, network_id, from, progress, &mut |block| {
            outcome.blocks += 1;
            outcome.edges += block.edges.len() as u64;
            graph.append_block(block)
        })?;
    }
    Ok(outcome)
}

/// The labels of every stored address that an active list entry names.
///
/// # Errors
/// Store errors.
pub fn labels(store: &dyn GraphSource) -> Result<NodeLabels, GraphError> {
    let mut labels = NodeLabels::new();
    add_labels(store, &mut labels, 0)?;
    Ok(labels)
}

/// Adds the labels of stored addresses with an id of at least `first_address_id` (addresses
/// stored since the labels were last read: their ids only grow).
///
/// # Errors
/// Store errors; [`GraphError`] for an id beyond the graph's limits.
pub fn add_labels(
    store: &dyn GraphSource,
    labels: &mut NodeLabels,
    first_address_id: u64,
) -> Result<(), GraphError> {
    let mut failure = None;
    store.labelled_addresses_from(first_address_id, &mut |row| match NodeId::address(
        row.address_id,
    ) {
        Ok(node) => labels.add(
            node,
            LabelInfo {
                category: row.category,
                entity: row.entity,
                confidence: row.confidence,
                source: row.source,
            },
        ),
        Err(e) => {
            failure.get_or_insert(e);
        }
    })?;
    failure.map_or(Ok(()), Err)
}
