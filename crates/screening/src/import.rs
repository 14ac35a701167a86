//! From files on disk to validated snapshots: discovery, format detection, parsing, address
//! validation and provenance.
//!
//! [`plan_import`] walks the given paths and groups files into [`ListFile`]s (one per source
//! snapshot; a folder of per-currency OFAC lists is one snapshot). [`load`] reads and parses one,
//! then validates every address ([`normalize`]) into a [`SnapshotImport`] that a store writes in
//! one transaction. Rows that fail are kept as issues with file, line and field.

use crate::{ListError, ofac_csv, ofac_xml, simple_lists, tagpack};
use chainward_primitives::{
    Address, AddressError, Category, Chain, IssueSeverity, ListEntry, ParseIssue, ParsedList,
    WatchlistEntry,
};
use chainward_store_api::{SnapshotImport, SourceRef};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The list formats Chainward reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ListFormat {
    /// OFAC's legacy `sdn.csv` (addresses in the remarks).
    OfacSdnCsv,
    /// OFAC's `SDN_ADVANCED.XML` or `SDN_ENHANCED.XML`.
    OfacSdnXml,
    /// Per-currency address lists derived from the SDN list (`sanctioned_addresses_XBT.txt`).
    OfacPerCurrency,
    /// ultrasoundmoney's CSV of OFAC's Ethereum-format addresses (`address,name`, optionally
    /// `date_added`): a tags CSV whose rows are sanctions designations.
    OfacEthCsv,
    /// A CSV with a header and an address column (your own tags, theft address lists).
    TagsCsv,
    /// A GraphSense TagPack (YAML).
    GraphsenseTagpack,
    /// A GraphSense ActorPack (YAML).
    GraphsenseActorpack,
}

impl ListFormat {
    /// Every format.
    pub const ALL: [Self; 7] = [
        Self::OfacSdnCsv,
        Self::OfacSdnXml,
        Self::OfacPerCurrency,
        Self::OfacEthCsv,
        Self::TagsCsv,
        Self::GraphsenseTagpack,
        Self::GraphsenseActorpack,
    ];

    /// The name used on the command line and in the store.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OfacSdnCsv => "ofac-sdn-csv",
            Self::OfacSdnXml => "ofac-sdn-xml",
            Self::OfacPerCurrency => "ofac-per-currency",
            Self::OfacEthCsv => "ofac-eth-csv",
            Self::TagsCsv => "tags-csv",
            Self::GraphsenseTagpack => "graphsense-tagpack",
            Self::GraphsenseActorpack => "graphsense-actorpack",
        }
    }

    /// The category of entries that do not state one.
    pub const fn default_category(self) -> Category {
        match self {
            Self::OfacSdnCsv | Self::OfacSdnXml | Self::OfacPerCurrency | Self::OfacEthCsv => {
                Category::Sanctioned
            }
            Self::TagsCsv | Self::GraphsenseTagpack | Self::GraphsenseActorpack => Category::Other,
        }
    }
}

impl fmt::Display for ListFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ListFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.iter().copied().find(|f| f.as_str() == s).ok_or_else(|| {
            format!("unknown list format '{s}'; known: {}", Self::ALL.map(Self::as_str).join(", "))
        })
    }
}

/// One source snapshot to import: one file, or a group of per-currency list files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListFile {
    /// The format.
    pub format: ListFormat,
    /// The source name it will be stored under.
    pub source: String,
    /// The file(s), sorted.
    pub paths: Vec<PathBuf>,
}

/// What the user can say about an import beyond the files themselves.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Force this format instead of detecting it.
    pub format: Option<ListFormat>,
    /// Store under this source name instead of the default one.
    pub source: Option<String>,
    /// The date the content speaks for, when the file does not say (`YYYY-MM-DD`).
    pub as_of: Option<String>,
    /// Category for entries that state none (default: the format's).
    pub category: Option<Category>,
    /// Entity for entries that state none.
    pub entity: Option<String>,
    /// Confidence for entries that state none (default 100 for authorities, 50 otherwise).
    pub confidence: Option<u8>,
}

