//! [`decode`]: a databag (string keys to string values) as the JSON object a schema
//! describes, its values as text or decoded from the JSON they hold.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The keys Juju writes in a unit's own bag: not a library's, and not JSON.
pub const JUJU_KEYS: [&str; 3] = ["ingress-address", "private-address", "egress-subnets"];

/// How a databag's values are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values<'a> {
    /// Every value is text, as it is.
    Text,
    /// Every value holds JSON.
    Json,
    /// The values of these keys hold JSON; the others are text.
    JsonIn(&'a [&'a str]),
}

impl Values<'_> {
    fn is_json(&self, key: &str) -> bool {
        match self {
            Values::Text => false,
            Values::Json => true,
            Values::JsonIn(keys) => keys.contains(&key),
        }
    }
}

/// `bag` as the JSON object its schema describes: each value as text, or decoded where
/// `values` says it holds JSON.
///
/// # Errors
///
/// The values that should hold JSON and do not, one line each (`<key>: <value> is not JSON
/// (<why>)`).
///
/// ```
/// use bag_schema::{Values, decode};
/// use serde_json::json;
///
/// let bag = [
///     ("database".to_owned(), "myapp".to_owned()),
///     ("requested-secrets".to_owned(), r#"["username"]"#.to_owned()),
/// ]
/// .into();
/// assert_eq!(
///     decode(&bag, Values::JsonIn(&["requested-secrets"])),
///     Ok(json!({"database": "myapp", "requested-secrets": ["username"]}))
/// );
/// assert!(decode(&bag, Values::Json).is_err()); // `myapp` is not JSON
/// assert_eq!(decode(&bag, Values::Text)?["requested-secrets"], r#"["username"]"#);
/// # Ok::<(), Vec<String>>(())
/// ```
pub fn decode(bag: &BTreeMap<String, String>, values: Values<'_>) -> Result<Value, Vec<String>> {
    let mut object = Map::new();
    let mut errors = Vec::new();
    for (key, text) in bag {
        if !values.is_json(key) {
            object.insert(key.clone(), Value::String(text.clone()));
            continue;
        }
        match serde_json::from_str(text) {
            Ok(json) => {
                object.insert(key.clone(), json);
            }
            Err(e) => errors.push(format!("{key}: {text:?} is not JSON ({e})")),
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(object))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_that_is_not_json_is_reported() {
        let bag: BTreeMap<String, String> = [("a", "1"), ("b", "x"), ("c", "{")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let errors = decode(&bag, Values::Json).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("b: \"x\" is not JSON"), "{errors:?}");
        assert!(errors[1].starts_with("c: \"{\" is not JSON"), "{errors:?}");
        assert_eq!(
            decode(&bag, Values::JsonIn(&["a"])).unwrap(),
            serde_json::json!({"a": 1, "b": "x", "c": "{"})
        );
    }
}
