//! Routing: path to endpoint, method check (405), access check (401), then the handler.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;

use super::Shared;
use super::api;
use super::exec;
use super::response::{ErrorReply, Reply};
use super::wire::Query;

/// One request, as handlers see it.
pub(crate) struct Ctx {
    pub shared: Arc<Shared>,
    /// The caller's uid from the socket's peer credentials.
    pub uid: Option<u32>,
    /// Whether the caller has admin access (root or the daemon's own uid).
    pub admin: bool,
    pub method: Method,
    pub path: String,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The connection's upgrade, for the task websockets.
    pub upgrade: std::sync::Mutex<Option<hyper::upgrade::OnUpgrade>>,
}

impl Ctx {
    /// Decodes the JSON body; the error message starts with `prefix`.
    pub(crate) fn json<T: DeserializeOwned>(&self, prefix: &str) -> Result<T, ErrorReply> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ErrorReply::bad_request(format!("{prefix}: {e}")))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Open,
    User,
    Admin,
}

/// Routes a request to its handler.
pub(crate) async fn route(ctx: &Ctx) -> Reply {
    let segs: Vec<&str> = ctx.path.trim_start_matches('/').split('/').collect();
    let get = ctx.method == Method::GET;
    let post = ctx.method == Method::POST;
    // (allowed methods with their access, handler)
    let access = |g: Option<Access>, p: Option<Access>| match (get, post) {
        (true, _) => g,
        (_, true) => p,
        _ => None,
    };
    use Access::{Admin, Open, User};
    let allowed: Option<(Option<Access>, Option<Access>)> = match segs.as_slice() {
        ["v1", "system-info"] | ["v1", "health"] => Some((Some(Open), None)),
        ["v1", "changes"] => Some((Some(User), None)),
        ["v1", "changes", _] => Some((Some(User), Some(Admin))),
        ["v1", "changes", _, "wait"] => Some((Some(User), None)),
        ["v1", "services"] => Some((Some(User), Some(Admin))),
        ["v1", "services", _] => Some((Some(User), Some(Admin))),
        ["v1", "plan"] => Some((Some(Admin), None)),
        ["v1", "layers"] => Some((None, Some(Admin))),
        ["v1", "files"] => Some((Some(Admin), Some(Admin))),
        ["v1", "exec"] => Some((None, Some(Admin))),
        ["v1", "signals"] => Some((None, Some(Admin))),
        ["v1", "checks"] => Some((Some(User), Some(Admin))),
        ["v1", "checks", "refresh"] => Some((None, Some(Admin))),
        ["v1", "notices"] => Some((Some(User), Some(User))),
        ["v1", "notices", _] => Some((Some(User), None)),
        ["v1", "identities"] => Some((Some(User), Some(Admin))),
        ["v1", "logs"] => Some((Some(User), None)),
        ["v1", "tasks", _, "websocket", _] => Some((Some(Admin), None)),
        _ => None,
    };
    let Some((g, p)) = allowed else {
        return ErrorReply::not_found("invalid API endpoint requested").into();
    };
    let Some(needed) = access(g, p) else {
        return ErrorReply::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {:?} not allowed", ctx.method.as_str()),
        )
        .into();
    };
    let permitted = match needed {
        Open => true,
        User => ctx.uid.is_some(),
        Admin => ctx.admin,
    };
    if !permitted {
        return ErrorReply::new(StatusCode::UNAUTHORIZED, "access denied")
            .with_kind("login-required")
            .into();
    }
    let result = match (segs.as_slice(), get) {
        (["v1", "system-info"], _) => api::system::info(ctx),
        (["v1", "health"], _) => api::system::health(ctx),
        (["v1", "signals"], _) => api::system::signals(ctx),
        (["v1", "exec"], _) => exec::api::post(ctx),
        (["v1", "tasks", task, "websocket", ws], _) => exec::upgrade::connect(ctx, task, ws),
        (["v1", "changes"], _) => api::changes::list(ctx),
        (["v1", "changes", id], true) => api::changes::get(ctx, id),
        (["v1", "changes", id], false) => api::changes::abort(ctx, id),
        (["v1", "changes", id, "wait"], _) => api::changes::wait(ctx, id).await,
        (["v1", "services"], true) => api::services::list(ctx),
        (["v1", "services"], false) => api::services::post(ctx),
        (["v1", "services", _], _) => Err(ErrorReply::bad_request("not implemented")),
        (["v1", "plan"], _) => api::services::plan(ctx),
        (["v1", "layers"], _) => api::services::layers(ctx),
        (["v1", "files"], true) => api::files::get(ctx),
        (["v1", "files"], false) => api::files::post(ctx).await,
        (["v1", "checks"], true) => api::checks::list(ctx),
        (["v1", "checks"], false) => api::checks::post(ctx),
        (["v1", "checks", "refresh"], _) => api::checks::refresh(ctx).await,
        (["v1", "notices"], true) => api::notices::list(ctx).await,
        (["v1", "notices"], false) => api::notices::add(ctx),
        (["v1", "notices", id], _) => api::notices::get(ctx, id),
        (["v1", "identities"], true) => api::identities::list(ctx),
        (["v1", "logs"], _) => api::logs::get(ctx),
        (["v1", "identities"], false) => api::identities::post(ctx),
        _ => Err(ErrorReply::not_found("invalid API endpoint requested")),
    };
    result.unwrap_or_else(Reply::Error)
}
