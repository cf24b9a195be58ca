//! The Pebble fault matrix: every fault the simulated Pebble can inject, crossed with each
//! kind of call, against the real client and its retry loop: the async client, and the
//! blocking client (what charms use; its own blocking connection), which must behave alike.
//!
//! The expected outcome of every cell is the table in `docs/reliability.md` (between the
//! `fault-matrix` markers): the test computes the table from what really happens and fails if
//! the doc differs, so the doc cannot drift. After a deliberate change, regenerate it with
//! `OPS_RS_BLESS=1 cargo test -p pebble-client --all-features --test fault_matrix`.
//! Independently of the doc, every cell is checked against the retry rules: connection-phase
//! failures are retried for every call, post-send failures only for calls safe to repeat,
//! `maintenance` always, other API errors and protocol errors never.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use std::path::PathBuf;
use std::time::Duration;

use pebble_client::retry::{RecordingSleeper, RetryPolicy};
use pebble_client::testing::{Fault, FaultRule, Garbage, SimPebble};
use pebble_client::{AddNotice, ChangeId, Client, Error, PushOptions, blocking};

/// Attempts per call in the matrix (the first try plus two retries).
const ATTEMPTS: u32 = 3;
/// The client's request timeout in the stall rows (the stall is far longer).
const STALL_TIMEOUT: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SafeRead,
    SafeWrite,
    UnsafeWrite,
    LongPoll,
    FilePush,
    FilePull,
}

const KINDS: [Kind; 6] = [
    Kind::SafeRead,
    Kind::SafeWrite,
    Kind::UnsafeWrite,
    Kind::LongPoll,
    Kind::FilePush,
    Kind::FilePull,
];

impl Kind {
    fn header(self) -> &'static str {
        match self {
            Kind::SafeRead => "safe read (`get_services`)",
            Kind::SafeWrite => "safe write (`replan`)",
            Kind::UnsafeWrite => "unsafe write (`notify`)",
            Kind::LongPoll => "long poll (`wait_change`)",
            Kind::FilePush => "file push",
            Kind::FilePull => "file pull",
        }
    }

    fn idempotent(self) -> bool {
        self != Kind::UnsafeWrite
    }
}

#[derive(Debug, Clone)]
enum Injected {
    SocketAbsent,
    Refused,
    DropBeforeRead,
    ResetAfterRequest,
    Stall,
    Api(u16),
    Maintenance,
    MaintenanceError,
    Garbage(Garbage),
}

fn rows() -> Vec<(&'static str, Injected)> {
    vec![
        ("socket absent", Injected::SocketAbsent),
        ("connection refused", Injected::Refused),
        (
            "connection closed before the request is read",
            Injected::DropBeforeRead,
        ),
        ("reset after the request", Injected::ResetAfterRequest),
        ("stall past the timeout", Injected::Stall),
        ("error 400", Injected::Api(400)),
        ("error 401", Injected::Api(401)),
        ("error 404", Injected::Api(404)),
        ("error 500", Injected::Api(500)),
        (
            "`maintenance` (daemon restart) on a success",
            Injected::Maintenance,
        ),
        (
            "error 500 `daemon-restart` with `maintenance`",
            Injected::MaintenanceError,
        ),
        ("non-JSON body", Injected::Garbage(Garbage::NotJson)),
        ("truncated body", Injected::Garbage(Garbage::Truncated)),
        (
            "wrong content type",
            Injected::Garbage(Garbage::WrongContentType),
        ),
    ]
}

