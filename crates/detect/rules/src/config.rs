//! The rule file: which detectors run, under which rule ids, with which parameters.
//!
//! A rule file is a YAML **list of rules**. Every rule has:
//!
//! | key | required | meaning |
//! | --- | --- | --- |
//! | `id` | yes | unique name, used in findings (`rule`) and their keys |
//! | `detector` | yes | the detector kind ([`DetectorKind`], snake_case: `fan_in`, `cycle`, …) |
//! | `severity` | no | `info`, `low`, `medium`, `high` or `severe`; each detector has a default |
//! | `enabled` | no | `false` keeps the rule in the file but does not run it (default `true`) |
//!
//! and the detector's own parameters, each optional with the default documented on its
//! struct ([`FanParams`], [`CycleParams`], …; `RULES.md` beside the crate lists them all with
//! the catalogue entry (R1–R16) each detector implements and why each default was chosen).
//! Durations are in days or hours as the key says (`window_days`, `window_hours`); shares are
//! fractions in 0–1.
//!
//! ```yaml
//! - id: fan-in
//!   detector: fan_in
//!   severity: high
//!   window_days: 365
//!   min_members: 3
//! - id: sanctions
//!   detector: watchlist
//!   categories: [sanctioned, terrorist_financing]
//! ```
//!
//! Validation is strict (unknown keys are errors, as is a wrong type, an out-of-range value, a
//! duplicate id or an unknown detector), and every error names the file, the rule (id, or
//! index when the id is missing) and the field: see [`RuleError`]. [`RuleSet::from_yaml`]
//! never panics, whatever the input.

use chainward_primitives::Category;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For information.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Severe: act now (sanctions).
    Severe,
}

/// The built-in detectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    /// A flow to or from a listed address (R14, direct).
    Watchlist,
    /// Indirect exposure of a receiving address above share thresholds (R8, R14).
    Exposure,
    /// A deposit into or a withdrawal from a mixer (R8, direct).
    Mixer,
    /// Many unusual senders into one account (R3).
    FanIn,
    /// Many unusual recipients from one account (R4).
    FanOut,
    /// Funds going round a directed cycle of unusual transfers (R6).
    Cycle,
    /// One source → several intermediaries → one sink (R5).
    ScatterGather,
    /// Several sources → one account → several sinks (R5).
    GatherScatter,
    /// A peel chain: 1-in/2-out transactions, the larger output spent on (R7).
    PeelChain,
    /// Most of an inflow leaves again within hours (R2).
    PassThrough,
    /// Repeated amounts just under a reporting threshold (R1).
    Structuring,
    /// A deposit into a bridge of funds with stolen or sanctioned exposure (R9).
    Bridge,
    /// A dust transfer from a look-alike of an address the victim paid (R16).
    Poisoning,
    /// Funds of a theft spread to many new addresses (R15).
    Dispersal,
}

impl DetectorKind {
    /// Every kind.
    pub const ALL: [Self; 14] = [
        Self::Watchlist,
        Self::Exposure,
        Self::Mixer,
        Self::FanIn,
        Self::FanOut,
        Self::Cycle,
        Self::ScatterGather,
        Self::GatherScatter,
        Self::PeelChain,
        Self::PassThrough,
        Self::Structuring,
        Self::Bridge,
        Self::Poisoning,
        Self::Dispersal,
    ];

    /// The name used in rule files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Watchlist => "watchlist",
            Self::Exposure => "exposure",
            Self::Mixer => "mixer",
            Self::FanIn => "fan_in",
            Self::FanOut => "fan_out",
            Self::Cycle => "cycle",
            Self::ScatterGather => "scatter_gather",
            Self::GatherScatter => "gather_scatter",
            Self::PeelChain => "peel_chain",
            Self::PassThrough => "pass_through",
            Self::Structuring => "structuring",
            Self::Bridge => "bridge",
            Self::Poisoning => "poisoning",
            Self::Dispersal => "dispersal",
        }
    }

    /// The default severity of its findings.
    pub const fn default_severity(self) -> Severity {
        match self {
            Self::Watchlist | Self::Poisoning => Severity::Severe,
            Self::Mixer | Self::Bridge | Self::Dispersal | Self::Exposure => Severity::High,
            Self::FanIn | Self::FanOut | Self::Cycle | Self::ScatterGather => Severity::Medium,
            Self::GatherScatter | Self::PeelChain | Self::Structuring => Severity::Medium,
            Self::PassThrough => Severity::Low,
        }
    }
}

impl std::fmt::Display for DetectorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong with a rule file. Every variant names the file.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum RuleError {
    /// The text is not YAML, or not a list of rules.
    #[error("{origin}: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// What the parser said.
        message: String,
    },
    /// One rule is wrong.
    #[error("{origin}: rule {rule}: field `{field}`: {message}")]
    Rule {
        /// The file.
        origin: String,
        /// The rule's id in backquotes, or `#index` when it has none.
        rule: String,
        /// The field at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// Sides of a flow a label check looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Flows from a listed address to another.
    Incoming,
    /// Flows to a listed address.
    Outgoing,
    /// Both.
    #[default]
    Both,
}

/// `watchlist`: a flow to or from an address whose labels include one of `categories`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchlistParams {
    /// Categories that make an address a hit (default: sanctioned, terrorist_financing,
    /// stolen_funds, ransomware, darknet, scam).
    pub categories: Vec<Category>,
    /// `incoming` (money from a listed address), `outgoing` (to one) or `both` (default).
    pub direction: Direction,
    /// Flows below this amount are ignored (default 0: every flow, dust included).
    pub min_amount: f64,
}

impl Default for WatchlistParams {
    fn default() -> Self {
        Self {
            categories: vec![
                Category::Sanctioned,
                Category::TerroristFinancing,
                Category::StolenFunds,
                Category::Ransomware,
                Category::Darknet,
                Category::Scam,
            ],
            direction: Direction::Both,
            min_amount: 0.0,
        }
    }
}