/// Finds the list files under `paths` (files or folders, searched recursively) and groups them
/// into snapshots.
///
/// # Errors
/// [`ListError::Io`] for a path that cannot be read; [`ListError::UnknownFormat`] for a file
/// given by name whose format cannot be recognised (files found inside folders that are not
/// lists, such as `SOURCE.md`, are skipped).
pub fn plan_import(paths: &[PathBuf], options: &ImportOptions) -> Result<Vec<ListFile>, ListError> {
    let mut plans: Vec<ListFile> = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path)
            .map_err(|source| ListError::Io { file: path.display().to_string(), source })?;
        let mut files = Vec::new();
        if metadata.is_dir() {
            collect_files(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
        files.sort();
        let given_by_name = !metadata.is_dir();
        for file in files {
            let format = match options.format {
                Some(format) => format,
                None => match detect_format(&file)? {
                    Some(format) => format,
                    None if given_by_name => {
                        return Err(ListError::UnknownFormat {
                            file: file.display().to_string(),
                            message: format!(
                                "expected one of: {}; name it with --format",
                                ListFormat::ALL.map(ListFormat::as_str).join(", ")
                            ),
                        });
                    }
                    None => continue,
                },
            };
            let source =
                options.source.clone().unwrap_or_else(|| default_source_name(format, &file));
            if format == ListFormat::OfacPerCurrency
                && let Some(group) = plans.iter_mut().find(|p| p.source == source)
            {
                group.paths.push(file);
                continue;
            }
            plans.push(ListFile { format, source, paths: vec![file] });
        }
    }
    Ok(plans)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ListError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|source| ListError::Io { file: dir.display().to_string(), source })?;
    for entry in entries {
        let entry =
            entry.map_err(|source| ListError::Io { file: dir.display().to_string(), source })?;
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Recognises a list file by its name and first bytes; `None` when it is not a list.
///
/// # Errors
/// [`ListError::Io`] when the file cannot be read.
pub fn detect_format(path: &Path) -> Result<Option<ListFormat>, ListError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    if simple_lists::ticker_of_list_file(path.file_name().and_then(|n| n.to_str()).unwrap_or(""))
        .is_some()
    {
        return Ok(Some(ListFormat::OfacPerCurrency));
    }
    if stem.ends_with(".xml") {
        return Ok(Some(ListFormat::OfacSdnXml));
    }
    if stem.starts_with("ultrasoundmoney_ofac") && stem.ends_with(".csv") {
        return Ok(Some(ListFormat::OfacEthCsv));
    }
    let is_yaml = stem.ends_with(".yaml") || stem.ends_with(".yml");
    let is_csv = stem.ends_with(".csv");
    if !is_yaml && !is_csv {
        return Ok(None);
    }
    let head = read_head(path, 64 * 1024)?;
    let head = String::from_utf8_lossy(&head);
    if is_yaml {
        let actorpack = head.lines().any(|l| l.starts_with("actors:"));
        return Ok(Some(if actorpack {
            ListFormat::GraphsenseActorpack
        } else {
            ListFormat::GraphsenseTagpack
        }));
    }
    let first_line = head.lines().next().unwrap_or_default();
    let first_field = first_line.split(',').next().unwrap_or_default().trim();
    if !first_field.is_empty() && first_field.chars().all(|c| c.is_ascii_digit()) {
        return Ok(Some(ListFormat::OfacSdnCsv));
    }
    let header = first_line.to_ascii_lowercase();
    if header.split(',').any(|h| {
        let h = h.trim().trim_matches('"');
        ["address", "banned_address", "wallet", "addr"].contains(&h)
    }) {
        return Ok(Some(ListFormat::TagsCsv));
    }
    Ok(None)
}

/// The default source name of a file: stable across snapshots of the same list, so that a newer
/// file de-lists what an older one listed.
pub fn default_source_name(format: ListFormat, path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("list");
    let stem = name
        .trim_end_matches(".gz")
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .trim_end_matches(".csv")
        .trim_end_matches(".xml");
    match format {
        ListFormat::OfacSdnCsv => "ofac-sdn-csv".into(),
        ListFormat::OfacSdnXml => "ofac-sdn-xml".into(),
        ListFormat::OfacPerCurrency => "ofac-per-currency".into(),
        ListFormat::GraphsenseTagpack => format!("graphsense/{stem}"),
        ListFormat::GraphsenseActorpack => format!("graphsense-actors/{stem}"),
        ListFormat::OfacEthCsv if stem.starts_with("ultrasoundmoney_ofac") => {
            "ultrasoundmoney-ofac-eth".into()
        }
        ListFormat::OfacEthCsv => format!("ofac-eth/{stem}"),
        ListFormat::TagsCsv => format!("tags/{stem}"),
    }
}

