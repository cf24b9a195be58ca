//! `/v1/checks`: status, start, stop, refresh.

use serde::Deserialize;

use super::{Client, names_vec, with_query};
use crate::error::Error;
use crate::retry::Call;
use crate::transport::RawRequest;
use crate::types::notice::QueryBuilder;
use crate::types::{CheckInfo, CheckLevel, RefreshedCheck};

#[derive(Deserialize)]
struct Changed {
    // Older Pebble sends `"changed": null` (pebble #788): that is an empty list.
    #[serde(default)]
    changed: Option<Vec<String>>,
}

impl Client {
    /// Check status; `level` filters exactly (ready does not include alive here), `names`
    /// narrows.
    pub async fn get_checks(
        &self,
        level: CheckLevel,
        names: &[&str],
    ) -> Result<Vec<CheckInfo>, Error> {
        let mut q = QueryBuilder::default();
        if level != CheckLevel::Unset {
            q.push("level", level.as_str());
        }
        if !names.is_empty() {
            q.push("names", &names.join(","));
        }
        let path = with_query("/v1/checks", q.finish());
        self.result(Call::GetChecks, RawRequest::get(path)).await
    }

    async fn checks_action(
        &self,
        call: Call,
        action: &str,
        names: &[&str],
    ) -> Result<Vec<String>, Error> {
        if names.is_empty() {
            return Err(Error::InvalidArgument {
                message: format!("{action} checks needs at least one check name"),
            });
        }
        let body = serde_json::json!({"action": action, "checks": names_vec(names)});
        let r: Changed = self
            .result(call, RawRequest::post_json("/v1/checks", &body))
            .await?;
        Ok(r.changed.unwrap_or_default())
    }

    /// Starts checks; returns those that were not already running (Pebble ≥ 1.19).
    pub async fn start_checks(&self, names: &[&str]) -> Result<Vec<String>, Error> {
        self.checks_action(Call::StartChecks, "start", names).await
    }

    /// Stops checks; returns those that were running (Pebble ≥ 1.19).
    pub async fn stop_checks(&self, names: &[&str]) -> Result<Vec<String>, Error> {
        self.checks_action(Call::StopChecks, "stop", names).await
    }

    /// Runs a check once now and returns its status (Pebble ≥ 1.20).
    pub async fn refresh_check(&self, name: &str) -> Result<RefreshedCheck, Error> {
        let body = serde_json::json!({"name": name});
        self.result(
            Call::RefreshCheck,
            RawRequest::post_json("/v1/checks/refresh", &body),
        )
        .await
    }
}
