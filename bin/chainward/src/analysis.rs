//! `chainward trace` and `chainward exposure`, and the exposure `screen` shows: the analytics
//! graph, the labels of the store, and the names (addresses, hashes, coins, dates) the analysis
//! crates leave to the caller.

use crate::cli::{self, ExposureArgs, TraceArgs};
use crate::graph::require_snapshot;
use anyhow::{Context, bail};
use chainward_graph::{
    AssetId, CategorySet, EdgeId, NodeId, NodeLabels, TransferGraph, store as graph_store,
};
use chainward_primitives::ledger::Network;
use chainward_primitives::{Address, Category, Chain};
use chainward_store::SqliteStore;
use chainward_store_api::{ChainStore, GraphSource};
use chainward_trace::{
    Direction, ExposureRequest, Naming, RiskAssessment, RiskConfig, Seed, TaintModel, TraceLimits,
    TraceRequest, TraceResult,
};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::process::ExitCode;

/// The store, the graph and its labels, loaded once per command.
pub(crate) struct Analytics {
    pub(crate) store: SqliteStore,
    pub(crate) graph: TransferGraph,
    pub(crate) labels: NodeLabels,
    networks: Vec<(u32, Network)>,
    names: RefCell<HashMap<NodeId, String>>,
}

impl Analytics {
    pub(crate) fn open(global: &cli::Global) -> anyhow::Result<Self> {
        let store = crate::open_store(global)?;
        let graph = require_snapshot(global)?;
        let analytics = Self::with(store, graph)?;
        analytics.warn_if_stale()?;
        Ok(analytics)
    }

    /// Says so when the store holds blocks the graph does not (or no longer the graph's tip).
    fn warn_if_stale(&self) -> anyhow::Result<()> {
        for &(id, network) in &self.networks {
            let Some(tip) = self.store.tip(network)? else { continue };
            let mark = self.graph.watermarks().iter().find(|m| m.network == id);
            let behind = match mark {
                None => true,
                Some(m) => {
                    m.height < tip.height
                        || self.store.hash_at(network, m.height)?.map(|h| h.0) != Some(m.hash)
                }
            };
            if behind {
                eprintln!(
                    "warning: the analytics graph is behind the store on {network} (store tip {}, graph {}): \
                     run `chainward graph update`",
                    tip.height,
                    mark.map_or_else(|| "none".to_owned(), |m| m.height.to_string())
                );
            }
        }
        Ok(())
    }

    pub(crate) fn with(store: SqliteStore, graph: TransferGraph) -> anyhow::Result<Self> {
        let labels =
            graph_store::labels(&store).context("cannot read the labels of stored addresses")?;
        let networks = store.networks()?;
        Ok(Self { store, graph, labels, networks, names: RefCell::new(HashMap::new()) })
    }

    /// The graph nodes an address string names (one per chain it is valid on and stored).
    pub(crate) fn address_nodes(&self, text: &str) -> anyhow::Result<Vec<NodeId>> {
        self.nodes_of(&Address::parse_any(text)?)
    }

    fn nodes_of(&self, addresses: &[Address]) -> anyhow::Result<Vec<NodeId>> {
        let mut nodes = Vec::new();
        for address in addresses {
            if let Some(id) = self.store.address_id(&address.key())? {
                let node = NodeId::address(id)?;
                if self.graph.contains(node) && !nodes.contains(&node) {
                    nodes.push(node);
                }
            }
        }
        Ok(nodes)
    }

