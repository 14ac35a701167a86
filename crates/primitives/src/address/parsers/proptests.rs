//! Round trips on random payloads for every format, and no panics on arbitrary input.

use super::*;
use crate::AddressKind;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(256)
}

/// `spelled` parses on `chain` to `payload` and `canonical`; the canonical form parses to the
/// same address; and `parse_any` finds it too.
fn round_trip(
    chain: Chain,
    spelled: &str,
    payload: &[u8],
    canonical: &str,
) -> Result<(), TestCaseError> {
    let parsed = parse_on(chain, spelled).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(parsed.payload(), payload);
    prop_assert_eq!(parsed.canonical(), canonical);
    let again = parse_on(chain, canonical).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&again, &parsed);
    let any = parse_any(spelled).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(any.contains(&parsed), "parse_any({}) = {:?}", spelled, any);
    Ok(())
}

/// Whatever `parse_any` accepts re-parses from its canonical form to the same key.
fn accepted_inputs_are_stable(input: &str) -> Result<(), TestCaseError> {
    for chain in Chain::ALL {
        let _ = parse_on(chain, input);
    }
    if let Ok(found) = parse_any(input) {
        for address in found {
            let again = parse_on(address.chain(), address.canonical())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(again.key(), address.key());
        }
    }
    Ok(())
}

