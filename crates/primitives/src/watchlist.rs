//! Watchlist domain types: what a list says about an address, and where it said it.
//!
//! Parsers (in `chainward-screening`) turn a source file into a [`ParsedList`] of raw
//! [`ListEntry`] rows plus [`ParseIssue`]s; the importer validates each address and stores it as
//! a [`WatchlistEntry`] inside a versioned snapshot of its source.

use crate::{AddressKey, Chain};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of actor or activity a listed address belongs to.
///
/// The string forms are persisted: append only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// Designated by a sanctions authority (OFAC SDN, …).
    Sanctioned,
    /// Proceeds of a theft, hack or exploit, or the thief's own address.
    StolenFunds,
    /// A mixing service (Tornado Cash, Sinbad, Blender, …).
    Mixer,
    /// Scams: phishing, drainers, Ponzi schemes, fake investments, sextortion.
    Scam,
    /// Ransomware payments or operators.
    Ransomware,
    /// Darknet markets and vendors.
    Darknet,
    /// Terrorist financing.
    TerroristFinancing,
    /// A centralised exchange or OTC desk.
    Exchange,
    /// A cross-chain bridge.
    Bridge,
    /// Gambling services.
    Gambling,
    /// Mining pools and miners.
    Miner,
    /// DeFi protocols and contracts.
    Defi,
    /// Another service (wallet provider, payment processor, shop, …).
    Service,
    /// Anything else a list labels.
    Other,
}

impl Category {
    /// Every category.
    pub const ALL: [Self; 14] = [
        Self::Sanctioned,
        Self::StolenFunds,
        Self::Mixer,
        Self::Scam,
        Self::Ransomware,
        Self::Darknet,
        Self::TerroristFinancing,
        Self::Exchange,
        Self::Bridge,
        Self::Gambling,
        Self::Miner,
        Self::Defi,
        Self::Service,
        Self::Other,
    ];

    /// The persisted name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sanctioned => "sanctioned",
            Self::StolenFunds => "stolen_funds",
            Self::Mixer => "mixer",
            Self::Scam => "scam",
            Self::Ransomware => "ransomware",
            Self::Darknet => "darknet",
            Self::TerroristFinancing => "terrorist_financing",
            Self::Exchange => "exchange",
            Self::Bridge => "bridge",
            Self::Gambling => "gambling",
            Self::Miner => "miner",
            Self::Defi => "defi",
            Self::Service => "service",
            Self::Other => "other",
        }
    }

    /// The risk a direct hit in this category carries on its own.
    pub const fn risk(self) -> RiskLevel {
        match self {
            Self::Sanctioned | Self::TerroristFinancing => RiskLevel::Severe,
            Self::StolenFunds | Self::Ransomware | Self::Mixer | Self::Darknet => RiskLevel::High,
            Self::Scam => RiskLevel::High,
            Self::Gambling => RiskLevel::Medium,
            Self::Exchange
            | Self::Bridge
            | Self::Miner
            | Self::Defi
            | Self::Service
            | Self::Other => RiskLevel::None,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s).ok_or_else(|| {
            format!("unknown category '{s}'; known: {}", Self::ALL.map(Self::as_str).join(", "))
        })
    }
}

/// A risk level, ordered from none to severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Nothing of concern (or attribution only, such as an exchange).
    None,
    /// Low.
    Low,
    /// Medium: review.
    Medium,
    /// High: hold and review.
    High,
    /// Severe: block (sanctions).
    Severe,
}

