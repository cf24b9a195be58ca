//! [`TlsRequirer`]: the requirer side as an ops-rs [`Component`].

mod handlers;
mod pass;
mod query;
mod secrets;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ops::event::EventKind;
use ops::framework::{Charm, Component, ComponentObservers};
use ops::model::Model;
use serde::{Deserialize, Serialize};

pub use query::AssignedCertificate;

use super::error::ConfigError;
use super::key::{KeyAlgorithm, PrivateKey};
use super::request::{CertificateRequest, Mode};

/// A function that works out a mode's certificate requests when a hook needs them (from
/// config, addresses, ...). Its error is logged and the mode's CSRs are left as they are.
pub type RequestsFn =
    dyn Fn(&Model) -> Result<Vec<CertificateRequest>, Box<dyn std::error::Error + Send + Sync>>;

/// Where a mode's requests come from.
enum Source {
    Fixed(Vec<CertificateRequest>),
    Computed(Box<RequestsFn>),
}

/// The requirer of one `tls-certificates` endpoint: generates and keeps the private key,
/// puts a CSR per request in the relation, stores and announces the certificates the
/// provider issues, and renews them before they expire.
///
/// Register it with [`Observers::component`](ops::framework::Observers::component) and observe
/// its events ([`CertificateAvailable`](super::CertificateAvailable),
/// [`CertificateRevoked`](super::CertificateRevoked),
/// [`CertificateDenied`](super::CertificateDenied)) under its key. See the
/// [module docs](super) for an example and for what it does on each event.
pub struct TlsRequirer {
    endpoint: String,
    sources: BTreeMap<Mode, Vec<Source>>,
    key_algorithm: KeyAlgorithm,
    renewal_relative_time: f64,
    refresh: Vec<EventKind>,
    /// The keys read or made in this dispatch; `None`: looked for, not there.
    keys: BTreeMap<Mode, Option<PrivateKey>>,
}

