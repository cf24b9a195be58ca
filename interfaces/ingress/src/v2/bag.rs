//! Databags whose every value is JSON, as the Python library's `DatabagModel` keeps them:
//! `dump` writes `json.dumps(value)` per field (a string `"x"` as `"\"x\""`, a port as `8080`,
//! `true`), leaving out fields at their default; `load` decodes the fields it knows and
//! ignores other keys.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A databag as Juju holds it.
pub type Bag = BTreeMap<String, String>;

/// Remote data that does not fit the protocol. Reading it never fails a hook: the library
/// logs this and treats the data as absent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A value is not JSON (the Python library JSON-encodes every value).
    #[error("{bag}: the value of {key:?} is not JSON ({error}): {value:?}")]
    NotJson {
        /// Whose databag.
        bag: String,
        /// The key.
        key: String,
        /// The start of the value.
        value: String,
        /// The parser's complaint.
        error: String,
    },
    /// The decoded fields do not fit the protocol (a field missing, of the wrong type, or out
    /// of range).
    #[error("{bag}: {error}")]
    Invalid {
        /// Whose databag.
        bag: String,
        /// What does not fit, with the field's path.
        error: String,
    },
}

/// The first 80 characters of `value`, for error messages.
fn excerpt(value: &str) -> String {
    let mut s: String = value.chars().take(80).collect();
    if s.len() < value.len() {
        s.push('…');
    }
    s
}

/// Decodes the `keys` of `bag` as JSON into `T` (other keys are ignored); `describe` names
/// the bag in errors.
pub(crate) fn decode<T: DeserializeOwned>(
    bag: &Bag,
    keys: &[&str],
    describe: &str,
) -> Result<T, DataError> {
    let mut map = Map::new();
    for key in keys {
        if let Some(raw) = bag.get(*key) {
            let value: Value = serde_json::from_str(raw).map_err(|e| DataError::NotJson {
                bag: describe.to_owned(),
                key: (*key).to_owned(),
                value: excerpt(raw),
                error: e.to_string(),
            })?;
            map.insert((*key).to_owned(), value);
        }
    }
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| DataError::Invalid {
        bag: describe.to_owned(),
        error: if e.path().to_string() == "." {
            e.inner().to_string()
        } else {
            format!("{}: {}", e.path(), e.inner())
        },
    })
}

/// Encodes `value`'s fields as JSON, one key each; fields serialised as `null` are left out.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Bag, serde_json::Error> {
    let Value::Object(map) = serde_json::to_value(value)? else {
        return Err(serde::ser::Error::custom("databag data must be a struct"));
    };
    Ok(map
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k, v.to_string()))
        .collect())
}

/// The `relation-set` changes that make `current` hold `desired` for the keys the library
/// owns: every key of `desired` that differs, and a deletion for every other key of
/// `current` except `keep` (Juju's own keys in unit bags).
pub(crate) fn changes(
    current: &Bag,
    desired: &Bag,
    keep: &[&str],
) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    out.extend(
        current
            .keys()
            .filter(|k| !desired.contains_key(*k) && !keep.contains(&k.as_str()))
            .map(|k| (k.clone(), None)),
    );
    out
}

/// Keys Juju writes into every unit's bag itself; the library leaves them alone.
pub(crate) const JUJU_UNIT_KEYS: [&str; 3] =
    ["ingress-address", "private-address", "egress-subnets"];

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct T {
        name: String,
        port: u16,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        flag: bool,
    }

    fn bag(pairs: &[(&str, &str)]) -> Bag {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn round_trip_as_the_python_library_writes() {
        let t = T {
            name: "web".into(),
            port: 8080,
            flag: false,
        };
        let b = encode(&t).unwrap();
        assert_eq!(b, bag(&[("name", "\"web\""), ("port", "8080")]));
        let keys = ["name", "port", "flag"];
        assert_eq!(decode::<T>(&b, &keys, "app 'x'").unwrap(), t);
    }

    #[test]
    fn errors_name_the_bag_the_key_and_the_field() {
        let keys = ["name", "port", "flag"];
        let e = decode::<T>(&bag(&[("name", "web"), ("port", "1")]), &keys, "app 'x'").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("app 'x': the value of \"name\" is not JSON"),
            "{e}"
        );
        let e = decode::<T>(
            &bag(&[("name", "\"w\""), ("port", "\"80\"")]),
            &keys,
            "app 'x'",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "app 'x': port: invalid type: string \"80\", expected u16"
        );
        let e = decode::<T>(&bag(&[("port", "80")]), &keys, "app 'x'").unwrap_err();
        assert_eq!(e.to_string(), "app 'x': missing field `name`");
        // Keys outside the model are not even parsed.
        let ok = bag(&[("name", "\"w\""), ("port", "80"), ("other", "{not json")]);
        assert!(decode::<T>(&ok, &keys, "app 'x'").is_ok());
    }

    #[test]
    fn changes_touch_only_what_differs_and_keep_jujus_keys() {
        let current = bag(&[
            ("host", "\"a\""),
            ("ip", "\"10.0.0.1\""),
            ("stale", "1"),
            ("ingress-address", "10.0.0.1"),
        ]);
        let desired = bag(&[("host", "\"a\""), ("ip", "\"10.0.0.2\"")]);
        assert_eq!(
            changes(&current, &desired, &JUJU_UNIT_KEYS),
            [
                ("ip".to_owned(), Some("\"10.0.0.2\"".to_owned())),
                ("stale".to_owned(), None)
            ]
        );
        assert!(changes(&desired, &desired, &[]).is_empty());
    }
}
