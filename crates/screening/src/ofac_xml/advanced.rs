//! `SDN_ADVANCED.XML` (`<Sanctions>`): see the module above for the layout.

use super::{
    Address, Context, Handler, Parsed, Party, civil_date, digital_currency_ticker, earliest,
    push_unique,
};
use crate::ListError;
use chainward_primitives::{IssueSeverity, ListEntry};
use quick_xml::events::BytesStart;
use std::collections::HashMap;

/// The elements of the advanced schema the parser reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tag {
    DateOfIssue,
    Year,
    Month,
    Day,
    ReferenceValueSets,
    FeatureTypeValues,
    FeatureType,
    PartyTypeValues,
    PartyType,
    PartySubTypeValues,
    PartySubType,
    SanctionsTypeValues,
    SanctionsType,
    DistinctParties,
    DistinctParty,
    Profile,
    Identity,
    Alias,
    DocumentedName,
    DocumentedNamePart,
    NamePartValue,
    Feature,
    FeatureVersion,
    VersionDetail,
    SanctionsEntries,
    SanctionsEntry,
    EntryEvent,
    Date,
    SanctionsMeasure,
    Comment,
    Other,
}

/// The advanced schema's handler.
#[derive(Default)]
pub(super) struct Advanced {
    issue_date: DateParts,
    published: Option<String>,
    /// `FeatureType` ID → text (`Digital Currency Address - XBT`).
    feature_types: HashMap<String, String>,
    /// `PartyType` ID → text (`Individual`, `Entity`).
    party_types: HashMap<String, String>,
    /// `PartySubType` ID → (text, `PartyTypeID`).
    party_sub_types: HashMap<String, (String, Option<String>)>,
    /// `SanctionsType` ID → text (`Program`, `Block`).
    sanctions_types: HashMap<String, String>,
    /// `ID` and `PartyTypeID` of the reference value being read.
    reference_value: (Option<String>, Option<String>),
    /// `FixedRef` of the party being read: the ent_num when its profile has no `ID`.
    fixed_ref: Option<String>,
    profile: Option<Profile>,
    entries: Vec<ListEntry>,
    /// Programmes and listing dates of the profiles that have addresses, keyed by profile ID.
    listings: HashMap<String, Listing>,
    sanctions_entry: Option<SanctionsEntry>,
}

/// A date written as `<Year>`, `<Month>`, `<Day>` children.
#[derive(Default)]
struct DateParts {
    year: String,
    month: String,
    day: String,
    line: u64,
}

impl DateParts {
    fn is_empty(&self) -> bool {
        self.year.is_empty() && self.month.is_empty() && self.day.is_empty()
    }

    fn date(&self) -> Option<String> {
        civil_date(&self.year, &self.month, &self.day)
    }

    fn set(&mut self, tag: Tag, text: &str) {
        let part = match tag {
            Tag::Year => &mut self.year,
            Tag::Month => &mut self.month,
            Tag::Day => &mut self.day,
            _ => return,
        };
        text.trim().clone_into(part);
    }

    fn describe(&self) -> String {
        format!("year '{}', month '{}', day '{}'", self.year, self.month, self.day)
    }
}

struct Profile {
    id: Option<String>,
    sub_type: Option<String>,
    primary_name: Option<String>,
    first_name: Option<String>,
    alias: Option<Alias>,
    feature: Option<Feature>,
    addresses: Vec<Address>,
}

struct Alias {
    primary: bool,
    parts: Vec<String>,
    /// `DocumentedName`s seen: an alias repeats its name once per script, the first is read.
    names: u32,
}

struct Feature {
    type_id: Option<String>,
    line: u64,
    /// `VersionDetail` texts and lines.
    details: Vec<(String, u64)>,
}

#[derive(Default)]
struct Listing {
    programs: Vec<String>,
    listed_on: Option<String>,
}

struct SanctionsEntry {
    profile_id: String,
    event_date: DateParts,
    measure_type: Option<String>,
    listing: Listing,
}

impl Handler for Advanced {
    type Tag = Tag;

