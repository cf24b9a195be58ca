//! Go duration strings (`"300ms"`, `"1.5h"`, `"1h0m0s"`), parsed and formatted as Go does.
//!
//! Pebble parses every duration with Go's `time.ParseDuration` and writes them with
//! `Duration.String()`. [`GoDuration`] does both, exactly: it accepts a sign (`"-1.5s"` is a
//! valid Go duration, so it is accepted and kept negative), fractions on any unit, several
//! units in a row (`"1h30m"`), the units `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`, and the bare
//! `"0"`; it rejects anything Go rejects (empty string, missing or unknown unit, overflow).
//! Values are whole nanoseconds in an `i64`, like Go's.
//!
//! # Example
//! ```
//! use pebble_client::GoDuration;
//! let d: GoDuration = "1.5h".parse()?;
//! assert_eq!(d.to_string(), "1h30m0s");
//! assert_eq!(GoDuration::from_millis(500).to_string(), "500ms");
//! assert_eq!(d.to_std(), Some(std::time::Duration::from_secs(5400)));
//! # Ok::<(), pebble_client::DurationError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const NANOSECOND: u128 = 1;
const MICROSECOND: u128 = 1_000 * NANOSECOND;
const MILLISECOND: u128 = 1_000 * MICROSECOND;
const SECOND: u128 = 1_000 * MILLISECOND;
const MINUTE: u128 = 60 * SECOND;
const HOUR: u128 = 60 * MINUTE;

/// A Go `time.Duration`: signed whole nanoseconds, written the way Go writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GoDuration(i64);

/// A string that Go's `time.ParseDuration` would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {input:?}: {reason}; expected a Go duration such as \"300ms\", \"1.5s\" or \"1h0m0s\""
)]
pub struct DurationError {
    /// The text that failed to parse.
    pub input: String,
    /// Why it failed.
    pub reason: &'static str,
}

impl GoDuration {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// From signed nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// From milliseconds (saturating at Go's range).
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms.saturating_mul(1_000_000))
    }

    /// From whole seconds (saturating at Go's range).
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs.saturating_mul(1_000_000_000))
    }

    /// From a [`std::time::Duration`], saturating at about 292 years.
    pub fn from_std(d: Duration) -> Self {
        Self(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    /// Signed nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whether this is negative.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// As a [`std::time::Duration`], or `None` when negative.
    pub fn to_std(self) -> Option<Duration> {
        u64::try_from(self.0).ok().map(Duration::from_nanos)
    }

    /// Parses like Go's `time.ParseDuration`.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let err = |reason| DurationError {
            input: input.to_owned(),
            reason,
        };
        let mut s = input.as_bytes();
        let mut negative = false;
        if let Some((&c, rest)) = s.split_first()
            && (c == b'-' || c == b'+')
        {
            negative = c == b'-';
            s = rest;
        }
        if s == b"0" {
            return Ok(Self(0));
        }
        if s.is_empty() {
            return Err(err("empty duration"));
        }
        let mut total: u128 = 0;
        while !s.is_empty() {
            if !(s[0] == b'.' || s[0].is_ascii_digit()) {
                return Err(err("expected a number"));
            }
            let int_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
            let mut int_part: u128 = 0;
            for &c in &s[..int_len] {
                int_part = int_part * 10 + u128::from(c - b'0');
                if int_part > 1 << 63 {
                    return Err(err("number too large"));
                }
            }
            s = &s[int_len..];
            let mut frac: u128 = 0;
            let mut scale: u128 = 1;
            let mut frac_len = 0;
            if let Some((&b'.', rest)) = s.split_first() {
                s = rest;
                frac_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
                // Digits beyond nanosecond precision of an hour cannot matter; Go drops them too.
                for &c in s[..frac_len].iter().take(24) {
                    frac = frac * 10 + u128::from(c - b'0');
                    scale *= 10;
                }
                s = &s[frac_len..];
            }
            if int_len == 0 && frac_len == 0 {
                return Err(err("expected digits around '.'"));
            }
            let unit_len = s
                .iter()
                .take_while(|&&c| c != b'.' && !c.is_ascii_digit())
                .count();
            if unit_len == 0 {
                return Err(err("missing unit"));
            }
            let unit = match &s[..unit_len] {
                b"ns" => NANOSECOND,
                // "µs" (U+00B5) and "μs" (U+03BC) in UTF-8.
                b"us" | b"\xC2\xB5s" | b"\xCE\xBCs" => MICROSECOND,
                b"ms" => MILLISECOND,
                b"s" => SECOND,
                b"m" => MINUTE,
                b"h" => HOUR,
                _ => return Err(err("unknown unit")),
            };
            s = &s[unit_len..];
            total += int_part * unit + frac * unit / scale;
            if total > 1 << 63 {
                return Err(err("duration out of range (about ±292 years)"));
            }
        }
        if negative {
            // 1 << 63 fits only as i64::MIN.
            let magnitude = i128::try_from(total).map_err(|_| err("duration out of range"))?;
            i64::try_from(-magnitude)
                .map(Self)
                .map_err(|_| err("duration out of range"))
        } else {
            i64::try_from(total)
                .map(Self)
                .map_err(|_| err("duration out of range (about ±292 years)"))
        }
    }
}

