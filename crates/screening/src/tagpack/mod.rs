//! GraphSense TagPacks and ActorPacks (YAML).
//!
//! # The format
//!
//! A TagPack (spec: the graphsense-tagpacks wiki, "GraphSense TagPacks"; schema:
//! graphsense-tagpack-tool `conf/tagpack_schema.yaml`) is one YAML mapping. Its header describes
//! the pack (`title`, `creator`, `description`, `owner`, `is_public`, `lastmod`) and may give any
//! tag field a default; `tags:` is a list of mappings, one per address:
//!
//! ```yaml
//! title: Blender.io
//! category: mixing_service          # default for every tag below
//! confidence: authority_data
//! source: https://home.treasury.gov/…
//! tags:
//! - address: 1DpVTf…                # inherits category, confidence, source
//! - address: 3H6ef…
//!   category: exchange              # a tag's own key overrides the header's
//! ```
//!
//! Tag fields: `address`, `currency`, `label`, `source`, `category`, `abuse`, `concepts`,
//! `actor`, `context`, `confidence`, `lastmod`, plus `is_cluster_definer`, `tx_hash`, `network`
//! and `tag_type`, which screening does not need. Every one except `address` and `tx_hash` may sit
//! in the header. An ActorPack (`actors/graphsense.actorpack.yaml`) has the same kind of header and
//! `actors:`, a list of `{id, label, uri, categories, jurisdictions, context, aliases}`.
//!
//! # What becomes of a tag
//!
//! One [`ListEntry`] per tag: `address` as written, `currency` upper-cased, `entity` = `label`,
//! `reference` = `source`, `actor`, `context` (text as is; a mapping becomes JSON), `listed_on` =
//! `lastmod` as `YYYY-MM-DD`, `line` = the line where the tag starts, `labels` = the raw
//! `category`, `abuse` and `concepts` words, and:
//!
//! * `confidence`: GraphSense's level for the confidence name (`override`, `ownership` and
//!   `ledger_immanent` 100, `manual_transaction` 90, `service_api` and `forensic_investigation`
//!   70, `authority_data` 60, `trusted_provider`,
//!   `service_data` and `forensic` 50, `untrusted_transaction` 40, `web_crawl` 20, `heuristic` 10,
//!   `unknown` 5), the name in `confidence_label`. A bare number 0–100 is taken as the level.
//! * `category`: GraphSense's concept words mapped to [`Category`]. A recognised `abuse` word
//!   decides (a `service` with `abuse: pyramid_scheme` is a scam); otherwise `category` and
//!   `concepts`, preferring a specific category to [`Category::Other`] and then the riskier one.
//!   The mapping (GraphSense concept → category):
//!
//!   | concepts | category |
//!   |---|---|
//!   | `sanction`, `gov_black_list` | Sanctioned |
//!   | `terrorism`, `terrorism_financing` | TerroristFinancing |
//!   | `ransomware` | Ransomware |
//!   | `service_hack`, `hacking`, `account_hack`, `exploit`, `data_breach`, `malware` | StolenFunds |
//!   | `scam`, `phishing`, `ponzi_scheme`, `pyramid_scheme`, `investment_fraud`, `sextortion`, `extortion`, `payment_card_fraud`, `social_engineering` | Scam |
//!   | `dark_web`, `market`, `drugs`, `weapons`, `counterfeit` | Darknet |
//!   | `mixing_service`, `mixing`, `coinjoin` | Mixer |
//!   | `exchange`, `atm` | Exchange |
//!   | `defi_bridge` | Bridge |
//!   | `defi`, `defi_dex`, `defi_lending`, `defi_*` | Defi |
//!   | `gambling` | Gambling |
//!   | `miner`, `mining_service` | Miner |
//!   | `service`, `organization`, `wallet_service`, `payment_processor`, `shop`, `hosting`, … | Service |
//!   | `user`, `perpetrator`, `black_list`, `extremism`, `money_laundering`, wallets, … | Other |
//!
//!   Two exceptions, both grounded in the public packs: a tag whose source is OFAC's SDN list
//!   itself (`ofac.yaml` cites `sdnlist.txt` and says only `category: user`) is
//!   [`Category::Sanctioned`]; and `market` under an Etherscan source is Etherscan's label for NFT
//!   and token marketplaces, so it maps to [`Category::Service`], not Darknet. A tag with no
//!   concept word at all gets `None`, leaving the importer's default.
//!
//! # Problems
//!
//! Whole-file problems (not UTF-8, YAML syntax, not a mapping, no `tags` list, budgets exceeded)
//! are [`ListError::Malformed`] with a line. Row problems are [`ParseIssue`]s with file, line
//! and field: severity error when the tag is skipped (no address, an address that is a list, a
//! mapping or a boolean, a tag that is not a mapping), warning when it is kept (unknown concept
//! or confidence word, malformed `lastmod`, an unquoted numeric address, a field of the wrong
//! type, a repeated key). Unknown keys are warnings too: once per top-level key, and once per
//! distinct tag key with the number of tags using it.
//!
//! The parser takes decompressed bytes; the public packs larger than 200 kB are stored gzipped.

