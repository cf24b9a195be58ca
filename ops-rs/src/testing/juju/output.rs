//! Output formats of hook tools: `smart`, `yaml` and `json`, as Juju's command package writes them.
//!
//! `smart` prints a string as it is, a boolean as `True`/`False`, a number plainly, nothing
//! for a missing value and YAML for anything else. Every non-empty output ends in a newline.
//!
//! ```
//! use ops::testing::juju::output::{Format, render};
//! use serde_json::json;
//! assert_eq!(render(Format::Smart, &json!(true)).unwrap(), b"True\n");
//! assert_eq!(render(Format::Json, &json!({"a": "b"})).unwrap(), b"{\"a\":\"b\"}\n");
//! assert_eq!(render(Format::Smart, &json!(null)).unwrap(), b"");
//! ```

use serde_json::Value;

use super::args::Parsed;
use super::error::ToolError;

/// An output format a tool can be asked for with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain strings, `True`/`False`, YAML for structures.
    Smart,
    /// YAML.
    Yaml,
    /// JSON on one line.
    Json,
}

impl Format {
    /// The format asked for in `parsed` (`--format`), or `default`.
    pub fn from_args(parsed: &Parsed, default: Format) -> Result<Format, ToolError> {
        match parsed.value("format") {
            None => Ok(default),
            Some("smart") => Ok(Format::Smart),
            Some("yaml") => Ok(Format::Yaml),
            Some("json") => Ok(Format::Json),
            Some(other) => Err(ToolError::usage(format!(
                "invalid value {other:?} for option --format: unknown format {other:?}"
            ))),
        }
    }
}

fn yaml(value: &Value) -> Result<String, ToolError> {
    serde_norway::to_string(value)
        .map_err(|e| ToolError::failed(format!("cannot format as YAML: {e}")))
}

/// Renders `value` in `format`, with the trailing newline Juju adds.
pub fn render(format: Format, value: &Value) -> Result<Vec<u8>, ToolError> {
    let mut text = match format {
        Format::Json => serde_json::to_string(value)
            .map_err(|e| ToolError::failed(format!("cannot format as JSON: {e}")))?,
        Format::Yaml => yaml(value)?,
        Format::Smart => match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
            other => yaml(other)?,
        },
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn smart_forms() {
        let r = |v| String::from_utf8(render(Format::Smart, &v).unwrap()).unwrap();
        assert_eq!(r(json!("x")), "x\n");
        assert_eq!(r(json!(false)), "False\n");
        assert_eq!(r(json!(42)), "42\n");
        assert_eq!(r(json!(["db:1", "db:2"])), "db:1\ndb:2\n");
        assert_eq!(r(json!([])), "");
        assert_eq!(r(json!({"a": "b"})), "a: b\n");
    }

    #[test]
    fn unknown_format_is_usage_error() {
        let p = super::super::args::Spec::new("t", "", "")
            .format("smart")
            .parse(&["--format=xml".to_owned()])
            .unwrap();
        let e = Format::from_args(&p, Format::Smart).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
