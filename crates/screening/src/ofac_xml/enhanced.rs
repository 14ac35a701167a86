//! `SDN_ENHANCED.XML` (`<sanctionsData>`): see the module above for the layout.

use super::{
    Address, Context, Handler, Parsed, Party, digital_currency_ticker, earliest, iso_date_prefix,
    push_unique,
};
use crate::ListError;
use chainward_primitives::{IssueSeverity, ListEntry};
use quick_xml::events::BytesStart;
use std::collections::HashMap;

/// The elements of the enhanced schema the parser reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tag {
    PublicationInfo,
    DataAsOf,
    FeatureTypes,
    FeatureType,
    Type,
    Entities,
    Entity,
    GeneralInfo,
    EntityType,
    SanctionsLists,
    SanctionsList,
    SanctionsPrograms,
    SanctionsProgram,
    Names,
    Name,
    IsPrimary,
    Translations,
    Translation,
    FormattedFullName,
    NameParts,
    NamePart,
    Value,
    Features,
    Feature,
    Other,
}

/// The enhanced schema's handler.
#[derive(Default)]
pub(super) struct Enhanced {
    published: Option<String>,
    /// `featureType/@featureTypeId` → its `type` text, for features whose own `type` is empty.
    feature_types: HashMap<String, String>,
    /// The `featureTypes/featureType` being read: its ID and type text.
    feature_type: (Option<String>, String),
    entity: Option<Entity>,
    entries: Vec<ListEntry>,
}

struct Entity {
    id: Option<String>,
    line: u64,
    entity_type: Option<String>,
    programs: Vec<String>,
    listed_on: Option<String>,
    primary_name: Option<String>,
    first_name: Option<String>,
    name: Option<Name>,
    translation: Option<Translation>,
    feature: Option<Feature>,
    addresses: Vec<Address>,
}

struct Name {
    primary: bool,
    /// The translation to use and whether it is the primary one.
    chosen: Option<(bool, String)>,
}

#[derive(Default)]
struct Translation {
    primary: bool,
    full_name: String,
    parts: Vec<String>,
}

struct Feature {
    line: u64,
    type_id: Option<String>,
    type_text: String,
    /// The `value` text and its line, if there is a `value`.
    value: Option<(String, u64)>,
}

impl Handler for Enhanced {
    type Tag = Tag;

    fn tag(local_name: &str) -> Tag {
        match local_name {
            "publicationInfo" => Tag::PublicationInfo,
            "dataAsOf" => Tag::DataAsOf,
            "featureTypes" => Tag::FeatureTypes,
            "featureType" => Tag::FeatureType,
            "type" => Tag::Type,
            "entities" => Tag::Entities,
            "entity" => Tag::Entity,
            "generalInfo" => Tag::GeneralInfo,
            "entityType" => Tag::EntityType,
            "sanctionsLists" => Tag::SanctionsLists,
            "sanctionsList" => Tag::SanctionsList,
            "sanctionsPrograms" => Tag::SanctionsPrograms,
            "sanctionsProgram" => Tag::SanctionsProgram,
            "names" => Tag::Names,
            "name" => Tag::Name,
            "isPrimary" => Tag::IsPrimary,
            "translations" => Tag::Translations,
            "translation" => Tag::Translation,
            "formattedFullName" => Tag::FormattedFullName,
            "nameParts" => Tag::NameParts,
            "namePart" => Tag::NamePart,
            "value" => Tag::Value,
            "features" => Tag::Features,
            "feature" => Tag::Feature,
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
            Entities, Entity as EntityTag, Feature as FeatureTag, FeatureType, FeatureTypes,
            Features, Name as NameTag, Names, SanctionsList, SanctionsLists,
            Translation as TranslationTag, Translations, Type,
        };
        match path {
            [FeatureTypes, FeatureType] => {
                let [id] = cx.attributes(element, line, ["featureTypeId"])?;
                self.feature_type = (id, String::new());
            }
            [Entities, EntityTag] => {
                let [id] = cx.attributes(element, line, ["id"])?;
                self.entity = Some(Entity {
                    id,
                    line,
                    entity_type: None,
                    programs: Vec::new(),
                    listed_on: None,
                    primary_name: None,
                    first_name: None,
                    name: None,
                    translation: None,
                    feature: None,
                    addresses: Vec::new(),
                });
            }
            [Entities, EntityTag, SanctionsLists, SanctionsList] => {
                let [published] = cx.attributes(element, line, ["datePublished"])?;
                if let Some(entity) = &mut self.entity
                    && let Some(date) = published.as_deref().and_then(iso_date_prefix)
                {
                    entity.listed_on = earliest(entity.listed_on.take(), Some(date));
                }
            }
            [Entities, EntityTag, Names, NameTag] => {
                cx.check_attributes(element, line)?;
                if let Some(entity) = &mut self.entity {
                    entity.name = Some(Name { primary: false, chosen: None });
                }
            }
            [Entities, EntityTag, Names, NameTag, Translations, TranslationTag] => {
                cx.check_attributes(element, line)?;
                if let Some(entity) = &mut self.entity {
                    entity.translation = Some(Translation::default());
                }
            }
            [Entities, EntityTag, Features, FeatureTag] => {
                cx.check_attributes(element, line)?;
                if let Some(entity) = &mut self.entity {
                    entity.feature = Some(Feature {
                        line,
                        type_id: None,
                        type_text: String::new(),
                        value: None,
                    });
                }
            }
            [Entities, EntityTag, Features, FeatureTag, Type] => {
                let [type_id] = cx.attributes(element, line, ["featureTypeId"])?;
                if let Some(feature) = self.entity.as_mut().and_then(|e| e.feature.as_mut()) {
                    feature.type_id = type_id;
                }
            }
            _ => cx.check_attributes(element, line)?,
        }
        Ok(())
    }

