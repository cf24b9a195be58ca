//! [`JujuContext`]: what Juju tells the charm process through its environment.
//!
//! Built once per dispatch from the environment ([`JujuContext::from_env`]) or from a map
//! ([`JujuContext::from_vars`], for tests), and validated per hook kind: a missing or
//! malformed variable is a [`ContextError`] naming the variable and the hook. An empty
//! variable counts as unset.
//!
//! ```
//! use ops::context::JujuContext;
//! use ops::event::EventKind;
//! let ctx = JujuContext::from_vars([
//!     ("JUJU_DISPATCH_PATH", "hooks/db-relation-changed"),
//!     ("JUJU_HOOK_NAME", "db-relation-changed"),
//!     ("JUJU_UNIT_NAME", "web/0"),
//!     ("JUJU_MODEL_NAME", "prod"),
//!     ("JUJU_MODEL_UUID", "0b1c"),
//!     ("JUJU_VERSION", "3.6.4"),
//!     ("JUJU_CHARM_DIR", "/var/lib/juju/agents/unit-web-0/charm"),
//!     ("JUJU_RELATION", "db"),
//!     ("JUJU_RELATION_ID", "db:7"),
//!     ("JUJU_REMOTE_UNIT", "pg/1"),
//! ])
//! .unwrap();
//! assert_eq!(ctx.event_kind, EventKind::relation_changed("db"));
//! assert_eq!(ctx.relation_id, Some(7));
//! assert_eq!(ctx.remote_app.as_deref(), Some("pg")); // derived from the remote unit
//! ```
//!
//! # Re-entry
//!
//! If `OPERATOR_DISPATCH` is set, [`crate::main`] exits 0 at once: the charm was started by
//! a dispatch already under way, as when Python `ops` runs a legacy `hooks/<name>` that is
//! this binary (it sets the variable in its own environment, which its children inherit).
//!
//! ops-rs does not add the variable to the processes it starts. They are the hook tools
//! alone, Juju's binaries, which never start a charm; and adding a variable makes `std` copy
//! the whole environment for every call (measured: BENCHMARKS.md, "Hook tools inherit the
//! hook's environment unchanged"). A charm that starts a process which might run the
//! charm again marks it itself: `Command::new(...).env(ops::context::OPERATOR_DISPATCH, "1")`.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::event::EventKind;
use crate::juju_version::JujuVersion;

/// The environment variable that marks a process started by the framework itself.
pub const OPERATOR_DISPATCH: &str = "OPERATOR_DISPATCH";

/// The environment variable that moves the directory of the workload containers' Pebble
/// sockets away from [`DEFAULT_CONTAINERS_DIR`]. **For local simulation only** (the juju-sim
/// runner and the testing API set it to a directory of simulated Pebbles); Juju never sets
/// it, and a deployed charm should not either.
pub const CONTAINERS_DIR_VAR: &str = "OPS_RS_CONTAINERS_DIR";

/// Where Juju mounts the workload containers' Pebble sockets in the charm container:
/// `<dir>/<container>/pebble.socket`.
pub const DEFAULT_CONTAINERS_DIR: &str = "/charm/containers";

