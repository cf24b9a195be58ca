//! Dispatch tests, split by behaviour; this file holds their shared fixture: the test charm
//! `T` (it records every call, defers or fails on demand) and the helpers that run it.

mod components;
mod deferral;
mod rollback;
mod sequence;
mod status;
mod store;

use std::collections::HashSet;

use super::*;
use crate::event::EventType;
use crate::framework::{HandlerError, HandlerResult};
use crate::hookcmds::{RecordingRunner, ToolCall};
use crate::store::DeferredEntry;
use crate::test_support::runners::dispatch_runner;

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct S {
    #[serde(default)]
    n: u32,
}

/// A test charm: records calls as `handler:kind[:re]#id`, defers or fails on demand.
#[derive(Default)]
struct T {
    log: Vec<String>,
    defer: HashSet<&'static str>,
    fail: Option<&'static str>,
    unit: Vec<Status>,
    app: Vec<Status>,
    seen: Vec<Event>,
}

impl T {
    fn step(
        &mut self,
        name: &'static str,
        ctx: &mut Ctx<T>,
        kind: EventKind,
        id: u64,
    ) -> Result<bool, HandlerError> {
        let re = if ctx.is_reemitted() { ":re" } else { "" };
        self.log.push(format!("{name}:{kind}{re}#{id}"));
        ctx.stored_mut().n += 1;
        if self.fail == Some(name) {
            let io = std::io::Error::other("disk full");
            return Err(HandlerError::from(io).context("cannot write config"));
        }
        Ok(self.defer.contains(name))
    }
}

macro_rules! h {
    ($name:literal) => {
        |c: &mut T, ctx: &mut Ctx<T>, ev: &mut _| -> HandlerResult {
            let (kind, id) = (ev.kind(), ev.event_id());
            if c.step($name, ctx, kind, id)? {
                ev.defer()?;
            }
            Ok(())
        }
    };
}

impl Charm for T {
    type Stored = S;
    fn observe(on: &mut Observers<Self>) {
        on.install("on_install", h!("on_install"));
        on.start("on_start", h!("on_start"));
        on.config_changed("on_config", h!("on_config"));
        on.update_status("on_update", h!("on_update"));
        on.relation_changed("db", "on_db", h!("on_db"));
        on.collect_metrics("on_metrics", h!("on_metrics"));
        on.many(
            "reconcile",
            [EventKind::ConfigChanged, EventKind::pebble_ready("web")],
            |c, ctx, ev| {
                if c.step("reconcile", ctx, ev.kind(), ev.event_id())? {
                    ev.defer()?;
                }
                Ok(())
            },
        );
        on.stop("on_stop", |c, ctx, ev| {
            c.step("on_stop", ctx, ev.kind(), ev.event_id())?;
            Ok(())
        });
        on.action("backup", "on_backup", |c, ctx, ev| {
            c.step("on_backup", ctx, ev.kind(), ev.event_id())?;
            c.seen.push(ev.clone().into_event());
            Ok(())
        });
        on.collect_app_status("collect_app", |c, ctx, ev| {
            c.step("collect_app", ctx, ev.kind(), ev.event_id())?;
            for s in c.app.clone() {
                ctx.add_app_status(s)?;
            }
            Ok(())
        });
        on.collect_unit_status("collect_unit", |c, ctx, ev| {
            c.step("collect_unit", ctx, ev.kind(), ev.event_id())?;
            for s in c.unit.clone() {
                ctx.add_unit_status(s)?;
            }
            Ok(())
        });
        on.pre_commit("pre_commit", |c, ctx, ev| {
            c.step("pre_commit", ctx, ev.kind(), ev.event_id())?;
            Ok(())
        });
        on.commit("commit", |c, ctx, ev| {
            c.step("commit", ctx, ev.kind(), ev.event_id())?;
            Ok(())
        });
    }
}

/// The runner of a dispatch test: `is-leader` answers `leader`, `action-get` a target.
fn runner(leader: bool) -> RecordingRunner {
    dispatch_runner(leader)
}

/// The context of the hook at `path`, with a `db` relation and a `backup` action set for
/// whichever hook needs them.
fn context(path: &str) -> JujuContext {
    crate::test_support::env::context(
        path,
        &[
            ("JUJU_RELATION", "db"),
            ("JUJU_RELATION_ID", "db:3"),
            ("JUJU_REMOTE_UNIT", "pg/0"),
            ("JUJU_ACTION_NAME", "backup"),
            ("JUJU_ACTION_UUID", "1"),
        ],
    )
}

fn run_with<C: Charm>(
    charm: &mut C,
    path: &str,
    store: &MemoryStore,
    leader: bool,
) -> (DispatchOutcome, RecordingRunner) {
    let r = runner(leader);
    let input = DispatchInput::new(context(path), Arc::new(r.clone()));
    (dispatch(charm, input, StoreSpec::Memory(store.clone())), r)
}

fn run(charm: &mut T, path: &str, store: &MemoryStore) -> (DispatchOutcome, RecordingRunner) {
    run_with(charm, path, store, false)
}

fn tools(r: &RecordingRunner) -> Vec<String> {
    r.lines()
        .into_iter()
        .filter(|l| !l.starts_with("juju-log"))
        .collect()
}

fn logs(r: &RecordingRunner, level: &str) -> Vec<String> {
    let prefix = format!("juju-log --log-level {level} -- ");
    r.lines()
        .into_iter()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
        // A batched message (the deferred queue's pass) holds one line per event.
        .flat_map(|m| m.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

fn queue_handlers(store: &MemoryStore) -> Vec<(u64, String, String)> {
    store
        .data()
        .queue
        .into_iter()
        .map(|e| {
            (
                e.seq,
                e.handler,
                EventKind::from_parts(&e.kind, e.source.as_deref())
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

fn deferring(names: &[&'static str]) -> T {
    T {
        defer: names.iter().copied().collect(),
        ..T::default()
    }
}
