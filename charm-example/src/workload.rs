//! The workload in the `web` container: its Pebble layer, its configuration file, its start
//! wrapper, and bringing the container to that state.
//!
//! [`Desired`] is what the container should hold for a configuration; [`inspect`] compares
//! it with what the container holds ([`Changes`]); [`apply`] makes the difference, starting
//! or restarting the service only when something changed. Every call goes through the
//! framework's Pebble client, which retries transient failures within its budget.

use ops::container::{
    Container, ContainerError, Layer, NoticeType, NoticesQuery, PushOptions, Service, ServiceInfo,
};
use serde_json::json;

use crate::config::WebkvConfig;
use crate::token::AdminToken;

/// The workload container, as declared in `charmcraft.yaml`.
pub const CONTAINER: &str = "web";
/// The Pebble service running webkv.
pub const SERVICE: &str = "webkv";
/// The label of the charm's Pebble layer.
pub const LAYER_LABEL: &str = "webkv";
/// The server binary, provided by the OCI image.
pub const SERVER_BIN: &str = "/usr/bin/webkv-server";
/// The configuration file the charm writes (it holds the admin token: mode 0600).
pub const CONFIG_FILE: &str = "/etc/webkv/config.json";
/// The start wrapper the charm writes; the service's command runs it.
pub const START_SCRIPT: &str = "/usr/local/bin/webkv-start";
/// Where webkv keeps its data.
pub const DATA_DIR: &str = "/var/lib/webkv";
/// The store's data file.
pub const DATA_FILE: &str = "/var/lib/webkv/data.json";
/// Where Juju puts the `pebble` binary in workload containers.
pub const PEBBLE_BIN: &str = "/charm/bin/pebble";
/// The key of the custom notice the wrapper records once the server answers.
pub const READY_NOTICE: &str = "webkv.example.com/ready";

/// The start wrapper's text (see `src/webkv-start.sh`).
const START_SCRIPT_TEXT: &str = include_str!("webkv-start.sh");

/// What the container should hold for one configuration.
///
/// No `Debug`: the configuration file holds the admin token.
pub struct Desired {
    layer: Layer,
    config_file: String,
}

impl Desired {
    /// The layer and configuration file for `config` and `token`.
    pub fn new(config: &WebkvConfig, token: &AdminToken) -> Self {
        Desired {
            layer: layer(config.port),
            config_file: config_file(config, token),
        }
    }

    /// The Pebble layer.
    pub fn layer(&self) -> &Layer {
        &self.layer
    }
}

