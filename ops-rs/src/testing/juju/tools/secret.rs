//! The secret tools: `secret-add`, `secret-get`, `secret-info-get`, `secret-set`,
//! `secret-grant`, `secret-revoke`, `secret-remove`, `secret-ids`.
//!
//! A secret that exists but that this unit may not read ([`SecretState::denied`]: never granted,
//! or revoked) fails `secret-get` with `permission denied`, as Juju's secrets facade does.
//!
//! Revisions follow Juju: an owner (the unit, or any unit of the owning application) always
//! reads the latest revision; for a consumer, the first `secret-get` of a secret pins the
//! latest revision as the one this unit tracks; later reads return the tracked revision until `--refresh` (track
//! the latest) or `--peek` (read the latest once). Only the owner manages a secret; an
//! application-owned secret is managed by the leader (others get `permission denied`).
//!
//! `secret-set` follows the simulated Juju's version, as the table on
//! [`JujuState::juju_version`] says: Juju's hook context records updates until the hook ends,
//! and before 3.6 it keeps only a hook's last update of a secret.

use serde_json::{Map, Value, json};

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::output::Format;
use super::super::state::{
    JujuState, SecretGrant, SecretOwnership, SecretRevisionState, SecretState, secret_xid,
};
use super::secret_input::{b64_encode, content, expire, new_xid, rotate};
use super::{Call, Tool, ToolResult};
use crate::juju_version::JujuVersion;

fn upsert_spec(name: &'static str, args: &'static str, purpose: &'static str) -> Spec {
    Spec::new(name, args, purpose)
        .opt(Opt::value(
            &["expire"],
            "either a duration or time when the secret should expire",
        ))
        .opt(Opt::value(&["rotate"], "the secret rotation policy"))
        .opt(Opt::value(&["description"], "the secret description"))
        .opt(Opt::value(
            &["label"],
            "a label used to identify the secret in hooks",
        ))
        .opt(Opt::value(
            &["file"],
            "a YAML file containing secret key values",
        ))
        .opt(
            Opt::value(
                &["owner"],
                "the owner of the secret, either the application or unit",
            )
            .default("application"),
        )
}

fn access_spec(name: &'static str, purpose: &'static str) -> Spec {
    Spec::new(name, "<ID>", purpose)
        .opt(Opt::value(
            &["r", "relation"],
            "the relation with which to associate the grant",
        ))
        .opt(Opt::value(&["unit"], "the unit within the relation"))
}

pub(crate) const ADD: Tool = Tool {
    spec: || {
        upsert_spec(
            "secret-add",
            "[key[#base64|#file]=value...]",
            "Add a new secret.",
        )
    },
    run: add,
};
pub(crate) const SET: Tool = Tool {
    spec: || {
        upsert_spec(
            "secret-set",
            "<ID> [key[#base64]=value...]",
            "Update an existing secret.",
        )
    },
    run: set,
};
pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new(
            "secret-get",
            "<ID> [key[#base64]]",
            "Get the content of a secret.",
        )
        .format("yaml")
        .opt(Opt::value(
            &["label"],
            "a label used to identify the secret in hooks",
        ))
        .opt(Opt::flag(
            &["peek"],
            "get the latest revision just this time",
        ))
        .opt(Opt::flag(
            &["refresh"],
            "get the latest revision and also get this same revision for subsequent calls",
        ))
    },
    run: get,
};
pub(crate) const INFO_GET: Tool = Tool {
    spec: || {
        Spec::new("secret-info-get", "<ID>", "Get a secret's metadata info.")
            .format("yaml")
            .opt(Opt::value(
                &["label"],
                "a label used to identify the secret",
            ))
    },
    run: info_get,
};
pub(crate) const GRANT: Tool = Tool {
    spec: || access_spec("secret-grant", "Grant access to a secret."),
    run: |call| access(call, true),
};
pub(crate) const REVOKE: Tool = Tool {
    spec: || access_spec("secret-revoke", "Revoke access to a secret."),
    run: |call| access(call, false),
};
pub(crate) const REMOVE: Tool = Tool {
    spec: || {
        Spec::new("secret-remove", "<ID>", "Remove an existing secret.")
            .opt(Opt::value(&["revision"], "remove the specified revision"))
    },
    run: remove,
};
pub(crate) const IDS: Tool = Tool {
    // Juju's default format here is "smart": one id per line.
    spec: || Spec::new("secret-ids", "", "Print secret IDs.").format("smart"),
    run: ids,
};

