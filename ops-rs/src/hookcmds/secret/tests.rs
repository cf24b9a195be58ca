use super::*;
use crate::hookcmds::RecordingRunner;
use crate::test_support::runners::{answering, failing};
use std::sync::{Arc, Mutex};

fn content() -> SecretContent {
    SecretContent::from_pairs([("password", "hunter2"), ("api-key", "k3y")])
}

/// A runner that, while each tool runs, reads the `#file=` files it was given.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

fn reading_files() -> (RecordingRunner, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let r = RecordingRunner::new(move |c| {
        for a in &c.args {
            if let Some((k, path)) = a.split_once("#file=") {
                let v = std::fs::read_to_string(path).unwrap_or_default();
                s.lock().unwrap().push((k.to_string(), v));
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path).unwrap().permissions().mode();
                    assert_eq!(mode & 0o077, 0, "secret file readable by others");
                    let dir = std::path::Path::new(path).parent().unwrap();
                    let mode = std::fs::metadata(dir).unwrap().permissions().mode();
                    assert_eq!(mode & 0o077, 0, "secret dir open to others");
                }
            }
        }
        Ok(match c.tool.as_str() {
            "secret-add" => b"secret:abc\n".to_vec(),
            _ => Vec::new(),
        })
    });
    (r, seen)
}

#[test]
fn add_passes_content_through_private_files_only() {
    let (r, seen) = reading_files();
    let at = time::macros::datetime!(2030-01-02 03:04:05 UTC);
    let meta = SecretMetadata::default()
        .label("db-pass")
        .description("the db password")
        .expire(at)
        .rotate(SecretRotate::Monthly);
    let id = secret_add(&r, &content(), &meta, SecretOwner::Unit).unwrap();
    assert_eq!(id, "secret:abc");
    let call = &r.calls()[0];
    let line = call.line();
    assert!(
        line.starts_with(
            "secret-add --label db-pass --description the db password --expire 2030-01-02T03:04:05Z --rotate monthly --owner unit api-key#file="
        ),
        "{line}"
    );
    assert!(!line.contains("hunter2") && !line.contains("k3y"), "{line}");
    let mut got = seen.lock().unwrap().clone();
    got.sort();
    assert_eq!(
        got,
        [
            ("api-key".to_string(), "k3y".to_string()),
            ("password".to_string(), "hunter2".to_string())
        ]
    );
    // the files and their directory are gone afterwards
    for a in &call.args {
        if let Some((_, path)) = a.split_once("#file=") {
            let p = std::path::Path::new(path);
            assert!(!p.exists() && !p.parent().unwrap().exists());
        }
    }
}

