//! `/v1/services`, `/v1/plan` and `/v1/layers`.

use serde::Deserialize;

use crate::testing::response::{ApiResult, ErrorReply, Reply};
use crate::testing::router::Ctx;
use crate::testing::state::{checks, services};
use crate::types::{Layer, PlanError, ServiceStartup};

/// `GET /v1/services?names=`.
pub(crate) fn list(ctx: &Ctx) -> ApiResult {
    let names = ctx.query.list("names");
    Ok(Reply::ok(
        ctx.shared
            .with(|st, _| st.services.infos(&st.plan.plan, &names)),
    ))
}

#[derive(Deserialize)]
struct ServicesBody {
    #[serde(default)]
    action: String,
    #[serde(default)]
    services: Option<Vec<String>>,
}

fn title(action: &str) -> String {
    let mut c = action.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// `POST /v1/services`: start/stop/restart/autostart/replan as a change.
pub(crate) fn post(ctx: &Ctx) -> ApiResult {
    let body: ServicesBody = ctx.json("cannot decode data from request body")?;
    let mut names = body.services.unwrap_or_default();
    let action = body.action;
    let id = ctx.shared.with(|st, now| {
        match action.as_str() {
            "replan" | "autostart" if !names.is_empty() => {
                return Err(ErrorReply::bad_request(format!(
                    "{action} accepts no service names"
                )));
            }
            "autostart" => {
                names = st
                    .plan
                    .plan
                    .services
                    .iter()
                    .filter(|(_, s)| s.startup == ServiceStartup::Enabled)
                    .map(|(n, _)| n.clone())
                    .collect();
                if names.is_empty() {
                    return Err(ErrorReply::bad_request("no default services")
                        .with_kind("no-default-services"));
                }
            }
            "replan" => {}
            _ if names.is_empty() => {
                return Err(ErrorReply::bad_request(format!(
                    "must specify services for {action} action"
                )));
            }
            _ => {}
        }
        let (tasks, affected) = services::plan_action(st, &action, &names).map_err(|e| {
            if e.starts_with("invalid action") {
                ErrorReply::bad_request(e)
            } else {
                ErrorReply::bad_request(format!("cannot {action} services: {e}"))
            }
        })?;
        if action == "replan" {
            names = affected.clone();
            checks::sync(st, now);
        }
        let summary = match (tasks.len(), affected.len()) {
            (0, _) => format!("{} - no services", title(&action)),
            (_, 1) => format!(
                "{} service {:?}",
                title(&action),
                names.first().unwrap_or(&affected[0])
            ),
            (_, n) => format!(
                "{} service {:?} and {} more",
                title(&action),
                names.first().unwrap_or(&affected[0]),
                n - 1
            ),
        };
        let empty = tasks.is_empty();
        let id = st.changes.create(&action, summary, tasks, now);
        if let Some(c) = st.change_mut(id) {
            c.service_names = names.clone();
            if empty {
                c.forced = Some(crate::types::ChangeStatus::Done);
            }
        }
        st.change_updated(id, now);
        Ok((id, empty))
    })?;
    let (id, empty) = id;
    if !empty {
        tokio::spawn(services::run_change(ctx.shared.clone(), id));
    }
    Ok(Reply::Async {
        change: id.to_string(),
    })
}

/// `GET /v1/plan?format=yaml`.
pub(crate) fn plan(ctx: &Ctx) -> ApiResult {
    let format = ctx.query.get("format");
    if format != "yaml" {
        return Err(ErrorReply::bad_request(format!(
            "invalid format {format:?}"
        )));
    }
    let yaml = ctx
        .shared
        .with(|st, _| st.plan.plan.to_yaml())
        .map_err(|e| ErrorReply::internal(e.to_string()))?;
    Ok(Reply::ok(yaml))
}

#[derive(Deserialize)]
struct LayersBody {
    #[serde(default)]
    action: String,
    #[serde(default)]
    combine: bool,
    #[serde(default)]
    label: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    layer: String,
}

/// `POST /v1/layers`.
pub(crate) fn layers(ctx: &Ctx) -> ApiResult {
    let body: LayersBody = ctx.json("cannot decode request body")?;
    if body.action != "add" {
        return Err(ErrorReply::bad_request(format!(
            "invalid action {:?}",
            body.action
        )));
    }
    if body.label.is_empty() {
        return Err(ErrorReply::bad_request("label must be set"));
    }
    if body.format != "yaml" {
        return Err(ErrorReply::bad_request(format!(
            "invalid format {:?}",
            body.format
        )));
    }
    let layer = Layer::from_yaml(&body.layer).map_err(|e| match e {
        PlanError::Parse { .. } => ErrorReply::bad_request(e.to_string()),
        other => ErrorReply::bad_request(format!("cannot parse layer YAML: {other}")),
    })?;
    ctx.shared.with(|st, now| {
        st.plan
            .add_layer(&body.label, body.combine, layer)
            .map_err(|e| ErrorReply::bad_request(e.to_string()))?;
        checks::sync(st, now);
        Ok(Reply::ok(true))
    })
}
