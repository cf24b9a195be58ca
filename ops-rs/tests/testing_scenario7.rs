//! The features Scenario 7 has that the testing API gained with them (issue 19, items
//! 11–19): subordinate relations, the charm root, a look at the charm before the commit,
//! states from the metadata, mounts and check health, model details, the run's history
//! outputs, giving up on a hook, and the secret events' conveniences.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ops::framework::{InvalidConfig, InvalidParams};
use ops::metadata::CharmMeta;
use ops::model::{ModelType, SecretRef};
use ops::prelude::*;
use ops::testing::juju::{RelationState, SecretOwnership, SecretState, SubordinateRelation};
use ops::testing::{CheckHealth, ContainerState, Context, Harness, HostMount, RunError, State};
use pebble_client::types::{CheckLevel, CheckStatus};
use serde_json::json;

fn inconsistent(r: Result<impl std::fmt::Debug, RunError>, needle: &str) {
    match r {
        Err(RunError::Inconsistent { problem }) => {
            assert!(problem.contains(needle), "{problem:?} lacks {needle:?}")
        }
        other => panic!("expected an inconsistency about {needle:?}, got {other:?}"),
    }
}

// ----- 11: subordinate relations -----

const SUB_META: &str = "name: logger\nsubordinate: true\nrequires:\n  juju-info:\n    interface: juju-info\n    scope: container\n  metrics:\n    interface: prom\n";

#[derive(Default)]
struct Logger;
impl Charm for Logger {
    type Stored = Vec<String>;
    fn observe(on: &mut Observers<Self>) {
        on.relation_changed("juju-info", "seen", |_, ctx, ev| {
            let rel = ctx.model().relation("juju-info", ev.relation_id);
            let units = rel.units()?;
            let address = rel.unit_data(&units[0]).get("private-address")?;
            let principal = ctx.juju_context().principal_unit.clone();
            ctx.stored_mut().extend([
                units.join(","),
                address.unwrap_or_default(),
                principal.unwrap_or_default(),
            ]);
            Ok(())
        });
    }
}

#[test]
fn a_subordinate_sees_its_principal_only() {
    let ctx = Context::<Logger>::new(CharmMeta::from_charmcraft_yaml(SUB_META).unwrap());
    let rel = SubordinateRelation::new(3, "juju-info", "mysql/1")
        .remote_unit_data([("private-address", "10.0.0.9")]);
    let state = State::new().relation(rel.clone());
    let out = ctx
        .run(ctx.on.relation_changed(&rel.clone().into()), &state)
        .unwrap();
    // relation-list gives the one unit; JUJU_PRINCIPAL_UNIT is that unit, as Juju sets it.
    assert_eq!(
        out.state.stored_as::<Vec<String>>().unwrap(),
        ["mysql/1", "10.0.0.9", "mysql/1"]
    );
    assert!(out.state.juju.relations[0].subordinate);
    // An explicit principal wins.
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel.clone().into()),
            &state.clone().principal_unit("mysql/1"),
        )
        .unwrap();
    assert_eq!(out.state.stored_as::<Vec<String>>().unwrap()[2], "mysql/1");
}

#[test]
fn subordinate_relations_are_checked_against_the_scope() {
    let ctx = Context::<Logger>::new(CharmMeta::from_charmcraft_yaml(SUB_META).unwrap());
    let global_on_container = State::new().relation(RelationState::new(1, "juju-info", "mysql"));
    inconsistent(
        ctx.run(ctx.on.start(), &global_on_container),
        "must be a SubordinateRelation",
    );
    let sub_on_global = State::new().relation(SubordinateRelation::new(2, "metrics", "prom/0"));
    inconsistent(
        ctx.run(ctx.on.start(), &sub_on_global),
        "not container-scoped",
    );
    let mut two_units: RelationState = SubordinateRelation::new(3, "juju-info", "mysql/0").into();
    two_units
        .remote_units
        .insert("mysql/1".into(), Default::default());
    inconsistent(
        ctx.run(ctx.on.start(), &State::new().relation(two_units)),
        "at most one",
    );
    let wrong_principal = State::new()
        .relation(SubordinateRelation::new(3, "juju-info", "mysql/0"))
        .principal_unit("pg/0");
    inconsistent(
        ctx.run(ctx.on.start(), &wrong_principal),
        "not the remote unit",
    );
    // A principal charm has no principal unit.
    let web = Context::<Logger>::new(CharmMeta::from_charmcraft_yaml("name: web").unwrap());
    inconsistent(
        web.run(web.on.start(), &State::new().principal_unit("x/0")),
        "not a subordinate",
    );
}

