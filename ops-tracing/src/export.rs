//! Sending a buffered batch: one OTLP/HTTP POST, bounded in time.
//!
//! A small HTTP/1.1 client over `std::net::TcpStream` (with rustls for `https://`, the
//! `https` feature) rather than an HTTP crate: one request per hook, `Connection: close`, and
//! every step under one deadline ([`EXPORT_DEADLINE`]), including the name lookup (which runs
//! on a helper thread, since `getaddrinfo` cannot be given a timeout) and the TLS handshake.
//! See the README's "Charm tracing" for why.

use std::io::{self, Read, Write};
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
    /// The CA certificates to trust for an `https://` collector are not usable: none parse,
    /// or (with no CA given) the system has none.
    #[error("cannot trust the trace collector at {url}: {why}")]
    Ca {
        /// The URL.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// The collector could not be reached, did not answer in time, or (HTTPS) could not be
    /// verified; the spans stay buffered.
    #[error("cannot reach the trace collector at {url}: {source}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The I/O error (a TLS failure is one of kind `InvalidData`, with rustls' error).
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
    /// no answer are retryable; other errors mean the data was refused for good). A CA that
    /// cannot be used keeps the spans too: the relation may bring a good one.
    pub fn retryable(&self) -> bool {
        match self {
            ExportError::Url { .. } | ExportError::Ca { .. } | ExportError::Unreachable { .. } => {
                true
            }
            ExportError::Status { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
        }
    }
}

/// The parts of an `http[s]://host[:port]/path` URL.
#[derive(Debug, PartialEq, Eq)]
struct HttpUrl<'a> {
    tls: bool,
    host: &'a str,
    port: u16,
    path: &'a str,
}

fn parse(url: &str) -> Result<HttpUrl<'_>, ExportError> {
    let bad = |why| ExportError::Url {
        url: url.to_owned(),
        why,
    };
    let (tls, rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
        if !cfg!(feature = "https") {
            return Err(bad(
                "this build of ops-tracing has no HTTPS (its `https` feature is off); the \
                 tracing provider must publish an http:// receiver",
            ));
        }
        (true, rest, 443)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest, 80)
    } else {
        return Err(bad("not an http:// or https:// URL"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
            (h, p.parse().map_err(|_| bad("its port is not a number"))?)
        }
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    Ok(HttpUrl {
        tls,
        host,
        port,
        path,
    })
}

/// POSTs `body` (an encoded `ExportTraceServiceRequest`) to `url`, all within
/// [`EXPORT_DEADLINE`]. For an `https://` URL, the collector's certificate must chain to
/// one of the PEM certificates in `ca` (any of them may be an intermediate), or to the
/// system's CA list when `ca` is `None`; only TLS 1.3 is spoken, as `ops[tracing]` does.
pub fn send(url: &str, ca: Option<&str>, body: &[u8]) -> Result<(), ExportError> {
    send_within(url, ca, body, EXPORT_DEADLINE)
}

/// [`send`] with another deadline.
pub fn send_within(
    url: &str,
    ca: Option<&str>,
    body: &[u8],
    deadline: Duration,
) -> Result<(), ExportError> {
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
    #[cfg(feature = "https")]
    let tls = if target.tls {
        Some(
            crate::tls::client_config(ca).map_err(|why| ExportError::Ca {
                url: url.to_owned(),
                why,
            })?,
        )
    } else {
        None
    };
    #[cfg(not(feature = "https"))]
    let _ = ca;
    let addr =
        resolve(target.host, target.port, left().map_err(unreachable)?).map_err(unreachable)?;
    let tcp =
        TcpStream::connect_timeout(&addr, left().map_err(unreachable)?).map_err(unreachable)?;
    let _ = tcp.set_nodelay(true);
    let default_port = if target.tls { 443 } else { 80 };
    let host = match (target.port == default_port, target.host.contains(':')) {
        (true, false) => target.host.to_owned(),
        (true, true) => format!("[{}]", target.host),
        (false, false) => format!("{}:{}", target.host, target.port),
        (false, true) => format!("[{}]:{}", target.host, target.port),
    };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-protobuf\r\n\
         Content-Length: {}\r\nConnection: close\r\nUser-Agent: ops-rs/{}\r\n\r\n",
        target.path,
        body.len(),
        env!("CARGO_PKG_VERSION"),
    );
    #[cfg(feature = "https")]
    let status = match tls {
        Some(config) => crate::tls::connect(config, target.host, tcp)
            .and_then(|mut stream| exchange(&mut stream, &head, body, &left)),
        None => exchange(&mut { tcp }, &head, body, &left),
    };
    #[cfg(not(feature = "https"))]
    let status = exchange(&mut { tcp }, &head, body, &left);
    let status = status.map_err(unreachable)?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(ExportError::Status {
            url: url.to_owned(),
            status,
        })
    }
}