/// Appends `v / 10^prec` with its fraction, trailing zeros (and a lone '.') dropped.
fn write_frac(out: &mut String, v: u128, prec: u32) -> u128 {
    let div = 10u128.pow(prec);
    let (whole, mut frac) = (v / div, v % div);
    if frac != 0 {
        let mut digits = prec as usize;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        out.push_str(&format!(".{frac:0digits$}"));
        return whole;
    }
    whole
}

/// Writes exactly what Go's `Duration.String()` writes: `"0s"`, `"1.5µs"`, `"500ms"`,
/// `"1.5s"`, `"1m30s"`, `"1h0m0s"`.
impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let u = u128::from(self.0.unsigned_abs());
        let sign = if self.0 < 0 { "-" } else { "" };
        if u < SECOND {
            let (prec, unit) = if u < MICROSECOND {
                return write!(f, "{sign}{u}ns");
            } else if u < MILLISECOND {
                (3, "µs")
            } else {
                (6, "ms")
            };
            let mut frac = String::new();
            let whole = write_frac(&mut frac, u, prec);
            return write!(f, "{sign}{whole}{frac}{unit}");
        }
        let mut frac = String::new();
        let secs = write_frac(&mut frac, u, 9);
        let (mins, secs) = (secs / 60, secs % 60);
        let (hours, mins) = (mins / 60, mins % 60);
        if hours > 0 {
            write!(f, "{sign}{hours}h{mins}m{secs}{frac}s")
        } else if mins > 0 {
            write!(f, "{sign}{mins}m{secs}{frac}s")
        } else {
            write!(f, "{sign}{secs}{frac}s")
        }
    }
}

impl FromStr for GoDuration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Duration> for GoDuration {
    fn from(d: Duration) -> Self {
        Self::from_std(d)
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> i64 {
        GoDuration::parse(s).unwrap().as_nanos()
    }

    #[test]
    fn parses_go_forms() {
        assert_eq!(p("300ms"), 300_000_000);
        assert_eq!(p("1.5h"), 5_400_000_000_000);
        assert_eq!(p("4.000s"), 4_000_000_000);
        assert_eq!(p("168h0m0s"), 168 * 3_600_000_000_000);
        assert_eq!(p("1h0m0s"), 3_600_000_000_000);
        assert_eq!(p("-1.5s"), -1_500_000_000);
        assert_eq!(p("+2s"), 2_000_000_000);
        assert_eq!(p("0"), 0);
        assert_eq!(p("-0"), 0);
        assert_eq!(p("0s"), 0);
        assert_eq!(p(".5s"), 500_000_000);
        assert_eq!(p("1.s"), 1_000_000_000);
        assert_eq!(p("1h30m"), 5_400_000_000_000);
        assert_eq!(p("2us"), 2_000);
        assert_eq!(p("2µs"), 2_000);
        assert_eq!(p("2μs"), 2_000);
        assert_eq!(p("7ns"), 7);
        assert_eq!(p("2562047h47m16.854775807s"), i64::MAX);
        assert_eq!(p("-2562047h47m16.854775808s"), i64::MIN);
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "",
            "-",
            "s",
            "1",
            "1x",
            ".s",
            "1.5",
            "10 s",
            "2562047h47m16.854775808s",
            "1s-",
            "3000000h",
        ] {
            assert!(GoDuration::parse(bad).is_err(), "{bad:?} should fail");
        }
        let e = GoDuration::parse("5 minutes").unwrap_err();
        assert!(e.to_string().contains("5 minutes"));
    }

    #[test]
    fn formats_like_go() {
        let f = |n: i64| GoDuration::from_nanos(n).to_string();
        assert_eq!(f(0), "0s");
        assert_eq!(f(1), "1ns");
        assert_eq!(f(1_500), "1.5µs");
        assert_eq!(f(500_000_000), "500ms");
        assert_eq!(f(1_500_000_000), "1.5s");
        assert_eq!(f(30_000_000_000), "30s");
        assert_eq!(f(90_000_000_000), "1m30s");
        assert_eq!(f(3_600_000_000_000), "1h0m0s");
        assert_eq!(f(168 * 3_600_000_000_000), "168h0m0s");
        assert_eq!(f(-1_500_000_000), "-1.5s");
        assert_eq!(f(4_000_000_001), "4.000000001s");
        assert_eq!(f(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn round_trips_through_serde() {
        for s in ["1h0m0s", "1.5s", "500ms", "-1.5s", "0s", "2m3.25s"] {
            let d: GoDuration = serde_json::from_str(&format!("\"{s}\"")).unwrap();
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{s}\""));
        }
        assert!(serde_json::from_str::<GoDuration>("5").is_err());
    }

    #[test]
    fn std_conversions() {
        assert_eq!(
            GoDuration::from_std(Duration::from_millis(250)).to_string(),
            "250ms"
        );
        assert_eq!(GoDuration::from_nanos(-1).to_std(), None);
        assert_eq!(GoDuration::from_std(Duration::MAX).as_nanos(), i64::MAX);
    }
}