    /// A seed: an address, else a transaction hash.
    fn seed(&self, text: &str) -> anyhow::Result<Vec<Seed>> {
        if let Ok(addresses) = Address::parse_any(text) {
            let nodes = self.nodes_of(&addresses)?;
            if nodes.is_empty() {
                bail!(
                    "{text} is a valid address but has no transfer in the analytics graph \
                     (not ingested, or the graph is older: run `chainward graph update`)"
                );
            }
            return Ok(nodes.into_iter().map(|node| Seed::Node { node, amount: None }).collect());
        }
        let hex = text.strip_prefix("0x").unwrap_or(text);
        let hash: alloy_primitives::B256 = hex.parse().map_err(|_| {
            anyhow::anyhow!("{text} is neither an address nor a transaction hash (64 hex digits)")
        })?;
        let mut seeds = Vec::new();
        for tx in self.store.transactions_by_hash(hash)? {
            let tx_id = u32::try_from(tx.id).context("transaction id beyond the graph's range")?;
            if let Some(node) = self.graph.transaction_node(tx_id) {
                seeds.push(Seed::Edges(self.graph.out_edges(node).map(|e| e.id).collect()));
                continue;
            }
            // An account transaction: its transfers leave from the addresses that sent them.
            let Some((_, stored)) = self.store.transaction(tx.network, tx.hash)? else { continue };
            let mut edges: Vec<EdgeId> = Vec::new();
            for transfer in &stored.transfers {
                let Some(id) = self.store.address_id(&transfer.from.key())? else { continue };
                let from = NodeId::address(id)?;
                edges.extend(self.graph.out_edges(from).filter(|e| e.tx == tx_id).map(|e| e.id));
            }
            edges.sort_unstable();
            edges.dedup();
            if !edges.is_empty() {
                seeds.push(Seed::Edges(edges));
            }
        }
        if seeds.is_empty() {
            bail!(
                "{text}: no stored transaction with this hash moves value in the analytics graph"
            );
        }
        Ok(seeds)
    }

    fn network(&self, id: u32) -> Option<Network> {
        self.networks.iter().find(|(n, _)| *n == id).map(|(_, network)| *network)
    }

    /// Decimals and symbol of an asset's native coin; `None` for tokens (amounts stay in base
    /// units: the store does not know token decimals).
    fn coin(&self, asset: AssetId) -> Option<(i32, String)> {
        let asset = self.graph.assets().get(asset.0 as usize)?;
        if asset.token.is_some() {
            return None;
        }
        let network = self.network(asset.network)?;
        Some(match network.chain {
            Chain::Evm => (
                18,
                if network.evm_chain_id == Some(1) {
                    "ETH".into()
                } else {
                    format!("native coin of {network}")
                },
            ),
            chain => (8, chain.as_str().to_uppercase()),
        })
    }

    /// Whole coins from a display amount, for bounds given on the command line.
    fn base_units(&self, asset: Option<AssetId>, coins: f64) -> f64 {
        let decimals = asset.and_then(|a| self.coin(a)).map_or_else(
            || {
                // Without an asset, the graph's first native coin sets the scale.
                (0..self.graph.assets().len() as u32)
                    .find_map(|a| self.coin(AssetId(a)))
                    .map_or(0, |(d, _)| d)
            },
            |(d, _)| d,
        );
        coins * 10f64.powi(decimals)
    }

    pub(crate) fn asset_name(&self, asset: AssetId) -> String {
        match self.coin(asset) {
            Some((_, symbol)) => symbol,
            None => {
                let token = self.graph.assets().get(asset.0 as usize).and_then(|a| a.token);
                let name = token
                    .and_then(|t| self.store.address_text(t).ok().flatten())
                    .unwrap_or_else(|| format!("asset {}", asset.0));
                format!("token {name} (base units)")
            }
        }
    }

    /// An address's display form.
    pub(crate) fn address_text(&self, node: NodeId) -> String {
        self.node(node)
    }
}

impl Naming for Analytics {
    fn node(&self, node: NodeId) -> String {
        if let Some(name) = self.names.borrow().get(&node) {
            return name.clone();
        }
        let name = match node.address_id() {
            Some(id) => self.store.address_text(id).ok().flatten(),
            None => self
                .graph
                .transaction_store_id(node)
                .and_then(|tx| self.store.transaction_ref(u64::from(tx)).ok().flatten())
                .map(|tx| format!("tx {}", tx.hash)),
        }
        .unwrap_or_else(|| node.to_string());
        self.names.borrow_mut().insert(node, name.clone());
        name
    }