/// Checks the shape of a secret id or URI (`secret:<xid>`, `secret://<uuid>/<xid>`, `<xid>`).
fn check_uri(id: &str) -> Result<(), ToolError> {
    let xid = secret_xid(id);
    let base32hex = |c: char| c.is_ascii_digit() || ('a'..='v').contains(&c);
    if xid.len() != 20 || !xid.chars().all(base32hex) {
        return Err(ToolError::usage(format!("secret URI {id:?} not valid")));
    }
    Ok(())
}

fn not_found_id(id: &str) -> ToolError {
    ToolError::failed(format!("secret {:?} not found", secret_xid(id)))
}

fn by_label(state: &JujuState, label: &str) -> Result<usize, ToolError> {
    state
        .secrets
        .iter()
        .position(|s| s.label.as_deref() == Some(label))
        .ok_or_else(|| ToolError::failed(format!("secret with label {label:?} not found")))
}

fn by_id(state: &JujuState, id: &str) -> Result<usize, ToolError> {
    let xid = secret_xid(id);
    state
        .secrets
        .iter()
        .position(|s| s.xid() == xid)
        .ok_or_else(|| not_found_id(id))
}

/// Whether this unit may manage the secret: it owns it, or its application does and it leads.
fn check_manage(state: &JujuState, index: usize) -> Result<(), ToolError> {
    let secret = &state.secrets[index];
    match secret.owner {
        SecretOwnership::Unit => Ok(()),
        SecretOwnership::Application if state.leader => Ok(()),
        SecretOwnership::Application => Err(ToolError::failed("permission denied")),
        SecretOwnership::Consumer => Err(not_found_id(&secret.id)),
    }
}

fn check_label_free(
    state: &JujuState,
    label: &str,
    except: Option<usize>,
) -> Result<(), ToolError> {
    match state
        .secrets
        .iter()
        .position(|s| s.label.as_deref() == Some(label))
    {
        Some(i) if Some(i) != except => Err(ToolError::failed(format!(
            "secret with label {label:?} already exists"
        ))),
        _ => Ok(()),
    }
}

/// The validated metadata options shared by secret-add and secret-set.
struct Meta {
    expire: Option<String>,
    rotate: Option<String>,
    description: Option<String>,
    label: Option<String>,
}

fn meta(call: &Call<'_>) -> Result<Meta, ToolError> {
    let owner = call.args.value("owner").unwrap_or("application");
    if owner != "application" && owner != "unit" {
        return Err(ToolError::usage(format!(
            "secret owner {owner:?} not valid"
        )));
    }
    Ok(Meta {
        expire: call.args.value("expire").map(expire).transpose()?,
        rotate: call.args.value("rotate").map(rotate).transpose()?,
        description: call.args.value("description").map(str::to_owned),
        label: call.args.value("label").map(str::to_owned),
    })
}

/// The `--file` argument and what it names.
fn file_input(call: &Call<'_>) -> Result<Option<(String, Vec<u8>)>, ToolError> {
    call.args
        .value("file")
        .map(|p| {
            call.read_input(p)
                .map(|data| (p.to_owned(), data))
                .map_err(|e| ToolError::usage(e.to_string()))
        })
        .transpose()
}

