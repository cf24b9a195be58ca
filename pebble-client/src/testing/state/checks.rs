//! Health checks derived from the plan: their state and Pebble's rules for each result.
//!
//! As in Pebble 1.19+, a running check owns a `perform-check` change whose task stays
//! `Doing` while the check is up: each failure below the threshold is an `ERROR` line in its
//! task log, and at the threshold the change ends in `Error` and a `recover-check` change
//! opens (the check is down). A success there ends the recover change `Done` and opens a new
//! perform change. Each transition emits change-update notices whose `last-data` holds
//! `kind` and `check-name`, from which Juju derives check-failed and check-recovered.
//!
//! Results come from the runner (`testing::check_runner`), which runs exec, HTTP and TCP
//! checks for real when the simulator does, or from the test (`fail_check`, which also
//! keeps the check failing until `recover_check`).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::State;
use super::changes::NewTask;
use crate::types::{
    ChangeId, ChangeStatus, Check, CheckInfo, CheckLevel, CheckStartup, CheckStatus,
};

/// One check's run state.
#[derive(Debug, Clone)]
pub(crate) struct CheckRecord {
    pub status: CheckStatus,
    pub failures: u64,
    pub successes: u64,
    pub change_id: Option<u64>,
    pub prev_change_id: Option<u64>,
    /// The result the test forces instead of running the check (`fail_check`).
    pub forced: Option<String>,
    /// Bumped whenever the check's change is replaced or stopped: a runner of an older
    /// generation stops.
    pub generation: u64,
    /// The definition its current change runs.
    pub config: Option<Check>,
}

impl CheckRecord {
    fn new() -> Self {
        CheckRecord {
            status: CheckStatus::Inactive,
            failures: 0,
            successes: 0,
            change_id: None,
            prev_change_id: None,
            forced: None,
            generation: 0,
            config: None,
        }
    }
}

/// Run state of the checks in the plan.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    pub by_name: BTreeMap<String, CheckRecord>,
    /// Runners to start once the state lock is released: (check, change, generation).
    pub to_run: Vec<(String, u64, u64)>,
}

fn check_type(c: &Check) -> &'static str {
    if c.http.is_some() {
        "HTTP"
    } else if c.tcp.is_some() {
        "TCP"
    } else {
        "exec"
    }
}

/// Brings the check records in line with the plan, as Pebble does when the plan changes:
/// removed checks stop and go; a running check whose definition changed starts over with a
/// new change (unless it became `startup: disabled`); new checks start unless
/// `startup: disabled`.
pub(crate) fn sync(st: &mut State, now: OffsetDateTime) {
    let plan_checks = st.plan.plan.checks.clone();
    let gone: Vec<String> = st
        .checks
        .by_name
        .keys()
        .filter(|n| !plan_checks.contains_key(*n))
        .cloned()
        .collect();
    for name in gone {
        stop(st, &name, now);
        st.checks.by_name.remove(&name);
    }
    for (name, check) in &plan_checks {
        match st.checks.by_name.get(name) {
            Some(rec) => {
                let modified = rec.change_id.is_some()
                    && rec.config.as_ref().is_some_and(|c| c != check)
                    && check.startup != CheckStartup::Disabled;
                if modified {
                    stop(st, name, now);
                    start(st, name, now);
                }
            }
            None => {
                st.checks.by_name.insert(name.clone(), CheckRecord::new());
                if check.startup != CheckStartup::Disabled {
                    start(st, name, now);
                }
            }
        }
    }
}

