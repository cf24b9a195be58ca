//! Reading scenario YAML with errors that name the file, the step and the field.
//!
//! The YAML is converted to JSON values once; a [`Node`] is a value plus its path
//! (`steps[2] (relate).units`), and every accessor fails with a [`SimError::Scenario`]
//! that says what was expected there.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::error::{Result, SimError};

/// A value in a scenario file, with where it is.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    /// The value.
    pub value: &'a Value,
    file: &'a str,
    path: &'a str,
}

/// Parses YAML text into a JSON value (scenario files are YAML).
pub fn parse(file: &str, text: &str) -> Result<Value> {
    let yaml: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| SimError::Scenario {
            file: file.to_owned(),
            path: "(file)".to_owned(),
            message: format!("not valid YAML: {e}"),
        })?;
    serde_json::to_value(yaml).map_err(|e| SimError::Scenario {
        file: file.to_owned(),
        path: "(file)".to_owned(),
        message: format!("unsupported YAML (map keys must be strings): {e}"),
    })
}

impl<'a> Node<'a> {
    /// The root of a file.
    pub fn root(file: &'a str, value: &'a Value, path: &'a str) -> Self {
        Node { value, file, path }
    }

    /// The file this node is in.
    pub fn file_name(&self) -> &'a str {
        self.file
    }

    /// The path of this node.
    pub fn path(&self) -> &str {
        self.path
    }

    /// An error at this node.
    pub fn err(&self, message: impl Into<String>) -> SimError {
        SimError::Scenario {
            file: self.file.to_owned(),
            path: self.path.to_owned(),
            message: message.into(),
        }
    }

    /// An error at field `key` of this node.
    pub fn field_err(&self, key: &str, message: impl Into<String>) -> SimError {
        SimError::Scenario {
            file: self.file.to_owned(),
            path: format!("{}.{key}", self.path),
            message: message.into(),
        }
    }

    /// The node as a map, checking that only `allowed` keys are present.
    pub fn map(&self, allowed: &[&str]) -> Result<&'a serde_json::Map<String, Value>> {
        let m = self.value.as_object().ok_or_else(|| {
            self.err(format!(
                "expected a map with keys {}, got {}",
                allowed.join(", "),
                kind(self.value)
            ))
        })?;
        if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(self.field_err(
                k,
                format!("unknown field; expected one of: {}", allowed.join(", ")),
            ));
        }
        Ok(m)
    }

    /// A required string field of a map node.
    pub fn req_str(&self, key: &str) -> Result<String> {
        match self.value.get(key) {
            None | Some(Value::Null) => Err(self.field_err(key, "this field is required")),
            Some(v) => scalar(v)
                .ok_or_else(|| self.field_err(key, format!("expected a string, got {}", kind(v)))),
        }
    }

    /// An optional string field of a map node.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => scalar(v)
                .map(Some)
                .ok_or_else(|| self.field_err(key, format!("expected a string, got {}", kind(v)))),
        }
    }

    /// An optional boolean field of a map node.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.field_err(key, format!("expected true or false, got {}", kind(v)))),
        }
    }

    /// An optional unsigned integer field of a map node.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                self.field_err(key, format!("expected a whole number, got {}", kind(v)))
            }),
        }
    }

    /// An optional duration field (`500ms`, `2s`, `1m`).
    pub fn opt_duration(&self, key: &str) -> Result<Option<Duration>> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => parse_duration(&s).map(Some).ok_or_else(|| {
                self.field_err(key, format!("{s:?} is not a duration like 500ms, 2s or 1m"))
            }),
        }
    }

    /// An optional map of strings to strings (a databag, notice data, secret content).
    pub fn opt_string_map(&self, key: &str) -> Result<BTreeMap<String, String>> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(v) => string_map(v).ok_or_else(|| {
                self.field_err(key, format!("expected a map of strings, got {}", kind(v)))
            }),
        }
    }
}

/// A scalar as a string: strings as they are, numbers and booleans printed.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A map whose values are scalars, as strings.
pub fn string_map(v: &Value) -> Option<BTreeMap<String, String>> {
    v.as_object()?
        .iter()
        .map(|(k, v)| scalar(v).map(|s| (k.clone(), s)))
        .collect()
}

/// How a value is described in errors.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Parses `500ms`, `2s`, `1.5s`, `1m`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| s.split_at(i))?;
    let n: f64 = num.trim().parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("1h"), None);
    }

    #[test]
    fn errors_name_the_field() {
        let v = json!({"endpoint": 3, "extra": 1});
        let n = Node::root("s.yaml", &v, "steps[1] (relate)");
        let e = n.map(&["endpoint"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "s.yaml: steps[1] (relate).extra: unknown field; expected one of: endpoint"
        );
        assert_eq!(n.req_str("endpoint").unwrap(), "3");
        let e = n.req_str("app").unwrap_err().to_string();
        assert!(
            e.contains("steps[1] (relate).app: this field is required"),
            "{e}"
        );
    }

    #[test]
    fn yaml_parse_errors_are_clear() {
        let e = parse("x.yaml", "a: [").unwrap_err().to_string();
        assert!(e.starts_with("x.yaml: (file): not valid YAML"), "{e}");
    }
}
