//! Notices (`/v1/notices`): Pebble's aggregated events, including custom ones from workloads.
//!
//! A workload records `pebble notify example.com/ready`; Juju turns it into a
//! `<container>-pebble-custom-notice` hook. This module holds the notice types, the query for
//! `GET /v1/notices` and the request for `POST /v1/notices`, with Pebble's key and data rules
//! checked client-side so a bad key fails before any I/O.
//!
//! # Example
//! ```
//! use pebble_client::{AddNotice, NoticesQuery, NoticeType, validate_custom_key};
//! assert!(validate_custom_key("canonical.com/postgresql/backup-done").is_ok());
//! assert!(validate_custom_key("example.com").is_err());
//!
//! let q = NoticesQuery::new().types([NoticeType::Custom]).keys(["example.com/ready"]).all_users();
//! assert_eq!(q.to_query_string(), "types=custom&keys=example.com%2Fready&users=all");
//!
//! let add = AddNotice::new("example.com/ready").data("path", "/tmp/x");
//! add.validate()?;
//! # Ok::<(), pebble_client::NoticeError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::duration::GoDuration;
use super::string_enum::string_enum;
use super::time::Timestamp;

/// The longest custom notice key Pebble accepts, in bytes.
pub const MAX_NOTICE_KEY_BYTES: usize = 256;
/// The largest `data` Pebble accepts, in bytes of JSON.
pub const MAX_NOTICE_DATA_BYTES: usize = 4096;

/// The id of a notice (a decimal string chosen by Pebble).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NoticeId(pub String);

impl NoticeId {
    /// The id as Pebble spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NoticeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for NoticeId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

string_enum! {
    /// The type of a notice.
    pub enum NoticeType {
        /// Recorded by a client (`pebble notify`); the only type clients may add.
        Custom = "custom",
        /// A change changed status; the key is the change id.
        ChangeUpdate = "change-update",
        /// A warning; the key is the message.
        Warning = "warning",
    }
}

/// A notice, as `GET /v1/notices` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Notice {
    /// Its id.
    pub id: NoticeId,
    /// The user it belongs to; `None` (JSON `null`) for public notices.
    #[serde(default)]
    pub user_id: Option<u32>,
    /// Its type.
    #[serde(rename = "type")]
    pub notice_type: NoticeType,
    /// Its key (`example.com/path` for custom notices).
    pub key: String,
    /// First occurrence.
    pub first_occurred: Timestamp,
    /// Latest occurrence.
    pub last_occurred: Timestamp,
    /// Latest repeat (the time `after` filters on, strictly after, to the nanosecond).
    pub last_repeated: Timestamp,
    /// How many times it occurred.
    pub occurrences: u64,
    /// Data from the latest occurrence.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub last_data: BTreeMap<String, String>,
    /// Occurrences within this long of `last-repeated` do not repeat it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_after: Option<GoDuration>,
    /// It expires this long after `last-occurred`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<GoDuration>,
}

/// Whose notices `GET /v1/notices` returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NoticeUsers {
    /// The caller's and public ones (Pebble's default).
    #[default]
    Own,
    /// One user's and public ones (`user-id=`, admin only).
    UserId(u32),
    /// Every notice (`users=all`, admin only).
    All,
}

/// Filters for `GET /v1/notices`, including the long-poll `timeout`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct NoticesQuery {
    /// Only these types (empty: all).
    pub types: Vec<NoticeType>,
    /// Only these keys (empty: all).
    pub keys: Vec<String>,
    /// Only notices repeated strictly after this instant.
    pub after: Option<Timestamp>,
    /// Whose notices.
    pub users: NoticeUsers,
    /// Long poll: wait up to this long for a matching notice (an empty list when none came).
    pub timeout: Option<GoDuration>,
}

impl NoticesQuery {
    /// No filters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these types.
    pub fn types(mut self, types: impl IntoIterator<Item = NoticeType>) -> Self {
        self.types = types.into_iter().collect();
        self
    }

    /// Only these keys.
    pub fn keys<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Only notices repeated strictly after `t` (nanoseconds are kept).
    pub fn after(mut self, t: Timestamp) -> Self {
        self.after = Some(t);
        self
    }

    /// One user's notices plus public ones (admin only).
    pub fn user_id(mut self, uid: u32) -> Self {
        self.users = NoticeUsers::UserId(uid);
        self
    }

    /// Every user's notices (admin only).
    pub fn all_users(mut self) -> Self {
        self.users = NoticeUsers::All;
        self
    }

    /// Long-poll for up to `timeout`.
    pub fn timeout(mut self, timeout: impl Into<GoDuration>) -> Self {
        self.timeout = Some(timeout.into());
        self
    }

