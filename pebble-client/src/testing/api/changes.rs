//! `/v1/changes`: list, get, abort and the `wait` long poll.

use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;

use crate::testing::response::{ApiResult, ErrorReply, Reply};
use crate::testing::router::Ctx;
use crate::testing::state::State;
use crate::testing::wire::{format_duration, parse_duration};
use crate::types::ChangeStatus;

fn find(st: &State, id: &str) -> Result<u64, ErrorReply> {
    id.parse::<u64>()
        .ok()
        .filter(|n| st.changes.by_id.contains_key(n))
        .ok_or_else(|| ErrorReply::not_found(format!("cannot find change with id {id:?}")))
}

/// `GET /v1/changes?select=&for=`.
pub(crate) fn list(ctx: &Ctx) -> ApiResult {
    let select = match ctx.query.get("select") {
        "" | "in-progress" => |ready: bool| !ready,
        "ready" => |ready: bool| ready,
        "all" => |_: bool| true,
        _ => {
            return Err(ErrorReply::bad_request(
                "select should be one of: all,in-progress,ready",
            ));
        }
    };
    let service = ctx.query.get("for").to_owned();
    let changes = ctx.shared.with(|st, _| {
        st.changes
            .by_id
            .values()
            .filter(|c| select(c.status().is_ready()))
            .filter(|c| service.is_empty() || c.service_names.contains(&service))
            .map(|c| c.to_change())
            .collect::<Vec<_>>()
    });
    Ok(Reply::ok(changes))
}

/// `GET /v1/changes/{id}`.
pub(crate) fn get(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.shared.with(|st, _| {
        let n = find(st, id)?;
        Ok(Reply::ok(st.changes.by_id.get(&n).map(|c| c.to_change())))
    })
}

#[derive(Deserialize)]
struct AbortBody {
    #[serde(default)]
    action: String,
}

/// `POST /v1/changes/{id}` with `{"action":"abort"}`.
pub(crate) fn abort(ctx: &Ctx, id: &str) -> ApiResult {
    let n = ctx.shared.with(|st, _| find(st, id))?;
    let body: AbortBody = ctx.json("cannot decode data from request body")?;
    if body.action != "abort" {
        return Err(ErrorReply::bad_request(format!(
            "invalid action {:?}",
            body.action
        )));
    }
    ctx.shared.with(|st, now| {
        let ready = st.change_mut(n).is_none_or(|c| c.status().is_ready());
        if ready {
            return Err(ErrorReply::bad_request(format!(
                "cannot abort change {id} with nothing pending"
            )));
        }
        let statuses: Vec<(usize, ChangeStatus)> = st
            .change_mut(n)
            .map(|c| {
                c.tasks
                    .iter()
                    .map(|t| t.status.clone())
                    .enumerate()
                    .collect()
            })
            .unwrap_or_default();
        for (i, s) in statuses {
            match s {
                ChangeStatus::Do => st.set_task(n, i, ChangeStatus::Hold, None, now),
                ChangeStatus::Doing => st.set_task(n, i, ChangeStatus::Abort, None, now),
                _ => {}
            }
        }
        Ok(Reply::ok(st.changes.by_id.get(&n).map(|c| c.to_change())))
    })
}

/// `GET /v1/changes/{id}/wait?timeout=`: waits until ready; 504 on timeout.
pub(crate) async fn wait(ctx: &Ctx, id: &str) -> ApiResult {
    let n = ctx.shared.with(|st, _| find(st, id))?;
    let timeout = match ctx.query.get("timeout") {
        "" => None,
        t => Some(
            parse_duration(t)
                .map_err(|e| ErrorReply::bad_request(format!("invalid timeout: {e}")))?,
        ),
    }
    .filter(|d| !d.is_zero());
    let done = ctx
        .shared
        .wait_for(timeout, |st| {
            st.changes
                .by_id
                .get(&n)
                .filter(|c| c.status().is_ready())
                .map(|c| c.to_change())
        })
        .await;
    match done {
        Some(c) => Ok(Reply::ok(c)),
        None => Err(ErrorReply::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "timed out waiting for change after {}",
                format_duration(timeout.unwrap_or(Duration::ZERO))
            ),
        )),
    }
}
