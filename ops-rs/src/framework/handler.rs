//! [`HandlerError`] and [`HandlerResult`]: what a handler returns.

use std::error::Error as StdError;
use std::fmt;

/// What every handler returns.
pub type HandlerResult = Result<(), HandlerError>;

/// Why a handler failed: any error, with its chain of sources kept.
///
/// Like `anyhow::Error`, every `std::error::Error + Send + Sync + 'static` converts into it,
/// so `?` works on anything; [`HandlerError::msg`] makes one from a message. When a handler
/// fails, the dispatch rolls back, logs the whole chain once and exits non-zero.
///
/// ```
/// use ops::framework::{HandlerError, HandlerResult};
/// fn parse_port(s: &str) -> HandlerResult {
///     let _port: u16 = s.parse()?; // ParseIntError converts
///     Ok(())
/// }
/// assert!(parse_port("80").is_ok());
/// let e = parse_port("http").unwrap_err();
/// assert_eq!(e.to_string(), "invalid digit found in string");
/// let e = HandlerError::msg("the database is not ready").context("cannot start");
/// assert_eq!(e.chain_message(), "cannot start: caused by the database is not ready");
/// ```
pub struct HandlerError {
    inner: Box<dyn StdError + Send + Sync + 'static>,
}

#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl StdError for Message {}

#[derive(Debug)]
struct Context {
    message: String,
    source: Box<dyn StdError + Send + Sync + 'static>,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Context {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

impl HandlerError {
    /// An error with just a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        HandlerError {
            inner: Box::new(Message(message.to_string())),
        }
    }

    /// Wraps this error in a message saying what was being done.
    #[must_use]
    pub fn context(self, message: impl fmt::Display) -> Self {
        HandlerError {
            inner: Box::new(Context {
                message: message.to_string(),
                source: self.inner,
            }),
        }
    }

    /// The errors in the chain, outermost first.
    pub fn chain(&self) -> impl Iterator<Item = &(dyn StdError + 'static)> {
        let first: &(dyn StdError + 'static) = self.inner.as_ref();
        std::iter::successors(Some(first), |e| (*e).source())
    }

    /// The whole chain on one line: `outer: caused by inner: caused by root`.
    pub fn chain_message(&self) -> String {
        crate::error_chain::error_chain(self.inner.as_ref())
    }

    /// The outermost error, to downcast or inspect.
    pub fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self.inner.as_ref()
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for HandlerError {
    fn from(e: E) -> Self {
        HandlerError { inner: Box::new(e) }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.write_str(&self.chain_message())
        } else {
            fmt::Display::fmt(&self.inner, f)
        }
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HandlerError({:?})", self.chain_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn keeps_the_source_chain() {
        let e: HandlerError = Outer(std::io::Error::other("disk on fire")).into();
        assert_eq!(e.chain().count(), 2);
        assert_eq!(e.chain_message(), "outer: caused by disk on fire");
        assert_eq!(format!("{e:#}"), "outer: caused by disk on fire");
        assert_eq!(format!("{e}"), "outer");
    }

    #[test]
    fn question_mark_works_on_defer_errors() {
        fn h() -> HandlerResult {
            let mut ev = crate::event::Event::framework(&crate::event::EventKind::Commit)
                .ok_or_else(|| HandlerError::msg("no event"))?;
            ev.defer()?;
            Ok(())
        }
        assert!(h().unwrap_err().to_string().contains("cannot defer commit"));
    }
}
