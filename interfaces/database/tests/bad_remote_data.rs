//! Bad data from the other side never fails the hook: each case gives a log line that says
//! what is wrong (and never the value of a credential), and the library goes on with what
//! it can read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::testing::juju::RelationState;
use ops::testing::{Output, State};
use support::*;

fn warnings(out: &Output) -> Vec<String> {
    out.juju_log
        .iter()
        .filter(|l| l.level == "WARNING" || l.level == "ERROR")
        .map(|l| l.message.clone())
        .collect()
}

fn run_requirer(remote: &[(&str, &str)], state: State) -> Output {
    let ctx = requirer();
    let rel = db_relation(remote);
    ctx.run(ctx.on.relation_changed(&rel), &state.relation(rel.clone()))
        .unwrap()
}

#[test]
fn a_secret_that_does_not_resolve_is_logged_and_read_as_absent() {
    // A well-formed id of a secret this unit was never granted.
    let missing = secret_id(99);
    let out = run_requirer(
        &[("secret-user", &missing), ("endpoints", "pg:5432")],
        State::new(),
    );
    // Python emits database-created here too (the field appeared); reading fails there.
    assert_eq!(out.emitted_names(), ["database-created"]);
    let w = warnings(&out);
    assert!(
        w.iter()
            .any(|l| l.contains("secret-user secret cannot be read")),
        "{w:#?}"
    );
    assert!(
        w.iter()
            .any(|l| l.contains("the user secret of relation database:3")),
        "the handler's fetch says it too: {w:#?}"
    );
    let seen = out.state.stored_as::<Seen>().unwrap();
    assert_eq!(
        seen.events,
        ["created rel=3 user=- endpoints=pg:5432 tls=None"]
    );
}

#[test]
fn a_malformed_secret_uri_is_logged() {
    let out = run_requirer(&[("secret-user", "not a secret uri")], State::new());
    assert_eq!(out.emitted_names(), ["database-created"]);
    assert!(
        warnings(&out).iter().any(|l| l.contains("cannot be read")),
        "{:#?}",
        warnings(&out)
    );
}

#[test]
fn a_secret_that_resolves_to_other_content_falls_back_to_plain_fields() {
    // The secret holds none of the fields: the plain ones still count (Python's second
    // chance for a group whose secret gave nothing).
    let secret = granted(1, &[("unrelated", "x")]);
    let out = run_requirer(
        &[
            ("secret-user", &secret_id(1)),
            ("username", "plain-user"),
            ("password", "pp"),
        ],
        State::new().secret(secret),
    );
    assert_eq!(out.emitted_names(), ["database-created"]);
    let seen = out.state.stored_as::<Seen>().unwrap();
    assert!(seen.events[0].contains("user=plain-user"), "{seen:?}");
}

#[test]
fn json_that_does_not_parse_is_logged_and_counts_as_empty() {
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 3] = [
        (
            "status is not JSON",
            &[("status", "[{oops"), ("endpoints", "pg:5432")],
            "`status` field is not JSON",
        ),
        (
            "status entries are not statuses",
            &[
                ("status", r#"[{"code": "high"}]"#),
                ("endpoints", "pg:5432"),
            ],
            "is not {code, message, resolution}",
        ),
        (
            "the provider's view of the request is a list",
            &[("data", "[1, 2]"), ("endpoints", "pg:5432")],
            "does not hold a JSON object of strings",
        ),
    ];
    for (name, remote, expected) in cases {
        let out = run_requirer(remote, State::new());
        assert_eq!(out.emitted_names(), ["endpoints-changed"], "{name}");
        let w = warnings(&out);
        assert!(w.iter().any(|l| l.contains(expected)), "{name}: {w:#?}");
    }
}

