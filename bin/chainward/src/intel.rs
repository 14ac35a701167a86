//! `chainward intel`: sharing with partners over TAXII 2.1 (pull, push, sync, sightings) and as
//! STIX 2.1 files (export, import).
//!
//! A remote (a partner's collection) and its `SyncState` are kept in the store's
//! `taxii_settings` (`intel/remote/<name>`, `intel/state/<name>`), never its secret: that comes
//! from `CHAINWARD_INTEL_<NAME>_TOKEN` or a prompt. Pulled indicators become snapshots of
//! sources `stix/<collection>/<producer>` written by `WatchlistStore::import_snapshots`, the
//! path list imports take, so `chainward screen` sees them as soon as the pull returns.

use crate::cli::{Global, IntelArgs, IntelCommand, IntelRunArgs, RemoteCommand, ShareSelection};
use anyhow::{Context, bail};
use chainward_primitives::ledger::Network;
use chainward_primitives::{Address, Chain, RiskLevel, WatchlistEntry};
use chainward_stix::{
    ConfirmedAlert, ExportInput, ExportOptions, Producer, StixId, StixObject, Timestamp, Tlp,
    export_bundle, parse_bundle,
};
use chainward_store::SqliteStore;
use chainward_store_api::{
    AlertFilter, AlertSeverity, AlertStatus, AlertStore, EntryRecord, SnapshotOutcome, TaxiiStore,
    WatchlistStore,
};
use chainward_taxii_client::{
    ApplyOptions, ApplyPlan, Auth, BlockingClient, ClientConfig, CollectionAddress, Hit,
    ObjectVersion, Published, PullOptions, PushOptions, PushOutcome, PushResult, SyncOptions,
    SyncPlan, SyncState, plan_apply, plan_sync, sighting_for_hit,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const REMOTE_PREFIX: &str = "intel/remote/";
const STATE_PREFIX: &str = "intel/state/";
const FILE_STATE_PREFIX: &str = "intel/file/";
/// Sources of entries pulled from partners.
pub(crate) const PARTNER_PREFIX: &str = "stix/";
/// Settings key prefix of the TLP each partner source came under.
const SOURCE_TLP_PREFIX: &str = "intel/source-tlp/";

/// A partner's TAXII collection.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Remote {
    pub(crate) name: String,
    /// The API root URL.
    pub(crate) url: String,
    /// The collection's id or alias.
    pub(crate) collection: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    /// TLP of what we push.
    pub(crate) tlp: String,
    /// Our name in what we push.
    pub(crate) producer: String,
    #[serde(default = "yes")]
    pub(crate) include_extension_definitions: bool,
    /// Extra trusted certificate authorities (PEM file), read at each connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ca_cert: Option<std::path::PathBuf>,
}

fn yes() -> bool {
    true
}

