//! The provider through whole relation lives: requests announced, credentials published in
//! secrets granted to the relation, every bag it writes checked against the schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::testing::State;
use ops::testing::juju::{RelationState, SecretOwnership};
use ops_interface_database::v0::{DatabaseRequested, Publication};
use support::*;

/// What data_platform_libs v0 DatabaseRequires writes on relation-created (its unit test
/// `test_requires_interface_functions_secrets`, our database name).
fn python_request() -> Vec<(&'static str, &'static str)> {
    vec![
        ("database", "myapp"),
        ("extra-user-roles", "CREATEDB,CREATEROLE"),
        (
            "requested-secrets",
            r#"["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]"#,
        ),
        ("provided-secrets", r#"["mtls-cert"]"#),
    ]
}

fn app_relation(remote: &[(&str, &str)]) -> RelationState {
    RelationState::new(5, DB, "app")
        .interface("postgresql_client")
        .remote_unit("app/0", [("egress-subnets", "10.0.0.9/32")])
        .remote_app_data(remote.iter().map(|(k, v)| (*k, *v)))
}

#[test]
fn a_whole_relation_life_publishes_in_granted_secrets_and_writes_valid_bags() {
    let ctx = provider();
    let rel = app_relation(&[]);

    let out = ctx
        .run(ctx.on.relation_created(&rel), &leader_with(&rel))
        .unwrap();
    assert_provider_bags_valid(&out, "created");
    let out = ctx
        .run(ctx.on.relation_joined(&rel, "app/0"), &out.state)
        .unwrap();
    assert_provider_bags_valid(&out, "joined");

    // The requirer asks: database-requested, then the charm publishes.
    let mut rel = rel.clone();
    rel.remote_app_data = python_request()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut state = out.state.clone();
    state.juju.relations = vec![rel.clone()];
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_provider_bags_valid(&out, "requested");
    assert_eq!(out.emitted_names(), ["database-requested"]);
    let ev: DatabaseRequested = out.emitted_events[0].payload_as().unwrap();
    assert_eq!(ev.request.relation_id, 5);
    assert_eq!(ev.request.remote_app.as_deref(), Some("app"));
    assert_eq!(ev.request.database.as_deref(), Some("myapp"));
    assert_eq!(
        ev.request.extra_user_roles.as_deref(),
        Some("CREATEDB,CREATEROLE")
    );
    let bag = &out.state.relation_by_id(5).unwrap().local_app_data;
    assert_eq!(bag["database"], "myapp");
    assert_eq!(bag["endpoints"], "db-primary.db-endpoints:5432");
    assert_eq!(bag["read-only-endpoints"], "db-replicas.db-endpoints:5432");
    assert_eq!(bag["version"], "16.4");
    for secret_field in ["username", "password", "uris", "tls"] {
        assert!(
            !bag.contains_key(secret_field),
            "{secret_field} is in a secret"
        );
    }
    // The user secret: owned by the application, labelled, granted to the relation.
    let user = out.state.secret_by_id(&bag["secret-user"]).unwrap();
    assert_eq!(user.owner, SecretOwnership::Application);
    assert_eq!(user.label.as_deref(), Some("database.5.user.secret"));
    assert_eq!(user.grants.len(), 1);
    assert_eq!(user.grants[0].relation_id, 5);
    assert_eq!(user.content_keys(), ["password", "uris", "username"]);
    let tls = out.state.secret_by_id(&bag["secret-tls"]).unwrap();
    assert_eq!(tls.content_keys(), ["tls"]);
    assert_eq!(tls.latest().unwrap().content["tls"], "False");
    // The provider's view of the request, as Python keeps it.
    let data: serde_json::Value = serde_json::from_str(&bag["data"]).unwrap();
    assert_eq!(data["database"], "myapp");

    // Rotation: a new password is a new revision of the same secret, nothing else moves.
    let before = out.state.clone();
    let out = ctx
        .run(
            ctx.on.config_changed(),
            &out.state.clone().config("password", "pw-2"),
        )
        .unwrap();
    assert_provider_bags_valid(&out, "rotation");
    let after = out.state.relation_by_id(5).unwrap().local_app_data.clone();
    assert_eq!(after, before.relation_by_id(5).unwrap().local_app_data);
    let user = out.state.secret_by_id(&after["secret-user"]).unwrap();
    assert_eq!(user.revisions.len(), 2);
    assert_eq!(user.latest().unwrap().content["password"], "pw-2");
    assert!(
        !out.tool_lines()
            .iter()
            .any(|l| l.starts_with("relation-set")),
        "nothing in the bag changed: {:?}",
        out.tool_lines()
    );

    // The same again: no new revision (Python's DPE-4182).
    let again = ctx.run(ctx.on.config_changed(), &out.state).unwrap();
    let user = again.state.secret_by_id(&after["secret-user"]).unwrap();
    assert_eq!(user.revisions.len(), 2);

    // TLS on: the tls secret gets tls-ca.
    let out = ctx
        .run(
            ctx.on.config_changed(),
            &again.state.clone().config("tls", true),
        )
        .unwrap();
    assert_provider_bags_valid(&out, "tls");
    let tls = out.state.secret_by_id(&after["secret-tls"]).unwrap();
    assert_eq!(tls.content_keys(), ["tls", "tls-ca"]);
    assert_eq!(tls.latest().unwrap().content["tls"], "True");

    // Departure and broken: the charm removes the relation's secrets.
    let rel = out.state.relation_by_id(5).unwrap().clone();
    let out = ctx
        .run(ctx.on.relation_departed(&rel, "app/0"), &out.state)
        .unwrap();
    assert_provider_bags_valid(&out, "departed");
    let rel = out.state.relation_by_id(5).unwrap().clone().broken();
    let mut state = out.state.clone();
    state.juju.relations = vec![rel.clone()];
    let out = ctx.run(ctx.on.relation_broken(&rel), &state).unwrap();
    assert_provider_bags_valid(&out, "broken");
    assert_eq!(
        out.state
            .stored_as::<Seen>()
            .unwrap()
            .events
            .last()
            .unwrap(),
        "removed 2 secrets"
    );
    assert!(out.state.juju.secrets.is_empty());
}

#[test]
fn a_requirer_without_requested_secrets_gets_plain_fields() {
    // data_platform_libs before secrets (LIBPATCH < 17), or Juju 2: no requested-secrets.
    let ctx = provider();
    let rel = app_relation(&[("database", "myapp")]);
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &leader_with(&rel))
        .unwrap();
    assert_provider_bags_valid(&out, "plain");
    let bag = &out.state.relation_by_id(5).unwrap().local_app_data;
    assert_eq!(bag["username"], "relation-5");
    assert_eq!(bag["password"], "pw-1");
    assert_eq!(bag["tls"], "False");
    assert!(!bag.contains_key("secret-user"));
    assert!(out.state.juju.secrets.is_empty());
}

