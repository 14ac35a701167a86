//! Addresses of Bitcoin-family output scripts (`scriptPubKey`).
//!
//! [`Address::from_output_script`] classifies a script as Bitcoin Core's `Solver` does (P2PKH,
//! P2SH, segwit v0, taproot, other witness programs, P2PK, bare multisig, `OP_RETURN`) and
//! builds the address the script pays to, equal (payload, kind and canonical spelling) to what
//! [`Address::parse`] returns for its string.
//!
//! P2PK outputs have no address of their own; explorers show the P2PKH address of the key's
//! HASH160 (RIPEMD-160 of SHA-256). This crate has no RIPEMD-160, so `from_output_script`
//! returns `(P2pk, None)` and the caller hashes the key (the script minus its first byte, the
//! push length, and its last, `OP_CHECKSIG`) and calls [`Address::from_pubkey_hash`].
//! `chainward-chain-bitcoin` does this with `bitcoin::hashes::hash160`.

use super::parsers::{base58check, cashaddr};
use crate::ledger::ScriptType;
use crate::{Address, AddressKind, Chain};
use std::sync::LazyLock;

const OP_0: u8 = 0x00;
const OP_PUSHDATA1: u8 = 0x4c;
const OP_PUSHDATA2: u8 = 0x4d;
const OP_PUSHDATA4: u8 = 0x4e;
const OP_1: u8 = 0x51;
const OP_16: u8 = 0x60;
const OP_RETURN: u8 = 0x6a;
const OP_DUP: u8 = 0x76;
const OP_EQUAL: u8 = 0x87;
const OP_EQUALVERIFY: u8 = 0x88;
const OP_HASH160: u8 = 0xa9;
const OP_CHECKSIG: u8 = 0xac;
const OP_CHECKMULTISIG: u8 = 0xae;

impl Address {
    /// The script template of a Bitcoin-family output script and the address it pays to.
    ///
    /// The address is `None` for bare multisig, `OP_RETURN`, non-standard scripts, on chains
    /// outside the Bitcoin family, for segwit programs on chains without a segwit address
    /// format (Bitcoin Cash, Dogecoin, …), and for P2PK: hash its key (`script[1..len - 1]`)
    /// with HASH160 and call [`Address::from_pubkey_hash`], as this crate has no RIPEMD-160.
    pub fn from_output_script(chain: Chain, script: &[u8]) -> (ScriptType, Option<Self>) {
        if let Some(hash) = p2pkh_hash(script) {
            return (ScriptType::P2pkh, base58_address(chain, AddressKind::P2pkh, hash));
        }
        if let [OP_HASH160, 20, hash @ .., OP_EQUAL] = script
            && hash.len() == 20
        {
            return (ScriptType::P2sh, base58_address(chain, AddressKind::P2sh, hash));
        }
        if let Some((version, program)) = witness_program(script) {
            let script_type = match (version, program.len()) {
                (0, 20) => ScriptType::P2wpkh,
                (0, 32) => ScriptType::P2wsh,
                // Bitcoin Core calls other v0 lengths non-standard (they are unspendable).
                (0, _) => return (ScriptType::NonStandard, None),
                (1, 32) => ScriptType::P2tr,
                _ => ScriptType::WitnessUnknown,
            };
            return (script_type, segwit_address(chain, version, program));
        }
        if p2pk_public_key(script).is_some() {
            return (ScriptType::P2pk, None);
        }
        if is_multisig(script) {
            return (ScriptType::Multisig, None);
        }
        if script.first() == Some(&OP_RETURN) && is_push_only(&script[1..]) {
            return (ScriptType::NullData, None);
        }
        (ScriptType::NonStandard, None)
    }

    /// The P2PKH address of a 20-byte public-key hash on a Bitcoin-family `chain` (what
    /// explorers show for a P2PK output: the HASH160 of its key). `None` off the family.
    pub fn from_pubkey_hash(chain: Chain, hash160: &[u8; 20]) -> Option<Self> {
        base58_address(chain, AddressKind::P2pkh, hash160)
    }
}

