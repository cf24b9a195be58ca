//! A private mount namespace for a unit's hooks, in which the unit's Pebble sockets sit where
//! Python `ops` looks for them: `/charm/containers/<c>/pebble.socket`.
//!
//! ops-rs charms find their sockets through `OPS_RS_CONTAINERS_DIR`, which juju-sim sets to
//! the unit's `<work>/containers`. Python `ops` knows only the path a Kubernetes sidecar
//! unit has, so a Python charm with containers runs its `dispatch` through juju-sim's hidden
//! `unit-namespace` helper (the `juju-sim` binary itself), which, in a fresh process:
//!
//! 1. enters a new mount namespace: as root, `unshare(CLONE_NEWNS)`; otherwise inside a new
//!    user namespace that maps only the caller's own uid and gid (`CLONE_NEWUSER`), where the
//!    kernel allows unprivileged user namespaces;
//! 2. makes every mount private (nothing it does is seen outside);
//! 3. builds a new root on a tmpfs over the unit's empty `<work>/ns-root`: every top-level
//!    entry of `/` bound (recursively) or linked at the same path, and the unit's
//!    `<work>/containers` bound at `/charm/containers`;
//! 4. `chroot`s into it, returns to the same working directory, and `exec`s `dispatch`.
//!
//! Every path outside `/charm` is the host's, so the charm, its virtualenv, the hook tools
//! and the work directory are where they were. The host's own `/` is never written to.
//! [`probe`] tells, once per run, whether this works here; where it does not, juju-sim says
//! so in one line with what to do, and runs the hooks without it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The hidden `juju-sim` subcommand that enters the namespace and runs a program.
pub const SUBCOMMAND: &str = "unit-namespace";

/// Where Python `ops` (and Juju's Kubernetes sidecar units) find the containers' sockets.
pub const CHARM_CONTAINERS: &str = "/charm/containers";

/// How hooks can be given a private mount namespace on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// juju-sim runs as root: a mount namespace alone.
    Root,
    /// An unprivileged user namespace (mapping only the caller's ids) holds the mount namespace.
    UserNamespace,
    /// Neither works; why.
    Unavailable(String),
}

impl Support {
    /// The one line juju-sim prints when a charm needs the namespace and it is unavailable.
    pub fn unavailable_line(&self, charm: &str) -> Option<String> {
        match self {
            Support::Unavailable(why) => Some(format!(
                "juju-sim: cannot give the hooks of charm {charm} a a private mount namespace ({why}), so a \
                 Python ops charm will not find Pebble at {CHARM_CONTAINERS}/<c>/pebble.socket: \
                 run juju-sim as root, or allow unprivileged user namespaces \
                 (sysctl kernel.unprivileged_userns_clone=1, and on Ubuntu 24.04 \
                 kernel.apparmor_restrict_unprivileged_userns=0)"
            )),
            _ => None,
        }
    }
}

/// Whether `helper` (the juju-sim binary) can enter a namespace here: asked once per process
/// (it runs `helper unit-namespace --probe`).
pub fn probe(helper: &Path) -> Support {
    static PROBED: OnceLock<Support> = OnceLock::new();
    PROBED
        .get_or_init(|| {
            let out = Command::new(helper)
                .args([SUBCOMMAND, "--probe"])
                .env_clear()
                .output();
            match out {
                Ok(o) if o.status.success() => {
                    if String::from_utf8_lossy(&o.stdout).trim() == "root" {
                        Support::Root
                    } else {
                        Support::UserNamespace
                    }
                }
                Ok(o) => Support::Unavailable(
                    String::from_utf8_lossy(&o.stderr)
                        .trim()
                        .trim_start_matches("juju-sim: ")
                        .to_owned(),
                ),
                Err(e) => Support::Unavailable(format!("cannot run {}: {e}", helper.display())),
            }
        })
        .clone()
}

/// Prints `line` on stderr, once per process (the namespace is unavailable for every unit
/// alike).
pub fn warn_once(line: &str) {
    static WARNED: OnceLock<()> = OnceLock::new();
    if WARNED.set(()).is_ok() {
        eprintln!("{line}");
    }
}

