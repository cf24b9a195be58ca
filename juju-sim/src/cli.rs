//! The `juju-sim` command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use super::cleanup;
use super::controller::Controller;
use super::error::{Result, SimError};
use super::hook_env::Hook;
use super::image::Image;
use super::pebbles::{RealProcesses, Workloads};
use super::runner::{Options, Sim};
use super::scenario::Scenario;
use super::steps::run_scenario;
use super::trace::{Format, LogLevel, Trace};
use super::workdir::{CharmSource, WorkDir, sibling_binary};
use super::yaml::parse_duration;

const ABOUT: &str = "Run a charm locally exactly as Juju's unit agent would: its `dispatch` once per \
hook, with Juju's hook environment, hook tools backed by a simulated model, and a simulated \
Pebble per container — driven by a scenario file. A scenario with `applications:` runs a \
model of several related charms, Rust or Python.";

const AFTER: &str = "Examples:
  juju-sim run --charm . --dispatch target/debug/charm-example --scenario juju-sim/scenarios/deploy.yaml
  juju-sim run --charm . --dispatch target/debug/charm-example --real-processes \\
      --scenario charm-example/scenarios/webkv-deploy.yaml
  juju-sim run --charm my-charm/ --work-dir /tmp/unit --keep
  juju-sim hook config-changed --work-dir /tmp/unit
  juju-sim run --real-processes --scenario charm-example/scenarios/webkv-and-client.yaml

Scenario format: juju-sim/scenarios/README.md in the ops-rs repository. Exit status: 0 if
every hook succeeded (after retries) and every expectation held, 1 otherwise, 2 for bad usage
or a bad scenario.";

/// `juju-sim`: run charms locally as Juju would.
#[derive(Debug, Parser)]
#[command(name = "juju-sim", version, about = ABOUT, after_help = AFTER)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct Common {
    /// Times Juju retries a failed hook before leaving the unit in error [default: 2, or the
    /// scenario's `retries`].
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    /// Lowest juju-log level shown in the trace.
    #[arg(long, value_enum, default_value_t = LogLevel::Info, value_name = "LEVEL")]
    log_level: LogLevel,
    /// Trace format: readable text, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Kill a hook that runs longer than this (e.g. 30s, 5m).
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = duration)]
    hook_timeout: Duration,
    /// The JUJU_VERSION hooks see, and the Juju the hook tools behave as (secret-set before
    /// 3.6, relation-model-get from 3.6.2) [default: 3.6.4, or the scenario's
    /// model.juju-version].
    #[arg(long, value_name = "VERSION", value_parser = juju_version)]
    juju_version: Option<String>,
    /// The hook-tool binary [default: next to juju-sim].
    #[arg(long, value_name = "PATH")]
    hook_tool: Option<PathBuf>,
    /// Write the final model state (JSON) here.
    #[arg(long, value_name = "FILE")]
    state_out: Option<PathBuf>,
    /// Run the containers' services (and exec'd commands) as real processes on this host,
    /// with each container's root (<work>/workloads/<c>) standing in for its filesystem:
    /// container paths in commands, arguments and environment values are mapped under it
    /// when they exist there, and `pebble` (pebble-sim: `pebble notify KEY k=v`) is on the
    /// workloads' PATH. Fill the roots with --image or the scenario's `model.images`. Every
    /// process is stopped when juju-sim ends, also on Ctrl-C. [default: services are
    /// simulated in memory]
    #[arg(long)]
    real_processes: bool,
    /// With --real-processes: echo the services' output to stderr as `[service] line`.
    #[arg(long)]
    workload_output: bool,
    /// Run hooks in a private mount namespace in which the unit's Pebble sockets are at
    /// /charm/containers/<c>/pebble.socket, where Python ops looks for them (needs root, or
    /// unprivileged user namespaces). auto: for charms with containers whose dispatch is a
    /// script.
    #[arg(long, value_enum, default_value_t = MountNamespace::Auto, value_name = "WHEN")]
    mount_namespace: MountNamespace,
    /// With a scenario of several applications: the most hooks one unit may run before the
    /// model is quiet (after each step), before juju-sim stops (charms that answer each
    /// other's relation-changed forever).
    #[arg(long, value_name = "N", default_value_t = super::runner::DEFAULT_SETTLE_LIMIT)]
    settle_limit: usize,
    /// Run an OTLP/HTTP receiver on this loopback address (port 0: any free port) and show
    /// the spans each hook sends (charms built with ops-tracing) as a tree under the hook.
    /// Scenarios get its URL as `${otlp-receiver}`, to publish as a `tracing` provider's
    /// receiver (see juju-sim/scenarios/README.md, "Charm tracing").
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:0")]
    otlp_receiver: Option<std::net::SocketAddr>,
    /// With --otlp-receiver: also append every span received to FILE, one JSON object per
    /// request.
    #[arg(long, value_name = "FILE", requires = "otlp_receiver")]
    otlp_out: Option<PathBuf>,
    /// With --otlp-receiver: serve HTTPS, with a certificate issued (through an
    /// intermediate) by a CA made for this run. `${otlp-receiver}` is then an https:// URL,
    /// and `${otlp-ca-certificates}` the CA as a `certificate_transfer` provider's
    /// `certificates` value, for the charm to trust.
    #[arg(long, requires = "otlp_receiver")]
    otlp_tls: bool,
}

