//! Crash consistency: SIGKILL the charm at random moments of its dispatch (reading the
//! context, running hook tools, re-emitting deferred events, saving a large state, committing)
//! and check that the state file always opens and holds exactly the state from before the
//! hook or exactly the state after it: never a mix, never a damaged file.
//!
//! Sizes: `OPS_RS_CRASH_KILLS` kills (default 200), `OPS_RS_CRASH_SEED` to replay a run (the
//! seed is printed), `RELIABILITY_BLOB_ROWS` rows of stored state (default 3000, ~200 KB).
//!
//! ```sh
//! OPS_RS_CRASH_KILLS=2000 cargo test -p tests --test reliability_crash -- --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

mod support;

use std::time::{Duration, Instant};

use ops::store::StoreData;
use support::reliability::{
    Unit, count, crash_hook, kill_group, model, remove_stale_tool_lock, seed,
};

/// A unit run without faults, hook by hook: the state after each hook.
struct Reference {
    unit: Unit,
    after: Vec<StoreData>,
    longest: Duration,
    total: Duration,
}

impl Reference {
    fn new() -> Reference {
        let unit = Unit::new(&model());
        let before = unit.stored().unwrap();
        Reference {
            unit,
            after: vec![before],
            longest: Duration::from_millis(1),
            total: Duration::ZERO,
        }
    }

    /// The state after `n` hooks of the sequence.
    fn state(&mut self, n: usize) -> &StoreData {
        while self.after.len() <= n {
            let i = self.after.len() as u64 - 1;
            let start = Instant::now();
            self.unit.run_ok(&crash_hook(i));
            self.longest = self.longest.max(start.elapsed());
            self.total += start.elapsed();
            self.after.push(self.unit.stored().unwrap());
            if i % 16 == 0 {
                self.unit.clear_records();
            }
        }
        &self.after[n]
    }
}

/// Whether `journal` is a hot rollback journal (SQLite's magic header; in exclusive locking
/// mode a finished transaction leaves the file with a zeroed header).
fn is_hot(journal: &std::path::Path) -> bool {
    const MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
    std::fs::read(journal).is_ok_and(|b| b.starts_with(&MAGIC))
}

#[test]
fn sigkill_at_any_moment_leaves_the_old_or_the_new_state() {
    let kills = count("OPS_RS_CRASH_KILLS", 200);
    let mut rng = fastrand::Rng::with_seed(seed("OPS_RS_CRASH_SEED"));
    let mut reference = Reference::new();
    reference.state(2); // measure a few hooks first
    let mut unit = Unit::new(&model());
    let (mut done, mut old, mut new, mut hot_journal) = (0usize, 0u64, 0u64, 0u64);
    let journal = unit.state_file().with_file_name(".unit-state.db-journal");
    for k in 0..kills {
        let hook = crash_hook(done as u64);
        // Kill anywhere from the spawn to a little past the longest clean run.
        let window = reference.longest.as_micros() as u64 * 11 / 10;
        let delay = Duration::from_micros(rng.u64(0..=window.max(1)));
        let mut child = unit.command(&hook).spawn().unwrap();
        std::thread::sleep(delay);
        kill_group(&mut child);
        remove_stale_tool_lock(&unit);
        if is_hot(&journal) {
            hot_journal += 1;
        }
        let got = unit
            .stored()
            .unwrap_or_else(|e| panic!("kill {k} after {delay:?}: state file broken: {e}"));
        unit.model(); // the model file is never torn either
        let before = reference.state(done).clone();
        let after = reference.state(done + 1).clone();
        if got == before {
            old += 1;
        } else if got == after {
            new += 1;
            done += 1;
        } else {
            panic!(
                "kill {k} after {delay:?} during hook {done} ({}): the state is neither the old \
                 nor the new one: counter {} queue {} (old: counter {} queue {}; new: counter {} queue {})",
                hook.name,
                got.event_counter,
                got.queue.len(),
                before.event_counter,
                before.queue.len(),
                after.event_counter,
                after.queue.len(),
            );
        }
        if k % 16 == 0 {
            unit.clear_records();
        }
    }
    // The killed unit goes on as if nothing happened.
    unit.run_ok(&crash_hook(done as u64));
    done += 1;
    let last = unit.stored().unwrap();
    assert_eq!(&last, reference.state(done));
    let generation = serde_json::from_str::<serde_json::Value>(
        last.charm_state.as_deref().unwrap(),
    )
    .unwrap()["generation"]
        .as_u64()
        .unwrap();
    assert_eq!(generation, done as u64);
    let rel = unit.model();
    let data = rel.relation_by_id(1).unwrap();
    let written = data.local_unit_data.get("generation").cloned();
    assert_eq!(written.as_deref(), Some(generation.to_string().as_str()));
    eprintln!(
        "crash: reference hooks took {:?} on average, {:?} at most",
        reference.total / reference.after.len().max(1) as u32,
        reference.longest
    );
    eprintln!(
        "crash: {kills} SIGKILLs: {old} left the old state, {new} the new one ({hot_journal} \
         with a hot journal rolled back on open); {done} hooks committed; stored state {} bytes, \
         {} deferred events",
        last.charm_state.as_deref().map_or(0, str::len),
        last.queue.len()
    );
}