fn read_head(path: &Path, limit: u64) -> Result<Vec<u8>, ListError> {
    let file = std::fs::File::open(path)
        .map_err(|source| ListError::Io { file: path.display().to_string(), source })?;
    let mut head = Vec::new();
    let reader: Box<dyn Read> = if is_gzip(path)? {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    reader
        .take(limit)
        .read_to_end(&mut head)
        .map_err(|source| ListError::Io { file: path.display().to_string(), source })?;
    Ok(head)
}

fn is_gzip(path: &Path) -> Result<bool, ListError> {
    let mut magic = [0u8; 2];
    let mut file = std::fs::File::open(path)
        .map_err(|source| ListError::Io { file: path.display().to_string(), source })?;
    let read = file
        .read(&mut magic)
        .map_err(|source| ListError::Io { file: path.display().to_string(), source })?;
    Ok(read == 2 && magic == [0x1f, 0x8b])
}

/// Reads a whole file, decompressing gzip (detected by its magic bytes, not its name).
///
/// # Errors
/// [`ListError::Io`] when the file cannot be read or is corrupt gzip.
pub fn read_file(path: &Path) -> Result<Vec<u8>, ListError> {
    let raw = std::fs::read(path)
        .map_err(|source| ListError::Io { file: path.display().to_string(), source })?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| ListError::Io { file: path.display().to_string(), source })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses the files of one planned snapshot.
///
/// Returns each file's name with its parsed list, and the SHA-256 (hex) of the content
/// (decompressed; for a group, of each file's name and hash in order).
///
/// # Errors
/// [`ListError`] when a file cannot be read or is malformed as a whole.
pub fn parse(list: &ListFile) -> Result<(Vec<(String, ParsedList)>, String), ListError> {
    let mut parts = Vec::with_capacity(list.paths.len());
    let mut group_hash = Sha256::new();
    let mut single_hash = String::new();
    for path in &list.paths {
        let bytes = read_file(path)?;
        let file = path.display().to_string();
        let digest = Sha256::digest(&bytes);
        let part = match list.format {
            ListFormat::OfacSdnCsv => ofac_csv::parse_sdn_csv(&bytes, &file)?,
            ListFormat::OfacSdnXml => ofac_xml::parse_sdn_xml(bytes.as_slice(), &file)?,
            ListFormat::OfacPerCurrency => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let ticker = simple_lists::ticker_of_list_file(name).ok_or_else(|| {
                    ListError::UnknownFormat {
                        file: file.clone(),
                        message:
                            "a per-currency list must be named sanctioned_addresses_<TICKER>.txt"
                                .into(),
                    }
                })?;
                let text = std::str::from_utf8(&bytes)
                    .map_err(|e| ListError::malformed(&file, 0, format!("not UTF-8 text: {e}")))?;
                simple_lists::parse_address_lines(text, ticker, &file)
            }
            ListFormat::TagsCsv => simple_lists::parse_tags_csv(&bytes, &file)?,
            ListFormat::OfacEthCsv => {
                let mut list = simple_lists::parse_tags_csv(&bytes, &file)?;
                for entry in &mut list.entries {
                    entry.confidence_label = Some("authority_data".into());
                }
                list
            }
            ListFormat::GraphsenseTagpack => tagpack::parse_tagpack(&bytes, &file)?,
            ListFormat::GraphsenseActorpack => tagpack::parse_actorpack(&bytes, &file)?,
        };
        single_hash = hex(&digest);
        group_hash.update(path.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default());
        group_hash.update(digest);
        parts.push((file, part));
    }
    let hash = if parts.len() == 1 { single_hash } else { hex(&group_hash.finalize()) };
    Ok((parts, hash))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses, validates and packages one planned snapshot.
///
/// # Errors
/// [`ListError`] when a file cannot be read or is malformed as a whole.
pub fn load(
    list: &ListFile,
    options: &ImportOptions,
    imported_at: &str,
) -> Result<SnapshotImport, ListError> {
    let (parts, content_hash) = parse(list)?;
    let origin = list.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let mut snapshot = SnapshotImport {
        source: SourceRef { name: list.source.clone(), format: list.format.as_str().to_owned() },
        origin,
        content_hash,
        imported_at: imported_at.to_owned(),
        effective_at: String::new(),
        entries: Vec::new(),
        actors: Vec::new(),
        issues: Vec::new(),
    };
    let mut published: Option<String> = None;
    for (file, parsed) in parts {
        let (mut entries, mut issues) = normalize(&parsed.entries, list.format, options, &file);
        snapshot.entries.append(&mut entries);
        snapshot.issues.extend(parsed.issues);
        snapshot.issues.append(&mut issues);
        snapshot.actors.extend(parsed.actors);
        published = published.max(parsed.published);
    }
    snapshot.effective_at =
        options.as_of.clone().or(published).unwrap_or_else(|| imported_at.to_owned());
    Ok(snapshot)
}

/// Validates every entry's address on the chains its currency names, and fills defaults.
///
/// An address valid only on another chain than its currency says (OFAC lists one Tron address
/// under XBT) is imported on the chain it is valid on, with a warning; an address valid nowhere
/// is an error issue naming the file, line and reason, and is left out.
pub fn normalize(
    rows: &[ListEntry],
    format: ListFormat,
    options: &ImportOptions,
    file: &str,
) -> (Vec<WatchlistEntry>, Vec<ParseIssue>) {
    let default_category = options.category.unwrap_or(format.default_category());
    let default_confidence = options.confidence.unwrap_or(match default_category {
        Category::Sanctioned => 100,
        _ => 50,
    });
    let mut entries = Vec::with_capacity(rows.len());
    let mut issues = Vec::new();
    for row in rows {
        let issue = |severity, message: String| ParseIssue {
            file: file.to_owned(),
            line: row.line,
            field: Some("address".into()),
            severity,
            message,
        };
        let addresses = match resolve(row) {
            Ok((addresses, warning)) => {
                if let Some(warning) = warning {
                    issues.push(issue(IssueSeverity::Warning, warning));
                }
                addresses
            }
            Err(error) => {
                issues.push(issue(IssueSeverity::Error, error));
                continue;
            }
        };
        for address in addresses {
            let canonical = address.canonical().to_owned();
            entries.push(WatchlistEntry {
                key: address.key(),
                chain: address.chain(),
                raw_address: (row.address.trim() != canonical)
                    .then(|| row.address.trim().to_owned()),
                address: canonical,
                currency: row.currency.clone(),
                entity: row.entity.clone().or_else(|| options.entity.clone()),
                category: row.category.unwrap_or(default_category),
                labels: row.labels.clone(),
                confidence: row.confidence.unwrap_or(default_confidence),
                confidence_label: row.confidence_label.clone(),
                program: row.program.clone(),
                reference: row.reference.clone(),
                actor: row.actor.clone(),
                context: row.context.clone(),
                listed_on: row.listed_on.clone(),
            });
        }
    }
    (entries, issues)
}

/// The addresses a row stands for, and a warning when its currency did not fit.
fn resolve(row: &ListEntry) -> Result<(Vec<Address>, Option<String>), String> {
    let raw = row.address.trim();
    if raw.is_empty() {
        return Err("empty address".into());
    }
    let ticker = row.currency.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if let Some(ticker) = ticker {
        if let Some(chain) = chain_name(ticker) {
            return Address::parse(chain, raw).map(|a| (vec![a], None)).map_err(|e| e.to_string());
        }
        return match Address::parse_for_ticker(ticker, raw) {
            Ok(addresses) => Ok((addresses, None)),
            Err(AddressError::UnknownTicker { .. }) => elsewhere(raw, |chain| {
                format!("unknown currency '{ticker}'; '{raw}' imported as a {chain} address")
            })
            .ok_or_else(|| {
                format!(
                    "currency '{ticker}' is not supported and '{raw}' is valid on no supported \
                     chain"
                )
            }),
            Err(error) => elsewhere(raw, |chain| {
                format!(
                    "listed under {ticker} but '{raw}' is not a {ticker} address; it is a valid \
                     {chain} address and is imported as one"
                )
            })
            .ok_or_else(|| error.to_string()),
        };
    }
    let mut found = Address::parse_any(raw).map_err(|e| e.to_string())?;
    // Without a currency the most specific reading is the one the list means (a legacy `1…`
    // address in a list with no currency is a Bitcoin address, not also a BCH and BSV one).
    found.truncate(1);
    Ok((found, None))
}

/// The most specific chain `raw` is valid on, with a warning worded by `warning` from that
/// chain's name; `None` when it is valid nowhere.
fn elsewhere(
    raw: &str,
    warning: impl FnOnce(&str) -> String,
) -> Option<(Vec<Address>, Option<String>)> {
    let mut found = Address::parse_any(raw).ok()?;
    found.truncate(1);
    let message = warning(found[0].chain().display_name());
    Some((found, Some(message)))
}

/// Sources that name a chain instead of a ticker (`ethereum`, `bitcoin`).
fn chain_name(word: &str) -> Option<Chain> {
    match word.to_ascii_lowercase().as_str() {
        "ethereum" | "evm" | "polygon" | "bsc" | "arbitrum" | "optimism" | "avalanche" => {
            Some(Chain::Evm)
        }
        "bitcoin" => Some(Chain::Bitcoin),
        other => Chain::ALL.iter().copied().find(|c| c.as_str() == other),
    }
}
