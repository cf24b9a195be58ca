//! One hook as Juju's unit agent runs it: its dispatch path and the environment it sets.
//!
//! # Example
//! ```
//! use juju_sim::hook_env::Hook;
//! let h = Hook::relation("website", 3, "relation-joined", "client", Some("client/0"));
//! assert_eq!(h.dispatch_path, "hooks/website-relation-joined");
//! assert_eq!(h.env["JUJU_RELATION_ID"], "website:3");
//! assert_eq!(h.env["JUJU_REMOTE_UNIT"], "client/0");
//! ```

use std::collections::BTreeMap;

use ops::testing::juju::{JujuState, ToolDefaults};

use super::workdir::WorkDir;

/// What the simulated pod's `KUBERNETES_SERVICE_HOST` holds (the cluster's API service
/// address; nothing connects to it).
pub const KUBERNETES_SERVICE_HOST: &str = "10.152.183.1";

/// A hook to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The hook's name (`config-changed`), or the action's name for an action.
    pub name: String,
    /// `hooks/<name>` or `actions/<name>`.
    pub dispatch_path: String,
    /// The variables specific to this hook (relation, secret, notice, ...).
    pub env: BTreeMap<String, String>,
    /// The defaults relation and storage tools use during the hook.
    pub tool_defaults: ToolDefaults,
    /// For an action: its parameters.
    pub action_params: Option<serde_json::Value>,
}

impl Hook {
    /// The environment Juju's unit agent gives this hook of `state`'s unit, laid out in
    /// `work`: the unit, model and charm directory, `juju_version`, `context_id`, the hook
    /// tools first on `PATH` and the model file they serve, then `extra`, then the hook's own
    /// variables.
    pub fn agent_env<'a>(
        &self,
        work: &WorkDir,
        state: &JujuState,
        juju_version: &str,
        context_id: String,
        extra: impl IntoIterator<Item = (&'a str, String)>,
    ) -> BTreeMap<String, String> {
        let charm_dir = work.charm_dir().display().to_string();
        let bin = work.bin_dir();
        let path = match std::env::var("PATH") {
            Ok(p) if !p.is_empty() => format!("{}:{p}", bin.display()),
            _ => format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
        };
        let mut env: BTreeMap<String, String> = [
            ("JUJU_DISPATCH_PATH", self.dispatch_path.clone()),
            ("JUJU_UNIT_NAME", state.unit.clone()),
            ("JUJU_MODEL_NAME", state.model.name.clone()),
            ("JUJU_MODEL_UUID", state.model.uuid.clone()),
            ("JUJU_CHARM_DIR", charm_dir.clone()),
            ("CHARM_DIR", charm_dir),
            ("JUJU_VERSION", juju_version.to_owned()),
            ("JUJU_CONTEXT_ID", context_id),
            // Juju exports these in every hook, empty where they do not apply (a Kubernetes
            // unit has no machine, a principal unit no principal).
            (
                "JUJU_MACHINE_ID",
                state.machine_id.clone().unwrap_or_default(),
            ),
            (
                "JUJU_PRINCIPAL_UNIT",
                state.principal_unit.clone().unwrap_or_default(),
            ),
            (
                "JUJU_AVAILABILITY_ZONE",
                state.availability_zone.clone().unwrap_or_default(),
            ),
            ("JUJU_API_ADDRESSES", String::new()),
            ("CLOUD_API_VERSION", String::new()),
            ("JUJU_CHARM_HTTP_PROXY", String::new()),
            ("JUJU_CHARM_HTTPS_PROXY", String::new()),
            ("JUJU_CHARM_FTP_PROXY", String::new()),
            ("JUJU_CHARM_NO_PROXY", String::new()),
            ("PATH", path),
            ("JUJU_SIM_STATE", work.state_file().display().to_string()),
        ]
        .into_iter()
        .chain(extra)
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if !self.hook_name().is_empty() {
            env.insert("JUJU_HOOK_NAME".to_owned(), self.hook_name().to_owned());
        }
        // Kubernetes sets it in every pod and Juju passes it on to the hook.
        if state.model.model_type == ops::model::ModelType::Kubernetes {
            env.insert(
                "KUBERNETES_SERVICE_HOST".to_owned(),
                KUBERNETES_SERVICE_HOST.to_owned(),
            );
        }
        env.extend(self.env.clone());
        env
    }

    /// A hook with no extra context (`install`, `config-changed`, ...).
    pub fn plain(name: &str) -> Hook {
        Hook {
            name: name.to_owned(),
            dispatch_path: format!("hooks/{name}"),
            env: BTreeMap::new(),
            tool_defaults: ToolDefaults::default(),
            action_params: None,
        }
    }

    fn with(mut self, key: &str, value: impl Into<String>) -> Hook {
        self.env.insert(key.to_owned(), value.into());
        self
    }

