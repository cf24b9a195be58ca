//! Scenario steps turned into model changes, faults and hooks, in the order Juju runs them.

use std::time::{Duration, Instant};

use ops::testing::juju::{JujuState, SecretOwnership, SecretRevisionState, secret_xid};

use super::error::{Result, SimError};
use super::expect::Observed;
use super::faults;
use super::hook_env::Hook;
use super::model::next_relation_id;
use super::runner::{Sim, StepLog};
use super::scenario::{Action, Scenario, Step};
use super::unit_state;

/// Runs every step of `scenario`, checking expectations; returns how many failed.
pub fn run_scenario(sim: &mut Sim, scenario: &Scenario) -> Result<usize> {
    let mut failed = 0;
    for (i, step) in scenario.steps.iter().enumerate() {
        let n = i + 1;
        sim.step = StepLog::default();
        sim.trace
            .step(n, step.action.keyword(), &detail(&step.action));
        // Events that arrived between steps come first.
        sim.deliver_workload_events()?;
        let given_up = sim.summary.hooks_given_up;
        run_step(sim, n, step)?;
        sim.deliver_workload_events()?;
        if step.expect.exit_code.is_some_and(|c| c != 0) {
            sim.summary.expected_failures += sim.summary.hooks_given_up - given_up;
        }
        let mut fails = std::mem::take(&mut sim.step.failures);
        if !step.expect.is_empty() {
            fails.extend(check(sim, &step.expect)?);
        }
        if !step.expect.is_empty() || !fails.is_empty() {
            sim.trace.expectations(n, &fails);
            failed += fails.len();
        }
    }
    sim.summary.expectation_failures = failed;
    Ok(failed)
}

/// The failures of `expect` against the unit now and the current step's record.
fn check(sim: &Sim, expect: &super::expect::Expect) -> Result<Vec<String>> {
    // Expectations are about the model (statuses, relation data, ports, the action), and
    // `wait-until` checks them over and over: the journal's records are not read.
    let state = sim.model()?;
    let seen = Observed {
        hooks: sim.step.hooks.clone(),
        logs: sim.step.logs.clone(),
        deferred: unit_state::deferred(&sim.work.charm_dir()),
        services: sim.pebbles.services(),
    };
    Ok(expect.check(&state, &seen))
}

