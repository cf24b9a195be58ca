//! Property tests for what ops-rs reads from outside: the hook environment, dispatch paths,
//! hook-tool output, and charm metadata YAML. Nothing may panic on any input; dispatch paths
//! round-trip.
//!
//! CI runs proptest's default 256 cases per property. A longer pass:
//! `PROPTEST_CASES=100000 cargo test -p ops-rs --all-features --test prop_inputs`.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use std::sync::Arc;

use ops::context::JujuContext;
use ops::event::EventKind;
use ops::hookcmds::RecordingRunner;
use ops::metadata::CharmMeta;
use ops::model::{Model, StatusTarget};
use proptest::prelude::*;

const VARS: &[&str] = &[
    "JUJU_DISPATCH_PATH",
    "JUJU_HOOK_NAME",
    "JUJU_UNIT_NAME",
    "JUJU_MODEL_NAME",
    "JUJU_MODEL_UUID",
    "JUJU_CHARM_DIR",
    "JUJU_VERSION",
    "JUJU_RELATION",
    "JUJU_RELATION_ID",
    "JUJU_REMOTE_UNIT",
    "JUJU_REMOTE_APP",
    "JUJU_DEPARTING_UNIT",
    "JUJU_ACTION_NAME",
    "JUJU_ACTION_UUID",
    "JUJU_SECRET_ID",
    "JUJU_SECRET_LABEL",
    "JUJU_SECRET_REVISION",
    "JUJU_STORAGE_ID",
    "JUJU_WORKLOAD_NAME",
    "JUJU_NOTICE_ID",
    "JUJU_NOTICE_TYPE",
    "JUJU_NOTICE_KEY",
    "JUJU_PEBBLE_CHECK_NAME",
    "JUJU_DEBUG",
];

/// Values that are plausible, malformed, or anything.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "hooks/install",
            "actions/go",
            "hooks/db-relation-changed",
            "hooks/web-pebble-ready",
            "hooks/secret-changed",
            "hooks/data-storage-attached",
            "hooks/web-pebble-custom-notice",
            "hooks/",
            "actions/",
            "web/0",
            "web",
            "/0",
            "db:3",
            "db:",
            ":",
            "3",
            "-1",
            "99999999999999999999",
            "secret:abc",
            "data/1",
            "data/x",
            "3.6.4",
            "/charm",
            "example.com/ready",
            "custom",
        ])
        .prop_map(str::to_owned),
        ".{0,20}",
    ]
}

fn tool_output() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        prop::sample::select(vec![
            "",
            "true",
            "false",
            "null",
            "[]",
            "{}",
            "[\"db:3\"]",
            "[\"db:x\"]",
            "[3]",
            "\"x\"",
            "{\"port\": \"x\"}",
            "{\"port\": 8080}",
            "{\"a\": {\"b\": 1}}",
            "[\"web/0\"]",
            "{\"status\": \"active\", \"message\": \"m\"}",
            "{\"status\": 7}",
            "-1",
            "1e400",
            "{\"password\": \"p\"}",
            "{\"8080/tcp\": {}}",
            "[\"8080/tcp\", \"x/y\"]",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        "\\PC{0,40}".prop_map(String::into_bytes),
    ]
}

const META: &str = "name: p
containers: {web: {resource: img}}
resources: {img: {type: oci-image}}
requires: {db: {interface: pg}}
storage: {data: {type: filesystem}}
config:
  options:
    port: {type: int, default: 8080}
    name: {type: string}
actions:
  go:
    params: {count: {type: integer}}
    required: [count]
";

