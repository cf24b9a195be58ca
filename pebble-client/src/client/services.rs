//! `/v1/services`: status, and start/stop/restart/autostart/replan (each a change).

use super::{Client, names_vec, with_query};
use crate::error::Error;
use crate::retry::Call;
use crate::transport::RawRequest;
use crate::types::notice::QueryBuilder;
use crate::types::{ChangeId, ServiceInfo};

impl Client {
    /// Status of the named services (all when `names` is empty), ordered by name.
    pub async fn get_services(&self, names: &[&str]) -> Result<Vec<ServiceInfo>, Error> {
        let mut q = QueryBuilder::default();
        if !names.is_empty() {
            q.push("names", &names.join(","));
        }
        let path = with_query("/v1/services", q.finish());
        self.result(Call::GetServices, RawRequest::get(path)).await
    }

    async fn services_action(
        &self,
        call: Call,
        action: &str,
        names: &[&str],
    ) -> Result<ChangeId, Error> {
        let body = serde_json::json!({"action": action, "services": names_vec(names)});
        self.envelope(call, RawRequest::post_json("/v1/services", &body))
            .await?
            .change_id()
    }

    fn require_names(action: &str, names: &[&str]) -> Result<(), Error> {
        if names.is_empty() {
            return Err(Error::InvalidArgument {
                message: format!("{action} needs at least one service name"),
            });
        }
        Ok(())
    }

    /// Starts services (and what they require). Returns the change; wait with
    /// [`Client::wait_change_ok`].
    pub async fn start_services(&self, names: &[&str]) -> Result<ChangeId, Error> {
        Self::require_names("start", names)?;
        self.services_action(Call::StartServices, "start", names)
            .await
    }

    /// Stops services (and what requires them).
    pub async fn stop_services(&self, names: &[&str]) -> Result<ChangeId, Error> {
        Self::require_names("stop", names)?;
        self.services_action(Call::StopServices, "stop", names)
            .await
    }

    /// Restarts services. Not retried after it may have reached Pebble.
    pub async fn restart_services(&self, names: &[&str]) -> Result<ChangeId, Error> {
        Self::require_names("restart", names)?;
        self.services_action(Call::RestartServices, "restart", names)
            .await
    }

    /// Starts the services marked `startup: enabled`.
    pub async fn autostart_services(&self) -> Result<ChangeId, Error> {
        self.services_action(Call::AutostartServices, "autostart", &[])
            .await
    }

    /// Applies the plan: stops services whose definition changed and starts enabled and
    /// changed ones.
    pub async fn replan_services(&self) -> Result<ChangeId, Error> {
        self.services_action(Call::Replan, "replan", &[]).await
    }
}
