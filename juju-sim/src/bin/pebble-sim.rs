//! `pebble-sim`: a simulated Pebble daemon on a unix socket, and a `pebble notify` look-alike.
//!
//! Multi-call: invoked under the file name `pebble` (a symlink), it behaves as the `pebble`
//! command Juju gives workloads: `pebble notify <key> [name=value...]`, with the socket
//! from `$PEBBLE_SOCKET`. `serve --real-processes` puts such a symlink first on the `PATH`
//! of every service it runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use pebble_client::testing::{ProcessOptions, SimPebble};
use pebble_client::{AddNotice, GoDuration};

/// A simulated Pebble speaking Pebble's HTTP API on a unix socket, for running charms and
/// clients locally without a container.
#[derive(Parser)]
#[command(name = "pebble-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Pebble API on a socket until SIGTERM or SIGINT, then remove the socket.
    Serve {
        /// Path of the unix socket to create (mode 0666).
        #[arg(long)]
        socket: PathBuf,
        /// Directory container paths are mapped under (default: a temporary directory).
        #[arg(long)]
        root: Option<PathBuf>,
        /// Directory of layer files named NNN-label.yaml, added in order at startup.
        #[arg(long)]
        layers: Option<PathBuf>,
        /// Run services as real child processes (on the host; see the process backend's
        /// docs). Workloads find this binary as `pebble` first on their PATH.
        #[arg(long)]
        real_processes: bool,
        /// Run exec'd commands as real child processes of this host (default: refuse them
        /// with "cannot find executable", as no handler can be registered from here).
        #[arg(long)]
        real_exec: bool,
    },
    /// Record a custom notice, as `pebble notify` does.
    Notify(NotifyArgs),
}

/// The `pebble` command workloads run (when this binary is invoked as `pebble`).
#[derive(Parser)]
#[command(
    name = "pebble",
    about = "The pebble command of a simulated Pebble: only notify is available"
)]
struct PebbleCli {
    #[command(subcommand)]
    command: PebbleCommand,
}

#[derive(Subcommand)]
enum PebbleCommand {
    /// Record a custom notice.
    Notify(NotifyArgs),
}

/// `notify`'s arguments, as `pebble notify` takes them.
#[derive(Args)]
struct NotifyArgs {
    /// Socket path (default: $PEBBLE_SOCKET, else $PEBBLE/.pebble.socket).
    #[arg(long)]
    socket: Option<PathBuf>,
    /// Suppress repeats of this notice within this Go duration (e.g. 1h).
    #[arg(long)]
    repeat_after: Option<String>,
    /// The notice key, e.g. example.com/db-ready.
    key: String,
    /// Data for the notice, as name=value pairs.
    data: Vec<String>,
}

/// Whether this binary was invoked as `pebble` (through a symlink of that name).
fn invoked_as_pebble() -> bool {
    std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n == "pebble"))
        .unwrap_or(false)
}

fn main() -> ExitCode {
    let result = if invoked_as_pebble() {
        match PebbleCli::parse().command {
            PebbleCommand::Notify(args) => notify(args).map(|()| 0),
        }
    } else {
        match Cli::parse().command {
            Command::Serve {
                socket,
                root,
                layers,
                real_processes,
                real_exec,
            } => serve(&socket, root, layers.as_deref(), real_processes, real_exec),
            Command::Notify(args) => notify(args).map(|()| 0),
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves until SIGTERM or SIGINT (exit code 0), or until a service's exit action asks
/// Pebble to shut down (exit code 0 or 10, as Pebble exits).
fn serve(
    socket: &Path,
    root: Option<PathBuf>,
    layers: Option<&Path>,
    real_processes: bool,
    real_exec: bool,
) -> Result<u8, String> {
    let mut builder = SimPebble::builder(socket).real_exec(real_exec);
    if let Some(root) = root {
        builder = builder.root(root);
    }
    if real_processes {
        let mut options = ProcessOptions::new().echo_output(true);
        match std::env::current_exe() {
            Ok(exe) => options = options.pebble_binary(exe),
            Err(e) => eprintln!("warning: workloads get no `pebble` command: {e}"),
        }
        builder = builder.real_processes(options);
    }
    // The layers are in the plan before the socket serves anyone, as Pebble loads its
    // layers directory before it listens.
    if let Some(dir) = layers {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read layers directory {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let label = match stem.split_once('-') {
                Some((n, label)) if n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()) => {
                    label.to_owned()
                }
                _ => {
                    return Err(format!(
                        "layer file {} must be named NNN-label.yaml",
                        file.display()
                    ));
                }
            };
            let yaml = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            builder = builder.layer(label, yaml);
        }
    }
    let sim = builder.start().map_err(|e| format!("cannot start: {e}"))?;
    eprintln!(
        "pebble-sim serving on {} (files under {})",
        sim.socket_path().display(),
        sim.root().display()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start runtime: {e}"))?;
    let code = rt.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
        let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
        let code = tokio::select! {
            _ = term.recv() => 0,
            _ = int.recv() => 0,
            code = sim.wait_shutdown_request() => {
                eprintln!("pebble-sim: a service's exit action requested shutdown (exit code {code})");
                code
            }
        };
        Ok::<i32, String>(code)
    })?;
    sim.shutdown();
    Ok(u8::try_from(code).unwrap_or(1))
}

fn notify(args: NotifyArgs) -> Result<(), String> {
    let NotifyArgs {
        socket,
        repeat_after,
        key,
        data,
    } = args;
    let socket = socket
        .or_else(|| std::env::var_os("PEBBLE_SOCKET").map(PathBuf::from))
        .or_else(|| std::env::var_os("PEBBLE").map(|p| PathBuf::from(p).join(".pebble.socket")))
        .unwrap_or_else(|| PathBuf::from("/var/lib/pebble/default/.pebble.socket"));
    let mut notice = AddNotice::new(&key);
    for arg in &data {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(format!(
                "data args must be in \"name=value\" format, not {arg:?}"
            ));
        };
        notice = notice.data(name, value);
    }
    if let Some(r) = repeat_after {
        let d = GoDuration::parse(&r).map_err(|e| e.to_string())?;
        notice = notice.repeat_after(d);
    }
    let client = pebble_client::blocking::Client::builder(&socket)
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let id = client.notify(&notice).map_err(|e| e.to_string())?;
    println!("Recorded notice {id}");
    Ok(())
}
