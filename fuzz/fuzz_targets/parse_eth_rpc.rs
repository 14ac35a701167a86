//! Fuzzes the Ethereum JSON-RPC decoders: every `decode_*` must never panic on any bytes, and
//! `normalize` must never panic on whatever they accept. The input is also split at `0xff`
//! bytes (never valid in JSON) into a block, receipts and traces, so that a seed built from
//! real responses reaches `normalize` with all three parts; the same split feeds the
//! hashes-only path (block header, receipts, Parity traces → rebuilt transactions).

#![no_main]

use chainward_chain_ethereum::{
    Traces, decode_block, decode_block_hashes, decode_geth_call_traces, decode_logs,
    decode_parity_traces, decode_receipts, normalize, transactions_from_receipts_and_traces,
};
use chainward_primitives::ledger::TxStatus;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_block(data);
    let _ = decode_receipts(data);
    let _ = decode_logs(data);
    let _ = decode_parity_traces(data);
    let _ = decode_geth_call_traces(data);

    // The hashes-only block with receipts and Parity traces: the transactions rebuilt from
    // them must normalize without a panic too.
    let mut lean = data.split(|&b| b == 0xff);
    if let Some(Ok((mut header, hashes))) = lean.next().map(decode_block_hashes) {
        let receipts = lean.next().and_then(|p| decode_receipts(p).ok()).unwrap_or_default();
        let traces = lean.next().and_then(|p| decode_parity_traces(p).ok()).unwrap_or_default();
        if let Ok(transactions) = transactions_from_receipts_and_traces(&hashes, &receipts, &traces)
        {
            assert_eq!(transactions.len(), hashes.len());
            header.transactions = transactions;
            let _ = normalize(1, &header, &receipts, Some(&Traces::Parity(traces)));
        }
    }

    let mut parts = data.split(|&b| b == 0xff);
    let Some(Ok(block)) = parts.next().map(decode_block) else { return };
    let receipts = parts.next().and_then(|p| decode_receipts(p).ok()).unwrap_or_default();
    let traces = parts.next().and_then(|p| {
        decode_parity_traces(p)
            .map(Traces::Parity)
            .or_else(|_| decode_geth_call_traces(p).map(Traces::Geth))
            .ok()
    });
    if let Some(traces) = &traces {
        let _ = traces.flatten();
    }
    if let Ok(normalized) = normalize(1, &block, &receipts, traces.as_ref()) {
        assert_eq!(normalized.transactions.len(), block.transactions.len());
        for tx in &normalized.transactions {
            assert!(tx.status == TxStatus::Success || tx.transfers.is_empty());
        }
    }
});
