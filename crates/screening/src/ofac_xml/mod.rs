//! OFAC's SDN list as XML: `SDN_ADVANCED.XML` and `SDN_ENHANCED.XML`.
//!
//! OFAC publishes the same SDN list in two XML schemas. Both carry digital-currency addresses
//! as *features* of a listed party whose type reads `Digital Currency Address - <TICKER>`; the
//! parser tells them apart by the root element and yields one [`ListEntry`] per address.
//!
//! # `SDN_ADVANCED.XML`: `<Sanctions>`
//!
//! Namespace `https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML`
//! (older files: `http://www.un.org/sanctions/1.0`). A normalised model in which everything is
//! referenced by numeric ID, in this order:
//!
//! ```text
//! Sanctions
//! ├─ DateOfIssue/{Year,Month,Day}                            → published
//! ├─ ReferenceValueSets
//! │  ├─ FeatureTypeValues/FeatureType[@ID]                   "Digital Currency Address - XBT"
//! │  ├─ PartySubTypeValues/PartySubType[@ID,@PartyTypeID]     Vessel, Aircraft, or "Unknown"…
//! │  ├─ PartyTypeValues/PartyType[@ID]                       …which PartyType resolves: Individual, Entity
//! │  └─ SanctionsTypeValues/SanctionsType[@ID]               "Program", "Block", …
//! ├─ DistinctParties/DistinctParty[@FixedRef]/Profile[@ID = ent_num, @PartySubTypeID]
//! │  ├─ Identity/Alias[@Primary="true"]/DocumentedName/DocumentedNamePart/NamePartValue
//! │  └─ Feature[@FeatureTypeID]/FeatureVersion/VersionDetail  the address
//! └─ SanctionsEntries/SanctionsEntry[@ProfileID]
//!    ├─ EntryEvent/Date/{Year,Month,Day}                     listing date
//!    └─ SanctionsMeasure[@SanctionsTypeID]/Comment           programme (CYBER2, DPRK3, …)
//! ```
//!
//! Programmes and listing dates come *after* the parties, so entries are collected first and
//! completed at the end from a map of the (few) profiles that have addresses.
//!
//! # `SDN_ENHANCED.XML`: `<sanctionsData>`
//!
//! Namespace `https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML`.
//! Denormalised: every entity carries its own names, programmes and features as text.
//!
//! ```text
//! sanctionsData
//! ├─ publicationInfo/dataAsOf                                → published
//! ├─ featureTypes/featureType[@featureTypeId]/type           (only needed when a feature's type is empty)
//! └─ entities/entity[@id = ent_num]
//!    ├─ generalInfo/{identityId, entityType}
//!    ├─ sanctionsLists/sanctionsList[@datePublished]         listing date
//!    ├─ sanctionsPrograms/sanctionsProgram                   programmes
//!    ├─ names/name/{isPrimary, translations/translation/{isPrimary, formattedFullName, nameParts}}
//!    └─ features/feature/{type[@featureTypeId], value}       "Digital Currency Address - ETH", the address
//! ```
//!
//! # Where the element names come from
//!
//! No real file is vendored; the names follow public material cross-checked against each other:
//! the Go models that `xsd2go` generated from OFAC's ENHANCED_XML schema
//! (`moov-io/watchman`, `pkg/csl_us/gen/ENHANCED_XML/models.go`); the verbatim SDN_ADVANCED
//! excerpt `<FeatureType ID="345" FeatureTypeGroupID="1">Digital Currency Address - ETH</FeatureType>`
//! … `<Feature ID="36618" FeatureTypeID="345"><FeatureVersion ID="34337" ReliabilityID="1560">
//! <Comment /><VersionDetail DetailTypeID="1432">0x…</VersionDetail>` (`sambacha/ofac-list`);
//! the address extractor of `0xB10C/ofac-sanctioned-digital-currency-addresses`; and advanced-XML
//! parsers that resolve `<PartySubType ID="4" PartyTypeID="1">Unknown</PartySubType>` through
//! `PartyTypeValues` and read programmes from `SanctionsMeasure[@SanctionsTypeID="1"]/Comment`.
//!
//! # Design
//!
//! The file is streamed with quick-xml; nothing like a DOM is built. Each schema is a
//! [`Handler`] that sees the path of open elements (as a small enum, so paths are matched with
//! slice patterns) and keeps only the state of the party being read. Line numbers come from a
//! [`LineCounter`] wrapped around the input.
//!
//! Problems with one feature (an empty address, no value, a feature type that is referenced but
//! not defined) become [`ParseIssue`]s and the rest is imported. Problems with the file (not
//! well-formed, truncated, an undefined entity reference, a root that is neither schema) are a
//! [`ListError::Malformed`] naming the line.