mod taxonomy;
mod yaml;

use crate::ListError;
use chainward_primitives::{Actor, Category, IssueSeverity, ListEntry, ParseIssue, ParsedList};
use yaml::{Node, NotText, Value};

/// Parses a GraphSense TagPack.
///
/// # Errors
/// [`ListError::Malformed`] when the YAML as a whole is unusable.
pub fn parse_tagpack(yaml: &[u8], file: &str) -> Result<ParsedList, ListError> {
    let (root, src) = parse_document(yaml, file)?;
    let mut reader = Reader::new(file, src);
    let header = reader.header(&root, "TagPack", "tags", PACK_KEYS)?;

    let mut pack = Attrs::default();
    let mut tags = None;
    for &(key, key_node, value) in &header.entries {
        if key == "tags" {
            tags = Some(value);
        } else {
            // `false` means a header-only key (title, creator, …): nothing an entry needs.
            let _tag_field = reader.attr(&mut pack, key, key_node, value);
        }
    }
    let published = pack.lastmod.clone().flatten();
    let tags = reader.list(tags, header.line, "tags")?;
    let pack = Pack::new(pack);

    let mut entries = Vec::with_capacity(tags.len());
    let mut unknown = UnknownKeys::default();
    for tag in tags {
        if let Some(entry) = reader.tag(tag, &pack, &mut unknown) {
            entries.push(entry);
        }
    }
    unknown.report(&mut reader, "tag");
    Ok(ParsedList { entries, actors: Vec::new(), issues: reader.issues, published })
}

/// Parses a GraphSense ActorPack.
///
/// # Errors
/// [`ListError::Malformed`] when the YAML as a whole is unusable.
pub fn parse_actorpack(yaml: &[u8], file: &str) -> Result<ParsedList, ListError> {
    let (root, src) = parse_document(yaml, file)?;
    let mut reader = Reader::new(file, src);
    let header = reader.header(&root, "ActorPack", "actors", ACTORPACK_KEYS)?;

    let mut published = None;
    let mut actors = None;
    for &(key, key_node, value) in &header.entries {
        match key {
            "actors" => actors = Some(value),
            "lastmod" => published = reader.date(key_node, value),
            _ => {}
        }
    }
    let actors = reader.list(actors, header.line, "actors")?;

    let mut out = Vec::with_capacity(actors.len());
    let mut unknown = UnknownKeys::default();
    let mut unknown_words = UnknownKeys::default();
    for actor in actors {
        if let Some(actor) = reader.actor(actor, &mut unknown, &mut unknown_words) {
            out.push(actor);
        }
    }
    unknown.report(&mut reader, "actor");
    for (word, first_line, count) in unknown_words.keys {
        reader.warn(
            first_line,
            "categories",
            format!(
                "unknown category '{word}' (not a GraphSense concept) in {count} actor(s); kept \
                 as given"
            ),
        );
    }
    Ok(ParsedList { entries: Vec::new(), actors: out, issues: reader.issues, published })
}

/// Top-level keys of a TagPack: the header's own, and every tag field a header may default.
const PACK_KEYS: &[&str] = &[
    "title",
    "creator",
    "description",
    "owner",
    "is_public",
    "tags",
    "label",
    "source",
    "currency",
    "network",
    "context",
    "confidence",
    "is_cluster_definer",
    "lastmod",
    "category",
    "abuse",
    "concepts",
    "actor",
    "tag_type",
];