pub(crate) fn run(global: &Global, args: IntelArgs) -> anyhow::Result<ExitCode> {
    let json = args.json;
    match args.command {
        IntelCommand::Remote(command) => remote(global, command, json),
        IntelCommand::Pull(run) => repeat(global, &run, json, Mode::Pull),
        IntelCommand::Push(run) => repeat(global, &run, json, Mode::Push),
        IntelCommand::Sync(run) => repeat(global, &run, json, Mode::Sync),
        IntelCommand::Export { out, tlp, producer, selection } => {
            export_file(global, &out, tlp, &producer, &selection, json)
        }
        IntelCommand::Import { file, collection } => import_file(global, &file, &collection, json),
        IntelCommand::Sighting { remote, address, count, first_seen, description } => {
            sighting(global, &remote, &address, count, first_seen.as_deref(), description, json)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Remotes and state

fn check_remote_name(name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "remote name {name:?} must be 1-64 letters, digits, '-' or '_'"
    );
    Ok(())
}

/// The environment variable holding a remote's token or password.
pub(crate) fn secret_var(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    format!("CHAINWARD_INTEL_{upper}_TOKEN")
}

fn remotes(store: &SqliteStore) -> anyhow::Result<Vec<Remote>> {
    store
        .taxii_settings_with_prefix(REMOTE_PREFIX)?
        .into_iter()
        .map(|(name, value)| {
            serde_json::from_slice(&value).with_context(|| format!("corrupt setting {name}"))
        })
        .collect()
}

pub(crate) fn load_remote(store: &SqliteStore, name: &str) -> anyhow::Result<Remote> {
    match store.taxii_setting(&format!("{REMOTE_PREFIX}{name}"))? {
        Some(value) => serde_json::from_slice(&value)
            .with_context(|| format!("corrupt configuration of remote {name:?}")),
        None => {
            let known: Vec<String> = remotes(store)?.into_iter().map(|r| r.name).collect();
            let known = if known.is_empty() {
                "none is configured".to_owned()
            } else {
                format!("configured: {}", known.join(", "))
            };
            bail!(
                "unknown remote {name:?} ({known}); add it with `chainward intel remote add {name} \
                 --url URL --collection ID`"
            )
        }
    }
}

pub(crate) fn load_state(store: &SqliteStore, key: &str) -> anyhow::Result<SyncState> {
    match store.taxii_setting(key)? {
        Some(value) => {
            serde_json::from_slice(&value).with_context(|| format!("corrupt sync state {key}"))
        }
        None => Ok(SyncState::default()),
    }
}

pub(crate) fn save_state(
    store: &mut SqliteStore,
    key: &str,
    state: &SyncState,
) -> anyhow::Result<()> {
    store
        .taxii_set_setting(key, Some(&serde_json::to_vec(state)?))
        .with_context(|| format!("cannot save the sync state {key}"))
}

fn remote(global: &Global, command: RemoteCommand, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = crate::open_store(global)?;
    match command {
        RemoteCommand::Add {
            name,
            url,
            collection,
            user,
            tlp,
            producer,
            no_extension_definitions,
            ca_cert,
        } => {
            check_remote_name(&name)?;
            // Checks the URL and the id now rather than at the first pull.
            CollectionAddress::new(&url, &collection)
                .with_context(|| format!("{url:?} is not an API root URL"))?;
            let remote = Remote {
                name: name.clone(),
                url,
                collection,
                user,
                tlp: tlp.to_string(),
                producer,
                include_extension_definitions: !no_extension_definitions,
                ca_cert: ca_cert.map(|path| std::path::absolute(&path).unwrap_or(path)),
            };
            if let Some(path) = &remote.ca_cert {
                read_ca_cert(path)?;
            }
            store.taxii_set_setting(
                &format!("{REMOTE_PREFIX}{name}"),
                Some(&serde_json::to_vec(&remote)?),
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&remote)?);
            } else {
                println!(
                    "Remote {name} added: collection {} at {}. Its secret is read from {} (or a \
                     prompt).",
                    remote.collection,
                    remote.url,
                    secret_var(&name)
                );
            }
        }
        RemoteCommand::List => {
            let all = remotes(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("No remote configured (`chainward intel remote add`).");
            } else {
                for r in all {
                    let state = load_state(&store, &format!("{STATE_PREFIX}{}", r.name))?;
                    println!(
                        "{:<16} {} collection {} user {} TLP:{} — pulled up to {}, {} indicator(s) \
                         applied, {} object(s) published",
                        r.name,
                        r.url,
                        r.collection,
                        r.user.as_deref().unwrap_or("(token)"),
                        r.tlp.to_uppercase(),
                        state.pull.added_after.as_deref().unwrap_or("(never)"),
                        state.applied.len(),
                        state.published.len()
                    );
                }
            }
        }
        RemoteCommand::Remove { name } => {
            load_remote(&store, &name)?;
            store.taxii_set_setting(&format!("{REMOTE_PREFIX}{name}"), None)?;
            store.taxii_set_setting(&format!("{STATE_PREFIX}{name}"), None)?;
            if !json {
                println!("Remote {name} removed (entries pulled from it stay in the watchlist).");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn auth_for(remote: &Remote) -> anyhow::Result<Auth> {
    let var = secret_var(&remote.name);
    let secret = match std::env::var(&var) {
        Ok(value) if !value.trim().is_empty() => value.trim().to_owned(),
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprint!(
                    "Token or password for remote {} ({}): ",
                    remote.name,
                    remote.user.as_deref().unwrap_or("token")
                );
            }
            let mut line = String::new();
            stdin.read_line(&mut line).context("cannot read the secret from stdin")?;
            let line = line.trim().to_owned();
            anyhow::ensure!(
                !line.is_empty(),
                "no secret for remote {}: set {var} (an API token cwt_… or the password of its \
                 user) or type it at the prompt",
                remote.name
            );
            line
        }
    };
    Ok(match &remote.user {
        Some(user) if !secret.starts_with(chainward_taxii_server::TOKEN_PREFIX) => {
            Auth::Basic { user: user.clone(), password: secret }
        }
        _ => Auth::Bearer(secret),
    })
}

struct Connection {
    client: BlockingClient,
    collection: CollectionAddress,
}

/// The PEM certificates of a `--ca-cert` file, checked to hold at least one.
fn read_ca_cert(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("cannot read the CA certificate file {}", path.display()))?;
    anyhow::ensure!(
        String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----"),
        "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        path.display()
    );
    Ok(pem)
}

fn connect(remote: &Remote) -> anyhow::Result<Connection> {
    let auth = auth_for(remote)?;
    let mut config = ClientConfig::with_auth(auth);
    if let Some(path) = &remote.ca_cert {
        config.extra_roots_pem.push(read_ca_cert(path)?);
    }
    let client = BlockingClient::new(config).context("cannot build the TAXII client")?;
    let collection = CollectionAddress::new(&remote.url, &remote.collection)
        .with_context(|| format!("remote {}: bad URL {:?}", remote.name, remote.url))?;
    Ok(Connection { client, collection })
}

// ---------------------------------------------------------------------------------------------
// Local selection

fn selected(record: &EntryRecord, selection: &ShareSelection) -> bool {
    if !selection.include_partner_entries && record.source.starts_with(PARTNER_PREFIX) {
        return false;
    }
    let source_ok = selection.source.is_empty()
        || selection.source.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => record.source.starts_with(prefix),
            None => record.source == *pattern,
        });
    let category_ok =
        selection.category.is_empty() || selection.category.contains(&record.entry.category);
    source_ok && category_ok
}

