//! juju-sim's hook tools: one binary, installed under each tool's name.
//!
//! Called as `config-get`, `relation-set`, ... (a symlink or copy named for the tool), it loads the
//! model from the JSON state file named by `JUJU_SIM_STATE`, answers the command line as Juju would
//! (see `ops::testing::juju`), appends the call's records (the call, any log line or earlier
//! status) to the journal beside the state file as one line, saves the model back atomically only
//! if the call changed it, and exits with the tool's code (see `juju_sim::state_file`: the call's
//! cost does not grow with the run's history). Called as `hook-tool <tool> [args...]`, it runs
//! `<tool>` (`hook-tool --help` says so and lists the tools). Concurrent calls are serialised with
//! an exclusive lock on a file next to the state file (`<state>.lock`). If `JUJU_SIM_TOOL_FAULTS`
//! names a fault file (juju-sim's `tool-fault` step), a pending fault for the tool fails the call.
//! If `JUJU_SIM_TOOL_TIMES` names a file, the call's timing is appended to it (see
//! `juju_sim::tool_times`).

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use juju_sim::{faults, state_file, tool_times};
use ops::testing::juju::{ToolOutput, ToolRecord, execute};

/// What `hook-tool --help` prints (then the tool names).
const HELP: &str = "\
hook-tool: Juju's hook tools over juju-sim's model state file, as one binary.

Usage: hook-tool <tool> [args...]
       <tool> [args...]      (this binary called by a tool's name: a symlink or a copy)

Each call answers as Juju would from the model in the JSON state file named by
JUJU_SIM_STATE, appends the call to the journal beside that file, and exits with the tool's
code. juju-sim links every tool to this binary in the unit's work directory (<work>/bin, first
on the hooks' PATH) and finds it next to itself (or --hook-tool PATH), so it is rarely run by
hand.
";

/// The environment variable naming the state file.
const STATE_ENV: &str = "JUJU_SIM_STATE";
/// An exclusive `flock` on `<state>.lock`, held for the whole call.
///
/// The kernel releases it when the process exits, however it exits: a tool killed mid-call
/// (SIGKILL) never leaves a stale lock behind. The lock file itself stays; it holds nothing.
struct Lock(#[allow(dead_code)] fs::File);

impl Lock {
    fn acquire(state: &Path) -> io::Result<Lock> {
        let mut path = state.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        // Another user's lock file (a unit run unprivileged after a root one) cannot be opened
        // for writing; `flock` works on a read-only descriptor just as well.
        let file = match OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        {
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                OpenOptions::new().read(true).open(&path)?
            }
            other => other?,
        };
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
        Ok(Lock(file))
    }
}

/// Whether the tool reads stdin: `--file -` (or `--file=-`) for the tools that take a file.
fn wants_stdin(tool: &str, args: &[String]) -> bool {
    matches!(
        tool,
        "relation-set" | "state-set" | "secret-add" | "secret-set"
    ) && (args.windows(2).any(|w| w[0] == "--file" && w[1] == "-")
        || args.iter().any(|a| a == "--file=-"))
}

/// A failure injected by juju-sim's `tool-fault` step (file named by `JUJU_SIM_TOOL_FAULTS`).
fn injected_fault(tool: &str) -> Result<Option<ToolOutput>, String> {
    let Some(file) = std::env::var_os(faults::FAULTS_ENV) else {
        return Ok(None);
    };
    let hit = faults::take(Path::new(&file), tool)
        .map_err(|e| format!("cannot read {}: {e}", Path::new(&file).display()))?;
    Ok(hit.then(|| ToolOutput {
        stdout: Vec::new(),
        stderr: format!("ERROR {}\n", faults::message(tool)).into_bytes(),
        exit_code: 1,
    }))
}

fn run() -> Result<u8, String> {
    let mut argv = std::env::args_os();
    let argv0 = argv.next().unwrap_or_default();
    let mut args: Vec<String> = argv.map(|a| a.to_string_lossy().into_owned()).collect();
    let mut tool = Path::new(&argv0)
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or("hook-tool")
        .to_owned();
    if tool == "hook-tool" {
        if matches!(
            args.first().map(String::as_str),
            Some("--help" | "-h" | "help")
        ) {
            let _ = write!(
                io::stdout(),
                "{HELP}\nTools: {}\n",
                ops::testing::juju::tool_names().join(", ")
            );
            return Ok(0);
        }
        if args.is_empty() {
            return Err(format!(
                "usage: hook-tool <tool> [args...], or call this binary by a tool's name; tools: {}",
                ops::testing::juju::tool_names().join(", ")
            ));
        }
        tool = args.remove(0);
    }
    let state_path = std::env::var_os(STATE_ENV)
        .map(PathBuf::from)
        .ok_or_else(|| format!("{STATE_ENV} is not set: it must name the juju-sim state file"))?;
    let stdin = if wants_stdin(&tool, &args) {
        let mut buf = Vec::new();
        io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        Some(buf)
    } else {
        None
    };
    let _lock = Lock::acquire(&state_path).map_err(|e| format!("cannot lock state: {e}"))?;
    let fault = injected_fault(&tool)?;
    let out = state_file::call(&state_path, |state| match fault {
        Some(out) => {
            state.calls.push(ToolRecord::new(
                &tool,
                &args,
                stdin.as_deref(),
                out.exit_code,
            ));
            out
        }
        None => execute(state, &tool, &args, stdin.as_deref()),
    })
    .map_err(|e| e.to_string())?;
    let _ = io::stdout().write_all(&out.stdout);
    let _ = io::stderr().write_all(&out.stderr);
    Ok(u8::try_from(out.exit_code).unwrap_or(1))
}

fn main() -> ExitCode {
    let pre_main_us = tool_times::since_fork_micros();
    let start = std::time::Instant::now();
    let result = run();
    if let Some(file) = std::env::var_os(tool_times::TIMES_ENV) {
        let tool = std::env::args_os()
            .next()
            .and_then(|a| {
                Path::new(&a)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        let main_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        tool_times::append(Path::new(&file), &tool, pre_main_us, main_us);
    }
    match result {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            let _ = writeln!(io::stderr(), "ERROR {msg}");
            ExitCode::from(1)
        }
    }
}
