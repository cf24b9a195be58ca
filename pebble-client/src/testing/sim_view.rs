//! What a [`ServiceBackend`](crate::testing::ServiceBackend) may see and change of the
//! simulator it runs services for: paths, service statuses, and shutdown requests.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use super::Shared;
use crate::types::ServiceStatus;

/// The simulator as its service backend sees it, given once through
/// [`ServiceBackend::attach`](crate::testing::ServiceBackend::attach).
///
/// It holds the simulator weakly: once the simulator is gone, status reports are dropped.
#[derive(Clone)]
pub struct SimView {
    shared: Weak<Shared>,
    socket: PathBuf,
    root: PathBuf,
}

impl std::fmt::Debug for SimView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimView")
            .field("socket", &self.socket)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl SimView {
    pub(crate) fn new(shared: &Arc<Shared>) -> SimView {
        let socket = std::path::absolute(&shared.socket).unwrap_or_else(|_| shared.socket.clone());
        SimView {
            shared: Arc::downgrade(shared),
            socket,
            root: shared.files.root().to_path_buf(),
        }
    }

    /// The simulator's socket path, made absolute (what workloads get as `PEBBLE_SOCKET`).
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// The host directory container paths are mapped under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Sets a service's `current` status (and `current-since`), waking long polls.
    pub fn set_status(&self, service: &str, status: ServiceStatus) {
        if let Some(shared) = self.shared.upgrade() {
            shared.with(|st, now| {
                st.services.set(service, status, now);
                st.wake = true;
            });
        }
    }

    /// Records that a service's exit action asked Pebble to shut down with `exit_code`
    /// (0 for success, 10 for failure, as Pebble exits). The simulator keeps serving: the
    /// program that owns it decides (see [`SimPebble::shutdown_requested`](crate::testing::SimPebble::shutdown_requested)).
    /// The first request wins.
    pub fn request_shutdown(&self, exit_code: i32) {
        if let Some(shared) = self.shared.upgrade() {
            shared.shutdown_request.send_if_modified(|r| {
                if r.is_none() {
                    *r = Some(exit_code);
                    true
                } else {
                    false
                }
            });
        }
    }
}