proptest! {
    #[test]
    fn the_environment_parser_never_panics(
        vars in prop::collection::btree_map(prop::sample::select(VARS.to_vec()), value(), 0..VARS.len()),
    ) {
        if let Ok(ctx) = JujuContext::from_vars(vars.clone()) {
            // What was accepted is well-formed.
            let (app, n) = ctx.unit_name.split_once('/').unwrap();
            prop_assert!(!app.is_empty() && n.parse::<u32>().is_ok(), "{}", ctx.unit_name);
        }
    }

    #[test]
    fn dispatch_paths_never_panic(path in ".{0,40}") {
        let _ = EventKind::from_dispatch_path(&path).to_string();
    }

    #[test]
    fn dispatch_paths_round_trip(
        endpoint in "[a-z]{1,8}",
        kind in prop::sample::select(vec![
            "install", "start", "config-changed", "update-status", "leader-elected", "stop",
            "remove", "upgrade-charm", "secret-changed", "secret-rotate",
            "{e}-relation-created", "{e}-relation-joined", "{e}-relation-changed",
            "{e}-relation-departed", "{e}-relation-broken", "{e}-storage-attached",
            "{e}-storage-detaching", "{e}-pebble-ready", "{e}-pebble-custom-notice",
            "{e}-pebble-check-failed", "{e}-pebble-check-recovered",
        ]),
    ) {
        let hook = kind.replace("{e}", &endpoint);
        let parsed = EventKind::from_dispatch_path(&format!("hooks/{hook}"));
        prop_assert_eq!(parsed.to_string(), hook);
        let action = EventKind::from_dispatch_path(&format!("actions/{endpoint}"));
        prop_assert_eq!(action, EventKind::Action(endpoint));
    }

    #[test]
    fn hook_tool_output_never_panics(out in tool_output()) {
        let answer = out.clone();
        let runner = RecordingRunner::new(move |_| Ok(answer.clone()));
        let meta = Arc::new(CharmMeta::from_charmcraft_yaml(META).unwrap());
        let model = Model::new(Arc::new(runner), "p/0").with_meta(meta);
        let _ = model.is_leader();
        let _ = model.config_value("port");
        let _ = model.config::<serde_json::Value>();
        let _ = model.relation_ids("db");
        if let Ok(rels) = model.relations("db") {
            for r in rels {
                let _ = r.units();
                let _ = r.remote_app();
                let _ = r.local_unit_data().get_all();
                if let Ok(Some(bag)) = r.remote_app_data() {
                    let _ = bag.get("x");
                }
            }
        }
        let _ = model.relation("db", 3).unit_data("pg/0").get("host");
        let _ = model.action_params_map();
        let _ = model.status(StatusTarget::Unit);
        let _ = model.status(StatusTarget::App);
        let _ = model.opened_ports();
        let _ = model.goal_state();
        let _ = model.planned_units();
        let _ = model.storage_indexes("data");
        let _ = model.storage_location("data", 0);
        let _ = model.network("db");
        let _ = model.resource_path("img");
        let _ = model.secret_ids();
        if let Ok(mut s) = model.get_secret_by_id("secret:abc") {
            let _ = s.content();
            let _ = s.info();
        }
    }

    #[test]
    fn metadata_yaml_never_panics(
        text in prop_oneof![
            ".{0,200}",
            prop::collection::vec(
                prop::sample::select(vec![
                    "name: p", "config:", "  options:", "    port:", "      type: int",
                    "      type: float", "      default: x", "      default: 1.5", "actions:",
                    "  go:", "    params:", "      count: {type: integer}", "    required: [x]",
                    "requires:", "  db: {interface: pg}", "  db: {}", "containers:",
                    "  web: {resource: img}", "storage:", "  data: {type: filesystem}",
                    "  data: {type: weird}", "peers:", "- x", "{", "]", ":",
                ]),
                0..14,
            )
            .prop_map(|l| l.join("\n")),
        ],
    ) {
        let _ = CharmMeta::from_charmcraft_yaml(&text);
        let _ = CharmMeta::from_packed_yaml("name: p", Some(&text), None);
        let _ = CharmMeta::from_packed_yaml("name: p", None, Some(&text));
        let _ = CharmMeta::from_packed_yaml(&text, None, None);
    }
}
