//! Simulated exec: `POST /v1/exec`, the task websockets, and the command behind them.
//!
//! A command runs in one of two ways:
//! - a **handler** registered by the test with [`SimPebble::exec_handler`]: the longest
//!   registered command prefix wins; the handler gets the arguments, environment, working
//!   directory and all of stdin, and answers with an [`ExecResponse`] (output and exit code,
//!   or a command that runs until signalled or timed out, or a stalled Pebble);
//! - a **real child process**, when the builder's [`SimBuilder::real_exec`] is on and no
//!   handler matches: run with the request's environment and working directory (mapped
//!   under the sim root when it exists there), its stdio bridged to the websockets, the
//!   timeout enforced and signals from the control websocket delivered. When the services
//!   run as real processes with
//!   [`ProcessOptions::map_paths_under_root`](crate::testing::ProcessOptions::map_paths_under_root),
//!   the executable, arguments and requested environment values are mapped under the root
//!   by the same rule as services'.
//!
//! Otherwise the sim answers as Pebble does when the executable is not found.
//!
//! # Example
//! ```
//! use pebble_client::testing::{ExecResponse, SimPebble};
//! let dir = tempfile::tempdir()?;
//! let sim = SimPebble::start(dir.path().join("pebble.socket"))?;
//! sim.exec_handler("git", |_| ExecResponse::exit(1).stderr("not a repository"));
//! sim.exec_handler("git status", |input| {
//!     ExecResponse::exit(0).stdout(format!("on branch main ({} args)", input.command.len()))
//! });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod api;
mod child;
mod handler;
mod session;
pub(crate) mod upgrade;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{SimBuilder, SimPebble};

pub(crate) use session::Session;

/// Pebble's window for the client to connect the task's websockets.
const CONNECT_WINDOW: Duration = Duration::from_secs(5);

/// What a handler is given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecInput {
    /// The whole command: executable then arguments.
    pub command: Vec<String>,
    /// The final environment (Pebble's defaults, then the request's).
    pub environment: BTreeMap<String, String>,
    /// The working directory (container path).
    pub working_dir: String,
    /// Everything the client sent on stdin, up to its end marker.
    pub stdin: Vec<u8>,
}

/// How a simulated command behaves after reading its stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Writes its output and exits.
    Exit(i32),
    /// Writes its output, then runs until signalled (exit `128 + n`) or timed out.
    Hang,
    /// Writes stdout, then Pebble stops talking: no end marker, no exit, no timeout.
    Stall,
}

/// One command the simulated Pebble started, as the client asked for it: what a test
/// asserts to check which commands the code under test ran, and how.
///
/// Options are recorded as sent (the environment and working directory as requested, before
/// Pebble's defaults and any service context are applied). Requests Pebble refused (an
/// unknown executable, a missing working directory) are not recorded: nothing ran.
///
/// # Example
/// ```
/// use pebble_client::testing::{ExecResponse, SimPebble};
/// use pebble_client::{ExecOptions, blocking::Client};
/// let dir = tempfile::tempdir()?;
/// let sim = SimPebble::start(dir.path().join("pebble.socket"))?;
/// sim.exec_handler("wc", |_| ExecResponse::exit(0).stdout("3"));
/// let client = Client::new(sim.socket_path())?;
/// client.exec(&ExecOptions::new(["wc", "-c"]).env("LC_ALL", "C").stdin("abc"))?.wait_output()?;
/// let history = sim.exec_history();
/// assert_eq!(history[0].command, ["wc", "-c"]);
/// assert_eq!(history[0].environment["LC_ALL"], "C");
/// assert_eq!(history[0].stdin, b"abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Its `Debug` shows the environment's names but not their values, and stdin's length but
/// not its bytes: both are where code passes secrets.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ExecRecord {
    /// The whole command: executable then arguments.
    pub command: Vec<String>,
    /// The environment variables the request set (not Pebble's defaults).
    pub environment: BTreeMap<String, String>,
    /// The working directory requested, if any.
    pub working_dir: Option<String>,
    /// The service whose context was requested, if any.
    pub service_context: Option<String>,
    /// The user id requested.
    pub user_id: Option<u32>,
    /// The user name requested.
    pub user: Option<String>,
    /// The group id requested.
    pub group_id: Option<u32>,
    /// The group name requested.
    pub group: Option<String>,
    /// The timeout requested.
    pub timeout: Option<Duration>,
    /// Whether stderr was sent on the stdout stream.
    pub combine_stderr: bool,
    /// What the client sent on stdin (so far, while the command runs).
    pub stdin: Vec<u8>,
}

