//! `/v1/notices`: query (with long-poll), get one, record a custom notice.

use std::time::Duration;

use serde::Deserialize;

use super::{Client, path_with_id, with_query};
use crate::error::Error;
use crate::retry::Call;
use crate::transport::RawRequest;
use crate::types::{AddNotice, Notice, NoticeId, NoticesQuery};

#[derive(Deserialize)]
struct Added {
    id: NoticeId,
}

impl Client {
    /// Notices matching `query`, oldest repeat first. With a `timeout`, Pebble waits up to
    /// that long for a match and answers `[]` if none came.
    pub async fn get_notices(&self, query: &NoticesQuery) -> Result<Vec<Notice>, Error> {
        let path = with_query("/v1/notices", query.to_query_string());
        let mut req = RawRequest::get(path);
        req.extra_timeout = query
            .timeout
            .and_then(|t| t.to_std())
            .unwrap_or(Duration::ZERO);
        let r: Option<Vec<Notice>> = self.result(Call::GetNotices, req).await?;
        Ok(r.unwrap_or_default())
    }

    /// One notice by id.
    pub async fn get_notice(&self, id: &NoticeId) -> Result<Notice, Error> {
        let path = path_with_id("notices", id.as_str(), "");
        self.result(Call::GetNotice, RawRequest::get(path)).await
    }

    /// Records a custom notice (what `pebble notify` does) and returns its id. The key and
    /// data are checked first, as Pebble will. Not retried after it may have reached Pebble:
    /// each call counts an occurrence.
    pub async fn notify(&self, notice: &AddNotice) -> Result<NoticeId, Error> {
        notice.validate().map_err(|e| Error::InvalidArgument {
            message: e.to_string(),
        })?;
        let added: Added = self
            .result(
                Call::Notify,
                RawRequest::post_json("/v1/notices", &notice.to_body()),
            )
            .await?;
        Ok(added.id)
    }
}
