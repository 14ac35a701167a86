//! The clustering heuristics, one type each behind [`Heuristic`].
//!
//! A heuristic states that some addresses are controlled by one entity and says so through
//! [`Links::link`]. UTXO heuristics look at one transaction at a time (never a CoinJoin: the
//! driver in [`crate::cluster`] skips those before any heuristic sees them); account-chain
//! heuristics look at the whole graph once.
//!
//! | heuristic | default | rule |
//! | --- | --- | --- |
//! | [`MultiInput`] | on | all inputs of a transaction are one entity |
//! | [`AddressReuseChange`] | off | an output paying back to an input address is change |
//! | [`OneTimeChange`] | off | in a 2-output transaction, the only output address never seen before is change |
//! | [`OptimalChange`] | off | the only output smaller than every input is change |
//! | [`ExchangeDeposit`] | on | an account forwarding only to one exchange is that exchange's deposit address |
//!
//! A change output joins the entity of the transaction's first input, as in BlockSci's
//! clustering (`cluster_manager.cpp`): with [`MultiInput`] on, that is every input's entity.

use crate::{TxPort, UnionFind, UtxoTransaction};
use chainward_graph::{NodeId, NodeLabels, TransferGraph};
use chainward_primitives::Category;
use serde::Serialize;

/// Which heuristic: the key of [`crate::ClusterOptions`] and of the merge statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeuristicKind {
    /// [`MultiInput`].
    MultiInput,
    /// [`AddressReuseChange`].
    AddressReuseChange,
    /// [`OneTimeChange`].
    OneTimeChange,
    /// [`OptimalChange`].
    OptimalChange,
    /// [`ExchangeDeposit`].
    ExchangeDeposit,
}

impl HeuristicKind {
    /// Every heuristic. The change heuristics are listed strongest evidence first, the order
    /// [`crate::ChangePolicy::FirstMatch`] asks them in.
    pub const ALL: [Self; 5] = [
        Self::MultiInput,
        Self::AddressReuseChange,
        Self::OneTimeChange,
        Self::OptimalChange,
        Self::ExchangeDeposit,
    ];

    /// The persisted name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MultiInput => "multi_input",
            Self::AddressReuseChange => "address_reuse_change",
            Self::OneTimeChange => "one_time_change",
            Self::OptimalChange => "optimal_change",
            Self::ExchangeDeposit => "exchange_deposit",
        }
    }

    /// Whether this is a change heuristic.
    pub const fn is_change(self) -> bool {
        matches!(self, Self::AddressReuseChange | Self::OneTimeChange | Self::OptimalChange)
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

/// A set of heuristics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HeuristicSet(u8);

impl HeuristicSet {
    /// No heuristic.
    pub const EMPTY: Self = Self(0);

    /// A set of the given heuristics.
    pub const fn of(kinds: &[HeuristicKind]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < kinds.len() {
            bits |= 1 << kinds[i] as u8;
            i += 1;
        }
        Self(bits)
    }

    /// This set and `kind`.
    #[must_use]
    pub const fn with(self, kind: HeuristicKind) -> Self {
        Self(self.0 | 1 << kind as u8)
    }

    /// This set without `kind`.
    #[must_use]
    pub const fn without(self, kind: HeuristicKind) -> Self {
        Self(self.0 & !(1 << kind as u8))
    }

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: HeuristicKind) -> bool {
        self.0 & (1 << kind as u8) != 0
    }

    /// The heuristics in the set, in [`HeuristicKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = HeuristicKind> {
        HeuristicKind::ALL.into_iter().filter(move |&k| self.contains(k))
    }
}

impl Serialize for HeuristicSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(HeuristicKind::as_str))
    }
}

/// What a heuristic may read.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The transfer graph.
    pub graph: &'a TransferGraph,
    /// What lists say about its nodes.
    pub labels: &'a NodeLabels,
}

/// Where a heuristic records that two addresses are one entity, counting the merges it made.
#[derive(Debug)]
pub struct Links<'a> {
    union_find: &'a mut UnionFind,
    merges: &'a mut u64,
}

