//! `/v1/changes`: list, get, abort, and wait for changes.

use std::time::{Duration, Instant};

use super::{Client, path_with_id, with_query};
use crate::error::{ChangeError, Error, TimeoutPhase};
use crate::retry::Call;
use crate::transport::RawRequest;
use crate::types::notice::QueryBuilder;
use crate::types::{Change, ChangeId, ChangeSelect, GoDuration};

/// How often `wait_change` polls when Pebble has no `/wait` endpoint.
const POLL_DELAY: Duration = Duration::from_millis(100);

impl Client {
    /// Lists changes (`select`), optionally only those for one service.
    pub async fn get_changes(
        &self,
        select: ChangeSelect,
        service: Option<&str>,
    ) -> Result<Vec<Change>, Error> {
        let mut q = QueryBuilder::default();
        q.push("select", select.as_str());
        if let Some(s) = service {
            q.push("for", s);
        }
        let path = with_query("/v1/changes", q.finish());
        self.result(Call::GetChanges, RawRequest::get(path)).await
    }

    /// One change.
    pub async fn get_change(&self, id: &ChangeId) -> Result<Change, Error> {
        let path = path_with_id("changes", id.as_str(), "");
        self.result(Call::GetChange, RawRequest::get(path)).await
    }

    /// Aborts a change that has work pending.
    pub async fn abort_change(&self, id: &ChangeId) -> Result<Change, Error> {
        let path = path_with_id("changes", id.as_str(), "");
        let body = serde_json::json!({"action": "abort"});
        self.result(Call::AbortChange, RawRequest::post_json(&path, &body))
            .await
    }

    /// Waits until the change is ready (in any final status) or `timeout` passes
    /// ([`Error::Timeout`] with [`TimeoutPhase::WaitChange`]).
    ///
    /// Long-polls `/v1/changes/{id}/wait` in slices shorter than the request timeout; a 504
    /// means "not yet" and polls again. A 404 from `/wait` means an old Pebble without it: the
    /// client then polls `GET /v1/changes/{id}` (so an unknown id still ends in a 404).
    pub async fn wait_change(&self, id: &ChangeId, timeout: Duration) -> Result<Change, Error> {
        let start = Instant::now();
        let slice_max = self
            .timeout()
            .saturating_sub(Duration::from_secs(1))
            .max(Duration::from_secs(1));
        loop {
            let remaining = timeout.saturating_sub(start.elapsed());
            if remaining.is_zero() {
                return Err(Error::Timeout {
                    phase: TimeoutPhase::WaitChange,
                    after: timeout,
                });
            }
            let slice = remaining.min(slice_max);
            let mut q = QueryBuilder::default();
            q.push("timeout", &GoDuration::from_std(slice).to_string());
            let path = with_query(&path_with_id("changes", id.as_str(), "/wait"), q.finish());
            let mut req = RawRequest::get(path);
            req.extra_timeout = slice;
            match self.result::<Change>(Call::WaitChange, req).await {
                Ok(change) => return Ok(change),
                Err(e) if e.api_status() == Some(504) => continue,
                Err(e) if e.api_status() == Some(404) => {
                    return self.poll_change(id, start, timeout).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn poll_change(
        &self,
        id: &ChangeId,
        start: Instant,
        timeout: Duration,
    ) -> Result<Change, Error> {
        loop {
            let change = self.get_change(id).await?;
            if change.ready {
                return Ok(change);
            }
            let remaining = timeout.saturating_sub(start.elapsed());
            if remaining.is_zero() {
                return Err(Error::Timeout {
                    phase: TimeoutPhase::WaitChange,
                    after: timeout,
                });
            }
            tokio::time::sleep(POLL_DELAY.min(remaining)).await;
        }
    }

    /// Waits like [`Client::wait_change`], then fails with [`Error::Change`] (the change's
    /// error plus its failing tasks' logs) if the change did not succeed.
    pub async fn wait_change_ok(&self, id: &ChangeId, timeout: Duration) -> Result<Change, Error> {
        let change = self.wait_change(id, timeout).await?;
        if change.err.is_some() || change.status != crate::types::ChangeStatus::Done {
            return Err(ChangeError::new(change).into());
        }
        Ok(change)
    }
}
