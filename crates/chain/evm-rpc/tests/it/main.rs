//! `chainward-evm-rpc` against a real node (anvil, through `chainward-devnode`) and, for the
//! answers no real node can be made to give (HTTP 503, malformed JSON, a reorg between two
//! calls of one batch), against a wiremock server.

mod mock;
mod node;
mod responder;
