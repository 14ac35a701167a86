#!/usr/bin/env bash
# Installs what Chainward needs on a fresh machine of this project's kind (Debian, Rust via
# rustup). Safe to run again: every step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: install Rust with rustup first" >&2
  exit 1
fi
# rust-toolchain.toml pins the toolchain; this installs it (and rustfmt, clippy) when missing.
rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install
rustup component add rustfmt clippy >/dev/null 2>&1 || true

if ! command -v cargo-nextest >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

if [[ "${CHAINWARD_SETUP_FUZZ:-0}" == "1" ]] && ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
# The real local EVM node (anvil) and the Solidity compiler for the integration tests, pinned in
# tools/evm/package.json and its lock file.
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is not installed: install Node.js 18+ and npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
if [[ ! -x tools/evm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil \
   || ! -d tools/evm/node_modules/solc \
   || tools/evm/package-lock.json -nt tools/evm/node_modules ]]; then
  log "installing anvil and solc (npm, tools/evm)"
  npm ci --prefix tools/evm --no-audit --no-fund --ignore-scripts >&2
  touch tools/evm/node_modules
fi
# The test contracts (tools/evm/contracts/*.sol), compiled for chainward-devnode into the
# gitignored tools/evm/build/contracts.json; again whenever a source or the script is newer.
if [[ ! -f tools/evm/build/contracts.json \
   || -n "$(find tools/evm/contracts tools/evm/compile.mjs -newer tools/evm/build/contracts.json)" ]]; then
  log "compiling the test contracts (solc-js, tools/evm/compile.mjs)"
  node tools/evm/compile.mjs
fi
# NATS with JetStream for the monitor's scale-out (workers share blocks through a stream) and
# its alert sink; Debian's package (2.9) has JetStream.
if ! command -v nats-server >/dev/null 2>&1; then
  log "installing nats-server (Debian package)"
  apt_get=(apt-get)
  [[ "$(id -u)" == 0 ]] || apt_get=(sudo apt-get)
  "${apt_get[@]}" install -y nats-server >&2 \
    || { "${apt_get[@]}" update >&2 && "${apt_get[@]}" install -y nats-server >&2; }
fi
# The sharing layer's interop peers from PyPI: stix2-validator (every exported bundle),
# taxii2-client (drives our TAXII server), medallion (the TAXII server our client syncs with).
if ! python3 -c 'import stix2validator, taxii2client, medallion' >/dev/null 2>&1 \
   || ! command -v stix2_validator >/dev/null 2>&1; then
  log "installing the STIX/TAXII interop tools (pip, tools/python/requirements.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r tools/python/requirements.txt >&2
fi
log "ready"