    fn tag(local_name: &str) -> Tag {
        match local_name {
            "DateOfIssue" => Tag::DateOfIssue,
            "Year" => Tag::Year,
            "Month" => Tag::Month,
            "Day" => Tag::Day,
            "ReferenceValueSets" => Tag::ReferenceValueSets,
            "FeatureTypeValues" => Tag::FeatureTypeValues,
            "FeatureType" => Tag::FeatureType,
            "PartyTypeValues" => Tag::PartyTypeValues,
            "PartyType" => Tag::PartyType,
            "PartySubTypeValues" => Tag::PartySubTypeValues,
            "PartySubType" => Tag::PartySubType,
            "SanctionsTypeValues" => Tag::SanctionsTypeValues,
            "SanctionsType" => Tag::SanctionsType,
            "DistinctParties" => Tag::DistinctParties,
            "DistinctParty" => Tag::DistinctParty,
            "Profile" => Tag::Profile,
            "Identity" => Tag::Identity,
            "Alias" => Tag::Alias,
            "DocumentedName" => Tag::DocumentedName,
            "DocumentedNamePart" => Tag::DocumentedNamePart,
            "NamePartValue" => Tag::NamePartValue,
            "Feature" => Tag::Feature,
            "FeatureVersion" => Tag::FeatureVersion,
            "VersionDetail" => Tag::VersionDetail,
            "SanctionsEntries" => Tag::SanctionsEntries,
            "SanctionsEntry" => Tag::SanctionsEntry,
            "EntryEvent" => Tag::EntryEvent,
            "Date" => Tag::Date,
            "SanctionsMeasure" => Tag::SanctionsMeasure,
            "Comment" => Tag::Comment,
            _ => Tag::Other,
        }
    }

    fn start(
        &mut self,
        cx: &mut Context<'_>,
        path: &[Tag],
        element: &BytesStart<'_>,
        line: u64,
    ) -> Result<(), ListError> {
        use Tag::{
            Alias as AliasTag, DateOfIssue, DistinctParties, DistinctParty, DocumentedName,
            EntryEvent, Feature as FeatureTag, Identity, Profile as ProfileTag, ReferenceValueSets,
            SanctionsEntries, SanctionsEntry as EntryTag, SanctionsMeasure,
        };
        match path {
            [DateOfIssue] => self.issue_date = DateParts { line, ..DateParts::default() },
            [ReferenceValueSets, _, _] => {
                let [id, party_type] = cx.attributes(element, line, ["ID", "PartyTypeID"])?;
                self.reference_value = (id, party_type);
            }
            [DistinctParties, DistinctParty] => {
                let [fixed_ref] = cx.attributes(element, line, ["FixedRef"])?;
                self.fixed_ref = fixed_ref;
            }
            [DistinctParties, DistinctParty, ProfileTag] => {
                let [id, sub_type] = cx.attributes(element, line, ["ID", "PartySubTypeID"])?;
                self.profile = Some(Profile {
                    id,
                    sub_type,
                    primary_name: None,
                    first_name: None,
                    alias: None,
                    feature: None,
                    addresses: Vec::new(),
                });
            }
            [DistinctParties, DistinctParty, ProfileTag, Identity, AliasTag] => {
                let [primary] = cx.attributes(element, line, ["Primary"])?;
                if let Some(profile) = &mut self.profile {
                    profile.alias = Some(Alias {
                        primary: primary.is_some_and(|p| p.trim() == "true"),
                        parts: Vec::new(),
                        names: 0,
                    });
                }
            }
            [DistinctParties, DistinctParty, ProfileTag, Identity, AliasTag, DocumentedName] => {
                cx.check_attributes(element, line)?;
                if let Some(alias) = self.profile.as_mut().and_then(|p| p.alias.as_mut()) {
                    alias.names += 1;
                }
            }
            [DistinctParties, DistinctParty, ProfileTag, FeatureTag] => {
                let [type_id] = cx.attributes(element, line, ["FeatureTypeID"])?;
                if let Some(profile) = &mut self.profile {
                    profile.feature = Some(Feature { type_id, line, details: Vec::new() });
                }
            }
            [SanctionsEntries, EntryTag] => {
                let [profile_id] = cx.attributes(element, line, ["ProfileID"])?;
                // Only the profiles with addresses matter; the rest of the list is skipped.
                self.sanctions_entry =
                    profile_id.filter(|id| self.listings.contains_key(id)).map(|profile_id| {
                        SanctionsEntry {
                            profile_id,
                            event_date: DateParts::default(),
                            measure_type: None,
                            listing: Listing::default(),
                        }
                    });
            }
            [SanctionsEntries, EntryTag, EntryEvent] => {
                cx.check_attributes(element, line)?;
                if let Some(entry) = &mut self.sanctions_entry {
                    entry.event_date = DateParts { line, ..DateParts::default() };
                }
            }
            [SanctionsEntries, EntryTag, SanctionsMeasure] => {
                let [sanctions_type] = cx.attributes(element, line, ["SanctionsTypeID"])?;
                if let Some(entry) = &mut self.sanctions_entry {
                    entry.measure_type = sanctions_type;
                }
            }
            _ => cx.check_attributes(element, line)?,
        }
        Ok(())
    }

