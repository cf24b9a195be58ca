//! Sending a buffered batch: one OTLP/HTTP POST, bounded in time.
//!
//! A small HTTP/1.1 client over `std::net::TcpStream` rather than an HTTP crate: one request
//! per hook, `Connection: close`, and every step under one deadline ([`EXPORT_DEADLINE`]),
//! including the name lookup (which runs on a helper thread, since `getaddrinfo` cannot be
//! given a timeout). See the README's "Charm tracing" for why.

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The most time one export may take, from the name lookup to the response's status line.
/// With the buffer's I/O, this bounds what tracing adds to a hook (BENCHMARKS.md).
pub const EXPORT_DEADLINE: Duration = Duration::from_secs(1);

/// Why an export did not deliver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The URL is not one this exporter can send to.
    #[error("cannot send spans to {url:?}: {why}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The collector could not be reached or did not answer in time; the spans stay buffered.
    #[error("cannot reach the trace collector at {url}: {source}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The collector answered with an error status.
    #[error("the trace collector at {url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
}

impl ExportError {
    /// Whether the same spans may be sent again later (OTLP/HTTP: 429, 502, 503, 504 and
    /// no answer are retryable; other errors mean the data was refused for good).
    pub fn retryable(&self) -> bool {
        match self {
            ExportError::Url { .. } | ExportError::Unreachable { .. } => true,
            ExportError::Status { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
        }
    }
}

/// The parts of an `http://host[:port]/path` URL.
#[derive(Debug, PartialEq, Eq)]
struct HttpUrl<'a> {
    host: &'a str,
    port: u16,
    path: &'a str,
}

fn parse(url: &str) -> Result<HttpUrl<'_>, ExportError> {
    let bad = |why| ExportError::Url {
        url: url.to_owned(),
        why,
    };
    if url.starts_with("https://") {
        return Err(bad(
            "HTTPS is not supported by this build of ops-tracing; the tracing provider must \
             publish an http:// receiver",
        ));
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("not an http:// URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
            (h, p.parse().map_err(|_| bad("its port is not a number"))?)
        }
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    Ok(HttpUrl { host, port, path })
}

/// POSTs `body` (an encoded `ExportTraceServiceRequest`) to `url`, all within
/// [`EXPORT_DEADLINE`].
pub fn send(url: &str, body: &[u8]) -> Result<(), ExportError> {
    send_within(url, body, EXPORT_DEADLINE)
}

/// [`send`] with another deadline.
pub fn send_within(url: &str, body: &[u8], deadline: Duration) -> Result<(), ExportError> {
    let target = parse(url)?;
    let start = Instant::now();
    let unreachable = |source: io::Error| ExportError::Unreachable {
        url: url.to_owned(),
        source,
    };
    let left = || {
        deadline
            .checked_sub(start.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "out of time"))
    };
    let addr =
        resolve(target.host, target.port, left().map_err(unreachable)?).map_err(unreachable)?;
    let mut stream =
        TcpStream::connect_timeout(&addr, left().map_err(unreachable)?).map_err(unreachable)?;
    let _ = stream.set_nodelay(true);
    let host = if target.port == 80 {
        target.host.to_owned()
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-protobuf\r\n\
         Content-Length: {}\r\nConnection: close\r\nUser-Agent: ops-rs/{}\r\n\r\n",
        target.path,
        body.len(),
        env!("CARGO_PKG_VERSION"),
    );
    stream
        .set_write_timeout(Some(left().map_err(unreachable)?))
        .map_err(unreachable)?;
    stream.write_all(head.as_bytes()).map_err(unreachable)?;
    stream.write_all(body).map_err(unreachable)?;
    let status = read_status(&mut stream, &left).map_err(unreachable)?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(ExportError::Status {
            url: url.to_owned(),
            status,
        })
    }
}

/// The first address of `host`, looked up on a helper thread so the lookup is bounded too
/// (a thread still stuck in it is left behind; the hook process ends soon after).
fn resolve(host: &str, port: u16, within: Duration) -> io::Result<SocketAddr> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let (tx, rx) = mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("otlp-resolve".into())
        .spawn(move || {
            let _ = tx.send(
                (name.as_str(), port)
                    .to_socket_addrs()
                    .map(|mut a| a.next()),
            );
        })?;
    match rx.recv_timeout(within) {
        Ok(Ok(Some(addr))) => Ok(addr),
        Ok(Ok(None)) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host} has no address"),
        )),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("looking up {host} took too long"),
        )),
    }
}

/// Reads up to the end of the status line and returns the status code.
fn read_status(stream: &mut TcpStream, left: &dyn Fn() -> io::Result<Duration>) -> io::Result<u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while !buf.windows(2).any(|w| w == b"\r\n") {
        stream.set_read_timeout(Some(left()?))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 8 * 1024 {
            break;
        }
    }
    let line = String::from_utf8_lossy(&buf);
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|_| line.starts_with("HTTP/1."));
    status.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the answer is not an HTTP/1.x response",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn urls_are_split_or_refused() {
        assert_eq!(
            parse("http://127.0.0.1:4318/v1/traces").unwrap(),
            HttpUrl {
                host: "127.0.0.1",
                port: 4318,
                path: "/v1/traces"
            }
        );
        assert_eq!(
            parse("http://tempo/v1/traces").unwrap(),
            HttpUrl {
                host: "tempo",
                port: 80,
                path: "/v1/traces"
            }
        );
        assert_eq!(parse("http://[::1]:9/x").unwrap().host, "::1");
        assert!(parse("https://tempo/v1/traces").is_err());
        assert!(parse("tempo:4317").is_err());
        assert!(parse("http://:80/").is_err());
    }

    fn one_answer(status: &'static str) -> (String, std::thread::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/traces", l.local_addr().unwrap());
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut got = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head and the 3-byte body.
            while !got.ends_with(b"abc") {
                let n = s.read(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&chunk[..n]);
            }
            s.write_all(status.as_bytes()).unwrap();
            got
        });
        (url, t)
    }

    #[test]
    fn a_post_carries_protobuf_and_a_2xx_is_success() {
        let (url, t) = one_answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        send(&url, b"abc").unwrap();
        let got = String::from_utf8(t.join().unwrap()).unwrap();
        assert!(got.starts_with("POST /v1/traces HTTP/1.1\r\n"), "{got}");
        assert!(got.contains("Content-Type: application/x-protobuf\r\n"));
        assert!(got.contains("Content-Length: 3\r\n"));
    }

    #[test]
    fn an_error_status_says_whether_to_keep_the_spans() {
        let (url, t) = one_answer("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let e = send(&url, b"abc").unwrap_err();
        t.join().unwrap();
        assert!(e.retryable(), "{e}");
        let (url, t) = one_answer("HTTP/1.1 400 Bad Request\r\n\r\n");
        let e = send(&url, b"abc").unwrap_err();
        t.join().unwrap();
        assert!(!e.retryable(), "{e}");
        assert!(e.to_string().contains("400"));
    }

    #[test]
    fn a_silent_collector_costs_the_deadline_not_more() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/traces", l.local_addr().unwrap());
        let e = send_within(&url, b"abc", Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, ExportError::Unreachable { .. }), "{e}");
        assert!(e.retryable());
        drop(l);
    }

    #[test]
    fn nobody_listening_is_unreachable() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/traces", l.local_addr().unwrap());
        drop(l);
        let e = send(&url, b"abc").unwrap_err();
        assert!(matches!(e, ExportError::Unreachable { .. }), "{e}");
    }
}
