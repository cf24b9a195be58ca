//! collect-status: the one place the unit's status is decided.
//!
//! Handlers only record facts (the reconcile's [`Phase`], the workload's [`Readiness`]);
//! at the end of every dispatch, whatever the event, the framework calls this handler and
//! sets the status it adds. So the status can never be left stale by a handler that
//! forgot to set it, and two handlers never fight over it.

use ops::prelude::*;

use crate::charm::WebKv;
use crate::state::{Phase, Readiness, Stored};

impl WebKv {
    /// `collect-unit-status`: adds the unit's status from the stored facts.
    pub(crate) fn collect_unit_status(
        &mut self,
        ctx: &mut Ctx<Self>,
        _ev: &mut CollectStatus,
    ) -> HandlerResult {
        let status = unit_status(ctx.stored());
        ctx.add_unit_status(status)?;
        Ok(())
    }
}

/// The unit's status for the facts in `stored`.
pub fn unit_status(stored: &Stored) -> Status {
    match &stored.phase {
        Phase::NotReconciled => Status::maintenance("setting up"),
        Phase::Blocked { message } => Status::blocked(message.clone()),
        Phase::WaitingForPebble => Status::waiting("waiting for Pebble in the web container"),
        Phase::WaitingForToken { message } => Status::waiting(message.clone()),
        Phase::Started { port } => match stored.readiness {
            Readiness {
                port: Some(ready), ..
            } if ready == *port => Status::active(format!("serving on :{port}")),
            _ => Status::maintenance(format!("starting webkv on :{port}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(phase: Phase, ready: Option<u16>) -> Stored {
        Stored {
            phase,
            readiness: Readiness {
                port: ready,
                stale_through: 0,
            },
            ingress_url: None,
        }
    }

    #[test]
    fn each_fact_has_its_status() {
        let blocked = Phase::Blocked {
            message: "config option 'port': 80 is outside 1024-65535".into(),
        };
        assert_eq!(
            unit_status(&stored(blocked, None)),
            Status::blocked("config option 'port': 80 is outside 1024-65535")
        );
        assert_eq!(
            unit_status(&stored(Phase::WaitingForPebble, None)),
            Status::waiting("waiting for Pebble in the web container")
        );
        assert_eq!(
            unit_status(&stored(Phase::Started { port: 8080 }, None)),
            Status::maintenance("starting webkv on :8080")
        );
        assert_eq!(
            unit_status(&stored(Phase::Started { port: 8080 }, Some(8080))),
            Status::active("serving on :8080")
        );
        assert_eq!(
            unit_status(&stored(Phase::NotReconciled, None)),
            Status::maintenance("setting up")
        );
    }

    #[test]
    fn readiness_on_another_port_is_not_readiness() {
        assert_eq!(
            unit_status(&stored(Phase::Started { port: 9090 }, Some(8080))),
            Status::maintenance("starting webkv on :9090")
        );
    }
}
