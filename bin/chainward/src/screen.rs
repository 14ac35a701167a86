//! `chainward screen`.

use crate::analysis::AddressExposure;
use crate::cli::{Global, LookupMode, ScreenArgs};
use anyhow::Context;
use chainward_primitives::RiskLevel;
use chainward_screening::{RecordLookup, ScreeningIndex, ScreeningResult, Verdict, screen};
use chainward_store_api::{EntryRecord, WatchlistStore};
use chainward_trace::ExposureRequest;
use serde::Serialize;
use std::process::ExitCode;

/// Above this many addresses, building the in-memory index beats one query per address.
const INDEX_THRESHOLD: usize = 1000;

pub(crate) fn run(global: &Global, args: ScreenArgs) -> anyhow::Result<ExitCode> {
    let mut inputs: Vec<Input> = args
        .addresses
        .iter()
        .map(|a| Input { text: a.clone(), origin: "argument".into() })
        .collect();
    if let Some(file) = &args.file {
        inputs.extend(read_inputs(file, args.column.as_deref())?);
    }
    anyhow::ensure!(!inputs.is_empty(), "no address to screen");
    let store = crate::open_store(global)?;
    if store.sources()?.is_empty() {
        eprintln!(
            "warning: no list has been imported into {}; every address will screen clean. \
             Run `chainward import --public-data` or `chainward import FILE` first.",
            store.path().display()
        );
    }
    let use_index = match args.lookup {
        LookupMode::Memory => true,
        LookupMode::Store => false,
        LookupMode::Auto => inputs.len() > INDEX_THRESHOLD,
    };
    let index;
    let lookup: &dyn RecordLookup = if use_index {
        index = ScreeningIndex::from_store(&store).context("cannot build the screening index")?;
        &index
    } else {
        &store
    };

    let mut outputs = Vec::with_capacity(inputs.len());
    for input in &inputs {
        outputs.push(match screen(&input.text, lookup) {
            Ok(result) => {
                Outcome::Screened(Box::new(Screened { result, entity: None, exposure: None }))
            }
            Err(error) => Outcome::Failed {
                input: input.text.clone(),
                origin: input.origin.clone(),
                error: error.to_string(),
            },
        });
    }
    // With an analytics graph, every screened address that moved funds gets its exposure. The
    // snapshot can be gigabytes: it is loaded only when an input is in the chain tables at all.
    let graph = if args.no_exposure || !any_stored(&store, &outputs)? {
        None
    } else {
        crate::graph::load_snapshot(global)?
    };
    if let Some(graph) = graph {
        let analytics = crate::analysis::Analytics::with(store, graph)?;
        let registry = crate::entities::load_registry(global)?;
        let request = ExposureRequest { hops: args.hops, ..ExposureRequest::default() };
        for output in &mut outputs {
            if let Outcome::Screened(screened) = output {
                let nodes = analytics.address_nodes(&screened.result.input)?;
                if let Some(registry) = &registry {
                    screened.entity = nodes
                        .iter()
                        .find_map(|&n| registry.entity_of(n))
                        .map(|entity| crate::entities::summary(entity, &analytics, registry));
                }
                if !nodes.is_empty() {
                    screened.exposure =
                        Some(crate::analysis::address_exposure(&analytics, &nodes, &request)?);
                }
            }
        }
    }
    let any_error = outputs.iter().any(|o| matches!(o, Outcome::Failed { .. }));
    let any_hit = outputs.iter().any(|o| matches!(o, Outcome::Screened(r) if r.is_hit()));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outputs)?);
    } else {
        for output in &outputs {
            print_outcome(output);
        }
        if outputs.len() > 1 {
            let hits =
                outputs.iter().filter(|o| matches!(o, Outcome::Screened(r) if r.is_hit())).count();
            let errors = outputs.iter().filter(|o| matches!(o, Outcome::Failed { .. })).count();
            println!("{} screened: {hits} hit(s), {errors} error(s)", outputs.len());
        }
    }
    Ok(if any_error {
        ExitCode::from(2)
    } else if any_hit {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether any screened address is in the store's chain tables (so may be in the graph).
fn any_stored(store: &chainward_store::SqliteStore, outputs: &[Outcome]) -> anyhow::Result<bool> {
    use chainward_store_api::GraphSource;
    for output in outputs {
        if let Outcome::Screened(screened) = output {
            for chain in &screened.result.chains {
                let Ok(address) = chainward_primitives::Address::parse(chain.chain, &chain.address)
                else {
                    continue;
                };
                if store.address_id(&address.key())?.is_some() {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

struct Input {
    text: String,
    origin: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Outcome {
    Screened(Box<Screened>),
    Failed { input: String, origin: String, error: String },
}

#[derive(Serialize)]
struct Screened {
    #[serde(flatten)]
    result: ScreeningResult,
    /// The entity the address belongs to (`chainward cluster`), with its members' labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    entity: Option<crate::entities::EntitySummary>,
    /// Exposure and risk from the analytics graph, when it has the address.
    #[serde(skip_serializing_if = "Option::is_none")]
    exposure: Option<AddressExposure>,
}

impl Screened {
    /// A listing hit, or exposure risk high or severe.
    fn is_hit(&self) -> bool {
        self.result.verdict == Verdict::Hit
            || self.exposure.as_ref().is_some_and(|e| e.risk.level >= RiskLevel::High)
    }
}

/// Reads addresses from a file: CSV when a column is named or the header has an `address`
/// column, otherwise one address a line (blank lines and `#` comments skipped).
fn read_inputs(path: &std::path::Path, column: Option<&str>) -> anyhow::Result<Vec<Input>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let first = text.lines().next().unwrap_or_default();
    let header_has_address =
        first.contains(',') && first.split(',').any(|h| h.trim().eq_ignore_ascii_case("address"));
    let name = path.display().to_string();
    if column.is_none() && !header_has_address {
        return Ok(text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|(i, l)| Input { text: l.trim().to_owned(), origin: format!("{name}:{}", i + 1) })
            .collect());
    }
    let column = column.unwrap_or("address");
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().with_context(|| format!("{name}: cannot read the header"))?;
    let position = headers.iter().position(|h| h.trim() == column).with_context(|| {
        format!(
            "{name}: no column '{column}' in the header; columns: {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        )
    })?;
    let mut inputs = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{name}: malformed CSV"))?;
        let line = record.position().map_or(0, csv::Position::line);
        let value = record.get(position).unwrap_or_default().trim();
        if value.is_empty() {
            continue;
        }
        inputs.push(Input { text: value.to_owned(), origin: format!("{name}:{line}") });
    }
    Ok(inputs)
}

fn print_outcome(outcome: &Outcome) {
    match outcome {
        Outcome::Failed { input, origin, error } => {
            println!("{input}\n  ERROR ({origin}): {error}\n");
        }
        Outcome::Screened(screened) => {
            let result = &screened.result;
            let verdict = match result.verdict {
                Verdict::Hit => format!("HIT — risk {}", result.risk),
                Verdict::Informational => "informational (no active risk listing)".to_owned(),
                Verdict::Clean => "clean".to_owned(),
            };
            println!("{}\n  verdict: {verdict}", result.input);
            for reason in &result.reasons {
                println!("  reason:  {reason}");
            }
            for chain in &result.chains {
                println!(
                    "  chain:   {} ({}) {}{}",
                    chain.chain.display_name(),
                    serde_json::to_value(chain.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    chain.address,
                    if chain.hits.is_empty() { " — no listing" } else { "" }
                );
                for record in &chain.hits {
                    print_record(record);
                }
            }
            if let Some(entity) = &screened.entity {
                println!("  entity:  {} ({} addresses)", entity.entity, entity.size);
                for label in &entity.labels {
                    println!("    - {label}");
                }
            }
            if let Some(exposure) = &screened.exposure {
                println!("  exposure (analytics graph):");
                crate::analysis::print_exposure(exposure, "    ");
            }
            println!();
        }
    }
}

fn print_record(record: &EntryRecord) {
    let entry = &record.entry;
    let status = match &record.delisted_in {
        None => format!("listed {}", record.listed_at),
        Some(delisted) => {
            format!("listed {}, DE-LISTED {}", record.listed_at, delisted.effective_at)
        }
    };
    println!(
        "    - {} | {} | confidence {}{} | {} snapshot #{} ({}, sha256 {}) | {}",
        entry.category,
        entry.entity.as_deref().unwrap_or("(unnamed)"),
        entry.confidence,
        entry.confidence_label.as_deref().map(|l| format!(" {l}")).unwrap_or_default(),
        record.source,
        record.listed_in.id,
        record.listed_in.effective_at,
        &record.listed_in.content_hash[..record.listed_in.content_hash.len().min(12)],
        status
    );
    let mut details = Vec::new();
    if let Some(program) = &entry.program {
        details.push(format!("programme {program}"));
    }
    if let Some(currency) = &entry.currency {
        details.push(format!("listed as {currency}"));
    }
    if let Some(raw) = &entry.raw_address {
        details.push(format!("written {raw}"));
    }
    if let Some(reference) = &entry.reference {
        details.push(reference.clone());
    }
    if let Some(actor) = &entry.actor {
        details.push(format!("actor {actor}"));
    }
    if !details.is_empty() {
        println!("      {}", details.join(" | "));
    }
}
