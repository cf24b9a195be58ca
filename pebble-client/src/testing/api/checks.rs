//! `/v1/checks` and `/v1/checks/refresh`.

use serde::Deserialize;

use crate::testing::response::{ApiResult, ErrorReply, Reply};
use crate::testing::router::Ctx;
use crate::testing::state::checks;
use crate::types::{CheckLevel, RefreshedCheck};

/// `GET /v1/checks?level=&names=` (the level filter is exact).
pub(crate) fn list(ctx: &Ctx) -> ApiResult {
    let level = match ctx.query.get("level") {
        "" => CheckLevel::Unset,
        "alive" => CheckLevel::Alive,
        "ready" => CheckLevel::Ready,
        _ => {
            return Err(ErrorReply::bad_request(
                r#"level must be "alive" or "ready""#,
            ));
        }
    };
    let names = ctx.query.list("names");
    Ok(Reply::ok(
        ctx.shared.with(|st, _| checks::infos(st, &level, &names)),
    ))
}

#[derive(Deserialize)]
struct ChecksBody {
    #[serde(default)]
    action: String,
    #[serde(default)]
    checks: Option<Vec<String>>,
}

/// `POST /v1/checks` with start/stop.
pub(crate) fn post(ctx: &Ctx) -> ApiResult {
    let body: ChecksBody = ctx.json("cannot decode data from request body")?;
    let names = body.checks.unwrap_or_default();
    let action = body.action;
    if action != "start" && action != "stop" {
        return Err(ErrorReply::bad_request(format!(
            "invalid action {action:?}"
        )));
    }
    if names.is_empty() {
        return Err(ErrorReply::bad_request(format!(
            "must specify checks for {action} action"
        )));
    }
    ctx.shared.with(|st, now| {
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !st.plan.plan.checks.contains_key(*n))
            .collect();
        if !missing.is_empty() {
            let mut list: Vec<&str> = missing.iter().map(|n| n.as_str()).collect();
            list.sort_unstable();
            return Err(ErrorReply::bad_request(format!(
                "cannot {action} checks: cannot find checks in plan: {}",
                list.join(", ")
            )));
        }
        let mut changed: Vec<String> = names
            .iter()
            .filter(|n| {
                if action == "start" {
                    checks::start(st, n, now)
                } else {
                    checks::stop(st, n, now)
                }
            })
            .cloned()
            .collect();
        changed.sort();
        changed.dedup();
        Ok(Reply::ok(serde_json::json!({ "changed": changed })))
    })
}

#[derive(Deserialize)]
struct RefreshBody {
    #[serde(default)]
    name: String,
}

/// `POST /v1/checks/refresh`: runs the check now (when checks run for real) and reports it.
pub(crate) async fn refresh(ctx: &Ctx) -> ApiResult {
    let body: RefreshBody = ctx.json("cannot decode data from request body")?;
    if body.name.is_empty() {
        return Err(ErrorReply::bad_request("must specify check name"));
    }
    if ctx.shared.run_checks {
        let check = ctx
            .shared
            .with(|st, _| st.plan.plan.checks.get(&body.name).cloned())
            .ok_or_else(|| {
                ErrorReply::not_found(format!("cannot find check with name {:?}", body.name))
            })?;
        let running = ctx.shared.with(|st, _| {
            st.checks
                .by_name
                .get(&body.name)
                .is_some_and(|r| r.change_id.is_some())
        });
        let runner = ctx.shared.check_runners.get(&body.name).filter(|_| running);
        let result = match runner {
            Some(tx) => {
                // Through the check's loop, which records the result.
                let (reply, answer) = tokio::sync::oneshot::channel();
                let _ = tx.send(reply).await;
                answer
                    .await
                    .unwrap_or_else(|_| Err("the check stopped before it ran".to_owned()))
            }
            // A stopped check runs directly; nothing is recorded.
            None => crate::testing::check_runner::probe(&ctx.shared, &check).await,
        };
        let info = ctx
            .shared
            .with(|st, _| checks::info(st, &body.name, &check));
        return Ok(Reply::ok(RefreshedCheck {
            info,
            error: result.err(),
        }));
    }
    ctx.shared.with(|st, _| {
        let Some(check) = st.plan.plan.checks.get(&body.name) else {
            return Err(ErrorReply::not_found(format!(
                "cannot find check with name {:?}",
                body.name
            )));
        };
        let info = checks::info(st, &body.name, check);
        let error = (info.status == crate::types::CheckStatus::Down)
            .then(|| "check is down (simulated)".to_owned());
        Ok(Reply::ok(RefreshedCheck { info, error }))
    })
}