mod advanced;
mod enhanced;
mod lines;

use crate::ListError;
use chainward_primitives::{Category, IssueSeverity, ListEntry, ParseIssue, ParsedList};
use lines::LineCounter;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use std::io::BufRead;

/// The feature type text that marks an address; the ticker follows.
const DIGITAL_CURRENCY: &str = "Digital Currency Address";

/// The namespaces of `SDN_ADVANCED.XML`, current and older.
const ADVANCED_NAMESPACES: [&str; 2] = [
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML",
    "http://www.un.org/sanctions/1.0",
];

/// The namespace of `SDN_ENHANCED.XML`.
const ENHANCED_NAMESPACE: &str =
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML";

/// Parses an OFAC SDN XML file (advanced or enhanced schema) into its digital-currency entries.
///
/// Streams the input, so the 100+ MB published files are never held in memory; `file` names the
/// input in errors and issues.
///
/// # Errors
/// [`ListError::Malformed`] with the line when the XML is not well-formed (mismatched or unclosed
/// tags, a truncated file, an undefined entity reference) or its root is neither `<Sanctions>`
/// nor `<sanctionsData>`; [`ListError::Io`] when reading fails.
pub fn parse_sdn_xml<R: BufRead>(reader: R, file: &str) -> Result<ParsedList, ListError> {
    let mut doc = Document::new(reader, file);
    let root = doc.root()?;
    let schema = detect_schema(&mut doc.cx, &root.element, root.line)?;
    let parsed = match schema {
        Schema::Advanced => doc.body(advanced::Advanced::default(), &root)?,
        Schema::Enhanced => doc.body(enhanced::Enhanced::default(), &root)?,
    };
    doc.epilogue()?;
    Ok(ParsedList {
        entries: parsed.entries,
        actors: Vec::new(),
        issues: doc.cx.issues,
        published: parsed.published,
    })
}

/// What a schema handler hands back at the end of the root element.
pub(super) struct Parsed {
    entries: Vec<ListEntry>,
    published: Option<String>,
}

/// One schema's reading of the element stream.
///
/// Paths exclude the root element: `[DistinctParties, DistinctParty, Profile]` for a profile of
/// the advanced schema.
pub(super) trait Handler {
    /// The element names this schema cares about, plus one for all others.
    type Tag: Copy;

    /// The tag of an element's local name.
    fn tag(local_name: &str) -> Self::Tag;

    /// An element opens at `line`; `path` ends with it.
    fn start(
        &mut self,
        cx: &mut Context<'_>,
        path: &[Self::Tag],
        element: &BytesStart<'_>,
        line: u64,
    ) -> Result<(), ListError>;

    /// An element that opened at `line` closes; `text` is its character data (without that of
    /// child elements), `path` still ends with it.
    fn end(&mut self, cx: &mut Context<'_>, path: &[Self::Tag], text: &str, line: u64);

    /// The root element closed.
    fn finish(self, cx: &mut Context<'_>) -> Parsed;
}

/// What handlers share: the file name and the issues found so far.
pub(super) struct Context<'f> {
    file: &'f str,
    issues: Vec<ParseIssue>,
}

impl Context<'_> {
    /// Records a problem with one row (or one value) of the file.
    pub(super) fn issue(
        &mut self,
        line: u64,
        field: &str,
        severity: IssueSeverity,
        message: impl Into<String>,
    ) {
        self.issues.push(ParseIssue {
            file: self.file.to_owned(),
            line,
            field: Some(field.to_owned()),
            severity,
            message: message.into(),
        });
    }

    /// A whole-file error.
    pub(super) fn malformed(&self, line: u64, message: impl Into<String>) -> ListError {
        ListError::malformed(self.file, line, message)
    }

