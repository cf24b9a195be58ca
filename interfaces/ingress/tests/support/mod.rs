//! Shared by the ingress tests: the charms under test, their metadata, states, and the
//! schema check of the databags the library writes.

#![allow(dead_code)] // each test file uses part of it
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use bag_schema::{Schema, assert_relation_valid};
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::{Network, RelationState};
use ops::testing::{Context, Output, State};
use ops_interface_ingress::v2::{
    DataProvided, DataRemoved, IngressConfig, IngressProvider, IngressRequirer, Ready, Revoked,
};

/// A web charm requiring ingress; its handlers of the library's events log them.
pub struct Web {
    pub ingress: IngressRequirer,
}

impl Charm for Web {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.component("ingress", |c: &mut Web| &mut c.ingress);
        on.custom::<Ready>("ingress", "on_ready", |_c, _ctx, ev| {
            tracing::info!("charm saw ready {}", ev.url);
            Ok(())
        });
        on.custom::<Revoked>("ingress", "on_revoked", |_c, _ctx, _ev| {
            tracing::info!("charm saw revoked");
            Ok(())
        });
        on.config_changed("on_config", |c, ctx, _ev| {
            c.ingress.publish(ctx)?;
            Ok(())
        });
    }
}

pub const WEB_META: &str = "name: web\n\
    requires:\n  ingress: {interface: ingress, limit: 1}\n\
    config:\n  options:\n    port: {type: int, default: 8080}\n";

/// The web charm asking for `config`.
pub fn web(config: IngressConfig) -> Context<Web> {
    let meta = CharmMeta::from_charmcraft_yaml(WEB_META).expect("metadata");
    Context::with_factory(meta, move || Web {
        ingress: IngressRequirer::new("ingress", config.clone()),
    })
}

/// The web charm asking for the port in its `port` option.
pub fn web_from_config() -> Context<Web> {
    let meta = CharmMeta::from_charmcraft_yaml(WEB_META).expect("metadata");
    Context::with_factory(meta, || Web {
        ingress: IngressRequirer::from_fn("ingress", |model| {
            let port = model.config_value("port")?.and_then(|v| v.as_u64());
            Ok(port.and_then(|p| u16::try_from(p).ok()).map(|p| {
                IngressConfig::new(p).host("web-0.web-endpoints.test-model.svc.cluster.local")
            }))
        }),
    })
}

/// A proxy charm providing ingress; it publishes a URL for every requirer that is ready.
pub struct Proxy {
    pub ingress: IngressProvider,
}

impl Charm for Proxy {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.component("ingress", |c: &mut Proxy| &mut c.ingress);
        on.custom::<DataProvided>("ingress", "on_data", |c, ctx, ev| {
            let url = format!("http://10.0.0.9/{}-{}", ev.data.app.model, ev.data.app.name);
            if ctx.model().is_leader()? {
                c.ingress.publish_url(ctx, ev.relation_id, &url)?;
            }
            Ok(())
        });
        on.custom::<DataRemoved>("ingress", "on_removed", |_c, _ctx, ev| {
            tracing::info!("charm saw data-removed {}", ev.relation_id);
            Ok(())
        });
    }
}

pub fn proxy() -> Context<Proxy> {
    let meta = CharmMeta::from_charmcraft_yaml(
        "name: proxy\nprovides:\n  ingress: {interface: ingress}\n",
    )
    .expect("metadata");
    Context::with_factory(meta, || Proxy {
        ingress: IngressProvider::new("ingress"),
    })
}

/// The binding's network as `network-get` gives it: bind address 10.1.2.3.
pub fn network() -> Network {
    Network::with_address("10.1.2.3")
}

/// A leader unit of `web` with the binding's network and one ingress relation.
pub fn web_state(relation: &RelationState) -> State {
    let mut state = State::new().leader(true).relation(relation.clone());
    state.juju = state.juju.network("ingress", network());
    state
}

/// The ingress relation to traefik, one traefik unit, no data yet.
pub fn to_traefik() -> RelationState {
    RelationState::new(1, "ingress", "traefik")
        .interface("ingress")
        .remote_unit("traefik/0", [("ingress-address", "10.0.0.9")])
}

/// The ingress relation as the provider sees it: one web unit, the given bags.
pub fn from_web(app: &[(&str, &str)], unit: &[(&str, &str)]) -> RelationState {
    RelationState::new(1, "ingress", "web")
        .interface("ingress")
        .remote_unit("web/0", unit.iter().copied())
        .remote_app_data(app.iter().copied())
}

/// `relation` of `out` (present after the run).
pub fn relation(out: &Output, id: u64) -> &RelationState {
    out.state
        .relation_by_id(id)
        .expect("the relation is still there")
}

/// Checks the bags this unit wrote on `relation` against `tests/schemas/<schema>.json`: the
/// unit's bag always, the application's when it holds anything.
pub fn assert_valid(schema: &str, relation: &RelationState) {
    let path = format!("{}/tests/schemas/{schema}.json", env!("CARGO_MANIFEST_DIR"));
    let schema = Schema::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_relation_valid(&schema, relation);
}
