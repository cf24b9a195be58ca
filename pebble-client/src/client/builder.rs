//! Building a [`Client`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::Client;
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::transport::{Io, Transport};

/// Settings for a [`Client`]; finish with [`ClientBuilder::build`].
///
/// # Example
/// ```
/// use std::time::Duration;
/// use pebble_client::{Client, retry::RetryPolicy};
/// let client = Client::builder("/charm/containers/web/pebble.socket")
///     .timeout(Duration::from_secs(10))
///     .retry(RetryPolicy::never())
///     .build()?;
/// assert_eq!(client.timeout(), Duration::from_secs(10));
/// # Ok::<(), pebble_client::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    path: PathBuf,
    timeout: Duration,
    retry: RetryPolicy,
}

impl ClientBuilder {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        }
    }

    /// The per-request timeout, connect included (default 5 s). Long polls get this much on
    /// top of their poll time. An attempt is also cut at the retry policy's deadline when
    /// that comes first: see [how long a call can take](crate::retry#how-long-a-call-can-take).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy for every call (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Builds the client. Nothing is connected until the first call.
    pub fn build(self) -> Result<Client, Error> {
        self.build_with(Io::Async)
    }

    /// Builds a client whose transport does its I/O this way (the blocking client builds
    /// one of each: blocking for its calls, async for exec).
    pub(crate) fn build_with(self, io: Io) -> Result<Client, Error> {
        if self.timeout.is_zero() {
            return Err(Error::InvalidArgument {
                message: "the request timeout must be more than zero (e.g. 5 s)".into(),
            });
        }
        Ok(Client {
            transport: Arc::new(Transport::new(self.path, self.timeout, io)),
            retry: self.retry,
        })
    }
}