#[test]
fn the_harness_relates_a_subordinate_through_a_container_scoped_endpoint() {
    let mut h = Harness::<Logger>::new(CharmMeta::from_charmcraft_yaml(SUB_META).unwrap());
    h.begin();
    let id = h.add_relation("juju-info", "mysql").unwrap();
    h.add_relation_unit(id, "mysql/0").unwrap();
    let rel = h.state().relation_by_id(id).unwrap();
    assert!(rel.subordinate);
    assert_eq!(
        h.state().stored_as::<Vec<String>>().unwrap()[..1],
        ["mysql/0"]
    );
    let metrics = h.add_relation("metrics", "prom").unwrap();
    assert!(!h.state().relation_by_id(metrics).unwrap().subordinate);
}

// ----- 12: the charm root -----

#[derive(Default)]
struct Render;
impl Charm for Render {
    type Stored = String;
    fn observe(on: &mut Observers<Self>) {
        on.install("render", |_, ctx, _| {
            let dir = ctx.juju_context().charm_dir.clone();
            let template = std::fs::read_to_string(dir.join("templates/conf.tmpl"))?;
            std::fs::write(dir.join("templates/conf.tmpl"), "overwritten")?;
            let script = std::fs::metadata(dir.join("bin/hook.sh"))?;
            let exec = std::os::unix::fs::PermissionsExt::mode(&script.permissions()) & 0o111;
            *ctx.stored_mut() = format!("{template} exec={}", exec != 0);
            Ok(())
        });
    }
}

#[test]
fn the_charm_root_is_copied_for_each_run() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("templates")).unwrap();
    std::fs::create_dir_all(root.path().join("bin")).unwrap();
    std::fs::write(root.path().join("templates/conf.tmpl"), "port={{port}}").unwrap();
    let script = root.path().join("bin/hook.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let meta = CharmMeta::from_charmcraft_yaml("name: render").unwrap();
    let ctx = Context::<Render>::new(meta).charm_root(root.path());
    for _ in 0..2 {
        let out = ctx.run(ctx.on.install(), &State::new()).unwrap();
        assert_eq!(
            out.state.stored_as::<String>().unwrap(),
            "port={{port}} exec=true"
        );
    }
    // The charm's write went to the copy.
    assert_eq!(
        std::fs::read_to_string(root.path().join("templates/conf.tmpl")).unwrap(),
        "port={{port}}"
    );
    let missing = Context::<Render>::new(CharmMeta::from_charmcraft_yaml("name: r").unwrap())
        .charm_root(root.path().join("nope"));
    let e = missing
        .run(missing.on.install(), &State::new())
        .unwrap_err();
    assert!(matches!(e, RunError::CharmRoot { .. }), "{e}");
    // Without a charm root the charm directory exists and is empty.
    let plain = Context::<Render>::new(CharmMeta::from_charmcraft_yaml("name: r").unwrap());
    let e = plain.run(plain.on.install(), &State::new()).unwrap_err();
    assert!(e.to_string().contains("No such file"), "{e}");
}

// ----- 13: a look at the charm before the commit -----

#[derive(Default)]
struct Counter {
    handled: u32,
}
impl Charm for Counter {
    type Stored = u32;
    fn observe(on: &mut Observers<Self>) {
        on.update_status("count", |c, ctx, _| {
            c.handled += 1;
            *ctx.stored_mut() += 1;
            if ctx.model().config_value("fail")? == Some(json!(true)) {
                return Err(HandlerError::msg("asked to fail"));
            }
            ctx.add_unit_status(Status::active("counted"))?;
            Ok(())
        });
    }
}