/// A short, stable name for an outcome.
fn describe(result: &Result<(), Error>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => match e {
            Error::SocketNotFound { .. } => "SocketNotFound".into(),
            Error::ConnectionRefused { .. } => "ConnectionRefused".into(),
            Error::Connect { .. } => "Connect".into(),
            Error::ConnectionReset { sent, .. } => format!("ConnectionReset(sent: {sent})"),
            Error::Timeout { phase, .. } => format!("Timeout({phase:?})"),
            Error::Api(a) => match (a.kind.as_deref(), e.is_maintenance()) {
                (_, true) => format!("Api({}, maintenance)", a.status_code),
                (Some(k), _) => format!("Api({}, {k})", a.status_code),
                (None, _) => format!("Api({})", a.status_code),
            },
            Error::Protocol { .. } => "Protocol".into(),
            Error::Path(_) => "Path".into(),
            Error::Change(_) => "Change".into(),
            other => format!("other: {other}"),
        },
    }
}

struct Cell {
    attempts: usize,
    outcome: String,
    result_retryable_class: Class,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Connect,
    PostSend,
    Maintenance,
    Final,
    Ok,
}

fn class(result: &Result<(), Error>) -> Class {
    match result {
        Ok(()) => Class::Ok,
        Err(e) if e.is_maintenance() => Class::Maintenance,
        Err(
            Error::SocketNotFound { .. }
            | Error::ConnectionRefused { .. }
            | Error::ConnectionReset { sent: false, .. },
        ) => Class::Connect,
        Err(Error::Timeout { phase, .. }) if format!("{phase:?}") == "Connect" => Class::Connect,
        Err(Error::ConnectionReset { sent: true, .. } | Error::Timeout { .. }) => Class::PostSend,
        Err(_) => Class::Final,
    }
}

fn socket() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pebble.socket");
    (dir, p)
}

/// Which client runs the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Async,
    Blocking,
}

/// One call of `kind` on the client of `flavour`.
fn call(
    flavour: Flavour,
    path: &PathBuf,
    timeout: Duration,
    policy: RetryPolicy,
    kind: Kind,
    change: &ChangeId,
) -> Result<(), Error> {
    match flavour {
        Flavour::Blocking => {
            let client = blocking::Client::builder(path)
                .retry(policy)
                .timeout(timeout)
                .build()
                .unwrap();
            match kind {
                Kind::SafeRead => client.get_services(&[]).map(drop),
                Kind::SafeWrite => client.replan_services().map(drop),
                Kind::UnsafeWrite => client
                    .notify(&AddNotice::new("example.com/matrix"))
                    .map(drop),
                Kind::LongPoll => client
                    .wait_change(change, Duration::from_millis(50))
                    .map(drop),
                Kind::FilePush => client.push("/etc/new.conf", "x", &PushOptions::default()),
                Kind::FilePull => client.pull("/etc/app.conf").map(drop),
            }
        }
        Flavour::Async => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let client = Client::builder(path)
                .retry(policy)
                .timeout(timeout)
                .build()
                .unwrap();
            rt.block_on(async {
                match kind {
                    Kind::SafeRead => client.get_services(&[]).await.map(drop),
                    Kind::SafeWrite => client.replan_services().await.map(drop),
                    Kind::UnsafeWrite => client
                        .notify(&AddNotice::new("example.com/matrix"))
                        .await
                        .map(drop),
                    Kind::LongPoll => client
                        .wait_change(change, Duration::from_millis(50))
                        .await
                        .map(drop),
                    Kind::FilePush => {
                        client
                            .push("/etc/new.conf", "x", &PushOptions::default())
                            .await
                    }
                    Kind::FilePull => client.pull("/etc/app.conf").await.map(drop),
                }
            })
        }
    }
}

