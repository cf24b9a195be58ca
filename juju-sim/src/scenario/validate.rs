//! Checking a scenario against the charm's metadata: endpoints, containers, config options
//! and their types, actions and their parameters, hook tools, the model type.

use ops::metadata::CharmMeta;
use ops::model::ModelType;
use serde_json::{Map, Value};

use super::{Action, Scenario};
use crate::error::{Result, SimError};

impl Scenario {
    /// Checks the scenario against the charm's metadata.
    pub fn validate(&self, meta: &CharmMeta) -> Result<()> {
        let err = |path: &str, message: String| SimError::Scenario {
            file: self.file.clone(),
            path: path.to_owned(),
            message,
        };
        let endpoints = || {
            meta.relations()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let containers = || {
            meta.containers
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        let check_endpoint = |path: &str, ep: &str| {
            if meta.relation(ep).is_none() {
                return Err(err(
                    path,
                    format!("the charm has no endpoint {ep:?} (it has: {})", endpoints()),
                ));
            }
            Ok(())
        };
        let check_container = |path: &str, c: &str| {
            if !meta.containers.contains_key(c) {
                return Err(err(
                    path,
                    format!(
                        "the charm has no container {c:?} (it has: {})",
                        containers()
                    ),
                ));
            }
            Ok(())
        };
        let check_config = |path: &str, config: &Map<String, Value>| {
            for (k, v) in config {
                let Some(opt) = meta.config.options.get(k) else {
                    let known: Vec<&str> = meta.config.options.keys().map(String::as_str).collect();
                    return Err(err(
                        &format!("{path}.{k}"),
                        format!(
                            "the charm has no config option {k:?} (it has: {})",
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
        check_config("model.config", &self.model.config)?;
        if self.model.model_type == ModelType::Machine && !meta.containers.is_empty() {
            return Err(err(
                "model.type",
                format!(
                    "the charm has containers ({}): a sidecar charm, which Juju deploys only \
                     on Kubernetes; leave `type` out or set it to kubernetes",
                    containers()
                ),
            ));
        }
        for c in self.model.images.keys() {
            check_container(&format!("model.images.{c}"), c)?;
        }
        for (i, r) in self.model.relations.iter().enumerate() {
            check_endpoint(&format!("model.relations[{}].endpoint", i + 1), &r.endpoint)?;
        }
        for s in &self.steps {
            let p = format!("{}.{}", s.path, s.action.keyword());
            match &s.action {
                Action::Config(c) => check_config(&s.path, c)?,
                Action::Relate(r) => check_endpoint(&format!("{p}.endpoint"), &r.endpoint)?,
                Action::RelationChanged { endpoint, .. }
                | Action::Depart { endpoint, .. }
                | Action::Break { endpoint, .. } => {
                    check_endpoint(&format!("{p}.endpoint"), endpoint)?
                }
                Action::Notice { container, .. }
                | Action::CheckFailed { container, .. }
                | Action::CheckRecovered { container, .. }
                | Action::PebbleDown { container, .. }
                | Action::PebbleUp { container }
                | Action::PebbleFault { container, .. }
                | Action::PebbleRestart { container } => {
                    check_container(&format!("{p}.container"), container)?
                }
                Action::Action { name, params } => {
                    let Some(a) = meta.actions.get(name) else {
                        let known: Vec<&str> = meta.actions.keys().map(String::as_str).collect();
                        return Err(err(
                            &format!("{p}.name"),
                            format!(
                                "the charm has no action {name:?} (it has: {})",
                                known.join(", ")
                            ),
                        ));
                    };
                    let mut params = params.clone();
                    a.validate_params(&mut params)
                        .map_err(|e| err(&format!("{p}.params"), e.to_string()))?;
                }
                Action::ToolFault { tool, .. }
                    if !ops::testing::juju::tool_names().contains(&tool.as_str()) =>
                {
                    return Err(err(
                        &format!("{p}.tool"),
                        format!("unknown hook tool {tool:?}"),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
