//! YAML written the way Pebble writes its plan (Go's `gopkg.in/yaml.v3` with a 4-space
//! indent), so `GET /v1/plan` from the simulator is byte-for-byte what Pebble answers.
//!
//! What differs from `serde_norway`'s output: 4 spaces per level, sequence items indented
//! under their key, strings that would read back as another type (`"1"`, `"true"`, `""`, and
//! YAML 1.1's `y`, `no`, `on`, ...) double-quoted, other strings that cannot be plain
//! single-quoted, multi-line strings as literal blocks. Only the shapes a plan has are
//! written: mappings of mappings, sequences of scalars, scalars.

use serde::Serialize;
use serde_norway::Value;

use super::PlanError;

const INDENT: usize = 4;

/// Writes `value` as Pebble would.
pub(crate) fn to_go_yaml<T: Serialize>(value: &T) -> Result<String, PlanError> {
    let value = serde_norway::to_value(value).map_err(|e| PlanError::Serialize {
        message: e.to_string(),
    })?;
    let mut out = String::new();
    match &value {
        Value::Mapping(m) if m.is_empty() => out.push_str("{}\n"),
        Value::Mapping(m) => mapping(&mut out, m, 0)?,
        other => {
            out.push_str(&scalar(other)?);
            out.push('\n');
        }
    }
    Ok(out)
}

fn unsupported(what: &str) -> PlanError {
    PlanError::Serialize {
        message: format!("cannot write {what} in Pebble's plan YAML"),
    }
}

fn mapping(out: &mut String, m: &serde_norway::Mapping, indent: usize) -> Result<(), PlanError> {
    let pad = " ".repeat(indent);
    for (k, v) in m {
        out.push_str(&pad);
        out.push_str(&scalar(k)?);
        out.push(':');
        match v {
            Value::Mapping(inner) if inner.is_empty() => out.push_str(" {}\n"),
            Value::Mapping(inner) => {
                out.push('\n');
                mapping(out, inner, indent + INDENT)?;
            }
            Value::Sequence(items) if items.is_empty() => out.push_str(" []\n"),
            Value::Sequence(items) => {
                out.push('\n');
                let item_pad = " ".repeat(indent + INDENT);
                for item in items {
                    if matches!(item, Value::Mapping(_) | Value::Sequence(_)) {
                        return Err(unsupported("a nested collection inside a list"));
                    }
                    out.push_str(&item_pad);
                    out.push_str("- ");
                    out.push_str(&scalar(item)?);
                    out.push('\n');
                }
            }
            Value::String(s) if s.contains('\n') => {
                out.push_str(&literal_block(s, indent + INDENT));
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other)?);
                out.push('\n');
            }
        }
    }
    Ok(())
}

/// ` |-` (or ` |` when it ends with one newline) and the lines, indented.
fn literal_block(s: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let (body, chomp) = match s.strip_suffix('\n') {
        Some(rest) if !rest.ends_with('\n') => (rest, ""),
        Some(_) => (s, "+"),
        None => (s, "-"),
    };
    let mut out = format!(" |{chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn scalar(v: &Value) -> Result<String, PlanError> {
    Ok(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Tagged(_) => return Err(unsupported("a tagged value")),
        Value::Mapping(_) | Value::Sequence(_) => return Err(unsupported("a nested collection")),
    })
}

/// A string as yaml.v3 writes it: plain when it reads back as the same string, double-quoted
/// when it would read back as another type, single-quoted when plain is not allowed.
fn string(s: &str) -> String {
    if s.chars().any(|c| c.is_control() && c != '\t') {
        return double_quoted(s);
    }
    if resolves_to_other_type(s) {
        return double_quoted(s);
    }
    if plain_allowed(s) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a plain `s` would be read as null, a bool (YAML 1.1's too), an int or a float.
fn resolves_to_other_type(s: &str) -> bool {
    const WORDS: [&str; 30] = [
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "y",
        "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF", ".inf", ".nan", ".NaN",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(s, ".NAN") {
        return true;
    }
    is_number(unsigned) || is_base60(unsigned)
}

/// Decimal, `0x`, `0o`, `0b` integers and decimal floats (with exponent), `_` allowed as
/// YAML 1.1 does.
fn is_number(s: &str) -> bool {
    let digits =
        |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c == '_' || c.is_digit(radix));
    if let Some(h) = s.strip_prefix("0x") {
        return digits(h, 16);
    }
    if let Some(o) = s.strip_prefix("0o") {
        return digits(o, 8);
    }
    if let Some(b) = s.strip_prefix("0b") {
        return digits(b, 2);
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() || digits(int, 10))
                && (frac.is_empty() || digits(frac, 10))
                && !(int.is_empty() && frac.is_empty())
        }
        None => digits(mantissa, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    mantissa_ok && exponent_ok
}

/// YAML 1.1's sexagesimal numbers (`1:20`, `190:20:30.15`), which yaml.v3 quotes.
fn is_base60(s: &str) -> bool {
    let mut parts = s.split(':');
    let Some(first) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && !first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit() || c == '_')
        && rest.iter().enumerate().all(|(i, p)| {
            let (int, frac) = match p.split_once('.') {
                Some((a, b)) if i == rest.len() - 1 => (a, Some(b)),
                _ => (*p, None),
            };
            matches!(int.len(), 1 | 2)
                && int.chars().all(|c| c.is_ascii_digit())
                && frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit()))
        })
}

/// Whether libyaml's emitter would write `s` plain in block context.
fn plain_allowed(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with(' ') || s.ends_with(' ') || s.starts_with('\t') || s.ends_with('\t') {
        return false;
    }
    let second_blank = s.chars().nth(1).is_none_or(|c| c == ' ' || c == '\t');
    match first {
        '-' | '?' | ':' if second_blank => return false,
        '-' | '?' | ':' => {}
        ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' => return false,
        _ => {}
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    !(s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains(":\t"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_as_yaml_v3_does() {
        let cases = [
            ("plain", "plain"),
            ("/bin/sh -c \"echo hi\"", "/bin/sh -c \"echo hi\""),
            ("", "\"\""),
            ("1", "\"1\""),
            ("1.5", "\"1.5\""),
            ("true", "\"true\""),
            ("y", "\"y\""),
            ("off", "\"off\""),
            ("0x1F", "\"0x1F\""),
            ("1:20", "\"1:20\""),
            ("x: y", "'x: y'"),
            ("#hash", "'#hash'"),
            ("  lead", "'  lead'"),
            ("it's", "it's"),
            ("a\"q", "a\"q"),
            ("-y", "-y"),
            ("- y", "'- y'"),
            ("10s", "10s"),
            ("http://localhost:3100", "http://localhost:3100"),
        ];
        for (input, want) in cases {
            assert_eq!(string(input), want, "{input:?}");
        }
    }

    #[test]
    fn nested_mappings_lists_and_blocks() {
        let yaml = "services:\n  y:\n    after: [svc, bad]\n    environment:\n      E1: \"\"\n      E5: \"multi\\nline\"\n    user-id: 0\n    backoff-factor: 1.5\n";
        let value: Value = serde_norway::from_str(yaml).unwrap();
        assert_eq!(
            to_go_yaml(&value).unwrap(),
            "services:\n    \"y\":\n        after:\n            - svc\n            - bad\n        environment:\n            E1: \"\"\n            E5: |-\n                multi\n                line\n        user-id: 0\n        backoff-factor: 1.5\n"
        );
    }
}
