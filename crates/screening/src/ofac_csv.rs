//! OFAC's legacy `sdn.csv`: digital-currency addresses parsed out of the remarks.
//!
//! The file has no header and twelve columns (`ent_num, SDN_Name, SDN_Type, Program, Title,
//! Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks`), is Latin-1, and writes
//! empty fields as `-0- `. Addresses appear only inside `Remarks`, as
//! `Digital Currency Address - XBT 1abc…; alt. Digital Currency Address - ETH 0x…`.
//!
//! OFAC cuts `Remarks` at 1,000 characters (the rest goes to `sdn_comments.csv`), which silently
//! drops addresses of the entities with the most of them (Lazarus Group, Tornado Cash, …). A
//! remark of exactly that length is reported as a warning naming the entity, and an address cut
//! in half by the truncation is reported as an error instead of being imported half-written.

use crate::ListError;
use chainward_primitives::{Category, IssueSeverity, ListEntry, ParseIssue, ParsedList};

/// The length at which OFAC truncates `Remarks` in the legacy CSV.
pub const REMARKS_LIMIT: usize = 1000;

const MARKER: &str = "Digital Currency Address - ";

/// Parses a legacy OFAC `sdn.csv` (already decompressed).
///
/// # Errors
/// [`ListError::Malformed`] when a row does not have twelve columns or `ent_num` is not a
/// number, naming the line.
pub fn parse_sdn_csv(bytes: &[u8], file: &str) -> Result<ParsedList, ListError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let lines = LineIndex::new(bytes);
    let mut list = ParsedList::default();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_of(p.byte()));
                return Err(ListError::malformed(file, line, format!("not valid CSV: {e}")));
            }
        }
        let line = record.position().map_or(0, |p| lines.line_of(p.byte()));
        if record.len() == 1 && record.get(0).is_some_and(|f| f.iter().all(|b| *b == 0x1a)) {
            continue; // DOS end-of-file marker, present in some OFAC downloads.
        }
        if record.len() != 12 {
            return Err(ListError::Malformed {
                file: file.to_owned(),
                line,
                field: None,
                message: format!(
                    "expected the 12 columns of OFAC's sdn.csv, found {}; is this an sdn.csv?",
                    record.len()
                ),
            });
        }
        let field = |i: usize| latin1(record.get(i).unwrap_or_default());
        let ent_num = field(0);
        if ent_num.trim().parse::<u64>().is_err() {
            return Err(ListError::Malformed {
                file: file.to_owned(),
                line,
                field: Some("ent_num".into()),
                message: format!("'{}' is not a number", ent_num.trim()),
            });
        }
        let remarks = field(11);
        if !remarks.contains(MARKER) {
            continue;
        }
        let name = empty_as_none(&field(1)).unwrap_or_default();
        let sdn_type = empty_as_none(&field(2));
        let program = empty_as_none(&field(3)).map(|p| programs(&p));
        let truncated = remarks.chars().count() >= REMARKS_LIMIT;
        if truncated {
            list.issues.push(ParseIssue {
                file: file.to_owned(),
                line,
                field: Some("Remarks".into()),
                severity: IssueSeverity::Warning,
                message: format!(
                    "remarks of '{name}' (ent_num {}) are cut at OFAC's {REMARKS_LIMIT}-character \
                     limit: it may have more addresses than this file lists (import \
                     SDN_ADVANCED.XML for the complete list)",
                    ent_num.trim()
                ),
            });
        }
        for (ticker, address, terminated) in addresses_in(&remarks) {
            if truncated && !terminated {
                list.issues.push(ParseIssue {
                    file: file.to_owned(),
                    line,
                    field: Some("Remarks".into()),
                    severity: IssueSeverity::Error,
                    message: format!(
                        "{ticker} address '{address}' of '{name}' is cut off by the \
                         {REMARKS_LIMIT}-character truncation; not imported"
                    ),
                });
                continue;
            }
            list.entries.push(ListEntry {
                address: address.to_owned(),
                currency: Some(ticker.to_owned()),
                entity: Some(name.clone()),
                category: Some(Category::Sanctioned),
                labels: sdn_type.iter().cloned().collect(),
                confidence: Some(100),
                confidence_label: Some("authority_data".into()),
                program: program.clone(),
                reference: Some(format!("ofac-ent-num:{}", ent_num.trim())),
                line,
                ..ListEntry::default()
            });
        }
    }
    Ok(list)
}

/// 1-based line numbers of record starts, from byte offsets. The csv crate's own line counter
/// lags on CRLF files (OFAC's), and with CRLF it reports a record's start at the `\n` that ends
/// the previous line, so lines are counted here and that `\n` counts as before the record.
pub(crate) struct LineIndex {
    newlines: Vec<u64>,
}

impl LineIndex {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let newlines =
            bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i as u64).collect();
        Self { newlines }
    }

    /// The line of the record that csv says starts at byte `offset`.
    pub(crate) fn line_of(&self, offset: u64) -> u64 {
        self.newlines.partition_point(|&n| n <= offset) as u64 + 1
    }
}