const BASE58_CHAINS: [Chain; 12] = [
    Chain::Bitcoin,
    Chain::BitcoinTestnet,
    Chain::Litecoin,
    Chain::BitcoinCash,
    Chain::BitcoinSv,
    Chain::BitcoinGold,
    Chain::Dogecoin,
    Chain::Dash,
    Chain::Zcash,
    Chain::Verge,
    Chain::Tron,
    Chain::Ripple,
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn base58check_families(
        chain in prop::sample::select(&BASE58_CHAINS[..]),
        which in any::<prop::sample::Index>(),
        hash in any::<[u8; 20]>(),
    ) {
        let versions = base58check::versions(chain);
        let (version, kind) = versions[which.index(versions.len())];
        let body = [version, &hash].concat();
        let spelled = base58check::encode(&body, chain);
        if chain == Chain::BitcoinCash {
            let kind_type = cashaddr::type_of(kind);
            let canonical = cashaddr::encode_mainnet(kind_type, &hash);
            round_trip(chain, &spelled, &[&[kind_type][..], &hash].concat(), &canonical)?;
        } else {
            round_trip(chain, &spelled, &body, &spelled)?;
        }
        if chain == Chain::Tron {
            round_trip(chain, &alloy_primitives::hex::encode(&body), &body, &spelled)?;
        }
    }

    #[test]
    fn segwit(
        hrp in prop::sample::select(&[("bc", Chain::Bitcoin), ("tb", Chain::BitcoinTestnet),
            ("bcrt", Chain::BitcoinTestnet), ("ltc", Chain::Litecoin),
            ("btg", Chain::BitcoinGold)][..]),
        version in 0u8..=16,
        mut program in prop::collection::vec(any::<u8>(), 2..=40),
        upper in any::<bool>(),
    ) {
        if version == 0 {
            program.resize(if program.len() < 26 { 20 } else { 32 }, 0);
        }
        let (hrp, chain) = hrp;
        let fe = bech32::Fe32::try_from(version).expect("version below 32");
        let canonical =
            bech32::segwit::encode(bech32::Hrp::parse(hrp).expect("valid hrp"), fe, &program)
                .expect("valid program");
        let spelled = if upper { canonical.to_uppercase() } else { canonical.clone() };
        round_trip(chain, &spelled, &[&[version][..], &program].concat(), &canonical)?;
    }

    #[test]
    fn cashaddr(
        p2sh in any::<bool>(),
        hash in any::<[u8; 20]>(),
        prefixed in any::<bool>(),
        upper in any::<bool>(),
    ) {
        let kind_type = u8::from(p2sh);
        let canonical = cashaddr::encode_mainnet(kind_type, &hash);
        let mut spelled =
            if prefixed { canonical.clone() } else { canonical["bitcoincash:".len()..].to_owned() };
        if upper {
            spelled = spelled.to_uppercase();
        }
        let payload = [&[kind_type][..], &hash].concat();
        round_trip(Chain::BitcoinCash, &spelled, &payload, &canonical)?;
        let legacy = base58check::encode(&[&[if p2sh { 5 } else { 0 }][..], &hash].concat(), Chain::Bitcoin);
        round_trip(Chain::BitcoinCash, &legacy, &payload, &canonical)?;
    }

    #[test]
    fn evm(bytes in any::<[u8; 20]>()) {
        let canonical = alloy_primitives::Address::from(bytes).to_checksum(None);
        let lower = canonical.to_lowercase();
        let upper = format!("0x{}", canonical[2..].to_uppercase());
        for spelled in [&canonical, &lower, &upper] {
            round_trip(Chain::Evm, spelled, &bytes, &canonical)?;
        }
    }

    #[test]
    fn stellar(key in any::<[u8; 32]>(), id in any::<u64>()) {
        let canonical = stellar::encode(&key);
        round_trip(Chain::Stellar, &canonical, &key, &canonical)?;
        round_trip(Chain::Stellar, &stellar::encode_muxed(&key, id), &key, &canonical)?;
    }

    #[test]
    fn ss58(key in any::<[u8; 32]>(), ident in (0u16..16384).prop_filter("reserved", |i| !matches!(i, 46 | 47))) {
        let canonical = ss58::encode(0, &key);
        round_trip(Chain::Polkadot, &ss58::encode(ident, &key), &key, &canonical)?;
    }

    #[test]
    fn cardano(
        shape in prop::sample::select(&[(0u8, 57usize, false), (1, 57, false), (2, 57, false),
            (3, 57, false), (6, 29, false), (7, 29, false), (14, 29, true), (15, 29, true)][..]),
        testnet in any::<bool>(),
        credentials in any::<[u8; 56]>(),
    ) {
        let (kind_bits, len, reward) = shape;
        let hrp = match (reward, testnet) {
            (false, false) => "addr",
            (false, true) => "addr_test",
            (true, false) => "stake",
            (true, true) => "stake_test",
        };
        let mut payload = vec![kind_bits << 4 | u8::from(!testnet)];
        payload.extend_from_slice(&credentials[..len - 1]);
        let hrp = bech32::Hrp::parse(hrp).expect("valid hrp");
        let canonical = bech32::encode::<bech32::Bech32>(hrp, &payload).expect("short enough");
        round_trip(Chain::Cardano, &canonical.to_uppercase(), &payload, &canonical)?;
    }

    #[test]
    fn monero(
        network in prop::sample::select(&[(18u8, 65usize, AddressKind::MoneroStandard),
            (19, 73, AddressKind::MoneroIntegrated), (42, 65, AddressKind::MoneroSubaddress)][..]),
        keys in any::<[u8; 72]>(),
    ) {
        let (byte, len, kind) = network;
        let body = [&[byte][..], &keys[..len - 1]].concat();
        let spelled = monero::encode_address(&body);
        round_trip(Chain::Monero, &spelled, &body, &spelled)?;
        prop_assert_eq!(parse_on(Chain::Monero, &spelled).map(|a| a.kind()), Ok(kind));
    }

    #[test]
    fn arbitrary_strings_never_panic(input in ".*") {
        accepted_inputs_are_stable(&input)?;
    }

    #[test]
    fn base58_strings_never_panic(
        input in "[1-9A-HJ-NP-Za-km-z]{20,40}|[1-9A-HJ-NP-Za-km-z]{44,52}|[1-9A-HJ-NP-Za-km-z]{93,108}",
    ) {
        accepted_inputs_are_stable(&input)?;
    }

    #[test]
    fn bech32_and_hex_strings_never_panic(
        input in "(bc1|tb1|ltc1|btg1|addr1|stake_test1|bitcoincash:|q|p)[qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZRY]{0,110}|0x[0-9a-fA-F]{38,42}|41[0-9a-f]{40}|[GM][A-Z2-7]{55,68}",
    ) {
        accepted_inputs_are_stable(&input)?;
    }
}

#[test]
fn one_character_changes_are_caught() {
    // Random single substitutions in each format's alphabet, checked deterministically.
    let samples = [
        (Chain::Bitcoin, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"),
        (Chain::Bitcoin, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
        (Chain::BitcoinCash, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
        (Chain::Stellar, "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ"),
    ];
    for (chain, address) in samples {
        let chars: Vec<char> = address.chars().collect();
        let alphabet: Vec<char> = {
            let mut a = chars.clone();
            a.sort_unstable();
            a.dedup();
            a
        };
        for position in chars.len() / 2..chars.len() {
            for &replacement in &alphabet {
                if replacement == chars[position] {
                    continue;
                }
                let mut changed = chars.clone();
                changed[position] = replacement;
                let changed: String = changed.into_iter().collect();
                assert!(parse_on(chain, &changed).is_err(), "{changed} accepted on {chain}");
            }
        }
    }
}
