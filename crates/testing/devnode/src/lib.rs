//! Test-only: the real services integration tests run against: a local EVM node (anvil), a NATS
//! server ([`NatsServer`]) and a TAXII 2.1 server ([`medallion::Medallion`]), and the
//! transactions that give the node something to read.
//!
//! # Main types
//! - [`DevNode`]: starts anvil on a free loopback port ([`DevNode::start`],
//!   [`DevNode::start_with`] and [`DevNodeOptions`]: mining mode, chain id, account count),
//!   waits until it answers `eth_chainId`, and kills it on drop. Its helpers are synchronous
//!   (an internal current-thread tokio runtime drives a [`chainward_evm_rpc::RpcClient`]), so
//!   tests set up their chain without async code: [`DevNode::send_eth`],
//!   [`DevNode::deploy`], [`DevNode::transact`], [`DevNode::mine`], [`DevNode::snapshot`] /
//!   [`DevNode::revert`], [`DevNode::receipt`].
//! - [`Contract`] / [`Contracts`]: the Solidity test contracts of `tools/evm/contracts`
//!   (ERC-20, ERC-721, a forwarder that moves value by internal calls, a reverter), compiled by
//!   `tools/evm/compile.mjs`; [`calldata`] encodes calls (selector + static ABI words).
//! - [`standard_scenario`]: drives plain, token, NFT, internal and reverted transfers and
//!   returns a [`Scenario`]: the block range and, per transaction, the exact
//!   [`chainward_primitives::ledger::Transfer`]s it must produce, known by construction.
//!
//! # Where anvil comes from
//! `scripts/setup.sh` installs it from npm into `tools/evm/node_modules`; the environment
//! variable [`ANVIL_VAR`] (`CHAINWARD_ANVIL`) overrides the path. Without it,
//! [`DevNode::start`] fails with a message saying to run `bash scripts/setup.sh`: a test that
//! skipped silently would prove nothing.
//!
//! # Design decisions
//! - **A real node, not recorded answers**, for what only a node shows truthfully: execution,
//!   receipts, logs, call traces of reverted frames. Answers a node cannot be made to give
//!   (HTTP 503, malformed JSON) stay with a mock server in the client's own tests.
//! - **anvil runs with `--order fifo`**, so transactions sent together are mined in the order
//!   they were sent and a scenario knows its log indices by construction.
//!
//! # Example
//! ```no_run
//! use alloy_primitives::U256;
//! use chainward_devnode::DevNode;
//!
//! let node = DevNode::start()?;
//! let [alice, bob] = [node.accounts()[0], node.accounts()[1]];
//! let hash = node.send_eth(alice, bob, U256::from(10u64).pow(U256::from(18)))?;
//! let receipt = node.wait_receipt(hash)?;
//! assert_eq!(receipt.status, Some(1));
//! # Ok::<(), chainward_devnode::DevNodeError>(())
//! ```

mod contracts;
pub mod medallion;
pub mod nats;
mod scenario;

pub use contracts::{Arg, Contract, Contracts, calldata, encode_args, selector};
pub use nats::NatsServer;
pub use scenario::{ExpectedTx, Scenario, standard_scenario, try_standard_scenario};

use alloy_primitives::{Address, B256, Bytes, U64, U256};
use chainward_chain_ethereum::{RpcReceipt, decode_receipts};
use chainward_evm_rpc::{ClientOptions, RpcClient, RpcError};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The environment variable naming the anvil binary.
pub const ANVIL_VAR: &str = "CHAINWARD_ANVIL";

/// How long [`DevNode::start`] waits for anvil to answer.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`DevNode::wait_receipt`] waits for a transaction to be mined.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(30);