/// Opens a `perform-check` or `recover-check` change for `name` and makes it current.
fn open_change(st: &mut State, name: &str, kind: &str, now: OffsetDateTime) -> u64 {
    let config = st.plan.plan.checks.get(name).cloned();
    let ty = config.as_ref().map_or("exec", check_type);
    let verb = if kind == "perform-check" {
        "Perform"
    } else {
        "Recover"
    };
    let summary = format!("{verb} {ty} check {name:?}");
    let id = st.changes.create(
        kind,
        summary.clone(),
        vec![NewTask {
            kind: kind.into(),
            summary,
            target: name.into(),
        }],
        now,
    );
    if let Some(c) = st.change_mut(id) {
        c.notice_data.insert("check-name".into(), name.into());
        if let Some(t) = c.tasks.first_mut() {
            t.status = ChangeStatus::Doing;
        }
    }
    st.change_updated(id, now);
    if let Some(r) = st.checks.by_name.get_mut(name) {
        r.change_id = Some(id);
        r.generation += 1;
        r.config = config;
        st.checks.to_run.push((name.to_owned(), id, r.generation));
    }
    id
}

fn stop_change(st: &mut State, name: &str, now: OffsetDateTime) {
    if let Some(id) = st.checks.by_name.get(name).and_then(|r| r.change_id)
        && st.change_mut(id).is_some_and(|c| !c.status().is_ready())
    {
        st.set_task(id, 0, ChangeStatus::Done, None, now);
    }
}

/// Starts a check; `false` if it was already running. Its counts start again from zero.
pub(crate) fn start(st: &mut State, name: &str, now: OffsetDateTime) -> bool {
    let Some(r) = st.checks.by_name.get_mut(name) else {
        return false;
    };
    if r.change_id.is_some() {
        return false;
    }
    r.status = CheckStatus::Up;
    r.failures = 0;
    r.successes = 0;
    r.prev_change_id = None;
    open_change(st, name, "perform-check", now);
    true
}

/// Stops a check; `false` if it was not running. Its counts stay, for inspection.
pub(crate) fn stop(st: &mut State, name: &str, now: OffsetDateTime) -> bool {
    if st
        .checks
        .by_name
        .get(name)
        .is_none_or(|r| r.change_id.is_none())
    {
        return false;
    }
    stop_change(st, name, now);
    if let Some(r) = st.checks.by_name.get_mut(name) {
        r.status = CheckStatus::Inactive;
        r.change_id = None;
        r.generation += 1;
    }
    true
}

/// Records one run of a running check, as Pebble's perform and recover loops do; `false`
/// when the runner of `change` (generation `generation`) should stop.
pub(crate) fn record(
    st: &mut State,
    name: &str,
    change: u64,
    generation: u64,
    result: Result<(), String>,
    now: OffsetDateTime,
) -> bool {
    let threshold = threshold(st, name).unwrap_or(u64::from(DEFAULT_THRESHOLD));
    let Some(r) = st.checks.by_name.get_mut(name) else {
        return false;
    };
    if r.generation != generation || r.change_id != Some(change) {
        return false;
    }
    let performing = r.status == CheckStatus::Up;
    match (performing, result) {
        (true, Ok(())) => {
            r.successes += 1;
            let had = std::mem::take(&mut r.failures);
            if had > 0 {
                let plural = if had == 1 { "failure" } else { "failures" };
                st.log_task(
                    change,
                    0,
                    "INFO",
                    &format!("succeeded after {had} {plural}"),
                    now,
                );
            }
            true
        }
        (true, Err(message)) => {
            r.failures += 1;
            if r.failures < threshold {
                st.log_task(change, 0, "ERROR", &message, now);
                return true;
            }
            // At the threshold the perform change fails and a recover change opens.
            r.status = CheckStatus::Down;
            st.set_task(change, 0, ChangeStatus::Error, Some(message), now);
            open_change(st, name, "recover-check", now);
            if let Some(r) = st.checks.by_name.get_mut(name) {
                r.prev_change_id = Some(change);
            }
            false
        }
        (false, Err(message)) => {
            r.failures += 1;
            st.log_task(change, 0, "ERROR", &message, now);
            true
        }
        (false, Ok(())) => {
            r.successes = 1;
            r.failures = 0;
            r.status = CheckStatus::Up;
            st.set_task(change, 0, ChangeStatus::Done, None, now);
            open_change(st, name, "perform-check", now);
            if let Some(r) = st.checks.by_name.get_mut(name) {
                r.prev_change_id = Some(change);
            }
            false
        }
    }
}

