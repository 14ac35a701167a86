//! Field-by-field comparison of our decoding with ethereum-etl's exports of the same recorded
//! mainnet JSON-RPC responses (`raw_chain/ethereum_etl_fixtures`, see `SOURCE.md` §4).
//!
//! Every test collects all differences as `case/file row N field X: ours=… theirs=…`, prints
//! them, and asserts that they are exactly the documented known differences (none, except
//! where ethereum-etl itself is wrong; each one is listed with its reason).

mod blocks;
mod common;
mod etl;
mod receipts;
mod stream;
mod tokens;
mod traces;