const COUNTER_META: &str =
    "name: counter\nconfig:\n  options:\n    fail: {type: boolean, default: false}\n";

#[test]
fn run_inspect_sees_the_charm_after_the_event_and_before_the_commit() {
    let ctx = Context::<Counter>::new(CharmMeta::from_charmcraft_yaml(COUNTER_META).unwrap());
    let state = State::new().stored(&4u32).unwrap();
    let (out, seen) = ctx
        .run_inspect(ctx.on.update_status(), &state, |charm, ctx| {
            // The event and collect-status are done: the status is set, the state changed.
            let leader = ctx.model().is_leader().unwrap();
            *ctx.stored_mut() += 10; // and what the look changes is committed
            (charm.handled, leader)
        })
        .unwrap();
    assert_eq!(seen, (1, false));
    assert_eq!(out.state.stored_as::<u32>().unwrap(), 15);
    assert_eq!(out.state.juju.unit_status, Status::active("counted"));
    let status_set = out
        .tool_lines()
        .iter()
        .position(|l| l.starts_with("status-set"));
    let is_leader = out
        .tool_lines()
        .iter()
        .position(|l| l.starts_with("is-leader"));
    assert!(status_set < is_leader, "{:?}", out.tool_lines());

    let mut called = false;
    let e = ctx
        .run_inspect(
            ctx.on.update_status(),
            &state.clone().config("fail", true),
            |_, _| called = true,
        )
        .unwrap_err();
    assert!(matches!(e, RunError::Dispatch { .. }), "{e}");
    assert!(!called);
}

// ----- 14: a state from the metadata -----

const FULL_META: &str = r#"
name: full
containers:
  web: {resource: img}
resources:
  img: {type: oci-image}
requires:
  db: {interface: pg}
  logs: {interface: loki, scope: container}
provides:
  site: {interface: http}
peers:
  cluster: {interface: full-peer}
storage:
  data: {type: filesystem, location: /srv/data}
  cache: {type: filesystem}
config:
  options:
    port: {type: int, default: 8080}
    name: {type: string}
"#;

#[derive(Default)]
struct Full;
impl Charm for Full {
    type Stored = Vec<String>;
    fn observe(on: &mut Observers<Self>) {
        on.start("look", |_, ctx, _| {
            let m = ctx.model().clone();
            let mut seen = vec![format!(
                "port={}",
                m.config_value("port")?.unwrap_or_default()
            )];
            for ep in ["db", "logs", "site", "cluster"] {
                seen.push(format!("{ep}={}", m.relation_ids(ep)?.len()));
            }
            seen.push(format!("data={}", m.storage_location("data", 0)?.display()));
            seen.push(format!("web={}", ctx.container("web")?.can_connect()));
            *ctx.stored_mut() = seen;
            Ok(())
        });
    }
}

#[test]
fn from_context_declares_everything_the_metadata_does() {
    let ctx = Context::<Full>::new(CharmMeta::from_charmcraft_yaml(FULL_META).unwrap());
    let state = State::from_context(&ctx);
    assert_eq!(state.juju.unit, "full/0");
    assert_eq!(state.juju.config.values.len(), 1); // only options with a default
    let rels: Vec<(u64, &str, bool, bool, usize)> = state
        .juju
        .relations
        .iter()
        .map(|r| {
            (
                r.id,
                r.endpoint.as_str(),
                r.peer,
                r.subordinate,
                r.remote_units.len(),
            )
        })
        .collect();
    assert_eq!(
        rels,
        [
            (1, "db", false, false, 1),
            (2, "logs", false, true, 1),
            (3, "site", false, false, 1),
            (4, "cluster", true, false, 0),
        ]
    );
    assert_eq!(state.juju.relations[0].interface, "pg");
    assert_eq!(
        state.juju.storage["cache"][0].location,
        "/var/lib/juju/storage/cache/0"
    );
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(
        out.state.stored_as::<Vec<String>>().unwrap(),
        [
            "port=8080",
            "db=1",
            "logs=1",
            "site=1",
            "cluster=1",
            "data=/srv/data",
            "web=true"
        ]
    );
    // Builder calls replace what the metadata gave.
    let state = State::from_context(&ctx)
        .relation(RelationState::new(1, "db", "pg").remote_app_data([("host", "h")]))
        .config("port", 9000);
    assert_eq!(state.juju.relations.len(), 4);
    assert_eq!(state.juju.relations[0].remote_app, "pg");
    assert_eq!(state.juju.config.values["port"], 9000);
}

