//! Parsing steps and relations from scenario YAML.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Action, RelationSpec, STEP_KEYWORDS, Step};
use crate::error::Result;
use crate::expect::Expect;
use crate::yaml::{self, Node, kind, scalar};

/// One step of a scenario split into its action keyword, the action's body and its
/// `expect` (a step is a keyword alone, or a map of one keyword and an optional `expect`);
/// `keywords` are the actions this kind of scenario knows, for the error.
pub(super) fn split_step(
    file: &str,
    n: usize,
    v: &Value,
    keywords: &[&str],
) -> Result<(String, Value, Option<Value>)> {
    let at = format!("steps[{n}]");
    match v {
        Value::String(s) => Ok((s.clone(), Value::Null, None)),
        Value::Object(m) => {
            let mut keys = m.keys().filter(|k| *k != "expect");
            let Some(key) = keys.next() else {
                return Err(Node::root(file, v, &at)
                    .err("a step needs one of: ".to_owned() + &keywords.join(", ")));
            };
            if let Some(other) = keys.next() {
                return Err(Node::root(file, v, &at).err(format!(
                    "a step has one action and an optional `expect`, got both {key:?} and {other:?}"
                )));
            }
            Ok((key.clone(), m[key].clone(), m.get("expect").cloned()))
        }
        other => Err(Node::root(file, v, &at).err(format!(
            "expected a step (a keyword, or a map with one keyword and `expect`), got {}",
            kind(other)
        ))),
    }
}

