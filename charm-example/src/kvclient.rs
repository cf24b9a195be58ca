//! A minimal HTTP/1.1 client for webkv's API on the unit's loopback address.
//!
//! The charm container and the workload container share the pod's network namespace, so the
//! charm reaches the workload on `127.0.0.1`. One request per connection (`Connection:
//! close`), bounded by timeouts; the standard library is enough.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::token::AdminToken;

/// How long to wait for the connection, and then for each read or write.
const TIMEOUT: Duration = Duration::from_secs(5);

/// What went wrong talking to webkv.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// No connection, or it broke.
    #[error("cannot talk to webkv on 127.0.0.1:{port}: {source}")]
    Io {
        /// The port.
        port: u16,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// webkv answered with another status than 200.
    #[error("webkv answered {status}: {body}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The response body (webkv's message), trimmed.
        body: String,
    },
    /// The answer is not HTTP.
    #[error("webkv on 127.0.0.1:{port} answered something that is not HTTP")]
    Malformed {
        /// The port.
        port: u16,
    },
}

/// `PUT /kv/<key>` with `value` as the body and the admin token, if any, as bearer token.
/// `key` must already be URL-safe.
pub fn put(port: u16, key: &str, value: &str, token: Option<&AdminToken>) -> Result<(), KvError> {
    let io = |source| KvError::Io { port, source };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(io)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    let auth = token.map_or_else(String::new, |t| {
        format!("Authorization: Bearer {}\r\n", t.expose())
    });
    let request = format!(
        "PUT /kv/{key} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n{auth}\
         Connection: close\r\n\r\n{value}",
        value.len()
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(io)?;
    let status = response
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or(KvError::Malformed { port })?;
    if status == 200 {
        return Ok(());
    }
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .trim()
        .to_owned();
    Err(KvError::Status { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    /// Serves one connection with `answer`, returning the request's head.
    fn serve_once(answer: &'static str) -> (u16, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            (&stream).write_all(answer.as_bytes()).unwrap();
            head
        });
        (port, handle)
    }

    #[test]
    fn a_put_sends_the_bearer_token_and_accepts_200() {
        let (port, server) = serve_once("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nstored\n");
        put(port, "colour", "blue", Some(&AdminToken::new("tok"))).unwrap();
        let head = server.join().unwrap();
        assert!(head.starts_with("PUT /kv/colour HTTP/1.1\r\n"), "{head}");
        assert!(head.contains("Authorization: Bearer tok\r\n"), "{head}");
        assert!(head.contains("Content-Length: 4\r\n"), "{head}");
    }

    #[test]
    fn other_statuses_carry_webkvs_message() {
        let (port, server) =
            serve_once("HTTP/1.1 507 Insufficient Storage\r\n\r\nthe store is full\n");
        let e = put(port, "k", "v", None).unwrap_err();
        server.join().unwrap();
        assert!(matches!(e, KvError::Status { status: 507, .. }), "{e}");
        assert_eq!(e.to_string(), "webkv answered 507: the store is full");
    }
}
