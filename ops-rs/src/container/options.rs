//! [`PebbleOptions`]: the charm-wide and per-container settings of the Pebble clients.

use std::collections::BTreeMap;
use std::time::Duration;

use pebble_client::retry::RetryPolicy;

/// How long a [`Container`](super::Container) waits for a change (start, stop, restart,
/// replan) by default, as Python ops does.
pub const DEFAULT_CHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// The per-request timeout of the Pebble clients by default (connecting included).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings for the Pebble clients of a dispatch.
///
/// The retry policy is chosen per call, most specific first:
/// 1. a policy given for the call: [`Container::with_retry`](super::Container::with_retry)
///    (or `container.pebble().with_retry(..)` on the raw client);
/// 2. the container's policy: [`PebbleOptions::container_retry`];
/// 3. the charm's policy: [`PebbleOptions::retry`] (default [`RetryPolicy::default`]; its
///    figures are in [`pebble_client::retry`]).
///
/// Set it with [`MainOptions::pebble`](crate::MainOptions::pebble) (or
/// [`DispatchInput::pebble`](crate::dispatch::DispatchInput::pebble)).
///
/// ```
/// use std::time::Duration;
/// use ops::container::PebbleOptions;
/// use pebble_client::retry::RetryPolicy;
/// let options = PebbleOptions::default()
///     .retry(RetryPolicy::default().deadline(Duration::from_secs(1)))
///     .container_retry("database", RetryPolicy::default().max_attempts(10))
///     .change_timeout(Duration::from_secs(60));
/// assert_eq!(options.policy_for("web").get_deadline(), Duration::from_secs(1));
/// assert_eq!(options.policy_for("database").get_max_attempts(), 10);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PebbleOptions {
    /// The charm-wide retry policy.
    pub retry: RetryPolicy,
    /// Retry policies for particular containers, by container name.
    pub container_retry: BTreeMap<String, RetryPolicy>,
    /// How long to wait for a change (default [`DEFAULT_CHANGE_TIMEOUT`]).
    pub change_timeout: Duration,
    /// The per-request timeout (default [`DEFAULT_REQUEST_TIMEOUT`]); must be more than zero.
    pub request_timeout: Duration,
}

impl Default for PebbleOptions {
    fn default() -> Self {
        PebbleOptions {
            retry: RetryPolicy::default(),
            container_retry: BTreeMap::new(),
            change_timeout: DEFAULT_CHANGE_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

impl PebbleOptions {
    /// The charm-wide retry policy.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry policy of one container (over the charm-wide one).
    #[must_use]
    pub fn container_retry(mut self, container: impl Into<String>, policy: RetryPolicy) -> Self {
        self.container_retry.insert(container.into(), policy);
        self
    }

    /// How long to wait for changes.
    #[must_use]
    pub fn change_timeout(mut self, timeout: Duration) -> Self {
        self.change_timeout = timeout;
        self
    }

    /// The per-request timeout.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The policy a container's calls use unless a call sets its own.
    pub fn policy_for(&self, container: &str) -> &RetryPolicy {
        self.container_retry.get(container).unwrap_or(&self.retry)
    }
}