    /// The URL query string (without `?`), percent-encoded.
    pub fn to_query_string(&self) -> String {
        let mut q = QueryBuilder::default();
        if !self.types.is_empty() {
            let types: Vec<&str> = self.types.iter().map(NoticeType::as_str).collect();
            q.push("types", &types.join(","));
        }
        if !self.keys.is_empty() {
            q.push("keys", &self.keys.join(","));
        }
        if let Some(after) = &self.after {
            q.push("after", &after.to_string());
        }
        match self.users {
            NoticeUsers::Own => {}
            NoticeUsers::UserId(uid) => q.push("user-id", &uid.to_string()),
            NoticeUsers::All => q.push("users", "all"),
        }
        if let Some(t) = &self.timeout {
            q.push("timeout", &t.to_string());
        }
        q.finish()
    }
}

/// Builds `a=b&c=d` with percent-encoding of everything but unreserved characters.
#[derive(Debug, Default)]
pub(crate) struct QueryBuilder {
    out: String,
}

impl QueryBuilder {
    /// Appends one parameter.
    pub(crate) fn push(&mut self, key: &str, value: &str) {
        if !self.out.is_empty() {
            self.out.push('&');
        }
        percent_encode_into(&mut self.out, key);
        self.out.push('=');
        percent_encode_into(&mut self.out, value);
    }

    /// The query string.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// Percent-encodes `s` for a URL query component (RFC 3986 unreserved characters kept).
pub(crate) fn percent_encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// A custom notice to record (`POST /v1/notices`), the API form of `pebble notify`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct AddNotice {
    /// The key, `domain.tld/path`.
    pub key: String,
    /// Data attached to this occurrence.
    pub data: BTreeMap<String, String>,
    /// Do not repeat the notice (wake waiters) more often than this.
    pub repeat_after: Option<GoDuration>,
}

/// Another name for [`AddNotice`], matching ops' `notify` wording.
pub type NotifyOptions = AddNotice;

impl AddNotice {
    /// A notice with this key and no data.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            data: BTreeMap::new(),
            repeat_after: None,
        }
    }

    /// Adds one data entry.
    pub fn data(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.data.insert(name.into(), value.into());
        self
    }

    /// Sets `repeat-after`.
    pub fn repeat_after(mut self, d: impl Into<GoDuration>) -> Self {
        self.repeat_after = Some(d.into());
        self
    }

    /// Checks the key ([`validate_custom_key`]) and that the data is at most 4096 bytes of JSON,
    /// as Pebble will.
    pub fn validate(&self) -> Result<(), NoticeError> {
        validate_custom_key(&self.key)?;
        let size = serde_json::to_vec(&self.data).map_or(usize::MAX, |v| v.len());
        if size > MAX_NOTICE_DATA_BYTES {
            return Err(NoticeError::DataTooLarge { size });
        }
        Ok(())
    }

    /// The JSON body Pebble expects.
    pub fn to_body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({"action": "add", "type": "custom", "key": self.key});
        if let Some(r) = &self.repeat_after {
            body["repeat-after"] = serde_json::Value::String(r.to_string());
        }
        if !self.data.is_empty() {
            body["data"] = serde_json::json!(self.data);
        }
        body
    }
}

/// A custom notice Pebble would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoticeError {
    /// The key does not match `domain.tld/path`.
    #[error(
        "invalid notice key {key:?}: must be lowercase \"domain.tld/path\" (e.g. \"example.com/ready\"): {reason}"
    )]
    InvalidKey {
        /// The key.
        key: String,
        /// The first rule it breaks.
        reason: &'static str,
    },
    /// The key is longer than 256 bytes.
    #[error("notice key is {len} bytes; Pebble accepts 256 bytes or less: shorten it")]
    KeyTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The data is larger than 4096 bytes of JSON.
    #[error(
        "notice data is {size} bytes of JSON; Pebble accepts 4096 bytes or less: send less data"
    )]
    DataTooLarge {
        /// Its size as JSON.
        size: usize,
    },
}

/// Checks one `[a-z0-9]+(-[a-z0-9]+)*` label, returning the rest of the input after it.
fn label(s: &[u8]) -> Result<&[u8], &'static str> {
    let mut i = 0;
    loop {
        let start = i;
        while i < s.len() && (s[i].is_ascii_lowercase() || s[i].is_ascii_digit()) {
            i += 1;
        }
        if i == start {
            return Err(if start == 0 {
                "each part must start with a lowercase letter or digit"
            } else {
                "'-' must be followed by a lowercase letter or digit"
            });
        }
        if i < s.len() && s[i] == b'-' {
            i += 1;
            continue;
        }
        return Ok(&s[i..]);
    }
}

