use super::*;

const BASE: &[(&str, &str)] = &[
    ("JUJU_UNIT_NAME", "web/0"),
    ("JUJU_MODEL_NAME", "prod"),
    ("JUJU_MODEL_UUID", "0b1c"),
    ("JUJU_VERSION", "3.6.4"),
    ("JUJU_CHARM_DIR", "/charm"),
];

/// A full, valid environment for `hook` (dispatched under `hooks/`, or `actions/` for an
/// action).
fn env_for(path: &str) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = BASE
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    m.insert("JUJU_DISPATCH_PATH".into(), path.into());
    if let Some(hook) = path.strip_prefix("hooks/") {
        m.insert("JUJU_HOOK_NAME".into(), hook.into());
    }
    for (k, v) in [
        ("JUJU_RELATION", "db"),
        ("JUJU_RELATION_ID", "db:3"),
        ("JUJU_REMOTE_APP", "pg"),
        ("JUJU_REMOTE_UNIT", "pg/1"),
        ("JUJU_DEPARTING_UNIT", "pg/1"),
        ("JUJU_ACTION_NAME", "backup"),
        ("JUJU_ACTION_UUID", "42"),
        ("JUJU_SECRET_ID", "secret:cr0ahn1dqe3k7mqmsc2g"),
        ("JUJU_SECRET_REVISION", "2"),
        ("JUJU_STORAGE_ID", "data/1"),
        ("JUJU_WORKLOAD_NAME", "web"),
        ("JUJU_NOTICE_ID", "7"),
        ("JUJU_NOTICE_TYPE", "custom"),
        ("JUJU_NOTICE_KEY", "example.com/ready"),
        ("JUJU_PEBBLE_CHECK_NAME", "http"),
    ] {
        m.insert(k.into(), v.into());
    }
    m
}

fn missing(path: &str, var: &'static str) -> Result<JujuContext, ContextError> {
    let mut m = env_for(path);
    m.remove(var);
    JujuContext::from_vars(m)
}

#[test]
fn each_hook_kind_requires_its_variables() {
    let table: &[(&str, &[&str])] = &[
        (
            "hooks/install",
            &[
                "JUJU_UNIT_NAME",
                "JUJU_MODEL_NAME",
                "JUJU_MODEL_UUID",
                "JUJU_VERSION",
                "JUJU_HOOK_NAME",
                "JUJU_CHARM_DIR",
            ],
        ),
        ("hooks/secret-changed", &["JUJU_SECRET_ID"]),
        ("hooks/secret-rotate", &["JUJU_SECRET_ID"]),
        (
            "hooks/secret-remove",
            &["JUJU_SECRET_ID", "JUJU_SECRET_REVISION"],
        ),
        (
            "hooks/secret-expired",
            &["JUJU_SECRET_ID", "JUJU_SECRET_REVISION"],
        ),
        ("actions/backup", &["JUJU_ACTION_NAME", "JUJU_ACTION_UUID"]),
        (
            "hooks/web-pebble-custom-notice",
            &[
                "JUJU_WORKLOAD_NAME",
                "JUJU_NOTICE_ID",
                "JUJU_NOTICE_KEY",
                "JUJU_NOTICE_TYPE",
            ],
        ),
        (
            "hooks/web-pebble-check-failed",
            &["JUJU_WORKLOAD_NAME", "JUJU_PEBBLE_CHECK_NAME"],
        ),
        (
            "hooks/web-pebble-check-recovered",
            &["JUJU_WORKLOAD_NAME", "JUJU_PEBBLE_CHECK_NAME"],
        ),
        ("hooks/web-pebble-ready", &["JUJU_WORKLOAD_NAME"]),
        ("hooks/data-storage-attached", &["JUJU_STORAGE_ID"]),
        ("hooks/data-storage-detaching", &["JUJU_STORAGE_ID"]),
        (
            "hooks/db-relation-created",
            &["JUJU_RELATION", "JUJU_RELATION_ID"],
        ),
        (
            "hooks/db-relation-broken",
            &["JUJU_RELATION", "JUJU_RELATION_ID"],
        ),
        (
            "hooks/db-relation-joined",
            &["JUJU_RELATION", "JUJU_RELATION_ID", "JUJU_REMOTE_UNIT"],
        ),
        (
            "hooks/db-relation-changed",
            &["JUJU_RELATION", "JUJU_RELATION_ID", "JUJU_REMOTE_UNIT"],
        ),
        (
            "hooks/db-relation-departed",
            &[
                "JUJU_RELATION",
                "JUJU_RELATION_ID",
                "JUJU_REMOTE_UNIT",
                "JUJU_DEPARTING_UNIT",
            ],
        ),
    ];
    for (path, vars) in table {
        assert!(
            JujuContext::from_vars(env_for(path)).is_ok(),
            "{path} with everything set"
        );
        let hook = EventKind::from_dispatch_path(path).to_string();
        for var in *vars {
            let e = missing(path, var).unwrap_err();
            assert_eq!(
                e,
                ContextError::Missing {
                    var,
                    hook: hook.clone()
                },
                "{path} without {var}"
            );
            let msg = e.to_string();
            assert!(msg.contains(var) && msg.contains(&hook), "{msg}");
        }
    }
}

