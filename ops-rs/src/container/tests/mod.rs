//! Container tests against the simulated Pebble, through real unix sockets. No test sleeps:
//! every retry policy here records its waits on a manual clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dispatch;
mod events;
mod exec;
mod methods;
mod retry;

use std::path::Path;

use pebble_client::blocking::Client;
use pebble_client::retry::{RecordingSleeper, RetryPolicy};
use pebble_client::testing::SimPebble;

use super::Container;

/// Services `web` (enabled) and `db`, and an alive check `up`.
pub(super) const LAYER: &str = "services:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\n  db:\n    override: replace\n    command: /bin/db\nchecks:\n  up:\n    override: replace\n    level: alive\n    tcp:\n      port: 80\n";

/// A simulated Pebble for container `name` under the containers directory `dir`.
pub(super) fn sim_in(dir: &Path, name: &str) -> SimPebble {
    let socket_dir = dir.join(name);
    std::fs::create_dir_all(&socket_dir).unwrap();
    SimPebble::start(socket_dir.join("pebble.socket")).unwrap()
}

/// A policy that never really sleeps: `attempts` attempts, waits recorded.
pub(super) fn recorded(attempts: u32) -> (RetryPolicy, RecordingSleeper) {
    let sleeper = RecordingSleeper::new();
    let policy = RetryPolicy::default()
        .max_attempts(attempts)
        .sleeper(sleeper.clone())
        .clock(sleeper.clock());
    (policy, sleeper)
}

/// A container on `sim` (retrying up to 6 times without sleeping).
pub(super) fn container(sim: &SimPebble) -> Container {
    let client = Client::builder(sim.socket_path())
        .retry(recorded(6).0)
        .build()
        .unwrap();
    Container::from_client("web", client)
}

/// The uid the simulator sees for this process (the owner of the socket it created).
pub(super) fn my_uid(sim: &SimPebble) -> u32 {
    std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(sim.socket_path()).unwrap())
}
