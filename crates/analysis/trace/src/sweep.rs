//! One node's sweep: its edges of one asset in time order, with dirt (forward) or demand
//! (backward) arriving on some of them, and what leaves on the others.
//!
//! Every model is linear in the dirt that arrives (balances, queue order and the ratios they
//! give do not depend on which funds are dirty), except poison, which is monotone. That is
//! what lets the engine sweep a node once per hop layer with only that layer's arrivals and
//! add the results up, instead of re-sweeping with everything it ever received.
//!
//! Order at a node is (time, transaction) and then, within one transaction: at an address,
//! what leaves before what arrives (an account transaction cannot spend what it is still
//! receiving); at a UTXO transaction node, inputs before outputs (that is the transaction).
//!
//! Funds the graph does not see (mining rewards, gas, history before the graph or the window)
//! show up as a withdrawal larger than the simulated balance. They are modelled as clean
//! funds arriving just in time: the balance is topped up to the withdrawal. Forward that
//! dilutes the dirt honestly; backward that share is attributed to "origin unknown" at the
//! node. For FIFO this assumes the unseen funds are the newest, which can over-taint when an
//! address had history before the graph starts.

use chainward_graph::{AssetId, Edge, NodeId, TransferGraph};
use std::collections::VecDeque;

/// Dirt or demand arriving at a node on one edge, in the current hop layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Arrival {
    pub(crate) state: u32,
    pub(crate) edge: u32,
    pub(crate) time: u32,
    pub(crate) tx: u32,
    pub(crate) seq: u16,
    pub(crate) amount: f64,
}

impl Arrival {
    /// When it arrived, ordered as [`Edge::at`].
    pub(crate) const fn at(&self) -> (u32, u32, u16) {
        (self.time, self.tx, self.seq)
    }
}

/// The time window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub(crate) since: u32,
    pub(crate) until: u32,
}

/// The node being swept and the query's bounds.
#[derive(Clone, Copy)]
pub(crate) struct Site<'g> {
    pub(crate) graph: &'g TransferGraph,
    pub(crate) node: NodeId,
    pub(crate) asset: AssetId,
    pub(crate) window: Window,
    pub(crate) min_amount: f64,
}

/// What a sweep left behind.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SweepEnd {
    /// Forward: dirt still at the node at the end (unspent, or a UTXO fee). Backward: demand
    /// whose source is outside the graph or the window.
    pub(crate) residual: f64,
    /// Dirt given up because it fell below the minimum amount with nothing left to add to it.
    pub(crate) dropped: f64,
    /// Edges read.
    pub(crate) scanned: u64,
}

/// Reusable buffers, so a sweep allocates nothing once they have grown.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    fifo: VecDeque<(f64, f64)>,
    events: Vec<BackEvent>,
    deposits: Vec<(Edge, f64)>,
    queue: VecDeque<(u32, f64)>,
}

#[derive(Clone, Copy, Debug)]
struct BackEvent {
    edge: Edge,
    out: bool,
    balance_before: f64,
    effective: f64,
    demand: f64,
}

enum Event {
    In(Edge),
    Out(Edge),
}

/// A node's in- and out-edges of one asset, merged in sweep order.
struct Events<I, O> {
    ins: I,
    outs: O,
    in_head: Option<Edge>,
    out_head: Option<Edge>,
    inputs_first: bool,
    asset: AssetId,
    scanned: u64,
}

impl<I: Iterator<Item = Edge>, O: Iterator<Item = Edge>> Events<I, O> {
    fn pull(
        iter: &mut impl Iterator<Item = Edge>,
        asset: AssetId,
        scanned: &mut u64,
    ) -> Option<Edge> {
        for e in iter.by_ref() {
            *scanned += 1;
            if e.asset == asset {
                return Some(e);
            }
        }
        None
    }

