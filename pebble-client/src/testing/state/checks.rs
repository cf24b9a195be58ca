//! Health checks derived from the plan, driven by the test (forced up or down).
//!
//! As in Pebble 1.19+, a running check owns a `perform-check` change whose task stays
//! `Doing` while the check is up. Forcing it down ends that change in `Error` and opens a
//! `recover-check` change; forcing it up again ends the recover change `Done` and opens a
//! new perform change. Each transition emits change-update notices whose `last-data` holds
//! `kind` and `check-name`, from which Juju derives check-failed and check-recovered.

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
}

/// Run state of the checks in the plan.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    pub by_name: BTreeMap<String, CheckRecord>,
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

/// Brings the check records in line with the plan: new checks start (unless
/// `startup: disabled`), removed ones stop.
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
        stop_change(st, &name, now);
        st.checks.by_name.remove(&name);
    }
    for (name, check) in &plan_checks {
        if st.checks.by_name.contains_key(name) {
            continue;
        }
        st.checks.by_name.insert(
            name.clone(),
            CheckRecord {
                status: CheckStatus::Inactive,
                failures: 0,
                successes: 0,
                change_id: None,
                prev_change_id: None,
            },
        );
        if check.startup != CheckStartup::Disabled {
            start(st, name, now);
        }
    }
}

fn open_change(st: &mut State, name: &str, kind: &str, now: OffsetDateTime) -> u64 {
    let ty = st.plan.plan.checks.get(name).map_or("exec", check_type);
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
        r.prev_change_id = r.change_id.replace(id);
    }
    id
}

fn finish_change(
    st: &mut State,
    name: &str,
    status: ChangeStatus,
    log: Option<String>,
    now: OffsetDateTime,
) {
    if let Some(id) = st.checks.by_name.get(name).and_then(|r| r.change_id) {
        st.set_task(id, 0, status, log, now);
    }
}

fn stop_change(st: &mut State, name: &str, now: OffsetDateTime) {
    if let Some(id) = st.checks.by_name.get(name).and_then(|r| r.change_id)
        && st.change_mut(id).is_some_and(|c| !c.status().is_ready())
    {
        st.set_task(id, 0, ChangeStatus::Done, None, now);
    }
}

/// Starts a check; `false` if it was already running.
pub(crate) fn start(st: &mut State, name: &str, now: OffsetDateTime) -> bool {
    let Some(r) = st.checks.by_name.get_mut(name) else {
        return false;
    };
    if r.status != CheckStatus::Inactive {
        return false;
    }
    r.status = CheckStatus::Up;
    r.failures = 0;
    open_change(st, name, "perform-check", now);
    true
}

/// Stops a check; `false` if it was not running.
pub(crate) fn stop(st: &mut State, name: &str, now: OffsetDateTime) -> bool {
    if st
        .checks
        .by_name
        .get(name)
        .is_none_or(|r| r.status == CheckStatus::Inactive)
    {
        return false;
    }
    stop_change(st, name, now);
    if let Some(r) = st.checks.by_name.get_mut(name) {
        r.status = CheckStatus::Inactive;
        r.failures = 0;
    }
    true
}

/// Forces a running check down (failures reach the threshold).
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
    r.status = CheckStatus::Down;
    r.failures = threshold;
    r.successes = 0;
    finish_change(st, name, ChangeStatus::Error, Some(message.to_owned()), now);
    open_change(st, name, "recover-check", now);
    Ok(())
}

/// Brings a down check back up.
pub(crate) fn set_up(st: &mut State, name: &str, now: OffsetDateTime) -> Result<(), String> {
    let Some(r) = st.checks.by_name.get_mut(name) else {
        return Err(format!("cannot find check with name {name:?}"));
    };
    if r.status != CheckStatus::Down {
        return Err(format!("check {name:?} is not down"));
    }
    r.status = CheckStatus::Up;
    r.failures = 0;
    r.successes = 1;
    finish_change(st, name, ChangeStatus::Done, None, now);
    open_change(st, name, "perform-check", now);
    Ok(())
}

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