/// A connection to the collector: plain TCP, or TLS over it.
pub(crate) trait Connection: Read + Write {
    /// The socket underneath, whose timeouts bound every read and write.
    fn socket(&self) -> &TcpStream;
}

impl Connection for TcpStream {
    fn socket(&self) -> &TcpStream {
        self
    }
}

/// Sends the request and reads up to the end of the response's status line, each step
/// within what is `left` of the deadline.
fn exchange(
    stream: &mut dyn Connection,
    head: &str,
    body: &[u8],
    left: &dyn Fn() -> io::Result<Duration>,
) -> io::Result<u16> {
    stream.socket().set_write_timeout(Some(left()?))?;
    // A TLS handshake reads too, while the first bytes are written.
    stream.socket().set_read_timeout(Some(left()?))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    read_status(stream, left)
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
fn read_status(
    stream: &mut dyn Connection,
    left: &dyn Fn() -> io::Result<Duration>,
) -> io::Result<u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while !buf.windows(2).any(|w| w == b"\r\n") {
        stream.socket().set_read_timeout(Some(left()?))?;
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
                tls: false,
                host: "127.0.0.1",
                port: 4318,
                path: "/v1/traces"
            }
        );
        assert_eq!(
            parse("http://tempo/v1/traces").unwrap(),
            HttpUrl {
                tls: false,
                host: "tempo",
                port: 80,
                path: "/v1/traces"
            }
        );
        assert_eq!(parse("http://[::1]:9/x").unwrap().host, "::1");
        let https = parse("https://tempo/v1/traces");
        if cfg!(feature = "https") {
            let https = https.unwrap();
            assert!(https.tls);
            assert_eq!(https.port, 443);
        } else {
            assert!(https.is_err());
        }
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
        send(&url, None, b"abc").unwrap();
        let got = String::from_utf8(t.join().unwrap()).unwrap();
        assert!(got.starts_with("POST /v1/traces HTTP/1.1\r\n"), "{got}");
        assert!(got.contains("Content-Type: application/x-protobuf\r\n"));
        assert!(got.contains("Content-Length: 3\r\n"));
    }

    #[test]
    fn an_error_status_says_whether_to_keep_the_spans() {
        let (url, t) = one_answer("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let e = send(&url, None, b"abc").unwrap_err();
        t.join().unwrap();
        assert!(e.retryable(), "{e}");
        let (url, t) = one_answer("HTTP/1.1 400 Bad Request\r\n\r\n");
        let e = send(&url, None, b"abc").unwrap_err();
        t.join().unwrap();
        assert!(!e.retryable(), "{e}");
        assert!(e.to_string().contains("400"));
    }

    #[test]
    fn a_silent_collector_costs_the_deadline_not_more() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/traces", l.local_addr().unwrap());
        let e = send_within(&url, None, b"abc", Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, ExportError::Unreachable { .. }), "{e}");
        assert!(e.retryable());
        drop(l);
    }

    #[test]
    fn nobody_listening_is_unreachable() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/traces", l.local_addr().unwrap());
        drop(l);
        let e = send(&url, None, b"abc").unwrap_err();
        assert!(matches!(e, ExportError::Unreachable { .. }), "{e}");
    }
}
