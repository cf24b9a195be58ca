//! `/v1/system-info`, `/v1/health` and `/v1/signals`.

use http::StatusCode;
use serde::Deserialize;

use crate::testing::response::{ApiResult, ErrorReply, Reply};
use crate::testing::router::Ctx;
use crate::types::{CheckLevel, CheckStatus, Health, SystemInfo};

/// `GET /v1/system-info`.
pub(crate) fn info(ctx: &Ctx) -> ApiResult {
    Ok(Reply::ok(SystemInfo {
        boot_id: ctx.shared.boot_id.clone(),
        http_address: None,
        https_address: None,
        version: ctx.shared.version.clone(),
    }))
}

/// `GET /v1/health?level=&names=`: 502 when a matching check is down.
pub(crate) fn health(ctx: &Ctx) -> ApiResult {
    let level = match ctx.query.get("level") {
        "" => None,
        "alive" => Some(CheckLevel::Alive),
        "ready" => Some(CheckLevel::Ready),
        _ => {
            return Err(ErrorReply::bad_request(
                r#"level must be "alive" or "ready""#,
            ));
        }
    };
    let names = ctx.query.list("names");
    let healthy = ctx.shared.with(|st, _| {
        let infos = crate::testing::state::checks::infos(st, &CheckLevel::Unset, &names);
        !infos.iter().any(|c| {
            let counts = match &level {
                None => true,
                Some(CheckLevel::Alive) => c.level == CheckLevel::Alive,
                Some(_) => c.level == CheckLevel::Alive || c.level == CheckLevel::Ready,
            };
            counts && c.status == CheckStatus::Down
        })
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::BAD_GATEWAY
    };
    match Reply::ok(Health { healthy }) {
        Reply::Sync { result, .. } => Ok(Reply::Sync { status, result }),
        other => Ok(other),
    }
}

#[derive(Deserialize)]
struct SignalsBody {
    #[serde(default)]
    signal: String,
    #[serde(default)]
    services: Vec<String>,
}

/// `POST /v1/signals`.
pub(crate) fn signals(ctx: &Ctx) -> ApiResult {
    let body: SignalsBody = ctx.json("cannot decode request body")?;
    if body.services.is_empty() {
        return Err(ErrorReply::bad_request("must specify one or more services"));
    }
    // As Pebble: each service is signalled if it can be; the errors of the others (unknown,
    // not running, a bad signal name) are joined into one 500.
    let mut errors = Vec::new();
    for name in &body.services {
        let running = ctx.shared.with(|st, _| st.services.is_running(name));
        let result = if running {
            ctx.shared.backend.signal(name, &body.signal)
        } else {
            Err("service is not running".to_owned())
        };
        if let Err(e) = result {
            errors.push(format!("cannot send signal to {name:?}: {e}"));
        }
    }
    if !errors.is_empty() {
        return Err(ErrorReply::internal(errors.join("; ")));
    }
    Ok(Reply::ok(true))
}