impl<'a> Links<'a> {
    /// Links recorded into `union_find`, with every union that joined two clusters counted
    /// in `merges`.
    pub fn new(union_find: &'a mut UnionFind, merges: &'a mut u64) -> Self {
        Self { union_find, merges }
    }

    /// Records that `a` and `b` are one entity. Returns whether that joined two clusters.
    /// Transaction nodes are not entities: a link naming one is ignored.
    pub fn link(&mut self, a: NodeId, b: NodeId) -> bool {
        if a.is_transaction() || b.is_transaction() {
            return false;
        }
        let needed = a.0.max(b.0) as usize + 1;
        if needed > self.union_find.len() {
            self.union_find.grow(needed);
        }
        let joined = self.union_find.union(a.0, b.0);
        *self.merges += u64::from(joined);
        joined
    }
}

/// A clustering heuristic. Each says which addresses it takes to be one entity; the driver
/// ([`crate::cluster`]) runs the enabled ones and keeps statistics per heuristic.
pub trait Heuristic {
    /// Which heuristic this is.
    fn kind(&self) -> HeuristicKind;

    /// Links addresses of one UTXO transaction that is not a CoinJoin and has inputs.
    fn link_transaction(&self, ctx: &Context<'_>, tx: &UtxoTransaction, links: &mut Links<'_>) {
        let _ = (ctx, tx, links);
    }

    /// Links addresses across the whole graph, once per clustering (account-chain heuristics).
    fn link_graph(&self, ctx: &Context<'_>, links: &mut Links<'_>) {
        let _ = (ctx, links);
    }
}

/// A change heuristic: picks the output of a transaction that returns to its spender.
pub trait ChangeHeuristic: Heuristic {
    /// The index in `tx.outputs` of the change, if the heuristic identifies one.
    fn change_output(&self, ctx: &Context<'_>, tx: &UtxoTransaction) -> Option<usize>;
}

/// Joins a change output to the entity of the first input.
pub(crate) fn link_change(tx: &UtxoTransaction, change: usize, links: &mut Links<'_>) {
    if let (Some(first), Some(output)) = (tx.inputs.first(), tx.outputs.get(change)) {
        links.link(first.address, output.address);
    }
}

/// **Multi-input** (common-input-ownership): every input of a transaction is spent by one
/// entity, since spending needs each input's key. Nakamoto's white paper (2008, §10) notes it;
/// Meiklejohn et al., "A Fistful of Bitcoins" (IMC 2013), cluster with it; GraphSense clusters
/// with it alone. CoinJoins break it on purpose, which is why the driver skips them first.
#[derive(Clone, Copy, Debug, Default)]
pub struct MultiInput;

impl Heuristic for MultiInput {
    fn kind(&self) -> HeuristicKind {
        HeuristicKind::MultiInput
    }

    fn link_transaction(&self, _ctx: &Context<'_>, tx: &UtxoTransaction, links: &mut Links<'_>) {
        if let Some((first, rest)) = tx.inputs.split_first() {
            for input in rest {
                links.link(first.address, input.address);
            }
        }
    }
}

/// **Address-reuse change**: an output paying back to one of the transaction's input
/// addresses is change (BlockSci `address_reuse`; GraphSense's "direct change", confidence
/// 100). The address is an input, so with [`MultiInput`] on it is already in the spender's
/// entity; its weight is as the strongest vote under [`crate::ChangePolicy`]: once a
/// transaction's change is known, no weaker heuristic picks another output.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddressReuseChange;

impl Heuristic for AddressReuseChange {
    fn kind(&self) -> HeuristicKind {
        HeuristicKind::AddressReuseChange
    }

