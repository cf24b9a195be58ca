//! [`Container`]'s layers, plan, services, checks and signals.

use std::collections::BTreeMap;

use pebble_client::{CheckInfo, CheckLevel, Layer, Plan, ServiceInfo};

use super::handle::names_list;
use super::{Container, ContainerError};

impl Container {
    /// Adds a layer under `label`. With `combine`, a layer already under that label is merged
    /// with it (Pebble's override rules); without, an existing label is an error. Adding a
    /// layer starts nothing: call [`Container::replan`].
    pub fn add_layer(
        &self,
        label: &str,
        layer: &Layer,
        combine: bool,
    ) -> Result<(), ContainerError> {
        self.check(self.pebble().add_layer(label, layer, combine), || {
            format!("add layer {label:?}")
        })
    }

    /// [`Container::add_layer`] with the layer as YAML text.
    pub fn add_layer_yaml(
        &self,
        label: &str,
        yaml: &str,
        combine: bool,
    ) -> Result<(), ContainerError> {
        self.check(self.pebble().add_layer_yaml(label, yaml, combine), || {
            format!("add layer {label:?}")
        })
    }

    /// The combined plan of all layers.
    pub fn get_plan(&self) -> Result<Plan, ContainerError> {
        self.check(self.pebble().get_plan(), || "get the plan".to_owned())
    }

    /// Applies the plan and waits: services whose definition changed are restarted, and
    /// services marked `startup: enabled` are started.
    pub fn replan(&self) -> Result<(), ContainerError> {
        self.wait(self.pebble().replan_services(), || "replan".to_owned())
    }

    /// Starts the services marked `startup: enabled`, and waits.
    pub fn autostart(&self) -> Result<(), ContainerError> {
        self.wait(self.pebble().autostart_services(), || {
            "autostart services".to_owned()
        })
    }

    /// Starts services (and those they require), and waits. At least one name is needed.
    pub fn start(&self, services: &[&str]) -> Result<(), ContainerError> {
        self.wait(self.pebble().start_services(services), || {
            format!("start services {}", names_list(services))
        })
    }

    /// Stops services (and those that require them), and waits. At least one name is needed.
    pub fn stop(&self, services: &[&str]) -> Result<(), ContainerError> {
        self.wait(self.pebble().stop_services(services), || {
            format!("stop services {}", names_list(services))
        })
    }

    /// Restarts services (starting those that are stopped), and waits. At least one name is
    /// needed. A Pebble too old for `restart` (it answers 400) gets stop-then-start.
    pub fn restart(&self, services: &[&str]) -> Result<(), ContainerError> {
        let op = || format!("restart services {}", names_list(services));
        match self.pebble().restart_services(services) {
            Err(e) if e.api_status() == Some(400) => {
                tracing::debug!("Pebble refused restart ({e}); stopping then starting instead");
                let running: Vec<String> = self
                    .get_services(services)?
                    .into_values()
                    .filter(ServiceInfo::is_running)
                    .map(|s| s.name)
                    .collect();
                if !running.is_empty() {
                    let running: Vec<&str> = running.iter().map(String::as_str).collect();
                    self.stop(&running)?;
                }
                self.start(services)
            }
            r => self.wait(r, op),
        }
    }

    /// The status of the named services (all when `services` is empty), by name.
    pub fn get_services(
        &self,
        services: &[&str],
    ) -> Result<BTreeMap<String, ServiceInfo>, ContainerError> {
        let list = self.check(self.pebble().get_services(services), || {
            format!("get services {}", names_list(services))
        })?;
        Ok(list.into_iter().map(|s| (s.name.clone(), s)).collect())
    }

    /// The status of one service ([`ContainerError::ServiceNotFound`] if the plan has none of
    /// that name).
    pub fn get_service(&self, service: &str) -> Result<ServiceInfo, ContainerError> {
        self.get_services(&[service])?
            .remove(service)
            .ok_or_else(|| ContainerError::ServiceNotFound {
                container: self.name().to_owned(),
                service: service.to_owned(),
            })
    }

    /// The status of the named checks (all when `checks` is empty), at every level, by name.
    pub fn get_checks(
        &self,
        checks: &[&str],
    ) -> Result<BTreeMap<String, CheckInfo>, ContainerError> {
        self.get_checks_at(CheckLevel::Unset, checks)
    }

    /// Like [`Container::get_checks`], only the checks of exactly `level` (`alive` or
    /// `ready`; [`CheckLevel::Unset`] for all).
    pub fn get_checks_at(
        &self,
        level: CheckLevel,
        checks: &[&str],
    ) -> Result<BTreeMap<String, CheckInfo>, ContainerError> {
        let list = self.check(self.pebble().get_checks(level.clone(), checks), || {
            format!("get checks {}", names_list(checks))
        })?;
        Ok(list.into_iter().map(|c| (c.name.clone(), c)).collect())
    }

    /// The status of one check ([`ContainerError::CheckNotFound`] if the plan has none of
    /// that name).
    pub fn get_check(&self, check: &str) -> Result<CheckInfo, ContainerError> {
        self.get_checks(&[check])?
            .remove(check)
            .ok_or_else(|| ContainerError::CheckNotFound {
                container: self.name().to_owned(),
                check: check.to_owned(),
            })
    }

    /// Starts checks; returns those that were not already running (Pebble ≥ 1.19).
    pub fn start_checks(&self, checks: &[&str]) -> Result<Vec<String>, ContainerError> {
        self.check(self.pebble().start_checks(checks), || {
            format!("start checks {}", names_list(checks))
        })
    }

    /// Stops checks; returns those that were running (Pebble ≥ 1.19). Stopping a health
    /// check disables monitoring of the workload: it is logged at INFO.
    pub fn stop_checks(&self, checks: &[&str]) -> Result<Vec<String>, ContainerError> {
        let stopped = self.check(self.pebble().stop_checks(checks), || {
            format!("stop checks {}", names_list(checks))
        })?;
        if !stopped.is_empty() {
            tracing::info!(
                "stopped checks {} in container {}: their monitoring is disabled",
                stopped.join(", "),
                self.name()
            );
        }
        Ok(stopped)
    }

    /// Sends a signal (a name such as `SIGHUP`) to services. At least one name is needed.
    pub fn send_signal(&self, signal: &str, services: &[&str]) -> Result<(), ContainerError> {
        self.check(self.pebble().send_signal(signal, services), || {
            format!("send {signal} to services {}", names_list(services))
        })
    }
}
