//! Rows back into the node answers they were exported from, then through `normalize_with`.

use super::rows::{
    Row, address, bytes, dec_u32, dec_u64, dec_u256, for_each_row, hash, list, text,
};
use super::{EthEtlExport, EtlError, ExportKind};
use crate::normalize::{NormalizeOptions, TRANSFER_TOPIC, normalize_with, token_transfer};
use crate::rpc::{
    CallFrame, GethTxTrace, ParityAction, ParityResult, ParityTrace, RpcBlock, RpcLog, RpcReceipt,
    RpcTransaction, Traces,
};
use alloy_primitives::{B256, Bytes, U256};
use chainward_primitives::ledger::{Block, TxStatus};
use serde_json::value::RawValue;
use std::collections::btree_map::Entry as MapEntry;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Where a row is: an index into the export's files, and a line.
#[derive(Clone, Copy, Debug)]
struct At {
    file: usize,
    line: u64,
}

/// A block being assembled.
struct Entry {
    block: RpcBlock,
    declared: Option<u64>,
    at: At,
    /// `transaction_index` and location of each row, parallel to `block.transactions` until
    /// they are sorted.
    tx_at: Vec<(u64, At)>,
    receipts: Vec<RpcReceipt>,
}

/// A transaction's place: its block (index into `Join::entries`) and its row.
#[derive(Clone, Copy)]
struct TxRef {
    block: usize,
    at: At,
}

struct Join<'a> {
    export: &'a EthEtlExport,
    entries: Vec<Entry>,
    by_hash: HashMap<B256, usize>,
    by_number: HashMap<u64, usize>,
    txs: HashMap<B256, TxRef>,
}

impl<'a> Join<'a> {
    fn path(&self, at: At) -> &'a Path {
        &self.export.files[at.file].path
    }

    fn place(&self, at: At) -> String {
        format!("{}, line {}", self.path(at).display(), at.line)
    }

    fn duplicate(&self, at: At, item: String, first: At) -> EtlError {
        EtlError::Duplicate {
            path: self.path(at).to_owned(),
            line: at.line,
            item,
            first: self.place(first),
        }
    }

    fn unknown_block(&self, at: At, item: String, block: String) -> EtlError {
        EtlError::UnknownBlock { path: self.path(at).to_owned(), line: at.line, item, block }
    }

    fn unknown_tx(&self, at: At, item: String, transaction: String, detail: String) -> EtlError {
        EtlError::UnknownTransaction {
            path: self.path(at).to_owned(),
            line: at.line,
            item,
            transaction,
            detail,
        }
    }

    /// The block a row names by hash and/or number (both, when given, must agree).
    fn block_of(
        &self,
        row: &Row<'_>,
        at: At,
        item: &str,
        hash_field: &str,
        number_field: &str,
    ) -> Result<usize, EtlError> {
        let block_hash = row.opt(hash_field, hash)?;
        let number = row.opt(number_field, dec_u64)?;
        let found = match (block_hash, number) {
            (Some(h), _) => self.by_hash.get(&h).copied().ok_or_else(|| h.to_string()),
            (None, Some(n)) => self.by_number.get(&n).copied().ok_or_else(|| n.to_string()),
            (None, None) => return Err(row.error(number_field, "is missing: no block named")),
        };
        let b = found.map_err(|block| self.unknown_block(at, item.to_owned(), block))?;
        let block = &self.entries[b].block;
        if let Some(n) = number
            && n != block.number
        {
            let message = format!("block {} has number {}, not {n}", block.hash, block.number);
            return Err(row.error(number_field, message));
        }
        Ok(b)
    }

    /// The transaction a row names, checking the block it names too (when it does).
    fn tx_of(&self, row: &Row<'_>, at: At, item: &str, tx: B256) -> Result<TxRef, EtlError> {
        let Some(&found) = self.txs.get(&tx) else {
            return Err(self.unknown_tx(at, item.to_owned(), tx.to_string(), String::new()));
        };
        let block = &self.entries[found.block].block;
        if let Some(h) = row.opt("block_hash", hash)?
            && h != block.hash
        {
            return Err(row.error(
                "block_hash",
                format!("transaction {tx} is in block {}, not {h}", block.hash),
            ));
        }
        if let Some(n) = row.opt("block_number", dec_u64)?
            && n != block.number
        {
            return Err(row.error(
                "block_number",
                format!("transaction {tx} is in block {}, not {n}", block.number),
            ));
        }
        Ok(found)
    }
}