/// The public key of a P2PK script (`<33- or 65-byte key> OP_CHECKSIG`, the key's size
/// matching its first byte, as Bitcoin Core requires), or `None`.
fn p2pk_public_key(script: &[u8]) -> Option<&[u8]> {
    match script {
        [33, key @ .., OP_CHECKSIG] | [65, key @ .., OP_CHECKSIG] if valid_key_size(key) => {
            Some(key)
        }
        _ => None,
    }
}

fn valid_key_size(key: &[u8]) -> bool {
    match key.first() {
        Some(2 | 3) => key.len() == 33,
        Some(4 | 6 | 7) => key.len() == 65,
        _ => false,
    }
}

fn p2pkh_hash(script: &[u8]) -> Option<&[u8]> {
    match script {
        [OP_DUP, OP_HASH160, 20, hash @ .., OP_EQUALVERIFY, OP_CHECKSIG] if hash.len() == 20 => {
            Some(hash)
        }
        _ => None,
    }
}

/// `(version, program)` of a witness program script: `OP_0`/`OP_1..OP_16` then one direct
/// push of 2 to 40 bytes.
fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    let (&op, rest) = script.split_first()?;
    let version = match op {
        OP_0 => 0,
        OP_1..=OP_16 => op - OP_1 + 1,
        _ => return None,
    };
    let (&len, program) = rest.split_first()?;
    (usize::from(len) == program.len() && (2..=40).contains(&program.len()))
        .then_some((version, program))
}

/// `OP_m <keys…> OP_n OP_CHECKMULTISIG` with `1 <= m <= n` keys of valid sizes.
fn is_multisig(script: &[u8]) -> bool {
    let [first @ OP_1..=OP_16, keys @ .., last @ OP_1..=OP_16, OP_CHECKMULTISIG] = script else {
        return false;
    };
    let (m, n) = (first - OP_1 + 1, last - OP_1 + 1);
    let mut count = 0u8;
    let mut rest = keys;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        if !(len == 33 || len == 65) || tail.len() < len || !valid_key_size(&tail[..len]) {
            return false;
        }
        rest = &tail[len..];
        count = count.saturating_add(1);
    }
    m <= n && count == n
}

/// Whether `script` is only data pushes (and `OP_RESERVED`, as Bitcoin Core's `IsPushOnly`).
fn is_push_only(mut script: &[u8]) -> bool {
    while let Some((&op, rest)) = script.split_first() {
        let (len, rest) = match op {
            0x01..=0x4b => (usize::from(op), rest),
            OP_PUSHDATA1 => match rest {
                [n, tail @ ..] => (usize::from(*n), tail),
                _ => return false,
            },
            OP_PUSHDATA2 => match rest {
                [a, b, tail @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), tail),
                _ => return false,
            },
            OP_PUSHDATA4 => match rest {
                [a, b, c, d, tail @ ..] => {
                    let n = u32::from_le_bytes([*a, *b, *c, *d]);
                    (usize::try_from(n).unwrap_or(usize::MAX), tail)
                }
                _ => return false,
            },
            _ if op <= OP_16 => (0, rest),
            _ => return false,
        };
        if rest.len() < len {
            return false;
        }
        script = &rest[len..];
    }
    true
}

/// The Base58Check (or, on Bitcoin Cash, CashAddr) address of a P2PKH or P2SH hash. Its
/// spelling is computed on first use ([`canonical_of`]).
fn base58_address(chain: Chain, kind: AddressKind, hash: &[u8]) -> Option<Address> {
    if !is_bitcoin_family(chain) {
        return None;
    }
    let version = version_of(chain, kind)?;
    if chain == Chain::BitcoinCash {
        // The same payload as the parsed legacy and CashAddr spellings: [type] ‖ hash.
        let kind_type = [cashaddr::type_of(kind)];
        return Some(Address::from_parts_lazy(chain, kind, &[&kind_type, hash]));
    }
    Some(Address::from_parts_lazy(chain, kind, &[version, hash]))
}

