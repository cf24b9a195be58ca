//! Tests of the secret tools: argument forms, revision tracking, ownership rules.

use super::super::super::{JujuState, SecretOwnership, SecretState};
use super::super::test_support::{err, ok};

fn leader() -> JujuState {
    JujuState::new("web/0").leader(true)
}

#[test]
fn add_and_get() {
    let mut s = leader();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    std::fs::write(&path, "from-file").unwrap();
    let id = ok(
        &mut s,
        &format!(
            "secret-add --label db --description pw --rotate daily --expire 2030-01-01T00:00:00Z user=admin pass#file={} tok#base64=czNjcmV0",
            path.display()
        ),
    );
    let id = id.trim().to_owned();
    assert!(id.starts_with("secret:") && id.len() == 27, "{id}");
    let sec = &s.secrets[0];
    assert_eq!(sec.owner, SecretOwnership::Application);
    assert_eq!(sec.content_keys(), ["pass", "tok", "user"]);
    assert_eq!(
        ok(&mut s, &format!("secret-get {id} --format=json")),
        "{\"pass\":\"from-file\",\"tok\":\"s3cret\",\"user\":\"admin\"}\n"
    );
    assert_eq!(
        ok(&mut s, &format!("secret-get --label db {id} user")),
        "admin\n"
    );
    assert_eq!(
        err(&mut s, "secret-get --label db user", 2),
        "ERROR secret URI \"user\" not valid\n"
    );
    assert_eq!(
        ok(&mut s, &format!("secret-get {id} tok#base64")),
        "czNjcmV0\n"
    );
    // Bare ids, as Juju prints them; one per line by default ("smart"), which charms that
    // run `secret-ids` without `--format` read line by line.
    let xid = id.strip_prefix("secret:").unwrap_or(&id).to_owned();
    assert_eq!(
        ok(&mut s, "secret-ids --format=json"),
        format!("[\"{xid}\"]\n")
    );
    assert_eq!(ok(&mut s, "secret-ids"), format!("{xid}\n"));
    // The record never holds the content.
    let line = s.calls[0].line();
    assert!(
        line.contains("user=<redacted>") && !line.contains("admin"),
        "{line}"
    );
}

#[test]
fn add_errors() {
    let mut s = leader();
    assert_eq!(
        err(&mut s, "secret-add", 2),
        "ERROR missing secret value or filename\n"
    );
    assert_eq!(
        err(&mut s, "secret-add Bad=1", 2),
        "ERROR key \"Bad\" not valid\n"
    );
    assert_eq!(
        err(&mut s, "secret-add novalue", 2),
        "ERROR key value \"novalue\" not valid\n"
    );
    assert_eq!(
        err(&mut s, "secret-add --rotate often abc=1", 2),
        "ERROR rotate policy \"often\" not valid\n"
    );
    assert_eq!(
        err(&mut s, "secret-add --owner me abc=1", 2),
        "ERROR secret owner \"me\" not valid\n"
    );
    assert!(err(&mut s, "secret-add --expire soon abc=1", 2).contains("expire time or duration"));
    ok(&mut s, "secret-add --label x abc=1");
    assert!(err(&mut s, "secret-add --label x abc=1", 1).contains("already exists"));
    let mut s = JujuState::new("web/1");
    assert_eq!(
        err(&mut s, "secret-add abc=1", 1),
        "ERROR this unit is not the leader\n"
    );
    ok(&mut s, "secret-add --owner unit abc=1");
    assert_eq!(s.secrets[0].owner, SecretOwnership::Unit);
}

