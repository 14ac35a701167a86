//! Chainward's streaming rules engine: detectors that watch every new block's value flows and
//! raise findings (fan-in, fan-out, cycles, peel chains, watchlist and mixer hits, exposure,
//! bridge hops, address poisoning, dispersal from a theft …), configured by a declarative rule
//! file, and evaluated on IBM AMLSim data.
//!
//! - [`flows`]: the input. [`flows_from_rows`] turns the store's rows of a block into
//!   address → address [`Flow`]s (UTXO transactions by haircut, change dropped), one
//!   [`FlowBatch`] per block.
//! - [`config`]: the rule file ([`RuleSet::from_yaml`], strict, every error naming the file,
//!   the rule and the field) and each detector's parameters with their defaults
//!   ([`RuleSet::defaults`]).
//! - [`Engine`]: runs the enabled rules over each batch ([`Engine::process`]) and returns
//!   [`Finding`]s with stable keys; [`Engine::warm`] replays [`Engine::lookback_seconds`] of
//!   history after a restart. Detectors consult a [`Context`]: labels, optionally the transfer
//!   graph (exposure) and an address-text hook (poisoning).
//! - [`amlsim`] reads AMLSim output into batches and [`eval`] scores a rule set on it.
//!
//! Key decisions:
//! - **Unusual counterparties, not degrees.** The shape detectors (fan-in, fan-out, cycle)
//!   count only *unusual* transfers: the first payment between two accounts where one side is
//!   a throwaway account (first seen with that payment, silent after) or an established
//!   account whose counterparties are stable. Periodic business flows and payers that pay a
//!   new payee every week do not add up to a finding, however high their degree (`RULES.md`
//!   gives the analysis behind this and the figures).
//! - **Bounded state, bounded work.** All state is per account, capped in size and evicted by
//!   time through time-ordered queues, so a monitor runs for months in bounded memory and a
//!   batch costs O(flows × small), never a scan of all state. The cycle search has a visit
//!   budget; exposure checks at most N addresses per batch.
//! - **Replayable.** A finding's key is built from the rule, detector, network, subject and
//!   anchoring transaction only, and state depends on the batches alone, so the same batches
//!   give the same findings in any engine, after any restart.
//!
//! ```
//! use chainward_graph::NodeLabels;
//! use chainward_rules::{AssetKey, Context, Engine, Flow, FlowBatch, RuleSet};
//!
//! let rules = RuleSet::from_yaml(
//!     "- id: ring\n  detector: cycle\n  window_days: 30\n",
//!     "rules.yaml",
//! )
//! .unwrap();
//! let mut engine = Engine::new(rules);
//! let labels = NodeLabels::new();
//! let day = 86_400;
//! let mut findings = Vec::new();
//! for (i, (from, to)) in [(1, 2), (2, 3), (3, 1)].into_iter().enumerate() {
//!     let time = (10 + i as u64) * day;
//!     let flow = Flow { tx: i as u64, from, to, asset: AssetKey::Native, amount: 100.0, time };
//!     let batch = FlowBatch { network: 1, height: i as u64, time, flows: vec![flow] };
//!     findings.extend(engine.process(&batch, &Context::new(&labels)));
//! }
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].rule, "ring");
//! ```

pub mod amlsim;
pub mod config;
mod detectors;
pub mod engine;
pub mod eval;
pub mod finding;
pub mod flows;
pub mod profile;

pub use config::{AMLSIM_PROFILE, DetectorKind, Rule, RuleError, RuleSet, Severity};
pub use engine::{AddressText, Context, Engine};
pub use finding::{Evidence, Finding, name_addresses};
pub use flows::{AssetKey, Flow, FlowBatch, flows_from_rows};
