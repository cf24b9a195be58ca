//! HTTP/1.1 as Pebble's client speaks it, without I/O: a request written in one piece, a
//! response read whole.
//!
//! Both connections (async and blocking) share this codec, so they frame requests and read
//! responses identically. A response body is delimited by `Content-Length`, by chunked
//! transfer coding, or by the server closing the connection (RFC 9112 §6.3); interim `1xx`
//! responses are skipped. Anything else Pebble's Go server would never send (a malformed status
//! line or header, a bad chunk size, an oversized head, heads without end) is an
//! [`Error::Protocol`]. A body is buffered up to the request's limit
//! ([`RawRequest::max_body`](super::RawRequest)); past it the read fails with
//! [`Error::ResponseTooLarge`] as soon as the excess is announced or received, so a server
//! announcing or sending an endless body costs at most the limit in memory.

use bytes::Bytes;

use super::{RawRequest, RawResponse};
use crate::error::Error;

/// The most bytes a response's status line and headers may take, interim (1xx) heads before
/// it included (Go's server default is 1 MiB for requests; Pebble's response heads are a few
/// hundred bytes and it sends no interim responses).
const MAX_HEAD: usize = 64 * 1024;
/// The most bytes a chunk-size line (with extensions) or a trailer line may take.
const MAX_LINE: usize = 4 * 1024;
/// How much room to offer each read while the body's length is unknown.
const READ_CHUNK: usize = 8 * 1024;
/// The most room offered for one read of a body of known length: the buffer grows with the
/// bytes that arrive, not with what the head announces.
const MAX_READ: usize = 1024 * 1024;

