//! Reading one ethereum-etl file row by row, CSV or JSON lines alike, with every value seen as
//! text and every error naming the file, the line and the field.
//!
//! ethereum-etl writes the same items in both formats: a CSV file has a header line and one
//! row per item (lists comma-joined: `topics`, `trace_address`), a JSON file has one object per
//! line (lists as arrays, numbers as JSON numbers of up to 78 digits). Both are read into
//! [`Row`], whose accessors take a field name and a parser from text: a JSON number is taken
//! from its literal text (never through `f64`), a JSON array is comma-joined like CSV, and an
//! empty CSV cell, a JSON `null` and a missing JSON key all read as absent.

use super::{EtlError, Format};
use alloy_primitives::{Address, B256, Bytes, U256};
use chainward_etl_files as etl_files;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

/// One row of a file: its line (1-based; in a CSV file the header is line 1) and its cells.
pub(crate) struct Row<'a> {
    row: &'a etl_files::Row<'a>,
    /// A JSON line's object (`None` for a CSV row).
    json: Option<HashMap<String, &'a RawValue>>,
}

/// Calls `f` with every row of `path`, in file order.
///
/// In a CSV file every name in `required` must be a column of the header (else an error at
/// line 1); an empty file (ethereum-etl writes no header when it has no items) has no rows.
/// Blank lines of a JSON-lines file are skipped.
pub(crate) fn for_each_row(
    path: &Path,
    format: Format,
    required: &[&str],
    mut f: impl FnMut(&Row<'_>) -> Result<(), EtlError>,
) -> Result<(), EtlError> {
    etl_files::for_each_row(path, format, required, |row| f(&Row::new(row)?))
}

impl<'a> Row<'a> {
    /// The row of `row`, a JSON line's object parsed.
    fn new(row: &'a etl_files::Row<'a>) -> Result<Self, EtlError> {
        let json = match row.format() {
            Format::Csv => None,
            _ => Some(row.json_object()?),
        };
        Ok(Self { row, json })
    }

    /// The row's line in its file (1-based).
    pub(crate) fn line(&self) -> u64 {
        self.row.line()
    }

    /// Whether the file has this column (CSV) or this line has this key (JSON), even if empty.
    pub(crate) fn has(&self, field: &str) -> bool {
        match &self.json {
            None => self.row.cell(field).is_some(),
            Some(object) => object.contains_key(field),
        }
    }

    /// An error about `field` of this row.
    pub(crate) fn error(&self, field: &str, message: impl Into<String>) -> EtlError {
        self.row.error(field, message).into()
    }

    /// The field's text; `None` when the column or key is absent, the cell empty, or `null`.
    fn text(&self, field: &str) -> Result<Option<Cow<'_, str>>, EtlError> {
        let text = match &self.json {
            None => self.row.cell(field).map(Cow::Borrowed),
            Some(object) => match object.get(field) {
                Some(raw) => json_text(raw).map_err(|m| self.error(field, m))?,
                None => None,
            },
        };
        Ok(text.filter(|t| !t.is_empty()))
    }

    /// The field's JSON text as it is in the line (for nested values: Geth call frames).
    pub(crate) fn raw_json(&self, field: &str) -> Result<&str, EtlError> {
        match &self.json {
            Some(object) => match object.get(field) {
                Some(raw) => Ok(raw.get()),
                None => Err(self.error(field, "is missing from this line")),
            },
            None => Err(self.error(field, "is only read from a JSON-lines file")),
        }
    }

    /// The field parsed with `parse`, or `None` when it is absent or empty.
    pub(crate) fn opt<T>(
        &self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, EtlError> {
        match self.text(field)? {
            Some(text) => parse(&text).map(Some).map_err(|m| self.error(field, m)),
            None => Ok(None),
        }
    }

    /// The field parsed with `parse`; an error when it is absent or empty.
    pub(crate) fn req<T>(
        &self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, EtlError> {
        let present = self.has(field);
        self.opt(field, parse)?.ok_or_else(|| {
            self.error(field, if present { "is empty" } else { "is missing from this line" })
        })
    }
}

/// A JSON value as ethereum-etl's CSV would print it: strings unquoted, numbers and booleans
/// as their literal text, arrays comma-joined, `null` as absent.
fn json_text(raw: &RawValue) -> Result<Option<Cow<'_, str>>, String> {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'"') => {
            let inner = &text[1..text.len() - 1];
            if inner.contains('\\') {
                serde_json::from_str::<String>(text)
                    .map(|s| Some(Cow::Owned(s)))
                    .map_err(|e| format!("bad string: {e}"))
            } else {
                Ok(Some(Cow::Borrowed(inner)))
            }
        }
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| format!("bad array: {e}"))?;
            let mut joined = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    joined.push(',');
                }
                joined.push_str(&json_text(item)?.unwrap_or_default());
            }
            Ok(Some(Cow::Owned(joined)))
        }
        Some(b'{') => Err("is a JSON object, expected a value".to_owned()),
        _ if text == "null" => Ok(None),
        _ => Ok(Some(Cow::Borrowed(text))),
    }
}