/// How one unit's hooks are wrapped: the helper and the unit's directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapper {
    /// The juju-sim binary (it has the hidden subcommand).
    pub helper: PathBuf,
    /// The empty directory the new root is mounted over (`<work>/ns-root`).
    pub new_root: PathBuf,
    /// The unit's containers directory, bound at `/charm/containers`.
    pub containers: PathBuf,
}

impl Wrapper {
    /// The program and arguments that run `dispatch` inside the namespace.
    pub fn command(&self, dispatch: &Path) -> (PathBuf, Vec<OsString>) {
        let args = vec![
            SUBCOMMAND.into(),
            "--new-root".into(),
            self.new_root.clone().into_os_string(),
            "--containers".into(),
            self.containers.clone().into_os_string(),
            "--".into(),
            dispatch.as_os_str().to_owned(),
        ];
        (self.helper.clone(), args)
    }
}

/// Why entering the namespace failed (printed by the helper, which then exits 126).
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct EnterError {
    doing: String,
    #[source]
    source: std::io::Error,
}

fn step<T>(doing: impl FnOnce() -> String, r: rustix::io::Result<T>) -> Result<T, EnterError> {
    r.map_err(|e| EnterError {
        doing: doing(),
        source: e.into(),
    })
}

fn io_step<T>(doing: impl FnOnce() -> String, r: std::io::Result<T>) -> Result<T, EnterError> {
    r.map_err(|source| EnterError {
        doing: doing(),
        source,
    })
}

/// Enters a new mount namespace (in a new user namespace unless root); returns whether it
/// needed the user namespace. Must run in a single-threaded process (the helper's `main`).
pub fn enter() -> Result<bool, EnterError> {
    use rustix::thread::UnshareFlags;
    let root = rustix::process::geteuid().is_root();
    let (uid, gid) = (
        rustix::process::getuid().as_raw(),
        rustix::process::getgid().as_raw(),
    );
    let flags = if root {
        UnshareFlags::NEWNS
    } else {
        UnshareFlags::NEWUSER | UnshareFlags::NEWNS
    };
    // rustix deprecated its safe `unshare` because `UnshareFlags::FILES` can leave other
    // threads with descriptors from another table; only NEWNS and NEWUSER are passed here, in
    // the helper's single thread, before it execs.
    #[allow(deprecated)]
    let unshared = rustix::thread::unshare(flags);
    step(
        || {
            if root {
                "unshare(CLONE_NEWNS)".to_owned()
            } else {
                "unshare(CLONE_NEWUSER | CLONE_NEWNS) as an unprivileged user".to_owned()
            }
        },
        unshared,
    )?;
    if !root {
        // Map only our own ids; `setgroups` must be denied before an unprivileged gid map.
        for (file, text) in [
            ("/proc/self/setgroups", "deny".to_owned()),
            ("/proc/self/uid_map", format!("{uid} {uid} 1")),
            ("/proc/self/gid_map", format!("{gid} {gid} 1")),
        ] {
            io_step(
                || format!("cannot write {file}"),
                std::fs::write(file, text),
            )?;
        }
    }
    step(
        || "cannot make the mounts private".to_owned(),
        rustix::mount::mount_change(
            "/",
            rustix::mount::MountPropagationFlags::REC
                | rustix::mount::MountPropagationFlags::PRIVATE,
        ),
    )?;
    Ok(!root)
}