/// The chain's current version prefix of a P2PKH or P2SH address (the first one
/// [`base58check::versions`] lists: Litecoin's `M` before `3`), from a table built once: a
/// block decoder asks for every output.
fn version_of(chain: Chain, kind: AddressKind) -> Option<&'static [u8]> {
    type Versions = [[Option<&'static [u8]>; 2]; 256];
    static TABLE: LazyLock<Box<Versions>> = LazyLock::new(|| {
        let mut table = Box::new([[None; 2]; 256]);
        for chain in Chain::ALL {
            for (slot, kind) in [AddressKind::P2pkh, AddressKind::P2sh].into_iter().enumerate() {
                table[usize::from(chain.id())][slot] = base58check::versions(chain)
                    .into_iter()
                    .find(|&(_, k)| k == kind)
                    .map(|(version, _)| version);
            }
        }
        table
    });
    let slot = match kind {
        AddressKind::P2pkh => 0,
        AddressKind::P2sh => 1,
        _ => return None,
    };
    TABLE[usize::from(chain.id())][slot]
}

fn is_bitcoin_family(chain: Chain) -> bool {
    matches!(
        chain,
        Chain::Bitcoin
            | Chain::BitcoinTestnet
            | Chain::Litecoin
            | Chain::BitcoinCash
            | Chain::BitcoinSv
            | Chain::BitcoinGold
            | Chain::Dogecoin
            | Chain::Dash
            | Chain::Zcash
            | Chain::Verge
    )
}

/// The bech32 human-readable part of a chain with segwit addresses.
fn segwit_hrp(chain: Chain) -> Option<bech32::Hrp> {
    let hrp = match chain {
        Chain::Bitcoin => "bc",
        Chain::BitcoinTestnet => "tb",
        Chain::Litecoin => "ltc",
        Chain::BitcoinGold => "btg",
        _ => return None,
    };
    bech32::Hrp::parse(hrp).ok()
}

/// The bech32/bech32m address of a witness program on chains with segwit addresses. Its
/// spelling is computed on first use ([`canonical_of`]).
fn segwit_address(chain: Chain, version: u8, program: &[u8]) -> Option<Address> {
    segwit_hrp(chain)?;
    // What `bech32::segwit::encode` checks (the caller has checked the v0 lengths, and no
    // program of 2 to 40 bytes makes a string over the 90-character limit with these HRPs).
    bech32::Fe32::try_from(version).ok()?;
    if !(2..=40).contains(&program.len()) {
        return None;
    }
    let kind = match (version, program.len()) {
        (0, 20) => AddressKind::P2wpkh,
        (0, 32) => AddressKind::P2wsh,
        (0, _) => return None,
        (1, 32) => AddressKind::P2tr,
        _ => AddressKind::WitnessOther,
    };
    Some(Address::from_parts_lazy(chain, kind, &[&[version], program]))
}

/// The canonical spelling of an address [`Address::from_parts_lazy`] made: Base58Check of
/// `version ‖ hash`, CashAddr of `type ‖ hash` on Bitcoin Cash, lower-case bech32/bech32m of
/// `witness version ‖ program`.
///
/// Parsers always give the spelling, so only script addresses reach this; anything else (which
/// no constructor makes) is spelled as hex rather than panicking.
pub(super) fn canonical_of(chain: Chain, kind: AddressKind, payload: &[u8]) -> String {
    match kind {
        AddressKind::P2pkh | AddressKind::P2sh if chain == Chain::BitcoinCash => {
            if let Some((&kind_type, hash)) = payload.split_first() {
                return cashaddr::encode_mainnet(kind_type, hash);
            }
        }
        AddressKind::P2pkh | AddressKind::P2sh => return base58check::encode(payload, chain),
        AddressKind::P2wpkh
        | AddressKind::P2wsh
        | AddressKind::P2tr
        | AddressKind::WitnessOther => {
            if let (Some(hrp), Some((&version, program))) =
                (segwit_hrp(chain), payload.split_first())
                && let Ok(version) = bech32::Fe32::try_from(version)
                && let Ok(spelling) = bech32::segwit::encode(hrp, version, program)
            {
                return spelling;
            }
        }
        _ => {}
    }
    alloy_primitives::hex::encode(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    fn check(chain: Chain, script_hex: &str, script_type: ScriptType, address: Option<&str>) {
        let script = hex::decode(script_hex).unwrap();
        let (found_type, found) = Address::from_output_script(chain, &script);
        assert_eq!(found_type, script_type, "{script_hex}");
        let expected = address.map(|a| Address::parse(chain, a).unwrap());
        assert_eq!(found, expected, "{script_hex}");
        if let (Some(found), Some(a)) = (&found, address) {
            assert_eq!(found.canonical(), Address::parse(chain, a).unwrap().canonical());
        }
    }

    #[test]
    fn each_script_kind_gives_the_parsed_address() {
        use ScriptType::*;
        // Block 50,001 (mainnet), tx 7940cdde…455a output 0.
        check(
            Chain::Bitcoin,
            "76a914b5cd7aaed869cd5ccb45868e8666e7e934a2373688ac",
            P2pkh,
            Some("1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ"),
        );
        // CashAddr spec vectors: one hash, P2PKH `1BpEi6…` and P2SH `3CWFdd…`.
        check(
            Chain::Bitcoin,
            "a91476a04053bda0a88bda5177b86a15c3b29f55987387",
            P2sh,
            Some("3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC"),
        );
        check(
            Chain::BitcoinCash,
            "76a91476a04053bda0a88bda5177b86a15c3b29f55987388ac",
            P2pkh,
            Some("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
        );
        check(
            Chain::BitcoinCash,
            "a91476a04053bda0a88bda5177b86a15c3b29f55987387",
            P2sh,
            Some("3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC"),
        );
        // BIP-173 / BIP-350 vectors.
        check(
            Chain::Bitcoin,
            "0014751e76e8199196d454941c45d1b3a323f1433bd6",
            P2wpkh,
            Some("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        );
        check(
            Chain::BitcoinTestnet,
            "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
            P2wsh,
            Some("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"),
        );
        check(
            Chain::Bitcoin,
            "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
            P2tr,
            Some("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
        );
        check(Chain::Bitcoin, "6002751e", WitnessUnknown, Some("BC1SW50QGDZ25J"));
        // Segwit on a chain without segwit addresses: classified, no address.
        check(Chain::Dogecoin, "0014751e76e8199196d454941c45d1b3a323f1433bd6", P2wpkh, None);
        // Genesis coinbase output (P2PK): no address here; see `p2pk_via_pubkey_hash`.
        check(
            Chain::Bitcoin,
            "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac",
            P2pk,
            None,
        );
        // 1-of-2 bare multisig (compressed keys), OP_RETURN, and garbage.
        let key = format!("21{}", "02".repeat(33));
        check(Chain::Bitcoin, &format!("51{key}{key}52ae"), Multisig, None);
        check(Chain::Bitcoin, &format!("53{key}{key}52ae"), NonStandard, None);
        check(Chain::Bitcoin, "6a0b68656c6c6f20776f726c64", NullData, None);
        check(Chain::Bitcoin, "6a", NullData, None);
        check(Chain::Bitcoin, "6aac", NonStandard, None);
        check(Chain::Bitcoin, "", NonStandard, None);
        check(Chain::Bitcoin, "76a914", NonStandard, None);
        check(Chain::Bitcoin, "0003aabbcc", NonStandard, None);
        // Off the Bitcoin family: classified, no address.
        check(Chain::Evm, "76a914b5cd7aaed869cd5ccb45868e8666e7e934a2373688ac", P2pkh, None);
    }

    #[test]
    fn p2pk_via_pubkey_hash() {
        // HASH160 of the genesis coinbase key.
        let hash: [u8; 20] =
            hex::decode("62e907b15cbf27d5425399ebf6f0fb50ebb88f18").unwrap().try_into().unwrap();
        let address = Address::from_pubkey_hash(Chain::Bitcoin, &hash).unwrap();
        assert_eq!(
            address,
            Address::parse(Chain::Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").unwrap()
        );
        assert_eq!(Address::from_pubkey_hash(Chain::Tron, &hash), None);
    }

    #[test]
    fn every_family_chain_round_trips_its_base58_addresses() {
        let addresses = [
            (Chain::Litecoin, "LWMmqH8comrTdahYsBz6vnydCtTcTLc7yL"),
            (Chain::Dogecoin, "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z"),
            (Chain::Verge, "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z"),
            (Chain::BitcoinGold, "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS"),
            (Chain::Dash, "XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2"),
            (Chain::Zcash, "t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL"),
            (Chain::BitcoinSv, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"),
        ];
        for (chain, string) in addresses {
            let parsed = Address::parse(chain, string).unwrap();
            let hash = &parsed.payload()[parsed.payload().len() - 20..];
            let script =
                [&[OP_DUP, OP_HASH160, 20][..], hash, &[OP_EQUALVERIFY, OP_CHECKSIG]].concat();
            let (script_type, address) = Address::from_output_script(chain, &script);
            assert_eq!(script_type, ScriptType::P2pkh);
            assert_eq!(address.as_ref(), Some(&parsed), "{chain:?}");
            assert_eq!(address.unwrap().canonical(), string);
            // And the P2SH of the same hash parses back to itself.
            let script = [&[OP_HASH160, 20][..], hash, &[OP_EQUAL]].concat();
            let (_, p2sh) = Address::from_output_script(chain, &script);
            if let Some(p2sh) = p2sh {
                assert_eq!(Address::parse(chain, p2sh.canonical()).unwrap(), p2sh);
            } else {
                assert_eq!(chain, Chain::Verge, "only Verge has no P2SH version");
            }
        }
    }

    fn hash_of(address: &Address) -> u64 {
        use std::hash::{BuildHasher, RandomState};
        // One `RandomState` hashes both sides alike.
        static STATE: LazyLock<RandomState> = LazyLock::new(RandomState::new);
        STATE.hash_one(address)
    }

    /// The output scripts of every template with an address, for a 20- and a 32-byte hash.
    fn scripts(h20: &[u8; 20], h32: &[u8; 32]) -> Vec<Vec<u8>> {
        vec![
            [&[OP_DUP, OP_HASH160, 20][..], h20, &[OP_EQUALVERIFY, OP_CHECKSIG]].concat(),
            [&[OP_HASH160, 20][..], h20, &[OP_EQUAL]].concat(),
            [&[OP_0, 20][..], h20].concat(),
            [&[OP_0, 32][..], h32].concat(),
            [&[OP_1, 32][..], h32].concat(),
            [&[OP_16, 2][..], &h20[..2]].concat(),
            // A 40-byte program: longer than the inline payload.
            [&[OP_1 + 1, 40][..], h20, h20].concat(),
        ]
    }

    proptest::proptest! {
        /// A script address is spelled only when asked, and is the same address either way:
        /// equal to, hashed and printed (`Debug`, `Display`) like the one its spelling parses
        /// to, before and after the spelling is computed, and in clones.
        #[test]
        fn script_addresses_spelled_lazily_are_the_parsed_ones(
            h20 in proptest::prelude::any::<[u8; 20]>(),
            h32 in proptest::prelude::any::<[u8; 32]>(),
        ) {
            for chain in Chain::ALL {
                for script in scripts(&h20, &h32) {
                    let (_, Some(address)) = Address::from_output_script(chain, &script) else {
                        continue;
                    };
                    let unspelled = address.clone();
                    let spelling = address.canonical().to_owned();
                    let parsed = Address::parse(chain, &spelling).unwrap();
                    proptest::prop_assert_eq!(parsed.canonical(), spelling.as_str());
                    for ours in [&address, &unspelled] {
                        proptest::prop_assert_eq!(ours, &parsed);
                        proptest::prop_assert_eq!(hash_of(ours), hash_of(&parsed));
                        proptest::prop_assert_eq!(ours.key(), parsed.key());
                    }
                    proptest::prop_assert_eq!(hash_of(&unspelled), hash_of(&address));
                    proptest::prop_assert_eq!(format!("{unspelled:?}"), format!("{parsed:?}"));
                    proptest::prop_assert_eq!(unspelled.to_string(), spelling);
                }
            }
        }
    }
}
