//! A Bitcoin Core (or compatible) node's JSON-RPC as a [`BlockSource`].
//!
//! `getblockcount` for the tip, `getblockhash` for the best chain by height, and `getblock` with
//! verbosity 3 (inputs carry the spent outputs' values and addresses, so fees are known) —
//! falling back to verbosity 2 once, for nodes before Bitcoin Core 23. Calls are batched and
//! retried by the same JSON-RPC client the EVM source uses; credentials go in the URL
//! (`http://user:password@127.0.0.1:8332`).

use crate::source::{BlockSource, SourceError};
use alloy_primitives::B256;
use chainward_chain_bitcoin::rpc::decode_getblock_json;
use chainward_evm_rpc::{ClientOptions, RpcClient};
use chainward_primitives::Chain;
use chainward_primitives::ledger::{Block, Network};
use serde_json::json;
use std::ops::RangeInclusive;
use tokio::runtime::Runtime;

/// A Bitcoin-family node's JSON-RPC endpoint as a source.
#[derive(Debug)]
pub struct BitcoinRpcSource {
    runtime: Runtime,
    client: RpcClient,
    chain: Chain,
    verbosity: u8,
}

/// Bitcoin Core's "Block height out of range" error code.
const OUT_OF_RANGE: i64 = -8;

impl BitcoinRpcSource {
    /// A source for `chain` at `url` (nothing is sent until the ingest asks for the tip).
    ///
    /// # Errors
    /// When the runtime cannot start or the URL is not usable.
    pub fn new(url: &str, chain: Chain, options: ClientOptions) -> Result<Self, SourceError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let client = RpcClient::new(url, options)?;
        Ok(Self { runtime, client, chain, verbosity: 3 })
    }

    fn hashes(&mut self, heights: &RangeInclusive<u64>) -> Result<Vec<String>, SourceError> {
        let calls: Vec<_> = heights.clone().map(|h| ("getblockhash", json!([h]))).collect();
        let answers = self.runtime.block_on(self.client.batch_raw(&calls));
        answers
            .into_iter()
            .map(|answer| Ok(serde_json::from_str::<String>(answer?.get())?))
            .collect()
    }
}

impl BlockSource for BitcoinRpcSource {
    fn name(&self) -> String {
        format!("bitcoin-rpc:{}", self.chain.as_str())
    }

    fn network(&self) -> Network {
        Network::chain(self.chain)
    }

    fn tip(&mut self) -> Result<Option<u64>, SourceError> {
        let count: u64 = self.runtime.block_on(self.client.call("getblockcount", &json!([])))?;
        Ok(Some(count))
    }

    fn hash_at(&mut self, height: u64) -> Result<Option<B256>, SourceError> {
        match self.runtime.block_on(self.client.call::<String, _>("getblockhash", &json!([height])))
        {
            Ok(hex) => Ok(Some(format!("0x{hex}").parse()?)),
            Err(e) if e.rpc_code() == Some(OUT_OF_RANGE) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn fetch(&mut self, heights: RangeInclusive<u64>) -> Result<Vec<Block>, SourceError> {
        let hashes = self.hashes(&heights)?;
        loop {
            let calls: Vec<_> =
                hashes.iter().map(|hash| ("getblock", json!([hash, self.verbosity]))).collect();
            let answers = self.runtime.block_on(self.client.batch_raw(&calls));
            let mut blocks = Vec::with_capacity(answers.len());
            let mut downgrade = false;
            for ((height, hash), answer) in heights.clone().zip(&hashes).zip(answers) {
                let raw = match answer {
                    Ok(raw) => raw,
                    // Verbosity 3 arrived in Bitcoin Core 23; older nodes reject it.
                    Err(e) if self.verbosity == 3 && e.kind().is_node_answer() => {
                        downgrade = true;
                        break;
                    }
                    Err(e) => return Err(e.into()),
                };
                let block = decode_getblock_json(self.chain, raw.get().as_bytes())
                    .map_err(|e| format!("getblock {hash} (height {height}): {e}"))?;
                if block.block.height != height {
                    return Err(format!(
                        "getblock {hash} says height {}, but getblockhash gave it for {height}",
                        block.block.height
                    )
                    .into());
                }
                blocks.push(block);
            }
            if downgrade {
                tracing::warn!("the node rejects getblock verbosity 3; using 2 (fees unknown)");
                self.verbosity = 2;
                continue;
            }
            return Ok(blocks);
        }
    }
}
