//! DPRK theft reports (tayvano/lazarus-bluenoroff-research transcriptions).

use super::{column, parse_ok, read_csv};
use chainward_primitives::{Address, Chain};
use std::collections::BTreeMap;

const ATOMIC: &str = "dprk_hacks/atomic_wallet_tayvano_theft_addresses_partial.csv";
const HARMONY: &str = "dprk_hacks/harmony_bridge_tayvano_addresses_partial.csv";
const STAKE: &str = "dprk_hacks/stake_com_tayvano_addresses.csv";
const RONIN: &str = "dprk_hacks/ronin_bridge_tayvano_addresses_partial.csv";

/// The Atomic Wallet file's `currency` codes.
fn currency_chain(currency: &str) -> Chain {
    match currency {
        "BTC" => Chain::Bitcoin,
        "ETH" => Chain::Evm,
        "TRX" => Chain::Tron,
        "XRP" => Chain::Ripple,
        "ADA" => Chain::Cardano,
        "DOT" => Chain::Polkadot,
        "XLM" => Chain::Stellar,
        "DOGE" => Chain::Dogecoin,
        "BCH" => Chain::BitcoinCash,
        "LTC" => Chain::Litecoin,
        other => panic!("{ATOMIC}: currency {other} has no chain mapping"),
    }
}

/// (chain, address, checksum_status) of every row of `file`.
fn rows(file: &str) -> Vec<(Chain, String, String)> {
    read_csv(file)
        .iter()
        .map(|row| {
            let address = column(row, "address").to_owned();
            let status = row.get("checksum_status").cloned().unwrap_or_default();
            let chain = match file {
                ATOMIC => currency_chain(column(row, "currency")),
                // `ethereum`, `bitcoin`: the chain names Chain::from_str knows.
                HARMONY | RONIN => column(row, "chain").parse().expect("known chain name"),
                _ => {
                    let ticker = column(row, "chain");
                    match Chain::for_ticker(ticker) {
                        [chain] => *chain,
                        other => panic!("{file}: ticker {ticker} maps to {other:?}"),
                    }
                }
            };
            (chain, address, status)
        })
        .collect()
}

pub(super) fn valid_addresses() -> Vec<(Chain, String)> {
    [ATOMIC, HARMONY, STAKE, RONIN]
        .iter()
        .flat_map(|file| rows(file))
        .map(|(chain, address, _)| (chain, address))
        .collect()
}

#[test]
fn atomic_wallet_addresses_validate_on_their_currency_chain() {
    let mut by_currency: BTreeMap<Chain, usize> = BTreeMap::new();
    let (mut valid, mut valid_non_evm, mut lowercase) = (0, 0, 0);
    for (chain, address, status) in rows(ATOMIC) {
        parse_ok(chain, &address, ATOMIC);
        *by_currency.entry(chain).or_default() += 1;
        match status.as_str() {
            "valid" => {
                valid += 1;
                valid_non_evm += usize::from(chain != Chain::Evm);
            }
            "not_checkable_lowercase" => {
                assert_eq!(chain, Chain::Evm, "{address}");
                assert_eq!(address, address.to_lowercase());
                lowercase += 1;
            }
            other => panic!("{ATOMIC}: unexpected checksum_status {other}"),
        }
    }
    // SOURCE.md says "all 125 non-ETH addresses", but its own per-currency counts (and the
    // file) add up to 124 non-ETH rows: 124 + 1 checksummed ETH = 125 `valid` rows.
    assert_eq!((valid, valid_non_evm, lowercase), (125, 124, 88));
    let expected = BTreeMap::from([
        (Chain::Evm, 89),
        (Chain::Tron, 44),
        (Chain::Bitcoin, 34),
        (Chain::Ripple, 20),
        (Chain::Cardano, 19),
        (Chain::Polkadot, 2),
        (Chain::Stellar, 2),
        (Chain::Dogecoin, 1),
        (Chain::BitcoinCash, 1),
        (Chain::Litecoin, 1),
    ]);
    assert_eq!(by_currency, expected);
}

#[test]
fn atomic_wallet_bch_cashaddr_has_its_prefix_added() {
    let bch = rows(ATOMIC).into_iter().find(|(c, _, _)| *c == Chain::BitcoinCash).unwrap();
    let parsed = parse_ok(Chain::BitcoinCash, &bch.1, ATOMIC);
    assert_eq!(parsed.canonical(), format!("bitcoincash:{}", bch.1));
}

#[test]
fn harmony_bridge_addresses_validate() {
    let mut counts: BTreeMap<(Chain, String), usize> = BTreeMap::new();
    for (chain, address, status) in rows(HARMONY) {
        parse_ok(chain, &address, HARMONY);
        *counts.entry((chain, status)).or_default() += 1;
    }
    let expected = BTreeMap::from([
        ((Chain::Bitcoin, "valid".to_owned()), 14),
        ((Chain::Evm, "valid".to_owned()), 22),
        ((Chain::Evm, "not_checkable_lowercase".to_owned()), 56),
    ]);
    assert_eq!(counts, expected);
}

#[test]
fn stake_com_addresses_validate_by_ticker() {
    let mut counts: BTreeMap<Chain, usize> = BTreeMap::new();
    for row in read_csv(STAKE) {
        let (ticker, address) = (column(&row, "chain"), column(&row, "address"));
        let found = Address::parse_for_ticker(ticker, address)
            .unwrap_or_else(|e| panic!("{STAKE}: {ticker} {address}: {e}"));
        assert_eq!(found.len(), 1, "{address}");
        *counts.entry(found[0].chain()).or_default() += 1;
    }
    assert_eq!(counts, BTreeMap::from([(Chain::Bitcoin, 22), (Chain::Evm, 16)]));
}

#[test]
fn ronin_bridge_addresses_validate_and_match_ofac_spelling() {
    let rows = rows(RONIN);
    assert_eq!(rows.len(), 119);
    for (chain, address, _) in &rows {
        assert_eq!(*chain, Chain::Evm);
        parse_ok(*chain, address, RONIN);
    }
    // The primary exploiter, lower case here and checksummed in OFAC's list, is one address.
    let ronin = Address::parse(Chain::Evm, &rows[0].1).unwrap();
    let ofac = Address::parse(Chain::Evm, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96").unwrap();
    assert_eq!(ronin.key(), ofac.key());
    assert_eq!(ronin.canonical(), ofac.canonical());
}
