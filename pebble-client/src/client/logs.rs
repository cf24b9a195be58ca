//! `/v1/logs`: the services' recent output, or a stream of it as it comes.

use std::collections::VecDeque;

use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;

use super::{Client, with_query};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::retry::Call;
use crate::transport::http1::ResponseReader;
use crate::transport::{DEFAULT_MAX_BODY, RawRequest, RawResponse, async_conn};
use crate::types::LogEntry;
use crate::types::notice::QueryBuilder;

/// Pebble's content type for logs: one JSON object per line.
const NDJSON: &str = "application/x-ndjson";

fn logs_request(services: &[&str], n: Option<u32>, follow: bool) -> RawRequest {
    let mut q = QueryBuilder::default();
    if !services.is_empty() {
        q.push("services", &services.join(","));
    }
    q.push("n", &n.map_or_else(|| "-1".to_owned(), |n| n.to_string()));
    if follow {
        q.push("follow", "true");
    }
    let mut req = RawRequest::get(with_query("/v1/logs", q.finish()));
    req.accept = NDJSON;
    req
}

fn is_ndjson(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(NDJSON))
    })
}

/// An answer that is not JSON lines: Pebble's error envelope, or a protocol error.
fn not_lines(status: u16, content_type: Option<&str>, body: &[u8]) -> Error {
    match Envelope::parse(status, content_type, body) {
        Err(e) => e,
        Ok(_) => Error::protocol(format!(
            "logs answered HTTP {status} {content_type:?} instead of {NDJSON}"
        )),
    }
}

fn parse_line(line: &[u8]) -> Result<LogEntry, Error> {
    serde_json::from_slice(line).map_err(|e| {
        Error::protocol(format!(
            "log line is not Pebble's {{time, service, message}} ({e}): {:?}",
            String::from_utf8_lossy(&line[..line.len().min(200)])
        ))
    })
}

fn parse_logs(resp: RawResponse) -> Result<Vec<LogEntry>, Error> {
    if resp.status != 200 || !is_ndjson(resp.content_type.as_deref()) {
        return Err(not_lines(
            resp.status,
            resp.content_type.as_deref(),
            &resp.body,
        ));
    }
    resp.body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(parse_line)
        .collect()
}

impl Client {
    /// The services' most recent output (all services when `services` is empty), merged in
    /// time order: the last `n` lines in all, or every line Pebble keeps when `n` is `None`
    /// (Pebble keeps about 100 KiB per service).
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(client: pebble_client::Client) -> Result<(), pebble_client::Error> {
    /// for line in client.logs(&["web"], Some(20)).await? {
    ///     println!("{} [{}] {}", line.time, line.service, line.message);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn logs(&self, services: &[&str], n: Option<u32>) -> Result<Vec<LogEntry>, Error> {
        self.run(Call::GetLogs, logs_request(services, n, false), parse_logs)
            .await
    }

    /// Follows the services' output (all services when `services` is empty): the last `n`
    /// lines first (`Some(0)` for none, `None` for all Pebble keeps), then each new line as
    /// the services write it, read with [`LogFollower::next`].
    ///
    /// The stream has a connection of its own. Opening it is retried by the client's policy
    /// when it never reached Pebble; reading has no time limit (Pebble sends lines when there
    /// are some): bound each `next` with `tokio::time::timeout` as needed. Only services that
    /// have run when the stream opens are followed, as Pebble does.
    pub async fn follow_logs(
        &self,
        services: &[&str],
        n: Option<u32>,
    ) -> Result<LogFollower, Error> {
        let req = logs_request(services, n, true);
        let path = self.socket_path().to_path_buf();
        let timeout = self.timeout();
        let req = &req;
        let path = &path;
        let stream = self
            .retry
            .run(Call::GetLogs, move || async move {
                async_conn::open_stream(path, timeout, req).await
            })
            .await?;
        Ok(LogFollower {
            stream,
            reader: ResponseReader::default(),
            status: None,
            error_body: Vec::new(),
            partial: Vec::new(),
            queue: VecDeque::new(),
            done: false,
        })
    }
}

/// Service output as it comes, from [`Client::follow_logs`]. Dropping it closes the stream.
#[derive(Debug)]
pub struct LogFollower {
    stream: UnixStream,
    reader: ResponseReader,
    /// The status and content type, once the head arrived.
    status: Option<(u16, Option<String>)>,
    /// The body of an error answer, collected whole.
    error_body: Vec<u8>,
    /// The start of a line whose end has not arrived.
    partial: Vec<u8>,
    queue: VecDeque<LogEntry>,
    done: bool,
}

impl LogFollower {
    /// The next line; `None` once Pebble ends the stream (it does when it stops). Waits as
    /// long as it takes.
    ///
    /// # Errors
    /// [`Error::Api`] when Pebble refused the request, [`Error::Protocol`] for a line that is
    /// not Pebble's, [`Error::ConnectionReset`] when the connection breaks.
    pub async fn next(&mut self) -> Result<Option<LogEntry>, Error> {
        loop {
            if let Some(entry) = self.queue.pop_front() {
                return Ok(Some(entry));
            }
            if self.done {
                return Ok(None);
            }
            let n = self
                .stream
                .read_buf(self.reader.buffer())
                .await
                .map_err(|e| Error::ConnectionReset {
                    sent: true,
                    detail: format!("while following the logs: {e}"),
                })?;
            let step = self.reader.advance_stream(n == 0)?;
            if step.head.is_some() {
                self.status = step.head;
            }
            self.done = step.done;
            let ok = self
                .status
                .as_ref()
                .is_some_and(|(s, ct)| *s == 200 && is_ndjson(ct.as_deref()));
            if !ok {
                self.error_body.extend_from_slice(&step.data);
                if self.error_body.len() > DEFAULT_MAX_BODY {
                    return Err(Error::ResponseTooLarge {
                        limit: DEFAULT_MAX_BODY as u64,
                        announced: None,
                    });
                }
                if step.done {
                    let (status, ct) = self.status.clone().unwrap_or((0, None));
                    return Err(not_lines(status, ct.as_deref(), &self.error_body));
                }
                continue;
            }
            self.partial.extend_from_slice(&step.data);
            while let Some(end) = memchr::memchr(b'\n', &self.partial) {
                let line: Vec<u8> = self.partial.drain(..=end).collect();
                let line = &line[..line.len() - 1];
                if !line.is_empty() {
                    self.queue.push_back(parse_line(line)?);
                }
            }
            if self.partial.len() > DEFAULT_MAX_BODY {
                return Err(Error::ResponseTooLarge {
                    limit: DEFAULT_MAX_BODY as u64,
                    announced: None,
                });
            }
        }
    }
}