// ----- 15: mounts and check health -----

const WEB_META: &str =
    "name: web\ncontainers:\n  web: {resource: img}\nresources:\n  img: {type: oci-image}\n";
const CHECK_LAYER: &str = "checks:\n  ready:\n    override: replace\n    level: ready\n    threshold: 3\n    tcp: {port: 8080}\n  alive:\n    override: replace\n    level: alive\n    exec: {command: /bin/true}\n";

#[derive(Default)]
struct Files;
impl Charm for Files {
    type Stored = Vec<String>;
    fn observe(on: &mut Observers<Self>) {
        on.pebble_ready("web", "files", |_, ctx, ev| {
            let c = ctx.container(&ev.container)?;
            let seed = c.pull_string("/var/lib/web/seed.txt")?;
            let dirs = ops::container::PushOptions::new().make_dirs(true);
            c.push("/var/lib/web/out/result.txt", "written", &dirs)?;
            c.push("/etc/web.conf", "conf", &dirs)?;
            let listed = c.list_files("/var/lib/web", &Default::default())?;
            let mut names: Vec<String> = listed.iter().map(|f| f.name.clone()).collect();
            names.sort();
            let checks = c.get_checks(&[])?;
            let mut seen = vec![seed, names.join(",")];
            for (name, info) in checks {
                seen.push(format!(
                    "{name}:{}:{}/{}",
                    info.status.as_str(),
                    info.failures,
                    info.threshold
                ));
            }
            *ctx.stored_mut() = seen;
            Ok(())
        });
    }
}

#[test]
fn a_mount_maps_a_host_directory_into_the_container() {
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("seed.txt"), "from the host").unwrap();
    let ctx = Context::<Files>::new(CharmMeta::from_charmcraft_yaml(WEB_META).unwrap());
    let web = ContainerState::new("web").mount(HostMount::new("/var/lib/web", host.path()));
    let out = ctx
        .run(ctx.on.pebble_ready("web"), &State::new().container(web))
        .unwrap();
    let seen = out.state.stored_as::<Vec<String>>().unwrap();
    assert_eq!(seen[..2], ["from the host", "out,seed.txt"]);
    assert_eq!(
        std::fs::read_to_string(host.path().join("out/result.txt")).unwrap(),
        "written"
    );
    let files: Vec<&String> = out.state.containers["web"].files.keys().collect();
    assert_eq!(files, ["/etc/web.conf"]); // the mount's files stay in the mount
    assert_eq!(out.state.containers["web"].mounts.len(), 1);

    let clash = ContainerState::new("web")
        .mount(HostMount::new("/var/lib/web", host.path()))
        .file("/var/lib/web/x", "y");
    inconsistent(
        ctx.run(ctx.on.pebble_ready("web"), &State::new().container(clash)),
        "under mount",
    );
    let missing = ContainerState::new("web").mount(HostMount::new("/m", host.path().join("nope")));
    inconsistent(
        ctx.run(ctx.on.pebble_ready("web"), &State::new().container(missing)),
        "its source",
    );
}