impl Common {
    /// Starts the OTLP receiver if asked for: the trace to use, and the built-in variables
    /// it adds.
    fn receiver(&self, trace: Trace) -> Result<(Trace, BTreeMap<String, String>)> {
        let Some(addr) = self.otlp_receiver else {
            return Ok((trace, BTreeMap::new()));
        };
        let start = if self.otlp_tls {
            super::otlp::OtlpReceiver::start_https
        } else {
            super::otlp::OtlpReceiver::start
        };
        let rx = start(addr, self.otlp_out.clone()).map_err(|e| {
            SimError::Charm(format!("cannot start the OTLP receiver on {addr}: {e}"))
        })?;
        if self.format == Format::Text {
            println!("OTLP receiver: {} (POST /v1/traces)", rx.url());
        }
        Ok((trace.with_spans(rx.inbox()), rx.vars()))
    }
}

/// When hooks run in a private mount namespace (`--mount-namespace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MountNamespace {
    /// For charms with containers whose dispatch is a script (Python ops charms).
    Auto,
    /// For every charm.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Deploy a unit of the charm and run a scenario against it (default scenario: deploy),
    /// or run a scenario of several applications (`applications:`), each with its charm.
    Run {
        /// The charm directory (metadata.yaml or charmcraft.yaml, and dispatch) [default: .].
        /// Not with a scenario of several applications (`applications:`), which names each
        /// application's charm.
        #[arg(long, value_name = "DIR")]
        charm: Option<PathBuf>,
        /// Use this executable as the charm's dispatch (e.g. target/debug/my-charm).
        #[arg(long, value_name = "BIN")]
        dispatch: Option<PathBuf>,
        /// The scenario file (YAML).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// The work directory (unit charm dir, state, sockets); kept afterwards. Default: a
        /// temporary directory, removed at the end unless --keep.
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Keep the temporary work directory (its path is printed).
        #[arg(long)]
        keep: bool,
        /// Fill a container's filesystem before deploy: CONTAINER=DIR copies a directory
        /// into its root; CONTAINER:/PATH=FILE links a host file at a container path.
        /// Repeatable; added to the scenario's `model.images`.
        #[arg(long = "image", value_name = "SPEC", value_parser = image_arg)]
        images: Vec<(String, Image)>,
        /// Set a scenario variable (`${NAME}` in the file; defaults under `vars:`).
        /// Repeatable.
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = key_value)]
        vars: Vec<(String, String)>,
        #[command(flatten)]
        common: Common,
    },
    /// Run one hook against an existing work directory (made by `run --work-dir`).
    ///
    /// The model and the unit's state persist in the work directory; the Pebbles start
    /// afresh (their files persist, their plans do not).
    Hook {
        /// The hook, e.g. `config-changed`, `db-relation-changed`, or `actions/backup`.
        name: String,
        /// The work directory.
        #[arg(long, value_name = "DIR")]
        work_dir: PathBuf,
        /// Extra hook environment, e.g. --env JUJU_RELATION_ID=db:1 --env JUJU_REMOTE_UNIT=pg/0.
        #[arg(long = "env", value_name = "KEY=VALUE", value_parser = key_value)]
        env: Vec<(String, String)>,
        /// Action parameters as a JSON object (with actions/<name>).
        #[arg(long, value_name = "JSON")]
        params: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Internal: enter a unit's private mount namespace and run a program (juju-sim runs
    /// itself this way; see `juju_sim::namespace`).
    #[command(name = "unit-namespace", hide = true)]
    UnitNamespace {
        /// The empty directory to build the new root over.
        #[arg(long, value_name = "DIR")]
        new_root: Option<PathBuf>,
        /// The unit's containers directory, bound at /charm/containers.
        #[arg(long, value_name = "DIR")]
        containers: Option<PathBuf>,
        /// Only check that entering a namespace works here.
        #[arg(long)]
        probe: bool,
        /// The program and its arguments.
        #[arg(last = true, value_name = "PROGRAM")]
        program: Vec<std::ffi::OsString>,
    },
}

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration like 30s or 5m"))
}

