//! Real lists through the whole import path into a real store, then screening.

use chainward_fixtures::shared_file;
use chainward_primitives::{Category, Chain, IssueSeverity};
use chainward_screening::import::{self, ImportOptions, ListFormat};
use chainward_screening::{ScreeningIndex, Verdict, screen};
use chainward_store::SqliteStore;
use chainward_store_api::{SnapshotImport, SnapshotOutcome, WatchlistStore};
use std::collections::BTreeSet;
use std::path::PathBuf;

const NOW: &str = "2026-11-25T00:00:00Z";

fn load(path: PathBuf, options: &ImportOptions) -> Vec<SnapshotImport> {
    import::plan_import(&[path], options)
        .unwrap()
        .iter()
        .map(|plan| import::load(plan, options, NOW).unwrap())
        .collect()
}

fn import_into(
    store: &mut SqliteStore,
    path: PathBuf,
    options: &ImportOptions,
) -> Vec<SnapshotOutcome> {
    let batch = load(path, options);
    store.import_snapshots(&batch).unwrap()
}

#[test]
fn ultrasoundmoney_current_list_delists_the_91_tornado_cash_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let old =
        shared_file("sanctions/ultrasoundmoney_ofac_eth_data_2024-08-20_pre_tornado_delisting.csv");
    let first = import_into(&mut store, old, &ImportOptions::default());
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].source, "ultrasoundmoney-ofac-eth");
    assert_eq!(first[0].issues, 0, "every address of the 2024 file validates");
    let tornado_before = store
        .snapshots(None)
        .map(|_| ())
        .and_then(|()| {
            let mut n = 0;
            store.for_each_record(&mut |r| {
                if r.entry.entity.as_deref() == Some("TORNADO CASH") {
                    n += 1;
                }
                Ok(())
            })?;
            Ok(n)
        })
        .unwrap();
    assert_eq!(tornado_before, 91);

    let current = shared_file("sanctions/ultrasoundmoney_ofac_eth_data.csv");
    let options = ImportOptions { as_of: Some("2025-03-22".into()), ..ImportOptions::default() };
    let second = import_into(&mut store, current, &options);
    assert_eq!(second[0].source, "ultrasoundmoney-ofac-eth");
    let mut delisted: Vec<(String, String)> = Vec::new();
    store
        .for_each_record(&mut |r| {
            if !r.is_active() {
                delisted.push((
                    r.entry.address.to_lowercase(),
                    r.entry.entity.clone().unwrap_or_default(),
                ));
            }
            Ok(())
        })
        .unwrap();
    let tornado = delisted.iter().filter(|(_, entity)| entity == "TORNADO CASH").count();
    assert_eq!(tornado, 91, "all 91 Tornado Cash addresses are de-listed");
    assert_eq!(second[0].delisted as usize, delisted.len());
    // Anything else de-listed (CHATEX dropped one address between the two files) must really
    // be absent from the newer file.
    let newer = std::fs::read_to_string(shared_file("sanctions/ultrasoundmoney_ofac_eth_data.csv"))
        .unwrap()
        .to_lowercase();
    for (address, entity) in &delisted {
        assert!(!newer.contains(address.as_str()), "{entity} {address} is still in the newer file");
    }

    // Screening says when: the Tornado Cash 100 ETH pool, written in lower case.
    let result = screen("0xa160cdab225685da1d56aa342ad8841c3b53f291", &store).unwrap();
    assert_eq!(result.verdict, Verdict::Informational);
    let record = &result.chains[0].hits[0];
    assert_eq!(record.entry.entity.as_deref(), Some("TORNADO CASH"));
    assert_eq!(record.delisted_in.as_ref().unwrap().effective_at, "2025-03-22");
    assert!(record.listed_at.starts_with("20"), "{}", record.listed_at);

    // Lazarus stays listed and is a severe hit through both lookups.
    let index = ScreeningIndex::from_store(&store).unwrap();
    for lookup in [&store as &dyn chainward_screening::RecordLookup, &index] {
        let lazarus = screen("0x098b716b8aaf21512996dc57eb0615e2383e2f96", lookup).unwrap();
        assert_eq!(lazarus.verdict, Verdict::Hit);
        assert_eq!(lazarus.risk, chainward_primitives::RiskLevel::Severe);
        assert!(lazarus.reasons[0].contains("LAZARUS GROUP"), "{:?}", lazarus.reasons);
    }
    // History is queryable: two snapshots, newest first.
    let snapshots = store.snapshots(Some("ultrasoundmoney-ofac-eth")).unwrap();
    assert_eq!(snapshots.len(), 2);
    assert_eq!(snapshots[0].delisted as usize, delisted.len());
    assert_eq!(snapshots[0].content_hash.len(), 64);
}