/// Tag keys screening does not use but the schema defines.
const IGNORED_TAG_KEYS: &[&str] = &["is_cluster_definer", "tx_hash", "network", "tag_type"];

/// Top-level keys of an ActorPack.
const ACTORPACK_KEYS: &[&str] =
    &["title", "creator", "description", "owner", "is_public", "lastmod", "actors"];

/// Actor keys screening does not use but the schema defines.
const IGNORED_ACTOR_KEYS: &[&str] = &["lastmod"];

fn parse_document<'a>(yaml: &'a [u8], file: &str) -> Result<(Node, &'a str), ListError> {
    yaml::parse(yaml).map_err(|e| ListError::Malformed {
        file: file.to_owned(),
        line: e.line,
        field: None,
        message: format!("not valid YAML: {}", e.message),
    })
}

/// A value given by a tag or the header: `None` when the key is absent (so the header's value
/// applies), `Some(None)` when it is present but unusable or empty (it still overrides).
type Field<T> = Option<Option<T>>;

/// The tag fields a tag or a header states.
#[derive(Clone, Default)]
struct Attrs {
    label: Field<String>,
    source: Field<String>,
    currency: Field<String>,
    actor: Field<String>,
    context: Field<String>,
    lastmod: Field<String>,
    confidence: Field<Confidence>,
    category: Field<String>,
    abuse: Field<String>,
    concepts: Field<Vec<String>>,
}

#[derive(Clone)]
struct Confidence {
    level: Option<u8>,
    label: Option<String>,
}

/// The tag's value if it states one, else the header's.
fn pick<T: Clone>(tag: &Field<T>, pack: &Field<T>) -> Option<T> {
    tag.as_ref().or(pack.as_ref()).cloned().flatten()
}

/// The header's defaults, with what most tags inherit unchanged worked out once.
struct Pack {
    attrs: Attrs,
    /// The category and labels of a tag that states no concept word and no source.
    category: Option<Category>,
    labels: Vec<String>,
}

impl Pack {
    fn new(attrs: Attrs) -> Self {
        let none = Attrs::default();
        let (category, labels) = classify(&none, &attrs);
        Self { attrs, category, labels }
    }
}

/// A tag's category and labels from its concept words and source, or the header's.
fn classify(tag: &Attrs, pack: &Attrs) -> (Option<Category>, Vec<String>) {
    let source = pick(&tag.source, &pack.source);
    let category = pick(&tag.category, &pack.category);
    let abuse = pick(&tag.abuse, &pack.abuse);
    let concepts = pick(&tag.concepts, &pack.concepts).unwrap_or_default();
    let mut labels: Vec<String> = Vec::new();
    for word in category.iter().chain(&abuse).chain(&concepts) {
        if !labels.contains(word) {
            labels.push(word.clone());
        }
    }
    let resolved =
        resolve_category(abuse.as_deref(), category.as_deref(), &concepts, source.as_deref());
    (resolved, labels)
}

/// The top-level mapping, with repeated keys resolved (the last one wins, as in PyYAML).
struct Header<'a> {
    line: u64,
    entries: Vec<(&'a str, &'a Node, &'a Node)>,
}

/// Keys nobody expected, counted so that a key on 50,000 tags is one warning, not 50,000.
#[derive(Default)]
struct UnknownKeys {
    /// (key, first line, count), in order of first appearance.
    keys: Vec<(String, u64, usize)>,
}

impl UnknownKeys {
    fn add(&mut self, key: &str, line: u64) {
        match self.keys.iter_mut().find(|(k, _, _)| k == key) {
            Some((_, _, count)) => *count += 1,
            None => self.keys.push((key.to_owned(), line, 1)),
        }
    }

    fn report(self, reader: &mut Reader<'_>, what: &str) {
        for (key, line, count) in self.keys {
            reader.warn(
                line,
                &key,
                format!(
                    "unknown {what} key '{key}' ignored ({count} {what}(s) use it; first here)"
                ),
            );
        }
    }
}

struct Reader<'a> {
    file: &'a str,
    src: &'a str,
    issues: Vec<ParseIssue>,
}

