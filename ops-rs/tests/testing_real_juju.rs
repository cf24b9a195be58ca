//! What real Juju does that a naive model gets wrong, through the testing API (charm, model,
//! in-memory Juju together): `secret-set` on Juju 3.4 and 3.5, port ranges on Kubernetes,
//! `status-get --application`'s shape, leadership after Juju's 30-second guarantee, and what
//! a relation tool's failure means.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ops::metadata::CharmMeta;
use ops::model::{ModelError, ModelType, Port, SecretContent, SecretMetadata, StatusTarget};
use ops::prelude::*;
use ops::resilience::ManualClock;
use ops::testing::juju::{Network, RelationState, SecretOwnership, SecretState};
use ops::testing::{Context, State};

const META: &str = r#"
name: app
containers:
  web:
    resource: img
resources:
  img:
    type: oci-image
requires:
  db:
    interface: pg
"#;

fn meta() -> CharmMeta {
    CharmMeta::from_charmcraft_yaml(META).unwrap()
}

#[derive(Default, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Seen {
    #[serde(default)]
    lines: Vec<String>,
}

fn lines(state: &State) -> Vec<String> {
    state.stored_as::<Seen>().unwrap().lines
}

/// The hook-tool calls but `juju-log`.
fn tools(out: &ops::testing::Output) -> Vec<String> {
    out.tool_lines()
        .into_iter()
        .filter(|l| !l.starts_with("juju-log"))
        .collect()
}

// --- Row 3: secret-set on Juju 3.4 and 3.5 -------------------------------------------------

const SECRET_ID: &str = "secret:cr0ahn1dqe3k7mqmsc2g";

/// Sets a secret's content, then its description, in one hook: two `secret-set` calls.
#[derive(Default)]
struct Rotator;

impl Charm for Rotator {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.update_status("rotate", |_c, ctx, _ev| {
            let mut secret = ctx.model().get_secret_by_label("db")?;
            secret.set_content(&SecretContent::from_pairs([("password", "new")]))?;
            secret.set_info(&SecretMetadata::default().description("rotated"))?;
            Ok(())
        });
    }
}

fn with_secret() -> State {
    let mut secret = SecretState::new(SECRET_ID, SecretOwnership::Unit, [("password", "old")])
        .label("db")
        .description("the db password");
    secret.rotate = Some("daily".into());
    secret.expire = Some("2030-01-01T00:00:00Z".into());
    State::new().secret(secret)
}

/// Before Juju 3.6 the second `secret-set` replaces the first (and, before 3.5.5 / 3.5,
/// resets what it leaves out): the model resends everything, so content, description and
/// the metadata the charm did not touch all survive on every version.
#[test]
fn secret_content_and_info_in_one_hook_survive_on_every_juju() {
    for version in ["3.4.6", "3.5.4", "3.5.5", "3.6.0", "3.6.4"] {
        let ctx = Context::<Rotator>::new(meta()).juju_version(version);
        let out = ctx.run(ctx.on.update_status(), &with_secret()).unwrap();
        let secret = out.state.secret_by_id(SECRET_ID).unwrap();
        let latest = secret.latest().unwrap();
        assert_eq!(latest.content["password"], "new", "Juju {version}");
        assert_eq!(
            secret.description.as_deref(),
            Some("rotated"),
            "Juju {version}"
        );
        assert_eq!(secret.label.as_deref(), Some("db"), "Juju {version}");
        assert_eq!(secret.rotate.as_deref(), Some("daily"), "Juju {version}");
        assert_eq!(
            secret.expire.as_deref(),
            Some("2030-01-01T00:00:00Z"),
            "Juju {version}"
        );
        let sets = out
            .tool_calls
            .iter()
            .filter(|c| c.tool == "secret-set")
            .count();
        assert_eq!(sets, 2, "Juju {version}");
        // Juju 3.6 merges the two calls into one new revision; before, the last call (which
        // carries the content again) makes it.
        assert_eq!(secret.revisions.len(), 2, "Juju {version}");
    }
}

/// On Juju 3.6 each call sends only what it changes.
#[test]
fn secret_set_on_36_sends_only_the_change() {
    let ctx = Context::<Rotator>::new(meta()).juju_version("3.6.4");
    let out = ctx.run(ctx.on.update_status(), &with_secret()).unwrap();
    let lines = tools(&out);
    let xid = SECRET_ID.trim_start_matches("secret:");
    assert!(
        lines
            .iter()
            .any(|l| l == &format!("secret-set --description rotated --owner application {xid}")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("--peek")), "{lines:#?}");
}

