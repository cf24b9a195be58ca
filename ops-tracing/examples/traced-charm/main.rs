//! A tiny charm traced with ops-tracing, for the workspace's whole-program tests
//! (`tests/tests/charm_tracing.rs`): its config sets its status; on install it keeps a
//! secret (whose value must never reach a span). Metadata beside it.

use ops::model::{SecretContent, SecretMetadata, SecretOwner};
use ops::prelude::*;
use ops_tracing::Tracing;

/// The value the test looks for in every span received.
const SECRET_VALUE: &str = "traced-charm-secret-value-7f3a";

struct Traced {
    tracing: Tracing,
}

impl Charm for Traced {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.component("tracing", |c: &mut Traced| &mut c.tracing);
        on.install("on_install", |_c, ctx, _ev| {
            let content = SecretContent::from_pairs([("password", SECRET_VALUE)]);
            ctx.model()
                .add_secret(&content, SecretOwner::Unit, &SecretMetadata::default())?;
            Ok(())
        });
        on.collect_unit_status("on_status", |_c, ctx, _ev| {
            let message = ctx.model().config_value("message")?;
            let message = message.as_ref().and_then(|v| v.as_str()).unwrap_or("ready");
            ctx.add_unit_status(Status::active(message))?;
            Ok(())
        });
    }
}

fn main() -> std::process::ExitCode {
    ops_tracing::main(Traced {
        tracing: Tracing::new("charm-tracing").ca_relation("receive-ca-cert"),
    })
}