/// The watchlist records (active and de-listed) the selection shares.
///
/// Entries pulled from partners (only with `--include-partner-entries`) are shared only when
/// the marking they came under is no stricter than `tlp` and is not RED: a re-share never
/// lowers a partner's TLP. Entries whose marking is unknown are held back too. What is held back
/// is said on stderr and in the log.
pub(crate) fn local_records(
    store: &SqliteStore,
    selection: &ShareSelection,
    tlp: Tlp,
) -> anyhow::Result<Vec<EntryRecord>> {
    let markings = partner_markings(store)?;
    let mut records = Vec::new();
    let mut held_back: BTreeMap<String, usize> = BTreeMap::new();
    store.for_each_record(&mut |record| {
        if !selected(&record, selection) {
            return Ok(());
        }
        if record.source.starts_with(PARTNER_PREFIX) {
            let marking = markings.get(&record.source).copied();
            if !marking.is_some_and(|m| m <= tlp && m != Tlp::Red) {
                *held_back.entry(record.source).or_default() += 1;
                return Ok(());
            }
        }
        records.push(record);
        Ok(())
    })?;
    for (source, count) in &held_back {
        let marking = markings.get(source).map_or("an unknown TLP".to_owned(), |m| m.to_string());
        tracing::warn!(source, count, marking, target = %tlp, "partner entries held back");
        eprintln!(
            "held back {count} entries of {source}: shared with us under {marking}, which \
             {tlp} would loosen"
        );
    }
    Ok(records)
}

/// The TLP each partner source's entries came under (the strictest seen), by source name.
fn partner_markings(store: &SqliteStore) -> anyhow::Result<BTreeMap<String, Tlp>> {
    let mut markings = BTreeMap::new();
    for (key, value) in store.taxii_settings_with_prefix(SOURCE_TLP_PREFIX)? {
        let source = key.trim_start_matches(SOURCE_TLP_PREFIX).to_owned();
        if let Ok(tlp) = String::from_utf8_lossy(&value).parse::<Tlp>() {
            markings.insert(source, tlp);
        }
    }
    Ok(markings)
}