/// The request's head, and its body appended when small enough that one write is cheaper than
/// two. Returns the bytes to write first and whether the body still has to follow them.
pub(crate) fn encode_request(req: &RawRequest) -> Result<(Vec<u8>, bool), Error> {
    /// Bodies up to this size are copied behind the head, so the request is one write.
    const INLINE_BODY: usize = 64 * 1024;
    check_token_free("request path", &req.path_and_query, |b| {
        b.is_ascii_graphic()
    })?;
    if !req.path_and_query.starts_with('/') {
        return Err(invalid(
            "request path",
            &req.path_and_query,
            "must start with '/'",
        ));
    }
    let mut head = Vec::with_capacity(128 + req.path_and_query.len());
    head.extend_from_slice(req.method.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(req.path_and_query.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\nhost: localhost\r\naccept: ");
    head.extend_from_slice(req.accept.as_bytes());
    head.extend_from_slice(b"\r\n");
    if let Some(ct) = &req.content_type {
        check_token_free("content type", ct, |b| b == b' ' || b.is_ascii_graphic())?;
        head.extend_from_slice(b"content-type: ");
        head.extend_from_slice(ct.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if req.method.has_body() || !req.body.is_empty() {
        head.extend_from_slice(b"content-length: ");
        head.extend_from_slice(req.body.len().to_string().as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    if req.body.len() <= INLINE_BODY {
        head.extend_from_slice(&req.body);
        Ok((head, false))
    } else {
        Ok((head, true))
    }
}

/// The head of a request whose body (`content_length` bytes) is written separately, as it is
/// read from a file.
pub(crate) fn encode_streamed_head(
    req: &RawRequest,
    content_length: u64,
) -> Result<Vec<u8>, Error> {
    let mut empty = req.clone();
    empty.body = Bytes::new();
    let (mut head, _) = encode_request(&empty)?;
    let zero = b"content-length: 0\r\n\r\n";
    if head.ends_with(zero) {
        head.truncate(head.len() - zero.len());
        head.extend_from_slice(format!("content-length: {content_length}\r\n\r\n").as_bytes());
        Ok(head)
    } else {
        Err(Error::InvalidArgument {
            message: "a streamed body needs a POST request".into(),
        })
    }
}

fn check_token_free(what: &str, value: &str, ok: impl Fn(u8) -> bool) -> Result<(), Error> {
    match value.bytes().find(|&b| !ok(b)) {
        None => Ok(()),
        Some(b) => Err(invalid(what, value, &format!("holds the byte {b:#04x}"))),
    }
}

fn invalid(what: &str, value: &str, why: &str) -> Error {
    Error::InvalidArgument {
        message: format!("cannot send {what} {value:?}: it {why}; percent-encode it"),
    }
}

/// A whole response, and whether the connection can carry the next request.
#[derive(Debug)]
pub(crate) struct Complete {
    /// The response.
    pub response: RawResponse,
    /// False when the server asked to close, the body ran to the end of the stream, or bytes
    /// followed the response.
    pub reusable: bool,
}

/// How the body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body (204, 304).
    Empty,
    /// This many bytes.
    Length(usize),
    /// Chunked transfer coding.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// The parts of a head the client uses.
#[derive(Debug)]
struct Head {
    status: u16,
    content_type: Option<String>,
    framing: Framing,
    keep_alive: bool,
}

/// Where a complete body is.
enum Body {
    /// In the receive buffer, at this range.
    Received(std::ops::Range<usize>),
    /// Decoded from chunks.
    Decoded,
}

/// Where chunked decoding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(usize),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
}

/// Reads one response from the bytes a connection receives.
///
/// Append what each read receives to [`buffer`](Self::buffer) (into its spare capacity:
/// nothing is zeroed first), then call [`advance`](Self::advance), until it returns the
/// response.
#[derive(Debug)]
pub(crate) struct ResponseReader {
    /// Bytes received; the part before `start` is consumed.
    buf: Vec<u8>,
    /// Where in `buf` the current part starts (the head, then the body).
    start: usize,
    head: Option<Head>,
    chunk: Chunk,
    /// The decoded body of a chunked response.
    body: Vec<u8>,
    /// How many received bytes were dropped from the front of `buf` (decoded chunks).
    dropped: usize,
    /// The most body bytes this response may have (streamed: the most in one chunk).
    limit: usize,
    /// Streaming: body bytes of a `Content-Length` body still to come.
    remaining: Option<usize>,
    /// Streaming: whether the head was handed out.
    head_reported: bool,
}

/// What a streamed response has produced since the last read.
#[derive(Debug, Default)]
pub(crate) struct Streamed {
    /// The status and content type, the first time they are known.
    pub head: Option<(u16, Option<String>)>,
    /// Body bytes decoded since the last call.
    pub data: Vec<u8>,
    /// Whether the body is complete.
    pub done: bool,
}

impl Default for ResponseReader {
    fn default() -> Self {
        Self::with_limit(super::DEFAULT_MAX_BODY)
    }
}

impl ResponseReader {
    /// A reader that fails with [`Error::ResponseTooLarge`] past `limit` body bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            head: None,
            chunk: Chunk::Size,
            body: Vec::new(),
            dropped: 0,
            limit,
            remaining: None,
            head_reported: false,
        }
    }

    /// For a body read as it comes (a followed log): parses what the last read appended to
    /// [`buffer`](Self::buffer) and returns the head once known and the body bytes decoded
    /// since the last call, dropping them from the reader. No limit applies to the whole
    /// body (only to one chunk).
    pub fn advance_stream(&mut self, eof: bool) -> Result<Streamed, Error> {
        let mut out = Streamed::default();
        if self.head.is_none() {
            match self.parse_head()? {
                Some(head) => self.head = Some(head),
                None if eof => return Err(self.closed_early()),
                None => return Ok(out),
            }
        }
        let Some(head) = self.head.as_ref() else {
            return Ok(out);
        };
        if !self.head_reported {
            self.head_reported = true;
            out.head = Some((head.status, head.content_type.clone()));
        }
        let filled = self.buf.len();
        match head.framing {
            Framing::Empty => out.done = true,
            Framing::Length(len) => {
                let left = *self.remaining.get_or_insert(len);
                let take = left.min(filled - self.start);
                out.data = self.buf[self.start..self.start + take].to_vec();
                self.start += take;
                self.remaining = Some(left - take);
                out.done = left == take;
                if !out.done && eof {
                    return Err(self.closed_early());
                }
            }
            Framing::Chunked => {
                out.done = self.decode_chunks()?;
                out.data = std::mem::take(&mut self.body);
                if !out.done && eof {
                    return Err(self.closed_early());
                }
            }
            Framing::UntilClose => {
                out.data = self.buf[self.start..].to_vec();
                self.start = filled;
                out.done = eof;
            }
        }
        // What is decoded is handed out: keep only what is not parsed yet.
        self.buf.drain(..self.start);
        self.dropped += self.start;
        self.start = 0;
        Ok(out)
    }

    /// The error for a body past the limit.
    fn too_large(&self, announced: Option<u64>) -> Error {
        Error::ResponseTooLarge {
            limit: self.limit as u64,
            announced,
        }
    }

    /// The buffer to append the next read to, with room reserved for it: as much as the rest
    /// of a known-length body (up to 1 MiB at a time), else 8 KiB.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        let want = match self.head.as_ref().map(|h| h.framing) {
            Some(Framing::Length(n)) => self
                .start
                .saturating_add(n)
                .saturating_sub(self.buf.len())
                .clamp(1, MAX_READ),
            _ => READ_CHUNK,
        };
        self.buf.reserve(want);
        &mut self.buf
    }

    /// Parses what the last read appended to [`buffer`](Self::buffer); `eof` when it read
    /// nothing because the server closed the connection. Returns the response once it is whole.
    pub fn advance(&mut self, eof: bool) -> Result<Option<Complete>, Error> {
        let filled = self.buf.len();
        loop {
            if self.head.is_none() {
                match self.parse_head()? {
                    Some(head) => self.head = Some(head),
                    None if eof => return Err(self.closed_early()),
                    None => return Ok(None),
                }
            }
            let Some(framing) = self.head.as_ref().map(|h| h.framing) else {
                continue;
            };
            let done = match framing {
                Framing::Empty => Some(Body::Received(self.start..self.start)),
                Framing::Length(len) if len > self.limit => {
                    return Err(self.too_large(Some(len as u64)));
                }
                Framing::Length(len) => {
                    if filled - self.start >= len {
                        let body = self.start..self.start + len;
                        self.start += len;
                        Some(Body::Received(body))
                    } else if eof {
                        return Err(self.closed_early());
                    } else {
                        None
                    }
                }
                Framing::Chunked => {
                    if self.decode_chunks()? {
                        Some(Body::Decoded)
                    } else if eof {
                        return Err(self.closed_early());
                    } else {
                        self.compact();
                        None
                    }
                }
                Framing::UntilClose => {
                    if filled - self.start > self.limit {
                        return Err(self.too_large(None));
                    }
                    if eof {
                        let body = self.start..filled;
                        self.start = filled;
                        Some(Body::Received(body))
                    } else {
                        None
                    }
                }
            };
            let Some(body) = done else {
                return Ok(None);
            };
            let Some(head) = self.head.take() else {
                continue;
            };
            let leftover = filled > self.start;
            let body = match body {
                // The reader is spent: its buffer becomes the body without a copy.
                Body::Received(range) => {
                    let mut buf = std::mem::take(&mut self.buf);
                    buf.truncate(range.end);
                    Bytes::from(buf).slice(range)
                }
                Body::Decoded => Bytes::from(std::mem::take(&mut self.body)),
            };
            return Ok(Some(Complete {
                reusable: head.keep_alive && !eof && !leftover && framing != Framing::UntilClose,
                response: RawResponse {
                    status: head.status,
                    content_type: head.content_type,
                    body,
                },
            }));
        }
    }

    /// Drops the chunked bytes already decoded into the body, so a long chunked body is held
    /// once, not twice. What is left to move is at most a partial chunk-size line.
    fn compact(&mut self) {
        if self.start >= READ_CHUNK {
            self.buf.drain(..self.start);
            self.dropped += self.start;
            self.start = 0;
        }
    }

    /// The error for a stream that ended before the response did.
    fn closed_early(&self) -> Error {
        let received = self.dropped + self.buf.len();
        let detail = if received == 0 {
            "Pebble closed the connection without answering".to_owned()
        } else {
            format!(
                "Pebble closed the connection {received} bytes into its response, before it was complete"
            )
        };
        Error::ConnectionReset { sent: true, detail }
    }

    /// Parses the head if it is all here, skipping interim (1xx) responses. Every head
    /// received so far counts against [`MAX_HEAD`]: endless interim responses are refused
    /// as one endless head would be.
    fn parse_head(&mut self) -> Result<Option<Head>, Error> {
        loop {
            let received = &self.buf[self.start..];
            let Some(end) = memchr::memmem::find(received, b"\r\n\r\n") else {
                if self.buf.len() > MAX_HEAD {
                    return Err(self.head_too_long());
                }
                return Ok(None);
            };
            if self.start + end > MAX_HEAD {
                return Err(self.head_too_long());
            }
            let head = parse_head(&received[..end])?;
            self.start += end + 4;
            if (100..200).contains(&head.status) {
                continue;
            }
            return Ok(Some(head));
        }
    }

    fn head_too_long(&self) -> Error {
        Error::protocol(format!(
            "the response head (with any interim 1xx responses before it) is longer than {MAX_HEAD} bytes"
        ))
    }

    /// Decodes the chunks received so far; true once the last chunk and trailers are in.
    fn decode_chunks(&mut self) -> Result<bool, Error> {
        loop {
            let received = &self.buf[self.start..];
            match self.chunk {
                Chunk::Size => {
                    let Some(line) = take_line(received)? else {
                        return Ok(false);
                    };
                    let size = parse_chunk_size(&received[..line])?;
                    if self.body.len().saturating_add(size) > self.limit {
                        let so_far = self.body.len().saturating_add(size) as u64;
                        return Err(self.too_large(Some(so_far)));
                    }
                    self.start += line + 2;
                    self.chunk = if size == 0 {
                        Chunk::Trailers
                    } else {
                        // Room for what has arrived, never for what the size line announces:
                        // a size of a TiB would otherwise abort the process.
                        let here = self.buf.len() - self.start;
                        self.body.reserve(size.min(here));
                        Chunk::Data(size)
                    };
                }
                Chunk::Data(left) => {
                    if received.is_empty() {
                        return Ok(false);
                    }
                    let take = left.min(received.len());
                    self.body.extend_from_slice(&received[..take]);
                    self.start += take;
                    self.chunk = if take == left {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left - take)
                    };
                }
                Chunk::DataEnd => {
                    if received.len() < 2 {
                        return Ok(false);
                    }
                    if &received[..2] != b"\r\n" {
                        return Err(Error::protocol(
                            "a chunk of the response body is longer than its size says",
                        ));
                    }
                    self.start += 2;
                    self.chunk = Chunk::Size;
                }
                Chunk::Trailers => {
                    let Some(line) = take_line(received)? else {
                        return Ok(false);
                    };
                    self.start += line + 2;
                    if line == 0 {
                        return Ok(true);
                    }
                }
            }
        }
    }
}

