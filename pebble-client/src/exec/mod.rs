//! Running commands in the workload container: `POST /v1/exec` and the task's websockets.
//!
//! [`Client::exec`](crate::Client::exec) starts a command described by [`ExecOptions`] and
//! returns an [`ExecProcess`]: its stdin as an [`AsyncWrite`](tokio::io::AsyncWrite)
//! ([`ExecStdin`]), its stdout and stderr as [`AsyncRead`](tokio::io::AsyncRead)s
//! ([`ExecReader`]), signals and resizes over the control websocket, and
//! [`wait`](ExecProcess::wait) / [`wait_output`](ExecProcess::wait_output) for the exit
//! status Pebble records in the change. A non-zero exit from `wait_output` is an
//! [`ExecError`] with the command, its code and its output.
//!
//! **Nothing hangs.** The POST and each websocket connect are bounded by the client's
//! request timeout; reads, writes and the wait are bounded by the command's timeout plus
//! the request timeout, so a websocket that never opens or stalls ends the call with
//! [`Error::Timeout`](crate::Error::Timeout). (Without a timeout, the wait's long polls are
//! each bounded, but a command that runs for ever is waited for: set a timeout.)
//!
//! **Retries.** The POST is retried only when it never reached Pebble; nothing after it is
//! retried, because repeating it would run the command again.
//!
//! The blocking form is [`blocking::Client::exec`](crate::blocking::Client::exec).

mod control;
mod options;
mod output;
mod process;
mod start;
mod streams;
mod ws;

#[cfg(feature = "blocking")]
pub(crate) mod blocking;

pub use options::ExecOptions;
pub use output::{ExecError, ExecOutput, ExitStatus};
pub use process::ExecProcess;
pub use streams::{ExecReader, ExecStdin};