#[test]
fn check_health_seeds_status_failures_threshold_and_level() {
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("seed.txt"), "s").unwrap();
    let ctx = Context::<Files>::new(CharmMeta::from_charmcraft_yaml(WEB_META).unwrap());
    let web = ContainerState::new("web")
        .mount(HostMount::new("/var/lib/web", host.path()))
        .layer("base", CHECK_LAYER)
        .unwrap()
        .check_health(
            CheckHealth::up("ready")
                .failures(2)
                .threshold(3)
                .level(CheckLevel::Ready),
        )
        .check_health(CheckHealth::down("alive", "exit status 1").failures(5));
    let state = State::new().container(web);
    let out = ctx.run(ctx.on.pebble_ready("web"), &state).unwrap();
    let seen = out.state.stored_as::<Vec<String>>().unwrap();
    assert_eq!(seen[2..], ["alive:down:5/3", "ready:up:2/3"]);
    // The output lists both, and is a valid input that gives the same health.
    let c = &out.state.containers["web"];
    assert_eq!(c.check_health["ready"].failures, 2);
    assert_eq!(c.check_health["alive"].status, CheckStatus::Down);
    assert_eq!(c.failing_checks["alive"], "exit status 1");
    let again = ctx.run(ctx.on.pebble_ready("web"), &out.state).unwrap();
    assert_eq!(
        again.state.stored_as::<Vec<String>>().unwrap()[2..],
        seen[2..]
    );

    for (health, needle) in [
        (CheckHealth::up("ready").threshold(5), "threshold 5"),
        (CheckHealth::up("ready").level(CheckLevel::Alive), "level"),
        (
            CheckHealth::up("ready").failures(3),
            "use CheckHealth::down",
        ),
        (
            CheckHealth::down("ready", "x").failures(2),
            "below its threshold",
        ),
        (CheckHealth::up("nope"), "no layer"),
    ] {
        let web = ContainerState::new("web")
            .layer("base", CHECK_LAYER)
            .unwrap()
            .check_health(health);
        inconsistent(
            ctx.run(ctx.on.pebble_ready("web"), &State::new().container(web)),
            needle,
        );
    }
}

#[test]
fn an_inactive_check_is_stopped() {
    #[derive(Default)]
    struct Checks;
    impl Charm for Checks {
        type Stored = String;
        fn observe(on: &mut Observers<Self>) {
            on.pebble_ready("web", "look", |_, ctx, _| {
                let info = ctx.container("web")?.get_checks(&["ready"])?;
                *ctx.stored_mut() = info["ready"].status.as_str().to_owned();
                Ok(())
            });
        }
    }
    let ctx = Context::<Checks>::new(CharmMeta::from_charmcraft_yaml(WEB_META).unwrap());
    let web = ContainerState::new("web")
        .layer("base", CHECK_LAYER)
        .unwrap()
        .check_health(CheckHealth::inactive("ready"));
    let out = ctx
        .run(ctx.on.pebble_ready("web"), &State::new().container(web))
        .unwrap();
    assert_eq!(out.state.stored_as::<String>().unwrap(), "inactive");
    assert_eq!(
        out.state.containers["web"].check_health["ready"].status,
        CheckStatus::Inactive
    );
}

// ----- 16: model details -----

#[derive(Default)]
struct Where;
impl Charm for Where {
    type Stored = Vec<String>;
    fn observe(on: &mut Observers<Self>) {
        on.install("where", |_, ctx, _| {
            let c = ctx.juju_context().clone();
            *ctx.stored_mut() = vec![
                c.model_name,
                c.model_uuid,
                c.machine_id.unwrap_or_default(),
                c.availability_zone.unwrap_or_default(),
                c.kubernetes.to_string(),
            ];
            Ok(())
        });
    }
}

#[test]
fn model_details_reach_the_charm_as_juju_sets_them() {
    let ctx = Context::<Where>::new(CharmMeta::from_charmcraft_yaml("name: where").unwrap());
    let machine = State::new()
        .model("prod", "5a1e0000-0000-4000-8000-000000000001")
        .model_type(ModelType::Machine)
        .machine_id("3/lxd/0")
        .availability_zone("zone-b");
    let out = ctx.run(ctx.on.install(), &machine).unwrap();
    assert_eq!(
        out.state.stored_as::<Vec<String>>().unwrap(),
        [
            "prod",
            "5a1e0000-0000-4000-8000-000000000001",
            "3/lxd/0",
            "zone-b",
            "false"
        ]
    );
    let k8s = ctx.run(ctx.on.install(), &State::new()).unwrap();
    assert_eq!(
        k8s.state.stored_as::<Vec<String>>().unwrap()[2..],
        ["", "", "true"]
    );
    inconsistent(
        ctx.run(ctx.on.install(), &State::new().machine_id("0")),
        "Kubernetes model",
    );
    let sidecar = Context::<Where>::new(CharmMeta::from_charmcraft_yaml(WEB_META).unwrap());
    inconsistent(
        sidecar.run(
            sidecar.on.install(),
            &State::new().model_type(ModelType::Machine),
        ),
        "only on",
    );
}

