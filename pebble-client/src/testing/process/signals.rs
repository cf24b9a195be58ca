//! Signal names as the signals API takes them, and delivery to a service's process group.

use rustix::process::{Pid, Signal, kill_process_group};

/// The signal named `name` (`SIGHUP`, ...), as Pebble's `POST /v1/signals` accepts them.
pub(crate) fn by_name(name: &str) -> Option<Signal> {
    Some(match name {
        "SIGHUP" => Signal::HUP,
        "SIGINT" => Signal::INT,
        "SIGQUIT" => Signal::QUIT,
        "SIGILL" => Signal::ILL,
        "SIGTRAP" => Signal::TRAP,
        "SIGABRT" | "SIGIOT" => Signal::ABORT,
        "SIGBUS" => Signal::BUS,
        "SIGFPE" => Signal::FPE,
        "SIGKILL" => Signal::KILL,
        "SIGUSR1" => Signal::USR1,
        "SIGSEGV" => Signal::SEGV,
        "SIGUSR2" => Signal::USR2,
        "SIGPIPE" => Signal::PIPE,
        "SIGALRM" => Signal::ALARM,
        "SIGTERM" => Signal::TERM,
        "SIGCHLD" => Signal::CHILD,
        "SIGCONT" => Signal::CONT,
        "SIGSTOP" => Signal::STOP,
        "SIGTSTP" => Signal::TSTP,
        "SIGTTIN" => Signal::TTIN,
        "SIGTTOU" => Signal::TTOU,
        "SIGURG" => Signal::URG,
        "SIGXCPU" => Signal::XCPU,
        "SIGXFSZ" => Signal::XFSZ,
        "SIGVTALRM" => Signal::VTALARM,
        "SIGPROF" => Signal::PROF,
        "SIGWINCH" => Signal::WINCH,
        "SIGIO" | "SIGPOLL" => Signal::IO,
        "SIGSYS" => Signal::SYS,
        _ => return None,
    })
}

/// A process group a service runs in (its leader's pid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Group(Pid);

impl Group {
    /// The group led by the process `pid` (started with its own process group).
    pub(crate) fn of(pid: u32) -> Option<Group> {
        i32::try_from(pid).ok().and_then(Pid::from_raw).map(Group)
    }

    /// Sends `signal` to every process of the group.
    pub(crate) fn signal(self, signal: Signal) -> std::io::Result<()> {
        kill_process_group(self.0, signal).map_err(std::io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_signals() {
        assert_eq!(by_name("SIGHUP"), Some(Signal::HUP));
        assert_eq!(by_name("SIGTERM"), Some(Signal::TERM));
        assert_eq!(by_name("SIGKILL"), Some(Signal::KILL));
        assert_eq!(by_name("HUP"), None);
        assert_eq!(by_name("SIGNOPE"), None);
    }

    #[test]
    fn groups_need_a_positive_pid() {
        assert!(Group::of(0).is_none());
        assert!(Group::of(u32::MAX).is_none());
        assert!(Group::of(1).is_some());
    }
}