impl RiskLevel {
    /// The persisted and printed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Severe => "severe",
        }
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of a list as its source states it, before the address is validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// The address exactly as written in the source.
    pub address: String,
    /// The currency ticker the source gives (`XBT`, `ETH`, `USDT`, …), if any.
    pub currency: Option<String>,
    /// The listed entity or label (`LAZARUS GROUP`, `Binance`, …).
    pub entity: Option<String>,
    /// The category; `None` lets the importer use the source's default.
    pub category: Option<Category>,
    /// The source's own category or abuse words, kept verbatim (`mixing_service`, `phishing`).
    pub labels: Vec<String>,
    /// Confidence 0–100 that the attribution is right.
    pub confidence: Option<u8>,
    /// The source's name for that confidence (`authority_data`, `web_crawl`, …).
    pub confidence_label: Option<String>,
    /// Sanctions programme(s), e.g. `DPRK3; CYBER2`.
    pub program: Option<String>,
    /// The source's reference for the row: OFAC `ent_num`, a URL, …
    pub reference: Option<String>,
    /// The actor (threat group, service) the source attributes the address to.
    pub actor: Option<String>,
    /// Free-text context from the source.
    pub context: Option<String>,
    /// The date the source says the address was listed (`YYYY-MM-DD`), if it says.
    pub listed_on: Option<String>,
    /// The line in the source file where the row starts (1-based; 0 when unknown).
    pub line: u64,
}

/// An actor (threat group, service) from an ActorPack or a STIX intrusion set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The actor's id in its source (`lazarus_group`).
    pub id: String,
    /// Its display name.
    pub label: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// The source's categories for it.
    pub categories: Vec<String>,
    /// Jurisdictions (ISO country codes).
    pub jurisdictions: Vec<String>,
    /// A reference URI.
    pub uri: Option<String>,
    /// Free-text context.
    pub context: Option<String>,
    /// The line in the source file where it starts.
    pub line: u64,
}

/// How bad a parse issue is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueSeverity {
    /// The row was kept, but something about it needs a look (e.g. truncated remarks).
    Warning,
    /// The row could not be imported.
    Error,
}

/// A problem found in a source file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseIssue {
    /// The file, as named to the parser.
    pub file: String,
    /// The 1-based line (0 when the format has no lines to speak of).
    pub line: u64,
    /// The field concerned, if one.
    pub field: Option<String>,
    /// Warning or error.
    pub severity: IssueSeverity,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for ParseIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            IssueSeverity::Warning => "warning",
            IssueSeverity::Error => "error",
        };
        write!(f, "{level}: {}:{}", self.file, self.line)?;
        if let Some(field) = &self.field {
            write!(f, ": field '{field}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The result of parsing one source file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedList {
    /// The rows.
    pub entries: Vec<ListEntry>,
    /// Actors defined by the file (ActorPacks).
    pub actors: Vec<Actor>,
    /// Problems found; the rows they concern are left out of `entries` when severity is error.
    pub issues: Vec<ParseIssue>,
    /// The publication date the file states (`YYYY-MM-DD`), if any.
    pub published: Option<String>,
}

/// A validated watchlist entry: one address on one chain, as one source lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WatchlistEntry {
    /// The lookup key.
    #[serde(skip)]
    pub key: AddressKey,
    /// The chain.
    pub chain: Chain,
    /// The canonical spelling.
    pub address: String,
    /// The spelling in the source, when it differs from the canonical one.
    pub raw_address: Option<String>,
    /// The currency ticker the source gave.
    pub currency: Option<String>,
    /// The listed entity or label.
    pub entity: Option<String>,
    /// The category.
    pub category: Category,
    /// The source's own category words.
    pub labels: Vec<String>,
    /// Confidence 0–100.
    pub confidence: u8,
    /// The source's name for the confidence.
    pub confidence_label: Option<String>,
    /// Sanctions programme(s).
    pub program: Option<String>,
    /// The source's reference for the row.
    pub reference: Option<String>,
    /// The attributed actor.
    pub actor: Option<String>,
    /// Free-text context.
    pub context: Option<String>,
    /// The listing date the source states.
    pub listed_on: Option<String>,
}

impl WatchlistEntry {
    /// The identity of an entry inside its source: a newer snapshot that no longer contains an
    /// entry with this identity de-lists it.
    pub fn identity(&self) -> (AddressKey, &str, Category) {
        (self.key, self.entity.as_deref().unwrap_or(""), self.category)
    }
}
