//! The dev node against a real anvil: start-up, options, helpers, contracts, the scenario.

use alloy_primitives::{Address, U256};
use chainward_devnode::{
    Arg, Contract, Contracts, DevNode, DevNodeError, DevNodeOptions, Mining, calldata,
    standard_scenario,
};
use chainward_primitives::ledger::TxStatus;

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
}

#[test]
fn starts_anvil_and_sends_eth() {
    let node = DevNode::start().expect("anvil starts");
    assert!(node.url().starts_with("http://127.0.0.1:"), "{}", node.url());
    assert_eq!(node.chain_id(), 31337);
    assert_eq!(node.accounts().len(), 10);
    let [alice, bob] = [node.accounts()[0], node.accounts()[1]];

    let before = node.balance(bob).expect("balance");
    let hash = node.send_eth(alice, bob, eth(3)).expect("sent");
    let receipt = node.wait_receipt(hash).expect("automine mines it");
    assert_eq!(receipt.status, Some(1));
    assert_eq!(node.balance(bob).expect("balance"), before + eth(3));
    assert!(node.log_path().exists());
}

#[test]
fn honours_options() {
    let options = DevNodeOptions {
        mining: Mining::Manual,
        chain_id: 1337,
        accounts: 3,
        ..DevNodeOptions::default()
    };
    let node = DevNode::start_with(options).expect("anvil starts");
    assert_eq!(node.chain_id(), 1337);
    assert_eq!(node.accounts().len(), 3);

    let height = node.block_number().expect("height");
    let hash = node.send_eth(node.accounts()[0], node.accounts()[1], eth(1)).expect("sent");
    assert!(node.receipt(hash).expect("receipt call").is_none(), "mined without mining");
    node.mine(2).expect("mined");
    assert_eq!(node.block_number().expect("height"), height + 2);
    assert_eq!(node.receipt(hash).expect("receipt call").expect("mined").status, Some(1));
}

#[test]
fn a_missing_anvil_says_to_run_setup() {
    let options =
        DevNodeOptions { anvil: Some("/nonexistent/anvil".into()), ..DevNodeOptions::default() };
    let error = DevNode::start_with(options).expect_err("no anvil there");
    assert!(matches!(error, DevNodeError::AnvilMissing { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("/nonexistent/anvil"), "{message}");
    assert!(message.contains("bash scripts/setup.sh"), "{message}");
}

#[test]
fn missing_contracts_say_to_run_setup() {
    let error = Contracts::load_from("/nonexistent/contracts.json".as_ref()).expect_err("absent");
    let message = error.to_string();
    assert!(message.contains("/nonexistent/contracts.json"), "{message}");
    assert!(message.contains("bash scripts/setup.sh"), "{message}");
    assert!(Contracts::load().is_ok(), "run `bash scripts/setup.sh` to compile the contracts");
}

#[test]
fn deploys_transacts_snapshots_and_reverts() {
    let node = DevNode::start().expect("anvil starts");
    let [a0, a1] = [node.accounts()[0], node.accounts()[1]];
    let token = node.deploy(Contract::Token, &[eth(100).into()]).expect("deployed");
    let code: String =
        node.rpc("eth_getCode", serde_json::json!([token, "latest"])).expect("eth_getCode");
    assert!(code.len() > 2, "no code at {token}");

    let snapshot = node.snapshot().expect("snapshot");
    let height = node.block_number().expect("height");
    let transfer = calldata("transfer(address,uint256)", &[a1.into(), eth(1).into()]);
    let hash = node.transact(a0, token, &transfer, U256::ZERO).expect("transfer");
    let receipt = node.wait_receipt(hash).expect("mined");
    assert_eq!(receipt.status, Some(1));
    assert_eq!(receipt.logs.len(), 1, "one Transfer event");

    node.revert(&snapshot).expect("reverted");
    assert_eq!(node.block_number().expect("height"), height);
    assert!(node.receipt(hash).expect("receipt call").is_none(), "the transfer is undone");
    assert!(node.revert(&snapshot).is_err(), "a snapshot is used up by its revert");

    // A call that reverts is mined with status 0: with an explicit gas limit on any node,
    // and (anvil 1.7.1) even when the node estimates the gas.
    let too_much = calldata("transfer(address,uint256)", &[a0.into(), Arg::from(1u64)]);
    let estimated = node.transact(a1, token, &too_much, U256::ZERO).expect("sent");
    let receipt = node.wait_receipt(estimated).expect("mined");
    assert_eq!(receipt.status, Some(0));
    let hash = node.transact_with_gas(a1, token, &too_much, U256::ZERO, 100_000).expect("sent");
    let receipt = node.wait_receipt(hash).expect("mined");
    assert_eq!(receipt.status, Some(0));
    assert!(receipt.logs.is_empty());
}

#[test]
fn the_standard_scenario_mines_what_it_expects() {
    let node = DevNode::start().expect("anvil starts");
    let scenario = standard_scenario(&node);
    assert_eq!(scenario.expected.len(), 21);
    let mut heights = Vec::new();
    for tx in &scenario.expected {
        let receipt = node.receipt(tx.hash).expect("receipt call").expect("mined");
        let status = if receipt.status == Some(1) { TxStatus::Success } else { TxStatus::Failed };
        assert_eq!(status, tx.status, "{}", tx.label);
        let height = receipt.block_number.expect("mined receipts have a block number");
        assert!(scenario.blocks.contains(&height), "{} is in block {height}", tx.label);
        heights.push(height);
    }
    // Every block of the range holds a scenario transaction; 12 of them share one block.
    heights.dedup();
    assert_eq!(heights.len() as u64, scenario.blocks.end() - scenario.blocks.start() + 1);
    assert_eq!(scenario.expected.len() - heights.len(), 11);

    // The contracts really moved the value: the split's second half reached a7 through the
    // second forwarder.
    assert_ne!(scenario.forwarder_with_sink, Address::ZERO);
    let code: String = node
        .rpc("eth_getCode", serde_json::json!([scenario.reverter, "latest"]))
        .expect("eth_getCode");
    assert!(code.len() > 2);
}

#[tokio::test]
async fn is_usable_from_async_tests() {
    let node = DevNode::start().expect("anvil starts inside a tokio runtime");
    let hash = node.send_eth(node.accounts()[0], node.accounts()[1], eth(1)).expect("sent");
    assert_eq!(node.wait_receipt(hash).expect("mined").status, Some(1));
}