#[test]
fn sdn_csv_addresses_match_the_mechanical_extraction_and_truncation_is_reported() {
    let path = shared_file("sanctions/ofac_sdn_2024-05-03.csv.gz");
    let plans = import::plan_import(&[path], &ImportOptions::default()).unwrap();
    assert_eq!(plans[0].format, ListFormat::OfacSdnCsv);
    let (mut parts, _) = import::parse(&plans[0]).unwrap();
    let parsed = parts.pop().unwrap().1;

    // The derived CSV (a regex over the same file) lists every address token; each one is
    // either imported by us or reported as cut off by OFAC's 1,000-character truncation.
    let derived = shared_file("sanctions/ofac_sdn_2024-05-03_digital_currency_addresses.csv");
    let mut reader = csv::Reader::from_path(derived).unwrap();
    let ours: BTreeSet<(String, String)> =
        parsed.entries.iter().map(|e| (e.currency.clone().unwrap(), e.address.clone())).collect();
    let cut_off: Vec<&str> = parsed
        .issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Error && i.message.contains("cut off"))
        .map(|i| i.message.as_str())
        .collect();
    let mut derived_rows = 0;
    for row in reader.records() {
        let row = row.unwrap();
        derived_rows += 1;
        let (currency, address) =
            (row[4].to_owned(), row[5].trim_end_matches(['.', ';']).to_owned());
        let found = ours.contains(&(currency.clone(), address.clone()))
            || cut_off.iter().any(|m| m.contains(&format!("'{address}'")));
        assert!(
            found,
            "{currency} {address} from the derived list is neither imported nor reported"
        );
    }
    assert_eq!(derived_rows, 294);
    assert!(parsed.entries.len() + cut_off.len() >= 290, "{}", parsed.entries.len());

    let truncated: BTreeSet<&str> = parsed
        .issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Warning && i.message.contains("1000-character"))
        .map(|i| i.message.as_str())
        .collect();
    for entity in ["LAZARUS GROUP", "TORNADO CASH", "BLENDER.IO"] {
        assert!(
            truncated.iter().any(|m| m.contains(&format!("'{entity}'"))),
            "truncation of {entity} not reported: {truncated:?}"
        );
    }

    // Validation: every imported row is valid on its ticker's chains, and the issues say why
    // the rest are not.
    let (entries, issues) = import::normalize(
        &parsed.entries,
        ListFormat::OfacSdnCsv,
        &ImportOptions::default(),
        "sdn.csv",
    );
    assert!(entries.iter().all(|e| e.category == Category::Sanctioned && e.confidence == 100));
    assert!(entries.iter().any(|e| e.chain == Chain::Bitcoin));
    for issue in issues.iter().filter(|i| i.severity == IssueSeverity::Error) {
        assert!(issue.line > 0 && issue.field.as_deref() == Some("address"), "{issue}");
    }
}

