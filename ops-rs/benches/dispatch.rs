//! The framework's in-process costs, with the charm's own work taken out: one dispatch
//! against the in-memory Juju and Pebble (`ops::testing`), the same with eight idle
//! components, re-emitting a deferred queue of
//! 1,000 events, the SQLite state store's commit (and its open-load when nothing changed), and
//! collect-status's evaluation.
//!
//! `cargo bench -p ops-rs --features testing --bench dispatch` (`benchmarks/compare` runs it
//! and puts the figures in its report).

// Benchmark setup: a failure aborts the benchmark, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::store::{SqliteStore, Store, StoreData};
use ops::testing::{ContainerState as TestContainer, Context, State};
use serde::{Deserialize, Serialize};

fn main() {
    divan::main();
}

const META: &str = "name: bench
containers:
  web: {resource: img}
config:
  options:
    port: {type: int, default: 8080}
";

/// A charm whose handlers do almost nothing: what is measured is the framework.
#[derive(Debug, Default)]
struct Bench;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    configured: u64,
    notices: u64,
}

impl Charm for Bench {
    type Stored = Stored;

    fn observe(on: &mut Observers<Self>) {
        on.config_changed("on_config", |_, ctx, _| {
            ctx.stored_mut().configured += 1;
            Ok(())
        });
        on.pebble_custom_notice("web", "on_notice", |_, ctx, _| {
            ctx.stored_mut().notices += 1;
            Ok(())
        });
        on.collect_unit_status("collect_unit_status", |_, ctx, _| {
            ctx.add_unit_status(Status::active("ready"))?;
            Ok(())
        });
    }
}

fn ctx() -> Context<Bench> {
    Context::new(CharmMeta::from_charmcraft_yaml(META).unwrap())
}

fn state() -> State {
    State::new()
        .leader(true)
        .container(TestContainer::new("web"))
}

/// One config-changed: load the state, emit to one handler, collect-status, commit.
#[divan::bench]
fn dispatch_one_event(b: divan::Bencher) {
    let ctx = ctx();
    let state = state();
    b.bench_local(|| ctx.run(ctx.on.config_changed(), &state).unwrap());
}

/// A library component whose events do not fire in the benchmark (it observes its own
/// relation endpoint and collect-status would only read its state if it ran).
#[derive(Debug, Default)]
struct Idle {
    endpoint: &'static str,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IdleStored {
    seen: Vec<String>,
}

impl<C: Charm> ops::framework::Component<C> for Idle {
    type Stored = IdleStored;
    fn observe(&self, on: &mut ops::framework::ComponentObservers<'_, C, Self>) {
        on.relation_changed(self.endpoint, "on_changed", |_, ctx, ev| {
            ctx.stored_mut()?.seen.push(ev.endpoint.clone());
            Ok(())
        });
    }
}

/// [`Bench`] plus eight idle components, each with stored state saved by earlier hooks.
#[derive(Debug)]
struct BenchWithIdle {
    idle: [Idle; 8],
}

impl Default for BenchWithIdle {
    fn default() -> Self {
        const ENDPOINTS: [&str; 8] = ["db0", "db1", "db2", "db3", "db4", "db5", "db6", "db7"];
        BenchWithIdle {
            idle: ENDPOINTS.map(|endpoint| Idle { endpoint }),
        }
    }
}

impl Charm for BenchWithIdle {
    type Stored = Stored;

    fn observe(on: &mut Observers<Self>) {
        on.config_changed("on_config", |_, ctx, _| {
            ctx.stored_mut().configured += 1;
            Ok(())
        });
        on.component("idle0", |c: &mut Self| &mut c.idle[0]);
        on.component("idle1", |c: &mut Self| &mut c.idle[1]);
        on.component("idle2", |c: &mut Self| &mut c.idle[2]);
        on.component("idle3", |c: &mut Self| &mut c.idle[3]);
        on.component("idle4", |c: &mut Self| &mut c.idle[4]);
        on.component("idle5", |c: &mut Self| &mut c.idle[5]);
        on.component("idle6", |c: &mut Self| &mut c.idle[6]);
        on.component("idle7", |c: &mut Self| &mut c.idle[7]);
        on.collect_unit_status("collect_unit_status", |_, ctx, _| {
            ctx.add_unit_status(Status::active("ready"))?;
            Ok(())
        });
    }
}

/// The same config-changed as [`dispatch_one_event`], in a charm with eight components whose
/// events do not fire: their handlers are registered, and (with `stored`) each has a state
/// saved by earlier hooks, loaded as JSON in the dispatch's one store read and never decoded.
/// Compare with `dispatch_one_event`. With `stored`, the figure also holds what only the
/// testing API does: it copies the eight states from the test's `State` into a fresh store
/// and back into the output on every run.
#[divan::bench]
fn dispatch_one_event_with_idle_components(b: divan::Bencher) {
    idle_components(b, false);
}