/// `exposure`: indirect exposure of the receiving address of a flow, through
/// `chainward_trace::exposure` on the context's graph (skipped without a graph).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExposureParams {
    /// Categories whose indirect share counts (default: sanctioned, terrorist_financing,
    /// stolen_funds, mixer, ransomware, darknet, scam).
    pub categories: Vec<Category>,
    /// Transactions looked through (default 3, 1–10).
    pub hops: u32,
    /// Receiving addresses checked per batch at most (default 32): bounds the work.
    pub max_per_batch: usize,
    /// Share at or above which severity is high (default 0.25).
    pub high_share: f64,
    /// Share at or above which severity is medium (default 0.05).
    pub medium_share: f64,
    /// Share at or above which a finding is raised at all, severity low (default 0.01).
    pub min_share: f64,
    /// Do not re-check an address within this many hours (default 24).
    pub recheck_hours: f64,
}

impl Default for ExposureParams {
    fn default() -> Self {
        Self {
            categories: vec![
                Category::Sanctioned,
                Category::TerroristFinancing,
                Category::StolenFunds,
                Category::Mixer,
                Category::Ransomware,
                Category::Darknet,
                Category::Scam,
            ],
            hops: 3,
            max_per_batch: 32,
            high_share: 0.25,
            medium_share: 0.05,
            min_share: 0.01,
            recheck_hours: 24.0,
        }
    }
}

/// `mixer`: a flow into (deposit) or out of (withdrawal) an address labelled mixer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MixerParams {
    /// Flows below this amount are ignored (default 0).
    pub min_amount: f64,
}

/// `fan_in` and `fan_out`: many *unusual* counterparties on one side of one account.
///
/// A payment counts for the hub when it is the first payment between the two accounts and
/// the counterparty (the sender for fan-in, the recipient for fan-out) is
/// - **fresh**: never seen before, or first seen less than `fresh_days` before the payment
///   with at most `max_prior_txs` transactions before it.
///   With `quiet_days` > 0 it counts only once it has stayed silent for `quiet_days` after
///   the payment (a *throwaway account*; the finding then comes `quiet_days` late); with
///   `quiet_days` = 0 it counts at once; or
/// - with `stable_counterparties`, an **established account with stable counterparties**:
///   known for at least `established_days`, with at most `max_new_share` of its earlier
///   payments (receipts for fan-out) involving a new counterparty.
///
/// The detector fires when one hub has at least `min_members` such counterparties within
/// `window_days` and, with `flow_share` > 0, the money moved as the catalogue's shape says:
/// - fan-in (R3): the hub then sends on at least `flow_share` of what those members paid it,
///   within `flow_hours` of the member that completed the count;
/// - fan-out (R4): the members' payments add up to at least `flow_share` of one inflow the
///   hub received within `window_days` before (source of funds: one inflow split).
///
/// One finding per hub and window (a later batch does not repeat it); with `follow_up`,
/// counterparties that join after the finding are reported in a follow-up finding that names
/// the hub and the new members only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FanParams {
    /// Window over which counterparties add up (defaults: fan-in 3 days = R3's 72 h, fan-out
    /// 1 day = R4's 24 h).
    pub window_days: f64,
    /// Distinct counterparties that make a finding (default 10, R3/R4).
    pub min_members: usize,
    /// A counterparty first seen less than this before the payment is fresh (default 7, R4's
    /// "first seen < 7 days"; 0: only accounts never seen before).
    pub fresh_days: f64,
    /// A fresh counterparty has at most this many transactions before the payment (default 2:
    /// funded, maybe topped up, then used).
    pub max_prior_txs: u32,
    /// Silence required after a fresh counterparty's payment before it counts (default 0:
    /// counts at once).
    pub quiet_days: f64,
    /// Whether established accounts with stable counterparties count too (default false).
    pub stable_counterparties: bool,
    /// Age from which an account's history counts as established (default 7 days).
    pub established_days: f64,
    /// Largest share of earlier payments involving a new counterparty for a stable account
    /// (default 0.34).
    pub max_new_share: f64,
    /// Share of the money that must move on (fan-in) or come from one inflow (fan-out)
    /// (defaults: fan-in 0.8 = R3's 80 %, fan-out 0.5; 0: not required).
    pub flow_share: f64,
    /// Fan-in: hours after the completing member within which the hub sends `flow_share` on
    /// (default 48, R3).
    pub flow_hours: f64,
    /// Report counterparties joining after the finding in follow-up findings (default false).
    pub follow_up: bool,
    /// Counterparties kept per hub in the window (default 64; the oldest leave first).
    pub max_members: usize,
    /// When set, a counterparty counts when its transfer is *off-routine* for the payer (see
    /// [`RoutineParams`]) instead of by the fresh/stable tests above, which are then unused
    /// (as are `flow_share` and `quiet_days`). Default: not set.
    pub routine: Option<RoutineParams>,
}

impl FanParams {
    /// The live-chain defaults of fan-in (R3).
    pub fn fan_in() -> Self {
        Self { window_days: 3.0, flow_share: 0.8, ..Self::default() }
    }

    /// The live-chain defaults of fan-out (R4).
    pub fn fan_out() -> Self {
        Self { window_days: 1.0, flow_share: 0.5, ..Self::default() }
    }
}

impl Default for FanParams {
    fn default() -> Self {
        Self {
            window_days: 3.0,
            min_members: 10,
            fresh_days: 7.0,
            max_prior_txs: 2,
            quiet_days: 0.0,
            stable_counterparties: false,
            established_days: 7.0,
            max_new_share: 0.34,
            flow_share: 0.0,
            flow_hours: 48.0,
            follow_up: false,
            max_members: 64,
            routine: None,
        }
    }
}

