//! A model of several applications: juju-sim as a small local Juju controller.
//!
//! Every unit is a [`Sim`] of its own (work directory `<work>/<app>-<n>`, its Pebbles, its
//! charm's `dispatch`) driven by an [`Agent`] that decides its next hook as Juju's unit
//! agent does ([`agent`]). The controller holds the truth ([`truth`]: applications,
//! relations and every databag with its version; [`secrets`]: charm secrets and grants),
//! writes each unit's view into its state file before each of its hooks and takes back
//! what a successful hook changed ([`view`]). A `relation-set` by one side thus moves a
//! databag version, and the units of the other side run `relation-changed` for it, with
//! `JUJU_REMOTE_UNIT` and `JUJU_REMOTE_APP` set, until nothing is due: the model is quiet.
//!
//! One hook runs at a time, as in Juju each unit runs one at a time; the controller goes
//! round the units (the next unit with a hook due after the one that ran), as their agents
//! would interleave. Steps (`controller/steps.rs`) change the truth (deploy, relate, config, remove,
//! ...), then [`Controller::settle`] runs hooks until the model is quiet.
//!
//! # Example
//! ```no_run
//! use juju_sim::controller::Controller;
//! use juju_sim::runner::Options;
//! use juju_sim::scenario::Scenario;
//! use juju_sim::trace::{Format, LogLevel, Trace};
//! let scenario = Scenario::load(std::path::Path::new("two-apps.yaml")).unwrap();
//! let trace = Trace::stdout(Format::Text, LogLevel::Info);
//! let mut model = Controller::create(&scenario, "/tmp/model".into(), Options::default(), trace)
//!     .unwrap();
//! model.run_scenario(&scenario).unwrap();
//! let summary = model.finish().unwrap();
//! assert_eq!(summary.expectation_failures, 0);
//! ```

pub mod agent;
pub mod secrets;
mod steps;
pub mod truth;
pub mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ops::metadata::CharmMeta;
use ops::status::Status;
use ops::testing::juju::JujuState;

use crate::error::{Result, SimError};
use crate::model::ModelSpec;
use crate::runner::{Options, Sim};
use crate::scenario::{Apps, Scenario};
use crate::trace::{Summary, Trace, UnitSummary};
use crate::workdir::{CharmSource, WorkDir};

pub use agent::Agent;
use secrets::Registry;
use truth::{AppState, End, RelationState, Role, Truth};

/// The model: applications, their units' agents, relations, secrets.
#[derive(Debug)]
pub struct Controller {
    /// Applications and relations.
    pub truth: Truth,
    /// Charm secrets.
    pub registry: Registry,
    /// The units' agents, in the order they were added.
    pub agents: Vec<Agent>,
    /// Units removed during the run, with their totals.
    pub removed: Vec<(String, Summary)>,
    /// The work directory (one subdirectory per unit).
    pub root: PathBuf,
    /// How hooks run (images and the mount namespace are per application).
    pub options: Options,
    /// The model's own trace (steps, notes, expectations, the summary).
    pub trace: Trace,
    /// The model: name, Juju version, type.
    pub model: ModelSpec,
    /// The applications and relations the scenario declared.
    pub declared: Apps,
    /// Expectations that did not hold.
    pub expectation_failures: usize,
    /// Hook failures a step expected (`exit-code` other than 0).
    pub expected_failures: usize,
    /// The agent after the one that ran last (round robin).
    cursor: usize,
    /// Action ids handed out.
    action_seq: u64,
}

impl Controller {
    /// A model for `scenario` (which must have `applications:`), its units under `root`.
    /// Nothing is deployed yet; the charms' metadata is read and the scenario checked
    /// against it.
    pub fn create(
        scenario: &Scenario,
        root: PathBuf,
        options: Options,
        trace: Trace,
    ) -> Result<Controller> {
        let declared = scenario
            .apps
            .clone()
            .ok_or_else(|| SimError::Charm("the scenario has no `applications:`".to_owned()))?;
        let mut truth = Truth::default();
        for (i, spec) in declared.applications.iter().enumerate() {
            let meta = CharmMeta::from_charm_dir(&spec.charm).map_err(|e| SimError::Scenario {
                file: scenario.file.clone(),
                path: format!("applications.{}.charm", spec.name),
                message: format!("{}: {e}", spec.charm.display()),
            })?;
            truth.apps.insert(
                spec.name.clone(),
                AppState {
                    spec: spec.clone(),
                    meta,
                    index: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    deployed: false,
                    units: Vec::new(),
                    next_unit: 0,
                    leader: None,
                    config: spec.config.clone(),
                    config_version: 1,
                    leader_settings_version: 0,
                    status: Status::Unknown(String::new()),
                    dying: false,
                },
            );
        }
        let controller = Controller {
            truth,
            registry: Registry::default(),
            agents: Vec::new(),
            removed: Vec::new(),
            root,
            options,
            trace,
            model: scenario.model.clone(),
            declared,
            expectation_failures: 0,
            expected_failures: 0,
            cursor: 0,
            action_seq: 0,
        };
        controller.validate(&scenario.file)?;
        Ok(controller)
    }

