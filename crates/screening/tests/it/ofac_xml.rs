//! OFAC SDN XML (`SDN_ADVANCED.XML`, `SDN_ENHANCED.XML`) on documents the tests write.
//!
//! The documents follow the published layouts (see the parser's module doc for the sources);
//! ent_nums, names and addresses are made up.

use chainward_primitives::{Category, IssueSeverity, ListEntry, ParsedList};
use chainward_screening::ListError;
use chainward_screening::ofac_xml::parse_sdn_xml;
use proptest::prelude::*;
use std::io::BufReader;

const ADVANCED_NS: &str =
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML";

/// An SDN_ADVANCED.XML with an individual (several name parts, several addresses, a non-crypto
/// feature), an entity listed twice, and a vessel without addresses.
const ADVANCED: &str = r#"<?xml version="1.0" standalone="yes"?>
<Sanctions xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML">
  <DateOfIssue CalendarTypeID="1">
    <Year>2024</Year>
    <Month>5</Month>
    <Day>3</Day>
  </DateOfIssue>
  <ReferenceValueSets>
    <AliasTypeValues>
      <AliasType ID="1400">A.K.A.</AliasType>
      <AliasType ID="1403">Name</AliasType>
    </AliasTypeValues>
    <FeatureTypeValues>
      <FeatureType ID="8" FeatureTypeGroupID="2">Birthdate</FeatureType>
      <FeatureType ID="344" FeatureTypeGroupID="1">Digital Currency Address - XBT</FeatureType>
      <FeatureType ID="345" FeatureTypeGroupID="1">Digital Currency Address - ETH</FeatureType>
      <FeatureType ID="887" FeatureTypeGroupID="1">Digital Currency Address - USDT</FeatureType>
      <FeatureType ID="1049" FeatureTypeGroupID="3">Website</FeatureType>
    </FeatureTypeValues>
    <PartySubTypeValues>
      <PartySubType ID="1" PartyTypeID="4">Vessel</PartySubType>
      <PartySubType ID="3" PartyTypeID="2">Unknown</PartySubType>
      <PartySubType ID="4" PartyTypeID="1">Unknown</PartySubType>
    </PartySubTypeValues>
    <PartyTypeValues>
      <PartyType ID="1">Individual</PartyType>
      <PartyType ID="2">Entity</PartyType>
      <PartyType ID="4">Transport</PartyType>
    </PartyTypeValues>
    <SanctionsTypeValues>
      <SanctionsType ID="1">Program</SanctionsType>
      <SanctionsType ID="1705">Block</SanctionsType>
    </SanctionsTypeValues>
  </ReferenceValueSets>
  <DistinctParties>
    <DistinctParty FixedRef="36001">
      <Comment />
      <Profile ID="36001" PartySubTypeID="4">
        <Identity ID="50001" FixedRef="36001" Primary="true" False="false">
          <Alias FixedRef="36001" AliasTypeID="1400" Primary="false" LowQuality="false">
            <DocumentedName ID="60001" FixedRef="36001" DocNameStatusID="2">
              <DocumentedNamePart>
                <NamePartValue NamePartGroupID="70001" ScriptID="215" ScriptStatusID="1" Acronym="false">HUIHUI WU</NamePartValue>
              </DocumentedNamePart>
            </DocumentedName>
          </Alias>
          <Alias FixedRef="36001" AliasTypeID="1403" Primary="true" LowQuality="false">
            <DocumentedName ID="60002" FixedRef="36001" DocNameStatusID="1">
              <DocumentedNamePart>
                <NamePartValue NamePartGroupID="70002" ScriptID="215" ScriptStatusID="1" Acronym="false">WU</NamePartValue>
              </DocumentedNamePart>
              <DocumentedNamePart>
                <NamePartValue NamePartGroupID="70003" ScriptID="215" ScriptStatusID="1" Acronym="false">Huihui</NamePartValue>
              </DocumentedNamePart>
            </DocumentedName>
            <DocumentedName ID="60003" FixedRef="36001" DocNameStatusID="1">
              <DocumentedNamePart>
                <NamePartValue NamePartGroupID="70004" ScriptID="200" ScriptStatusID="1" Acronym="false">&#x5434;&#x6167;&#x6167;</NamePartValue>
              </DocumentedNamePart>
            </DocumentedName>
          </Alias>
        </Identity>
        <Feature ID="80001" FeatureTypeID="8">
          <FeatureVersion ID="90001" ReliabilityID="1">
            <DatePeriod CalendarTypeID="1" YearFixed="false" MonthFixed="false" DayFixed="false">
              <Start Approximate="false" YearFixed="false" MonthFixed="false" DayFixed="false">
                <From><Year>1985</Year><Month>3</Month><Day>15</Day></From>
              </Start>
            </DatePeriod>
          </FeatureVersion>
          <IdentityReference IdentityID="50001" IdentityFeatureLinkTypeID="1" />
        </Feature>
        <Feature ID="80002" FeatureTypeID="344">
          <FeatureVersion ID="90002" ReliabilityID="1">
            <Comment />
            <VersionDetail DetailTypeID="1432">
              bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh
            </VersionDetail>
          </FeatureVersion>
          <IdentityReference IdentityID="50001" IdentityFeatureLinkTypeID="1" />
        </Feature>
        <Feature ID="80003" FeatureTypeID="344">
          <FeatureVersion ID="90003" ReliabilityID="1">
            <Comment />
            <VersionDetail DetailTypeID="1432">1BoatSLRHtKNngkdXEeobR76b53LETtpyT</VersionDetail>
          </FeatureVersion>
          <IdentityReference IdentityID="50001" IdentityFeatureLinkTypeID="1" />
        </Feature>
        <Feature ID="80004" FeatureTypeID="1049">
          <FeatureVersion ID="90004" ReliabilityID="1">
            <Comment />
            <VersionDetail DetailTypeID="1432">www.example-otc.invalid</VersionDetail>
          </FeatureVersion>
          <IdentityReference IdentityID="50001" IdentityFeatureLinkTypeID="1" />
        </Feature>
        <Feature ID="80005" FeatureTypeID="345">
          <FeatureVersion ID="90005" ReliabilityID="1">
            <Comment />
            <VersionDetail DetailTypeID="1432">0x7F367cC41522cE07553e823bf3be79A889DEbe1B</VersionDetail>
          </FeatureVersion>
          <IdentityReference IdentityID="50001" IdentityFeatureLinkTypeID="1" />
        </Feature>
      </Profile>
    </DistinctParty>
    <DistinctParty FixedRef="23135">
      <Profile ID="23135" PartySubTypeID="3">
        <Identity ID="50002" FixedRef="23135" Primary="true" False="false">
          <Alias FixedRef="23135" AliasTypeID="1403" Primary="true" LowQuality="false">
            <DocumentedName ID="60004" FixedRef="23135" DocNameStatusID="1">
              <DocumentedNamePart>
                <NamePartValue NamePartGroupID="70005" ScriptID="215" ScriptStatusID="1" Acronym="false">LAZARUS GROUP</NamePartValue>
              </DocumentedNamePart>
            </DocumentedName>
          </Alias>
        </Identity>
        <Feature ID="80006" FeatureTypeID="345">
          <FeatureVersion ID="90006" ReliabilityID="1">
            <Comment />
            <VersionDetail DetailTypeID="1432">0x098B716B8Aaf21512996dC57EB0615e2383E2f96</VersionDetail>
          </FeatureVersion>
        </Feature>
        <Feature ID="80007" FeatureTypeID="887">
          <FeatureVersion ID="90007" ReliabilityID="1">
            <Comment />
            <VersionDetail DetailTypeID="1432">TXyYmS5Q3m3iPvzrVrGwKLxMGGAdcK6G7F</VersionDetail>
          </FeatureVersion>
        </Feature>
      </Profile>
    </DistinctParty>
    <DistinctParty FixedRef="9001">
      <Profile ID="9001" PartySubTypeID="1">
        <Identity ID="50003" FixedRef="9001" Primary="true" False="false">
          <Alias FixedRef="9001" AliasTypeID="1403" Primary="true" LowQuality="false">
            <DocumentedName ID="60005" FixedRef="9001" DocNameStatusID="1">
              <DocumentedNamePart>
                <NamePartValue NamePartGroupID="70006" ScriptID="215" ScriptStatusID="1" Acronym="false">SEA STAR</NamePartValue>
              </DocumentedNamePart>
            </DocumentedName>
          </Alias>
        </Identity>
      </Profile>
    </DistinctParty>
  </DistinctParties>
  <ProfileRelationships />
  <SanctionsEntries>
    <SanctionsEntry ID="100001" ProfileID="36001" ListID="1550">
      <EntryEvent ID="110001" EntryEventTypeID="1" LegalBasisID="1">
        <Comment />
        <Date CalendarTypeID="1"><Year>2023</Year><Month>4</Month><Day>14</Day></Date>
      </EntryEvent>
      <SanctionsMeasure ID="120001" SanctionsTypeID="1705">
        <Comment>Secondary sanctions risk: see section 1(b).</Comment>
      </SanctionsMeasure>
      <SanctionsMeasure ID="120002" SanctionsTypeID="1">
        <Comment>CYBER2</Comment>
        <DatePeriod CalendarTypeID="1" YearFixed="false" MonthFixed="false" DayFixed="false" />
      </SanctionsMeasure>
    </SanctionsEntry>
    <SanctionsEntry ID="100002" ProfileID="23135" ListID="1550">
      <EntryEvent ID="110002" EntryEventTypeID="1" LegalBasisID="1">
        <Date CalendarTypeID="1"><Year>2022</Year><Month>4</Month><Day>14</Day></Date>
      </EntryEvent>
      <SanctionsMeasure ID="120003" SanctionsTypeID="1"><Comment>CYBER2</Comment></SanctionsMeasure>
    </SanctionsEntry>
    <SanctionsEntry ID="100003" ProfileID="23135" ListID="1550">
      <EntryEvent ID="110003" EntryEventTypeID="1" LegalBasisID="1">
        <Date CalendarTypeID="1"><Year>2019</Year><Month>9</Month><Day>13</Day></Date>
      </EntryEvent>
      <SanctionsMeasure ID="120004" SanctionsTypeID="1"><Comment>DPRK3</Comment></SanctionsMeasure>
      <SanctionsMeasure ID="120005" SanctionsTypeID="1"><Comment>CYBER2</Comment></SanctionsMeasure>
    </SanctionsEntry>
    <SanctionsEntry ID="100004" ProfileID="9001" ListID="1550">
      <SanctionsMeasure ID="120006" SanctionsTypeID="1"><Comment>IRAN</Comment></SanctionsMeasure>
    </SanctionsEntry>
  </SanctionsEntries>
