//! GraphSense TagPacks and ActorPacks: all 86 public packs, and YAML the tests write.

use chainward_fixtures::shared_file;
use chainward_primitives::{Category, IssueSeverity, ListEntry, ParsedList};
use chainward_screening::ListError;
use chainward_screening::tagpack::{parse_actorpack, parse_tagpack};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads a pack, gunzipping `*.gz` (the parser takes decompressed bytes).
fn read_pack(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice()).read_to_end(&mut out).unwrap();
        out
    } else {
        raw
    }
}

fn pack_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(pack_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// What the whole-corpus test keeps of each pack (the full lists of all packs together are
/// half a million entries; only the spot-checked packs are kept whole).
struct PackSummary {
    entries: usize,
    issues: Vec<String>,
    errors: usize,
    categories: BTreeMap<Option<Category>, usize>,
    full: Option<ParsedList>,
}

const SPOT_CHECKED: &[&str] = &[
    "ofac.yaml",
    "lazarus.yaml",
    "lazarus2.yaml",
    "tornado_cash.yaml",
    "exchange-wallets-binance.yaml",
    "usdt_blacklist.yaml",
    "etherscan-wordcloud-market.yaml",
    "forsage.yaml",
];

fn summarise(root: &Path, path: &Path) -> (String, PackSummary) {
    let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
    let bytes = read_pack(path);
    let list = parse_tagpack(&bytes, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut categories = BTreeMap::new();
    for entry in &list.entries {
        *categories.entry(entry.category).or_insert(0) += 1;
    }
    let errors = list.issues.iter().filter(|i| i.severity == IssueSeverity::Error).count();
    let issues = list.issues.iter().map(ToString::to_string).collect();
    let short = name.trim_end_matches(".gz");
    let summary = PackSummary {
        entries: list.entries.len(),
        issues,
        errors,
        categories,
        full: SPOT_CHECKED.contains(&short).then_some(list),
    };
    (short.to_owned(), summary)
}

fn count(summary: &PackSummary, category: Category) -> usize {
    summary.categories.get(&Some(category)).copied().unwrap_or(0)
}

#[test]
fn all_86_public_packs_parse_to_524170_tags() {
    let root = shared_file("attribution_tags/graphsense_tagpacks/packs");
    let mut files = pack_files(&root);
    files.sort();
    assert_eq!(files.len(), 86);
    assert_eq!(files.iter().filter(|f| f.extension().is_some_and(|e| e == "gz")).count(), 16);

    // Two halves on two threads: serde-saphyr is slow in debug builds.
    let (left, right): (Vec<&PathBuf>, Vec<&PathBuf>) =
        (files.iter().step_by(2).collect(), files.iter().skip(1).step_by(2).collect());
    let root = root.as_path();
    let packs: BTreeMap<String, PackSummary> = std::thread::scope(|scope| {
        let a = scope.spawn(|| left.iter().map(|f| summarise(root, f)).collect::<Vec<_>>());
        let b = scope.spawn(|| right.iter().map(|f| summarise(root, f)).collect::<Vec<_>>());
        a.join().unwrap().into_iter().chain(b.join().unwrap()).collect()
    });

    let parsed: usize = packs.values().map(|p| p.entries).sum();
    let row_errors: usize = packs.values().map(|p| p.errors).sum();
    let issues: Vec<&String> = packs.values().flat_map(|p| &p.issues).collect();
    // SOURCE.md: 524,170 tags in total. Every one of them becomes an entry: the public packs
    // have no row errors and not even a warning.
    assert_eq!(parsed + row_errors, 524_170);
    assert_eq!(row_errors, 0);
    assert!(issues.is_empty(), "{issues:#?}");

    let pack = |name: &str| packs.get(name).unwrap_or_else(|| panic!("{name} missing"));
    let full = |name: &str| pack(name).full.as_ref().unwrap();

    // OFAC: 572 tags, all sanctioned although the pack only says `category: user`.
    let ofac = full("ofac.yaml");
    assert_eq!(ofac.entries.len(), 572);
    assert_eq!(count(pack("ofac.yaml"), Category::Sanctioned), 572);
    assert_eq!(ofac.published.as_deref(), Some("2024-02-26"));
    let mut currencies: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &ofac.entries {
        *currencies.entry(e.currency.as_deref().unwrap()).or_insert(0) += 1;
    }
    assert_eq!((currencies["BTC"], currencies["ETH"], currencies["USDT"]), (385, 147, 9));
    let first = &ofac.entries[0];
    assert_eq!((first.address.as_str(), first.line), ("3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3", 9));
    assert_eq!(first.labels, ["user"]);
    assert_eq!(first.entity.as_deref(), Some("Asset listed under US Treasury OFAC Sanctions List"));
    assert_eq!(
        first.reference.as_deref(),
        Some("https://www.treasury.gov/ofac/downloads/sdnlist.txt")
    );
    assert_eq!((first.confidence, first.listed_on.as_deref()), (None, Some("2024-02-26")));

    // Lazarus: `abuse: sanction` and the actor on every tag.
    for name in ["lazarus.yaml", "lazarus2.yaml"] {
        let list = full(name);
        assert!(list.entries.iter().all(|e| e.actor.as_deref() == Some("lazarusgroup")), "{name}");
        assert!(list.entries.iter().all(|e| e.category == Some(Category::Sanctioned)), "{name}");
        assert!(list.entries.iter().all(|e| e.confidence == Some(60)), "{name}");
    }
    assert_eq!((full("lazarus.yaml").entries.len(), full("lazarus2.yaml").entries.len()), (21, 6));
    let lazarus = &full("lazarus.yaml").entries[0];
    assert_eq!(
        (lazarus.address.as_str(), lazarus.line),
        ("134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak", 13)
    );
    assert_eq!(lazarus.labels, ["user", "sanction"]);

    // Tornado Cash cites a Treasury press release, not the SDN list: it stays a mixer.
    let tornado = full("tornado_cash.yaml");
    assert_eq!(tornado.entries.len(), 39);
    assert!(tornado.entries.iter().all(|e| e.category == Some(Category::Mixer)));
    assert!(tornado.entries.iter().all(|e| e.currency.as_deref() == Some("ETH")));
    assert_eq!(tornado.entries[0].address, "0x8589427373D6D84E98730D7795D8f6f8731FDA16");
    assert_eq!(tornado.entries[0].actor.as_deref(), Some("tornado"));

    let binance = full("exchange-wallets-binance.yaml");
    assert_eq!(binance.entries.len(), 86);
    assert!(binance.entries.iter().all(|e| e.category == Some(Category::Exchange)));
    assert!(binance.entries.iter().all(|e| e.actor.as_deref() == Some("binance")));
    assert_eq!(binance.entries[0].entity.as_deref(), Some("binance reserve wallets BTC"));
    assert_eq!(binance.entries[0].confidence_label.as_deref(), Some("service_data"));
    assert_eq!(binance.entries[0].confidence, Some(50));

    let bitmex: usize = (0..7)
        .map(|i| count(pack(&format!("exchange-wallets-bitmex_{i}.yaml")), Category::Exchange))
        .sum();
    assert_eq!(bitmex, 336_208);
    let sextortion = count(pack("sextortion_talos.yaml"), Category::Scam)
        + count(pack("sextortion_excello.yaml"), Category::Scam);
    assert_eq!(sextortion, 71_127);
    assert_eq!(count(pack("ransomware.yaml"), Category::Ransomware), 7_178);
    assert_eq!(count(pack("ransomwhere.yaml"), Category::Ransomware), 7_457);
    assert_eq!(count(pack("samourai.yaml"), Category::Mixer), 36_548);
    assert_eq!(count(pack("miners.yaml"), Category::Miner), 37_439);
    assert_eq!(count(pack("aft-alqaeda-forfeit_vc.yaml"), Category::TerroristFinancing), 155);
    assert_eq!(count(pack("hydra.yaml"), Category::Darknet), 117);
    assert_eq!(count(pack("ronin_bridge.yaml"), Category::StolenFunds), 6);
    assert_eq!(count(pack("defi_updated/defi-protocols_uniswap.yaml"), Category::Defi), 16);

    // Etherscan's "market" label is token and NFT marketplaces, not darknet markets.
    let market = full("etherscan-wordcloud-market.yaml");
    assert!(market.entries.iter().all(|e| e.category == Some(Category::Service)));
    assert_eq!(market.entries[0].labels, ["market"]);

    // A service running a pyramid scheme is a scam.
    let forsage = full("forsage.yaml");
    assert!(forsage.entries.iter().all(|e| e.category == Some(Category::Scam)));
    assert_eq!(forsage.entries[0].labels, ["service", "pyramid_scheme"]);

    // Tether's freezes: the context (a JSON string) names the freezing transaction.
    let usdt = full("usdt_blacklist.yaml");
    assert_eq!(usdt.entries.len(), 774);
    let e = &usdt.entries[0];
    assert_eq!(e.address, "0x008fe40574e881e7247b50b991c0cc057d66647f");
    assert!(
        e.context
            .as_deref()
            .unwrap()
            .contains("0x348a042dfedaf64400bf6660fe0ed523b373f172b7914985600d882ac09e0631")
    );
    assert_eq!((e.confidence, e.confidence_label.as_deref()), (Some(100), Some("ledger_immanent")));
    assert_eq!(e.category, Some(Category::Other));
}

#[test]
fn the_public_actorpack_names_the_lazarus_group() {
    let path =
        shared_file("attribution_tags/graphsense_tagpacks/actors/graphsense.actorpack.yaml.gz");
    let list = parse_actorpack(&read_pack(&path), "graphsense.actorpack.yaml").unwrap();
    assert!(list.issues.is_empty(), "{:#?}", list.issues);
    assert!(list.entries.is_empty());
    assert_eq!(list.actors.len(), 3_813);
    assert_eq!(list.published.as_deref(), Some("2023-02-17"));

    let lazarus = list.actors.iter().find(|a| a.id == "lazarusgroup").unwrap();
    assert_eq!(lazarus.label, "Lazarus Group");
    assert_eq!(lazarus.line, 28_782);
    assert_eq!(lazarus.categories, ["phishing", "ransomware", "sanction", "service_hack"]);
    // The pack records the group's other names as a "Monikers" note.
    assert_eq!(lazarus.aliases, ["Guardians of Peace", "Whois Team", "Hidden Cobra", "Zinc"]);
    assert_eq!(lazarus.uri.as_deref(), Some("https://home.treasury.gov/news/press-releases/sm774"));
    assert!(lazarus.context.as_deref().unwrap().contains("BlueNorOff"));

    let inch = list.actors.iter().find(|a| a.id == "1inch").unwrap();
    assert_eq!(inch.aliases, ["1inch_lop", "1inchlop"]);
    assert_eq!(inch.jurisdictions, ["KN"]);
    let first = &list.actors[0];
    assert_eq!((first.id.as_str(), first.label.as_str(), first.line), ("01", "01", 8));
}

fn parse(yaml: &str) -> ParsedList {
    parse_tagpack(yaml.as_bytes(), "pack.yaml").unwrap()
}

fn malformed(result: Result<ParsedList, ListError>) -> (u64, Option<String>, String) {
    match result {
        Err(ListError::Malformed { file, line, field, message }) => {
            assert_eq!(file, "pack.yaml");
            (line, field, message)
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

const HEADER: &str = "\
title: Written by the test
creator: test
lastmod: 2021-11-12
currency: BTC
label: Pack label
category: exchange
confidence: service_data
source: https://pack.example/
actor: pack_actor
";

#[test]
fn header_values_are_inherited_and_overridden_per_tag() {
    let list = parse(&format!(
        "{HEADER}tags:
- address: 1Inherits
- address: 0xOverrides
  currency: eth
  label: Tag label
  category: mixing_service
  confidence: web_crawl
  source: https://tag.example/
  actor: tag_actor
  lastmod: 2023-08-16 12:18:52.619444
  context: '{{\"note\": \"kept as written\"}}'
- address: 1AbuseWins
  abuse: ransomware
"
    ));
    assert!(list.issues.is_empty(), "{:?}", list.issues);
    assert_eq!(list.published.as_deref(), Some("2021-11-12"));
    let [inherits, overrides, abuse] = list.entries.as_slice() else { panic!("{list:?}") };
    assert_eq!(
        inherits,
        &ListEntry {
            address: "1Inherits".into(),
            currency: Some("BTC".into()),
            entity: Some("Pack label".into()),
            category: Some(Category::Exchange),
            labels: vec!["exchange".into()],
            confidence: Some(50),
            confidence_label: Some("service_data".into()),
            program: None,
            reference: Some("https://pack.example/".into()),
            actor: Some("pack_actor".into()),
            context: None,
            listed_on: Some("2021-11-12".into()),
            line: 11,
        }
    );
    assert_eq!(
        overrides,
        &ListEntry {
            address: "0xOverrides".into(),
            currency: Some("ETH".into()),
            entity: Some("Tag label".into()),
            category: Some(Category::Mixer),
            labels: vec!["mixing_service".into()],
            confidence: Some(20),
            confidence_label: Some("web_crawl".into()),
            program: None,
            reference: Some("https://tag.example/".into()),
            actor: Some("tag_actor".into()),
            context: Some(r#"{"note": "kept as written"}"#.into()),
            listed_on: Some("2023-08-16".into()),
            line: 12,
        }
    );
    assert_eq!(
        (abuse.category, abuse.labels.as_slice()),
        (Some(Category::Ransomware), &["exchange".to_owned(), "ransomware".to_owned()][..])
    );
    assert_eq!(abuse.line, 21);
}

#[test]
fn line_numbers_are_exact_whatever_the_layout() {
    let list = parse(
        "# a comment on line 1
title: t
creator: c

tags:
  # indented list with comments and blank lines
  - address: a1

  - label: address second
    address: a2
  - {address: a3, currency: LTC}
  -   address: a4
  - address: >-
      a5
  - address: \"a6\"
    context:
      nested: [1, 2]
      deeper: {x: y}
  - address: a7
",
    );
    let lines: Vec<(&str, u64)> =
        list.entries.iter().map(|e| (e.address.as_str(), e.line)).collect();
    assert_eq!(
        lines,
        [("a1", 7), ("a2", 9), ("a3", 11), ("a4", 12), ("a5", 13), ("a6", 15), ("a7", 19)]
    );
    let context: serde_json::Value =
        serde_json::from_str(list.entries[5].context.as_deref().unwrap()).unwrap();
    assert_eq!(context, serde_json::json!({"nested": [1, 2], "deeper": {"x": "y"}}));
}

#[test]
fn bad_tags_are_reported_with_line_and_field_and_the_rest_imported() {
    let list = parse(&format!(
        "{HEADER}tags:
- address: good1
- label: no address
- address: [not, a, string]
- address: {{nested: map}}
- address: true
- address: ''
- just a string
- tx_hash: ab12
- address: good2
  lastmod: 12/11/2021
  category: not_a_concept
  confidence: very_sure
  label: [a, list]
- address: 0x0000000000000000000000000000000000000000
- address: good3
  mystery: 1
- address: good4
  mystery: 2
  label: dup
  label: last wins
"
    ));
    let addresses: Vec<&str> = list.entries.iter().map(|e| e.address.as_str()).collect();
    assert_eq!(
        addresses,
        ["good1", "good2", "0x0000000000000000000000000000000000000000", "good3", "good4"]
    );
    let issues: Vec<(u64, Option<&str>, IssueSeverity)> =
        list.issues.iter().map(|i| (i.line, i.field.as_deref(), i.severity)).collect();
    use IssueSeverity::{Error, Warning};
    assert_eq!(
        issues,
        [
            (12, Some("address"), Error),
            (13, Some("address"), Error),
            (14, Some("address"), Error),
            (15, Some("address"), Error),
            (16, Some("address"), Error),
            (17, None, Error),
            (18, Some("address"), Error),
            (20, Some("lastmod"), Warning),
            (21, Some("category"), Warning),
            (22, Some("confidence"), Warning),
            (23, Some("label"), Warning),
            (24, Some("address"), Warning),
            (30, Some("label"), Warning),
            (26, Some("mystery"), Warning),
        ],
        "{:#?}",
        list.issues
    );
    assert!(list.issues.iter().all(|i| i.file == "pack.yaml"));
    assert!(list.issues[0].message.contains("no address"), "{}", list.issues[0]);
    assert!(list.issues[6].message.contains("tx_hash"), "{}", list.issues[6]);
    assert!(list.issues[13].message.contains("2 tag(s)"), "{}", list.issues[13]);

    // A kept tag with bad fields keeps what was good and inherits the rest.
    let good2 = &list.entries[1];
    assert_eq!(good2.listed_on.as_deref(), None);
    assert_eq!(good2.category, None, "the tag's own word overrides the pack's, unmapped");
    assert_eq!(good2.labels, ["not_a_concept"]);
    assert_eq!((good2.confidence, good2.confidence_label.as_deref()), (None, Some("very_sure")));
    assert_eq!(good2.entity, None, "a label that is not text overrides the header's with nothing");
    assert_eq!(list.entries[4].entity.as_deref(), Some("last wins"));
}

#[test]
fn whole_file_problems_are_malformed_with_a_line() {
    let (line, _, message) = malformed(parse_tagpack(
        b"title: t\ncreator: c\ntags:\n- address: a\n  label: [x\n- address: b\n",
        "pack.yaml",
    ));
    assert!((5..=6).contains(&line), "line {line}: {message}");
    assert!(message.contains("YAML"), "{message}");

    let (line, field, message) =
        malformed(parse_tagpack(b"title: t\ncreator: c\ntags:\n  address: a\n", "pack.yaml"));
    assert_eq!((line, field.as_deref()), (4, Some("tags")));
    assert!(message.contains("must be a list"), "{message}");

    let (line, field, _) = malformed(parse_tagpack(b"title: t\ncreator: c\n", "pack.yaml"));
    assert_eq!((line, field.as_deref()), (1, Some("tags")));

    let (line, _, message) = malformed(parse_tagpack(b"\n\n- address: a\n", "pack.yaml"));
    assert_eq!(line, 3);
    assert!(message.contains("a list"), "{message}");

    let (_, _, message) = malformed(parse_tagpack(b"", "pack.yaml"));
    assert!(message.contains("empty"), "{message}");

    let (line, _, message) =
        malformed(parse_tagpack(b"title: t\ntags:\n- address: \xc3\x28\n", "pack.yaml"));
    assert_eq!(line, 3);
    assert!(message.contains("UTF-8"), "{message}");

    let (_, _, message) = malformed(parse_tagpack(b"tags: []\n---\ntags: []\n", "pack.yaml"));
    assert!(!message.is_empty());

    // The Display form names file and line.
    let err = parse_tagpack(b"title: t\ntags: 5\n", "pack.yaml").unwrap_err();
    assert!(err.to_string().starts_with("pack.yaml:2: field 'tags': "), "{err}");
}

#[test]
fn unknown_and_repeated_top_level_keys_are_warnings() {
    let list = parse(
        "title: t
creator: c
maintainer: someone
label: first
label: second
tags:
- address: a
  currency: BTC
",
    );
    assert_eq!(list.entries.len(), 1);
    assert_eq!(list.entries[0].entity.as_deref(), Some("second"));
    let issues: Vec<_> =
        list.issues.iter().map(|i| (i.line, i.field.as_deref(), i.severity)).collect();
    assert_eq!(
        issues,
        [
            (3, Some("maintainer"), IssueSeverity::Warning),
            (5, Some("label"), IssueSeverity::Warning)
        ]
    );
    assert!(list.issues[0].message.contains("unknown top-level key 'maintainer'"));
}

#[test]
fn concepts_and_the_category_mapping() {
    let list = parse(
        "title: t
creator: c
currency: ETH
tags:
- address: a
  concepts: [exchange]
- address: b
  concepts: [user, defi_bridge]
- address: c
  category: organization
  abuse: extremism
- address: d
  category: market
- address: e
  category: Mixing_Service
- address: f
  abuse: sanction
  category: exchange
- address: g
  category: user
  source: https://www.treasury.gov/ofac/downloads/sdnlist.txt
",
    );
    assert!(list.issues.is_empty(), "{:?}", list.issues);
    let categories: Vec<_> = list.entries.iter().map(|e| e.category).collect();
    use Category as C;
    assert_eq!(
        categories,
        [
            Some(C::Exchange),
            Some(C::Bridge),
            Some(C::Other),
            Some(C::Darknet),
            Some(C::Mixer),
            Some(C::Sanctioned),
            Some(C::Sanctioned),
        ]
    );
    assert_eq!(list.entries[1].labels, ["user", "defi_bridge"]);
    assert_eq!(list.entries[4].labels, ["Mixing_Service"]);
}

#[test]
fn actorpack_rows() {
    let yaml = "title: actors
creator: c
lastmod: '2023-02-17'
extra: 1
actors:
- id: good
  label: Good Actor
  uri: https://good.example
  categories: [exchange, not_a_concept]
  jurisdictions: [AT]
  aliases: [g1]
  context:
    aliases: [g1, g2]
    refs: [r]
- label: no id
- id: nolabel
- 42
";
    let list = parse_actorpack(yaml.as_bytes(), "pack.yaml").unwrap();
    let ids: Vec<(&str, &str, u64)> =
        list.actors.iter().map(|a| (a.id.as_str(), a.label.as_str(), a.line)).collect();
    assert_eq!(ids, [("good", "Good Actor", 6), ("nolabel", "nolabel", 16)]);
    assert_eq!(list.actors[0].aliases, ["g1", "g2"]);
    assert_eq!(list.actors[0].categories, ["exchange", "not_a_concept"]);
    let issues: Vec<_> =
        list.issues.iter().map(|i| (i.line, i.field.as_deref(), i.severity)).collect();
    use IssueSeverity::{Error, Warning};
    assert_eq!(
        issues,
        [
            (4, Some("extra"), Warning),
            (15, Some("id"), Error),
            (16, Some("label"), Warning),
            (17, None, Error),
            (9, Some("categories"), Warning),
        ],
        "{:#?}",
        list.issues
    );
    assert!(matches!(
        parse_actorpack(b"title: t\nactors: {}\n", "pack.yaml"),
        Err(ListError::Malformed { line: 2, .. })
    ));
}

#[test]
fn hostile_documents_fail_cleanly() {
    // Alias amplification ("billion laughs").
    let mut yaml = String::from("a0: &a0 [\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]\n");
    for i in 1..12 {
        let p = i - 1;
        yaml.push_str(&format!("a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"));
    }
    yaml.push_str("tags: [*a11]\n");
    assert!(matches!(
        parse_tagpack(yaml.as_bytes(), "pack.yaml"),
        Err(ListError::Malformed { .. })
    ));

    // Deep nesting.
    let deep = format!("tags: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(
        parse_tagpack(deep.as_bytes(), "pack.yaml"),
        Err(ListError::Malformed { .. })
    ));
    let deep_block: String =
        (0..500).map(|i| format!("{}- \n", "  ".repeat(i))).collect::<String>();
    assert!(parse_tagpack(format!("tags:\n{deep_block}").as_bytes(), "pack.yaml").is_err());
}

/// Fragments that make up TagPack-like text, so random inputs reach past the YAML syntax check.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "title: t\n",
        "tags:\n",
        "- ",
        "  ",
        "address: ",
        "a1",
        "'0x0'",
        "0x1f",
        "label: ",
        "category: ",
        "exchange",
        "abuse: ",
        "scam",
        "confidence: ",
        "web_crawl",
        "42",
        "lastmod: ",
        "2021-11-12",
        "context: ",
        "{k: [1, 2]}",
        "[x, y]",
        "&a ",
        "*a",
        "~",
        "\n",
        ": ",
        "? ",
        "\"",
        "'",
        "#",
        "---\n",
        "!!int ",
        "!tag ",
        "\t",
        "|\n",
        "- address: x\n",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_tagpack(&bytes, "fuzz.yaml");
        let _ = parse_actorpack(&bytes, "fuzz.yaml");
    }

    #[test]
    fn tagpack_like_text_never_panics(parts in prop::collection::vec(fragment(), 0..64)) {
        let text = parts.concat();
        if let Ok(list) = parse_tagpack(text.as_bytes(), "fuzz.yaml") {
            let lines = u64::try_from(text.lines().count()).unwrap();
            for entry in &list.entries {
                prop_assert!(entry.line >= 1 && entry.line <= lines.max(1));
            }
            for issue in &list.issues {
                // An empty value at the very end sits on the line after the last one.
                prop_assert!(issue.line <= lines + 1);
            }
        }
        let _ = parse_actorpack(text.as_bytes(), "fuzz.yaml");
    }
}
