//! Simple address lists: the per-currency OFAC lists (0xB10C's `sanctioned_addresses_<TICKER>.txt`),
//! the `ultrasoundmoney` OFAC Ethereum CSV, and a generic tags CSV for the user's own lists.

use crate::ListError;
use chainward_primitives::{Category, ListEntry, ParsedList};

/// Parses one per-currency list: one address a line; the ticker comes from the file name
/// (`sanctioned_addresses_XBT.txt` → `XBT`).
pub fn parse_address_lines(text: &str, ticker: &str, file: &str) -> ParsedList {
    let _ = file;
    let entries = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(index, line)| ListEntry {
            address: line.trim().to_owned(),
            currency: Some(ticker.to_owned()),
            category: Some(Category::Sanctioned),
            confidence: Some(100),
            confidence_label: Some("authority_data".into()),
            line: index as u64 + 1,
            ..ListEntry::default()
        })
        .collect();
    ParsedList { entries, ..ParsedList::default() }
}

/// The ticker in a per-currency list's file name, if it is one.
pub fn ticker_of_list_file(file_name: &str) -> Option<&str> {
    file_name
        .strip_prefix("sanctioned_addresses_")?
        .strip_suffix(".txt")
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Column names a generic tags CSV may use for each field (first match wins, case-insensitive).
const ADDRESS_COLUMNS: &[&str] = &["address", "banned_address", "wallet", "addr"];
const CURRENCY_COLUMNS: &[&str] = &["currency", "chain", "network", "ticker", "asset"];
const ENTITY_COLUMNS: &[&str] = &["entity", "name", "label", "sdn_name", "wallet_tag"];
const CONTEXT_COLUMNS: &[&str] = &["context", "role_note", "note", "notes", "incident"];
const CATEGORY_COLUMNS: &[&str] = &["category"];
const DATE_COLUMNS: &[&str] = &["date_added", "listed_on", "date"];
const CONFIDENCE_COLUMNS: &[&str] = &["confidence"];
const PROGRAM_COLUMNS: &[&str] = &["program"];
const REFERENCE_COLUMNS: &[&str] = &["reference", "source", "ent_num", "url"];

/// Parses a CSV with a header row and an address column, such as the `ultrasoundmoney` OFAC
/// list (`address,name` or `date_added,address,name`) or a user's own tags. Recognised columns:
/// address (`address`, `banned_address`, `wallet`), currency (`currency`, `chain`, `ticker`),
/// entity (`entity`, `name`, `label`), `category`, date (`date_added`, `listed_on`),
/// `confidence`, `program`, reference (`reference`, `source`, `ent_num`, `url`), context
/// (`context`, `role_note`, `note`, `incident`).
///
/// # Errors
/// [`ListError::Malformed`] when the header has no address column or the CSV is broken.
pub fn parse_tags_csv(bytes: &[u8], file: &str) -> Result<ParsedList, ListError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let lines = crate::ofac_csv::LineIndex::new(bytes);
    let headers = reader
        .headers()
        .map_err(|e| ListError::malformed(file, 1, format!("cannot read the header row: {e}")))?
        .clone();
    let column = |names: &[&str]| {
        names.iter().find_map(|name| {
            headers
                .iter()
                .position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
        })
    };
    let Some(address_column) = column(ADDRESS_COLUMNS) else {
        return Err(ListError::Malformed {
            file: file.to_owned(),
            line: 1,
            field: None,
            message: format!(
                "no address column in header [{}]; expected one of: {}",
                headers.iter().collect::<Vec<_>>().join(", "),
                ADDRESS_COLUMNS.join(", ")
            ),
        });
    };
    let currency = column(CURRENCY_COLUMNS);
    let entity = column(ENTITY_COLUMNS);
    let category = column(CATEGORY_COLUMNS);
    let date = column(DATE_COLUMNS);
    let confidence = column(CONFIDENCE_COLUMNS);
    let program = column(PROGRAM_COLUMNS);
    let reference = column(REFERENCE_COLUMNS);
    let context = column(CONTEXT_COLUMNS);

    let mut list = ParsedList::default();
    for record in reader.records() {
        let record = record.map_err(|e| {
            ListError::malformed(
                file,
                e.position().map_or(0, |p| lines.line_of(p.byte())),
                format!("not valid CSV: {e}"),
            )
        })?;
        let line = record.position().map_or(0, |p| lines.line_of(p.byte()));
        let get = |column: Option<usize>| {
            column
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let address = get(Some(address_column)).unwrap_or_default();
        let category_word = get(category);
        let parsed_category = category_word.as_deref().and_then(|c| c.parse::<Category>().ok());
        let mut confidence_value = None;
        if let Some(raw) = get(confidence) {
            match raw.parse::<u8>() {
                Ok(value) if value <= 100 => confidence_value = Some(value),
                _ => list.issues.push(chainward_primitives::ParseIssue {
                    file: file.to_owned(),
                    line,
                    field: Some("confidence".into()),
                    severity: chainward_primitives::IssueSeverity::Warning,
                    message: format!("'{raw}' is not a confidence from 0 to 100; ignored"),
                }),
            }
        }
        list.entries.push(ListEntry {
            address,
            currency: get(currency),
            entity: get(entity),
            category: parsed_category,
            labels: category_word.into_iter().collect(),
            confidence: confidence_value,
            program: get(program),
            reference: get(reference),
            listed_on: get(date),
            context: get(context),
            line,
            ..ListEntry::default()
        });
    }
    list.published = list.entries.iter().filter_map(|e| e.listed_on.clone()).max();
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_currency_lines_keep_their_line_numbers() {
        let list = parse_address_lines("1abc\n\n# note\n3def\n", "XBT", "x.txt");
        assert_eq!(list.entries.len(), 2);
        assert_eq!(list.entries[1].address, "3def");
        assert_eq!(list.entries[1].line, 4);
        assert_eq!(ticker_of_list_file("sanctioned_addresses_USDT.txt"), Some("USDT"));
        assert_eq!(ticker_of_list_file("notes.txt"), None);
    }

    #[test]
    fn tags_csv_reads_known_columns_and_dates() {
        let text =
            "date_added,address,name\n2020-09-10,0xabc,\"ANDREYEV, Anton\"\n2024-05-28,0xdef,X\n";
        let list = parse_tags_csv(text.as_bytes(), "u.csv").unwrap();
        assert_eq!(list.entries.len(), 2);
        assert_eq!(list.entries[0].entity.as_deref(), Some("ANDREYEV, Anton"));
        assert_eq!(list.entries[0].listed_on.as_deref(), Some("2020-09-10"));
        assert_eq!(list.entries[1].line, 3);
        assert_eq!(list.published.as_deref(), Some("2024-05-28"));
    }

    #[test]
    fn tags_csv_without_an_address_column_is_refused_with_the_header() {
        let error = parse_tags_csv(b"wallet_id,owner\n1,2\n", "t.csv").unwrap_err().to_string();
        assert!(error.contains("no address column"), "{error}");
        assert!(error.contains("wallet_id, owner"), "{error}");
    }
}
