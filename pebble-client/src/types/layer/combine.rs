//! Pebble's layer combine rules (`CombineLayers` in `internals/plan/plan.go`).
//!
//! For each service, check and log target, in layer order:
//! - `replace` takes the new definition wholesale;
//! - `merge` starts from the earlier definition (or the new one if none) and applies the new
//!   one's fields: scalars only when set (an empty string counts as unset, as in Go), the lists
//!   `after`, `before`, `requires` and log-target `services` are appended, the maps
//!   `environment`, `on-check-failure`, http `headers` and `labels` are merged key by key, and
//!   nested `http`/`tcp`/`exec` blocks are merged field by field;
//! - a missing `override` is an error.
//!
//! `summary` and `description` come from the last layer. In the combined plan, a check's
//! `threshold` is filled with its default (as Pebble does); other defaults are not written and
//! are read with the `effective_*` accessors.

use std::collections::BTreeMap;

use super::check::DEFAULT_CHECK_THRESHOLD;
use super::{
    Check, ExecCheck, HttpCheck, Layer, LogTarget, Override, Plan, PlanError, Service, TcpCheck,
};
use crate::types::check::{CheckLevel, CheckStartup};
use crate::types::service::ServiceStartup;

/// Overwrites `dst` when `src` is set (a `Some`, and for strings not empty).
fn set_str(dst: &mut Option<String>, src: &Option<String>) {
    if let Some(s) = src
        && !s.is_empty()
    {
        *dst = Some(s.clone());
    }
}

fn set<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
    if src.is_some() {
        dst.clone_from(src);
    }
}

fn merge_map<V: Clone>(dst: &mut BTreeMap<String, V>, src: &BTreeMap<String, V>) {
    for (k, v) in src {
        dst.insert(k.clone(), v.clone());
    }
}

impl Service {
    /// Applies `other` onto `self` with the `merge` rules.
    pub fn merge(&mut self, other: &Service) {
        set_str(&mut self.summary, &other.summary);
        set_str(&mut self.description, &other.description);
        if other.startup != ServiceStartup::Unset {
            self.startup = other.startup.clone();
        }
        set_str(&mut self.command, &other.command);
        set(&mut self.kill_delay, &other.kill_delay);
        set(&mut self.user_id, &other.user_id);
        set_str(&mut self.user, &other.user);
        set(&mut self.group_id, &other.group_id);
        set_str(&mut self.group, &other.group);
        set_str(&mut self.working_dir, &other.working_dir);
        self.after.extend(other.after.iter().cloned());
        self.before.extend(other.before.iter().cloned());
        self.requires.extend(other.requires.iter().cloned());
        set_str(&mut self.workload, &other.workload);
        merge_map(&mut self.environment, &other.environment);
        set(&mut self.on_success, &other.on_success);
        set(&mut self.on_failure, &other.on_failure);
        merge_map(&mut self.on_check_failure, &other.on_check_failure);
        set(&mut self.backoff_delay, &other.backoff_delay);
        set(&mut self.backoff_factor, &other.backoff_factor);
        set(&mut self.backoff_limit, &other.backoff_limit);
    }
}

impl Check {
    /// Applies `other` onto `self` with the `merge` rules.
    pub fn merge(&mut self, other: &Check) {
        if other.level != CheckLevel::Unset {
            self.level = other.level.clone();
        }
        if other.startup != CheckStartup::Unset {
            self.startup = other.startup.clone();
        }
        set(&mut self.period, &other.period);
        set(&mut self.timeout, &other.timeout);
        if let Some(t) = other.threshold
            && t != 0
        {
            self.threshold = Some(t);
        }
        if let Some(h) = &other.http {
            self.http.get_or_insert_with(HttpCheck::default).merge(h);
        }
        if let Some(t) = &other.tcp {
            self.tcp.get_or_insert_with(TcpCheck::default).merge(t);
        }
        if let Some(e) = &other.exec {
            self.exec.get_or_insert_with(ExecCheck::default).merge(e);
        }
    }
}

impl HttpCheck {
    /// Applies `other` onto `self` field by field.
    pub fn merge(&mut self, other: &HttpCheck) {
        set_str(&mut self.url, &other.url);
        merge_map(&mut self.headers, &other.headers);
    }
}

impl TcpCheck {
    /// Applies `other` onto `self` field by field (port 0 counts as unset).
    pub fn merge(&mut self, other: &TcpCheck) {
        if let Some(p) = other.port
            && p != 0
        {
            self.port = Some(p);
        }
        set_str(&mut self.host, &other.host);
    }
}

