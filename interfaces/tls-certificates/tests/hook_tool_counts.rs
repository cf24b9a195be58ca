//! The hook tools each event costs a charm using the requirer: the exact calls, held here so
//! a change that adds one is seen. The README's table gives these numbers beside the Python
//! library's (counted by reading its code).
//!
//! Counts leave out `juju-log` (each log line is one call; the table counts them apart).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::testing::{Output, State};
use ops_interface_tls_certificates::v1::{Mode, TlsRequirer};
use support::provider::{Ca, answer_all, certificates_bag};
use support::*;

struct Run {
    name: &'static str,
    out: Output,
}

fn log_lines(out: &Output) -> usize {
    // The framework's own "emitting <event>" lines are not the library's.
    out.juju_log
        .iter()
        .filter(|l| !l.message.starts_with("emitting "))
        .count()
}

/// The whole life of one certificate, in `mode`.
fn life(build: fn() -> TlsRequirer, leader: bool, mode: Mode) -> Vec<Run> {
    let ctx = context(build);
    let ca = Ca::root("ca");
    let rel = relation();
    let mut runs = Vec::new();
    let state = State::new().leader(leader).relation(rel.clone());
    let out = ctx.run(ctx.on.relation_created(&rel), &state).unwrap();
    let state = out.state.clone();
    runs.push(Run {
        name: "relation-created, first (key made, CSR sent)",
        out,
    });
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    let state = out.state.clone();
    runs.push(Run {
        name: "relation-changed, no answer yet",
        out,
    });
    let bag = certificates_bag(&answer_all(&ca, &csrs(&state, mode)));
    let state = with_relation(&state, |r| r.remote_app_data(bag));
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    let state = out.state.clone();
    runs.push(Run {
        name: "relation-changed, new certificate",
        out,
    });
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    runs.push(Run {
        name: "relation-changed, nothing new",
        out,
    });
    let mut lost = state.clone();
    lost.components.clear();
    let out = ctx.run(ctx.on.relation_changed(&rel), &lost).unwrap();
    runs.push(Run {
        name: "relation-changed, nothing new, stored state lost",
        out,
    });
    let cert = state
        .juju
        .secrets
        .iter()
        .find(|s| {
            s.label
                .as_deref()
                .is_some_and(|l| l.contains("-certificate-"))
        })
        .unwrap()
        .clone();
    let out = ctx.run(ctx.on.secret_expired(&cert, 1), &state).unwrap();
    runs.push(Run {
        name: "secret-expired (renewal)",
        out,
    });
    let out = ctx.run(ctx.on.relation_broken(&rel), &state).unwrap();
    runs.push(Run {
        name: "relation-broken",
        out,
    });
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    runs.push(Run {
        name: "an event it does not observe",
        out,
    });
    runs
}

fn table(runs: &[Run]) -> String {
    runs.iter()
        .map(|r| {
            format!(
                "| {} | {} | {} | {} |",
                r.name,
                r.out.tools_called().len(),
                log_lines(&r.out),
                r.out.tools_called().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn unit_mode() {
    let runs = life(unit_requirer, false, Mode::Unit);
    println!("{}", table(&runs));
    let expected: [&[&str]; 8] = [
        &[
            "relation-get",
            "secret-get",
            "secret-add",
            "relation-get",
            "relation-set",
        ],
        &["relation-get", "relation-get"],
        &["relation-get", "relation-get", "secret-get", "secret-add"],
        &["relation-get", "relation-get"],
        &["relation-get", "secret-get", "relation-get", "secret-get"],
        &[
            "secret-get",
            "relation-ids",
            "relation-list",
            "relation-get",
            "relation-get",
            "secret-get",
            "relation-set",
            "secret-remove",
        ],
        &[
            "relation-ids",
            "secret-info-get",
            "secret-remove",
            "secret-ids",
            "secret-info-get",
            "secret-remove",
        ],
        &[],
    ];
    for (run, want) in runs.iter().zip(expected) {
        assert_eq!(run.out.tools_called(), want, "{}", run.name);
    }
    // The library logs what changed, and nothing when nothing did.
    let logs: Vec<usize> = runs.iter().map(|r| log_lines(&r.out)).collect();
    assert_eq!(logs, [2, 0, 1, 0, 0, 2, 1, 0]);
}

#[test]
fn app_mode_on_the_leader() {
    let runs = life(app_requirer, true, Mode::App);
    println!("{}", table(&runs));
    let counts: Vec<usize> = runs.iter().map(|r| r.out.tools_called().len()).collect();
    assert_eq!(counts, [6, 4, 6, 4, 5, 9, 7, 0], "{}", table(&runs));
    // Leadership is asked once per hook, and the app key (which another leader may change)
    // is read from its secret rather than from a hint.
    for run in &runs[..5] {
        assert_eq!(run.out.tool_count("is-leader"), 1, "{}", run.name);
    }
}

/// A refresh event that the requirer observes anyway does not run the pass twice.
#[test]
fn a_refresh_on_its_own_relation_events_runs_once() {
    let ctx = context(|| {
        TlsRequirer::builder(ENDPOINT)
            .request(Mode::Unit, request("web.example.com"))
            .refresh_on(ops::event::EventKind::relation_changed(ENDPOINT))
            .refresh_on(ops::event::EventKind::UpdateStatus)
            .build()
            .unwrap()
    });
    let rel = relation();
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    assert_eq!(out.handlers_called(), ["tls/reconcile_changed"]);
    let out = ctx.run(ctx.on.update_status(), &out.state).unwrap();
    assert_eq!(out.handlers_called(), ["tls/reconcile_refresh"]);
    assert_eq!(
        out.tools_called(),
        [
            "relation-ids",
            "relation-list",
            "relation-get",
            "relation-get"
        ]
    );
}