/// The hook context Juju passes through environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JujuContext {
    /// `JUJU_DISPATCH_PATH`, e.g. `hooks/install` or `actions/backup`.
    pub dispatch_path: String,
    /// The event, parsed from the last part of the dispatch path.
    pub event_kind: EventKind,
    /// `JUJU_HOOK_NAME` (unset for actions).
    pub hook_name: Option<String>,
    /// `JUJU_UNIT_NAME`, e.g. `web/0`.
    pub unit_name: String,
    /// `JUJU_MODEL_NAME`.
    pub model_name: String,
    /// `JUJU_MODEL_UUID`.
    pub model_uuid: String,
    /// `JUJU_CHARM_DIR` (or `CHARM_DIR`): where the charm is unpacked and its state lives.
    pub charm_dir: PathBuf,
    /// `JUJU_VERSION`, e.g. `3.6.4` ([`JujuVersion::UNKNOWN`], `0.0.0`, in the restricted
    /// hooks where Juju does not set it).
    pub juju_version: JujuVersion,
    /// `JUJU_RELATION`: the endpoint of a relation hook.
    pub relation_name: Option<String>,
    /// `JUJU_RELATION_ID` (`ep:N`): its `N`.
    pub relation_id: Option<u32>,
    /// `JUJU_REMOTE_UNIT`.
    pub remote_unit: Option<String>,
    /// `JUJU_REMOTE_APP`, derived from `JUJU_REMOTE_UNIT` when empty.
    pub remote_app: Option<String>,
    /// `JUJU_DEPARTING_UNIT`.
    pub departing_unit: Option<String>,
    /// `JUJU_ACTION_NAME`.
    pub action_name: Option<String>,
    /// `JUJU_ACTION_UUID`.
    pub action_uuid: Option<String>,
    /// `JUJU_SECRET_ID`.
    pub secret_id: Option<String>,
    /// `JUJU_SECRET_LABEL`.
    pub secret_label: Option<String>,
    /// `JUJU_SECRET_REVISION`.
    pub secret_revision: Option<u64>,
    /// `JUJU_STORAGE_ID` (`name/N`): the name.
    pub storage_name: Option<String>,
    /// `JUJU_STORAGE_ID` (`name/N`): the index.
    pub storage_index: Option<u64>,
    /// `JUJU_WORKLOAD_NAME`: the container of a workload hook.
    pub workload_name: Option<String>,
    /// `JUJU_NOTICE_ID`.
    pub notice_id: Option<String>,
    /// `JUJU_NOTICE_TYPE`.
    pub notice_type: Option<String>,
    /// `JUJU_NOTICE_KEY`.
    pub notice_key: Option<String>,
    /// `JUJU_PEBBLE_CHECK_NAME`.
    pub check_name: Option<String>,
    /// `JUJU_DEBUG` is set: logs also go to stderr.
    pub debug: bool,
    /// `JUJU_AVAILABILITY_ZONE`.
    pub availability_zone: Option<String>,
    /// `JUJU_MACHINE_ID`.
    pub machine_id: Option<String>,
    /// `JUJU_PRINCIPAL_UNIT` (subordinates).
    pub principal_unit: Option<String>,
    /// `KUBERNETES_SERVICE_HOST` is set: Kubernetes sets it in every pod, and Juju passes it
    /// on to hooks (its hook context's allowed variables), so the unit is on Kubernetes.
    pub kubernetes: bool,
    /// The directory of the containers' Pebble sockets: [`DEFAULT_CONTAINERS_DIR`], or
    /// `OPS_RS_CONTAINERS_DIR` when set ([`CONTAINERS_DIR_VAR`], local simulation only).
    pub containers_dir: PathBuf,
}

/// The environment does not describe a valid hook context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// A variable the hook needs is not set (or empty).
    #[error(
        "environment variable {var} is not set, but it is needed to dispatch {hook}; \
         Juju sets it when it runs a hook (the ops testing API does too)"
    )]
    Missing {
        /// The variable.
        var: &'static str,
        /// The hook (dispatch name).
        hook: String,
    },
    /// A variable is set to something that cannot be right.
    #[error(
        "environment variable {var}={value:?} is malformed for the {hook} hook: expected {expected}"
    )]
    Malformed {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// The hook (dispatch name).
        hook: String,
        /// What it should look like.
        expected: &'static str,
    },
}

struct Vars<'a> {
    map: &'a HashMap<String, String>,
    hook: String,
}

impl Vars<'_> {
    fn present(&self, var: &str) -> bool {
        self.map.contains_key(var)
    }
    fn get(&self, var: &str) -> Option<String> {
        self.map.get(var).filter(|v| !v.is_empty()).cloned()
    }
    fn need(&self, var: &'static str) -> Result<String, ContextError> {
        self.get(var).ok_or_else(|| ContextError::Missing {
            var,
            hook: self.hook.clone(),
        })
    }
    fn malformed(&self, var: &'static str, value: &str, expected: &'static str) -> ContextError {
        ContextError::Malformed {
            var,
            value: value.to_owned(),
            hook: self.hook.clone(),
            expected,
        }
    }
}

impl JujuContext {
    /// Reads and validates the process environment.
    ///
    /// A variable that is not valid UTF-8 never panics the charm: one the framework reads is
    /// taken with U+FFFD for the bad bytes, so its check reports it; the rest are not read.
    pub fn from_env() -> Result<Self, ContextError> {
        Self::from_vars_os(std::env::vars_os())
    }

    fn from_vars_os(
        vars: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    ) -> Result<Self, ContextError> {
        // Every variable `from_vars` reads starts with one of these.
        const READ: [&str; 5] = [
            "JUJU_",
            "CHARM_DIR",
            "OPERATOR_",
            "OPS_RS_",
            "KUBERNETES_SERVICE_HOST",
        ];
        Self::from_vars(vars.into_iter().filter_map(|(k, v)| {
            let k = k.to_string_lossy();
            READ.iter()
                .any(|p| k.starts_with(p))
                .then(|| (k.into_owned(), v.to_string_lossy().into_owned()))
        }))
    }

