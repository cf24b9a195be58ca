//! [`main`]: the charm binary's entry point.

use std::process::ExitCode;
use std::sync::Arc;

use crate::container::PebbleOptions;
use crate::context::{JujuContext, OPERATOR_DISPATCH};
use crate::dispatch::{DispatchInput, StoreSpec, dispatch};
use crate::framework::Charm;
use crate::hookcmds::{HookToolRunner, ProcessRunner};
use crate::log::CharmLayer;
use crate::metadata::CharmMeta;
use crate::resilience::Clock;
use crate::store::STATE_FILE;

/// Options for [`main_with`].
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct MainOptions {
    /// Keep the state in Juju's controller-side store (`state-get`/`state-set`) instead of
    /// `.unit-state.db`: for Kubernetes pods whose charm directory does not survive. Juju
    /// keeps at most [`MAX_STATE_SIZE`](crate::hookcmds::limits::MAX_STATE_SIZE) bytes there
    /// for a unit (the controller's `max-charm-state-size`); see
    /// [`JujuStore`](crate::store::JujuStore).
    pub juju_storage: bool,
    /// The Pebble clients' settings: charm-wide and per-container retry policies, timeouts.
    pub pebble: PebbleOptions,
    /// The clock the model times leadership with (`None`: the system's monotonic clock).
    pub clock: Option<Arc<dyn Clock>>,
    /// The charm's own `tracing` layers, run beside the `juju-log` layer (see
    /// [`CharmLayer`]).
    pub layers: Vec<CharmLayer>,
    /// The trace the charm's layers export this dispatch's spans under, logged as Python ops
    /// logs it (see [`DispatchInput::trace_id`]).
    pub trace_id: Option<String>,
}

impl std::fmt::Debug for MainOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MainOptions")
            .field("juju_storage", &self.juju_storage)
            .field("pebble", &self.pebble)
            .field("clock", &self.clock)
            .field("layers", &self.layers.len())
            .field("trace_id", &self.trace_id)
            .finish()
    }
}

impl MainOptions {
    /// Keep the state in Juju's controller-side store (see
    /// [`MainOptions::juju_storage`](MainOptions#structfield.juju_storage) for its limit).
    #[must_use]
    pub fn juju_storage(mut self, yes: bool) -> Self {
        self.juju_storage = yes;
        self
    }

    /// The Pebble clients' settings.
    #[must_use]
    pub fn pebble(mut self, options: PebbleOptions) -> Self {
        self.pebble = options;
        self
    }

    /// The charm-wide Pebble retry policy (default
    /// [`RetryPolicy::default`](pebble_client::retry::RetryPolicy::default), whose figures are
    /// in [`pebble_client::retry`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pebble_client::retry::RetryPolicy;
    /// let options = ops::MainOptions::default()
    ///     .pebble_retry(RetryPolicy::default().deadline(Duration::from_secs(1)))
    ///     .container_retry("database", RetryPolicy::never());
    /// assert_eq!(options.pebble.policy_for("web").get_deadline(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn pebble_retry(mut self, policy: pebble_client::retry::RetryPolicy) -> Self {
        self.pebble.retry = policy;
        self
    }

    /// The clock the model times leadership with: Juju guarantees leadership for 30 s after
    /// `is-leader` says true, and [`Model::is_leader`](crate::model::Model::is_leader) asks
    /// again after that. Only a test charm needs another clock than the system's (a
    /// [`ManualClock`](crate::resilience::ManualClock) it moves by hand).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ops::resilience::ManualClock;
    /// let clock = ManualClock::new();
    /// let options = ops::MainOptions::default().clock(Arc::new(clock.clone()));
    /// assert!(options.clock.is_some());
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Adds a `tracing` layer of the charm's own to every dispatch's subscriber, beside the
    /// framework's `juju-log` layer (see [`CharmLayer`]). Layers see events and spans in the
    /// order they were added, before the `juju-log` layer.
    #[must_use]
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Clone + Send + Sync + 'static,
    {
        self.layers.push(CharmLayer::new(layer));
        self
    }

    /// The id of the trace this dispatch's spans are exported under (32 hex digits), logged
    /// at DEBUG as `Starting root trace with id='…'.` before the Juju event is emitted, as
    /// Python ops does; `ops-tracing` sets it.
    #[must_use]
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.trace_id = Some(trace_id.into());
        self
    }

    /// The Pebble retry policy of one container (over the charm-wide one).
    #[must_use]
    pub fn container_retry(
        mut self,
        container: impl Into<String>,
        policy: pebble_client::retry::RetryPolicy,
    ) -> Self {
        self.pebble.container_retry.insert(container.into(), policy);
        self
    }
}

/// Runs `charm` for the hook Juju is dispatching, with the state in `.unit-state.db`.
///
/// Reads the context from the environment, runs the hook tools on `PATH`, and returns the
/// exit code (0, or 1 if anything failed: the error is then in `juju debug-log`). If
/// `OPERATOR_DISPATCH` is set (the charm started itself), it returns 0 at once.
///
/// The charm's metadata is read from the charm directory; a parsed copy is kept beside it in
/// [`CACHE_FILE`](crate::metadata::CACHE_FILE) and used while the files are unchanged.
///
/// ```no_run
/// use ops::prelude::*;
/// struct Web;
/// impl Charm for Web {
///     type Stored = ();
///     fn observe(_on: &mut Observers<Self>) {}
/// }
/// fn main() -> std::process::ExitCode {
///     ops::main(Web)
/// }
/// ```
pub fn main<C: Charm>(charm: C) -> ExitCode {
    main_with(charm, MainOptions::default())
}

/// [`main`], with options.
pub fn main_with<C: Charm>(mut charm: C, options: MainOptions) -> ExitCode {
    if is_reentry(std::env::var_os(OPERATOR_DISPATCH).as_deref()) {
        return ExitCode::SUCCESS;
    }
    let runner = Arc::new(ProcessRunner::new());
    let context = match JujuContext::from_env() {
        Ok(c) => c,
        Err(e) => return fail_early(&runner, &e.to_string()),
    };
    let meta = match CharmMeta::from_charm_dir_cached(&context.charm_dir) {
        Ok(m) => Arc::new(m),
        Err(e) => return fail_early(&runner, &e.to_string()),
    };
    let store = if options.juju_storage {
        StoreSpec::Juju
    } else {
        StoreSpec::Sqlite(context.charm_dir.join(STATE_FILE))
    };
    let mut input = DispatchInput::new(context, runner)
        .meta(meta)
        .pebble(options.pebble)
        .layers(options.layers)
        .trace_id(options.trace_id);
    if let Some(clock) = options.clock {
        input = input.clock(clock);
    }
    ExitCode::from(dispatch(&mut charm, input, store).exit_code())
}

/// Reports an error found before the dispatch could start (bad environment, unreadable
/// metadata): to stderr, which Juju keeps, and to `juju-log` if the tool is there.
fn fail_early(runner: &ProcessRunner, message: &str) -> ExitCode {
    eprintln!("ops: {message}");
    let args = ["--log-level", "ERROR", "--", message].map(str::to_owned);
    let _ = runner.run("juju-log", &args, None);
    ExitCode::FAILURE
}

/// Whether `OPERATOR_DISPATCH` says this process was started by the framework itself.
fn is_reentry(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_dispatch_marks_reentry() {
        assert!(is_reentry(Some("1".as_ref())));
        assert!(is_reentry(Some("".as_ref())));
        assert!(!is_reentry(None));
    }
}
