//! The staged chain ingest: sources, checkpoints, reorg unwinding, into a chain store.
