//! STIX timestamps: RFC 3339 in UTC with a `Z`, kept at the precision they were written with.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// A STIX timestamp (`2026-11-20T09:00:00.000Z`).
///
/// STIX requires UTC with a `Z` and lets producers choose the sub-second precision; the
/// precision of `modified` is part of an object's version as TAXII lists it, so a timestamp read
/// from a producer is written back with the same number of fractional digits. Timestamps this
/// crate makes have millisecond precision, as STIX's own examples and the `stix2` library do.
///
/// Equality and order compare the instant only (`…00Z` equals `…00.000Z`).
#[derive(Clone, Copy, Debug)]
pub struct Timestamp {
    instant: jiff::Timestamp,
    /// Fractional digits to write (0–9).
    digits: u8,
}

impl Timestamp {
    /// The current time, at millisecond precision.
    pub fn now() -> Self {
        Self::from_jiff(jiff::Timestamp::now())
    }

    /// A timestamp at millisecond precision (finer digits are truncated).
    pub fn from_jiff(instant: jiff::Timestamp) -> Self {
        let millis = instant.as_millisecond();
        let instant = jiff::Timestamp::from_millisecond(millis).unwrap_or(instant);
        Self { instant, digits: 3 }
    }

    /// The instant.
    pub fn as_jiff(&self) -> jiff::Timestamp {
        self.instant
    }

    /// Parses a STIX timestamp: RFC 3339, UTC, ending in `Z`.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = text.as_bytes();
        if !text.is_ascii() {
            return Err(format!("'{text}' is not a STIX timestamp (non-ASCII characters)"));
        }
        if !text.ends_with('Z') {
            return Err(format!("'{text}' is not a STIX timestamp: it must be UTC and end in 'Z'"));
        }
        // YYYY-MM-DDTHH:MM:SS[.fraction]Z: STIX requires the seconds and a four-digit year.
        if bytes.len() < 20 || bytes.get(4) != Some(&b'-') || bytes.get(10) != Some(&b'T') {
            return Err(format!(
                "'{text}' is not a STIX timestamp (expected YYYY-MM-DDTHH:MM:SS[.s+]Z)"
            ));
        }
        let digits = match text[19..text.len() - 1].strip_prefix('.') {
            None if text.len() == 20 => 0,
            Some(fraction)
                if !fraction.is_empty()
                    && fraction.len() <= 9
                    && fraction.bytes().all(|b| b.is_ascii_digit()) =>
            {
                fraction.len() as u8
            }
            _ => {
                return Err(format!(
                    "'{text}' is not a STIX timestamp (bad fractional seconds; expected \
                     YYYY-MM-DDTHH:MM:SS[.s+]Z)"
                ));
            }
        };
        let instant = text
            .parse::<jiff::Timestamp>()
            .map_err(|e| format!("'{text}' is not a valid timestamp: {e}"))?;
        Ok(Self { instant, digits })
    }

    /// Parses what the store writes for dates: a STIX timestamp, any RFC 3339 timestamp with an
    /// offset, or a plain date `YYYY-MM-DD` (midnight UTC).
    ///
    /// # Errors
    /// A message naming the text.
    pub fn parse_lenient(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(stamp) = Self::parse(text) {
            return Ok(stamp);
        }
        if let Ok(instant) = text.parse::<jiff::Timestamp>() {
            return Ok(Self::from_jiff(instant));
        }
        if let Ok(date) = text.parse::<jiff::civil::Date>() {
            let instant = date
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|e| format!("'{text}': {e}"))?
                .timestamp();
            return Ok(Self::from_jiff(instant));
        }
        Err(format!("'{text}' is neither a timestamp nor a date (YYYY-MM-DD)"))
    }

    /// This instant plus some milliseconds, at millisecond precision.
    pub fn plus_millis(&self, millis: i64) -> Self {
        let instant = self
            .instant
            .checked_add(jiff::SignedDuration::from_millis(millis))
            .unwrap_or(self.instant);
        Self { instant, digits: self.digits.max(3) }
    }

    /// The UTC date, `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        self.instant.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // jiff writes exactly `precision` fractional digits and a trailing `Z`.
        write!(f, "{:.*}", usize::from(self.digits), self.instant)
    }
}

impl FromStr for Timestamp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.instant == other.instant
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.instant.cmp(&other.instant)
    }
}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.instant.hash(state);
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_precision_and_compares_instants() {
        for text in
            ["2026-11-20T09:00:00Z", "2026-11-20T09:00:00.000Z", "2026-11-20T09:00:00.123456Z"]
        {
            assert_eq!(Timestamp::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            Timestamp::parse("2026-11-20T09:00:00Z").unwrap(),
            Timestamp::parse("2026-11-20T09:00:00.000Z").unwrap()
        );
        assert_eq!(Timestamp::now().to_string().len(), "2026-11-20T09:00:00.000Z".len());
    }

    #[test]
    fn refuses_offsets_and_garbage() {
        for text in [
            "2026-11-20T09:00:00+01:00",
            "2026-11-20",
            "2026-11-20T09:00Z",
            "2026-11-20T09:00:00.Z",
            "2026-13-20T09:00:00Z",
            "Z",
            "",
            "2026-11-20T09:00:00.1234567890Z",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn lenient_reads_store_dates() {
        assert_eq!(
            Timestamp::parse_lenient("2022-03-23").unwrap().to_string(),
            "2022-03-23T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::parse_lenient("2022-03-23T10:00:00+02:00").unwrap().to_string(),
            "2022-03-23T08:00:00.000Z"
        );
    }
}
