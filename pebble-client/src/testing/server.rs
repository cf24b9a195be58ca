//! The accept loop and per-connection handling, including socket-level faults.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::time::Instant;

use super::faults::{Fault, Garbage};
use super::response::{Body, ErrorReply, Reply, envelope, raw_response};
use super::router::{Ctx, route};
use super::wire::Query;
use super::{Shared, SimError};

/// What the socket path currently offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listen {
    /// Listening normally.
    Serving,
    /// No socket file (connect gives ENOENT) until the deadline, if any.
    Absent(Option<Instant>),
    /// A socket file nobody listens on (connect gives ECONNREFUSED) until the deadline.
    Refusing(Option<Instant>),
    /// Shut down.
    Stopped,
}

/// Binds the socket as Pebble does: fails if a live daemon answers there, removes a stale
/// file, and makes the socket mode 0666.
pub(crate) fn bind(path: &Path) -> Result<std::os::unix::net::UnixListener, SimError> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(SimError::SocketInUse(path.to_path_buf()));
        }
        std::fs::remove_file(path).map_err(|e| SimError::Bind(path.to_path_buf(), e))?;
    }
    let listener = std::os::unix::net::UnixListener::bind(path)
        .map_err(|e| SimError::Bind(path.to_path_buf(), e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
        .map_err(|e| SimError::Bind(path.to_path_buf(), e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| SimError::Bind(path.to_path_buf(), e))?;
    Ok(listener)
}

/// Serves until the listen mode becomes `Stopped`, then removes the socket file.
pub(crate) async fn run(shared: Arc<Shared>, listener: std::os::unix::net::UnixListener) {
    let mut mode = shared.listen.subscribe();
    let mut listener = UnixListener::from_std(listener).ok();
    loop {
        let current = *mode.borrow_and_update();
        match current {
            Listen::Stopped => break,
            Listen::Serving => {
                if listener.is_none() {
                    match bind(&shared.socket).map(UnixListener::from_std) {
                        Ok(Ok(l)) => listener = Some(l),
                        _ => {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    }
                }
                let Some(l) = &listener else { continue };
                tokio::select! {
                    accepted = l.accept() => {
                        if let Ok((stream, _)) = accepted {
                            tokio::spawn(serve_connection(shared.clone(), stream));
                        }
                    }
                    _ = mode.changed() => {}
                }
            }
            Listen::Absent(until) | Listen::Refusing(until) => {
                // The path goes from the listening socket straight to the fault, in one step:
                // `SimPebble::remove_socket` and `refuse_connections` return as soon as a
                // connect fails as asked, and what the client sees next must be that fault.
                if matches!(current, Listen::Refusing(_)) {
                    put_dead_socket(&shared.socket);
                } else {
                    let _ = std::fs::remove_file(&shared.socket);
                }
                listener = None;
                let deadline =
                    until.unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
                tokio::select! {
                    _ = mode.changed() => {}
                    _ = tokio::time::sleep_until(deadline) => {
                        shared.listen.send_if_modified(|m| {
                            if *m == current { *m = Listen::Serving; true } else { false }
                        });
                    }
                }
            }
        }
    }
    drop(listener);
    let _ = std::fs::remove_file(&shared.socket);
}

/// Leaves a socket file nobody listens on (connects fail with `ECONNREFUSED`) at `path`, in
/// place of whatever is there.
///
/// The dead socket is bound (and closed) under a temporary name beside `path`, then renamed
/// over it: a connect finds the old socket or the dead one, never no file (`ENOENT`) nor a
/// half-made listener that accepts. Unlinking `path` and binding it again, as this once did,
/// had both windows, and under load a client's three quick attempts could all land in the
/// first one (the fault matrix's "connection refused" row then read `SocketNotFound`).
fn put_dead_socket(path: &Path) {
    let temp = path.with_file_name(format!(
        ".{}.refusing",
        path.file_name().map_or_else(
            || "pebble.socket".into(),
            |n| n.to_string_lossy().into_owned()
        )
    ));
    let _ = std::fs::remove_file(&temp);
    let made = std::os::unix::net::UnixListener::bind(&temp).map(drop);
    if made.and_then(|()| std::fs::rename(&temp, path)).is_err() {
        // No room for the temporary name (a socket path is at most 107 bytes) or the
        // directory refuses it: fall back to unlinking and binding in place.
        let _ = std::fs::remove_file(&temp);
        let _ = std::fs::remove_file(path);
        drop(std::os::unix::net::UnixListener::bind(path));
    }
}

/// Whether the server is stopping.
async fn stopped(mut mode: watch::Receiver<Listen>) {
    let _ = mode.wait_for(|m| *m == Listen::Stopped).await;
}

async fn serve_connection(shared: Arc<Shared>, stream: UnixStream) {
    if shared.faults().take_connection_drop() {
        drop(stream);
        return;
    }
    let uid = stream.peer_cred().ok().map(|c| c.uid());
    let svc_shared = shared.clone();
    let service = service_fn(move |req| handle(svc_shared.clone(), uid, req));
    let conn = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::select! {
        _ = conn => {}
        _ = stopped(shared.listen.subscribe()) => {}
    }
}

/// The error that makes hyper close a connection without answering (injected resets).
#[derive(Debug, thiserror::Error)]
#[error("connection reset by fault injection")]
pub(crate) struct InjectedReset;

async fn handle(
    shared: Arc<Shared>,
    uid: Option<u32>,
    req: Request<Incoming>,
) -> Result<Response<Body>, InjectedReset> {
    let path = req.uri().path().to_owned();
    let plan = shared.faults().on_request(&path);
    if !req.headers().contains_key(http::header::HOST) {
        return Ok(raw_response(
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            "400 Bad Request: missing required Host header".into(),
        ));
    }
    let (mut parts, body) = req.into_parts();
    let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(InjectedReset),
    };
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let maintenance = plan.maintenance.as_ref();
    match plan.terminal {
        Some(Fault::Reset) => return Err(InjectedReset),
        Some(Fault::Error {
            status,
            kind,
            message,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut e = ErrorReply::new(status, message);
            e.kind = kind;
            return Ok(Reply::Error(e).into_response(maintenance, None));
        }
        Some(Fault::Garbage(g)) => return Ok(garbage(g)),
        _ => {}
    }
    let admin = uid.is_some_and(|u| u == 0 || u == shared.daemon_uid);
    let ctx = Ctx {
        shared: shared.clone(),
        uid,
        admin,
        method: parts.method,
        path,
        query: Query::parse(parts.uri.query()),
        headers: parts.headers,
        body,
        upgrade: std::sync::Mutex::new(upgrade),
    };
    let reply = route(&ctx).await;
    let latest_warning = shared.with(|st, _| st.notices.latest_warning());
    Ok(reply.into_response(maintenance, latest_warning.map(super::wire::format_time)))
}

fn garbage(g: Garbage) -> Response<Body> {
    let valid = envelope::<serde_json::Value>(
        "sync",
        StatusCode::OK,
        None,
        Some(&serde_json::json!({"garbage": true})),
        None,
        None,
    );
    match g {
        Garbage::NotJson => raw_response(
            StatusCode::OK,
            "application/json",
            "<html>this is not JSON</html>".into(),
        ),
        Garbage::Truncated => raw_response(
            StatusCode::OK,
            "application/json",
            valid.slice(..valid.len() / 2),
        ),
        Garbage::WrongContentType => raw_response(StatusCode::OK, "text/html", valid),
    }
}
