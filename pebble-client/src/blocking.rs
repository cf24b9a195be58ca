//! A blocking Pebble client for synchronous code, mirroring the async [`crate::Client`].
//!
//! Requests go over a plain blocking socket: one write and (for Pebble's short answers) one
//! read each, with the same HTTP/1.1 codec, retry policy and errors as the async client.
//! Each client also owns a small current-thread tokio runtime, for retry back-off and for
//! [`exec`](Client::exec), whose websockets are pumped while it waits (exec uses an async
//! connection of its own). Clones share the runtime and the connections. It **must not be
//! called from inside an async runtime**: calls there return [`Error::BlockingInRuntime`]
//! instead of blocking the executor (and do not panic). Drop it outside any runtime too.
//!
//! # Example
//! ```no_run
//! let client = pebble_client::blocking::Client::for_container("web")?;
//! let services = client.get_services(&[])?;
//! # Ok::<(), pebble_client::Error>(())
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::transport::Io;
use crate::types::{
    AddNotice, Change, ChangeId, ChangeSelect, CheckInfo, CheckLevel, FileInfo, Health, Identity,
    Layer, ListFilesOptions, LogEntry, MakeDirOptions, Notice, NoticeId, NoticesQuery, Plan,
    PushOptions, RefreshedCheck, RemoveOptions, ServiceInfo, SystemInfo,
};
use crate::{ClientBuilder as AsyncBuilder, ExecOptions, PulledFile};

pub use crate::exec::blocking::{ExecProcess, ExecReader, ExecStdin};

/// Service output as it comes, from [`Client::follow_logs`].
#[derive(Debug)]
pub struct LogFollower {
    inner: crate::LogFollower,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl LogFollower {
    /// The next line, waiting up to `timeout`: `Ok(None)` once Pebble ends the stream, a
    /// [`TimeoutPhase::Response`](crate::TimeoutPhase) timeout when no line came in time (the
    /// stream stays usable).
    pub fn next(&mut self, timeout: Duration) -> Result<Option<LogEntry>, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInRuntime);
        }
        let inner = &mut self.inner;
        self.runtime.block_on(async {
            tokio::time::timeout(timeout, inner.next())
                .await
                .unwrap_or(Err(Error::Timeout {
                    phase: crate::TimeoutPhase::Response,
                    after: timeout,
                }))
        })
    }
}

/// The blocking client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client whose transport blocks: every call but exec.
    inner: crate::Client,
    /// The same settings over an async transport: exec, and [`Client::as_async`].
    async_client: crate::Client,
    runtime: Arc<tokio::runtime::Runtime>,
}

/// Settings for a blocking [`Client`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    inner: AsyncBuilder,
}

impl ClientBuilder {
    /// The per-request timeout (default 5 s).
    pub fn timeout(self, timeout: Duration) -> Self {
        Self {
            inner: self.inner.timeout(timeout),
        }
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(self, policy: RetryPolicy) -> Self {
        Self {
            inner: self.inner.retry(policy),
        }
    }

    /// Builds the client and its runtime. Nothing is connected until the first call.
    pub fn build(self) -> Result<Client, Error> {
        let async_client = self.inner.clone().build()?;
        let inner = self.inner.build_with(Io::Blocking)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::InvalidArgument {
                message: format!("cannot start the blocking client's runtime: {e}"),
            })?;
        Ok(Client {
            inner,
            async_client,
            runtime: Arc::new(runtime),
        })
    }
}