/// Juju exports JUJU_REMOTE_APP empty in relation-broken once the remote application is gone
/// (seen on 3.4.4; canonical/operator#1306): the hook must run, with no remote app.
#[test]
fn relation_broken_runs_without_a_remote_app() {
    for empty in [true, false] {
        let mut m = env_for("hooks/db-relation-broken");
        m.remove("JUJU_REMOTE_UNIT");
        if empty {
            m.insert("JUJU_REMOTE_APP".into(), String::new());
        } else {
            m.remove("JUJU_REMOTE_APP");
        }
        let ctx = JujuContext::from_vars(m).unwrap();
        assert_eq!(ctx.remote_app, None);
    }
}

#[test]
fn remote_app_is_required_elsewhere_unless_it_can_be_derived() {
    let mut m = env_for("hooks/db-relation-created");
    m.remove("JUJU_REMOTE_APP");
    m.remove("JUJU_REMOTE_UNIT");
    let e = JujuContext::from_vars(m).unwrap_err();
    assert!(matches!(
        e,
        ContextError::Missing {
            var: "JUJU_REMOTE_APP",
            ..
        }
    ));
    let mut m = env_for("hooks/db-relation-changed");
    m.insert("JUJU_REMOTE_APP".into(), String::new());
    let ctx = JujuContext::from_vars(m).unwrap();
    assert_eq!(ctx.remote_app.as_deref(), Some("pg"));
}

/// Values Juju never sends are refused, naming the variable (not accepted and misread).
#[test]
fn values_juju_never_sends_are_refused() {
    let cases = [
        ("hooks/install", "JUJU_UNIT_NAME", "webkv/0/1"),
        ("hooks/install", "JUJU_UNIT_NAME", "webkv/4294967296"),
        ("hooks/install", "JUJU_UNIT_NAME", "webkv/-1"),
        ("hooks/install", "JUJU_UNIT_NAME", "webkv/+1"),
        ("hooks/install", "JUJU_UNIT_NAME", "Web/0"),
        ("hooks/install", "JUJU_UNIT_NAME", "web-1/0"),
        ("hooks/install", "JUJU_UNIT_NAME", "/0"),
        ("hooks/db-relation-changed", "JUJU_RELATION_ID", ":3"),
        ("hooks/db-relation-changed", "JUJU_RELATION_ID", "3"),
        ("hooks/db-relation-changed", "JUJU_RELATION_ID", "cache:3"),
        ("hooks/db-relation-changed", "JUJU_REMOTE_UNIT", "pg/x"),
        ("hooks/db-relation-departed", "JUJU_DEPARTING_UNIT", "pg"),
        ("hooks/install", "JUJU_PRINCIPAL_UNIT", "main/a"),
        ("hooks/install", "JUJU_VERSION", "banana"),
        ("hooks/install", "JUJU_VERSION", "3"),
        ("hooks/install", "JUJU_VERSION", "3.6.4-rc1"),
        ("hooks/install", "JUJU_VERSION", "3.6.4.1.2"),
        (
            "hooks/install",
            "JUJU_DISPATCH_PATH",
            "hooks/../../config-changed",
        ),
        ("hooks/install", "JUJU_DISPATCH_PATH", "install"),
        ("hooks/install", "JUJU_DISPATCH_PATH", "bin/install"),
        ("hooks/install", "JUJU_DISPATCH_PATH", "hooks/"),
        ("hooks/secret-changed", "JUJU_SECRET_ID", "not-a-secret-id"),
        ("hooks/secret-changed", "JUJU_SECRET_ID", "secret:abc"),
        (
            "hooks/secret-changed",
            "JUJU_SECRET_ID",
            "secret:CR0AHN1DQE3K7MQMSC2G",
        ),
        (
            "hooks/secret-changed",
            "JUJU_SECRET_ID",
            "secret://x/cr0ahn1dqe3k7mqmsc2g",
        ),
        ("hooks/web-pebble-ready", "JUJU_WORKLOAD_NAME", "db"),
    ];
    for (path, var, value) in cases {
        let mut m = env_for(path);
        m.insert(var.into(), value.into());
        let e = JujuContext::from_vars(m).unwrap_err();
        assert!(
            matches!(&e, ContextError::Malformed { var: v, value: got, .. } if *v == var && got == value),
            "{path} {var}={value}: {e:?}"
        );
        assert!(e.to_string().contains(var), "{e}");
    }
}