    fn link_transaction(&self, ctx: &Context<'_>, tx: &UtxoTransaction, links: &mut Links<'_>) {
        if let Some(change) = self.change_output(ctx, tx) {
            link_change(tx, change, links);
        }
    }
}

impl ChangeHeuristic for AddressReuseChange {
    fn change_output(&self, _ctx: &Context<'_>, tx: &UtxoTransaction) -> Option<usize> {
        // A single output back to the spender is a consolidation, not change of a payment.
        if tx.outputs.len() < 2 {
            return None;
        }
        tx.outputs.iter().position(|o| tx.spends_from(o.address))
    }
}

/// **One-time change** (fresh address): in a transaction with exactly two outputs to two
/// different addresses, neither of them an input address, if exactly one output address has
/// never received anything before this transaction — its first incoming edge is this
/// transaction's — while the other has, the fresh one is change: wallets make a new change
/// address per payment while payees are often known addresses. Androulaki et al. (FC 2013),
/// Meiklejohn et al. (2013); BlockSci `client_change_address_behavior`, GraphSense
/// "one-time change" (confidence 50). Off by default: it fails on payments to fresh addresses
/// and grew BlockSci's 139 M-address supercluster.
#[derive(Clone, Copy, Debug, Default)]
pub struct OneTimeChange;

impl Heuristic for OneTimeChange {
    fn kind(&self) -> HeuristicKind {
        HeuristicKind::OneTimeChange
    }

    fn link_transaction(&self, ctx: &Context<'_>, tx: &UtxoTransaction, links: &mut Links<'_>) {
        if let Some(change) = self.change_output(ctx, tx) {
            link_change(tx, change, links);
        }
    }
}

impl ChangeHeuristic for OneTimeChange {
    fn change_output(&self, ctx: &Context<'_>, tx: &UtxoTransaction) -> Option<usize> {
        let [a, b] = tx.outputs.as_slice() else { return None };
        if a.address == b.address || tx.spends_from(a.address) || tx.spends_from(b.address) {
            return None;
        }
        let first_seen_here = |port: &TxPort| {
            ctx.graph.in_edges(port.address).next().is_some_and(|e| e.from == tx.node)
        };
        match (first_seen_here(a), first_seen_here(b)) {
            (true, false) => Some(0),
            (false, true) => Some(1),
            _ => None,
        }
    }
}

/// **Optimal change**: if exactly one output is smaller than every input, it is change — had
/// the payment been that small, a wallet choosing coins well would not have needed the
/// smallest input (Nick, "Data-driven de-anonymization in Bitcoin", ETH Zürich 2015; BlockSci
/// `optimal_change`). Needs two or more outputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct OptimalChange;

impl Heuristic for OptimalChange {
    fn kind(&self) -> HeuristicKind {
        HeuristicKind::OptimalChange
    }

    fn link_transaction(&self, ctx: &Context<'_>, tx: &UtxoTransaction, links: &mut Links<'_>) {
        if let Some(change) = self.change_output(ctx, tx) {
            link_change(tx, change, links);
        }
    }
}

impl ChangeHeuristic for OptimalChange {
    fn change_output(&self, _ctx: &Context<'_>, tx: &UtxoTransaction) -> Option<usize> {
        if tx.outputs.len() < 2 {
            return None;
        }
        let smallest_input = tx.inputs.iter().map(|i| i.value).min()?;
        let mut below = tx.outputs.iter().enumerate().filter(|(_, o)| o.value < smallest_input);
        match (below.next(), below.next()) {
            (Some((index, _)), None) => Some(index),
            _ => None,
        }
    }
}

/// **Exchange deposit address** (account chains): an exchange gives each customer a deposit
/// address and sweeps it to its hot wallet. So an address that is not itself labelled, whose
/// outgoing transfers (at least one) all go to addresses labelled [`Category::Exchange`] of
/// one exchange (one label entity name), and that received funds from at least one address
/// other than itself and that exchange's, is that exchange's deposit address and joins its
/// entity. Victor, "Address clustering heuristics for Ethereum" (FC 2020).
///
/// Zero-value transfers are ignored both ways: anyone can emit a zero-value token `Transfer`
/// naming any sender (address poisoning), and such spam must neither make nor break a
/// deposit address. An address with UTXO spends is not an account and is never a candidate.
/// A hot wallet labelled `Exchange` without an entity name counts as an exchange of its own.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExchangeDeposit;

/// Which exchange an address belongs to, by its labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExchangeKey<'a> {
    Named(&'a str),
    Unnamed(NodeId),
}

/// `Ok(None)`: not an exchange; `Err(())`: labelled as two different exchanges.
fn exchange_of(labels: &NodeLabels, node: NodeId) -> Result<Option<ExchangeKey<'_>>, ()> {
    if !labels.categories(node).contains(Category::Exchange) {
        return Ok(None);
    }
    let mut name: Option<&str> = None;
    for label in labels.labels(node).filter(|l| l.category == Category::Exchange) {
        if let Some(entity) = label.entity.as_deref() {
            match name {
                Some(known) if !known.eq_ignore_ascii_case(entity) => return Err(()),
                _ => name = Some(entity),
            }
        }
    }
    Ok(Some(name.map_or(ExchangeKey::Unnamed(node), ExchangeKey::Named)))
}

