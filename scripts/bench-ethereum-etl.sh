#!/usr/bin/env bash
# Side by side, same node, same blocks: ethereum-etl (PyPI) exporting blocks, transactions,
# receipts, logs, token transfers and traces, against `chainward ingest ethereum` (which also
# normalizes and writes everything into its store). Prints both rates and their ratio, then
# cross-checks: the export, ingested with `chainward ingest etl`, gives the same counts.
#
# Usage: bash scripts/bench-ethereum-etl.sh [BLOCKS] [TXS_PER_BLOCK]   (default 300 100)
set -euo pipefail
cd "$(dirname "$0")/.."
BLOCKS="${1:-300}"
PER_BLOCK="${2:-100}"
WORK="$(mktemp -d)"
VENV="target/bench-venv"
ANVIL="${CHAINWARD_ANVIL:-tools/evm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}"
PORT=18645
URL="http://127.0.0.1:$PORT"

bash scripts/setup.sh
if ! "$VENV/bin/ethereumetl" --help >/dev/null 2>&1; then
  echo "[bench] installing ethereum-etl into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "ethereum-etl==2.4.2"
  # ethereum-etl 2.4.2 pins parsimonious 0.8, which imports inspect.getargspec (gone in
  # Python 3.11); 0.9.0 has the same API without it.
  "$VENV/bin/pip" install -q --no-deps "parsimonious==0.9.0" "regex"
fi
cargo build --release --locked -q -p chainward
CHAINWARD=target/release/chainward

"$ANVIL" --port "$PORT" --no-mining --silent --accounts 10 --balance 1000000 &
ANVIL_PID=$!
trap 'kill $ANVIL_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$URL" >/dev/null && break
  sleep 0.2
done
echo "[bench] filling the node: $BLOCKS blocks of $PER_BLOCK transactions" >&2
TIP="$(python3 tools/evm/fill_node.py "$URL" "$BLOCKS" "$PER_BLOCK")"
FIRST=1

now() { python3 -c 'import time; print(time.monotonic())'; }
ETL="$VENV/bin/ethereumetl"
OUT="$WORK/export"
mkdir -p "$OUT"
echo "[bench] ethereum-etl export of blocks $FIRST..$TIP" >&2
start="$(now)"
"$ETL" export_blocks_and_transactions -s "$FIRST" -e "$TIP" -p "$URL" \
  --blocks-output "$OUT/blocks.csv" --transactions-output "$OUT/transactions.csv" 2>/dev/null
"$ETL" extract_csv_column -i "$OUT/transactions.csv" -c hash -o "$WORK/tx_hashes.txt" 2>/dev/null
"$ETL" export_receipts_and_logs --transaction-hashes "$WORK/tx_hashes.txt" -p "$URL" \
  --receipts-output "$OUT/receipts.csv" --logs-output "$OUT/logs.csv" 2>/dev/null
"$ETL" extract_token_transfers --logs "$OUT/logs.csv" -o "$OUT/token_transfers.csv" 2>/dev/null
"$ETL" export_traces -s "$FIRST" -e "$TIP" -p "$URL" -o "$OUT/traces.csv" 2>/dev/null
end="$(now)"
ETL_SECONDS="$(python3 -c "print($end - $start)")"

echo "[bench] the node's own ceiling: the calls per block, raw, 8 in flight" >&2
read -r NODE_SECONDS LEAN_SECONDS < <(python3 - "$URL" "$FIRST" "$TIP" <<'PY'
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
url, first, tip = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def fetch(n, full):
    body = json.dumps([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": [hex(n), full]},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_getBlockReceipts", "params": [hex(n)]},
        {"jsonrpc": "2.0", "id": 3, "method": "trace_block", "params": [hex(n)]},
    ]).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return len(response.read())
seconds = []
for full in (True, False):
    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(lambda n: fetch(n, full), range(first, tip + 1)))
    seconds.append(time.monotonic() - start)
print(*seconds)
PY
)

echo "[bench] chainward ingest ethereum of the same blocks" >&2
start="$(now)"
"$CHAINWARD" --data-dir "$WORK/rpc-store" ingest ethereum --rpc "$URL" --from "$FIRST" --to "$TIP" \
  --json >"$WORK/rpc.json"
end="$(now)"
CW_SECONDS="$(python3 -c "print($end - $start)")"

"$CHAINWARD" --data-dir "$WORK/etl-store" ingest etl "$OUT" --chain ethereum --chain-id 31337 \
  --json >"$WORK/etl.json"

python3 - "$WORK/rpc.json" "$WORK/etl.json" "$ETL_SECONDS" "$CW_SECONDS" "$FIRST" "$TIP" "$NODE_SECONDS" "$LEAN_SECONDS" <<'PY'
import json, sys
rpc, etl = (json.load(open(p)) for p in sys.argv[1:3])
etl_s, cw_s, first, tip = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
node_s, lean_s = float(sys.argv[7]), float(sys.argv[8])
blocks = tip - first + 1
t = rpc["totals"]
print(f"ethereum-etl vs chainward on anvil: blocks {first}..{tip} ({blocks} blocks, "
      f"{t['transactions']} transactions, {t['transfers']} transfers)")
print(f"{'tool':<52} {'seconds':>8} {'blocks/s':>9} {'ratio':>7}")
print(f"{'ethereum-etl 2.4.2 (blocks, txs, receipts, logs, token transfers, traces)':<52} {etl_s:>8.2f} {blocks/etl_s:>9.1f} {1:>6.2f}x")
print(f"{'chainward ingest ethereum (fetch, normalize, store)':<52} {cw_s:>8.2f} {blocks/cw_s:>9.1f} {etl_s/cw_s:>6.2f}x")
print(f"{'node ceiling: full block+receipts+traces, 8 in flight':<52} {node_s:>8.2f} {blocks/node_s:>9.1f} {etl_s/node_s:>6.2f}x")
print(f"{'node ceiling: block hashes+receipts+traces (our calls)':<52} {lean_s:>8.2f} {blocks/lean_s:>9.1f} {etl_s/lean_s:>6.2f}x")
print(f"chainward runs at {lean_s/cw_s:.0%} of the rate the node serves the same calls raw")
same = all(rpc["totals"][k] == etl["totals"][k] for k in ("blocks", "transactions", "transfers"))
print(f"cross-check: ethereum-etl's export ingested by chainward gives "
      f"{etl['totals']['transfers']} transfers vs {t['transfers']} from RPC: "
      f"{'same' if same else 'DIFFERENT'}")
sys.exit(0 if same else 1)
PY
