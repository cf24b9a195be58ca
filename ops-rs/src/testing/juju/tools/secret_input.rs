//! Parsing secret input as Juju does: `key=value`, `key#base64=...`, `key#file=path`,
//! `--file` YAML, expiry (RFC 3339 or a Go duration) and rotation policies.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::super::error::ToolError;
use super::super::state::SecretContent;
use super::parse_settings;
use crate::hookcmds::limits::{MAX_SECRET_CONTENT_LEN, MAX_SECRET_VALUE_LEN};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional); `None` if malformed.
pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// Juju's secret key rule: `^[a-z](-?[a-z0-9]){2,}$`.
fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_lowercase()) {
        return false;
    }
    let rest: Vec<char> = chars.collect();
    let mut groups = 0;
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == '-' {
            i += 1;
        }
        match rest.get(i) {
            Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() => groups += 1,
            _ => return false,
        }
        i += 1;
    }
    groups >= 2
}

/// Juju's `encodeBase64`: each value base64-encoded (unless its key ends in `#base64`, then
/// taken as given), each key checked, each encoded value and their sum checked against the
/// limits; then decoded back into the content the simulator keeps. Keys in order (Juju's map
/// order is random, so which of several errors it reports varies).
fn encode_checked(
    content: &mut SecretContent,
    data: std::collections::BTreeMap<String, String>,
) -> Result<(), ToolError> {
    let mut total = 0;
    for (key, value) in data {
        let (key, encoded, plain) = match key.strip_suffix("#base64") {
            Some(k) => {
                let decoded = b64_decode(&value).ok_or_else(|| {
                    ToolError::usage(format!("base64 value for key {k:?} not valid"))
                })?;
                (
                    k.to_owned(),
                    value,
                    String::from_utf8_lossy(&decoded).into_owned(),
                )
            }
            None => (key, b64_encode(value.as_bytes()), value),
        };
        if !valid_key(&key) {
            return Err(ToolError::usage(format!("key {key:?} not valid")));
        }
        if encoded.len() > MAX_SECRET_VALUE_LEN {
            return Err(ToolError::usage(format!(
                "base64 encoded secret content for key {key:?} too large: {} bytes",
                encoded.len()
            )));
        }
        total += encoded.len();
        content.insert(key, plain);
    }
    if total > MAX_SECRET_CONTENT_LEN {
        return Err(ToolError::usage(format!(
            "base64 encoded secret content too large: {total} bytes"
        )));
    }
    Ok(())
}

/// Reads a `key#file=path` value, refusing a file over the limit before reading it.
fn read_value_file(key: &str, path: &str) -> Result<String, ToolError> {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > MAX_SECRET_VALUE_LEN as u64
    {
        return Err(ToolError::usage(format!(
            "secret content in file {path:?} too large: {} bytes",
            meta.len()
        )));
    }
    let data = std::fs::read(path)
        .map_err(|e| ToolError::usage(format!("reading content for secret key {key:?}: {e}")))?;
    Ok(String::from_utf8_lossy(&data).into_owned())
}

/// Content from `key=value` arguments and an optional `--file` (YAML), as secret-add reads it
/// (Juju's `CreateSecretData` and `ReadSecretData`: each checked on its own, the file's keys
/// then replacing the arguments').
pub(crate) fn content(
    args: &[String],
    file: Option<(&str, &[u8])>,
) -> Result<SecretContent, ToolError> {
    let mut content = SecretContent::default();
    let mut from_args = std::collections::BTreeMap::new();
    for arg in args {
        // Juju looks for `=` once trailing base64 padding is set aside.
        let stripped = arg.trim_end_matches('=');
        let (key, value) = match stripped.find('=') {
            Some(i) if i >= 1 => (&arg[..i], &arg[i + 1..]),
            _ => return Err(ToolError::usage(format!("key value {arg:?} not valid"))),
        };
        let (key, value) = match key.strip_suffix("#file") {
            Some(k) => (k, read_value_file(k, value)?),
            None => (key, value.to_owned()),
        };
        from_args.insert(key.to_owned(), value);
    }
    encode_checked(&mut content, from_args)?;
    if let Some((path, data)) = file {
        if data.len() > MAX_SECRET_CONTENT_LEN {
            return Err(ToolError::usage(format!(
                "secret content in file {path:?} too large: {} bytes",
                data.len()
            )));
        }
        let settings = parse_settings(data).map_err(|e| ToolError::usage(e.to_string()))?;
        encode_checked(&mut content, settings)?;
    }
    Ok(content)
}