impl<'a> Reader<'a> {
    const fn new(file: &'a str, src: &'a str) -> Self {
        Self { file, src, issues: Vec::new() }
    }

    fn issue(&mut self, severity: IssueSeverity, line: u64, field: &str, message: String) {
        self.issues.push(ParseIssue {
            file: self.file.to_owned(),
            line,
            field: (!field.is_empty()).then(|| field.to_owned()),
            severity,
            message,
        });
    }

    fn warn(&mut self, line: u64, field: &str, message: String) {
        self.issue(IssueSeverity::Warning, line, field, message);
    }

    fn error(&mut self, line: u64, field: &str, message: String) {
        self.issue(IssueSeverity::Error, line, field, message);
    }

    fn malformed(&self, line: u64, field: Option<&str>, message: String) -> ListError {
        ListError::Malformed {
            file: self.file.to_owned(),
            line,
            field: field.map(str::to_owned),
            message,
        }
    }

    /// Checks the top level is a mapping and resolves its keys.
    fn header(
        &mut self,
        root: &'a Node,
        what: &str,
        list_key: &str,
        known: &[&str],
    ) -> Result<Header<'a>, ListError> {
        let Some(map) = root.as_map() else {
            let message = if matches!(root.value, Value::Null) {
                format!("the document is empty; a {what} is a mapping with a '{list_key}' list")
            } else {
                format!(
                    "the top level is {}; a {what} is a mapping with a '{list_key}' list",
                    root.kind()
                )
            };
            return Err(self.malformed(root.line, None, message));
        };
        let mut entries: Vec<(&'a str, &'a Node, &'a Node)> = Vec::with_capacity(map.len());
        for (key_node, value) in map {
            let Ok(key) = key_node.text(self.src) else {
                self.warn(
                    key_node.line,
                    "",
                    format!("top-level key that is {} ignored", key_node.kind()),
                );
                continue;
            };
            if !known.contains(&key) {
                self.warn(key_node.line, key, format!("unknown top-level key '{key}' ignored"));
                continue;
            }
            if let Some(slot) = entries.iter_mut().find(|(k, _, _)| *k == key) {
                self.warn(
                    key_node.line,
                    key,
                    format!(
                        "key '{key}' repeated (first on line {}); the last one is used",
                        slot.1.line
                    ),
                );
                *slot = (key, key_node, value);
            } else {
                entries.push((key, key_node, value));
            }
        }
        Ok(Header { line: root.line, entries })
    }

