//! Pebble's JSON response envelope: `{"type", "status-code", "status", "change", "result", …}`.
//!
//! `type` decides: `sync` and `async` are successes (even `/v1/health`'s 502), `error` is an
//! [`ApiError`]. A missing `result` is `null`. Anything that is not such an envelope (other
//! content type, non-JSON, missing fields) is a [`Error::Protocol`].

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error, Maintenance};
use crate::types::{ChangeId, Timestamp};

/// A parsed success envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// HTTP status code (200, 202, or 502 for an unhealthy `/v1/health`).
    pub status_code: u16,
    /// The change id of an `async` response.
    pub change: Option<ChangeId>,
    /// The result (`null` when absent).
    pub result: serde_json::Value,
    /// The most recent warning's time, if any warning exists.
    pub latest_warning: Option<Timestamp>,
    /// A pending restart.
    pub maintenance: Option<Maintenance>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Wire {
    #[serde(rename = "type")]
    kind: String,
    status_code: u16,
    #[serde(default)]
    status: String,
    #[serde(default)]
    change: Option<ChangeId>,
    #[serde(default)]
    result: serde_json::Value,
    #[serde(default)]
    latest_warning: Option<Timestamp>,
    #[serde(default)]
    maintenance: Option<Maintenance>,
}

#[derive(Deserialize)]
struct ErrorResult {
    #[serde(default)]
    message: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    value: Option<serde_json::Value>,
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    format!("{:?}{}", text, if body.len() > 200 { "…" } else { "" })
}

/// Whether a content type is JSON (`application/json`, parameters allowed).
pub(crate) fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    })
}

impl Envelope {
    /// Parses a response body with its HTTP status and content type.
    pub fn parse(http_status: u16, content_type: Option<&str>, body: &[u8]) -> Result<Self, Error> {
        if !is_json(content_type) {
            return Err(Error::protocol(format!(
                "HTTP {http_status} with content type {:?} instead of application/json, body {}",
                content_type.unwrap_or("<none>"),
                snippet(body)
            )));
        }
        let wire: Wire = serde_json::from_slice(body).map_err(|e| {
            Error::protocol(format!(
                "HTTP {http_status} body is not Pebble's JSON envelope ({e}): {}",
                snippet(body)
            ))
        })?;
        match wire.kind.as_str() {
            "sync" | "async" => Ok(Self {
                status_code: wire.status_code,
                change: wire.change,
                result: wire.result,
                latest_warning: wire.latest_warning,
                maintenance: wire.maintenance,
            }),
            "error" => {
                let err: ErrorResult = if wire.result.is_null() {
                    ErrorResult {
                        message: String::new(),
                        kind: None,
                        value: None,
                    }
                } else {
                    serde_json::from_value(wire.result).map_err(|e| {
                        Error::protocol(format!("error envelope's result is malformed: {e}"))
                    })?
                };
                let message = if err.message.is_empty() {
                    format!("server error: {:?}", wire.status)
                } else {
                    err.message
                };
                Err(ApiError {
                    status_code: wire.status_code,
                    status: wire.status,
                    kind: err.kind.filter(|k| !k.is_empty()),
                    message,
                    value: err.value,
                    maintenance: wire.maintenance,
                }
                .into())
            }
            other => Err(Error::protocol(format!(
                "envelope type {other:?} is not sync, async or error"
            ))),
        }
    }

    /// Decodes the result into `T`.
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, Error> {
        serde_json::from_value(self.result).map_err(|e| {
            Error::protocol(format!(
                "result does not have the expected shape ({}): {e}",
                std::any::type_name::<T>()
            ))
        })
    }

    /// The change id of an async response, or a protocol error.
    pub fn change_id(&self) -> Result<ChangeId, Error> {
        self.change
            .clone()
            .ok_or_else(|| Error::protocol("async response without a \"change\" id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&str> = Some("application/json");

    #[test]
    fn sync_with_and_without_result() {
        let e = Envelope::parse(
            200,
            JSON,
            br#"{"type":"sync","status-code":200,"status":"OK","result":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(e.result["a"], 1);
        let e = Envelope::parse(
            200,
            JSON,
            br#"{"type":"sync","status-code":200,"status":"OK"}"#,
        )
        .unwrap();
        assert!(e.result.is_null());
        let unit: () = e.decode().unwrap();
        assert_eq!(unit, ());
    }

    #[test]
    fn async_carries_change_and_extras() {
        let e = Envelope::parse(
            202,
            Some("application/json; charset=utf-8"),
            br#"{"type":"async","status-code":202,"status":"Accepted","change":"42","result":null,
                "latest-warning":"2024-03-12T03:05:46.086111123Z","maintenance":{"kind":"daemon-restart","message":"daemon is restarting"}}"#,
        )
        .unwrap();
        assert_eq!(e.change_id().unwrap().as_str(), "42");
        assert_eq!(e.maintenance.unwrap().kind, "daemon-restart");
        assert!(e.latest_warning.is_some());
    }

    #[test]
    fn error_envelope() {
        let err = Envelope::parse(401, JSON, br#"{"type":"error","status-code":401,"status":"Unauthorized","result":{"message":"access denied","kind":"login-required"}}"#).unwrap_err();
        assert_eq!(err.api_status(), Some(401));
        assert_eq!(err.api_kind(), Some("login-required"));
        let err = Envelope::parse(500, JSON, br#"{"type":"error","status-code":500,"status":"Internal Server Error","result":{"message":""}}"#).unwrap_err();
        assert_eq!(
            err.api().unwrap().message,
            "server error: \"Internal Server Error\""
        );
        let err = Envelope::parse(500, JSON, br#"{"type":"error","status-code":500,"status":"Internal Server Error","result":{"message":"x","kind":"daemon-restart"},"maintenance":{"kind":"daemon-restart","message":"m"}}"#).unwrap_err();
        assert!(err.is_maintenance());
    }

    #[test]
    fn health_502_is_sync() {
        let e = Envelope::parse(502, JSON, br#"{"type":"sync","status-code":502,"status":"Bad Gateway","result":{"healthy":false}}"#).unwrap();
        assert_eq!(e.status_code, 502);
    }

    #[test]
    fn not_an_envelope_is_protocol() {
        for (ct, body) in [
            (
                Some("text/plain; charset=utf-8"),
                &b"400 Bad Request: missing required Host header"[..],
            ),
            (JSON, &b"<html>"[..]),
            (JSON, &br#"{"type":"weird","status-code":200}"#[..]),
            (JSON, &br#"{"status-code":200}"#[..]),
            (None, &b""[..]),
        ] {
            let err = Envelope::parse(400, ct, body).unwrap_err();
            assert!(matches!(err, Error::Protocol { .. }), "{err}");
        }
    }
}
