//! A parsed copy of the charm's metadata, kept in the charm directory between dispatches.
//!
//! Every dispatch is a new process that needs the metadata, and parsing the three YAML files
//! was the largest part of a dispatch's own work (measured: BENCHMARKS.md, "The metadata
//! cache"). [`crate::main`] therefore keeps
//! [`CACHE_FILE`] beside them: JSON holding the exact text of the files it was made from, the
//! framework version that made it, and the parsed result.
//!
//! A copy is used only when all three match (same files, byte for byte, and the same ops-rs),
//! so a charm upgrade, an edited file or a new framework release parses again and replaces
//! it. A copy that is missing, unreadable, malformed or of another shape is parsed around,
//! never an error: the YAML files are the truth. Writing is best effort (a read-only charm
//! directory just parses every time) and atomic (a temporary file renamed into place).

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{RawMeta, Sources};

/// The file, in the charm directory.
pub const CACHE_FILE: &str = ".ops-rs-metadata.json";

/// The layout of [`CACHE_FILE`]; a file of another layout is ignored and replaced.
const FORMAT: u32 = 1;

/// Which build of the framework made a copy (its parsing rules may differ from another's).
const FRAMEWORK: &str = concat!("ops-rs ", env!("CARGO_PKG_VERSION"));

/// The file's content; `M` is the parsed metadata (borrowed when writing).
#[derive(Serialize, Deserialize)]
struct Cached<'a, M> {
    format: u32,
    #[serde(borrow)]
    framework: Cow<'a, str>,
    /// Each source file by name with its text (`None`: the file was not there).
    #[serde(borrow)]
    files: Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>,
    meta: M,
}

/// The parsed metadata from `dir`'s copy, if there is one made from exactly `sources`.
pub(super) fn load(dir: &Path, sources: &Sources) -> Option<RawMeta> {
    let bytes = std::fs::read(dir.join(CACHE_FILE)).ok()?;
    let cached: Cached<'_, RawMeta> = serde_json::from_slice(&bytes).ok()?;
    let want = sources.files();
    let same_files = cached.files.len() == want.len()
        && cached
            .files
            .iter()
            .zip(want)
            .all(|((name, text), (want_name, want_text))| {
                name == want_name && text.as_deref() == want_text
            });
    (cached.format == FORMAT && cached.framework == FRAMEWORK && same_files).then_some(cached.meta)
}

/// Leaves a copy of `meta`, parsed from `sources`, in `dir` (best effort: see the module).
pub(super) fn store(dir: &Path, sources: &Sources, meta: &RawMeta) {
    let cached = Cached {
        format: FORMAT,
        framework: Cow::Borrowed(FRAMEWORK),
        files: sources
            .files()
            .into_iter()
            .map(|(name, text)| (Cow::Borrowed(name), text.map(Cow::Borrowed)))
            .collect(),
        meta,
    };
    // A value JSON cannot hold (a mapping with non-string keys in `extra-bindings`, say)
    // leaves no copy; so does any I/O error.
    let Ok(json) = serde_json::to_vec(&cached) else {
        return;
    };
    let Ok(mut file) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    if file.write_all(&json).is_ok() {
        let _ = file.persist(dir.join(CACHE_FILE));
    }
}

#[cfg(test)]
mod tests {
    use super::super::CharmMeta;
    use super::*;

    /// Every kind of declaration, in the packed form.
    const METADATA: &str = r#"
name: web
summary: A web server.
assumes: [k8s-api, {any-of: [juju >= 3.4, {all-of: [juju >= 4.0, k8s-api]}]}]
containers:
  nginx: {resource: nginx-image, mounts: [{storage: data, location: /srv}]}
resources:
  nginx-image: {type: oci-image, description: the image}
  blob: {type: file, filename: blob.tgz}
requires:
  db: {interface: postgresql_client, limit: 1, optional: true}
  logging: {interface: loki_push_api, scope: container}
provides:
  website: {interface: http}
peers:
  cluster: {interface: web_peers}
storage:
  data: {type: filesystem, location: /srv, multiple: {range: 1-3}}
  logs: {type: filesystem, shared: true, read-only: true, minimum-size: 1G, multiple: {range: 2+}}
  one: {type: block, multiple: {range: 1}}
  raw: {type: block}
extra-bindings:
  metrics:
"#;
    const CONFIG: &str = r#"
options:
  port: {type: int, default: 8080, description: Port.}
  name: {type: string}
  ratio: {type: float, default: 0.5}
  debug: {type: boolean, default: false}
  creds: {type: secret}
  nothing: {type: string, default: null}
"#;
    const ACTIONS: &str = r#"
backup:
  description: Back up.
  params:
    target: {type: string, enum: [s3, local]}
    level: {type: integer, default: 1}
  required: [target]
  additionalProperties: false
noop:
"#;

    fn packed_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("metadata.yaml", METADATA),
            ("config.yaml", CONFIG),
            ("actions.yaml", ACTIONS),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn rewrite_cache(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let path = dir.join(CACHE_FILE);
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edit(&mut json);
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    }