fn image_arg(s: &str) -> Result<(String, Image), String> {
    Image::parse_arg(s).map(|(c, i)| {
        let base = std::env::current_dir().unwrap_or_default();
        (c, i.relative_to(&base))
    })
}

fn juju_version(s: &str) -> Result<String, String> {
    s.parse::<ops::juju_version::JujuVersion>()
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

fn options(
    c: &Common,
    scenario_retries: Option<u32>,
    juju_version: Option<String>,
) -> Result<Options> {
    let hook_tool = match &c.hook_tool {
        Some(p) => p.clone(),
        None => sibling_binary("hook-tool").ok_or_else(|| {
            SimError::HookToolMissing(
                std::env::current_exe()
                    .ok()
                    .and_then(|e| e.parent().map(|d| d.join("hook-tool")))
                    .unwrap_or_else(|| "hook-tool".into()),
            )
        })?,
    };
    Ok(Options {
        retries: c.retries.or(scenario_retries).unwrap_or(2),
        hook_timeout: c.hook_timeout,
        juju_version: c
            .juju_version
            .clone()
            .or(juju_version)
            .unwrap_or_else(|| ops::testing::DEFAULT_JUJU_VERSION.to_owned()),
        hook_tool,
        pebble_sim: sibling_binary("pebble-sim"),
        workloads: Workloads {
            real: c.real_processes.then(|| RealProcesses {
                pebble_sim: sibling_binary("pebble-sim"),
                echo_output: c.workload_output,
            }),
        },
        images: BTreeMap::new(),
        mount_namespace: match c.mount_namespace {
            MountNamespace::Auto => None,
            MountNamespace::Always => Some(true),
            MountNamespace::Never => Some(false),
        },
        namespace_helper: std::env::current_exe().ok(),
        settle_limit: c.settle_limit,
    })
}

fn write_state(sim_state: &ops::testing::juju::JujuState, path: &Path) -> Result<()> {
    let json = sim_state.to_json().map_err(|source| SimError::State {
        path: path.to_path_buf(),
        source,
    })?;
    std::fs::write(path, json).map_err(|e| SimError::io("cannot write", path, e))
}

/// The run's work directory: `dir`, or a new temporary one (removed at the end, returned as
/// the guard, unless `keep`).
fn work_root(
    dir: Option<PathBuf>,
    keep: bool,
    real_processes: bool,
) -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    if let Some(d) = dir {
        return Ok((d, None));
    }
    let t = tempfile::Builder::new()
        .prefix("juju-sim-")
        .tempdir()
        .map_err(|e| {
            SimError::io(
                "cannot create a temporary directory in",
                std::env::temp_dir(),
                e,
            )
        })?;
    let root = t.path().to_path_buf();
    if keep {
        let _ = t.keep();
        return Ok((root, None));
    }
    if real_processes {
        cleanup::remove_on_signal(root.clone());
    }
    Ok((root, Some(t)))
}

/// The marker of a model's work directory (one subdirectory per unit).
const MODEL_MARKER: &str = "juju-sim-model.json";