fn run_cell(flavour: Flavour, kind: Kind, fault: &Injected) -> Cell {
    let (_dir, path) = socket();
    let sim = SimPebble::start(&path).unwrap();
    sim.add_layer(
        "base",
        "services:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\n",
    )
    .unwrap();
    // Setup calls, before any fault: a change to wait on, a file to pull.
    let setup = blocking::Client::builder(&path)
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let change: ChangeId = setup.replan_services().unwrap();
    setup
        .push(
            "/etc/app.conf",
            "port: 80\n",
            &PushOptions::default().make_dirs(true),
        )
        .unwrap();

    let sleeper = RecordingSleeper::new();
    let policy = RetryPolicy::default()
        .max_attempts(ATTEMPTS)
        .deadline(Duration::from_secs(3600))
        .sleeper(sleeper.clone())
        .clock(sleeper.clock());
    let timeout = if matches!(fault, Injected::Stall) {
        STALL_TIMEOUT
    } else {
        Duration::from_secs(30)
    };
    let wait_path = format!("/v1/changes/{}/wait", change.as_str());
    let target: &str = match kind {
        Kind::SafeRead | Kind::SafeWrite => "/v1/services",
        Kind::UnsafeWrite => "/v1/notices",
        Kind::LongPoll => &wait_path,
        Kind::FilePush | Kind::FilePull => "/v1/files",
    };
    let rule = |f: Fault| FaultRule::new(f).path(target);
    match fault {
        Injected::SocketAbsent => sim.remove_socket(None),
        Injected::Refused => sim.refuse_connections(None),
        Injected::DropBeforeRead => sim.drop_connections(1000),
        Injected::ResetAfterRequest => sim.inject(rule(Fault::Reset)),
        Injected::Stall => sim.inject(rule(Fault::Delay(Duration::from_secs(5)))),
        Injected::Api(code) => sim.inject(rule(Fault::error(*code, "injected"))),
        Injected::Maintenance => sim.inject(rule(Fault::daemon_restart())),
        Injected::MaintenanceError => {
            sim.inject(rule(Fault::daemon_restart()));
            sim.inject(rule(Fault::error_kind(
                500,
                "daemon-restart",
                "daemon is restarting",
            )));
        }
        Injected::Garbage(g) => sim.inject(rule(Fault::Garbage(*g))),
    }
    let notices_before = sim.notices().len();
    let result = call(flavour, &path, timeout, policy, kind, &change);
    let attempts = sleeper.waits().len() + 1;
    // An unsafe call that reached Pebble is never repeated: at most one notice occurrence.
    if kind == Kind::UnsafeWrite {
        let occurrences: u64 = sim
            .notices()
            .iter()
            .filter(|n| n.key == "example.com/matrix")
            .map(|n| n.occurrences)
            .sum();
        assert!(
            occurrences <= 1,
            "{fault:?}: notify applied {occurrences} times (before: {notices_before} notices)"
        );
    }
    sim.shutdown();
    Cell {
        attempts,
        outcome: describe(&result),
        result_retryable_class: class(&result),
    }
}

fn cell_text(c: &Cell) -> String {
    if c.attempts > 1 {
        format!("retried, {} attempts: `{}`", c.attempts, c.outcome)
    } else {
        format!("not retried: `{}`", c.outcome)
    }
}

const START: &str =
    "<!-- fault-matrix:start (generated by pebble-client/tests/fault_matrix.rs) -->";
const END: &str = "<!-- fault-matrix:end -->";

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/reliability.md")
}

#[test]
fn every_fault_for_every_kind_of_call_async() {
    every_fault_for_every_kind_of_call(Flavour::Async);
}

#[test]
fn every_fault_for_every_kind_of_call_blocking() {
    every_fault_for_every_kind_of_call(Flavour::Blocking);
}