    /// The values of the named attributes of an element, unescaped.
    ///
    /// Every attribute is checked, asked for or not, so that a malformed attribute anywhere
    /// fails the file instead of being skipped silently.
    pub(super) fn attributes<const N: usize>(
        &self,
        element: &BytesStart<'_>,
        line: u64,
        keys: [&str; N],
    ) -> Result<[Option<String>; N], ListError> {
        let mut values = [const { None }; N];
        for attribute in element.attributes() {
            let attribute = attribute.map_err(|err| {
                self.malformed(line, format!("invalid attribute in <{}>: {err}", name(element)))
            })?;
            let value = attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|err| {
                self.malformed(
                    line,
                    format!(
                        "invalid value of attribute '{}' in <{}>: {err}",
                        attribute.key.as_ref(),
                        name(element)
                    ),
                )
            })?;
            if let Some(i) = keys.iter().position(|key| *key == attribute.key.as_ref()) {
                values[i] = Some(value.into_owned());
            }
        }
        Ok(values)
    }

    /// Checks an element's attributes without keeping any.
    pub(super) fn check_attributes(
        &self,
        element: &BytesStart<'_>,
        line: u64,
    ) -> Result<(), ListError> {
        self.attributes(element, line, []).map(|[]| ())
    }
}

/// An element's qualified name, for messages.
fn name<'a>(element: &'a BytesStart<'_>) -> &'a str {
    element.name().0
}

/// The schema a root element announces.
enum Schema {
    Advanced,
    Enhanced,
}

/// The root element, kept to start the schema's handler with.
struct Root {
    element: BytesStart<'static>,
    line: u64,
    /// `<Sanctions/>`: nothing inside.
    empty: bool,
}

fn detect_schema(
    cx: &mut Context<'_>,
    root: &BytesStart<'_>,
    line: u64,
) -> Result<Schema, ListError> {
    let qname = root.name();
    let namespace_attribute = match qname.prefix() {
        Some(prefix) => format!("xmlns:{}", prefix.as_ref()),
        None => "xmlns".to_owned(),
    };
    let [namespace] = cx.attributes(root, line, [namespace_attribute.as_str()])?;
    let local = root.local_name();
    let (schema, expected): (Schema, &[&str]) = match local.as_ref() {
        "Sanctions" => (Schema::Advanced, &ADVANCED_NAMESPACES),
        "sanctionsData" => (Schema::Enhanced, &[ENHANCED_NAMESPACE]),
        _ => {
            let found = match &namespace {
                Some(ns) => format!("<{}> in namespace '{ns}'", name(root)),
                None => format!("<{}>", name(root)),
            };
            return Err(ListError::Malformed {
                file: cx.file.to_owned(),
                line,
                field: Some("root element".to_owned()),
                message: format!(
                    "root element is {found}; an OFAC SDN XML file has <Sanctions \
                     xmlns=\"{}\"> (SDN_ADVANCED.XML) or <sanctionsData xmlns=\"{ENHANCED_NAMESPACE}\"> \
                     (SDN_ENHANCED.XML)",
                    ADVANCED_NAMESPACES[0]
                ),
            });
        }
    };
    // A right root in an unexpected namespace is most likely a renamed export, not another
    // list: read it, but say so.
    if let Some(ns) = namespace.filter(|ns| !expected.contains(&ns.as_str())) {
        cx.issue(
            line,
            &namespace_attribute,
            IssueSeverity::Warning,
            format!(
                "<{}> is in namespace '{ns}', expected '{}'; reading it as that schema anyway",
                name(root),
                expected.join("' or '")
            ),
        );
    }
    Ok(schema)
}

/// The reader and its position in the document.
struct Document<'f, R> {
    xml: Reader<LineCounter<R>>,
    buf: Vec<u8>,
    cx: Context<'f>,
}

impl<'f, R: BufRead> Document<'f, R> {
    fn new(reader: R, file: &'f str) -> Self {
        // quick-xml's defaults already check that end tags match; text is left untrimmed so
        // every event starts where the previous one ended, which is what line numbers rely on.
        let xml = Reader::from_reader(LineCounter::new(reader));
        Self { xml, buf: Vec::new(), cx: Context { file, issues: Vec::new() } }
    }

