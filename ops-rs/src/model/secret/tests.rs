use crate::model::{ModelError, SecretContent, SecretMetadata, SecretOwner};
use crate::test_support::runners::{juju, model};

fn fake() -> crate::hookcmds::RecordingRunner {
    juju(&[
        ("is-leader --format=json", "false"),
        (
            "secret-add --label api --owner unit api-key#file=",
            "secret:new\n",
        ),
        (
            "secret-get --format=json secret:a",
            r#"{"password":"hunter2"}"#,
        ),
        (
            "secret-get --format=json secret:a --peek",
            r#"{"password":"new"}"#,
        ),
        (
            "secret-get --format=json secret:a --refresh",
            r#"{"password":"new"}"#,
        ),
        (
            "secret-get --format=json --label db",
            r#"{"password":"hunter2"}"#,
        ),
        (
            "secret-get --format=json secret:gone",
            "!ERROR secret \"gone\" not found",
        ),
        (
            "secret-info-get --format=json --label db",
            r#"{"secret:a":{"revision":2,"label":"db","owner":"unit"}}"#,
        ),
        (
            "secret-info-get --format=json secret:a",
            r#"{"secret:a":{"revision":2,"label":"db","owner":"unit"}}"#,
        ),
    ])
}

#[test]
fn get_content_peek_refresh() {
    let r = fake();
    let m = model(&r);
    let mut s = m.get_secret_by_id("secret:a").unwrap();
    assert_eq!(s.content().unwrap().get("password"), Some("hunter2"));
    assert_eq!(s.content().unwrap().get("password"), Some("hunter2"));
    assert_eq!(s.peek_content().unwrap().get("password"), Some("new"));
    assert_eq!(s.content().unwrap().get("password"), Some("hunter2"));
    s.refresh_content().unwrap();
    assert_eq!(s.content().unwrap().get("password"), Some("new"));
    assert_eq!(r.calls_to("secret-get").len(), 3);
    let e = m.get_secret_by_id("secret:gone").unwrap_err();
    assert!(e.is_secret_not_found(), "{e}");
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn by_label_info_cache_and_invalidation() {
    let r = fake();
    let m = model(&r);
    let mut s = m.get_secret_by_label("db").unwrap();
    assert_eq!(s.info().unwrap().revision, 2);
    assert_eq!(s.info().unwrap().id, "secret:a");
    // set_content learns the id from the (cached) info, then invalidates it
    s.set_content(&SecretContent::from_pairs([("password", "s3cret")]))
        .unwrap();
    s.info().unwrap();
    let lines = r.lines();
    assert_eq!(lines[0], "secret-get --format=json --label db");
    assert_eq!(lines[1], "secret-info-get --format=json --label db");
    assert!(
        lines[2].starts_with("secret-set --owner application secret:a password#file="),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3], "secret-info-get --format=json secret:a");
    assert_eq!(lines.len(), 4);
    assert!(!lines.concat().contains("s3cret"));
}

#[test]
fn add_grant_revoke_remove() {
    let r = fake();
    let m = model(&r);
    let content = SecretContent::from_pairs([("api-key", "k")]);
    // a follower cannot create an app secret
    let e = m
        .add_secret(
            &content,
            SecretOwner::Application,
            &SecretMetadata::default(),
        )
        .unwrap_err();
    assert!(matches!(e, ModelError::NotLeader { .. }), "{e}");
    assert!(r.calls_to("secret-add").is_empty());
    let mut s = m
        .add_secret(
            &content,
            SecretOwner::Unit,
            &SecretMetadata::default().label("api"),
        )
        .unwrap();
    assert_eq!(s.label(), Some("api"));
    let rel = m.relation("db", 4);
    s.grant(&rel, None).unwrap();
    s.revoke(&rel, Some("pg/0")).unwrap();
    s.remove_revision(1).unwrap();
    s.remove_all_revisions().unwrap();
    let lines: Vec<String> = r.lines().into_iter().skip(1).collect();
    assert!(
        lines[0].starts_with("secret-add --label api --owner unit api-key#file="),
        "{}",
        lines[0]
    );
    assert_eq!(s.id(), Some("secret:new"));
    assert_eq!(
        &lines[1..],
        [
            "secret-grant --relation 4 secret:new",
            "secret-revoke --relation 4 --unit pg/0 secret:new",
            "secret-remove secret:new --revision 1",
            "secret-remove secret:new",
        ]
    );
}