    /// `<endpoint>-<suffix>` (`relation-created`, ...), for relation `id` with `remote_app`
    /// (empty when the remote application is gone). Juju exports `JUJU_REMOTE_UNIT` in every
    /// relation hook, empty where there is no remote unit (created, broken, app data).
    pub fn relation(
        endpoint: &str,
        id: u64,
        suffix: &str,
        remote_app: &str,
        remote_unit: Option<&str>,
    ) -> Hook {
        let mut h = Hook::plain(&format!("{endpoint}-{suffix}"))
            .with("JUJU_RELATION", endpoint)
            .with("JUJU_RELATION_ID", format!("{endpoint}:{id}"))
            .with("JUJU_REMOTE_APP", remote_app);
        h = h.with("JUJU_REMOTE_UNIT", remote_unit.unwrap_or_default());
        h.tool_defaults = ToolDefaults {
            relation_id: Some(id),
            remote_unit: remote_unit.map(str::to_owned),
            remote_app: (!remote_app.is_empty()).then(|| remote_app.to_owned()),
            storage_id: None,
        };
        h
    }

    /// `<endpoint>-relation-departed` for `unit` leaving.
    pub fn departed(endpoint: &str, id: u64, remote_app: &str, unit: &str) -> Hook {
        Hook::departing(endpoint, id, remote_app, unit, unit)
    }

    /// `<endpoint>-relation-departed` about `remote_unit`, with `JUJU_DEPARTING_UNIT` the
    /// unit that leaves: `remote_unit` itself, or this unit when it is the one going away
    /// (Juju then tells it of every remote unit in turn).
    pub fn departing(
        endpoint: &str,
        id: u64,
        remote_app: &str,
        remote_unit: &str,
        departing: &str,
    ) -> Hook {
        Hook::relation(
            endpoint,
            id,
            "relation-departed",
            remote_app,
            Some(remote_unit),
        )
        .with("JUJU_DEPARTING_UNIT", departing)
    }

    /// `secret-<kind>` for secret `id`.
    pub fn secret(kind: &str, id: &str, label: Option<&str>, revision: Option<u32>) -> Hook {
        let mut h = Hook::plain(&format!("secret-{kind}")).with("JUJU_SECRET_ID", id);
        if let Some(l) = label {
            h = h.with("JUJU_SECRET_LABEL", l);
        }
        if let Some(r) = revision {
            h = h.with("JUJU_SECRET_REVISION", r.to_string());
        }
        h
    }

    /// `<storage>-storage-<suffix>` for instance `name/index`.
    pub fn storage(name: &str, index: u32, suffix: &str) -> Hook {
        let id = format!("{name}/{index}");
        let mut h =
            Hook::plain(&format!("{name}-storage-{suffix}")).with("JUJU_STORAGE_ID", id.clone());
        h.tool_defaults.storage_id = Some(id);
        h
    }

    /// The action `name`, with its id (Juju 3's task id, a number): `JUJU_ACTION_UUID` is
    /// the id and `JUJU_ACTION_TAG` is `action-<id>`, as Juju sets them.
    pub fn action(name: &str, id: &str, params: serde_json::Value) -> Hook {
        Hook {
            name: name.to_owned(),
            dispatch_path: format!("actions/{name}"),
            env: BTreeMap::new(),
            tool_defaults: ToolDefaults::default(),
            action_params: Some(params),
        }
        .with("JUJU_ACTION_NAME", name)
        .with("JUJU_ACTION_UUID", id)
        .with("JUJU_ACTION_TAG", format!("action-{id}"))
    }

    /// `<container>-pebble-ready`.
    pub fn pebble_ready(container: &str) -> Hook {
        Hook::plain(&format!("{container}-pebble-ready")).with("JUJU_WORKLOAD_NAME", container)
    }

    /// `<container>-pebble-custom-notice`.
    pub fn custom_notice(container: &str, id: &str, key: &str) -> Hook {
        Hook::plain(&format!("{container}-pebble-custom-notice"))
            .with("JUJU_WORKLOAD_NAME", container)
            .with("JUJU_NOTICE_ID", id)
            .with("JUJU_NOTICE_TYPE", "custom")
            .with("JUJU_NOTICE_KEY", key)
    }

    /// `<container>-pebble-check-failed` or `-check-recovered` (`kind`), for `check`.
    pub fn check(container: &str, kind: &str, check: &str) -> Hook {
        Hook::plain(&format!("{container}-pebble-{kind}"))
            .with("JUJU_WORKLOAD_NAME", container)
            .with("JUJU_PEBBLE_CHECK_NAME", check)
    }