    fn end(&mut self, cx: &mut Context<'_>, path: &[Tag], text: &str, line: u64) {
        use Tag::{
            DataAsOf, Entities, Entity as EntityTag, EntityType, Feature as FeatureTag,
            FeatureType, FeatureTypes, Features, FormattedFullName, GeneralInfo, IsPrimary,
            Name as NameTag, NamePart, NameParts, Names, PublicationInfo, SanctionsProgram,
            SanctionsPrograms, Translation as TranslationTag, Translations, Type, Value,
        };
        match path {
            [PublicationInfo, DataAsOf] => {
                self.published = iso_date_prefix(text);
                if self.published.is_none() {
                    cx.issue(
                        line,
                        "dataAsOf",
                        IssueSeverity::Warning,
                        format!(
                            "dataAsOf '{}' is not a date; the list has no publication date",
                            text.trim()
                        ),
                    );
                }
            }
            [FeatureTypes, FeatureType, Type] => text.trim().clone_into(&mut self.feature_type.1),
            [FeatureTypes, FeatureType] => {
                let (id, type_text) = std::mem::take(&mut self.feature_type);
                if let Some(id) = id {
                    self.feature_types.insert(id, type_text);
                }
            }
            [Entities, EntityTag, GeneralInfo, EntityType] => {
                if let Some(entity) = &mut self.entity {
                    let kind = text.trim();
                    entity.entity_type = (!kind.is_empty()).then(|| kind.to_lowercase());
                }
            }
            [Entities, EntityTag, SanctionsPrograms, SanctionsProgram] => {
                if let Some(entity) = &mut self.entity {
                    push_unique(&mut entity.programs, text);
                }
            }
            [Entities, EntityTag, Names, NameTag, IsPrimary] => {
                if let Some(name) = self.entity.as_mut().and_then(|e| e.name.as_mut()) {
                    name.primary = text.trim() == "true";
                }
            }
            [Entities, EntityTag, Names, NameTag, Translations, TranslationTag, IsPrimary] => {
                if let Some(translation) = self.translation() {
                    translation.primary = text.trim() == "true";
                }
            }
            [
                Entities,
                EntityTag,
                Names,
                NameTag,
                Translations,
                TranslationTag,
                FormattedFullName,
            ] => {
                if let Some(translation) = self.translation() {
                    text.trim().clone_into(&mut translation.full_name);
                }
            }
            [
                Entities,
                EntityTag,
                Names,
                NameTag,
                Translations,
                TranslationTag,
                NameParts,
                NamePart,
                Value,
            ] => {
                if let Some(translation) = self.translation() {
                    let part = text.trim();
                    if !part.is_empty() {
                        translation.parts.push(part.to_owned());
                    }
                }
            }
            [Entities, EntityTag, Names, NameTag, Translations, TranslationTag] => {
                if let Some(entity) = &mut self.entity
                    && let Some(translation) = entity.translation.take()
                    && let Some(name) = &mut entity.name
                {
                    let full_name = if translation.full_name.is_empty() {
                        translation.parts.join(" ")
                    } else {
                        translation.full_name
                    };
                    let better = match &name.chosen {
                        None => true,
                        Some((chosen_primary, _)) => translation.primary && !chosen_primary,
                    };
                    if !full_name.is_empty() && better {
                        name.chosen = Some((translation.primary, full_name));
                    }
                }
            }
            [Entities, EntityTag, Names, NameTag] => {
                if let Some(entity) = &mut self.entity
                    && let Some(Name { primary, chosen: Some((_, full_name)) }) = entity.name.take()
                {
                    if primary && entity.primary_name.is_none() {
                        entity.primary_name = Some(full_name.clone());
                    }
                    entity.first_name.get_or_insert(full_name);
                }
            }
            [Entities, EntityTag, Features, FeatureTag, Type] => {
                if let Some(feature) = self.entity.as_mut().and_then(|e| e.feature.as_mut()) {
                    text.trim().clone_into(&mut feature.type_text);
                }
            }
            [Entities, EntityTag, Features, FeatureTag, Value] => {
                if let Some(feature) = self.entity.as_mut().and_then(|e| e.feature.as_mut()) {
                    feature.value = Some((text.to_owned(), line));
                }
            }
            [Entities, EntityTag, Features, FeatureTag] => {
                if let Some(feature) = self.entity.as_mut().and_then(|e| e.feature.take())
                    && let Some(address) = self.feature_address(cx, feature)
                    && let Some(entity) = &mut self.entity
                {
                    entity.addresses.push(address);
                }
            }
            [Entities, EntityTag] => {
                if let Some(entity) = self.entity.take() {
                    self.finish_entity(cx, entity);
                }
            }
            _ => {}
        }
    }

