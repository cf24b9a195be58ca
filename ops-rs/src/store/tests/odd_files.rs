//! What may stand at the state file's path, and values in it that no dispatch writes: each
//! a clear error (or, for an empty file, a warning), with nothing changed that the unit does
//! not own.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

/// Runs `f` with `tracing` going to `juju-log` through a recording runner; the lines logged.
fn logged<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    let (r, m) = crate::test_support::retry::logging_model();
    let out = tracing::subscriber::with_default(crate::log::subscriber(m, false), f);
    (out, r.lines())
}

/// The bytes and mode of `path`, to show they did not change.
fn snapshot(path: &Path) -> (Vec<u8>, u32) {
    (std::fs::read(path).unwrap(), mode(path))
}

#[test]
fn a_symbolic_link_is_refused_and_its_target_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere.db");
    // The target: another store (as someone might link to a "persistent" copy), readable by
    // others on purpose.
    let other = tempfile::tempdir().unwrap();
    let real = committed_empty_store(other.path());
    std::fs::copy(&real, &target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = snapshot(&target);
    let path = dir.path().join(STATE_FILE);
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::NotAFile { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "{} is a symbolic link to {}, not a regular file",
            path.display(),
            target.display()
        )) && msg.contains("Replace a link with the file it points to"),
        "{msg}"
    );
    assert_eq!(
        snapshot(&target),
        before,
        "the target is not the unit's to chmod"
    );
    // A dangling link: refused the same way, and nothing is created where it points.
    let gone = dir.path().join("gone.db");
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&gone, &path).unwrap();
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::NotAFile { .. }), "{e:?}");
    assert!(!gone.exists());
}

#[test]
fn a_directory_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(path.join("inside"), "x").unwrap();
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::NotAFile { .. }), "{e:?}");
    assert!(
        e.to_string().contains("is a directory, not a regular file"),
        "{e}"
    );
    assert_eq!(mode(&path), 0o755, "not chmod'ed");
    assert_eq!(std::fs::read_to_string(path.join("inside")).unwrap(), "x");
}

#[test]
fn an_empty_file_starts_an_empty_state_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    std::fs::write(&path, "").unwrap();
    let (data, lines) = logged(|| SqliteStore::open(&path).unwrap().load().unwrap());
    assert_eq!(data, StoreData::default());
    let warning = lines
        .iter()
        .find(|l| l.starts_with("juju-log --log-level WARNING"))
        .unwrap_or_else(|| panic!("no warning: {lines:?}"));
    assert!(
        warning.contains(&format!(
            "the state file {} is empty (0 bytes)",
            path.display()
        )) && warning.contains("deferred events and stored state it held are lost"),
        "{warning}"
    );
}

#[test]
fn a_new_file_is_never_left_empty_even_by_a_dispatch_that_does_not_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    // A first dispatch that fails (drops the store without committing).
    let mut s = SqliteStore::open(&path).unwrap();
    s.save(&sample()).unwrap();
    drop(s);
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    assert_eq!(mode(&path), 0o600);
    // Its retry: an empty state, and no warning (nothing was lost).
    let (data, lines) = logged(|| SqliteStore::open(&path).unwrap().load().unwrap());
    assert_eq!(data, StoreData::default());
    assert!(lines.is_empty(), "{lines:?}");
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [STATE_FILE], "{names:?}");
}

/// A committed store in a fresh directory, changed by `sql` behind ops-rs's back.
fn edited_store(sql: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = committed_empty_store(dir.path());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    (dir, path)
}

#[test]
fn a_meta_table_without_a_schema_version_is_a_clear_error() {
    let (_dir, path) = edited_store("DELETE FROM meta WHERE key = 'schema_version'");
    let before = snapshot(&path);
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("has a `meta` table but no schema version") && msg.contains("move it aside"),
        "{msg}"
    );
    assert_eq!(snapshot(&path), before);
    // A version that is not a number says so too.
    let (_dir, path) = edited_store("UPDATE meta SET value = 'three' WHERE key = 'schema_version'");
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(
        e.to_string()
            .contains("its schema version is text, not a number"),
        "{e}"
    );
}

#[test]
fn an_event_counter_that_is_not_a_whole_number_of_zero_or_more_is_a_clear_error() {
    for (value, found) in [
        ("'twelve'", "text"),
        ("2.5", "a real number"),
        ("x'00'", "a blob"),
        ("-3", "-3, a negative number"),
    ] {
        let (_dir, path) = edited_store(&format!(
            "UPDATE meta SET value = {value} WHERE key = 'event_counter'"
        ));
        let before = snapshot(&path);
        let e = SqliteStore::open(&path).unwrap().load().unwrap_err();
        assert!(matches!(e, StoreError::BadCounter { .. }), "{value}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!(
                "holds an event counter that is {found}, not a whole number"
            )) && msg
                .contains("UPDATE meta SET value = (SELECT coalesce(max(event_id), 0) FROM queue)"),
            "{value}: {msg}"
        );
        assert_eq!(snapshot(&path), before, "{value}");
    }
}

#[test]
fn the_remedy_the_counter_error_gives_works() {
    let (_dir, path) = edited_store(
        "UPDATE meta SET value = -3 WHERE key = 'event_counter';
         INSERT INTO queue VALUES (1, 7, 'on_config', 'config-changed', NULL, '{}');",
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE meta SET value = (SELECT coalesce(max(event_id), 0) FROM queue) \
         WHERE key = 'event_counter'",
    )
    .unwrap();
    drop(conn);
    assert_eq!(
        SqliteStore::open(&path)
            .unwrap()
            .load()
            .unwrap()
            .event_counter,
        7
    );
}