#[test]
fn set_argv() {
    let (r, seen) = reading_files();
    secret_set(
        &r,
        "secret:abc",
        Some(&content()),
        &SecretMetadata::default(),
    )
    .unwrap();
    secret_set(
        &r,
        "secret:abc",
        None,
        &SecretMetadata::default().label("l"),
    )
    .unwrap();
    let lines = r.lines();
    assert!(
        lines[0].starts_with("secret-set --owner application secret:abc api-key#file="),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "secret-set --label l --owner application secret:abc"
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert!(!lines.concat().contains("hunter2"));
}

#[test]
fn argv_table() {
    let r = RecordingRunner::new(|c| {
        Ok(match c.tool.as_str() {
            "secret-get" => br#"{"password":"hunter2"}"#.to_vec(),
            "secret-info-get" => br#"{"secret:abc":{"revision":3,"label":"l","owner":"application","rotation":"daily","description":""}}"#.to_vec(),
            "secret-ids" => br#"["secret:abc"]"#.to_vec(),
            _ => Vec::new(),
        })
    });
    let c = secret_get(&r, Some("secret:abc"), None, SecretRevision::Tracked).unwrap();
    assert_eq!(c.get("password"), Some("hunter2"));
    secret_get(&r, None, Some("l"), SecretRevision::Peek).unwrap();
    secret_get(&r, Some("secret:abc"), Some("l"), SecretRevision::Refresh).unwrap();
    let info = secret_info_get(&r, Some("secret:abc"), None).unwrap();
    assert_eq!(
        (
            info.id.as_str(),
            info.revision,
            info.label.as_deref(),
            info.rotation,
            info.description
        ),
        ("secret:abc", 3, Some("l"), Some(SecretRotate::Daily), None)
    );
    secret_info_get(&r, None, Some("l")).unwrap();
    secret_grant(&r, "secret:abc", 4, None).unwrap();
    secret_grant(&r, "secret:abc", 4, Some("pg/0")).unwrap();
    secret_revoke(&r, "secret:abc", 4, Some("pg/0")).unwrap();
    secret_remove(&r, "secret:abc", Some(2)).unwrap();
    secret_remove(&r, "secret:abc", None).unwrap();
    assert_eq!(secret_ids(&r).unwrap(), ["secret:abc"]);
    assert_eq!(
        r.lines(),
        [
            "secret-get --format=json secret:abc",
            "secret-get --format=json --label l --peek",
            "secret-get --format=json secret:abc --label l --refresh",
            "secret-info-get --format=json secret:abc",
            "secret-info-get --format=json --label l",
            "secret-grant --relation 4 secret:abc",
            "secret-grant --relation 4 --unit pg/0 secret:abc",
            "secret-revoke --relation 4 --unit pg/0 secret:abc",
            "secret-remove secret:abc --revision 2",
            "secret-remove secret:abc",
            "secret-ids --format=json",
        ]
    );
    assert!(secret_get(&r, None, None, SecretRevision::Tracked).is_err());
}

#[test]
fn content_validation_before_any_tool() {
    let r = answering("secret:x");
    for bad in [
        SecretContent::default(),
        SecretContent::from_pairs([("ab", "v")]),
        SecretContent::from_pairs([("Password", "v")]),
        SecretContent::from_pairs([("pass_word", "v")]),
        SecretContent::from_pairs([("1abc", "v")]),
        SecretContent::from_pairs([("abc-", "v")]),
        // Juju wants two letters or digits after the first letter, hyphens not counting.
        SecretContent::from_pairs([("a-b", "v")]),
        SecretContent::from_pairs([("a--bc", "v")]),
        SecretContent::from_pairs([("-abc", "v")]),
        // 750,001 bytes are 1,000,004 as base64.
        SecretContent::from_pairs([("blob", "x".repeat(750_001))]),
        SecretContent::from_pairs([("one", "x".repeat(400_000)), ("two", "x".repeat(400_000))]),
    ] {
        assert!(
            secret_add(
                &r,
                &bad,
                &SecretMetadata::default(),
                SecretOwner::Application
            )
            .is_err()
        );
    }
    assert!(r.calls().is_empty());
    for good in [
        SecretContent::from_pairs([("abc", "v"), ("a-bc", "v"), ("ab-c", "v"), ("a1-2", "v")]),
        SecretContent::from_pairs([("blob", "x".repeat(750_000))]),
        SecretContent::from_pairs([("one", "x".repeat(375_000)), ("two", "x".repeat(375_000))]),
    ] {
        good.validate().unwrap();
    }
    let long_label = SecretMetadata::default().label("l".repeat(200_000));
    let e = secret_add(&r, &content(), &long_label, SecretOwner::Unit).unwrap_err();
    assert!(e.to_string().contains("label is 200000 bytes"), "{e}");
    assert!(r.calls().is_empty());
}

#[test]
fn errors_and_debug_never_show_content() {
    let c = content();
    let dbg = format!("{c:?}");
    assert!(
        !dbg.contains("hunter2") && dbg.contains("password"),
        "{dbg}"
    );

    let e = secret_add(
        &failing("ERROR boom"),
        &c,
        &SecretMetadata::default(),
        SecretOwner::Application,
    )
    .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("hunter2") && !text.contains("k3y"), "{text}");

    // a malformed answer holding content is not quoted
    let e = secret_get(
        &answering(r#"{"password": ["hunter2"]}"#),
        Some("s"),
        None,
        SecretRevision::Tracked,
    )
    .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("`secret-get`"), "{text}");
}

/// The model maps the tools' failures (the classification itself is tested in `model::error`).
#[test]
fn not_found_mapping() {
    use crate::model::ModelError;
    let e: ModelError = secret_get(
        &failing("ERROR secret \"x\" not found"),
        Some("x"),
        None,
        SecretRevision::Tracked,
    )
    .unwrap_err()
    .into();
    assert!(e.is_secret_not_found(), "{e}");
    let e: ModelError = secret_remove(&failing("ERROR permission denied"), "x", None)
        .unwrap_err()
        .into();
    assert!(matches!(e, ModelError::PermissionDenied { .. }), "{e}");
}
