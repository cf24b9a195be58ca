//! The actions: `set-key` (through webkv's HTTP API) and `backup` (the workload's own
//! `webkv-server backup`, run in the container through Pebble's exec).
//!
//! An action answers its caller now: [`ActionEvent`] cannot be deferred (calling `defer()`
//! does not compile, and the compiler says why), so when the unit cannot do the work the action **fails with a message that
//! says what to do**, and the handler still returns `Ok` (the hook itself went fine).
//! Parameters are typed; the framework checks them against `charmcraft.yaml` first.
//!
//! ```compile_fail,E0277
//! use ops::prelude::*;
//! fn on_backup(ev: &mut ActionEvent) -> HandlerResult {
//!     ev.defer()?; // error: `ActionEvent` cannot be deferred
//!     Ok(())
//! }
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ops::container::{Container, ContainerError, ExecOptions};
use ops::model::ModelError;
use ops::prelude::*;
use serde::{Deserialize, Serialize};

use crate::charm::WebKv;
use crate::config::{ConfigError, WebkvConfig};
use crate::kvclient::{self, KvError};
use crate::workload::{self, CONTAINER, DATA_DIR, DATA_FILE, SERVER_BIN, SERVICE};

/// How long `webkv-server backup` may run before Pebble stops it.
pub const BACKUP_TIMEOUT: Duration = Duration::from_secs(60);
/// `webkv-server backup`'s exit code when there is no data file yet.
pub const BACKUP_EXIT_NO_DATA: i32 = 3;
/// `webkv-server backup`'s exit code when the data file is not a valid store.
pub const BACKUP_EXIT_CORRUPT: i32 = 4;

/// `set-key` parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetKeyParams {
    /// The key: letters, digits, `-`, `_` and `.`.
    pub key: String,
    /// The value.
    pub value: String,
}

/// `set-key` results.
#[derive(Debug, Clone, Serialize)]
pub struct SetKeyResults {
    /// The key written.
    pub key: String,
    /// Whether webkv stored it.
    pub stored: bool,
}

/// `backup` parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupParams {
    /// The directory, in the workload container, to write the backup into.
    pub directory: String,
}

/// What `webkv-server backup` prints on stdout.
#[derive(Debug, Clone, Deserialize)]
struct BackupSummary {
    keys: usize,
}

/// `backup` results.
#[derive(Debug, Clone, Serialize)]
pub struct BackupResults {
    /// The backup file, in the workload container.
    pub path: String,
    /// How many keys it holds.
    pub keys: usize,
}

/// Why an action cannot do its work; the message is what the operator reads.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The parameters do not fit.
    #[error("{0}")]
    Params(ModelError),
    /// The key has characters webkv's API does not take in a path.
    #[error("invalid key {0:?}: use only letters, digits, '-', '_' and '.'")]
    BadKey(String),
    /// The backup directory is not an absolute path.
    #[error("invalid directory {0:?}: give an absolute path in the web container")]
    RelativeDirectory(String),
    /// The charm's config is invalid.
    #[error("the charm's config is invalid ({0}): fix it, then retry")]
    Config(String),
    /// Pebble cannot be reached.
    #[error("cannot reach Pebble in the web container: wait for the unit to be active, then retry")]
    PebbleUnreachable,
    /// The service is not running.
    #[error("the webkv service is not running ({0}): start the unit, then retry")]
    NotRunning(String),
    /// The service runs but has not reported ready.
    #[error("webkv is not ready yet: wait for the unit to be active, then retry")]
    NotReady,
    /// webkv refused the admin token.
    #[error(
        "webkv refused the admin token: the service may still run with an older one; wait for the unit to be active, then retry"
    )]
    Unauthorized,
    /// The store is full.
    #[error("the store is full (max-keys is {0}): raise max-keys or delete keys, then retry")]
    StoreFull(u32),
    /// Talking to webkv failed otherwise.
    #[error(transparent)]
    Kv(KvError),
    /// There is no data file yet.
    #[error("nothing to back up: {DATA_FILE} does not exist yet (no key has been stored)")]
    NoData,
    /// The data file is not what webkv writes.
    #[error("{DATA_FILE} is not a JSON object of keys: {0}")]
    CorruptData(String),
    /// The image has no server binary to run the backup with.
    #[error(
        "the web container has no {SERVER_BIN}: the workload image (resource webkv-image) is not a webkv image; attach the right one, then retry"
    )]
    NoServerBinary,
    /// The backup command failed.
    #[error(
        "webkv-server backup failed with exit code {code}: {stderr}; check that the directory can be written in the web container, then retry"
    )]
    BackupFailed {
        /// Its exit code.
        code: i32,
        /// What it wrote to stderr (trimmed).
        stderr: String,
    },
    /// The backup command ran past its timeout and was stopped.
    #[error(
        "the backup did not finish within {}s and was stopped: retry when the unit is less busy", BACKUP_TIMEOUT.as_secs()
    )]
    BackupTimedOut,
    /// The backup command answered something other than its summary.
    #[error(
        "webkv-server backup printed an unexpected summary ({0}): is the image's webkv-server too old?"
    )]
    BackupOutput(String),
    /// Pebble refused a request; the message is the whole error chain.
    #[error("{0}")]
    Pebble(String),
}

