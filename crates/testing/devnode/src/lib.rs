//! Test-only: starts a real local EVM node (anvil) and drives test transactions on it.