</Sanctions>
"#;

/// An SDN_ENHANCED.XML with the same two parties as [`ADVANCED`].
const ENHANCED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<sanctionsData xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML">
  <publicationInfo>
    <dataAsOf>2024-05-03T00:00:00-04:00</dataAsOf>
    <filters>
      <sanctionsLists><sanctionsList refId="1550">SDN List</sanctionsList></sanctionsLists>
    </filters>
  </publicationInfo>
  <referenceValues>
    <referenceValue refId="600"><type>Entity Type</type><value>Individual</value></referenceValue>
  </referenceValues>
  <featureTypes>
    <featureType featureTypeId="344"><type>Digital Currency Address - XBT</type></featureType>
    <featureType featureTypeId="345"><type>Digital Currency Address - ETH</type></featureType>
  </featureTypes>
  <entities>
    <entity id="36001">
      <generalInfo>
        <identityId>50001</identityId>
        <entityType refId="600">Individual</entityType>
      </generalInfo>
      <sanctionsLists>
        <sanctionsList id="1" refId="1550" datePublished="2023-04-14">SDN List</sanctionsList>
      </sanctionsLists>
      <sanctionsPrograms>
        <sanctionsProgram id="2" refId="1566">CYBER2</sanctionsProgram>
      </sanctionsPrograms>
      <names>
        <name id="3">
          <isPrimary>false</isPrimary>
          <aliasType refId="1400">A.K.A.</aliasType>
          <isLowQuality>false</isLowQuality>
          <translations>
            <translation id="4">
              <isPrimary>true</isPrimary>
              <script refId="215">Latin</script>
              <formattedFullName>HUIHUI WU</formattedFullName>
            </translation>
          </translations>
        </name>
        <name id="5">
          <isPrimary>true</isPrimary>
          <isLowQuality>false</isLowQuality>
          <translations>
            <translation id="6">
              <isPrimary>false</isPrimary>
              <script refId="200">Chinese Simplified</script>
              <formattedFullName>&#x5434;&#x6167;&#x6167;</formattedFullName>
            </translation>
            <translation id="7">
              <isPrimary>true</isPrimary>
              <script refId="215">Latin</script>
              <formattedFirstName>Huihui</formattedFirstName>
              <formattedLastName>WU</formattedLastName>
              <formattedFullName>WU, Huihui</formattedFullName>
              <nameParts>
                <namePart id="8"><type refId="1520">Last Name</type><value>WU</value></namePart>
                <namePart id="9"><type refId="1521">First Name</type><value>Huihui</value></namePart>
              </nameParts>
            </translation>
          </translations>
        </name>
      </names>
      <features>
        <feature id="10">
          <type featureTypeId="8">Birthdate</type>
          <versionId>11</versionId>
          <value>15 Mar 1985</value>
          <valueDate id="12"><fromDateBegin>1985-03-15</fromDateBegin></valueDate>
          <isPrimary>true</isPrimary>
        </feature>
        <feature id="13">
          <type featureTypeId="344">Digital Currency Address - XBT</type>
          <versionId>14</versionId>
          <value>
            bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh
          </value>
          <isPrimary>false</isPrimary>
        </feature>
        <feature id="15">
          <type featureTypeId="1049">Website</type>
          <versionId>16</versionId>
          <value>www.example-otc.invalid</value>
        </feature>
        <feature id="17">
          <type featureTypeId="344"></type>
          <versionId>18</versionId>
          <value>1BoatSLRHtKNngkdXEeobR76b53LETtpyT</value>
        </feature>
      </features>
    </entity>
    <entity id="23135">
      <generalInfo>
        <identityId>50002</identityId>
        <entityType refId="601">Entity</entityType>
      </generalInfo>
      <sanctionsLists>
        <sanctionsList id="19" refId="1550" datePublished="2019-09-13">SDN List</sanctionsList>
      </sanctionsLists>
      <sanctionsPrograms>
        <sanctionsProgram id="20" refId="1567">DPRK3</sanctionsProgram>
        <sanctionsProgram id="21" refId="1566">CYBER2</sanctionsProgram>
      </sanctionsPrograms>
      <names>
        <name id="22">
          <isPrimary>true</isPrimary>
          <translations>
            <translation id="23">
              <isPrimary>true</isPrimary>
              <formattedFullName>LAZARUS GROUP</formattedFullName>
            </translation>
          </translations>
        </name>
      </names>
      <identityDocuments>
        <identityDocument id="24"><type refId="1">Registration Number</type><name nameId="22">LAZARUS GROUP</name></identityDocument>
      </identityDocuments>
      <features>
        <feature id="25">
          <type featureTypeId="345">Digital Currency Address - ETH</type>
          <value>0x098B716B8Aaf21512996dC57EB0615e2383E2f96</value>
        </feature>
        <feature id="26">
          <type featureTypeId="887">Digital Currency Address - USDT</type>
          <value>TXyYmS5Q3m3iPvzrVrGwKLxMGGAdcK6G7F</value>
        </feature>
      </features>
    </entity>
  </entities>
