//! Service output as `GET /v1/logs` returns it: one JSON object per line.

use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// One line a service wrote (`{"time", "service", "message"}`), without its newline.
///
/// ```
/// let line = r#"{"time":"2024-03-12T03:05:46.086Z","service":"web","message":"listening on :80"}"#;
/// let entry: pebble_client::LogEntry = serde_json::from_str(line)?;
/// assert_eq!(entry.service, "web");
/// assert_eq!(entry.message, "listening on :80");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When Pebble read the line (millisecond precision).
    pub time: Timestamp,
    /// The service that wrote it.
    pub service: String,
    /// The line.
    pub message: String,
}