/// `cycle`: funds that go round a directed cycle of transfers inside a window.
///
/// An edge is *unusual* when it is the first payment between the two accounts and one of them
/// is a low-activity account (at most `low_activity_max` transactions in the `activity_days`
/// before). A cycle of `min_length` to `max_length` accounts whose transfers all fall in
/// `window_days` and of which at most `max_ordinary_edges` are not unusual is reported once,
/// naming its accounts. With `temporal`, the transfers must follow each other in time round
/// the cycle (funds that return to their origin, R6), and with `min_hop_share` > 0 each hop
/// must carry at least that share of the hop before it (value conserved).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CycleParams {
    /// The cycle closes within this many days (default 30, R6).
    pub window_days: f64,
    /// Fewest accounts in the cycle (default 3; 2 would be every mutual payment).
    pub min_length: usize,
    /// Most accounts in the cycle (default 6, R6's "≤ 6 hops").
    pub max_length: usize,
    /// Transactions in `activity_days` at or below which an account is low-activity
    /// (default 2).
    pub low_activity_max: u32,
    /// Look-back of the activity count (default 7 days).
    pub activity_days: f64,
    /// Edges of the cycle that may be ordinary (default 0).
    pub max_ordinary_edges: usize,
    /// Transfers must follow each other in time round the cycle (default true).
    pub temporal: bool,
    /// Each hop carries at least this share of the previous hop (default 0.8, R6; 0: any).
    pub min_hop_share: f64,
    /// Edges kept per account in the window (default 64; the oldest leave first).
    pub max_edges_per_account: usize,
    /// Edge visits per search (default 2,000): bounds the work per flow.
    pub max_visits: usize,
    /// When set, the cycle's edges are the payers' *off-routine* transfers (see
    /// [`RoutineParams`]) instead of unusual ones by the activity test above, and every edge
    /// of a cycle must be one (`max_ordinary_edges`, `low_activity_max` and `activity_days`
    /// are unused). Default: not set.
    pub routine: Option<RoutineParams>,
    /// With `routine`: also report *relay chains*, open paths of at least this many
    /// off-routine transfers inside `window_days` (a cycle whose closing hop never came);
    /// 0 (default): cycles only.
    pub min_chain: usize,
    /// With `min_chain`: most days between two consecutive transfers of a chain (default 14).
    pub max_hop_gap_days: f64,
}

/// Off-routine transfers: what an account pays outside its own established routine.
///
/// An account's routine is learnt from its own payments, on a cycle of `period_days` (a
/// payroll week, a monthly rent): a payment on day *d* is **routine** when
/// - the same payee was paid on the same phase (*d* ± *j*·period, *j* = 1..`periods`) in at
///   least `min_periods` of the `periods` before *d* or of those after it, or
/// - the payer pays on that phase as a habit (active on *d* ± *j*·period in at least
///   `min_periods` of `periods`, on one side) and pays no more payees that day than it
///   usually does on that phase (the lower median, counting payees not explained by the
///   first test; a payer rotating through different payees every week is routine).
///
/// A payment that is not routine counts as **off-routine** when it goes to a payee the payer
/// never paid before, or when the payer is *regular* right now (at least `regular_share` of
/// its active days within `regular_window_days` recur one period earlier or later, and there
/// are at least three) and the payee was not paid within `dormant_days` either side. When a
/// habitual day holds more payments than usual and more of them qualify than the excess, the
/// ones to payees with the least history of their own are kept (the excess is the odd one
/// out; the payer's usual payee tends to be an established account).
///
/// Judging a payment needs the routine after it too, so it happens `2 × periods × period_days
/// + 1` days after the payment: findings built on off-routine transfers come that much later.
///
/// Memory: each payer's payments over about three such spans, at most `max_payments` (a payer
/// that overflows it is not judged until the span has passed: a busy service account has no
/// simple routine).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutineParams {
    /// The routine's cycle in whole days (default 7).
    pub period_days: u32,
    /// Periods looked at on each side (default 4).
    pub periods: u32,
    /// Periods of those with the same habit that make a routine (default 2).
    pub min_periods: u32,
    /// Window either side for the payer's regularity (default 28 days).
    pub regular_window_days: u32,
    /// Share of active days that recur a period apart for a regular payer (default 0.75).
    pub regular_share: f64,
    /// A known payee counts only when not paid within this many days either side
    /// (default 28).
    pub dormant_days: u32,
    /// Payments kept per payer (default 4,096).
    pub max_payments: usize,
}

impl Default for RoutineParams {
    fn default() -> Self {
        Self {
            period_days: 7,
            periods: 4,
            min_periods: 2,
            regular_window_days: 28,
            regular_share: 0.75,
            dormant_days: 28,
            max_payments: 4_096,
        }
    }
}

impl RoutineParams {
    /// Days after a payment before it is judged.
    pub fn delay_days(&self) -> u64 {
        2 * u64::from(self.periods) * u64::from(self.period_days) + 1
    }

    /// Days of history before a judged day that judging it reads.
    pub fn history_days(&self) -> u64 {
        let span = u64::from(self.periods) * u64::from(self.period_days);
        (2 * span)
            .max(u64::from(self.regular_window_days) + u64::from(self.period_days))
            .max(u64::from(self.dormant_days))
    }

    fn validate(&self) -> Result<(), (&'static str, String)> {
        count("routine.period_days", self.period_days as usize, 1, 366)?;
        count("routine.periods", self.periods as usize, 1, 52)?;
        count("routine.min_periods", self.min_periods as usize, 1, self.periods as usize)?;
        count("routine.regular_window_days", self.regular_window_days as usize, 1, 3660)?;
        count("routine.dormant_days", self.dormant_days as usize, 0, 3660)?;
        count("routine.max_payments", self.max_payments, 16, 1_000_000)?;
        share("routine.regular_share", self.regular_share)?;
        if self.delay_days() > 3660 {
            return Err((
                "routine.periods",
                "periods × period_days must stay under 5 years".into(),
            ));
        }
        Ok(())
    }
}

impl Default for CycleParams {
    fn default() -> Self {
        Self {
            window_days: 30.0,
            min_length: 3,
            max_length: 6,
            low_activity_max: 2,
            activity_days: 7.0,
            max_ordinary_edges: 0,
            temporal: true,
            min_hop_share: 0.8,
            max_edges_per_account: 64,
            max_visits: 2_000,
            routine: None,
            min_chain: 0,
            max_hop_gap_days: 14.0,
        }
    }
}

/// A share in 0–1, or the error naming `field`.
fn share(field: &'static str, v: f64) -> Result<(), (&'static str, String)> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err((field, format!("{v} is out of range: a share is between 0 and 1")))
    }
}

