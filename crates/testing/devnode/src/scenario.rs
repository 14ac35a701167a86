//! [`standard_scenario`]: one of every kind of value movement, with the transfers each
//! transaction must produce.

use crate::{Arg, Contract, DevNode, DevNodeError, calldata};
use alloy_primitives::{Address, B256, U256};
use chainward_primitives::ledger::{Asset, Transfer, TransferKind, TxStatus};
use std::ops::RangeInclusive;

/// What [`standard_scenario`] did: the blocks it filled and what each transaction must become.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The blocks holding the scenario's transactions (and nothing else).
    pub blocks: RangeInclusive<u64>,
    /// Every transaction of those blocks, in the order sent.
    pub expected: Vec<ExpectedTx>,
    /// The ERC-20 token.
    pub token: Address,
    /// The ERC-721 collection.
    pub nft: Address,
    /// The forwarder whose plain-ETH sink is account 6.
    pub forwarder: Address,
    /// The forwarder deployed with value, whose sink is account 7.
    pub forwarder_with_sink: Address,
    /// The reverter.
    pub reverter: Address,
}

/// One transaction of a [`Scenario`] and what it must produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedTx {
    /// What the transaction does, for failure messages.
    pub label: &'static str,
    /// Its hash.
    pub hash: B256,
    /// Whether it must succeed.
    pub status: TxStatus,
    /// Its transfers, exactly and in order: the native value, internal transfers in trace
    /// order, token transfers in log order (log indices count across the block).
    pub transfers: Vec<Transfer>,
}

impl Scenario {
    /// The expected transaction with this hash.
    pub fn get(&self, hash: B256) -> Option<&ExpectedTx> {
        self.expected.iter().find(|t| t.hash == hash)
    }

    /// The expected transfers of kind `kind`, over all transactions.
    pub fn transfers_of(&self, kind: TransferKind) -> impl Iterator<Item = &Transfer> {
        self.expected.iter().flat_map(|t| &t.transfers).filter(move |t| t.kind == kind)
    }
}

fn ledger(address: Address) -> chainward_primitives::Address {
    chainward_primitives::Address::evm(address.into_array())
}

fn transfer(
    kind: TransferKind,
    from: Address,
    to: Address,
    asset: Asset,
    amount: U256,
) -> Transfer {
    Transfer {
        kind,
        from: ledger(from),
        to: ledger(to),
        asset,
        amount,
        token_id: None,
        log_index: None,
        trace_address: None,
    }
}

fn native(from: Address, to: Address, amount: U256) -> Transfer {
    transfer(TransferKind::Native, from, to, Asset::Native, amount)
}

fn internal(from: Address, to: Address, amount: U256, path: &[u32]) -> Transfer {
    Transfer {
        trace_address: Some(path.to_vec()),
        ..transfer(TransferKind::Internal, from, to, Asset::Native, amount)
    }
}

fn erc20(token: Address, from: Address, to: Address, amount: U256, log: u32) -> Transfer {
    Transfer {
        log_index: Some(log),
        ..transfer(TransferKind::Erc20, from, to, Asset::Token { contract: ledger(token) }, amount)
    }
}

fn erc721(nft: Address, from: Address, to: Address, id: U256, log: u32) -> Transfer {
    Transfer {
        token_id: Some(id),
        log_index: Some(log),
        ..transfer(
            TransferKind::Erc721,
            from,
            to,
            Asset::Token { contract: ledger(nft) },
            U256::from(1u8),
        )
    }
}

/// Wei in `n` thousandths of an ether.
fn milli_eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(15u8))
}

/// Token units: `n` whole tokens of 18 decimals.
fn tokens(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
}

/// Records expected transactions and counts log indices within the current block.
struct Recorder {
    expected: Vec<ExpectedTx>,
    next_log: u32,
}

impl Recorder {
    /// A new block starts: log indices count from 0 again.
    fn new_block(&mut self) {
        self.next_log = 0;
    }

    /// The block-wide index of the next log.
    fn log(&mut self) -> u32 {
        let index = self.next_log;
        self.next_log += 1;
        index
    }

    fn ok(&mut self, label: &'static str, hash: B256, transfers: Vec<Transfer>) {
        self.expected.push(ExpectedTx { label, hash, status: TxStatus::Success, transfers });
    }

    fn failed(&mut self, label: &'static str, hash: B256) {
        self.expected.push(ExpectedTx {
            label,
            hash,
            status: TxStatus::Failed,
            transfers: Vec::new(),
        });
    }
}