/// The value as shown in an error message (long call data cut short).
fn shown(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        format!("'{text}'")
    } else {
        format!("'{}…'", text.chars().take(MAX).collect::<String>())
    }
}

fn digits(text: &str) -> Result<&str, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text)
    } else {
        Err(format!("{} is not a non-negative decimal integer", shown(text)))
    }
}

/// A decimal integer that fits 64 bits.
pub(crate) fn dec_u64(text: &str) -> Result<u64, String> {
    digits(text)?.parse().map_err(|_| format!("{} does not fit in 64 bits", shown(text)))
}

/// A decimal integer that fits 32 bits.
pub(crate) fn dec_u32(text: &str) -> Result<u32, String> {
    digits(text)?.parse().map_err(|_| format!("{} does not fit in 32 bits", shown(text)))
}

/// A decimal integer of up to 256 bits (78 digits), exactly.
pub(crate) fn dec_u256(text: &str) -> Result<U256, String> {
    let digits = digits(text)?;
    U256::from_str_radix(digits, 10)
        .map_err(|_| format!("{} does not fit in 256 bits", shown(text)))
}

fn hex_body(text: &str) -> &str {
    text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text)
}

fn hex_array<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let body = hex_body(text);
    if body.len() != 2 * N {
        return Err(format!("{} is not a {what} ({} hex digits expected)", shown(text), 2 * N));
    }
    let mut out = [0u8; N];
    alloy_primitives::hex::decode_to_slice(body, &mut out)
        .map_err(|_| format!("{} is not a {what} (not hexadecimal)", shown(text)))?;
    Ok(out)
}

/// A 32-byte hash, `0x` and 64 hex digits.
pub(crate) fn hash(text: &str) -> Result<B256, String> {
    hex_array::<32>(text, "32-byte hash").map(B256::from)
}

/// A 20-byte address, `0x` and 40 hex digits (any case; no checksum check).
pub(crate) fn address(text: &str) -> Result<Address, String> {
    hex_array::<20>(text, "20-byte address").map(Address::from)
}

/// Hex bytes, `0x` and an even number of hex digits.
pub(crate) fn bytes(text: &str) -> Result<Bytes, String> {
    alloy_primitives::hex::decode(hex_body(text))
        .map(Bytes::from)
        .map_err(|_| format!("{} is not hex bytes", shown(text)))
}

/// Plain text.
pub(crate) fn text(text: &str) -> Result<String, String> {
    Ok(text.to_owned())
}