</sanctionsData>
"#;

fn parse(xml: &str) -> Result<ParsedList, ListError> {
    parse_sdn_xml(xml.as_bytes(), "sdn.xml")
}

fn parse_ok(xml: &str) -> ParsedList {
    match parse(xml) {
        Ok(list) => list,
        Err(err) => panic!("expected the document to parse, got: {err}"),
    }
}

/// The 1-based line on which `needle` starts in `text`; the parser must agree with it.
fn line_of(text: &str, needle: &str) -> u64 {
    let at = text.find(needle).unwrap_or_else(|| panic!("fixture lacks {needle:?}"));
    1 + text[..at].matches('\n').count() as u64
}

fn by_address<'a>(list: &'a ParsedList, address: &str) -> &'a ListEntry {
    list.entries
        .iter()
        .find(|e| e.address == address)
        .unwrap_or_else(|| panic!("no entry for {address}: {:#?}", list.entries))
}

/// `(file, line, field, message)` of a [`ListError::Malformed`].
fn malformed(result: Result<ParsedList, ListError>) -> (String, u64, Option<String>, String) {
    match result {
        Err(ListError::Malformed { file, line, field, message }) => (file, line, field, message),
        Err(other) => panic!("expected Malformed, got {other:?}"),
        Ok(list) => panic!("expected Malformed, got {} entries", list.entries.len()),
    }
}