/// Remembers the TLP a partner source's entries came under, keeping the strictest seen
/// (objects without a marking count as CLEAR).
fn record_partner_marking(
    store: &mut SqliteStore,
    source: &str,
    tlp: Option<Tlp>,
) -> anyhow::Result<()> {
    let key = format!("{SOURCE_TLP_PREFIX}{source}");
    let before =
        store.taxii_setting(&key)?.and_then(|v| String::from_utf8_lossy(&v).parse::<Tlp>().ok());
    let strictest = before.max(Some(tlp.unwrap_or(Tlp::Clear))).unwrap_or(Tlp::Clear);
    store.taxii_set_setting(&key, Some(strictest.to_string().as_bytes()))?;
    Ok(())
}

fn network_of(name: &str) -> Option<Network> {
    if let Some(id) = name.strip_prefix("evm-") {
        return id.parse().ok().map(Network::evm);
    }
    name.parse::<Chain>().ok().map(Network::chain)
}

fn risk_of(severity: AlertSeverity) -> RiskLevel {
    match severity {
        AlertSeverity::Info => RiskLevel::None,
        AlertSeverity::Low => RiskLevel::Low,
        AlertSeverity::Medium => RiskLevel::Medium,
        AlertSeverity::High => RiskLevel::High,
        AlertSeverity::Severe => RiskLevel::Severe,
    }
}

/// Confirmed alerts, one per subject address that parses on the alert's network.
pub(crate) fn confirmed_alerts(store: &SqliteStore) -> anyhow::Result<Vec<ConfirmedAlert>> {
    let filter = AlertFilter { status: Some(AlertStatus::Confirmed), ..AlertFilter::default() };
    let mut alerts = Vec::new();
    for record in store.alerts(&filter).context("cannot read the confirmed alerts")? {
        let Some(network) = network_of(&record.network) else {
            tracing::warn!(alert = record.id, network = %record.network, "unknown network, alert not shared");
            continue;
        };
        let time = i64::try_from(record.alert.time)
            .ok()
            .and_then(|t| jiff::Timestamp::from_second(t).ok())
            .map_or_else(Timestamp::now, Timestamp::from_jiff);
        for subject in &record.alert.subjects {
            if Address::parse(network.chain, subject).is_err() {
                tracing::warn!(alert = record.id, %subject, "subject does not parse, not shared");
                continue;
            }
            alerts.push(ConfirmedAlert {
                address: subject.clone(),
                network,
                rule: record.alert.rule.clone(),
                severity: risk_of(record.alert.severity),
                time,
                summary: record.alert.summary.clone(),
            });
        }
    }
    Ok(alerts)
}

// ---------------------------------------------------------------------------------------------
// Publishing (push to a remote, or export into a local collection)

/// What to publish: the entries' plan (`plan_sync`) plus the confirmed alerts' sightings (and
/// the indicators of alerted addresses no entry lists).
pub(crate) struct Publication {
    pub(crate) objects: Vec<StixObject>,
    plan: SyncPlan,
    alert_objects: BTreeMap<String, Published>,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct PublishSummary {
    pub(crate) objects: usize,
    pub(crate) new_indicators: usize,
    pub(crate) changed_indicators: usize,
    pub(crate) revoked_indicators: usize,
    pub(crate) sightings: usize,
    pub(crate) unchanged: usize,
    pub(crate) stored: usize,
    pub(crate) failed: usize,
    pub(crate) failures: Vec<String>,
}

impl Publication {
    pub(crate) fn summary(&self) -> PublishSummary {
        PublishSummary {
            objects: self.objects.len(),
            new_indicators: self.plan.new_indicators.len(),
            changed_indicators: self.plan.changed_indicators.len(),
            revoked_indicators: self.plan.revoked_indicators.len(),
            sightings: self.objects.iter().filter(|o| matches!(o, StixObject::Sighting(_))).count(),
            unchanged: self.plan.unchanged,
            ..PublishSummary::default()
        }
    }

