//! `chainward monitor` (follow chains, evaluate every new block, deliver alerts) and
//! `chainward alerts` (list, show, confirm, dismiss).

use crate::cli::{AlertsArgs, AlertsCommand, MonitorArgs, SourceSpec};
use crate::ingest::{connect_evm, open_bitcoin_rpc, open_blk, open_etl};
use crate::{cli, data_dir, open_store};
use anyhow::Context;
use chainward_evm_rpc::{ClientOptions, TraceMode};
use chainward_ingest::{BlockSource, Event, IngestOptions, ingest};
use chainward_monitor::{
    BlockOutcome, BlockPublisher, Evaluator, ModelRuleOptions, MonitorOptions, PassSummary,
    SinkSpec, WebhookSecret, WorkerOptions, alert_json, catch_up, follow, run_delivery, run_worker,
};
use chainward_rules::RuleSet;
use chainward_store_api::{AlertFilter, AlertStatus, AlertStore};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Reads and validates the rule file, or the built-in defaults.
pub(crate) fn load_rules(path: Option<&std::path::Path>) -> anyhow::Result<RuleSet> {
    match path {
        None => Ok(RuleSet::defaults()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the rule file {}", path.display()))?;
            RuleSet::from_yaml(&text, &path.display().to_string())
                .map_err(|e| anyhow::anyhow!("{e}"))
        }
    }
}

/// The webhook signing secret: `--webhook-secret-file`, else `CHAINWARD_WEBHOOK_SECRET`.
fn webhook_secret(file: Option<&std::path::Path>) -> anyhow::Result<Option<WebhookSecret>> {
    let (text, origin) = match file {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the webhook secret {}", path.display()))?,
            path.display().to_string(),
        ),
        None => match std::env::var("CHAINWARD_WEBHOOK_SECRET") {
            Ok(text) => (text, "CHAINWARD_WEBHOOK_SECRET".to_owned()),
            Err(std::env::VarError::NotPresent) => return Ok(None),
            Err(e) => anyhow::bail!("CHAINWARD_WEBHOOK_SECRET: {e}"),
        },
    };
    WebhookSecret::new(text.trim()).map(Some).map_err(|e| anyhow::anyhow!("{origin}: {e}"))
}

/// The source a `--source` names, and whether it is followed (a node) or replayed to its end
/// (files). An EVM export is read as chain id 1, the default of `ingest etl`.
fn open_source(spec: &SourceSpec) -> anyhow::Result<(Box<dyn BlockSource>, bool)> {
    let options = ClientOptions::default;
    Ok(match spec {
        SourceSpec::Evm(url) => (Box::new(connect_evm(url, options(), TraceMode::Auto)?), true),
        SourceSpec::BitcoinRpc(url, chain) => {
            (Box::new(open_bitcoin_rpc(url, *chain, options())?), true)
        }
        SourceSpec::Blk(dir) => (Box::new(open_blk(dir)?), false),
        SourceSpec::Etl(dir, chain) => (Box::new(open_etl(dir, *chain, 1)?), false),
    })
}