/// The length of the first line (without its CRLF), if it is all here.
fn take_line(received: &[u8]) -> Result<Option<usize>, Error> {
    match memchr::memmem::find(received, b"\r\n") {
        Some(n) if n <= MAX_LINE => Ok(Some(n)),
        Some(_) => Err(Error::protocol(format!(
            "a chunk-size or trailer line of the response is longer than {MAX_LINE} bytes"
        ))),
        None if received.len() > MAX_LINE => Err(Error::protocol(format!(
            "a chunk-size or trailer line of the response is longer than {MAX_LINE} bytes"
        ))),
        None => Ok(None),
    }
}

/// `1a;ext=1` → 26.
fn parse_chunk_size(line: &[u8]) -> Result<usize, Error> {
    let hex = line
        .iter()
        .position(|&b| b == b';')
        .map_or(line, |semi| &line[..semi]);
    let hex = trim(hex);
    let bad = || {
        Error::protocol(format!(
            "bad chunk size {:?} in the response body",
            String::from_utf8_lossy(line)
        ))
    };
    if hex.is_empty() || hex.len() > 15 {
        return Err(bad());
    }
    hex.iter().try_fold(0usize, |acc, &b| {
        let digit = char::from(b).to_digit(16).ok_or_else(bad)?;
        Ok(acc * 16 + digit as usize)
    })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}

