//! The requirer through whole relation lives: what it writes (checked against the schemas
//! at every step), the events it emits, in order and with their payloads, and deferral.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::testing::State;
use ops::testing::juju::RelationState;
use ops_interface_database::v0::{DatabaseCreated, DatabaseInfo};
use support::*;

/// What postgresql-k8s (data_platform_libs v0 DatabaseProvides) writes once it has created
/// the database, as in the interface README's example: credentials and TLS in secrets.
fn published() -> Vec<(&'static str, String)> {
    vec![
        ("database", "myapp".into()),
        ("endpoints", "pg-primary.pg-endpoints:5432".into()),
        ("read-only-endpoints", "pg-replicas.pg-endpoints:5432".into()),
        ("version", "16.4".into()),
        ("secret-user", secret_id(1)),
        ("secret-tls", secret_id(2)),
        (
            "data",
            r#"{"database": "myapp", "extra-user-roles": "CREATEDB", "requested-secrets": "[\"username\", \"password\", \"tls\", \"tls-ca\", \"uris\", \"read-only-uris\", \"entity-name\", \"entity-password\"]"}"#.into(),
        ),
    ]
}

fn with_remote(rel: &RelationState, remote: &[(&str, String)]) -> RelationState {
    let mut r = rel.clone();
    r.remote_app_data = remote
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    r
}

fn secrets() -> (
    ops::testing::juju::SecretState,
    ops::testing::juju::SecretState,
) {
    (
        granted(
            1,
            &[
                ("username", "relation-3"),
                ("password", "pw-1"),
                ("uris", "postgresql://relation-3:pw-1@pg-primary:5432/myapp"),
            ],
        ),
        granted(2, &[("tls", "False")]),
    )
}

