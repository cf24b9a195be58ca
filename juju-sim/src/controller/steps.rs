//! The steps of a scenario with several applications, their expectations, and the checks
//! of the scenario against the charms' metadata.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Controller;
use super::truth::{End, RelationState, Role, app_of, endpoints};
use crate::error::{Result, SimError};
use crate::expect::{Expect, Observed};
use crate::hook_env::Hook;
use crate::runner::StepLog;
use crate::scenario::{Action, AppAction, AppStep, Integration, Scenario, Step};
use crate::unit_state;

fn step_err(n: usize, step: &AppStep, message: impl Into<String>) -> SimError {
    SimError::Step {
        step: n,
        name: step.action.keyword().to_owned(),
        message: message.into(),
    }
}

/// What the trace says a step does.
fn detail(a: &AppAction) -> String {
    let ends = |i: &Integration| format!("{} {}", i.ends[0], i.ends[1]);
    match a {
        AppAction::Deploy(apps) if apps.is_empty() => "every application".to_owned(),
        AppAction::Deploy(apps) => apps.join(" "),
        AppAction::Relate(i) | AppAction::RemoveRelation(i) => ends(i),
        AppAction::AddUnit { app, count } => format!("{app} x{count}"),
        AppAction::RemoveUnit(units) => units.join(" "),
        AppAction::RemoveApplication(app) => app.clone(),
        AppAction::Config(c) => serde_json::to_string(c).unwrap_or_default(),
        AppAction::Leader(u) => u.clone(),
        AppAction::Action { unit, name, params } => format!(
            "{unit} {name} {}",
            serde_json::to_string(params).unwrap_or_default()
        ),
        AppAction::UpdateStatus => "every unit".to_owned(),
        AppAction::Hook { unit, name, .. } => format!("{unit} {name}"),
        AppAction::Unit { unit, action } => format!("{unit} {}", crate::steps::detail(action))
            .trim_end()
            .to_owned(),
        AppAction::Wait(d) => format!("{d:?}"),
        AppAction::WaitQuiet { quiet_for, timeout } => {
            format!("until quiet for {quiet_for:?} (at most {timeout:?})")
        }
        AppAction::WaitUntil { until, timeout } => format!(
            "until {} (at most {timeout:?})",
            until
                .iter()
                .map(|(t, e)| format!("{t}: {}", e.summary()))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

impl Controller {
    /// Runs every step (each followed by hooks until the model is quiet), checking
    /// expectations; returns how many failed.
    pub fn run_scenario(&mut self, scenario: &Scenario) -> Result<usize> {
        let steps = scenario
            .apps
            .as_ref()
            .map(|a| a.steps.clone())
            .unwrap_or_default();
        for (i, step) in steps.iter().enumerate() {
            let n = i + 1;
            self.trace
                .step(n, step.action.keyword(), &detail(&step.action));
            for a in &mut self.agents {
                a.sim.step = StepLog::default();
            }
            // What arrived between steps comes first.
            self.settle()?;
            let given_up = self.given_up();
            let mut fails = self.run_step(n, step)?;
            self.settle()?;
            if step
                .expect
                .values()
                .any(|e| e.exit_code.is_some_and(|c| c != 0))
            {
                self.expected_failures += self.given_up() - given_up;
            }
            if !step.expect.is_empty() {
                fails.extend(self.check_expectations(&step.expect)?);
            }
            if !step.expect.is_empty() || !fails.is_empty() {
                self.trace.expectations(n, &fails);
                self.expectation_failures += fails.len();
            }
        }
        Ok(self.expectation_failures)
    }

    /// Hooks given up so far (every retry failed), removed units included.
    fn given_up(&self) -> usize {
        self.agents
            .iter()
            .map(|a| a.sim.summary.hooks_given_up)
            .chain(self.removed.iter().map(|(_, s)| s.hooks_given_up))
            .sum()
    }

    /// Applies one step; returns failures of the step other than its expectations.
    fn run_step(&mut self, n: usize, step: &AppStep) -> Result<Vec<String>> {
        let err = |m: String| step_err(n, step, m);
        match &step.action {
            AppAction::Deploy(apps) => {
                let names: Vec<String> = if apps.is_empty() {
                    self.declared
                        .applications
                        .iter()
                        .map(|a| a.name.clone())
                        .filter(|a| self.truth.apps.get(a).is_some_and(|s| !s.deployed))
                        .collect()
                } else {
                    apps.clone()
                };
                for app in &names {
                    match self.truth.apps.get(app) {
                        None => return Err(err(format!("no application {app} in the model"))),
                        Some(a) if a.deployed => {
                            return Err(err(format!("{app} is deployed already")));
                        }
                        Some(_) => self.deploy_app(app)?,
                    }
                }
                // The scenario's relations whose applications are both there now.
                for i in self.declared.relations.clone() {
                    let both = i.ends.iter().all(|e| {
                        self.truth
                            .apps
                            .get(&e.app)
                            .is_some_and(|a| a.deployed && !a.dying)
                    });
                    if both && self.find_relation(&i).is_none() {
                        self.relate(&i)
                            .map_err(|m| err(format!("{}: {m}", i.path)))?;
                    }
                }
            }
            AppAction::Relate(i) => {
                self.relate(i).map_err(err)?;
            }
            AppAction::RemoveRelation(i) => {
                let id = self.find_relation(i).ok_or_else(|| {
                    err(format!(
                        "no relation {} {} in the model",
                        i.ends[0], i.ends[1]
                    ))
                })?;
                if let Some(r) = self.truth.relations.get_mut(&id) {
                    r.dying = true;
                }
            }
            AppAction::AddUnit { app, count } => {
                if !self
                    .truth
                    .apps
                    .get(app)
                    .is_some_and(|a| a.deployed && !a.dying)
                {
                    return Err(err(format!("no deployed application {app}")));
                }
                for _ in 0..*count {
                    let unit = self.add_unit(app)?;
                    self.trace.note(&format!("added {unit}"));
                }
            }
            AppAction::RemoveUnit(units) => {
                for unit in units {
                    self.remove_unit(unit).map_err(err)?;
                }
            }
            AppAction::RemoveApplication(app) => {
                let Some(state) = self
                    .truth
                    .apps
                    .get_mut(app)
                    .filter(|a| a.deployed && !a.dying)
                else {
                    return Err(err(format!("no deployed application {app}")));
                };
                state.dying = true;
                state.leader = None;
                let units = std::mem::take(&mut state.units);
                for r in self.truth.relations.values_mut() {
                    if r.end_of(app).is_some() {
                        r.dying = true;
                        r.app_removed = true;
                    }
                }
                for unit in units {
                    self.unit_dies(&unit);
                }
            }
            AppAction::Config(changes) => {
                for (app, values) in changes {
                    let Some(state) = self.truth.apps.get_mut(app).filter(|a| !a.dying) else {
                        return Err(err(format!("no application {app}")));
                    };
                    for (k, v) in values {
                        if v.is_null() {
                            state.config.remove(k);
                        } else {
                            state.config.insert(k.clone(), v.clone());
                        }
                    }
                    state.config_version += 1;
                }
            }
            AppAction::Leader(unit) => {
                let app = app_of(unit).to_owned();
                let Some(state) = self.truth.apps.get_mut(&app) else {
                    return Err(err(format!("no application {app}")));
                };
                if !state.units.contains(unit) {
                    return Err(err(format!(
                        "no unit {unit} (its units: {})",
                        state.units.join(", ")
                    )));
                }
                if state.leader.as_deref() != Some(unit.as_str()) {
                    state.leader = Some(unit.clone());
                    state.leader_settings_version += 1;
                }
            }
            AppAction::Action { unit, name, params } => {
                let app = app_of(unit).to_owned();
                let mut params = params.clone();
                if let Some(meta) = self
                    .truth
                    .apps
                    .get(&app)
                    .and_then(|a| a.meta.actions.get(name))
                {
                    meta.validate_params(&mut params)
                        .map_err(|p| err(format!("juju run would refuse action {name:?}: {p}")))?;
                }
                self.action_seq += 1;
                let id = self.action_seq.to_string();
                let agent = self.live_agent(unit).map_err(err)?;
                agent
                    .queued
                    .push_back(Hook::action(name, &id, Value::Object(params)));
            }
            AppAction::UpdateStatus => {
                for a in self.agents.iter_mut().filter(|a| !a.dying) {
                    a.update_status = true;
                }
            }
            AppAction::Hook { unit, name, env } => {
                let agent = self.live_agent(unit).map_err(err)?;
                agent.queued.push_back(Hook::named(name, env));
            }
            AppAction::Unit { unit, action } => {
                let agent = self.live_agent(unit).map_err(err)?;
                let single = Step {
                    path: step.path.clone(),
                    action: action.clone(),
                    expect: Expect::default(),
                };
                crate::steps::run_step(&mut agent.sim, n, &single)?;
            }
            AppAction::Wait(d) => std::thread::sleep(*d),
            AppAction::WaitQuiet { quiet_for, timeout } => {
                return self.wait_quiet(*quiet_for, *timeout);
            }
            AppAction::WaitUntil { until, timeout } => return self.wait_until(until, *timeout),
        }
        Ok(Vec::new())
    }

    /// The agent of `unit`, alive.
    fn live_agent(&mut self, unit: &str) -> std::result::Result<&mut super::Agent, String> {
        let units = self
            .agents
            .iter()
            .filter(|a| !a.dying)
            .map(|a| a.unit.clone())
            .collect::<Vec<_>>()
            .join(", ");
        self.agent_mut(unit)
            .filter(|a| !a.dying)
            .ok_or_else(|| format!("no unit {unit} in the model (units: {units})"))
    }

    /// Starts removing `unit`: it leaves every relation's scope, and a new leader is
    /// elected if it led.
    fn remove_unit(&mut self, unit: &str) -> std::result::Result<(), String> {
        let app = app_of(unit).to_owned();
        let state = self
            .truth
            .apps
            .get_mut(&app)
            .filter(|a| a.units.iter().any(|u| u == unit))
            .ok_or_else(|| format!("no unit {unit} in the model"))?;
        state.units.retain(|u| u != unit);
        if state.leader.as_deref() == Some(unit) {
            state.leader = state.units.first().cloned();
            state.leader_settings_version += 1;
            if let Some(l) = &state.leader {
                let note = format!("{l} is elected leader of {app}");
                self.trace.note(&note);
            }
        }
        self.unit_dies(unit);
        Ok(())
    }

    /// `unit` is dying: out of every scope, its agent winds down.
    fn unit_dies(&mut self, unit: &str) {
        for r in self.truth.relations.values_mut() {
            r.scope.remove(unit);
        }
        if let Some(a) = self.agent_mut(unit) {
            a.dying = true;
        }
    }

    /// The live relation matching `i` (endpoints given or not), if any.
    fn find_relation(&self, i: &Integration) -> Option<u64> {
        let matches = |e: &End, r: &crate::scenario::EndpointRef| {
            e.app == r.app && r.endpoint.as_ref().is_none_or(|ep| ep == &e.endpoint)
        };
        self.truth
            .relations
            .values()
            .find(|r| {
                !r.dying
                    && !r.is_peer()
                    && i.ends
                        .iter()
                        .all(|side| r.ends.iter().any(|e| matches(e, side)))
            })
            .map(|r| r.id)
    }

    /// The two endpoints `i` relates, found from the charms' metadata as `juju integrate`
    /// finds them (same interface, a provider and a requirer).
    fn resolve(&self, i: &Integration) -> std::result::Result<[End; 2], String> {
        let mut candidates = Vec::new();
        let [a, b] = &i.ends;
        let meta = |app: &str| {
            self.truth
                .apps
                .get(app)
                .map(|s| &s.meta)
                .ok_or_else(|| format!("no application {app} in the model"))
        };
        let (ma, mb) = (meta(&a.app)?, meta(&b.app)?);
        let pick = |m: &ops::metadata::CharmMeta, r: &crate::scenario::EndpointRef| {
            let all = endpoints(m);
            if let Some(ep) = &r.endpoint
                && !all.iter().any(|(n, _, _)| n == ep)
            {
                return Err(format!(
                    "{} has no endpoint {ep:?} (it has: {})",
                    r.app,
                    all.iter()
                        .map(|(n, _, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Ok(all
                .into_iter()
                .filter(|(n, role, _)| {
                    *role != Role::Peer && r.endpoint.as_ref().is_none_or(|ep| ep == n)
                })
                .collect::<Vec<_>>())
        };
        for (na, ra, ia) in pick(ma, a)? {
            for (nb, rb, ib) in pick(mb, b)? {
                let roles = matches!(
                    (ra, rb),
                    (Role::Provider, Role::Requirer) | (Role::Requirer, Role::Provider)
                );
                if ia == ib && roles {
                    candidates.push([
                        End {
                            app: a.app.clone(),
                            endpoint: na.clone(),
                            interface: ia.clone(),
                            role: ra,
                        },
                        End {
                            app: b.app.clone(),
                            endpoint: nb.clone(),
                            interface: ib.clone(),
                            role: rb,
                        },
                    ]);
                }
            }
        }
        match candidates.len() {
            1 => Ok(candidates.remove(0)),
            0 => Err(format!(
                "no relation between {a} and {b}: Juju relates a provides endpoint to a \
                 requires endpoint of the same interface"
            )),
            _ => Err(format!(
                "{a} and {b} can be related in several ways ({}): name the endpoints",
                candidates
                    .iter()
                    .map(|[x, y]| format!("{}:{} {}:{}", x.app, x.endpoint, y.app, y.endpoint))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }

    /// Relates two deployed applications.
    fn relate(&mut self, i: &Integration) -> std::result::Result<u64, String> {
        for side in &i.ends {
            match self.truth.apps.get(&side.app) {
                Some(a) if a.deployed && !a.dying => {}
                Some(_) => return Err(format!("{} is not deployed", side.app)),
                None => return Err(format!("no application {} in the model", side.app)),
            }
        }
        let ends = self.resolve(i)?;
        let exists = self
            .truth
            .relations
            .values()
            .any(|r| !r.dying && ends.iter().all(|e| r.ends.iter().any(|x| x == e)));
        if exists {
            return Err(format!(
                "{}:{} and {}:{} are related already",
                ends[0].app, ends[0].endpoint, ends[1].app, ends[1].endpoint
            ));
        }
        let id = self.truth.next_relation_id();
        let r = RelationState {
            id,
            ends: ends.to_vec(),
            unit_settings: BTreeMap::new(),
            app_settings: BTreeMap::new(),
            scope: Default::default(),
            dying: false,
            app_removed: false,
        };
        self.trace.note(&format!("relation {id}: {}", r.describe()));
        self.truth.relations.insert(id, r);
        Ok(id)
    }

    fn wait_quiet(&mut self, quiet_for: Duration, timeout: Duration) -> Result<Vec<String>> {
        let start = Instant::now();
        let mut quiet_since = Instant::now();
        loop {
            if self.settle()? > 0 {
                quiet_since = Instant::now();
            }
            if quiet_since.elapsed() >= quiet_for {
                self.trace.note(&format!(
                    "quiet after {:.1}s",
                    start.elapsed().as_secs_f64()
                ));
                return Ok(Vec::new());
            }
            if start.elapsed() >= timeout {
                return Ok(vec![format!(
                    "wait timed out after {timeout:?}: hooks kept coming (not quiet for {quiet_for:?})"
                )]);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_until(
        &mut self,
        until: &BTreeMap<String, Expect>,
        timeout: Duration,
    ) -> Result<Vec<String>> {
        let start = Instant::now();
        loop {
            self.settle()?;
            let fails = self.check_expectations(until)?;
            if fails.is_empty() {
                self.trace.note(&format!(
                    "waited {:.1}s: the conditions hold",
                    start.elapsed().as_secs_f64()
                ));
                return Ok(Vec::new());
            }
            if start.elapsed() >= timeout {
                self.trace
                    .note(&format!("gave up waiting after {timeout:?}"));
                return Ok(fails
                    .into_iter()
                    .map(|f| format!("wait timed out after {timeout:?}: {f}"))
                    .collect());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The failures of expectations per unit or application, each naming its unit.
    pub fn check_expectations(&self, targets: &BTreeMap<String, Expect>) -> Result<Vec<String>> {
        self.refresh_views()?;
        let mut fails = Vec::new();
        for (target, expect) in targets {
            let agents: Vec<&super::Agent> = if target.contains('/') {
                self.agent(target).into_iter().collect()
            } else {
                self.agents
                    .iter()
                    .filter(|a| &a.app == target && !a.dying)
                    .collect()
            };
            if agents.is_empty() {
                fails.push(format!(
                    "{target}: no such unit or application in the model"
                ));
                continue;
            }
            for a in agents {
                let state = a.sim.model()?;
                let seen = Observed {
                    hooks: a.sim.step.hooks.clone(),
                    logs: a.sim.step.logs.clone(),
                    deferred: unit_state::deferred(&a.sim.work.charm_dir()),
                    services: a.sim.pebbles.services(),
                };
                fails.extend(
                    expect
                        .check(&state, &seen)
                        .into_iter()
                        .map(|f| format!("{}: {f}", a.unit)),
                );
            }
        }
        Ok(fails)
    }

    /// Checks the scenario against the charms' metadata: config options and types, images,
    /// relations, and the applications, units, actions and containers steps name.
    pub(super) fn validate(&self, file: &str) -> Result<()> {
        let err = |path: &str, message: String| SimError::Scenario {
            file: file.to_owned(),
            path: path.to_owned(),
            message,
        };
        let app_names = || {
            self.truth
                .apps
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        let app = |path: &str, name: &str| {
            self.truth.apps.get(name).ok_or_else(|| {
                err(
                    path,
                    format!(
                        "no application {name:?} (the scenario has: {})",
                        app_names()
                    ),
                )
            })
        };
        let check_config = |path: &str,
                            meta: &ops::metadata::CharmMeta,
                            config: &serde_json::Map<String, Value>| {
            for (k, v) in config {
                let Some(opt) = meta.config.options.get(k) else {
                    let known: Vec<&str> = meta.config.options.keys().map(String::as_str).collect();
                    return Err(err(
                        &format!("{path}.{k}"),
                        format!(
                            "charm {} has no config option {k:?} (it has: {})",
                            meta.name,
                            known.join(", ")
                        ),
                    ));
                };
                if !v.is_null() && !opt.kind.accepts(v) {
                    return Err(err(
                        &format!("{path}.{k}"),
                        format!("option {k:?} is of type {}, got {v}", opt.kind.as_str()),
                    ));
                }
            }
            Ok(())
        };
        for a in self.truth.apps.values() {
            let path = format!("applications.{}", a.spec.name);
            check_config(&format!("{path}.config"), &a.meta, &a.spec.config)?;
            for c in a.spec.images.keys() {
                if !a.meta.containers.contains_key(c) {
                    return Err(err(
                        &format!("{path}.images.{c}"),
                        format!("charm {} has no container {c:?}", a.meta.name),
                    ));
                }
            }
            if self.model.model_type == ops::model::ModelType::Machine
                && !a.meta.containers.is_empty()
            {
                return Err(err(
                    "model.type",
                    format!(
                        "charm {} has containers: a sidecar charm, which Juju deploys only on \
                         Kubernetes",
                        a.meta.name
                    ),
                ));
            }
        }
        for i in &self.declared.relations {
            for side in &i.ends {
                app(&i.path, &side.app)?;
            }
            self.resolve(i).map_err(|m| err(&i.path, m))?;
        }
        for step in &self.declared.steps {
            let p = format!("{}.{}", step.path, step.action.keyword());
            let unit_app = |unit: &str| app(&p, app_of(unit));
            match &step.action {
                AppAction::Deploy(apps) => {
                    for a in apps {
                        app(&p, a)?;
                    }
                }
                AppAction::Relate(i) | AppAction::RemoveRelation(i) => {
                    for side in &i.ends {
                        app(&p, &side.app)?;
                    }
                    if matches!(step.action, AppAction::Relate(_)) {
                        self.resolve(i).map_err(|m| err(&p, m))?;
                    }
                }
                AppAction::AddUnit { app: a, .. } | AppAction::RemoveApplication(a) => {
                    app(&p, a)?;
                }
                AppAction::RemoveUnit(units) => {
                    for u in units {
                        unit_app(u)?;
                    }
                }
                AppAction::Config(changes) => {
                    for (a, values) in changes {
                        let state = app(&p, a)?;
                        check_config(&format!("{p}.{a}"), &state.meta, values)?;
                    }
                }
                AppAction::Leader(u) | AppAction::Hook { unit: u, .. } => {
                    unit_app(u)?;
                }
                AppAction::Action { unit, name, params } => {
                    let state = unit_app(unit)?;
                    let Some(meta) = state.meta.actions.get(name) else {
                        let known: Vec<&str> =
                            state.meta.actions.keys().map(String::as_str).collect();
                        return Err(err(
                            &format!("{p}.name"),
                            format!(
                                "charm {} has no action {name:?} (it has: {})",
                                state.meta.name,
                                known.join(", ")
                            ),
                        ));
                    };
                    let mut params = params.clone();
                    meta.validate_params(&mut params)
                        .map_err(|e| err(&format!("{p}.params"), e.to_string()))?;
                }
                AppAction::Unit { unit, action } => {
                    let state = unit_app(unit)?;
                    let container = match action {
                        Action::Notice { container, .. }
                        | Action::CheckFailed { container, .. }
                        | Action::CheckRecovered { container, .. }
                        | Action::PebbleDown { container, .. }
                        | Action::PebbleUp { container }
                        | Action::PebbleFault { container, .. }
                        | Action::PebbleRestart { container } => Some(container),
                        Action::ToolFault { tool, .. }
                            if !ops::testing::juju::tool_names().contains(&tool.as_str()) =>
                        {
                            return Err(err(
                                &format!("{p}.tool"),
                                format!("unknown hook tool {tool:?}"),
                            ));
                        }
                        _ => None,
                    };
                    if let Some(c) = container
                        && !state.meta.containers.contains_key(c)
                    {
                        return Err(err(
                            &format!("{p}.container"),
                            format!(
                                "charm {} has no container {c:?} (it has: {})",
                                state.meta.name,
                                state
                                    .meta
                                    .containers
                                    .keys()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                }
                AppAction::UpdateStatus
                | AppAction::Wait(_)
                | AppAction::WaitQuiet { .. }
                | AppAction::WaitUntil { .. } => {}
            }
            for target in step.expect.keys() {
                app(&format!("{}.expect.{target}", step.path), app_of(target))?;
            }
        }
        Ok(())
    }
}
