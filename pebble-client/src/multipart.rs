//! `multipart/form-data` for the files API: building push bodies and parsing pull responses.
//!
//! Hand-written (about 150 lines) because bodies are small and whole in memory, and a
//! synchronous parser over `&[u8]` is simpler to test than a streaming one. The simulated
//! Pebble may use it too.
//!
//! # Example
//! ```
//! use pebble_client::multipart::{Part, build, parse};
//! let boundary = pebble_client::multipart::random_boundary();
//! assert!(boundary.len() >= 32);
//! let body = build(&boundary, &[
//!     Part::field("request", "application/json", br#"{"action":"write"}"#.to_vec()),
//!     Part::file("/etc/app.conf", b"x = 1\n".to_vec()),
//! ])?;
//! let ct = format!("multipart/form-data; boundary={boundary}");
//! let parts = parse(&ct, &body)?;
//! assert_eq!(parts[1].filename.as_deref(), Some("/etc/app.conf"));
//! assert_eq!(&parts[1].body[..], b"x = 1\n");
//! # Ok::<(), pebble_client::Error>(())
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::Error;

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form field name (`request`, `files`, `response`).
    pub name: String,
    /// The filename parameter (the full path, for files).
    pub filename: Option<String>,
    /// The part's content type.
    pub content_type: Option<String>,
    /// The content.
    pub body: Bytes,
}

impl Part {
    /// A named field with a content type.
    pub fn field(name: &str, content_type: &str, body: impl Into<Bytes>) -> Self {
        Self {
            name: name.to_owned(),
            filename: None,
            content_type: Some(content_type.to_owned()),
            body: body.into(),
        }
    }

    /// A `files` part for `path`, as `application/octet-stream`.
    pub fn file(path: &str, body: impl Into<Bytes>) -> Self {
        Self {
            name: "files".to_owned(),
            filename: Some(path.to_owned()),
            content_type: Some("application/octet-stream".to_owned()),
            body: body.into(),
        }
    }
}

/// A random boundary of 40 hex characters (Pebble requires at least 32).
pub fn random_boundary() -> String {
    let mut s = String::with_capacity(40);
    for _ in 0..40 {
        let d = fastrand::u8(0..16);
        s.push(char::from_digit(u32::from(d), 16).unwrap_or('0'));
    }
    s
}

fn quote(value: &str) -> Result<String, Error> {
    if value.contains(['\r', '\n']) {
        return Err(Error::InvalidArgument {
            message: format!(
                "{value:?} contains a line break, which cannot be sent as a multipart filename"
            ),
        });
    }
    Ok(format!(
        "\"{}\"",
        value.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// Writes `parts` as a multipart body with `boundary`.
pub fn build(boundary: &str, parts: &[Part]) -> Result<Bytes, Error> {
    let mut out = BytesMut::new();
    for part in parts {
        out.put_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!(
            "Content-Disposition: form-data; name={}",
            quote(&part.name)?
        );
        if let Some(f) = &part.filename {
            disposition.push_str(&format!("; filename={}", quote(f)?));
        }
        out.put_slice(disposition.as_bytes());
        out.put_slice(b"\r\n");
        if let Some(ct) = &part.content_type {
            out.put_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.put_slice(b"\r\n");
        out.put_slice(&part.body);
        out.put_slice(b"\r\n");
    }
    out.put_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok(out.freeze())
}

/// Splits `a; b="c; d"; e=f` into parameters, honouring quotes and backslash escapes.
pub(crate) fn params(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = header.chars().peekable();
    // Skip the value before the first ';'.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            chars.next();
            if c == '=' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return out;
        }
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                value.push(c);
            }
            value = value.trim().to_owned();
        }
        out.push((key, value));
    }
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub fn boundary_of(content_type: &str) -> Option<String> {
    let media = content_type.split(';').next()?.trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params(content_type)
        .into_iter()
        .find(|(k, _)| k == "boundary")
        .map(|(_, v)| v)
        .filter(|b| !b.is_empty())
}

/// Where `needle` next occurs in `hay` at or after `from` (a vectorised search: a pulled
/// file's body is scanned for the boundary byte by byte otherwise).
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| p + from)
}

/// Parses a multipart body whose content type is `content_type`.
pub fn parse(content_type: &str, body: &Bytes) -> Result<Vec<Part>, Error> {
    let boundary = boundary_of(content_type).ok_or_else(|| {
        Error::protocol(format!(
            "content type {content_type:?} is not multipart/form-data with a boundary"
        ))
    })?;
    let delim = format!("--{boundary}");
    let next_delim = format!("\r\n--{boundary}");
    let malformed = |what: &str| Error::protocol(format!("malformed multipart body: {what}"));
    let mut pos = find(body, delim.as_bytes(), 0)
        .ok_or_else(|| malformed("no opening boundary"))?
        + delim.len();
    let mut parts = Vec::new();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(parts);
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err(malformed("boundary not followed by a line break"));
        }
        pos += 2;
        let head_end =
            find(body, b"\r\n\r\n", pos).ok_or_else(|| malformed("part headers never end"))?;
        let head = std::str::from_utf8(&body[pos..head_end])
            .map_err(|_| malformed("part headers are not UTF-8"))?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                for (pk, pv) in params(v) {
                    match pk.as_str() {
                        "name" => name = Some(pv),
                        "filename" => filename = Some(pv),
                        _ => {}
                    }
                }
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_owned());
            }
        }
        let start = head_end + 4;
        let end =
            find(body, next_delim.as_bytes(), start).ok_or_else(|| malformed("part never ends"))?;
        parts.push(Part {
            name: name.ok_or_else(|| malformed("part without a name"))?,
            filename,
            content_type,
            body: body.slice(start..end),
        });
        pos = end + next_delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_awkward_content() {
        let b = random_boundary();
        let parts = vec![
            Part::field("request", "application/json", b"{}".to_vec()),
            Part::file(
                "/a \"quoted\" \\ path",
                b"--not-a-boundary\r\n\r\nend".to_vec(),
            ),
            Part::file("/empty", Vec::new()),
        ];
        let body = build(&b, &parts).unwrap();
        let back = parse(&format!("multipart/form-data; boundary=\"{b}\""), &body).unwrap();
        assert_eq!(back, parts);
    }

    #[test]
    fn go_style_response() {
        let body = Bytes::from_static(b"--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/abs/a\"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n--xyz\r\nContent-Disposition: form-data; name=\"response\"\r\nContent-Type: application/json\r\n\r\n{\"type\":\"sync\"}\r\n--xyz--\r\n");
        let parts = parse("multipart/form-data; boundary=xyz", &body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(&parts[0].body[..], b"hello");
        assert_eq!(parts[1].name, "response");
    }

    #[test]
    fn garbage_is_protocol_error() {
        for body in [
            &b"nothing"[..],
            b"--xyz\r\nno headers end",
            b"--xyz\r\n\r\nunterminated",
            b"--xyzjunk",
        ] {
            let err = parse(
                "multipart/form-data; boundary=xyz",
                &Bytes::copy_from_slice(body),
            )
            .unwrap_err();
            assert!(matches!(err, Error::Protocol { .. }));
        }
        assert!(parse("application/json", &Bytes::new()).is_err());
        assert!(build("b", &[Part::file("/a\nb", Vec::new())]).is_err());
    }
}