/// A count in `lo..=hi`, or the error naming `field`.
fn count(
    field: &'static str,
    v: usize,
    lo: usize,
    hi: usize,
) -> Result<(), (&'static str, String)> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err((field, format!("{v} is out of range: allowed {lo} to {hi}")))
    }
}

/// `scatter_gather` (A → ≥ k intermediaries → B) and `gather_scatter` (≥ k sources → M → ≥ k
/// sinks), inside a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScatterParams {
    /// Window (default 7 days).
    pub window_days: f64,
    /// k: intermediaries, or sources and sinks (default 3).
    pub min_branches: usize,
    /// Scatter-gather: each gathered amount within this share of the scattered amount
    /// (default 0.1).
    pub amount_margin: f64,
    /// Gather-scatter: only *fresh* sources and sinks count, i.e. first seen less than this
    /// before the transfer with at most `max_prior_txs` transactions before it (default 7;
    /// 0: every counterparty counts, which flags every busy account).
    pub fresh_days: f64,
    /// Gather-scatter: transactions of a fresh counterparty before the transfer, at most
    /// (default 0: brand-new sources and sinks).
    pub max_prior_txs: u32,
    /// Counterparties kept per account in the window (default 64).
    pub max_tracked: usize,
}

impl Default for ScatterParams {
    fn default() -> Self {
        Self {
            window_days: 7.0,
            min_branches: 3,
            amount_margin: 0.1,
            fresh_days: 7.0,
            max_prior_txs: 0,
            max_tracked: 64,
        }
    }
}

/// `peel_chain`: consecutive 1-input (2 allowed), 2-output transactions whose smaller output
/// is at most `max_ratio` of the larger, the larger spent by the next hop within
/// `max_gap_hours`.
///
/// Once a chain has `min_hops` hops, every payment of it into an address labelled with one of
/// `cashout_categories` (a peeled output, the remainder, or a later payment from the chain's
/// current end) is a finding of its own, one severity step up: that deposit is where the funds
/// can be frozen. Deposits made before the chain was recognised are reported when it is. A
/// remainder paid into such a service ends the chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeelParams {
    /// Hops that make a finding (default 5).
    pub min_hops: u32,
    /// Smaller over larger output at most (default 0.111, i.e. 1:9).
    pub max_ratio: f64,
    /// The larger output is spent within (default 48 hours).
    pub max_gap_hours: f64,
    /// Where a deposit from the chain is a cash-out (default exchange; empty: none).
    pub cashout_categories: Vec<Category>,
}

impl Default for PeelParams {
    fn default() -> Self {
        Self {
            min_hops: 5,
            max_ratio: 1.0 / 9.0,
            max_gap_hours: 48.0,
            cashout_categories: vec![Category::Exchange],
        }
    }
}

/// `pass_through` (R2): a *new* account sends out at least `min_share` of one inflow within
/// `window_hours` (not back to its payer) and has no other activity.
///
/// The receiving account must be new when the inflow arrives (first seen less than
/// `fresh_days` before, with at most `max_prior_txs` transactions before it); with
/// `quiet_hours` > 0 the finding waits until the account has stayed silent for `quiet_hours`
/// after the forwarding payment ("no other activity"), so it comes that much late. Severity
/// goes up one step when the funds left within `fast_hours`. One finding per account and
/// window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PassThroughParams {
    /// Share of the inflow that leaves (default 0.9).
    pub min_share: f64,
    /// Window (default 24 hours).
    pub window_hours: f64,
    /// Inflows below this amount are ignored (default 0).
    pub min_amount: f64,
    /// The receiver was first seen less than this before the inflow (default 7 days).
    pub fresh_days: f64,
    /// Transactions of the receiver before the inflow, at most (default 0: the inflow is its
    /// first transaction).
    pub max_prior_txs: u32,
    /// Silence after the forwarding payment before reporting (default 1 hour; 0: at once).
    pub quiet_hours: f64,
    /// Severity up one step when the funds left within this (default 1 hour, R2).
    pub fast_hours: f64,
    /// Inflows kept per account (default 32).
    pub max_tracked: usize,
}

impl Default for PassThroughParams {
    fn default() -> Self {
        Self {
            min_share: 0.9,
            window_hours: 24.0,
            min_amount: 0.0,
            fresh_days: 7.0,
            max_prior_txs: 0,
            quiet_hours: 1.0,
            fast_hours: 1.0,
            max_tracked: 32,
        }
    }
}

/// `structuring`: at least `min_count` payments by one account within `window_days`, each in
/// [`lower_share` × `threshold`, `threshold`), adding up to at least `threshold`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StructuringParams {
    /// The reporting threshold, in the flow's units (default 1,000; set it per deployment).
    pub threshold: f64,
    /// Lower bound as a share of the threshold (default 0.8).
    pub lower_share: f64,
    /// Payments (default 3).
    pub min_count: usize,
    /// Window (default 7 days).
    pub window_days: f64,
}

impl Default for StructuringParams {
    fn default() -> Self {
        Self { threshold: 1000.0, lower_share: 0.8, min_count: 3, window_days: 7.0 }
    }
}

/// `bridge` (chain-hopping): a flow into a bridge-labelled address from an address with
/// exposure to `source_categories`: labelled itself, or reached from a labelled address
/// within `taint_hops` transfers inside `window_days`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BridgeParams {
    /// Source categories (default stolen_funds, sanctioned).
    pub source_categories: Vec<Category>,
    /// Transfers the exposure may be away (default 3).
    pub taint_hops: u32,
    /// How long exposure lasts (default 30 days).
    pub window_days: f64,
}

impl Default for BridgeParams {
    fn default() -> Self {
        Self {
            source_categories: vec![Category::StolenFunds, Category::Sanctioned],
            taint_hops: 3,
            window_days: 30.0,
        }
    }
}

/// `poisoning`: a zero or dust transfer into a victim from an address whose first and last
/// characters equal those of an address the victim paid before (but which is another
/// address); any later payment by the victim to that look-alike is reported as severe.
/// Needs the context's address text hook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoisoningParams {
    /// Native amounts at or below this are dust (default 0.0001).
    pub dust_native: f64,
    /// Token amounts at or below this are dust (default 0).
    pub dust_token: f64,
    /// Characters compared at the start, after any `0x` (default 4).
    pub prefix: usize,
    /// Characters compared at the end (default 4).
    pub suffix: usize,
    /// Payees remembered per victim (default 64).
    pub max_payees: usize,
}

