//! Secret content never leaks: not into `juju-log` lines, `Debug` output, juju-sim's trace,
//! the hook-tool records, hook tools' argv, or the unit's state file; and the state file is
//! owner-only. The reliability charm reads a secret, logs it through `Debug`, adds a copy of
//! its own and defers the event (so its stored form is in the state file).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use ops::store::STATE_FILE;

const SECRET: &str = "S3CRET-tango-zulu-9931";

fn scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("secret.yaml");
    std::fs::write(
        &p,
        format!(
            "model:
  leader: true
  secrets:
    - id: secret:d0qbv8r9fp2s0v7c8gmg
      owner: consumer
      label: db-password
      content: {{password: old-{SECRET}}}
steps:
  - deploy
  - secret-changed:
      id: secret:d0qbv8r9fp2s0v7c8gmg
      content: {{password: {SECRET}}}
    expect:
      hooks: [secret-changed]
      exit-code: 0
  - hook: update-status
"
        ),
    )
    .unwrap();
    p
}

#[test]
fn secret_content_stays_out_of_logs_traces_argv_and_the_state_file() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let out = Command::new(support::program("juju-sim"))
        .args(["run", "--format", "json", "--log-level", "debug", "--charm"])
        .arg(support::reliability::charm_dir())
        .arg("--dispatch")
        .arg(env!("CARGO_BIN_EXE_reliability-charm"))
        .arg("--scenario")
        .arg(scenario(tmp.path()))
        .arg("--work-dir")
        .arg(&work)
        .env("JUJU_DEBUG", "1")
        .output()
        .unwrap();
    let trace = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{trace}");
    // The charm did read it and log it (redacted) at the secret-changed hook.
    assert!(
        trace.contains("has content {\\\"password\\\": \\\"<redacted>\\\"}"),
        "{trace}"
    );
    // 1. The trace (stdout, JSON lines) and juju-sim's stderr.
    assert!(
        !trace.contains(SECRET),
        "the trace holds the secret:\n{trace}"
    );
    assert!(
        !stderr.contains(SECRET),
        "stderr holds the secret:\n{stderr}"
    );

    // 2. The hook-tool records and juju-log lines (the model file's `secrets` section is
    //    Juju's own store of the content: that one may hold it; the journal of records
    //    beside it must not).
    let state_path = work.join("state.json");
    let state = juju_sim::state_file::load(&state_path).unwrap();
    let records = serde_json::to_string(&state.calls).unwrap();
    let logs = serde_json::to_string(&state.logs).unwrap();
    assert!(!records.contains(SECRET), "{records}");
    assert!(!logs.contains(SECRET), "{logs}");
    let journal = std::fs::read_to_string(juju_sim::state_file::journal_path(&state_path)).unwrap();
    assert!(!journal.contains(SECRET), "{journal}");
    // 3. argv: secret-add got the content through files (`key#file=`), not `key=value`
    //    (which the records would show redacted).
    let adds: Vec<_> = state
        .calls
        .iter()
        .filter(|c| c.tool == "secret-add")
        .collect();
    assert_eq!(adds.len(), 1, "{records}");
    assert!(
        adds[0].args.iter().any(|a| a.starts_with("password#file=")),
        "{:?}",
        adds[0].args
    );
    assert!(!adds[0].args.iter().any(|a| a.contains("<redacted>")));
    // The copy reached Juju intact.
    assert!(
        state.secrets.iter().any(|s| s.latest().is_some_and(|r| r
            .content
            .iter()
            .any(|(_, v)| v.contains(&format!("{SECRET}-copy"))))),
        "the charm's copy was not stored"
    );

    // 4. The state file: owner-only, and no secret in any byte of it (nor its journal).
    let db = work.join("charm").join(STATE_FILE);
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "state file mode {mode:o}");
    let journal = db.with_file_name(format!("{STATE_FILE}-journal"));
    for f in [&db, &journal] {
        if let Ok(bytes) = std::fs::read(f) {
            assert!(
                !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                "{} holds the secret",
                f.display()
            );
            let m = std::fs::metadata(f).unwrap().permissions().mode() & 0o077;
            assert_eq!(m, 0, "{} is readable by others", f.display());
        }
    }
    // The deferred secret-changed (stored with its id only) was re-emitted and dropped.
    let data = support::reliability::stored_at(&db).unwrap();
    assert!(data.queue.is_empty(), "{:?}", data.queue);
    assert!(
        data.charm_state
            .unwrap()
            .contains("secret:d0qbv8r9fp2s0v7c8gmg")
    );
}

#[test]
fn debug_output_of_secret_types_is_redacted() {
    use ops::model::SecretContent;
    let content = SecretContent::from_pairs([("password", SECRET)]);
    let debug = format!("{content:?} {content:#?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("password"));
    let sim = ops::testing::juju::SecretContent::from_iter([("password", SECRET)]);
    let debug = format!("{sim:?}");
    assert!(!debug.contains(SECRET), "{debug}");
}
