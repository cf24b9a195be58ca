//! Pebble's checks on a single layer (`Layer.Validate`) and on the combined plan
//! (`Plan.Validate`), with Pebble's messages.

use std::collections::{BTreeMap, BTreeSet};

use super::{Layer, Plan, PlanError, ServiceAction};

/// Checks a layer label as `POST /v1/layers` does: not empty, not starting with `pebble-`.
pub fn validate_label(label: &str) -> Result<(), PlanError> {
    if label.is_empty() {
        return Err(PlanError::invalid("label must be set"));
    }
    if label.starts_with("pebble-") {
        return Err(PlanError::invalid(
            "cannot use reserved label prefix \"pebble-\"",
        ));
    }
    Ok(())
}

fn action_ok(action: &ServiceAction, extra: &ServiceAction) -> bool {
    matches!(
        action,
        ServiceAction::Restart | ServiceAction::Shutdown | ServiceAction::Ignore
    ) || action == extra
}

impl Layer {
    /// Checks the rules Pebble applies to each layer on its own: service and check names,
    /// `on-success`/`on-failure`/`on-check-failure` values, `backoff-factor` ≥ 1, check level
    /// and startup values, non-zero period and timeout, log-target types and reserved labels.
    pub fn validate(&self) -> Result<(), PlanError> {
        for (name, s) in &self.services {
            if name.is_empty() {
                return Err(PlanError::invalid(
                    "cannot use empty string as service name",
                ));
            }
            if name == "pebble" {
                return Err(PlanError::invalid(format!(
                    "cannot use reserved service name {name:?}"
                )));
            }
            if name.starts_with('-') {
                return Err(PlanError::invalid(format!(
                    "cannot use service name {name:?}: starting with \"-\" not allowed"
                )));
            }
            if let Some(a) = &s.on_success
                && !action_ok(a, &ServiceAction::FailureShutdown)
            {
                return Err(PlanError::invalid(format!(
                    "plan service {name:?} on-success action {:?} invalid",
                    a.as_str()
                )));
            }
            if let Some(a) = &s.on_failure
                && !action_ok(a, &ServiceAction::SuccessShutdown)
            {
                return Err(PlanError::invalid(format!(
                    "plan service {name:?} on-failure action {:?} invalid",
                    a.as_str()
                )));
            }
            for a in s.on_check_failure.values() {
                if !action_ok(a, &ServiceAction::SuccessShutdown) {
                    return Err(PlanError::invalid(format!(
                        "plan service {name:?} on-check-failure action {:?} invalid",
                        a.as_str()
                    )));
                }
            }
            if let Some(f) = s.backoff_factor
                && f < 1.0
            {
                return Err(PlanError::invalid(format!(
                    "plan service {name:?} backoff-factor must be 1.0 or greater, not {f}"
                )));
            }
        }
        for (name, c) in &self.checks {
            if name.is_empty() {
                return Err(PlanError::invalid("cannot use empty string as check name"));
            }
            if !c.level.is_known() {
                return Err(PlanError::invalid(format!(
                    "plan check {name:?} level must be \"alive\" or \"ready\""
                )));
            }
            if !c.startup.is_known() {
                return Err(PlanError::invalid(format!(
                    "plan check {name:?} startup must be \"enabled\" or \"disabled\""
                )));
            }
            if c.period.is_some_and(|p| p.as_nanos() == 0) {
                return Err(PlanError::invalid(format!(
                    "plan check {name:?} period must not be zero"
                )));
            }
            if c.timeout.is_some_and(|p| p.as_nanos() == 0) {
                return Err(PlanError::invalid(format!(
                    "plan check {name:?} timeout must not be zero"
                )));
            }
        }
        for (name, t) in &self.log_targets {
            if let Some(label) = t.labels.keys().find(|l| l.starts_with("pebble_")) {
                return Err(PlanError::invalid(format!(
                    "log target {name:?}: label {label:?} uses reserved prefix \"pebble_\""
                )));
            }
            if let Some(ty) = &t.target_type
                && !ty.is_known()
            {
                return Err(PlanError::invalid(format!(
                    "log target {name:?} has unsupported type {:?}, must be \"loki\", \"opentelemetry\" or \"syslog\"",
                    ty.as_str()
                )));
            }
        }
        Ok(())
    }
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}