/// What can go wrong driving the node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevNodeError {
    /// The anvil binary is not where it should be.
    #[error(
        "anvil not found at {}: run `bash scripts/setup.sh` to install it (or set \
         {ANVIL_VAR} to an anvil binary)", path.display()
    )]
    AnvilMissing {
        /// The path tried.
        path: PathBuf,
    },
    /// A local operation failed (temp dir, free port, spawning, the runtime).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// anvil exited before it answered.
    #[error("anvil exited during startup ({status}); its output:\n{log}")]
    Exited {
        /// Its exit status.
        status: String,
        /// The end of its output.
        log: String,
    },
    /// anvil did not answer `eth_chainId` in time.
    #[error(
        "anvil at {url} did not answer eth_chainId within {after:?} ({last}); its output:\n{log}"
    )]
    StartTimeout {
        /// The URL polled.
        url: String,
        /// How long it waited.
        after: Duration,
        /// The last polling error.
        last: String,
        /// The end of its output.
        log: String,
    },
    /// A JSON-RPC call to the node failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The compiled contracts are not there.
    #[error(
        "the compiled test contracts are missing ({}): run `bash scripts/setup.sh` (it runs \
         `node tools/evm/compile.mjs`)", path.display()
    )]
    ContractsMissing {
        /// The path tried.
        path: PathBuf,
    },
    /// The compiled contracts file is unusable.
    #[error("{}: {reason}", path.display())]
    Contracts {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A transaction that had to succeed did not.
    #[error("transaction {hash} ({what}) failed: {reason}")]
    Transaction {
        /// Its hash.
        hash: B256,
        /// What it was.
        what: String,
        /// How it failed.
        reason: String,
    },
    /// A snapshot could not be restored.
    #[error("evm_revert({id}) returned false: no such snapshot")]
    Revert {
        /// The snapshot id.
        id: String,
    },
}

/// How anvil mines blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mining {
    /// A block per transaction, as it arrives (anvil's default).
    #[default]
    Auto,
    /// A block every so many seconds (`--block-time`).
    Interval {
        /// Seconds between blocks.
        seconds: u64,
    },
    /// Only on [`DevNode::mine`] (`--no-mining`).
    Manual,
}

/// How to start anvil.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevNodeOptions {
    /// How blocks are mined (default: automine).
    pub mining: Mining,
    /// The chain id (default 31337, anvil's).
    pub chain_id: u64,
    /// How many funded dev accounts (default 10, 10,000 ETH each).
    pub accounts: u32,
    /// The anvil binary; default [`ANVIL_VAR`], else the one `scripts/setup.sh` installs.
    pub anvil: Option<PathBuf>,
}

impl Default for DevNodeOptions {
    fn default() -> Self {
        Self { mining: Mining::Auto, chain_id: 31337, accounts: 10, anvil: None }
    }
}

/// A transaction for `eth_sendTransaction` (anvil signs with its dev keys).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxRequest {
    /// The sender: one of [`DevNode::accounts`].
    pub from: Address,
    /// The recipient; `None` deploys `data` as init code.
    pub to: Option<Address>,
    /// Wei sent along.
    pub value: U256,
    /// Call data or init code.
    pub data: Vec<u8>,
    /// Gas limit; `None` lets the node estimate (which refuses a transaction that would revert).
    pub gas: Option<u64>,
}

/// A snapshot of the node's state (`evm_snapshot`), for [`DevNode::revert`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotId(String);

impl SnapshotId {
    /// The id as the node gave it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A running anvil, killed on drop.
#[derive(Debug)]
pub struct DevNode {
    child: Child,
    /// Always `Some` until drop (which shuts it down without blocking: a runtime cannot be
    /// dropped inside another, as in an async test).
    runtime: Option<tokio::runtime::Runtime>,
    client: RpcClient,
    url: String,
    chain_id: u64,
    accounts: Vec<Address>,
    log_path: PathBuf,
    contracts: OnceLock<Contracts>,
    /// Holds the log file; removed on drop.
    _dir: tempfile::TempDir,
}

/// The workspace root (three levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(3)
        .expect("crates/testing/devnode sits three levels below the workspace root")
        .to_path_buf()
}