/// Before Juju 3.6 each `secret-set` of a hook replaces the earlier ones (and resets what it
/// leaves out): every call resends the content and the metadata, read first, as Python ops
/// does (its `test_set_content_then_info_pre36`).
#[test]
fn pre_36_every_secret_set_resends_everything() {
    let r = juju(&[
        (
            "secret-info-get --format=json secret:a",
            r#"{"secret:a":{"revision":1,"label":"db","description":"old","owner":"unit","rotation":"daily","expiry":"2030-01-02T03:04:05Z"}}"#,
        ),
        (
            "secret-get --format=json secret:a --peek",
            r#"{"password":"new"}"#,
        ),
        ("secret-get --format=json secret:a", r#"{"password":"old"}"#),
    ]);
    let m = model(&r).with_juju_version("3.5.4".parse().unwrap());
    let mut s = m.get_secret_by_id("secret:a").unwrap();
    s.set_content(&SecretContent::from_pairs([("password", "new")]))
        .unwrap();
    s.set_info(&SecretMetadata::default().description("desc"))
        .unwrap();
    let lines: Vec<String> = r.lines().into_iter().skip(1).collect();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert_eq!(lines[0], "secret-info-get --format=json secret:a");
    assert!(
        lines[1].starts_with(
            "secret-set --label db --description old --expire 2030-01-02T03:04:05Z \
             --rotate daily --owner application secret:a password#file="
        ),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "secret-get --format=json secret:a --peek");
    assert_eq!(lines[3], "secret-info-get --format=json secret:a");
    assert!(
        lines[4].starts_with(
            "secret-set --label db --description desc --expire 2030-01-02T03:04:05Z \
             --rotate daily --owner application secret:a password#file="
        ),
        "{}",
        lines[4]
    );
    assert!(!lines.concat().contains("new\""));
}

/// From Juju 3.6 one call each, with only what was given.
#[test]
fn from_36_secret_set_sends_what_was_given() {
    let r = juju(&[("secret-get --format=json secret:a", r#"{"password":"old"}"#)]);
    let m = model(&r).with_juju_version("3.6.0".parse().unwrap());
    let mut s = m.get_secret_by_id("secret:a").unwrap();
    s.set_content(&SecretContent::from_pairs([("password", "new")]))
        .unwrap();
    s.set_info(&SecretMetadata::default().description("desc"))
        .unwrap();
    let lines: Vec<String> = r.lines().into_iter().skip(1).collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].starts_with("secret-set --owner application secret:a password#file="));
    assert_eq!(
        lines[1],
        "secret-set --description desc --owner application secret:a"
    );
}

/// A metadata read that cannot be resent is an error that says so, not a silent reset.
#[test]
fn pre_36_bad_expiry_is_a_bad_answer() {
    let r = juju(&[
        (
            "secret-info-get --format=json secret:a",
            r#"{"secret:a":{"revision":1,"expiry":"next tuesday"}}"#,
        ),
        ("secret-get --format=json secret:a", r#"{"password":"old"}"#),
    ]);
    let m = model(&r).with_juju_version("3.4.2".parse().unwrap());
    let mut s = m.get_secret_by_id("secret:a").unwrap();
    let e = s
        .set_content(&SecretContent::from_pairs([("password", "x")]))
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ModelError::BadAnswer { .. }), "{e}");
    assert!(
        text.contains("next tuesday") && text.contains("3.4.2"),
        "{text}"
    );
    assert!(r.calls_to("secret-set").is_empty());
}

/// An owner reads the latest revision of its own secret by label in one call.
#[test]
fn get_secret_with_reads_the_revision_asked_for_in_one_call() {
    use crate::model::SecretRevision;
    let r = juju(&[
        (
            "secret-get --format=json --label key --refresh",
            r#"{"private-key":"v2"}"#,
        ),
        (
            "secret-get --format=json --label key --peek",
            r#"{"private-key":"v3"}"#,
        ),
        (
            "secret-get --format=json --label key",
            r#"{"private-key":"v1"}"#,
        ),
    ]);
    let m = model(&r);
    let mut s = m
        .get_secret_with(None, Some("key"), SecretRevision::Refresh)
        .unwrap();
    assert_eq!(s.content().unwrap().get("private-key"), Some("v2"));
    let mut p = m
        .get_secret_with(None, Some("key"), SecretRevision::Peek)
        .unwrap();
    assert_eq!(p.content().unwrap().get("private-key"), Some("v3"));
    let mut t = m
        .get_secret_with(None, Some("key"), SecretRevision::Tracked)
        .unwrap();
    assert_eq!(t.content().unwrap().get("private-key"), Some("v1"));
    assert_eq!(
        r.lines(),
        [
            "secret-get --format=json --label key --refresh",
            "secret-get --format=json --label key --peek",
            "secret-get --format=json --label key",
        ]
    );
}

/// A secret named without reading it: no tool until a call needs one, and the calls that
/// need only the id learn it from `secret-info-get`.
#[test]
fn a_secret_named_without_reading_it_runs_no_tool_until_asked() {
    let r = juju(&[
        (
            "secret-info-get --format=json --label cert",
            r#"{"secret:c":{"revision":3,"label":"cert","owner":"unit"}}"#,
        ),
        ("secret-remove secret:c", ""),
        ("secret-remove secret:d --revision 2", ""),
        (
            "secret-info-get --format=json --label gone",
            "!ERROR secret with label \"gone\" not found",
        ),
    ]);
    let m = model(&r);
    let mut by_label = m.secret(None, Some("cert"));
    let mut by_id = m.secret(Some("secret:d"), None);
    assert!(r.calls().is_empty());
    by_label.remove_all_revisions().unwrap();
    by_id.remove_revision(2).unwrap();
    assert_eq!(
        r.lines(),
        [
            "secret-info-get --format=json --label cert",
            "secret-remove secret:c",
            "secret-remove secret:d --revision 2",
        ]
    );
    let e = m
        .secret(None, Some("gone"))
        .remove_all_revisions()
        .unwrap_err();
    assert!(e.is_secret_not_found(), "{e}");
    let e = m.secret(None, None).info().unwrap_err();
    assert!(matches!(e, ModelError::Invalid(_)), "{e}");
}
