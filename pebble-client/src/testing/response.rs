//! Pebble's response envelope: sync, async and error bodies exactly as the daemon writes them.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;
use serde_json::Value;

use crate::Maintenance;

/// The body type of every simulator response: whole, or streamed (followed logs).
pub(crate) type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, std::convert::Infallible>;

/// A whole body.
pub(crate) fn full(bytes: Bytes) -> Body {
    use http_body_util::BodyExt;
    Full::new(bytes).boxed_unsync()
}

/// An error answer the simulator sends in Pebble's envelope: status code, message and optional
/// kind and value (the server-side counterpart of the client's [`crate::ApiError`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReply {
    /// The HTTP status code (400, 404, 500...).
    pub status: StatusCode,
    /// The `result.message` text.
    pub message: String,
    /// The `result.kind` (`not-found`, `permission-denied`, ...), if any.
    pub kind: Option<String>,
    /// The `result.value`, if any.
    pub value: Option<Value>,
}

impl ErrorReply {
    /// An error with the given status and message and no kind.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ErrorReply {
        ErrorReply {
            status,
            message: message.into(),
            kind: None,
            value: None,
        }
    }

    /// Sets the error kind.
    #[must_use]
    pub fn with_kind(mut self, kind: impl Into<String>) -> ErrorReply {
        self.kind = Some(kind.into());
        self
    }

    /// 400 Bad Request.
    pub(crate) fn bad_request(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 Not Found.
    pub(crate) fn not_found(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(StatusCode::NOT_FOUND, message)
    }

    /// 403 Forbidden.
    pub(crate) fn forbidden(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(StatusCode::FORBIDDEN, message)
    }

    /// 500 Internal Server Error.
    pub(crate) fn internal(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// What an endpoint answers, before the envelope is written.
#[derive(Debug)]
pub(crate) enum Reply {
    /// `type: sync`; `result` omitted when `None`.
    Sync {
        status: StatusCode,
        result: Option<Value>,
    },
    /// `type: async`, 202, with the change id and `"result": null`.
    Async { change: String },
    /// `type: async`, 202, with the change id and a result (exec's task id and environment).
    AsyncWith { change: String, result: Value },
    /// `type: error`.
    Error(ErrorReply),
    /// A fully built response (multipart pulls, plain-text errors).
    Raw(Response<Body>),
}

impl From<ErrorReply> for Reply {
    fn from(e: ErrorReply) -> Reply {
        Reply::Error(e)
    }
}

/// The result of an endpoint handler.
pub(crate) type ApiResult = Result<Reply, ErrorReply>;

impl Reply {
    /// A 200 sync reply with `value` as its result.
    pub(crate) fn ok(value: impl Serialize) -> Reply {
        match serde_json::to_value(value) {
            Ok(v) => Reply::Sync {
                status: StatusCode::OK,
                result: Some(v),
            },
            Err(e) => Reply::Error(ErrorReply::internal(format!("cannot encode result: {e}"))),
        }
    }

    /// A 200 sync reply with no `result` key at all.
    pub(crate) fn ok_empty() -> Reply {
        Reply::Sync {
            status: StatusCode::OK,
            result: None,
        }
    }

    /// Writes the reply as an HTTP response.
    pub(crate) fn into_response(
        self,
        maintenance: Option<&Maintenance>,
        latest_warning: Option<String>,
    ) -> Response<Body> {
        let (status, body) = match self {
            Reply::Raw(resp) => return resp,
            Reply::Sync { status, result } => (
                status,
                envelope(
                    "sync",
                    status,
                    None,
                    result.as_ref(),
                    latest_warning,
                    maintenance,
                ),
            ),
            Reply::Async { change } => (
                StatusCode::ACCEPTED,
                envelope(
                    "async",
                    StatusCode::ACCEPTED,
                    Some(change),
                    Some(&Value::Null),
                    latest_warning,
                    maintenance,
                ),
            ),
            Reply::AsyncWith { change, result } => (
                StatusCode::ACCEPTED,
                envelope(
                    "async",
                    StatusCode::ACCEPTED,
                    Some(change),
                    Some(&result),
                    latest_warning,
                    maintenance,
                ),
            ),
            Reply::Error(e) => {
                let result = ErrorResult::of(&e);
                (
                    e.status,
                    envelope("error", e.status, None, Some(&result), None, maintenance),
                )
            }
        };
        json_response(status, body)
    }
}

/// The `result` object of an error envelope, keys in Pebble's order.
#[derive(Serialize)]
pub(crate) struct ErrorResult<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a Value>,
}

impl<'a> ErrorResult<'a> {
    /// The result object for `e`.
    pub(crate) fn of(e: &'a ErrorReply) -> ErrorResult<'a> {
        ErrorResult {
            message: &e.message,
            kind: e.kind.as_deref(),
            value: e.value.as_ref(),
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a, R: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(rename = "status-code")]
    status_code: u16,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a R>,
    #[serde(rename = "latest-warning", skip_serializing_if = "Option::is_none")]
    latest_warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maintenance: Option<&'a Maintenance>,
}

/// Serializes an envelope with Pebble's key order.
pub(crate) fn envelope<R: Serialize>(
    kind: &str,
    status: StatusCode,
    change: Option<String>,
    result: Option<&R>,
    latest_warning: Option<String>,
    maintenance: Option<&Maintenance>,
) -> Bytes {
    let env = Envelope {
        kind,
        status_code: status.as_u16(),
        status: status.canonical_reason().unwrap_or(""),
        change,
        result,
        latest_warning,
        maintenance,
    };
    // Serializing a struct of strings, numbers and `Value`s cannot fail.
    Bytes::from(serde_json::to_vec(&env).unwrap_or_default())
}

/// A response with a JSON body.
pub(crate) fn json_response(status: StatusCode, body: Bytes) -> Response<Body> {
    raw_response(status, "application/json", body)
}

/// A response with any content type.
pub(crate) fn raw_response(status: StatusCode, content_type: &str, body: Bytes) -> Response<Body> {
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(reply: Reply) -> String {
        use http_body_util::BodyExt;
        let resp = reply.into_response(None, None);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt.block_on(resp.into_body().collect()).unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn async_has_null_result() {
        assert_eq!(
            body_of(Reply::Async {
                change: "42".into()
            }),
            r#"{"type":"async","status-code":202,"status":"Accepted","change":"42","result":null}"#
        );
    }

    #[test]
    fn empty_sync_omits_result() {
        assert_eq!(
            body_of(Reply::ok_empty()),
            r#"{"type":"sync","status-code":200,"status":"OK"}"#
        );
    }

    #[test]
    fn error_has_message_and_kind() {
        let e = ErrorReply::bad_request("no default services").with_kind("no-default-services");
        assert_eq!(
            body_of(e.into()),
            r#"{"type":"error","status-code":400,"status":"Bad Request","result":{"message":"no default services","kind":"no-default-services"}}"#
        );
    }
}
