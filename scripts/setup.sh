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
log "ready"
