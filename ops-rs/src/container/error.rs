//! [`ContainerError`]: why a [`Container`](super::Container) call failed, keeping what a
//! handler needs to choose between deferring and failing.

use std::time::Duration;

use pebble_client::{ApiError, Change, Error as PebbleError, ExecError, PathError, TimeoutPhase};

/// Why a [`Container`](super::Container) operation failed.
///
/// The Pebble client's error is kept whole as the [source](std::error::Error::source), so a
/// handler's error chain (as logged by the dispatcher) says both what the charm was doing and
/// what Pebble answered. Use the predicates to decide what to do:
///
/// - [`is_unreachable`](Self::is_unreachable): Pebble could not be reached within the retry
///   budget (socket missing because the container restarted, refused, reset, timed out, or
///   Pebble restarting): set a waiting status and defer, or return the error so Juju
///   retries the hook.
/// - [`change`](Self::change): a change (start, stop, replan...) failed; its message carries
///   the failing tasks' logs.
/// - [`api`](Self::api), [`path_error`](Self::path_error): Pebble refused the request; retrying
///   will not help until something changes.
///
/// ```
/// use ops::container::ContainerError;
/// let e = ContainerError::pebble("web", "replan", pebble_client::Error::SocketNotFound {
///     path: "/charm/containers/web/pebble.socket".into(),
/// });
/// assert!(e.is_unreachable());
/// assert_eq!(e.to_string(), "cannot replan in container web");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    /// The charm's metadata declares no container of that name.
    #[error(
        "no container named {name:?}: the charm's metadata declares {}; use one of those \
         names (as in metadata.yaml/charmcraft.yaml `containers:`)",
        declared_list(declared)
    )]
    UnknownContainer {
        /// The name asked for.
        name: String,
        /// The containers the metadata declares.
        declared: Vec<String>,
    },
    /// A Pebble call failed; the source says how.
    #[error("cannot {operation} in container {container}")]
    Pebble {
        /// The container.
        container: String,
        /// What was being done, e.g. `start services [web]`.
        operation: String,
        /// Pebble's (or the connection's) error.
        #[source]
        source: PebbleError,
    },
    /// The service is not in the container's plan.
    #[error(
        "service {service:?} not found in container {container}; add a layer defining it first"
    )]
    ServiceNotFound {
        /// The container.
        container: String,
        /// The service asked for.
        service: String,
    },
    /// The check is not in the container's plan.
    #[error("check {check:?} not found in container {container}; add a layer defining it first")]
    CheckNotFound {
        /// The container.
        container: String,
        /// The check asked for.
        check: String,
    },
    /// Pebble has no notice with that id (it may have expired).
    #[error("notice {id:?} not found in container {container}; it may have expired")]
    NoticeNotFound {
        /// The container.
        container: String,
        /// The notice id.
        id: String,
    },
    /// The notice Pebble returned for an event's id is not the one the event announced.
    #[error("{0}")]
    NoticeMismatch(Box<NoticeMismatch>),
    /// A command run with [`Container::exec`](super::Container::exec) exited with a non-zero
    /// code. The error has the command, the exit code and both outputs
    /// ([`exec_error`](Self::exec_error)); its message shows up to 1 KiB of each.
    #[error("in container {container}, {error}")]
    ExecFailed {
        /// The container.
        container: String,
        /// The command, its exit code and its outputs.
        error: Box<ExecError>,
    },
    /// Pebble found no such executable for [`Container::exec`](super::Container::exec); the
    /// command did not run.
    #[error(
        "cannot run {executable:?} in container {container}: no such executable in Pebble's \
         PATH; install it in the workload image or give its absolute path (in unit tests, \
         register the command with ops::testing::ContainerState::exec)"
    )]
    ExecutableNotFound {
        /// The container.
        container: String,
        /// The executable asked for.
        executable: String,
        /// Pebble's answer (400 `cannot find executable`).
        #[source]
        source: PebbleError,
    },
    /// Pebble killed a command at the timeout it was given ([`ExecOptions::timeout`]).
    ///
    /// [`ExecOptions::timeout`]: pebble_client::ExecOptions::timeout
    #[error(
        "command {command:?} in container {container} was killed at its {timeout:?} timeout; \
         give it a longer timeout if it is just slow"
    )]
    ExecTimedOut {
        /// The container.
        container: String,
        /// The command and its arguments.
        command: Vec<String>,
        /// The timeout it was given.
        timeout: Duration,
        /// The change error Pebble recorded.
        #[source]
        source: PebbleError,
    },
    /// Reading the stdin source of an exec failed (the command was stopped).
    #[error(
        "cannot read the stdin for command {command:?} in container {container}: {source}; \
         check the reader given to wait_output_with_stdin_from"
    )]
    StdinSource {
        /// The container.
        container: String,
        /// The command and its arguments.
        command: Vec<String>,
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },
    /// A pulled file is not UTF-8 text.
    #[error("file {path} in container {container} is not UTF-8 text; pull it as bytes instead")]
    NotUtf8 {
        /// The container.
        container: String,
        /// The path.
        path: String,
    },
}

