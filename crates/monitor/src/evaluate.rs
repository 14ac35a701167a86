//! Evaluating stored blocks: one rules engine per network, its window rebuilt from the store
//! whenever the next block is not the one after the last it saw, findings turned into alerts
//! with addresses and transactions named.

use crate::model_rule::{ModelRuleOptions, score_block};
use chainward_graph::{NodeLabels, TransferGraph};
use chainward_primitives::Chain;
use chainward_primitives::ledger::{BlockRef, Network};
use chainward_rules::{
    Context, Engine, Finding, FlowBatch, RuleSet, Severity, flows_from_rows, name_addresses,
};
use chainward_store_api::{
    AlertSeverity, AlertStore, ChainStore, GraphBlockRows, GraphSource, NewAlert, RecordOutcome,
    StoreError,
};
use rustc_hash::FxHashMap;
use serde_json::{Value, json};

/// Everything the monitor needs of a store.
pub trait MonitorStore: GraphSource + ChainStore + AlertStore {}
impl<T: GraphSource + ChainStore + AlertStore> MonitorStore for T {}

/// Why evaluation stopped.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// The store failed; the block's alerts and the cursor were not written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The analytics graph could not be brought up to date.
    #[error("analytics graph: {0}")]
    Graph(String),
    /// A network id the store does not know.
    #[error("network {0} is not in the store")]
    UnknownNetwork(u32),
    /// A block asked for is not stored.
    #[error("block {height} of network {network_id} is not in the store")]
    MissingBlock {
        /// The network.
        network_id: u32,
        /// The height.
        height: u64,
    },
}

struct NetworkEngine {
    engine: Engine,
    /// The last block the engine's state includes.
    through: Option<BlockRef>,
}

/// Evaluates blocks with one engine per network.
pub struct Evaluator {
    rules: RuleSet,
    engines: FxHashMap<u32, NetworkEngine>,
    networks: FxHashMap<u32, Network>,
    labels: NodeLabels,
    /// The highest address id whose labels are in `labels`.
    labelled_through: u64,
    /// The store's labels version when `labels` were read.
    labels_version: u64,
    graph: Option<TransferGraph>,
    model: Option<(chainward_model::Model, ModelRuleOptions)>,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("networks", &self.engines.len())
            .field("labelled", &self.labels.len())
            .field("graph", &self.graph.is_some())
            .finish()
    }
}

/// What one block's evaluation did.
#[derive(Debug)]
pub struct BlockOutcome {
    /// The network.
    pub network_id: u32,
    /// The block.
    pub block: BlockRef,
    /// Transactions with value movements in it.
    pub flows: usize,
    /// What the store did with its alerts.
    pub recorded: RecordOutcome,
}

impl Evaluator {
    /// An evaluator with these rules, the labels of the store's lists, and optionally the
    /// analytics graph (for exposure rules; it is brought up to the store before each block).
    ///
    /// # Errors
    /// Store errors while reading the labels or the networks.
    pub fn new<S: MonitorStore>(
        store: &S,
        rules: RuleSet,
        graph: Option<TransferGraph>,
    ) -> Result<Self, EvaluateError> {
        let labelled_through = store.max_address_id()?;
        let labels_version = store.labels_version()?;
        let labels = chainward_graph::store::labels(store)
            .map_err(|e| EvaluateError::Graph(e.to_string()))?;
        let networks = store.networks()?.into_iter().collect();
        Ok(Self {
            rules,
            engines: FxHashMap::default(),
            networks,
            labels,
            labelled_through,
            labels_version,
            graph,
            model: None,
        })
    }

    /// Adds the learned risk model as one more rule (it reads activity from the graph, so it
    /// scores nothing without one).
    pub fn with_model(mut self, model: chainward_model::Model, options: ModelRuleOptions) -> Self {
        self.model = Some((model, options));
        self
    }

    /// Reloads the lists' labels (after an import) and forgets nothing else.
    ///
    /// # Errors
    /// Store errors.
    pub fn reload_labels<S: MonitorStore>(&mut self, store: &S) -> Result<(), EvaluateError> {
        self.labelled_through = store.max_address_id()?;
        self.labels_version = store.labels_version()?;
        self.labels = chainward_graph::store::labels(store)
            .map_err(|e| EvaluateError::Graph(e.to_string()))?;
        Ok(())
    }

    /// Adds the labels of addresses stored since the labels were read: a listed address seen
    /// on chain for the first time in this block is recognised in this block.
    fn label_new_addresses<S: MonitorStore>(&mut self, store: &S) -> Result<(), EvaluateError> {
        if store.labels_version()? != self.labels_version {
            // A list was imported (or a partner's indicators pulled) while the monitor runs.
            tracing::info!("watchlist changed; reading the labels again");
            return self.reload_labels(store);
        }
        let max = store.max_address_id()?;
        if max > self.labelled_through {
            chainward_graph::store::add_labels(store, &mut self.labels, self.labelled_through + 1)
                .map_err(|e| EvaluateError::Graph(e.to_string()))?;
            self.labelled_through = max;
        }
        Ok(())
    }