    /// Records what the collection stored.
    pub(crate) fn record(&self, outcome: &PushOutcome, state: &mut SyncState) {
        self.plan.record(outcome, state);
        for (version, result) in &outcome.results {
            if result.is_ok()
                && let Some(published) = self.alert_objects.get(&version.id)
            {
                state.published.insert(version.id.clone(), published.clone());
            }
        }
    }
}

fn fingerprint(object: &StixObject) -> String {
    let mut value = object.to_value();
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("modified");
    }
    let digest = Sha256::digest(serde_json::to_vec(&value).unwrap_or_default());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn plan_publication(
    records: &[EntryRecord],
    alerts: &[ConfirmedAlert],
    state: &SyncState,
    options: &SyncOptions,
) -> anyhow::Result<Publication> {
    let plan = plan_sync(records, state, options).context("cannot export the watchlist")?;
    let mut objects = plan.push.clone();
    let mut alert_objects = BTreeMap::new();
    if !alerts.is_empty() {
        let active: Vec<EntryRecord> = records.iter().filter(|r| r.is_active()).cloned().collect();
        let export = ExportOptions {
            producer: options.producer.clone(),
            tlp: options.tlp,
            now: options.now,
            include_delisted: false,
        };
        let bundle = export_bundle(&ExportInput { entries: &active, tags: &[], alerts }, &export)
            .context("cannot export the confirmed alerts")?;
        for object in bundle.objects {
            let id = object.id().to_string();
            if plan.published.contains_key(&id)
                || (!options.include_extension_definitions
                    && matches!(object, StixObject::ExtensionDefinition(_)))
            {
                continue;
            }
            let print = fingerprint(&object);
            if let Some(previous) = state.published.get(&id)
                && (previous.fingerprint == print || !matches!(object, StixObject::Sighting(_)))
            {
                continue;
            }
            let modified = object.common().and_then(|c| c.modified).map(|m| m.to_string());
            alert_objects.insert(
                id,
                Published {
                    modified: modified.unwrap_or_default(),
                    fingerprint: print,
                    revoked: false,
                },
            );
            objects.push(object);
        }
    }
    Ok(Publication { objects, plan, alert_objects })
}

fn sync_options(remote: &Remote, selection: &ShareSelection) -> anyhow::Result<SyncOptions> {
    let mut options = SyncOptions::new(Producer::organization(&remote.producer));
    options.tlp =
        remote.tlp.parse::<Tlp>().map_err(|e| anyhow::anyhow!("remote {}: {e}", remote.name))?;
    options.include_extension_definitions = remote.include_extension_definitions;
    if selection.include_partner_entries {
        options.exclude_source_prefixes.clear();
    }
    Ok(options)
}

// ---------------------------------------------------------------------------------------------
// Pull, push, sync

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Pull,
    Push,
    Sync,
}

#[derive(Debug, Default, Serialize)]
struct RunReport {
    remote: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pull: Option<PullReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    push: Option<PublishSummary>,
    seconds: f64,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct PullReport {
    pub(crate) objects: usize,
    pub(crate) pages: u32,
    pub(crate) rejected: Vec<String>,
    pub(crate) fallbacks: Vec<String>,
    pub(crate) stale: usize,
    pub(crate) delisted_indicators: usize,
    pub(crate) snapshots: Vec<SnapshotOutcome>,
}

fn repeat(
    global: &Global,
    args: &IntelRunArgs,
    json: bool,
    mode: Mode,
) -> anyhow::Result<ExitCode> {
    let Some(every) = args.every else {
        return once(global, args, json, mode);
    };
    anyhow::ensure!(every > 0.0 && every.is_finite(), "--every must be a positive number");
    loop {
        if let Err(error) = once(global, args, json, mode) {
            // A partner that is down must not stop the loop: say so and try again.
            eprintln!("error: {error:#}");
            tracing::error!(remote = %args.remote, error = %format!("{error:#}"), "intel run failed");
        }
        std::thread::sleep(Duration::from_secs_f64(every));
    }
}

fn once(global: &Global, args: &IntelRunArgs, json: bool, mode: Mode) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut store = crate::open_store(global)?;
    let remote = load_remote(&store, &args.remote)?;
    let connection = connect(&remote)?;
    let key = format!("{STATE_PREFIX}{}", remote.name);
    let mut report = RunReport { remote: remote.name.clone(), ..RunReport::default() };
    if mode != Mode::Push {
        report.pull = Some(pull(&mut store, &remote, &connection, &key)?);
    }
    if mode != Mode::Pull {
        report.push = Some(push(&mut store, &remote, &connection, &key, &args.selection)?);
    }
    report.seconds = started.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        if let Some(pull) = &report.pull {
            print_pull(&remote.name, pull);
        }
        if let Some(push) = &report.push {
            print_push(&remote.name, push);
        }
    }
    let failed = report.push.as_ref().is_some_and(|p| p.failed > 0);
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn pull(
    store: &mut SqliteStore,
    remote: &Remote,
    connection: &Connection,
    key: &str,
) -> anyhow::Result<PullReport> {
    let mut state = load_state(store, key)?;
    let outcome = connection
        .client
        .pull(&connection.collection, &state.pull, &PullOptions::default())
        .with_context(|| format!("cannot pull from remote {} ({})", remote.name, remote.url))?;
    let apply = ApplyOptions {
        collection: remote.collection.clone(),
        origin: format!("{}collections/{}/", remote.url_with_slash(), remote.collection),
        now: Timestamp::now(),
    };
    let plan = plan_apply(&outcome.objects, &state, &apply);
    let snapshots = write_plan(store, &plan)?;
    let report = PullReport {
        objects: outcome.objects.len(),
        pages: outcome.pages,
        rejected: outcome.rejected.iter().map(|r| format!("{r:?}")).collect(),
        fallbacks: outcome.fallbacks.iter().map(|f| format!("{f:?}")).collect(),
        stale: plan.stale.len(),
        delisted_indicators: plan.delisted.len(),
        snapshots,
    };
    state.pull = outcome.new_state;
    state.applied = plan.applied;
    save_state(store, key, &state)?;
    tracing::info!(
        remote = %remote.name, objects = report.objects, delisted = report.delisted_indicators,
        "pulled"
    );
    Ok(report)
}

