//! A typed client for [Pebble](https://github.com/canonical/pebble)'s HTTP API over its unix socket.
//!
//! The crate is split by concern:
//! - [`types`]: Pebble's data types (changes, services, layers and the plan with Pebble's merge
//!   rules, files, checks, notices, identities), free of I/O and shared with the simulated
//!   Pebble. All are re-exported at the crate root.
//! - [`Client`]: the async client, one persistent HTTP/1.1 connection over the unix socket
//!   (the crate's own small HTTP/1.1 codec, driven inline). [`blocking::Client`] mirrors it
//!   for synchronous code over a plain blocking socket: one write and one read per request.
//! - [`retry`]: every call runs through a [`retry::RetryPolicy`] (backoff with full jitter,
//!   bounded by attempts and a deadline; only transient, safe-to-repeat failures).
//! - [`Error`]: one error type whose variants tell a missing socket from a refused
//!   connection, a timeout, an API error, a failed change, a garbled response and a per-path
//!   file error.
//! - [`envelope`] and [`multipart`]: the wire formats, IO-free.
//! - `testing` (feature `testing`): a simulated Pebble speaking the real wire protocol on a
//!   unix socket, with in-memory state and fault injection.
//! - [`Client::exec`]: commands in the workload container over Pebble's task websockets
//!   ([`ExecOptions`], [`ExecProcess`], [`ExecError`]).
//!
//! # The public API, by tier
//!
//! **For clients of Pebble** (charms through `ops::container`, tools) — semver:
//! [`Client`], [`ClientBuilder`] and [`PulledFile`], [`blocking::Client`], the exec types ([`ExecOptions`],
//! [`ExecProcess`], [`ExecOutput`], [`ExecError`], [`ExitStatus`]), the errors ([`Error`],
//! [`ApiError`], [`ChangeError`], [`PathError`], [`TimeoutPhase`], [`Maintenance`]), every
//! type of [`types`] (re-exported at the root), and [`retry::RetryPolicy`] with
//! [`retry::set_sleep_enabled`].
//!
//! **For libraries that build on the client** — documented, may change in a minor release:
//! the rest of [`retry`] (the [`retry::Attempts`] loop, [`retry::Budget`], clocks and
//! sleepers, the per-hook summary, the idempotency table [`retry::Call`]: ops-rs's
//! `resilience` drives these), and the IO-free wire formats [`envelope`] and [`multipart`]
//! (the simulated Pebble shares them).
//!
//! **For tests** — feature `testing`: the simulated Pebble (`testing::SimPebble`), its fault
//! injection and its process backends. It follows the real Pebble's behaviour as closely as
//! tests need and changes with it.
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), pebble_client::Error> {
//! let client = pebble_client::Client::for_container("web")?;
//! let info = client.system_info().await?;
//! println!("Pebble {} (boot {})", info.version, info.boot_id);
//! # Ok(()) }
//! ```

#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
pub mod envelope;
mod error;
mod exec;
pub mod multipart;
pub mod retry;
mod transport;
pub mod types;

pub use client::{Client, ClientBuilder, LogFollower, PulledFile};
pub use error::{ApiError, ChangeError, Error, LocalOp, Maintenance, PathError, TimeoutPhase};
pub use exec::{
    ExecError, ExecOptions, ExecOutput, ExecProcess, ExecReader, ExecStdin, ExitStatus,
};
pub use types::*;

#[cfg(feature = "testing")]
pub mod testing;