fn add(call: &mut Call<'_>) -> ToolResult {
    if call.args.positional.is_empty() && call.args.value("file").is_none() {
        return Err(ToolError::usage("missing secret value or filename"));
    }
    let meta = meta(call)?;
    let file = file_input(call)?;
    let data = content(
        &call.args.positional,
        file.as_ref().map(|(p, d)| (p.as_str(), d.as_slice())),
    )?;
    let owner = if call.args.value("owner") == Some("unit") {
        SecretOwnership::Unit
    } else {
        SecretOwnership::Application
    };
    if data.is_empty() {
        return Err(ToolError::failed("empty secret value not valid"));
    }
    let state = &mut *call.state;
    if owner == SecretOwnership::Application && !state.leader {
        return Err(ToolError::failed("this unit is not the leader"));
    }
    if let Some(label) = &meta.label {
        check_label_free(state, label, None)?;
    }
    state.secret_seq += 1;
    let id = format!(
        "secret:{}",
        new_xid(
            &format!("{}/{}", state.model.uuid, state.unit),
            state.secret_seq
        )
    );
    state
        .this_hook
        .secrets_added
        .push(secret_xid(&id).to_owned());
    state.secrets.push(SecretState {
        id: id.clone(),
        owner,
        label: meta.label,
        description: meta.description,
        expire: meta.expire,
        rotate: meta.rotate,
        revisions: vec![SecretRevisionState {
            revision: 1,
            content: data,
        }],
        tracked: None,
        grants: Vec::new(),
        denied: false,
    });
    Ok(format!("{id}\n").into_bytes())
}

fn set(call: &mut Call<'_>) -> ToolResult {
    let Some(id) = call.args.positional.first().cloned() else {
        return Err(ToolError::usage("missing secret URI"));
    };
    check_uri(&id)?;
    let meta = meta(call)?;
    let file = file_input(call)?;
    let data = content(
        &call.args.positional[1..],
        file.as_ref().map(|(p, d)| (p.as_str(), d.as_slice())),
    )?;
    let nothing = data.is_empty()
        && meta.expire.is_none()
        && meta.rotate.is_none()
        && meta.description.is_none()
        && meta.label.is_none()
        && call.args.value("owner").is_none();
    if nothing {
        return Err(ToolError::usage(
            "at least one attribute to update must be specified",
        ));
    }
    let state = &mut *call.state;
    let index = by_id(state, &id)?;
    check_manage(state, index)?;
    if let Some(label) = &meta.label {
        check_label_free(state, label, Some(index))?;
    }
    let xid = state.secrets[index].xid().to_owned();
    let version = state.juju_version.clone();
    let hook = &mut state.this_hook;
    let secret = &mut state.secrets[index];
    if hook.secrets_added.contains(&xid) {
        // Juju merges an update of a secret created in this hook into its creation.
        if !data.is_empty() {
            if let Some(rev) = secret.revisions.last_mut() {
                rev.content = data;
            }
        }
        merge_meta(secret, meta);
        return Ok(Vec::new());
    }
    let before = hook
        .secrets_before_set
        .entry(xid)
        .or_insert_with(|| secret.clone())
        .clone();
    if version.coalesces_secret_set() {
        // Juju 3.6+: the hook's updates of a secret are merged field by field; content equal
        // to the latest revision's before the hook adds no revision.
        let pending = secret.latest().map(|r| r.revision) != before.latest().map(|r| r.revision);
        let same_as_before = before.latest().is_some_and(|r| r.content == data);
        if !data.is_empty() && !same_as_before {
            match secret.revisions.last_mut() {
                Some(rev) if pending => rev.content = data,
                _ => {
                    secret.push_revision(data);
                }
            }
        }
        merge_meta(secret, meta);
    } else {
        // Before 3.6 Juju keeps one update per secret per hook: this call replaces the
        // hook's earlier ones (LP#2081034), so go back to the secret as it was before them.
        restore(secret, &before);
        if !data.is_empty() {
            secret.push_revision(data);
        }
        // Before 3.5.5 an update resets the description, expiry and rotation it leaves
        // out, before 3.5 the label too (what Python ops' workaround resends).
        let keeps_label = version >= JujuVersion::new(3, 5, 0);
        let keeps_meta = version >= JujuVersion::new(3, 5, 5);
        secret.label = if keeps_label {
            meta.label.or(secret.label.take())
        } else {
            meta.label
        };
        if keeps_meta {
            merge_meta(
                secret,
                Meta {
                    label: None,
                    ..meta
                },
            );
        } else {
            secret.description = meta.description;
            secret.expire = meta.expire;
            secret.rotate = meta.rotate;
        }
    }
    Ok(Vec::new())
}

