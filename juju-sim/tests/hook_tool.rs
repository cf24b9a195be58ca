//! The `hook-tool` binary run as Juju's hook tools: symlinked under tool names, against a state file.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use juju_sim::state_file;
use ops::testing::juju::{JujuState, RelationState, STATE_VERSION};

struct Sim {
    dir: tempfile::TempDir,
    state: PathBuf,
}

impl Sim {
    fn new(state: &JujuState) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_hook-tool"));
        for tool in ops::testing::juju::tool_names() {
            std::os::unix::fs::symlink(&bin, dir.path().join(tool)).unwrap();
        }
        let path = dir.path().join("state.json");
        state_file::save(&path, state).unwrap();
        Sim { dir, state: path }
    }

    fn tool(&self, tool: &str) -> PathBuf {
        self.dir.path().join(tool)
    }

    fn run(&self, tool: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
        run_at(&self.tool(tool), &self.state, args, stdin)
    }

    /// The whole state: the model with the journal's calls and log lines.
    fn saved(&self) -> JujuState {
        state_file::load(&self.state).unwrap()
    }
}

fn run_at(program: &Path, state: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .env("JUJU_SIM_STATE", state)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

fn start() -> JujuState {
    JujuState::new("web/0")
        .leader(true)
        .config("port", 8080)
        .relation(
            RelationState::new(3, "db", "mysql").remote_unit("mysql/0", [("host", "10.0.0.1")]),
        )
}

#[test]
fn tools_answer_and_state_is_saved() {
    let sim = Sim::new(&start());
    let out = sim.run("config-get", &["--format=json"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "{\"port\":8080}\n");

    let out = sim.run("is-leader", &["--format=json"], None);
    assert_eq!(text(&out.stdout), "true\n");

    let out = sim.run(
        "relation-get",
        &["--format=json", "-r", "db:3", "-", "mysql/0"],
        None,
    );
    assert_eq!(text(&out.stdout), "{\"host\":\"10.0.0.1\"}\n");

    let out = sim.run(
        "relation-set",
        &["-r", "db:3", "--app", "--file", "-"],
        Some(br#"{"user": "web"}"#),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = sim.run(
        "status-set",
        &["--application=True", "active", "--", "ready"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));

    let out = sim.run("juju-log", &["--log-level", "INFO", "--", "hello"], None);
    assert_eq!(out.status.code(), Some(0));

    let saved = sim.saved();
    assert_eq!(saved.version, STATE_VERSION);
    assert_eq!(saved.relations[0].local_app_data["user"], "web");
    assert_eq!(saved.app_status, ops::status::Status::active("ready"));
    assert_eq!(saved.log_messages(), ["hello"]);
    assert_eq!(saved.calls.len(), 6);
    assert_eq!(saved.calls[3].stdin.as_deref(), Some(r#"{"user": "web"}"#));
}

#[test]
fn errors_have_juju_text_and_exit_codes() {
    let sim = Sim::new(&start());
    let out = sim.run("relation-list", &["-r", "db:9"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "ERROR invalid value \"db:9\" for option -r: relation not found\n"
    );

    let out = sim.run("secret-get", &["secret:aaaaaaaaaaaaaaaaaaaa"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "ERROR secret \"aaaaaaaaaaaaaaaaaaaa\" not found\n"
    );

    let out = sim.run("status-set", &["--bogus"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "ERROR option provided but not defined: --bogus\n"
    );

    let out = sim.run("open-port", &["--help"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("Usage: open-port"));
    // A failed call leaves the state as it was, but is recorded.
    assert_eq!(
        sim.saved()
            .calls
            .iter()
            .map(|c| c.exit_code)
            .collect::<Vec<_>>(),
        [2, 1, 2, 0]
    );
}

#[test]
fn secret_ids_printed_and_content_from_files() {
    let sim = Sim::new(&start());
    let file = sim.dir.path().join("pw");
    std::fs::write(&file, "hunter2").unwrap();
    let arg = format!("password#file={}", file.display());
    let out = sim.run(
        "secret-add",
        &["--label", "db", "--owner", "application", &arg],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    assert!(id.starts_with("secret:"));
    let out = sim.run("secret-get", &["--format=json", &id], None);
    assert_eq!(text(&out.stdout), "{\"password\":\"hunter2\"}\n");
}

#[test]
fn calls_are_journalled_and_read_only_calls_leave_the_model_alone() {
    use std::os::unix::fs::MetadataExt;
    let sim = Sim::new(&start());
    let inode = || std::fs::metadata(&sim.state).unwrap().ino();
    let before = inode();
    for (tool, args) in [
        ("is-leader", &["--format=json"][..]),
        ("config-get", &[][..]),
    ] {
        let out = sim.run(tool, args, None);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    assert_eq!(inode(), before, "a read-only call rewrote the model");
    let out = sim.run("juju-log", &["hello"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        inode(),
        before,
        "a log line is a record, not a model change"
    );
    let out = sim.run("status-set", &["active"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_ne!(inode(), before, "status-set changes the model");
    // The model file holds no records; the journal one line per call.
    let (model, _) = state_file::load_model(&sim.state).unwrap();
    assert!(model.calls.is_empty() && model.logs.is_empty());
    let journal = std::fs::read_to_string(state_file::journal_path(&sim.state)).unwrap();
    assert_eq!(journal.lines().count(), 4, "{journal}");
    let saved = sim.saved();
    let tools: Vec<&str> = saved.calls.iter().map(|c| c.tool.as_str()).collect();
    assert_eq!(tools, ["is-leader", "config-get", "juju-log", "status-set"]);
    assert_eq!(saved.log_messages(), ["hello"]);
}

#[test]
fn a_whole_state_file_still_works() {
    // A state file holding its own records (written whole, as juju-sim once did) keeps them.
    let sim = Sim::new(&start());
    let mut state = start();
    ops::testing::juju::execute(&mut state, "juju-log", &["old".into()], None);
    std::fs::write(&sim.state, state.to_json().unwrap()).unwrap();
    std::fs::remove_file(state_file::journal_path(&sim.state)).unwrap();
    let out = sim.run("juju-log", &["new"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sim.saved().log_messages(), ["old", "new"]);
}

#[test]
fn concurrent_calls_are_serialised() {
    let sim = Sim::new(&start());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (tool, state) = (sim.tool("juju-log"), sim.state.clone());
            std::thread::spawn(move || run_at(&tool, &state, &[&format!("line-{i}")], None))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().status.code(), Some(0));
    }
    let mut lines: Vec<String> = sim.saved().logs.into_iter().map(|l| l.message).collect();
    lines.sort();
    assert_eq!(
        lines,
        (0..8).map(|i| format!("line-{i}")).collect::<Vec<_>>()
    );
}

#[test]
fn missing_state_variable_is_a_clear_error() {
    let sim = Sim::new(&start());
    let out = Command::new(sim.tool("is-leader"))
        .env_remove("JUJU_SIM_STATE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("JUJU_SIM_STATE is not set"));
}

#[test]
fn help_says_how_to_call_it_and_lists_the_tools() {
    for flag in ["--help", "-h"] {
        let out = Command::new(env!("CARGO_BIN_EXE_hook-tool"))
            .arg(flag)
            .env_remove("JUJU_SIM_STATE")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let help = text(&out.stdout);
        assert!(help.contains("Usage: hook-tool <tool> [args...]"), "{help}");
        assert!(help.contains("JUJU_SIM_STATE"), "{help}");
        assert!(help.contains("relation-set"), "{help}");
    }
}

#[test]
fn multi_call_by_first_argument() {
    let sim = Sim::new(&start());
    let out = run_at(
        Path::new(env!("CARGO_BIN_EXE_hook-tool")),
        &sim.state,
        &["is-leader"],
        None,
    );
    assert_eq!(text(&out.stdout), "True\n");
}

#[test]
fn a_lock_file_left_by_a_killed_tool_does_not_block_the_next_call() {
    let sim = Sim::new(&JujuState::new("web/0").leader(true));
    // What a tool killed while holding the lock leaves behind: the file, but no lock on it.
    std::fs::write(sim.state.with_extension("json.lock"), b"").unwrap();
    let out = sim.run("is-leader", &["--format=json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "true");
}

#[test]
fn a_held_lock_makes_the_next_call_wait_for_it() {
    use rustix::fs::{FlockOperation, flock};
    let sim = Sim::new(&JujuState::new("web/0").leader(true));
    let lock = std::fs::File::create(sim.state.with_extension("json.lock")).unwrap();
    flock(&lock, FlockOperation::LockExclusive).unwrap();
    let mut child = Command::new(sim.tool("is-leader"))
        .arg("--format=json")
        .env("JUJU_SIM_STATE", &sim.state)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the tool ran while the lock was held"
    );
    drop(lock); // closing the file releases the lock
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), "true");
}

/// What a state file's model says a hook-tool call changed, read back.
fn secret_after(sim: &Sim) -> ops::testing::juju::SecretState {
    sim.saved().secrets[0].clone()
}

const SECRET: &str = "secret:cr0ahn1dqe3k7mqmsc2g";

fn with_secret(version: &str) -> JujuState {
    let mut secret = ops::testing::juju::SecretState::new(
        SECRET,
        ops::testing::juju::SecretOwnership::Unit,
        [("password", "old")],
    )
    .label("db")
    .description("the db");
    secret.rotate = Some("daily".into());
    JujuState::new("web/0")
        .juju_version(version.parse().unwrap())
        .secret(secret)
}

/// Row 3, across processes: each `secret-set` is its own `hook-tool` process, and what the
/// hook did so far lives in the state file. Before 3.6 the last call of the hook replaces the
/// earlier ones; from 3.6 they merge.
#[test]
fn secret_set_calls_of_one_hook_follow_the_juju_version() {
    for (version, password, description, label, rotation) in [
        ("3.4.6", "old", Some("desc"), None, None),
        ("3.5.4", "old", Some("desc"), Some("db"), None),
        ("3.5.5", "old", Some("desc"), Some("db"), Some("daily")),
        ("3.6.4", "new", Some("desc"), Some("db"), Some("daily")),
    ] {
        let sim = Sim::new(&with_secret(version));
        let out = sim.run("secret-set", &[SECRET, "password=new"], None);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let out = sim.run("secret-set", &[SECRET, "--description", "desc"], None);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let s = secret_after(&sim);
        assert_eq!(
            s.latest().unwrap().content["password"],
            password,
            "Juju {version}"
        );
        assert_eq!(s.description.as_deref(), description, "Juju {version}");
        assert_eq!(s.label.as_deref(), label, "Juju {version}");
        assert_eq!(s.rotate.as_deref(), rotation, "Juju {version}");
    }
}

/// Row 7: Juju refuses port ranges on Kubernetes, with its text; machines take them.
#[test]
fn port_ranges_refused_on_kubernetes_only() {
    let sim = Sim::new(&JujuState::new("web/0"));
    let out = sim.run("open-port", &["8000-8099/tcp"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "ERROR port ranges are not supported for k8s applications, please specify a single port\n"
    );
    assert_eq!(
        sim.run("open-port", &["8000/tcp"], None).status.code(),
        Some(0)
    );
    let machine = Sim::new(&JujuState::new("web/0").model_type(ops::model::ModelType::Machine));
    let out = machine.run("open-port", &["8000-8099/tcp"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = machine.run("opened-ports", &[], None);
    assert_eq!(text(&out.stdout), "8000-8099/tcp\n");
}

/// Row 8: `status-get` prints what Juju prints: a name in the smart format, else a map; for
/// the application, the units nested in its status.
#[test]
fn status_get_shapes() {
    let mut state = JujuState::new("web/0").leader(true);
    state.unit_status = ops::status::Status::active("up");
    state
        .other_unit_statuses
        .insert("web/1".into(), ops::status::Status::waiting("w"));
    let sim = Sim::new(&state);
    assert_eq!(text(&sim.run("status-get", &[], None).stdout), "active\n");
    assert_eq!(
        text(&sim.run("status-get", &["--format=json"], None).stdout),
        "{\"status\":\"active\"}\n"
    );
    let out = sim.run(
        "status-get",
        &["--include-data", "--format=json", "--application=true"],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["application-status"]["units"]["web/1"]["status"],
        "waiting"
    );
    assert_eq!(v["application-status"]["units"]["web/0"]["message"], "up");
    assert!(v.get("units").is_none(), "{v}");
    let out = sim.run("status-get", &["--application", "--format=json"], None);
    assert_eq!(
        text(&out.stdout),
        "{\"application-status\":{\"status\":\"unknown\",\"units\":{\"web/0\":{\"status\":\"active\"},\"web/1\":{\"status\":\"waiting\"}}}}\n"
    );
}

/// Row 9: leadership can lapse between two calls of a hook (each its own process).
#[test]
fn leadership_lapses_mid_hook() {
    let sim = Sim::new(
        &JujuState::new("web/0")
            .leader(true)
            .leadership_lost_after(1),
    );
    let ask = || text(&sim.run("is-leader", &["--format=json"], None).stdout).to_owned();
    assert_eq!(ask(), "true\n");
    assert_eq!(ask(), "false\n");
    assert_eq!(ask(), "false\n");
    assert!(!sim.saved().leader);
}

/// Row 12 (and 3): Juju's texts for a relation it does not know, for a refusal, and for a
/// tool this Juju does not have.
#[test]
fn relation_failures_and_missing_tools_say_what_juju_says() {
    let sim = Sim::new(&start());
    let out = sim.run("relation-get", &["-r", "db:9", "-", "mysql/0"], None);
    assert!(
        text(&out.stderr).contains("relation not found"),
        "{}",
        text(&out.stderr)
    );
    let out = sim.run("relation-get", &["-r", "db:3", "-", "mysql/7"], None);
    assert_eq!(text(&out.stderr), "ERROR permission denied\n");
    let old = Sim::new(&start().juju_version("3.6.1".parse().unwrap()));
    let out = old.run("relation-model-get", &["--format=json", "-r", "db:3"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("added in Juju 3.6.2"),
        "{}",
        text(&out.stderr)
    );
}
