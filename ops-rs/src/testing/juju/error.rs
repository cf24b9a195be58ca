//! What a hook tool reports when it does not succeed: a usage error, a failure, or help.

/// Why a simulated hook tool did not succeed.
///
/// The exit codes are those of Juju's command package: a bad command line (unknown option,
/// missing or malformed argument) exits 2, a failure while running exits 1, and `--help`
/// prints to stdout and exits 0. Juju writes errors as `ERROR <message>` on stderr.
///
/// ```
/// use ops::testing::juju::ToolError;
/// let e = ToolError::usage("no relation id specified");
/// assert_eq!(e.exit_code(), 2);
/// assert_eq!(e.stderr(), "ERROR no relation id specified\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The command line was wrong (Juju's `Init` or option parsing failed): exit 2.
    #[error("{0}")]
    Usage(String),
    /// The tool ran and failed: exit 1.
    #[error("{0}")]
    Failed(String),
    /// `--help` was asked for: the text goes to stdout, exit 0.
    #[error("help requested")]
    Help(String),
}

impl ToolError {
    /// A usage error (exit 2).
    pub fn usage(msg: impl Into<String>) -> Self {
        ToolError::Usage(msg.into())
    }

    /// A run-time failure (exit 1).
    pub fn failed(msg: impl Into<String>) -> Self {
        ToolError::Failed(msg.into())
    }

    /// The process exit code Juju uses for this outcome.
    pub fn exit_code(&self) -> i32 {
        match self {
            ToolError::Usage(_) => 2,
            ToolError::Failed(_) => 1,
            ToolError::Help(_) => 0,
        }
    }

    /// What the tool writes to stderr.
    pub fn stderr(&self) -> String {
        match self {
            ToolError::Usage(m) | ToolError::Failed(m) => format!("ERROR {m}\n"),
            ToolError::Help(_) => String::new(),
        }
    }

    /// What the tool writes to stdout.
    pub fn stdout(&self) -> Vec<u8> {
        match self {
            ToolError::Help(text) => text.clone().into_bytes(),
            _ => Vec::new(),
        }
    }
}
