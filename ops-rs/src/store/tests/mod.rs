use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};

use super::schema::MIGRATIONS;
use super::*;
use crate::hookcmds::{HookToolFailure, RecordingRunner, ToolCall};

fn sample() -> StoreData {
    StoreData {
        event_counter: 12,
        queue: vec![
            DeferredEntry {
                seq: 1,
                event_id: 3,
                handler: "on_config".into(),
                kind: "config-changed".into(),
                source: None,
                data: "{}".into(),
            },
            DeferredEntry {
                seq: 4,
                event_id: 9,
                handler: "on_db".into(),
                kind: "relation-changed".into(),
                source: Some("db".into()),
                data: r#"{"endpoint":"db"}"#.into(),
            },
        ],
        charm_state: Some(r#"{"n":1}"#.into()),
        breakers: [("db".to_owned(), r#"{"failures":[1]}"#.to_owned())].into(),
        components: [("primary".to_owned(), r#"{"changes":2}"#.to_owned())].into(),
    }
}

/// A new store in `dir`, committed empty; its path.
fn committed_empty_store(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join(STATE_FILE);
    Box::new(SqliteStore::open(&path).unwrap())
        .commit()
        .unwrap();
    path
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn sqlite_round_trips_and_commits() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_in_charm_dir(dir.path()).unwrap();
    assert_eq!(s.load().unwrap(), StoreData::default());
    s.save(&sample()).unwrap();
    Box::new(s).commit().unwrap();
    let mut s = SqliteStore::open_in_charm_dir(dir.path()).unwrap();
    assert_eq!(s.load().unwrap(), sample());
}

#[test]
fn sqlite_drop_without_commit_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_in_charm_dir(dir.path()).unwrap();
    s.save(&sample()).unwrap();
    drop(s);
    let mut s = SqliteStore::open_in_charm_dir(dir.path()).unwrap();
    assert_eq!(s.load().unwrap(), StoreData::default());
}

#[test]
fn sqlite_file_is_owner_only_and_fixed_if_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    drop(SqliteStore::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(SqliteStore::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn sqlite_records_the_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = committed_empty_store(dir.path());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn sqlite_migrates_a_store_written_by_an_older_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    // Written at the current version...
    let mut s = SqliteStore::open(&path).unwrap();
    s.save(&sample()).unwrap();
    Box::new(s).commit().unwrap();
    // ...then opened by a build with one more migration: data kept, version bumped.
    let mut newer: Vec<&str> = MIGRATIONS.to_vec();
    newer.push("CREATE TABLE extra (x INTEGER);");
    let mut s = SqliteStore::open_with(&path, &newer).unwrap();
    assert_eq!(s.load().unwrap(), sample());
    Box::new(s).commit().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1);
    // And the current build now refuses it as newer.
    drop(conn);
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(e, StoreError::NewerSchema { found, supported, .. } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION)
    );
    assert!(e.to_string().contains(STATE_FILE) && e.to_string().contains("newer"));
}

#[test]
fn sqlite_a_version_1_file_opens_and_migrates_to_the_current_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    // A file as ops-rs with schema version 1 wrote it (before circuit breakers).
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "INSERT INTO meta (key, value) VALUES ('schema_version', 1);
             UPDATE meta SET value = 5 WHERE key = 'event_counter';
             INSERT INTO queue VALUES (1, 3, 'on_config', 'config-changed', NULL, '{}');
             INSERT INTO charm_state (id, data) VALUES (1, '{\"n\":1}');",
        )
        .unwrap();
    }
    assert_eq!(SCHEMA_VERSION, 3);
    let mut s = SqliteStore::open(&path).unwrap();
    let mut data = s.load().unwrap();
    assert_eq!(data.event_counter, 5);
    assert_eq!(data.queue.len(), 1);
    assert_eq!(data.charm_state.as_deref(), Some(r#"{"n":1}"#));
    assert!(data.breakers.is_empty());
    data.breakers.insert("db".into(), "{}".into());
    s.save(&data).unwrap();
    Box::new(s).commit().unwrap();
    let mut s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.load().unwrap(), data);
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn juju_documents_without_breakers_still_load() {
    let doc = r#"{"version":1,"event_counter":3,"queue":[],"charm_state":null}"#;
    let data: StoreData = serde_json::from_str(doc).unwrap();
    assert_eq!(data.event_counter, 3);
    assert!(data.breakers.is_empty());
    // And a store without breakers writes the same document as before.
    let out = serde_json::to_string(&StoreData::default()).unwrap();
    assert!(!out.contains("breakers"), "{out}");
}

#[test]
fn sqlite_corrupt_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    std::fs::write(&path, vec![0x5a; 4096]).unwrap();
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(STATE_FILE) && msg.contains("move it aside"),
        "{msg}"
    );
}

#[test]
fn sqlite_foreign_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE something (x);").unwrap();
    drop(conn);
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(e.to_string().contains("not an ops-rs state file"), "{e}");
}

