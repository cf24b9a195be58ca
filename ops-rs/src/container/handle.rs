//! [`Container`]: one workload container's Pebble, for handlers.

use std::path::Path;
use std::time::Duration;

use pebble_client::blocking::Client;
use pebble_client::retry::RetryPolicy;
use pebble_client::{ChangeId, Error as PebbleError};

use super::{ContainerError, DEFAULT_CHANGE_TIMEOUT};

/// A workload container, through its Pebble (Python ops' `Container`).
///
/// Get one with [`Ctx::container`](crate::framework::Ctx::container) (or
/// [`Ctx::containers`](crate::framework::Ctx::containers), or an event's `container(ctx)`).
/// Every handle on the same container in a dispatch shares one persistent connection; clones
/// are cheap. Calls block, and go through the retry policy (see
/// [`PebbleOptions`](super::PebbleOptions) for how it is chosen); calls that make a change
/// (start, stop, restart, replan, autostart) wait for it, up to the change timeout (30 s by
/// default), and fail with the change's error and its tasks' logs if it fails.
///
/// ```no_run
/// use ops::prelude::*;
/// use ops::container::Layer;
/// # struct Web;
/// # impl Charm for Web { type Stored = (); fn observe(_: &mut Observers<Self>) {} }
/// fn on_web_ready(_c: &mut Web, ctx: &mut Ctx<Web>, ev: &mut PebbleReady) -> HandlerResult {
///     let web = ev.container(ctx)?;
///     web.push("/etc/web.conf", "port = 8080\n", &Default::default())?;
///     let layer = Layer::from_yaml(
///         "services:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\n",
///     )?;
///     web.add_layer("web", &layer, true)?;
///     web.replan()?;
///     ctx.add_unit_status(Status::active(""))?;
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct Container {
    name: String,
    client: Client,
    change_timeout: Duration,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("name", &self.name)
            .field("socket", &self.socket_path())
            .field("change_timeout", &self.change_timeout)
            .finish_non_exhaustive()
    }
}

impl Container {
    pub(crate) fn new(name: &str, client: Client, change_timeout: Duration) -> Self {
        Container {
            name: name.to_owned(),
            client,
            change_timeout,
        }
    }

