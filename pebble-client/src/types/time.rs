//! RFC 3339 timestamps with nanosecond precision, as Pebble's Go `time.Time` JSON.
//!
//! Pebble writes times like `"2024-03-12T03:05:46.086111123Z"`: nanoseconds, trailing zero
//! digits trimmed, and possibly a non-`Z` offset. [`Timestamp`] keeps every nanosecond, so a
//! notice's `last-repeated` can be sent back as the `after` filter without re-delivering it
//! (Pebble compares strictly-after at nanosecond precision).
//!
//! # Example
//! ```
//! use pebble_client::Timestamp;
//! let t: Timestamp = "2024-03-12T03:05:46.086111123+02:00".parse()?;
//! assert_eq!(t.nanosecond(), 86_111_123);
//! assert_eq!(t.to_string(), "2024-03-12T03:05:46.086111123+02:00");
//! # Ok::<(), pebble_client::TimestampError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant as Pebble reports it: RFC 3339 with up to nanosecond precision and its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

/// A string that is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid RFC 3339 timestamp {input:?}: {reason}; expected e.g. \"2024-03-12T03:05:46.086111123Z\""
)]
pub struct TimestampError {
    /// The text that failed to parse.
    pub input: String,
    /// Why it failed.
    pub reason: String,
}

impl Timestamp {
    /// Wraps a [`time::OffsetDateTime`].
    pub fn new(t: OffsetDateTime) -> Self {
        Self(t)
    }

    /// The current time in UTC.
    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc())
    }

    /// The inner [`time::OffsetDateTime`].
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// The sub-second part, in nanoseconds.
    pub fn nanosecond(&self) -> u32 {
        self.0.nanosecond()
    }

    /// Parses RFC 3339 (fractional seconds and any offset accepted).
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(s, &Rfc3339)
            .map(Self)
            .map_err(|e| TimestampError {
                input: s.to_owned(),
                reason: e.to_string(),
            })
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        Self(t)
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Formats as RFC 3339 with all non-zero sub-second digits (Go's `RFC3339Nano`).
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(s) => f.write_str(&s),
            // Only years outside 0..=9999 or offsets with seconds cannot be written as RFC 3339;
            // fall back to the debug form rather than failing a log line.
            Err(_) => write!(f, "{:?}", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.0.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_nanoseconds_and_trims_zeros() {
        let t = Timestamp::parse("2024-03-12T03:05:46.086111123Z").unwrap();
        assert_eq!(t.nanosecond(), 86_111_123);
        assert_eq!(t.to_string(), "2024-03-12T03:05:46.086111123Z");
        let t = Timestamp::parse("2024-03-12T03:05:46.5Z").unwrap();
        assert_eq!(t.to_string(), "2024-03-12T03:05:46.5Z");
        let t = Timestamp::parse("2024-01-02T03:04:05Z").unwrap();
        assert_eq!(t.to_string(), "2024-01-02T03:04:05Z");
    }

    #[test]
    fn non_z_offsets() {
        let a = Timestamp::parse("2024-03-12T05:05:46.1+02:00").unwrap();
        let b = Timestamp::parse("2024-03-12T03:05:46.1Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "2024-03-12T05:05:46.1+02:00");
    }

    #[test]
    fn go_zero_time_and_json() {
        let t: Timestamp = serde_json::from_str("\"0001-01-01T00:00:00Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"0001-01-01T00:00:00Z\""
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let err = Timestamp::parse("yesterday").unwrap_err();
        assert!(err.to_string().contains("yesterday"));
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }
}
