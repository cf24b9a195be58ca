//! The unit's lock on the state file: a second store waits for the first (saying so), then
//! opens and sees what the first committed; or gives up with a clear error.

use std::sync::mpsc;
use std::time::Duration;

use super::*;

#[test]
fn a_second_store_waits_for_the_first_then_sees_what_it_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    let mut first = SqliteStore::open(&path).unwrap();
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let second = std::thread::spawn({
        let path = path.clone();
        move || {
            // A runner that reports the first juju-log line (the wait) as it is sent.
            let r = RecordingRunner::new(move |c: &ToolCall| {
                if c.tool == "juju-log" {
                    let _ = waiting_tx.send(c.args.join(" "));
                }
                Ok(Vec::new())
            });
            let m = crate::model::Model::new(Arc::new(r), "web/0");
            tracing::subscriber::with_default(crate::log::subscriber(m, false), || {
                let mut s = SqliteStore::open(&path).unwrap();
                let data = s.load().unwrap();
                Box::new(s).commit().unwrap();
                data
            })
        }
    });
    let line = waiting_rx.recv().unwrap();
    assert!(
        line.starts_with(
            "--log-level WARNING -- waiting for another process to finish with the state file"
        ) && line.contains(&path.display().to_string())
            && line.contains("juju exec"),
        "{line}"
    );
    // The first one commits while the second waits: before the lock, this is where both
    // stopped (the second held SQLite's shared lock, which the commit needs gone).
    first.save(&sample()).unwrap();
    Box::new(first).commit().unwrap();
    assert_eq!(second.join().unwrap(), sample());
}

#[test]
fn a_store_held_past_the_wait_is_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = committed_empty_store(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    let _held = SqliteStore::open(&path).unwrap();
    let e = SqliteStore::open_waiting(&path, MIGRATIONS, Duration::ZERO).unwrap_err();
    assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "another process has held the state file {}",
            path.display()
        )) && msg.contains("this hook did nothing and fails, and Juju retries it")
            && msg.contains("fuser"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}