#[test]
fn tracked_revision_semantics() {
    let mut s = JujuState::new("web/0").secret(
        SecretState::new(
            "secret:aaaaaaaaaaaaaaaaaaaa",
            SecretOwnership::Consumer,
            [("v", "r1")],
        )
        .label("remote"),
    );
    assert_eq!(
        ok(&mut s, "secret-get secret:aaaaaaaaaaaaaaaaaaaa v"),
        "r1\n"
    );
    assert_eq!(s.secrets[0].tracked, Some(1));
    s.secrets[0].push_revision([("v", "r2")].into_iter().collect());
    assert_eq!(
        ok(&mut s, "secret-get --label remote --format=json"),
        "{\"v\":\"r1\"}\n"
    );
    assert_eq!(
        ok(&mut s, "secret-get --label remote --format=json --peek"),
        "{\"v\":\"r2\"}\n"
    );
    assert_eq!(s.secrets[0].tracked, Some(1));
    assert_eq!(
        ok(&mut s, "secret-get --label remote --format=json --refresh"),
        "{\"v\":\"r2\"}\n"
    );
    assert_eq!(s.secrets[0].tracked, Some(2));
    assert_eq!(ok(&mut s, "secret-get aaaaaaaaaaaaaaaaaaaa v"), "r2\n");
    assert_eq!(
        ok(
            &mut s,
            "secret-get secret://some-model/aaaaaaaaaaaaaaaaaaaa v"
        ),
        "r2\n"
    );
    assert_eq!(
        err(&mut s, "secret-get --label remote --peek --refresh", 2),
        "ERROR specify one of --peek or --refresh but not both\n"
    );
    assert_eq!(
        err(&mut s, "secret-get", 2),
        "ERROR require either a secret URI or label\n"
    );
    assert_eq!(
        err(&mut s, "secret-get secret:bbbbbbbbbbbbbbbbbbbb", 1),
        "ERROR secret \"bbbbbbbbbbbbbbbbbbbb\" not found\n"
    );
    assert!(err(&mut s, "secret-get --label nope", 1).contains("not found"));
    // Setting a label by id.
    ok(
        &mut s,
        "secret-get secret:aaaaaaaaaaaaaaaaaaaa --label renamed",
    );
    assert_eq!(s.secrets[0].label.as_deref(), Some("renamed"));
    // A consumer cannot manage or inspect.
    assert!(err(&mut s, "secret-info-get secret:aaaaaaaaaaaaaaaaaaaa", 1).contains("not found"));
    assert!(err(&mut s, "secret-set secret:aaaaaaaaaaaaaaaaaaaa val=3", 1).contains("not found"));
}

#[test]
fn set_info_remove() {
    let mut s = leader();
    let id = ok(&mut s, "secret-add --label l abc=one").trim().to_owned();
    assert_eq!(ok(&mut s, &format!("secret-get {id} abc")), "one\n");
    s.begin_hook(Default::default());
    ok(
        &mut s,
        &format!("secret-set {id} abc=2 --description d --rotate weekly"),
    );
    assert_eq!(s.secrets[0].revisions.len(), 2);
    // The owner reads the latest revision (Juju's secrets facade, and its hook context's
    // pending update within the hook).
    assert_eq!(ok(&mut s, &format!("secret-get {id} abc")), "'2'\n");
    let info = ok(&mut s, "secret-info-get --label l --format=json");
    let v: serde_json::Value = serde_json::from_str(&info).unwrap();
    let xid = id.trim_start_matches("secret:");
    assert_eq!(v[xid]["revision"], 2);
    assert_eq!(v[xid]["owner"], "application");
    assert_eq!(v[xid]["description"], "d");
    assert_eq!(v[xid]["rotation"], "weekly");
    assert_eq!(v[xid]["label"], "l");
    assert!(err(&mut s, &format!("secret-set {id}"), 2).contains("at least one attribute"));
    assert_eq!(
        err(&mut s, &format!("secret-remove {id} --revision 9"), 1),
        "ERROR secret revision 9 not found\n"
    );
    ok(&mut s, &format!("secret-remove {id} --revision 1"));
    assert_eq!(s.secrets[0].revisions.len(), 1);
    ok(&mut s, &format!("secret-remove {id}"));
    assert!(s.secrets.is_empty());
}

#[test]
fn non_leader_cannot_manage_app_secrets() {
    let mut s = JujuState::new("web/1")
        .secret(SecretState::new(
            "secret:cccccccccccccccccccc",
            SecretOwnership::Application,
            [("abc", "one")],
        ))
        .relation(
            super::super::super::RelationState::new(2, "db", "pg")
                .remote_unit("pg/0", [("a", "b")]),
        );
    assert_eq!(
        ok(&mut s, "secret-get secret:cccccccccccccccccccc abc"),
        "one\n"
    );
    for line in [
        "secret-set secret:cccccccccccccccccccc abc=2",
        "secret-info-get secret:cccccccccccccccccccc",
        "secret-remove secret:cccccccccccccccccccc",
        "secret-grant secret:cccccccccccccccccccc --relation 2",
    ] {
        assert_eq!(err(&mut s, line, 1), "ERROR permission denied\n", "{line}");
    }
}