#[test]
fn a_whole_relation_life_writes_valid_bags_and_emits_pythons_events() {
    let ctx = requirer();
    let (user, tls) = secrets();
    let rel = db_relation(&[]);

    // 1. relation-created on the leader: the request.
    let out = ctx
        .run(ctx.on.relation_created(&rel), &leader_with(&rel))
        .unwrap();
    assert_requirer_bags_valid(&out, "created");
    let r = out.state.relation_by_id(3).unwrap();
    assert_eq!(r.local_app_data["database"], "myapp");
    assert_eq!(r.local_app_data["extra-user-roles"], "CREATEDB");
    assert_eq!(r.local_unit_data["provided-secrets"], r#"["mtls-cert"]"#);
    assert!(out.emitted_names().is_empty());

    // 2. relation-joined: nothing to do.
    let state = out.state.clone();
    let rel = state.relation_by_id(3).unwrap().clone();
    let out = ctx
        .run(ctx.on.relation_joined(&rel, "pg/0"), &state)
        .unwrap();
    assert_requirer_bags_valid(&out, "joined");
    assert!(out.emitted_names().is_empty());

    // 3. The provider publishes: database-created, with the plain fields as payload.
    let rel = with_remote(out.state.relation_by_id(3).unwrap(), &published());
    let mut state = out.state.clone();
    state.juju.relations = vec![rel.clone()];
    let state = state.secret(user).secret(tls);
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_requirer_bags_valid(&out, "credentials");
    assert_eq!(out.emitted_names(), ["database-created"]);
    let created: DatabaseCreated = out.emitted_events[0].payload_as().unwrap();
    assert_eq!(created.relation_id, 3);
    assert_eq!(created.remote_app.as_deref(), Some("pg"));
    assert_eq!(created.database.as_deref(), Some("myapp"));
    assert_eq!(
        created.endpoints.as_deref(),
        Some("pg-primary.pg-endpoints:5432")
    );
    assert_eq!(created.version.as_deref(), Some("16.4"));
    // No credential in the payload (it would be stored if deferred).
    assert!(!out.emitted_events[0].payload.to_string().contains("pw-1"));
    let seen = out.state.stored_as::<Seen>().unwrap();
    assert_eq!(
        seen.events,
        ["created rel=3 user=relation-3 endpoints=pg-primary.pg-endpoints:5432 tls=Some(false)"]
    );
    // The secrets are labelled for this relation, so secret-changed names them.
    let label = |n: u32| out.state.secret_by_id(&secret_id(n)).unwrap().label.clone();
    assert_eq!(label(1).as_deref(), Some("database.3.user.secret"));
    assert_eq!(label(2).as_deref(), Some("database.3.tls.secret"));

    // 4. The primary moves: endpoints-changed only.
    let mut moved = published();
    moved[1].1 = "pg-primary-2.pg-endpoints:5432".into();
    let rel = with_remote(out.state.relation_by_id(3).unwrap(), &moved);
    let mut state = out.state.clone();
    state.juju.relations = vec![rel.clone()];
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_requirer_bags_valid(&out, "endpoints");
    assert_eq!(out.emitted_names(), ["endpoints-changed"]);

    // 5. The password rotates: secret-changed on the user secret.
    let mut state = out.state.clone();
    let secret = state
        .juju
        .secrets
        .iter_mut()
        .find(|s| s.id == secret_id(1))
        .unwrap();
    secret.push_revision(
        [("username", "relation-3"), ("password", "pw-rotated")]
            .into_iter()
            .collect(),
    );
    let secret = secret.clone();
    let out = ctx.run(ctx.on.secret_changed(&secret), &state).unwrap();
    assert_requirer_bags_valid(&out, "rotation");
    assert_eq!(out.emitted_names(), ["authentication-updated"]);
    assert_eq!(
        out.state.secret_by_id(&secret_id(1)).unwrap().tracked,
        Some(2),
        "the library tracks the new revision"
    );
    let seen = out.state.stored_as::<Seen>().unwrap();
    assert_eq!(seen.events.last().unwrap(), "auth user password-len=10");

    // 6. The provider's unit leaves, then 7. the relation goes.
    let rel = out.state.relation_by_id(3).unwrap().clone();
    let out = ctx
        .run(ctx.on.relation_departed(&rel, "pg/0"), &out.state)
        .unwrap();
    assert_requirer_bags_valid(&out, "departed");
    assert!(out.emitted_names().is_empty());
    let rel = out.state.relation_by_id(3).unwrap().clone().broken();
    let mut state = out.state.clone();
    state.juju.relations = vec![rel.clone()];
    let out = ctx.run(ctx.on.relation_broken(&rel), &state).unwrap();
    assert_requirer_bags_valid(&out, "broken");
    assert!(out.emitted_names().is_empty());
}

#[test]
fn a_non_leader_writes_no_request_but_announces_like_the_leader() {
    let ctx = requirer();
    let rel = db_relation(&[]);
    let out = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    let r = out.state.relation_by_id(3).unwrap();
    assert!(r.local_app_data.is_empty() && r.local_unit_data.is_empty());

    let (user, tls) = secrets();
    let rel = with_remote(&rel, &published());
    let state = State::new().relation(rel.clone()).secret(user).secret(tls);
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(out.emitted_names(), ["database-created"]);
    assert_requirer_bags_valid(&out, "non-leader");
}

#[test]
fn nothing_new_announces_nothing_and_writes_nothing() {
    let ctx = requirer();
    let (user, tls) = secrets();
    let rel = with_remote(&db_relation(&[]), &published());
    let state = State::new().relation(rel.clone()).secret(user).secret(tls);
    let first = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    let rel = first.state.relation_by_id(3).unwrap().clone();
    let again = ctx
        .run(ctx.on.relation_changed(&rel), &first.state)
        .unwrap();
    assert!(again.emitted_names().is_empty());
    assert!(
        !again
            .tool_lines()
            .iter()
            .any(|l| l.starts_with("relation-set")),
        "{:?}",
        again.tool_lines()
    );
}

#[test]
fn read_only_endpoints_alone_announce_read_only_endpoints_changed() {
    let ctx = requirer();
    let (user, tls) = secrets();
    let rel = with_remote(&db_relation(&[]), &published());
    let state = State::new().relation(rel.clone()).secret(user).secret(tls);
    let first = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    let mut changed = published();
    changed[2].1 = "pg-replicas.pg-endpoints:5432,pg-2.pg-endpoints:5432".into();
    let rel = with_remote(first.state.relation_by_id(3).unwrap(), &changed);
    let mut state = first.state.clone();
    state.juju.relations = vec![rel.clone()];
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(out.emitted_names(), ["read-only-endpoints-changed"]);
    let seen = out.state.stored_as::<Seen>().unwrap();
    assert_eq!(
        seen.events.last().unwrap(),
        "read-only pg-replicas.pg-endpoints:5432,pg-2.pg-endpoints:5432"
    );
}

#[test]
fn statuses_are_raised_and_resolved_before_the_connection_events() {
    let ctx = requirer();
    let (user, tls) = secrets();
    let mut remote = published();
    remote.push((
        "status",
        r#"[{"code": 4001, "message": "rebalancing", "resolution": "wait"}]"#.into(),
    ));
    let rel = with_remote(&db_relation(&[]), &remote);
    let state = State::new().relation(rel.clone()).secret(user).secret(tls);
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(out.emitted_names(), ["status-raised", "database-created"]);

    remote.pop();
    let rel = with_remote(out.state.relation_by_id(3).unwrap(), &remote);
    let mut state = out.state.clone();
    state.juju.relations = vec![rel.clone()];
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(out.emitted_names(), ["status-resolved"]);
    let seen = out.state.stored_as::<Seen>().unwrap();
    assert_eq!(seen.events.last().unwrap(), "resolved 4001");
}

#[test]
fn a_deferred_database_created_comes_back_with_its_payload() {
    let ctx = requirer();
    let (user, tls) = secrets();
    let rel = with_remote(&db_relation(&[]), &published());
    let state = State::new()
        .config("defer-created", true)
        .relation(rel.clone())
        .secret(user)
        .secret(tls);
    let first = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(
        first.state.deferred_names(),
        [("on_created".to_owned(), "db/database-created".to_owned())]
    );
    assert!(
        !first.state.deferred[0].data.contains("pw-1"),
        "no credential reaches the store"
    );

    let next = first.state.clone().config("defer-created", false);
    let second = ctx.run(ctx.on.update_status(), &next).unwrap();
    assert!(second.handler_calls[0].reemitted);
    assert!(second.state.deferred.is_empty());
    let seen = second.state.stored_as::<Seen>().unwrap();
    assert_eq!(
        seen.events,
        ["created rel=3 user=relation-3 endpoints=pg-primary.pg-endpoints:5432 tls=Some(false)"]
    );
}

#[test]
fn a_custom_event_run_directly_reaches_the_charm() {
    let ctx = requirer();
    let (user, tls) = secrets();
    let rel = with_remote(&db_relation(&[]), &published());
    let state = State::new().relation(rel).secret(user).secret(tls);
    let ev = DatabaseCreated {
        relation_id: 3,
        remote_app: Some("pg".into()),
        database: Some("myapp".into()),
        endpoints: None,
        read_only_endpoints: None,
        version: None,
        prefix_databases: None,
    };
    let out = ctx.run(ctx.on.custom(KEY, &ev).unwrap(), &state).unwrap();
    assert_eq!(out.handlers_called(), ["on_created"]);
}

#[test]
fn fetch_all_and_is_resource_created_follow_python() {
    let ctx = requirer();
    let (user, tls) = secrets();
    let rel = with_remote(&db_relation(&[]), &published());
    let other = RelationState::new(4, DB, "mysql").remote_app_data([("endpoints", "m:3306")]);
    let state = State::new()
        .relation(rel)
        .relation(other)
        .secret(user)
        .secret(tls);
    // Check from a custom event handler, which may read any relation.
    struct Probe;
    impl ops::framework::Charm for Probe {
        type Stored = Vec<String>;
        fn observe(on: &mut ops::framework::Observers<Self>) {
            on.update_status("probe", |_c, ctx, _ev| {
                let db = App::default().db;
                let all: Vec<DatabaseInfo> = db.fetch_all(ctx.model())?;
                let created: Vec<bool> = all.iter().map(DatabaseInfo::is_created).collect();
                ctx.stored_mut().push(format!("{created:?}"));
                let every = db.is_resource_created(ctx.model(), None)?;
                let one = db.is_resource_created(ctx.model(), Some(3))?;
                ctx.stored_mut().push(format!("{every} {one}"));
                Ok(())
            });
        }
    }
    let ctx2 = ops::testing::Context::with_factory(requirer_meta(), || Probe);
    let out = ctx2.run(ctx2.on.update_status(), &state).unwrap();
    assert_eq!(
        out.state.stored_as::<Vec<String>>().unwrap(),
        ["[true, false]", "false true"]
    );
    drop(ctx);
}
