//! `/v1/system-info` and `/v1/health`.

use super::{Client, with_query};
use crate::error::Error;
use crate::retry::Call;
use crate::transport::RawRequest;
use crate::types::notice::QueryBuilder;
use crate::types::{CheckLevel, Health, SystemInfo};

impl Client {
    /// Pebble's version and boot id (open access). ops' `can_connect` is this call succeeding.
    pub async fn system_info(&self) -> Result<SystemInfo, Error> {
        self.result(Call::SystemInfo, RawRequest::get("/v1/system-info".into()))
            .await
    }

    /// Whether the selected checks are healthy (`level` alive or ready, `names` to narrow).
    /// An unhealthy answer (HTTP 502) is `Ok(Health { healthy: false })`.
    pub async fn health(&self, level: CheckLevel, names: &[&str]) -> Result<Health, Error> {
        let mut q = QueryBuilder::default();
        if level != CheckLevel::Unset {
            q.push("level", level.as_str());
        }
        if !names.is_empty() {
            q.push("names", &names.join(","));
        }
        let path = with_query("/v1/health", q.finish());
        self.result(Call::Health, RawRequest::get(path)).await
    }
}
