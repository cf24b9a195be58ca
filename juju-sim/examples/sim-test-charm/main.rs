//! A tiny ops-rs sidecar charm used by juju-sim's tests (metadata beside it in
//! `charmcraft.yaml`): one container `web`, a `website` relation, a
//! `port` option, a `greet` action, and a `limits` action that sends things past Linux's and
//! Juju's limits. With `SIM_TEST_JUJU_STORAGE` set in its environment it keeps its state in
//! Juju's controller-side store (`MainOptions::juju_storage`).
//!
//! It reconciles on config-changed, pebble-ready and website relation events: it adds a
//! layer with a service and a check to the container's Pebble, sets the app version and the
//! relation's `url`, and goes active. When Pebble does not answer it waits and defers.
//!
//! Its other actions exercise what differs between Juju versions and model types (see
//! `charmcraft.yaml`); `leader-lease` moves the charm's own clock, which the model times
//! leadership with, so no test waits 30 seconds.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ops::model::{ModelError, Port, SecretContent, SecretMetadata, StatusTarget};
use ops::prelude::*;
use ops::resilience::ManualClock;
use pebble_client::blocking::Client;
use serde_json::{Value, json};

struct SimTest {
    /// The clock the model times leadership with (given to `main_with`).
    clock: ManualClock,
}

/// An action parameter as a string ("" if absent).
fn param(params: &serde_json::Map<String, Value>, name: &str) -> String {
    match params.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// What the charm keeps between hooks.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Stored {
    /// Text the `limits` action's `grow` case adds to.
    #[serde(default)]
    notes: Vec<String>,
}

fn socket(container: &str) -> PathBuf {
    let dir =
        std::env::var_os("OPS_RS_CONTAINERS_DIR").unwrap_or_else(|| "/charm/containers".into());
    PathBuf::from(dir).join(container).join("pebble.socket")
}

const LAYER: &str = "summary: web
services:
  web:
    override: replace
    command: /bin/web --port PORT
    startup: enabled
checks:
  alive:
    override: replace
    threshold: 1
    exec:
      command: /bin/true
";

impl Charm for SimTest {
    type Stored = Stored;

