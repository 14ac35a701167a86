#!/usr/bin/env bash
# Fails when a crate depends on something its layer must not (see docs/layout.md).
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
forbid() { # crate, forbidden dependency
  if cargo tree --locked -e normal -p "$1" --prefix none 2>/dev/null | awk '{print $1}' | grep -qx "$2"; then
    echo "dependency rule broken: $1 must not depend on $2" >&2
    fail=1
  fi
}
for lib in chainward-primitives chainward-store-api chainward-screening chainward-etl-files \
           chainward-chain-bitcoin chainward-chain-ethereum chainward-evm-rpc chainward-ingest \
           chainward-graph chainward-cluster chainward-trace chainward-rules chainward-model \
           chainward-monitor chainward-stix chainward-taxii-server chainward-taxii-client \
           chainward-private-lookup; do
  forbid "$lib" chainward-store
  forbid "$lib" rusqlite
done
forbid chainward-primitives chainward-store-api
forbid chainward-primitives chainward-screening
forbid chainward-store-api chainward-screening
forbid chainward-store chainward-screening
for chain in chainward-chain-bitcoin chainward-chain-ethereum; do
  forbid "$chain" chainward-store-api
  forbid "$chain" chainward-screening
  forbid "$chain" reqwest
done
forbid chainward-evm-rpc chainward-store-api
forbid chainward-ingest chainward-screening
# The analysis layer reads the store through traits and knows nothing of sources or lists.
for analysis in chainward-graph chainward-cluster chainward-trace; do
  forbid "$analysis" chainward-ingest
  forbid "$analysis" chainward-screening
  forbid "$analysis" reqwest
done
forbid chainward-graph chainward-cluster
forbid chainward-graph chainward-trace
forbid chainward-cluster chainward-trace
forbid chainward-trace chainward-cluster
# Detection: the rules engine and the model are pure (no network, no sources); the monitor
# wires them to the store, sinks and NATS and is the only one that talks to the network.
for detect in chainward-rules chainward-model; do
  forbid "$detect" chainward-ingest
  forbid "$detect" chainward-monitor
  forbid "$detect" reqwest
  forbid "$detect" async-nats
done
forbid chainward-model chainward-rules
# Sharing: content, transport and private lookups know nothing of chains, detection or monitoring.
for sharing in chainward-stix chainward-taxii-server chainward-taxii-client chainward-private-lookup; do
  forbid "$sharing" chainward-ingest
  forbid "$sharing" chainward-monitor
  forbid "$sharing" chainward-rules
  forbid "$sharing" chainward-graph
done
forbid chainward-stix reqwest
forbid chainward-stix axum
forbid chainward-taxii-server reqwest
forbid chainward-taxii-client axum
forbid chainward-monitor chainward-ingest
for lib in chainward-primitives chainward-store-api chainward-store chainward-screening \
           chainward-chain-bitcoin chainward-chain-ethereum chainward-evm-rpc chainward-ingest \
           chainward-rules chainward-model chainward-monitor chainward-stix chainward-taxii-server \
           chainward-taxii-client chainward-private-lookup; do
  forbid "$lib" chainward-devnode
  forbid "$lib" chainward-fixtures
done
exit $fail
