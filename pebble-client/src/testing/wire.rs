//! Small wire-format helpers the simulator needs: query strings and the sim's clock.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;

use crate::types::{GoDuration, Timestamp};

/// Query-string parameters in request order, percent-decoded.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (`a=1&b=x%20y`).
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect();
        Query { pairs }
    }

    /// The first value of `key`, or "" when absent (Go's `Query().Get`).
    pub(crate) fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Whether `key` appears at all.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// Every value of `key`, in order.
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Repeated and/or comma-separated values of `key`, empty entries dropped
    /// (Pebble's `strutil.MultiCommaSeparatedList`).
    pub(crate) fn list(&self, key: &str) -> Vec<String> {
        self.all(key)
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The simulator's clock: wall-clock time plus an offset a test can advance,
/// never going backwards and never returning the same instant twice.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    inner: Mutex<ClockInner>,
}

#[derive(Debug, Default)]
struct ClockInner {
    offset: Duration,
    last: Option<OffsetDateTime>,
}

impl Clock {
    /// The current simulated time (UTC), strictly later than any earlier call.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut now = OffsetDateTime::now_utc() + inner.offset;
        if let Some(last) = inner.last
            && now <= last
        {
            now = last + Duration::from_nanos(1);
        }
        inner.last = Some(now);
        now
    }

    /// Moves the simulated clock forward by `by`.
    pub(crate) fn advance(&self, by: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.offset += by;
    }
}

/// Formats a time as Go's `time.RFC3339Nano` does.
pub(crate) fn format_time(t: OffsetDateTime) -> String {
    Timestamp::new(t).to_string()
}

/// Parses a Go duration string; the error is worded as Go's `time.ParseDuration`'s.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    GoDuration::parse(s)
        .ok()
        .and_then(GoDuration::to_std)
        .ok_or_else(|| format!("time: invalid duration {s:?}"))
}

/// Formats a duration as Go's `Duration.String()`.
pub(crate) fn format_duration(d: Duration) -> String {
    GoDuration::from_std(d).to_string()
}

/// A string map as Pebble's notice data and change data use.
pub(crate) type StringMap = BTreeMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_lists_merge_repeats_and_commas() {
        let q = Query::parse(Some("names=a,b&names=c&x=%2Fetc%2Ffoo&flag"));
        assert_eq!(q.list("names"), vec!["a", "b", "c"]);
        assert_eq!(q.get("x"), "/etc/foo");
        assert!(q.has("flag"));
        assert_eq!(q.get("missing"), "");
    }

    #[test]
    fn times_format_like_go() {
        let t = Timestamp::parse("2024-03-12T03:05:46.086111120Z").unwrap();
        let t = t.as_offset_date_time();
        assert_eq!(format_time(t), "2024-03-12T03:05:46.08611112Z");
        assert_eq!(parse_duration("4.000s"), Ok(Duration::from_secs(4)));
        assert_eq!(
            parse_duration("x"),
            Err("time: invalid duration \"x\"".into())
        );
    }

    #[test]
    fn clock_is_strictly_monotonic() {
        let c = Clock::default();
        let a = c.now();
        let b = c.now();
        assert!(b > a);
        c.advance(Duration::from_secs(3600));
        assert!(c.now() - b >= time::Duration::hours(1));
    }
}