    /// Skips the prolog (declaration, comments, doctype) up to the root element.
    fn root(&mut self) -> Result<Root, ListError> {
        loop {
            let (event, line) = next(&mut self.xml, &mut self.buf, self.cx.file)?;
            match event {
                Event::Start(element) => {
                    return Ok(Root { element: element.into_owned(), line, empty: false });
                }
                Event::Empty(element) => {
                    return Ok(Root { element: element.into_owned(), line, empty: true });
                }
                Event::Text(text) if text.trim().is_empty() => {}
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                    return Err(self.cx.malformed(
                        line,
                        "text before the root element: this is not an XML document",
                    ));
                }
                Event::End(_) => {
                    return Err(self.cx.malformed(line, "end tag before any start tag"));
                }
                Event::Eof => {
                    return Err(self.cx.malformed(
                        line,
                        "no root element: the file is empty or not XML (expected <Sanctions> or \
                         <sanctionsData>)",
                    ));
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    /// Feeds the root element's content to a schema handler.
    fn body<H: Handler>(&mut self, mut handler: H, root: &Root) -> Result<Parsed, ListError> {
        if root.empty {
            return Ok(handler.finish(&mut self.cx));
        }
        let mut path = vec![H::tag(root.element.local_name().as_ref())];
        // Names and lines of the open elements, for the message when the file ends early.
        let mut open = vec![(name(&root.element).to_owned(), root.line)];
        let mut text = String::new();
        loop {
            let (event, line) = next(&mut self.xml, &mut self.buf, self.cx.file)?;
            match event {
                Event::Start(element) => {
                    path.push(H::tag(element.local_name().as_ref()));
                    open.push((name(&element).to_owned(), line));
                    text.clear();
                    handler.start(&mut self.cx, &path[1..], &element, line)?;
                }
                Event::Empty(element) => {
                    path.push(H::tag(element.local_name().as_ref()));
                    text.clear();
                    handler.start(&mut self.cx, &path[1..], &element, line)?;
                    handler.end(&mut self.cx, &path[1..], "", line);
                    path.pop();
                }
                Event::End(_) => {
                    let start_line = open.pop().map_or(line, |(_, start)| start);
                    if path.len() <= 1 {
                        return Ok(handler.finish(&mut self.cx));
                    }
                    handler.end(&mut self.cx, &path[1..], &text, start_line);
                    path.pop();
                    text.clear();
                }
                Event::Text(chunk) => text.push_str(&chunk.xml10_content()),
                Event::CData(chunk) => text.push_str(&chunk.xml10_content()),
                Event::GeneralRef(reference) => {
                    text.push_str(&resolve_reference(&self.cx, &reference, line)?);
                }
                Event::Eof => {
                    let (element, opened) = open.last().cloned().unwrap_or_default();
                    return Err(self.cx.malformed(
                        line,
                        format!(
                            "unexpected end of file: <{element}> opened at line {opened} is not \
                             closed (truncated file?)"
                        ),
                    ));
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    /// Checks that nothing but comments and white space follows the root element.
    fn epilogue(&mut self) -> Result<(), ListError> {
        loop {
            let (event, line) = next(&mut self.xml, &mut self.buf, self.cx.file)?;
            match event {
                Event::Eof => return Ok(()),
                Event::Text(text) if text.trim().is_empty() => {}
                Event::Comment(_) | Event::PI(_) => {}
                Event::Start(element) | Event::Empty(element) => {
                    return Err(self.cx.malformed(
                        line,
                        format!("second root element <{}> after the root element", name(&element)),
                    ));
                }
                _ => return Err(self.cx.malformed(line, "content after the root element")),
            }
        }
    }
}

/// Reads one event and the line it starts on.
fn next<'b, R: BufRead>(
    xml: &mut Reader<LineCounter<R>>,
    buf: &'b mut Vec<u8>,
    file: &str,
) -> Result<(Event<'b>, u64), ListError> {
    let start = xml.buffer_position();
    buf.clear();
    match xml.read_event_into(buf) {
        Ok(event) => Ok((event, xml.get_mut().line_at(start))),
        Err(quick_xml::Error::Io(err)) => Err(ListError::Io {
            file: file.to_owned(),
            source: std::io::Error::new(err.kind(), err.to_string()),
        }),
        Err(err) => {
            let at = xml.error_position().max(start);
            let line = xml.get_mut().line_at(at);
            Err(ListError::malformed(file, line, format!("not well-formed XML: {err}")))
        }
    }
}

/// The text an entity or character reference stands for.
///
/// Only XML's five predefined entities and character references are defined: OFAC's files
/// declare none, and expanding a DTD's would open the door to entity-expansion attacks.
fn resolve_reference(
    cx: &Context<'_>,
    reference: &BytesRef<'_>,
    line: u64,
) -> Result<String, ListError> {
    let raw = reference.xml10_content();
    match reference.resolve_char_ref() {
        Ok(Some(c)) => return Ok(c.to_string()),
        Ok(None) => {}
        Err(err) => {
            return Err(cx.malformed(line, format!("invalid character reference '&{raw};': {err}")));
        }
    }
    let predefined = match raw.as_ref() {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => {
            return Err(cx.malformed(
                line,
                format!(
                    "undefined entity reference '&{raw};' (only &lt; &gt; &amp; &apos; &quot; and \
                     character references are allowed)"
                ),
            ));
        }
    };
    Ok(predefined.to_owned())
}

/// The ticker of a `Digital Currency Address - XBT` feature type: `None` when the type is not a
/// digital-currency address, `Some(None)` when it is one without a ticker.
pub(super) fn digital_currency_ticker(feature_type: &str) -> Option<Option<String>> {
    let rest = feature_type.trim().strip_prefix(DIGITAL_CURRENCY)?;
    if !(rest.is_empty() || rest.starts_with([' ', '-'])) {
        return None; // "Digital Currency Addresses Of …" is some other feature.
    }
    let ticker = rest.trim_start_matches([' ', '-']).trim();
    Some((!ticker.is_empty()).then(|| ticker.to_owned()))
}

/// A `YYYY-MM-DD` date from its parts, if they make a real date.
pub(super) fn civil_date(year: &str, month: &str, day: &str) -> Option<String> {
    let year: i16 = year.trim().parse().ok().filter(|y| (1..=9999).contains(y))?;
    let month: i8 = month.trim().parse().ok()?;
    let day: i8 = day.trim().parse().ok()?;
    jiff::civil::Date::new(year, month, day).ok().map(|date| date.to_string())
}

/// The `YYYY-MM-DD` a timestamp such as `2024-05-03T00:00:00-04:00` starts with.
pub(super) fn iso_date_prefix(text: &str) -> Option<String> {
    let date = text.trim().get(..10)?;
    let mut parts = date.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    civil_date(year, month, day)
}

/// Appends `value` to `list` unless it is empty or already there.
pub(super) fn push_unique(list: &mut Vec<String>, value: &str) {
    let value = value.trim();
    if !value.is_empty() && !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}

/// An address read from a feature, waiting for the rest of its party.
pub(super) struct Address {
    pub(super) address: String,
    pub(super) currency: Option<String>,
    pub(super) line: u64,
}

/// What every address of one listed party shares.
#[derive(Default)]
pub(super) struct Party {
    /// The primary name.
    pub(super) entity: Option<String>,
    /// `individual`, `entity`, `vessel`, `aircraft`.
    pub(super) entity_type: Option<String>,
    /// OFAC's `ent_num`.
    pub(super) ent_num: Option<String>,
    pub(super) programs: Vec<String>,
    pub(super) listed_on: Option<String>,
}

impl Party {
    pub(super) fn entry(&self, address: Address) -> ListEntry {
        ListEntry {
            address: address.address,
            currency: address.currency,
            entity: self.entity.clone(),
            category: Some(Category::Sanctioned),
            labels: self.entity_type.iter().cloned().collect(),
            confidence: Some(100),
            confidence_label: Some("authority_data".into()),
            program: (!self.programs.is_empty()).then(|| self.programs.join("; ")),
            // Same form as the legacy CSV parser, so both OFAC sources cite rows alike.
            reference: self.ent_num.as_ref().map(|ent_num| format!("ofac-ent-num:{ent_num}")),
            listed_on: self.listed_on.clone(),
            line: address.line,
            ..ListEntry::default()
        }
    }
}

/// The earlier of two optional `YYYY-MM-DD` dates (they sort as text).
pub(super) fn earliest(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickers_are_read_from_feature_types() {
        assert_eq!(
            digital_currency_ticker("Digital Currency Address - XBT"),
            Some(Some("XBT".into()))
        );
        assert_eq!(
            digital_currency_ticker(" Digital Currency Address - USDT "),
            Some(Some("USDT".into()))
        );
        assert_eq!(digital_currency_ticker("Digital Currency Address"), Some(None));
        assert_eq!(digital_currency_ticker("Digital Currency Addresses"), None);
        assert_eq!(digital_currency_ticker("Birthdate"), None);
    }

    #[test]
    fn dates_are_validated() {
        assert_eq!(civil_date("2024", "5", "3").as_deref(), Some("2024-05-03"));
        assert_eq!(civil_date("2024", "2", "30"), None);
        assert_eq!(civil_date("0", "1", "1"), None);
        assert_eq!(iso_date_prefix("2026-09-23T00:00:00-04:00").as_deref(), Some("2026-09-23"));
        assert_eq!(iso_date_prefix("2026-9-23"), None);
        assert_eq!(iso_date_prefix("2026-09-2\u{e9}"), None, "no panic on a char boundary");
        assert_eq!(
            earliest(Some("2020-01-02".into()), Some("2019-12-31".into())).as_deref(),
            Some("2019-12-31")
        );
    }
}
