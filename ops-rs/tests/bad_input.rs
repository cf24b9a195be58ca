//! Bad input, table-driven: a malformed hook environment, malformed hook-tool output, invalid
//! metadata, config values of the wrong type, bad action parameters, invalid notice keys. Each
//! gives its clear error (asserted on the message), never a panic, and leaves the unit's state
//! file exactly as it was.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ops::context::JujuContext;
use ops::dispatch::{DispatchInput, StoreSpec, dispatch};
use ops::hookcmds::{HookToolFailure, HookToolRunner};
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::store::{SqliteStore, Store, StoreData};
use ops::testing::juju::{JujuSim, JujuState, RelationState};

const META: &str = "name: probe
type: charm
summary: s
description: d
containers:
  web:
    resource: img
resources:
  img:
    type: oci-image
requires:
  db:
    interface: pg
config:
  options:
    port:
      type: int
      default: 8080
    name:
      type: string
      default: web
actions:
  go:
    params:
      count:
        type: integer
    required: [count]
";

/// A charm whose handlers read each kind of model input and change its stored state.
struct Probe;

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct St {
    n: u64,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
struct Cfg {
    port: u16,
    name: String,
}

impl Charm for Probe {
    type Stored = St;
    fn observe(on: &mut Observers<Self>) {
        on.install("defer_install", |_, ctx, ev| {
            ctx.stored_mut().n += 1;
            ev.defer()?;
            Ok(())
        });
        on.config_changed("config", |_, ctx, _| {
            let _cfg: Cfg = ctx.model().config()?;
            ctx.stored_mut().n += 1;
            Ok(())
        });
        on.relation_changed("db", "relation", |_, ctx, _| {
            ctx.stored_mut().n += 1;
            for rel in ctx.model().relations("db")? {
                if let Some(bag) = rel.remote_app_data()? {
                    bag.get("host")?;
                }
            }
            Ok(())
        });
        // Observed, so every dispatch asks Juju whether this unit leads.
        on.collect_app_status("app_status", |_, _, _| Ok(()));
        on.update_status("tools", |_, ctx, _| {
            ctx.stored_mut().n += 1;
            ctx.model().config_value("port")?;
            Ok(())
        });
        on.secret_changed("secret", |_, ctx, ev| {
            ctx.stored_mut().n += 1;
            ctx.model().get_secret_by_id(&ev.secret_id)?.content()?;
            Ok(())
        });
        on.action("go", "go", |_, ctx, _| {
            ctx.stored_mut().n += 1;
            #[derive(serde::Deserialize)]
            #[allow(dead_code)]
            struct P {
                count: u32,
            }
            let _p: P = ctx.model().action_params()?;
            Ok(())
        });
    }
}

/// The in-memory Juju, with one tool's answer replaced.
struct Tamper {
    sim: JujuSim,
    tool: &'static str,
    stdout: &'static [u8],
}

impl HookToolRunner for Tamper {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, HookToolFailure> {
        if tool == self.tool {
            return Ok(self.stdout.to_vec());
        }
        self.sim.run(tool, args, stdin)
    }
}

fn model() -> JujuState {
    JujuState::new("probe/0")
        .leader(true)
        .config("port", 8080)
        .config("name", "web")
        .relation(RelationState::new(3, "db", "pg").remote_unit("pg/0", [("host", "h")]))
        .action("go", serde_json::json!({"count": 2}))
}

fn env(dispatch_path: &str, charm_dir: &Path) -> BTreeMap<String, String> {
    let hook = dispatch_path.rsplit('/').next().unwrap_or_default();
    let mut env: BTreeMap<String, String> = [
        ("JUJU_DISPATCH_PATH", dispatch_path),
        ("JUJU_UNIT_NAME", "probe/0"),
        ("JUJU_MODEL_NAME", "m"),
        ("JUJU_MODEL_UUID", "00000000-0000-4000-8000-000000000000"),
        ("JUJU_VERSION", "3.6.4"),
        ("JUJU_CHARM_DIR", &charm_dir.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if dispatch_path.starts_with("actions/") {
        env.insert("JUJU_ACTION_NAME".into(), hook.into());
        env.insert("JUJU_ACTION_UUID".into(), "1".into());
    } else {
        env.insert("JUJU_HOOK_NAME".into(), hook.into());
    }
    if hook.starts_with("db-relation") {
        env.insert("JUJU_RELATION".into(), "db".into());
        env.insert("JUJU_RELATION_ID".into(), "db:3".into());
        env.insert("JUJU_REMOTE_UNIT".into(), "pg/0".into());
    }
    env
}

/// A unit with a state file holding one deferred event and `n = 1`.
struct Unit {
    dir: tempfile::TempDir,
}

impl Unit {
    fn new() -> Unit {
        let dir = tempfile::tempdir().unwrap();
        let u = Unit { dir };
        let out = u.dispatch(
            env("hooks/install", u.dir.path()),
            Tamper {
                sim: JujuSim::new(model()),
                tool: "",
                stdout: b"",
            },
            META,
        );
        out.unwrap();
        let data = u.stored();
        assert_eq!(data.queue.len(), 1);
        u
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join(".unit-state.db")
    }

    fn stored(&self) -> StoreData {
        SqliteStore::open(self.path()).unwrap().load().unwrap()
    }

    /// Runs one dispatch as `ops::main` does; `Err` is the message Juju would log.
    fn dispatch(
        &self,
        env: BTreeMap<String, String>,
        runner: Tamper,
        meta: &str,
    ) -> Result<(), String> {
        let context = JujuContext::from_vars(env).map_err(|e| e.to_string())?;
        let meta = CharmMeta::from_charmcraft_yaml(meta).map_err(|e| e.to_string())?;
        let input = DispatchInput::new(context, Arc::new(runner)).meta(Arc::new(meta));
        let out = dispatch(&mut Probe, input, StoreSpec::Sqlite(self.path()));
        out.result.map_err(|e| {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            msg
        })
    }
}

/// One bad input.
struct Case {
    name: &'static str,
    hook: &'static str,
    /// Variables to set (`Some`) or remove (`None`).
    env: &'static [(&'static str, Option<&'static str>)],
    /// A hook tool whose stdout is replaced.
    tamper: Option<(&'static str, &'static [u8])>,
    /// Changes to the model.
    model: fn(JujuState) -> JujuState,
    /// Replaces the metadata.
    meta: Option<&'static str>,
    /// Substrings the error must contain.
    expect: &'static [&'static str],
}

const fn case(name: &'static str, hook: &'static str, expect: &'static [&'static str]) -> Case {
    Case {
        name,
        hook,
        env: &[],
        tamper: None,
        model: |m| m,
        meta: None,
        expect,
    }
}

fn cases() -> Vec<Case> {
    vec![
        // --- the environment ---
        Case {
            env: &[("JUJU_DISPATCH_PATH", None)],
            ..case(
                "no dispatch path",
                "hooks/start",
                &["JUJU_DISPATCH_PATH is not set"],
            )
        },
        Case {
            env: &[("JUJU_UNIT_NAME", None)],
            ..case(
                "missing unit name",
                "hooks/start",
                &["JUJU_UNIT_NAME is not set"],
            )
        },
        Case {
            env: &[("JUJU_UNIT_NAME", Some("probe"))],
            ..case(
                "unit name without number",
                "hooks/start",
                &[
                    "JUJU_UNIT_NAME=\"probe\" is malformed",
                    "<application>/<number>",
                ],
            )
        },
        Case {
            env: &[("JUJU_RELATION_ID", Some("db:three"))],
            ..case(
                "bad relation id",
                "hooks/db-relation-changed",
                &["JUJU_RELATION_ID=\"db:three\" is malformed", "db:3"],
            )
        },
        Case {
            env: &[("JUJU_RELATION_ID", Some("db:-1"))],
            ..case(
                "negative relation id",
                "hooks/db-relation-changed",
                &["JUJU_RELATION_ID=\"db:-1\" is malformed"],
            )
        },
        Case {
            env: &[("JUJU_RELATION_ID", None), ("JUJU_RELATION", None)],
            ..case(
                "relation hook without relation",
                "hooks/db-relation-changed",
                &["JUJU_RELATION"],
            )
        },
        Case {
            env: &[
                ("JUJU_SECRET_ID", Some("secret:cr0ahn1dqe3k7mqmsc2g")),
                ("JUJU_SECRET_REVISION", Some("two")),
            ],
            ..case(
                "bad secret revision",
                "hooks/secret-changed",
                &["JUJU_SECRET_REVISION=\"two\" is malformed"],
            )
        },
        // --- values Juju never sends (issue 16, row 14) ---
        Case {
            env: &[("JUJU_UNIT_NAME", Some("probe/0/1"))],
            ..case(
                "unit name with two slashes",
                "hooks/start",
                &["JUJU_UNIT_NAME=\"probe/0/1\" is malformed"],
            )
        },
        Case {
            env: &[("JUJU_UNIT_NAME", Some("probe/4294967296"))],
            ..case(
                "unit number past u32",
                "hooks/start",
                &["JUJU_UNIT_NAME=\"probe/4294967296\" is malformed"],
            )
        },
        Case {
            env: &[("JUJU_RELATION_ID", Some(":3"))],
            ..case(
                "relation id without endpoint",
                "hooks/db-relation-changed",
                &["JUJU_RELATION_ID=\":3\" is malformed"],
            )
        },
        Case {
            env: &[("JUJU_VERSION", Some("banana"))],
            ..case(
                "Juju version that is not one",
                "hooks/start",
                &["JUJU_VERSION=\"banana\" is malformed"],
            )
        },
        Case {
            env: &[("JUJU_DISPATCH_PATH", Some("hooks/../../config-changed"))],
            ..case(
                "dispatch path leaving hooks/",
                "hooks/config-changed",
                &["JUJU_DISPATCH_PATH=\"hooks/../../config-changed\" is malformed"],
            )
        },
        Case {
            env: &[("JUJU_WORKLOAD_NAME", Some("cache"))],
            ..case(
                "workload hook for an undeclared container",
                "hooks/cache-pebble-ready",
                &["JUJU_WORKLOAD_NAME=\"cache\" is malformed", "declares"],
            )
        },
        Case {
            env: &[("JUJU_SECRET_ID", Some("not-a-secret-id"))],
            ..case(
                "secret id that is not a secret URI",
                "hooks/secret-changed",
                &[
                    "JUJU_SECRET_ID=\"not-a-secret-id\" is malformed",
                    "secret URI",
                ],
            )
        },
        Case {
            env: &[("JUJU_SECRET_ID", None)],
            ..case(
                "secret hook without secret id",
                "hooks/secret-changed",
                &["JUJU_SECRET_ID is not set"],
            )
        },
        Case {
            env: &[("JUJU_VERSION", None)],
            ..case(
                "missing Juju version",
                "hooks/start",
                &["JUJU_VERSION is not set"],
            )
        },
        Case {
            env: &[("JUJU_CHARM_DIR", None)],
            ..case(
                "missing charm dir",
                "hooks/start",
                &["JUJU_CHARM_DIR is not set"],
            )
        },
        Case {
            env: &[("JUJU_REMOTE_UNIT", Some("pg")), ("JUJU_REMOTE_APP", None)],
            ..case(
                "remote unit without number",
                "hooks/db-relation-changed",
                &["JUJU_REMOTE_UNIT=\"pg\" is malformed"],
            )
        },
        Case {
            env: &[("JUJU_STORAGE_ID", Some("data"))],
            ..case(
                "storage id without index",
                "hooks/data-storage-attached",
                &["JUJU_STORAGE_ID=\"data\" is malformed"],
            )
        },
        Case {
            env: &[("JUJU_WORKLOAD_NAME", None)],
            ..case(
                "pebble-ready without workload",
                "hooks/web-pebble-ready",
                &["JUJU_WORKLOAD_NAME"],
            )
        },
        Case {
            env: &[("JUJU_ACTION_UUID", None)],
            ..case(
                "action without uuid",
                "actions/go",
                &["JUJU_ACTION_UUID is not set"],
            )
        },
        // --- hook-tool output ---
        Case {
            tamper: Some(("is-leader", b"maybe")),
            ..case("is-leader not JSON", "hooks/start", &["is-leader", "maybe"])
        },
        Case {
            tamper: Some(("is-leader", b"")),
            ..case("is-leader empty", "hooks/start", &["is-leader"])
        },
        Case {
            tamper: Some(("is-leader", b"{\"leader\": true}")),
            ..case("is-leader wrong shape", "hooks/start", &["is-leader"])
        },
        Case {
            tamper: Some(("config-get", b"port=8080")),
            ..case(
                "config-get not JSON",
                "hooks/config-changed",
                &["config-get"],
            )
        },
        Case {
            tamper: Some(("config-get", b"[8080]")),
            ..case(
                "config-get wrong shape",
                "hooks/config-changed",
                &["config-get"],
            )
        },
        Case {
            tamper: Some(("config-get", b"")),
            ..case("config-get empty", "hooks/update-status", &["config-get"])
        },
        Case {
            tamper: Some(("relation-ids", b"db:3")),
            ..case(
                "relation-ids not JSON",
                "hooks/db-relation-changed",
                &["relation-ids"],
            )
        },
        Case {
            tamper: Some(("relation-ids", b"{\"db\": 3}")),
            ..case(
                "relation-ids wrong shape",
                "hooks/db-relation-changed",
                &["relation-ids"],
            )
        },
        Case {
            tamper: Some(("relation-ids", b"[\"db:x\"]")),
            ..case(
                "relation-ids bad id",
                "hooks/db-relation-changed",
                &["relation-ids", "db:x"],
            )
        },
        Case {
            tamper: Some(("relation-get", b"host: h")),
            ..case(
                "relation-get not JSON",
                "hooks/db-relation-changed",
                &["relation-get"],
            )
        },
        Case {
            tamper: Some(("relation-get", b"[1, 2]")),
            ..case(
                "relation-get wrong shape",
                "hooks/db-relation-changed",
                &["relation-get"],
            )
        },
        Case {
            tamper: Some(("action-get", b"count: 2")),
            ..case(
                "action-get not JSON",
                "actions/go",
                &[
                    "action-get",
                    "expected an object of parameters as JSON",
                    "content not shown",
                ],
            )
        },
        Case {
            tamper: Some(("action-get", b"[2]")),
            ..case("action-get wrong shape", "actions/go", &["action-get"])
        },
        Case {
            env: &[("JUJU_SECRET_ID", Some("secret:cr0ahn1dqe3k7mqmsc2g"))],
            tamper: Some(("secret-get", b"not json")),
            ..case(
                "secret-get not JSON",
                "hooks/secret-changed",
                &["secret-get"],
            )
        },
        Case {
            env: &[("JUJU_SECRET_ID", Some("secret:cr0ahn1dqe3k7mqmsc2g"))],
            tamper: Some(("secret-get", b"{\"key\": {\"nested\": 1}}")),
            ..case(
                "secret-get wrong shape",
                "hooks/secret-changed",
                &["secret-get"],
            )
        },
        // --- config values and action parameters ---
        Case {
            model: |m| m.config("port", "eighty"),
            ..case(
                "config string for an int",
                "hooks/config-changed",
                &["config option 'port'", "eighty"],
            )
        },
        Case {
            model: |m| m.config("port", 70000),
            ..case(
                "config int out of range",
                "hooks/config-changed",
                &["port", "70000"],
            )
        },
        Case {
            model: |m| m.config("name", 5),
            ..case(
                "config int for a string",
                "hooks/config-changed",
                &["config option 'name'"],
            )
        },
        Case {
            model: |m| m.action("go", serde_json::json!({"count": "two"})),
            ..case(
                "action param of the wrong type",
                "actions/go",
                &["action 'go'", "count"],
            )
        },
        Case {
            model: |m| m.action("go", serde_json::json!({})),
            ..case(
                "required action param missing",
                "actions/go",
                &["action 'go'", "count"],
            )
        },
        // --- metadata ---
        Case {
            meta: Some("name: [unclosed"),
            ..case("metadata not YAML", "hooks/start", &["charmcraft.yaml"])
        },
        Case {
            meta: Some("- a\n- b\n"),
            ..case("metadata a list", "hooks/start", &["charmcraft.yaml"])
        },
        Case {
            meta: Some("name: p\nconfig:\n  options:\n    port:\n      type: integer-ish\n"),
            ..case(
                "config option of unknown type",
                "hooks/start",
                &["charmcraft.yaml", "integer-ish"],
            )
        },
        Case {
            meta: Some(
                "name: p\nconfig:\n  options:\n    port:\n      type: int\n      default: eighty\n",
            ),
            ..case(
                "config default of the wrong type",
                "hooks/start",
                &["port", "eighty"],
            )
        },
        Case {
            meta: Some("name: p\nactions:\n  go: 7\n"),
            ..case(
                "action not a map",
                "hooks/start",
                &["charmcraft.yaml", "go"],
            )
        },
        Case {
            meta: Some("name: p\nrequires:\n  db: {}\n"),
            ..case(
                "relation without interface",
                "hooks/start",
                &["charmcraft.yaml", "interface"],
            )
        },
    ]
}

#[test]
fn every_bad_input_is_a_clear_error_and_changes_nothing() {
    let mut tried = 0;
    let mut failures = Vec::new();
    for c in cases() {
        let unit = Unit::new();
        let before = unit.stored();
        let mut env = env(c.hook, unit.dir.path());
        for (k, v) in c.env {
            match v {
                Some(v) => env.insert((*k).to_owned(), (*v).to_owned()),
                None => env.remove(*k),
            };
        }
        let (tool, stdout) = c.tamper.unwrap_or(("", b""));
        let runner = Tamper {
            sim: JujuSim::new((c.model)(model())),
            tool,
            stdout,
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            unit.dispatch(env, runner, c.meta.unwrap_or(META))
        }));
        tried += 1;
        let after = unit.stored();
        match result {
            Err(_) => failures.push(format!("{}: panicked", c.name)),
            Ok(Ok(())) => failures.push(format!("{}: no error", c.name)),
            Ok(Err(msg)) => {
                let missing: Vec<_> = c.expect.iter().filter(|e| !msg.contains(**e)).collect();
                if !missing.is_empty() {
                    failures.push(format!("{}: {missing:?} not in: {msg}", c.name));
                }
            }
        }
        if after != before {
            failures.push(format!("{}: the state file changed", c.name));
        }
    }
    eprintln!("bad input: {tried} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_notice_keys_are_refused_before_reaching_pebble() {
    use pebble_client::AddNotice;
    use pebble_client::testing::SimPebble;
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::start(dir.path().join("pebble.socket")).unwrap();
    let client = pebble_client::blocking::Client::new(sim.socket_path()).unwrap();
    let long = format!("example.com/{}", "a".repeat(300));
    let cases: [(&str, &[&str]); 7] = [
        (&long, &["bytes; Pebble accepts 256 bytes or less"]),
        ("", &["invalid notice key"]),
        ("example.com", &["'/path'"]),
        ("example/ready", &["'.'"]),
        ("Example.com/Ready", &["lowercase"]),
        ("example.com/ready now", &["lowercase"]),
        ("example.com//ready", &["invalid notice key"]),
    ];
    for (key, expect) in cases {
        let err = client.notify(&AddNotice::new(key)).unwrap_err();
        let msg = err.to_string();
        for e in expect {
            assert!(msg.contains(e), "{key:?}: {e:?} not in: {msg}");
        }
        assert!(msg.starts_with("invalid argument"), "{msg}");
    }
    assert_eq!(sim.requests("/v1/notices"), 0, "nothing reached Pebble");
    assert!(sim.notices().is_empty());
    sim.shutdown();
}