pub(super) fn parse_step(file: &str, n: usize, v: &Value) -> Result<Step> {
    let at = format!("steps[{n}]");
    let (key, body, expect) = split_step(file, n, v, STEP_KEYWORDS)?;
    let path = format!("{at} ({key})");
    let b = Node::root(file, &body, &path);
    let bp = format!("{path}.{key}");
    let body_node = Node::root(file, &body, &bp);
    let container_check = |fields: &[&str]| -> Result<()> {
        body_node.map(fields)?;
        Ok(())
    };
    let action = match key.as_str() {
        "deploy" => Action::Deploy,
        "update-status" => Action::UpdateStatus,
        "upgrade-charm" => Action::UpgradeCharm,
        "start" => Action::Start,
        "stop" => Action::Stop,
        "remove" => Action::Remove,
        "corrupt-state" => Action::CorruptState,
        "config" => Action::Config(body.as_object().cloned().ok_or_else(|| {
            b.err(format!(
                "`config` takes a map of option to value, got {}",
                kind(&body)
            ))
        })?),
        "relate" => Action::Relate(RelationSpec::parse(body_node)?),
        "relation-changed" => {
            body_node.map(&["endpoint", "unit", "unit-data", "app-data"])?;
            Action::RelationChanged {
                endpoint: body_node.req_str("endpoint")?,
                unit: body_node.opt_str("unit")?,
                unit_data: body_node.opt_string_map("unit-data")?,
                app_data: body_node.opt_string_map("app-data")?,
            }
        }
        "depart" => {
            container_check(&["endpoint", "unit"])?;
            Action::Depart {
                endpoint: body_node.req_str("endpoint")?,
                unit: body_node.req_str("unit")?,
            }
        }
        "break" => {
            container_check(&["endpoint", "app-removed"])?;
            Action::Break {
                endpoint: body_node.req_str("endpoint")?,
                app_removed: body_node.opt_bool("app-removed")?.unwrap_or(false),
            }
        }
        "secret-changed" => {
            container_check(&["id", "content"])?;
            Action::SecretChanged {
                id: body_node.req_str("id")?,
                content: body_node.opt_string_map("content")?,
            }
        }
        "secret-rotate" => {
            container_check(&["id"])?;
            Action::SecretRotate {
                id: body_node.req_str("id")?,
            }
        }
        "secret-expired" | "secret-remove" => {
            container_check(&["id", "revision"])?;
            let id = body_node.req_str("id")?;
            let revision = body_node
                .opt_u64("revision")?
                .map(|r| u32::try_from(r).map_err(|_| body_node.field_err("revision", "too large")))
                .transpose()?;
            if key == "secret-expired" {
                Action::SecretExpired { id, revision }
            } else {
                Action::SecretRemove { id, revision }
            }
        }
        "action" => {
            container_check(&["name", "params"])?;
            let params = match body.get("params") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(v) => {
                    return Err(
                        body_node.field_err("params", format!("expected a map, got {}", kind(v)))
                    );
                }
            };
            Action::Action {
                name: body_node.req_str("name")?,
                params,
            }
        }
        "notice" => {
            container_check(&["container", "key", "data"])?;
            let key_s = body_node.req_str("key")?;
            pebble_client::validate_custom_key(&key_s)
                .map_err(|e| body_node.field_err("key", e.to_string()))?;
            Action::Notice {
                container: body_node.req_str("container")?,
                key: key_s,
                data: body_node.opt_string_map("data")?,
            }
        }
        "check-failed" | "check-recovered" => {
            container_check(&["container", "check"])?;
            let container = body_node.req_str("container")?;
            let check = body_node.req_str("check")?;
            if key == "check-failed" {
                Action::CheckFailed { container, check }
            } else {
                Action::CheckRecovered { container, check }
            }
        }
        "leader" => match body {
            Value::Bool(l) => Action::Leader(l),
            ref other => {
                return Err(b.err(format!("`leader` takes true or false, got {}", kind(other))));
            }
        },
        "lose-leadership" => {
            let after = match &body {
                Value::Null => 0,
                _ => {
                    container_check(&["after"])?;
                    body_node.opt_u64("after")?.unwrap_or(0)
                }
            };
            Action::LoseLeadership {
                after: u32::try_from(after)
                    .map_err(|_| body_node.field_err("after", "too large"))?,
            }
        }
        "hook" => match &body {
            Value::String(name) => Action::Hook {
                name: name.clone(),
                env: BTreeMap::new(),
            },
            _ => {
                container_check(&["name", "env"])?;
                Action::Hook {
                    name: body_node.req_str("name")?,
                    env: body_node.opt_string_map("env")?,
                }
            }
        },
        "pebble-down" => {
            container_check(&["container", "for"])?;
            Action::PebbleDown {
                container: body_node.req_str("container")?,
                duration: body_node.opt_duration("for")?,
            }
        }
        "pebble-up" | "pebble-restart" => {
            let container = match &body {
                Value::String(c) => c.clone(),
                _ => {
                    container_check(&["container"])?;
                    body_node.req_str("container")?
                }
            };
            if key == "pebble-up" {
                Action::PebbleUp { container }
            } else {
                Action::PebbleRestart { container }
            }
        }
        "tool-fault" => {
            container_check(&["tool", "times"])?;
            let times = body_node.opt_u64("times")?.unwrap_or(1);
            Action::ToolFault {
                tool: body_node.req_str("tool")?,
                times: u32::try_from(times)
                    .map_err(|_| body_node.field_err("times", "too large"))?,
            }
        }
        "wait" if body.is_object() => {
            container_check(&["until", "timeout"])?;
            let until = match body.get("until") {
                Some(u @ Value::Object(_)) => {
                    Expect::parse(Node::root(file, u, &format!("{bp}.until")))?
                }
                _ => {
                    return Err(body_node
                        .field_err("until", "expected expectations, e.g. {unit-status: active}"));
                }
            };
            Action::WaitUntil {
                until: Box::new(until),
                timeout: body_node
                    .opt_duration("timeout")?
                    .unwrap_or(std::time::Duration::from_secs(60)),
            }
        }
        "pebble-fault" => {
            container_check(&["container", "path", "fault", "times"])?;
            let fault = match body.get("fault") {
                Some(Value::String(s)) if s == "reset" => pebble_client::testing::Fault::Reset,
                Some(Value::Object(m)) if m.contains_key("error") => {
                    let f = Node::root(file, &body["fault"], &bp);
                    f.map(&["error", "message"])?;
                    let status = f
                        .opt_u64("error")?
                        .and_then(|s| u16::try_from(s).ok())
                        .filter(|s| (400..600).contains(s))
                        .ok_or_else(|| f.field_err("error", "expected an HTTP status, 400-599"))?;
                    pebble_client::testing::Fault::error(
                        status,
                        f.opt_str("message")?
                            .unwrap_or_else(|| "injected by juju-sim".into()),
                    )
                }
                Some(Value::Object(m)) if m.contains_key("delay") => {
                    let f = Node::root(file, &body["fault"], &bp);
                    f.map(&["delay"])?;
                    pebble_client::testing::Fault::Delay(
                        f.opt_duration("delay")?.unwrap_or_default(),
                    )
                }
                _ => {
                    return Err(body_node.field_err(
                        "fault",
                        "expected `reset`, `{error: 500, message: ...}` or `{delay: 2s}`",
                    ));
                }
            };
            let times = body_node
                .opt_u64("times")?
                .map(|t| u32::try_from(t).map_err(|_| body_node.field_err("times", "too large")))
                .transpose()?;
            Action::PebbleFault {
                container: body_node.req_str("container")?,
                path: body_node.opt_str("path")?,
                fault,
                times,
            }
        }
        "wait" => {
            let s = scalar(&body).ok_or_else(|| {
                b.err("`wait` takes a duration like 500ms or 2s, or {until: {...}, timeout: 60s}")
            })?;
            Action::Wait(
                yaml::parse_duration(&s)
                    .ok_or_else(|| b.err(format!("{s:?} is not a duration like 500ms or 2s")))?,
            )
        }
        other => {
            return Err(Node::root(file, v, &at).err(format!(
                "unknown step {other:?}; steps are: {}",
                STEP_KEYWORDS.join(", ")
            )));
        }
    };
    let expect = match &expect {
        None | Some(Value::Null) => Expect::default(),
        Some(e) => Expect::parse(Node::root(file, e, &format!("{path}.expect")))?,
    };
    Ok(Step {
        path,
        action,
        expect,
    })
}