// ----- 17: the run's history -----

#[derive(Default)]
struct Versions;
impl Charm for Versions {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.upgrade_charm("upgrade", |_, ctx, _| {
            let m = ctx.model();
            for v in ["1.2", "1.5"] {
                m.set_workload_version(v)?;
            }
            m.storage_add("data", 2)?;
            m.secret(Some("secret:cr0ahn1dqe3k7mqmsc2g"), None)
                .remove_revision(1)?;
            Ok(())
        });
    }
}

#[test]
fn the_output_records_versions_removed_revisions_and_storage_requests() {
    let meta = "name: v\nstorage:\n  data: {type: filesystem, multiple: {range: 0-5}}\n";
    let ctx = Context::<Versions>::new(CharmMeta::from_charmcraft_yaml(meta).unwrap());
    let mut state = State::new().secret(
        SecretState::new(
            "secret:cr0ahn1dqe3k7mqmsc2g",
            SecretOwnership::Unit,
            [("k", "v1")],
        )
        .with_revision([("k", "v2")]),
    );
    state.juju.app_version = "1.0".into();
    let out = ctx.run(ctx.on.upgrade_charm(), &state).unwrap();
    assert_eq!(out.workload_version_history, ["1.0", "1.2"]);
    assert_eq!(out.state.juju.app_version, "1.5");
    assert_eq!(out.removed_secret_revisions, [1]);
    assert_eq!(out.requested_storages["data"], 2);
}

// ----- 18: giving up on a hook -----

#[derive(serde::Deserialize)]
struct WebConfig {
    port: u16,
}

#[derive(serde::Deserialize)]
struct BackupParams {
    #[allow(dead_code)]
    to: String,
    level: u8,
}

#[derive(Default)]
struct Strict;
impl Charm for Strict {
    type Stored = u32;
    fn observe(on: &mut Observers<Self>) {
        on.config_changed("configure", |_, ctx, _| {
            *ctx.stored_mut() += 1; // not saved when the hook gives up
            let mode = if ctx.model().config_value("strict")? == Some(json!(true)) {
                InvalidConfig::Error
            } else {
                InvalidConfig::Blocked
            };
            let config: WebConfig = ctx.load_config(mode)?;
            ctx.add_unit_status(Status::active(format!("port {}", config.port)))?;
            Ok(())
        });
        on.collect_unit_status("collect", |_, ctx, _| {
            ctx.add_unit_status(Status::maintenance("collected"))?;
            Ok(())
        });
        on.action("backup", "backup", |_, ctx, _| {
            let p: BackupParams = ctx.load_params(InvalidParams::Fail)?;
            ctx.model().action_set_results(&json!({"level": p.level}))?;
            Ok(())
        });
    }
}

const STRICT_META: &str = r#"
name: strict
config:
  options:
    port: {type: int, default: 80}
    strict: {type: boolean, default: false}
actions:
  backup:
    params:
      to: {type: string}
      level: {type: integer, default: 1}
"#;