    /// Reads and validates a set of variables (the environment of a hook, for tests).
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Self, ContextError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let map: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let dispatch_path = map.get("JUJU_DISPATCH_PATH").cloned().unwrap_or_default();
        let event_kind = EventKind::from_dispatch_path(&dispatch_path);
        let v = Vars {
            map: &map,
            hook: if dispatch_path.is_empty() {
                "any hook".to_owned()
            } else {
                event_kind.to_string()
            },
        };
        let dispatch_path = v.need("JUJU_DISPATCH_PATH")?;
        if !is_dispatch_path(&dispatch_path) {
            return Err(v.malformed(
                "JUJU_DISPATCH_PATH",
                &dispatch_path,
                "hooks/<hook> or actions/<action>, a name of letters, digits, - and _",
            ));
        }
        let is_action = matches!(event_kind, EventKind::Action(_));

        let unit_name = v.need("JUJU_UNIT_NAME")?;
        if !is_unit_name(&unit_name) {
            return Err(v.malformed("JUJU_UNIT_NAME", &unit_name, UNIT_NAME));
        }
        let model_name = v.need("JUJU_MODEL_NAME")?;
        let model_uuid = v.need("JUJU_MODEL_UUID")?;
        let hook_name = if is_action {
            v.get("JUJU_HOOK_NAME")
        } else {
            Some(v.need("JUJU_HOOK_NAME")?)
        };
        let juju_version = match v.get("JUJU_VERSION") {
            Some(ver) => ver.parse::<JujuVersion>().map_err(|_| {
                v.malformed(
                    "JUJU_VERSION",
                    &ver,
                    "a Juju version such as 3.6.4 or 3.6-beta2",
                )
            })?,
            None if event_kind.is_restricted() => JujuVersion::UNKNOWN,
            None => {
                return Err(ContextError::Missing {
                    var: "JUJU_VERSION",
                    hook: v.hook.clone(),
                });
            }
        };
        let charm_dir = v
            .get("JUJU_CHARM_DIR")
            .or_else(|| v.get("CHARM_DIR"))
            .map(PathBuf::from)
            .ok_or_else(|| ContextError::Missing {
                var: "JUJU_CHARM_DIR",
                hook: v.hook.clone(),
            })?;