/// Gas for the contract calls sent while automine is off: the node cannot estimate a call
/// that depends on transactions still in the pool (and refuses one that would revert).
const CALL_GAS: u64 = 300_000;

/// Drives one of every kind of value movement on `node` and returns what each transaction must
/// produce, built from what was sent (never read back from the node).
///
/// Needs a node with automine (the default) and at least 10 accounts `a0..a9`. The blocks:
/// 1. automine, one transaction per block: ETH a0→a1 and a1→a2, a zero-value transfer (no
///    transfer), the ERC-20 deployment (its mint is a `Transfer` from address 0), the ERC-721,
///    two forwarders (the second deployed with 0.25 ETH: a `Native` transfer to the created
///    contract) and the reverter;
/// 2. one block of 12 transactions (automine off, then one block mined): ERC-20 `transfer`,
///    `approve` (a log but no transfer), `transferFrom`; ETH a3→a4; ERC-721 mint and
///    `transferFrom`; `forward` (an internal transfer at `[0]`); `split` to a5 and the second
///    forwarder, which passes its half on to its sink (`[0]`, `[1]`, nested `[1, 0]`); plain
///    ETH to the second forwarder (internal `[0]` to its sink); `sendAndRevert` (status 0, no
///    transfers although the trace has one); `swallow` (success, but the inner transfer was
///    undone: only the native value); an ERC-20 transfer beyond the balance (status 0);
/// 3. automine again: one more ERC-20 transfer.
///
/// # Panics
/// When the node refuses a transaction, a deployment fails or the compiled contracts are
/// missing (see [`try_standard_scenario`] for the error instead), or the node has fewer than
/// 10 accounts.
pub fn standard_scenario(node: &DevNode) -> Scenario {
    match try_standard_scenario(node) {
        Ok(scenario) => scenario,
        Err(e) => panic!("the standard scenario failed: {e}"),
    }
}