/// A notice whose type or key is not what its event announced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "notice {id:?} in container {container} is {actual_type} {actual_key:?}, but the event \
     announced {expected_type} {expected_key:?}; Pebble may have restarted and reused the id"
)]
#[non_exhaustive]
pub struct NoticeMismatch {
    /// The container.
    pub container: String,
    /// The notice id.
    pub id: String,
    /// The type the event announced.
    pub expected_type: String,
    /// The key the event announced.
    pub expected_key: String,
    /// The type Pebble returned.
    pub actual_type: String,
    /// The key Pebble returned.
    pub actual_key: String,
}

fn declared_list(declared: &[String]) -> String {
    if declared.is_empty() {
        "no containers".to_owned()
    } else {
        declared.join(", ")
    }
}

impl ContainerError {
    /// A failed Pebble call in `container` while doing `operation`.
    pub fn pebble(
        container: impl Into<String>,
        operation: impl Into<String>,
        source: PebbleError,
    ) -> Self {
        ContainerError::Pebble {
            container: container.into(),
            operation: operation.into(),
            source,
        }
    }

    /// The Pebble client's error, for [`ContainerError::Pebble`] (and the Pebble answer
    /// behind [`ExecutableNotFound`](Self::ExecutableNotFound) and
    /// [`ExecTimedOut`](Self::ExecTimedOut)).
    pub fn pebble_error(&self) -> Option<&PebbleError> {
        match self {
            ContainerError::Pebble { source, .. }
            | ContainerError::ExecutableNotFound { source, .. }
            | ContainerError::ExecTimedOut { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The command, exit code and outputs of an exec'd command that exited with a non-zero
    /// code ([`ContainerError::ExecFailed`]).
    pub fn exec_error(&self) -> Option<&ExecError> {
        match self {
            ContainerError::ExecFailed { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The exit code of an exec'd command that exited with a non-zero code.
    pub fn exit_code(&self) -> Option<i32> {
        self.exec_error().map(ExecError::exit_code)
    }

    /// Whether Pebble could not be reached, after the retry policy gave up: the socket is
    /// missing (the container may have restarted, or Pebble is not up yet), the connection
    /// was refused or reset, a connect or response timeout, or Pebble announced that it is
    /// restarting. The usual answer is a waiting status and `ev.defer()` (or returning the
    /// error so Juju retries the hook).
    ///
    /// A change that is still running when the wait times out is **not** unreachable: Pebble
    /// answered; see [`is_timeout`](Self::is_timeout).
    pub fn is_unreachable(&self) -> bool {
        self.pebble_error().is_some_and(|e| {
            e.is_connect()
                || e.is_maintenance()
                || matches!(
                    e,
                    PebbleError::ConnectionReset { .. }
                        | PebbleError::Timeout {
                            phase: TimeoutPhase::Response,
                            ..
                        }
                )
        })
    }

    /// Whether a time limit was reached (connecting, waiting for a response, waiting for a
    /// change or an exec'd command, or an exec'd command killed at its own timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, ContainerError::ExecTimedOut { .. })
            || self.pebble_error().is_some_and(PebbleError::is_timeout)
    }

    /// Pebble's error answer, if it refused the request.
    pub fn api(&self) -> Option<&ApiError> {
        self.pebble_error().and_then(PebbleError::api)
    }

    /// The failed change, for a change that finished in error (its message has the failing
    /// tasks' logs).
    pub fn change(&self) -> Option<&Change> {
        self.pebble_error().and_then(PebbleError::change)
    }

    /// The per-path error of a file operation.
    pub fn path_error(&self) -> Option<&PathError> {
        self.pebble_error().and_then(PebbleError::path_error)
    }

    /// Whether the thing asked for does not exist: an unknown container, service, check or
    /// notice, a missing file, or a Pebble 404.
    pub fn is_not_found(&self) -> bool {
        match self {
            ContainerError::UnknownContainer { .. }
            | ContainerError::ExecutableNotFound { .. }
            | ContainerError::ServiceNotFound { .. }
            | ContainerError::CheckNotFound { .. }
            | ContainerError::NoticeNotFound { .. } => true,
            ContainerError::Pebble { source, .. } => {
                source.api_status() == Some(404)
                    || source
                        .path_error()
                        .is_some_and(|p| p.kind == pebble_client::FileErrorKind::NotFound)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wrap(e: PebbleError) -> ContainerError {
        ContainerError::pebble("web", "get services", e)
    }

    fn api(status: u16, kind: Option<&str>) -> PebbleError {
        ApiError {
            status_code: status,
            status: "x".into(),
            kind: kind.map(str::to_owned),
            message: "m".into(),
            value: None,
            maintenance: None,
        }
        .into()
    }

    #[test]
    fn unreachable_covers_connection_failures_and_restarts_only() {
        let path = std::path::PathBuf::from("/s");
        for e in [
            PebbleError::SocketNotFound { path: path.clone() },
            PebbleError::ConnectionRefused { path: path.clone() },
            PebbleError::ConnectionReset {
                sent: true,
                detail: "EOF".into(),
            },
            PebbleError::Timeout {
                phase: TimeoutPhase::Connect,
                after: Duration::from_secs(5),
            },
            PebbleError::Timeout {
                phase: TimeoutPhase::Response,
                after: Duration::from_secs(5),
            },
            api(503, Some("daemon-restart")),
        ] {
            assert!(wrap(e).is_unreachable());
        }
        for e in [
            api(404, Some("not-found")),
            PebbleError::Timeout {
                phase: TimeoutPhase::WaitChange,
                after: Duration::from_secs(30),
            },
            PebbleError::Protocol { detail: "x".into() },
        ] {
            assert!(!wrap(e).is_unreachable());
        }
        let unknown = ContainerError::UnknownContainer {
            name: "db".into(),
            declared: vec![],
        };
        assert!(!unknown.is_unreachable());
    }

    #[test]
    fn messages_say_what_and_where() {
        let e = ContainerError::UnknownContainer {
            name: "db".into(),
            declared: vec!["web".into(), "worker".into()],
        };
        assert!(e.to_string().contains("declares web, worker"), "{e}");
        let e = ContainerError::UnknownContainer {
            name: "db".into(),
            declared: vec![],
        };
        assert!(e.to_string().contains("declares no containers"), "{e}");
        let e = wrap(api(404, Some("not-found")));
        assert!(e.is_not_found());
        assert_eq!(e.api().map(|a| a.status_code), Some(404));
        let chain = crate::error_chain::error_chain(&e);
        assert!(
            chain.starts_with(
                "cannot get services in container web: caused by Pebble API error 404"
            ),
            "{chain}"
        );
    }
}
