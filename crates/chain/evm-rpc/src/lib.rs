//! JSON-RPC 2.0 client for EVM nodes: batching, bounded concurrency, retries; fetches blocks into the ledger model.
