//! Call traces of both node families flattened into one shape, [`FlatTrace`].

use crate::rpc::{CallFrame, GethTxTrace, ParityTrace, Traces};
use alloy_primitives::{Address, B256, U256};
use std::collections::HashSet;
use std::fmt;

/// What a trace records (Parity's `type`, with Geth frame types mapped as ethereum-etl does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TraceKind {
    /// A message call (any call type).
    Call,
    /// A contract creation (`CREATE`, `CREATE2`).
    Create,
    /// A self-destruct sending the contract's balance to a beneficiary.
    SelfDestruct,
    /// A block or uncle reward (Parity only; not part of any transaction).
    Reward,
    /// Anything else a node may send.
    Other,
}

impl fmt::Display for TraceKind {
    /// ethereum-etl's `trace_type` spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Call => "call",
            Self::Create => "create",
            Self::SelfDestruct => "suicide",
            Self::Reward => "reward",
            Self::Other => "other",
        })
    }
}

/// One call-tree node, whichever node family produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlatTrace {
    /// The transaction's hash, when the source gives it.
    pub transaction_hash: Option<B256>,
    /// The transaction's position in the block (`None` for rewards).
    pub transaction_position: Option<u64>,
    /// What it records.
    pub kind: TraceKind,
    /// For calls: `call`, `callcode`, `delegatecall` or `staticcall` (lower case).
    pub call_type: Option<String>,
    /// The sender (caller, creator, self-destructed contract).
    pub from: Option<Address>,
    /// The recipient (callee, created contract, beneficiary, rewarded miner).
    pub to: Option<Address>,
    /// The value moved (0 when the source gives none).
    pub value: U256,
    /// Position in the call tree (`[]` = the transaction's top-level call).
    pub trace_address: Vec<u32>,
    /// The error of this node itself.
    pub error: Option<String>,
    /// `false` when this node or any ancestor errored (its effects were reverted); this is
    /// ethereum-etl's `status` column.
    pub succeeded: bool,
}

impl FlatTrace {
    /// Whether this node moves native value as an internal transfer: a successful call (plain
    /// `call` only), create or self-destruct inside a transaction (not its top-level call,
    /// which is the transaction's own value), with value > 0 and both ends known.
    ///
    /// `delegatecall` and `callcode` run another contract's code in the caller's context and
    /// move no value between accounts (Geth even repeats the parent's value on a
    /// `delegatecall` frame), and `staticcall` cannot carry value.
    pub fn is_internal_transfer(&self) -> bool {
        let kind_moves = match self.kind {
            TraceKind::Call => matches!(self.call_type.as_deref(), None | Some("call")),
            TraceKind::Create | TraceKind::SelfDestruct => true,
            TraceKind::Reward | TraceKind::Other => false,
        };
        kind_moves
            && self.succeeded
            && !self.trace_address.is_empty()
            && !self.value.is_zero()
            && self.from.is_some()
            && self.to.is_some()
    }
}

impl Traces {
    /// Flattens the traces in source order (depth-first for Geth trees), with `succeeded`
    /// computed over ancestors.
    pub fn flatten(&self) -> Vec<FlatTrace> {
        match self {
            Self::Parity(traces) => flatten_parity(traces),
            Self::Geth(traces) => flatten_geth(traces),
        }
    }
}

fn flatten_parity(traces: &[ParityTrace]) -> Vec<FlatTrace> {
    // Errored nodes, keyed by transaction and trace address, to mark their subtrees.
    let key = |t: &ParityTrace| (t.transaction_hash, t.transaction_position);
    let errored: HashSet<_> = traces
        .iter()
        .filter(|t| t.error.is_some())
        .map(|t| (key(t), t.trace_address.as_slice()))
        .collect();
    traces
        .iter()
        .map(|t| {
            let a = &t.action;
            let result = t.result.as_ref();
            let (kind, from, to, value) = match t.trace_type.as_str() {
                "call" => (TraceKind::Call, a.from, a.to, a.value),
                "create" => (TraceKind::Create, a.from, result.and_then(|r| r.address), a.value),
                "suicide" | "selfdestruct" => {
                    (TraceKind::SelfDestruct, a.address, a.refund_address, a.balance)
                }
                "reward" => (TraceKind::Reward, None, a.author, a.value),
                _ => (TraceKind::Other, a.from, a.to, a.value),
            };
            let succeeded = (0..=t.trace_address.len())
                .all(|n| !errored.contains(&(key(t), &t.trace_address[..n])));
            FlatTrace {
                transaction_hash: t.transaction_hash,
                transaction_position: t.transaction_position,
                kind,
                call_type: if kind == TraceKind::Call { a.call_type.clone() } else { None },
                from,
                to,
                value: value.unwrap_or_default(),
                trace_address: t.trace_address.clone(),
                error: t.error.clone(),
                succeeded,
            }
        })
        .collect()
}

fn flatten_geth(traces: &[GethTxTrace]) -> Vec<FlatTrace> {
    let mut out = Vec::new();
    for (position, tx) in traces.iter().enumerate() {
        let mut path = Vec::new();
        walk_frame(&tx.result, tx.tx_hash, position as u64, &mut path, true, &mut out);
    }
    out
}

fn walk_frame(
    frame: &CallFrame,
    tx_hash: Option<B256>,
    position: u64,
    path: &mut Vec<u32>,
    parent_ok: bool,
    out: &mut Vec<FlatTrace>,
) {
    let frame_type = frame.frame_type.to_ascii_lowercase();
    let (kind, call_type) = match frame_type.as_str() {
        "call" | "callcode" | "delegatecall" | "staticcall" => (TraceKind::Call, Some(frame_type)),
        "create" | "create2" => (TraceKind::Create, None),
        "selfdestruct" | "suicide" => (TraceKind::SelfDestruct, None),
        _ => (TraceKind::Other, None),
    };
    let succeeded = parent_ok && frame.error.is_none();
    out.push(FlatTrace {
        transaction_hash: tx_hash,
        transaction_position: Some(position),
        kind,
        call_type,
        from: frame.from,
        to: frame.to,
        value: frame.value.unwrap_or_default(),
        trace_address: path.clone(),
        error: frame.error.clone(),
        succeeded,
    });
    for (i, child) in frame.calls.iter().enumerate() {
        path.push(u32::try_from(i).unwrap_or(u32::MAX));
        walk_frame(child, tx_hash, position, path, succeeded, out);
        path.pop();
    }
}