#[test]
fn invalid_config_blocks_and_ends_the_hook_successfully() {
    let ctx = Context::<Strict>::new(CharmMeta::from_charmcraft_yaml(STRICT_META).unwrap());
    let state = State::new().stored(&7u32).unwrap();
    let out = ctx
        .run(
            ctx.on.config_changed(),
            &state.clone().config("port", 70000),
        )
        .unwrap();
    let Status::Blocked(reason) = &out.state.juju.unit_status else {
        panic!("{:?}", out.state.juju.unit_status)
    };
    assert!(
        reason.contains("'port'") && reason.contains("70000"),
        "{reason}"
    );
    assert_eq!(out.state.stored_as::<u32>().unwrap(), 7, "nothing saved");
    assert!(
        !out.handlers_called().contains(&"collect"),
        "collect-status does not run"
    );
    assert!(
        out.juju_log
            .iter()
            .any(|l| l.level == "WARNING" && l.message.contains("gave up")),
        "{:?}",
        out.juju_log
    );
    // Valid: the hook goes on to collect-status and commits.
    let ok = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(ok.state.stored_as::<u32>().unwrap(), 8);
    // InvalidConfig::Error fails the hook.
    let e = ctx
        .run(
            ctx.on.config_changed(),
            &state.config("port", 70000).config("strict", true),
        )
        .unwrap_err();
    assert!(matches!(e, RunError::Dispatch { .. }), "{e}");
}

#[test]
fn invalid_params_fail_the_action_and_end_the_hook_successfully() {
    let ctx = Context::<Strict>::new(CharmMeta::from_charmcraft_yaml(STRICT_META).unwrap());
    let out = ctx
        .run(
            ctx.on.action("backup", json!({"to": "s3", "level": 300})),
            &State::new(),
        )
        .unwrap();
    let action = out.action.unwrap();
    let failure = action.failure.unwrap();
    assert!(failure.contains("level"), "{failure}");
    assert!(action.results.is_empty());
    let ok = ctx
        .run(
            ctx.on.action("backup", json!({"to": "s3", "level": 2})),
            &State::new(),
        )
        .unwrap();
    assert_eq!(ok.action.unwrap().results["level"], "2");
}

// ----- 19: secret events -----

const SECRET_ID: &str = "secret:cr0ahn1dqe3k7mqmsc2g";

#[derive(Default)]
struct Secrets;
impl Charm for Secrets {
    type Stored = Vec<String>;
    fn observe(on: &mut Observers<Self>) {
        on.secret_changed("changed", |_, ctx, ev| {
            let mut secret = ev.secret(ctx.model());
            let mut seen = vec![ev.secret_id.clone(), ev.unique_identifier().to_owned()];
            if ctx.model().config_value("read")? == Some(json!(true)) {
                let content = secret.content()?;
                seen.push(content.get("k").map(str::to_owned).unwrap_or_default());
            }
            *ctx.stored_mut() = seen;
            Ok(())
        });
        on.secret_remove("remove", |_, ctx, ev| {
            ev.remove_revision(ctx.model())?;
            Ok(())
        });
        on.secret_expired("expired", |_, ctx, ev| {
            ev.secret(ctx.model())
                .set_content(&ops::model::SecretContent::from_pairs([("key", "fresh")]))?;
            ev.remove_revision(ctx.model())?;
            Ok(())
        });
        on.install("config", |_, ctx, _| {
            #[derive(serde::Deserialize)]
            #[serde(rename_all = "kebab-case")]
            struct Config {
                api_token: SecretRef,
            }
            let config: Config = ctx.load_config(InvalidConfig::Blocked)?;
            let mut secret = config.api_token.secret(ctx.model());
            let via_model = ctx.model().config_secret("api-token")?.is_some();
            *ctx.stored_mut() = vec![
                secret
                    .content()?
                    .get("k")
                    .map(str::to_owned)
                    .unwrap_or_default(),
                via_model.to_string(),
            ];
            Ok(())
        });
    }
}

const SECRETS_META: &str = "name: s\nconfig:\n  options:\n    read: {type: boolean, default: false}\n    api-token: {type: secret}\n";

fn secrets_ctx() -> Context<Secrets> {
    Context::new(CharmMeta::from_charmcraft_yaml(SECRETS_META).unwrap())
}

#[test]
fn the_secret_of_a_secret_event_is_read_only_when_used() {
    let ctx = secrets_ctx();
    let granted = SecretState::new(SECRET_ID, SecretOwnership::Consumer, [("k", "v")]);
    let state = State::new().secret(granted.clone());
    let out = ctx.run(ctx.on.secret_changed(&granted), &state).unwrap();
    assert!(!out.tool_calls.iter().any(|c| c.tool == "secret-get"));
    assert_eq!(
        out.state.stored_as::<Vec<String>>().unwrap(),
        [SECRET_ID, "cr0ahn1dqe3k7mqmsc2g"]
    );
    let out = ctx
        .run(ctx.on.secret_changed(&granted), &state.config("read", true))
        .unwrap();
    assert_eq!(
        out.tool_calls
            .iter()
            .filter(|c| c.tool == "secret-get")
            .count(),
        1
    );
    assert_eq!(out.state.stored_as::<Vec<String>>().unwrap()[2], "v");
}