/// Forces a running check down (failures reach the threshold at once) and keeps it failing
/// with `message` until [`set_up`].
pub(crate) fn set_down(
    st: &mut State,
    name: &str,
    message: &str,
    now: OffsetDateTime,
) -> Result<(), String> {
    let threshold = threshold(st, name)?;
    let Some(r) = st.checks.by_name.get_mut(name) else {
        return Err(format!("cannot find check with name {name:?}"));
    };
    if r.status != CheckStatus::Up {
        return Err(format!("check {name:?} is not up"));
    }
    r.forced = Some(message.to_owned());
    let (Some(change), generation) = (r.change_id, r.generation) else {
        return Err(format!("check {name:?} is not running"));
    };
    r.failures = threshold.saturating_sub(1);
    record(st, name, change, generation, Err(message.to_owned()), now);
    Ok(())
}

/// Records one failed run of a running check with `message` (see [`record`]).
pub(crate) fn record_failure(
    st: &mut State,
    name: &str,
    message: &str,
    now: OffsetDateTime,
) -> Result<(), String> {
    let Some(r) = st.checks.by_name.get(name) else {
        return Err(format!("cannot find check with name {name:?}"));
    };
    let (Some(change), generation) = (r.change_id, r.generation) else {
        return Err(format!("check {name:?} is not running"));
    };
    record(st, name, change, generation, Err(message.to_owned()), now);
    Ok(())
}

/// Brings a down check back up at once and ends the override of [`set_down`] (a check run
/// for real then goes on with its real result).
pub(crate) fn set_up(st: &mut State, name: &str, now: OffsetDateTime) -> Result<(), String> {
    let Some(r) = st.checks.by_name.get_mut(name) else {
        return Err(format!("cannot find check with name {name:?}"));
    };
    if r.status != CheckStatus::Down {
        return Err(format!("check {name:?} is not down"));
    }
    r.forced = None;
    let (Some(change), generation) = (r.change_id, r.generation) else {
        return Err(format!("check {name:?} is not running"));
    };
    record(st, name, change, generation, Ok(()), now);
    Ok(())
}

/// Pebble's default threshold.
const DEFAULT_THRESHOLD: u32 = crate::types::layer::DEFAULT_CHECK_THRESHOLD;

fn threshold(st: &State, name: &str) -> Result<u64, String> {
    st.plan
        .plan
        .checks
        .get(name)
        .map(|c| u64::from(c.effective_threshold()))
        .ok_or_else(|| format!("cannot find check with name {name:?}"))
}

/// `GET /v1/checks` for the checks matching `level` (exact) and `names`.
pub(crate) fn infos(st: &State, level: &CheckLevel, names: &[String]) -> Vec<CheckInfo> {
    st.plan
        .plan
        .checks
        .iter()
        .filter(|(n, c)| {
            (names.is_empty() || names.contains(n))
                && (*level == CheckLevel::Unset || c.level == *level)
        })
        .map(|(name, c)| info(st, name, c))
        .collect()
}

/// The check info of one plan check.
pub(crate) fn info(st: &State, name: &str, c: &Check) -> CheckInfo {
    let rec = st.checks.by_name.get(name);
    CheckInfo {
        name: name.to_owned(),
        level: c.level.clone(),
        startup: if c.startup == CheckStartup::Disabled {
            CheckStartup::Disabled
        } else {
            CheckStartup::Enabled
        },
        status: rec.map_or(CheckStatus::Inactive, |r| r.status.clone()),
        successes: rec.map_or(0, |r| r.successes),
        failures: rec.map_or(0, |r| r.failures),
        threshold: u64::from(c.effective_threshold()),
        change_id: rec
            .and_then(|r| r.change_id)
            .map(|id| ChangeId(id.to_string())),
        prev_change_id: rec
            .and_then(|r| r.prev_change_id)
            .map(|id| ChangeId(id.to_string())),
    }
}
