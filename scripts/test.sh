#!/usr/bin/env bash
# The README's second command: every test of the workspace (unit, integration on the real
# public data, property tests, doc tests).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PROPTEST_CASES="${PROPTEST_CASES:-256}"
cargo nextest run --workspace --locked --no-fail-fast
cargo test --workspace --locked --doc
