//! The chains (address families) Chainward knows how to address.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A chain, or a family of chains that share one address space.
///
/// Every EVM chain (Ethereum, BNB Smart Chain, Polygon, Arbitrum, …) shares one address space:
/// the same 20 bytes are controlled by the same key everywhere, and sanctions follow the key,
/// so they are one variant, [`Chain::Evm`]. The other variants are one chain each.
///
/// The `u8` discriminants are persisted inside [`crate::AddressKey`]: append only, never reuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[repr(u8)]
pub enum Chain {
    /// Bitcoin mainnet: Base58Check P2PKH/P2SH, bech32 (segwit v0) and bech32m (v1+).
    Bitcoin = 1,
    /// Bitcoin testnet, signet and regtest (`m`/`n`/`2`, `tb1`, `bcrt1`).
    BitcoinTestnet = 2,
    /// Litecoin: `L`/`M`/`3` Base58Check and `ltc1` bech32.
    Litecoin = 3,
    /// Bitcoin Cash: CashAddr (`bitcoincash:q…`/`p…`) and the legacy Base58Check form.
    BitcoinCash = 4,
    /// Bitcoin SV: legacy Base58Check.
    BitcoinSv = 5,
    /// Bitcoin Gold: `G`/`A` Base58Check and `btg1` bech32.
    BitcoinGold = 6,
    /// Dogecoin: `D`/`9`/`A` Base58Check.
    Dogecoin = 7,
    /// Dash: `X`/`7` Base58Check.
    Dash = 8,
    /// Zcash transparent addresses: `t1`/`t3` Base58Check with two-byte versions.
    Zcash = 9,
    /// Verge: `D` Base58Check.
    Verge = 10,
    /// Every EVM chain: 20-byte addresses, EIP-55 checksum when mixed case.
    Evm = 11,
    /// Tron: Base58Check `T…`, 21 bytes with prefix `0x41`.
    Tron = 12,
    /// XRP Ledger: Base58Check with the Ripple alphabet, `r…`.
    Ripple = 13,
    /// Stellar: StrKey `G…` (base32, CRC16-XModem).
    Stellar = 14,
    /// Polkadot and Substrate chains: SS58 (base58, blake2b-512 checksum).
    Polkadot = 15,
    /// Cardano Shelley addresses: bech32 `addr1…`.
    Cardano = 16,
    /// Monero: Monero-base58 standard, subaddress and integrated addresses.
    Monero = 17,
}

impl Chain {
    /// Every chain, in discriminant order.
    pub const ALL: [Self; 17] = [
        Self::Bitcoin,
        Self::BitcoinTestnet,
        Self::Litecoin,
        Self::BitcoinCash,
        Self::BitcoinSv,
        Self::BitcoinGold,
        Self::Dogecoin,
        Self::Dash,
        Self::Zcash,
        Self::Verge,
        Self::Evm,
        Self::Tron,
        Self::Ripple,
        Self::Stellar,
        Self::Polkadot,
        Self::Cardano,
        Self::Monero,
    ];

