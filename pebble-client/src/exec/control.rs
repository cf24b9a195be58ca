//! The `control` websocket: signals and terminal resizes to Pebble, in JSON text frames.
//!
//! A background task owns the websocket: it sends the commands it is given, answers each
//! with the outcome, and reads (and discards) what Pebble sends until Pebble closes the
//! socket when the command exits. Aborting the task (when the process handle and all its
//! streams are dropped) closes the socket abruptly, which makes Pebble kill the command.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use super::streams::Tasks;
use super::ws::Ws;
use crate::error::{Error, TimeoutPhase};

type Request = (Message, oneshot::Sender<Result<(), String>>);

/// The sending side of the control websocket.
#[derive(Debug, Clone)]
pub(crate) struct Control {
    tx: mpsc::Sender<Request>,
    timeout: Duration,
}

impl Control {
    /// Starts the task owning `ws`; `timeout` bounds each send and is the ping interval.
    /// The receiver turns `false` if Pebble stops answering pings while the socket is open.
    pub(crate) fn start(
        tasks: &Arc<Tasks>,
        ws: Ws,
        timeout: Duration,
    ) -> (Self, watch::Receiver<bool>) {
        let (tx, rx) = mpsc::channel(8);
        let (alive_tx, alive) = watch::channel(true);
        tasks.spawn(run(ws, rx, alive_tx, timeout));
        (Self { tx, timeout }, alive)
    }

    /// Sends `signal` (e.g. `SIGTERM`, `TERM` or `term`) to the command.
    pub(crate) async fn signal(&self, signal: &str) -> Result<(), Error> {
        let name = signal_name(signal)?;
        self.send(json!({"command": "signal", "signal": {"name": name}}))
            .await
    }

    /// Tells Pebble the terminal's new size.
    pub(crate) async fn resize(&self, width: u32, height: u32) -> Result<(), Error> {
        self.send(json!({"command": "resize", "resize": {"width": width, "height": height}}))
            .await
    }

    async fn send(&self, command: serde_json::Value) -> Result<(), Error> {
        let closed = || Error::Websocket {
            websocket: "control",
            detail: "it is closed: the command has exited (or Pebble dropped the connection)"
                .into(),
        };
        let (ack, done) = oneshot::channel();
        let attempt = async {
            self.tx
                .send((Message::text(command.to_string()), ack))
                .await
                .map_err(|_| closed())?;
            match done.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(detail)) => Err(Error::Websocket {
                    websocket: "control",
                    detail,
                }),
                Err(_) => Err(closed()),
            }
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or(Err(Error::Timeout {
                phase: TimeoutPhase::Response,
                after: self.timeout,
            }))
    }
}

/// `SIGTERM` from `SIGTERM`, `TERM` or `term`; Pebble only knows the `SIG` names.
fn signal_name(signal: &str) -> Result<String, Error> {
    let upper = signal.trim().to_ascii_uppercase();
    if upper.is_empty() || !upper.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidArgument {
            message: format!("{signal:?} is not a signal name; use e.g. \"SIGTERM\""),
        });
    }
    Ok(if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    })
}

async fn run(
    mut ws: Ws,
    mut rx: mpsc::Receiver<Request>,
    alive: watch::Sender<bool>,
    interval: Duration,
) {
    let mut open = true;
    let mut commands = true;
    let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    // The exit test comes first: every branch of the `select!` below may be disabled (Pebble
    // closed the socket and the process handle is gone), and a `select!` with no branch left
    // and no `else` panics.
    while open || commands {
        tokio::select! {
            _ = ticker.tick(), if open => {
                // Liveness: Pebble answers pings while the command runs. Silence for two
                // intervals means a stalled connection, whatever the command is doing.
                let silent = last_heard.elapsed() > interval * 2;
                let pinged = !silent
                    && tokio::time::timeout(interval, ws.send(Message::Ping(Default::default())))
                        .await
                        .is_ok_and(|r| r.is_ok());
                if !pinged {
                    let _ = alive.send(false);
                    return;
                }
            }
            req = rx.recv(), if commands => {
                // The process handle is gone: keep the socket until Pebble closes it (the
                // command exited) or the last stream handle goes (abort: an abrupt close
                // that makes Pebble kill the command).
                let Some((msg, ack)) = req else {
                    commands = false;
                    continue;
                };
                let result = if open {
                    ws.send(msg).await.map_err(|e| e.to_string())
                } else {
                    Err("it is closed: the command has exited".to_owned())
                };
                let _ = ack.send(result);
            }
            frame = ws.next(), if open => {
                last_heard = Instant::now();
                match frame {
                    // Pebble closes control when the command exits: answer at once.
                    Some(Ok(Message::Close(_))) => {
                        let _ = tokio::time::timeout(interval, ws.close(None)).await;
                        open = false;
                    }
                    None | Some(Err(_)) => open = false,
                    Some(Ok(_)) => {}
                }
            }
        }
    }
    let _ = ws.close(None).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_are_normalised() {
        assert_eq!(signal_name("SIGTERM").unwrap(), "SIGTERM");
        assert_eq!(signal_name("term").unwrap(), "SIGTERM");
        assert_eq!(signal_name("hup").unwrap(), "SIGHUP");
        assert!(signal_name("").is_err());
        assert!(signal_name("SIG TERM").is_err());
    }
}