/// Go's `time.ParseDuration`, in seconds.
fn go_duration(spec: &str) -> Option<f64> {
    let mut rest = spec;
    let mut total = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// An expiry as RFC 3339 (UTC), from RFC 3339, `YYYY-MM-DDTHH:MM:SS` or a duration from now.
pub(crate) fn expire(spec: &str) -> Result<String, ToolError> {
    let invalid = || ToolError::usage(format!("expire time or duration {spec:?} not valid"));
    let when = if let Ok(t) = OffsetDateTime::parse(spec, &Rfc3339) {
        t
    } else if let Ok(t) = OffsetDateTime::parse(&format!("{spec}Z"), &Rfc3339) {
        t
    } else {
        let secs = go_duration(spec).ok_or_else(invalid)?;
        if secs <= 0.0 {
            return Err(ToolError::usage(format!(
                "negative expire duration {spec:?} not valid"
            )));
        }
        OffsetDateTime::now_utc() + time::Duration::seconds_f64(secs)
    };
    let when = when
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(when);
    when.format(&Rfc3339).map_err(|_| invalid())
}

/// Checks a rotation policy.
pub(crate) fn rotate(policy: &str) -> Result<String, ToolError> {
    match policy {
        "never" | "hourly" | "daily" | "weekly" | "monthly" | "quarterly" | "yearly" => {
            Ok(policy.to_owned())
        }
        _ => Err(ToolError::usage(format!(
            "rotate policy {policy:?} not valid"
        ))),
    }
}

/// A fresh 20-character secret xid (base32hex, like Juju's), derived from `seed` and `seq`.
pub(crate) fn new_xid(seed: &str, seq: u64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut x = h ^ seq.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut next = || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let (a, b) = (next(), next());
    (0..20)
        .map(|i| {
            let word = if i < 12 {
                a >> (i * 5)
            } else {
                b >> ((i - 12) * 5)
            };
            char::from(ALPHABET[(word & 31) as usize])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in ["", "a", "ab", "abc", "hello world!"] {
            assert_eq!(b64_decode(&b64_encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(b64_encode(b"s3cret"), "czNjcmV0");
        assert_eq!(b64_decode("AA==").unwrap(), [0]);
        assert!(b64_decode("!!").is_none());
    }

    #[test]
    fn keys() {
        for ok in ["abc", "a-bc", "token", "a1b", "my-key-2"] {
            assert!(valid_key(ok), "{ok}");
        }
        for bad in ["ab", "Abc", "1ab", "a--b", "ab-", "a_b", ""] {
            assert!(!valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn content_is_checked_as_juju_checks_it() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let c = content(&args(&["pass=x==", "tok#base64=czNjcmV0"]), None).unwrap();
        assert_eq!(c["pass"], "x==");
        assert_eq!(c["tok"], "s3cret");
        for (arg, want) in [
            ("ab=x", "key \"ab\" not valid"),
            ("a-b=x", "key \"a-b\" not valid"),
            ("=x", "key value \"=x\" not valid"),
            ("abc==", "key value \"abc==\" not valid"),
        ] {
            let e = content(&args(&[arg]), None).unwrap_err();
            assert_eq!(e, ToolError::usage(want), "{arg}");
        }
        // 750,000 bytes are 1,000,000 as base64: the most one value may be.
        let most = format!("abc={}", "x".repeat(750_000));
        content(&args(&[&most]), None).unwrap();
        let over = format!("abc={}", "x".repeat(750_001));
        assert_eq!(
            content(&args(&[&over]), None).unwrap_err(),
            ToolError::usage(
                "base64 encoded secret content for key \"abc\" too large: 1000004 bytes"
            )
        );
        let half = "x".repeat(400_000);
        let two = args(&[&format!("abc={half}"), &format!("def={half}")]);
        assert_eq!(
            content(&two, None).unwrap_err(),
            ToolError::usage("base64 encoded secret content too large: 1066672 bytes")
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        std::fs::write(&file, vec![b'x'; 1_000_001]).unwrap();
        let e = content(&args(&[&format!("abc#file={}", file.display())]), None).unwrap_err();
        assert_eq!(
            e,
            ToolError::usage(format!(
                "secret content in file {:?} too large: 1000001 bytes",
                file.display().to_string()
            ))
        );
    }

    #[test]
    fn expiry_forms() {
        assert_eq!(
            expire("2025-01-01T06:06:06Z").unwrap(),
            "2025-01-01T06:06:06Z"
        );
        assert_eq!(
            expire("2025-01-01T06:06:06").unwrap(),
            "2025-01-01T06:06:06Z"
        );
        assert!(expire("24h").unwrap().ends_with('Z'));
        assert!(expire("1h30m").is_ok());
        assert!(expire("tomorrow").is_err());
        assert!(expire("-1h").is_err());
    }

    #[test]
    fn xids_are_distinct_and_shaped() {
        let a = new_xid("m", 1);
        assert_eq!(a.len(), 20);
        assert_ne!(a, new_xid("m", 2));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='v').contains(&c))
        );
    }
}
