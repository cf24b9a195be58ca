//! A service's output: the last lines of its stdout and stderr, bounded in bytes as
//! Pebble's per-service ring buffer is.

use std::collections::VecDeque;
use std::sync::Mutex;

use time::OffsetDateTime;

/// Pebble keeps about this many bytes of output per service.
const MAX_BYTES: usize = 100 * 1024;

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line a service wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When the line was read.
    pub time: OffsetDateTime,
    /// Which pipe it came from.
    pub stream: LogStream,
    /// The line, without its newline (invalid UTF-8 replaced).
    pub message: String,
}

/// The bounded ring of a service's lines; it lives across restarts of the service.
#[derive(Debug)]
pub(crate) struct LogRing {
    inner: Mutex<Ring>,
    /// The sequence number of the last line pushed (0: none yet), for followers.
    pushed: tokio::sync::watch::Sender<u64>,
}

impl Default for LogRing {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            pushed: tokio::sync::watch::channel(0).0,
        }
    }
}

#[derive(Debug, Default)]
struct Ring {
    /// Lines with their sequence numbers (from 1).
    lines: VecDeque<(u64, LogLine)>,
    bytes: usize,
    last: u64,
}

impl LogRing {
    /// Appends a line, dropping the oldest ones past the byte bound.
    pub(crate) fn push(&self, stream: LogStream, message: String) {
        let seq = {
            let mut ring = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            ring.bytes += message.len();
            ring.last += 1;
            let seq = ring.last;
            ring.lines.push_back((
                seq,
                LogLine {
                    time: OffsetDateTime::now_utc(),
                    stream,
                    message,
                },
            ));
            while ring.bytes > MAX_BYTES && ring.lines.len() > 1 {
                if let Some((_, old)) = ring.lines.pop_front() {
                    ring.bytes -= old.message.len();
                }
            }
            seq
        };
        self.pushed.send_replace(seq);
    }

    /// Every kept line, oldest first.
    pub(crate) fn lines(&self) -> Vec<LogLine> {
        let ring = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        ring.lines.iter().map(|(_, l)| l.clone()).collect()
    }

    /// The kept lines after sequence number `after`, with the last sequence number.
    pub(crate) fn lines_after(&self, after: u64) -> (Vec<LogLine>, u64) {
        let ring = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let lines = ring
            .lines
            .iter()
            .filter(|(s, _)| *s > after)
            .map(|(_, l)| l.clone())
            .collect();
        (lines, ring.last)
    }

    /// A receiver that changes at every new line.
    pub(crate) fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.pushed.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_in_order() {
        let ring = LogRing::default();
        ring.push(LogStream::Stdout, "one".into());
        ring.push(LogStream::Stderr, "two".into());
        let lines = ring.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].message, "one");
        assert_eq!(lines[1].stream, LogStream::Stderr);
    }

    #[test]
    fn drops_the_oldest_past_the_bound() {
        let ring = LogRing::default();
        let line = "x".repeat(1024);
        for _ in 0..200 {
            ring.push(LogStream::Stdout, line.clone());
        }
        ring.push(LogStream::Stdout, "last".into());
        let lines = ring.lines();
        assert!(lines.len() <= 100);
        assert_eq!(lines.last().map(|l| l.message.as_str()), Some("last"));
    }
}
