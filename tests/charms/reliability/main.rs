//! The charm of the reliability tests (metadata beside it in `charmcraft.yaml`).
//!
//! Every `config-changed` and `web-pebble-custom-notice` bumps a generation counter in the
//! stored state, rewrites a large list derived from it (`RELIABILITY_BLOB_ROWS` rows, default
//! 3000, so that committing takes a while), and writes `generation` into the local unit's
//! data of each `website` relation. The notice `example.com/n<N>` is deferred by handler
//! `hold` until the generation reaches `N + 6`, so the deferred queue grows and shrinks.
//! `secret-changed` reads the secret's content and logs it through `Debug` (which must
//! redact it), adds a unit-owned copy (content derived from it), stores only the id, and
//! defers itself once.
//!
//! For the adversarial tests, two knobs in the environment, read by the `bump` handler:
//! `RELIABILITY_HOLD=<path>` writes `<path>.held` and waits until `<path>` exists (a hook that
//! is still running when another starts); `RELIABILITY_HOOK_BUDGET_MS=<n>` sets a hook budget
//! of `n` ms first (which bounds the hook tools it calls).

use std::process::ExitCode;
use std::time::Duration;

use ops::model::{SecretContent, SecretMetadata, SecretOwner};
use ops::prelude::*;

struct Reliability;

/// How many generations a notice stays deferred.
const HOLD: u64 = 6;

/// The stored state.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct State {
    generation: u64,
    blob: Vec<String>,
    #[serde(default)]
    secret_id: Option<String>,
}

fn blob_rows() -> usize {
    std::env::var("RELIABILITY_BLOB_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

impl Charm for Reliability {
    type Stored = State;

    fn observe(on: &mut Observers<Self>) {
        on.pebble_custom_notice("web", "hold", |_, ctx, ev| {
            let n: u64 = ev
                .notice_key
                .strip_prefix("example.com/n")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if n + HOLD > ctx.stored().generation {
                ev.defer()?;
            }
            Ok(())
        });
        on.many(
            "bump",
            [
                EventKind::ConfigChanged,
                EventKind::pebble_custom_notice("web"),
            ],
            |_, ctx, _| {
                if let Some(ms) = std::env::var("RELIABILITY_HOOK_BUDGET_MS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                {
                    ctx.set_hook_budget(Duration::from_millis(ms));
                }
                if let Ok(hold) = std::env::var("RELIABILITY_HOLD") {
                    hold_until(&hold);
                }
                let state = ctx.stored_mut();
                state.generation += 1;
                let g = state.generation;
                state.blob = (0..blob_rows())
                    .map(|i| format!("generation {g:08} row {i:06} ........................"))
                    .collect();
                for rel in ctx.model().relations("website")? {
                    rel.local_unit_data().set("generation", g.to_string())?;
                }
                Ok(())
            },
        );
        on.secret_changed("secret", |_, ctx, ev| {
            let mut secret = ctx.model().get_secret_by_id(&ev.secret_id)?;
            let content = secret.content()?;
            tracing::info!("secret {secret:?} has content {content:?}");
            if ctx.stored().secret_id.is_none() {
                // Keep a derived secret of our own (its content goes to Juju through files).
                let copy = SecretContent::from_pairs(
                    content
                        .iter()
                        .map(|(k, v)| (k.to_owned(), format!("{v}-copy"))),
                );
                let meta = SecretMetadata::default().label("copy");
                let mine = ctx.model().add_secret(&copy, SecretOwner::Unit, &meta)?;
                tracing::debug!("added {mine:?} with {copy:?}");
            }
            ctx.stored_mut().secret_id = Some(ev.secret_id.clone());
            if !ctx.is_reemitted() {
                ev.defer()?; // its stored form must not hold the content either
            }
            Ok(())
        });
        on.collect_unit_status("status", |_, ctx, _| {
            let g = ctx.stored().generation;
            ctx.add_unit_status(Status::active(format!("generation {g}")))?;
            Ok(())
        });
    }
}

/// Says it is holding (`<path>.held`, holding this process's id), then waits for `path`.
fn hold_until(path: &str) {
    let _ = std::fs::write(format!("{path}.held"), std::process::id().to_string());
    while !std::path::Path::new(path).exists() {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn main() -> ExitCode {
    ops::main(Reliability)
}