/// Sets the metadata fields given, keeping the others.
fn merge_meta(secret: &mut SecretState, meta: Meta) {
    secret.label = meta.label.or(secret.label.take());
    secret.description = meta.description.or(secret.description.take());
    secret.expire = meta.expire.or(secret.expire.take());
    secret.rotate = meta.rotate.or(secret.rotate.take());
}

/// Undoes this hook's earlier `secret-set` of `secret`: its revisions and metadata as they
/// were before, keeping what `secret-set` does not touch (grants, the tracked revision, as far
/// as it still exists).
fn restore(secret: &mut SecretState, before: &SecretState) {
    secret.revisions = before.revisions.clone();
    secret.label = before.label.clone();
    secret.description = before.description.clone();
    secret.expire = before.expire.clone();
    secret.rotate = before.rotate.clone();
    let latest = secret.latest().map(|r| r.revision);
    if let (Some(t), Some(l)) = (secret.tracked, latest) {
        secret.tracked = Some(t.min(l));
    }
}

fn get(call: &mut Call<'_>) -> ToolResult {
    let id = call.args.positional.first().cloned();
    if let Some(id) = &id {
        check_uri(id)?;
    }
    let label = call.args.value("label").map(str::to_owned);
    if id.is_none() && label.is_none() {
        return Err(ToolError::usage("require either a secret URI or label"));
    }
    let (peek, refresh) = (call.args.flag("peek"), call.args.flag("refresh"));
    if peek && refresh {
        return Err(ToolError::usage(
            "specify one of --peek or --refresh but not both",
        ));
    }
    call.at_most(2)?;
    let key = call.args.positional.get(1).cloned();
    let state = &mut *call.state;
    let index = match (&id, &label) {
        (Some(id), Some(label)) => {
            let i = by_id(state, id)?;
            if state.secrets[i].denied {
                // Juju checks access before it records the consumer's label.
                return Err(ToolError::failed("permission denied"));
            }
            check_label_free(state, label, Some(i))?;
            state.secrets[i].label = Some(label.clone());
            i
        }
        (Some(id), None) => by_id(state, id)?,
        (None, Some(label)) => by_label(state, label)?,
        (None, None) => return Err(ToolError::usage("require either a secret URI or label")),
    };
    let secret = &mut state.secrets[index];
    if secret.denied {
        return Err(ToolError::failed("permission denied"));
    }
    let latest = secret.latest().map_or(0, |r| r.revision);
    let revision = if secret.is_owned() {
        // Juju's secrets facade gives an owner (the unit, or any unit of the owning
        // application) the latest revision, whatever it read before.
        secret.tracked = Some(latest);
        latest
    } else if peek {
        latest
    } else if refresh {
        secret.tracked = Some(latest);
        latest
    } else {
        *secret.tracked.get_or_insert(latest)
    };
    let content = secret
        .revision(revision)
        .map(|r| r.content.clone().into_map())
        .ok_or_else(|| ToolError::failed(format!("secret revision {revision} not found")))?;
    let value = match key {
        None => Value::Object(
            content
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
        Some(k) => {
            let (name, b64) = match k.strip_suffix("#base64") {
                Some(n) => (n, true),
                None => (k.as_str(), false),
            };
            let v = content
                .get(name)
                .ok_or_else(|| ToolError::failed(format!("secret key {name:?} not found")))?;
            Value::String(if b64 {
                b64_encode(v.as_bytes())
            } else {
                v.clone()
            })
        }
    };
    call.output(Format::Yaml, &value)
}

fn info_get(call: &mut Call<'_>) -> ToolResult {
    call.at_most(1)?;
    let id = call.args.positional.first().cloned();
    let label = call.args.value("label").map(str::to_owned);
    let index = match (&id, &label) {
        (Some(_), Some(_)) => {
            return Err(ToolError::usage(
                "specify either a secret URI or label but not both",
            ));
        }
        (None, None) => return Err(ToolError::usage("require either a secret URI or label")),
        (Some(id), None) => {
            check_uri(id)?;
            by_id(call.state, id)?
        }
        (None, Some(l)) => by_label(call.state, l)?,
    };
    check_manage(call.state, index)?;
    let s = &call.state.secrets[index];
    let mut info = Map::new();
    info.insert(
        "revision".into(),
        json!(s.latest().map_or(0, |r| r.revision)),
    );
    info.insert("owner".into(), json!(s.owner.as_juju()));
    for (k, v) in [
        ("label", &s.label),
        ("description", &s.description),
        ("expiry", &s.expire),
        ("rotation", &s.rotate),
    ] {
        if let Some(v) = v {
            info.insert(k.into(), json!(v));
        }
    }
    let value = json!({ s.xid(): Value::Object(info) });
    call.output(Format::Yaml, &value)
}

fn access(call: &mut Call<'_>, grant: bool) -> ToolResult {
    let Some(id) = call.args.positional.first().cloned() else {
        return Err(ToolError::usage("missing secret URI"));
    };
    check_uri(&id)?;
    call.at_most(1)?;
    if call.args.value("r").is_none() && call.state.tool_defaults.relation_id.is_none() {
        return Err(ToolError::usage("missing relation"));
    }
    let relation_id = call.relation_id()?;
    let unit = call.args.value("unit").map(str::to_owned);
    let state = &mut *call.state;
    if let Some(u) = &unit {
        let member = state
            .relation_by_id(relation_id)
            .is_some_and(|r| r.remote_units.contains_key(u));
        if !member {
            return Err(ToolError::failed(format!(
                "unit {u:?} is not a member of relation {relation_id}"
            )));
        }
    }
    let index = by_id(state, &id)?;
    check_manage(state, index)?;
    let grants = &mut state.secrets[index].grants;
    let this = SecretGrant {
        relation_id,
        unit: unit.clone(),
    };
    if grant {
        if !grants.contains(&this) {
            grants.push(this);
        }
    } else if unit.is_some() {
        grants.retain(|g| *g != this);
    } else {
        grants.retain(|g| g.relation_id != relation_id);
    }
    Ok(Vec::new())
}

fn remove(call: &mut Call<'_>) -> ToolResult {
    let Some(id) = call.args.positional.first().cloned() else {
        return Err(ToolError::usage("missing secret URI"));
    };
    check_uri(&id)?;
    call.at_most(1)?;
    let revision = call
        .args
        .value("revision")
        .map(|r| {
            r.parse::<u32>().map_err(|_| {
                ToolError::usage(format!(
                    "invalid value {r:?} for option --revision: parse error"
                ))
            })
        })
        .transpose()?;
    let state = &mut *call.state;
    let index = by_id(state, &id)?;
    check_manage(state, index)?;
    match revision {
        None => {
            let xid = state.secrets[index].xid().to_owned();
            state.this_hook.secrets_before_set.remove(&xid);
            state.this_hook.secrets_added.retain(|x| *x != xid);
            state.secrets.remove(index);
        }
        Some(rev) => {
            let secret = &mut state.secrets[index];
            if secret.revision(rev).is_none() {
                return Err(ToolError::failed(format!(
                    "secret revision {rev} not found"
                )));
            }
            secret.revisions.retain(|r| r.revision != rev);
            if secret.revisions.is_empty() {
                state.secrets.remove(index);
            }
        }
    }
    Ok(Vec::new())
}

/// Juju prints the bare ids (`URI.ID`, no `secret:` prefix), as its hook context keys them.
fn ids(call: &mut Call<'_>) -> ToolResult {
    call.at_most(0)?;
    let mut ids: Vec<String> = call
        .state
        .secrets
        .iter()
        .filter(|s| s.is_owned())
        .map(|s| secret_xid(&s.id).to_owned())
        .collect();
    ids.sort();
    call.output(Format::Smart, &json!(ids))
}

#[cfg(test)]
mod tests;