/// The anvil binary: [`ANVIL_VAR`] if set, else `tools/evm/node_modules/.../bin/anvil` under
/// the workspace root.
pub fn anvil_path() -> PathBuf {
    std::env::var_os(ANVIL_VAR).map(PathBuf::from).unwrap_or_else(|| {
        workspace_root().join("tools/evm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
    })
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DevNodeError {
    let what = what.into();
    move |source| DevNodeError::Io { what, source }
}

/// The end of a log file (its last 4 KiB), for error messages.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(4096);
    String::from_utf8_lossy(&text[start..]).trim().to_owned()
}

fn quantity(v: U256) -> String {
    format!("{v:#x}")
}

impl DevNode {
    /// Starts anvil with [`DevNodeOptions::default`].
    ///
    /// # Errors
    /// See [`DevNode::start_with`].
    pub fn start() -> Result<Self, DevNodeError> {
        Self::start_with(DevNodeOptions::default())
    }

    /// Starts anvil on a free port of 127.0.0.1, its output going to a log file in a temp dir,
    /// and waits until it answers `eth_chainId`.
    ///
    /// # Errors
    /// [`DevNodeError::AnvilMissing`] when the binary is not there, [`DevNodeError::Exited`] /
    /// [`DevNodeError::StartTimeout`] (with anvil's output) when it does not come up.
    pub fn start_with(options: DevNodeOptions) -> Result<Self, DevNodeError> {
        let anvil = options.anvil.clone().unwrap_or_else(anvil_path);
        if !anvil.is_file() {
            return Err(DevNodeError::AnvilMissing { path: anvil });
        }
        // The port is free when picked, but another process may take it before anvil binds
        // it: try a few ports.
        let mut tries = 0;
        loop {
            tries += 1;
            match Self::spawn(&anvil, &options) {
                Err(DevNodeError::Exited { log, .. })
                    if tries < 3 && log.to_ascii_lowercase().contains("in use") => {}
                other => return other,
            }
        }
    }

    fn spawn(anvil: &Path, options: &DevNodeOptions) -> Result<Self, DevNodeError> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(io("picking a free port on 127.0.0.1"))?
            .port();
        let dir = tempfile::Builder::new()
            .prefix("chainward-anvil-")
            .tempdir()
            .map_err(io("creating anvil's temp dir"))?;
        let log_path = dir.path().join("anvil.log");
        let log = std::fs::File::create(&log_path).map_err(io("creating anvil's log file"))?;
        let log_err = log.try_clone().map_err(io("opening anvil's log file"))?;

        let mut command = Command::new(anvil);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--chain-id", &options.chain_id.to_string()])
            .args(["--accounts", &options.accounts.to_string()])
            .args(["--order", "fifo", "--color", "never"])
            // Lets tests send from any address (a thief's fresh hop addresses), not only the dev accounts.
            .arg("--auto-impersonate")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        match options.mining {
            Mining::Auto => {}
            Mining::Interval { seconds } => {
                command.args(["--block-time", &seconds.to_string()]);
            }
            Mining::Manual => {
                command.arg("--no-mining");
            }
        }
        let child = command.spawn().map_err(io(format!("starting anvil ({})", anvil.display())))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(io("building the tokio runtime"))?;
        let url = format!("http://127.0.0.1:{port}");
        let options = ClientOptions {
            timeout: Duration::from_secs(60),
            max_retries: 2,
            backoff: Duration::from_millis(50),
            ..ClientOptions::default()
        };
        let client = RpcClient::new(&url, options)?;
        let mut node = Self {
            child,
            runtime: Some(runtime),
            client,
            url,
            chain_id: 0,
            accounts: Vec::new(),
            log_path,
            contracts: OnceLock::new(),
            _dir: dir,
        };
        node.wait_ready()?;
        node.accounts = node.rpc("eth_accounts", json!([]))?;
        Ok(node)
    }

    fn wait_ready(&mut self) -> Result<(), DevNodeError> {
        let probe = RpcClient::new(
            &self.url,
            ClientOptions { timeout: Duration::from_secs(2), max_retries: 0, ..Default::default() },
        )?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().map_err(io("checking on anvil"))? {
                return Err(DevNodeError::Exited {
                    status: status.to_string(),
                    log: log_tail(&self.log_path),
                });
            }
            let answer: Result<U64, RpcError> =
                self.block_on(probe.call("eth_chainId", &json!([])));
            match answer {
                Ok(id) => {
                    self.chain_id = id.to();
                    return Ok(());
                }
                Err(e) if Instant::now() >= deadline => {
                    return Err(DevNodeError::StartTimeout {
                        url: self.url.clone(),
                        after: START_TIMEOUT,
                        last: e.to_string(),
                        log: log_tail(&self.log_path),
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Runs `future` on the node's runtime; from inside another runtime (an async test), on a
    /// helper thread, since a runtime cannot block inside another.
    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let runtime = self.runtime.as_ref().expect("the runtime lives until drop");
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| runtime.block_on(future))
                    .join()
                    .expect("the helper thread only waits on the node")
            })
        } else {
            runtime.block_on(future)
        }
    }

    /// The node's JSON-RPC URL (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The chain id the node reports.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The funded dev accounts (anvil's default mnemonic), in order.
    pub fn accounts(&self) -> &[Address] {
        &self.accounts
    }

    /// anvil's log file (removed when the node is dropped).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The client the node is driven with.
    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    /// Any JSON-RPC call, synchronously.
    ///
    /// # Errors
    /// [`DevNodeError::Rpc`] when the call fails or the result is not a `T`.
    pub fn rpc<T: DeserializeOwned + Send>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, DevNodeError> {
        Ok(self.block_on(self.client.call(method, &params))?)
    }

    /// The latest block number.
    ///
    /// # Errors
    /// [`DevNodeError::Rpc`] when the call fails.
    pub fn block_number(&self) -> Result<u64, DevNodeError> {
        Ok(self.rpc::<U64>("eth_blockNumber", json!([]))?.to())
    }

    /// An account's balance in wei at the latest block.
    ///
    /// # Errors
    /// [`DevNodeError::Rpc`] when the call fails.
    pub fn balance(&self, address: Address) -> Result<U256, DevNodeError> {
        self.rpc("eth_getBalance", json!([address, "latest"]))
    }

    /// Sends a transaction (`eth_sendTransaction`) and returns its hash as soon as the node
    /// has it in its pool. With automine, anvil mines it right after, but possibly after this
    /// returns: [`DevNode::wait_receipt`] before reading the chain.
    ///
    /// # Errors
    /// [`DevNodeError::Rpc`] when the node refuses it. A node may refuse a transaction whose
    /// gas estimate finds it would revert: give [`TxRequest::gas`] to have it mined with
    /// status 0 (anvil 1.7.1 mines it with status 0 either way).
    pub fn send_transaction(&self, tx: &TxRequest) -> Result<B256, DevNodeError> {
        let mut object = json!({
            "from": tx.from,
            "value": quantity(tx.value),
            "data": Bytes::from(tx.data.clone()),
        });
        if let Some(to) = tx.to {
            object["to"] = json!(to);
        }
        if let Some(gas) = tx.gas {
            object["gas"] = json!(quantity(U256::from(gas)));
        }
        self.rpc("eth_sendTransaction", json!([object]))
    }

    /// Sends `wei` from `from` to `to`; returns the transaction hash.
    ///
    /// # Errors
    /// See [`DevNode::send_transaction`].
    pub fn send_eth(&self, from: Address, to: Address, wei: U256) -> Result<B256, DevNodeError> {
        self.send_transaction(&TxRequest { from, to: Some(to), value: wei, ..Default::default() })
    }

    /// Calls `to` with `calldata` and `value` (gas estimated by the node); returns the hash.
    ///
    /// # Errors
    /// See [`DevNode::send_transaction`].
    pub fn transact(
        &self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
    ) -> Result<B256, DevNodeError> {
        self.send_transaction(&TxRequest {
            from,
            to: Some(to),
            value,
            data: calldata.to_vec(),
            gas: None,
        })
    }

    /// Like [`DevNode::transact`] with an explicit gas limit: the way to get a transaction that
    /// reverts mined (status 0), or to send one whose estimate depends on pending transactions.
    ///
    /// # Errors
    /// See [`DevNode::send_transaction`].
    pub fn transact_with_gas(
        &self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
        gas: u64,
    ) -> Result<B256, DevNodeError> {
        self.send_transaction(&TxRequest {
            from,
            to: Some(to),
            value,
            data: calldata.to_vec(),
            gas: Some(gas),
        })
    }

    /// The compiled test contracts, loaded on first use.
    ///
    /// # Errors
    /// See [`Contracts::load`].
    pub fn contracts(&self) -> Result<&Contracts, DevNodeError> {
        if let Some(contracts) = self.contracts.get() {
            return Ok(contracts);
        }
        let loaded = Contracts::load()?;
        Ok(self.contracts.get_or_init(|| loaded))
    }

    /// Deploys `contract` from the first account, without value, and waits until it is mined.
    ///
    /// # Errors
    /// See [`DevNode::deploy_with`].
    pub fn deploy(&self, contract: Contract, ctor_args: &[Arg]) -> Result<Address, DevNodeError> {
        let from = *self.accounts.first().expect("anvil starts with at least one account");
        Ok(self.deploy_with(from, contract, ctor_args, U256::ZERO)?.0)
    }

    /// Deploys `contract` from `from` with `value`, waits until it is mined, and returns the
    /// contract's address and the creation transaction's hash.
    ///
    /// # Errors
    /// [`DevNodeError::ContractsMissing`] / [`DevNodeError::Contracts`] when the compiled
    /// contracts are unavailable, [`DevNodeError::Transaction`] when the creation reverts or
    /// is not mined within 30 s, [`DevNodeError::Rpc`] when a call fails.
    pub fn deploy_with(
        &self,
        from: Address,
        contract: Contract,
        ctor_args: &[Arg],
        value: U256,
    ) -> Result<(Address, B256), DevNodeError> {
        let data = self.contracts()?.init_code(contract, ctor_args)?;
        let hash = self.send_transaction(&TxRequest { from, to: None, value, data, gas: None })?;
        let receipt = self.wait_receipt(hash)?;
        let what = || format!("deploying {}", contract.name());
        if receipt.status != Some(1) {
            return Err(DevNodeError::Transaction {
                hash,
                what: what(),
                reason: "the creation reverted".to_owned(),
            });
        }
        let address = receipt.contract_address.ok_or_else(|| DevNodeError::Transaction {
            hash,
            what: what(),
            reason: "the receipt has no contractAddress".to_owned(),
        })?;
        Ok((address, hash))
    }

    /// Mines `blocks` blocks now (`anvil_mine`), with whatever the pool holds.
    ///
    /// # Errors
    /// [`DevNodeError::Rpc`] when the call fails.
    pub fn mine(&self, blocks: u64) -> Result<(), DevNodeError> {
        self.rpc::<Value>("anvil_mine", json!([quantity(U256::from(blocks))]))?;
        Ok(())
    }

    /// Turns automine on or off (`evm_setAutomine`): off, sent transactions wait in the pool
    /// until [`DevNode::mine`] puts them all in one block.
    ///
    /// # Errors
    /// [`DevNodeError::Rpc`] when the call fails.
    pub fn set_automine(&self, on: bool) -> Result<(), DevNodeError> {
        self.rpc::<Value>("evm_setAutomine", json!([on]))?;
        Ok(())
    }

    /// Snapshots the state (`evm_snapshot`).
    ///
    /// # Errors
    /// [`DevNodeError::Rpc`] when the call fails.
    pub fn snapshot(&self) -> Result<SnapshotId, DevNodeError> {
        let id: Value = self.rpc("evm_snapshot", json!([]))?;
        Ok(SnapshotId(match id {
            Value::String(s) => s,
            other => other.to_string(),
        }))
    }

    /// Restores a snapshot (`evm_revert`): blocks after it are gone, and the heights they had
    /// get new blocks as mining goes on (a reorganization, as a reader of the chain sees it).
    ///
    /// # Errors
    /// [`DevNodeError::Revert`] when the node has no such snapshot, [`DevNodeError::Rpc`] when
    /// the call fails.
    pub fn revert(&self, id: &SnapshotId) -> Result<(), DevNodeError> {
        if self.rpc::<bool>("evm_revert", json!([id.0]))? {
            Ok(())
        } else {
            Err(DevNodeError::Revert { id: id.0.clone() })
        }
    }

    /// The receipt of a transaction, `None` while it is not mined.
    ///
    /// # Errors
    /// [`DevNodeError::Rpc`] when the call fails or the receipt does not decode.
    pub fn receipt(&self, hash: B256) -> Result<Option<RpcReceipt>, DevNodeError> {
        let raw = self.block_on(self.client.call_raw("eth_getTransactionReceipt", &[hash]))?;
        if raw.get().trim() == "null" {
            return Ok(None);
        }
        let mut receipts =
            decode_receipts(raw.get().as_bytes()).map_err(|e| DevNodeError::Transaction {
                hash,
                what: "reading its receipt".to_owned(),
                reason: e.to_string(),
            })?;
        Ok(receipts.pop())
    }

    /// Waits (up to 30 s) until a transaction is mined and returns its receipt.
    ///
    /// # Errors
    /// [`DevNodeError::Transaction`] when it is not mined in time, [`DevNodeError::Rpc`] when
    /// a call fails.
    pub fn wait_receipt(&self, hash: B256) -> Result<RpcReceipt, DevNodeError> {
        let deadline = Instant::now() + RECEIPT_TIMEOUT;
        loop {
            if let Some(receipt) = self.receipt(hash)? {
                return Ok(receipt);
            }
            if Instant::now() >= deadline {
                return Err(DevNodeError::Transaction {
                    hash,
                    what: "waiting for its receipt".to_owned(),
                    reason: format!(
                        "not mined within {RECEIPT_TIMEOUT:?} (is mining manual or automine off?)"
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
