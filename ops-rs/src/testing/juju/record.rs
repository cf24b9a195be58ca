//! Call records: every hook-tool invocation, in order, with its exit code.

use serde::{Deserialize, Serialize};

/// One hook-tool invocation as the simulated Juju saw it.
///
/// Values of `key=value` arguments to `secret-add` and `secret-set` are recorded as
/// `key=<redacted>`: secret content never reaches a record.
///
/// ```
/// use ops::testing::juju::ToolRecord;
/// let r = ToolRecord::new("secret-add", &["token=s3cret".into(), "--label".into(), "x".into()], None, 0);
/// assert_eq!(r.line(), "secret-add token=<redacted> --label x");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ToolRecord {
    /// The tool, e.g. `relation-set`.
    pub tool: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// What was fed on stdin (lossy UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// The exit code.
    pub exit_code: i32,
}

impl ToolRecord {
    /// A record, redacting secret content in the arguments.
    pub fn new(tool: &str, args: &[String], stdin: Option<&[u8]>, exit_code: i32) -> Self {
        let secret = matches!(tool, "secret-add" | "secret-set");
        let args = args
            .iter()
            .map(|a| match a.split_once('=') {
                Some((k, _)) if secret && !a.starts_with('-') && !k.ends_with("#file") => {
                    format!("{k}=<redacted>")
                }
                _ => a.clone(),
            })
            .collect();
        let stdin = if secret {
            stdin.map(|_| "<redacted>".to_owned())
        } else {
            stdin.map(|s| String::from_utf8_lossy(s).into_owned())
        };
        ToolRecord {
            tool: tool.to_owned(),
            args,
            stdin,
            exit_code,
        }
    }

    /// The call as a shell-like line.
    pub fn line(&self) -> String {
        std::iter::once(self.tool.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