#[test]
fn values_juju_sends_are_accepted() {
    let cases = [
        ("JUJU_UNIT_NAME", "web-k8s/4294967295"),
        ("JUJU_UNIT_NAME", "a1-b2c/0"),
        ("JUJU_VERSION", "3.6-beta1"),
        ("JUJU_VERSION", "2.9.42.1"),
        ("JUJU_VERSION", "4.0.0"),
        ("JUJU_VERSION", "3.6"),
        ("JUJU_SECRET_ID", "secret:cr0ahn1dqe3k7mqmsc2g"),
        (
            "JUJU_SECRET_ID",
            "secret://6a1c4b5e-2f3d-4c8a-9b1e-0d2f3a4b5c6d/cr0ahn1dqe3k7mqmsc2g",
        ),
    ];
    for (var, value) in cases {
        let mut m = env_for("hooks/secret-changed");
        m.insert(var.into(), value.into());
        JujuContext::from_vars(m).unwrap_or_else(|e| panic!("{var}={value}: {e}"));
    }
}

#[test]
fn remote_unit_presence_is_enough_for_joined() {
    let mut m = env_for("hooks/db-relation-joined");
    m.insert("JUJU_REMOTE_UNIT".into(), String::new());
    let ctx = JujuContext::from_vars(m).unwrap();
    assert_eq!(ctx.remote_unit, None);
}

#[test]
fn malformed_values_name_the_variable() {
    let cases = [
        ("hooks/db-relation-changed", "JUJU_RELATION_ID", "db:x"),
        ("hooks/secret-remove", "JUJU_SECRET_REVISION", "two"),
        ("hooks/data-storage-attached", "JUJU_STORAGE_ID", "data"),
        ("hooks/data-storage-attached", "JUJU_STORAGE_ID", "data/x"),
        ("hooks/install", "JUJU_UNIT_NAME", "web"),
        ("hooks/db-relation-changed", "JUJU_REMOTE_UNIT", "pg"),
    ];
    for (path, var, value) in cases {
        let mut m = env_for(path);
        m.insert(var.into(), value.into());
        if var == "JUJU_REMOTE_UNIT" {
            m.remove("JUJU_REMOTE_APP");
        }
        let e = JujuContext::from_vars(m).unwrap_err();
        assert!(
            matches!(&e, ContextError::Malformed { var: v, value: got, .. } if *v == var && got == value),
            "{path} {var}={value}: {e:?}"
        );
        assert!(e.to_string().contains(var));
    }
}

#[test]
fn parses_everything_juju_gives() {
    let ctx = JujuContext::from_vars(env_for("hooks/db-relation-departed")).unwrap();
    assert_eq!(ctx.event_kind, EventKind::relation_departed("db"));
    assert_eq!(ctx.relation_id, Some(3));
    assert_eq!(ctx.storage_name.as_deref(), Some("data"));
    assert_eq!(ctx.storage_index, Some(1));
    assert_eq!(ctx.secret_revision, Some(2));
    assert_eq!(ctx.departing_unit.as_deref(), Some("pg/1"));
    assert_eq!(ctx.app_name(), "web");
    assert!(!ctx.debug);
    let ctx = JujuContext::from_vars(env_for("actions/backup")).unwrap();
    assert_eq!(ctx.event_kind, EventKind::action("backup"));
    assert_eq!(ctx.hook_name, None);
}

#[test]
fn empty_means_unset_and_debug_is_presence() {
    let mut m = env_for("hooks/install");
    m.insert("JUJU_MODEL_NAME".into(), String::new());
    assert!(matches!(
        JujuContext::from_vars(m).unwrap_err(),
        ContextError::Missing {
            var: "JUJU_MODEL_NAME",
            ..
        }
    ));
    let mut m = env_for("hooks/install");
    m.insert("JUJU_DEBUG".into(), String::new());
    assert!(JujuContext::from_vars(m).unwrap().debug);
}

#[test]
fn missing_dispatch_path_says_so() {
    let mut m = env_for("hooks/install");
    m.remove("JUJU_DISPATCH_PATH");
    let e = JujuContext::from_vars(m).unwrap_err();
    assert!(e.to_string().contains("JUJU_DISPATCH_PATH"), "{e}");
}

