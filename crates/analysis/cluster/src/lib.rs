//! Chainward's address clustering: which addresses one entity controls, and entity ids that
//! stay stable while clusters grow and merge.
//!
//! - [`cluster`] runs the enabled [`Heuristic`]s over a [`TransferGraph`](chainward_graph::TransferGraph):
//!   [`MultiInput`] on every UTXO transaction that is not a CoinJoin ([`coinjoin`]: the
//!   BlockSci/GraphSense rule plus the Wasabi 1, Wasabi 2, Whirlpool and JoinMarket shapes),
//!   the opt-in change heuristics ([`AddressReuseChange`], [`OneTimeChange`],
//!   [`OptimalChange`]) combined by a [`ChangePolicy`], and on account chains
//!   [`ExchangeDeposit`]. The result, a [`Clustering`], names each cluster by its smallest
//!   address id and carries [`ClusterStats`].
//! - [`EntityRegistry`] turns successive clusterings into stable [`EntityId`]s: a cluster keeps
//!   its id as it grows, a merge keeps the larger side's id and records the others as merged
//!   into it, so tags and case notes never detach. It persists to a checksummed file.
//! - [`entity_labels`] and [`entity_categories`] propagate tags from addresses to entities,
//!   each with its own confidence.
//! - Underneath is a [`UnionFind`] linked by minimum id with path halving; for a whole
//!   chain's input sets at once, [`cluster_input_sets`] runs its multi-threaded twin
//!   [`ConcurrentUnionFind`], benchmarked against GraphSense's `graphsense-clustering` by
//!   `scripts/bench-clustering.sh` with identical checksums.
//!
//! Design decision: clustering is a batch pass over the in-memory graph, not an incremental
//! structure updated per block. The union-find over a whole chain's input sets takes minutes
//! at most at Bitcoin scale (the graph is already in memory), so correctness stays simple — a
//! reorg or a change of options is just a re-run — and stability across runs is the
//! registry's job.
//!
//! ```
//! use chainward_cluster::{ClusterOptions, EntityRegistry, cluster};
//! use chainward_graph::{GraphBuilder, NodeId, NodeLabels};
//!
//! let mut builder = GraphBuilder::new();
//! let btc = builder.asset(0, None);
//! let address = |id| NodeId::address(id).unwrap();
//! // Transaction 7 spends from addresses 1 and 2 and pays address 3.
//! let tx = builder.transaction_node(7).unwrap();
//! builder.add_edge(address(1), tx, 60_000.0, 1_700_000_000, btc, 7).unwrap();
//! builder.add_edge(address(2), tx, 50_000.0, 1_700_000_000, btc, 7).unwrap();
//! builder.add_edge(tx, address(3), 100_000.0, 1_700_000_000, btc, 7).unwrap();
//! let graph = builder.finish().unwrap();
//!
//! let clustering = cluster(&graph, &NodeLabels::new(), &ClusterOptions::default());
//! assert!(clustering.same_cluster(address(1), address(2)));
//! assert!(!clustering.same_cluster(address(1), address(3)));
//!
//! let mut registry = EntityRegistry::new();
//! registry.assign(&clustering).unwrap();
//! let entity = registry.entity_of(address(2)).unwrap();
//! assert_eq!(registry.members(entity), &[address(1), address(2)]);
//! assert_eq!(registry.entity_of(address(3)), None); // a singleton: its own implicit entity
//! ```

mod clustering;
pub mod coinjoin;
mod concurrent;
mod error;
mod heuristics;
mod registry;
mod tags;
mod transaction;
mod unionfind;

pub use clustering::{ChangePolicy, ClusterOptions, ClusterStats, Clustering, cluster};
pub use coinjoin::{CoinJoinKind, is_coinjoin};
pub use concurrent::{ConcurrentUnionFind, default_threads};
pub use error::ClusterError;
pub use heuristics::{
    AddressReuseChange, ChangeHeuristic, Context, ExchangeDeposit, Heuristic, HeuristicKind,
    HeuristicSet, Links, MultiInput, OneTimeChange, OptimalChange,
};
pub use registry::{
    AssignOutcome, EntityId, EntityRegistry, MergeRecord, REGISTRY_FORMAT_VERSION, SplitRecord,
};
pub use tags::{EntityLabel, entity_categories, entity_labels};
pub use transaction::{TxPort, UtxoTransaction};
pub use unionfind::{MappingRows, Partition, UnionFind, cluster_input_sets};
