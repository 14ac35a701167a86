#!/usr/bin/env bash
# Runs every fuzz target for N seconds each (default 60) on stable without a sanitizer.
# Needs cargo-fuzz: `CHAINWARD_SETUP_FUZZ=1 bash scripts/setup.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
log="$(mktemp)"
for target in $(cargo fuzz list); do
  echo "fuzzing $target for ${seconds}s"
  # Committed seed inputs (fuzz/seeds/<target>) start the search where random bytes rarely get.
  corpora=()
  if [[ -d "fuzz/seeds/$target" ]]; then
    mkdir -p "fuzz/corpus/$target"
    corpora=("fuzz/corpus/$target" "fuzz/seeds/$target")
  fi
  if ! cargo fuzz run --sanitizer none "$target" "${corpora[@]}" -- -max_total_time="$seconds" \
      -rss_limit_mb=2048 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $target failed; the crashing input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^#[0-9]+ +DONE|^Done' "$log" || tail -n 3 "$log"
done
