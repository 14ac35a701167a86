#!/usr/bin/env bash
# Side by side, same input files: graphsense-clustering (PyPI `graphsense-clustering`, the
# union-find GraphSense's "fresh" clustering path streams multi-input sets into) against
# chainward-cluster's `cluster_input_sets`. Both time the union of every transaction's input
# set plus building the mapping of non-singleton rows (GraphSense's `get_mapping_min(True)`),
# then print rows and the checksum (sum of cluster ids, minimum id per cluster, over those
# rows), so a mismatch in either implementation shows. Exits non-zero if the checksums differ.
#
# The input is the synthetic workload of docs/reference/tracing-anchors.md Appendix A: input
# counts 1 + Geometric(0.6) capped at 50, address ids skewed as u^3, numpy seed 7, drawn in
# chunks of 20 M, written as little-endian u32 offsets and values.
#
# Each side clusters the same loaded input REPEAT times (default 3) and reports its fastest run
# (union + mapping): on a shared machine the minimum is the figure least disturbed by others.
#
# Usage: [REPEAT=3] bash scripts/bench-clustering.sh [N_ADDR] [N_TX]
#        (defaults 100000000 60000000)
# Last line of output: one JSON object with both sides' figures.
set -euo pipefail
cd "$(dirname "$0")/.."
N_ADDR="${1:-100000000}"
N_TX="${2:-60000000}"
REPEAT="${REPEAT:-3}"
TARGET="${CARGO_TARGET_DIR:-target}"
VENV="$TARGET/bench-venv-clustering"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if ! "$VENV/bin/python" -c 'import gs_clustering, numpy, pyarrow' >/dev/null 2>&1; then
  echo "[bench] installing graphsense-clustering into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "graphsense-clustering==0.2.0" "numpy==2.4.6" "pyarrow==26.0.1"
fi
PY="$VENV/bin/python"

echo "[bench] generating $N_TX transactions over $N_ADDR addresses (seed 7, exp 3.0)" >&2
"$PY" - "$N_ADDR" "$N_TX" "$WORK" <<'PY'
import sys, numpy as np
n_addr, n_tx, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
EXP, CH = 3.0, 20_000_000
rng = np.random.default_rng(7)
k = np.minimum(1 + rng.geometric(0.6, n_tx), 50).astype(np.int32)
off = np.zeros(n_tx + 1, np.int32)
np.cumsum(k, out=off[1:])
vals = np.empty(int(off[-1]), np.uint32)
for s in range(0, len(vals), CH):  # float64 draws: float32 would collapse ids
    e = min(len(vals), s + CH)
    vals[s:e] = (1 + rng.random(e - s) ** EXP * (n_addr - 1)).astype(np.uint32)
off.astype("<i4").tofile(f"{work}/offsets.bin")
vals.astype("<u4").tofile(f"{work}/values.bin")
print(f"[bench] {n_tx} transactions, {len(vals)} input references", file=sys.stderr)
PY

echo "[bench] graphsense-clustering (Arrow feed)" >&2
GS="$("$PY" - "$N_ADDR" "$WORK" "$REPEAT" <<'PY'
import sys, time, numpy as np, pyarrow as pa
from gs_clustering import Clustering
n_addr, work, repeat = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
off = np.fromfile(f"{work}/offsets.bin", dtype="<i4")
vals = np.fromfile(f"{work}/values.bin", dtype="<u4")
arr = pa.ListArray.from_arrays(pa.array(off, pa.int32()), pa.array(vals, pa.uint32()))
best = None
for _ in range(max(1, repeat)):
    c = Clustering(max_address_id=n_addr)
    t0 = time.perf_counter()
    c.process_transactions_arrow(arr)
    t1 = time.perf_counter()
    m = c.get_mapping_min(True)
    t2 = time.perf_counter()
    if best is None or (t2 - t0) < best[0] + best[1]:
        best = (t1 - t0, t2 - t1, m)
    del c
union_s, mapping_s, m = best
checksum = int(m.column("cluster_id").to_numpy().astype(np.uint64).sum())
print(f"union_s={union_s:.4f} mapping_s={mapping_s:.4f} rows={m.num_rows} checksum={checksum}")
PY
)"
echo "[bench] graphsense-clustering: $GS" >&2

echo "[bench] chainward-cluster (cluster_sets example, release)" >&2
OURS="$(cargo run --release --locked -q -p chainward-cluster --example cluster_sets -- \
  "$WORK/offsets.bin" "$WORK/values.bin" "$N_ADDR" --repeat "$REPEAT")"
echo "[bench] chainward-cluster:     $OURS" >&2

"$PY" - "$N_ADDR" "$N_TX" "$GS" "$OURS" "$REPEAT" <<'PY'
import json, sys
n_addr, n_tx, repeat = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[5])
def parse(line):
    return {k: float(v) if "." in v else int(v) for k, v in (p.split("=") for p in line.split())}
gs, ours = parse(sys.argv[3]), parse(sys.argv[4])
for side in (gs, ours):
    side["total_s"] = round(side["union_s"] + side["mapping_s"], 4)
ratio = ours["total_s"] / gs["total_s"] if gs["total_s"] else float("nan")
match = gs["checksum"] == ours["checksum"] and gs["rows"] == ours["rows"]
print(f"{'':24}{'union s':>10}{'mapping s':>11}{'total s':>10}{'rows':>13}  checksum")
for name, s in (("graphsense-clustering", gs), ("chainward-cluster", ours)):
    print(f"{name:24}{s['union_s']:>10.3f}{s['mapping_s']:>11.3f}{s['total_s']:>10.3f}"
          f"{s['rows']:>13,}  {s['checksum']}")
print(f"ratio ours/theirs (union + mapping): {ratio:.3f}; checksums "
      + ("match" if match else "DIFFER"))
print(json.dumps({"n_addr": n_addr, "n_tx": n_tx, "repeat": repeat, "graphsense": gs, "chainward": ours,
                  "ratio": round(ratio, 4), "checksums_match": match}))
sys.exit(0 if match else 1)
PY