/// The `(ticker, address, terminated)` triples in a remark; `terminated` says whether the
/// address is followed by a separator (`;`, `.`, white space) rather than the end of the text.
fn addresses_in(remarks: &str) -> Vec<(&str, &str, bool)> {
    let mut found = Vec::new();
    for (start, _) in remarks.match_indices(MARKER) {
        let rest = &remarks[start + MARKER.len()..];
        let Some((ticker, after)) = rest.split_once(' ') else { continue };
        let after = after.trim_start();
        let end = after.find([';', ' ', ',']).unwrap_or(after.len());
        let mut address = &after[..end];
        let mut terminated = end < after.len();
        if let Some(stripped) = address.strip_suffix('.') {
            address = stripped;
            terminated = true;
        }
        if !address.is_empty() && ticker.chars().all(|c| c.is_ascii_alphanumeric()) {
            found.push((ticker, address, terminated));
        }
    }
    found
}

/// OFAC writes several programmes as `CYBER2] [DPRK3` (the outer brackets are the column's).
fn programs(raw: &str) -> String {
    raw.split("] [").map(|p| p.trim_matches(['[', ']', ' '])).collect::<Vec<_>>().join("; ")
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn empty_as_none(field: &str) -> Option<String> {
    let trimmed = field.trim();
    (!trimmed.is_empty() && trimmed != "-0-").then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ent: &str, name: &str, program: &str, remarks: &str) -> String {
        format!(
            "{ent},\"{name}\",-0- ,\"{program}\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"{remarks}\"\r\n"
        )
    }

    #[test]
    fn addresses_programs_and_lines_are_read_from_remarks() {
        let text = row("36", "AEROCARIBBEAN AIRLINES", "CUBA", "-0- ")
            + &row(
                "27307",
                "LAZARUS GROUP",
                "DPRK3] [CYBER2",
                "a.k.a. 'APT38'; Digital Currency Address - ETH 0x098B716B8Aaf21512996dC57EB0615e2383E2f96; alt. Digital Currency Address - XBT 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu.",
            );
        let list = parse_sdn_csv(text.as_bytes(), "sdn.csv").unwrap();
        assert_eq!(list.entries.len(), 2);
        assert!(list.issues.is_empty());
        let eth = &list.entries[0];
        assert_eq!(eth.address, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96");
        assert_eq!(eth.currency.as_deref(), Some("ETH"));
        assert_eq!(eth.entity.as_deref(), Some("LAZARUS GROUP"));
        assert_eq!(eth.program.as_deref(), Some("DPRK3; CYBER2"));
        assert_eq!(eth.reference.as_deref(), Some("ofac-ent-num:27307"));
        assert_eq!(eth.line, 2);
        assert_eq!(list.entries[1].address, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu");
    }

    #[test]
    fn truncated_remarks_are_reported_and_a_cut_address_is_not_imported() {
        let head = "Digital Currency Address - XBT 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu; ";
        let mut remarks = head.repeat(REMARKS_LIMIT / head.len());
        let tail = "alt. Digital Currency Address - XBT 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu";
        remarks.push_str(&tail[..REMARKS_LIMIT - remarks.len()]);
        assert_eq!(remarks.len(), REMARKS_LIMIT);
        let list = parse_sdn_csv(row("1", "X", "CYBER2", &remarks).as_bytes(), "sdn.csv").unwrap();
        assert!(
            list.issues.iter().any(|i| i.severity == IssueSeverity::Warning
                && i.message.contains("1000-character limit"))
        );
        let cut: Vec<_> =
            list.issues.iter().filter(|i| i.severity == IssueSeverity::Error).collect();
        assert_eq!(cut.len(), 1, "{:?}", list.issues);
        assert!(cut[0].message.contains("cut off"));
        assert!(list.entries.iter().all(|e| e.address == "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"));
    }

    #[test]
    fn a_row_with_the_wrong_column_count_names_its_line() {
        let text = row("36", "A", "CUBA", "-0- ") + "37,\"B\",only three\n";
        let error = parse_sdn_csv(text.as_bytes(), "sdn.csv").unwrap_err().to_string();
        assert!(error.starts_with("sdn.csv:2:"), "{error}");
        assert!(error.contains("12 columns"), "{error}");
    }

    #[test]
    fn latin1_names_decode() {
        let mut bytes =
            row("5", "PE\u{d1}A", "SDGT", "Digital Currency Address - XBT 1abc.").into_bytes();
        // Re-encode the Ñ as the single Latin-1 byte OFAC writes.
        let pos = bytes.windows(2).position(|w| w == "Ñ".as_bytes()).unwrap();
        bytes.splice(pos..pos + 2, [0xd1]);
        let list = parse_sdn_csv(&bytes, "sdn.csv").unwrap();
        assert_eq!(list.entries[0].entity.as_deref(), Some("PEÑA"));
    }
}