#[test]
fn per_currency_lists_are_one_snapshot_and_odd_rows_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let path = shared_file("sanctions/0xB10C_lists");
    let batch = load(path, &ImportOptions::default());
    assert_eq!(batch.len(), 1, "a folder of per-currency lists is one snapshot");
    let snapshot = &batch[0];
    assert_eq!(snapshot.source.name, "ofac-per-currency");
    // The XMR list carries a 64-hex string that is no Monero address.
    let xmr = snapshot
        .issues
        .iter()
        .find(|i| i.file.ends_with("sanctioned_addresses_XMR.txt"))
        .expect("the non-address in the XMR list is reported");
    assert_eq!(xmr.severity, IssueSeverity::Error);
    assert!(xmr.line > 0);
    // The XBT list carries a Tron address: imported on Tron, with a warning.
    assert!(
        snapshot
            .entries
            .iter()
            .any(|e| e.chain == Chain::Tron && e.currency.as_deref() == Some("XBT"))
    );
    assert!(snapshot.issues.iter().any(|i| i.severity == IssueSeverity::Warning
        && i.message.contains("listed under XBT")));
    let outcome = store.import_snapshots(&batch).unwrap();
    // 0xB10C lists 649 rows; EVM addresses repeat across tokens and merge.
    assert!(outcome[0].entries > 480, "{outcome:?}");
    // A legacy Bitcoin Cash address is stored under its CashAddr form and found by either.
    let legacy = screen("18M8bJWMzWHDBMxoLqjHHAffdRy4SrzkfB", &store).unwrap();
    let bch = legacy.chains.iter().find(|c| c.chain == Chain::BitcoinCash).unwrap();
    assert!(!bch.hits.is_empty(), "{legacy:?}");
    let cashaddr = screen(&bch.address, &store).unwrap();
    assert_eq!(cashaddr.verdict, Verdict::Hit);
}

#[test]
fn theft_lists_import_as_stolen_funds() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let options = ImportOptions {
        category: Some(Category::StolenFunds),
        entity: Some("Stake.com theft 2023-09-04 (Lazarus Group)".into()),
        ..ImportOptions::default()
    };
    let outcome = import_into(
        &mut store,
        shared_file("dprk_hacks/stake_com_tayvano_addresses.csv"),
        &options,
    );
    assert_eq!(outcome[0].entries, 38 - duplicates_across_evm_chains(), "{outcome:?}");
    assert_eq!(outcome[0].issues, 0);
    let result = screen("0x3130662aece32f05753d00a7b95c0444150bcd3c", &store).unwrap();
    assert_eq!(result.verdict, Verdict::Hit);
    assert!(result.reasons[0].starts_with("stolen_funds"), "{:?}", result.reasons);
}

/// The Stake list names some EVM addresses on several chains (ETH, MATIC, BSC); one address
/// space, so they merge.
fn duplicates_across_evm_chains() -> u64 {
    let text =
        std::fs::read_to_string(shared_file("dprk_hacks/stake_com_tayvano_addresses.csv")).unwrap();
    let evm: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .filter(|a| a.starts_with("0x"))
        .map(str::to_lowercase)
        .collect();
    let distinct: BTreeSet<&String> = evm.iter().collect();
    (evm.len() - distinct.len()) as u64
}

#[test]
fn a_malformed_file_in_a_batch_stops_the_import_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "36,\"A\",-0- ,\"CUBA\"\n").unwrap();
    let plans = import::plan_import(
        &[shared_file("sanctions/ultrasoundmoney_ofac_eth_data.csv"), bad],
        &ImportOptions::default(),
    )
    .unwrap();
    let results: Vec<_> =
        plans.iter().map(|p| import::load(p, &ImportOptions::default(), NOW)).collect();
    let error = results[1].as_ref().unwrap_err().to_string();
    assert!(error.contains("bad.csv:1"), "{error}");
    assert!(error.contains("12 columns"), "{error}");
}

#[test]
fn an_unrecognised_file_named_on_the_command_line_names_the_formats() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "hello").unwrap();
    let error = import::plan_import(&[file], &ImportOptions::default()).unwrap_err().to_string();
    assert!(error.contains("unrecognised list format"), "{error}");
    assert!(error.contains("graphsense-tagpack"), "{error}");
}