/// The charm's Pebble layer: one service running the start wrapper, told where everything
/// is through its environment.
pub fn layer(port: u16) -> Layer {
    let mut service = Service::replace(format!("/bin/sh {START_SCRIPT}")).enabled();
    service.summary = Some("webkv key-value store".to_owned());
    service.environment = [
        ("WEBKV_SERVER", SERVER_BIN.to_owned()),
        ("WEBKV_CONFIG", CONFIG_FILE.to_owned()),
        ("WEBKV_PORT", port.to_string()),
        ("WEBKV_PEBBLE", PEBBLE_BIN.to_owned()),
        // Also in the config file; in the environment, a simulator can map it.
        ("WEBKV_DATA_DIR", DATA_DIR.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Layer {
        summary: Some("webkv, managed by the webkv charm".to_owned()),
        services: [(SERVICE.to_owned(), service)].into_iter().collect(),
        ..Layer::default()
    }
}

/// The workload's configuration file (the keys `webkv-server --config` reads).
fn config_file(config: &WebkvConfig, token: &AdminToken) -> String {
    let value = json!({
        "port": config.port,
        "greeting": config.greeting,
        "data-dir": DATA_DIR,
        "max-keys": config.max_keys,
        "admin-token": token.expose(),
    });
    format!("{value:#}\n")
}

/// How the container differs from [`Desired`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Changes {
    /// The start wrapper is missing or different.
    pub script: bool,
    /// The configuration file is missing or different.
    pub config: bool,
    /// The service's definition in the plan is missing or different.
    pub layer: bool,
    /// The service is running.
    pub running: bool,
}

impl Changes {
    /// Whether [`apply`] will start or restart the service.
    pub fn starts_service(&self) -> bool {
        self.script || self.config || self.layer || !self.running
    }
}

/// Compares the container with `desired`.
pub fn inspect(web: &Container, desired: &Desired) -> Result<Changes, ContainerError> {
    let differs = |path: &str, want: &str| -> Result<bool, ContainerError> {
        match web.pull(path) {
            Ok(have) => Ok(have != want.as_bytes()),
            Err(e) if e.is_not_found() => Ok(true),
            Err(e) => Err(e),
        }
    };
    let plan = web.get_plan()?;
    let running = web
        .get_services(&[SERVICE])?
        .get(SERVICE)
        .is_some_and(ServiceInfo::is_running);
    Ok(Changes {
        script: differs(START_SCRIPT, START_SCRIPT_TEXT)?,
        config: differs(CONFIG_FILE, &desired.config_file)?,
        layer: plan.services.get(SERVICE) != desired.layer.services.get(SERVICE),
        running,
    })
}

/// Brings the container to `desired`, given what [`inspect`] found.
///
/// - files first, so the service never starts with an old configuration;
/// - the layer, combined under [`LAYER_LABEL`] (the charm owns that label);
/// - `replan` when the layer changed or the service is stopped: Pebble restarts a service
///   whose definition changed and starts an enabled one that is not running;
/// - `restart` when only the files changed: the definition is the same, so replan would
///   leave the running service on its old configuration.
pub fn apply(web: &Container, desired: &Desired, changes: &Changes) -> Result<(), ContainerError> {
    if changes.script {
        web.push(START_SCRIPT, START_SCRIPT_TEXT, &push_options(0o755))?;
    }
    if changes.config {
        web.push(CONFIG_FILE, &desired.config_file, &push_options(0o600))?;
    }
    if changes.layer {
        web.add_layer(LAYER_LABEL, &desired.layer, true)?;
    }
    if changes.layer || !changes.running {
        web.replan()?;
    } else if changes.script || changes.config {
        web.restart(&[SERVICE])?;
    }
    Ok(())
}

/// Push options creating parent directories, with `mode` (e.g. `0o600`).
pub fn push_options(mode: u32) -> PushOptions {
    PushOptions::new().make_dirs(true).permissions(mode)
}

/// How many times the workload has recorded the ready notice (0 if never, or since Pebble
/// last started).
pub fn ready_notices(web: &Container) -> Result<u64, ContainerError> {
    let query = NoticesQuery::new()
        .types([NoticeType::Custom])
        .keys([READY_NOTICE]);
    Ok(web
        .get_notices(&query)?
        .iter()
        .map(|n| n.occurrences)
        .max()
        .unwrap_or(0))
}

/// The admin token the workload's configuration file holds: the one the running server
/// checks. `None` if the file is missing or holds no token.
pub fn token_in_effect(web: &Container) -> Result<Option<AdminToken>, ContainerError> {
    let text = match web.pull(CONFIG_FILE) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let value: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
    Ok(value
        .get("admin-token")
        .and_then(serde_json::Value::as_str)
        .filter(|t| !t.is_empty())
        .map(AdminToken::new))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> WebkvConfig {
        WebkvConfig {
            port: 9000,
            greeting: "hi \"there\"".into(),
            max_keys: 5,
            admin_token_secret: None,
        }
    }

    #[test]
    fn the_layer_runs_the_wrapper_with_everything_in_its_environment() {
        let layer = layer(9000);
        let yaml = layer.to_yaml().unwrap();
        let back = Layer::from_yaml(&yaml).unwrap();
        assert_eq!(back, layer);
        let svc = &layer.services[SERVICE];
        assert_eq!(
            svc.command.as_deref(),
            Some("/bin/sh /usr/local/bin/webkv-start")
        );
        assert_eq!(svc.environment["WEBKV_PORT"], "9000");
        assert_eq!(svc.environment["WEBKV_SERVER"], SERVER_BIN);
        assert_eq!(svc.environment["WEBKV_CONFIG"], CONFIG_FILE);
        assert_eq!(svc.environment["WEBKV_PEBBLE"], PEBBLE_BIN);
        assert_eq!(svc.environment["WEBKV_DATA_DIR"], DATA_DIR);
        assert_ne!(layer, super::layer(9001), "a new port is a new definition");
    }

    #[test]
    fn the_config_file_is_what_webkv_server_reads() {
        let text = config_file(&config(), &AdminToken::new("tok"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({"port": 9000, "greeting": "hi \"there\"", "data-dir": DATA_DIR,
                   "max-keys": 5, "admin-token": "tok"})
        );
    }

    #[test]
    fn the_wrapper_takes_its_paths_from_the_environment_and_notifies_readiness() {
        for needle in [
            "\"$WEBKV_SERVER\" --config \"$WEBKV_CONFIG\"",
            "probe \"http://127.0.0.1:$WEBKV_PORT/health\"",
            "\"$WEBKV_PEBBLE\" notify webkv.example.com/ready \"port=$WEBKV_PORT\"",
            "trap 'kill -TERM",
        ] {
            assert!(START_SCRIPT_TEXT.contains(needle), "{needle}");
        }
        assert!(START_SCRIPT_TEXT.contains(READY_NOTICE));
        for path in [SERVER_BIN, CONFIG_FILE, PEBBLE_BIN, DATA_DIR] {
            assert!(!START_SCRIPT_TEXT.contains(path), "{path} is hard-coded");
        }
    }

    #[test]
    fn only_a_change_or_a_stopped_service_starts_it() {
        let steady = Changes {
            running: true,
            ..Changes::default()
        };
        assert!(!steady.starts_service());
        assert!(Changes::default().starts_service());
        assert!(
            Changes {
                config: true,
                ..steady
            }
            .starts_service()
        );
        assert!(
            Changes {
                layer: true,
                ..steady
            }
            .starts_service()
        );
        assert!(
            Changes {
                script: true,
                ..steady
            }
            .starts_service()
        );
    }
}
