//! `juju-log`.

use super::{HookToolError, HookToolRunner, args, limits, run};

/// The level of a `juju-log` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// TRACE
    Trace,
    /// DEBUG
    Debug,
    /// INFO
    Info,
    /// WARNING
    Warning,
    /// ERROR
    Error,
}

impl LogLevel {
    /// The level as `juju-log --log-level` takes it.
    pub fn as_juju(&self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
        }
    }
}

/// The longest message passed to `juju-log` in one call, in bytes: what one command-line
/// argument holds ([`limits::MAX_ARG_LEN`]).
pub const MAX_LOG_LINE_LEN: usize = limits::MAX_ARG_LEN;

/// The chunks a message is sent as: itself if it has at most `max_len` bytes; otherwise a
/// notice line followed by chunks of at most `max_len` bytes, cut on character boundaries (as
/// Python ops does, but counting bytes: the kernel limits an argument's bytes, and a message
/// of multi-byte characters cut by characters would not fit).
pub fn log_chunks(message: &str, max_len: usize) -> Vec<String> {
    if message.len() <= max_len || max_len == 0 {
        return vec![message.to_owned()];
    }
    let mut out = vec![format!(
        "Log string greater than {max_len}. Splitting into multiple chunks: "
    )];
    out.extend(
        limits::split_utf8(message, max_len)
            .into_iter()
            .map(str::to_owned),
    );
    out
}

/// `juju-log --log-level <LEVEL> -- <message>`, split into several calls when longer than
/// [`MAX_LOG_LINE_LEN`].
pub fn juju_log(
    r: &dyn HookToolRunner,
    level: LogLevel,
    message: &str,
) -> Result<(), HookToolError> {
    for chunk in log_chunks(message, MAX_LOG_LINE_LEN) {
        run(
            r,
            "juju-log",
            args(["--log-level", level.as_juju(), "--", &chunk]),
            None,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv() {
        let r = answering("");
        juju_log(&r, LogLevel::Warning, "-x oops").unwrap();
        assert_eq!(r.lines(), ["juju-log --log-level WARNING -- -x oops"]);
    }

    #[test]
    fn long_messages_are_split_by_bytes_on_character_boundaries() {
        assert_eq!(log_chunks("abc", 3), ["abc"]);
        assert_eq!(
            log_chunks("abcdé", 2),
            [
                "Log string greater than 2. Splitting into multiple chunks: ",
                "ab",
                "cd",
                "é"
            ]
        );
        // Five characters, ten bytes: by characters it would fit in 5.
        assert_eq!(log_chunks("ééééé", 5).len(), 1 + 3);
        let r = answering("");
        juju_log(&r, LogLevel::Info, &"x".repeat(MAX_LOG_LINE_LEN + 1)).unwrap();
        assert_eq!(r.calls().len(), 3);
        let r = answering("");
        let wide = "é".repeat(MAX_LOG_LINE_LEN);
        juju_log(&r, LogLevel::Info, &wide).unwrap();
        let sent: Vec<String> = r.calls().iter().map(|c| c.args[3].clone()).collect();
        assert!(sent.iter().all(|a| a.len() <= MAX_LOG_LINE_LEN));
        assert_eq!(sent[1..].concat(), wide);
    }
}