/// One ingest per source, each on its own thread and store connection; every stored batch
/// wakes the evaluator. A node is followed (retried with backoff when it goes away); a file
/// source is replayed to its end.
fn spawn_ingest(
    global: &cli::Global,
    spec: SourceSpec,
    options: IngestOptions,
    wake: Sender<()>,
    failures: Arc<Mutex<Vec<String>>>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let dir = data_dir(global)?;
    Ok(std::thread::spawn(move || {
        let mut backoff = Duration::from_millis(500);
        loop {
            let result = (|| -> anyhow::Result<bool> {
                let mut store = chainward_store::SqliteStore::open(&dir)?;
                let (mut source, follows) = open_source(&spec)?;
                let options = IngestOptions { follow: follows, ..options.clone() };
                let mut observe = |event: &Event| match event {
                    Event::Batch { last, .. } => {
                        tracing::debug!(source = %spec, height = last, "stored");
                        let _ = wake.send(());
                    }
                    Event::Reorg { fork_height, depth, .. } => {
                        tracing::warn!(source = %spec, fork_height, depth, "reorg unwound");
                        let _ = wake.send(());
                    }
                    Event::Started { .. } | Event::Waiting { .. } => {}
                };
                ingest(&mut store, source.as_mut(), &options, &mut observe)?;
                Ok(follows)
            })();
            match result {
                Ok(false) => return,
                Ok(true) => {}
                Err(e) if matches!(spec, SourceSpec::Evm(_) | SourceSpec::BitcoinRpc(..)) => {
                    // A node that goes away: retry with backoff, never die silently.
                    tracing::error!(source = %spec, error = %format!("{e:#}"), retry_in_s = backoff.as_secs_f64(), "source failed; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
                Err(e) => {
                    tracing::error!(source = %spec, error = %format!("{e:#}"), "source failed");
                    failures
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(format!("{spec}: {e:#}"));
                    let _ = wake.send(());
                    return;
                }
            }
        }
    }))
}

pub(crate) fn run(global: &cli::Global, args: MonitorArgs) -> anyhow::Result<ExitCode> {
    let rules = load_rules(args.rules.as_deref())?;
    // Checked before any source starts: a bad secret stops the monitor before it ingests.
    let has_webhook = args.sink.iter().any(|s| matches!(s, SinkSpec::Webhook { .. }));
    anyhow::ensure!(
        has_webhook || args.webhook_secret_file.is_none(),
        "--webhook-secret-file signs webhook alerts, but no --sink webhook=URL is given"
    );
    let secret =
        if has_webhook { webhook_secret(args.webhook_secret_file.as_deref())? } else { None };
    if has_webhook && secret.is_none() {
        tracing::warn!(
            "webhook bodies are not signed: set CHAINWARD_WEBHOOK_SECRET or --webhook-secret-file"
        );
    }
    let mut store = open_store(global)?;
    let graph = if args.graph { Some(crate::graph::require_snapshot(global)?) } else { None };
    let stop = Arc::new(AtomicBool::new(false));
    let (wake_tx, wake_rx) = mpsc::channel();
    let failures = Arc::new(Mutex::new(Vec::new()));
    let ingest_options = IngestOptions {
        confirmations: args.confirmations,
        poll_interval: Duration::from_millis(args.poll_ms.max(10)),
        batch_blocks: 1,
        ..IngestOptions::default()
    };
    let mut ingests = Vec::new();
    for spec in &args.source {
        ingests.push(spawn_ingest(
            global,
            spec.clone(),
            ingest_options.clone(),
            wake_tx.clone(),
            Arc::clone(&failures),
        )?);
    }
    // Kept open: following never stops because the sources' senders are gone (without
    // sources the monitor follows what other processes store, by timed polls).
    let _keep_wake = wake_tx;

    // Sinks: stdout by default when nothing else is named (and not a pure block feeder).
    let mut sinks: Vec<SinkSpec> =
        args.sink.iter().map(|s| s.clone().with_webhook_secret(secret.as_ref())).collect();
    if sinks.is_empty() && args.publish_blocks.is_none() && !args.no_sink {
        sinks.push(SinkSpec::Stdout);
    }
    let (deliver_tx, deliver_rx) = mpsc::channel::<()>();
    let delivery_stop = Arc::new(AtomicBool::new(false));
    let delivery = if sinks.is_empty() {
        None
    } else {
        let mut delivery_store = open_store(global)?;
        let stop = Arc::clone(&delivery_stop);
        Some(std::thread::spawn(move || {
            run_delivery(&mut delivery_store, &sinks, &deliver_rx, &stop)
        }))
    };

    let options = MonitorOptions {
        name: args.name.clone(),
        start: args.start,
        poll: Duration::from_millis(args.poll_ms.max(10)),
        ..MonitorOptions::default()
    };
    let json = args.json;
    let mut on_block = |outcome: &BlockOutcome| {
        if !outcome.recorded.stored.is_empty() {
            let _ = deliver_tx.send(());
        }
        tracing::info!(
            network_id = outcome.network_id,
            height = outcome.block.height,
            flows = outcome.flows,
            alerts = outcome.recorded.stored.len(),
            duplicates = outcome.recorded.duplicates,
            "block evaluated"
        );
    };
    let mut after_pass = |pass: &PassSummary| {
        tracing::info!(
            blocks = pass.blocks,
            alerts = pass.alerts,
            duplicates = pass.duplicates,
            reorgs = pass.reorgs,
            "pass"
        );
    };
    // Sources replaying files end; without a node to follow, --once (or only file sources)
    // stops after the last block is evaluated.
    let follows =
        args.source.iter().any(|s| matches!(s, SourceSpec::Evm(_) | SourceSpec::BitcoinRpc(..)));
    let once = args.once || (!args.source.is_empty() && !follows);

    let summary = if let Some(url) = &args.publish_blocks {
        let mut publisher = BlockPublisher::connect(url)?;
        let mut published = 0;
        loop {
            let stopping = once && ingests.iter().all(std::thread::JoinHandle::is_finished);
            published += publisher.publish_new(&mut store)?;
            if stopping {
                break;
            }
            let _ = wake_rx.recv_timeout(options.poll);
        }
        serde_json::json!({ "published_blocks": published })
    } else {
        let mut evaluator = Evaluator::new(&store, rules, graph)?;
        if let Some(path) = &args.model {
            let model = chainward_model::Model::load(path)
                .with_context(|| format!("cannot load the model {}", path.display()))?;
            evaluator = evaluator.with_model(
                model,
                ModelRuleOptions { threshold: args.model_threshold, ..ModelRuleOptions::default() },
            );
        }
        if let Some(url) = &args.worker {
            let worker = WorkerOptions {
                ack_wait: Duration::from_secs_f64(args.ack_wait_seconds.max(1.0)),
                ..WorkerOptions::default()
            };
            let evaluated =
                run_worker(&mut evaluator, &mut store, url, &worker, &stop, &mut on_block)?;
            serde_json::json!({ "evaluated_blocks": evaluated })
        } else if once {
            for handle in ingests.drain(..) {
                let _ = handle.join();
            }
            let pass = catch_up(&mut evaluator, &mut store, &options, &mut on_block)?;
            serde_json::to_value(&pass)?
        } else {
            let pass = follow(
                &mut evaluator,
                &mut store,
                &options,
                &wake_rx,
                &stop,
                &mut on_block,
                &mut after_pass,
            )?;
            serde_json::to_value(&pass)?
        }
    };
    delivery_stop.store(true, Ordering::Release);
    drop(deliver_tx);
    if let Some(handle) = delivery {
        match handle.join() {
            Ok(result) => {
                let stats = result?;
                tracing::info!(failures = stats.failures, "delivery finished");
            }
            Err(_) => anyhow::bail!("the alert delivery thread panicked"),
        }
    }
    let failures = failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    if json {
        eprintln!("{}", serde_json::json!({ "summary": summary, "source_failures": failures }));
    } else {
        eprintln!("monitor: {summary}");
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("error: source {f}");
        }
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_status(command: &AlertsCommand) -> Option<(u64, AlertStatus, Option<&str>)> {
    match command {
        AlertsCommand::Confirm { id, note } => Some((*id, AlertStatus::Confirmed, note.as_deref())),
        AlertsCommand::Dismiss { id, note } => Some((*id, AlertStatus::Dismissed, note.as_deref())),
        AlertsCommand::Reopen { id, note } => Some((*id, AlertStatus::Open, note.as_deref())),
        AlertsCommand::Show { .. } => None,
    }
}

pub(crate) fn alerts(global: &cli::Global, args: AlertsArgs) -> anyhow::Result<ExitCode> {
    let mut store = open_store(global)?;
    if let Some(command) = &args.command {
        if let Some((id, status, note)) = parse_status(command) {
            if !store.set_alert_status(id, status, note)? {
                anyhow::bail!("there is no alert {id} (see `chainward alerts`)");
            }
            eprintln!("alert {id}: {}", status.as_str());
            return Ok(ExitCode::SUCCESS);
        }
        let AlertsCommand::Show { id } = command else { return Ok(ExitCode::SUCCESS) };
        let Some(alert) = store.alert(*id)? else {
            anyhow::bail!("there is no alert {id} (see `chainward alerts`)");
        };
        println!("{}", serde_json::to_string_pretty(&alert_json(&alert))?);
        return Ok(ExitCode::SUCCESS);
    }
    let filter = &args.filter;
    let network_id = match &filter.network {
        None => None,
        Some(name) => {
            use chainward_store_api::GraphSource;
            let networks = store.networks()?;
            Some(
                networks
                    .iter()
                    .find(|(_, n)| n.to_string() == *name)
                    .map(|(id, _)| *id)
                    .with_context(|| {
                        format!(
                            "no network {name:?} in the store (stored: {})",
                            networks
                                .iter()
                                .map(|(_, n)| n.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?,
            )
        }
    };
    // An address may read as several (the same text valid on two chains): any of them.
    let subjects: Vec<Option<String>> = match &filter.address {
        None => vec![None],
        Some(text) => chainward_primitives::Address::parse_any(text)
            .map_err(|e| anyhow::anyhow!("{text:?} is not an address: {e}"))?
            .iter()
            .map(|a| Some(a.canonical().to_owned()))
            .collect(),
    };
    let (since, until) = crate::analysis::window_seconds(&filter.window)?;
    let mut records = Vec::new();
    for subject in subjects {
        records.extend(store.alerts(&AlertFilter {
            after_id: filter.after_id,
            network_id,
            rule: filter.rule.clone(),
            detector: filter.detector.clone(),
            min_severity: filter.severity,
            status: filter.status,
            subject,
            since,
            until,
            limit: Some(filter.limit),
        })?);
    }
    records.sort_by_key(|a| a.id);
    records.dedup_by_key(|a| a.id);
    records.truncate(usize::try_from(filter.limit).unwrap_or(usize::MAX));
    if filter.json {
        let list: Vec<_> = records.iter().map(alert_json).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    if records.is_empty() {
        println!("no alerts match");
    }
    for a in &records {
        let time = jiff::Timestamp::from_second(a.alert.time as i64)
            .map_or_else(|_| a.alert.time.to_string(), |t| t.to_string());
        println!(
            "#{:<6} {:<8} {:<9} {:<24} {} {} block {}  {}",
            a.id,
            a.alert.severity,
            a.status.as_str(),
            a.alert.rule,
            a.network,
            time,
            a.alert.block.height,
            a.alert.summary
        );
    }
    Ok(ExitCode::SUCCESS)
}