    fn amount(&self, asset: AssetId, amount: f64) -> String {
        match self.coin(asset) {
            Some((decimals, symbol)) => format!("{:.6} {symbol}", amount / 10f64.powi(decimals)),
            None => format!("{amount:.0} {}", self.asset_name(asset)),
        }
    }

    fn time(&self, time: u32) -> String {
        jiff::Timestamp::from_second(i64::from(time))
            .map_or_else(|_| time.to_string(), |t| t.to_string())
    }

    fn asset(&self, asset: AssetId) -> String {
        self.asset_name(asset)
    }
}

/// The window's bounds in Unix seconds; all time when not given.
fn window(args: &cli::WindowArgs) -> anyhow::Result<(u32, u32)> {
    Ok((
        args.since.as_deref().map(|w| parse_when(w, false)).transpose()?.unwrap_or(0),
        args.until.as_deref().map(|w| parse_when(w, true)).transpose()?.unwrap_or(u32::MAX),
    ))
}

/// The window's bounds in Unix seconds as given (`until` exclusive: the second after it).
pub(crate) fn window_seconds(args: &cli::WindowArgs) -> anyhow::Result<(Option<u64>, Option<u64>)> {
    Ok((
        args.since.as_deref().map(|w| parse_when(w, false)).transpose()?.map(u64::from),
        args.until.as_deref().map(|w| parse_when(w, true)).transpose()?.map(|t| u64::from(t) + 1),
    ))
}

/// A date or time on the command line: `YYYY-MM-DD` (start of the day, UTC), RFC 3339, or Unix
/// seconds.
fn parse_when(text: &str, end_of_day: bool) -> anyhow::Result<u32> {
    let seconds = if let Ok(seconds) = text.parse::<u64>() {
        seconds as i64
    } else if let Ok(date) = text.parse::<jiff::civil::Date>() {
        let start = date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp().as_second();
        if end_of_day { start + 86_399 } else { start }
    } else {
        text.parse::<jiff::Timestamp>()
            .with_context(|| {
                format!("'{text}' is not a date (YYYY-MM-DD), an RFC 3339 time or Unix seconds")
            })?
            .as_second()
    };
    u32::try_from(seconds).with_context(|| format!("'{text}' is outside 1970–2106"))
}

#[derive(Serialize)]
struct EndpointRow {
    address: String,
    node: NodeId,
    asset: String,
    amount: f64,
    amount_display: String,
    share: f64,
    hops: u32,
    first_time: String,
    last_time: String,
    category: Option<Category>,
    categories: CategorySet,
    entity: Option<String>,
    label_source: Option<String>,
    reasons: Vec<&'static str>,
}

#[derive(Serialize)]
struct AssetRow {
    asset: String,
    seed: f64,
    seed_display: String,
    reached_services: f64,
    unspent: f64,
    dropped_below_min: f64,
}

#[derive(Serialize)]
struct TraceOutput<'a> {
    model: TaintModel,
    direction: Direction,
    seeds: &'a [String],
    assets: Vec<AssetRow>,
    endpoints: Vec<EndpointRow>,
    complete: bool,
    cut_by: Vec<String>,
    visited_nodes: u64,
    visited_edges: u64,
    trace_nodes: usize,
    trace_edges: usize,
}

