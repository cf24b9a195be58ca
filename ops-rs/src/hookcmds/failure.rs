//! [`HookToolFailure`]: a hook tool that could not be run, exited non-zero, or was ended by a
//! signal, reported as it happened.
//!
//! What a failure shows is made safe to log: control characters in the tool's stderr and in
//! its arguments are shown as escapes (`\x1b`), never passed through to a terminal, and
//! stderr is cut to [`STDERR_SHOWN`] bytes (its beginning and its end, with a marker saying
//! how much was left out), so a tool that writes megabytes gives one readable error.

use std::fmt;

/// The most bytes of a tool's stderr a failure keeps: the first three quarters and the
/// last quarter of this, with a marker between them saying how much was left out.
pub const STDERR_SHOWN: usize = 4096;

/// The longest argument a failure shows whole.
const SHOWN_ARG_LEN: usize = 256;

/// A hook tool that could not be run, exited non-zero, or was ended by a signal.
///
/// `args` are as the caller passed them; callers that pass secret material must pass it
/// through files (`key#file=/path`), so argv never holds a secret. `Debug` and `Display` show
/// the tool, arguments, how it ended and stderr, with control characters escaped.
#[derive(Clone, PartialEq, Eq)]
pub struct HookToolFailure {
    /// The tool, e.g. `relation-get`.
    pub tool: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Exit code; `None` if the tool did not run, or was ended by a signal (then
    /// [`signal`](Self::signal) says which).
    pub exit_code: Option<i32>,
    /// The signal that ended the tool, if one did (`SIGKILL` when ops-rs stopped a tool that
    /// ran past its bound: see [`ProcessRunner`](super::ProcessRunner)).
    pub signal: Option<i32>,
    /// What the tool wrote to stderr (see [`clean_stderr`]); or, if it did not run or ops-rs
    /// stopped it, why.
    pub stderr: String,
}

impl HookToolFailure {
    /// The failure of `tool`, run as `program`, that could not be started: `error` is why
    /// (`Argument list too long (os error 7)` for a command line Linux refuses, see
    /// [`limits`](super::limits); `Permission denied (os error 13)` for a tool that is not
    /// executable). No exit code: the tool never ran, so nothing it says is in `stderr`.
    pub fn not_started(
        tool: &str,
        args: &[String],
        program: &std::path::Path,
        error: &std::io::Error,
    ) -> HookToolFailure {
        HookToolFailure {
            tool: tool.to_owned(),
            args: args.to_vec(),
            exit_code: None,
            signal: None,
            stderr: format!("cannot run {}: {error}", program.display()),
        }
    }

    /// Whether the tool ran and exited by itself, so that `stderr` is its own answer (what
    /// Juju said). A tool that could not be started, or was ended by a signal, did not
    /// answer: its failure says nothing about what Juju allows.
    pub fn answered(&self) -> bool {
        self.exit_code.is_some()
    }

