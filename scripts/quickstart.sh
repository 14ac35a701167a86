#!/usr/bin/env bash
# The README's first command: set up, build, import the public lists into the embedded store
# (the default data directory, or CHAINWARD_DATA_DIR), screen a few addresses, and ingest a few
# real exported blocks of Ethereum and Bitcoin.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo build --release --locked -p chainward
chainward="${CARGO_TARGET_DIR:-target}/release/chainward"

data="${CHAINWARD_SHARED_DATA:-../shared/data}"
echo "== importing the public lists from $data"
"$chainward" import --public-data "$data"

echo
echo "== screening a few addresses"
# A Lazarus Group address on OFAC's list, a Tornado Cash pool, a Bitcoin address of a
# sanctioned entity in its legacy form (valid on three chains), and an address on no list.
set +e
"$chainward" screen \
  0x098b716b8aaf21512996dc57eb0615e2383e2f96 \
  0x722122dF12D4e14e13Ac3b6895a86e84145b6967 \
  12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h \
  0x1111111111111111111111111111111111111111
status=$?
set -e
# Exit code 1 means "at least one hit", which is the point of this demo.
if [[ $status -gt 1 ]]; then
  echo "screening failed (exit $status)" >&2
  exit "$status"
fi
echo
echo "== ingesting chain data: real blocks exported by ethereum-etl and bitcoin-etl"
etl="$data/raw_chain"
"$chainward" ingest etl "$etl/ethereum_etl_fixtures/test_export_blocks_job/blocks_with_transactions" \
  --chain ethereum --chain-id 1
"$chainward" ingest etl "$etl/bitcoin_etl_fixtures/test_export_blocks_job/bitcoin/block_with_transactions" \
  --chain bitcoin
"$chainward" stats

echo
echo "== analytics: the transfer graph, a trace and an exposure over the ingested blocks"
"$chainward" graph build
"$chainward" trace --from 0xe6A7a1d47ff21B6321162AEA7C6CB457D5476Bca --model fifo
"$chainward" exposure 0xE25E3A1947405a1F82dD8e3048a9cA471dc782E1 || [ $? -eq 1 ]   # 1: high risk, not a failure

echo
echo "== monitoring: evaluate the stored blocks with the built-in rules, then the alert queue"
"$chainward" monitor --start genesis --once --no-sink
"$chainward" alerts --limit 10
echo
echo "== detection measured on ground truth no one here wrote"
"$chainward" eval amlsim "$data/amlsim/dev-10k-seed0"
"$chainward" model train --data "$data/labeled_tx_graphs/fdgnn_ethereum_cybercrime"

echo
echo "== sharing: the DPRK theft lists as a STIX 2.1 bundle for partners"
"$chainward" intel export --out "${TMPDIR:-/tmp}/chainward-dprk-bundle.json" --tlp green --category stolen_funds

echo "== done. The store is in ${CHAINWARD_DATA_DIR:-your data directory (chainward --help, --data-dir)};"
echo "   try: $chainward lists sources"
