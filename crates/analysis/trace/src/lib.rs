//! Fund tracing and exposure over the transfer graph (work in progress).
