//! `/v1/files`: pull (multipart answer), list, push (multipart request), make-dirs, remove.

use bytes::Bytes;
use http::{StatusCode, header};
use serde::Deserialize;

use crate::testing::response::{ApiResult, ErrorReply, Reply, envelope, raw_response};
use crate::testing::router::Ctx;
use crate::testing::state::files::{FileError, WriteOptions};
use crate::types::FileResult;

fn ok(path: &str) -> FileResult {
    FileResult {
        path: path.to_owned(),
        error: None,
    }
}

/// `GET /v1/files?action=read|list`.
pub(crate) fn get(ctx: &Ctx) -> ApiResult {
    match ctx.query.get("action") {
        "read" => read(ctx),
        "list" => list(ctx),
        other => Err(ErrorReply::bad_request(format!("invalid action {other:?}"))),
    }
}

fn read(ctx: &Ctx) -> ApiResult {
    let accept = ctx
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    if accept != Some("multipart/form-data") {
        return Err(ErrorReply::bad_request("must accept multipart/form-data"));
    }
    let paths = ctx.query.all("path");
    if paths.is_empty() {
        return Err(ErrorReply::bad_request("must specify one or more paths"));
    }
    let boundary = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let mut body: Vec<u8> = Vec::new();
    let mut results = Vec::new();
    for path in paths {
        match ctx.shared.files.read(path) {
            Ok(content) => {
                body.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(&content);
                body.extend_from_slice(b"\r\n");
                results.push(ok(path));
            }
            Err(e) => results.push(e.result(path)),
        }
    }
    let result = serde_json::to_value(&results).unwrap_or_default();
    let env = envelope("sync", StatusCode::OK, None, Some(&result), None, None);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"response\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&env);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok(Reply::Raw(raw_response(
        StatusCode::OK,
        &format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )))
}

fn list_error(e: FileError) -> ErrorReply {
    let status = match e.kind.as_str() {
        "not-found" => StatusCode::NOT_FOUND,
        "permission-denied" => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    };
    ErrorReply::new(status, e.message).with_kind(e.kind)
}

fn list(ctx: &Ctx) -> ApiResult {
    let path = ctx.query.get("path");
    let itself = match ctx.query.get("itself") {
        "" | "false" => false,
        "true" => true,
        other => {
            return Err(ErrorReply::bad_request(format!(
                r#"itself parameter must be "true" or "false", not {other:?}"#
            )));
        }
    };
    if !path.starts_with('/') {
        return Err(ErrorReply::bad_request(format!(
            "path must be absolute, got {path:?}"
        )));
    }
    let entries = ctx
        .shared
        .files
        .list(path, ctx.query.get("pattern"), itself)
        .map_err(list_error)?;
    Ok(Reply::ok(entries))
}