impl Remote {
    fn url_with_slash(&self) -> String {
        if self.url.ends_with('/') { self.url.clone() } else { format!("{}/", self.url) }
    }
}

/// Writes the snapshots an apply plan makes, each merged into its source's active entries, in
/// one transaction.
pub(crate) fn write_plan(
    store: &mut SqliteStore,
    plan: &ApplyPlan,
) -> anyhow::Result<Vec<SnapshotOutcome>> {
    if plan.sources.is_empty() {
        return Ok(Vec::new());
    }
    let names: HashSet<&str> =
        plan.sources.iter().map(|s| s.snapshot.source.name.as_str()).collect();
    let mut active: HashMap<String, Vec<WatchlistEntry>> = HashMap::new();
    store.for_each_record(&mut |record| {
        if record.is_active() && names.contains(record.source.as_str()) {
            active.entry(record.source).or_default().push(record.entry);
        }
        Ok(())
    })?;
    // The marking first: were the entries written and the marking lost, they could leak.
    for source in &plan.sources {
        record_partner_marking(store, &source.snapshot.source.name, source.tlp)?;
    }
    let snapshots = plan.snapshots(|name| active.remove(name).unwrap_or_default());
    store
        .import_snapshots(&snapshots)
        .context("the pulled entries could not be written (nothing was stored)")
}

fn push(
    store: &mut SqliteStore,
    remote: &Remote,
    connection: &Connection,
    key: &str,
    selection: &ShareSelection,
) -> anyhow::Result<PublishSummary> {
    let mut state = load_state(store, key)?;
    let options = sync_options(remote, selection)?;
    let records = local_records(store, selection, options.tlp)?;
    let alerts = if selection.no_alerts { Vec::new() } else { confirmed_alerts(store)? };
    let publication = plan_publication(&records, &alerts, &state, &options)?;
    let mut summary = publication.summary();
    if publication.objects.is_empty() {
        return Ok(summary);
    }
    let outcome = connection
        .client
        .push(&connection.collection, &publication.objects, &PushOptions::default())
        .with_context(|| format!("cannot push to remote {} ({})", remote.name, remote.url))?;
    publication.record(&outcome, &mut state);
    save_state(store, key, &state)?;
    summary.stored = outcome.succeeded();
    summary.failed = outcome.failed();
    summary.failures = failures(&outcome);
    Ok(summary)
}

pub(crate) fn failures(outcome: &PushOutcome) -> Vec<String> {
    outcome
        .results
        .iter()
        .filter(|(_, r)| !r.is_ok())
        .take(20)
        .map(|(v, r)| format!("{}: {r:?}", v.id))
        .collect()
}

fn print_pull(remote: &str, pull: &PullReport) {
    println!(
        "Pulled {} object(s) from {remote} in {} page(s): {} indicator(s) de-listed, {} stale, {} \
         rejected.",
        pull.objects,
        pull.pages,
        pull.delisted_indicators,
        pull.stale,
        pull.rejected.len()
    );
    print_snapshots(&pull.snapshots);
    for rejected in pull.rejected.iter().take(10) {
        println!("  rejected: {rejected}");
    }
    for fallback in &pull.fallbacks {
        println!("  server deviation handled: {fallback}");
    }
}