impl std::fmt::Debug for ExecRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let env: Vec<&String> = self.environment.keys().collect();
        f.debug_struct("ExecRecord")
            .field("command", &self.command)
            .field("environment (names only)", &env)
            .field("working_dir", &self.working_dir)
            .field("service_context", &self.service_context)
            .field("user_id", &self.user_id)
            .field("user", &self.user)
            .field("group_id", &self.group_id)
            .field("group", &self.group)
            .field("timeout", &self.timeout)
            .field("combine_stderr", &self.combine_stderr)
            .field("stdin_len", &self.stdin.len())
            .finish()
    }
}

/// What a handler answers.
///
/// # Example
/// ```
/// use pebble_client::testing::ExecResponse;
/// let r = ExecResponse::exit(2).stdout("partial").stderr("failed");
/// # let _ = r;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResponse {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    behaviour: Behaviour,
}

impl ExecResponse {
    /// Exits with `code` (after writing any output set).
    pub fn exit(code: i32) -> Self {
        Self {
            stdout: Vec::new(),
            stderr: Vec::new(),
            behaviour: Behaviour::Exit(code),
        }
    }

    /// Writes any output set, then runs until a signal (exit code `128 + n`) or the
    /// request's timeout (exit code -1, change in error) ends it.
    pub fn hang() -> Self {
        Self {
            behaviour: Behaviour::Hang,
            ..Self::exit(0)
        }
    }

    /// Writes stdout, then stalls the way a broken Pebble would: no end marker, no exit,
    /// the timeout ignored, the control websocket no longer read (so pings go unanswered).
    /// For testing that clients give up.
    pub fn stall() -> Self {
        Self {
            behaviour: Behaviour::Stall,
            ..Self::exit(0)
        }
    }

    /// What the command writes to stdout.
    #[must_use]
    pub fn stdout(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdout = data.into();
        self
    }

    /// What the command writes to stderr (to stdout when the client combined them).
    #[must_use]
    pub fn stderr(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stderr = data.into();
        self
    }
}

/// A registered handler.
pub(crate) type Handler = Arc<dyn Fn(&ExecInput) -> ExecResponse + Send + Sync>;

/// Exec settings chosen on the builder.
#[derive(Debug, Clone)]
pub(crate) struct ExecSettings {
    pub real_processes: bool,
    pub connect_window: Duration,
}

impl Default for ExecSettings {
    fn default() -> Self {
        Self {
            real_processes: false,
            connect_window: CONNECT_WINDOW,
        }
    }
}

/// Where a running command's stdin is recorded for its [`ExecRecord`].
pub(crate) type StdinLog = Arc<Mutex<Vec<u8>>>;

/// The exec part of the daemon: settings, handlers, the sessions awaiting websockets and
/// the history of started commands.
pub(crate) struct ExecSim {
    pub settings: ExecSettings,
    handlers: Mutex<Vec<(Vec<String>, Handler)>>,
    sessions: Mutex<HashMap<u64, Arc<Session>>>,
    history: Mutex<Vec<(ExecRecord, StdinLog)>>,
}

impl ExecSim {
    pub(crate) fn new(settings: ExecSettings) -> Self {
        Self {
            settings,
            handlers: Mutex::new(Vec::new()),
            sessions: Mutex::new(HashMap::new()),
            history: Mutex::new(Vec::new()),
        }
    }

    /// Records a started command; its stdin goes to the returned log.
    pub(crate) fn record(&self, record: ExecRecord) -> StdinLog {
        let log = StdinLog::default();
        self.history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((record, Arc::clone(&log)));
        log
    }

