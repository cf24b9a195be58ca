//! Metrics through an interface library: `ops-interface-prometheus-scrape` (protocol v0, as
//! the prometheus-k8s Python library speaks it) tells Prometheus to scrape webkv's
//! `/metrics` on the configured port.
//!
//! The library is a component: it publishes the scrape job, the Juju topology and the alert
//! rules (from `src/prometheus_alert_rules` in the charm directory, if any) on the relation's
//! events, and again on `web-pebble-ready` and `config-changed`, which the charm asks for.

use ops::model::Model;
use ops::prelude::*;
use ops_interface_prometheus_scrape::v0::{
    MetricsEndpointConfig, MetricsEndpointProvider, ScrapeJob,
};

use crate::workload::CONTAINER;

/// The relation endpoint, as declared in `charmcraft.yaml`.
pub const RELATION: &str = "metrics-endpoint";
/// The key the charm registers the library under.
pub const KEY: &str = "metrics";
/// Where webkv serves its metrics.
pub const METRICS_PATH: &str = "/metrics";

/// The provider on [`RELATION`]: one job scraping every unit's `/metrics` on the configured
/// port (the default port if the configured one is not valid).
pub fn provider() -> MetricsEndpointProvider {
    MetricsEndpointProvider::from_fn(RELATION, |model: &Model| {
        let port = model
            .config_value("port")?
            .and_then(|v| v.as_u64())
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(8080);
        let job = ScrapeJob::new().metrics_path(METRICS_PATH).port(port);
        Ok(MetricsEndpointConfig::new().job(job))
    })
    .refresh_on(EventKind::pebble_ready(CONTAINER))
    .refresh_on(EventKind::ConfigChanged)
}
