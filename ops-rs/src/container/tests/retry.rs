//! Retry policies in a dispatch: precedence (charm < container < call), a transient outage
//! within the budget, an outage beyond it, and the retries reaching `juju-log`.

use pebble_client::retry::RetryPolicy;

use pebble_client::testing::{Fault, FaultRule};

use super::dispatch::run_hook;
use super::{LAYER, recorded, sim_in};
use crate::container::PebbleOptions;
use crate::framework::{Charm, Ctx, HandlerResult, Observers};
use crate::hookcmds::RecordingRunner;
use crate::prelude::{ConfigChanged, Status};

/// Lists services; defers with a waiting status when Pebble is unreachable.
#[derive(Default)]
struct Patient {
    outcome: Option<String>,
}

impl Patient {
    fn reconcile(&mut self, ctx: &mut Ctx<Self>, ev: &mut ConfigChanged) -> HandlerResult {
        let web = ctx.container("web")?;
        match web.get_services(&[]) {
            Ok(s) => self.outcome = Some(format!("ok {}", s.len())),
            Err(e) if e.is_unreachable() => {
                ctx.add_unit_status(Status::waiting("waiting for Pebble"))?;
                ev.defer()?;
                self.outcome = Some("deferred".into());
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

impl Charm for Patient {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.config_changed("reconcile", Self::reconcile);
    }
}

/// The `juju-log` lines about Pebble retries.
fn retry_lines(r: &RecordingRunner) -> Vec<String> {
    r.lines()
        .into_iter()
        .filter(|l| l.contains("Pebble call"))
        .collect()
}

#[test]
fn a_transient_outage_within_the_budget_succeeds_and_the_retries_are_logged() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    // Two resets in a row (deterministic, unlike dropped connections, which the transport
    // may absorb by reconnecting before it sends anything).
    sim.inject(FaultRule::new(Fault::Reset).path("/v1/services").times(2));
    let (policy, sleeper) = recorded(6);
    let mut charm = Patient::default();
    let (out, runner, store) = run_hook(
        &mut charm,
        dir.path(),
        "config-changed",
        &[],
        true,
        PebbleOptions::default().retry(policy),
    );
    out.result.unwrap();
    assert_eq!(charm.outcome.as_deref(), Some("ok 2"));
    assert_eq!(sleeper.waits().len(), 2);
    assert!(store.data().queue.is_empty());
    assert_eq!(sim.requests("/v1/services"), 3);
    let lines = retry_lines(&runner);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with(&format!(
                "juju-log --log-level WARNING -- Pebble call failed; retrying call=get-services attempt={} wait=",
                i + 1
            )),
            "{line}"
        );
        assert!(
            line.contains(" cause=connection to Pebble was reset"),
            "{line}"
        );
    }
}

#[test]
fn an_outage_beyond_the_budget_is_unreachable_and_the_give_up_is_logged() {
    // No Pebble at all: the socket is missing (the container restarted, or is not up yet).
    let dir = tempfile::tempdir().unwrap();
    let (policy, sleeper) = recorded(3);
    let mut charm = Patient::default();
    let (out, runner, store) = run_hook(
        &mut charm,
        dir.path(),
        "config-changed",
        &[],
        true,
        PebbleOptions::default().retry(policy),
    );
    out.result.unwrap();
    assert_eq!(charm.outcome.as_deref(), Some("deferred"));
    assert_eq!(sleeper.waits().len(), 2);
    assert_eq!(store.data().queue.len(), 1);
    let lines = retry_lines(&runner);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].contains("attempt=1"), "{}", lines[0]);
    assert!(lines[1].contains("attempt=2"), "{}", lines[1]);
    assert!(
        lines[2].starts_with(
            "juju-log --log-level WARNING -- giving up on Pebble call call=get-services attempts=3 why=no attempts left cause=cannot connect to Pebble: socket not found at "
        ),
        "{}",
        lines[2]
    );
    assert!(
        runner
            .lines()
            .contains(&"status-set --application=false waiting -- waiting for Pebble".to_owned())
    );
}

/// Makes one failing call at each level of the retry policy.
struct Precedence {
    call: RetryPolicy,
    raw_call: RetryPolicy,
}

impl Precedence {
    fn handler(&mut self, ctx: &mut Ctx<Self>) -> HandlerResult {
        assert!(ctx.container("db")?.get_plan().is_err()); // charm-wide policy
        let web = ctx.container("web")?;
        assert!(web.get_plan().is_err()); // the container's policy
        assert!(web.with_retry(self.call.clone()).get_plan().is_err()); // the call's policy
        assert!(
            web.pebble()
                .with_retry(self.raw_call.clone())
                .system_info()
                .is_err()
        );
        assert_eq!(ctx.pebble_options().policy_for("web").get_max_attempts(), 3);
        Ok(())
    }
}

impl Charm for Precedence {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.config_changed("handler", |c, ctx, _ev| c.handler(ctx));
    }
}

#[test]
fn the_most_specific_policy_wins_call_over_container_over_charm() {
    let dir = tempfile::tempdir().unwrap(); // no sockets: every attempt fails
    let (charm_policy, charm_sleeper) = recorded(2);
    let (container_policy, container_sleeper) = recorded(3);
    let (call_policy, call_sleeper) = recorded(4);
    let (raw_policy, raw_sleeper) = recorded(5);
    let mut charm = Precedence {
        call: call_policy,
        raw_call: raw_policy,
    };
    let options = PebbleOptions::default()
        .retry(charm_policy)
        .container_retry("web", container_policy);
    let (out, runner, _s) = run_hook(&mut charm, dir.path(), "config-changed", &[], true, options);
    out.result.unwrap();
    assert_eq!(charm_sleeper.waits().len(), 1);
    assert_eq!(container_sleeper.waits().len(), 2);
    assert_eq!(call_sleeper.waits().len(), 3);
    assert_eq!(raw_sleeper.waits().len(), 4);
    let lines = retry_lines(&runner);
    assert_eq!(lines.iter().filter(|l| l.contains("retrying")).count(), 10);
    assert_eq!(lines.iter().filter(|l| l.contains("giving up")).count(), 4);
}