impl Default for PoisoningParams {
    fn default() -> Self {
        Self { dust_native: 0.0001, dust_token: 0.0, prefix: 4, suffix: 4, max_payees: 64 }
    }
}

/// `dispersal` (flood the zone): funds from an address labelled with `source_categories`
/// reach at least `min_addresses` new addresses within `window_days`, through up to
/// `taint_hops` transfers. One finding per source and window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispersalParams {
    /// Source categories (default stolen_funds).
    pub source_categories: Vec<Category>,
    /// Distinct addresses reached (default 1,000, the R15 figure).
    pub min_addresses: usize,
    /// Window (default 10 days).
    pub window_days: f64,
    /// Transfers from the source (default 3).
    pub taint_hops: u32,
}

impl Default for DispersalParams {
    fn default() -> Self {
        Self {
            source_categories: vec![Category::StolenFunds],
            min_addresses: 1000,
            window_days: 10.0,
            taint_hops: 3,
        }
    }
}

/// A detector with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "detector", rename_all = "snake_case")]
pub enum DetectorConfig {
    /// See [`WatchlistParams`].
    Watchlist(WatchlistParams),
    /// See [`ExposureParams`].
    Exposure(ExposureParams),
    /// See [`MixerParams`].
    Mixer(MixerParams),
    /// See [`FanParams`].
    FanIn(FanParams),
    /// See [`FanParams`].
    FanOut(FanParams),
    /// See [`CycleParams`].
    Cycle(CycleParams),
    /// See [`ScatterParams`].
    ScatterGather(ScatterParams),
    /// See [`ScatterParams`].
    GatherScatter(ScatterParams),
    /// See [`PeelParams`].
    PeelChain(PeelParams),
    /// See [`PassThroughParams`].
    PassThrough(PassThroughParams),
    /// See [`StructuringParams`].
    Structuring(StructuringParams),
    /// See [`BridgeParams`].
    Bridge(BridgeParams),
    /// See [`PoisoningParams`].
    Poisoning(PoisoningParams),
    /// See [`DispersalParams`].
    Dispersal(DispersalParams),
}

impl DetectorConfig {
    /// Its kind.
    pub const fn kind(&self) -> DetectorKind {
        match self {
            Self::Watchlist(_) => DetectorKind::Watchlist,
            Self::Exposure(_) => DetectorKind::Exposure,
            Self::Mixer(_) => DetectorKind::Mixer,
            Self::FanIn(_) => DetectorKind::FanIn,
            Self::FanOut(_) => DetectorKind::FanOut,
            Self::Cycle(_) => DetectorKind::Cycle,
            Self::ScatterGather(_) => DetectorKind::ScatterGather,
            Self::GatherScatter(_) => DetectorKind::GatherScatter,
            Self::PeelChain(_) => DetectorKind::PeelChain,
            Self::PassThrough(_) => DetectorKind::PassThrough,
            Self::Structuring(_) => DetectorKind::Structuring,
            Self::Bridge(_) => DetectorKind::Bridge,
            Self::Poisoning(_) => DetectorKind::Poisoning,
            Self::Dispersal(_) => DetectorKind::Dispersal,
        }
    }

    /// The kind's defaults.
    pub fn default_for(kind: DetectorKind) -> Self {
        match kind {
            DetectorKind::Watchlist => Self::Watchlist(Default::default()),
            DetectorKind::Exposure => Self::Exposure(Default::default()),
            DetectorKind::Mixer => Self::Mixer(Default::default()),
            DetectorKind::FanIn => Self::FanIn(FanParams::fan_in()),
            DetectorKind::FanOut => Self::FanOut(FanParams::fan_out()),
            DetectorKind::Cycle => Self::Cycle(Default::default()),
            DetectorKind::ScatterGather => Self::ScatterGather(Default::default()),
            DetectorKind::GatherScatter => Self::GatherScatter(Default::default()),
            DetectorKind::PeelChain => Self::PeelChain(Default::default()),
            DetectorKind::PassThrough => Self::PassThrough(Default::default()),
            DetectorKind::Structuring => Self::Structuring(Default::default()),
            DetectorKind::Bridge => Self::Bridge(Default::default()),
            DetectorKind::Poisoning => Self::Poisoning(Default::default()),
            DetectorKind::Dispersal => Self::Dispersal(Default::default()),
        }
    }

    /// How far back (seconds) its state reaches.
    pub fn lookback_seconds(&self) -> u64 {
        let days = |d: f64| (d * 86_400.0) as u64;
        let hours = |h: f64| (h * 3_600.0) as u64;
        match self {
            Self::Watchlist(_) | Self::Mixer(_) => 0,
            Self::Exposure(p) => hours(p.recheck_hours),
            Self::FanIn(p) | Self::FanOut(p) if p.routine.is_some() => {
                let r = p.routine.as_ref().map_or(0, |r| r.delay_days() + r.history_days());
                days(p.window_days) + r * 86_400
            }
            Self::FanIn(p) | Self::FanOut(p) => {
                days(p.window_days + p.quiet_days + p.flow_hours / 24.0)
                    .max(days(p.fresh_days))
                    .max(if p.stable_counterparties { days(p.established_days) } else { 0 })
            }
            Self::Cycle(p) => {
                let r = p.routine.as_ref().map_or(0, |r| r.delay_days() + r.history_days());
                days(p.window_days.max(p.activity_days)) + r * 86_400
            }
            Self::ScatterGather(p) | Self::GatherScatter(p) => days(p.window_days),
            // Hops are at most a gap apart, so this many gaps hold the last `min_hops` hops of
            // any live chain: a restart rebuilds a recognised chain as recognised.
            Self::PeelChain(p) => hours(p.max_gap_hours) * u64::from(p.min_hops),
            Self::PassThrough(p) => hours(p.window_hours + p.quiet_hours).max(days(p.fresh_days)),
            Self::Structuring(p) => days(p.window_days),
            Self::Bridge(p) => days(p.window_days),
            // Payees are remembered by count, not time; a restart re-learns them from 30 days.
            Self::Poisoning(_) => days(30.0),
            Self::Dispersal(p) => days(p.window_days),
        }
    }

