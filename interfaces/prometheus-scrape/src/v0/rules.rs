//! [`AlertRules`]: alert rule files read from a directory, in the Python library's formats,
//! labelled with the Juju topology (`cosl.rules.AlertRules`).
//!
//! Every file under the directory (recursively, in path order) whose name ends in `.rule`,
//! `.rules`, `.yml` or `.yaml` is YAML in one of two formats:
//!
//! - Prometheus' own: `groups:`, a list of groups, each with a `name` and `rules`;
//! - one rule per file: a mapping with `expr` and `alert` (or `record`); the group is named
//!   after the file.
//!
//! Each group is named `<topology identifier>_<sub-directory>_<name>`, ending in `_rules`,
//! with every character outside `[a-zA-Z0-9_:]` made `_` (a name that already carries an
//! identifier keeps it). Every rule gets the topology's `juju_*` labels it does not set
//! itself, and loses the `%%juju_topology%%` placeholder from its expression: the consumer
//! (Prometheus) puts the topology matchers into expressions from those labels, as it does for
//! the Python providers that run without `cos-tool`.
//!
//! A file that cannot be read or does not fit either format is left out with an ERROR line
//! naming it and why; the others are still sent.
//!
//! ```
//! use ops_interface_prometheus_scrape::v0::{AlertRules, JujuTopology};
//! let topology = JujuTopology {
//!     model: "demo".into(), model_uuid: "00000000-0000-4000-8000-000000000000".into(),
//!     application: "web".into(), unit: "web/0".into(), charm_name: "webkv".into(),
//! };
//! let mut rules = AlertRules::new(topology);
//! rules.add_yaml("cpu.rule", "", "alert: HighCPU\nexpr: cpu{%%juju_topology%%} > 0.9\nfor: 5m\n")?;
//! let json = rules.as_json();
//! assert_eq!(json["groups"][0]["name"], "demo_00000000_web_cpu_rules");
//! assert_eq!(json["groups"][0]["rules"][0]["expr"], "cpu{} > 0.9");
//! assert_eq!(json["groups"][0]["rules"][0]["labels"]["juju_charm"], "webkv");
//! # Ok::<(), ops_interface_prometheus_scrape::v0::RuleError>(())
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::topology::JujuTopology;

/// The file name endings read as rule files.
pub const RULE_FILE_SUFFIXES: [&str; 4] = ["rule", "rules", "yml", "yaml"];

/// A rule file that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert rule file {file}: {why}")]
pub struct RuleError {
    /// The file (relative to the rules directory when read from one).
    pub file: String,
    /// What is wrong with it.
    pub why: String,
}

/// Alert rule groups, labelled with one topology, ready to send as `alert_rules`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRules {
    topology: JujuTopology,
    groups: Vec<Value>,
}

impl AlertRules {
    /// No groups yet.
    pub fn new(topology: JujuTopology) -> Self {
        AlertRules {
            topology,
            groups: Vec::new(),
        }
    }