/// [`standard_scenario`], returning what went wrong instead of panicking.
///
/// # Errors
/// [`DevNodeError`] when the node refuses a transaction, a deployment fails or the compiled
/// contracts are missing.
///
/// # Panics
/// When the node has fewer than 10 accounts.
pub fn try_standard_scenario(node: &DevNode) -> Result<Scenario, DevNodeError> {
    let a = node.accounts().to_vec();
    assert!(a.len() >= 10, "standard_scenario needs 10 accounts, the node has {}", a.len());
    let first = node.block_number()? + 1;
    let mut r = Recorder { expected: Vec::new(), next_log: 0 };

    // anvil may answer eth_sendTransaction before it mines the block: wait for each
    // automined transaction, so that each gets its own block and the range ends after the last.
    let mined = |hash: B256| node.wait_receipt(hash).map(|_| hash);

    // 1. One transaction per block.
    let h = mined(node.send_eth(a[0], a[1], milli_eth(1000))?)?;
    r.ok("ETH a0→a1", h, vec![native(a[0], a[1], milli_eth(1000))]);
    let h = mined(node.send_eth(a[1], a[2], milli_eth(500))?)?;
    r.ok("ETH a1→a2", h, vec![native(a[1], a[2], milli_eth(500))]);
    let h = mined(node.send_eth(a[2], a[3], U256::ZERO)?)?;
    r.ok("zero-value a2→a3", h, vec![]);

    let supply = tokens(1_000_000);
    let (token, h) = node.deploy_with(a[0], Contract::Token, &[supply.into()], U256::ZERO)?;
    r.new_block();
    let log = r.log();
    r.ok("deploy Token", h, vec![erc20(token, Address::ZERO, a[0], supply, log)]);
    let (nft, h) = node.deploy_with(a[0], Contract::Nft, &[], U256::ZERO)?;
    r.ok("deploy Nft", h, vec![]);
    let (forwarder, h) = node.deploy_with(a[0], Contract::Forwarder, &[a[6].into()], U256::ZERO)?;
    r.ok("deploy Forwarder (sink a6)", h, vec![]);
    let (forwarder2, h) =
        node.deploy_with(a[0], Contract::Forwarder, &[a[7].into()], milli_eth(250))?;
    r.ok(
        "deploy Forwarder with value (sink a7)",
        h,
        vec![native(a[0], forwarder2, milli_eth(250))],
    );
    let (reverter, h) = node.deploy_with(a[0], Contract::Reverter, &[], U256::ZERO)?;
    r.ok("deploy Reverter", h, vec![]);

    // 2. One block of many transactions, mined in the order sent (anvil runs --order fifo).
    node.set_automine(false)?;
    r.new_block();
    let call = |from: Address, to: Address, data: Vec<u8>, value: U256| {
        node.transact_with_gas(from, to, &data, value, CALL_GAS)
    };

    let h = call(
        a[0],
        token,
        calldata("transfer(address,uint256)", &[a[1].into(), tokens(1000).into()]),
        U256::ZERO,
    )?;
    let log = r.log();
    r.ok("Token.transfer a0→a1", h, vec![erc20(token, a[0], a[1], tokens(1000), log)]);
    let h = call(
        a[1],
        token,
        calldata("approve(address,uint256)", &[a[2].into(), tokens(500).into()]),
        U256::ZERO,
    )?;
    r.log(); // Approval: a log, not a transfer
    r.ok("Token.approve a1→a2", h, vec![]);
    let h = call(
        a[2],
        token,
        calldata(
            "transferFrom(address,address,uint256)",
            &[a[1].into(), a[3].into(), tokens(300).into()],
        ),
        U256::ZERO,
    )?;
    let log = r.log();
    r.ok("Token.transferFrom a1→a3 by a2", h, vec![erc20(token, a[1], a[3], tokens(300), log)]);
    let h = node.transact_with_gas(a[3], a[4], &[], milli_eth(2000), 21_000)?;
    r.ok("ETH a3→a4 (same block)", h, vec![native(a[3], a[4], milli_eth(2000))]);

    let id = U256::from(7u8);
    let h =
        call(a[0], nft, calldata("mint(address,uint256)", &[a[1].into(), id.into()]), U256::ZERO)?;
    let log = r.log();
    r.ok("Nft.mint #7 to a1", h, vec![erc721(nft, Address::ZERO, a[1], id, log)]);
    let h = call(
        a[1],
        nft,
        calldata("transferFrom(address,address,uint256)", &[a[1].into(), a[2].into(), id.into()]),
        U256::ZERO,
    )?;
    let log = r.log();
    r.ok("Nft.transferFrom #7 a1→a2", h, vec![erc721(nft, a[1], a[2], id, log)]);

    let h = call(a[2], forwarder, calldata("forward(address)", &[a[5].into()]), milli_eth(1000))?;
    r.ok(
        "Forwarder.forward a2→a5",
        h,
        vec![
            native(a[2], forwarder, milli_eth(1000)),
            internal(forwarder, a[5], milli_eth(1000), &[0]),
        ],
    );
    let h = call(
        a[3],
        forwarder,
        calldata("split(address,address)", &[a[5].into(), forwarder2.into()]),
        milli_eth(3000),
    )?;
    r.ok(
        "Forwarder.split a3→(a5, Forwarder2→a7)",
        h,
        vec![
            native(a[3], forwarder, milli_eth(3000)),
            internal(forwarder, a[5], milli_eth(1500), &[0]),
            internal(forwarder, forwarder2, milli_eth(1500), &[1]),
            internal(forwarder2, a[7], milli_eth(1500), &[1, 0]),
        ],
    );
    let h = call(a[4], forwarder2, Vec::new(), milli_eth(100))?;
    r.ok(
        "ETH a4→Forwarder2 (receive→a7)",
        h,
        vec![
            native(a[4], forwarder2, milli_eth(100)),
            internal(forwarder2, a[7], milli_eth(100), &[0]),
        ],
    );

    let h =
        call(a[5], reverter, calldata("sendAndRevert(address)", &[a[8].into()]), milli_eth(500))?;
    r.failed("Reverter.sendAndRevert (reverts)", h);
    let h = call(a[6], reverter, calldata("swallow(address)", &[a[8].into()]), milli_eth(500))?;
    r.ok("Reverter.swallow (inner revert)", h, vec![native(a[6], reverter, milli_eth(500))]);
    let h = call(
        a[9],
        token,
        calldata("transfer(address,uint256)", &[a[1].into(), Arg::from(1u64)]),
        U256::ZERO,
    )?;
    r.failed("Token.transfer beyond balance (reverts)", h);

    node.mine(1)?;
    node.set_automine(true)?;

    // 3. Back to one transaction per block.
    r.new_block();
    let h = mined(node.transact(
        a[3],
        token,
        &calldata("transfer(address,uint256)", &[a[4].into(), tokens(1).into()]),
        U256::ZERO,
    )?)?;
    let log = r.log();
    r.ok("Token.transfer a3→a4", h, vec![erc20(token, a[3], a[4], tokens(1), log)]);

    let last = node.block_number()?;
    Ok(Scenario {
        blocks: first..=last,
        expected: r.expected,
        token,
        nft,
        forwarder,
        forwarder_with_sink: forwarder2,
        reverter,
    })
}