#[test]
fn a_bare_secret_id_becomes_the_full_uri() {
    let ctx = secrets_ctx();
    let granted = SecretState::new(SECRET_ID, SecretOwnership::Consumer, [("k", "token")]);
    // The option holds the bare unique identifier (as a charm may get it from relation data).
    let state = State::new()
        .model("m", "0f000000-0000-4000-8000-0000000000aa")
        .secret(granted)
        .config("api-token", "cr0ahn1dqe3k7mqmsc2g");
    let (out, ids) = ctx
        .run_inspect(ctx.on.install(), &state, |_, ctx| {
            let secret = ctx.model().config_secret("api-token").unwrap().unwrap();
            (
                secret.id().map(str::to_owned),
                secret.unique_identifier().map(str::to_owned),
            )
        })
        .unwrap();
    assert_eq!(
        ids,
        (
            Some("secret://0f000000-0000-4000-8000-0000000000aa/cr0ahn1dqe3k7mqmsc2g".to_owned()),
            Some("cr0ahn1dqe3k7mqmsc2g".to_owned())
        )
    );
    assert_eq!(out.state.stored_as::<Vec<String>>().unwrap()[0], "token");
    // An id with the prefix is kept as Juju gave it (a charm compares it with ids in
    // relation data).
    let granted = SecretState::new(SECRET_ID, SecretOwnership::Consumer, [("k", "v")]);
    let out = ctx
        .run(
            ctx.on.secret_changed(&granted),
            &State::new().secret(granted),
        )
        .unwrap();
    assert_eq!(out.state.stored_as::<Vec<String>>().unwrap()[0], SECRET_ID);
}

#[test]
fn remove_revision_on_secret_remove_and_secret_expired() {
    let ctx = secrets_ctx();
    let owned = SecretState::new(SECRET_ID, SecretOwnership::Unit, [("k", "v1")])
        .with_revision([("k", "v2")]);
    let state = State::new().secret(owned.clone());
    let out = ctx.run(ctx.on.secret_remove(&owned, 1), &state).unwrap();
    assert_eq!(out.removed_secret_revisions, [1]);
    assert_eq!(
        out.tool_lines()
            .iter()
            .filter(|l| !l.starts_with("juju-log"))
            .collect::<Vec<_>>(),
        [&format!("secret-remove {SECRET_ID} --revision 1")]
    );
    let revisions: Vec<u32> = out.state.juju.secrets[0]
        .revisions
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(revisions, [2]);

    let out = ctx.run(ctx.on.secret_expired(&owned, 2), &state).unwrap();
    assert_eq!(out.removed_secret_revisions, [2]);
    let latest = out.state.juju.secrets[0].latest().unwrap();
    assert_eq!(latest.content["key"], "fresh");
}

#[test]
fn a_secret_config_option_is_a_secret_handle() {
    let ctx = secrets_ctx();
    let granted = SecretState::new(SECRET_ID, SecretOwnership::Consumer, [("k", "token")]);
    let state = State::new().secret(granted).config("api-token", SECRET_ID);
    let out = ctx.run(ctx.on.install(), &state).unwrap();
    assert_eq!(
        out.state.stored_as::<Vec<String>>().unwrap(),
        ["token", "true"]
    );
    // Not a secret id: the config does not fit, and the unit is blocked.
    let out = ctx
        .run(
            ctx.on.install(),
            &State::new().config("api-token", "not a secret"),
        )
        .unwrap();
    assert!(
        matches!(&out.state.juju.unit_status, Status::Blocked(r) if r.contains("api-token")),
        "{:?}",
        out.state.juju.unit_status
    );
}