/// A comma-joined list (a CSV cell, or a JSON array as [`Row`] joins it).
pub(crate) fn list<T>(
    parse: impl Fn(&str) -> Result<T, String>,
) -> impl FnOnce(&str) -> Result<Vec<T>, String> {
    move |text| {
        text.split(',')
            .enumerate()
            .map(|(i, item)| parse(item.trim()).map_err(|m| format!("item {i}: {m}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_exact_and_strict() {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(dec_u256(max), Ok(U256::MAX));
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert!(dec_u256(over).unwrap_err().contains("256 bits"));
        assert_eq!(dec_u256("0"), Ok(U256::ZERO));
        for bad in ["", "-1", "+1", "1.0", "1e18", " 1", "0x10", "1_000"] {
            assert!(dec_u256(bad).is_err(), "{bad}");
            assert!(dec_u64(bad).is_err(), "{bad}");
        }
        assert!(dec_u64("18446744073709551616").unwrap_err().contains("64 bits"));
        assert_eq!(dec_u64("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn hashes_and_addresses_have_exact_lengths() {
        let h = "0x246edb4b351d93c27926f4649bcf6c24366e2a7c7c718dc9158eea20c03bc6ae";
        assert_eq!(hash(h).unwrap().to_string(), h);
        assert!(hash(&h[..65]).is_err());
        assert!(hash(&h.replace('e', "g")).is_err());
        assert!(address("0x1b63142628311395ceafeea5667e7c9026c862ca").is_ok());
        assert!(address("0x1b63142628311395ceafeea5667e7c9026c862").is_err());
        assert_eq!(bytes("0x").unwrap().len(), 0);
        assert!(bytes("0x123").is_err());
    }

    #[test]
    fn csv_lines_count_blank_lines_crlf_and_quoted_newlines() {
        let dir = std::env::temp_dir().join(format!("chainward-etl-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text, expected) in [
            ("lf.csv", "a,b\n1,2\n\n3,4\n\n\n5,6", vec![2, 4, 7]),
            ("crlf.csv", "a,b\r\n1,2\r\n\r\n3,4\r\n", vec![2, 4]),
            ("quoted.csv", "a,b\n1,\"x\ny\"\n3,4\n", vec![2, 4]),
            ("leading.csv", "\n\na,b\n1,2\n", vec![4]),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            let mut seen = Vec::new();
            for_each_row(&path, Format::Csv, &["a"], |row| {
                seen.push(row.line());
                Ok(())
            })
            .unwrap();
            assert_eq!(seen, expected, "{name}");
        }
        let path = dir.join("short.csv");
        std::fs::write(&path, "a,b\r\n1,2\r\n\r\n3\r\n").unwrap();
        let err = for_each_row(&path, Format::Csv, &[], |_| Ok(())).unwrap_err();
        assert!(err.to_string().ends_with("short.csv, line 4: has 1 fields but the header has 2"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn json_values_read_as_csv_text() {
        let line = r#"{"n": 5000000000000000000000000000000000000, "s": "a\"b", "l": ["x", 1],
                "z": null, "e": "", "o": {"a": 1}}"#;
        let row = etl_files::Row::from_json_line(Path::new("f.json"), 7, line);
        let row = Row::new(&row).unwrap();
        assert_eq!(
            row.req("n", dec_u256).unwrap(),
            U256::from(5u8) * U256::from(10u8).pow(U256::from(36u8))
        );
        assert_eq!(row.req("s", text).unwrap(), "a\"b");
        assert_eq!(row.req("l", text).unwrap(), "x,1");
        assert_eq!(row.opt("z", text).unwrap(), None);
        assert_eq!(row.opt("e", text).unwrap(), None);
        assert_eq!(row.opt("absent", text).unwrap(), None);
        let err = row.req("z", text).unwrap_err().to_string();
        assert_eq!(err, "f.json, line 7, field `z`: is empty");
        let err = row.req("absent", text).unwrap_err().to_string();
        assert_eq!(err, "f.json, line 7, field `absent`: is missing from this line");
        assert!(row.opt("o", text).unwrap_err().to_string().contains("JSON object"));
    }
}