    fn next_event(&mut self) -> Option<Event> {
        if self.in_head.is_none() {
            self.in_head = Self::pull(&mut self.ins, self.asset, &mut self.scanned);
        }
        if self.out_head.is_none() {
            self.out_head = Self::pull(&mut self.outs, self.asset, &mut self.scanned);
        }
        match (self.in_head, self.out_head) {
            (Some(i), Some(o)) => {
                let take_in = match i.at().cmp(&o.at()) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Greater => false,
                    std::cmp::Ordering::Equal => self.inputs_first,
                };
                if take_in {
                    self.in_head = None;
                    Some(Event::In(i))
                } else {
                    self.out_head = None;
                    Some(Event::Out(o))
                }
            }
            (Some(i), None) => {
                self.in_head = None;
                Some(Event::In(i))
            }
            (None, Some(o)) => {
                self.out_head = None;
                Some(Event::Out(o))
            }
            (None, None) => None,
        }
    }
}

fn events(
    graph: &TransferGraph,
    node: NodeId,
    asset: AssetId,
) -> Events<impl Iterator<Item = Edge> + '_, impl Iterator<Item = Edge> + '_> {
    Events {
        ins: graph.in_edges(node),
        outs: graph.out_edges(node),
        in_head: None,
        out_head: None,
        inputs_first: node.is_transaction(),
        asset,
        scanned: 0,
    }
}

/// Arrivals sorted by (time, tx, edge), matched against the edges of a sweep as it passes
/// them. Each edge is passed once, so the arrivals on it (several when two seeds name it) are
/// found by a binary search inside their (time, tx) group and need no consumed flags.
struct Arrivals<'a> {
    arrivals: &'a [Arrival],
    group: usize,
    left: usize,
}

impl<'a> Arrivals<'a> {
    fn new(arrivals: &'a [Arrival]) -> Self {
        Self { arrivals, group: 0, left: arrivals.len() }
    }

    fn done(&self) -> bool {
        self.left == 0
    }

    fn take(&mut self, e: &Edge) -> f64 {
        if self.left == 0 {
            return 0.0;
        }
        let key = e.at();
        let a = self.arrivals;
        while self.group < a.len() && a[self.group].at() < key {
            self.group += 1;
        }
        let rest = &a[self.group..];
        let group_len = rest.partition_point(|x| x.at() == key);
        let group = &rest[..group_len];
        let first = group.partition_point(|x| x.edge < e.id.0);
        let mut sum = 0.0;
        for x in group[first..].iter().take_while(|x| x.edge == e.id.0) {
            sum += x.amount;
            self.left -= 1;
        }
        sum
    }
}

/// Forward haircut: each withdrawal carries `dirt × amount / balance`.
pub(crate) fn forward_haircut(
    site: Site<'_>,
    arrivals: &[Arrival],
    out: &mut Vec<(Edge, f64)>,
) -> SweepEnd {
    let Site { graph, node, asset, window, min_amount } = site;
    let mut ev = events(graph, node, asset);
    let mut arr = Arrivals::new(arrivals);
    let (mut balance, mut dirt, mut dropped) = (0.0f64, 0.0f64, 0.0f64);
    while let Some(event) = ev.next_event() {
        match event {
            Event::In(e) => {
                if e.time > window.until {
                    break;
                }
                balance += e.amount;
                let d = arr.take(&e);
                if d > 0.0 {
                    dirt += d;
                    // Dirt never exceeds the balance it is part of; rounding could say so.
                    balance = balance.max(dirt);
                }
            }
            Event::Out(e) => {
                if e.time > window.until {
                    break;
                }
                if dirt > 0.0 && e.amount > 0.0 {
                    let effective = balance.max(e.amount);
                    let d =
                        if effective == e.amount { dirt } else { dirt * (e.amount / effective) };
                    dirt -= d;
                    out.push((e, d));
                    balance = effective - e.amount;
                } else {
                    balance = (balance - e.amount).max(0.0);
                }
            }
        }
        if arr.done() {
            if dirt < min_amount {
                // Every later withdrawal would carry less than the minimum.
                dropped += dirt;
                dirt = 0.0;
            }
            if dirt <= 0.0 {
                break;
            }
        }
    }
    SweepEnd { residual: dirt.max(0.0), dropped, scanned: ev.scanned }
}