    /// Reads every rule file under `dir`, recursively, in path order. A missing directory
    /// adds nothing. Returns the files left out.
    pub fn add_dir(&mut self, dir: &Path) -> Vec<RuleError> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        collect_files(dir, &mut files, &mut problems);
        files.sort();
        for path in files {
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            let shown = rel.display().to_string();
            let sub = rel
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let result = std::fs::read_to_string(&path)
                .map_err(|e| RuleError {
                    file: shown.clone(),
                    why: format!("cannot read it: {e}"),
                })
                .and_then(|text| self.add_yaml_named(&shown, &sub, &stem, &text));
            if let Err(e) = result {
                problems.push(e);
            }
        }
        problems
    }

    /// Adds the rules of one file named `file` (its stem names a single rule's group) found
    /// in sub-directory `sub` of the rules directory (`""` for the top).
    ///
    /// # Errors
    ///
    /// The text is not YAML, or fits neither format; nothing is added.
    pub fn add_yaml(&mut self, file: &str, sub: &str, text: &str) -> Result<(), RuleError> {
        let stem = Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.add_yaml_named(file, sub, &stem, text)
    }

    fn add_yaml_named(
        &mut self,
        file: &str,
        sub: &str,
        stem: &str,
        text: &str,
    ) -> Result<(), RuleError> {
        let bad = |why: String| RuleError {
            file: file.to_owned(),
            why,
        };
        let value: Value = serde_norway::from_str(text)
            .map_err(|e| bad(format!("not YAML the library can read: {e}")))?;
        let prefix = [self.topology.identifier(), sub.to_owned()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        let groups = self.groups_of(value, stem, &prefix).map_err(bad)?;
        self.groups.extend(groups);
        Ok(())
    }

    /// Adds groups in Prometheus' format (`{"groups": [...]}`), named with `prefix`.
    ///
    /// # Errors
    ///
    /// The value fits neither format.
    pub fn add_groups(&mut self, rules: Value, prefix: &str) -> Result<(), String> {
        let groups = self.groups_of(rules, "", prefix)?;
        self.groups.extend(groups);
        Ok(())
    }

    /// The groups of one file's content, named and labelled.
    fn groups_of(&self, value: Value, stem: &str, prefix: &str) -> Result<Vec<Value>, String> {
        let Value::Object(map) = value else {
            return Err(if value.is_null() {
                "it is empty".to_owned()
            } else {
                "it is neither a mapping with `groups` nor a single rule (`alert` or `record`, and `expr`)".to_owned()
            });
        };
        let mut groups = if map.contains_key("groups") {
            match map.get("groups") {
                Some(Value::Array(gs)) => gs.clone(),
                Some(Value::Null) => Vec::new(),
                _ => return Err("`groups` is not a list".to_owned()),
            }
        } else if map.contains_key("expr")
            && (map.contains_key("alert") || map.contains_key("record"))
        {
            vec![json!({"name": stem, "rules": [Value::Object(map)]})]
        } else {
            return Err("it is neither a mapping with `groups` nor a single rule (`alert` or `record`, and `expr`)".to_owned());
        };
        for (i, group) in groups.iter_mut().enumerate() {
            self.finish_group(group, prefix)
                .map_err(|why| format!("group {}: {why}", i + 1))?;
        }
        Ok(groups)
    }

    /// Names `group` with `prefix` and labels its rules.
    fn finish_group(&self, group: &mut Value, prefix: &str) -> Result<(), String> {
        let Value::Object(group) = group else {
            return Err("not a mapping".to_owned());
        };
        let name = match group.get("name") {
            Some(Value::String(n)) => n.clone(),
            _ => return Err("no `name`".to_owned()),
        };
        let name = if already_named(&name) {
            name
        } else {
            let mut joined = [prefix, name.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("_");
            if !joined.ends_with("_rules") {
                joined.push_str("_rules");
            }
            joined
        };
        group.insert("name".into(), Value::String(sanitize(&name)));
        let Some(Value::Array(rules)) = group.get_mut("rules") else {
            return Err("no `rules` list".to_owned());
        };
        for (i, rule) in rules.iter_mut().enumerate() {
            let Value::Object(rule) = rule else {
                return Err(format!("rule {} is not a mapping", i + 1));
            };
            let Some(Value::String(expr)) = rule.get("expr") else {
                return Err(format!("rule {} has no `expr` string", i + 1));
            };
            let expr = without_placeholder(expr);
            rule.insert("expr".into(), Value::String(expr));
            let labels = rule
                .entry("labels")
                .or_insert_with(|| Value::Object(Map::new()));
            if labels.is_null() {
                *labels = Value::Object(Map::new());
            }
            let Value::Object(labels) = labels else {
                return Err(format!("rule {}: `labels` is not a mapping", i + 1));
            };
            for (k, v) in self.topology.alert_labels() {
                labels
                    .entry(k)
                    .or_insert_with(|| Value::String(v.to_owned()));
            }
        }
        Ok(())
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// `{"groups": [...]}`, or `{}` without groups: the value of `alert_rules`.
    pub fn as_json(&self) -> Value {
        if self.groups.is_empty() {
            json!({})
        } else {
            json!({"groups": self.groups})
        }
    }
}

/// The rule files under `dir`, recursively.
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<RuleError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            problems.push(RuleError {
                file: dir.display().to_string(),
                why: format!("cannot list the directory: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // A symlinked directory is not followed: a link back up would never end.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect_files(&path, files, problems);
        } else if path.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| RULE_FILE_SUFFIXES.contains(&e))
        {
            files.push(path);
        }
    }
}

/// Whether a group name already carries a topology identifier: `…_<8 hex digits>_…rules`.
fn already_named(name: &str) -> bool {
    let b = name.as_bytes();
    (0..b.len()).any(|i| {
        b[i] == b'_'
            && b.len() > i + 9
            && b[i + 1..i + 9]
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
            && b[i + 9] == b'_'
            && name[i + 10..].ends_with("rules")
    })
}

/// A Prometheus metric name: every character outside `[a-zA-Z0-9_:]` becomes `_`.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `expr` without `%%juju_topology%%` placeholders (each with the comma after it, if any).
fn without_placeholder(expr: &str) -> String {
    const P: &str = "%%juju_topology%%";
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(at) = rest.find(P) {
        out.push_str(&rest[..at]);
        rest = &rest[at + P.len()..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    out.push_str(rest);
    out
}

/// The generic rules every provider adds (group `HostHealth`): a unit that is not scraped,
/// and an application with no `up` series at all. The names, expressions, durations and
/// severities are those of the Python library's `generic_alert_groups.application_rules`;
/// the annotations are ours.
pub fn host_health_rules() -> Value {
    json!({"groups": [{
        "name": "HostHealth",
        "rules": [
            {
                "alert": "HostDown",
                "expr": "up < 1",
                "for": "5m",
                "labels": {"severity": "critical"},
                "annotations": {
                    "summary": "{{ $labels.instance }} is down.",
                    "description": "Prometheus has not scraped {{ $labels.instance }} of application {{ $labels.juju_application }} in model {{ $labels.juju_model }} for five minutes."
                }
            },
            {
                "alert": "HostMetricsMissing",
                "expr": "absent(up)",
                "for": "5m",
                "labels": {"severity": "warning"},
                "annotations": {
                    "summary": "No metrics from unit {{ $labels.juju_unit }} of {{ $labels.juju_application }}.",
                    "description": "The `up` series of unit {{ $labels.juju_unit }} of application {{ $labels.juju_application }} in model {{ $labels.juju_model }} is missing: the unit is down, or whatever scrapes it cannot reach the metrics backend."
                }
            }
        ]
    }]})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology() -> JujuTopology {
        JujuTopology {
            model: "my-model".into(),
            model_uuid: "12345678-abcd-4234-8ef0-1234567890ab".into(),
            application: "web".into(),
            unit: "web/0".into(),
            charm_name: "webkv".into(),
        }
    }

    #[test]
    fn names_are_sanitized_as_cosl_does() {
        // cosl's test_rules_promql: an illegal custom group name.
        assert_eq!(
            sanitize(&format!(
                "{}_rules",
                "Foo$123/Hello:World(go_od)bye!@#^&*()[]{}|;:,.<>?`~_"
            )),
            "Foo_123_Hello:World_go_od_bye______________:_________rules"
        );
    }

    #[test]
    fn placeholders_are_removed_with_their_comma() {
        assert_eq!(
            without_placeholder(r#"up{%%juju_topology%%,job="x"} < 1 or down{%%juju_topology%%}"#),
            r#"up{job="x"} < 1 or down{}"#
        );
        assert_eq!(without_placeholder("up < 1"), "up < 1");
    }

    #[test]
    fn a_name_with_an_identifier_is_kept() {
        assert!(already_named("my-model_12345678_web_HostHealth_rules"));
        assert!(!already_named("HostHealth"));
        assert!(!already_named("my_1234567_x_rules"));
        assert!(!already_named("a_12345678_"));
    }

    #[test]
    fn both_formats_are_named_and_labelled() {
        let mut rules = AlertRules::new(topology());
        rules
            .add_yaml(
                "official.rules",
                "sub/dir",
                "groups:\n- name: latency\n  rules:\n  - alert: Slow\n    expr: latency > 1\n    labels: {severity: page, juju_model: pinned}\n",
            )
            .unwrap();
        rules
            .add_yaml(
                "one.rule",
                "",
                "record: job:up:sum\nexpr: sum(up)\nlabels:\n",
            )
            .unwrap();
        let j = rules.as_json();
        assert_eq!(
            j["groups"][0]["name"],
            "my_model_12345678_web_sub_dir_latency_rules"
        );
        assert_eq!(
            j["groups"][0]["rules"][0]["labels"],
            json!({"severity": "page", "juju_model": "pinned", "juju_model_uuid": "12345678-abcd-4234-8ef0-1234567890ab", "juju_application": "web", "juju_charm": "webkv"})
        );
        assert_eq!(j["groups"][1]["name"], "my_model_12345678_web_one_rules");
        assert_eq!(
            j["groups"][1]["rules"][0]["labels"]["juju_application"],
            "web"
        );
    }

    #[test]
    fn bad_files_say_why_and_add_nothing() {
        let mut rules = AlertRules::new(topology());
        for (text, why) in [
            ("", "it is empty"),
            (
                "alert: X\n",
                "neither a mapping with `groups` nor a single rule",
            ),
            (
                "- 1\n- 2\n",
                "neither a mapping with `groups` nor a single rule",
            ),
            ("groups: 3\n", "`groups` is not a list"),
            ("groups:\n- rules: []\n", "group 1: no `name`"),
            ("groups:\n- name: g\n", "group 1: no `rules` list"),
            (
                "groups:\n- name: g\n  rules:\n  - alert: A\n",
                "group 1: rule 1 has no `expr` string",
            ),
            (
                "alert: A\nexpr: up\nlabels: [1]\n",
                "rule 1: `labels` is not a mapping",
            ),
            ("alert: [unclosed\n", "not YAML"),
        ] {
            let e = rules.add_yaml("f.rule", "", text).unwrap_err();
            assert!(e.to_string().starts_with("alert rule file f.rule: "), "{e}");
            assert!(e.why.contains(why), "{text:?}: {e}");
        }
        assert!(rules.is_empty());
        assert_eq!(rules.as_json(), json!({}));
    }

    #[test]
    fn host_health_gets_the_identifier() {
        let mut rules = AlertRules::new(topology());
        let prefix = topology().identifier();
        rules.add_groups(host_health_rules(), &prefix).unwrap();
        let j = rules.as_json();
        assert_eq!(
            j["groups"][0]["name"],
            "my_model_12345678_web_HostHealth_rules"
        );
        assert_eq!(j["groups"][0]["rules"][1]["labels"]["severity"], "warning");
    }
}
