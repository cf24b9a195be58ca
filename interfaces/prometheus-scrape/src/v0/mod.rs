//! `prometheus_scrape` v0, provider side: the protocol of
//! `charms.prometheus_k8s.v0.prometheus_scrape` (LIBPATCH 61) `MetricsEndpointProvider`.
//!
//! | Bag | Key | Value |
//! |---|---|---|
//! | provider app | `scrape_metadata` | JSON: the [`JujuTopology`] (`model`, `model_uuid`, `application`, `unit`, `charm_name`) |
//! | provider app | `scrape_jobs` | JSON: a list of [`ScrapeJob`]s (`*:port` targets mean every unit) |
//! | provider app | `alert_rules` | JSON: `{"groups": [...]}` from [`AlertRules`], or `{}` |
//! | provider unit | `prometheus_scrape_unit_address` | plain: the bind address (or the FQDN, or an external URL's host) |
//! | provider unit | `prometheus_scrape_unit_name` | plain: the unit's name |
//! | provider unit | `prometheus_scrape_unit_fqdn` | plain: the unit's FQDN (absent behind an external URL) |
//! | provider unit | `prometheus_scrape_unit_path` | plain: an external URL's path (absent otherwise) |
//! | consumer app | `event` | JSON: Prometheus' report on our rules and jobs (`errors`, `scrape_job_errors`, `valid`) |
//!
//! # Example
//!
//! A charm serving metrics on port 9100, with Prometheus related:
//!
//! ```
//! use ops::prelude::*;
//! use ops::metadata::CharmMeta;
//! use ops::testing::{Context, State};
//! use ops::testing::juju::{Network, RelationState};
//! use ops_interface_prometheus_scrape::v0::{MetricsEndpointConfig, MetricsEndpointProvider, ScrapeJob};
//!
//! struct Exporter {
//!     metrics: MetricsEndpointProvider,
//! }
//! impl Default for Exporter {
//!     fn default() -> Self {
//!         let config = MetricsEndpointConfig::new().job(ScrapeJob::new().port(9100));
//!         Exporter { metrics: MetricsEndpointProvider::new("metrics-endpoint", config) }
//!     }
//! }
//! impl Charm for Exporter {
//!     type Stored = ();
//!     fn observe(on: &mut Observers<Self>) {
//!         on.component("metrics", |c: &mut Exporter| &mut c.metrics);
//!     }
//! }
//!
//! let meta = CharmMeta::from_charmcraft_yaml(
//!     "name: exporter\nprovides:\n  metrics-endpoint: {interface: prometheus_scrape}\n",
//! )?;
//! let ctx = Context::<Exporter>::new(meta);
//! let rel = RelationState::new(1, "metrics-endpoint", "prometheus").remote_unit("prometheus/0", [("x", "y")]);
//! let mut state = State::new().leader(true).relation(rel.clone());
//! state.juju = state.juju.network("metrics-endpoint", Network::with_address("10.1.2.3"));
//! let out = ctx.run(ctx.on.relation_joined(&rel, "prometheus/0"), &state)?;
//!
//! let rel = out.state.relation_by_id(1).unwrap();
//! assert_eq!(rel.local_unit_data["prometheus_scrape_unit_address"], "10.1.2.3");
//! assert_eq!(rel.local_unit_data["prometheus_scrape_unit_name"], "exporter/0");
//! let jobs: serde_json::Value = serde_json::from_str(&rel.local_app_data["scrape_jobs"])?;
//! assert_eq!(jobs[0]["static_configs"][0]["targets"][0], "*:9100");
//! let rules: serde_json::Value = serde_json::from_str(&rel.local_app_data["alert_rules"])?;
//! assert_eq!(rules["groups"][0]["name"], "test-model_00000000_exporter_HostHealth_rules".replace('-', "_"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod job;
mod provider;
mod rules;
mod topology;

pub use config::{DEFAULT_ALERT_RULES_PATH, MetricsEndpointConfig};
pub use job::{ALLOWED_KEYS, ScrapeJob, StaticConfig};
pub use provider::{
    AlertRuleStatusChanged, InvalidScrapeJob, MetricsEndpointProvider, app_keys, unit_keys,
};
pub use rules::{AlertRules, RULE_FILE_SUFFIXES, RuleError, host_health_rules};
pub use topology::JujuTopology;
