//! Containers inside a real dispatch: the socket directory from the context, one
//! connection per container per dispatch, unknown containers.

use std::path::Path;
use std::sync::Arc;

use super::{LAYER, sim_in};
use crate::container::PebbleOptions;
use crate::dispatch::{DispatchInput, DispatchOutcome, StoreSpec, dispatch};
use crate::framework::{Charm, Ctx, HandlerResult, Observers};
use crate::hookcmds::RecordingRunner;
use crate::metadata::CharmMeta;
use crate::store::MemoryStore;
use crate::test_support::runners::dispatch_runner;

/// Runs hook `name` of `charm` with the containers under `dir`, the metadata declaring
/// `web` and `db` (unless `meta` is false), and `options`. Returns the outcome, the hook
/// tools run, and the store.
pub(super) fn run_hook<C: Charm>(
    charm: &mut C,
    dir: &Path,
    hook: &str,
    extra: &[(&str, &str)],
    meta: bool,
    options: PebbleOptions,
) -> (DispatchOutcome, RecordingRunner, MemoryStore) {
    let runner = dispatch_runner(false);
    let dir = dir.to_str().unwrap().to_owned();
    let mut vars: Vec<(&str, &str)> = vec![("OPS_RS_CONTAINERS_DIR", &dir)];
    vars.extend_from_slice(extra);
    let context = crate::test_support::env::context(&format!("hooks/{hook}"), &vars);
    let mut input = DispatchInput::new(context, Arc::new(runner.clone())).pebble(options);
    if meta {
        let m = CharmMeta::from_charmcraft_yaml(
            "name: web\ncontainers:\n  web:\n    resource: img\n  db:\n    resource: img\n",
        )
        .unwrap();
        input = input.meta(Arc::new(m));
    }
    let store = MemoryStore::default();
    let out = dispatch(charm, input, StoreSpec::Memory(store.clone()));
    (out, runner, store)
}

/// Uses `web` from two handlers, several handles each; tries an unknown container.
#[derive(Default)]
struct Busy {
    seen: Vec<String>,
}

impl Busy {
    fn first(&mut self, ctx: &mut Ctx<Self>) -> HandlerResult {
        let web = ctx.container("web")?;
        web.replan()?;
        let again = ctx.container("web")?;
        self.seen
            .push(format!("{}", again.get_services(&[])?.len()));
        match ctx.container("nope") {
            Ok(_) => self.seen.push("nope: ok".into()),
            Err(e) => self.seen.push(e.to_string()),
        }
        let names: Vec<String> = ctx
            .containers()?
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        self.seen.push(names.join(","));
        Ok(())
    }

    fn second(&mut self, ctx: &mut Ctx<Self>) -> HandlerResult {
        let web = ctx.container("web")?;
        self.seen.push(web.get_plan()?.services.len().to_string());
        self.seen.push(web.socket_path().display().to_string());
        Ok(())
    }
}

impl Charm for Busy {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.config_changed("first", |c, ctx, _ev| c.first(ctx));
        on.config_changed("second", |c, ctx, _ev| c.second(ctx));
    }
}

#[test]
fn one_connection_per_container_per_dispatch() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    let mut charm = Busy::default();
    let (out, _r, _s) = run_hook(
        &mut charm,
        dir.path(),
        "config-changed",
        &[],
        true,
        PebbleOptions::default(),
    );
    out.result.unwrap();
    assert!(sim.total_requests() >= 4, "{}", sim.total_requests());
    assert_eq!(sim.connections(), 1);
    let socket = dir.path().join("web/pebble.socket");
    assert_eq!(
        charm.seen,
        [
            "2".to_owned(),
            "no container named \"nope\": the charm's metadata declares db, web; use one of \
             those names (as in metadata.yaml/charmcraft.yaml `containers:`)"
                .to_owned(),
            "db,web".to_owned(),
            "2".to_owned(),
            socket.display().to_string(),
        ]
    );
    // A new dispatch is a new process: a new connection.
    run_hook(
        &mut Busy::default(),
        dir.path(),
        "config-changed",
        &[],
        true,
        PebbleOptions::default(),
    )
    .0
    .result
    .unwrap();
    assert_eq!(sim.connections(), 2);
}

#[test]
fn without_metadata_any_name_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    let mut charm = Busy::default();
    let (out, _r, _s) = run_hook(
        &mut charm,
        dir.path(),
        "config-changed",
        &[],
        false,
        PebbleOptions::default(),
    );
    out.result.unwrap();
    assert_eq!(charm.seen[1], "nope: ok");
    assert_eq!(charm.seen[2], "");
}