/// Delivers workload events as they come until `until` holds or `timeout` passes; a
/// timeout records the unmet expectations as the step's failures.
fn wait_until(sim: &mut Sim, until: &super::expect::Expect, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        sim.deliver_workload_events()?;
        let fails = check(sim, until)?;
        if fails.is_empty() {
            sim.trace.note(&format!(
                "waited {:.1}s: the conditions hold",
                start.elapsed().as_secs_f64()
            ));
            return Ok(());
        }
        if start.elapsed() >= timeout {
            sim.trace
                .note(&format!("gave up waiting after {timeout:?}"));
            sim.step.failures.extend(
                fails
                    .into_iter()
                    .map(|f| format!("wait timed out after {timeout:?}: {f}")),
            );
            if sim.pebbles.real_processes() {
                for c in sim.pebbles.names() {
                    for s in sim.pebbles.get(&c)?.services() {
                        for line in sim.pebbles.service_output(&c, &s.name, 10) {
                            sim.trace.note(&format!("{c}/{}: {line}", s.name));
                        }
                    }
                }
            }
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn detail(a: &Action) -> String {
    match a {
        Action::Config(c) => serde_json::to_string(c).unwrap_or_default(),
        Action::Relate(r) => format!("{} with {}", r.endpoint, r.app),
        Action::RelationChanged { endpoint, unit, .. } => {
            format!("{endpoint} {}", unit.as_deref().unwrap_or("(app data)"))
        }
        Action::Depart { endpoint, unit } => format!("{endpoint} {unit}"),
        Action::Break { endpoint, .. } => endpoint.clone(),
        Action::SecretChanged { id, .. }
        | Action::SecretRotate { id }
        | Action::SecretExpired { id, .. }
        | Action::SecretRemove { id, .. } => id.clone(),
        Action::Action { name, params } => format!(
            "{name} {}",
            serde_json::to_string(params).unwrap_or_default()
        ),
        Action::Notice { container, key, .. } => format!("{container} {key}"),
        Action::CheckFailed { container, check } | Action::CheckRecovered { container, check } => {
            format!("{container} {check}")
        }
        Action::Leader(l) => l.to_string(),
        Action::LoseLeadership { after } => format!("after {after} more true answer(s)"),
        Action::Hook { name, .. } => name.clone(),
        Action::PebbleDown {
            container,
            duration,
        } => match duration {
            Some(d) => format!("{container} for {d:?}"),
            None => format!("{container} until pebble-up"),
        },
        Action::PebbleUp { container } | Action::PebbleRestart { container } => container.clone(),
        Action::ToolFault { tool, times } => format!("{tool} x{times}"),
        Action::Wait(d) => format!("{d:?}"),
        Action::WaitUntil { until, timeout } => {
            format!("until {} (at most {timeout:?})", until.summary())
        }
        Action::PebbleFault {
            container,
            path,
            fault,
            times,
        } => format!(
            "{container} {} {fault:?}{}",
            path.as_deref().unwrap_or("(every path)"),
            times.map_or_else(String::new, |t| format!(" x{t}"))
        ),
        _ => String::new(),
    }
}

fn step_err(n: usize, step: &Step, message: impl Into<String>) -> SimError {
    SimError::Step {
        step: n,
        name: step.action.keyword().to_owned(),
        message: message.into(),
    }
}

/// The relation on `endpoint` (the first, if several).
fn relation_on(state: &JujuState, endpoint: &str) -> Option<(u64, String)> {
    state
        .relations
        .iter()
        .find(|r| r.endpoint == endpoint && !r.broken)
        .map(|r| (r.id, r.remote_app.clone()))
}

pub(crate) fn run_step(sim: &mut Sim, n: usize, step: &Step) -> Result<()> {
    match &step.action {
        Action::Deploy => deploy(sim),
        Action::Config(c) => {
            sim.update_model(|st| {
                for (k, v) in c {
                    if v.is_null() {
                        st.config.values.remove(k);
                    } else {
                        st.config.values.insert(k.clone(), v.clone());
                    }
                }
            })?;
            sim.hook(&Hook::plain("config-changed")).map(drop)
        }
        Action::Relate(spec) => {
            let st = sim.model()?;
            let id = spec.id.unwrap_or_else(|| next_relation_id(&st));
            if st.relation_by_id(id).is_some() {
                return Err(step_err(n, step, format!("relation id {id} is already in use")));
            }
            let mut rel = spec.to_relation(id, &sim.meta);
            rel.remote_units.clear();
            sim.update_model(|st| st.relations.push(rel))?;
            sim.hook(&Hook::relation(&spec.endpoint, id, "relation-created", &spec.app, None))?;
            for (unit, data) in &spec.units {
                sim.update_model(|st| {
                    if let Some(r) = st.relation_by_id_mut(id) {
                        r.remote_units.insert(unit.clone(), data.clone());
                    }
                })?;
                sim.hook(&Hook::relation(&spec.endpoint, id, "relation-joined", &spec.app, Some(unit)))?;
                sim.hook(&Hook::relation(&spec.endpoint, id, "relation-changed", &spec.app, Some(unit)))?;
            }
            if spec.units.is_empty() && !spec.app_data.is_empty() {
                sim.hook(&Hook::relation(&spec.endpoint, id, "relation-changed", &spec.app, None))?;
            }
            Ok(())
        }
        Action::RelationChanged { endpoint, unit, unit_data, app_data } => {
            let st = sim.model()?;
            let (id, app) = relation_on(&st, endpoint).ok_or_else(|| step_err(n, step, format!("no relation on {endpoint:?}: add one with a `relate` step")))?;
            if let Some(u) = unit
                && !st.relation_by_id(id).is_some_and(|r| r.remote_units.contains_key(u))
            {
                return Err(step_err(n, step, format!("{u} is not in relation {endpoint}:{id}")));
            }
            sim.update_model(|st| {
                if let Some(r) = st.relation_by_id_mut(id) {
                    let apply = |bag: &mut std::collections::BTreeMap<String, String>, data: &std::collections::BTreeMap<String, String>| {
                        for (k, v) in data {
                            if v.is_empty() {
                                bag.remove(k);
                            } else {
                                bag.insert(k.clone(), v.clone());
                            }
                        }
                    };
                    apply(&mut r.remote_app_data, app_data);
                    if let Some(u) = unit
                        && let Some(bag) = r.remote_units.get_mut(u)
                    {
                        apply(bag, unit_data);
                    }
                }
            })?;
            sim.hook(&Hook::relation(endpoint, id, "relation-changed", &app, unit.as_deref())).map(drop)
        }
        Action::Depart { endpoint, unit } => {
            let st = sim.model()?;
            let (id, app) = relation_on(&st, endpoint).ok_or_else(|| step_err(n, step, format!("no relation on {endpoint:?}")))?;
            if !st.relation_by_id(id).is_some_and(|r| r.remote_units.contains_key(unit)) {
                return Err(step_err(n, step, format!("{unit} is not in relation {endpoint}:{id}")));
            }
            depart(sim, endpoint, id, &app, unit)
        }
        Action::Break { endpoint, app_removed } => {
            let st = sim.model()?;
            let (id, app) = relation_on(&st, endpoint).ok_or_else(|| step_err(n, step, format!("no relation on {endpoint:?}")))?;
            break_relation(sim, endpoint, id, &app, *app_removed)
        }
        Action::SecretChanged { id, content } => {
            let label = sim.update_model(|st| {
                let xid = secret_xid(id).to_owned();
                st.secrets.iter_mut().find(|s| s.xid() == xid).map(|s| {
                    let rev = s.revisions.last().map_or(1, |r| r.revision + 1);
                    s.revisions.push(SecretRevisionState { revision: rev, content: content.iter().map(|(k, v)| (k.clone(), v.clone())).collect() });
                    (s.id.clone(), s.label.clone(), s.owner)
                })
            })?;
            let (sid, label, owner) = label.ok_or_else(|| step_err(n, step, format!("no secret {id} in the model (add it under model.secrets)")))?;
            if owner != SecretOwnership::Consumer {
                sim.trace.note(&format!("{sid} is owned by this charm: Juju sends secret-changed to observers only, so no hook runs here"));
                return Ok(());
            }
            sim.hook(&Hook::secret("changed", &sid, label.as_deref(), None)).map(drop)
        }
        Action::SecretRotate { id } => {
            let (sid, label, _) = secret(sim, n, step, id)?;
            sim.hook(&Hook::secret("rotate", &sid, label.as_deref(), None)).map(drop)
        }
        Action::SecretExpired { id, revision } | Action::SecretRemove { id, revision } => {
            let (sid, label, latest) = secret(sim, n, step, id)?;
            let kind = if matches!(step.action, Action::SecretExpired { .. }) { "expired" } else { "remove" };
            sim.hook(&Hook::secret(kind, &sid, label.as_deref(), Some(revision.unwrap_or(latest)))).map(drop)
        }
        Action::Action { name, params } => {
            // `juju run` checks the parameters against the action's schema and refuses the
            // action before any hook runs; so does juju-sim.
            let mut params = params.clone();
            if let Some(meta) = sim.meta.actions.get(name) {
                meta.validate_params(&mut params).map_err(|p| {
                    step_err(n, step, format!("juju run would refuse action {name:?}: {p}"))
                })?;
            }
            let id = sim.next_action_id();
            sim.hook(&Hook::action(name, &id, serde_json::Value::Object(params))).map(drop)
        }
        Action::Notice { container, key, data } => {
            let pairs: Vec<(&str, &str)> = data.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let uid = std::fs::metadata(&sim.work.root).map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap_or(0);
            let id = sim
                .pebbles
                .get(container)?
                .notify(uid, key, &pairs, None)
                .map_err(|e| step_err(n, step, e.to_string()))?;
            sim.trace.note(&format!("workload in {container} recorded notice {id} {key}"));
            Ok(())
        }
        Action::CheckFailed { container, check } => {
            sim.pebbles
                .get(container)?
                .fail_check(check, "juju-sim check-failed step")
                .map_err(|e| step_err(n, step, format!("{e} (the charm must first add a layer with check {check:?} to container {container})")))
        }
        Action::CheckRecovered { container, check } => sim
            .pebbles
            .get(container)?
            .recover_check(check)
            .map_err(|e| step_err(n, step, e.to_string())),
        Action::UpdateStatus => sim.hook(&Hook::plain("update-status")).map(drop),
        Action::UpgradeCharm => {
            sim.pebbles.restart_all()?;
            sim.trace.note("containers restarted with the new charm revision (new Pebble boot ids)");
            for h in ["upgrade-charm", "config-changed"] {
                sim.run_hook(&Hook::plain(h))?;
            }
            if !sim.model()?.leader {
                sim.run_hook(&Hook::plain("leader-settings-changed"))?;
            }
            sim.hook(&Hook::plain("start")).map(drop)
        }
        Action::Leader(l) => {
            sim.update_model(|st| st.leader = *l)?;
            let h = if *l { "leader-elected" } else { "leader-settings-changed" };
            sim.hook(&Hook::plain(h)).map(drop)
        }
        Action::LoseLeadership { after } => {
            sim.update_model(|st| st.leadership_lost_after = Some(*after))?;
            sim.trace.note(&format!(
                "is-leader will answer true {after} more time(s), then the lease lapses"
            ));
            Ok(())
        }
        Action::Start => sim.hook(&Hook::plain("start")).map(drop),
        Action::Stop => sim.hook(&Hook::plain("stop")).map(drop),
        Action::Remove => remove(sim),
        Action::Hook { name, env } => sim.hook(&Hook::named(name, env)).map(drop),
        Action::PebbleDown { container, duration } => {
            sim.pebbles.down(container, *duration)?;
            sim.trace.note(&match duration {
                Some(d) => format!("Pebble in {container} is down for {d:?}"),
                None => format!("Pebble in {container} is down until a pebble-up step"),
            });
            Ok(())
        }
        Action::PebbleUp { container } => {
            sim.pebbles.up(container)?;
            sim.trace.note(&format!("Pebble in {container} answers again"));
            Ok(())
        }
        Action::PebbleRestart { container } => {
            sim.pebbles.restart(container)?;
            sim.trace.note(&format!("container {container} restarted: new Pebble, new boot id, empty plan"));
            Ok(())
        }
        Action::ToolFault { tool, times } => {
            let f = sim.work.faults_file();
            faults::add(&f, tool, *times).map_err(|e| SimError::io("cannot write", f, e))?;
            sim.trace.note(&format!("the next {times} call(s) of {tool} will fail"));
            Ok(())
        }
        Action::CorruptState => {
            unit_state::corrupt(&sim.work.charm_dir())?;
            sim.trace.note("garbage written into the unit's .unit-state.db");
            Ok(())
        }
        Action::Wait(d) => {
            std::thread::sleep(*d);
            Ok(())
        }
        Action::WaitUntil { until, timeout } => wait_until(sim, until, *timeout),
        Action::PebbleFault { container, path, fault, times } => {
            let mut rule = pebble_client::testing::FaultRule::new(fault.clone());
            if let Some(p) = path {
                rule = rule.path(p.clone());
            }
            if let Some(t) = times {
                rule = rule.times(*t);
            }
            sim.pebbles.fault(container, rule)?;
            sim.trace.note(&format!(
                "Pebble in {container} answers {} with {fault:?}{}",
                path.as_deref().map_or_else(|| "every request".to_owned(), |p| format!("requests to {p}")),
                times.map_or_else(|| " until a pebble-up step".to_owned(), |t| format!(" {t} time(s)"))
            ));
            Ok(())
        }
    }
}

fn secret(sim: &Sim, n: usize, step: &Step, id: &str) -> Result<(String, Option<String>, u32)> {
    let st = sim.model()?;
    let s = st.secret_by_id(id).ok_or_else(|| {
        step_err(
            n,
            step,
            format!("no secret {id} in the model (add it under model.secrets)"),
        )
    })?;
    Ok((
        s.id.clone(),
        s.label.clone(),
        s.revisions.last().map_or(1, |r| r.revision),
    ))
}

/// A new unit, in Juju's order.
pub fn deploy(sim: &mut Sim) -> Result<()> {
    let st = sim.model()?;
    for (name, instances) in &st.storage {
        for i in instances {
            sim.run_hook(&Hook::storage(name, i.index, "attached"))?;
        }
    }
    sim.run_hook(&Hook::plain("install"))?;
    for r in &st.relations {
        sim.run_hook(&Hook::relation(
            &r.endpoint,
            r.id,
            "relation-created",
            &r.remote_app,
            None,
        ))?;
    }
    let leader_hook = if st.leader {
        "leader-elected"
    } else {
        "leader-settings-changed"
    };
    for h in [leader_hook, "config-changed", "start"] {
        sim.run_hook(&Hook::plain(h))?;
    }
    sim.watcher.active = true;
    sim.deliver_workload_events()?;
    for r in &st.relations {
        for unit in r.remote_units.keys() {
            sim.hook(&Hook::relation(
                &r.endpoint,
                r.id,
                "relation-joined",
                &r.remote_app,
                Some(unit),
            ))?;
            sim.hook(&Hook::relation(
                &r.endpoint,
                r.id,
                "relation-changed",
                &r.remote_app,
                Some(unit),
            ))?;
        }
    }
    Ok(())
}

fn depart(sim: &mut Sim, endpoint: &str, id: u64, app: &str, unit: &str) -> Result<()> {
    sim.update_model(|st| {
        if let Some(r) = st.relation_by_id_mut(id)
            && let Some(bag) = r.remote_units.remove(unit)
        {
            r.departed_units.insert(unit.to_owned(), bag);
        }
    })?;
    sim.hook(&Hook::departed(endpoint, id, app, unit)).map(drop)
}

/// Breaks relation `id`: its units depart, then relation-broken, whose `JUJU_REMOTE_APP` is
/// empty when the remote application itself was removed (`app_removed`), as Juju sends it.
fn break_relation(
    sim: &mut Sim,
    endpoint: &str,
    id: u64,
    app: &str,
    app_removed: bool,
) -> Result<()> {
    let units: Vec<String> = sim
        .model()?
        .relation_by_id(id)
        .map(|r| r.remote_units.keys().cloned().collect())
        .unwrap_or_default();
    for u in units {
        depart(sim, endpoint, id, app, &u)?;
    }
    sim.update_model(|st| {
        if let Some(r) = st.relation_by_id_mut(id) {
            r.broken = true;
        }
    })?;
    let broken_app = if app_removed { "" } else { app };
    sim.hook(&Hook::relation(
        endpoint,
        id,
        "relation-broken",
        broken_app,
        None,
    ))?;
    sim.update_model(|st| st.relations.retain(|r| r.id != id))
}

/// Removal in Juju's order: relations go, storage detaches, stop, remove.
pub fn remove(sim: &mut Sim) -> Result<()> {
    let st = sim.model()?;
    for r in &st.relations {
        break_relation(sim, &r.endpoint, r.id, &r.remote_app, false)?;
    }
    for (name, instances) in &st.storage {
        for i in instances {
            sim.run_hook(&Hook::storage(name, i.index, "detaching"))?;
        }
    }
    sim.run_hook(&Hook::plain("stop"))?;
    sim.watcher.active = false;
    sim.run_hook(&Hook::plain("remove")).map(drop)
}