#[test]
fn only_the_leader_announces_and_publishes() {
    let ctx = provider();
    let rel = app_relation(&python_request());
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    assert!(out.emitted_names().is_empty());
    assert!(
        out.state
            .relation_by_id(5)
            .unwrap()
            .local_app_data
            .is_empty()
    );
}

#[test]
fn publishing_before_the_request_is_refused_except_endpoints() {
    struct Early {
        clients: ops_interface_database::v0::DatabaseProvider,
    }
    impl Default for Early {
        fn default() -> Self {
            Early {
                clients: ops_interface_database::v0::DatabaseProvider::new(DB),
            }
        }
    }
    impl ops::framework::Charm for Early {
        type Stored = Vec<String>;
        fn observe(on: &mut ops::framework::Observers<Self>) {
            on.update_status("early", |c, ctx, _| {
                let early = Publication::new().credentials("u", "p");
                let e = c.clients.publish(ctx.model(), 5, &early).unwrap_err();
                ctx.stored_mut().push(e.to_string());
                let endpoints = Publication::new().endpoints(["h:1"]);
                c.clients.publish(ctx.model(), 5, &endpoints)?;
                Ok(())
            });
        }
    }
    let ctx = ops::testing::Context::<Early>::new(provider_meta());
    let rel = app_relation(&[]);
    let out = ctx.run(ctx.on.update_status(), &leader_with(&rel)).unwrap();
    let msg = &out.state.stored_as::<Vec<String>>().unwrap()[0];
    assert!(msg.contains("has not requested a database yet"), "{msg}");
    assert!(msg.contains("password, username"), "{msg}");
    assert!(!msg.contains("\"p\""), "{msg}");
    assert_eq!(
        out.state.relation_by_id(5).unwrap().local_app_data["endpoints"],
        "h:1"
    );
}

#[test]
fn entity_requests_and_permission_changes_are_announced() {
    let ctx = provider();
    let mut remote = python_request();
    remote.retain(|(k, _)| *k != "extra-user-roles");
    remote.push(("entity-type", "GROUP"));
    remote.push(("extra-group-roles", "charmed_read"));
    remote.push((
        "entity-permissions",
        r#"[{"resource_name": "items", "resource_type": "TABLE", "privileges": ["SELECT"]}]"#,
    ));
    let rel = app_relation(&remote);
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &leader_with(&rel))
        .unwrap();
    assert_eq!(out.emitted_names(), ["database-entity-requested"]);

    let mut changed = remote.clone();
    changed.pop();
    changed.push(("entity-permissions", "[]"));
    let mut rel = out.state.relation_by_id(5).unwrap().clone();
    rel.remote_app_data = changed
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut state = out.state.clone();
    state.juju.relations = vec![rel.clone()];
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(out.emitted_names(), ["database-entity-permissions-changed"]);
}