/// Checks a custom notice key exactly as Pebble does: first against
/// `^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+(/[a-z0-9]+(-[a-z0-9]+)*)+$`, then the
/// 256-byte limit.
pub fn validate_custom_key(key: &str) -> Result<(), NoticeError> {
    let invalid = |reason| NoticeError::InvalidKey {
        key: key.to_owned(),
        reason,
    };
    let mut rest = label(key.as_bytes()).map_err(invalid)?;
    let mut dots = 0;
    while let Some((&b'.', after)) = rest.split_first() {
        rest = label(after).map_err(invalid)?;
        dots += 1;
    }
    if dots == 0 {
        return Err(invalid("the domain needs at least one '.'"));
    }
    let mut segments = 0;
    while let Some((&b'/', after)) = rest.split_first() {
        rest = label(after).map_err(invalid)?;
        segments += 1;
    }
    if !rest.is_empty() {
        return Err(invalid(
            "only lowercase letters, digits, '-', '.' (domain) and '/' (path) are allowed",
        ));
    }
    if segments == 0 {
        return Err(invalid("a '/path' after the domain is required"));
    }
    if key.len() > MAX_NOTICE_KEY_BYTES {
        return Err(NoticeError::KeyTooLong { len: key.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_table() {
        for good in [
            "example.com/foo",
            "canonical.com/postgresql/backup-done",
            "a.b/c",
            "my-app.io/x/y-z",
            "0.1/2",
        ] {
            assert_eq!(validate_custom_key(good), Ok(()), "{good}");
        }
        for bad in [
            "example.com",
            "foo/bar",
            "Example.com/x",
            "example.com/foo_bar",
            "example.com/",
            "-a.com/x",
            "a.com/x-",
            "a.com//x",
            "",
            "a..b/c",
            "a.b/c/",
            ".a.b/c",
            "a-.b/c",
            "a.b/c--d",
            "a.b/c d",
        ] {
            assert!(
                matches!(
                    validate_custom_key(bad),
                    Err(NoticeError::InvalidKey { .. })
                ),
                "{bad:?} should be invalid"
            );
        }
    }

    #[test]
    fn regex_before_length() {
        let long_valid = format!("example.com/{}", "a".repeat(250));
        assert_eq!(
            validate_custom_key(&long_valid),
            Err(NoticeError::KeyTooLong { len: 262 })
        );
        let long_invalid = format!("example.com/{}", "A".repeat(250));
        assert!(matches!(
            validate_custom_key(&long_invalid),
            Err(NoticeError::InvalidKey { .. })
        ));
        let exactly = format!("example.com/{}", "a".repeat(244));
        assert_eq!(validate_custom_key(&exactly), Ok(()));
    }

    #[test]
    fn data_limit() {
        let ok = AddNotice::new("a.b/c").data("k", "v".repeat(4000));
        assert!(ok.validate().is_ok());
        let big = AddNotice::new("a.b/c").data("k", "v".repeat(4090));
        assert!(matches!(
            big.validate(),
            Err(NoticeError::DataTooLarge { .. })
        ));
    }

    #[test]
    fn body_shape() {
        let n = AddNotice::new("example.com/foo")
            .data("name", "value")
            .repeat_after(GoDuration::from_secs(3600));
        assert_eq!(
            n.to_body(),
            serde_json::json!({"action":"add","type":"custom","key":"example.com/foo",
                "repeat-after":"1h0m0s","data":{"name":"value"}})
        );
        let bare = AddNotice::new("example.com/foo").to_body();
        assert!(bare.get("data").is_none() && bare.get("repeat-after").is_none());
    }

    #[test]
    fn notice_round_trip() {
        let json = r#"{"id":"7","user-id":null,"type":"custom","key":"example.com/foo","first-occurred":"2024-03-12T03:05:46.086111123Z","last-occurred":"2024-03-12T03:05:47Z","last-repeated":"2024-03-12T03:05:46.086111123Z","occurrences":3,"last-data":{"k":"v"},"repeat-after":"1h0m0s","expire-after":"168h0m0s"}"#;
        let n: Notice = serde_json::from_str(json).unwrap();
        assert_eq!(n.user_id, None);
        assert_eq!(n.expire_after, Some(GoDuration::from_secs(168 * 3600)));
        assert_eq!(serde_json::to_string(&n).unwrap(), json);
        let w: Notice = serde_json::from_str(
            &json
                .replace("\"custom\"", "\"bell\"")
                .replace("null", "1000"),
        )
        .unwrap();
        assert_eq!(w.notice_type, NoticeType::Unknown("bell".into()));
        assert_eq!(w.user_id, Some(1000));
    }

    #[test]
    fn query_string_keeps_nanoseconds() {
        let t = Timestamp::parse("2024-03-12T03:05:46.086111123Z").unwrap();
        let q = NoticesQuery::new()
            .types([NoticeType::Custom, NoticeType::ChangeUpdate])
            .after(t)
            .user_id(1000)
            .timeout(GoDuration::from_secs(30));
        assert_eq!(
            q.to_query_string(),
            "types=custom%2Cchange-update&after=2024-03-12T03%3A05%3A46.086111123Z&user-id=1000&timeout=30s"
        );
        assert_eq!(NoticesQuery::new().to_query_string(), "");
    }
}