#[test]
fn grant_and_revoke() {
    let mut s = leader().relation(
        super::super::super::RelationState::new(2, "db", "pg")
            .remote_unit("pg/0", [("k", "v")])
            .remote_unit("pg/1", [("k", "v")]),
    );
    let id = ok(&mut s, "secret-add abc=1").trim().to_owned();
    ok(&mut s, &format!("secret-grant {id} --relation 2"));
    ok(&mut s, &format!("secret-grant {id} -r db:2 --unit pg/1"));
    assert_eq!(s.secrets[0].grants.len(), 2);
    assert!(
        err(&mut s, &format!("secret-grant {id} -r 2 --unit pg/9"), 1).contains("not a member")
    );
    assert!(err(&mut s, &format!("secret-grant {id} -r 7"), 2).contains("relation not found"));
    assert_eq!(
        err(&mut s, &format!("secret-grant {id}"), 2),
        "ERROR missing relation\n"
    );
    ok(
        &mut s,
        &format!("secret-revoke {id} --relation 2 --unit pg/1"),
    );
    assert_eq!(s.secrets[0].grants.len(), 1);
    ok(&mut s, &format!("secret-revoke {id} --relation 2"));
    assert!(s.secrets[0].grants.is_empty());
}

/// A secret owned by the unit, with metadata, as it is before the hook.
fn owned(version: &str) -> (JujuState, String) {
    let id = "secret:cr0ahn1dqe3k7mqmsc2g".to_owned();
    let mut sec = SecretState::new(&id, SecretOwnership::Unit, [("password", "old")])
        .label("db")
        .description("the db");
    sec.rotate = Some("daily".into());
    sec.expire = Some("2030-01-01T00:00:00Z".into());
    let s = JujuState::new("web/0")
        .juju_version(version.parse().unwrap())
        .secret(sec);
    (s, id)
}

/// Juju 3.6 merges the `secret-set` calls of a hook: content then description both land, in
/// one new revision; what a call leaves out is kept.
#[test]
fn secret_set_merges_from_36() {
    let (mut s, id) = owned("3.6.0");
    ok(&mut s, &format!("secret-set {id} password=new"));
    ok(&mut s, &format!("secret-set {id} password=newer"));
    ok(&mut s, &format!("secret-set {id} --description desc"));
    let sec = &s.secrets[0];
    assert_eq!(sec.revisions.len(), 2, "one new revision for the hook");
    assert_eq!(sec.latest().unwrap().content["password"], "newer");
    assert_eq!(sec.description.as_deref(), Some("desc"));
    assert_eq!(sec.label.as_deref(), Some("db"));
    assert_eq!(sec.rotate.as_deref(), Some("daily"));
    assert_eq!(sec.expire.as_deref(), Some("2030-01-01T00:00:00Z"));
    // Content equal to the latest revision before the hook adds none.
    let (mut s, id) = owned("3.6.0");
    ok(&mut s, &format!("secret-set {id} password=old"));
    assert_eq!(s.secrets[0].revisions.len(), 1);
}

/// Before 3.6 the last `secret-set` of a hook replaces the earlier ones: content set first
/// is lost when only the description follows (LP#2081034).
#[test]
fn secret_set_replaces_before_36() {
    let (mut s, id) = owned("3.5.5");
    ok(&mut s, &format!("secret-set {id} password=new"));
    ok(&mut s, &format!("secret-set {id} --description desc"));
    let sec = &s.secrets[0];
    assert_eq!(sec.revisions.len(), 1, "the content update was replaced");
    assert_eq!(sec.latest().unwrap().content["password"], "old");
    assert_eq!(sec.description.as_deref(), Some("desc"));
    // 3.5.5 keeps what a call leaves out.
    assert_eq!(sec.label.as_deref(), Some("db"));
    assert_eq!(sec.rotate.as_deref(), Some("daily"));
    // Resending everything in the last call (what ops does) keeps it all; identical
    // content still makes a revision before 3.6.
    let (mut s, id) = owned("3.5.5");
    ok(&mut s, &format!("secret-set {id} password=new"));
    ok(
        &mut s,
        &format!("secret-set {id} --description desc password=new"),
    );
    assert_eq!(s.secrets[0].revisions.len(), 2);
    assert_eq!(s.secrets[0].latest().unwrap().content["password"], "new");
    let (mut s, id) = owned("3.5.5");
    ok(&mut s, &format!("secret-set {id} password=old"));
    assert_eq!(s.secrets[0].revisions.len(), 2);
}

