//! Opening an exec task's websockets over Pebble's unix socket, each on its own connection,
//! every step bounded by the client's request timeout.

use std::path::Path;
use std::time::Duration;

use tokio::net::UnixStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::envelope::Envelope;
use crate::error::{Error, TimeoutPhase};
use crate::types::notice::percent_encode_into;

/// One exec websocket.
pub(crate) type Ws = WebSocketStream<UnixStream>;

/// The text frame that marks the end of a stream, in either direction.
pub(crate) const END: &str = r#"{"command":"end"}"#;

/// Whether a text frame is Pebble's end-of-stream marker.
pub(crate) fn is_end(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Cmd {
        command: String,
    }
    serde_json::from_str::<Cmd>(text).is_ok_and(|c| c.command == "end")
}

/// A text frame.
pub(crate) fn text(s: &str) -> Message {
    Message::text(s)
}

/// Connects `/v1/tasks/{task}/websocket/{id}` on a new connection to `socket`.
pub(crate) async fn connect(
    socket: &Path,
    task_id: &str,
    id: &'static str,
    timeout: Duration,
) -> Result<Ws, Error> {
    let attempt = async {
        let stream = UnixStream::connect(socket)
            .await
            .map_err(|e| crate::transport::connect::classify(socket, e))?;
        let mut url = String::from("ws://localhost/v1/tasks/");
        percent_encode_into(&mut url, task_id);
        url.push_str("/websocket/");
        url.push_str(id);
        let request = url
            .into_client_request()
            .map_err(|e| Error::InvalidArgument {
                message: format!("cannot build the {id} websocket request: {e}"),
            })?;
        match tokio_tungstenite::client_async(request, stream).await {
            Ok((ws, _)) => Ok(ws),
            Err(tungstenite::Error::Http(resp)) => {
                let status = resp.status().as_u16();
                let ct = resp
                    .headers()
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = resp.body().as_deref().unwrap_or_default();
                match Envelope::parse(status, ct.as_deref(), body) {
                    Err(e) => Err(e),
                    Ok(_) => Err(Error::protocol(format!(
                        "Pebble answered the {id} websocket upgrade with HTTP {status} instead of 101"
                    ))),
                }
            }
            Err(e) => Err(Error::Websocket {
                websocket: id,
                detail: format!("the websocket handshake failed: {e}"),
            }),
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(Error::Timeout {
            phase: TimeoutPhase::WebsocketConnect,
            after: timeout,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_marker_is_recognised_with_any_spacing() {
        assert!(is_end(END));
        assert!(is_end(r#"{ "command" : "end" }"#));
        assert!(!is_end(r#"{"command":"signal"}"#));
        assert!(!is_end("garbage"));
    }

    #[tokio::test]
    async fn missing_socket_is_socket_not_found() {
        let err = connect(
            Path::new("/nonexistent/pebble.socket"),
            "1",
            "stdio",
            Duration::from_secs(1),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::SocketNotFound { .. }), "{err}");
    }
}