/// Builds the new root over `new_root` (see the module docs) and `chroot`s into it, keeping
/// the working directory.
pub fn build_root(new_root: &Path, containers: &Path) -> Result<(), EnterError> {
    let cwd = io_step(
        || "cannot read the working directory".to_owned(),
        std::env::current_dir(),
    )?;
    step(
        || format!("cannot mount a tmpfs on {}", new_root.display()),
        rustix::mount::mount(
            "juju-sim-unit",
            new_root,
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            Some(c"mode=0755"),
        ),
    )?;
    let entries = io_step(|| "cannot read /".to_owned(), std::fs::read_dir("/"))?;
    for entry in entries {
        let entry = io_step(|| "cannot read /".to_owned(), entry)?;
        let name = entry.file_name();
        if name == "charm" {
            continue;
        }
        let from = entry.path();
        let to = new_root.join(&name);
        let kind = io_step(
            || format!("cannot stat {}", from.display()),
            entry.file_type(),
        )?;
        if kind.is_symlink() {
            let target = io_step(
                || format!("cannot read link {}", from.display()),
                std::fs::read_link(&from),
            )?;
            io_step(
                || format!("cannot link {}", to.display()),
                std::os::unix::fs::symlink(target, &to),
            )?;
            continue;
        }
        if kind.is_dir() {
            io_step(
                || format!("cannot create {}", to.display()),
                std::fs::create_dir(&to),
            )?;
        } else {
            io_step(
                || format!("cannot create {}", to.display()),
                std::fs::write(&to, b""),
            )?;
        }
        step(
            || format!("cannot bind {} into the unit's root", from.display()),
            rustix::mount::mount_bind_recursive(&from, &to),
        )?;
    }
    let sockets = new_root.join(CHARM_CONTAINERS.trim_start_matches('/'));
    io_step(
        || format!("cannot create {}", sockets.display()),
        std::fs::create_dir_all(&sockets),
    )?;
    step(
        || format!("cannot bind {} at {CHARM_CONTAINERS}", containers.display()),
        rustix::mount::mount_bind(containers, &sockets),
    )?;
    step(
        || format!("cannot chroot into {}", new_root.display()),
        rustix::process::chroot(new_root),
    )?;
    io_step(
        || format!("cannot return to {}", cwd.display()),
        std::env::set_current_dir(&cwd),
    )
}

/// The helper's whole job: enter the namespace, build the root, exec `program` (never
/// returns on success). With `probe`, only checks that entering works and prints `root` or
/// `user` (exit 0), or why not (exit 1).
pub fn helper_main(
    new_root: Option<&Path>,
    containers: Option<&Path>,
    program: &[OsString],
    probe: bool,
) -> std::process::ExitCode {
    use std::os::unix::process::CommandExt;
    let fail = |e: &dyn std::fmt::Display, code: u8| {
        eprintln!("juju-sim: {e}");
        std::process::ExitCode::from(code)
    };
    let user_ns = match enter() {
        Ok(u) => u,
        Err(e) => return fail(&e, if probe { 1 } else { 126 }),
    };
    if probe {
        // A tmpfs is the one mount every real run makes: try it too, over the temporary
        // directory (in this private namespace only: nothing changes outside).
        if let Err(e) = rustix::mount::mount(
            "juju-sim-probe",
            std::env::temp_dir(),
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            None,
        ) {
            return fail(&format!("cannot mount a tmpfs: {e}"), 1);
        }
        println!("{}", if user_ns { "user" } else { "root" });
        return std::process::ExitCode::SUCCESS;
    }
    let (Some(new_root), Some(containers), Some((prog, args))) =
        (new_root, containers, program.split_first())
    else {
        return fail(
            &format!(
                "usage: juju-sim {SUBCOMMAND} --new-root DIR --containers DIR -- PROGRAM [ARGS]"
            ),
            2,
        );
    };
    if let Err(e) = build_root(new_root, containers) {
        return fail(&e, 126);
    }
    let err = Command::new(prog).args(args).exec();
    fail(
        &format!("cannot run {}: {err}", Path::new(prog).display()),
        127,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_runs_dispatch_through_the_helper() {
        let w = Wrapper {
            helper: "/bin/juju-sim".into(),
            new_root: "/w/ns-root".into(),
            containers: "/w/containers".into(),
        };
        let (prog, args) = w.command(Path::new("/w/charm/dispatch"));
        assert_eq!(prog, Path::new("/bin/juju-sim"));
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "unit-namespace",
                "--new-root",
                "/w/ns-root",
                "--containers",
                "/w/containers",
                "--",
                "/w/charm/dispatch"
            ]
        );
    }

    #[test]
    fn unavailable_says_what_to_do() {
        let line = Support::Unavailable("unshare: EPERM".into())
            .unavailable_line("py")
            .unwrap();
        assert!(
            line.contains("charm py") && line.contains("run juju-sim as root"),
            "{line}"
        );
        assert!(Support::Root.unavailable_line("py").is_none());
    }
}
