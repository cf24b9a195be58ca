//! The framework's in-process costs, with the charm's own work taken out: one dispatch
//! against the in-memory Juju and Pebble (`ops::testing`), re-emitting a deferred queue of
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
use ops::testing::{Container as TestContainer, Context, State};
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
/// no state changed), so no journal is written and nothing is synced.
#[divan::bench]
fn store_unchanged(b: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".unit-state.db");
    let data = StoreData {
        charm_state: Some(r#"{"configured":1,"notices":0}"#.to_owned()),
        ..StoreData::default()
    };
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