/// `POST /v1/files`: multipart write, or JSON make-dirs/remove.
pub(crate) async fn post(ctx: &Ctx) -> ApiResult {
    let content_type = ctx
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    match media {
        "multipart/form-data" => push(ctx, content_type).await,
        "application/json" => json_action(ctx),
        other => Err(ErrorReply::bad_request(format!(
            "invalid media type {other:?}"
        ))),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct PathEntry {
    #[serde(default)]
    path: String,
    #[serde(default)]
    make_dirs: bool,
    #[serde(default)]
    make_parents: bool,
    #[serde(default)]
    recursive: bool,
    #[serde(default)]
    permissions: String,
    #[serde(default)]
    user_id: Option<u32>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    group_id: Option<u32>,
    #[serde(default)]
    group: Option<String>,
}

impl PathEntry {
    /// The owner ids, names resolved as Pebble does; the per-path error when they cannot be.
    fn owner(&self) -> Result<(Option<u32>, Option<u32>), FileError> {
        let resolved = crate::testing::users::resolve(
            self.user_id,
            self.user.as_deref(),
            self.group_id,
            self.group.as_deref(),
        )
        .map_err(|e| FileError::generic(format!("cannot look up user and group: {e}")))?;
        Ok(resolved.map_or((None, None), |(u, g)| (Some(u), Some(g))))
    }
}

#[derive(Deserialize)]
struct JsonBody {
    #[serde(default)]
    action: String,
    #[serde(default)]
    dirs: Vec<PathEntry>,
    #[serde(default)]
    paths: Vec<PathEntry>,
    #[serde(default)]
    files: Vec<PathEntry>,
}

fn json_action(ctx: &Ctx) -> ApiResult {
    let body: JsonBody = ctx.json("cannot decode request body")?;
    let files = &ctx.shared.files;
    let results: Vec<FileResult> = match body.action.as_str() {
        "make-dirs" => body
            .dirs
            .iter()
            .map(|d| {
                d.owner()
                    .and_then(|(uid, gid)| {
                        files.make_dir(&d.path, d.make_parents, &d.permissions, uid, gid)
                    })
                    .map_or_else(|e| e.result(&d.path), |()| ok(&d.path))
            })
            .collect(),
        "remove" => body
            .paths
            .iter()
            .map(|p| {
                files
                    .remove(&p.path, p.recursive)
                    .map_or_else(|e| e.result(&p.path), |()| ok(&p.path))
            })
            .collect(),
        "write" => {
            return Err(ErrorReply::bad_request(
                r#"must use multipart with "write" action"#,
            ));
        }
        other => return Err(ErrorReply::bad_request(format!("invalid action {other:?}"))),
    };
    let _ = body.files;
    Ok(Reply::ok(results))
}

async fn push(ctx: &Ctx, content_type: &str) -> ApiResult {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ErrorReply::bad_request(format!("invalid boundary {content_type:?}")))?;
    if boundary.len() < 32 {
        return Err(ErrorReply::bad_request(format!(
            "invalid boundary {boundary:?}"
        )));
    }
    let body = ctx.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let bad = |e: multer::Error| ErrorReply::bad_request(format!("cannot read multipart: {e}"));
    let Some(first) = multipart.next_field().await.map_err(bad)? else {
        return Err(ErrorReply::bad_request("must specify one or more files"));
    };
    let name = first.name().unwrap_or("").to_owned();
    if name != "request" {
        return Err(ErrorReply::bad_request(format!(
            r#"metadata field name must be "request", got {name:?}"#
        )));
    }
    let meta_bytes = first.bytes().await.map_err(bad)?;
    let meta: JsonBody = serde_json::from_slice(&meta_bytes)
        .map_err(|e| ErrorReply::bad_request(format!("cannot decode request metadata: {e}")))?;
    if meta.action != "write" {
        return Err(ErrorReply::bad_request(format!(
            r#"multipart action must be "write", got {:?}"#,
            meta.action
        )));
    }
    if meta.files.is_empty() {
        return Err(ErrorReply::bad_request("must specify one or more files"));
    }
    let mut results: Vec<Option<FileResult>> = vec![None; meta.files.len()];
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name != "files" {
            return Err(ErrorReply::bad_request(format!(
                r#"field name must be "files", got {name:?}"#
            )));
        }
        let path = field.file_name().unwrap_or("").to_owned();
        let Some(i) = meta.files.iter().position(|f| f.path == path) else {
            return Err(ErrorReply::bad_request(format!(
                "no metadata for path {path:?}"
            )));
        };
        let content = field.bytes().await.map_err(bad)?;
        let f = &meta.files[i];
        let written = f.owner().and_then(|(user_id, group_id)| {
            let opts = WriteOptions {
                make_dirs: f.make_dirs,
                permissions: Some(f.permissions.clone()),
                user_id,
                group_id,
            };
            ctx.shared.files.write(&path, &content, &opts)
        });
        results[i] = Some(written.map_or_else(|e| e.result(&path), |()| ok(&path)));
    }
    let results: Vec<FileResult> = results
        .into_iter()
        .zip(&meta.files)
        .map(|(r, f)| {
            r.unwrap_or_else(|| {
                FileError::generic(format!("no content for path {:?}", f.path)).result(&f.path)
            })
        })
        .collect();
    Ok(Reply::ok(results))
}