/// Builds the table from what happens with `flavour`'s client and checks it against the doc
/// (blessing the doc from the async run only, so both must agree with one table).
fn every_fault_for_every_kind_of_call(flavour: Flavour) {
    pebble_client::retry::set_sleep_enabled(false);
    let mut table = String::new();
    table.push_str("| fault | ");
    table.push_str(&KINDS.map(Kind::header).join(" | "));
    table.push_str(" |\n|---|");
    table.push_str(&"---|".repeat(KINDS.len()));
    table.push('\n');
    let mut cells = 0;
    for (name, fault) in rows() {
        let mut line = format!("| {name} |");
        for kind in KINDS {
            let c = run_cell(flavour, kind, &fault);
            cells += 1;
            // The retry rules, independent of the doc.
            let should_retry = match c.result_retryable_class {
                Class::Connect | Class::Maintenance => true,
                Class::PostSend => kind.idempotent(),
                Class::Final | Class::Ok => false,
            };
            // The loop stops at the first failure it must not retry; earlier attempts of a
            // racing row may have failed retryably.
            let stopped_early = !should_retry
                && matches!(fault, Injected::DropBeforeRead)
                && c.result_retryable_class == Class::PostSend;
            let expected_attempts = if should_retry { ATTEMPTS as usize } else { 1 };
            assert!(
                c.attempts == expected_attempts
                    || (stopped_early && c.attempts <= ATTEMPTS as usize),
                "{flavour:?}: {name} × {kind:?}: {} after {} attempts",
                c.outcome,
                c.attempts
            );
            // Closing a fresh connection races with the client writing its request: if the
            // write won, the client cannot know the request was not read, and treats it as
            // possibly applied (as "reset after the request"). Both are checked above; the
            // doc states the rule.
            let text = if matches!(fault, Injected::DropBeforeRead) {
                "retried, 3 attempts: `ConnectionReset(sent: false)`; if the request was already written: as reset after the request".to_owned()
            } else {
                cell_text(&c)
            };
            line.push_str(&format!(" {text} |"));
        }
        table.push_str(&line);
        table.push('\n');
    }
    eprintln!("fault matrix ({flavour:?} client): {cells} cells\n{table}");
    let doc = std::fs::read_to_string(doc_path()).unwrap_or_default();
    let generated = format!("{START}\n{table}{END}");
    let current = doc
        .find(START)
        .and_then(|s| doc[s..].find(END).map(|e| &doc[s..s + e + END.len()]));
    if std::env::var_os("OPS_RS_BLESS").is_some() && flavour == Flavour::Async {
        let new = match current {
            Some(old) => doc.replacen(old, &generated, 1),
            None => format!("{doc}\n{generated}\n"),
        };
        std::fs::write(doc_path(), new).unwrap();
        return;
    }
    if current != Some(generated.as_str()) {
        let differing = differing_cells(current.unwrap_or(""), &generated);
        panic!(
            "docs/reliability.md's fault matrix differs from what happened with the {flavour:?} client in {} cell(s):\n{}\n\
             (if the change is deliberate, rerun with OPS_RS_BLESS=1 and review the diff)",
            differing.len(),
            differing.join("\n")
        );
    }
}

/// The rows of a generated or documented table, by fault name, each with its cells.
fn table_rows(table: &str) -> Vec<(String, Vec<String>)> {
    table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| fault |"))
        .map(|l| {
            let mut cells = l
                .trim_start_matches('|')
                .trim_end_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned());
            let name = cells.next().unwrap_or_default();
            (name, cells.collect())
        })
        .collect()
}

/// One line per cell that differs between the doc's table and the generated one, naming the
/// fault and the kind of call, e.g. `connection refused × file push: doc \`...\`, got \`...\``.
fn differing_cells(doc: &str, generated: &str) -> Vec<String> {
    let doc_rows = table_rows(doc);
    let mut out = Vec::new();
    for (name, cells) in table_rows(generated) {
        let Some((_, doc_cells)) = doc_rows.iter().find(|(n, _)| *n == name) else {
            out.push(format!("{name}: row missing from the doc"));
            continue;
        };
        for (i, got) in cells.iter().enumerate() {
            let kind = KINDS.get(i).map_or("?", |k| k.header());
            match doc_cells.get(i) {
                Some(want) if want == got => {}
                Some(want) => out.push(format!("{name} × {kind}: doc says {want}, got {got}")),
                None => out.push(format!("{name} × {kind}: missing from the doc, got {got}")),
            }
        }
    }
    if out.is_empty() {
        out.push("(no cell differs: the header, row order or markers do)".to_owned());
    }
    out
}
