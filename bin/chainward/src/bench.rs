//! `chainward bench`: figures for the hot paths, each beside its anchor in the same run.
//!
//! Absolute times on shared machines are noise; the ratios against the anchors, measured in the
//! same process on the same data, are what to compare across runs.

use crate::cli::{BenchArgs, BenchCommand, Global};
use chainward_primitives::{Address, AddressKey, Category, Chain, WatchlistEntry};
use chainward_screening::ScreeningIndex;
use chainward_store::SqliteStore;
use chainward_store_api::{EntryRecord, SnapshotRef, WatchlistStore};
use serde::Serialize;
use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// Lookups per timed batch when measuring the per-lookup distribution: one lookup is shorter
/// than the clock's resolution is useful for.
const BATCH: usize = 64;

pub(crate) fn run(global: &Global, args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        BenchCommand::Monitor { tps, block_seconds, seconds } => {
            return crate::bench_monitor::run(tps, block_seconds, seconds, args.json);
        }
        BenchCommand::Graph { blocks, transfers_per_block, addresses } => {
            return crate::bench_store::run_graph(
                blocks,
                transfers_per_block,
                addresses,
                args.json,
            );
        }
        BenchCommand::Store { blocks, transfers_per_block, addresses } => {
            return crate::bench_store::run(
                global,
                blocks,
                transfers_per_block,
                addresses,
                args.json,
            );
        }
        BenchCommand::Taxii { objects, medallion_objects, limit, no_medallion } => {
            return crate::bench_taxii::run(
                objects,
                medallion_objects,
                limit,
                no_medallion,
                args.json,
            );
        }
        BenchCommand::Screening { public_data, entries, lookups } => {
            let report = screening(&public_data, entries, lookups)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print(&report);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct ScreeningBench {
    build: &'static str,
    import: ImportFigures,
    list_entries: usize,
    distinct_keys: usize,
    lookups: usize,
    hit_share: f64,
    index_build_seconds: f64,
    index_slot_bytes: usize,
    lanes: Vec<Lane>,
}

#[derive(Debug, Serialize)]
struct ImportFigures {
    snapshots: usize,
    rows: u64,
    entries: u64,
    seconds: f64,
    rows_per_second: f64,
    target_seconds: f64,
}

#[derive(Debug, Serialize)]
struct Lane {
    name: &'static str,
    what: &'static str,
    lookups: usize,
    lookups_per_second: f64,
    p50_ns: f64,
    p99_ns: f64,
    speedup_of_chainward_index: f64,
}

fn screening(
    public_data: &Path,
    total_entries: usize,
    lookups: usize,
) -> anyhow::Result<ScreeningBench> {
    let dir = tempfile::tempdir()?;
    let mut store = SqliteStore::open(dir.path())?;
    eprintln!("importing the public lists from {} …", public_data.display());
    let plans = crate::import::public_data_plan(public_data)?;
    let report = crate::import::import_plans(&mut store, &plans)?;
    let import = ImportFigures {
        snapshots: report.snapshots.len(),
        rows: report.rows_read,
        entries: report.entries,
        seconds: report.elapsed_seconds,
        rows_per_second: report.rows_per_second,
        target_seconds: 30.0,
    };

    eprintln!("building a list of {total_entries} entries (public lists + synthetic) …");
    let mut records = Vec::new();
    store.for_each_record(&mut |r| {
        records.push(r);
        Ok(())
    })?;
    let template = records.first().cloned().ok_or_else(|| anyhow::anyhow!("nothing imported"))?;
    let mut rng = SplitMix(0x5eed);
    while records.len() < total_entries {
        records.push(synthetic_record(&template, &mut rng));
    }
    let list_entries = records.len();

    // Queries: half listed addresses, half unlisted, shuffled, as canonical strings and keys.
    let mut queries: Vec<(AddressKey, String)> = Vec::with_capacity(lookups);
    for i in 0..lookups {
        if i % 2 == 0 {
            let r = &records[(rng.next() % records.len() as u64) as usize];
            queries.push((r.entry.key, r.entry.address.clone()));
        } else {
            let payload: [u8; 20] = rng.bytes20();
            let address = Address::parse(Chain::Evm, &format!("0x{}", hex(&payload)))
                .expect("40 hex digits are an EVM address");
            queries.push((address.key(), address.canonical().to_owned()));
        }
    }

    let to_index = records.clone();
    let started = Instant::now();
    let index = ScreeningIndex::from_records(to_index);
    let index_build_seconds = started.elapsed().as_secs_f64();
    let hit_share =
        queries.iter().filter(|(k, _)| !index.get(k).is_empty()).count() as f64 / lookups as f64;

    // Anchor: the obvious implementation, a std HashMap (SipHash) from address string to rows.
    let mut naive: HashMap<String, Vec<usize>> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        naive.entry(r.entry.address.clone()).or_default().push(i);
    }
    drop(records);

    eprintln!("timing {lookups} lookups per lane …");
    let ours = time_lane(&queries, |(key, _)| index.get(key).len());
    let (listed, unlisted): (Vec<_>, Vec<_>) =
        queries.iter().cloned().partition(|(key, _)| !index.get(key).is_empty());
    let ours_listed = time_lane(&listed, |(key, _)| index.get(key).len());
    let ours_unlisted = time_lane(&unlisted, |(key, _)| index.get(key).len());
    let keys: Vec<AddressKey> = queries.iter().map(|(key, _)| *key).collect();
    let key_batches: Vec<&[AddressKey]> = keys.chunks(BATCH).collect();
    let mut found = Vec::with_capacity(BATCH);
    let (rate, p50, p99) = time_lane(&key_batches, |batch| {
        index.get_batch(batch, &mut found);
        found.iter().map(|r| r.len()).sum()
    });
    // time_lane counted batches; per lookup, divide by the batch size.
    let ours_batch = (rate * BATCH as f64, p50 / BATCH as f64, p99 / BATCH as f64);
    let anchor = time_lane(&queries, |(_, address)| naive.get(address).map_or(0, Vec::len));
    let with_parse = time_lane(&queries, |(_, address)| {
        Address::parse_any(address)
            .map_or(0, |all| all.iter().map(|a| index.get(&a.key()).len()).sum())
    });
    let store_queries = &queries[..queries.len().min(50_000)];
    let sqlite = time_lane(store_queries, |(key, _)| store.lookup(key).map_or(0, |r| r.len()));

    let ours_rate = ours.0;
    let lane = |name, what, (rate, p50, p99): (f64, f64, f64), n| Lane {
        name,
        what,
        lookups: n,
        lookups_per_second: rate,
        p50_ns: p50,
        p99_ns: p99,
        speedup_of_chainward_index: ours_rate / rate,
    };
    Ok(ScreeningBench {
        build: if cfg!(debug_assertions) { "debug (figures meaningless)" } else { "release" },
        import,
        list_entries,
        distinct_keys: index.keys(),
        lookups,
        hit_share,
        index_build_seconds,
        index_slot_bytes: index.slot_bytes(),
        lanes: vec![
            lane(
                "chainward-index",
                "AddressKey -> records, 8-byte open-addressing slots",
                ours,
                lookups,
            ),
            lane(
                "chainward-index-batch",
                "get_batch: misses of 16 lookups overlapped",
                ours_batch,
                lookups,
            ),
            lane(
                "chainward-index-listed",
                "the same, listed addresses only",
                ours_listed,
                listed.len(),
            ),
            lane(
                "chainward-index-unlisted",
                "the same, unlisted addresses only",
                ours_unlisted,
                unlisted.len(),
            ),
            lane("anchor-std-hashmap", "String -> rows, std HashMap (SipHash)", anchor, lookups),
            lane(
                "chainward-parse+index",
                "parse_any (checksums) + index lookup",
                with_parse,
                lookups,
            ),
            lane(
                "anchor-sqlite-index",
                "store.lookup: SQLite B-tree query",
                sqlite,
                store_queries.len(),
            ),
        ],
    })
}

/// Runs `lookup` over every query on this thread: the rate over the whole run, and the p50 and
/// p99 per lookup from batches of [`BATCH`].
fn time_lane<Q>(queries: &[Q], mut lookup: impl FnMut(&Q) -> usize) -> (f64, f64, f64) {
    // Warm up caches and branch predictors on a slice of the queries.
    for q in queries.iter().take(queries.len() / 20) {
        black_box(lookup(black_box(q)));
    }
    let mut per_lookup_ns = Vec::with_capacity(queries.len() / BATCH + 1);
    let started = Instant::now();
    for chunk in queries.chunks(BATCH) {
        let batch_started = Instant::now();
        for q in chunk {
            black_box(lookup(black_box(q)));
        }
        per_lookup_ns.push(batch_started.elapsed().as_nanos() as f64 / chunk.len() as f64);
    }
    let rate = queries.len() as f64 / started.elapsed().as_secs_f64();
    per_lookup_ns.sort_by(f64::total_cmp);
    let at = |q: f64| per_lookup_ns[((per_lookup_ns.len() - 1) as f64 * q) as usize];
    (rate, at(0.50), at(0.99))
}

fn synthetic_record(template: &EntryRecord, rng: &mut SplitMix) -> EntryRecord {
    let payload = rng.bytes20();
    let mut record = template.clone();
    record.entry = WatchlistEntry {
        key: AddressKey::new(Chain::Evm, &payload),
        chain: Chain::Evm,
        address: format!("0x{}", hex(&payload)),
        category: Category::Scam,
        entity: Some("synthetic".into()),
        ..template.entry.clone()
    };
    record.listed_in =
        SnapshotRef { id: 0, effective_at: "synthetic".into(), content_hash: String::new() };
    record
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A tiny deterministic generator for benchmark data (not for anything that needs randomness).
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn bytes20(&mut self) -> [u8; 20] {
        let mut out = [0u8; 20];
        for chunk in out.chunks_mut(8) {
            let n = self.next().to_le_bytes();
            chunk.copy_from_slice(&n[..chunk.len()]);
        }
        out
    }
}

fn print(report: &ScreeningBench) {
    println!("build: {}", report.build);
    let i = &report.import;
    println!(
        "import: {} snapshots, {} rows -> {} entries in {:.2} s = {:.0} rows/s ({:.2}x of the \
         {:.0} s target)",
        i.snapshots,
        i.rows,
        i.entries,
        i.seconds,
        i.rows_per_second,
        i.seconds / i.target_seconds,
        i.target_seconds
    );
    println!(
        "screening list: {} entries, {} distinct keys; index built in {:.2} s ({:.1} MB of \
         probe slots); {} lookups, {:.0}% listed",
        report.list_entries,
        report.distinct_keys,
        report.index_build_seconds,
        report.index_slot_bytes as f64 / 1e6,
        report.lookups,
        report.hit_share * 100.0
    );
    println!(
        "{:<24} {:>14} {:>10} {:>10} {:>12}  what",
        "lane", "lookups/s", "p50 ns", "p99 ns", "index is x"
    );
    for lane in &report.lanes {
        println!(
            "{:<24} {:>14.0} {:>10.1} {:>10.1} {:>12.2}  {}",
            lane.name,
            lane.lookups_per_second,
            lane.p50_ns,
            lane.p99_ns,
            lane.speedup_of_chainward_index,
            lane.what
        );
    }
}