/// Before 3.5.5 a `secret-set` resets the description, expiry and rotation it leaves out;
/// before 3.5 the label too.
#[test]
fn secret_set_resets_metadata_on_older_juju() {
    let (mut s, id) = owned("3.5.4");
    ok(&mut s, &format!("secret-set {id} password=new"));
    let sec = &s.secrets[0];
    assert_eq!(sec.label.as_deref(), Some("db"));
    assert_eq!(
        (&sec.description, &sec.rotate, &sec.expire),
        (&None, &None, &None)
    );
    let (mut s, id) = owned("3.4.6");
    ok(&mut s, &format!("secret-set {id} password=new"));
    let sec = &s.secrets[0];
    assert_eq!(sec.label, None);
    assert_eq!(sec.description, None);
    assert!(err(&mut s, "secret-get --label db", 1).contains("not found"));
}

/// A `secret-set` of a secret created in the same hook is merged into its creation.
#[test]
fn secret_set_of_a_new_secret_merges_into_its_creation() {
    for version in ["3.4.6", "3.6.4"] {
        let mut s = JujuState::new("web/0").juju_version(version.parse().unwrap());
        let id = ok(&mut s, "secret-add --owner unit --label l password=a");
        let id = id.trim();
        ok(&mut s, &format!("secret-set {id} password=b"));
        ok(&mut s, &format!("secret-set {id} --description d"));
        let sec = &s.secrets[0];
        assert_eq!(sec.revisions.len(), 1, "{version}");
        assert_eq!(sec.latest().unwrap().content["password"], "b");
        assert_eq!(sec.label.as_deref(), Some("l"));
        assert_eq!(sec.description.as_deref(), Some("d"));
    }
}

/// What a hook remembers is forgotten at the next hook.
#[test]
fn the_next_hook_starts_afresh() {
    let (mut s, id) = owned("3.5.5");
    ok(&mut s, &format!("secret-set {id} password=new"));
    s.begin_hook(Default::default());
    ok(&mut s, &format!("secret-set {id} --description desc"));
    let sec = &s.secrets[0];
    assert_eq!(sec.revisions.len(), 2);
    assert_eq!(sec.latest().unwrap().content["password"], "new");
    assert_eq!(sec.description.as_deref(), Some("desc"));
}

#[test]
fn a_secret_without_access_is_permission_denied_not_not_found() {
    let id = "secret:cr0ahn1dqe3k7mqmsc2g";
    let mut s = JujuState::new("reader/0")
        .secret(SecretState::new(id, SecretOwnership::Consumer, [("token", "t")]).label("tok"));
    s.secrets[0].denied = true;
    for cmd in [
        format!("secret-get {id}"),
        format!("secret-get {id} --label other"),
        "secret-get --label tok".to_owned(),
        format!("secret-get {id} --refresh"),
    ] {
        assert_eq!(err(&mut s, &cmd, 1), "ERROR permission denied\n", "{cmd}");
    }
    // The label was not recorded, as Juju checks access first.
    assert_eq!(s.secrets[0].label.as_deref(), Some("tok"));
    // A secret that does not exist is not found.
    assert!(err(&mut s, "secret-get secret:cr0ahn1dqe3k7mqmsc2h", 1).contains("not found"));
    // Access again: readable.
    s.secrets[0].denied = false;
    assert_eq!(ok(&mut s, &format!("secret-get {id} token")), "t\n");
}

#[test]
fn an_owner_always_reads_the_latest_revision() {
    let id = "secret:cr0ahn1dqe3k7mqmsc2g";
    let mut s = leader()
        .secret(SecretState::new(id, SecretOwnership::Application, [("v", "r1")]).label("mine"));
    assert_eq!(
        ok(&mut s, "secret-get --label mine --format=json"),
        "{\"v\":\"r1\"}\n"
    );
    s.secrets[0].push_revision([("v", "r2")].into_iter().collect());
    // No --refresh needed, and the first revision may be gone.
    s.secrets[0].revisions.remove(0);
    assert_eq!(
        ok(&mut s, "secret-get --label mine --format=json"),
        "{\"v\":\"r2\"}\n"
    );
    assert_eq!(ok(&mut s, &format!("secret-get {id} v")), "r2\n");
    assert_eq!(s.secrets[0].tracked, Some(2));
}