    fn end(&mut self, cx: &mut Context<'_>, path: &[Tag], text: &str, line: u64) {
        use Tag::{
            Alias as AliasTag, Date, DateOfIssue, Day, DistinctParties, DistinctParty,
            DocumentedName, DocumentedNamePart, EntryEvent, Feature as FeatureTag, FeatureType,
            FeatureTypeValues, FeatureVersion, Identity, Month, NamePartValue, PartySubType,
            PartySubTypeValues, PartyType, PartyTypeValues, Profile as ProfileTag,
            ReferenceValueSets, SanctionsEntries, SanctionsEntry as EntryTag, SanctionsMeasure,
            SanctionsType, SanctionsTypeValues, VersionDetail, Year,
        };
        match path {
            [DateOfIssue, part @ (Year | Month | Day)] => self.issue_date.set(*part, text),
            [DateOfIssue] => {
                self.published = self.issue_date.date();
                if self.published.is_none() {
                    cx.issue(
                        line,
                        "DateOfIssue",
                        IssueSeverity::Warning,
                        format!(
                            "date of issue is not a valid date ({}); the list has no publication date",
                            self.issue_date.describe()
                        ),
                    );
                }
            }
            [ReferenceValueSets, set, value] => {
                let (Some(id), party_type) = std::mem::take(&mut self.reference_value) else {
                    return;
                };
                let text = text.trim().to_owned();
                match (set, value) {
                    (FeatureTypeValues, FeatureType) => {
                        self.feature_types.insert(id, text);
                    }
                    (PartyTypeValues, PartyType) => {
                        self.party_types.insert(id, text);
                    }
                    (PartySubTypeValues, PartySubType) => {
                        self.party_sub_types.insert(id, (text, party_type));
                    }
                    (SanctionsTypeValues, SanctionsType) => {
                        self.sanctions_types.insert(id, text);
                    }
                    _ => {}
                }
            }
            [
                DistinctParties,
                DistinctParty,
                ProfileTag,
                Identity,
                AliasTag,
                DocumentedName,
                DocumentedNamePart,
                NamePartValue,
            ] => {
                if let Some(alias) = self.profile.as_mut().and_then(|p| p.alias.as_mut())
                    && alias.names == 1
                {
                    push_part(&mut alias.parts, text);
                }
            }
            [DistinctParties, DistinctParty, ProfileTag, Identity, AliasTag] => {
                if let Some(profile) = &mut self.profile
                    && let Some(alias) = profile.alias.take()
                    && !alias.parts.is_empty()
                {
                    let name = alias.parts.join(" ");
                    if alias.primary && profile.primary_name.is_none() {
                        profile.primary_name = Some(name.clone());
                    }
                    profile.first_name.get_or_insert(name);
                }
            }
            [
                DistinctParties,
                DistinctParty,
                ProfileTag,
                FeatureTag,
                FeatureVersion,
                VersionDetail,
            ] => {
                if let Some(feature) = self.profile.as_mut().and_then(|p| p.feature.as_mut()) {
                    feature.details.push((text.to_owned(), line));
                }
            }
            [DistinctParties, DistinctParty, ProfileTag, FeatureTag] => {
                if let Some(feature) = self.profile.as_mut().and_then(|p| p.feature.take()) {
                    let addresses = self.feature_addresses(cx, feature);
                    if let Some(profile) = &mut self.profile {
                        profile.addresses.extend(addresses);
                    }
                }
            }
            [DistinctParties, DistinctParty, ProfileTag] => {
                if let Some(profile) = self.profile.take() {
                    self.finish_profile(profile);
                }
            }
            [SanctionsEntries, EntryTag, EntryEvent, Date, part @ (Year | Month | Day)] => {
                if let Some(entry) = &mut self.sanctions_entry {
                    entry.event_date.set(*part, text);
                }
            }
            [SanctionsEntries, EntryTag, EntryEvent] => {
                if let Some(entry) = &mut self.sanctions_entry
                    && !entry.event_date.is_empty()
                {
                    match entry.event_date.date() {
                        Some(date) => {
                            entry.listing.listed_on =
                                earliest(entry.listing.listed_on.take(), Some(date));
                        }
                        None => cx.issue(
                            entry.event_date.line,
                            "EntryEvent",
                            IssueSeverity::Warning,
                            format!(
                                "listing date of profile {} is not a valid date ({})",
                                entry.profile_id,
                                entry.event_date.describe()
                            ),
                        ),
                    }
                }
            }
            [SanctionsEntries, EntryTag, SanctionsMeasure, Tag::Comment] => {
                if let Some(entry) = &mut self.sanctions_entry {
                    // A measure's comment is the programme only for measures of type "Program";
                    // others (a "Block") carry no or free-text comments.
                    let is_program = entry
                        .measure_type
                        .as_ref()
                        .and_then(|id| self.sanctions_types.get(id))
                        .is_none_or(|kind| kind.eq_ignore_ascii_case("program"));
                    if is_program {
                        push_unique(&mut entry.listing.programs, text);
                    }
                }
            }
            [SanctionsEntries, EntryTag] => {
                if let Some(entry) = self.sanctions_entry.take()
                    && let Some(listing) = self.listings.get_mut(&entry.profile_id)
                {
                    for program in &entry.listing.programs {
                        push_unique(&mut listing.programs, program);
                    }
                    listing.listed_on = earliest(listing.listed_on.take(), entry.listing.listed_on);
                }
            }
            _ => {}
        }
    }

