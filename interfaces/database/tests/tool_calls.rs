//! Hook-tool calls the requirer costs per event: the same state and event run with a charm
//! that holds only the library and with one that holds nothing; the difference is the
//! library's. The figures are pinned (a change in them is a change to review) and printed
//! for the README (`cargo test -p ops-interface-database --test tool_calls -- --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use ops::prelude::*;
use ops::testing::juju::RelationState;
use ops::testing::{Context, Output, State, TestEvent};
use ops_interface_database::v0::DatabaseRequirer;
use support::*;

/// A charm holding only the library.
struct LibOnly {
    db: DatabaseRequirer,
}

impl Default for LibOnly {
    fn default() -> Self {
        LibOnly {
            db: DatabaseRequirer::new(DB, "myapp").extra_user_roles("CREATEDB"),
        }
    }
}

impl Charm for LibOnly {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.component(KEY, |c: &mut LibOnly| &mut c.db);
    }
}

fn cost(event: &dyn Fn(&ops::testing::On) -> TestEvent, state: &State) -> (usize, String) {
    let lib = Context::<LibOnly>::new(requirer_meta());
    let bare = Context::<Bare>::new(requirer_meta());
    let with: Output = lib.run(event(&lib.on), state).unwrap();
    let without: Output = bare.run(event(&bare.on), state).unwrap();
    let mut by: BTreeMap<&str, isize> = BTreeMap::new();
    for (tool, n) in with.tool_counts() {
        *by.entry(tool).or_default() += n as isize;
    }
    for (tool, n) in without.tool_counts() {
        *by.entry(tool).or_default() -= n as isize;
    }
    by.retain(|_, n| *n != 0);
    let detail = by
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    (with.tool_calls.len() - without.tool_calls.len(), detail)
}

fn published(rel: &RelationState) -> RelationState {
    let mut r = rel.clone();
    r.remote_app_data = [
        ("database", "myapp".to_owned()),
        ("endpoints", "pg-primary:5432".to_owned()),
        ("read-only-endpoints", "pg-replicas:5432".to_owned()),
        ("version", "16.4".to_owned()),
        ("secret-user", secret_id(1)),
        ("secret-tls", secret_id(2)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    r
}

#[test]
fn the_requirers_hook_tool_calls_per_event() {
    let user = granted(1, &[("username", "u"), ("password", "p")]);
    let tls = granted(2, &[("tls", "False")]);
    let empty = db_relation(&[]);
    let full = published(&empty);
    let base = || State::new().secret(user.clone()).secret(tls.clone());

    // The state after the credentials arrived, as the library leaves it.
    let lib = Context::<LibOnly>::new(requirer_meta());
    let after = lib
        .run(
            lib.on.relation_changed(&full),
            &base().relation(full.clone()),
        )
        .unwrap()
        .state;
    let mut moved = after.relation_by_id(3).unwrap().clone();
    moved
        .remote_app_data
        .insert("endpoints".into(), "pg-primary-2:5432".into());
    let mut moved_state = after.clone();
    moved_state.juju.relations = vec![moved.clone()];
    let mut rotated = after.clone();
    let secret = rotated
        .juju
        .secrets
        .iter_mut()
        .find(|s| s.id == secret_id(1))
        .unwrap();
    secret.push_revision(
        [("username", "u"), ("password", "p2")]
            .into_iter()
            .collect(),
    );
    let rotated_secret = secret.clone();
    let broken = after.relation_by_id(3).unwrap().clone().broken();
    let mut broken_state = after.clone();
    broken_state.juju.relations = vec![broken.clone()];

    type Case<'a> = (
        &'a str,
        Box<dyn Fn(&ops::testing::On) -> TestEvent + 'a>,
        State,
        usize,
    );
    let cases: Vec<Case> = vec![
        (
            "relation-created (leader)",
            Box::new(|on| on.relation_created(&empty)),
            base().leader(true).relation(empty.clone()),
            4,
        ),
        (
            "relation-created (not leader)",
            Box::new(|on| on.relation_created(&empty)),
            base().relation(empty.clone()),
            1,
        ),
        (
            "relation-joined",
            Box::new(|on| on.relation_joined(&empty, "pg/0")),
            base().relation(empty.clone()),
            0,
        ),
        (
            "relation-changed, credentials shared",
            Box::new(|on| on.relation_changed(&full)),
            base().relation(full.clone()),
            7,
        ),
        (
            "relation-changed, nothing new",
            Box::new(|on| on.relation_changed(&full)),
            after.clone(),
            2,
        ),
        (
            "relation-changed, endpoints moved",
            Box::new(|on| on.relation_changed(&moved)),
            moved_state.clone(),
            5,
        ),
        (
            "secret-changed (credentials rotated)",
            Box::new(|on| on.secret_changed(&rotated_secret)),
            rotated.clone(),
            3,
        ),
        (
            "config-changed (not the library's)",
            Box::new(|on| on.config_changed()),
            after.clone(),
            0,
        ),
        (
            "update-status",
            Box::new(|on| on.update_status()),
            after.clone(),
            0,
        ),
        (
            "relation-departed",
            Box::new(|on| on.relation_departed(&full, "pg/0")),
            after.clone(),
            0,
        ),
        (
            "relation-broken",
            Box::new(|on| on.relation_broken(&broken)),
            broken_state.clone(),
            0,
        ),
    ];
    let mut table = vec![
        "| event | calls | by tool |".to_owned(),
        "|---|---|---|".to_owned(),
    ];
    let mut wrong = Vec::new();
    for (name, event, state, expected) in &cases {
        let (n, detail) = cost(event.as_ref(), state);
        table.push(format!("| {name} | {n} | {detail} |"));
        if n != *expected {
            wrong.push(format!("{name}: {n} calls ({detail}), pinned {expected}"));
        }
    }
    println!("{}", table.join("\n"));
    assert!(wrong.is_empty(), "{wrong:#?}");
}
