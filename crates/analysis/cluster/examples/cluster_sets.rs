//! Clusters the input sets of `scripts/bench-clustering.sh` and prints the same figures as the
//! graphsense-clustering side: union time, mapping time, non-singleton rows and their checksum.
//!
//! ```text
//! cargo run --release -p chainward-cluster --example cluster_sets -- OFFSETS VALUES N_ADDR \
//!     [--json] [--repeat N] [--threads T]
//! ```
//!
//! With `--repeat N` the clustering runs N times on fresh union-finds and the fastest run
//! (union + mapping) is reported: on a shared machine the minimum is the figure least
//! disturbed by other processes.
//!
//! OFFSETS and VALUES are little-endian u32 arrays: transaction `i`'s input address ids are
//! `VALUES[OFFSETS[i]..OFFSETS[i + 1]]`; ids run from 0 to N_ADDR inclusive.

use chainward_cluster::{ConcurrentUnionFind, default_threads};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use zerocopy::IntoBytes;

fn read_u32s(path: &Path) -> Result<Vec<u32>, String> {
    let mut file = File::open(path).map_err(|e| format!("opening {}: {e}", path.display()))?;
    let len = file.metadata().map_err(|e| format!("reading {}: {e}", path.display()))?.len();
    if len % 4 != 0 {
        return Err(format!("{} is {len} bytes, not a whole number of u32s", path.display()));
    }
    let mut values = vec![0u32; (len / 4) as usize];
    file.read_exact(values.as_mut_bytes())
        .map_err(|e| format!("reading {}: {e}", path.display()))?;
    if cfg!(target_endian = "big") {
        values.iter_mut().for_each(|v| *v = u32::from_le(*v));
    }
    Ok(values)
}

/// The most frequent cluster id among the rows (ties: the smallest id).
fn largest_cluster(rows: &chainward_cluster::MappingRows) -> (u32, usize) {
    let mut clusters = rows.cluster_id.clone();
    clusters.sort_unstable();
    clusters
        .chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len()))
        .max_by_key(|&(id, n)| (n, std::cmp::Reverse(id)))
        .unwrap_or_default()
}

fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: cluster_sets OFFSETS VALUES N_ADDR [--json] [--repeat N] [--threads T]";
    let mut json = false;
    let mut repeat = 1usize;
    let mut threads = default_threads();
    let mut positional = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let value = rest.next().ok_or_else(|| format!("{name} needs a value; {usage}"))?;
            value.parse().map_err(|e| format!("{name} {value}: {e}"))
        };
        match arg.as_str() {
            "--json" => json = true,
            "--repeat" => repeat = number("--repeat")?.max(1),
            "--threads" => threads = number("--threads")?.max(1),
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}; {usage}")),
            _ => positional.push(arg),
        }
    }
    let [offsets, values, n_addr] = positional[..] else {
        return Err(usage.into());
    };
    let max_id: u32 = n_addr.parse().map_err(|e| format!("N_ADDR {n_addr}: {e}"))?;
    let offsets = read_u32s(Path::new(offsets))?;
    let values = read_u32s(Path::new(values))?;
    if offsets.windows(2).any(|w| w[0] > w[1])
        || offsets.last().is_some_and(|&end| end as usize > values.len())
    {
        return Err("OFFSETS is not non-decreasing within VALUES".into());
    }
    if let Some(&bad) = values.iter().find(|&&v| v > max_id) {
        return Err(format!("VALUES holds id {bad}, above N_ADDR {max_id}"));
    }

    // Like `Clustering(max_address_id)` on the other side, allocation is outside the timing.
    let mut best: Option<(f64, f64, chainward_cluster::MappingRows)> = None;
    for _ in 0..repeat {
        let union_find = ConcurrentUnionFind::new(max_id as usize + 1);
        let start = Instant::now();
        union_find.union_sets(&offsets, &values, threads);
        let union_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let rows = union_find.into_mapping_min(threads);
        let mapping_s = start.elapsed().as_secs_f64();
        if best.as_ref().is_none_or(|(u, m, _)| union_s + mapping_s < u + m) {
            best = Some((union_s, mapping_s, rows));
        }
    }
    let Some((union_s, mapping_s, rows)) = best else { return Err(usage.into()) };
    let checksum = rows.checksum();
    let row_count = rows.address_id.len();
    let (largest_id, largest) = largest_cluster(&rows);
    if json {
        println!(
            "{{\"threads\":{threads},\"union_s\":{union_s:.4},\"mapping_s\":{mapping_s:.4},\"rows\":{row_count},\"checksum\":{checksum},\"largest_cluster\":{largest},\"largest_cluster_id\":{largest_id}}}"
        );
    } else {
        println!(
            "threads={threads} union_s={union_s:.4} mapping_s={mapping_s:.4} rows={row_count} checksum={checksum} largest_cluster={largest}"
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cluster_sets: {message}");
            ExitCode::FAILURE
        }
    }
}
