//! The test-facing handle: inspect and change the simulated state, inject faults.

use std::time::Duration;

use super::faults::FaultRule;
use super::server::Listen;
use super::state::checks;
use super::state::notices::Occurrence;
use super::{SimError, SimPebble};
use crate::types::{
    Change, CheckInfo, CheckLevel, Layer, Notice, Plan, ServiceInfo, ServiceStatus,
};

impl SimPebble {
    // ----- plan and services -----

    /// Adds a layer (YAML) as `POST /v1/layers` would, without combining.
    pub fn add_layer(&self, label: &str, yaml: &str) -> Result<(), SimError> {
        let layer = Layer::from_yaml(yaml).map_err(|e| SimError::Rejected(e.to_string()))?;
        self.shared.with(|st, now| {
            st.plan
                .add_layer(label, false, layer)
                .map_err(|e| SimError::Rejected(e.to_string()))?;
            checks::sync(st, now);
            Ok(())
        })
    }

    /// The combined plan.
    pub fn plan(&self) -> Plan {
        self.shared.with(|st, _| st.plan.plan.clone())
    }

    /// The labels of the layers, bottom first.
    pub fn layer_labels(&self) -> Vec<String> {
        self.shared
            .with(|st, _| st.plan.layers.iter().map(|l| l.label.clone()).collect())
    }

    /// The layers, bottom first, as `(label, layer)`.
    pub fn layers(&self) -> Vec<(String, Layer)> {
        self.shared.with(|st, _| {
            st.plan
                .layers
                .iter()
                .map(|l| (l.label.clone(), l.layer.clone()))
                .collect()
        })
    }

    /// Every service in the plan with its status.
    pub fn services(&self) -> Vec<ServiceInfo> {
        self.shared
            .with(|st, _| st.services.infos(&st.plan.plan, &[]))
    }

    /// Sets a service's status directly (e.g. to simulate a crash: `Backoff` or `Error`).
    pub fn set_service_status(&self, name: &str, status: ServiceStatus) {
        self.shared
            .with(|st, now| st.services.set(name, status, now));
    }

    /// Makes the next start of `name` fail; its task logs `cannot start service: <reason>`,
    /// or, as Pebble words a process that ran and exited, `service start attempt: <reason>`
    /// when the reason starts with `exited quickly`.
    pub fn fail_next_start(&self, name: &str, reason: &str) {
        self.shared.with(|st, _| {
            st.services
                .fail_next_start
                .insert(name.to_owned(), reason.to_owned());
        });
    }

    // ----- changes -----

    /// Every change, oldest first.
    pub fn changes(&self) -> Vec<Change> {
        self.shared
            .with(|st, _| st.changes.by_id.values().map(|c| c.to_change()).collect())
    }

    /// One change by id.
    pub fn change(&self, id: &str) -> Option<Change> {
        let id: u64 = id.parse().ok()?;
        self.shared
            .with(|st, _| st.changes.by_id.get(&id).map(|c| c.to_change()))
    }

    // ----- checks -----

    /// Every check (from the plan) with its status.
    pub fn checks(&self) -> Vec<CheckInfo> {
        self.shared
            .with(|st, _| checks::infos(st, &CheckLevel::Unset, &[]))
    }

    /// Forces a running check down: its `perform-check` change ends in Error (logging
    /// `message`) and a `recover-check` change opens, with change-update notices. It stays
    /// down (each run fails with `message`) until [`recover_check`](Self::recover_check).
    pub fn fail_check(&self, name: &str, message: &str) -> Result<(), SimError> {
        self.shared
            .with(|st, now| checks::set_down(st, name, message, now))
            .map_err(SimError::Rejected)
    }

    /// Brings a down check back up: the `recover-check` change ends Done. Checks run for
    /// real ([`SimBuilder::run_checks`](super::SimBuilder::run_checks)) then go on with their
    /// real results.
    pub fn recover_check(&self, name: &str) -> Result<(), SimError> {
        self.shared
            .with(|st, now| checks::set_up(st, name, now))
            .map_err(SimError::Rejected)
    }

    /// Records one failed run of a running check, as if it had run and failed with
    /// `message`: below the threshold the failure count goes up and its change logs the
    /// error; at the threshold the check goes down (as [`fail_check`](Self::fail_check), but
    /// not kept failing); a down check counts one more failure.
    pub fn record_check_failure(&self, name: &str, message: &str) -> Result<(), SimError> {
        self.shared
            .with(|st, now| checks::record_failure(st, name, message, now))
            .map_err(SimError::Rejected)
    }

    /// Stops a running check (its status becomes inactive), as `pebble stop-checks` does.
    pub fn stop_check(&self, name: &str) -> Result<(), SimError> {
        self.shared
            .with(|st, now| {
                if checks::stop(st, name, now) {
                    Ok(())
                } else {
                    Err(format!("check {name:?} is not running"))
                }
            })
            .map_err(SimError::Rejected)
    }