/// Parses a status line and headers (without the blank line that ends them), on bytes: only
/// the content type is ever turned into text.
fn parse_head(head: &[u8]) -> Result<Head, Error> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let (version, status) = parse_status_line(status_line)?;
    let mut content_type = None;
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut close = version == 0;
    for line in lines {
        let Some(colon) = memchr::memchr(b':', line) else {
            return Err(Error::protocol(format!(
                "malformed response header {:?}",
                String::from_utf8_lossy(line)
            )));
        };
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return Err(Error::protocol(format!(
                "malformed response header name {:?}",
                String::from_utf8_lossy(name)
            )));
        }
        if name.eq_ignore_ascii_case(b"content-type") {
            if content_type.is_none() {
                let text = std::str::from_utf8(value)
                    .map_err(|_| Error::protocol("the response's content type is not UTF-8"))?;
                content_type = Some(text.to_owned());
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let n = parse_length(value)?;
            if content_length.is_some_and(|m| m != n) {
                return Err(Error::protocol(
                    "the response has two different Content-Length headers",
                ));
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value
                .rsplit(|&b| b == b',')
                .next()
                .map(trim)
                .unwrap_or_default();
            if !last.eq_ignore_ascii_case(b"chunked") {
                return Err(Error::protocol(format!(
                    "unsupported transfer coding {:?} in the response",
                    String::from_utf8_lossy(value)
                )));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|&b| b == b',').map(trim) {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && version == 0 {
                    close = false;
                }
            }
        }
    }
    if status == 101 {
        return Err(Error::protocol(
            "Pebble switched protocols on a request that did not ask to",
        ));
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if chunked {
        // With both, the length is not to be trusted, nor is the connection afterwards.
        if content_length.is_some() {
            close = true;
        }
        Framing::Chunked
    } else if let Some(n) = content_length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok(Head {
        status,
        content_type,
        framing,
        keep_alive: !close,
    })
}

/// `HTTP/1.1 200 OK` → (minor version, status).
fn parse_status_line(line: &[u8]) -> Result<(u8, u16), Error> {
    let bad = || {
        Error::protocol(format!(
            "malformed response status line {:?}",
            String::from_utf8_lossy(line)
        ))
    };
    let rest = line.strip_prefix(b"HTTP/1.").ok_or_else(bad)?;
    let minor = match rest.first() {
        Some(b'0') => 0,
        Some(b'1') => 1,
        _ => return Err(bad()),
    };
    // ` 200` then nothing, or ` 200 ` and a reason phrase.
    let code = match rest.get(1..5) {
        Some([b' ', a, b, c]) if [a, b, c].iter().all(|d| d.is_ascii_digit()) => [*a, *b, *c],
        _ => return Err(bad()),
    };
    if !matches!(rest.get(5), None | Some(b' ')) {
        return Err(bad());
    }
    let status = code
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    if status < 100 {
        return Err(bad());
    }
    Ok((minor, status))
}

fn parse_length(value: &[u8]) -> Result<usize, Error> {
    let bad = || {
        Error::protocol(format!(
            "bad Content-Length {:?} in the response",
            String::from_utf8_lossy(value)
        ))
    };
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    Ok(value
        .iter()
        .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0')))
}

/// A byte allowed in a header name (RFC 9110 `tchar`).
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Method;

    /// Feeds `wire` in pieces of `step` bytes (then EOF if `close`), returning the result.
    fn read(wire: &[u8], step: usize, close: bool) -> Result<Option<Complete>, Error> {
        let mut reader = ResponseReader::default();
        let mut at = 0;
        while at < wire.len() {
            let buf = reader.buffer();
            let n = step.min(buf.capacity() - buf.len()).min(wire.len() - at);
            buf.extend_from_slice(&wire[at..at + n]);
            at += n;
            if let Some(done) = reader.advance(false)? {
                return Ok(Some(done));
            }
        }
        if close {
            return reader.advance(true);
        }
        Ok(None)
    }

    fn whole(wire: &[u8]) -> Complete {
        match read(wire, usize::MAX, false) {
            Ok(Some(c)) => c,
            other => panic!("not whole: {other:?}"),
        }
    }

    #[test]
    fn a_get_is_one_head_without_a_length() {
        let req = RawRequest::get("/v1/services?names=a%20b".into());
        let (bytes, more) = encode_request(&req).unwrap();
        assert!(!more);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "GET /v1/services?names=a%20b HTTP/1.1\r\nhost: localhost\r\naccept: application/json\r\n\r\n"
        );
    }

    #[test]
    fn a_post_carries_its_type_length_and_body() {
        let req = RawRequest::post_json("/v1/services", &serde_json::json!({"action": "start"}));
        let (bytes, more) = encode_request(&req).unwrap();
        assert!(!more);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("POST /v1/services HTTP/1.1\r\n"), "{text}");
        assert!(
            text.contains("content-type: application/json\r\n"),
            "{text}"
        );
        assert!(
            text.ends_with("content-length: 18\r\n\r\n{\"action\":\"start\"}"),
            "{text}"
        );
    }

    #[test]
    fn a_large_body_is_written_after_the_head() {
        let mut req = RawRequest::post_json("/v1/files", &serde_json::json!({}));
        req.body = Bytes::from(vec![b'x'; 100_000]);
        let (head, more) = encode_request(&req).unwrap();
        assert!(more);
        assert!(head.ends_with(b"content-length: 100000\r\n\r\n"));
    }

    #[test]
    fn a_path_or_type_that_would_break_the_head_is_refused() {
        for path in ["/v1/x y", "/v1/x\r\nevil: 1", "v1/x", "/v1/\u{e9}"] {
            let err = encode_request(&RawRequest::get(path.into())).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { .. }),
                "{path:?}: {err}"
            );
        }
        let mut req = RawRequest::post_json("/v1/files", &serde_json::json!({}));
        req.content_type = Some("multipart/form-data\r\nx: y".into());
        assert!(encode_request(&req).is_err());
        assert_eq!(Method::Post.as_str(), "POST");
    }

    #[test]
    fn a_content_length_response_is_read_whole_and_keeps_the_connection() {
        let wire =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello";
        for step in [1, 2, 7, 1000] {
            let done = read(wire, step, false).unwrap().unwrap();
            assert_eq!(done.response.status, 200);
            assert_eq!(
                done.response.content_type.as_deref(),
                Some("application/json")
            );
            assert_eq!(&done.response.body[..], b"hello");
            assert!(done.reusable, "step {step}");
        }
    }

    #[test]
    fn a_chunked_response_is_decoded() {
        let wire = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\n";
        for step in [1, 3, 1000] {
            let done = read(wire, step, false).unwrap().unwrap();
            assert_eq!(&done.response.body[..], b"hello 0123456789", "step {step}");
            assert!(done.reusable);
        }
    }

    #[test]
    fn a_long_chunked_body_is_held_once() {
        let mut reader = ResponseReader::default();
        reader
            .buffer()
            .extend_from_slice(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        let chunk = [b'x'; 1000];
        for _ in 0..1000 {
            let buf = reader.buffer();
            buf.extend_from_slice(b"3e8\r\n");
            buf.extend_from_slice(&chunk);
            buf.extend_from_slice(b"\r\n");
            assert!(reader.advance(false).unwrap().is_none());
        }
        // A million bytes decoded; the receive buffer kept only a read's worth.
        assert_eq!(reader.body.len(), 1_000_000);
        assert!(reader.buf.len() < 2 * READ_CHUNK, "{}", reader.buf.len());
        reader.buffer().extend_from_slice(b"0\r\n\r\n");
        let done = reader.advance(false).unwrap().unwrap();
        assert_eq!(done.response.body.len(), 1_000_000);
        // A stream cut short afterwards still counts every byte received.
        let mut reader = ResponseReader::default();
        reader
            .buffer()
            .extend_from_slice(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        for _ in 0..20 {
            let buf = reader.buffer();
            buf.extend_from_slice(b"3e8\r\n");
            buf.extend_from_slice(&chunk);
            buf.extend_from_slice(b"\r\n");
            assert!(reader.advance(false).unwrap().is_none());
        }
        let err = reader.advance(true).unwrap_err().to_string();
        assert!(err.contains("20187 bytes into its response"), "{err}");
    }

    #[test]
    fn a_body_without_length_runs_to_the_close() {
        let wire = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it";
        assert!(read(wire, 4, false).unwrap().is_none());
        let done = read(wire, 4, true).unwrap().unwrap();
        assert_eq!(&done.response.body[..], b"all of it");
        assert!(!done.reusable);
    }

    #[test]
    fn a_reason_phrase_may_be_absent_or_not_utf8() {
        for wire in [
            &b"HTTP/1.1 200\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 200 \xffk\r\ncontent-length: 0\r\n\r\n",
        ] {
            assert_eq!(whole(wire).response.status, 200);
        }
    }

    #[test]
    fn interim_responses_are_skipped_and_empty_statuses_have_no_body() {
        let done = whole(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(done.response.status, 204);
        assert!(done.response.body.is_empty());
        assert!(done.reusable);
    }

    #[test]
    fn close_and_http_1_0_end_the_connection() {
        let c = whole(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        assert!(!c.reusable);
        let c = whole(b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n");
        assert!(!c.reusable);
        let c = whole(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n");
        assert!(c.reusable);
        // Bytes after the response: the connection's state is unknown.
        let c = whole(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nxHTTP/1.1");
        assert!(!c.reusable);
    }

    #[test]
    fn a_stream_that_ends_early_is_a_reset_after_sending() {
        for wire in [
            &b""[..],
            b"HTTP/1.1 200 OK\r\ncontent-",
            b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel",
        ] {
            let err = read(wire, 3, true).unwrap_err();
            assert!(
                matches!(err, Error::ConnectionReset { sent: true, .. }),
                "{wire:?}: {err}"
            );
        }
        let err = read(b"", 1, true).unwrap_err();
        assert!(err.to_string().contains("without answering"), "{err}");
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        for wire in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/2 200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nbad name: 1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nab\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-type: \xff\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200OK\r\n\r\n",
        ] {
            let err = read(wire, usize::MAX, true).unwrap_err();
            assert!(matches!(err, Error::Protocol { .. }), "{wire:?}: {err}");
        }
    }

    #[test]
    fn an_endless_head_or_chunk_line_is_refused_without_growing_forever() {
        let mut wire = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
        wire.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        let err = read(&wire, 4096, false).unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
        let mut wire = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        wire.extend(std::iter::repeat_n(b'1', MAX_LINE + 10));
        let err = read(&wire, 4096, false).unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
    }

    #[test]
    fn a_length_within_the_limit_is_not_preallocated() {
        let mut reader = ResponseReader::with_limit(usize::MAX);
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 999999999999999\r\n\r\n";
        reader.buffer().extend_from_slice(head);
        assert!(reader.advance(false).unwrap().is_none());
        // Room is reserved for the next read only, not for what the head announces.
        let buf = reader.buffer();
        let room = buf.capacity() - buf.len();
        assert!((1..=4 * MAX_READ).contains(&room), "{room}");
    }

    fn too_large(err: Error) -> (u64, Option<u64>) {
        match err {
            Error::ResponseTooLarge { limit, announced } => (limit, announced),
            other => panic!("not ResponseTooLarge: {other}"),
        }
    }

    #[test]
    fn a_length_past_the_limit_fails_at_the_head() {
        let mut reader = ResponseReader::with_limit(1000);
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 10000000000\r\n\r\n";
        reader.buffer().extend_from_slice(head);
        let err = reader.advance(false).unwrap_err();
        assert!(err.to_string().contains("10000000000"), "{err}");
        assert_eq!(too_large(err), (1000, Some(10_000_000_000)));
        // Exactly the limit is fine.
        let done = whole_with(
            1000,
            &[
                b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n".as_slice(),
                &[b'x'; 1000],
            ]
            .concat(),
        );
        assert_eq!(done.response.body.len(), 1000);
    }

    fn whole_with(limit: usize, wire: &[u8]) -> Complete {
        let mut reader = ResponseReader::with_limit(limit);
        reader.buffer().extend_from_slice(wire);
        reader.advance(false).unwrap().unwrap()
    }

    #[test]
    fn an_endless_chunked_or_unframed_body_stops_at_the_limit() {
        let mut reader = ResponseReader::with_limit(10_000);
        reader
            .buffer()
            .extend_from_slice(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        let mut err = None;
        for _ in 0..100 {
            let buf = reader.buffer();
            buf.extend_from_slice(b"3e8\r\n");
            buf.extend_from_slice(&[b'x'; 1000]);
            buf.extend_from_slice(b"\r\n");
            match reader.advance(false) {
                Ok(None) => {}
                Ok(Some(_)) => panic!("an endless body ended"),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let (limit, _) = too_large(err.expect("the limit was never reached"));
        assert_eq!(limit, 10_000);
        assert!(reader.body.len() <= 10_000);

        let mut reader = ResponseReader::with_limit(10_000);
        reader
            .buffer()
            .extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        let mut err = None;
        for _ in 0..100 {
            reader.buffer().extend_from_slice(&[b'x'; 1000]);
            if let Err(e) = reader.advance(false) {
                err = Some(e);
                break;
            }
        }
        assert_eq!(
            too_large(err.expect("the limit was never reached")),
            (10_000, None)
        );
    }

    #[test]
    fn endless_interim_responses_are_refused() {
        let mut reader = ResponseReader::default();
        let mut err = None;
        for _ in 0..10_000 {
            reader
                .buffer()
                .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            match reader.advance(false) {
                Ok(None) => {}
                Ok(Some(_)) => panic!("no final response was sent"),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let err = err.expect("endless 100 Continue heads were accepted");
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
        assert!(reader.buf.len() <= 2 * MAX_HEAD, "{}", reader.buf.len());
        // A few interim heads are fine.
        let done = whole(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: x\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        assert_eq!(&done.response.body[..], b"ok");
    }

    #[test]
    fn a_huge_chunk_size_is_not_preallocated() {
        // Before, the decoder reserved the announced size: allocation failure, SIGABRT.
        for size in ["FFFFFFFFFFFFFFF", "10000000000"] {
            let mut reader = ResponseReader::with_limit(usize::MAX);
            let head =
                format!("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n{size}\r\nabc");
            reader.buffer().extend_from_slice(head.as_bytes());
            assert!(reader.advance(false).unwrap().is_none());
            assert!(
                reader.body.capacity() < 1024 * 1024,
                "{}",
                reader.body.capacity()
            );
            assert_eq!(reader.body, b"abc");
            // Under the usual limit it fails at the size line.
            let mut reader = ResponseReader::default();
            reader.buffer().extend_from_slice(head.as_bytes());
            let err = reader.advance(false).unwrap_err();
            assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err}");
        }
    }

    #[test]
    fn a_streamed_body_comes_out_as_it_arrives() {
        let mut reader = ResponseReader::default();
        reader.buffer().extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n4\r\nab\n");
        let step = reader.advance_stream(false).unwrap();
        assert_eq!(step.head, Some((200, Some("application/x-ndjson".into()))));
        assert_eq!(step.data, b"ab\n");
        assert!(!step.done);
        reader.buffer().extend_from_slice(b"c\r\n3\r\nde\n\r\n");
        let step = reader.advance_stream(false).unwrap();
        assert_eq!(step.head, None);
        assert_eq!(step.data, b"cde\n");
        reader.buffer().extend_from_slice(b"0\r\n\r\n");
        assert!(reader.advance_stream(false).unwrap().done);
        // A body cut short is an error; one running to the close is complete at the close.
        let mut reader = ResponseReader::default();
        reader
            .buffer()
            .extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
        assert_eq!(reader.advance_stream(false).unwrap().data, b"abc");
        assert!(reader.advance_stream(true).is_err());
        let mut reader = ResponseReader::default();
        reader
            .buffer()
            .extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\nxyz");
        assert_eq!(reader.advance_stream(false).unwrap().data, b"xyz");
        assert!(reader.advance_stream(true).unwrap().done);
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// However the bytes are split, chunked bodies decode to what was encoded.
            #[test]
            fn chunked_bodies_survive_any_split(
                parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 0..6),
                step in 1usize..64,
            ) {
                let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                let mut expect = Vec::new();
                for p in &parts {
                    wire.extend_from_slice(format!("{:x}\r\n", p.len()).as_bytes());
                    wire.extend_from_slice(p);
                    wire.extend_from_slice(b"\r\n");
                    expect.extend_from_slice(p);
                }
                wire.extend_from_slice(b"0\r\n\r\n");
                let done = read(&wire, step, false).unwrap().unwrap();
                prop_assert_eq!(&done.response.body[..], &expect[..]);
                prop_assert!(done.reusable);
            }

            /// Arbitrary bytes never panic: they are a response, an error, or not enough yet.
            #[test]
            fn arbitrary_bytes_never_panic(wire in proptest::collection::vec(any::<u8>(), 0..300), step in 1usize..50, close: bool) {
                let _ = read(&wire, step, close);
            }
        }
    }
}