/// Runs a scenario of several applications.
fn run_apps(
    scenario: &Scenario,
    work_dir: Option<PathBuf>,
    keep: bool,
    common: &Common,
    trace: Trace,
) -> Result<bool> {
    let opts = options(
        common,
        scenario.retries,
        scenario.model.juju_version.clone(),
    )?;
    if common.real_processes {
        cleanup::on_signals().map_err(|e| {
            SimError::Charm(format!(
                "cannot handle SIGINT/SIGTERM to stop workloads: {e}"
            ))
        })?;
    }
    let (root, tmp) = work_root(work_dir, keep, common.real_processes)?;
    let marker = root.join(MODEL_MARKER);
    if root.exists() && !marker.is_file() {
        let empty = std::fs::read_dir(&root)
            .map_err(|e| SimError::io("cannot read", &root, e))?
            .next()
            .is_none();
        if !empty {
            return Err(SimError::Charm(format!(
                "{} is not empty and not a juju-sim model directory: pick a new or empty \
                 directory for --work-dir",
                root.display()
            )));
        }
    }
    std::fs::create_dir_all(&root).map_err(|e| SimError::io("cannot create", &root, e))?;
    std::fs::write(&marker, "{\"juju-sim-model\": 1}\n")
        .map_err(|e| SimError::io("cannot write", &marker, e))?;
    let mut model = Controller::create(scenario, root.clone(), opts, trace)?;
    if common.format == Format::Text {
        let apps: Vec<String> = model
            .declared
            .applications
            .iter()
            .filter_map(|spec| model.truth.apps.get(&spec.name))
            .map(|a| {
                let n = a.spec.units;
                format!(
                    "{} ({n} unit{}, charm {})",
                    a.spec.name,
                    if n == 1 { "" } else { "s" },
                    a.meta.name
                )
            })
            .collect();
        println!(
            "juju-sim: model {} of {} in {}",
            scenario.model.name.as_deref().unwrap_or("sim-model"),
            apps.join(", "),
            root.display()
        );
        if !scenario.description.is_empty() {
            println!("scenario: {}", scenario.description);
        }
        if !scenario.vars.is_empty() {
            let vars: Vec<String> = scenario
                .vars
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            println!("vars: {}", vars.join(" "));
        }
        if common.real_processes {
            println!("workloads: real processes (container roots under <unit>/workloads)");
        }
    }
    let result = model.run_scenario(scenario);
    let final_states = common.state_out.as_ref().map(|p| (p, model.states()));
    let summary = model.finish()?;
    result?;
    if let Some((path, states)) = final_states {
        let json = serde_json::to_string_pretty(&states?).map_err(|e| {
            SimError::Charm(format!(
                "cannot write the final state to {}: {e}",
                path.display()
            ))
        })?;
        std::fs::write(path, json).map_err(|e| SimError::io("cannot write", path, e))?;
    }
    if common.format == Format::Text && tmp.is_none() {
        println!("work directory kept: {}", root.display());
    }
    Ok(summary.expectation_failures == 0 && summary.hooks_given_up == summary.expected_failures)
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The namespace helper runs before anything else starts a thread (entering a user
    // namespace needs a single-threaded process), and execs the hook.
    if let Command::UnitNamespace {
        new_root,
        containers,
        probe,
        program,
    } = &cli.command
    {
        return super::namespace::helper_main(
            new_root.as_deref(),
            containers.as_deref(),
            program,
            *probe,
        );
    }
    let result = run(cli);
    cleanup::wait_if_interrupted();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("juju-sim: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs a parsed command line; `Ok(false)` when hooks failed or expectations did not hold.
pub fn run(cli: Cli) -> Result<bool> {
    match cli.command {
        Command::Run {
            charm,
            dispatch,
            scenario,
            work_dir,
            keep,
            images,
            vars,
            common,
        } => {
            let vars: BTreeMap<String, String> = vars.into_iter().collect();
            let (trace, builtins) =
                common.receiver(Trace::stdout(common.format, common.log_level))?;
            let scenario = match &scenario {
                Some(p) => Scenario::load_with_builtins(p, &vars, &builtins)?,
                None if !vars.is_empty() => {
                    return Err(SimError::Charm(
                        "--var needs a --scenario whose `vars:` defines the variable".to_owned(),
                    ));
                }
                None => Scenario::deploy_only(),
            };
            if scenario.apps.is_some() {
                if charm.is_some() || dispatch.is_some() || !images.is_empty() {
                    return Err(SimError::Charm(format!(
                        "{} declares `applications:`, each with its charm: leave out --charm, \
                         --dispatch and --image (set `charm`, `dispatch` and `images` per \
                         application)",
                        scenario.file
                    )));
                }
                return run_apps(&scenario, work_dir, keep, &common, trace);
            }
            let charm = charm.unwrap_or_else(|| PathBuf::from("."));
            let meta = ops::metadata::CharmMeta::from_charm_dir(&charm)?;
            scenario.validate(&meta)?;
            let mut opts = options(
                &common,
                scenario.retries,
                scenario.model.juju_version.clone(),
            )?;
            opts.images = scenario.model.images.clone();
            for (c, image) in images {
                opts.images.entry(c).or_default().merge(image);
            }
            if common.real_processes {
                cleanup::on_signals().map_err(|e| {
                    SimError::Charm(format!(
                        "cannot handle SIGINT/SIGTERM to stop workloads: {e}"
                    ))
                })?;
            }
            let (work, _tmp) = work_root(work_dir, keep, common.real_processes)?;
            let work = WorkDir::new(work);
            let state = scenario.model.to_state(&meta);
            let source = CharmSource {
                dir: charm,
                dispatch,
            };
            let mut sim = Sim::create(&source, work.clone(), &state, opts, trace)?;
            if common.format == Format::Text {
                println!(
                    "juju-sim: unit {} of charm {} in {}",
                    state.unit,
                    meta.name,
                    work.root.display()
                );
                if !scenario.description.is_empty() {
                    println!("scenario: {}", scenario.description);
                }
                if !scenario.vars.is_empty() {
                    let vars: Vec<String> = scenario
                        .vars
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    println!("vars: {}", vars.join(" "));
                }
                if common.real_processes {
                    println!(
                        "workloads: real processes (container roots under {}/workloads)",
                        work.root.display()
                    );
                }
            }
            let result = run_scenario(&mut sim, &scenario);
            // The whole final state (every record of the run) only when asked for.
            let final_state = common.state_out.as_ref().map(|path| (path, sim.state()));
            let summary = sim.finish()?;
            result?;
            if let Some((path, state)) = final_state {
                write_state(&state?, path)?;
            }
            if common.format == Format::Text && _tmp.is_none() {
                println!("work directory kept: {}", work.root.display());
            }
            Ok(summary.expectation_failures == 0
                && summary.hooks_given_up == summary.expected_failures)
        }
        Command::Hook {
            name,
            work_dir,
            env,
            params,
            common,
        } => {
            let opts = options(&common, None, None)?;
            if common.real_processes {
                cleanup::on_signals().map_err(|e| {
                    SimError::Charm(format!(
                        "cannot handle SIGINT/SIGTERM to stop workloads: {e}"
                    ))
                })?;
            }
            if work_dir.join(MODEL_MARKER).is_file() {
                let units: Vec<String> = std::fs::read_dir(&work_dir)
                    .map(|d| {
                        d.flatten()
                            .filter(|e| WorkDir::new(e.path()).exists())
                            .map(|e| e.path().display().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                return Err(SimError::Charm(format!(
                    "{} is a model of several applications: run the hook in one unit's \
                     directory ({})",
                    work_dir.display(),
                    units.join(", ")
                )));
            }
            let work = WorkDir::new(work_dir);
            let (trace, _) = common.receiver(Trace::stdout(common.format, common.log_level))?;
            let mut sim = Sim::open(work, opts, trace)?;
            let env: BTreeMap<String, String> = env.into_iter().collect();
            let mut hook = Hook::named(&name, &env);
            if let Some(p) = params {
                let v: serde_json::Value = serde_json::from_str(&p)
                    .map_err(|e| SimError::Charm(format!("--params is not a JSON object: {e}")))?;
                hook.action_params = Some(v);
            }
            if hook.action_params.is_some() {
                let id = sim.next_action_id();
                hook.env
                    .insert("JUJU_ACTION_TAG".to_owned(), format!("action-{id}"));
                hook.env.insert("JUJU_ACTION_UUID".to_owned(), id);
            }
            let code = sim.run_hook(&hook)?;
            // The whole state (every record so far) only when asked for.
            let state = common.state_out.as_ref().map(|path| (path, sim.state()));
            let summary = sim.finish()?;
            if let Some((path, state)) = state {
                write_state(&state?, path)?;
            }
            Ok(code == 0 && summary.hooks_given_up == 0)
        }
        Command::UnitNamespace { .. } => Err(SimError::Charm(
            "juju-sim unit-namespace is run by juju-sim itself, from `main`".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_run() {
        let cli = Cli::try_parse_from([
            "juju-sim",
            "run",
            "--charm",
            "c",
            "--retries",
            "0",
            "--format",
            "json",
            "--log-level",
            "debug",
        ])
        .unwrap();
        assert!(matches!(cli.command, Command::Run { .. }));
        let cli = Cli::try_parse_from([
            "juju-sim",
            "run",
            "--real-processes",
            "--workload-output",
            "--image",
            "web=img",
            "--image",
            "web:/usr/bin/x=bin/x",
            "--var",
            "port=9000",
        ])
        .unwrap();
        let Command::Run {
            images,
            vars,
            common,
            ..
        } = cli.command
        else {
            panic!("not run");
        };
        assert!(common.real_processes && common.workload_output);
        assert_eq!(images.len(), 2);
        assert!(images[1].1.files.contains_key("/usr/bin/x"));
        assert_eq!(vars, [("port".to_owned(), "9000".to_owned())]);
        assert!(
            Cli::try_parse_from(["juju-sim", "run", "--image", "web"]).is_err(),
            "an image needs a host path"
        );
        assert!(
            Cli::try_parse_from(["juju-sim", "hook", "install"]).is_err(),
            "hook needs --work-dir"
        );
    }
}