/// Forward FIFO: deposits queue, withdrawals consume the oldest first. Consecutive clean
/// deposits merge into one queue entry, so the queue holds at most twice the dirty deposits.
/// A deposit that is partly dirty is taken as evenly mixed: its own order is not recorded.
pub(crate) fn forward_fifo(
    site: Site<'_>,
    arrivals: &[Arrival],
    scratch: &mut Scratch,
    out: &mut Vec<(Edge, f64)>,
) -> SweepEnd {
    let Site { graph, node, asset, window, min_amount } = site;
    let mut ev = events(graph, node, asset);
    let mut arr = Arrivals::new(arrivals);
    let queue = &mut scratch.fifo;
    queue.clear();
    let mut dirty_entries = 0usize;
    let mut dirt_estimate = 0.0f64;
    let mut dropped = 0.0f64;
    while let Some(event) = ev.next_event() {
        match event {
            Event::In(e) => {
                if e.time > window.until {
                    break;
                }
                let d = arr.take(&e).min(e.amount);
                if d > 0.0 {
                    queue.push_back((e.amount, d));
                    dirty_entries += 1;
                    dirt_estimate += d;
                } else if let Some(back) = queue.back_mut()
                    && back.1 == 0.0
                {
                    back.0 += e.amount;
                } else {
                    queue.push_back((e.amount, 0.0));
                }
            }
            Event::Out(e) => {
                if e.time > window.until {
                    break;
                }
                let mut need = e.amount;
                let mut got = 0.0;
                while need > 0.0 {
                    let Some(front) = queue.front_mut() else { break };
                    if front.0 <= need {
                        need -= front.0;
                        if front.1 > 0.0 {
                            got += front.1;
                            dirty_entries -= 1;
                        }
                        queue.pop_front();
                    } else {
                        if front.1 > 0.0 {
                            let part = front.1 * (need / front.0);
                            got += part;
                            front.1 -= part;
                        }
                        front.0 -= need;
                        need = 0.0;
                    }
                }
                if got > 0.0 {
                    dirt_estimate -= got;
                    out.push((e, got));
                }
            }
        }
        if arr.done() {
            if dirty_entries == 0 {
                break;
            }
            if dirt_estimate < min_amount {
                let left: f64 = queue.iter().map(|q| q.1).sum();
                dropped += left;
                queue.clear();
                dirty_entries = 0;
                break;
            }
        }
    }
    let residual = if dirty_entries == 0 { 0.0 } else { queue.iter().map(|q| q.1).sum() };
    SweepEnd { residual, dropped, scanned: ev.scanned }
}

/// Forward poison: every withdrawal after the earliest dirty arrival is dirty in full.
/// `earlier` is the earliest arrival of previous layers: withdrawals after it were emitted
/// then, so only those between the new earliest arrival and it are emitted now.
pub(crate) fn forward_poison(
    site: Site<'_>,
    first: (u32, u32, u16),
    earlier: Option<(u32, u32, u16)>,
    out: &mut Vec<(Edge, f64)>,
) -> u64 {
    let Site { graph, node, asset, window, .. } = site;
    let is_tx = node.is_transaction();
    let after = |e: &Edge, k: (u32, u32, u16)| {
        if is_tx { e.at() >= k } else { e.at() > k }
    };
    let mut scanned = 0;
    for e in graph.out_edges(node) {
        scanned += 1;
        if e.time > window.until || earlier.is_some_and(|k| after(&e, k)) {
            break;
        }
        if e.asset == asset && after(&e, first) {
            out.push((e, e.amount));
        }
    }
    scanned
}

