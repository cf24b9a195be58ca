//! The test-facing view of real service processes: output, exits, pids, and shutdown
//! requests from exit actions.

use super::{LogLine, ProcessBackend, ServiceExit};
use crate::testing::SimPebble;

impl SimPebble {
    /// The process backend, when the simulator runs real processes.
    pub fn processes(&self) -> Option<&ProcessBackend> {
        self.shared.processes.as_ref()
    }

    /// A service's captured stdout and stderr lines, oldest first (empty without real
    /// processes).
    pub fn service_logs(&self, service: &str) -> Vec<LogLine> {
        self.processes()
            .map(|p| p.logs(service))
            .unwrap_or_default()
    }

    /// How a service's last process ended (`None` without real processes, or before any
    /// exit).
    pub fn service_exit(&self, service: &str) -> Option<ServiceExit> {
        self.processes().and_then(|p| p.last_exit(service))
    }

    /// The pid of a service's running process (also its process group id).
    pub fn service_pid(&self, service: &str) -> Option<u32> {
        self.processes().and_then(|p| p.pid(service))
    }

    /// The exit code a service's `shutdown`, `success-shutdown` or `failure-shutdown`
    /// action asked Pebble to exit with (0 or 10), if one did. The simulator keeps serving;
    /// its owner decides what to do (`pebble-sim serve` exits with that code).
    pub fn shutdown_requested(&self) -> Option<i32> {
        *self.shared.shutdown_request.borrow()
    }

    /// Waits until a service's exit action asks for a shutdown; returns the exit code.
    pub async fn wait_shutdown_request(&self) -> i32 {
        let mut rx = self.shared.shutdown_request.subscribe();
        loop {
            if let Some(code) = *rx.borrow_and_update() {
                return code;
            }
            if rx.changed().await.is_err() {
                // The sender lives as long as the simulator, which `self` keeps alive.
                std::future::pending::<()>().await;
            }
        }
    }
}