    /// Checks the ranges; returns the field at fault and why.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        fn days(field: &'static str, v: f64) -> Result<(), (&'static str, String)> {
            if v.is_finite() && v > 0.0 && v <= 3660.0 {
                Ok(())
            } else {
                Err((field, format!("{v} is out of range: a duration must be > 0 and ≤ 3660 days")))
            }
        }
        fn days_or_zero(field: &'static str, v: f64) -> Result<(), (&'static str, String)> {
            if v == 0.0 { Ok(()) } else { days(field, v) }
        }
        fn amount(field: &'static str, v: f64) -> Result<(), (&'static str, String)> {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err((field, format!("{v} is out of range: an amount is ≥ 0")))
            }
        }
        fn categories(field: &'static str, v: &[Category]) -> Result<(), (&'static str, String)> {
            if v.is_empty() {
                Err((field, "at least one category is needed".into()))
            } else {
                Ok(())
            }
        }
        match self {
            Self::Watchlist(p) => {
                categories("categories", &p.categories)?;
                amount("min_amount", p.min_amount)
            }
            Self::Exposure(p) => {
                categories("categories", &p.categories)?;
                count("hops", p.hops as usize, 1, 10)?;
                count("max_per_batch", p.max_per_batch, 1, 10_000)?;
                share("high_share", p.high_share)?;
                share("medium_share", p.medium_share)?;
                share("min_share", p.min_share)?;
                if !(p.min_share <= p.medium_share && p.medium_share <= p.high_share) {
                    return Err(("medium_share", "shares must satisfy min ≤ medium ≤ high".into()));
                }
                days("recheck_hours", p.recheck_hours / 24.0)
            }
            Self::Mixer(p) => amount("min_amount", p.min_amount),
            Self::FanIn(p) | Self::FanOut(p) => {
                days("window_days", p.window_days)?;
                count("min_members", p.min_members, 2, 10_000)?;
                days_or_zero("fresh_days", p.fresh_days)?;
                days_or_zero("quiet_days", p.quiet_days)?;
                days("established_days", p.established_days)?;
                share("max_new_share", p.max_new_share)?;
                share("flow_share", p.flow_share)?;
                days("flow_hours", p.flow_hours / 24.0)?;
                count("max_members", p.max_members, p.min_members, 100_000)
                    .map_err(|(f, m)| (f, format!("{m} (and at least min_members)")))?;
                p.routine.as_ref().map_or(Ok(()), RoutineParams::validate)
            }
            Self::Cycle(p) => {
                days("window_days", p.window_days)?;
                count("min_length", p.min_length, 2, 64)?;
                count("max_length", p.max_length, p.min_length, 64)?;
                days("activity_days", p.activity_days)?;
                count("max_ordinary_edges", p.max_ordinary_edges, 0, 64)?;
                share("min_hop_share", p.min_hop_share)?;
                count("max_edges_per_account", p.max_edges_per_account, 1, 100_000)?;
                count("max_visits", p.max_visits, 1, 10_000_000)?;
                days("max_hop_gap_days", p.max_hop_gap_days)?;
                if p.min_chain > 0 && p.routine.is_none() {
                    return Err((
                        "min_chain",
                        "relay chains need `routine` (off-routine edges)".into(),
                    ));
                }
                count("min_chain", p.min_chain, 0, 64)?;
                p.routine.as_ref().map_or(Ok(()), RoutineParams::validate)
            }
            Self::ScatterGather(p) | Self::GatherScatter(p) => {
                days("window_days", p.window_days)?;
                count("min_branches", p.min_branches, 2, 10_000)?;
                share("amount_margin", p.amount_margin)?;
                days_or_zero("fresh_days", p.fresh_days)?;
                count("max_tracked", p.max_tracked, p.min_branches, 100_000)
            }
            Self::PeelChain(p) => {
                count("min_hops", p.min_hops as usize, 2, 10_000)?;
                share("max_ratio", p.max_ratio)?;
                days("max_gap_hours", p.max_gap_hours / 24.0)
            }
            Self::PassThrough(p) => {
                share("min_share", p.min_share)?;
                days("window_hours", p.window_hours / 24.0)?;
                amount("min_amount", p.min_amount)?;
                days_or_zero("fresh_days", p.fresh_days)?;
                days_or_zero("quiet_hours", p.quiet_hours / 24.0)?;
                days_or_zero("fast_hours", p.fast_hours / 24.0)?;
                count("max_tracked", p.max_tracked, 1, 100_000)
            }
            Self::Structuring(p) => {
                if !(p.threshold.is_finite() && p.threshold > 0.0) {
                    return Err(("threshold", format!("{} is out of range: > 0", p.threshold)));
                }
                share("lower_share", p.lower_share)?;
                count("min_count", p.min_count, 1, 10_000)?;
                days("window_days", p.window_days)
            }
            Self::Bridge(p) => {
                categories("source_categories", &p.source_categories)?;
                count("taint_hops", p.taint_hops as usize, 1, 10)?;
                days("window_days", p.window_days)
            }
            Self::Poisoning(p) => {
                amount("dust_native", p.dust_native)?;
                amount("dust_token", p.dust_token)?;
                count("prefix", p.prefix, 1, 64)?;
                count("suffix", p.suffix, 1, 64)?;
                count("max_payees", p.max_payees, 1, 100_000)
            }
            Self::Dispersal(p) => {
                categories("source_categories", &p.source_categories)?;
                count("min_addresses", p.min_addresses, 1, 100_000_000)?;
                days("window_days", p.window_days)?;
                count("taint_hops", p.taint_hops as usize, 1, 10)
            }
        }
    }
}

/// One validated rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// Severity of its findings.
    pub severity: Severity,
    /// Whether it runs.
    pub enabled: bool,
    /// The detector and its parameters.
    pub config: DetectorConfig,
}

