//! `/v1/identities`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::testing::response::{ApiResult, ErrorReply, Reply};
use crate::testing::router::Ctx;
use crate::types::Identity;

/// `GET /v1/identities` (secrets masked).
pub(crate) fn list(ctx: &Ctx) -> ApiResult {
    Ok(Reply::ok(ctx.shared.with(|st, _| st.identities.masked())))
}

#[derive(Deserialize)]
struct IdentitiesBody {
    #[serde(default)]
    action: String,
    #[serde(default)]
    identities: BTreeMap<String, Option<Identity>>,
}

/// `POST /v1/identities`: success has no `result` key.
pub(crate) fn post(ctx: &Ctx) -> ApiResult {
    let body: IdentitiesBody = ctx.json("cannot decode request body")?;
    ctx.shared
        .with(|st, _| st.identities.apply(&body.action, body.identities))
        .map_err(ErrorReply::bad_request)?;
    Ok(Reply::ok_empty())
}
