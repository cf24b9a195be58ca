//! Shared by the prometheus_scrape tests: the charm under test, states, and the schema check
//! of the databags the provider writes.

#![allow(dead_code)] // each test file uses part of it
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use bag_schema::{Schema, assert_relation_valid};
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::{Network, RelationState};
use ops::testing::{Context, Output, State};
use ops_interface_prometheus_scrape::v0::{
    AlertRuleStatusChanged, InvalidScrapeJob, MetricsEndpointConfig, MetricsEndpointProvider,
};
use serde_json::Value;

/// An exporter charm; its handlers of the library's events log them.
pub struct Exporter {
    pub metrics: MetricsEndpointProvider,
}

impl Charm for Exporter {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.component("metrics", |c: &mut Exporter| &mut c.metrics);
        on.custom::<AlertRuleStatusChanged>("metrics", "on_rules", |_c, ctx, ev| {
            if ev.has_errors() {
                ctx.add_unit_status(Status::blocked(format!("bad alert rules: {}", ev.errors)))?;
            }
            Ok(())
        });
        on.custom::<InvalidScrapeJob>("metrics", "on_bad_job", |_c, _ctx, ev| {
            tracing::info!("charm saw invalid scrape job: {}", ev.errors);
            Ok(())
        });
    }
}

pub const META: &str = "name: exporter\n\
    containers:\n  node: {resource: img}\n\
    resources:\n  img: {type: oci-image}\n\
    provides:\n  metrics-endpoint: {interface: prometheus_scrape}\n\
    config:\n  options:\n    port: {type: int, default: 9100}\n";

/// The exporter publishing `config`, also refreshing on `node-pebble-ready`.
pub fn exporter(config: MetricsEndpointConfig) -> Context<Exporter> {
    let meta = CharmMeta::from_charmcraft_yaml(META).expect("metadata");
    Context::with_factory(meta, move || Exporter {
        metrics: MetricsEndpointProvider::new("metrics-endpoint", config.clone())
            .refresh_on(EventKind::pebble_ready("node")),
    })
}

/// The relation to Prometheus, one unit, Prometheus' bags as given.
pub fn to_prometheus(app: &[(&str, &str)]) -> RelationState {
    RelationState::new(1, "metrics-endpoint", "prometheus")
        .interface("prometheus_scrape")
        .remote_unit("prometheus/0", [("ingress-address", "10.0.0.5")])
        .remote_app_data(app.iter().copied())
}

/// A unit of the exporter (leader or not) with the binding at `ip` and `relation`.
pub fn state(leader: bool, ip: &str, relation: &RelationState) -> State {
    let mut state = State::new()
        .leader(leader)
        .relation(relation.clone())
        .unit("exporter/0");
    state.juju = state
        .juju
        .network("metrics-endpoint", Network::with_address(ip));
    state
}

/// `relation` `id` of `out`.
pub fn relation(out: &Output, id: u64) -> &RelationState {
    out.state
        .relation_by_id(id)
        .expect("the relation is still there")
}

/// `state` with its relation replaced by `relation`.
pub fn with_relation(state: &State, relation: RelationState) -> State {
    let mut state = state.clone();
    state.juju.relations.retain(|r| r.id != relation.id);
    state.juju.relations.push(relation);
    state
}

/// Checks the bags this unit wrote on `relation` against `tests/schemas/<schema>.json`.
pub fn assert_valid(schema: &str, relation: &RelationState) {
    let path = format!("{}/tests/schemas/{schema}.json", env!("CARGO_MANIFEST_DIR"));
    let schema = Schema::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_relation_valid(&schema, relation);
}

/// An application bag value decoded.
pub fn app_json(relation: &RelationState, key: &str) -> Value {
    serde_json::from_str(&relation.local_app_data[key]).expect("JSON")
}