    #[test]
    fn the_copy_reads_back_as_what_the_files_say() {
        let dir = packed_dir();
        let parsed = CharmMeta::from_charm_dir(dir.path()).unwrap();
        assert!(
            !dir.path().join(CACHE_FILE).exists(),
            "a plain read writes nothing"
        );
        let first = CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        assert!(dir.path().join(CACHE_FILE).exists());
        let second = CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        assert_eq!(first, parsed);
        assert_eq!(second, parsed);
        assert_eq!(second.storage["logs"].multiple, Some((2, None)));
        assert_eq!(second.storage["one"].multiple, Some((1, Some(1))));
        assert_eq!(second.config.options["nothing"].default, None);
        assert_eq!(second.extra_bindings, ["metrics"]);

        // So does a unified charmcraft.yaml's.
        let dir = tempfile::tempdir().unwrap();
        let unified = format!(
            "{METADATA}config:\n{}actions:\n{}",
            indent(CONFIG),
            indent(ACTIONS)
        );
        std::fs::write(dir.path().join("charmcraft.yaml"), &unified).unwrap();
        let parsed = CharmMeta::from_charm_dir(dir.path()).unwrap();
        assert_eq!(parsed.actions["backup"].required, ["target"]);
        CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        assert_eq!(
            CharmMeta::from_charm_dir_cached(dir.path()).unwrap(),
            parsed
        );
    }

    fn indent(text: &str) -> String {
        text.lines().map(|l| format!("  {l}\n")).collect()
    }

    #[test]
    fn the_copy_is_used_only_for_the_files_it_was_made_from() {
        let dir = packed_dir();
        CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        // Proof that the copy is what is read: an edit to it shows.
        rewrite_cache(dir.path(), |j| j["meta"]["name"] = "from-the-copy".into());
        let meta = CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        assert_eq!(meta.name, "from-the-copy");

        // Any change to a file (here one byte of actions.yaml) parses again and replaces it.
        std::fs::write(
            dir.path().join("actions.yaml"),
            ACTIONS.replace("Back up", "Back"),
        )
        .unwrap();
        let meta = CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        assert_eq!(
            (
                meta.name.as_str(),
                meta.actions["backup"].description.as_str()
            ),
            ("web", "Back.")
        );
        rewrite_cache(dir.path(), |j| j["meta"]["name"] = "from-the-copy".into());
        assert_eq!(
            CharmMeta::from_charm_dir_cached(dir.path()).unwrap().name,
            "from-the-copy"
        );

        // A file appearing or going away is a change too.
        std::fs::remove_file(dir.path().join("config.yaml")).unwrap();
        let meta = CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        assert_eq!(meta.name, "web");
        assert!(meta.config.options.is_empty());
    }

    #[test]
    fn another_framework_or_layout_or_garbage_is_parsed_around() {
        let dir = packed_dir();
        let want = CharmMeta::from_charm_dir(dir.path()).unwrap();
        CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        let edits: [fn(&mut serde_json::Value); 3] = [
            |j| j["framework"] = "ops-rs 0.0.0".into(),
            |j| j["format"] = 0.into(),
            |j| j["meta"] = serde_json::json!({"name": ["not", "a", "string"]}),
        ];
        for edit in edits {
            rewrite_cache(dir.path(), |j| {
                edit(j);
                j["meta"]["summary"] = "stale".into();
            });
            assert_eq!(CharmMeta::from_charm_dir_cached(dir.path()).unwrap(), want);
        }
        for garbage in [&b""[..], b"{", b"\xff\xfe", b"[]", b"null"] {
            std::fs::write(dir.path().join(CACHE_FILE), garbage).unwrap();
            assert_eq!(CharmMeta::from_charm_dir_cached(dir.path()).unwrap(), want);
            // ... and replaced by a good copy.
            assert!(load(dir.path(), &Sources::read(dir.path()).unwrap()).is_some());
        }
    }

    #[test]
    fn a_copy_that_cannot_be_written_is_no_error() {
        let dir = packed_dir();
        // A directory where the file would go: the rename fails.
        std::fs::create_dir(dir.path().join(CACHE_FILE)).unwrap();
        let want = CharmMeta::from_charm_dir(dir.path()).unwrap();
        assert_eq!(CharmMeta::from_charm_dir_cached(dir.path()).unwrap(), want);
        assert_eq!(CharmMeta::from_charm_dir_cached(dir.path()).unwrap(), want);
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 4, "{names:?}");
    }

    #[test]
    fn bad_files_are_still_errors() {
        let dir = packed_dir();
        CharmMeta::from_charm_dir_cached(dir.path()).unwrap();
        std::fs::write(
            dir.path().join("config.yaml"),
            "options:\n  port: {type: int, default: x}\n",
        )
        .unwrap();
        let e = CharmMeta::from_charm_dir_cached(dir.path()).unwrap_err();
        assert!(e.to_string().contains("config.yaml"), "{e}");
    }
}