    /// A container over a client of your own (outside a dispatch, e.g. in a tool or a test),
    /// waiting for changes up to 30 s.
    ///
    /// ```
    /// use ops::container::Container;
    /// let client = pebble_client::blocking::Client::new("/tmp/sim/web/pebble.socket")?;
    /// let web = Container::from_client("web", client);
    /// assert_eq!(web.name(), "web");
    /// # Ok::<(), pebble_client::Error>(())
    /// ```
    pub fn from_client(name: impl Into<String>, client: Client) -> Self {
        Container {
            name: name.into(),
            client,
            change_timeout: DEFAULT_CHANGE_TIMEOUT,
        }
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Pebble socket it talks to.
    pub fn socket_path(&self) -> &Path {
        self.client.as_async().socket_path()
    }

    /// The raw blocking Pebble client (sharing this container's connection and retry policy):
    /// for what `Container` does not wrap, e.g. `notify`, changes, identities, health.
    pub fn pebble(&self) -> &Client {
        &self.client
    }

    /// The same container, sharing the connection, with another retry policy for the calls
    /// made through the returned handle (the most specific level: over the container's and
    /// the charm's policies).
    ///
    /// ```
    /// use pebble_client::retry::RetryPolicy;
    /// # let web = ops::container::Container::from_client("web",
    /// #     pebble_client::blocking::Client::new("/tmp/s")?);
    /// let patient = web.with_retry(RetryPolicy::default().max_attempts(20));
    /// assert_eq!(patient.retry_policy().get_max_attempts(), 20);
    /// # Ok::<(), pebble_client::Error>(())
    /// ```
    #[must_use]
    pub fn with_retry(&self, policy: RetryPolicy) -> Self {
        Container {
            name: self.name.clone(),
            client: self.client.with_retry(policy),
            change_timeout: self.change_timeout,
        }
    }

    /// The retry policy of this handle's calls.
    pub fn retry_policy(&self) -> &RetryPolicy {
        self.client.as_async().retry_policy()
    }

    /// The same container with another change timeout. Zero submits changes without waiting
    /// for them (as Python ops' `timeout=0`).
    #[must_use]
    pub fn with_change_timeout(&self, timeout: Duration) -> Self {
        Container {
            change_timeout: timeout,
            ..self.clone()
        }
    }

    /// How long calls that make a change wait for it.
    pub fn change_timeout(&self) -> Duration {
        self.change_timeout
    }

    /// Whether Pebble answers now (`GET /v1/system-info`, retried within the policy).
    ///
    /// A **point-in-time check**: Pebble may go away right after it answered (the container
    /// can restart at any moment), so every later call must still handle
    /// [`ContainerError::is_unreachable`]. Prefer trying the real operation and deferring
    /// on an unreachable error over guarding with this. Failures are logged (at DEBUG for an
    /// unreachable Pebble, WARNING otherwise) and answer `false`.
    pub fn can_connect(&self) -> bool {
        match self.client.system_info() {
            Ok(_) => true,
            Err(e) => {
                let e = self.error("reach Pebble", e);
                let chain = crate::error_chain::error_chain(&e);
                if e.is_unreachable() {
                    tracing::debug!("{chain}");
                } else {
                    tracing::warn!("{chain}");
                }
                false
            }
        }
    }

    /// Wraps a Pebble error with this container and the operation.
    pub(super) fn error(&self, operation: impl Into<String>, e: PebbleError) -> ContainerError {
        ContainerError::pebble(self.name.clone(), operation, e)
    }

    /// Maps the error of `r`, building the operation's description only on failure.
    pub(super) fn check<T>(
        &self,
        r: Result<T, PebbleError>,
        operation: impl FnOnce() -> String,
    ) -> Result<T, ContainerError> {
        r.map_err(|e| self.error(operation(), e))
    }

    /// Waits for change `id` (unless the change timeout is zero); a change that does not end
    /// in `Done` is an error with its tasks' logs.
    pub(super) fn wait(
        &self,
        id: Result<ChangeId, PebbleError>,
        operation: impl Fn() -> String,
    ) -> Result<(), ContainerError> {
        let id = self.check(id, &operation)?;
        if self.change_timeout.is_zero() {
            return Ok(());
        }
        self.check(
            self.client.wait_change_ok(&id, self.change_timeout),
            operation,
        )?;
        Ok(())
    }
}

/// `[a, b]` for messages.
pub(super) fn names_list(names: &[&str]) -> String {
    format!("[{}]", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web() -> Container {
        let client = Client::builder("/nonexistent/web/pebble.socket")
            .retry(RetryPolicy::never())
            .build()
            .unwrap();
        Container::from_client("web", client)
    }

    #[test]
    fn handles_share_name_and_socket_and_change_their_settings() {
        let w = web();
        assert_eq!(w.change_timeout(), Duration::from_secs(30));
        let quick = w
            .with_change_timeout(Duration::ZERO)
            .with_retry(RetryPolicy::default());
        assert_eq!(quick.change_timeout(), Duration::ZERO);
        assert_eq!(quick.retry_policy().get_max_attempts(), 6);
        assert_eq!(w.retry_policy().get_max_attempts(), 1);
        assert_eq!(quick.socket_path(), w.socket_path());
        let dbg = format!("{w:?}");
        assert!(
            dbg.contains("web") && dbg.contains("pebble.socket"),
            "{dbg}"
        );
    }

    #[test]
    fn can_connect_is_false_without_a_socket() {
        assert!(!web().can_connect());
    }

    #[test]
    fn names_are_listed() {
        assert_eq!(names_list(&["a", "b"]), "[a, b]");
    }
}
