//! Starting a command: `POST /v1/exec`, then the task's websockets within Pebble's connect
//! window.

use std::sync::Arc;

use futures_util::StreamExt;
use serde::Deserialize;

use super::control::Control;
use super::process::ExecProcess;
use super::streams::{self, Deadline, Tasks};
use super::{ExecOptions, ws};
use crate::Client;
use crate::error::Error;
use crate::retry::Call;
use crate::transport::RawRequest;

/// The result of `POST /v1/exec`.
#[derive(Deserialize)]
struct Started {
    #[serde(rename = "task-id")]
    task_id: String,
}

impl Client {
    /// Runs a command in the workload container and returns a handle on it with its streams.
    ///
    /// The POST is retried (by the client's policy) only when it never reached Pebble; once
    /// sent it is never repeated, because a second POST runs the command twice. Then the
    /// `control`, `stdio` and (when stderr is split) `stderr` websockets are opened, each
    /// within the request timeout, so a Pebble that withholds one ends the call with
    /// [`Error::Timeout`] ([`TimeoutPhase::WebsocketConnect`](crate::TimeoutPhase)) instead
    /// of hanging. Pebble gives up on the command if they are not all open within 5 s.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty command; [`Error::Api`] for Pebble's refusals
    /// (400 `cannot find executable "x"`, 500 for a missing working directory, …);
    /// connection and timeout errors.
    ///
    /// # Example
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use pebble_client::testing::{ExecResponse, SimPebble};
    /// use pebble_client::{Client, ExecOptions};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let sim = SimPebble::spawn(dir.path().join("pebble.socket"))?;
    /// sim.exec_handler("migrate", |_| ExecResponse::exit(3).stderr("no database"));
    /// let client = Client::new(sim.socket_path())?;
    ///
    /// let err = client.exec(&ExecOptions::new(["migrate"])).await?.wait_output().await.unwrap_err();
    /// let exec = err.exec_error().unwrap();
    /// assert_eq!(exec.exit_code(), 3);
    /// assert_eq!(exec.stderr(), b"no database");
    /// # Ok(()) }
    /// ```
    pub async fn exec(&self, options: &ExecOptions) -> Result<ExecProcess, Error> {
        options.validate()?;
        let req = RawRequest::post_json("/v1/exec", &options.body());
        let envelope = self.envelope(Call::Exec, req).await?;
        let change_id = envelope.change_id()?;
        let started: Started = envelope.decode()?;
        let timeout = self.timeout();
        let socket = self.socket_path();
        let task = started.task_id.as_str();
        let control = ws::connect(socket, task, "control", timeout).await?;
        let stdio = ws::connect(socket, task, "stdio", timeout).await?;
        let stderr = if options.split_stderr() {
            Some(ws::connect(socket, task, "stderr", timeout).await?)
        } else {
            None
        };

        let tasks = Arc::new(Tasks::default());
        let (control, alive) = Control::start(&tasks, control, timeout);
        // The client stops waiting at the command's timeout plus the request timeout, or
        // when Pebble stops answering pings on the control websocket.
        let deadline = Deadline {
            at: options
                .get_timeout()
                .map(|t| tokio::time::Instant::now() + t + timeout),
            after: options.get_timeout().unwrap_or_default() + timeout,
            alive,
        };
        let (sink, source) = stdio.split();
        let stdout = streams::output(&tasks, source, "stdio", deadline.clone());
        let stdin = match options.stdin_data() {
            Some(data) => {
                streams::fixed_stdin(&tasks, sink, data.clone());
                None
            }
            None => Some(streams::stdin(&tasks, sink, deadline.clone())),
        };
        let stderr = stderr.map(|ws| {
            // Nothing is sent on stderr; the reading half keeps the socket open.
            let (_sink, source) = ws.split();
            streams::output(&tasks, source, "stderr", deadline.clone())
        });
        Ok(ExecProcess {
            stdin,
            stdout: Some(stdout),
            stderr,
            client: self.clone(),
            change_id,
            task_id: started.task_id,
            command: options.command().to_vec(),
            control,
            deadline,
            _tasks: tasks,
        })
    }
}