fn print_snapshots(snapshots: &[SnapshotOutcome]) {
    for s in snapshots {
        let id = s.snapshot.map_or_else(|| "same".to_owned(), |id| format!("#{id}"));
        println!(
            "  {} snapshot {id}: {} entries, {} listed, {} kept, {} de-listed, {} issue(s)",
            s.source, s.entries, s.listed, s.kept, s.delisted, s.issues
        );
    }
}

pub(crate) fn print_push(target: &str, push: &PublishSummary) {
    println!(
        "Published to {target}: {} object(s) sent ({} new indicator(s), {} changed, {} revoked, {} \
         sighting(s)); {} unchanged left out; {} stored, {} failed.",
        push.objects,
        push.new_indicators,
        push.changed_indicators,
        push.revoked_indicators,
        push.sightings,
        push.unchanged,
        push.stored,
        push.failed
    );
    for failure in &push.failures {
        println!("  failed: {failure}");
    }
}

// ---------------------------------------------------------------------------------------------
// Files

fn export_file(
    global: &Global,
    out: &Path,
    tlp: Tlp,
    producer: &str,
    selection: &ShareSelection,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(global)?;
    let records = local_records(&store, selection, tlp)?;
    let alerts = if selection.no_alerts { Vec::new() } else { confirmed_alerts(&store)? };
    anyhow::ensure!(
        !records.is_empty() || !alerts.is_empty(),
        "nothing to export: no watchlist entry matches the selection and no alert is confirmed"
    );
    let options = ExportOptions {
        producer: Producer::organization(producer),
        tlp,
        now: Timestamp::now(),
        include_delisted: true,
    };
    let bundle =
        export_bundle(&ExportInput { entries: &records, tags: &[], alerts: &alerts }, &options)
            .context("cannot export the watchlist")?;
    let bytes = serde_json::to_vec_pretty(&bundle)?;
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    std::io::Write::write_all(&mut file, &bytes)?;
    file.persist(out).with_context(|| format!("cannot write {}", out.display()))?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for object in &bundle.objects {
        *counts.entry(object.object_type().to_owned()).or_default() += 1;
    }
    let revoked = bundle
        .objects
        .iter()
        .filter(|o| {
            matches!(o, StixObject::Indicator(_)) && o.common().is_some_and(|c| c.is_revoked())
        })
        .count();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "file": out, "objects": bundle.objects.len(), "by_type": counts,
                "entries": records.len(), "revoked_indicators": revoked,
                "confirmed_alerts": alerts.len(), "tlp": tlp.to_string(), "bytes": bytes.len(),
            })
        );
    } else {
        let types: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
        println!(
            "Wrote {} ({} objects, {} bytes, {tlp}): {} entries ({revoked} revoked), {} confirmed \
             alert(s); {}.",
            out.display(),
            bundle.objects.len(),
            bytes.len(),
            records.len(),
            alerts.len(),
            types.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn import_file(
    global: &Global,
    file: &Path,
    collection: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    check_remote_name(collection).context("--collection")?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bundle = parse_bundle(&bytes).with_context(|| {
        format!("{} is not a valid STIX 2.1 bundle; nothing was imported", file.display())
    })?;
    let mut store = crate::open_store(global)?;
    let key = format!("{FILE_STATE_PREFIX}{collection}");
    let mut state = load_state(&store, &key)?;
    let apply = ApplyOptions {
        collection: collection.to_owned(),
        origin: file.display().to_string(),
        now: Timestamp::now(),
    };
    let plan = plan_apply(&bundle.objects, &state, &apply);
    let indicators =
        bundle.objects.iter().filter(|o| matches!(o, StixObject::Indicator(_))).count();
    let snapshots = write_plan(&mut store, &plan)?;
    state.applied = plan.applied.clone();
    save_state(&mut store, &key, &state)?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "file": file, "objects": bundle.objects.len(), "indicators": indicators,
                "stale": plan.stale.len(), "delisted_indicators": plan.delisted.len(),
                "snapshots": snapshots,
            })
        );
    } else {
        println!(
            "Imported {}: {} object(s), {indicators} indicator(s), {} de-listed, {} stale.",
            file.display(),
            bundle.objects.len(),
            plan.delisted.len(),
            plan.stale.len()
        );
        print_snapshots(&snapshots);
        if indicators == 0 {
            println!("  (the bundle holds no indicator: nothing to list)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// Sightings

fn sighting(
    global: &Global,
    remote_name: &str,
    address: &str,
    count: u32,
    first_seen: Option<&str>,
    description: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(global)?;
    let remote = load_remote(&store, remote_name)?;
    let key = format!("{STATE_PREFIX}{}", remote.name);
    let state = load_state(&store, &key)?;
    let readings = Address::parse_any(address)
        .map_err(|e| anyhow::anyhow!("{address:?} is not a valid address: {e}"))?;
    let mut indicators: Vec<&str> = Vec::new();
    for reading in &readings {
        for id in state.indicators_listing(reading.chain(), reading.canonical()) {
            if !indicators.contains(&id) {
                indicators.push(id);
            }
        }
    }
    if indicators.is_empty() {
        bail!(
            "no indicator pulled from remote {} lists {address}; a sighting reports a hit on a \
             partner's indicator (`chainward intel pull {}` first)",
            remote.name,
            remote.name
        );
    }
    let now = Timestamp::now();
    let first_seen = match first_seen {
        Some(text) => Timestamp::parse_lenient(text)
            .map_err(|e| anyhow::anyhow!("--first-seen {text:?}: {e}"))?,
        None => now,
    };
    let tlp =
        remote.tlp.parse::<Tlp>().map_err(|e| anyhow::anyhow!("remote {}: {e}", remote.name))?;
    let producer = Producer::organization(&remote.producer);
    let mut objects = Vec::new();
    for id in &indicators {
        let indicator = StixId::parse(id).map_err(|e| anyhow::anyhow!("stored id {id}: {e}"))?;
        let hit =
            Hit { indicator, count, first_seen, last_seen: now, description: description.clone() };
        objects.push(StixObject::Sighting(Box::new(sighting_for_hit(&hit, &producer, tlp, now))));
    }
    let connection = connect(&remote)?;
    let outcome = connection
        .client
        .push(&connection.collection, &objects, &PushOptions::default())
        .with_context(|| format!("cannot push the sighting to remote {}", remote.name))?;
    let ok: Vec<&ObjectVersion> =
        outcome.results.iter().filter(|(_, r)| r.is_ok()).map(|(v, _)| v).collect();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "remote": remote.name, "address": address, "indicators": indicators,
                "sightings": ok.iter().map(|v| &v.id).collect::<Vec<_>>(),
                "failures": failures(&outcome),
            })
        );
    } else {
        for version in &ok {
            println!(
                "Reported to {}: {} (sighting of {})",
                remote.name,
                version.id,
                indicators.join(", ")
            );
        }
        for failure in failures(&outcome) {
            println!("  failed: {failure}");
        }
    }
    Ok(if outcome.results.iter().all(|(_, r)| r.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// A `PushOutcome` from a status resource of our own store (for `serve admin
/// export-collection`, which writes without HTTP).
pub(crate) fn outcome_of(status: &chainward_store_api::StatusRow) -> PushOutcome {
    let mut outcome = PushOutcome::default();
    for entry in &status.successes {
        outcome.results.push((
            ObjectVersion { id: entry.id.clone(), version: entry.version.clone() },
            PushResult::Added,
        ));
    }
    for entry in &status.failures {
        outcome.results.push((
            ObjectVersion { id: entry.id.clone(), version: entry.version.clone() },
            PushResult::Failed(entry.message.clone().unwrap_or_default()),
        ));
    }
    outcome
}

/// Options to publish into a collection of our own server.
pub(crate) fn export_options(producer: &str, tlp: Tlp, selection: &ShareSelection) -> SyncOptions {
    let mut options = SyncOptions::new(Producer::organization(producer));
    options.tlp = tlp;
    if selection.include_partner_entries {
        options.exclude_source_prefixes.clear();
    }
    options
}

/// The state key of an export into a local collection.
pub(crate) fn export_state_key(api_root: &str, collection: &str) -> String {
    format!("intel/export/{api_root}/{collection}")
}