    /// The stable machine name (`bitcoin`, `evm`, …), used in the store, JSON and the CLI.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bitcoin => "bitcoin",
            Self::BitcoinTestnet => "bitcoin_testnet",
            Self::Litecoin => "litecoin",
            Self::BitcoinCash => "bitcoin_cash",
            Self::BitcoinSv => "bitcoin_sv",
            Self::BitcoinGold => "bitcoin_gold",
            Self::Dogecoin => "dogecoin",
            Self::Dash => "dash",
            Self::Zcash => "zcash",
            Self::Verge => "verge",
            Self::Evm => "evm",
            Self::Tron => "tron",
            Self::Ripple => "ripple",
            Self::Stellar => "stellar",
            Self::Polkadot => "polkadot",
            Self::Cardano => "cardano",
            Self::Monero => "monero",
        }
    }

    /// A human name for reports.
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::Bitcoin => "Bitcoin",
            Self::BitcoinTestnet => "Bitcoin testnet",
            Self::Litecoin => "Litecoin",
            Self::BitcoinCash => "Bitcoin Cash",
            Self::BitcoinSv => "Bitcoin SV",
            Self::BitcoinGold => "Bitcoin Gold",
            Self::Dogecoin => "Dogecoin",
            Self::Dash => "Dash",
            Self::Zcash => "Zcash",
            Self::Verge => "Verge",
            Self::Evm => "EVM (Ethereum and every EVM chain)",
            Self::Tron => "Tron",
            Self::Ripple => "XRP Ledger",
            Self::Stellar => "Stellar",
            Self::Polkadot => "Polkadot/Substrate",
            Self::Cardano => "Cardano",
            Self::Monero => "Monero",
        }
    }

    /// The persisted one-byte id (the enum discriminant).
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The chain with this persisted id.
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.id() == id)
    }

    /// The chains on which an asset ticker, as lists write it (OFAC's `XBT`, `ETH`, `USDT`, …,
    /// GraphSense's `BTC`, `ETH`, …), can have addresses. Empty for an unknown ticker.
    ///
    /// Tokens live on several chains: `USDT` on Omni (Bitcoin addresses), every EVM chain and
    /// Tron, so an entry listed under `USDT` is valid on any of them.
    pub fn for_ticker(ticker: &str) -> &'static [Self] {
        match ticker.trim().to_ascii_uppercase().as_str() {
            "XBT" | "BTC" => &[Self::Bitcoin],
            "TBTC" | "XBT_TESTNET" => &[Self::BitcoinTestnet],
            "LTC" => &[Self::Litecoin],
            "BCH" | "BCHA" | "BCHN" => &[Self::BitcoinCash],
            "BSV" => &[Self::BitcoinSv],
            "BTG" => &[Self::BitcoinGold],
            "DOGE" => &[Self::Dogecoin],
            "DASH" => &[Self::Dash],
            "ZEC" => &[Self::Zcash],
            "XVG" => &[Self::Verge],
            "ETH" | "ETC" | "ARB" | "BSC" | "BNB" | "MATIC" | "POL" | "POLYGON" | "OP" | "AVAX"
            | "FTM" | "BASE" | "USDC" | "DAI" | "BUSD" | "WETH" | "ERC20" => &[Self::Evm],
            "USDT" => &[Self::Bitcoin, Self::Evm, Self::Tron],
            "TRX" | "TRON" => &[Self::Tron],
            "XRP" => &[Self::Ripple],
            "XLM" => &[Self::Stellar],
            "DOT" | "KSM" => &[Self::Polkadot],
            "ADA" => &[Self::Cardano],
            "XMR" => &[Self::Monero],
            _ => &[],
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a chain name that is not one of [`Chain::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown chain '{0}'; known chains: {known}", known = Chain::ALL.map(Chain::as_str).join(", "))]
pub struct UnknownChain(pub String);

impl FromStr for Chain {
    type Err = UnknownChain;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == lower)
            .or(match lower.as_str() {
                "btc" => Some(Self::Bitcoin),
                "eth" | "ethereum" => Some(Self::Evm),
                "trx" => Some(Self::Tron),
                _ => None,
            })
            .ok_or(UnknownChain(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for chain in Chain::ALL {
            assert_eq!(Chain::from_id(chain.id()), Some(chain));
            assert_eq!(chain.as_str().parse::<Chain>(), Ok(chain));
        }
        let mut ids: Vec<u8> = Chain::ALL.iter().map(|c| c.id()).collect();
        ids.dedup();
        assert_eq!(ids.len(), Chain::ALL.len());
    }

    #[test]
    fn tickers_map_tokens_to_every_chain_they_live_on() {
        assert_eq!(Chain::for_ticker("xbt"), &[Chain::Bitcoin]);
        assert_eq!(Chain::for_ticker("USDT"), &[Chain::Bitcoin, Chain::Evm, Chain::Tron]);
        assert!(Chain::for_ticker("NOPE").is_empty());
        assert!("solana".parse::<Chain>().unwrap_err().to_string().contains("bitcoin_cash"));
    }
}
