//! Scenario variables: `${name}` in a scenario file, with defaults under `vars:`, values
//! from `juju-sim run --var NAME=VALUE`, and built-in ones.
//!
//! - A default of `free-port` is replaced by a TCP port nothing listens on when the run
//!   starts (picked outside the ephemeral range, and distinct for each variable), so
//!   scenarios that start real servers can run side by side.
//! - Built-in: `bin-dir`, the directory holding juju-sim (and the other binaries built with
//!   it); `scenario-dir`, the scenario file's directory.
//!
//! Substitution is textual, before the YAML is read: `port: ${port}` becomes
//! `port: 20417`, a number. A `${name}` that is not defined is an error naming it.
//!
//! # Example
//! ```
//! use std::collections::BTreeMap;
//! use juju_sim::vars::substitute;
//! let text = "vars: {port: 8080}\nmodel: {config: {port: ${port}}}\n";
//! let (out, vars) = substitute("s.yaml", text, &BTreeMap::new(), &BTreeMap::new()).unwrap();
//! assert_eq!(out, "vars: {port: 8080}\nmodel: {config: {port: 8080}}\n");
//! assert_eq!(vars["port"], "8080");
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, TcpListener};

use serde_json::Value;

use super::error::{Result, SimError};
use super::yaml::{self, kind, scalar};

/// The default that asks for a free TCP port.
pub const FREE_PORT: &str = "free-port";

fn err(file: &str, path: &str, message: impl Into<String>) -> SimError {
    SimError::Scenario {
        file: file.to_owned(),
        path: path.to_owned(),
        message: message.into(),
    }
}

/// The `${name}` references in `text`, in order, with their byte ranges.
fn references(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${").map(|i| i + from) {
        let Some(len) = text[start + 2..].find('}') else {
            break;
        };
        let end = start + 2 + len + 1;
        out.push((start, end, &text[start + 2..end - 1]));
        from = end;
    }
    out
}

/// Replaces every `${name}` in `text` with `value(name)`.
fn replace(text: &str, mut value: impl FnMut(&str) -> Result<String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, name) in references(text) {
        out.push_str(&text[last..start]);
        out.push_str(&value(name)?);
        last = end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// Substitutes the variables of scenario `text`: its `vars:` defaults, then `overrides`
/// (`--var`), then `builtins`. Returns the new text and the variables (without built-ins).
pub fn substitute(
    file: &str,
    text: &str,
    overrides: &BTreeMap<String, String>,
    builtins: &BTreeMap<String, String>,
) -> Result<(String, BTreeMap<String, String>)> {
    // Read `vars:` from the text with every reference neutralised (a `${x}` inside a flow
    // collection is not valid YAML before substitution).
    let neutral = replace(text, |_| Ok("0".to_owned()))?;
    let root = yaml::parse(file, &neutral)?;
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    match root.get("vars") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let s = scalar(v).ok_or_else(|| {
                    err(
                        file,
                        &format!("vars.{k}"),
                        format!("expected a string or number, got {}", kind(v)),
                    )
                })?;
                vars.insert(k.clone(), s);
            }
        }
        Some(v) => {
            return Err(err(
                file,
                "vars",
                format!("expected a map of name to default value, got {}", kind(v)),
            ));
        }
    }
    for (k, v) in overrides {
        if !vars.contains_key(k) {
            let known: Vec<&str> = vars.keys().map(String::as_str).collect();
            return Err(err(
                file,
                "vars",
                format!(
                    "--var {k}: the scenario has no variable {k:?} (it has: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        vars.insert(k.clone(), v.clone());
    }
    let mut taken = BTreeSet::new();
    for (k, v) in vars.iter_mut() {
        if v == FREE_PORT {
            let port = free_port(&taken).ok_or_else(|| {
                err(
                    file,
                    &format!("vars.{k}"),
                    "cannot find a free TCP port on this machine",
                )
            })?;
            taken.insert(port);
            *v = port.to_string();
        }
    }
    let out = replace(text, |name| {
        vars.get(name)
            .or_else(|| builtins.get(name))
            .cloned()
            .ok_or_else(|| {
                let mut known: Vec<&str> = vars.keys().map(String::as_str).collect();
                known.extend(builtins.keys().map(String::as_str));
                let how = match name {
                    "otlp-ca-certificates" => "run with `--otlp-receiver --otlp-tls`",
                    _ => "add it under `vars:`",
                };
                err(
                    file,
                    "vars",
                    format!(
                        "${{{name}}} is not defined: {how} (defined: {})",
                        known.join(", ")
                    ),
                )
            })
    })?;
    Ok((out, vars))
}

/// A TCP port free on all interfaces, outside Linux's ephemeral range (so outgoing
/// connections do not take it meanwhile), not in `taken`.
pub fn free_port(taken: &BTreeSet<u16>) -> Option<u16> {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let mut seed = h.finish();
    for _ in 0..200 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let port = 20_000 + u16::try_from((seed >> 33) % 12_000).unwrap_or(0);
        if !taken.contains(&port) && TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok() {
            return Some(port);
        }
    }
    let port = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    (!taken.contains(&port)).then_some(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_overrides_and_builtins() {
        let text = "vars: {port: 1, name: x}\nsteps: [{config: {port: ${port}}}, {wait: 1s}]\n# ${bin-dir}/${name}\n";
        let (out, vars) = substitute(
            "s",
            text,
            &map(&[("port", "9")]),
            &map(&[("bin-dir", "/b")]),
        )
        .unwrap();
        assert!(out.contains("{config: {port: 9}}"), "{out}");
        assert!(out.contains("# /b/x"), "{out}");
        assert_eq!(vars, map(&[("name", "x"), ("port", "9")]));
    }

    #[test]
    fn free_ports_are_distinct_numbers() {
        let text = "vars: {a: free-port, b: free-port}\nx: [${a}, ${b}]\n";
        let (_, vars) = substitute("s", text, &BTreeMap::new(), &BTreeMap::new()).unwrap();
        let a: u16 = vars["a"].parse().unwrap();
        let b: u16 = vars["b"].parse().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn undefined_and_unknown_are_clear() {
        let e = substitute("s", "x: ${nope}\n", &BTreeMap::new(), &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("${nope} is not defined: add it under `vars:`"),
            "{e}"
        );
        let e = substitute(
            "s",
            "x: '${otlp-ca-certificates}'\n",
            &BTreeMap::new(),
            &BTreeMap::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("run with `--otlp-receiver --otlp-tls`"), "{e}");
        let e = substitute("s", "vars: {a: 1}\n", &map(&[("b", "2")]), &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("--var b: the scenario has no variable"), "{e}");
    }
}