/// A bad `Context::juju_version` is refused, not guessed at.
#[test]
fn a_bad_juju_version_is_refused() {
    let ctx = Context::<Rotator>::new(meta()).juju_version("three.six");
    let e = ctx.run(ctx.on.update_status(), &with_secret()).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"three.six\" is not a Juju version"),
        "{e}"
    );
}

// --- Row 7: port ranges on Kubernetes --------------------------------------------------------

#[derive(Default)]
struct Ports;

impl Charm for Ports {
    type Stored = Seen;
    fn observe(on: &mut Observers<Self>) {
        on.update_status("ports", |_c, ctx, _ev| {
            let line = match ctx.model().open_port(Port::tcp_range(8000, 8099)) {
                Ok(()) => "opened".to_owned(),
                Err(e @ ModelError::Unsupported { .. }) => format!("unsupported: {e}"),
                Err(e) => format!("other: {e}"),
            };
            ctx.stored_mut().lines.push(line);
            ctx.model().open_port(Port::tcp(8000))?;
            Ok(())
        });
    }
}

/// Juju refuses port ranges on Kubernetes: the model refuses up front with Juju's reason, and
/// no `open-port` of the range runs.
#[test]
fn port_range_refused_on_kubernetes() {
    let ctx = Context::<Ports>::new(meta());
    let out = ctx.run(ctx.on.update_status(), &State::new()).unwrap();
    let seen = lines(&out.state);
    assert!(
        seen[0].starts_with("unsupported: cannot open port range 8000-8099/tcp: port ranges are not supported for k8s applications, please specify a single port"),
        "{seen:?}"
    );
    assert_eq!(tools(&out), ["open-port 8000/tcp"]);
    assert_eq!(out.state.juju.opened_ports.len(), 1);
}

/// On machines the range is Juju's to open.
#[test]
fn port_range_opened_on_machines() {
    let ctx = Context::<Ports>::new(CharmMeta::from_charmcraft_yaml("name: app").unwrap());
    let mut state = State::new();
    state.juju.model.model_type = ModelType::Machine;
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(lines(&out.state), ["opened"]);
    assert_eq!(
        tools(&out),
        ["open-port 8000-8099/tcp", "open-port 8000/tcp"]
    );
}

// --- Row 8: status-get --application ----------------------------------------------------------

#[derive(Default)]
struct Statuses;

impl Charm for Statuses {
    type Stored = Seen;
    fn observe(on: &mut Observers<Self>) {
        on.update_status("look", |_c, ctx, _ev| {
            let app = ctx.model().status(StatusTarget::App)?;
            let units = ctx.model().unit_statuses()?;
            let mut seen = vec![format!("app {app}")];
            seen.extend(units.iter().map(|(u, s)| format!("{u} {s}")));
            ctx.stored_mut().lines = seen;
            Ok(())
        });
    }
}

/// The leader reads the application's status and its units' from Juju's answer, which nests
/// the units inside the application's status.
#[test]
fn leader_reads_the_units_statuses() {
    let ctx = Context::<Statuses>::new(meta());
    let mut state = State::new()
        .leader(true)
        .unit_status(Status::active("serving"))
        .app_status(Status::blocked("need db"));
    state
        .juju
        .other_unit_statuses
        .insert("app/1".into(), Status::waiting("starting"));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(
        lines(&out.state),
        [
            "app blocked: need db",
            "app/0 active: serving",
            "app/1 waiting: starting"
        ]
    );
}

// --- Row 9: leadership after Juju's 30-second guarantee ---------------------------------------

/// Asks `is-leader`, waits past the lease on the test's clock, asks again.
struct LongHook {
    clock: ManualClock,
    wait: Duration,
}

impl Charm for LongHook {
    type Stored = Seen;
    fn observe(on: &mut Observers<Self>) {
        on.update_status("long", |c, ctx, _ev| {
            let first = ctx.model().is_leader()?;
            c.clock.advance(c.wait);
            let second = ctx.model().is_leader()?;
            ctx.stored_mut().lines = vec![format!("{first} {second}")];
            Ok(())
        });
    }
}

fn long_hook(wait: Duration) -> (Context<LongHook>, State) {
    let clock = ManualClock::new();
    let charm_clock = clock.clone();
    let ctx = Context::with_factory(meta(), move || LongHook {
        clock: charm_clock.clone(),
        wait,
    })
    .clock(Arc::new(clock));
    // Leadership lapses after one more true answer.
    let mut state = State::new().leader(true);
    state.juju.leadership_lost_after = Some(1);
    (ctx, state)
}