impl ExchangeDeposit {
    /// The exchange `address` deposits to and the exchange addresses it sent to, if it is a
    /// deposit address by the rule above.
    fn deposit_targets(&self, ctx: &Context<'_>, address: NodeId) -> Option<Vec<NodeId>> {
        if address.is_transaction() || ctx.labels.labels(address).next().is_some() {
            return None;
        }
        let mut exchange: Option<ExchangeKey<'_>> = None;
        let mut targets = Vec::new();
        for e in ctx.graph.out_edges(address) {
            if e.to.is_transaction() {
                return None;
            }
            if e.amount <= 0.0 || e.to == address {
                continue;
            }
            let key = exchange_of(ctx.labels, e.to).ok().flatten()?;
            if exchange.is_some_and(|known| !same_exchange(known, key)) {
                return None;
            }
            exchange = Some(key);
            targets.push(e.to);
        }
        let exchange = exchange?;
        let funded_from_outside = ctx.graph.in_edges(address).any(|e| {
            !e.from.is_transaction()
                && e.from != address
                && e.amount > 0.0
                && !matches!(exchange_of(ctx.labels, e.from), Ok(Some(k)) if same_exchange(k, exchange))
        });
        if !funded_from_outside {
            return None;
        }
        targets.sort_unstable();
        targets.dedup();
        Some(targets)
    }
}

fn same_exchange(a: ExchangeKey<'_>, b: ExchangeKey<'_>) -> bool {
    match (a, b) {
        (ExchangeKey::Named(x), ExchangeKey::Named(y)) => x.eq_ignore_ascii_case(y),
        (ExchangeKey::Unnamed(x), ExchangeKey::Unnamed(y)) => x == y,
        _ => false,
    }
}

impl Heuristic for ExchangeDeposit {
    fn kind(&self) -> HeuristicKind {
        HeuristicKind::ExchangeDeposit
    }

    fn link_graph(&self, ctx: &Context<'_>, links: &mut Links<'_>) {
        for address in self.candidates(ctx) {
            if let Some(targets) = self.deposit_targets(ctx, address) {
                for target in targets {
                    links.link(address, target);
                }
            }
        }
    }
}

impl ExchangeDeposit {
    /// Addresses that sent something to an exchange-labelled address: the only ones that can
    /// be deposit addresses, found from the labels instead of a scan of every address.
    pub fn candidates(&self, ctx: &Context<'_>) -> Vec<NodeId> {
        let mut candidates: Vec<NodeId> = ctx
            .labels
            .nodes()
            .filter(|&n| ctx.labels.categories(n).contains(Category::Exchange))
            .flat_map(|n| ctx.graph.in_edges(n).map(|e| e.from))
            .filter(|from| !from.is_transaction())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
    }

    /// Whether `address` is a deposit address by the rule above.
    pub fn is_deposit_address(&self, ctx: &Context<'_>, address: NodeId) -> bool {
        self.deposit_targets(ctx, address).is_some()
    }
}
