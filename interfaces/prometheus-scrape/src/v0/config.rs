//! [`MetricsEndpointConfig`]: what the provider offers to Prometheus.

use std::path::PathBuf;

use super::job::ScrapeJob;

/// Where the Python library looks for alert rules, relative to the charm directory.
pub const DEFAULT_ALERT_RULES_PATH: &str = "src/prometheus_alert_rules";

/// What the metrics endpoint provider publishes: the Python library's
/// `MetricsEndpointProvider(charm, jobs=..., alert_rules_path=..., refresh_event=...,
/// external_url=..., forward_alert_rules=...)` arguments, typed (`refresh_event` is
/// [`MetricsEndpointProvider::refresh_on`](super::MetricsEndpointProvider::refresh_on)).
///
/// ```
/// use ops_interface_prometheus_scrape::v0::{MetricsEndpointConfig, ScrapeJob};
/// let config = MetricsEndpointConfig::new()
///     .job(ScrapeJob::new().port(8080))
///     .alert_rules_path("prometheus_alert_rules");
/// assert_eq!(config.jobs.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricsEndpointConfig {
    /// The scrape jobs (none: the default job, every unit on port 80 at `/metrics`).
    pub jobs: Vec<ScrapeJob>,
    /// The alert rules directory, relative to the charm directory (default
    /// [`DEFAULT_ALERT_RULES_PATH`]); absolute paths are taken as they are.
    pub alert_rules_path: PathBuf,
    /// Whether to send alert rules at all (default yes).
    pub forward_alert_rules: bool,
    /// Whether to add the generic `HostHealth` rules (`HostDown`, `HostMetricsMissing`), as
    /// the Python library always does when forwarding rules (default yes).
    pub generic_alert_rules: bool,
    /// A URL in front of the units (an ingress): units then publish its host and path
    /// instead of their own address.
    pub external_url: Option<String>,
}

impl Default for MetricsEndpointConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsEndpointConfig {
    /// The default job, rules from [`DEFAULT_ALERT_RULES_PATH`] plus `HostHealth`, no
    /// external URL.
    pub fn new() -> Self {
        MetricsEndpointConfig {
            jobs: Vec::new(),
            alert_rules_path: PathBuf::from(DEFAULT_ALERT_RULES_PATH),
            forward_alert_rules: true,
            generic_alert_rules: true,
            external_url: None,
        }
    }

    /// Adds a scrape job.
    #[must_use]
    pub fn job(mut self, job: ScrapeJob) -> Self {
        self.jobs.push(job);
        self
    }

    /// Sets the alert rules directory.
    #[must_use]
    pub fn alert_rules_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.alert_rules_path = path.into();
        self
    }

    /// Sets whether alert rules are sent.
    #[must_use]
    pub fn forward_alert_rules(mut self, yes: bool) -> Self {
        self.forward_alert_rules = yes;
        self
    }

    /// Sets whether the generic `HostHealth` rules are added.
    #[must_use]
    pub fn generic_alert_rules(mut self, yes: bool) -> Self {
        self.generic_alert_rules = yes;
        self
    }

    /// Sets the external URL.
    #[must_use]
    pub fn external_url(mut self, url: &str) -> Self {
        self.external_url = Some(url.to_owned());
        self
    }

    /// The jobs as sent: the default job when there are none, each sanitized; with the names
    /// of the options dropped.
    pub fn jobs_to_send(&self) -> (Vec<ScrapeJob>, Vec<String>) {
        if self.jobs.is_empty() {
            return (vec![ScrapeJob::new()], Vec::new());
        }
        let mut dropped = Vec::new();
        let jobs = self
            .jobs
            .iter()
            .map(|j| {
                let (job, d) = j.sanitized();
                dropped.extend(d);
                job
            })
            .collect();
        (jobs, dropped)
    }
}
