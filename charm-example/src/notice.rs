//! The ready notice: how the charm learns the workload is serving, without deferring or
//! polling.
//!
//! The start wrapper runs `pebble notify webkv.example.com/ready port=<port>` once the
//! server answers; Juju turns that into `web-pebble-custom-notice`, and this handler
//! finishes the work the reconcile could not: it records readiness (collect-status then
//! reports active) and the leader publishes the URL.
//!
//! Juju re-delivers notices after an agent restart, so the handler is idempotent: it
//! records the same facts again and writes relation data only when it differs. A notice
//! from before the service's last (re)start ([`Readiness::stale_through`]) or for another
//! port proves nothing about the current process and is ignored.
//!
//! A limit worth knowing: restarting the service is a side effect in the container that no
//! rollback undoes. If a hook restarts it and then fails, the unit's state (readiness
//! included) rolls back, and Juju's retry of the hook finds nothing left to change; until the
//! restarted server's own notice arrives (about a second), the unit still reports the
//! readiness of the process before. The notice then confirms it.
//!
//! [`Readiness::stale_through`]: crate::state::Readiness::stale_through

use ops::prelude::*;

use crate::charm::WebKv;
use crate::state::Phase;
use crate::workload::READY_NOTICE;

impl WebKv {
    /// `web-pebble-custom-notice`.
    pub(crate) fn on_web_notice(
        &mut self,
        ctx: &mut Ctx<Self>,
        ev: &mut PebbleCustomNotice,
    ) -> HandlerResult {
        if ev.notice_key != READY_NOTICE {
            tracing::debug!("ignoring custom notice {:?}", ev.notice_key);
            return Ok(());
        }
        // The event holds only the notice's id and key; its data is fetched when asked.
        let notice = match ev.notice(ctx) {
            Ok(notice) => notice,
            // No defer: if Pebble is gone or lost the notice, the container restarted;
            // pebble-ready follows, the reconcile starts the service again, and the new
            // start sends a new notice.
            Err(e) if e.is_unreachable() || e.is_not_found() => {
                let e = ops::framework::HandlerError::from(e);
                tracing::info!("ready notice no longer available: {}", e.chain_message());
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let Some(port) = notice
            .last_data
            .get("port")
            .and_then(|p| p.parse::<u16>().ok())
        else {
            tracing::warn!(
                "ready notice {} has no valid port in its data; ignoring it",
                notice.id.as_str()
            );
            return Ok(());
        };
        let Phase::Started { port: expected } = ctx.stored().phase else {
            tracing::info!("ready notice for :{port}, but the service is not started; ignoring it");
            return Ok(());
        };
        if port != expected {
            tracing::info!(
                "ready notice for :{port}, but the service now uses :{expected}; ignoring it"
            );
            return Ok(());
        }
        let readiness = &mut ctx.stored_mut().readiness;
        if notice.occurrences <= readiness.stale_through {
            tracing::info!(
                "ready notice (occurrence {}) is from before the last restart; waiting for a new one",
                notice.occurrences
            );
            return Ok(());
        }
        readiness.port = Some(port);
        self.website.publish(ctx, port)?;
        Ok(())
    }
}