    fn network<S: MonitorStore>(
        &mut self,
        store: &S,
        network_id: u32,
    ) -> Result<Network, EvaluateError> {
        if let Some(n) = self.networks.get(&network_id) {
            return Ok(*n);
        }
        self.networks = store.networks()?.into_iter().collect();
        self.networks.get(&network_id).copied().ok_or(EvaluateError::UnknownNetwork(network_id))
    }

    /// Makes the network's engine hold exactly the window before `height`: kept when its
    /// state ends at the block below (same hash), rebuilt from the store otherwise (a restart,
    /// a block handed out of order by the block stream, a reorg).
    fn prepare<S: MonitorStore>(
        &mut self,
        store: &S,
        network_id: u32,
        height: u64,
    ) -> Result<(), EvaluateError> {
        let below = match height.checked_sub(1) {
            Some(h) => store.block_with_time(network_id, h)?,
            None => None,
        };
        if let Some(current) = self.engines.get(&network_id)
            && current.through == below.map(|(b, _)| b)
        {
            return Ok(());
        }
        let network = self.network(store, network_id)?;
        let mut engine = Engine::new(self.rules.clone());
        if let Some((below_block, below_time)) = below {
            let since = below_time.saturating_sub(engine.lookback_seconds());
            if let Some(start) = store.window_start(network_id, height, since)? {
                let rows = read_blocks(store, network_id, start, Some(below_block.height))?;
                tracing::debug!(
                    network_id,
                    from = start,
                    to = below_block.height,
                    blocks = rows.len(),
                    "rule window rebuilt"
                );
                let text = |id: u64| store.address_text(id).ok().flatten();
                let context = Context {
                    labels: &self.labels,
                    graph: self.graph.as_ref(),
                    address_text: Some(&text),
                };
                for r in &rows {
                    engine.warm(&flows_from_rows(r, network.chain), &context);
                }
            }
        }
        self.engines.insert(network_id, NetworkEngine { engine, through: below.map(|(b, _)| b) });
        Ok(())
    }

    /// Evaluates one stored block: its findings become alerts stored with the monitor's cursor
    /// (when `monitor` is given) in one transaction.
    ///
    /// # Errors
    /// Store and graph errors; nothing of the block is written then.
    pub fn evaluate<S: MonitorStore>(
        &mut self,
        store: &mut S,
        monitor: Option<&str>,
        rows: &GraphBlockRows,
    ) -> Result<BlockOutcome, EvaluateError> {
        let network_id = rows.network_id;
        let block = BlockRef { height: rows.height, hash: rows.hash };
        self.label_new_addresses(store)?;
        self.prepare(store, network_id, rows.height)?;
        let network = self.network(store, network_id)?;
        // One update brings the graph to the store's tip, so the blocks after this one (read in
        // the same chunk) find it there already: no per-block walk over the overlay.
        if let Some(graph) = self.graph.as_mut()
            && graph
                .watermarks()
                .iter()
                .find(|m| m.network == network_id)
                .is_none_or(|m| m.height < rows.height)
        {
            chainward_graph::store::update(graph, store, &mut ())
                .map_err(|e| EvaluateError::Graph(e.to_string()))?;
        }
        let batch: FlowBatch = flows_from_rows(rows, network.chain);
        let Some(state) = self.engines.get_mut(&network_id) else {
            return Err(EvaluateError::MissingBlock { network_id, height: rows.height });
        };
        let findings = {
            let reader: &S = store;
            let text = |id: u64| reader.address_text(id).ok().flatten();
            let context = Context {
                labels: &self.labels,
                graph: self.graph.as_ref(),
                address_text: Some(&text),
            };
            state.engine.process(&batch, &context)
        };
        state.through = Some(block);
        let mut alerts = findings
            .iter()
            .map(|f| to_alert(store, native_symbol(network.chain), network_id, block, rows.time, f))
            .collect::<Result<Vec<_>, _>>()?;
        if let (Some((model, options)), Some(graph)) = (&self.model, &self.graph) {
            let options = ModelRuleOptions {
                native_decimals: native_decimals(network.chain),
                ..options.clone()
            };
            for finding in score_block(model, graph, rows, &options) {
                let address = store
                    .address_text(finding.address)?
                    .unwrap_or_else(|| format!("#{}", finding.address));
                alerts.push(NewAlert {
                    // Once per address and class: the model's view of an address does not
                    // change enough block to block to warrant a new alert each time.
                    key: format!("{network_id}:model:{}:{}", finding.address, finding.class),
                    rule: "learned-risk-model".to_owned(),
                    detector: "learned_model".to_owned(),
                    severity: finding.severity,
                    network_id,
                    block,
                    time: rows.time,
                    summary: format!(
                        "{address} behaves like a {} address (illicit probability {:.2})",
                        finding.class, finding.probability
                    ),
                    subjects: vec![address],
                    evidence: json!({ "rule": "learned-risk-model", "detector": "learned_model", "evidence": finding.evidence }).to_string(),
                });
            }
        }
        let recorded = store.record_block(monitor, network_id, block, &alerts)?;
        Ok(BlockOutcome { network_id, block, flows: batch.flows.len(), recorded })
    }