    fn finish(self, _cx: &mut Context<'_>) -> Parsed {
        Parsed { entries: self.entries, published: self.published }
    }
}

impl Enhanced {
    fn translation(&mut self) -> Option<&mut Translation> {
        self.entity.as_mut().and_then(|e| e.translation.as_mut())
    }

    /// The address of a finished `<feature>`, if it is one; problems with it become issues.
    fn feature_address(&self, cx: &mut Context<'_>, feature: Feature) -> Option<Address> {
        let feature_type = if feature.type_text.is_empty() {
            match &feature.type_id {
                Some(id) => match self.feature_types.get(id) {
                    Some(text) if !text.is_empty() => text.as_str(),
                    _ => {
                        cx.issue(
                            feature.line,
                            "featureTypeId",
                            IssueSeverity::Error,
                            format!(
                                "feature type {id} is referenced but unknown: the feature's \
                                 <type> is empty and featureTypes does not define it"
                            ),
                        );
                        return None;
                    }
                },
                None => {
                    cx.issue(
                        feature.line,
                        "type",
                        IssueSeverity::Error,
                        "<feature> has no type; its value cannot be read",
                    );
                    return None;
                }
            }
        } else {
            feature.type_text.as_str()
        };
        let currency = digital_currency_ticker(feature_type)?;
        let Some((text, line)) = feature.value else {
            cx.issue(
                feature.line,
                "value",
                IssueSeverity::Error,
                format!("'{feature_type}' feature has no <value>: no address to import"),
            );
            return None;
        };
        let address = text.trim();
        if address.is_empty() {
            cx.issue(
                line,
                "value",
                IssueSeverity::Error,
                format!("'{feature_type}' feature has an empty address"),
            );
            return None;
        }
        Some(Address { address: address.to_owned(), currency, line })
    }

    fn finish_entity(&mut self, cx: &mut Context<'_>, entity: Entity) {
        if entity.addresses.is_empty() {
            return;
        }
        if entity.id.is_none() {
            cx.issue(
                entity.line,
                "id",
                IssueSeverity::Warning,
                "<entity> has no id attribute: its addresses are imported without an ent_num",
            );
        }
        let party = Party {
            entity: entity.primary_name.or(entity.first_name),
            entity_type: entity.entity_type,
            ent_num: entity.id,
            programs: entity.programs,
            listed_on: entity.listed_on,
        };
        self.entries.extend(entity.addresses.into_iter().map(|address| party.entry(address)));
    }
}