impl fmt::Debug for TlsRequirer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let modes: Vec<String> = self
            .sources
            .iter()
            .map(|(mode, sources)| {
                let fixed: usize = sources
                    .iter()
                    .map(|s| match s {
                        Source::Fixed(r) => r.len(),
                        Source::Computed(_) => 0,
                    })
                    .sum();
                let computed = sources.iter().any(|s| matches!(s, Source::Computed(_)));
                format!(
                    "{mode}: {fixed} fixed{}",
                    if computed { " + computed" } else { "" }
                )
            })
            .collect();
        f.debug_struct("TlsRequirer")
            .field("endpoint", &self.endpoint)
            .field("requests", &modes)
            .field("key_algorithm", &self.key_algorithm)
            .field("renewal_relative_time", &self.renewal_relative_time)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TlsRequirer`].
#[must_use]
pub struct TlsRequirerBuilder {
    inner: TlsRequirer,
}

impl fmt::Debug for TlsRequirerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl TlsRequirer {
    /// A builder for the requirer of `endpoint` (the `requires` endpoint of interface
    /// `tls-certificates` in the charm's metadata): no requests, RSA-2048 keys, renewal at
    /// 90% of the remaining validity, no refresh events.
    pub fn builder(endpoint: &str) -> TlsRequirerBuilder {
        TlsRequirerBuilder {
            inner: TlsRequirer {
                endpoint: endpoint.to_owned(),
                sources: BTreeMap::new(),
                key_algorithm: KeyAlgorithm::default(),
                renewal_relative_time: 0.9,
                refresh: Vec::new(),
                keys: BTreeMap::new(),
            },
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The modes this requirer makes requests in.
    pub fn modes(&self) -> impl Iterator<Item = Mode> + '_ {
        self.sources.keys().copied()
    }

    /// The requests of `mode` as they stand in this hook (computed ones are asked for now).
    pub(crate) fn requests(
        &self,
        model: &Model,
        mode: Mode,
    ) -> Result<BTreeSet<CertificateRequest>, String> {
        let mut all = BTreeSet::new();
        for source in self.sources.get(&mode).into_iter().flatten() {
            match source {
                Source::Fixed(r) => all.extend(r.iter().cloned()),
                Source::Computed(f) => all.extend(f(model).map_err(|e| e.to_string())?),
            }
        }
        Ok(all)
    }
}

impl TlsRequirerBuilder {
    /// Requests a certificate in `mode`.
    pub fn request(mut self, mode: Mode, request: CertificateRequest) -> Self {
        let sources = self.inner.sources.entry(mode).or_default();
        match sources.iter_mut().find_map(|s| match s {
            Source::Fixed(r) => Some(r),
            Source::Computed(_) => None,
        }) {
            Some(fixed) => fixed.push(request),
            None => sources.push(Source::Fixed(vec![request])),
        }
        self
    }

    /// Works out requests of `mode` in each hook that needs them, with `f` (the Python
    /// library's callable `certificate_requests`): for names that come from config or from
    /// the unit's addresses. When `f` fails, the error is logged and the mode's CSRs stay as
    /// they are.
    pub fn requests_from(
        mut self,
        mode: Mode,
        f: impl Fn(&Model) -> Result<Vec<CertificateRequest>, Box<dyn std::error::Error + Send + Sync>>
        + 'static,
    ) -> Self {
        self.inner
            .sources
            .entry(mode)
            .or_default()
            .push(Source::Computed(Box::new(f)));
        self
    }

    /// The kind of key to generate (default: RSA-2048, as the Python library). A key already
    /// in its secret is kept whatever its kind.
    pub fn key_algorithm(mut self, algorithm: KeyAlgorithm) -> Self {
        self.inner.key_algorithm = algorithm;
        self
    }

    /// When to renew: the fraction of a certificate's remaining validity, counted from when
    /// it is received, after which its secret expires and a new CSR is sent (more than 0.5, at
    /// most 1.0; default 0.9).
    pub fn renewal_relative_time(mut self, fraction: f64) -> Self {
        self.inner.renewal_relative_time = fraction;
        self
    }

    /// Also reconciles on `kind` (the Python library's `refresh_events`): `config-changed`
    /// when requests come from config, `leader-elected` for app requests, `update-status` for
    /// a periodic check of expiry.
    pub fn refresh_on(mut self, kind: EventKind) -> Self {
        if !self.inner.refresh.contains(&kind) {
            self.inner.refresh.push(kind);
        }
        self
    }

    /// The requirer, its configuration checked.
    ///
    /// # Errors
    ///
    /// [`ConfigError`]: no endpoint, a renewal time outside (0.5, 1.0], or a fixed request
    /// made in both modes.
    pub fn build(self) -> Result<TlsRequirer, ConfigError> {
        let r = self.inner;
        if r.endpoint.is_empty() {
            return Err(ConfigError::NoEndpoint);
        }
        if !(r.renewal_relative_time > 0.5 && r.renewal_relative_time <= 1.0) {
            return Err(ConfigError::RenewalTime(r.renewal_relative_time));
        }
        let fixed = |mode: Mode| -> Vec<&CertificateRequest> {
            r.sources
                .get(&mode)
                .into_iter()
                .flatten()
                .filter_map(|s| match s {
                    Source::Fixed(v) => Some(v.iter()),
                    Source::Computed(_) => None,
                })
                .flatten()
                .collect()
        };
        let unit = fixed(Mode::Unit);
        if let Some(both) = fixed(Mode::App).into_iter().find(|a| unit.contains(a)) {
            return Err(ConfigError::SameRequestInBothModes(
                both.common_name().unwrap_or_default().to_owned(),
            ));
        }
        Ok(r)
    }
}

/// What the requirer remembers between hooks, in the unit's store with the charm's state
/// (saved and rolled back with it): what spares it hook tools on the next hook, and the
/// refusals it has announced. Losing it costs a few calls once, never correctness: every
/// hint is checked against the secrets before anything is removed for disagreeing with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirerState {
    /// SHA-256 of each announced refusal (its CSR, code and name).
    #[serde(default)]
    denied: BTreeSet<String>,
    /// The unit key's public half (hex): a pass that makes no CSR reads no secret.
    #[serde(default)]
    unit_public_key: Option<String>,
    /// SHA-256 of each certificate stored in its secret, by SHA-256 of its CSR: a certificate
    /// seen before costs no `secret-get`.
    #[serde(default)]
    stored: BTreeMap<String, String>,
}

impl<C: Charm> Component<C> for TlsRequirer {
    type Stored = RequirerState;

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_created(
            &self.endpoint,
            "reconcile_created",
            Self::on_relation_created,
        );
        on.relation_changed(
            &self.endpoint,
            "reconcile_changed",
            Self::on_relation_changed,
        );
        on.relation_broken(&self.endpoint, "clean_up", Self::on_relation_broken);
        on.secret_expired("renew_expired", Self::on_secret_expired);
        on.secret_remove("remove_revision", Self::on_secret_remove);
        // A refresh event that is one of the above would run the pass twice.
        let own = [
            EventKind::relation_created(&self.endpoint),
            EventKind::relation_changed(&self.endpoint),
        ];
        let refresh: Vec<EventKind> = self
            .refresh
            .iter()
            .filter(|k| !own.contains(k))
            .cloned()
            .collect();
        if !refresh.is_empty() {
            on.many("reconcile_refresh", refresh, Self::on_refresh);
        }
    }
}
