use crate::model::{BagOwner, CurrentHook, ModelError};
use crate::test_support::runners::{juju, model};

fn fake(leader: bool) -> crate::hookcmds::RecordingRunner {
    juju(&[
        (
            "is-leader --format=json",
            if leader { "true" } else { "false" },
        ),
        ("relation-ids db --format=json", r#"["db:1","db:2"]"#),
        ("relation-ids cluster --format=json", r#"["cluster:5"]"#),
        ("relation-list --format=json -r db:1", r#"["pg/0","pg/1"]"#),
        ("relation-list --format=json --app -r db:1", r#""pg""#),
        (
            "relation-list --format=json --app -r db:2",
            "!ERROR invalid value \"db:2\" for option -r: relation not found",
        ),
        (
            "relation-get --format=json -r db:1 - pg/0",
            r#"{"host":"h0"}"#,
        ),
        (
            "relation-get --format=json -r db:1 --app - pg",
            r#"{"ver":"\"14\"","port":"5432"}"#,
        ),
        (
            "relation-get --format=json -r db:1 - web/0",
            r#"{"mine":"1"}"#,
        ),
        ("relation-get --format=json -r db:1 --app - web", r#"{}"#),
        (
            "relation-get --format=json -r cluster:5 --app - web",
            r#"{"k":"v"}"#,
        ),
    ])
}

#[test]
fn relations_units_remote_app_and_broken_exclusion() {
    let r = fake(true);
    let m = model(&r);
    let ids: Vec<u32> = m.relations("db").unwrap().iter().map(|r| r.id()).collect();
    assert_eq!(ids, [1, 2]);
    let e = m.single_relation("db").unwrap_err();
    assert!(
        matches!(e, ModelError::TooManyRelations { count: 2, .. }),
        "{e}"
    );
    let rel = m.relation("db", 1);
    assert_eq!(rel.units().unwrap(), ["pg/0", "pg/1"]);
    assert_eq!(rel.remote_app().unwrap().as_deref(), Some("pg"));
    assert_eq!(m.relation("db", 2).remote_app().unwrap(), None);
    assert_eq!(
        m.relation("cluster", 5).remote_app().unwrap().as_deref(),
        Some("web")
    );

    // relation-broken of db:2: excluded from relations(), still reachable by id
    let broken = model(&r).with_current_hook(
        CurrentHook::default()
            .relation("db", 2)
            .remote_app("pg")
            .broken_relation(2),
    );
    let ids: Vec<u32> = broken
        .relations("db")
        .unwrap()
        .iter()
        .map(|r| r.id())
        .collect();
    assert_eq!(ids, [1]);
    assert_eq!(
        broken.single_relation("db").unwrap().map(|r| r.id()),
        Some(1)
    );
    let ev = broken.event_relation().unwrap();
    assert!(ev.is_broken());
    // JUJU_REMOTE_APP answers for the event's relation without a tool call
    let before = r.calls().len();
    assert_eq!(ev.remote_app().unwrap().as_deref(), Some("pg"));
    assert_eq!(r.calls().len(), before);
}

#[test]
fn reads_are_cached_and_writes_invalidate() {
    let r = fake(true);
    let m = model(&r);
    let rel = m.relation("db", 1);
    assert_eq!(
        rel.unit_data("pg/0").get("host").unwrap().as_deref(),
        Some("h0")
    );
    assert_eq!(rel.unit_data("pg/0").get_all().unwrap().len(), 1);
    let me = rel.local_unit_data();
    assert_eq!(me.get("mine").unwrap().as_deref(), Some("1"));
    assert_eq!(me.get("mine").unwrap().as_deref(), Some("1"));
    me.set("url", "http://x").unwrap();
    me.get("mine").unwrap();
    rel.local_app_data()
        .update([("a", Some("1".to_string())), ("b", None)])
        .unwrap();
    assert_eq!(
        r.lines(),
        [
            "relation-get --format=json -r db:1 - pg/0",
            "relation-get --format=json -r db:1 - web/0",
            "relation-set -r db:1 --file -",
            "relation-get --format=json -r db:1 - web/0",
            "is-leader --format=json",
            "relation-set -r db:1 --app --file -",
        ]
    );
    let calls = r.calls_to("relation-set");
    assert_eq!(
        calls[0].stdin.as_deref(),
        Some(&br#"{"url":"http://x"}"#[..])
    );
    assert_eq!(calls[1].stdin.as_deref(), Some(&br#"{"a":"1","b":""}"#[..]));
}

#[test]
fn access_rules_checked_before_any_tool() {
    let r = fake(false);
    let m = model(&r);
    let rel = m.relation("db", 1);
    let cases: Vec<(Result<(), ModelError>, &str)> = vec![
        (
            rel.unit_data("pg/0").set("k", "v"),
            "cannot write the unit 'pg/0' data bag of relation db:1",
        ),
        (
            rel.bag(BagOwner::RemoteApp("pg".into())).set("k", "v"),
            "cannot write the app 'pg' data bag",
        ),
        (
            rel.local_app_data().set("k", "v"),
            "only the leader can write",
        ),
        (
            rel.local_app_data().get_all().map(drop),
            "only the leader can read its own application's bag",
        ),
    ];
    for (res, want) in cases {
        let e = res.unwrap_err();
        assert!(matches!(e, ModelError::RelationDataAccess { .. }), "{e}");
        assert!(e.to_string().contains(want), "{e}");
    }
    assert!(r.calls_to("relation-set").is_empty());
    assert!(r.calls_to("relation-get").is_empty());
    // a follower may read its app bag on a peer relation, and the remote app bag
    assert_eq!(
        m.relation("cluster", 5)
            .local_app_data()
            .get("k")
            .unwrap()
            .as_deref(),
        Some("v")
    );
    let remote = rel.remote_app_data().unwrap().unwrap();
    assert_eq!(remote.get("port").unwrap().as_deref(), Some("5432"));
}

#[test]
fn typed_load_and_save() {
    #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Db {
        ver: String,
        port: u16,
    }
    let r = fake(true);
    let m = model(&r);
    let rel = m.relation("db", 1);
    let d: Db = rel.remote_app_data().unwrap().unwrap().load().unwrap();
    assert_eq!(
        d,
        Db {
            ver: "14".into(),
            port: 5432
        }
    );
    rel.local_unit_data().save(&d).unwrap();
    let set = r.calls_to("relation-set");
    assert_eq!(
        set[0].stdin.as_deref(),
        Some(&br#"{"port":"5432","ver":"\"14\""}"#[..])
    );
}

#[test]
fn gone_relation_is_relation_not_found_and_a_refusal_is_not() {
    let r = juju(&[
        (
            "relation-list --format=json -r db:3",
            "!ERROR invalid value \"db:3\" for option -r: relation not found",
        ),
        (
            "relation-get --format=json -r db:3 - pg/0",
            "!ERROR permission denied",
        ),
    ]);
    let m = model(&r);
    assert!(
        m.relation("db", 3)
            .units()
            .unwrap_err()
            .is_relation_not_found()
    );
    let e = m.relation("db", 3).unit_data("pg/0").get_all().unwrap_err();
    assert!(matches!(e, ModelError::PermissionDenied { .. }), "{e}");
}

/// `relation-model-get` exists from Juju 3.6.2: before, the model refuses without a tool.
#[test]
fn remote_model_needs_juju_362() {
    let r = juju(&[(
        "relation-model-get --format=json -r db:3",
        r#"{"uuid":"u-1"}"#,
    )]);
    let old = model(&r).with_juju_version("3.6.1".parse().unwrap());
    let e = old.relation("db", 3).remote_model_uuid().unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ModelError::Unsupported { .. }), "{text}");
    assert!(
        text.contains("3.6.2") && text.contains("3.6.1") && text.contains("db:3"),
        "{text}"
    );
    assert!(r.calls().is_empty());
    let new = model(&r).with_juju_version("3.6.2".parse().unwrap());
    assert_eq!(new.relation("db", 3).remote_model_uuid().unwrap(), "u-1");
}
