//! `juju-log`: a line in the Juju debug log.

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::state::LogLine;
use super::{Call, Tool, ToolResult};

pub(crate) const LOG: Tool = Tool {
    spec: || {
        Spec::new("juju-log", "<message>", "Write a message to the juju log.")
            .opt(Opt::flag(&["debug"], "log at debug level"))
            .opt(
                Opt::value(&["l", "log-level"], "Send log message at the given level")
                    .default("INFO"),
            )
            .opt(Opt::value(&["format"], "deprecated format flag"))
    },
    run: log,
};

fn log(call: &mut Call<'_>) -> ToolResult {
    if call.args.positional.is_empty() {
        return Err(ToolError::usage("no message specified"));
    }
    let level = if call.args.flag("debug") {
        "DEBUG".to_owned()
    } else {
        call.args.value("l").unwrap_or("INFO").to_uppercase()
    };
    let level = match level.as_str() {
        "WARN" => "WARNING".to_owned(),
        "TRACE" | "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL" => level,
        _ => return Err(ToolError::usage(format!("invalid log level {level:?}"))),
    };
    let message = call.args.positional.join(" ");
    call.state.logs.push(LogLine { level, message });
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};

    #[test]
    fn forms() {
        let mut s = JujuState::new("a/0");
        ok(&mut s, "juju-log hello world");
        ok(&mut s, "juju-log --log-level WARNING -- -dashed");
        ok(&mut s, "juju-log -l debug x");
        ok(&mut s, "juju-log --debug y");
        let got: Vec<(String, String)> = s
            .logs
            .iter()
            .map(|l| (l.level.clone(), l.message.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("INFO".into(), "hello world".into()),
                ("WARNING".into(), "-dashed".into()),
                ("DEBUG".into(), "x".into()),
                ("DEBUG".into(), "y".into()),
            ]
        );
        assert_eq!(err(&mut s, "juju-log", 2), "ERROR no message specified\n");
        assert!(err(&mut s, "juju-log -l LOUD x", 2).contains("invalid log level"));
    }
}
