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