    /// Any hook by name, with extra variables (`hook:` steps and `juju-sim hook`).
    pub fn named(name: &str, extra: &BTreeMap<String, String>) -> Hook {
        let mut h = match name.strip_prefix("actions/") {
            Some(a) => Hook::action(a, "1", serde_json::json!({})),
            None => Hook::plain(name.strip_prefix("hooks/").unwrap_or(name)),
        };
        for (k, v) in extra {
            h.env.insert(k.clone(), v.clone());
        }
        if let Some((ep, id)) = extra
            .get("JUJU_RELATION_ID")
            .and_then(|r| r.split_once(':'))
        {
            h.env
                .entry("JUJU_RELATION".to_owned())
                .or_insert_with(|| ep.to_owned());
            h.tool_defaults.relation_id = id.parse().ok();
            h.tool_defaults.remote_unit = extra
                .get("JUJU_REMOTE_UNIT")
                .filter(|u| !u.is_empty())
                .cloned();
            h.tool_defaults.remote_app = extra.get("JUJU_REMOTE_APP").cloned().or_else(|| {
                h.tool_defaults
                    .remote_unit
                    .as_ref()
                    .and_then(|u| u.split('/').next().map(str::to_owned))
            });
        }
        h.tool_defaults.storage_id = extra.get("JUJU_STORAGE_ID").cloned();
        h
    }

    /// The `JUJU_HOOK_NAME` Juju sets: the hook's name, empty for actions.
    pub fn hook_name(&self) -> &str {
        if self.dispatch_path.starts_with("actions/") {
            ""
        } else {
            &self.name
        }
    }

    /// A one-line summary of what the hook is about, for the trace.
    pub fn summary(&self) -> String {
        let keys = [
            ("JUJU_RELATION_ID", "relation"),
            ("JUJU_REMOTE_UNIT", "unit"),
            ("JUJU_DEPARTING_UNIT", "departing"),
            ("JUJU_SECRET_ID", "secret"),
            ("JUJU_SECRET_LABEL", "label"),
            ("JUJU_SECRET_REVISION", "revision"),
            ("JUJU_STORAGE_ID", "storage"),
            ("JUJU_NOTICE_ID", "notice-id"),
            ("JUJU_NOTICE_KEY", "key"),
            ("JUJU_PEBBLE_CHECK_NAME", "check"),
            ("JUJU_ACTION_UUID", "uuid"),
        ];
        keys.iter()
            .filter_map(|(k, label)| {
                self.env
                    .get(*k)
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{label}={v}"))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_have_no_hook_name() {
        let a = Hook::action("greet", "u-1", serde_json::json!({}));
        assert_eq!(a.hook_name(), "");
        assert_eq!(a.dispatch_path, "actions/greet");
        assert_eq!(Hook::plain("install").hook_name(), "install");
    }

    #[test]
    fn departed_sets_the_departing_unit() {
        let h = Hook::departed("db", 2, "pg", "pg/1");
        assert_eq!(h.env["JUJU_DEPARTING_UNIT"], "pg/1");
        assert_eq!(h.tool_defaults.relation_id, Some(2));
        assert_eq!(h.summary(), "relation=db:2 unit=pg/1 departing=pg/1");
    }

    #[test]
    fn named_hooks_take_context_from_env() {
        let env: BTreeMap<String, String> = [
            ("JUJU_RELATION_ID".to_owned(), "db:4".to_owned()),
            ("JUJU_REMOTE_UNIT".to_owned(), "pg/0".to_owned()),
        ]
        .into();
        let h = Hook::named("db-relation-changed", &env);
        assert_eq!(h.env["JUJU_RELATION"], "db");
        assert_eq!(h.tool_defaults.relation_id, Some(4));
        assert_eq!(h.tool_defaults.remote_app.as_deref(), Some("pg"));
    }

    #[test]
    fn the_units_machine_zone_and_principal_come_from_the_state() {
        let work = WorkDir::new("/tmp/juju-sim-test");
        let state = JujuState::new("logger/0")
            .machine_id("2/lxd/1")
            .availability_zone("zone-c")
            .principal_unit("mysql/0");
        let env = Hook::plain("install").agent_env(&work, &state, "3.6.4", "c-1".into(), []);
        assert_eq!(env["JUJU_MACHINE_ID"], "2/lxd/1");
        assert_eq!(env["JUJU_AVAILABILITY_ZONE"], "zone-c");
        assert_eq!(env["JUJU_PRINCIPAL_UNIT"], "mysql/0");
        let env = Hook::plain("install").agent_env(
            &work,
            &JujuState::new("web/0"),
            "3.6.4",
            "c-2".into(),
            [],
        );
        assert_eq!(env["JUJU_MACHINE_ID"], "");
    }

    #[test]
    fn notices_carry_their_env() {
        let h = Hook::custom_notice("web", "7", "example.com/ready");
        assert_eq!(h.dispatch_path, "hooks/web-pebble-custom-notice");
        assert_eq!(h.env["JUJU_NOTICE_TYPE"], "custom");
        let c = Hook::check("web", "check-failed", "alive");
        assert_eq!(c.env["JUJU_PEBBLE_CHECK_NAME"], "alive");
    }
}
