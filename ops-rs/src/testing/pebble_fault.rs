//! [`PebbleFault`]: the Pebble outages a test can script for one run, by name.
//!
//! Lower-level faults (delays, garbage answers, `maintenance`) are
//! [`FaultRule`]s, given with [`ContainerState::fault`](super::ContainerState::fault).

use pebble_client::testing::{Fault, FaultRule};

/// One way for a container's Pebble to misbehave during a run; inject it with
/// [`State::pebble_fault`](super::State::pebble_fault) or
/// [`ContainerState::pebble_fault`](super::ContainerState::pebble_fault).
///
/// What the charm sees, with the default retry policy. Which calls are repeated after they
/// were sent is one table, [`Call::idempotent`](pebble_client::retry::Call::idempotent)
/// (its **yes** and **no** rows); the calls named below are examples from it, by their
/// [`Call::name`](pebble_client::retry::Call::name) (a test holds them to it):
///
/// | fault | calls retried after send: reads, `start-services`, `replan`, `push`, `combine-layer` (`add_layer(.., true)`), `make-dir-parents`, ... | calls never repeated after send: `add-layer` (`add_layer(.., false)`), `restart-services`, `notify`, `exec`, `send-signal`, `make-dir`, `remove`, ... |
/// |---|---|---|
/// | [`unreachable`](Self::unreachable) | retried (nothing was sent), then an error with `is_unreachable()` | the same |
/// | [`refuses(n)`](Self::refuses) | retried; succeed if `n` is within the budget | an error with `is_unreachable()` at once (it may have been applied: never repeated blindly) |
/// | [`error`](Self::error) | the API error, not retried | the same |
///
/// ```
/// use ops::testing::{ContainerState, PebbleFault, State};
/// let state = State::new()
///     .container(ContainerState::new("web"))
///     .pebble_fault("web", PebbleFault::refuses(2))
///     .pebble_fault("web", PebbleFault::error(400, "bad request").kind("invalid").path("/v1/layers"))
///     .container(ContainerState::new("db"))
///     .pebble_fault("db", PebbleFault::unreachable());
/// assert_eq!(state.containers["web"].faults.len(), 2);
/// assert!(!state.containers["db"].can_connect);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PebbleFault {
    /// No Pebble: the socket is absent (the container is not up yet, or restarting). This
    /// is the container's `can_connect = false`, which is state: it stays in the output
    /// state until the test sets it back.
    Unreachable,
    /// The next `times` requests (to `path`, or any) are read and then the connection is
    /// closed without an answer, as when Pebble restarts under a request.
    Refuses {
        /// How many requests.
        times: u32,
        /// Only requests to this path (`/v1/services`, ...).
        path: Option<String>,
    },
    /// Requests (to `path`, or any; `times` of them, or all) get an error answer.
    Error {
        /// The HTTP status.
        status: u16,
        /// Pebble's error kind (`result.kind`), if any.
        kind: Option<String>,
        /// The message.
        message: String,
        /// Only requests to this path.
        path: Option<String>,
        /// Only this many requests (`None`: every one).
        times: Option<u32>,
    },
}

impl PebbleFault {
    /// Pebble is not there: every connect finds no socket.
    pub fn unreachable() -> Self {
        PebbleFault::Unreachable
    }

    /// The next `times` requests get their connection closed without an answer.
    pub fn refuses(times: u32) -> Self {
        PebbleFault::Refuses { times, path: None }
    }

    /// Every request answers with an error of `status` and `message` (narrow it with
    /// [`kind`](Self::kind), [`path`](Self::path), [`times`](Self::times)).
    pub fn error(status: u16, message: &str) -> Self {
        PebbleFault::Error {
            status,
            kind: None,
            message: message.to_owned(),
            path: None,
            times: None,
        }
    }

    /// Sets the error kind (for [`PebbleFault::error`]; no effect on other faults).
    #[must_use]
    pub fn kind(mut self, value: &str) -> Self {
        if let PebbleFault::Error { kind, .. } = &mut self {
            *kind = Some(value.to_owned());
        }
        self
    }

    /// Only requests to `path`, e.g. `/v1/files` (no effect on
    /// [`unreachable`](Self::unreachable)).
    #[must_use]
    pub fn path(mut self, value: &str) -> Self {
        match &mut self {
            PebbleFault::Refuses { path, .. } | PebbleFault::Error { path, .. } => {
                *path = Some(value.to_owned());
            }
            PebbleFault::Unreachable => {}
        }
        self
    }

    /// Only the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        match &mut self {
            PebbleFault::Refuses { times, .. } => *times = n,
            PebbleFault::Error { times, .. } => *times = Some(n),
            PebbleFault::Unreachable => {}
        }
        self
    }

    /// The simulated Pebble's rule for this fault (`None`: no socket at all).
    pub(crate) fn rule(&self) -> Option<FaultRule> {
        let (rule, path) = match self {
            PebbleFault::Unreachable => return None,
            PebbleFault::Refuses { times, path } => {
                (FaultRule::new(Fault::Reset).times(*times), path)
            }
            PebbleFault::Error {
                status,
                kind,
                message,
                path,
                times,
            } => {
                let fault = Fault::Error {
                    status: *status,
                    kind: kind.clone(),
                    message: message.clone(),
                };
                let rule = FaultRule::new(fault);
                (times.map_or(rule.clone(), |n| rule.times(n)), path)
            }
        };
        Some(match path {
            Some(p) => rule.path(p.clone()),
            None => rule,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pebble_client::retry::Call;

    /// The calls the docs' table names in its "retried" and "never repeated" columns are
    /// the idempotency table's yes and no rows (issue 19, item 2: `add_layer` was listed
    /// among the calls never repeated, though combining is).
    #[test]
    fn the_docs_name_calls_as_the_idempotency_table_does() {
        let header = include_str!("pebble_fault.rs")
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("/// | fault |"))
            .unwrap();
        let cells: Vec<&str> = header.split('|').map(str::trim).collect();
        let names = |cell: &str| -> Vec<Call> {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .filter_map(Call::by_name)
                .collect()
        };
        let (retried, never) = (names(cells[2]), names(cells[3]));
        assert!(retried.len() >= 4 && never.len() >= 4, "{header}");
        for c in retried {
            assert!(c.idempotent(), "{} is not retried after send", c.name());
        }
        for c in never {
            assert!(!c.idempotent(), "{} is retried after send", c.name());
        }
    }

    #[test]
    fn faults_become_rules() {
        assert_eq!(PebbleFault::unreachable().path("/x").times(3).rule(), None);
        let r = PebbleFault::refuses(1)
            .times(2)
            .path("/v1/files")
            .rule()
            .unwrap();
        assert_eq!(r, FaultRule::new(Fault::Reset).times(2).path("/v1/files"));
        let e = PebbleFault::error(500, "boom")
            .kind("generic")
            .rule()
            .unwrap();
        assert_eq!(e, FaultRule::new(Fault::error_kind(500, "generic", "boom")));
        assert_eq!(e.remaining(), None);
        let once = PebbleFault::error(404, "gone").times(1).rule().unwrap();
        assert_eq!(once.remaining(), Some(1));
        assert_eq!(PebbleFault::refuses(1).kind("x"), PebbleFault::refuses(1));
    }
}