/// Backward haircut: the transpose of forward haircut. Going back from the last demanded
/// withdrawal, `g` is the demand per unit of balance: a withdrawal `w` adds
/// `demand / balance` and scales what is behind it by `1 − amount / balance`; each deposit
/// gets `amount × g`. Balances come from a forward pass, kept in a scratch buffer.
pub(crate) fn backward_haircut(
    site: Site<'_>,
    demands: &[Arrival],
    scratch: &mut Scratch,
    out: &mut Vec<(Edge, f64)>,
) -> SweepEnd {
    let Site { graph, node, asset, window, min_amount } = site;
    let mut ev = events(graph, node, asset);
    let mut arr = Arrivals::new(demands);
    let buf = &mut scratch.events;
    buf.clear();
    let mut balance = 0.0f64;
    let mut demanded = 0usize;
    while let Some(event) = ev.next_event() {
        match event {
            Event::In(e) => {
                buf.push(BackEvent {
                    edge: e,
                    out: false,
                    balance_before: balance,
                    effective: 0.0,
                    demand: 0.0,
                });
                balance += e.amount;
            }
            Event::Out(e) => {
                let demand = arr.take(&e).min(e.amount);
                let effective = balance.max(e.amount);
                buf.push(BackEvent {
                    edge: e,
                    out: true,
                    balance_before: balance,
                    effective,
                    demand,
                });
                balance = effective - e.amount;
                if demand > 0.0 {
                    demanded += 1;
                }
                if arr.done() {
                    break;
                }
            }
        }
    }
    let (mut g, mut origin, mut dropped) = (0.0f64, 0.0f64, 0.0f64);
    for b in buf.iter().rev() {
        if b.out {
            if b.effective > 0.0 {
                g = b.demand / b.effective + (1.0 - b.edge.amount / b.effective) * g;
                let unseen = b.effective - b.balance_before;
                if unseen > 0.0 {
                    origin += unseen * g;
                }
            }
            if b.demand > 0.0 {
                demanded -= 1;
            }
        } else {
            let s = b.edge.amount * g;
            if s > 0.0 {
                if b.edge.time < window.since {
                    origin += s;
                } else {
                    out.push((b.edge, s));
                }
            }
        }
        if demanded == 0 {
            let rest = g * b.balance_before;
            if rest < min_amount || g <= 0.0 {
                dropped += rest.max(0.0);
                break;
            }
        }
    }
    SweepEnd { residual: origin, dropped, scanned: ev.scanned }
}

/// Backward FIFO: the transpose of forward FIFO. A forward pass runs the deposit queue; each
/// demanded withdrawal passes its demand to the deposits it consumed, pro rata.
pub(crate) fn backward_fifo(
    site: Site<'_>,
    demands: &[Arrival],
    scratch: &mut Scratch,
    out: &mut Vec<(Edge, f64)>,
) -> SweepEnd {
    let Site { graph, node, asset, window, .. } = site;
    let mut ev = events(graph, node, asset);
    let mut arr = Arrivals::new(demands);
    let deposits = &mut scratch.deposits;
    let queue = &mut scratch.queue;
    deposits.clear();
    queue.clear();
    let mut origin = 0.0f64;
    while let Some(event) = ev.next_event() {
        match event {
            Event::In(e) => {
                queue.push_back((deposits.len() as u32, e.amount));
                deposits.push((e, 0.0));
            }
            Event::Out(e) => {
                let demand = arr.take(&e).min(e.amount);
                let mut need = e.amount;
                while need > 0.0 {
                    let Some(front) = queue.front_mut() else { break };
                    let take = front.1.min(need);
                    if demand > 0.0 {
                        deposits[front.0 as usize].1 += demand * (take / e.amount);
                    }
                    if front.1 <= need {
                        need -= front.1;
                        queue.pop_front();
                    } else {
                        front.1 -= need;
                        need = 0.0;
                    }
                }
                if need > 0.0 && demand > 0.0 {
                    origin += demand * (need / e.amount);
                }
                if arr.done() {
                    break;
                }
            }
        }
    }
    for &(e, s) in deposits.iter() {
        if s > 0.0 {
            if e.time < window.since {
                origin += s;
            } else {
                out.push((e, s));
            }
        }
    }
    SweepEnd { residual: origin, dropped: 0.0, scanned: ev.scanned }
}

/// Backward poison: every deposit before the latest demanded withdrawal is a source in full.
/// `later` is the latest demand of previous layers: deposits before it were emitted then.
pub(crate) fn backward_poison(
    site: Site<'_>,
    last: (u32, u32, u16),
    later: Option<(u32, u32, u16)>,
    out: &mut Vec<(Edge, f64)>,
) -> u64 {
    let Site { graph, node, asset, window, .. } = site;
    let is_tx = node.is_transaction();
    let before = |e: &Edge, k: (u32, u32, u16)| {
        if is_tx { e.at() <= k } else { e.at() < k }
    };
    let mut scanned = 0;
    for e in graph.in_edges(node) {
        scanned += 1;
        if !before(&e, last) {
            break;
        }
        if e.asset == asset && e.time >= window.since && !later.is_some_and(|k| before(&e, k)) {
            out.push((e, e.amount));
        }
    }
    scanned
}