    /// The `tags:`/`actors:` list.
    fn list(
        &self,
        node: Option<&'a Node>,
        header_line: u64,
        key: &str,
    ) -> Result<&'a [Node], ListError> {
        match node.map(|n| (n, &n.value)) {
            Some((_, Value::Seq(items))) => Ok(items),
            Some((n, _)) => Err(self.malformed(
                n.line,
                Some(key),
                format!("'{key}' must be a list, found {}", n.kind()),
            )),
            None => Err(self.malformed(header_line, Some(key), format!("no '{key}' list"))),
        }
    }

    /// Reads one tag field into `attrs`; `false` when `key` is not a tag field.
    fn attr(&mut self, attrs: &mut Attrs, key: &str, key_node: &Node, value: &Node) -> bool {
        let line = key_node.line;
        match key {
            "label" => attrs.label = Some(self.text(line, key, value)),
            "source" => attrs.source = Some(self.text(line, key, value)),
            "actor" => attrs.actor = Some(self.text(line, key, value)),
            "currency" => {
                attrs.currency = Some(
                    self.text(line, key, value)
                        .map(|c| c.trim().to_ascii_uppercase())
                        .filter(|c| !c.is_empty()),
                );
            }
            "context" => {
                attrs.context = Some(match &value.value {
                    Value::Null => None,
                    Value::Map(_) | Value::Seq(_) => Some(value.to_json(self.src).to_string()),
                    _ => self.text(line, key, value),
                });
            }
            "lastmod" => attrs.lastmod = Some(self.date(key_node, value)),
            "confidence" => attrs.confidence = Some(self.confidence(line, value)),
            "category" | "abuse" => {
                let word = self.text(line, key, value).filter(|w| !w.trim().is_empty());
                if let Some(w) = &word {
                    self.check_concept(line, key, w);
                }
                if key == "category" {
                    attrs.category = Some(word);
                } else {
                    attrs.abuse = Some(word);
                }
            }
            "concepts" => {
                let words = self.words(line, key, value);
                for w in &words {
                    self.check_concept(line, key, w);
                }
                attrs.concepts = Some(Some(words));
            }
            _ => return false,
        }
        true
    }

    /// A text field; a wrong type is a warning and the field is dropped.
    fn text(&mut self, line: u64, field: &str, value: &Node) -> Option<String> {
        match value.text(self.src) {
            Ok(t) => Some(t.to_owned()),
            Err(NotText::Null) => None,
            Err(e) => {
                self.warn(line, field, format!("'{field}' is {}; ignored", e.describe()));
                None
            }
        }
    }

    /// A list of words (a single word is a list of one).
    fn words(&mut self, line: u64, field: &str, value: &Node) -> Vec<String> {
        match &value.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| self.text(item.line, field, item))
                .filter(|w| !w.trim().is_empty())
                .collect(),
            _ => {
                self.text(line, field, value).into_iter().filter(|w| !w.trim().is_empty()).collect()
            }
        }
    }

    fn check_concept(&mut self, line: u64, field: &str, word: &str) {
        if taxonomy::concept_category(&word.trim().to_ascii_lowercase()).is_none() {
            self.warn(
                line,
                field,
                format!("unknown {field} '{word}' (not a GraphSense concept); kept as a label"),
            );
        }
    }

    fn confidence(&mut self, line: u64, value: &Node) -> Option<Confidence> {
        let bad = |this: &mut Self, what: String| {
            this.warn(line, "confidence", format!("confidence {what}; no score given"));
        };
        match &value.value {
            Value::Null => None,
            Value::Int(n) => match u8::try_from(*n) {
                Ok(level) if level <= 100 => Some(Confidence { level: Some(level), label: None }),
                _ => {
                    bad(self, format!("{n} is outside 0–100"));
                    None
                }
            },
            _ => {
                let name = self.text(line, "confidence", value)?;
                let level = taxonomy::confidence_level(&name.trim().to_ascii_lowercase());
                if level.is_none() {
                    let known: Vec<&str> =
                        taxonomy::CONFIDENCE_LEVELS.iter().map(|(n, _)| *n).collect();
                    bad(self, format!("level '{name}' is unknown (known: {})", known.join(", ")));
                }
                Some(Confidence { level, label: Some(name) })
            }
        }
    }

    /// A `lastmod` as `YYYY-MM-DD`; anything else is a warning.
    fn date(&mut self, key_node: &Node, value: &Node) -> Option<String> {
        let text = self.text(key_node.line, "lastmod", value)?;
        let date = normalize_date(&text);
        if date.is_none() {
            self.warn(
                key_node.line,
                "lastmod",
                format!("lastmod '{text}' is not a date (YYYY-MM-DD); ignored"),
            );
        }
        date
    }

    /// One tag: an entry, or `None` (with an error issue) when it cannot be one.
    fn tag(&mut self, tag: &Node, pack: &Pack, unknown: &mut UnknownKeys) -> Option<ListEntry> {
        let Some(map) = tag.as_map() else {
            self.error(tag.line, "", format!("a tag must be a mapping, found {}", tag.kind()));
            return None;
        };
        let mut attrs = Attrs::default();
        let mut address: Option<(&Node, &Node)> = None;
        let mut tx_hash = false;
        let mut seen: Vec<&str> = Vec::with_capacity(map.len());
        for (key_node, value) in map {
            let Ok(key) = key_node.text(self.src) else {
                unknown.add(&format!("<{}>", key_node.kind()), key_node.line);
                continue;
            };
            if seen.contains(&key) {
                self.warn(
                    key_node.line,
                    key,
                    format!("key '{key}' repeated in this tag; the last one is used"),
                );
            } else {
                seen.push(key);
            }
            if key == "address" {
                address = Some((key_node, value));
            } else if key == "tx_hash" {
                tx_hash = true;
            } else if !self.attr(&mut attrs, key, key_node, value)
                && !IGNORED_TAG_KEYS.contains(&key)
            {
                unknown.add(key, key_node.line);
            }
        }

        let address = match address {
            None => {
                let why = if tx_hash {
                    "a transaction tag (tx_hash, no address): not screenable"
                } else {
                    "tag has no address"
                };
                self.error(tag.line, "address", format!("{why}; skipped"));
                return None;
            }
            Some((key_node, value)) => match &value.value {
                Value::Str(s) if !s.trim().is_empty() => s.clone(),
                Value::Int(_) | Value::Float(_) => {
                    let text = value.text(self.src).unwrap_or_default().to_owned();
                    self.warn(
                        key_node.line,
                        "address",
                        format!(
                            "address {text} is a plain YAML number; read as written (quote \
                             addresses)"
                        ),
                    );
                    text
                }
                Value::Str(_) | Value::Null => {
                    self.error(key_node.line, "address", "address is empty; skipped".to_owned());
                    return None;
                }
                Value::Bool(_) | Value::Seq(_) | Value::Map(_) => {
                    self.error(
                        key_node.line,
                        "address",
                        format!("address is {}, not a string; skipped", value.kind()),
                    );
                    return None;
                }
            },
        };

        let currency = pick(&attrs.currency, &pack.attrs.currency);
        if currency.is_none() {
            self.warn(tag.line, "currency", "no currency in the tag or the pack".to_owned());
        }
        let inherits_class = attrs.source.is_none()
            && attrs.category.is_none()
            && attrs.abuse.is_none()
            && attrs.concepts.is_none();
        let (category, labels) = if inherits_class {
            (pack.category, pack.labels.clone())
        } else {
            classify(&attrs, &pack.attrs)
        };
        let pack = &pack.attrs;
        let confidence = pick(&attrs.confidence, &pack.confidence);
        Some(ListEntry {
            address,
            currency,
            entity: pick(&attrs.label, &pack.label),
            category,
            labels,
            confidence: confidence.as_ref().and_then(|c| c.level),
            confidence_label: confidence.and_then(|c| c.label),
            program: None,
            reference: pick(&attrs.source, &pack.source),
            actor: pick(&attrs.actor, &pack.actor),
            context: pick(&attrs.context, &pack.context),
            listed_on: pick(&attrs.lastmod, &pack.lastmod),
            line: tag.line,
        })
    }

    /// One actor of an ActorPack.
    fn actor(
        &mut self,
        node: &Node,
        unknown: &mut UnknownKeys,
        unknown_words: &mut UnknownKeys,
    ) -> Option<Actor> {
        let Some(map) = node.as_map() else {
            self.error(node.line, "", format!("an actor must be a mapping, found {}", node.kind()));
            return None;
        };
        let mut actor = Actor { line: node.line, ..Actor::default() };
        let mut id = None;
        let mut label = None;
        let mut aliases = Vec::new();
        for (key_node, value) in map {
            let line = key_node.line;
            let Ok(key) = key_node.text(self.src) else {
                unknown.add(&format!("<{}>", key_node.kind()), line);
                continue;
            };
            match key {
                "id" => id = Some((line, value)),
                "label" => label = self.text(line, key, value),
                "uri" => actor.uri = self.text(line, key, value),
                "categories" => {
                    actor.categories = self.words(line, key, value);
                    for word in &actor.categories {
                        if taxonomy::concept_category(&word.trim().to_ascii_lowercase()).is_none() {
                            unknown_words.add(word, line);
                        }
                    }
                }
                "jurisdictions" => actor.jurisdictions = self.words(line, key, value),
                "aliases" => aliases.extend(self.words(line, key, value)),
                "context" => match &value.value {
                    Value::Map(entries) => {
                        actor.context = Some(value.to_json(self.src).to_string());
                        aliases.extend(self.context_aliases(entries));
                    }
                    Value::Null => {}
                    _ => actor.context = self.text(line, key, value),
                },
                _ if IGNORED_ACTOR_KEYS.contains(&key) => {}
                _ => unknown.add(key, line),
            }
        }
        let id = match id {
            Some((line, value)) => match value.text(self.src) {
                Ok(t) if !t.trim().is_empty() => t.to_owned(),
                Ok(_) | Err(NotText::Null) => {
                    self.error(line, "id", "actor id is empty; skipped".to_owned());
                    return None;
                }
                Err(e) => {
                    self.error(line, "id", format!("actor id is {}; skipped", e.describe()));
                    return None;
                }
            },
            None => {
                self.error(node.line, "id", "actor has no id; skipped".to_owned());
                return None;
            }
        };
        actor.label = label.unwrap_or_else(|| {
            self.warn(node.line, "label", format!("actor '{id}' has no label; its id is used"));
            id.clone()
        });
        actor.id = id;
        for alias in aliases {
            let alias = alias.trim();
            if !alias.is_empty() && !actor.aliases.iter().any(|a| a == alias) {
                actor.aliases.push(alias.to_owned());
            }
        }
        Some(actor)
    }

    /// Other names an actor's context gives: `context.aliases`, and the `Monikers:` notes with
    /// which the public ActorPack records the Lazarus Group's names.
    fn context_aliases(&mut self, context: &[(Node, Node)]) -> Vec<String> {
        let mut out = Vec::new();
        for (key_node, value) in context {
            match key_node.text(self.src) {
                Ok("aliases") => out.extend(self.words(key_node.line, "context.aliases", value)),
                Ok("notes") => {
                    let Value::Seq(notes) = &value.value else { continue };
                    for note in notes {
                        match &note.value {
                            Value::Map(entries) => {
                                for (k, v) in entries {
                                    if let (Ok(k), Ok(v)) = (k.text(self.src), v.text(self.src)) {
                                        out.extend(monikers(k, v));
                                    }
                                }
                            }
                            Value::Str(s) => {
                                if let Some((k, v)) = s.split_once(':') {
                                    out.extend(monikers(k, v));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The names in a note such as `Monikers: Guardians of Peace or Whois Team, Hidden Cobra, Zinc`.
fn monikers(key: &str, value: &str) -> Vec<String> {
    let key = key.trim().to_ascii_lowercase();
    if !["monikers", "moniker", "aliases", "alias", "aka", "also known as"].contains(&key.as_str())
    {
        return Vec::new();
    }
    value
        .split([',', ';'])
        .flat_map(|part| part.split(" or "))
        .map(|name| name.trim().trim_end_matches('.').trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

/// The category a tag's concept words give; see the module documentation.
fn resolve_category(
    abuse: Option<&str>,
    category: Option<&str>,
    concepts: &[String],
    source: Option<&str>,
) -> Option<Category> {
    let map = |word: &str| {
        let word = word.trim().to_ascii_lowercase();
        if word == "market" {
            Some(taxonomy::market_category(source))
        } else {
            taxonomy::concept_category(&word)
        }
    };
    if source.is_some_and(taxonomy::is_ofac_sdn_source) {
        return Some(Category::Sanctioned);
    }
    if let Some(found) = abuse.and_then(map) {
        return Some(found);
    }
    category.into_iter().chain(concepts.iter().map(String::as_str)).filter_map(map).reduce(
        |best, next| {
            let more_specific = best == Category::Other && next != Category::Other;
            let riskier = next != Category::Other && next.risk() > best.risk();
            if more_specific || riskier { next } else { best }
        },
    )
}

/// `YYYY-MM-DD` from a YAML date or timestamp (`2023-08-16`, `2023-08-16 12:18:52.619444`,
/// `2023-08-16T12:18:52Z`, YAML 1.1's `2023-8-6`).
fn normalize_date(text: &str) -> Option<String> {
    let text = text.trim();
    let date = text.split(['T', 't', ' ']).next().unwrap_or_default();
    let mut parts = date.splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(year, 4, 4) && digits(month, 1, 2) && digits(day, 1, 2)) {
        return None;
    }
    let date =
        jiff::civil::Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()?;
    Some(date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str = "\
title: Test pack
creator: Tester
lastmod: 2022-05-16
category: mixing_service
currency: btc
label: Blender.io
confidence: authority_data
source: https://example.org/blender
actor: blenderio
tags:
- address: 1AAA
- address: 1BBB
  label: Other label
  currency: ETH
  category: exchange
  confidence: web_crawl
  lastmod: 2023-08-16 12:18:52.619444
  context: {url: \"https://x\", n: 1}
- label: no address here
- address: 1CCC
  abuse: phishing
  concepts: [exchange]
";

    fn tagpack(yaml: &str) -> ParsedList {
        parse_tagpack(yaml.as_bytes(), "test.yaml").expect("parses")
    }

    #[test]
    fn header_inheritance_and_override() {
        let list = tagpack(PACK);
        assert_eq!(list.published.as_deref(), Some("2022-05-16"));
        assert_eq!(list.entries.len(), 3);
        let a = &list.entries[0];
        assert_eq!(a.address, "1AAA");
        assert_eq!(a.currency.as_deref(), Some("BTC"));
        assert_eq!(a.entity.as_deref(), Some("Blender.io"));
        assert_eq!(a.category, Some(Category::Mixer));
        assert_eq!(a.labels, ["mixing_service"]);
        assert_eq!(
            (a.confidence, a.confidence_label.as_deref()),
            (Some(60), Some("authority_data"))
        );
        assert_eq!(a.reference.as_deref(), Some("https://example.org/blender"));
        assert_eq!(a.actor.as_deref(), Some("blenderio"));
        assert_eq!(a.listed_on.as_deref(), Some("2022-05-16"));
        assert_eq!(a.line, 11);

        let b = &list.entries[1];
        assert_eq!(b.currency.as_deref(), Some("ETH"));
        assert_eq!(b.entity.as_deref(), Some("Other label"));
        assert_eq!(b.category, Some(Category::Exchange));
        assert_eq!((b.confidence, b.confidence_label.as_deref()), (Some(20), Some("web_crawl")));
        assert_eq!(b.listed_on.as_deref(), Some("2023-08-16"));
        let context: serde_json::Value =
            serde_json::from_str(b.context.as_deref().expect("context")).expect("JSON");
        assert_eq!(context, serde_json::json!({"url": "https://x", "n": 1}));
        assert_eq!(b.line, 12);

        // abuse decides over the inherited category; every word is kept.
        let c = &list.entries[2];
        assert_eq!(c.category, Some(Category::Scam));
        assert_eq!(c.labels, ["mixing_service", "phishing", "exchange"]);
        assert_eq!(c.line, 20);

        assert_eq!(list.issues.len(), 1, "{:?}", list.issues);
        let issue = &list.issues[0];
        assert_eq!((issue.line, issue.field.as_deref()), (19, Some("address")));
        assert_eq!(issue.severity, IssueSeverity::Error);
    }

    #[test]
    fn sdn_source_is_sanctioned() {
        let list = tagpack(
            "title: t\ncreator: c\ncategory: user\nsource: https://www.treasury.gov/ofac/downloads/sdnlist.txt\ntags:\n- address: x\n",
        );
        assert_eq!(list.entries[0].category, Some(Category::Sanctioned));
    }

    #[test]
    fn market_exception() {
        let list = tagpack(
            "title: t\ncreator: c\ncategory: market\ntags:\n- address: a\n- address: b\n  source: https://etherscan.io/accounts/label/market\n",
        );
        let cats: Vec<_> = list.entries.iter().map(|e| e.category).collect();
        assert_eq!(cats, [Some(Category::Darknet), Some(Category::Service)]);
    }

    #[test]
    fn no_words_no_category() {
        let list = tagpack("title: t\ncreator: c\ncurrency: BTC\ntags:\n- address: a\n");
        assert_eq!(list.entries[0].category, None);
        assert!(list.issues.is_empty());
    }

    #[test]
    fn dates() {
        assert_eq!(normalize_date("2021-11-12").as_deref(), Some("2021-11-12"));
        assert_eq!(normalize_date("2023-08-16 12:18:52.619444").as_deref(), Some("2023-08-16"));
        assert_eq!(normalize_date("2023-8-6T00:00:00Z").as_deref(), Some("2023-08-06"));
        assert_eq!(normalize_date("2023-02-30"), None);
        assert_eq!(normalize_date("yesterday"), None);
        assert_eq!(normalize_date("20230216"), None);
    }

    #[test]
    fn monikers_split() {
        assert_eq!(
            monikers("Monikers", " Guardians of Peace or Whois Team, Hidden Cobra, Zinc"),
            ["Guardians of Peace", "Whois Team", "Hidden Cobra", "Zinc"]
        );
        assert!(monikers("Believed to consist of two units", "BlueNorOff and AndAriel").is_empty());
    }
}