impl ExecCheck {
    /// Applies `other` onto `self` field by field.
    pub fn merge(&mut self, other: &ExecCheck) {
        set_str(&mut self.command, &other.command);
        set_str(&mut self.service_context, &other.service_context);
        merge_map(&mut self.environment, &other.environment);
        set(&mut self.user_id, &other.user_id);
        set_str(&mut self.user, &other.user);
        set(&mut self.group_id, &other.group_id);
        set_str(&mut self.group, &other.group);
        set_str(&mut self.working_dir, &other.working_dir);
    }
}

impl LogTarget {
    /// Applies `other` onto `self` with the `merge` rules.
    pub fn merge(&mut self, other: &LogTarget) {
        set(&mut self.target_type, &other.target_type);
        set_str(&mut self.location, &other.location);
        self.services.extend(other.services.iter().cloned());
        merge_map(&mut self.labels, &other.labels);
    }
}

/// One section's combine step, shared by services, checks and log targets.
fn combine_section<T: Clone>(
    into: &mut BTreeMap<String, T>,
    from: &BTreeMap<String, T>,
    label: &str,
    what: &str,
    override_of: impl Fn(&T) -> Option<Override>,
    merge: impl Fn(&mut T, &T),
) -> Result<(), PlanError> {
    for (name, def) in from {
        match override_of(def) {
            Some(Override::Replace) => {
                into.insert(name.clone(), def.clone());
            }
            Some(Override::Merge) => match into.get_mut(name) {
                Some(old) => merge(old, def),
                None => {
                    into.insert(name.clone(), def.clone());
                }
            },
            None => {
                return Err(PlanError::invalid(format!(
                    "layer {label:?} must define \"override\" for {what} {name:?}"
                )));
            }
        }
    }
    Ok(())
}

/// Combines labelled layers in order into one layer (no defaults, no validation): Pebble's
/// `CombineLayers` without the defaults step. The label only appears in error messages.
fn combine_raw<'a>(
    layers: impl IntoIterator<Item = (&'a str, &'a Layer)>,
) -> Result<Layer, PlanError> {
    let mut out = Layer::default();
    let mut last: Option<&Layer> = None;
    for (label, layer) in layers {
        combine_section(
            &mut out.services,
            &layer.services,
            label,
            "service",
            |s| s.override_,
            Service::merge,
        )?;
        combine_section(
            &mut out.checks,
            &layer.checks,
            label,
            "check",
            |c| c.override_,
            Check::merge,
        )?;
        combine_section(
            &mut out.log_targets,
            &layer.log_targets,
            label,
            "log target",
            |t| t.override_,
            LogTarget::merge,
        )?;
        last = Some(layer);
    }
    if let Some(last) = last {
        out.summary.clone_from(&last.summary);
        out.description.clone_from(&last.description);
    }
    Ok(out)
}

/// Combines layers (bottom first) into the plan and validates it, as Pebble does when a layer
/// is added. Layers are named by index in error messages; see [`combine_labelled_layers`].
pub fn combine_layers(layers: &[Layer]) -> Result<Plan, PlanError> {
    let labels: Vec<String> = (0..layers.len()).map(|i| format!("#{i}")).collect();
    combine_labelled_layers(labels.iter().map(String::as_str).zip(layers))
}

/// Like [`combine_layers`], with each layer's label for error messages.
pub fn combine_labelled_layers<'a>(
    layers: impl IntoIterator<Item = (&'a str, &'a Layer)>,
) -> Result<Plan, PlanError> {
    let combined = combine_raw(layers)?;
    let mut plan = Plan {
        services: combined.services,
        checks: combined.checks,
        log_targets: combined.log_targets,
    };
    for check in plan.checks.values_mut() {
        if check.threshold.unwrap_or(0) == 0 {
            check.threshold = Some(DEFAULT_CHECK_THRESHOLD);
        }
    }
    plan.validate()?;
    Ok(plan)
}

impl Layer {
    /// Combines `other` into this layer, as `POST /v1/layers` with `combine: true` does for an
    /// existing label: the merge rules apply, `summary`/`description` come from `other`.
    /// `label` names this layer in error messages. The result is not validated as a plan.
    pub fn combine(&self, label: &str, other: &Layer) -> Result<Layer, PlanError> {
        combine_raw([(label, self), (label, other)])
    }
}