pub(crate) fn trace(global: &cli::Global, args: TraceArgs) -> anyhow::Result<ExitCode> {
    let analytics = Analytics::open(global)?;
    let mut seeds = Vec::new();
    for text in &args.seeds {
        seeds.extend(analytics.seed(text)?);
    }
    let direction = if args.backward { Direction::Backward } else { Direction::Forward };
    let model: TaintModel = args.model.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    if let Some(amount) = args.amount {
        let scaled = analytics.base_units(None, amount);
        for seed in &mut seeds {
            if let Seed::Node { amount, .. } = seed {
                *amount = Some(scaled);
            }
        }
    }
    let mut request = TraceRequest::new(seeds, direction, model);
    request.max_hops = args.hops;
    (request.since, request.until) = window(&args.window)?;
    if let Some(min) = args.min_amount {
        request.min_amount = analytics.base_units(None, min);
    }
    if args.no_stop {
        request.stop_at = CategorySet::EMPTY;
    } else if !args.stop_at.is_empty() {
        request.stop_at = CategorySet::of_all(&args.stop_at);
    }
    request.limits = TraceLimits { max_edges: args.max_edges, ..TraceLimits::default() };
    let result = chainward_trace::trace(&analytics.graph, &analytics.labels, &request)?;

    if let Some(path) = &args.dot {
        std::fs::write(path, result.to_dot(&analytics, 2_000))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.graph_json {
        std::fs::write(path, result.to_json())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&trace_output(&analytics, &args.seeds, &result))?
        );
    } else {
        println!("{}", result.summary_table(&analytics, args.rows));
        if let Some(path) = &args.dot {
            println!("trace graph written to {} (Graphviz: dot -Tsvg)", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn trace_output<'a>(
    analytics: &Analytics,
    seeds: &'a [String],
    result: &TraceResult,
) -> TraceOutput<'a> {
    TraceOutput {
        model: result.model,
        direction: result.direction,
        seeds,
        assets: result
            .assets
            .iter()
            .map(|a| AssetRow {
                asset: analytics.asset_name(a.asset),
                seed: a.seed,
                seed_display: analytics.amount(a.asset, a.seed),
                reached_services: a.services,
                unspent: a.unspent,
                dropped_below_min: a.dropped_below_min,
            })
            .collect(),
        endpoints: result
            .endpoints
            .iter()
            .map(|e| EndpointRow {
                address: analytics.node(e.node),
                node: e.node,
                asset: analytics.asset_name(e.asset),
                amount: e.amount,
                amount_display: analytics.amount(e.asset, e.amount),
                share: e.share,
                hops: e.hops,
                first_time: analytics.time(e.first_time),
                last_time: analytics.time(e.last_time),
                category: e.label.as_ref().map(|l| l.category),
                categories: e.categories,
                entity: e.label.as_ref().and_then(|l| l.entity.clone()),
                label_source: e.label.as_ref().map(|l| l.source.clone()),
                reasons: e.reasons.iter().map(|r| r.as_str()).collect(),
            })
            .collect(),
        complete: result.is_complete(),
        cut_by: result.stats.cut_by.iter().map(|c| c.message.clone()).collect(),
        visited_nodes: result.stats.visited_nodes,
        visited_edges: result.stats.visited_edges,
        trace_nodes: result.graph.nodes.len(),
        trace_edges: result.graph.edges.len(),
    }
}

/// Exposure and risk of one address, named for people and scripts.
#[derive(Serialize)]
pub(crate) struct AddressExposure {
    pub(crate) address: String,
    pub(crate) risk: RiskAssessment,
    pub(crate) sides: Vec<SideRow>,
    pub(crate) complete: bool,
    pub(crate) cut_by: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct SideRow {
    side: &'static str,
    asset: String,
    total: f64,
    total_display: String,
    categories: Vec<CategoryRow>,
    unattributed_share: f64,
    top_paths: Vec<PathRow>,
}

#[derive(Serialize)]
struct CategoryRow {
    category: Category,
    reach: &'static str,
    amount: f64,
    amount_display: String,
    share: f64,
    counterparties: u32,
    entities: Vec<String>,
}

#[derive(Serialize)]
struct PathRow {
    category: Category,
    entity: Option<String>,
    amount_display: String,
    hops: u32,
    addresses: Vec<String>,
}

/// Exposure and risk of `node` under the default request (with the given bounds).
pub(crate) fn address_exposure(
    analytics: &Analytics,
    nodes: &[NodeId],
    request: &ExposureRequest,
) -> anyhow::Result<AddressExposure> {
    let exposure = chainward_trace::exposure(&analytics.graph, &analytics.labels, nodes, request)?;
    let risk = chainward_trace::risk_named(
        &exposure,
        &analytics.labels,
        &RiskConfig::default(),
        analytics,
    );
    let sides = exposure
        .sides()
        .map(|(side, flow)| SideRow {
            side,
            asset: analytics.asset_name(flow.asset),
            total: flow.total,
            total_display: analytics.amount(flow.asset, flow.total),
            categories: flow
                .direct
                .iter()
                .map(|c| ("direct", c))
                .chain(flow.indirect.iter().map(|c| ("indirect", c)))
                .map(|(reach, c)| CategoryRow {
                    category: c.category,
                    reach,
                    amount: c.amount,
                    amount_display: analytics.amount(flow.asset, c.amount),
                    share: c.share,
                    counterparties: c.counterparties,
                    entities: c.entities.iter().map(|e| e.entity.clone()).collect(),
                })
                .collect(),
            unattributed_share: if flow.total > 0.0 { flow.unattributed / flow.total } else { 0.0 },
            top_paths: flow
                .top_paths
                .iter()
                .map(|p| PathRow {
                    category: p.category,
                    entity: p.entity.clone(),
                    amount_display: analytics.amount(flow.asset, p.amount),
                    hops: p.hops,
                    addresses: p.nodes.iter().map(|&n| analytics.node(n)).collect(),
                })
                .collect(),
        })
        .collect();
    Ok(AddressExposure {
        address: nodes.first().map(|&n| analytics.address_text(n)).unwrap_or_default(),
        risk,
        sides,
        complete: exposure.cut_by.is_empty(),
        cut_by: exposure.cut_by.iter().map(|c| c.message.clone()).collect(),
    })
}

pub(crate) fn print_exposure(exposure: &AddressExposure, indent: &str) {
    println!("{indent}risk: {}", exposure.risk.level.as_str());
    for reason in &exposure.risk.reasons {
        println!("{indent}  reason: {reason}");
    }
    for side in &exposure.sides {
        println!("{indent}{} {}: {} in all", side.side, side.asset, side.total_display);
        for c in &side.categories {
            println!(
                "{indent}  {:<8} {:<20} {:>7.2}%  {}  ({} counterpart{}{})",
                c.reach,
                c.category.as_str(),
                c.share * 100.0,
                c.amount_display,
                c.counterparties,
                if c.counterparties == 1 { "y" } else { "ies" },
                if c.entities.is_empty() {
                    String::new()
                } else {
                    format!(": {}", c.entities.join(", "))
                }
            );
        }
        for p in &side.top_paths {
            println!(
                "{indent}  path to {} ({}), {} over {} hop(s): {}",
                p.category.as_str(),
                p.entity.as_deref().unwrap_or("unnamed"),
                p.amount_display,
                p.hops,
                p.addresses.join(" -> ")
            );
        }
    }
    for cut in &exposure.cut_by {
        println!("{indent}note: {cut}");
    }
}

pub(crate) fn exposure(global: &cli::Global, args: ExposureArgs) -> anyhow::Result<ExitCode> {
    let analytics = Analytics::open(global)?;
    let mut request = ExposureRequest { hops: args.hops, ..ExposureRequest::default() };
    (request.since, request.until) = window(&args.window)?;
    let mut results = Vec::new();
    for text in &args.addresses {
        let nodes = analytics.address_nodes(text)?;
        if nodes.is_empty() {
            bail!(
                "{text} has no transfer in the analytics graph (run `chainward graph update` after ingesting)"
            );
        }
        results.push(address_exposure(&analytics, &nodes, &request)?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for result in &results {
            println!("{}", result.address);
            print_exposure(result, "  ");
            println!();
        }
    }
    let worst = results.iter().map(|r| r.risk.level).max();
    Ok(if worst.is_some_and(|l| l >= chainward_primitives::RiskLevel::High) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