    /// Checks a scenario with `applications:` against its charms' metadata (config options
    /// and types, images, relations, and what its steps name), without running anything.
    pub fn check(scenario: &Scenario) -> Result<()> {
        let sink = Trace::new(
            Box::new(std::io::sink()),
            crate::trace::Format::Text,
            crate::trace::LogLevel::Error,
        );
        Controller::create(scenario, PathBuf::new(), Options::default(), sink).map(drop)
    }

    /// The agent of `unit`.
    pub fn agent(&self, unit: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.unit == unit)
    }

    fn agent_mut(&mut self, unit: &str) -> Option<&mut Agent> {
        self.agents.iter_mut().find(|a| a.unit == unit)
    }

    /// Adds a unit to application `app` (deployed): its work directory, Pebbles and agent.
    fn add_unit(&mut self, app: &str) -> Result<String> {
        let Some(state) = self.truth.apps.get_mut(app) else {
            return Err(SimError::Charm(format!("no application {app}")));
        };
        let unit = format!("{app}/{}", state.next_unit);
        state.next_unit += 1;
        state.units.push(unit.clone());
        if state.leader.is_none() {
            let wanted = state.spec.leader.map(|n| format!("{app}/{n}"));
            if wanted.is_none() || wanted.as_deref() == Some(unit.as_str()) {
                state.leader = Some(unit.clone());
                state.leader_settings_version += 1;
            }
        }
        let spec = state.spec.clone();
        let meta = state.meta.clone();
        let model = ModelSpec {
            unit: Some(unit.clone()),
            config: spec.config.clone(),
            resources: spec.resources.clone(),
            ..self.model.clone()
        };
        let juju_state = model.to_state(&meta);
        let mut options = self.options.clone();
        options.images = spec.images.clone();
        options.mount_namespace = spec.mount_namespace.or(self.options.mount_namespace);
        let work = WorkDir::new(self.root.join(unit.replace('/', "-")));
        let sim = Sim::create(
            &CharmSource {
                dir: spec.charm.clone(),
                dispatch: spec.dispatch.clone(),
            },
            work,
            &juju_state,
            options,
            self.trace.for_unit(&unit),
        )?;
        self.agents.push(Agent::new(&unit, sim));
        Ok(unit)
    }

    /// Deploys application `app`: its units, and a peer relation per peers endpoint.
    fn deploy_app(&mut self, app: &str) -> Result<()> {
        let Some(state) = self.truth.apps.get_mut(app) else {
            return Err(SimError::Charm(format!("no application {app}")));
        };
        state.deployed = true;
        let peers: Vec<(String, String)> = state
            .meta
            .peers
            .iter()
            .map(|(n, r)| (n.clone(), r.interface.clone()))
            .collect();
        let units = state.spec.units;
        for (endpoint, interface) in peers {
            let id = self.truth.next_relation_id();
            self.truth.relations.insert(
                id,
                RelationState {
                    id,
                    ends: vec![End {
                        app: app.to_owned(),
                        endpoint,
                        interface,
                        role: Role::Peer,
                    }],
                    unit_settings: BTreeMap::new(),
                    app_settings: BTreeMap::new(),
                    scope: Default::default(),
                    dying: false,
                    app_removed: false,
                },
            );
        }
        for _ in 0..units {
            self.add_unit(app)?;
        }
        Ok(())
    }

    /// Runs hooks, one at a time, round the units, until none is due: the model is quiet.
    /// Returns how many ran.
    pub fn settle(&mut self) -> Result<usize> {
        let mut ran = 0;
        let mut per_unit: BTreeMap<String, usize> = BTreeMap::new();
        let mut last: std::collections::VecDeque<String> = Default::default();
        while let Some((unit, hook)) = self.run_next()? {
            ran += 1;
            last.push_back(format!("{unit} {hook}"));
            if last.len() > 8 {
                last.pop_front();
            }
            let n = per_unit.entry(unit.clone()).or_default();
            *n += 1;
            if *n >= self.options.settle_limit {
                return Err(SimError::NotQuiet {
                    unit,
                    hooks: *n,
                    last: Vec::from(last).join(", "),
                });
            }
        }
        Ok(ran)
    }

    /// Runs the next hook due (round the units from the cursor); what ran (unit and hook),
    /// or `None` if nothing is due.
    fn run_next(&mut self) -> Result<Option<(String, String)>> {
        let n = self.agents.len();
        for k in 0..n {
            let i = (self.cursor + k) % n;
            let due = self.agents[i].next(&self.truth, &self.registry);
            if let Some(due) = due {
                let what = (self.agents[i].unit.clone(), due.hook.name.clone());
                self.run_due(i, due)?;
                self.cursor = (i + 1) % n;
                self.reap()?;
                return Ok(Some(what));
            }
        }
        Ok(None)
    }

    fn run_due(&mut self, i: usize, due: agent::Due) -> Result<()> {
        let address = self
            .truth
            .apps
            .get(&self.agents[i].app)
            .map(|a| a.address(&self.agents[i].unit))
            .unwrap_or_default();
        self.agents[i].prepare(&due.effect, &mut self.truth, &address);
        view::apply(
            &self.truth,
            &self.registry,
            &self.agents[i],
            Some(&due.effect),
        )?;
        let agent = &mut self.agents[i];
        agent.sim.run_hook(&due.hook)?;
        view::collect(&mut self.truth, &mut self.registry, agent)?;
        agent.commit(&due.effect, &mut self.truth, &mut self.registry);
        Ok(())
    }

    /// Drops the agents of removed units, relations every unit is done with, and removed
    /// applications.
    fn reap(&mut self) -> Result<()> {
        while let Some(i) = self.agents.iter().position(|a| a.removed) {
            let agent = self.agents.remove(i);
            if i < self.cursor {
                self.cursor -= 1;
            }
            self.registry.forget_unit(&agent.unit);
            self.truth.unit_statuses.remove(&agent.unit);
            let unit = agent.unit.clone();
            self.trace.note(&format!("{unit} is gone"));
            let summary = agent.sim.close()?;
            self.removed.push((unit, summary));
        }
        if self.agents.is_empty() {
            self.cursor = 0;
        } else {
            self.cursor %= self.agents.len();
        }
        let agents = &self.agents;
        self.truth
            .relations
            .retain(|id, r| !r.dying || agents.iter().any(|a| a.relations.contains_key(id)));
        let gone: Vec<String> = self
            .truth
            .apps
            .iter()
            .filter(|(name, a)| a.dying && !agents.iter().any(|g| &g.app == *name))
            .map(|(name, _)| name.clone())
            .collect();
        for app in gone {
            self.truth.apps.remove(&app);
            self.registry.forget_app(&app);
            self.trace.note(&format!("application {app} is gone"));
        }
        Ok(())
    }

    /// Writes every unit's view as it is now (for expectations and the final state).
    pub fn refresh_views(&self) -> Result<()> {
        for a in &self.agents {
            view::apply(&self.truth, &self.registry, a, None)?;
        }
        Ok(())
    }

    /// Every unit's whole state (model and records), by unit.
    pub fn states(&self) -> Result<BTreeMap<String, JujuState>> {
        self.refresh_views()?;
        self.agents
            .iter()
            .map(|a| a.sim.state().map(|s| (a.unit.clone(), s)))
            .collect()
    }

    /// Ends the run: every unit's totals and final statuses, Pebbles stopped, the summary
    /// printed.
    pub fn finish(mut self) -> Result<Summary> {
        self.refresh_views()?;
        let mut summary = Summary::default();
        for (unit, s) in std::mem::take(&mut self.removed) {
            summary.add_counts(&s);
            summary.units.insert(
                unit,
                UnitSummary {
                    unit_status: s.unit_status,
                    app_status: s.app_status,
                    deferred: s.deferred,
                    removed: true,
                },
            );
        }
        for agent in std::mem::take(&mut self.agents) {
            let unit = agent.unit.clone();
            let s = agent.sim.close()?;
            summary.add_counts(&s);
            summary.units.insert(
                unit,
                UnitSummary {
                    unit_status: s.unit_status,
                    app_status: s.app_status,
                    deferred: s.deferred,
                    removed: false,
                },
            );
        }
        summary.expectation_failures = self.expectation_failures;
        summary.expected_failures += self.expected_failures;
        self.trace.summary(&summary);
        Ok(summary)
    }
}
