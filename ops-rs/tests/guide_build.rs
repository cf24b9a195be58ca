//! The testing guide's lines for a charm's own `.cargo/config.toml` are the workspace's
//! (issue 19, item 20): a charm outside the workspace copies them, so they must not drift.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// The `LIBSQLITE3_FLAGS = "..."` and `AWS_LC_SYS_NO_JITTER_ENTROPY = "..."` lines of `text`.
fn flag_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("LIBSQLITE3_FLAGS = ") || l.starts_with("AWS_LC_SYS_NO_JITTER_ENTROPY = ")
        })
        .collect()
}

#[test]
fn the_guide_gives_the_workspaces_build_flags() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read_to_string(root.join("../.cargo/config.toml")).unwrap();
    let guide = std::fs::read_to_string(root.join("src/docs/testing.md")).unwrap();
    let (workspace, copied) = (flag_lines(&config), flag_lines(&guide));
    assert_eq!(workspace.len(), 2, "{config}");
    assert_eq!(
        copied, workspace,
        "the guide's copy differs from .cargo/config.toml"
    );
}