macro_rules! mirror {
    ($( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        $(
            #[doc = concat!("Blocking [`crate::Client::", stringify!($name), "`].")]
            pub fn $name(&self $(, $arg: $ty)*) -> Result<$ret, Error> {
                self.block(self.inner.$name($($arg),*))
            }
        )*
    };
}

impl Client {
    /// A builder for a client of the socket at `socket_path`.
    pub fn builder(socket_path: impl AsRef<Path>) -> ClientBuilder {
        ClientBuilder {
            inner: crate::Client::builder(socket_path),
        }
    }

    /// A client with default settings.
    pub fn new(socket_path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder(socket_path).build()
    }

    /// A client for a Juju workload container: `/charm/containers/<name>/pebble.socket`.
    pub fn for_container(name: &str) -> Result<Self, Error> {
        Self::new(format!("/charm/containers/{name}/pebble.socket"))
    }

    /// The same client (sharing connections and runtime) with another retry policy.
    pub fn with_retry(&self, policy: RetryPolicy) -> Self {
        Self {
            inner: self.inner.with_retry(policy.clone()),
            async_client: self.async_client.with_retry(policy),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// An async client with the same socket, timeout and retry policy, for async code (it
    /// has a connection of its own).
    pub fn as_async(&self) -> &crate::Client {
        &self.async_client
    }

    fn block<T>(&self, fut: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInRuntime);
        }
        self.runtime.block_on(fut)
    }

    /// Blocking [`crate::Client::exec`]: the process's streams are `std::io` readers and
    /// writers, and its calls block (each bounded like the async ones).
    pub fn exec(&self, options: &ExecOptions) -> Result<ExecProcess, Error> {
        let process = self.block(self.async_client.exec(options))?;
        Ok(ExecProcess::new(process, Arc::clone(&self.runtime)))
    }

    mirror! {
        fn system_info(&self) -> SystemInfo;
        fn health(&self, level: CheckLevel, names: &[&str]) -> Health;
        fn get_changes(&self, select: ChangeSelect, service: Option<&str>) -> Vec<Change>;
        fn get_change(&self, id: &ChangeId) -> Change;
        fn abort_change(&self, id: &ChangeId) -> Change;
        fn wait_change(&self, id: &ChangeId, timeout: Duration) -> Change;
        fn wait_change_ok(&self, id: &ChangeId, timeout: Duration) -> Change;
        fn get_services(&self, names: &[&str]) -> Vec<ServiceInfo>;
        fn start_services(&self, names: &[&str]) -> ChangeId;
        fn stop_services(&self, names: &[&str]) -> ChangeId;
        fn restart_services(&self, names: &[&str]) -> ChangeId;
        fn autostart_services(&self) -> ChangeId;
        fn replan_services(&self) -> ChangeId;
        fn add_layer(&self, label: &str, layer: &Layer, combine: bool) -> ();
        fn add_layer_yaml(&self, label: &str, yaml: &str, combine: bool) -> ();
        fn get_plan(&self) -> Plan;
        fn get_plan_yaml(&self) -> String;
        fn pull(&self, path: &str) -> Bytes;
        fn pull_many(&self, paths: &[&str]) -> Vec<PulledFile>;
        fn push(&self, path: &str, content: impl Into<Bytes>, options: &PushOptions) -> ();
        fn list_files(&self, path: &str, options: &ListFilesOptions) -> Vec<FileInfo>;
        fn make_dir(&self, path: &str, options: &MakeDirOptions) -> ();
        fn remove_path(&self, path: &str, options: &RemoveOptions) -> ();
        fn get_checks(&self, level: CheckLevel, names: &[&str]) -> Vec<CheckInfo>;
        fn start_checks(&self, names: &[&str]) -> Vec<String>;
        fn stop_checks(&self, names: &[&str]) -> Vec<String>;
        fn refresh_check(&self, name: &str) -> RefreshedCheck;
        fn send_signal(&self, signal: &str, services: &[&str]) -> ();
        fn get_identities(&self) -> BTreeMap<String, Identity>;
        fn add_identities(&self, identities: &BTreeMap<String, Identity>) -> ();
        fn update_identities(&self, identities: &BTreeMap<String, Identity>) -> ();
        fn replace_identities(&self, identities: &BTreeMap<String, Option<Identity>>) -> ();
        fn remove_identities(&self, names: &[&str]) -> ();
        fn get_notices(&self, query: &NoticesQuery) -> Vec<Notice>;
        fn get_notice(&self, id: &NoticeId) -> Notice;
        fn notify(&self, notice: &AddNotice) -> NoticeId;
        fn logs(&self, services: &[&str], n: Option<u32>) -> Vec<LogEntry>;
        fn push_file(&self, source: impl AsRef<Path>, dest: &str, options: &PushOptions) -> ();
        fn pull_file(&self, source: &str, dest: impl AsRef<Path>) -> ();
        fn push_path(&self, source: impl AsRef<Path>, dest_dir: &str) -> ();
        fn pull_path(&self, source: &str, dest_dir: impl AsRef<Path>) -> ();
    }

    /// Blocking [`crate::Client::follow_logs`]: each [`LogFollower::next`] blocks, bounded by
    /// the timeout it is given.
    pub fn follow_logs(&self, services: &[&str], n: Option<u32>) -> Result<LogFollower, Error> {
        let inner = self.block(self.async_client.follow_logs(services, n))?;
        Ok(LogFollower {
            inner,
            runtime: Arc::clone(&self.runtime),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_inside_a_runtime() {
        let client = Client::new("/nonexistent/pebble.socket").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt.block_on(async { client.system_info() }).unwrap_err();
        assert!(matches!(err, Error::BlockingInRuntime));
        drop(rt);
    }

    #[test]
    fn missing_socket_is_socket_not_found() {
        let client = Client::builder("/nonexistent/pebble.socket")
            .retry(RetryPolicy::never())
            .build()
            .unwrap();
        let err = client.system_info().unwrap_err();
        assert!(matches!(err, Error::SocketNotFound { .. }), "{err}");
    }
}