/// Calls `f` with each row of each file of `kind`, and the row's location.
fn rows_of(
    export: &EthEtlExport,
    kind: ExportKind,
    required: &[&str],
    mut f: impl FnMut(&Row<'_>, At) -> Result<(), EtlError>,
) -> Result<(), EtlError> {
    for (file, entry) in export.files.iter().enumerate().filter(|(_, f)| f.kind == kind) {
        for_each_row(&entry.path, entry.format, required, |row| {
            f(row, At { file, line: row.line() })
        })?;
    }
    Ok(())
}

pub(super) fn blocks(export: &EthEtlExport, chain_id: u64) -> Result<Vec<Block>, EtlError> {
    let mut join = Join {
        export,
        entries: Vec::new(),
        by_hash: HashMap::new(),
        by_number: HashMap::new(),
        txs: HashMap::new(),
    };
    read_blocks(&mut join)?;
    let embedded = read_transactions(&mut join)?;
    order_transactions(&mut join)?;

    // Receipts from the stream's transaction rows count when at least one row has one (then
    // every transaction must); a receipts file replaces them.
    let with_receipts = export.has(ExportKind::Receipts) || !embedded.is_empty();
    if export.has(ExportKind::Receipts) {
        read_receipts(&mut join)?;
    } else {
        for (block, receipt) in embedded {
            join.entries[block].receipts.push(receipt);
        }
    }

    let mut logs: HashMap<B256, Vec<RpcLog>> = HashMap::new();
    if export.has(ExportKind::Logs) {
        read_logs(&join, &mut logs)?;
    } else if export.has(ExportKind::TokenTransfers) {
        read_token_transfers(&join, &mut logs)?;
    }
    for list in logs.values_mut() {
        list.sort_by_key(|l| l.log_index);
    }

    let mut traces = read_traces(export, Some(&join))?;
    let trace_kind =
        if export.has(ExportKind::Traces) { ExportKind::Traces } else { ExportKind::GethTraces };

    let mut entries = std::mem::take(&mut join.entries);
    entries.sort_by_key(|e| e.block.number);
    let options = if with_receipts {
        NormalizeOptions::receipts_required()
    } else {
        NormalizeOptions::default()
    };
    let mut out = Vec::with_capacity(entries.len());
    for mut entry in entries {
        let block_traces = match traces.as_mut() {
            Some(map) => {
                let t = map.remove(&entry.block.number);
                if t.is_none() && !entry.block.transactions.is_empty() {
                    return Err(EtlError::MissingTraces {
                        number: entry.block.number,
                        hash: entry.block.hash,
                        transactions: entry.block.transactions.len(),
                        kind: trace_kind,
                    });
                }
                Some(t.unwrap_or(Traces::Parity(Vec::new())))
            }
            None => None,
        };
        for receipt in &mut entry.receipts {
            receipt.logs = logs.remove(&receipt.transaction_hash).unwrap_or_default();
        }
        let mut block =
            normalize_with(chain_id, &entry.block, &entry.receipts, block_traces.as_ref(), options)
                .map_err(|source| EtlError::Join {
                    number: entry.block.number,
                    hash: entry.block.hash,
                    source: Box::new(source),
                })?;
        if !with_receipts {
            // No receipt to carry the logs: their token transfers follow the native and
            // internal ones, for successful transactions, as `normalize_with` orders them.
            for tx in &mut block.transactions {
                if let Some(tx_logs) = logs.remove(&tx.hash)
                    && tx.status == TxStatus::Success
                {
                    tx.transfers.extend(tx_logs.iter().filter_map(token_transfer));
                }
            }
        }
        out.push(block);
    }
    Ok(out)
}

pub(super) fn traces(export: &EthEtlExport) -> Result<Option<BTreeMap<u64, Traces>>, EtlError> {
    read_traces(export, None)
}

fn read_blocks(join: &mut Join<'_>) -> Result<(), EtlError> {
    let export = join.export;
    rows_of(
        export,
        ExportKind::Blocks,
        &["number", "hash", "parent_hash", "timestamp"],
        |row, at| {
            let block = RpcBlock {
                number: row.req("number", dec_u64)?,
                hash: row.req("hash", hash)?,
                parent_hash: row.req("parent_hash", hash)?,
                timestamp: row.req("timestamp", dec_u64)?,
                miner: row.opt("miner", address)?,
                gas_limit: row.opt("gas_limit", dec_u64)?.unwrap_or_default(),
                gas_used: row.opt("gas_used", dec_u64)?.unwrap_or_default(),
                base_fee_per_gas: row.opt("base_fee_per_gas", dec_u256)?,
                transactions: Vec::new(),
            };
            let declared = row.opt("transaction_count", dec_u64)?;
            let index = join.entries.len();
            if let Some(&other) = join.by_hash.get(&block.hash) {
                let first = join.entries[other].at;
                return Err(join.duplicate(at, format!("block {}", block.hash), first));
            }
            if let Some(&other) = join.by_number.get(&block.number) {
                let first = join.entries[other].at;
                return Err(join.duplicate(at, format!("block number {}", block.number), first));
            }
            join.by_hash.insert(block.hash, index);
            join.by_number.insert(block.number, index);
            join.entries.push(Entry {
                block,
                declared,
                at,
                tx_at: Vec::new(),
                receipts: Vec::new(),
            });
            Ok(())
        },
    )
}

/// Reads the transactions into their blocks; returns the receipts the rows carry (the
/// stream's `receipt_*` columns, when filled) with their blocks.
fn read_transactions(join: &mut Join<'_>) -> Result<Vec<(usize, RpcReceipt)>, EtlError> {
    let export = join.export;
    let mut embedded = Vec::new();
    let required = ["hash", "block_number", "transaction_index", "from_address", "value"];
    rows_of(export, ExportKind::Transactions, &required, |row, at| {
        let tx = RpcTransaction {
            hash: row.req("hash", hash)?,
            nonce: row.opt("nonce", dec_u64)?.unwrap_or_default(),
            block_hash: row.opt("block_hash", hash)?,
            block_number: Some(row.req("block_number", dec_u64)?),
            transaction_index: Some(row.req("transaction_index", dec_u64)?),
            from: row.req("from_address", address)?,
            to: row.opt("to_address", address)?,
            value: row.req("value", dec_u256)?,
            gas: row.opt("gas", dec_u64)?.unwrap_or_default(),
            gas_price: row.opt("gas_price", dec_u256)?,
            max_fee_per_gas: row.opt("max_fee_per_gas", dec_u256)?,
            max_priority_fee_per_gas: row.opt("max_priority_fee_per_gas", dec_u256)?,
            // Call data is not part of the ledger; it is not read.
            input: Bytes::new(),
            tx_type: row.opt("transaction_type", dec_u64)?,
        };
        let item = format!("transaction {}", tx.hash);
        let block = join.block_of(row, at, &item, "block_hash", "block_number")?;
        if let Some(first) = join.txs.get(&tx.hash) {
            return Err(join.duplicate(at, item, first.at));
        }
        if let Some(gas_used) = row.opt("receipt_gas_used", dec_u64)? {
            embedded.push((
                block,
                RpcReceipt {
                    transaction_hash: tx.hash,
                    transaction_index: tx.transaction_index,
                    block_hash: Some(join.entries[block].block.hash),
                    block_number: tx.block_number,
                    cumulative_gas_used: row
                        .opt("receipt_cumulative_gas_used", dec_u64)?
                        .unwrap_or_default(),
                    gas_used,
                    contract_address: row.opt("receipt_contract_address", address)?,
                    root: row.opt("receipt_root", hash)?,
                    status: row.opt("receipt_status", dec_u64)?,
                    effective_gas_price: row.opt("receipt_effective_gas_price", dec_u256)?,
                    from: Some(tx.from),
                    to: tx.to,
                    logs: Vec::new(),
                },
            ));
        }
        join.txs.insert(tx.hash, TxRef { block, at });
        let entry = &mut join.entries[block];
        entry.tx_at.push((tx.transaction_index.unwrap_or_default(), at));
        entry.block.transactions.push(tx);
        Ok(())
    })?;
    Ok(embedded)
}

/// Puts each block's transactions in `transaction_index` order and checks their count.
fn order_transactions(join: &mut Join<'_>) -> Result<(), EtlError> {
    for b in 0..join.entries.len() {
        let entry = &mut join.entries[b];
        let txs = std::mem::take(&mut entry.block.transactions);
        let mut paired: Vec<_> = std::mem::take(&mut entry.tx_at).into_iter().zip(txs).collect();
        paired.sort_by_key(|((index, at), _)| (*index, at.file, at.line));
        for pair in paired.windows(2) {
            let (((i, first), _), ((j, at), tx)) = (&pair[0], &pair[1]);
            if i == j {
                let item = format!(
                    "transaction_index {j} of block {} (transaction {})",
                    join.entries[b].block.number, tx.hash
                );
                return Err(join.duplicate(*at, item, *first));
            }
        }
        let entry = &mut join.entries[b];
        let (tx_at, txs): (Vec<_>, Vec<_>) = paired.into_iter().unzip();
        entry.tx_at = tx_at;
        entry.block.transactions = txs;
        if let Some(declared) = entry.declared
            && declared != entry.block.transactions.len() as u64
        {
            return Err(EtlError::TransactionCount {
                number: entry.block.number,
                hash: entry.block.hash,
                declared,
                found: entry.block.transactions.len(),
            });
        }
    }
    Ok(())
}

fn read_receipts(join: &mut Join<'_>) -> Result<(), EtlError> {
    let export = join.export;
    let mut seen: HashMap<B256, At> = HashMap::new();
    let mut found = Vec::new();
    rows_of(export, ExportKind::Receipts, &["transaction_hash", "gas_used"], |row, at| {
        let tx = row.req("transaction_hash", hash)?;
        let place = join.tx_of(row, at, "receipt", tx)?;
        if let Some(&first) = seen.get(&tx) {
            return Err(join.duplicate(at, format!("receipt of transaction {tx}"), first));
        }
        seen.insert(tx, at);
        found.push((
            place.block,
            RpcReceipt {
                transaction_hash: tx,
                transaction_index: row.opt("transaction_index", dec_u64)?,
                block_hash: Some(join.entries[place.block].block.hash),
                block_number: Some(join.entries[place.block].block.number),
                cumulative_gas_used: row.opt("cumulative_gas_used", dec_u64)?.unwrap_or_default(),
                gas_used: row.req("gas_used", dec_u64)?,
                contract_address: row.opt("contract_address", address)?,
                root: row.opt("root", hash)?,
                status: row.opt("status", dec_u64)?,
                effective_gas_price: row.opt("effective_gas_price", dec_u256)?,
                from: None,
                to: None,
                logs: Vec::new(),
            },
        ));
        Ok(())
    })?;
    for (block, receipt) in found {
        join.entries[block].receipts.push(receipt);
    }
    Ok(())
}

/// Records a log under its transaction, refusing a second log with the same index in a block.
fn add_log(
    join: &Join<'_>,
    seen: &mut HashMap<(usize, u64), At>,
    logs: &mut HashMap<B256, Vec<RpcLog>>,
    at: At,
    tx: TxRef,
    log: RpcLog,
) -> Result<(), EtlError> {
    let index = log.log_index.unwrap_or_default();
    if let Some(&first) = seen.get(&(tx.block, index)) {
        let block = join.entries[tx.block].block.number;
        return Err(join.duplicate(at, format!("log_index {index} of block {block}"), first));
    }
    seen.insert((tx.block, index), at);
    let hash = log.transaction_hash.unwrap_or_default();
    logs.entry(hash).or_default().push(log);
    Ok(())
}

fn read_logs(join: &Join<'_>, logs: &mut HashMap<B256, Vec<RpcLog>>) -> Result<(), EtlError> {
    let mut seen = HashMap::new();
    let required = ["log_index", "transaction_hash", "address", "data", "topics"];
    rows_of(join.export, ExportKind::Logs, &required, |row, at| {
        let tx = row.req("transaction_hash", hash)?;
        let log_index = row.req("log_index", dec_u64)?;
        let place = join.tx_of(row, at, &format!("log {log_index}"), tx)?;
        let block = &join.entries[place.block].block;
        let log = RpcLog {
            address: row.req("address", address)?,
            topics: row.opt("topics", list(hash))?.unwrap_or_default(),
            data: row.opt("data", bytes)?.unwrap_or_default(),
            log_index: Some(log_index),
            transaction_hash: Some(tx),
            transaction_index: row.opt("transaction_index", dec_u64)?,
            block_hash: Some(block.hash),
            block_number: Some(block.number),
            removed: false,
        };
        add_log(join, &mut seen, logs, at, place, log)
    })
}

/// ethereum-etl's token transfer rows, turned back into the ERC-20-shaped `Transfer` log they
/// describe (ERC-721 transfers among them cannot be told apart: see the module docs).
fn read_token_transfers(
    join: &Join<'_>,
    logs: &mut HashMap<B256, Vec<RpcLog>>,
) -> Result<(), EtlError> {
    let mut seen = HashMap::new();
    let required =
        ["token_address", "from_address", "to_address", "value", "transaction_hash", "log_index"];
    rows_of(join.export, ExportKind::TokenTransfers, &required, |row, at| {
        let tx = row.req("transaction_hash", hash)?;
        let log_index = row.req("log_index", dec_u64)?;
        let place = join.tx_of(row, at, &format!("token transfer (log {log_index})"), tx)?;
        let block = &join.entries[place.block].block;
        let word = |a: alloy_primitives::Address| B256::left_padding_from(a.as_slice());
        let value: U256 = row.req("value", dec_u256)?;
        let log = RpcLog {
            address: row.req("token_address", address)?,
            topics: vec![
                TRANSFER_TOPIC,
                word(row.req("from_address", address)?),
                word(row.req("to_address", address)?),
            ],
            data: Bytes::from(value.to_be_bytes::<32>()),
            log_index: Some(log_index),
            transaction_hash: Some(tx),
            transaction_index: None,
            block_hash: Some(block.hash),
            block_number: Some(block.number),
            removed: false,
        };
        add_log(join, &mut seen, logs, at, place, log)
    })
}

/// A trace row, as the `action` / `result` of the Parity trace it was exported from.
fn parity_trace(row: &Row<'_>) -> Result<ParityTrace, EtlError> {
    let trace_type = row.req("trace_type", text)?;
    let from = row.opt("from_address", address)?;
    let to = row.opt("to_address", address)?;
    let value = row.opt("value", dec_u256)?;
    let mut action = ParityAction::default();
    let mut result = None;
    match trace_type.as_str() {
        "call" => {
            action.call_type = row.opt("call_type", text)?;
            (action.from, action.to, action.value) = (from, to, value);
        }
        "create" => {
            (action.from, action.value) = (from, value);
            result = to.map(|a| ParityResult { address: Some(a), ..ParityResult::default() });
        }
        "suicide" => (action.address, action.refund_address, action.balance) = (from, to, value),
        "reward" => {
            (action.author, action.value) = (to, value);
            action.reward_type = row.opt("reward_type", text)?;
        }
        // `genesis`, `daofork` and anything newer: not a transaction's trace.
        _ => (action.from, action.to, action.value) = (from, to, value),
    }
    Ok(ParityTrace {
        trace_type,
        action,
        result,
        error: row.opt("error", text)?,
        subtraces: row.opt("subtraces", dec_u64)?,
        trace_address: row.opt("trace_address", list(dec_u32))?.unwrap_or_default(),
        transaction_hash: row.opt("transaction_hash", hash)?,
        transaction_position: row.opt("transaction_index", dec_u64)?,
        block_number: Some(row.req("block_number", dec_u64)?),
    })
}

/// Reads the traces by block number; with `join`, checks every row against the blocks and
/// transactions (and, for Geth, one trace tree per transaction).
fn read_traces(
    export: &EthEtlExport,
    join: Option<&Join<'_>>,
) -> Result<Option<BTreeMap<u64, Traces>>, EtlError> {
    let mut map: BTreeMap<u64, Traces> = BTreeMap::new();
    if export.has(ExportKind::Traces) {
        let required = ["block_number", "trace_type", "from_address", "to_address", "value"];
        rows_of(export, ExportKind::Traces, &required, |row, at| {
            let trace = parity_trace(row)?;
            let number = trace.block_number.unwrap_or_default();
            if let Some(join) = join {
                check_trace(join, at, &trace, number)?;
            }
            match map.entry(number).or_insert_with(|| Traces::Parity(Vec::new())) {
                Traces::Parity(list) => list.push(trace),
                Traces::Geth(_) => unreachable!("only Parity traces are read from this export"),
            }
            Ok(())
        })?;
        return Ok(Some(map));
    }
    if !export.has(ExportKind::GethTraces) {
        return Ok(None);
    }
    let mut lines: HashMap<u64, At> = HashMap::new();
    rows_of(export, ExportKind::GethTraces, &[], |row, at| {
        let number = row.req("block_number", dec_u64)?;
        let frames = geth_frames(row)?;
        let mut traces = Vec::with_capacity(frames.len());
        for (i, frame) in frames.iter().enumerate() {
            let result: CallFrame = serde_json::from_str(frame.get())
                .map_err(|e| row.error(&format!("transaction_traces[{i}]"), e.to_string()))?;
            traces.push(GethTxTrace { tx_hash: None, result });
        }
        if let Some(join) = join {
            let Some(&b) = join.by_number.get(&number) else {
                return Err(join.unknown_block(at, "geth trace".to_owned(), number.to_string()));
            };
            let count = join.entries[b].block.transactions.len();
            if traces.len() != count {
                let message = format!(
                    "{} trace trees, but block {number} has {count} transactions",
                    traces.len()
                );
                return Err(row.error("transaction_traces", message));
            }
            if let Some(&first) = lines.get(&number) {
                return Err(join.duplicate(at, format!("geth traces of block {number}"), first));
            }
            lines.insert(number, at);
        }
        match map.entry(number) {
            MapEntry::Vacant(v) => {
                v.insert(Traces::Geth(traces));
            }
            MapEntry::Occupied(_) => {
                return Err(row.error("block_number", format!("block {number} is traced twice")));
            }
        }
        Ok(())
    })?;
    Ok(Some(map))
}

/// The raw call frames of a `geth_traces.json` line.
fn geth_frames(row: &Row<'_>) -> Result<Vec<Box<RawValue>>, EtlError> {
    let raw = row.raw_json("transaction_traces")?;
    serde_json::from_str(raw)
        .map_err(|e| row.error("transaction_traces", format!("not an array of call frames: {e}")))
}

fn check_trace(join: &Join<'_>, at: At, trace: &ParityTrace, number: u64) -> Result<(), EtlError> {
    let item = if trace.trace_address.is_empty() {
        format!("{} trace", trace.trace_type)
    } else {
        let path: Vec<String> = trace.trace_address.iter().map(u32::to_string).collect();
        format!("{} trace [{}]", trace.trace_type, path.join(","))
    };
    let Some(&b) = join.by_number.get(&number) else {
        return Err(join.unknown_block(at, item, number.to_string()));
    };
    let block = &join.entries[b].block;
    if let Some(tx) = trace.transaction_hash {
        match join.txs.get(&tx) {
            Some(place) if place.block == b => {}
            Some(place) => {
                let other = join.entries[place.block].block.number;
                return Err(join.unknown_tx(
                    at,
                    item,
                    tx.to_string(),
                    format!(" of block {number} (it is in block {other})"),
                ));
            }
            None => return Err(join.unknown_tx(at, item, tx.to_string(), String::new())),
        }
    } else if let Some(position) = trace.transaction_position
        && position >= block.transactions.len() as u64
    {
        return Err(join.unknown_tx(
            at,
            item,
            format!("#{position} of block {number}"),
            format!(" (the block has {})", block.transactions.len()),
        ));
    }
    Ok(())
}