    /// The started commands, oldest first, with the stdin received so far.
    pub(crate) fn history(&self) -> Vec<ExecRecord> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history
            .iter()
            .map(|(r, log)| ExecRecord {
                stdin: log.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                ..r.clone()
            })
            .collect()
    }

    /// The handler with the longest prefix of `command`.
    pub(crate) fn handler(&self, command: &[String]) -> Option<Handler> {
        let handlers = self.handlers.lock().unwrap_or_else(|e| e.into_inner());
        handlers
            .iter()
            .filter(|(prefix, _)| command.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, h)| Arc::clone(h))
    }

    /// The live session of a task.
    pub(crate) fn session(&self, task: u64) -> Option<Arc<Session>> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&task)
            .cloned()
    }

    pub(crate) fn add_session(&self, task: u64, session: Arc<Session>) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(task, session);
    }

    pub(crate) fn remove_session(&self, task: u64) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&task);
    }
}

impl SimBuilder {
    /// Runs exec'd commands that no handler matches as real child processes on this host
    /// (off by default: they answer `cannot find executable`).
    pub fn real_exec(mut self, enabled: bool) -> SimBuilder {
        self.exec.real_processes = enabled;
        self
    }

    /// How long exec waits for the client's websockets before failing the task (Pebble:
    /// 5 s; shorten it to test clients that never connect).
    pub fn exec_connect_window(mut self, window: Duration) -> SimBuilder {
        self.exec.connect_window = window;
        self
    }
}

impl SimPebble {
    /// Simulates a command: exec requests whose command starts with the words of `prefix`
    /// (split on whitespace; the longest registered prefix wins) are answered by `handler`.
    pub fn exec_handler(
        &self,
        prefix: &str,
        handler: impl Fn(&ExecInput) -> ExecResponse + Send + Sync + 'static,
    ) {
        let prefix: Vec<String> = prefix.split_whitespace().map(str::to_owned).collect();
        let mut handlers = self
            .shared
            .exec
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        handlers.retain(|(p, _)| *p != prefix);
        handlers.push((prefix, Arc::new(handler)));
    }

    /// Every command started so far (by a handler or as a real process), oldest first, as
    /// the client asked for it, with the stdin received so far. See [`ExecRecord`].
    pub fn exec_history(&self) -> Vec<ExecRecord> {
        self.shared.exec.history()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let sim = ExecSim::new(ExecSettings::default());
        let h = |code| -> Handler { Arc::new(move |_: &ExecInput| ExecResponse::exit(code)) };
        sim.handlers
            .lock()
            .unwrap()
            .push((vec!["git".into()], h(1)));
        sim.handlers
            .lock()
            .unwrap()
            .push((vec!["git".into(), "status".into()], h(2)));
        let input = |cmd: &[&str]| ExecInput {
            command: cmd.iter().map(|s| s.to_string()).collect(),
            environment: BTreeMap::new(),
            working_dir: "/".into(),
            stdin: Vec::new(),
        };
        let run = |cmd: &[&str]| {
            let i = input(cmd);
            sim.handler(&i.command).map(|h| h(&i).behaviour)
        };
        assert_eq!(run(&["git", "status", "-s"]), Some(Behaviour::Exit(2)));
        assert_eq!(run(&["git", "log"]), Some(Behaviour::Exit(1)));
        assert_eq!(run(&["gitk"]), None);
    }

    #[test]
    fn a_record_debug_hides_env_values_and_stdin() {
        let r = ExecRecord {
            command: vec!["login".into()],
            environment: [("PASSWORD".to_owned(), "hunter2".to_owned())].into(),
            stdin: b"hunter2".to_vec(),
            ..ExecRecord::default()
        };
        let dbg = format!("{r:?}");
        assert!(
            dbg.contains("PASSWORD") && dbg.contains("stdin_len: 7"),
            "{dbg}"
        );
        assert!(!dbg.contains("hunter2"), "{dbg}");
    }
}