impl From<ContainerError> for ActionError {
    fn from(e: ContainerError) -> Self {
        if e.is_unreachable() {
            ActionError::PebbleUnreachable
        } else {
            ActionError::Pebble(ops::framework::HandlerError::from(e).chain_message())
        }
    }
}

impl WebKv {
    /// `set-key`.
    pub(crate) fn on_set_key(
        &mut self,
        ctx: &mut Ctx<Self>,
        _ev: &mut ActionEvent,
    ) -> HandlerResult {
        // No `ev.defer()` here, nor anywhere for an action: ActionEvent has no such method.
        let outcome = set_key(ctx);
        answer(ctx, outcome)
    }

    /// `backup`.
    pub(crate) fn on_backup(
        &mut self,
        ctx: &mut Ctx<Self>,
        _ev: &mut ActionEvent,
    ) -> HandlerResult {
        let outcome = backup(ctx);
        answer(ctx, outcome)
    }
}

/// Sets the results, or fails the action with the error's message.
fn answer<T: Serialize>(ctx: &Ctx<WebKv>, outcome: Result<T, ActionError>) -> HandlerResult {
    match outcome {
        Ok(results) => ctx.model().action_set_results(&results)?,
        Err(e) => ctx.model().action_fail(&e.to_string())?,
    }
    Ok(())
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks the service runs and said it is ready on the configured port; returns the port.
fn serving_port(ctx: &Ctx<WebKv>, web: &Container) -> Result<u16, ActionError> {
    let config = WebkvConfig::load(ctx.model()).map_err(|e| match e {
        ConfigError::Invalid(problem) => ActionError::Config(problem.to_string()),
        ConfigError::Read(e) => ActionError::Config(e.to_string()),
    })?;
    let service = web.get_services(&[SERVICE])?.remove(SERVICE);
    match service {
        Some(s) if s.is_running() => {}
        Some(s) => return Err(ActionError::NotRunning(s.current.to_string())),
        None => return Err(ActionError::NotRunning("not set up".to_owned())),
    }
    if ctx.stored().readiness.port != Some(config.port) {
        return Err(ActionError::NotReady);
    }
    Ok(config.port)
}

fn set_key(ctx: &Ctx<WebKv>) -> Result<SetKeyResults, ActionError> {
    let params: SetKeyParams = ctx.model().action_params().map_err(ActionError::Params)?;
    if !valid_key(&params.key) {
        return Err(ActionError::BadKey(params.key));
    }
    let web = ctx.container(CONTAINER)?;
    let port = serving_port(ctx, &web)?;
    // The token the running server checks is the one in its configuration file.
    let token = workload::token_in_effect(&web)?;
    kvclient::put(port, &params.key, &params.value, token.as_ref()).map_err(|e| match e {
        KvError::Status { status: 401, .. } => ActionError::Unauthorized,
        KvError::Status { status: 507, .. } => WebkvConfig::load(ctx.model())
            .map_or(ActionError::Kv(e), |c| ActionError::StoreFull(c.max_keys)),
        other => ActionError::Kv(other),
    })?;
    Ok(SetKeyResults {
        key: params.key,
        stored: true,
    })
}

/// `backup`: runs `webkv-server backup` in the web container.
///
/// Exec is the right tool here, rather than pulling the data file into the charm and
/// pushing a copy back: the workload's own binary knows its data format and checks it,
/// the copy is made next to the data with the workload's users and permissions (mode 0600,
/// written atomically), and the data never travels through the charm (nor its memory, nor
/// Pebble's API twice). The command's exit code says why it failed (the codes are a
/// contract with `webkv-server`), and its stderr goes into the action's failure message.
fn backup(ctx: &Ctx<WebKv>) -> Result<BackupResults, ActionError> {
    let params: BackupParams = ctx.model().action_params().map_err(ActionError::Params)?;
    let directory = params.directory.trim_end_matches('/');
    if !params.directory.starts_with('/') || directory.split('/').any(|part| part == "..") {
        return Err(ActionError::RelativeDirectory(params.directory));
    }
    let web = ctx.container(CONTAINER)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let path = format!("{directory}/data-{now}.json");
    let command = backup_command(&path);
    // Not retried on failure: the command is safe to repeat, but an operator who sees the
    // failure message decides (the framework itself only retries a start that never
    // reached Pebble).
    let output = web.exec_output(&command).map_err(backup_failure)?;
    let summary: BackupSummary = serde_json::from_slice(&output.stdout)
        .map_err(|e| ActionError::BackupOutput(e.to_string()))?;
    ctx.model()
        .action_log(&format!("backed up {} keys to {path}", summary.keys))
        .map_err(ActionError::Params)?;
    Ok(BackupResults {
        path,
        keys: summary.keys,
    })
}

/// The command the `backup` action runs in the web container to write `path`.
pub fn backup_command(path: &str) -> ExecOptions {
    ExecOptions::new([SERVER_BIN, "backup", "--data-dir", DATA_DIR, "--out", path])
        .timeout(BACKUP_TIMEOUT)
}

/// The action failure for a failed `webkv-server backup`.
fn backup_failure(e: ContainerError) -> ActionError {
    if let Some(failed) = e.exec_error() {
        let stderr = String::from_utf8_lossy(failed.stderr()).trim().to_owned();
        return match failed.exit_code() {
            BACKUP_EXIT_NO_DATA => ActionError::NoData,
            BACKUP_EXIT_CORRUPT => ActionError::CorruptData(stderr),
            code => ActionError::BackupFailed { code, stderr },
        };
    }
    match e {
        ContainerError::ExecutableNotFound { .. } => ActionError::NoServerBinary,
        ContainerError::ExecTimedOut { .. } => ActionError::BackupTimedOut,
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_url_safe_names() {
        for good in ["colour", "a.b-c_d", "X9"] {
            assert!(valid_key(good), "{good}");
        }
        for bad in ["", "a/b", "a b", "ü", "a?b", "%2F"] {
            assert!(!valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn the_backup_command_runs_the_server_binary_with_a_timeout() {
        let c = backup_command("/b/data-1.json");
        assert_eq!(
            c.command(),
            [
                SERVER_BIN,
                "backup",
                "--data-dir",
                DATA_DIR,
                "--out",
                "/b/data-1.json"
            ]
        );
        assert_eq!(c.get_timeout(), Some(BACKUP_TIMEOUT));
    }

    #[test]
    fn a_backup_killed_at_its_timeout_fails_the_action_with_what_to_do() {
        let e = ContainerError::ExecTimedOut {
            container: CONTAINER.to_owned(),
            command: backup_command("/b").command().to_vec(),
            timeout: BACKUP_TIMEOUT,
            source: pebble_client::Error::Protocol {
                detail: "timed out after 1m0s".into(),
            },
        };
        assert_eq!(
            backup_failure(e).to_string(),
            "the backup did not finish within 60s and was stopped: retry when the unit is less busy"
        );
    }

    #[test]
    fn failure_messages_say_what_to_do() {
        assert_eq!(
            ActionError::NotRunning("inactive".into()).to_string(),
            "the webkv service is not running (inactive): start the unit, then retry"
        );
        assert_eq!(
            ActionError::NotReady.to_string(),
            "webkv is not ready yet: wait for the unit to be active, then retry"
        );
    }
}