impl Rule {
    /// A rule with the detector's default severity, enabled.
    pub fn new(id: impl Into<String>, config: DetectorConfig) -> Self {
        Self { id: id.into(), severity: config.kind().default_severity(), enabled: true, config }
    }
}

/// A validated set of rules: from a rule file ([`RuleSet::from_yaml`]) or the defaults.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleSet {
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

/// The rule file tuned for IBM AMLSim's daily steps (`profiles/amlsim.yaml`); see `RULES.md`.
pub const AMLSIM_PROFILE: &str = include_str!("../profiles/amlsim.yaml");

/// Largest rule file accepted, in bytes.
pub const MAX_RULE_FILE_BYTES: usize = 1 << 20;

impl RuleSet {
    /// Every built-in detector with its documented defaults, the rule id being the detector's
    /// name with `-` for `_` (`fan-in`, `peel-chain`, …).
    pub fn defaults() -> Self {
        Self {
            rules: DetectorKind::ALL
                .iter()
                .map(|&k| Rule::new(k.as_str().replace('_', "-"), DetectorConfig::default_for(k)))
                .collect(),
        }
    }

    /// The AMLSim profile ([`AMLSIM_PROFILE`], `profiles/amlsim.yaml`): parameters for
    /// AMLSim's daily steps and year-long typologies, for `eval::evaluate`.
    pub fn amlsim_profile() -> Self {
        Self::from_yaml(AMLSIM_PROFILE, "profiles/amlsim.yaml")
            .expect("the bundled AMLSim profile is valid (a test checks it)")
    }

    /// Only the rules of these detectors from the defaults.
    pub fn defaults_only(kinds: &[DetectorKind]) -> Self {
        let mut set = Self::defaults();
        set.rules.retain(|r| kinds.contains(&r.config.kind()));
        set
    }

    /// Parses and validates a rule file. `origin` (the file name) prefixes every message.
    ///
    /// # Errors
    /// [`RuleError`] naming the file, the rule and the field.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, RuleError> {
        let syntax = |message: String| RuleError::Syntax { origin: origin.to_string(), message };
        if text.len() > MAX_RULE_FILE_BYTES {
            return Err(syntax(format!("larger than {MAX_RULE_FILE_BYTES} bytes")));
        }
        let value: serde_json::Value = std::panic::catch_unwind(|| serde_saphyr::from_str(text))
            .map_err(|_| syntax("the YAML parser failed on this text".into()))?
            .map_err(|e| syntax(e.to_string()))?;
        let items = match value {
            serde_json::Value::Array(items) => items,
            serde_json::Value::Null => Vec::new(),
            other => {
                return Err(syntax(format!(
                    "a rule file is a list of rules, found {}",
                    kind_of(&other)
                )));
            }
        };
        let mut rules: Vec<Rule> = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let rule = parse_rule(index, item, origin)?;
            if rules.iter().any(|r| r.id == rule.id) {
                return Err(RuleError::Rule {
                    origin: origin.to_string(),
                    rule: format!("`{}` (#{index})", rule.id),
                    field: "id".into(),
                    message: "duplicate id: another rule already has it".into(),
                });
            }
            rules.push(rule);
        }
        Ok(Self { rules })
    }

    /// How far back (seconds) the enabled rules need state.
    pub fn lookback_seconds(&self) -> u64 {
        self.rules
            .iter()
            .filter(|r| r.enabled)
            .map(|r| r.config.lookback_seconds())
            .max()
            .unwrap_or(0)
    }
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "nothing",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a map",
    }
}

fn parse_rule(index: usize, item: serde_json::Value, origin: &str) -> Result<Rule, RuleError> {
    let mut name = format!("#{index}");
    let err = |name: &str, field: &str, message: String| RuleError::Rule {
        origin: origin.to_string(),
        rule: name.to_string(),
        field: field.to_string(),
        message,
    };
    let serde_json::Value::Object(mut map) = item else {
        return Err(err(&name, "-", format!("a rule is a map, found {}", kind_of(&item))));
    };
    let id = match map.remove("id") {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s,
        Some(serde_json::Value::String(_)) => return Err(err(&name, "id", "empty id".into())),
        Some(other) => {
            return Err(err(&name, "id", format!("expected a string, found {}", kind_of(&other))));
        }
        None => return Err(err(&name, "id", "missing: every rule needs a unique id".into())),
    };
    name = format!("`{id}` (#{index})");
    let kind: DetectorKind = match map.remove("detector") {
        Some(v) => field_value(v).map_err(|m| {
            err(&name, "detector", format!("{m}; known detectors: {}", known_detectors()))
        })?,
        None => {
            return Err(err(
                &name,
                "detector",
                format!("missing; known detectors: {}", known_detectors()),
            ));
        }
    };
    let severity = match map.remove("severity") {
        Some(v) => field_value(v).map_err(|m| err(&name, "severity", m))?,
        None => kind.default_severity(),
    };
    let enabled = match map.remove("enabled") {
        Some(v) => field_value(v).map_err(|m| err(&name, "enabled", m))?,
        None => true,
    };
    let rest = serde_json::Value::Object(map);
    fn params<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, (String, String)> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            // Unknown keys have no path yet: take the key from the message.
            let field = if path == "." || path.is_empty() {
                inner.split('`').nth(1).unwrap_or("-").to_string()
            } else {
                path
            };
            (field, inner)
        })
    }
    let config = match kind {
        DetectorKind::Watchlist => params(rest).map(DetectorConfig::Watchlist),
        DetectorKind::Exposure => params(rest).map(DetectorConfig::Exposure),
        DetectorKind::Mixer => params(rest).map(DetectorConfig::Mixer),
        DetectorKind::FanIn => params(over(&FanParams::fan_in(), rest)).map(DetectorConfig::FanIn),
        DetectorKind::FanOut => {
            params(over(&FanParams::fan_out(), rest)).map(DetectorConfig::FanOut)
        }
        DetectorKind::Cycle => params(rest).map(DetectorConfig::Cycle),
        DetectorKind::ScatterGather => params(rest).map(DetectorConfig::ScatterGather),
        DetectorKind::GatherScatter => params(rest).map(DetectorConfig::GatherScatter),
        DetectorKind::PeelChain => params(rest).map(DetectorConfig::PeelChain),
        DetectorKind::PassThrough => params(rest).map(DetectorConfig::PassThrough),
        DetectorKind::Structuring => params(rest).map(DetectorConfig::Structuring),
        DetectorKind::Bridge => params(rest).map(DetectorConfig::Bridge),
        DetectorKind::Poisoning => params(rest).map(DetectorConfig::Poisoning),
        DetectorKind::Dispersal => params(rest).map(DetectorConfig::Dispersal),
    }
    .map_err(|(field, message)| err(&name, &field, message))?;
    config.validate().map_err(|(field, message)| err(&name, field, message))?;
    Ok(Rule { id, severity, enabled, config })
}

