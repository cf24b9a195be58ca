//! [`ScrapeJob`]: one Prometheus `scrape_config`, in the subset the Python library forwards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `scrape_config` keys the Python library forwards (`ALLOWED_KEYS`); it drops others.
pub const ALLOWED_KEYS: [&str; 17] = [
    "job_name",
    "metrics_path",
    "static_configs",
    "scrape_interval",
    "scrape_timeout",
    "proxy_url",
    "relabel_configs",
    "metric_relabel_configs",
    "sample_limit",
    "label_limit",
    "label_name_length_limit",
    "label_value_length_limit",
    "scheme",
    "basic_auth",
    "tls_config",
    "authorization",
    "params",
];

/// One `static_configs` entry: targets and their labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticConfig {
    /// `host:port` targets; `*:port` means every unit of this application, at the address it
    /// publishes (the consumer expands it into one job per unit, labelled with the unit).
    pub targets: Vec<String>,
    /// Labels put on the targets' metrics.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// One scrape job. [`ScrapeJob::new`] is the Python library's default job: every unit on
/// port 80 at `/metrics`.
///
/// ```
/// use ops_interface_prometheus_scrape::v0::ScrapeJob;
/// let job = ScrapeJob::new().port(8080);
/// assert_eq!(
///     serde_json::to_value(&job).unwrap(),
///     serde_json::json!({"metrics_path": "/metrics", "static_configs": [{"targets": ["*:8080"]}]})
/// );
/// let named = ScrapeJob::new().job_name("api").metrics_path("/api/metrics").targets(["*:9000", "10.1.2.3:7000"]);
/// assert_eq!(named.job_name.as_deref(), Some("api"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrapeJob {
    /// The job's name; the consumer prefixes it with the topology. Keep it a fixed string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// The path of the metrics (default `/metrics`).
    pub metrics_path: String,
    /// The targets (default: every unit on port 80).
    pub static_configs: Vec<StaticConfig>,
    /// Other `scrape_config` keys (`scrape_interval`, `scheme`, `tls_config`, ...); only
    /// [`ALLOWED_KEYS`] are sent.
    #[serde(flatten)]
    pub options: BTreeMap<String, Value>,
}

impl Default for ScrapeJob {
    fn default() -> Self {
        Self::new()
    }
}

impl ScrapeJob {
    /// The default job: `/metrics` on port 80 of every unit.
    pub fn new() -> Self {
        ScrapeJob {
            job_name: None,
            metrics_path: "/metrics".to_owned(),
            static_configs: vec![StaticConfig {
                targets: vec!["*:80".to_owned()],
                labels: BTreeMap::new(),
            }],
            options: BTreeMap::new(),
        }
    }

    /// Sets the job's name.
    #[must_use]
    pub fn job_name(mut self, name: &str) -> Self {
        self.job_name = Some(name.to_owned());
        self
    }

    /// Sets the metrics path.
    #[must_use]
    pub fn metrics_path(mut self, path: &str) -> Self {
        self.metrics_path = path.to_owned();
        self
    }

    /// Scrapes every unit on `port` (`*:<port>`), replacing the targets.
    #[must_use]
    pub fn port(self, port: u16) -> Self {
        self.targets([format!("*:{port}")])
    }

    /// Replaces the targets with one static config holding `targets`.
    #[must_use]
    pub fn targets<S: Into<String>>(mut self, targets: impl IntoIterator<Item = S>) -> Self {
        self.static_configs = vec![StaticConfig {
            targets: targets.into_iter().map(Into::into).collect(),
            labels: BTreeMap::new(),
        }];
        self
    }

    /// Adds a label to every static config's targets.
    #[must_use]
    pub fn label(mut self, name: &str, value: &str) -> Self {
        for sc in &mut self.static_configs {
            sc.labels.insert(name.to_owned(), value.to_owned());
        }
        self
    }

    /// Sets another `scrape_config` key (`scrape_interval`, `scheme`, `tls_config`, ...).
    /// Keys outside [`ALLOWED_KEYS`] are dropped when published, as the Python library
    /// drops them.
    #[must_use]
    pub fn option(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.options.insert(key.to_owned(), value.into());
        self
    }

    /// The job as sent: `options` outside [`ALLOWED_KEYS`] (and any that would replace the
    /// typed fields) removed; their names are returned.
    pub fn sanitized(&self) -> (ScrapeJob, Vec<String>) {
        let mut job = self.clone();
        let typed = ["job_name", "metrics_path", "static_configs"];
        let dropped: Vec<String> = job
            .options
            .keys()
            .filter(|k| !ALLOWED_KEYS.contains(&k.as_str()) || typed.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in &dropped {
            job.options.remove(k);
        }
        (job, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_outside_the_allowed_keys_are_dropped() {
        let job = ScrapeJob::new()
            .option("scrape_interval", "30s")
            .option("honor_labels", true)
            .option("metrics_path", "/sneaky");
        let (sent, dropped) = job.sanitized();
        assert_eq!(dropped, ["honor_labels", "metrics_path"]);
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            json!({"metrics_path": "/metrics", "static_configs": [{"targets": ["*:80"]}], "scrape_interval": "30s"})
        );
    }

    #[test]
    fn labels_go_on_every_static_config() {
        let job = ScrapeJob::new()
            .targets(["10.1.32.215:7000", "*:8000"])
            .label("some_key", "some-value");
        assert_eq!(
            serde_json::to_value(&job).unwrap()["static_configs"],
            json!([{"targets": ["10.1.32.215:7000", "*:8000"], "labels": {"some_key": "some-value"}}])
        );
    }
}
