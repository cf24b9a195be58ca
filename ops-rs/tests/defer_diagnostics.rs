//! What the compiler says when a handler defers an event that cannot be deferred (issue 19,
//! item 7): not "no method named `defer`", but why, and what to do instead.
//!
//! Each case is a small crate compiled with the `rustc` that built this test, against the
//! `ops` library this test links (from the same `deps` directory), and only checked
//! (`--emit=metadata`). A deferrable event compiles in the same way first, so a failure
//! below is the message's, not the set-up's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory of this test's binary, where cargo put the `ops` rlib it links.
fn deps_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

/// The newest `libops-*.rlib` beside this test (the one built from the current source).
fn ops_rlib(deps: &Path) -> PathBuf {
    std::fs::read_dir(deps)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libops-") && n.ends_with(".rlib"))
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .expect("no libops-*.rlib beside the test binary")
}

/// The `rustc` of the toolchain whose cargo built this test.
fn rustc() -> PathBuf {
    let cargo = PathBuf::from(env!("CARGO"));
    let sibling = cargo.with_file_name(format!("rustc{}", std::env::consts::EXE_SUFFIX));
    if sibling.is_file() {
        sibling
    } else {
        PathBuf::from("rustc")
    }
}

/// Checks `body` as a crate using `ops`; `Ok(())` if it compiles, else the compiler's
/// messages.
fn check(body: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("case.rs");
    std::fs::write(
        &src,
        format!("#![allow(dead_code)]\nuse ops::prelude::*;\n{body}\n"),
    )
    .unwrap();
    let deps = deps_dir();
    let mut extern_arg = std::ffi::OsString::from("ops=");
    extern_arg.push(ops_rlib(&deps));
    let mut dependency = std::ffi::OsString::from("dependency=");
    dependency.push(&deps);
    let out = Command::new(rustc())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--emit=metadata",
        ])
        .arg("--crate-name")
        .arg("defer_case")
        .arg("-L")
        .arg(dependency)
        .arg("--extern")
        .arg(extern_arg)
        .arg("--out-dir")
        .arg(dir.path())
        .arg(&src)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn a_deferrable_event_compiles() {
    check("fn on_config(ev: &mut ConfigChanged) -> HandlerResult { ev.defer()?; Ok(()) }").unwrap();
    check("fn many(ev: &mut Event) -> HandlerResult { ev.defer()?; Ok(()) }").unwrap();
}

#[test]
fn deferring_an_action_says_why_and_what_to_do() {
    let err = check("fn on_backup(ev: &mut ActionEvent) -> HandlerResult { ev.defer()?; Ok(()) }")
        .unwrap_err();
    assert!(err.contains("error[E0277]"), "{err}");
    // The type is named in full or not, as the compiler chooses: `ops::event::ActionEvent`.
    assert!(err.contains("ActionEvent` cannot be deferred"), "{err}");
    assert!(
        err.contains(
            "actions cannot be deferred: answer the caller now (set results), or fail the action"
        ),
        "{err}"
    );
    assert!(!err.contains("no method named `defer`"), "{err}");
}

#[test]
fn every_kind_that_cannot_be_deferred_is_explained() {
    for (ty, reason) in [
        (
            "SecretExpired",
            "come again until the secret has a new revision",
        ),
        (
            "SecretRotate",
            "come again until the secret has a new revision",
        ),
        ("Stop", "have no later event to re-run them"),
        ("Remove", "have no later event to re-run them"),
        ("CollectStatus", "are part of this dispatch"),
        ("PreCommit", "are part of this dispatch"),
        ("Commit", "are part of this dispatch"),
    ] {
        let err = check(&format!(
            "fn handler(ev: &mut {ty}) -> HandlerResult {{ ev.defer()?; Ok(()) }}"
        ))
        .unwrap_err();
        assert!(
            err.contains(&format!("{ty}` cannot be deferred")),
            "{ty}: {err}"
        );
        assert!(err.contains(reason), "{ty}: {err}");
    }
}