// ----------------------------------------------------------------------------------------------
// SDN_ADVANCED.XML
// ----------------------------------------------------------------------------------------------

#[test]
fn advanced_reads_every_address_of_every_party() {
    let list = parse_ok(ADVANCED);
    let addresses: Vec<_> = list.entries.iter().map(|e| e.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
            "0x7F367cC41522cE07553e823bf3be79A889DEbe1B",
            "0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
            "TXyYmS5Q3m3iPvzrVrGwKLxMGGAdcK6G7F",
        ],
        "the Website and Birthdate features and the vessel without addresses are not entries"
    );
    assert!(list.issues.is_empty(), "{:#?}", list.issues);
    assert!(list.actors.is_empty());
    assert_eq!(list.published.as_deref(), Some("2024-05-03"));
}

#[test]
fn advanced_entry_carries_party_programme_and_listing_date() {
    let list = parse_ok(ADVANCED);
    let wu = by_address(&list, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT");
    assert_eq!(
        *wu,
        ListEntry {
            address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT".into(),
            currency: Some("XBT".into()),
            // The primary alias's first DocumentedName, its parts joined; not the A.K.A., not
            // the Chinese-script repetition.
            entity: Some("WU Huihui".into()),
            category: Some(Category::Sanctioned),
            labels: vec!["individual".into()],
            confidence: Some(100),
            confidence_label: Some("authority_data".into()),
            // The "Block" measure's comment is not a programme.
            program: Some("CYBER2".into()),
            reference: Some("ofac-ent-num:36001".into()),
            actor: None,
            context: None,
            listed_on: Some("2023-04-14".into()),
            line: line_of(ADVANCED, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        }
    );
}

#[test]
fn advanced_programmes_of_several_sanctions_entries_are_joined() {
    let list = parse_ok(ADVANCED);
    for address in
        ["0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "TXyYmS5Q3m3iPvzrVrGwKLxMGGAdcK6G7F"]
    {
        let lazarus = by_address(&list, address);
        assert_eq!(lazarus.entity.as_deref(), Some("LAZARUS GROUP"));
        assert_eq!(lazarus.labels, ["entity"], "PartySubType 'Unknown' resolves via PartyType");
        // Order of first appearance, without the repeated CYBER2.
        assert_eq!(lazarus.program.as_deref(), Some("CYBER2; DPRK3"));
        assert_eq!(lazarus.listed_on.as_deref(), Some("2019-09-13"), "the earliest entry date");
        assert_eq!(lazarus.reference.as_deref(), Some("ofac-ent-num:23135"));
    }
}

#[test]
fn advanced_tickers_come_from_the_feature_type() {
    let list = parse_ok(ADVANCED);
    let tickers: Vec<_> = list.entries.iter().map(|e| e.currency.as_deref()).collect();
    assert_eq!(tickers, [Some("XBT"), Some("XBT"), Some("ETH"), Some("ETH"), Some("USDT")]);
}

#[test]
fn advanced_address_is_trimmed_and_its_line_is_the_version_detail_tag() {
    let list = parse_ok(ADVANCED);
    let entry = by_address(&list, "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh");
    // The text spans three lines; the entry points at the <VersionDetail> that holds it.
    let tag = "<VersionDetail DetailTypeID=\"1432\">\n              bc1q";
    assert_eq!(entry.line, line_of(ADVANCED, tag));
    assert_eq!(entry.line, 76, "the fixture's layout pins the line");
}

#[test]
fn line_numbers_are_exact_in_a_small_document() {
    let xml = "<?xml version=\"1.0\"?>\n\
<Sanctions xmlns=\"https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML\">\n\
<ReferenceValueSets><FeatureTypeValues>\n\
<FeatureType ID=\"344\">Digital Currency Address - XBT</FeatureType>\n\
</FeatureTypeValues></ReferenceValueSets>\n\
<DistinctParties><DistinctParty FixedRef=\"1\"><Profile ID=\"1\">\n\
<Feature FeatureTypeID=\"344\"><FeatureVersion><VersionDetail>addr-seven</VersionDetail></FeatureVersion></Feature>\n\
\n\
<Feature FeatureTypeID=\"344\"><FeatureVersion>\n\
<VersionDetail>addr-ten</VersionDetail></FeatureVersion></Feature>\n\
</Profile></DistinctParty></DistinctParties>\n\
</Sanctions>\n";
    let list = parse_ok(xml);
    let lines: Vec<_> = list.entries.iter().map(|e| (e.address.as_str(), e.line)).collect();
    assert_eq!(lines, [("addr-seven", 7), ("addr-ten", 10)]);
    // Same lines with Windows line endings and a byte-order mark.
    let crlf = format!("\u{feff}{}", xml.replace('\n', "\r\n"));
    let list = parse_ok(&crlf);
    let lines: Vec<_> = list.entries.iter().map(|e| (e.address.as_str(), e.line)).collect();
    assert_eq!(lines, [("addr-seven", 7), ("addr-ten", 10)]);
}

#[test]
fn streaming_through_a_tiny_buffer_gives_the_same_result() {
    let whole = parse_ok(ADVANCED);
    // A 7-byte buffer splits tags, names and newlines across refills.
    let reader = BufReader::with_capacity(7, ADVANCED.as_bytes());
    let streamed = parse_sdn_xml(reader, "sdn.xml").expect("parses");
    assert_eq!(streamed, whole);
    let reader = BufReader::with_capacity(5, ENHANCED.as_bytes());
    assert_eq!(parse_sdn_xml(reader, "sdn.xml").expect("parses"), parse_ok(ENHANCED));
}

#[test]
fn advanced_with_prefixed_elements_and_the_older_namespace() {
    let xml = r#"<?xml version="1.0"?>
<sdn:Sanctions xmlns:sdn="http://www.un.org/sanctions/1.0">
  <sdn:DateOfIssue><sdn:Year>2015</sdn:Year><sdn:Month>12</sdn:Month><sdn:Day>5</sdn:Day></sdn:DateOfIssue>
  <sdn:ReferenceValueSets><sdn:FeatureTypeValues>
    <sdn:FeatureType ID="345">Digital Currency Address - ETH</sdn:FeatureType>
  </sdn:FeatureTypeValues></sdn:ReferenceValueSets>
  <sdn:DistinctParties><sdn:DistinctParty FixedRef="77"><sdn:Profile PartySubTypeID="3">
    <sdn:Feature FeatureTypeID="345"><sdn:FeatureVersion>
      <sdn:VersionDetail><![CDATA[0xabc]]></sdn:VersionDetail>
    </sdn:FeatureVersion></sdn:Feature>
  </sdn:Profile></sdn:DistinctParty></sdn:DistinctParties>
</sdn:Sanctions>"#;
    let list = parse_ok(xml);
    assert!(list.issues.is_empty(), "the older namespace is expected: {:#?}", list.issues);
    assert_eq!(list.published.as_deref(), Some("2015-12-05"));
    assert_eq!(list.entries.len(), 1);
    let entry = &list.entries[0];
    assert_eq!(entry.address, "0xabc", "CDATA is text");
    assert_eq!(
        entry.reference.as_deref(),
        Some("ofac-ent-num:77"),
        "FixedRef without a Profile ID"
    );
    assert_eq!(entry.entity, None, "no alias, no name");
    assert!(entry.labels.is_empty(), "PartySubType 3 is not defined here");
    assert_eq!(entry.program, None, "no SanctionsEntries");
    assert_eq!(entry.line, 9);
}

#[test]
fn predefined_entities_and_character_references_are_resolved() {
    let xml = format!(
        r#"<Sanctions xmlns="{ADVANCED_NS}"><ReferenceValueSets><FeatureTypeValues>
<FeatureType ID="1">Digital Currency Address &#x2D; XMR</FeatureType></FeatureTypeValues></ReferenceValueSets>
<DistinctParties><DistinctParty><Profile ID="5"><Identity><Alias Primary="true"><DocumentedName>
<DocumentedNamePart><NamePartValue>AT&amp;T &quot;OTC&quot; &lt;DESK&gt; &#233;</NamePartValue></DocumentedNamePart>
</DocumentedName></Alias></Identity>
<Feature FeatureTypeID="1"><FeatureVersion><VersionDetail>4&#65;xyz</VersionDetail></FeatureVersion></Feature>
</Profile></DistinctParty></DistinctParties></Sanctions>"#
    );
    let list = parse_ok(&xml);
    assert_eq!(list.entries.len(), 1);
    assert_eq!(list.entries[0].entity.as_deref(), Some("AT&T \"OTC\" <DESK> é"));
    assert_eq!(list.entries[0].address, "4Axyz");
    assert_eq!(list.entries[0].currency.as_deref(), Some("XMR"));
}

#[test]
fn an_empty_sanctions_document_has_no_entries() {
    let list = parse_ok(&format!("<Sanctions xmlns=\"{ADVANCED_NS}\"/>"));
    assert!(list.entries.is_empty());
    assert!(list.issues.is_empty());
    assert_eq!(list.published, None);
}

// ----------------------------------------------------------------------------------------------
// SDN_ENHANCED.XML
// ----------------------------------------------------------------------------------------------

#[test]
fn enhanced_reads_every_address_with_its_entity() {
    let list = parse_ok(ENHANCED);
    assert!(list.issues.is_empty(), "{:#?}", list.issues);
    assert_eq!(list.published.as_deref(), Some("2024-05-03"), "dataAsOf's date");
    let rows: Vec<_> = list
        .entries
        .iter()
        .map(|e| (e.address.as_str(), e.currency.as_deref(), e.entity.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", Some("XBT"), Some("WU, Huihui")),
            // `<type>` is empty: featureTypes defines 344.
            ("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", Some("XBT"), Some("WU, Huihui")),
            ("0x098B716B8Aaf21512996dC57EB0615e2383E2f96", Some("ETH"), Some("LAZARUS GROUP")),
            ("TXyYmS5Q3m3iPvzrVrGwKLxMGGAdcK6G7F", Some("USDT"), Some("LAZARUS GROUP")),
        ]
    );
}

#[test]
fn enhanced_entry_has_programmes_type_reference_date_and_line() {
    let list = parse_ok(ENHANCED);
    let lazarus = by_address(&list, "TXyYmS5Q3m3iPvzrVrGwKLxMGGAdcK6G7F");
    assert_eq!(
        *lazarus,
        ListEntry {
            address: "TXyYmS5Q3m3iPvzrVrGwKLxMGGAdcK6G7F".into(),
            currency: Some("USDT".into()),
            entity: Some("LAZARUS GROUP".into()),
            category: Some(Category::Sanctioned),
            labels: vec!["entity".into()],
            confidence: Some(100),
            confidence_label: Some("authority_data".into()),
            program: Some("DPRK3; CYBER2".into()),
            reference: Some("ofac-ent-num:23135".into()),
            actor: None,
            context: None,
            listed_on: Some("2019-09-13".into()),
            line: line_of(ENHANCED, "<value>TXyYmS5Q3m3iPvzrVrGwKLxMGGAdcK6G7F"),
        }
    );
    let wu = by_address(&list, "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh");
    assert_eq!(wu.labels, ["individual"]);
    assert_eq!(wu.program.as_deref(), Some("CYBER2"));
    assert_eq!(wu.listed_on.as_deref(), Some("2023-04-14"));
    assert_eq!(wu.line, line_of(ENHANCED, "<value>\n            bc1q"), "the <value> tag's line");
}

// ----------------------------------------------------------------------------------------------
// Row-level problems: issues, the rest imported
// ----------------------------------------------------------------------------------------------

#[test]
fn advanced_feature_problems_are_issues_and_other_entries_survive() {
    let xml = format!(
        r#"<?xml version="1.0"?>
<Sanctions xmlns="{ADVANCED_NS}">
<ReferenceValueSets><FeatureTypeValues>
<FeatureType ID="344">Digital Currency Address - XBT</FeatureType>
</FeatureTypeValues></ReferenceValueSets>
<DistinctParties><DistinctParty FixedRef="1"><Profile ID="1">
<Feature FeatureTypeID="344"><FeatureVersion><VersionDetail>good-one</VersionDetail></FeatureVersion></Feature>
<Feature FeatureTypeID="344">
<FeatureVersion><Comment/></FeatureVersion></Feature>
<Feature FeatureTypeID="344"><FeatureVersion>
<VersionDetail>   </VersionDetail></FeatureVersion></Feature>
<Feature FeatureTypeID="9999"><FeatureVersion><VersionDetail>mystery</VersionDetail></FeatureVersion></Feature>
<Feature FeatureTypeID="344"><FeatureVersion><VersionDetail>good-two</VersionDetail></FeatureVersion></Feature>
</Profile></DistinctParty></DistinctParties>
</Sanctions>"#
    );
    let list = parse_ok(&xml);
    let kept: Vec<_> = list.entries.iter().map(|e| (e.address.as_str(), e.line)).collect();
    assert_eq!(kept, [("good-one", 7), ("good-two", 13)]);
    let issues: Vec<_> = list
        .issues
        .iter()
        .map(|i| (i.line, i.field.as_deref(), i.severity, i.file.as_str()))
        .collect();
    assert_eq!(
        issues,
        [
            (8, Some("VersionDetail"), IssueSeverity::Error, "sdn.xml"),
            (11, Some("VersionDetail"), IssueSeverity::Error, "sdn.xml"),
            (12, Some("FeatureTypeID"), IssueSeverity::Error, "sdn.xml"),
        ]
    );
    assert!(list.issues[0].message.contains("no VersionDetail"), "{}", list.issues[0].message);
    assert!(list.issues[1].message.contains("empty address"), "{}", list.issues[1].message);
    assert!(list.issues[2].message.contains("9999"), "{}", list.issues[2].message);
    assert!(list.issues[2].message.contains("not defined"), "{}", list.issues[2].message);
    assert_eq!(
        list.issues[1].to_string(),
        "error: sdn.xml:11: field 'VersionDetail': 'Digital Currency Address - XBT' feature has an \
         empty address"
    );
}

#[test]
fn enhanced_feature_problems_are_issues_and_other_entries_survive() {
    let xml = r#"<sanctionsData xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML">
<entities><entity id="42">
<names><name><isPrimary>true</isPrimary><translations><translation><formattedFullName>X</formattedFullName></translation></translations></name></names>
<features>
<feature id="1"><type featureTypeId="345">Digital Currency Address - ETH</type></feature>
<feature id="2"><type featureTypeId="345">Digital Currency Address - ETH</type><value/></feature>
<feature id="3"><type featureTypeId="4242"/><value>0xdead</value></feature>
<feature id="4"><type featureTypeId="345">Digital Currency Address - ETH</type><value>0xbeef</value></feature>
</features></entity></entities></sanctionsData>"#;
    let list = parse_ok(xml);
    assert_eq!(list.entries.len(), 1);
    assert_eq!(list.entries[0].address, "0xbeef");
    assert_eq!(list.entries[0].line, 8);
    assert_eq!(list.entries[0].entity.as_deref(), Some("X"));
    let issues: Vec<_> =
        list.issues.iter().map(|i| (i.line, i.field.as_deref(), i.severity)).collect();
    assert_eq!(
        issues,
        [
            (5, Some("value"), IssueSeverity::Error),
            (6, Some("value"), IssueSeverity::Error),
            (7, Some("featureTypeId"), IssueSeverity::Error),
        ]
    );
    assert!(list.issues[0].message.contains("no <value>"), "{}", list.issues[0].message);
    assert!(list.issues[1].message.contains("empty address"), "{}", list.issues[1].message);
    assert!(list.issues[2].message.contains("4242"), "{}", list.issues[2].message);
}

#[test]
fn an_unexpected_namespace_is_a_warning_not_an_error() {
    let xml = "<Sanctions xmlns=\"urn:example:not-ofac\">\n</Sanctions>";
    let list = parse_ok(xml);
    assert_eq!(list.issues.len(), 1);
    assert_eq!(list.issues[0].severity, IssueSeverity::Warning);
    assert_eq!(list.issues[0].line, 1);
    assert!(list.issues[0].message.contains("urn:example:not-ofac"), "{}", list.issues[0].message);
}

#[test]
fn an_invalid_date_of_issue_is_a_warning() {
    let xml = format!(
        "<Sanctions xmlns=\"{ADVANCED_NS}\">\n<DateOfIssue><Year>2024</Year><Month>2</Month><Day>30</Day></DateOfIssue>\n</Sanctions>"
    );
    let list = parse_ok(&xml);
    assert_eq!(list.published, None);
    assert_eq!(list.issues.len(), 1);
    assert_eq!((list.issues[0].line, list.issues[0].severity), (2, IssueSeverity::Warning));
}

// ----------------------------------------------------------------------------------------------
// Whole-file problems: Malformed with the line
// ----------------------------------------------------------------------------------------------

#[test]
fn a_truncated_document_is_malformed_at_its_last_line() {
    let cut = ADVANCED.find("<Feature ID=\"80006\"").expect("fixture");
    let truncated = &ADVANCED[..cut];
    let (file, line, _, message) = malformed(parse(truncated));
    assert_eq!(file, "sdn.xml");
    assert_eq!(line, line_of(ADVANCED, "<Feature ID=\"80006\""));
    assert!(message.contains("unexpected end of file"), "{message}");
    assert!(message.contains("<Profile> opened at line"), "{message}");
}

#[test]
fn a_document_cut_inside_a_tag_is_malformed() {
    let cut = ADVANCED.find("FeatureTypeID=\"887\"").expect("fixture");
    let (_, line, _, message) = malformed(parse(&ADVANCED[..cut]));
    assert_eq!(line, line_of(ADVANCED, "<Feature ID=\"80007\""));
    assert!(message.starts_with("not well-formed XML"), "{message}");
}

#[test]
fn a_mismatched_tag_is_malformed_with_its_line() {
    let broken = ADVANCED.replace("<Month>5</Month>", "<Month>5</Day>");
    let err = parse(&broken).expect_err("mismatched");
    let shown = err.to_string();
    assert!(shown.starts_with("sdn.xml:5: not well-formed XML"), "{shown}");
    assert!(shown.contains("Month") && shown.contains("Day"), "{shown}");
}

#[test]
fn a_wrong_root_says_what_was_found_and_what_was_expected() {
    let xml = "<?xml version=\"1.0\"?>\n<!-- legacy file -->\n<sdnList xmlns=\"http://tempuri.org/sdnList.xsd\">\n</sdnList>";
    let (file, line, field, message) = malformed(parse(xml));
    assert_eq!((file.as_str(), line, field.as_deref()), ("sdn.xml", 3, Some("root element")));
    assert!(message.contains("<sdnList>"), "{message}");
    assert!(message.contains("http://tempuri.org/sdnList.xsd"), "{message}");
    assert!(message.contains("<Sanctions") && message.contains("<sanctionsData"), "{message}");
}

#[test]
fn an_undefined_entity_is_malformed() {
    let xml = format!(
        "<Sanctions xmlns=\"{ADVANCED_NS}\">\n<DateOfIssue><Year>&nbsp;2024</Year></DateOfIssue>\n</Sanctions>"
    );
    let (_, line, _, message) = malformed(parse(&xml));
    assert_eq!(line, 2);
    assert!(message.contains("&nbsp;"), "{message}");
}

#[test]
fn an_undefined_entity_in_an_attribute_is_malformed() {
    let xml = format!(
        "<Sanctions xmlns=\"{ADVANCED_NS}\">\n<DistinctParties>\n<DistinctParty FixedRef=\"&bogus;\"/>\n</DistinctParties></Sanctions>"
    );
    let (_, line, _, message) = malformed(parse(&xml));
    assert_eq!(line, 3);
    assert!(message.contains("FixedRef"), "{message}");
}

#[test]
fn an_invalid_character_reference_is_malformed() {
    let xml = format!(
        "<Sanctions xmlns=\"{ADVANCED_NS}\">\n\n<Comment>&#xFFFFFFFF;</Comment></Sanctions>"
    );
    let (_, line, _, message) = malformed(parse(&xml));
    assert_eq!(line, 3);
    assert!(message.contains("character reference"), "{message}");
}

#[test]
fn empty_and_non_xml_input_is_malformed() {
    let (_, _, _, message) = malformed(parse(""));
    assert!(message.contains("no root element"), "{message}");
    let (_, line, _, message) = malformed(parse("ent_num,SDN_Name\n36001,\"WU, Huihui\"\n"));
    assert_eq!(line, 1);
    assert!(message.contains("not an XML document"), "{message}");
}

#[test]
fn content_after_the_root_is_malformed() {
    let xml = format!("<Sanctions xmlns=\"{ADVANCED_NS}\"></Sanctions>\n<Sanctions/>");
    let (_, line, _, message) = malformed(parse(&xml));
    assert_eq!(line, 2);
    assert!(message.contains("second root element"), "{message}");
}

#[test]
fn invalid_utf8_is_malformed_not_a_panic() {
    let mut bytes = format!("<Sanctions xmlns=\"{ADVANCED_NS}\"><Comment>").into_bytes();
    bytes.extend_from_slice(&[0xff, 0xfe, 0x00]);
    bytes.extend_from_slice(b"</Comment></Sanctions>");
    assert!(matches!(parse_sdn_xml(&bytes[..], "x.xml"), Err(ListError::Malformed { .. })));
}

// ----------------------------------------------------------------------------------------------
// Arbitrary input never panics
// ----------------------------------------------------------------------------------------------

/// Checks the contract on any input: no panic, and an error names the file and a line that
/// exists.
fn check_any(bytes: &[u8]) {
    let lines = 1 + bytes.iter().filter(|b| **b == b'\n').count() as u64;
    match parse_sdn_xml(bytes, "fuzz.xml") {
        Ok(list) => {
            for entry in &list.entries {
                assert!(!entry.address.is_empty() && entry.address.trim() == entry.address);
                assert!((1..=lines).contains(&entry.line), "line {} of {lines}", entry.line);
            }
        }
        Err(ListError::Malformed { file, line, .. }) => {
            assert_eq!(file, "fuzz.xml");
            assert!(line <= lines, "line {line} of {lines}");
        }
        Err(other) => panic!("reading a slice cannot fail with {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_any(&bytes);
    }

    #[test]
    fn damaged_documents_never_panic(
        enhanced in any::<bool>(),
        cut in 0usize..20_000,
        at in 0usize..20_000,
        junk in proptest::collection::vec(
            prop_oneof![Just(b'<'), Just(b'>'), Just(b'&'), Just(b'/'), Just(b'"'), Just(b'\n'), any::<u8>()],
            0..8,
        ),
    ) {
        let source = if enhanced { ENHANCED } else { ADVANCED }.as_bytes();
        let mut bytes = source[..cut.min(source.len())].to_vec();
        let at = at.min(bytes.len());
        bytes.splice(at..at, junk);
        check_any(&bytes);
    }
}
