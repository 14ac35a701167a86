#!/usr/bin/env python3
"""Fills a local dev node (anvil with --no-mining) with blocks full of transactions.

Usage: fill_node.py URL BLOCKS TXS_PER_BLOCK

Each block gets TXS_PER_BLOCK transactions: ETH transfers between the dev accounts and fresh
addresses, ERC-20 transfers of the test token (tools/evm/contracts/Token.sol) and ETH sent
through the Forwarder contract (an internal transfer in the call trace). Used by
scripts/bench-ethereum-etl.sh; standard library only.
"""
import json
import random
import sys
import urllib.request
from pathlib import Path

URL, BLOCKS, PER_BLOCK = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
BUILD = Path(__file__).resolve().parent / "build" / "contracts.json"
_id = 0


def rpc_batch(calls):
    global _id
    body = []
    for method, params in calls:
        _id += 1
        body.append({"jsonrpc": "2.0", "id": _id, "method": method, "params": params})
    request = urllib.request.Request(
        URL, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        answers = {a["id"]: a for a in json.loads(response.read())}
    results = []
    for call in body:
        answer = answers[call["id"]]
        if "error" in answer:
            raise SystemExit(f"{call['method']}: {answer['error']}")
        results.append(answer["result"])
    return results


def rpc(method, params):
    return rpc_batch([(method, params)])[0]


def word(value):
    return format(value, "064x")


contracts = json.loads(BUILD.read_text())["contracts"]
accounts = rpc("eth_accounts", [])
deployer = accounts[0]
supply = 10**30
token_tx = rpc("eth_sendTransaction", [{
    "from": deployer, "gas": hex(3_000_000),
    "data": "0x" + contracts["Token"]["bytecode"].removeprefix("0x") + word(supply)}])
forwarder_abi = contracts["Forwarder"]["abi"]
forwarder_tx = rpc("eth_sendTransaction", [{
    "from": deployer, "gas": hex(3_000_000),
    "data": "0x" + contracts["Forwarder"]["bytecode"].removeprefix("0x") + word(int(deployer, 16))}])
rpc("evm_mine", [])
token = rpc("eth_getTransactionReceipt", [token_tx])["contractAddress"]
forwarder = rpc("eth_getTransactionReceipt", [forwarder_tx])["contractAddress"]

# The Forwarder's function that forwards msg.value to a recipient: forward(address).
forward = next(f for f in forwarder_abi if f.get("type") == "function"
               and [i["type"] for i in f["inputs"]] == ["address"]
               and f.get("stateMutability") == "payable")
selector = rpc("web3_sha3", ["0x" + f"{forward['name']}(address)".encode().hex()])[:10]

rng = random.Random(7)
recipients = ["0x" + rng.randbytes(20).hex() for _ in range(2000)]
for block in range(BLOCKS):
    calls = []
    for i in range(PER_BLOCK):
        to = rng.choice(recipients)
        kind = i % 4
        if kind == 0:
            calls.append(("eth_sendTransaction", [{
                "from": deployer, "to": token, "gas": hex(100_000),
                "data": "0xa9059cbb" + word(int(to, 16)) + word(rng.randrange(1, 10**20))}]))
        elif kind == 1:
            calls.append(("eth_sendTransaction", [{
                "from": rng.choice(accounts[1:]), "to": forwarder, "gas": hex(100_000),
                "value": hex(rng.randrange(1, 10**17)),
                "data": selector + word(int(to, 16))}]))
        else:
            calls.append(("eth_sendTransaction", [{
                "from": rng.choice(accounts), "to": to, "gas": hex(21_000),
                "value": hex(rng.randrange(1, 10**18))}]))
    rpc_batch(calls)
    rpc("evm_mine", [])
    if (block + 1) % 50 == 0:
        print(f"filled {block + 1}/{BLOCKS} blocks", file=sys.stderr)
print(int(rpc("eth_blockNumber", []), 16))