impl Plan {
    /// Checks the combined plan as Pebble does: every service has a `command`; every check has
    /// exactly one of http (with url), tcp (with port), exec (with command, and an existing
    /// `service-context`); every log target has a type, a location and known services;
    /// `requires` names existing services; `before`/`after` have no loop.
    pub fn validate(&self) -> Result<(), PlanError> {
        for (name, s) in &self.services {
            if blank(&s.command) {
                return Err(PlanError::invalid(format!(
                    "plan must define \"command\" for service {name:?}"
                )));
            }
        }
        for (name, c) in &self.checks {
            let mut kinds = 0;
            if let Some(h) = &c.http {
                if blank(&h.url) {
                    return Err(PlanError::invalid(format!(
                        "plan must set \"url\" for http check {name:?}"
                    )));
                }
                kinds += 1;
            }
            if let Some(t) = &c.tcp {
                if t.port.unwrap_or(0) == 0 {
                    return Err(PlanError::invalid(format!(
                        "plan must set \"port\" for tcp check {name:?}"
                    )));
                }
                kinds += 1;
            }
            if let Some(e) = &c.exec {
                if blank(&e.command) {
                    return Err(PlanError::invalid(format!(
                        "plan must set \"command\" for exec check {name:?}"
                    )));
                }
                if let Some(ctx) = e.service_context.as_deref()
                    && !ctx.is_empty()
                    && !self.services.contains_key(ctx)
                {
                    return Err(PlanError::invalid(format!(
                        "plan check {name:?} service context specifies non-existent service {ctx:?}"
                    )));
                }
                kinds += 1;
            }
            if kinds != 1 {
                return Err(PlanError::invalid(format!(
                    "plan must specify one of \"http\", \"tcp\", or \"exec\" for check {name:?}"
                )));
            }
        }
        for (name, t) in &self.log_targets {
            if t.target_type.is_none() {
                return Err(PlanError::invalid(format!(
                    "plan must define \"type\" (\"loki\", \"opentelemetry\" or \"syslog\") for log target {name:?}"
                )));
            }
            for svc in &t.services {
                let svc = svc.strip_prefix('-').unwrap_or(svc);
                if svc != "all" && !self.services.contains_key(svc) {
                    return Err(PlanError::invalid(format!(
                        "log target {name:?} specifies unknown service {svc:?}"
                    )));
                }
            }
            if blank(&t.location) {
                return Err(PlanError::invalid(format!(
                    "plan must define \"location\" for log target {name:?}"
                )));
            }
        }
        self.check_order()
    }

    /// `requires` must name existing services; `before`/`after` must not loop.
    fn check_order(&self) -> Result<(), PlanError> {
        for s in self.services.values() {
            if let Some(missing) = s.requires.iter().find(|r| !self.services.contains_key(*r)) {
                return Err(PlanError::invalid(format!(
                    "service {missing:?} does not exist"
                )));
            }
        }
        // Edges name -> must-start-before-it, among existing services only.
        let mut edges: BTreeMap<&str, BTreeSet<&str>> = self
            .services
            .keys()
            .map(|k| (k.as_str(), BTreeSet::new()))
            .collect();
        for (name, s) in &self.services {
            for a in &s.after {
                if self.services.contains_key(a)
                    && let Some(set) = edges.get_mut(name.as_str())
                {
                    set.insert(a.as_str());
                }
            }
            for b in &s.before {
                if let Some(set) = edges.get_mut(b.as_str()) {
                    set.insert(name.as_str());
                }
            }
        }
        match find_loop(&edges) {
            Some(services) => Err(PlanError::Cycle { services }),
            None => Ok(()),
        }
    }
}

/// Returns the members of the first strongly connected component with more than one node
/// (Tarjan's algorithm), sorted.
fn find_loop(edges: &BTreeMap<&str, BTreeSet<&str>>) -> Option<Vec<String>> {
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Option<Vec<String>>,
    }
    fn visit<'a>(v: &'a str, edges: &BTreeMap<&'a str, BTreeSet<&'a str>>, st: &mut State<'a>) {
        st.index.insert(v, st.next);
        st.low.insert(v, st.next);
        st.next += 1;
        st.stack.push(v);
        st.on_stack.insert(v);
        for &w in edges.get(v).into_iter().flatten() {
            if !st.index.contains_key(w) {
                visit(w, edges, st);
                let lw = st.low.get(w).copied().unwrap_or(usize::MAX);
                if let Some(lv) = st.low.get_mut(v) {
                    *lv = (*lv).min(lw);
                }
            } else if st.on_stack.contains(w) {
                let iw = st.index.get(w).copied().unwrap_or(usize::MAX);
                if let Some(lv) = st.low.get_mut(v) {
                    *lv = (*lv).min(iw);
                }
            }
        }
        if st.low.get(v) == st.index.get(v) {
            let mut component = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 && st.found.is_none() {
                component.sort();
                st.found = Some(component);
            }
        }
    }
    let mut st = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: None,
    };
    for &v in edges.keys() {
        if !st.index.contains_key(v) {
            visit(v, edges, &mut st);
        }
    }
    st.found
}