#[test]
fn sqlite_python_ops_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB);
         CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                              event_path TEXT, observer_path TEXT, method_name TEXT);",
    )
    .unwrap();
    drop(conn);
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::PythonOps { .. }));
    assert!(e.to_string().contains("Python ops"));
}

#[test]
fn sqlite_missing_directory_is_an_io_error_naming_the_file() {
    let e = SqliteStore::open("/nonexistent-dir-ops-rs/x.db").unwrap_err();
    assert!(matches!(e, StoreError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent-dir-ops-rs/x.db"));
}

/// A fake Juju state store: `state-get --format=json` and `state-set --file -`.
fn juju_runner() -> (
    RecordingRunner,
    Arc<Mutex<serde_json::Map<String, serde_json::Value>>>,
) {
    let kv = Arc::new(Mutex::new(serde_json::Map::new()));
    let kv2 = kv.clone();
    let r = RecordingRunner::new(move |c: &ToolCall| match c.tool.as_str() {
        "state-get" => {
            let m = kv2.lock().unwrap();
            Ok(if m.is_empty() {
                b"null".to_vec()
            } else {
                serde_json::to_vec(&*m).unwrap()
            })
        }
        "state-set" => {
            let v: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(c.stdin.as_deref().unwrap_or_default()).unwrap();
            kv2.lock().unwrap().extend(v);
            Ok(Vec::new())
        }
        "state-delete" => {
            kv2.lock().unwrap().remove(&c.args[0]);
            Ok(Vec::new())
        }
        t => Err(HookToolFailure {
            tool: t.into(),
            args: c.args.clone(),
            exit_code: Some(1),
            signal: None,
            stderr: "unexpected".into(),
        }),
    });
    (r, kv)
}

#[test]
fn juju_store_round_trips_and_writes_only_on_commit() {
    let (r, kv) = juju_runner();
    let runner: Arc<dyn crate::hookcmds::HookToolRunner> = Arc::new(r.clone());
    let mut s = JujuStore::new(runner.clone());
    assert_eq!(s.load().unwrap(), StoreData::default());
    s.save(&sample()).unwrap();
    assert!(r.calls_to("state-set").is_empty());
    drop(s);
    assert!(kv.lock().unwrap().is_empty());
    let mut s = JujuStore::new(runner.clone());
    s.save(&sample()).unwrap();
    Box::new(s).commit().unwrap();
    assert_eq!(r.calls_to("state-set")[0].line(), "state-set --file -");
    let mut s = JujuStore::new(runner);
    assert_eq!(s.load().unwrap(), sample());
}

#[test]
fn juju_store_refuses_a_newer_document() {
    let (r, kv) = juju_runner();
    kv.lock().unwrap().insert(
        "ops-rs-state".into(),
        serde_json::Value::String(
            r#"{"version":99,"event_counter":0,"queue":[],"charm_state":null}"#.into(),
        ),
    );
    let e = JujuStore::new(Arc::new(r)).load().unwrap_err();
    assert!(e.to_string().contains("version 99"), "{e}");
}

/// Commits `data` through a fresh [`JujuStore`] over `r`.
fn juju_commit(r: &RecordingRunner, data: &StoreData) -> Result<(), StoreError> {
    let mut s = JujuStore::new(Arc::new(r.clone()));
    s.load()?;
    s.save(data)?;
    Box::new(s).commit()
}

fn juju_keys(kv: &Mutex<serde_json::Map<String, serde_json::Value>>) -> Vec<String> {
    kv.lock().unwrap().keys().cloned().collect()
}

#[test]
fn juju_store_cuts_long_parts_into_values_juju_takes() {
    use crate::hookcmds::limits::MAX_STATE_VALUE_LEN;
    let (r, kv) = juju_runner();
    // A JSON string of exactly one value's length is one piece; one byte more, two.
    let exact = StoreData {
        charm_state: Some(format!("\"{}\"", "x".repeat(MAX_STATE_VALUE_LEN - 2))),
        ..StoreData::default()
    };
    juju_commit(&r, &exact).unwrap();
    assert_eq!(juju_keys(&kv), ["ops-rs/charm/0", "ops-rs/meta"]);
    let longer = StoreData {
        charm_state: Some(format!("\"{}\"", "é".repeat(MAX_STATE_VALUE_LEN))),
        ..sample()
    };
    juju_commit(&r, &longer).unwrap();
    for (k, v) in kv.lock().unwrap().iter() {
        assert!(v.as_str().unwrap().len() <= MAX_STATE_VALUE_LEN, "{k}");
    }
    assert_eq!(
        juju_keys(&kv),
        [
            "ops-rs/breakers/0",
            "ops-rs/charm/0",
            "ops-rs/charm/1",
            "ops-rs/charm/2",
            "ops-rs/components/0",
            "ops-rs/meta",
            "ops-rs/queue/0"
        ]
    );
    let mut s = JujuStore::new(Arc::new(r.clone()));
    assert_eq!(s.load().unwrap(), longer);
    // Shrinking deletes the pieces no longer used; only changed keys are set.
    let before = r.calls().len();
    juju_commit(&r, &sample()).unwrap();
    let lines: Vec<String> = r.calls()[before..].iter().map(|c| c.line()).collect();
    assert_eq!(
        lines,
        [
            "state-get --format=json",
            "state-set --file -",
            "state-delete ops-rs/charm/1",
            "state-delete ops-rs/charm/2"
        ]
    );
    let set: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(r.calls()[before + 1].stdin.as_deref().unwrap()).unwrap();
    assert_eq!(
        set.keys().collect::<Vec<_>>(),
        ["ops-rs/charm/0", "ops-rs/meta"]
    );
    let mut s = JujuStore::new(Arc::new(r));
    assert_eq!(s.load().unwrap(), sample());
}

#[test]
fn juju_store_moves_the_one_key_layout_to_parts() {
    let (r, kv) = juju_runner();
    let legacy = serde_json::json!({"version": 1, "event_counter": 12, "queue": sample().queue,
        "charm_state": sample().charm_state, "breakers": sample().breakers});
    kv.lock().unwrap().insert(
        "ops-rs-state".into(),
        serde_json::Value::String(legacy.to_string()),
    );
    kv.lock()
        .unwrap()
        .insert("charm-own".into(), serde_json::Value::String("x".into()));
    let mut s = JujuStore::new(Arc::new(r.clone()));
    let data = s.load().unwrap();
    // The one-key layout predates components.
    let before_components = StoreData {
        components: Default::default(),
        ..sample()
    };
    assert_eq!(data, before_components);
    s.save(&data).unwrap();
    Box::new(s).commit().unwrap();
    assert!(r.lines().contains(&"state-delete ops-rs-state".to_owned()));
    assert!(!juju_keys(&kv).contains(&"ops-rs-state".to_owned()));
    assert!(
        juju_keys(&kv).contains(&"charm-own".to_owned()),
        "not ours: kept"
    );
    let mut s = JujuStore::new(Arc::new(r));
    assert_eq!(s.load().unwrap(), before_components);
}

#[test]
fn juju_store_refuses_past_the_total_counting_other_keys() {
    use crate::hookcmds::limits::MAX_STATE_VALUE_LEN;
    let (r, kv) = juju_runner();
    // The charm's own keys take most of the 2 MiB.
    for i in 0..31 {
        kv.lock().unwrap().insert(
            format!("own-{i}"),
            serde_json::Value::String("o".repeat(MAX_STATE_VALUE_LEN)),
        );
    }
    let big = StoreData {
        charm_state: Some("1".repeat(100_000)),
        ..StoreData::default()
    };
    let e = juju_commit(&r, &big).unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::JujuLimit {
                limit: 2_097_152,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("max-charm-state-size"), "{e}");
    assert!(r.calls_to("state-set").is_empty(), "nothing written");
    juju_commit(&r, &sample()).unwrap();
}

#[test]
fn juju_store_says_which_piece_is_missing() {
    let (r, kv) = juju_runner();
    kv.lock().unwrap().insert(
        "ops-rs/meta".into(),
        serde_json::Value::String(r#"{"version":2,"event_counter":1,"parts":{"charm":2}}"#.into()),
    );
    kv.lock().unwrap().insert(
        "ops-rs/charm/0".into(),
        serde_json::Value::String("{".into()),
    );
    let e = JujuStore::new(Arc::new(r)).load().unwrap_err();
    assert!(
        e.to_string().contains("key ops-rs/charm/1 is missing"),
        "{e}"
    );
}

#[test]
fn memory_store_stages_until_commit() {
    let shared = MemoryStore::with_data(sample());
    let mut tx = shared.clone();
    tx.save(&StoreData::default()).unwrap();
    assert_eq!(tx.load().unwrap(), StoreData::default());
    drop(tx);
    assert_eq!(shared.data(), sample());
}

#[test]
fn sqlite_loads_each_part_whether_or_not_the_others_are_there() {
    // The store reads its tables only when they hold rows: every combination loads exactly.
    let full = sample();
    let variants = [
        StoreData {
            queue: Vec::new(),
            ..full.clone()
        },
        StoreData {
            breakers: Default::default(),
            ..full.clone()
        },
        StoreData {
            charm_state: None,
            queue: Vec::new(),
            ..full.clone()
        },
        full.clone(),
    ];
    for want in variants {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open_in_charm_dir(dir.path()).unwrap();
        s.save(&want).unwrap();
        // A second load in the same transaction sees what was saved.
        assert_eq!(s.load().unwrap(), want);
        Box::new(s).commit().unwrap();
        let mut s = SqliteStore::open_in_charm_dir(dir.path()).unwrap();
        assert_eq!(s.load().unwrap(), want);
        assert_eq!(s.load().unwrap(), want);
    }
}

#[test]
fn sqlite_a_store_without_its_event_counter_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = committed_empty_store(dir.path());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("DELETE FROM meta WHERE key = 'event_counter'", [])
        .unwrap();
    drop(conn);
    let e = SqliteStore::open(&path).unwrap().load().unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert!(e.to_string().contains("event counter"), "{e}");
}

mod lock;
mod odd_files;
