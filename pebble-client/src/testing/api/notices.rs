//! `/v1/notices`: list with filters and long poll, get by id, add a custom notice.

use serde::Deserialize;

use crate::testing::response::{ApiResult, ErrorReply, Reply};
use crate::testing::router::Ctx;
use crate::testing::state::notices::{NoticeFilter, Occurrence, validate_custom_key};
use crate::testing::wire::{StringMap, parse_duration};
use crate::types::{MAX_NOTICE_DATA_BYTES, Notice, Timestamp};

/// `GET /v1/notices?types=&keys=&after=&user-id=&users=&timeout=`.
pub(crate) async fn list(ctx: &Ctx) -> ApiResult {
    let Some(uid) = ctx.uid else {
        return Err(ErrorReply::forbidden(
            "cannot determine UID of request, so cannot retrieve notices",
        ));
    };
    let mut filter = NoticeFilter {
        user_id: Some(uid),
        ..NoticeFilter::default()
    };
    if ctx.query.has("user-id") {
        if !ctx.admin {
            return Err(ErrorReply::forbidden(
                r#"only admins may use the "user-id" filter"#,
            ));
        }
        let raw = ctx.query.all("user-id");
        let id = match raw.as_slice() {
            [one] => one.parse::<u32>().map_err(|e| {
                ErrorReply::bad_request(format!(r#"invalid "user-id" filter: {e}"#))
            })?,
            _ => {
                return Err(ErrorReply::bad_request(
                    r#"invalid "user-id" filter: must only provide one user ID"#,
                ));
            }
        };
        filter.user_id = Some(id);
    }
    if ctx.query.has("users") {
        if !ctx.admin {
            return Err(ErrorReply::forbidden(
                r#"only admins may use the "users" filter"#,
            ));
        }
        if ctx.query.has("user-id") {
            return Err(ErrorReply::bad_request(
                r#"cannot use both "users" and "user-id" parameters"#,
            ));
        }
        if ctx.query.get("users") != "all" {
            return Err(ErrorReply::bad_request(
                r#"invalid "users" filter: must be "all""#,
            ));
        }
        filter.all_users = true;
    }
    let requested = ctx.query.list("types");
    filter.types = requested
        .iter()
        .filter(|t| matches!(t.as_str(), "custom" | "change-update" | "warning"))
        .cloned()
        .collect();
    if !requested.is_empty() && filter.types.is_empty() {
        return Ok(Reply::ok(Vec::<Notice>::new()));
    }
    filter.keys = ctx.query.list("keys");
    let after = ctx.query.get("after");
    if !after.is_empty() {
        let t = Timestamp::parse(after)
            .map_err(|e| ErrorReply::bad_request(format!(r#"invalid "after" timestamp: {e}"#)))?;
        filter.after = Some(t.as_offset_date_time());
    }
    let timeout = match ctx.query.get("timeout") {
        "" => None,
        t => Some(
            parse_duration(t)
                .map_err(|e| ErrorReply::bad_request(format!("invalid timeout: {e}")))?,
        ),
    }
    .filter(|d| !d.is_zero());
    let query = |st: &crate::testing::state::State, now| -> Vec<Notice> {
        st.notices
            .query(&filter, now)
            .into_iter()
            .map(|n| n.to_notice())
            .collect()
    };
    let notices = match timeout {
        None => ctx.shared.with(|st, now| query(st, now)),
        Some(t) => {
            let shared = ctx.shared.clone();
            shared
                .wait_for(Some(t), |st| {
                    let found = query(st, shared.clock.now());
                    (!found.is_empty()).then_some(found)
                })
                .await
                .unwrap_or_default()
        }
    };
    Ok(Reply::ok(notices))
}

/// `GET /v1/notices/{id}`.
pub(crate) fn get(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.shared.with(|st, now| {
        let notice = id
            .parse::<u64>()
            .ok()
            .and_then(|n| st.notices.get(n, now))
            .ok_or_else(|| ErrorReply::not_found(format!("cannot find notice with ID {id:?}")))?;
        let viewable = notice.user_id.is_none() || ctx.admin || notice.user_id == ctx.uid;
        if !viewable {
            return Err(ErrorReply::forbidden(format!(
                "not allowed to access notice with id {id:?}"
            )));
        }
        Ok(Reply::ok(notice.to_notice()))
    })
}

#[derive(Deserialize)]
struct AddBody {
    #[serde(default)]
    action: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    key: String,
    #[serde(default, rename = "repeat-after")]
    repeat_after: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// `POST /v1/notices`: validation in Pebble's order, then record the occurrence.
pub(crate) fn add(ctx: &Ctx) -> ApiResult {
    let Some(uid) = ctx.uid else {
        return Err(ErrorReply::forbidden(
            "cannot determine UID of request, so cannot add notice",
        ));
    };
    let body: AddBody = ctx.json("cannot decode request body")?;
    if body.action != "add" {
        return Err(ErrorReply::bad_request(format!(
            "invalid action {:?}",
            body.action
        )));
    }
    if body.kind != "custom" {
        return Err(ErrorReply::bad_request(format!(
            r#"invalid type {:?} (can only add "custom" notices)"#,
            body.kind
        )));
    }
    validate_custom_key(&body.key).map_err(ErrorReply::bad_request)?;
    let repeat_after = match body.repeat_after.as_str() {
        "" => None,
        r => Some(
            parse_duration(r)
                .map_err(|e| ErrorReply::bad_request(format!("invalid repeat-after: {e}")))?,
        ),
    };
    let mut data = StringMap::new();
    if let Some(raw) = body.data.filter(|d| !d.is_null()) {
        let size = serde_json::to_string(&raw).map_or(0, |s| s.len());
        if size > MAX_NOTICE_DATA_BYTES {
            return Err(ErrorReply::bad_request(format!(
                "total size of data must be {MAX_NOTICE_DATA_BYTES} bytes or less"
            )));
        }
        data = serde_json::from_value(raw)
            .map_err(|e| ErrorReply::bad_request(format!("cannot decode notice data: {e}")))?;
    }
    let id = ctx.shared.with(|st, now| {
        st.add_notice(
            Some(uid),
            "custom",
            &body.key,
            Occurrence { data, repeat_after },
            now,
        )
    });
    Ok(Reply::ok(serde_json::json!({ "id": id.to_string() })))
}
