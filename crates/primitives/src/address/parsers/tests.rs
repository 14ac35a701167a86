//! Dispatch: which chains `parse_any` finds, in which order, and what errors say.

use super::*;
use crate::AddressKind;

fn chains(input: &str) -> Vec<Chain> {
    parse_any(input).unwrap().iter().map(Address::chain).collect()
}

fn attempts(result: Result<impl std::fmt::Debug, AddressError>) -> Vec<Attempt> {
    match result.unwrap_err() {
        AddressError::Invalid { attempts, .. } => attempts,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn legacy_bitcoin_is_also_bitcoin_cash_and_sv() {
    let found = parse_any("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu").unwrap();
    let summary: Vec<(Chain, AddressKind, &str)> =
        found.iter().map(|a| (a.chain(), a.kind(), a.canonical())).collect();
    assert_eq!(
        summary,
        [
            (Chain::Bitcoin, AddressKind::P2pkh, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"),
            (
                Chain::BitcoinCash,
                AddressKind::P2pkh,
                "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
            ),
            (Chain::BitcoinSv, AddressKind::P2pkh, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"),
        ]
    );
    // The CashAddr spelling finds the same Bitcoin Cash address, and only that.
    let cash = parse_any("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a").unwrap();
    assert_eq!(cash, [found[1].clone()]);
    assert_eq!(cash[0].key(), found[1].key());
}

#[test]
fn shared_version_bytes_list_every_chain() {
    assert_eq!(
        chains("3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC"),
        [Chain::Bitcoin, Chain::BitcoinCash, Chain::BitcoinSv, Chain::Litecoin]
    );
    assert_eq!(chains("DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z"), [Chain::Dogecoin, Chain::Verge]);
    assert_eq!(chains("0x098B716B8Aaf21512996dC57EB0615e2383E2f96"), [Chain::Evm]);
    assert_eq!(chains("LWMmqH8comrTdahYsBz6vnydCtTcTLc7yL"), [Chain::Litecoin]);
    assert_eq!(chains("GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS"), [Chain::BitcoinGold]);
    assert_eq!(chains("XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2"), [Chain::Dash]);
    assert_eq!(chains("t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL"), [Chain::Zcash]);
    assert_eq!(chains("rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66"), [Chain::Ripple]);
    assert_eq!(chains("TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre"), [Chain::Tron]);
    assert_eq!(
        chains("GBYADBAKWAAIYXBMMHCWYAWV4K4HTM75H3DLPRBUFM5UWFLP5WDDPSYN"),
        [Chain::Stellar]
    );
    assert_eq!(chains("15J37QcJg4FZVX5pWMju9CYutcgYpoXVjCPwRNUMuZXEqXvh"), [Chain::Polkadot]);
    assert_eq!(
        chains("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
        [Chain::Bitcoin]
    );
    assert_eq!(chains("qrmcuxm4v4nx4xka8xu8qn70el5sp08vjq0x7hmvll"), [Chain::BitcoinCash]);
}

#[test]
fn testnet_is_its_own_chain() {
    let hash = [0x5a; 20];
    let regtest = bech32::Hrp::parse("bcrt").unwrap();
    for testnet in [
        base58check::encode(&[&[0x6f][..], &hash].concat(), Chain::BitcoinTestnet),
        base58check::encode(&[&[0xc4][..], &hash].concat(), Chain::BitcoinTestnet),
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7".to_owned(),
        bech32::segwit::encode_v0(regtest, &hash).unwrap(),
    ] {
        assert_eq!(chains(&testnet), [Chain::BitcoinTestnet], "{testnet}");
        let err = parse_on(Chain::Bitcoin, &testnet).unwrap_err().to_string();
        assert!(err.contains("Bitcoin testnet address"), "{err}");
    }
}

#[test]
fn empty_and_shapeless_inputs() {
    assert_eq!(parse_any(""), Err(AddressError::Empty));
    assert_eq!(parse_on(Chain::Evm, ""), Err(AddressError::Empty));
    let none = attempts(parse_any("hello world"));
    assert!(none.is_empty());
    let message = parse_any("hello world").unwrap_err().to_string();
    assert!(message.contains("matches the shape of no known format"), "{message}");
    assert!(message.contains("Monero"), "{message}");
    // A 64-hex-digit key or hash is no address.
    let hash = "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320";
    assert!(attempts(parse_any(hash)).is_empty());
}

#[test]
fn attempts_follow_the_shape() {
    let typo = attempts(parse_any("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggv"));
    let tried: Vec<Chain> = typo.iter().map(|a| a.chain).collect();
    assert_eq!(tried, [Chain::Bitcoin, Chain::BitcoinCash, Chain::BitcoinSv]);
    assert!(typo.iter().all(|a| a.reason.contains("checksum does not match")));
    let evm = attempts(parse_any("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
    assert_eq!(evm.len(), 1);
    assert_eq!(evm[0].chain, Chain::Evm);
    assert!(evm[0].reason.starts_with("EIP-55 checksum does not match"));
    let bech = attempts(parse_any("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
    assert_eq!(bech.len(), 1);
    assert_eq!(bech[0].format, "bech32 (segwit)");
    assert!(bech[0].reason.starts_with("bech32 checksum does not match"));
    let mixed = attempts(parse_any("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kV8f3t4"));
    assert!(mixed[0].reason.starts_with("mixed case"));
    let o = attempts(parse_any("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVgOu"));
    assert!(o[0].reason.starts_with("invalid character 'O' at position 33"), "{}", o[0].reason);
}

#[test]
fn wrong_chain_errors_name_the_right_chain() {
    // A Tron address filed under Bitcoin (it happens in OFAC's XBT list).
    let err = parse_on(Chain::Bitcoin, "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq").unwrap_err();
    let tried = attempts(Err::<(), _>(err.clone()));
    assert_eq!(tried.len(), 1);
    assert_eq!(
        tried[0].reason,
        "unknown version byte 0x41 for Bitcoin (expected 0x00 or 0x05) (but it is a valid Tron \
         address)"
    );
    assert!(err.to_string().starts_with("'TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq' is not a valid"));
    let evm = parse_on(Chain::Bitcoin, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96").unwrap_err();
    assert!(evm.to_string().contains("valid EVM"), "{evm}");
}

#[test]
fn parse_and_parse_for_ticker_trim_white_space() {
    let padded = "  0x098b716b8aaf21512996dc57eb0615e2383e2f96\t\n";
    let a = Address::parse(Chain::Evm, padded).unwrap();
    assert_eq!(a.canonical(), "0x098B716B8Aaf21512996dC57EB0615e2383E2f96");
    assert_eq!(Address::parse(Chain::Evm, "   "), Err(AddressError::Empty));
    let usdt = Address::parse_for_ticker("USDT", "TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR").unwrap();
    assert_eq!(usdt.iter().map(Address::chain).collect::<Vec<_>>(), [Chain::Tron]);
}

#[test]
fn every_chain_has_a_parser_that_explains_itself() {
    for chain in Chain::ALL {
        let tried = attempts(parse_on(chain, "not-an-address"));
        assert_eq!(tried.len(), 1, "{chain}");
        assert_eq!(tried[0].chain, chain);
        assert!(!tried[0].reason.is_empty(), "{chain}");
    }
}

#[test]
fn a_base58_address_that_starts_like_a_segwit_prefix_is_still_found() {
    // SS58 network 8916 with an all-zero key happens to spell `tb12…`: mixed case, so not
    // bech32, but the bech32 prefix must not hide the SS58 reading (found by proptest).
    let spelled = ss58::encode(8916, &[0u8; 32]);
    assert!(spelled.starts_with("tb1"), "{spelled}");
    let found = parse_any(&spelled).expect("valid SS58");
    assert!(found.iter().any(|a| a.chain() == Chain::Polkadot), "{found:?}");
    // A real bech32 address still short-circuits.
    let segwit = parse_any("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx").expect("valid bech32");
    assert_eq!(segwit.len(), 1);
    assert_eq!(segwit[0].chain(), Chain::BitcoinTestnet);
}

#[test]
fn a_litecoin_base58_address_starting_ltc1_parses_on_litecoin() {
    // A P2PKH hash spelled in Base58Check can begin `LTC1`, the bech32 prefix read without
    // case; `parse` on Litecoin must then read it as Base58, as `parse_any` does (found by
    // proptest in CI).
    let spelled = "LTC1164j7cAxnbq33kLxoEW48fsyX4yMDy";
    let parsed = Address::parse(Chain::Litecoin, spelled).expect("valid Base58Check");
    assert_eq!(parsed.canonical(), spelled);
    assert!(chains(spelled).contains(&Chain::Litecoin));
    // A bech32 typo under that prefix still gets the bech32 reason, not a Base58 one.
    let typo = "ltc1qg82tpwhpuf0l8xvl8w2mm5cjsym6jk9k3k6tqb";
    let reasons = attempts(Address::parse(Chain::Litecoin, typo));
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].format.contains("bech32"), "{reasons:?}");
    // One with a mixed-case slip is reported as the Base58 it looks like.
    let reasons = attempts(Address::parse(Chain::Litecoin, "LTC1164j7cAxnbq33kLxoEW48fsyX4yMDz"));
    assert!(reasons[0].format.contains("Base58"), "{reasons:?}");
}
