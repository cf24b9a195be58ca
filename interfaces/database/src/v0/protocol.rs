//! The v0 wire protocol as data: databag keys, secret groups, secret labels, and the JSON
//! text the Python library writes.
//!
//! Every name here is what `data_platform_libs/v0/data_interfaces.py` reads or writes; the
//! rest of the crate uses these constants and never spells a key itself.

use std::collections::BTreeMap;

/// Requirer → provider: the database (or `prefix*`) requested.
pub const DATABASE: &str = "database";
/// Requirer → provider: extra roles for the relation user (e.g. `CREATEDB,CREATEROLE`).
pub const EXTRA_USER_ROLES: &str = "extra-user-roles";
/// Requirer → provider: extra roles for a requested group entity.
pub const EXTRA_GROUP_ROLES: &str = "extra-group-roles";
/// Requirer → provider: `USER` or `GROUP`, to request a custom entity instead of a user.
pub const ENTITY_TYPE: &str = "entity-type";
/// Requirer → provider: the entity's permissions, a JSON list.
pub const ENTITY_PERMISSIONS: &str = "entity-permissions";
/// Requirer → provider: `"true"` when a subordinate provider should listen beyond its host.
pub const EXTERNAL_NODE_CONNECTIVITY: &str = "external-node-connectivity";
/// Requirer → provider: the fields the provider must send in Juju secrets, a JSON list.
pub const REQUESTED_SECRETS: &str = "requested-secrets";
/// Requirer → provider: the fields the requirer sends in Juju secrets, a JSON list.
pub const PROVIDED_SECRETS: &str = "provided-secrets";

/// Provider → requirer: read/write endpoints, comma separated `host:port`.
pub const ENDPOINTS: &str = "endpoints";
/// Provider → requirer: read-only endpoints, comma separated `host:port`.
pub const READ_ONLY_ENDPOINTS: &str = "read-only-endpoints";
/// Provider → requirer: the database engine's version.
pub const VERSION: &str = "version";
/// Provider → requirer: MongoDB's replica set.
pub const REPLSET: &str = "replset";
/// Provider → requirer: databases matching a requested prefix, comma separated.
pub const PREFIX_DATABASES: &str = "prefix-databases";
/// Provider → requirer: `"true"` when the provider is a subordinate whose units say `state`.
pub const SUBORDINATED: &str = "subordinated";
/// Provider unit → requirer: `ready` when a subordinate provider unit serves.
pub const STATE: &str = "state";
/// Provider → requirer: raised relation statuses, a JSON list of `{code, message, resolution}`.
pub const STATUS: &str = "status";
/// Provider → requirer: a field name written only when the relation is cross-model.
pub const ENCRYPTION_SECRET: &str = "encryption-secret";

/// Credentials and TLS fields: in a secret when requested so, else plain in the databag.
pub const USERNAME: &str = "username";
/// See [`USERNAME`].
pub const PASSWORD: &str = "password";
/// See [`USERNAME`].
pub const URIS: &str = "uris";
/// See [`USERNAME`].
pub const READ_ONLY_URIS: &str = "read-only-uris";
/// See [`USERNAME`].
pub const TLS: &str = "tls";
/// See [`USERNAME`].
pub const TLS_CA: &str = "tls-ca";
/// See [`USERNAME`].
pub const ENTITY_NAME: &str = "entity-name";
/// See [`USERNAME`].
pub const ENTITY_PASSWORD: &str = "entity-password";

/// Where each side keeps its last view of the other side's application bag (a JSON object):
/// the requirer in its unit bag, the provider in its application bag.
pub const SNAPSHOT: &str = "data";

/// The fields a requirer asks to receive in secrets (Python's `RequirerData.SECRET_FIELDS`),
/// in the order it writes them.
pub const DEFAULT_REQUESTED_SECRETS: [&str; 8] = [
    USERNAME,
    PASSWORD,
    TLS,
    TLS_CA,
    URIS,
    READ_ONLY_URIS,
    ENTITY_NAME,
    ENTITY_PASSWORD,
];

/// The requirer-side secret field of the Kafka variant, announced by every requirer.
pub const MTLS_CERT: &str = "mtls-cert";

/// The prefix of the databag fields holding a secret's URI (`secret-user`, ...).
pub const SECRET_FIELD_PREFIX: &str = "secret-";

/// A group of fields kept in one Juju secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretGroup {
    /// `username`, `password`, `uris`, `read-only-uris`.
    User,
    /// `tls`, `tls-ca`.
    Tls,
    /// `mtls-cert` (Kafka's requirer side).
    Mtls,
    /// `entity-name`, `entity-password`.
    Entity,
    /// Any other requested field.
    Extra,
}

impl SecretGroup {
    /// Every group, in the order Python's `SECRET_GROUPS.groups()` lists them.
    pub const ALL: [SecretGroup; 5] = [
        SecretGroup::User,
        SecretGroup::Tls,
        SecretGroup::Mtls,
        SecretGroup::Entity,
        SecretGroup::Extra,
    ];