        let relation_name = v.get("JUJU_RELATION");
        let relation_id = match v.get("JUJU_RELATION_ID") {
            Some(raw) => {
                let parsed = raw
                    .split_once(':')
                    .filter(|(endpoint, _)| {
                        !endpoint.is_empty()
                            && relation_name
                                .as_deref()
                                .is_none_or(|name| name == *endpoint)
                    })
                    .and_then(|(_, n)| n.parse::<u32>().ok());
                Some(parsed.ok_or_else(|| {
                    v.malformed(
                        "JUJU_RELATION_ID",
                        &raw,
                        "<endpoint>:<number>, the endpoint as JUJU_RELATION names it, e.g. db:3",
                    )
                })?)
            }
            None => None,
        };
        let unit_var = |var: &'static str| -> Result<Option<String>, ContextError> {
            match v.get(var) {
                Some(unit) if !is_unit_name(&unit) => Err(v.malformed(var, &unit, UNIT_NAME)),
                other => Ok(other),
            }
        };
        let remote_unit = unit_var("JUJU_REMOTE_UNIT")?;
        let departing_unit = unit_var("JUJU_DEPARTING_UNIT")?;
        let principal_unit = unit_var("JUJU_PRINCIPAL_UNIT")?;
        // Juju exports JUJU_REMOTE_APP in every relation hook, but it may be empty: in
        // relation-broken once the remote application is gone. An empty one is derived from
        // the remote unit where there is one; otherwise the event has no remote app.
        let remote_app = v.get("JUJU_REMOTE_APP").or_else(|| {
            remote_unit
                .as_deref()
                .and_then(|u| u.split_once('/'))
                .map(|(app, _)| app.to_owned())
        });
        let secret_id = match v.get("JUJU_SECRET_ID") {
            Some(id) if !is_secret_uri(&id) => {
                return Err(v.malformed(
                    "JUJU_SECRET_ID",
                    &id,
                    "a secret URI: secret:<20 letters and digits>, or \
                     secret://<model uuid>/<20 letters and digits>",
                ));
            }
            other => other,
        };
        let secret_revision = match v.get("JUJU_SECRET_REVISION") {
            Some(raw) => Some(
                raw.parse::<u64>()
                    .map_err(|_| v.malformed("JUJU_SECRET_REVISION", &raw, "a revision number"))?,
            ),
            None => None,
        };
        let (storage_name, storage_index) = match v.get("JUJU_STORAGE_ID") {
            Some(raw) => match raw.rsplit_once('/') {
                Some((name, idx)) if !name.is_empty() => match idx.parse::<u64>() {
                    Ok(i) => (Some(name.to_owned()), Some(i)),
                    Err(_) => {
                        return Err(v.malformed(
                            "JUJU_STORAGE_ID",
                            &raw,
                            "<name>/<number>, e.g. data/0",
                        ));
                    }
                },
                _ => {
                    return Err(v.malformed(
                        "JUJU_STORAGE_ID",
                        &raw,
                        "<name>/<number>, e.g. data/0",
                    ));
                }
            },
            None => (None, None),
        };

        let ctx = JujuContext {
            dispatch_path,
            hook_name,
            unit_name,
            model_name,
            model_uuid,
            charm_dir,
            juju_version,
            relation_name,
            relation_id,
            remote_unit,
            remote_app,
            departing_unit,
            action_name: v.get("JUJU_ACTION_NAME"),
            action_uuid: v.get("JUJU_ACTION_UUID"),
            secret_id,
            secret_label: v.get("JUJU_SECRET_LABEL"),
            secret_revision,
            storage_name,
            storage_index,
            workload_name: v.get("JUJU_WORKLOAD_NAME"),
            notice_id: v.get("JUJU_NOTICE_ID"),
            notice_type: v.get("JUJU_NOTICE_TYPE"),
            notice_key: v.get("JUJU_NOTICE_KEY"),
            check_name: v.get("JUJU_PEBBLE_CHECK_NAME"),
            debug: v.present("JUJU_DEBUG"),
            availability_zone: v.get("JUJU_AVAILABILITY_ZONE"),
            machine_id: v.get("JUJU_MACHINE_ID"),
            principal_unit,
            kubernetes: v.get("KUBERNETES_SERVICE_HOST").is_some(),
            containers_dir: v
                .get(CONTAINERS_DIR_VAR)
                .map_or_else(|| PathBuf::from(DEFAULT_CONTAINERS_DIR), PathBuf::from),
            event_kind,
        };
        ctx.validate_for_kind(&v)?;
        Ok(ctx)
    }

    /// Ops' per-hook table: which variables each kind of hook must have, and that a workload
    /// hook's container is the one its name says.
    fn validate_for_kind(&self, v: &Vars<'_>) -> Result<(), ContextError> {
        if let (Some(container), Some(workload)) =
            (self.event_kind.container(), self.workload_name.as_deref())
            && container != workload
        {
            return Err(v.malformed(
                "JUJU_WORKLOAD_NAME",
                workload,
                "the container the hook is named for",
            ));
        }
        let need = |var: &'static str, value: bool| {
            if value {
                Ok(())
            } else {
                Err(ContextError::Missing {
                    var,
                    hook: v.hook.clone(),
                })
            }
        };
        match &self.event_kind {
            EventKind::SecretChanged | EventKind::SecretRotate => {
                need("JUJU_SECRET_ID", self.secret_id.is_some())
            }
            EventKind::SecretExpired | EventKind::SecretRemove => {
                need("JUJU_SECRET_ID", self.secret_id.is_some())?;
                need("JUJU_SECRET_REVISION", self.secret_revision.is_some())
            }
            EventKind::Action(_) => {
                need("JUJU_ACTION_NAME", self.action_name.is_some())?;
                need("JUJU_ACTION_UUID", self.action_uuid.is_some())
            }
            EventKind::PebbleCustomNotice(_) => {
                need("JUJU_WORKLOAD_NAME", self.workload_name.is_some())?;
                need("JUJU_NOTICE_ID", self.notice_id.is_some())?;
                need("JUJU_NOTICE_KEY", self.notice_key.is_some())?;
                need("JUJU_NOTICE_TYPE", self.notice_type.is_some())
            }
            EventKind::PebbleCheckFailed(_) | EventKind::PebbleCheckRecovered(_) => {
                need("JUJU_WORKLOAD_NAME", self.workload_name.is_some())?;
                need("JUJU_PEBBLE_CHECK_NAME", self.check_name.is_some())
            }
            EventKind::PebbleReady(_) => need("JUJU_WORKLOAD_NAME", self.workload_name.is_some()),
            EventKind::StorageAttached(_) | EventKind::StorageDetaching(_) => {
                need("JUJU_STORAGE_ID", self.storage_name.is_some())
            }
            k @ (EventKind::RelationCreated(_)
            | EventKind::RelationJoined(_)
            | EventKind::RelationChanged(_)
            | EventKind::RelationDeparted(_)
            | EventKind::RelationBroken(_)) => {
                need("JUJU_RELATION", self.relation_name.is_some())?;
                need("JUJU_RELATION_ID", self.relation_id.is_some())?;
                // relation-broken may come without a remote app (the application is gone).
                if !matches!(k, EventKind::RelationBroken(_)) {
                    need("JUJU_REMOTE_APP", self.remote_app.is_some())?;
                }
                if matches!(
                    k,
                    EventKind::RelationJoined(_)
                        | EventKind::RelationChanged(_)
                        | EventKind::RelationDeparted(_)
                ) {
                    need("JUJU_REMOTE_UNIT", v.present("JUJU_REMOTE_UNIT"))?;
                }
                if matches!(k, EventKind::RelationDeparted(_)) {
                    need("JUJU_DEPARTING_UNIT", self.departing_unit.is_some())?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The Pebble socket of the workload container `container`:
    /// `<containers_dir>/<container>/pebble.socket`.
    ///
    /// ```
    /// use ops::context::JujuContext;
    /// let ctx = JujuContext::from_vars([
    ///     ("JUJU_DISPATCH_PATH", "hooks/start"), ("JUJU_HOOK_NAME", "start"),
    ///     ("JUJU_UNIT_NAME", "web/0"), ("JUJU_MODEL_NAME", "m"), ("JUJU_MODEL_UUID", "u"),
    ///     ("JUJU_VERSION", "3.6.4"), ("JUJU_CHARM_DIR", "/charm"),
    /// ]).unwrap();
    /// assert_eq!(ctx.pebble_socket("web").to_str(), Some("/charm/containers/web/pebble.socket"));
    /// ```
    pub fn pebble_socket(&self, container: &str) -> PathBuf {
        self.containers_dir.join(container).join("pebble.socket")
    }

    /// The application this unit belongs to (`web` of `web/0`).
    pub fn app_name(&self) -> &str {
        self.unit_name.split('/').next().unwrap_or(&self.unit_name)
    }
}

/// What a unit name looks like, for errors.
const UNIT_NAME: &str = "<application>/<number>: a Juju application name, then a unit number";

/// `app/N`: an application name as Juju allows it (lower-case letters and digits in groups
/// joined by `-`, starting with a letter, no group of digits only after a `-`) and a unit
/// number that fits Juju's (a u32).
fn is_unit_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((app, n)) => is_application_name(app) && is_number::<u32>(n),
        None => false,
    }
}