    fn finish(mut self, _cx: &mut Context<'_>) -> Parsed {
        // SanctionsEntries come last in the file: only now are programmes and dates known.
        for entry in &mut self.entries {
            let Some(listing) = entry
                .reference
                .as_deref()
                .and_then(|reference| reference.strip_prefix("ofac-ent-num:"))
                .and_then(|ent_num| self.listings.get(ent_num))
            else {
                continue;
            };
            if !listing.programs.is_empty() {
                entry.program = Some(listing.programs.join("; "));
            }
            entry.listed_on.clone_from(&listing.listed_on);
        }
        Parsed { entries: self.entries, published: self.published }
    }
}

impl Advanced {
    /// The addresses of a finished `<Feature>`; problems with it become issues.
    fn feature_addresses(&self, cx: &mut Context<'_>, feature: Feature) -> Vec<Address> {
        let Some(type_id) = feature.type_id else {
            cx.issue(
                feature.line,
                "FeatureTypeID",
                IssueSeverity::Error,
                "<Feature> has no FeatureTypeID attribute; its values cannot be read",
            );
            return Vec::new();
        };
        let Some(feature_type) = self.feature_types.get(&type_id) else {
            cx.issue(
                feature.line,
                "FeatureTypeID",
                IssueSeverity::Error,
                format!(
                    "feature type {type_id} is referenced but not defined in \
                     ReferenceValueSets/FeatureTypeValues; its values are not imported"
                ),
            );
            return Vec::new();
        };
        let Some(currency) = digital_currency_ticker(feature_type) else {
            return Vec::new();
        };
        if feature.details.is_empty() {
            cx.issue(
                feature.line,
                "VersionDetail",
                IssueSeverity::Error,
                format!("'{feature_type}' feature has no VersionDetail: no address to import"),
            );
            return Vec::new();
        }
        let mut addresses = Vec::new();
        for (text, line) in feature.details {
            let address = text.trim();
            if address.is_empty() {
                cx.issue(
                    line,
                    "VersionDetail",
                    IssueSeverity::Error,
                    format!("'{feature_type}' feature has an empty address"),
                );
            } else {
                addresses.push(Address {
                    address: address.to_owned(),
                    currency: currency.clone(),
                    line,
                });
            }
        }
        addresses
    }

    fn finish_profile(&mut self, profile: Profile) {
        if profile.addresses.is_empty() {
            return;
        }
        let ent_num = profile.id.or_else(|| self.fixed_ref.clone());
        if let Some(ent_num) = &ent_num {
            self.listings.entry(ent_num.clone()).or_default();
        }
        let party = Party {
            entity: profile.primary_name.or(profile.first_name),
            entity_type: profile.sub_type.as_ref().and_then(|id| self.entity_type(id)),
            ent_num,
            programs: Vec::new(),
            listed_on: None,
        };
        self.entries.extend(profile.addresses.into_iter().map(|address| party.entry(address)));
    }

    /// `individual`, `entity`, `vessel`, `aircraft`: a sub-type's own name, or for the
    /// `Unknown` sub-types of individuals and entities, its party type's.
    fn entity_type(&self, sub_type_id: &str) -> Option<String> {
        let (sub_type, party_type_id) = self.party_sub_types.get(sub_type_id)?;
        let name = if sub_type.is_empty() || sub_type.eq_ignore_ascii_case("unknown") {
            self.party_types.get(party_type_id.as_deref()?)?
        } else {
            sub_type
        };
        Some(name.to_lowercase())
    }
}

fn push_part(parts: &mut Vec<String>, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        parts.push(text.to_owned());
    }
}
