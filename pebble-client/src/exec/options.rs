//! What to run and how: the body of `POST /v1/exec`, built with [`ExecOptions`].

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::error::Error;
use crate::types::GoDuration;

/// A command to run in the workload container, and how to run it.
///
/// Unset fields are sent as `null`, as Python ops does, so Pebble applies its defaults:
/// the working directory is the user's home (else `/`), the environment starts from
/// Pebble's own, and there is no timeout.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use pebble_client::ExecOptions;
/// let opts = ExecOptions::new(["/bin/sh", "-c", "echo $GREETING"])
///     .env("GREETING", "hi")
///     .working_dir("/srv")
///     .timeout(Duration::from_secs(30))
///     .stdin("input data");
/// assert_eq!(opts.command(), ["/bin/sh", "-c", "echo $GREETING"]);
/// assert_eq!(opts.get_timeout(), Some(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ExecOptions {
    command: Vec<String>,
    service_context: Option<String>,
    environment: BTreeMap<String, String>,
    working_dir: Option<String>,
    timeout: Option<Duration>,
    user_id: Option<u32>,
    user: Option<String>,
    group_id: Option<u32>,
    group: Option<String>,
    terminal: bool,
    interactive: bool,
    combine_stderr: bool,
    width: u32,
    height: u32,
    stdin: Option<Bytes>,
}

impl ExecOptions {
    /// Runs `command` (the executable, then its arguments; the executable is looked up in
    /// Pebble's `PATH`).
    pub fn new<I, S>(command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: command.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// The command and its arguments.
    pub fn command(&self) -> &[String] {
        &self.command
    }

    /// Takes environment, working directory, user and group from this service's plan entry
    /// (explicit options still win).
    pub fn service_context(mut self, service: impl Into<String>) -> Self {
        self.service_context = Some(service.into());
        self
    }

    /// Sets one environment variable (on top of Pebble's environment).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.environment.insert(key.into(), value.into());
        self
    }

    /// Sets several environment variables.
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.environment
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The working directory inside the container (must exist, or Pebble answers 500).
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Pebble kills the command after `timeout` (exit code -1, the change ends in error). The
    /// client also stops waiting for output or exit at `timeout` plus its request timeout, so
    /// a stalled Pebble cannot hang the caller. Zero means no timeout, as for Pebble.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = (!timeout.is_zero()).then_some(timeout);
        self
    }

    /// The timeout, if set.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Runs as this user id.
    pub fn user_id(mut self, uid: u32) -> Self {
        self.user_id = Some(uid);
        self
    }

    /// Runs as this user name.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Runs with this group id.
    pub fn group_id(mut self, gid: u32) -> Self {
        self.group_id = Some(gid);
        self
    }

    /// Runs with this group name.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Allocates a pseudo-terminal; stdio then carries the terminal (output combined).
    pub fn terminal(mut self, terminal: bool) -> Self {
        self.terminal = terminal;
        self
    }

    /// Interactive terminal mode (requires [`terminal`](Self::terminal)).
    pub fn interactive(mut self, interactive: bool) -> Self {
        self.interactive = interactive;
        self
    }

    /// Sends stderr on the stdout stream instead of its own (`split-stderr: false`).
    pub fn combine_stderr(mut self, combine: bool) -> Self {
        self.combine_stderr = combine;
        self
    }

    /// Whether stderr has its own stream.
    pub fn split_stderr(&self) -> bool {
        !self.combine_stderr
    }

    /// The initial terminal size, in columns and rows (terminal mode).
    pub fn terminal_size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    /// Feeds `data` to the command's stdin, then closes it. The process then has no stdin
    /// writer of its own.
    pub fn stdin(mut self, data: impl Into<Bytes>) -> Self {
        self.stdin = Some(data.into());
        self
    }

    /// The stdin data given with [`stdin`](Self::stdin).
    pub(crate) fn stdin_data(&self) -> Option<&Bytes> {
        self.stdin.as_ref()
    }

    /// Checks what Pebble would reject for certain, before sending.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.command.is_empty() {
            return Err(Error::InvalidArgument {
                message: "exec needs a command: give at least the executable".into(),
            });
        }
        if self.interactive && !self.terminal {
            return Err(Error::InvalidArgument {
                message: "exec: interactive mode needs terminal mode too".into(),
            });
        }
        Ok(())
    }

    /// The JSON body of `POST /v1/exec`.
    pub(crate) fn body(&self) -> Value {
        json!({
            "command": self.command,
            "service-context": self.service_context,
            "environment": self.environment,
            "working-dir": self.working_dir,
            "timeout": self.timeout.map(|t| GoDuration::from_std(t).to_string()),
            "user-id": self.user_id,
            "user": self.user,
            "group-id": self.group_id,
            "group": self.group,
            "terminal": self.terminal,
            "interactive": self.interactive,
            "split-stderr": !self.combine_stderr,
            "width": self.width,
            "height": self.height,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_every_key_with_nulls_for_unset() {
        let b = ExecOptions::new(["echo", "hi"])
            .timeout(Duration::from_millis(1500))
            .env("A", "1")
            .body();
        assert_eq!(b["command"], json!(["echo", "hi"]));
        assert_eq!(b["timeout"], "1.5s");
        assert_eq!(b["environment"]["A"], "1");
        assert_eq!(b["split-stderr"], true);
        assert!(b["working-dir"].is_null() && b["user-id"].is_null());
        assert!(b.as_object().unwrap().contains_key("service-context"));
        let none = ExecOptions::new(["x"]).timeout(Duration::ZERO);
        assert_eq!(none.get_timeout(), None);
        assert!(none.body()["timeout"].is_null());
    }

    #[test]
    fn rejects_what_pebble_would() {
        assert!(ExecOptions::new(Vec::<String>::new()).validate().is_err());
        assert!(
            ExecOptions::new(["x"])
                .interactive(true)
                .validate()
                .is_err()
        );
        assert!(ExecOptions::new(["x"]).validate().is_ok());
    }
}
