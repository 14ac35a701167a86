//! Chainward's real-time monitor.
//!
//! Ingest stores blocks; the monitor evaluates every stored block above its cursor with the
//! rules engine (`chainward-rules`), one engine per network, and stores the findings as alerts
//! together with the cursor in one transaction ([`runner`]). Alerts are unique by a stable key,
//! so a restart, a reorg re-evaluation or a second worker never doubles one. Stored alerts are
//! delivered to sinks from an outbox ([`sinks`]): stdout JSON lines, a webhook, a NATS JetStream
//! subject. For scale-out, workers take blocks from a JetStream work queue ([`stream`]).
//!
//! ```text
//! ingest threads ──store──▶ SQLite ◀──evaluate── monitor (Evaluator: rules + labels + graph)
//!        │ wake                 │ alerts (unique key) + cursor, one transaction
//!        └───────────────▶ follow()                     │
//!                               outbox ──▶ stdout │ webhook │ NATS chainward.alerts.>
//! ```

pub mod evaluate;
pub mod model_rule;
pub mod runner;
pub mod sinks;
pub mod stream;

pub use evaluate::{BlockOutcome, EvaluateError, Evaluator, MonitorStore, read_blocks};
pub use model_rule::ModelRuleOptions;
pub use runner::{MonitorOptions, PassSummary, Start, catch_up, follow};
pub use sinks::{
    DeliveryStats, SIGNATURE_HEADER, SignatureError, SinkError, SinkSpec, WebhookSecret,
    alert_json, run_delivery, verify_signature,
};
pub use stream::{BlockMessage, BlockPublisher, StreamError, WorkerOptions, run_worker};