/// [`dispatch_one_event_with_idle_components`], each component with a stored state.
#[divan::bench]
fn dispatch_one_event_with_idle_components_stored(b: divan::Bencher) {
    idle_components(b, true);
}

fn idle_components(b: divan::Bencher, stored: bool) {
    let meta = format!(
        "{META}requires:\n{}",
        (0..8)
            .map(|i| format!("  db{i}: {{interface: pg}}\n"))
            .collect::<String>()
    );
    let ctx = Context::<BenchWithIdle>::new(CharmMeta::from_charmcraft_yaml(&meta).unwrap());
    let mut state = state();
    if stored {
        for i in 0..8 {
            let seen = IdleStored {
                seen: vec![format!("db{i}"); 20],
            };
            state = state.component_stored(&format!("idle{i}"), &seen).unwrap();
        }
    }
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        out.tool_calls.len(),
        ctx.run(ctx.on.config_changed(), &self::state())
            .unwrap()
            .tool_calls
            .len(),
        "idle components make no hook-tool call"
    );
    b.bench_local(|| ctx.run(ctx.on.config_changed(), &state).unwrap());
}

/// update-status with `n` deferred custom-notice events re-emitted first (each to a handler
/// that succeeds, so the queue is empty afterwards).
#[divan::bench(args = [0, 100, 1000])]
fn dispatch_reemitting_deferred(b: divan::Bencher, n: usize) {
    let ctx = ctx();
    let mut state = state();
    for i in 0..n {
        let ev = ctx
            .on
            .pebble_custom_notice("web", "bench.example.com/x")
            .notice_id(&(i + 1).to_string());
        state = state.defer(ctx.deferred(&ev, "on_notice").unwrap());
    }
    b.bench_local(|| {
        let out = ctx.run(ctx.on.update_status(), &state).unwrap();
        assert!(out.state.deferred.is_empty());
        out
    });
}

/// The SQLite store (`.unit-state.db`): open with its transaction, load, save, commit
/// (fsync'd: `synchronous = FULL`), with `n` deferred entries in the queue.
#[divan::bench(args = [0, 1000])]
fn store_commit(b: divan::Bencher, n: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".unit-state.db");
    let mut data = StoreData {
        charm_state: Some(r#"{"configured":1,"notices":0}"#.to_owned()),
        ..StoreData::default()
    };
    for seq in 0..n {
        data.queue.push(ops::store::DeferredEntry {
            seq,
            event_id: seq + 1,
            handler: "on_notice".to_owned(),
            kind: "pebble-custom-notice".to_owned(),
            source: Some("web".to_owned()),
            data: format!(
                r#"{{"container":"web","notice_id":"{seq}","notice_type":"custom","notice_key":"k"}}"#
            ),
        });
    }
    data.event_counter = n;
    b.bench_local(|| {
        let mut store = Box::new(SqliteStore::open(&path).unwrap());
        let loaded = store.load().unwrap();
        black_box(&loaded);
        store.save(&data).unwrap();
        store.commit().unwrap();
    });
}

/// What most dispatches do with the store: open, load, and commit nothing (nothing deferred,
/// no state changed), so no journal is written and nothing is synced. With `components`
/// idle components' states stored beside the charm's (read in the same load).
#[divan::bench]
fn store_unchanged(b: divan::Bencher) {
    unchanged(b, 0);
}

/// [`store_unchanged`] with eight components' states stored.
#[divan::bench]
fn store_unchanged_with_components(b: divan::Bencher) {
    unchanged(b, 8);
}

fn unchanged(b: divan::Bencher, components: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".unit-state.db");
    let mut data = StoreData {
        charm_state: Some(r#"{"configured":1,"notices":0}"#.to_owned()),
        ..StoreData::default()
    };
    for i in 0..components {
        let seen = serde_json::to_string(&IdleStored {
            seen: vec![format!("db{i}"); 20],
        })
        .unwrap();
        data.components.insert(format!("idle{i}"), seen);
    }
    let mut first = Box::new(SqliteStore::open(&path).unwrap());
    first.save(&data).unwrap();
    first.commit().unwrap();
    b.bench_local(|| {
        let mut store = Box::new(SqliteStore::open(&path).unwrap());
        black_box(store.load().unwrap());
        store.commit().unwrap();
    });
}

/// Collect-status's choice among the statuses handlers added.
#[divan::bench]
fn status_evaluation(b: divan::Bencher) {
    let statuses = [
        Status::active("serving"),
        Status::maintenance("starting"),
        Status::waiting("waiting for the database"),
        Status::blocked("set the port"),
        Status::active("also fine"),
    ];
    b.bench_local(|| Status::highest(black_box(&statuses)).cloned());
}
