//! Ingest tests: synthetic Bitcoin chains written as `blk*.dat` files, ingested into the real
//! SQLite store, with forks, resumption and refusals.

mod bitcoin_rpc;
mod blk;
mod evm;