impl RelationSpec {
    /// Parses `{endpoint, app, id, units, app-data, unit-data, local-app-data}`.
    pub fn parse(n: Node<'_>) -> Result<RelationSpec> {
        n.map(&[
            "endpoint",
            "app",
            "id",
            "units",
            "app-data",
            "unit-data",
            "local-app-data",
            "local-unit-data",
        ])?;
        let units = match n.value.get("units") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|u| scalar(u).map(|u| (u, BTreeMap::new())))
                .collect::<Option<_>>()
                .ok_or_else(|| n.field_err("units", "expected unit names like client/0"))?,
            Some(Value::Object(m)) => m
                .iter()
                .map(|(u, bag)| match bag {
                    Value::Null => Some((u.clone(), BTreeMap::new())),
                    b => yaml::string_map(b).map(|b| (u.clone(), b)),
                })
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    n.field_err(
                        "units",
                        "expected a map of unit name to its databag (a map of strings)",
                    )
                })?,
            Some(v) => {
                return Err(n.field_err(
                    "units",
                    format!(
                        "expected a list of unit names or a map of unit to databag, got {}",
                        kind(v)
                    ),
                ));
            }
        };
        for u in units.keys() {
            if !u.contains('/') {
                return Err(n.field_err("units", format!("{u:?} is not a unit name (app/N)")));
            }
        }
        let mut local_unit_data = n.opt_string_map("unit-data")?;
        local_unit_data.extend(n.opt_string_map("local-unit-data")?);
        Ok(RelationSpec {
            endpoint: n.req_str("endpoint")?,
            app: n.req_str("app")?,
            id: n.opt_u64("id")?,
            units,
            app_data: n.opt_string_map("app-data")?,
            local_unit_data,
            local_app_data: n.opt_string_map("local-app-data")?,
        })
    }
}
