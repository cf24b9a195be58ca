//! A `multipart/form-data` body parsed as it arrives, for file reads streamed to disk: the
//! parts' contents are handed out in pieces, never held whole.

use crate::error::Error;

/// The most bytes a part's headers may take.
const MAX_PART_HEAD: usize = 64 * 1024;

/// What the parser found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A part starts: its field name and filename.
    Start {
        /// `name=`.
        name: String,
        /// `filename=`, if any.
        filename: Option<String>,
    },
    /// Some of the current part's content.
    Data(Vec<u8>),
    /// The current part ended.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter.
    Preamble,
    /// Just after a delimiter: `--` (the end) or a line break (a part) follows.
    AfterDelimiter,
    /// In a part's headers.
    Headers,
    /// In a part's content.
    Content,
    /// After the closing delimiter.
    Done,
}

/// The parser; feed it the body with [`feed`](Self::feed).
#[derive(Debug)]
pub(crate) struct PartStream {
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    buf: Vec<u8>,
    state: State,
}

fn malformed(what: &str) -> Error {
    Error::protocol(format!("malformed multipart body: {what}"))
}

impl PartStream {
    /// A parser for parts separated by `boundary`.
    pub(crate) fn new(boundary: &str) -> Self {
        Self {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            buf: Vec::new(),
            state: State::Preamble,
        }
    }

    /// Whether the closing delimiter was seen.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Parses `data`, calling `on` for each event.
    pub(crate) fn feed(
        &mut self,
        data: &[u8],
        on: &mut dyn FnMut(Event) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.buf.extend_from_slice(data);
        loop {
            match self.state {
                State::Done => {
                    self.buf.clear();
                    return Ok(());
                }
                State::Preamble => {
                    // The first delimiter has no line break before it.
                    let first = &self.delimiter[2..];
                    match memchr::memmem::find(&self.buf, first) {
                        Some(i) => {
                            self.buf.drain(..i + first.len());
                            self.state = State::AfterDelimiter;
                        }
                        None => {
                            let keep = first.len().saturating_sub(1).min(self.buf.len());
                            self.buf.drain(..self.buf.len() - keep);
                            return Ok(());
                        }
                    }
                }
                State::AfterDelimiter => {
                    if self.buf.len() < 2 {
                        return Ok(());
                    }
                    match &self.buf[..2] {
                        b"--" => self.state = State::Done,
                        b"\r\n" => {
                            self.buf.drain(..2);
                            self.state = State::Headers;
                        }
                        _ => return Err(malformed("boundary not followed by a line break")),
                    }
                }
                State::Headers => {
                    let Some(end) = memchr::memmem::find(&self.buf, b"\r\n\r\n") else {
                        if self.buf.len() > MAX_PART_HEAD {
                            return Err(malformed("part headers never end"));
                        }
                        return Ok(());
                    };
                    let head = std::str::from_utf8(&self.buf[..end])
                        .map_err(|_| malformed("part headers are not UTF-8"))?
                        .to_owned();
                    self.buf.drain(..end + 4);
                    let (name, filename) = disposition(&head);
                    on(Event::Start {
                        name: name.ok_or_else(|| malformed("part without a name"))?,
                        filename,
                    })?;
                    self.state = State::Content;
                }
                State::Content => match memchr::memmem::find(&self.buf, &self.delimiter) {
                    Some(i) => {
                        if i > 0 {
                            on(Event::Data(self.buf[..i].to_vec()))?;
                        }
                        on(Event::End)?;
                        self.buf.drain(..i + self.delimiter.len());
                        self.state = State::AfterDelimiter;
                    }
                    None => {
                        // All but what could be the start of a delimiter.
                        let keep = (self.delimiter.len() - 1).min(self.buf.len());
                        let ready = self.buf.len() - keep;
                        if ready > 0 {
                            on(Event::Data(self.buf[..ready].to_vec()))?;
                            self.buf.drain(..ready);
                        }
                        return Ok(());
                    }
                },
            }
        }
    }
}

/// The `name` and `filename` of a part's `Content-Disposition`.
fn disposition(head: &str) -> (Option<String>, Option<String>) {
    let mut name = None;
    let mut filename = None;
    for line in head.split("\r\n") {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if !k.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        for (key, value) in crate::multipart::params(v) {
            match key.as_str() {
                "name" => name = Some(value),
                "filename" => filename = Some(value),
                _ => {}
            }
        }
    }
    (name, filename)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(body: &[u8], step: usize) -> Vec<Event> {
        let mut p = PartStream::new("xyz");
        let mut out = Vec::new();
        for piece in body.chunks(step) {
            p.feed(piece, &mut |e| {
                out.push(e);
                Ok(())
            })
            .unwrap();
        }
        assert!(p.is_done());
        // Join adjacent data events, as the split is arbitrary.
        let mut joined: Vec<Event> = Vec::new();
        for e in out {
            match (joined.last_mut(), e) {
                (Some(Event::Data(a)), Event::Data(b)) => a.extend(b),
                (_, e) => joined.push(e),
            }
        }
        joined
    }

    #[test]
    fn parts_come_out_whatever_the_split() {
        let body = b"--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/a\"\r\n\r\nhel\r\nlo\r\n--x\r\n--xyz\r\nContent-Disposition: form-data; name=\"response\"\r\n\r\n{}\r\n--xyz--\r\n";
        for step in [1, 2, 3, 7, 1000] {
            assert_eq!(
                events(body, step),
                [
                    Event::Start {
                        name: "files".into(),
                        filename: Some("/a".into())
                    },
                    Event::Data(b"hel\r\nlo\r\n--x".to_vec()),
                    Event::End,
                    Event::Start {
                        name: "response".into(),
                        filename: None
                    },
                    Event::Data(b"{}".to_vec()),
                    Event::End,
                ],
                "step {step}"
            );
        }
    }
}