#[test]
fn a_corrupt_view_in_this_units_bag_counts_as_empty() {
    let ctx = requirer();
    let rel = db_relation(&[("endpoints", "pg:5432")]).local_unit_data([("data", "{not json")]);
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    assert_eq!(out.emitted_names(), ["endpoints-changed"]);
    assert!(
        warnings(&out)
            .iter()
            .any(|l| l.contains("this unit's bag on database:3")),
        "{:#?}",
        warnings(&out)
    );
    // And it is replaced by a good one.
    let bag = &out.state.relation_by_id(3).unwrap().local_unit_data;
    assert_eq!(bag["data"], r#"{"endpoints": "pg:5432"}"#);
}

#[test]
fn a_tls_flag_that_is_neither_true_nor_false_is_a_problem_not_a_failure() {
    let out = run_requirer(
        &[("username", "u"), ("password", "p"), ("tls", "maybe")],
        State::new(),
    );
    assert_eq!(out.emitted_names(), ["database-created"]);
    let w = warnings(&out);
    assert!(
        w.iter().any(|l| l.contains("`tls` field is \"maybe\"")),
        "{w:#?}"
    );
}

#[test]
fn missing_fields_announce_what_there_is() {
    // Credentials without endpoints (Python emits database-created all the same).
    let out = run_requirer(&[("username", "u"), ("password", "p")], State::new());
    assert_eq!(out.emitted_names(), ["database-created"]);
    let seen = out.state.stored_as::<Seen>().unwrap();
    assert_eq!(seen.events, ["created rel=3 user=u endpoints= tls=None"]);
    // Only a username: nothing created yet.
    let out = run_requirer(&[("username", "u")], State::new());
    assert!(out.emitted_names().is_empty());
}

#[test]
fn a_subordinate_provider_that_is_not_ready_holds_the_events_back() {
    let ctx = requirer();
    let rel = RelationState::new(3, DB, "router")
        .remote_unit("router/0", [("state", "starting")])
        .remote_app_data([
            ("subordinated", "true"),
            ("username", "u"),
            ("password", "p"),
        ]);
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    assert!(out.emitted_names().is_empty());
    assert!(
        !out.state
            .relation_by_id(3)
            .unwrap()
            .local_unit_data
            .contains_key("data"),
        "the view is not updated, so the change is announced once the unit is ready"
    );
    let mut rel = rel.clone();
    rel.remote_units.insert(
        "router/0".into(),
        [("state".to_owned(), "ready".to_owned())].into(),
    );
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    assert_eq!(out.emitted_names(), ["database-created"]);
}

#[test]
fn the_provider_survives_bad_requests() {
    let ctx = provider();
    // requested-secrets that is not a list: credentials still go into secrets.
    let rel = RelationState::new(5, DB, "app").remote_app_data([
        ("database", "myapp"),
        ("extra-user-roles", "CREATEDB"),
        ("requested-secrets", "username,password"),
    ]);
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &leader_with(&rel))
        .unwrap();
    assert_eq!(out.emitted_names(), ["database-requested"]);
    let w = warnings(&out);
    assert!(
        w.iter()
            .any(|l| l.contains("`requested-secrets` field cannot be read")),
        "{w:#?}"
    );
    let bag = &out.state.relation_by_id(5).unwrap().local_app_data;
    assert!(bag.contains_key("secret-user") && !bag.contains_key("password"));
    assert_provider_bags_valid(&out, "bad requested-secrets");

    // A requirer that changes its roles after the fact: logged, nothing announced.
    let mut changed = out.state.relation_by_id(5).unwrap().clone();
    changed
        .remote_app_data
        .insert("extra-user-roles".into(), "SUPERUSER".into());
    let mut state = out.state.clone();
    state.juju.relations = vec![changed.clone()];
    let out = ctx.run(ctx.on.relation_changed(&changed), &state).unwrap();
    assert!(out.emitted_names().is_empty());
    assert!(
        warnings(&out)
            .iter()
            .any(|l| l.contains("changed `extra-user-roles` after the relation was set up")),
        "{:#?}",
        warnings(&out)
    );

    // A v1 requirer (dpcharmlibs-interfaces): told, not served.
    let v1 = RelationState::new(6, DB, "new-app").remote_app_data([
        ("version", "v1"),
        (
            "requests",
            r#"[{"resource": "myapp", "request-id": "8367", "salt": "x"}]"#,
        ),
    ]);
    let out = ctx
        .run(ctx.on.relation_changed(&v1), &leader_with(&v1))
        .unwrap();
    assert!(out.emitted_names().is_empty());
    assert!(
        warnings(&out).iter().any(|l| l.contains("v1 protocol")),
        "{:#?}",
        warnings(&out)
    );
}

#[test]
fn no_log_line_carries_a_credential() {
    let secret = granted(1, &[("username", "u"), ("password", "hunter2-secret")]);
    let out = run_requirer(
        &[
            ("secret-user", &secret_id(1)),
            ("tls", "maybe"),
            ("status", "bad"),
        ],
        State::new().secret(secret),
    );
    for line in out.log_messages() {
        assert!(!line.contains("hunter2-secret"), "{line}");
    }
}