    fn observe(on: &mut Observers<Self>) {
        on.install("on_install", |_, ctx, _| {
            ctx.model()
                .juju_log(ops::model::LogLevel::Info, "installing sim-test")?;
            Ok(())
        });
        on.many(
            "reconcile",
            [
                EventKind::ConfigChanged,
                EventKind::pebble_ready("web"),
                EventKind::relation_changed("website"),
                EventKind::relation_joined("website"),
            ],
            Self::reconcile,
        );
        on.pebble_custom_notice("web", "on_notice", |_, ctx, ev| {
            let msg = format!(
                "custom notice {} id {} type {}",
                ev.notice_key, ev.notice_id, ev.notice_type
            );
            ctx.model().juju_log(ops::model::LogLevel::Info, &msg)?;
            ctx.add_unit_status(Status::active(format!("notice {}", ev.notice_key)))?;
            Ok(())
        });
        on.pebble_check_failed("web", "on_check_failed", |_, ctx, ev| {
            ctx.model().juju_log(
                ops::model::LogLevel::Warning,
                &format!("check failed: {}", ev.check_name),
            )?;
            ctx.add_unit_status(Status::maintenance(format!(
                "check {} failing",
                ev.check_name
            )))?;
            Ok(())
        });
        on.pebble_check_recovered("web", "on_check_recovered", |_, ctx, ev| {
            ctx.model().juju_log(
                ops::model::LogLevel::Info,
                &format!("check recovered: {}", ev.check_name),
            )?;
            Ok(())
        });
        on.action("greet", "on_greet", |_, ctx, _| {
            let params = ctx.model().action_params_map()?;
            let name = params
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("nobody")
                .to_owned();
            if name == "fail" {
                ctx.model().action_fail("asked to fail")?;
            } else {
                ctx.model().action_set_results(
                    &serde_json::json!({"greeting": format!("hello {name}")}),
                )?;
            }
            Ok(())
        });
        on.action("rotate-secret", "on_rotate_secret", |_, ctx, _| {
            let params = ctx.model().action_params_map()?;
            let mut secret = ctx.model().get_secret_by_label(&param(&params, "label"))?;
            secret.set_content(&SecretContent::from_pairs([(
                "password",
                param(&params, "password"),
            )]))?;
            secret.set_info(&SecretMetadata::default().description("rotated"))?;
            Ok(())
        });
        on.action("show-secret", "on_show_secret", |_, ctx, _| {
            let params = ctx.model().action_params_map()?;
            let secret = ctx.model().get_secret_by_label(&param(&params, "label"))?;
            let content = secret.peek_content()?;
            let info = secret.info()?;
            ctx.model().action_set_results(&json!({
                "password": content.get("password").unwrap_or_default(),
                "description": info.description.unwrap_or_default(),
                "label": info.label.unwrap_or_default(),
                "rotation": info.rotation.map(|r| r.as_str()).unwrap_or_default(),
                "revision": info.revision.to_string(),
            }))?;
            Ok(())
        });
        on.action("open-range", "on_open_range", |_, ctx, _| {
            let params = ctx.model().action_params_map()?;
            let bound = |name: &str| {
                params
                    .get(name)
                    .and_then(Value::as_u64)
                    .and_then(|p| u16::try_from(p).ok())
                    .unwrap_or(0)
            };
            let result = match ctx
                .model()
                .open_port(Port::tcp_range(bound("from"), bound("to")))
            {
                Ok(()) => "opened".to_owned(),
                Err(e @ ModelError::Unsupported { .. }) => format!("refused: {e}"),
                Err(e) => format!("failed: {e}"),
            };
            ctx.model()
                .action_set_results(&json!({ "result": result }))?;
            Ok(())
        });
        on.action("unit-statuses", "on_unit_statuses", |_, ctx, _| {
            let app = ctx.model().status(StatusTarget::App)?;
            let mut results = serde_json::Map::new();
            results.insert("app".into(), Value::String(app.to_string()));
            // Result keys take no '/': `sim-test/0` is reported as `sim-test-0`.
            for (unit, status) in ctx.model().unit_statuses()? {
                results.insert(unit.replace('/', "-"), Value::String(status.to_string()));
            }
            ctx.model().action_set_results(&Value::Object(results))?;
            Ok(())
        });
        on.action("leader-lease", "on_leader_lease", |charm, ctx, _| {
            let first = ctx.model().is_leader()?;
            charm.clock.advance(Duration::from_secs(31));
            let second = ctx.model().is_leader()?;
            ctx.model().action_set_results(&json!({
                "first": first.to_string(),
                "second": second.to_string(),
            }))?;
            Ok(())
        });
        on.action("network", "on_network", |_, ctx, _| {
            let params = ctx.model().action_params_map()?;
            let id = params
                .get("id")
                .and_then(Value::as_u64)
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(0);
            let relation = ctx.model().relation("website", id);
            let network = ctx.model().relation_network(&relation)?;
            ctx.model().action_set_results(&json!({
                "ingress": network.ingress_address().unwrap_or_default(),
            }))?;
            Ok(())
        });
        on.action("limits", "on_limits", |_, ctx, ev| {
            let case = ev.params["case"].as_str().unwrap_or_default().to_owned();
            let model = ctx.model().clone();
            match case.as_str() {
                "long-failure" => {
                    model.action_fail(&format!("backup failed: {}", "e".repeat(1 << 20)))?;
                }
                "many-results" => {
                    let results: serde_json::Map<String, serde_json::Value> = (0..25)
                        .map(|i| (format!("part-{i:02}"), "r".repeat(100_000).into()))
                        .collect();
                    model.action_set_results(&results)?;
                }
                "multibyte-log" => {
                    model.juju_log(ops::model::LogLevel::Info, &"é".repeat(100_000))?;
                    model.action_set_results(&serde_json::json!({"logged": true}))?;
                }
                "grow" => ctx.stored_mut().notes.push("n".repeat(100_000)),
                "stored-size" => {
                    let size: usize = ctx.stored().notes.iter().map(String::len).sum();
                    model.action_set_results(&serde_json::json!({"size": size}))?;
                }
                other => return Err(HandlerError::msg(format!("unknown case {other:?}"))),
            }
            Ok(())
        });
        on.update_status("on_update_status", |_, ctx, _| {
            ctx.model()
                .juju_log(ops::model::LogLevel::Debug, "update-status tick")?;
            Ok(())
        });
        on.stop("on_stop", |_, ctx, _| {
            ctx.model()
                .juju_log(ops::model::LogLevel::Info, "stopping")?;
            Ok(())
        });
    }
}

impl SimTest {
    fn reconcile(&mut self, ctx: &mut Ctx<Self>, ev: &mut Event) -> HandlerResult {
        let port = ctx
            .model()
            .config_value("port")?
            .and_then(|v| v.as_u64())
            .unwrap_or(8080);
        ctx.model().set_workload_version(&format!("port-{port}"))?;
        let client = Client::new(socket("web"))?;
        let layer = LAYER.replace("PORT", &port.to_string());
        if let Err(e) = client.add_layer_yaml("web", &layer, true) {
            ctx.model().juju_log(
                ops::model::LogLevel::Warning,
                &format!("Pebble is not ready: {e}"),
            )?;
            ctx.add_unit_status(Status::waiting("waiting for Pebble in web"))?;
            ev.defer()?;
            return Ok(());
        }
        client.replan_services()?;
        let unit = ctx.model().unit_name().to_owned();
        for rel in ctx.model().relations("website")? {
            rel.local_unit_data()
                .set("url", format!("http://{unit}:{port}"))?;
        }
        ctx.model()
            .open_port(Port::tcp(u16::try_from(port).unwrap_or(8080)))?;
        ctx.add_unit_status(Status::active(format!("serving on {port}")))?;
        Ok(())
    }
}

fn main() -> ExitCode {
    let clock = ManualClock::new();
    let juju_storage = std::env::var_os("SIM_TEST_JUJU_STORAGE").is_some();
    let options = ops::MainOptions::default()
        .clock(Arc::new(clock.clone()))
        .juju_storage(juju_storage);
    ops::main_with(SimTest { clock }, options)
}