/// After 30 s the model asks again and sees leadership lost; within them it trusts the
/// answer Juju guaranteed.
#[test]
fn leadership_is_asked_again_after_30_seconds() {
    let (ctx, state) = long_hook(Duration::from_secs(31));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(lines(&out.state), ["true false"]);
    let asked = out
        .tool_calls
        .iter()
        .filter(|c| c.tool == "is-leader")
        .count();
    assert_eq!(asked, 2);
    assert!(!out.state.juju.leader);

    let (ctx, state) = long_hook(Duration::from_secs(29));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(lines(&out.state), ["true true"]);
    let asked = out
        .tool_calls
        .iter()
        .filter(|c| c.tool == "is-leader")
        .count();
    assert_eq!(asked, 1);
}

// --- Row 12: what a relation tool's failure means ----------------------------------------------

#[derive(Default)]
struct Relations;

impl Charm for Relations {
    type Stored = Seen;
    fn observe(on: &mut Observers<Self>) {
        on.update_status("look", |_c, ctx, _ev| {
            let model = ctx.model();
            // A relation Juju no longer knows: the endpoint's own addresses.
            let gone = model.relation("db", 9);
            let net = model.relation_network(&gone)?;
            let mut seen = vec![format!("network {:?}", net.ingress_address())];
            // Reading a unit that is not in the relation: Juju says permission denied, which
            // is a refusal, not a missing relation.
            let stranger = model.relation("db", 3).unit_data("pg/7").get_all();
            seen.push(match stranger {
                Err(ModelError::PermissionDenied { .. }) => "denied".to_owned(),
                Err(e) if e.is_relation_not_found() => "relation not found".to_owned(),
                other => format!("{other:?}"),
            });
            // And a gone relation's units: relation not found.
            let e = gone.units().unwrap_err();
            seen.push(format!("units {}", e.is_relation_not_found()));
            ctx.stored_mut().lines = seen;
            Ok(())
        });
    }
}

#[test]
fn relation_failures_mean_what_juju_says() {
    let ctx = Context::<Relations>::new(meta());
    let mut state = State::new()
        .relation(RelationState::new(3, "db", "pg").remote_unit("pg/0", [("host", "10.0.0.1")]));
    state
        .juju
        .networks
        .insert("db".into(), Network::with_address("10.1.2.3"));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(
        lines(&out.state),
        ["network Some(\"10.1.2.3\")", "denied", "units true"]
    );
    let lines = out.tool_lines();
    assert!(
        lines.contains(&"network-get --format=json -r 9 db".to_owned())
            && lines.contains(&"network-get --format=json db".to_owned()),
        "{lines:#?}"
    );
}

/// Sets the content twice, then the same content as before the hook.
#[derive(Default)]
struct TwiceSet;

impl Charm for TwiceSet {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.update_status("twice", |_c, ctx, _ev| {
            let mut secret = ctx.model().get_secret_by_label("db")?;
            secret.set_content(&SecretContent::from_pairs([("password", "one")]))?;
            secret.set_content(&SecretContent::from_pairs([("password", "two")]))?;
            Ok(())
        });
        on.config_changed("same", |_c, ctx, _ev| {
            let mut secret = ctx.model().get_secret_by_label("db")?;
            secret.set_content(&SecretContent::from_pairs([("password", "old")]))?;
            Ok(())
        });
    }
}

/// Juju 3.6 merges a hook's `secret-set` calls into one new revision, and adds none for
/// content equal to the latest revision's; before 3.6 the hook's last call alone counts,
/// and identical content makes a revision.
#[test]
fn secret_revisions_per_hook_follow_the_juju_version() {
    for (version, revisions, same_content_revisions) in [("3.6.4", 2, 1), ("3.5.5", 2, 2)] {
        let ctx = Context::<TwiceSet>::new(meta()).juju_version(version);
        let out = ctx.run(ctx.on.update_status(), &with_secret()).unwrap();
        let secret = out.state.secret_by_id(SECRET_ID).unwrap();
        assert_eq!(secret.revisions.len(), revisions, "Juju {version}");
        assert_eq!(
            secret.latest().unwrap().content["password"],
            "two",
            "Juju {version}"
        );
        let out = ctx.run(ctx.on.config_changed(), &with_secret()).unwrap();
        let secret = out.state.secret_by_id(SECRET_ID).unwrap();
        assert_eq!(
            secret.revisions.len(),
            same_content_revisions,
            "Juju {version}"
        );
    }
}