    /// The group's name on the wire (`user`, `tls`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SecretGroup::User => "user",
            SecretGroup::Tls => "tls",
            SecretGroup::Mtls => "mtls",
            SecretGroup::Entity => "entity",
            SecretGroup::Extra => "extra",
        }
    }

    /// The group of `field`: its fixed group, or [`SecretGroup::Extra`].
    pub fn of(field: &str) -> SecretGroup {
        match field {
            USERNAME | PASSWORD | URIS | READ_ONLY_URIS => SecretGroup::User,
            TLS | TLS_CA => SecretGroup::Tls,
            MTLS_CERT => SecretGroup::Mtls,
            ENTITY_NAME | ENTITY_PASSWORD => SecretGroup::Entity,
            _ => SecretGroup::Extra,
        }
    }

    /// The databag field that holds this group's secret URI: `secret-<group>`.
    pub fn field(self) -> String {
        format!("{SECRET_FIELD_PREFIX}{}", self.as_str())
    }

    /// The label both sides give this group's secret on relation `endpoint:id`:
    /// `<endpoint>.<id>.<group>.secret`.
    pub fn label(self, endpoint: &str, relation_id: u32) -> String {
        format!("{endpoint}.{relation_id}.{}.secret", self.as_str())
    }

    /// The group named `name`, if it is one.
    pub fn from_name(name: &str) -> Option<SecretGroup> {
        SecretGroup::ALL.into_iter().find(|g| g.as_str() == name)
    }

    /// The endpoint, relation id and group a label names, if it is one of these labels.
    pub fn parse_label(label: &str) -> Option<(&str, u32, SecretGroup)> {
        let rest = label.strip_suffix(".secret")?;
        let (rest, group) = rest.rsplit_once('.')?;
        let (endpoint, id) = rest.rsplit_once('.')?;
        Some((endpoint, id.parse().ok()?, SecretGroup::from_name(group)?))
    }
}

/// `json.dumps(value)` as Python writes it (`", "` and `": "` separators, non-ASCII escaped),
/// so a value this crate writes is byte-for-byte what the Python library writes, and
/// rewriting one written by the Python library changes nothing (Juju then fires no event).
pub fn py_json_list<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<String> = items.iter().map(|s| py_json_str(s.as_ref())).collect();
    format!("[{}]", parts.join(", "))
}

/// `json.dumps(dict)` of a string map, as Python writes it (keys in the map's order).
pub fn py_json_map(map: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{}: {}", py_json_str(k), py_json_str(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// A JSON string literal as Python's `json.dumps` writes it (`ensure_ascii=True`).
pub fn py_json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses a JSON list of strings, as the Python library's `get_encoded_list` reads one.
///
/// # Errors
///
/// A description of what is wrong (never the value itself, which may be anything).
pub fn parse_string_list(text: &str) -> Result<Vec<String>, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                other => Err(format!(
                    "a list item is {} instead of a string",
                    json_kind(&other)
                )),
            })
            .collect(),
        Ok(other) => Err(format!("it is {} instead of a list", json_kind(&other))),
        Err(e) => Err(format!("it is not JSON ({e})")),
    }
}

/// Parses a JSON object of strings (a snapshot written by either side), as the Python
/// library's `get_encoded_dict` reads one; values that are not strings are kept as their
/// JSON text.
///
/// # Errors
///
/// A description of what is wrong.
pub fn parse_string_map(text: &str) -> Result<BTreeMap<String, String>, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()),
        Ok(other) => Err(format!("it is {} instead of an object", json_kind(&other))),
        Err(e) => Err(format!("it is not JSON ({e})")),
    }
}

/// The JSON type of `v`, for messages.
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_maps_are_written_as_python_json_dumps_writes_them() {
        assert_eq!(
            py_json_list(&DEFAULT_REQUESTED_SECRETS),
            r#"["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]"#
        );
        assert_eq!(py_json_list::<&str>(&[]), "[]");
        let map: BTreeMap<String, String> = [("b", "x\"y"), ("a", "é\n")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(py_json_map(&map), r#"{"a": "\u00e9\n", "b": "x\"y"}"#);
        assert_eq!(
            py_json_str("🦀\u{1}\u{7f}"),
            r#""\ud83e\udd80\u0001\u007f""#
        );
    }

    #[test]
    fn what_python_writes_parses_back() {
        let map: BTreeMap<String, String> = [("k", "é 🦀 \\ \t")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(parse_string_map(&py_json_map(&map)).unwrap(), map);
        assert_eq!(
            parse_string_list(r#"["a", "b"]"#).unwrap(),
            ["a".to_owned(), "b".to_owned()]
        );
    }

    #[test]
    fn bad_lists_say_what_is_wrong() {
        assert!(parse_string_list("[1]").unwrap_err().contains("a number"));
        assert!(parse_string_list("{}").unwrap_err().contains("an object"));
        assert!(parse_string_list("[").unwrap_err().contains("not JSON"));
        assert!(parse_string_map("[]").unwrap_err().contains("a list"));
    }

    #[test]
    fn labels_round_trip_and_foreign_labels_are_none() {
        let label = SecretGroup::Tls.label("db", 7);
        assert_eq!(label, "db.7.tls.secret");
        assert_eq!(
            SecretGroup::parse_label(&label),
            Some(("db", 7, SecretGroup::Tls))
        );
        assert_eq!(SecretGroup::parse_label("db.x.tls.secret"), None);
        assert_eq!(SecretGroup::parse_label("db.7.bogus.secret"), None);
        assert_eq!(SecretGroup::parse_label("my-own-label"), None);
        assert_eq!(SecretGroup::User.field(), "secret-user");
        assert_eq!(SecretGroup::of("custom"), SecretGroup::Extra);
    }
}
