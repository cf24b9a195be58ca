//! `GET /v1/tasks/{task-id}/websocket/{websocket-id}`: the RFC 6455 upgrade, with Pebble's
//! errors for unknown tasks and websockets and for a second connect.

use http::{Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::session::Claim;
use crate::testing::response::{ApiResult, ErrorReply, Reply};
use crate::testing::router::Ctx;

/// Upgrades the request to the task's websocket `id` and hands it to the task's runner.
pub(crate) fn connect(ctx: &Ctx, task: &str, id: &str) -> ApiResult {
    let kind = task.parse::<u64>().ok().and_then(|n| {
        ctx.shared.with(|st, _| {
            st.changes
                .by_id
                .values()
                .flat_map(|c| c.tasks.iter())
                .find(|t| t.id == n)
                .map(|t| (n, t.kind.clone()))
        })
    });
    let Some((n, kind)) = kind else {
        return Err(ErrorReply::not_found(format!("cannot find task {task:?}")));
    };
    if kind != "exec" {
        return Err(ErrorReply::bad_request(format!(
            "task {task:?} is not an exec task"
        )));
    }
    let unknown = || ErrorReply::not_found(format!("cannot find {id} websocket for task {task:?}"));
    let session = ctx.shared.exec.session(n).ok_or_else(unknown)?;
    let key = ctx
        .headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()))
        .ok_or_else(|| ErrorReply::bad_request("websocket: the client is not using the websocket protocol: missing Sec-WebSocket-Key"))?;
    let upgrade = ctx
        .upgrade
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .ok_or_else(|| ErrorReply::internal("websocket: cannot upgrade this connection"))?;
    let slot = match session.claim(id) {
        Claim::Unknown => return Err(unknown()),
        Claim::Taken => {
            return Err(ErrorReply::internal(format!(
                "{id} websocket already connected"
            )));
        }
        Claim::Free(slot) => slot,
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = upgrade.await {
            let ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            let _ = slot.send(ws);
        }
    });
    let response = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, key)
        .body(crate::testing::response::full(Default::default()))
        .map_err(|e| ErrorReply::internal(format!("cannot build the upgrade response: {e}")))?;
    Ok(Reply::Raw(response))
}
