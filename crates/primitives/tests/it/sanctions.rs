//! OFAC sanctions lists: 0xB10C's per-currency lists, OFAC's SDN extraction, and
//! ultrasound.money's EVM lists.

use super::{attempts_of, column, parse_ok, read_csv, read_lines};
use chainward_primitives::{Address, Chain};
use std::collections::BTreeMap;

const LISTS: &str = "sanctions/0xB10C_lists";
const SDN: &str = "sanctions/ofac_sdn_2024-05-03_digital_currency_addresses.csv";
const ULTRASOUND: &str = "sanctions/ultrasoundmoney_ofac_eth_data.csv";
const ULTRASOUND_PRE: &str =
    "sanctions/ultrasoundmoney_ofac_eth_data_2024-08-20_pre_tornado_delisting.csv";

/// A listed entry that is not an address of the currency it is listed under.
struct Oddity {
    ticker: &'static str,
    entry: &'static str,
    /// The chain it is really an address of, if any.
    really: Option<Chain>,
    /// What the rejection for its ticker must say.
    reason: &'static str,
}

/// Known oddities of OFAC's own data, present in both the SDN extraction and 0xB10C's lists.
const ODDITIES: [Oddity; 2] = [
    // 64 hex digits (a key or transaction hash, not an address) printed as an XMR address for
    // a Monero-related designation; it has no address shape at all.
    Oddity {
        ticker: "XMR",
        entry: "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320",
        really: None,
        reason: "is 64 characters; Monero addresses are 95",
    },
    // A Tron address listed under XBT (ent 45404, WANG Mingming).
    Oddity {
        ticker: "XBT",
        entry: "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq",
        really: Some(Chain::Tron),
        reason: "unknown version byte 0x41 for Bitcoin",
    },
];

fn oddity(ticker: &str, entry: &str) -> Option<&'static Oddity> {
    ODDITIES.iter().find(|o| o.ticker == ticker && o.entry == entry)
}

/// Addresses cut short in the SDN extraction: OFAC's legacy `sdn.csv` truncates `Remarks` at
/// 1,000 characters, which cut the last listed address of these entities (ent_num, fragment).
/// The complete addresses are in 0xB10C's list, which is built from the untruncated XML.
const TRUNCATED: [(&str, &str); 6] = [
    ("30518", "1Gq"),
    ("33151", "1B64QRxf"),
    ("33854", "3"),
    ("36216", "1B11Ezqg3AXj"),
    ("37070", "3F6bbvS1krsc1qR8FsbTDfYQyvkMm"),
    ("39585", "1N6XqS"),
];

/// Checks that a known oddity is rejected for its ticker for the stated reason, and is (or is
/// not) an address of another chain.
fn assert_oddity_rejected(odd: &Oddity) {
    let error = Address::parse_for_ticker(odd.ticker, odd.entry)
        .expect_err("a known oddity must not validate for its ticker");
    let message = error.to_string();
    assert!(message.contains(odd.reason), "{}: {message}", odd.entry);
    match odd.really {
        Some(chain) => {
            let found = Address::parse_any(odd.entry).expect("valid on its real chain");
            assert_eq!(found.iter().map(Address::chain).collect::<Vec<_>>(), [chain]);
            assert!(message.contains(&format!("valid {} address", chain.display_name())));
        }
        None => {
            let error = Address::parse_any(odd.entry).expect_err("no chain accepts it");
            assert!(attempts_of(error).is_empty(), "{} matches no address shape", odd.entry);
        }
    }
}

/// (ticker, entries) of every 0xB10C list.
fn lists() -> Vec<(String, Vec<String>)> {
    let dir = chainward_fixtures::shared_file(LISTS);
    let mut lists: Vec<(String, Vec<String>)> = std::fs::read_dir(&dir)
        .expect("list folder")
        .map(|entry| {
            let name = entry.expect("dir entry").file_name().to_string_lossy().into_owned();
            let ticker = name
                .strip_prefix("sanctioned_addresses_")
                .and_then(|n| n.strip_suffix(".txt"))
                .unwrap_or_else(|| panic!("unexpected file {name} in {LISTS}"))
                .to_owned();
            let entries = read_lines(&format!("{LISTS}/{name}"));
            (ticker, entries)
        })
        .collect();
    lists.sort();
    lists
}

