//! The holistic reconcile: one function that converges the unit on what its config, secrets,
//! leadership, relations and container say, whatever event woke it.
//!
//! Like a kube-rs controller's `reconcile`, it does not ask *what happened*; it reads the
//! whole desired state and makes the world match, so running it twice is harmless and any
//! event that may change the outcome can call it. It records where it got to in
//! [`Phase`]; collect-status turns that into the unit's status.
//!
//! Deferral, the two cases side by side:
//!
//! - Pebble **not reachable when the reconcile starts**: the container is not up yet.
//!   Waiting, **no defer**: Juju emits `web-pebble-ready` once Pebble is up, and that event
//!   runs this reconcile.
//! - Pebble **lost part-way**, and still gone once the retry budget is spent
//!   ([`ContainerError::is_unreachable`]): waiting **and `defer()`**: a transient outage is
//!   followed by no particular event, so the work must be re-run on the next one.

use ops::container::ContainerError;
use ops::model::{ModelError, Port};
use ops::prelude::*;

use crate::charm::WebKv;
use crate::config::{ConfigError, WebkvConfig};
use crate::state::{Phase, Readiness};
use crate::token::{self, TokenError, TokenState};
use crate::website::{self, Website};
use crate::workload::{self, CONTAINER, Desired};

/// Every event that can change what the reconcile would do.
pub fn triggers() -> Vec<EventKind> {
    vec![
        EventKind::ConfigChanged,
        EventKind::UpgradeCharm,
        EventKind::LeaderElected,
        EventKind::pebble_ready(CONTAINER),
        EventKind::custom_of::<website::UrlRequested>(website::KEY),
        EventKind::relation_created(token::PEER_RELATION),
        EventKind::relation_changed(token::PEER_RELATION),
        EventKind::SecretChanged,
    ]
}

/// Why a reconcile stopped short, other than a fact collect-status reports.
#[derive(Debug, thiserror::Error)]
enum ReconcileError {
    /// Pebble went away after answering, beyond the retry budget: defer.
    #[error("lost contact with Pebble in the {CONTAINER} container")]
    PebbleLost(#[source] ContainerError),
    /// Pebble answered with an error (a failed change, a refused request): fail the hook.
    #[error(transparent)]
    Container(ContainerError),
    /// A hook tool failed: fail the hook; Juju retries it.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The config could not be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The token could not be obtained, for a reason the operator cannot fix.
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl From<ContainerError> for ReconcileError {
    fn from(e: ContainerError) -> Self {
        if e.is_unreachable() {
            ReconcileError::PebbleLost(e)
        } else {
            ReconcileError::Container(e)
        }
    }
}

impl WebKv {
    /// The reconcile handler, registered for every kind in [`triggers`].
    pub(crate) fn reconcile(&mut self, ctx: &mut Ctx<Self>, ev: &mut Event) -> HandlerResult {
        let phase = match converge(&self.website, ctx) {
            Ok(phase) => phase,
            Err(ReconcileError::PebbleLost(e)) => {
                let e = ops::framework::HandlerError::from(ReconcileError::PebbleLost(e));
                tracing::warn!(
                    "{}; deferring {} to retry on the next event",
                    e.chain_message(),
                    ev.kind()
                );
                // Defer here: Pebble answered when the reconcile started, so this is a
                // transient outage, and no event is guaranteed to follow one. The
                // deferred event re-runs this reconcile at the start of the next dispatch.
                ev.defer()?;
                Phase::WaitingForPebble
            }
            Err(e) => return Err(e.into()),
        };
        ctx.stored_mut().phase = phase;
        Ok(())
    }
}

/// One pass: config, token, container, relation. Returns the phase reached.
fn converge(website: &Website, ctx: &mut Ctx<WebKv>) -> Result<Phase, ReconcileError> {
    let config = match WebkvConfig::load(ctx.model()) {
        Ok(config) => config,
        Err(ConfigError::Invalid(problem)) => {
            return Ok(Phase::Blocked {
                message: problem.to_string(),
            });
        }
        Err(e) => return Err(e.into()),
    };

    // The token before Pebble: the leader shares it even while its own container is down,
    // so the other units need not wait for it.
    let token = match token::obtain(ctx.model(), &config) {
        Ok(TokenState::Ready(token)) => token,
        Ok(TokenState::Waiting(message)) => return Ok(Phase::WaitingForToken { message }),
        Err(e) if e.is_operator_fixable() => {
            return Ok(Phase::Blocked {
                message: e.to_string(),
            });
        }
        Err(e) => return Err(e.into()),
    };

    // The Kubernetes service follows the configured port.
    ctx.model().set_ports(&[Port::tcp(config.port)])?;

    let web = ctx.container(CONTAINER)?;
    if !web.can_connect() {
        // No defer: Pebble is not up yet, and Juju emits web-pebble-ready when it is;
        // that event runs this reconcile. Deferring would only re-run it early, on
        // whatever unrelated event comes next.
        return Ok(Phase::WaitingForPebble);
    }

    let desired = Desired::new(&config, &token);
    let changes = workload::inspect(&web, &desired)?;
    if changes.starts_service() {
        // The service is about to (re)start: the readiness it reported is void. Note how
        // many ready notices Pebble holds now, so a re-delivered old one is not taken for
        // the coming start's.
        let seen = workload::ready_notices(&web)?;
        ctx.stored_mut().readiness = Readiness::restarted(seen);
    }
    workload::apply(&web, &desired, &changes)?;

    // Ready already (nothing restarted): make sure the relation says so, e.g. for a
    // relation joined or a leader elected since the notice.
    if ctx.stored().readiness.port == Some(config.port) {
        website.publish(ctx, config.port)?;
    }
    Ok(Phase::Started { port: config.port })
}