/// Juju's application names: `^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$`.
fn is_application_name(s: &str) -> bool {
    let mut groups = s.split('-');
    let first_ok = groups.next().is_some_and(|g| {
        g.starts_with(|c: char| c.is_ascii_lowercase())
            && g.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    first_ok
        && groups.all(|g| {
            g.chars().any(|c| c.is_ascii_lowercase())
                && g.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// A decimal number with no sign, no spaces and no leading `+`, that fits `T`.
fn is_number<T: std::str::FromStr>(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<T>().is_ok()
}

/// `hooks/<name>` or `actions/<name>`, the name of ASCII letters, digits, `-` and `_`.
fn is_dispatch_path(s: &str) -> bool {
    match s.split_once('/') {
        Some(("hooks" | "actions", name)) => {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        _ => false,
    }
}

/// A secret URI as Juju writes one: `secret:<id>` or `secret://<model uuid>/<id>`, the id
/// 20 lower-case letters and digits (an xid).
fn is_secret_uri(s: &str) -> bool {
    let is_id = |id: &str| {
        id.len() == 20
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let Some(rest) = s.strip_prefix("secret:") else {
        return false;
    };
    match rest.strip_prefix("//") {
        Some(source_and_id) => match source_and_id.split_once('/') {
            Some((uuid, id)) => is_uuid(uuid) && is_id(id),
            None => false,
        },
        None => is_id(rest),
    }
}

/// `8-4-4-4-12` lower-case hex digits.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

#[cfg(test)]
mod tests;
