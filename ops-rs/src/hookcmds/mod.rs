//! Juju's hook tools (`config-get`, `relation-set`, `status-set`, ...), run as processes.
//!
//! Everything the model does goes through a [`HookToolRunner`]: in production the
//! [`ProcessRunner`] runs the real tools Juju puts on `PATH` (arguments are passed as an
//! argument vector, never through a shell); tests plug in a [`RecordingRunner`] or an
//! in-memory Juju instead.

mod recording;
mod runner;

pub use recording::{RecordingRunner, ToolCall};
pub use runner::{HookToolFailure, HookToolRunner, ProcessRunner};