    /// Forgets a network's state (after a reorg below it).
    pub fn forget(&mut self, network_id: u32) {
        self.engines.remove(&network_id);
    }
}

/// Reads stored blocks `from..=to` (to the tip when `to` is `None`).
///
/// # Errors
/// Store errors.
pub fn read_blocks<S: GraphSource + ?Sized>(
    store: &S,
    network_id: u32,
    from: u64,
    to: Option<u64>,
) -> Result<Vec<GraphBlockRows>, StoreError> {
    let mut blocks = Vec::new();
    store.for_each_graph_block(network_id, from..=to.unwrap_or(u64::MAX), &mut |rows| {
        blocks.push(rows);
        Ok(())
    })?;
    Ok(blocks)
}

fn severity(finding: &Finding) -> AlertSeverity {
    match finding.severity {
        Severity::Info => AlertSeverity::Info,
        Severity::Low => AlertSeverity::Low,
        Severity::Medium => AlertSeverity::Medium,
        Severity::High => AlertSeverity::High,
        Severity::Severe => AlertSeverity::Severe,
    }
}

/// A finding as an alert: address ids and transaction ids named as the store spells them.
fn to_alert<S: MonitorStore>(
    store: &S,
    native_symbol: &str,
    network_id: u32,
    block: BlockRef,
    time: u64,
    finding: &Finding,
) -> Result<NewAlert, StoreError> {
    let name = |id: u64| -> Result<String, StoreError> {
        Ok(store.address_text(id)?.unwrap_or_else(|| format!("#{id}")))
    };
    let subjects = finding.subjects.iter().map(|&id| name(id)).collect::<Result<Vec<_>, _>>()?;
    let mut evidence = serde_json::to_value(&finding.evidence).unwrap_or(Value::Null);
    name_ids(store, &mut evidence)?;
    let evidence = json!({
        "rule": finding.rule,
        "detector": finding.detector,
        "evidence": evidence,
    });
    Ok(NewAlert {
        key: format!("{network_id}:{}", finding.key),
        rule: finding.rule.clone(),
        detector: serde_json::to_value(finding.detector)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", finding.detector)),
        severity: severity(finding),
        network_id,
        block,
        time,
        subjects,
        summary: name_addresses(&finding.summary, &mut |id| store.address_text(id).ok().flatten())
            .replace(" native", native_symbol),
        evidence: evidence.to_string(),
    })
}

/// Replaces address ids (`addresses`, `paths`) with addresses and transaction ids (`txs`) with
/// hashes, in place.
fn name_ids<S: MonitorStore>(store: &S, evidence: &mut Value) -> Result<(), StoreError> {
    let Some(object) = evidence.as_object_mut() else { return Ok(()) };
    let address = |v: &mut Value| -> Result<(), StoreError> {
        if let Some(id) = v.as_u64() {
            *v = Value::String(store.address_text(id)?.unwrap_or_else(|| format!("#{id}")));
        }
        Ok(())
    };
    if let Some(Value::Array(items)) = object.get_mut("addresses") {
        for item in items {
            address(item)?;
        }
    }
    if let Some(Value::Array(paths)) = object.get_mut("paths") {
        for path in paths {
            if let Value::Array(items) = path {
                for item in items {
                    address(item)?;
                }
            }
        }
    }
    if let Some(Value::Array(items)) = object.get_mut("txs") {
        for item in items {
            if let Some(id) = item.as_u64() {
                *item = match store.transaction_ref(id)? {
                    Some(t) => Value::String(t.hash.to_string()),
                    None => Value::String(format!("#{id}")),
                };
            }
        }
    }
    Ok(())
}

/// Decimals of a chain's native coin.
fn native_decimals(chain: Chain) -> i32 {
    if chain == Chain::Evm { 18 } else { 8 }
}

/// How summaries name a chain's native coin.
fn native_symbol(chain: Chain) -> &'static str {
    match chain {
        Chain::Evm => " ETH",
        Chain::Bitcoin | Chain::BitcoinTestnet => " BTC",
        _ => " (native coin)",
    }
}