/// (ticker, address) of every row of the SDN extraction, without the [`TRUNCATED`] ones.
fn sdn_rows() -> Vec<(String, String)> {
    read_csv(SDN)
        .iter()
        .filter(|row| !TRUNCATED.contains(&(column(row, "ent_num"), column(row, "address"))))
        .map(|row| (column(row, "currency").to_owned(), column(row, "address").to_owned()))
        .collect()
}

fn ultrasound(file: &str) -> Vec<String> {
    read_csv(file).iter().map(|row| column(row, "address").to_owned()).collect()
}

pub(super) fn valid_addresses() -> Vec<(Chain, String)> {
    let mut all = Vec::new();
    let by_ticker = lists()
        .into_iter()
        .flat_map(|(ticker, entries)| entries.into_iter().map(move |e| (ticker.clone(), e)));
    for (ticker, entry) in by_ticker.chain(sdn_rows()) {
        if oddity(&ticker, &entry).is_none() {
            let found = Address::parse_for_ticker(&ticker, &entry).expect("checked by the tests");
            all.push((found[0].chain(), entry));
        }
    }
    for file in [ULTRASOUND, ULTRASOUND_PRE] {
        all.extend(ultrasound(file).into_iter().map(|a| (Chain::Evm, a)));
    }
    all
}

#[test]
fn every_0xb10c_list_entry_validates_for_its_ticker() {
    // ticker → (valid entries, known oddities)
    let expected: BTreeMap<&str, (usize, usize)> = BTreeMap::from([
        ("ARB", (1, 0)),
        ("BCH", (7, 0)),
        ("BSC", (1, 0)),
        ("BSV", (1, 0)),
        ("BTG", (1, 0)),
        ("DASH", (3, 0)),
        ("ETC", (1, 0)),
        ("ETH", (152, 0)),
        ("LTC", (10, 0)),
        ("TRX", (6, 0)),
        ("USDC", (2, 0)),
        ("USDT", (26, 0)),
        ("XBT", (434, 1)),
        ("XMR", (2, 1)),
        ("XRP", (1, 0)),
        ("XVG", (1, 0)),
        ("ZEC", (3, 0)),
    ]);
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut chains_by_ticker: BTreeMap<String, Vec<Chain>> = BTreeMap::new();
    for (ticker, entries) in lists() {
        let count = counts.entry(ticker.clone()).or_default();
        for entry in entries {
            if let Some(odd) = oddity(&ticker, &entry) {
                assert_oddity_rejected(odd);
                count.1 += 1;
                continue;
            }
            let found = Address::parse_for_ticker(&ticker, &entry)
                .unwrap_or_else(|e| panic!("{LISTS} {ticker}: {e}"));
            assert_eq!(found.len(), 1, "{ticker} {entry}: {found:?}");
            chains_by_ticker.entry(ticker.clone()).or_default().push(found[0].chain());
            count.0 += 1;
        }
    }
    let counts: BTreeMap<&str, (usize, usize)> =
        counts.iter().map(|(t, c)| (t.as_str(), *c)).collect();
    assert_eq!(counts, expected);
    // USDT is listed on Omni (Bitcoin), EVM and Tron addresses.
    let mut usdt = chains_by_ticker["USDT"].clone();
    usdt.sort();
    usdt.dedup();
    assert_eq!(usdt, [Chain::Bitcoin, Chain::Evm, Chain::Tron]);
}

#[test]
fn bitcoin_cash_list_mixes_legacy_and_cashaddr_spellings() {
    let entries = read_lines(&format!("{LISTS}/sanctioned_addresses_BCH.txt"));
    let parsed: Vec<Address> =
        entries.iter().map(|e| parse_ok(Chain::BitcoinCash, e, "BCH list")).collect();
    assert_eq!(entries[0], "18M8bJWMzWHDBMxoLqjHHAffdRy4SrzkfB");
    assert!(parsed.iter().all(|a| a.canonical().starts_with("bitcoincash:")));
    // The legacy entry is also a Bitcoin address; the prefixless CashAddr ones are not.
    let legacy = Address::parse_any(&entries[0]).unwrap();
    assert_eq!(legacy[0].chain(), Chain::Bitcoin);
    assert_eq!(Address::parse_any(&entries[1]).unwrap().len(), 1);
}