/// `rest`'s keys over the serialized `base` (per-detector defaults that differ from the
/// struct's `Default`); unknown keys stay and are rejected by the parser.
fn over<T: Serialize>(base: &T, rest: serde_json::Value) -> serde_json::Value {
    let mut value = serde_json::to_value(base).unwrap_or(serde_json::Value::Null);
    if let (serde_json::Value::Object(b), serde_json::Value::Object(r)) = (&mut value, rest) {
        b.extend(r);
    }
    value
}

fn field_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| e.to_string())
}

fn known_detectors() -> String {
    DetectorKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_err(text: &str) -> (String, String, String) {
        match RuleSet::from_yaml(text, "rules.yaml").unwrap_err() {
            RuleError::Rule { origin, rule, field, .. } => (origin, rule, field),
            other => panic!("expected a rule error, got {other}"),
        }
    }

    #[test]
    fn defaults_are_valid_and_complete() {
        let set = RuleSet::defaults();
        assert_eq!(set.rules.len(), DetectorKind::ALL.len());
        for r in &set.rules {
            r.config.validate().unwrap();
        }
        // Live-chain defaults: days, not a year.
        assert!(set.lookback_seconds() <= 31 * 86_400, "{}", set.lookback_seconds());
        let amlsim = RuleSet::amlsim_profile();
        assert!(amlsim.lookback_seconds() >= 365 * 86_400);
    }

    #[test]
    fn parses_rules_with_defaults() {
        let set = RuleSet::from_yaml(
            "- id: fan-in\n  detector: fan_in\n  min_members: 4\n- id: s\n  detector: watchlist\n  severity: high\n  enabled: false\n",
            "r.yaml",
        )
        .unwrap();
        assert_eq!(set.rules.len(), 2);
        let DetectorConfig::FanIn(p) = &set.rules[0].config else { panic!() };
        assert_eq!(p.min_members, 4);
        assert_eq!(p.window_days, 3.0);
        assert_eq!(set.rules[1].severity, Severity::High);
        assert!(!set.rules[1].enabled);
    }

    #[test]
    fn errors_name_file_rule_and_field() {
        let (o, r, f) = rule_err("- id: a\n  detector: fan_in\n  windw_days: 3\n");
        assert_eq!((o.as_str(), r.as_str(), f.as_str()), ("rules.yaml", "`a` (#0)", "windw_days"));
        let (_, _, f) = rule_err("- id: a\n  detector: cycle\n  window_days: soon\n");
        assert_eq!(f, "window_days");
        let (_, _, f) = rule_err("- id: a\n  detector: cycle\n  window_days: -3\n");
        assert_eq!(f, "window_days");
        let (_, _, f) = rule_err("- id: a\n  detector: fan_out\n  max_new_share: 1.5\n");
        assert_eq!(f, "max_new_share");
        let (_, r, f) = rule_err("- id: a\n  detector: mixer\n- id: a\n  detector: mixer\n");
        assert_eq!((r.as_str(), f.as_str()), ("`a` (#1)", "id"));
        let (_, _, f) = rule_err("- id: a\n  detector: teleport\n");
        assert_eq!(f, "detector");
        let (_, r, f) = rule_err("- detector: mixer\n");
        assert_eq!((r.as_str(), f.as_str()), ("#0", "id"));
        let (_, _, f) =
            rule_err("- id: a\n  detector: watchlist\n  categories: [sanctioned, nope]\n");
        assert!(f.starts_with("categories"), "{f}");
        let (_, _, f) = rule_err("- id: a\n  detector: fan_in\n  routine: {periods: 0}\n");
        assert_eq!(f, "routine.periods");
        let (_, _, f) =
            rule_err("- id: a\n  detector: fan_in\n  routine: {periods: 3, min_periods: 4}\n");
        assert_eq!(f, "routine.min_periods");
        let (_, _, f) = rule_err("- id: a\n  detector: cycle\n  routine: {perod_days: 7}\n");
        assert!(f.contains("perod_days"), "{f}");
        let (_, _, f) = rule_err("- id: a\n  detector: cycle\n  min_chain: 3\n");
        assert_eq!(f, "min_chain");
        let msg = RuleSet::from_yaml("- id: a\n  detector: cycle\n  max_length: x\n", "f.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("f.yaml") && msg.contains("`a`") && msg.contains("max_length"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_files_never_panic() {
        let inputs = [
            "",
            "---",
            "[",
            "{",
            "- - - -",
            "- id: [1, 2]",
            "a: b",
            "- 3",
            "- id: x\n  detector: 5",
            "- id: x\n  detector: cycle\n  max_visits: 1e400",
            "&a [*a]",
            "- !!binary xyz",
            "- id: x\n  detector: fan_in\n  min_members: -1",
            "- id: x\n  detector: fan_in\n  window_days: .nan",
            "- id: x\n  detector: fan_in\n  window_days: .inf",
            "\u{0}\u{1}\u{2}",
            "- id: x\n  detector: structuring\n  threshold: 0",
            "- {id: x, detector: poisoning, prefix: 99999999999999999999999}",
            "- id: x\n  detector: exposure\n  min_share: 0.5\n  medium_share: 0.1",
        ];
        for text in inputs {
            let _ = RuleSet::from_yaml(text, "fuzz.yaml");
        }
        let deep = "[".repeat(5000);
        let _ = RuleSet::from_yaml(&deep, "deep.yaml");
    }
}
