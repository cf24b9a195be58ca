//! The async Pebble client: one persistent connection, every call retried by policy.
//!
//! One file per endpoint group: [`system`](Client::system_info), changes, services, layers,
//! files, checks, signals, identities, notices.
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), pebble_client::Error> {
//! use std::time::Duration;
//! use pebble_client::{Client, Layer, Service};
//!
//! let client = Client::for_container("web")?;
//! let mut layer = Layer::default();
//! layer.services.insert("web".into(), Service::replace("/bin/web").enabled());
//! client.add_layer("web", &layer, true).await?;
//! let change = client.replan_services().await?;
//! client.wait_change_ok(&change, Duration::from_secs(30)).await?;
//! # Ok(()) }
//! ```

mod builder;
mod changes;
mod checks;
mod files;

mod identities;
mod layers;
mod logs;
mod multipart_stream;
mod notices;
mod paths;
mod services;
mod signals;
mod system;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

pub use builder::ClientBuilder;
pub use files::PulledFile;
pub use logs::LogFollower;

use crate::envelope::Envelope;
use crate::error::Error;
use crate::retry::{Call, RetryPolicy};
use crate::transport::{RawRequest, RawResponse, Transport};
use crate::types::notice::percent_encode_into;

/// A Pebble client. Cheap to clone: clones share the connection.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Arc<Transport>,
    retry: RetryPolicy,
}

impl Client {
    /// A builder for a client of the socket at `socket_path`.
    pub fn builder(socket_path: impl AsRef<Path>) -> ClientBuilder {
        ClientBuilder::new(socket_path.as_ref().to_path_buf())
    }

    /// A client with default settings (5 s request timeout, default retry policy). Nothing is
    /// connected until the first call.
    pub fn new(socket_path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder(socket_path).build()
    }

    /// A client for a Juju workload container: `/charm/containers/<name>/pebble.socket`.
    pub fn for_container(name: &str) -> Result<Self, Error> {
        Self::new(format!("/charm/containers/{name}/pebble.socket"))
    }

    /// The same client (sharing its connection) with another retry policy, e.g. for one call.
    pub fn with_retry(&self, policy: RetryPolicy) -> Self {
        Self {
            transport: Arc::clone(&self.transport),
            retry: policy,
        }
    }

    /// The socket path.
    pub fn socket_path(&self) -> &Path {
        self.transport.path()
    }

    /// The retry policy of this client.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.transport.timeout()
    }

    /// Sends `req` under the retry policy, parsing each response with `parse` inside the
    /// attempt (so a `maintenance` error response is retried too).
    ///
    /// Each attempt is bounded by the request timeout or the time left before the policy's
    /// deadline, whichever is shorter (plus the poll time of a long poll), so the deadline
    /// bounds the whole call: see the [`retry`](crate::retry) module docs.
    async fn run<T>(
        &self,
        call: Call,
        req: RawRequest,
        parse: impl Fn(RawResponse) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let transport = &*self.transport;
        let req = &req;
        let parse = &parse;
        #[cfg(feature = "spans")]
        {
            use tracing::Instrument as _;
            let span = tracing::info_span!(
                target: "pebble",
                "pebble",
                otel.name = format_args!("pebble {}", call.name()),
                http.request.method = req.method.as_str(),
                url.path = req.path_and_query.split('?').next().unwrap_or_default(),
                http.response.status_code = tracing::field::Empty,
                attempts = tracing::field::Empty,
            );
            let attempts = std::sync::atomic::AtomicU32::new(0);
            let attempts = &attempts;
            let outer = span.clone();
            return self
                .retry
                .run_within(call, move |left| {
                    let n = attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    let outer = outer.clone();
                    // A span per retry (the first try is the request span itself).
                    let attempt = if n > 1 {
                        tracing::info_span!(target: "pebble", "pebble attempt", attempt = n)
                    } else {
                        tracing::Span::none()
                    };
                    async move {
                        let budget = attempt_budget(transport.timeout(), left);
                        let raw = transport.send(req, budget).await;
                        if let Ok(r) = &raw {
                            outer.record("http.response.status_code", r.status);
                        }
                        outer.record("attempts", n);
                        parse(raw?)
                    }
                    .instrument(attempt)
                })
                .instrument(span)
                .await;
        }
        #[cfg(not(feature = "spans"))]
        self.retry
            .run_within(call, move |left| async move {
                let budget = attempt_budget(transport.timeout(), left);
                parse(transport.send(req, budget).await?)
            })
            .await
    }

    /// Sends `req` and returns the success envelope.
    pub(crate) async fn envelope(&self, call: Call, req: RawRequest) -> Result<Envelope, Error> {
        self.run(call, req, |r| {
            Envelope::parse(r.status, r.content_type.as_deref(), &r.body)
        })
        .await
    }

    /// Sends `req` and decodes the result.
    async fn result<T: DeserializeOwned>(&self, call: Call, req: RawRequest) -> Result<T, Error> {
        self.envelope(call, req).await?.decode()
    }
}

/// The time one attempt may take (before any long-poll time): the request timeout, or the
/// time left before the retry deadline when that is shorter. A deadline already spent (only a
/// zero deadline: the retry loop never starts an attempt past it) leaves the request timeout.
fn attempt_budget(timeout: Duration, left: Duration) -> Duration {
    if left.is_zero() {
        timeout
    } else {
        timeout.min(left)
    }
}

/// `/v1/<prefix>/<percent-encoded id><suffix>`.
fn path_with_id(prefix: &str, id: &str, suffix: &str) -> String {
    let mut p = format!("/v1/{prefix}/");
    percent_encode_into(&mut p, id);
    p.push_str(suffix);
    p
}

/// Appends `?query` when not empty.
fn with_query(path: &str, query: String) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// Turns names into owned strings for a JSON body.
fn names_vec(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded() {
        assert_eq!(
            path_with_id("changes", "4 2", "/wait"),
            "/v1/changes/4%202/wait"
        );
        assert_eq!(with_query("/v1/x", String::new()), "/v1/x");
    }

    fn _assert_send_sync() {
        fn is<T: Send + Sync + Clone + 'static>() {}
        is::<Client>();
    }
}