    /// Redacts what must not be shown: the values of `action-set` arguments (results may be
    /// sensitive), leaving their keys. Every failure a typed hook-tool call returns is
    /// already redacted; a [`HookToolRunner`](super::HookToolRunner) of your own returns raw
    /// ones.
    pub fn redact(&mut self) {
        if self.tool == "action-set" {
            for a in &mut self.args {
                if let Some((k, v)) = a.split_once('=')
                    && v != "<redacted>"
                {
                    *a = format!("{k}=<redacted>");
                }
            }
        }
    }
}

/// A tool's stderr as a failure keeps it: decoded (invalid UTF-8 replaced), control
/// characters other than line breaks and tabs shown as escapes, and anything past
/// [`STDERR_SHOWN`] bytes left out, with a marker saying how much.
///
/// ```
/// use ops::hookcmds::{clean_stderr, STDERR_SHOWN};
/// assert_eq!(clean_stderr(b"\x1b[31mERROR\x1b[0m bad\n"), "\\x1b[31mERROR\\x1b[0m bad\n");
/// let huge = clean_stderr(&vec![b'x'; 5_000_000]);
/// assert!(huge.len() < STDERR_SHOWN + 100);
/// assert!(huge.contains("[4995904 bytes of stderr not shown]"));
/// ```
pub fn clean_stderr(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if text.len() <= STDERR_SHOWN {
        return escape_controls(&text, true);
    }
    let head = super::limits::split_utf8(&text, STDERR_SHOWN / 4 * 3)[0];
    let mut tail_start = text.len() - STDERR_SHOWN / 4;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    let tail = &text[tail_start..];
    let left_out = text.len() - head.len() - tail.len();
    format!(
        "{}\n[{left_out} bytes of stderr not shown]\n{}",
        escape_controls(head, true),
        escape_controls(tail, true)
    )
}

/// `text` with control characters (C0, DEL, C1) shown as `\xNN` / `\u{NN}` escapes; line
/// breaks and tabs kept when `keep_lines`.
fn escape_controls(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if keep_lines => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if ('\u{80}'..='\u{9f}').contains(&c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// The name of signal `n` as Linux numbers them, for the ones a tool is likely to die of.
pub(crate) fn signal_name(n: i32) -> Option<&'static str> {
    Some(match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => return None,
    })
}

impl fmt::Debug for HookToolFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for HookToolFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hook tool `{}", escape_controls(&self.tool, false))?;
        for a in &self.args {
            // A long argument (a whole log line, a failure message) would bury the reason:
            // its beginning and its length say which one it was.
            if a.len() > SHOWN_ARG_LEN {
                let head = super::limits::split_utf8(a, SHOWN_ARG_LEN / 2)[0];
                write!(f, " {}...({} bytes)", escape_controls(head, false), a.len())?;
            } else {
                write!(f, " {}", escape_controls(a, false))?;
            }
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => write!(f, "` exited with code {code}")?,
            (None, Some(sig)) => match signal_name(sig) {
                Some(name) => write!(f, "` was killed by signal {sig} ({name})")?,
                None => write!(f, "` was killed by signal {sig}")?,
            },
            (None, None) => write!(f, "` did not run to completion")?,
        }
        // Runners of our own clean stderr as they read it; one of the caller's may not have.
        let err = self.stderr.trim();
        if !err.is_empty() {
            if err.len() > STDERR_SHOWN + 64 {
                write!(f, ": {}", clean_stderr(err.as_bytes()))?;
            } else {
                write!(f, ": {}", escape_controls(err, true))?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for HookToolFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(exit_code: Option<i32>, signal: Option<i32>, stderr: &str) -> HookToolFailure {
        HookToolFailure {
            tool: "relation-get".into(),
            args: vec!["-r".into(), "db:1".into()],
            exit_code,
            signal,
            stderr: stderr.into(),
        }
    }

    #[test]
    fn a_failure_says_how_the_tool_ended() {
        assert_eq!(
            failure(Some(2), None, "ERROR no").to_string(),
            "hook tool `relation-get -r db:1` exited with code 2: ERROR no"
        );
        assert_eq!(
            failure(None, Some(15), "").to_string(),
            "hook tool `relation-get -r db:1` was killed by signal 15 (SIGTERM)"
        );
        assert_eq!(
            failure(None, Some(64), "").to_string(),
            "hook tool `relation-get -r db:1` was killed by signal 64"
        );
        assert_eq!(
            failure(
                None,
                None,
                "cannot run relation-get: Permission denied (os error 13)"
            )
            .to_string(),
            "hook tool `relation-get -r db:1` did not run to completion: cannot run \
             relation-get: Permission denied (os error 13)"
        );
        assert!(failure(Some(1), None, "").answered());
        assert!(!failure(None, Some(9), "").answered());
        assert!(!failure(None, None, "").answered());
    }

    #[test]
    fn control_characters_are_shown_as_escapes_never_passed_through() {
        let raw = b"\x1b]0;owned\x07\x1b[2J\x1b[31mERROR\x1b[0m: bad\r\n\tnext\x7f \xc2\x9b";
        let clean = clean_stderr(raw);
        assert_eq!(
            clean,
            "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mERROR\\x1b[0m: bad\\x0d\n\tnext\\x7f \\u{9b}"
        );
        assert!(
            !clean
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        );
        // In arguments and in a stderr a runner of the caller's did not clean, too.
        let mut f = failure(Some(1), None, "\x1b[31mred");
        f.args.push("\x1b[2Jwipe".into());
        let shown = f.to_string();
        assert!(!shown.contains('\x1b'), "{shown:?}");
        assert!(shown.contains("\\x1b[2Jwipe") && shown.contains("\\x1b[31mred"));
    }

    #[test]
    fn a_huge_stderr_keeps_its_beginning_and_end_with_a_marker() {
        let mut raw = b"first line: the error\n".to_vec();
        raw.extend(std::iter::repeat_n(b'.', 5 * 1024 * 1024));
        raw.extend(b"\nlast line: the end");
        let clean = clean_stderr(&raw);
        assert!(clean.len() <= STDERR_SHOWN + 64, "{}", clean.len());
        assert!(clean.starts_with("first line: the error\n"));
        assert!(clean.ends_with("last line: the end"));
        let left_out = raw.len() - STDERR_SHOWN;
        assert!(
            clean.contains(&format!("\n[{left_out} bytes of stderr not shown]\n")),
            "{}",
            &clean[STDERR_SHOWN / 4 * 3 - 20..STDERR_SHOWN / 4 * 3 + 60]
        );
        // Cut on character boundaries.
        let wide = "é".repeat(10_000);
        let clean = clean_stderr(wide.as_bytes());
        assert!(clean.contains("bytes of stderr not shown"));
        // And a failure built by someone else's runner with a huge stderr is cut when shown.
        let shown = failure(Some(1), None, &"y".repeat(1_000_000)).to_string();
        assert!(shown.len() < STDERR_SHOWN + 200, "{}", shown.len());
    }

    #[test]
    fn a_failure_shows_long_arguments_by_their_beginning_and_length() {
        let f = HookToolFailure {
            tool: "juju-log".into(),
            args: vec!["--".into(), "x".repeat(1000)],
            exit_code: None,
            signal: None,
            stderr: "cannot run juju-log".into(),
        };
        let shown = f.to_string();
        assert!(
            shown.contains(&format!(" {}...(1000 bytes)` ", "x".repeat(128))),
            "{shown}"
        );
        assert!(shown.len() < 300);
    }
}