#[test]
fn unknown_and_restricted_hooks() {
    let ctx = JujuContext::from_vars(env_for("hooks/not-a-hook")).unwrap();
    assert_eq!(ctx.event_kind, EventKind::Unknown("not-a-hook".into()));
    let mut m = env_for("hooks/meter-status-changed");
    m.remove("JUJU_VERSION");
    let ctx = JujuContext::from_vars(m).unwrap();
    assert_eq!(ctx.juju_version, JujuVersion::UNKNOWN);
    assert!(ctx.event_kind.is_restricted());
}

#[test]
fn charm_dir_falls_back_to_charm_dir() {
    let mut m = env_for("hooks/install");
    m.remove("JUJU_CHARM_DIR");
    m.insert("CHARM_DIR".into(), "/other".into());
    assert_eq!(
        JujuContext::from_vars(m).unwrap().charm_dir,
        PathBuf::from("/other")
    );
}

#[test]
fn containers_dir_defaults_and_is_overridable_for_simulation() {
    let ctx = JujuContext::from_vars(env_for("hooks/install")).unwrap();
    assert_eq!(ctx.containers_dir, PathBuf::from(DEFAULT_CONTAINERS_DIR));
    assert_eq!(
        ctx.pebble_socket("web"),
        PathBuf::from("/charm/containers/web/pebble.socket")
    );
    let mut m = env_for("hooks/install");
    m.insert(CONTAINERS_DIR_VAR.into(), "/tmp/sim/containers".into());
    let ctx = JujuContext::from_vars(m).unwrap();
    assert_eq!(ctx.containers_dir, PathBuf::from("/tmp/sim/containers"));
    assert_eq!(
        ctx.pebble_socket("db"),
        PathBuf::from("/tmp/sim/containers/db/pebble.socket")
    );
    // Empty counts as unset, like every other variable.
    let mut m = env_for("hooks/install");
    m.insert(CONTAINERS_DIR_VAR.into(), String::new());
    let ctx = JujuContext::from_vars(m).unwrap();
    assert_eq!(ctx.containers_dir, PathBuf::from(DEFAULT_CONTAINERS_DIR));
}

#[test]
fn an_environment_that_is_not_utf8_is_an_error_not_a_panic() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let os = |m: HashMap<String, String>| -> Vec<(OsString, OsString)> {
        m.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
    };
    // Bad bytes in a variable the framework does not read: ignored.
    let mut vars = os(env_for("hooks/install"));
    vars.push(("LC_WEIRD".into(), OsString::from_vec(b"caf\xe9".to_vec())));
    vars.push((OsString::from_vec(b"\xff\xfe".to_vec()), "x".into()));
    let ctx = JujuContext::from_vars_os(vars).unwrap();
    assert_eq!(ctx.unit_name, "web/0");
    // ... in one it reads: reported, with the bad bytes shown as U+FFFD.
    let mut vars = os(env_for("hooks/install"));
    vars.retain(|(k, _)| k != "JUJU_UNIT_NAME");
    vars.push((
        "JUJU_UNIT_NAME".into(),
        OsString::from_vec(b"web/\xff".to_vec()),
    ));
    let e = JujuContext::from_vars_os(vars).unwrap_err();
    assert!(e.to_string().contains("JUJU_UNIT_NAME"), "{e}");
    assert!(e.to_string().contains('\u{FFFD}'), "{e}");
}

#[test]
fn from_env_reads_what_from_vars_reads() {
    // Only variables with the prefixes `from_vars_os` keeps are read: the full environment
    // and the filtered one give the same context.
    let mut full = env_for("hooks/db-relation-changed");
    full.insert("PATH".into(), "/usr/bin".into());
    full.insert("HOME".into(), "/root".into());
    full.insert("CHARM_DIR".into(), "/charm".into());
    full.insert("OPS_RS_CONTAINERS_DIR".into(), "/tmp/c".into());
    let os: Vec<(std::ffi::OsString, std::ffi::OsString)> = full
        .clone()
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let a = JujuContext::from_vars(full).unwrap();
    let b = JujuContext::from_vars_os(os).unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

/// Kubernetes sets `KUBERNETES_SERVICE_HOST` in every pod and Juju passes it on to hooks:
/// the context says the unit is on Kubernetes, and reads it from the process environment too.
#[test]
fn kubernetes_is_known_from_the_pods_environment() {
    let ctx = JujuContext::from_vars(env_for("hooks/install")).unwrap();
    assert!(!ctx.kubernetes);
    let mut m = env_for("hooks/install");
    m.insert("KUBERNETES_SERVICE_HOST".into(), "10.152.183.1".into());
    assert!(JujuContext::from_vars(m.clone()).unwrap().kubernetes);
    let os = m
        .into_iter()
        .map(|(k, v)| (std::ffi::OsString::from(k), std::ffi::OsString::from(v)));
    assert!(JujuContext::from_vars_os(os).unwrap().kubernetes);
}