#[test]
fn every_sdn_extraction_row_validates_for_its_currency() {
    let mut valid: BTreeMap<String, usize> = BTreeMap::new();
    let mut odd = 0;
    for (ticker, address) in sdn_rows() {
        if let Some(o) = oddity(&ticker, &address) {
            assert_oddity_rejected(o);
            odd += 1;
            continue;
        }
        Address::parse_for_ticker(&ticker, &address)
            .unwrap_or_else(|e| panic!("{SDN} {ticker}: {e}"));
        *valid.entry(ticker).or_default() += 1;
    }
    assert_eq!(odd, 2);
    let expected = BTreeMap::from(
        [
            ("XBT", 196),
            ("ETH", 49),
            ("USDT", 17),
            ("LTC", 4),
            ("TRX", 4),
            ("XMR", 2),
            ("DASH", 3),
            ("ZEC", 2),
            ("BCH", 2),
            ("USDC", 2),
            ("BTG", 1),
            ("ETC", 1),
            ("XVG", 1),
            ("ARB", 1),
            ("BSC", 1),
        ]
        .map(|(t, n)| (t.to_owned(), n)),
    );
    assert_eq!(valid, expected);
}

#[test]
fn truncated_sdn_addresses_are_rejected_as_too_short() {
    let rows = read_csv(SDN);
    let xbt = read_lines(&format!("{LISTS}/sanctioned_addresses_XBT.txt"));
    for (ent_num, fragment) in TRUNCATED {
        let entity: Vec<_> = rows.iter().filter(|r| column(r, "ent_num") == ent_num).collect();
        let last = entity.last().expect("entity has rows");
        // It is the entity's last address, and the entity's remarks hit the 1,000-char limit.
        assert_eq!(column(last, "address"), fragment);
        assert_eq!(column(last, "remarks_len_1000_truncated"), "1");
        let error = Address::parse_for_ticker("XBT", fragment).expect_err("truncated");
        let reason = &attempts_of(error)[0].reason;
        assert!(reason.starts_with("decodes to "), "{fragment}: {reason}");
        assert!(reason.ends_with(", expected 25"), "{fragment}: {reason}");
        // A complete listed address starts with it.
        assert!(xbt.iter().any(|a| a.len() > fragment.len() && a.starts_with(fragment)));
    }
}

#[test]
fn ultrasound_money_evm_lists_validate() {
    for (file, rows) in [(ULTRASOUND, 97), (ULTRASOUND_PRE, 157)] {
        let addresses = ultrasound(file);
        assert_eq!(addresses.len(), rows, "{file}");
        for address in &addresses {
            let parsed = parse_ok(Chain::Evm, address, file);
            assert_eq!(parsed.payload().len(), 20);
        }
    }
}

#[test]
fn one_address_in_two_spellings_has_one_key() {
    // The 0xB10C ETH list and ultrasound.money spell some addresses differently (OFAC prints
    // some checksummed, some lower case); equal payloads must mean equal keys.
    let mut by_lower: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    let eth = read_lines(&format!("{LISTS}/sanctioned_addresses_ETH.txt"));
    for address in eth.iter().chain(&ultrasound(ULTRASOUND)).chain(&ultrasound(ULTRASOUND_PRE)) {
        let parsed = Address::parse(Chain::Evm, address).unwrap();
        by_lower.entry(address.to_lowercase()).or_default().push(parsed);
    }
    for (lower, spellings) in &by_lower {
        assert!(spellings.windows(2).all(|w| w[0].key() == w[1].key()), "{lower}");
        assert!(spellings.windows(2).all(|w| w[0].canonical() == w[1].canonical()), "{lower}");
    }
    assert!(by_lower.values().any(|s| s.len() > 1), "the lists overlap");
}