    // ----- notices -----

    /// Records a custom notice as a workload running `pebble notify` as `uid` would.
    pub fn notify(
        &self,
        uid: u32,
        key: &str,
        data: &[(&str, &str)],
        repeat_after: Option<Duration>,
    ) -> Result<String, SimError> {
        super::state::notices::validate_custom_key(key).map_err(SimError::Rejected)?;
        let occ = Occurrence {
            data: data
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            repeat_after,
        };
        let id = self
            .shared
            .with(|st, now| st.add_notice(Some(uid), "custom", key, occ, now));
        Ok(id.to_string())
    }

    /// Records a new custom notice under a chosen id, as [`SimPebble::notify`] would its
    /// first occurrence (for restoring a saved notice with the same id); later notices get
    /// ids after the highest. Rejected if the id or the key (for this user) is taken.
    pub fn notify_with_id(
        &self,
        id: u64,
        uid: u32,
        key: &str,
        data: &[(&str, &str)],
        repeat_after: Option<Duration>,
    ) -> Result<(), SimError> {
        super::state::notices::validate_custom_key(key).map_err(SimError::Rejected)?;
        let occ = Occurrence {
            data: data
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            repeat_after,
        };
        self.shared
            .with(|st, now| {
                st.wake = true;
                st.notices
                    .add_with_id(id, Some(uid), "custom", key, occ, now)
            })
            .map_err(SimError::Rejected)
    }

    /// Records a public warning notice (key = the message), as Pebble does for warnings.
    pub fn warn(&self, message: &str) -> String {
        let occ = Occurrence {
            data: Default::default(),
            repeat_after: Some(Duration::from_secs(24 * 3600)),
        };
        self.shared
            .with(|st, now| st.add_notice(None, "warning", message, occ, now))
            .to_string()
    }

    /// Every live notice of every user, ordered by last-repeated time.
    pub fn notices(&self) -> Vec<Notice> {
        let filter = super::state::notices::NoticeFilter {
            all_users: true,
            ..Default::default()
        };
        self.shared.with(|st, now| {
            st.notices
                .query(&filter, now)
                .into_iter()
                .map(|n| n.to_notice())
                .collect()
        })
    }

    /// Moves the simulated clock forward (repeat-after and expiry use it).
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    // ----- files -----

    /// The host path of a container path (under [`SimPebble::root`]).
    pub fn host_path(&self, container_path: &str) -> Result<std::path::PathBuf, SimError> {
        self.shared
            .files
            .host_path(container_path)
            .map_err(|e| SimError::Rejected(e.message))
    }

    // ----- faults -----

    /// Adds a request fault rule (after the existing ones).
    pub fn inject(&self, rule: FaultRule) {
        self.shared.faults().push(rule);
    }

    /// Removes every request fault and pending connection drop.
    pub fn clear_faults(&self) {
        self.shared.faults().clear();
    }

    /// Closes the next `n` accepted connections before reading anything.
    pub fn drop_connections(&self, n: u32) {
        self.shared.faults().drop_connections += n;
    }

    /// Removes the socket file (connects fail with "not found") until `restore_socket`, or
    /// for `duration` if given.
    pub fn remove_socket(&self, duration: Option<Duration>) {
        let until = duration.map(|d| tokio::time::Instant::now() + d);
        self.shared.listen.send_replace(Listen::Absent(until));
        self.wait_listen(|p| !p.exists());
    }

    /// Leaves a socket file nobody listens on (connects fail with ECONNREFUSED) until
    /// `restore_socket`, or for `duration` if given.
    pub fn refuse_connections(&self, duration: Option<Duration>) {
        let until = duration.map(|d| tokio::time::Instant::now() + d);
        self.shared.listen.send_replace(Listen::Refusing(until));
        self.wait_listen(|p| p.exists() && std::os::unix::net::UnixStream::connect(p).is_err());
    }

    /// Listens normally again.
    pub fn restore_socket(&self) {
        self.shared.listen.send_replace(Listen::Serving);
        self.wait_listen(|p| std::os::unix::net::UnixStream::connect(p).is_ok());
    }

    fn wait_listen(&self, ready: impl Fn(&std::path::Path) -> bool) {
        for _ in 0..500 {
            if ready(&self.shared.socket) {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// How many requests reached `path` (no query string), faulted ones included.
    pub fn requests(&self, path: &str) -> u64 {
        self.shared.faults().counts.get(path).copied().unwrap_or(0)
    }

    /// How many requests reached the server in all.
    pub fn total_requests(&self) -> u64 {
        self.shared.faults().counts.values().sum()
    }

    /// How many connections were accepted (dropped ones included).
    pub fn connections(&self) -> u64 {
        self.shared.faults().connections
    }
}
