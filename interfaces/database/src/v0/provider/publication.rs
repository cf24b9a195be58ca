//! [`Publication`]: the fields a provider publishes on one relation, typed.

use std::collections::BTreeMap;

use super::super::Sensitive;
use super::super::protocol as p;

/// What a provider publishes on one relation: each field set is written, each left unset is
/// left as it is. Fields the requirer asked to receive in secrets go into Juju secrets (one
/// per group), the rest into the application bag, as the Python provider's `set_*` methods
/// write them.
///
/// ```
/// use ops_interface_database::v0::Publication;
/// let p = Publication::new()
///     .database("myapp")
///     .credentials("relation-7", "s3cret")
///     .endpoints(["pg-primary:5432"])
///     .read_only_endpoints(["pg-replicas:5432"])
///     .version("16.4")
///     .tls(false);
/// let fields = p.fields();
/// assert_eq!(fields["endpoints"], "pg-primary:5432");
/// assert_eq!(fields["tls"], "False");
/// assert!(!format!("{p:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Publication {
    plain: BTreeMap<String, String>,
    sensitive: BTreeMap<String, Sensitive>,
}

impl Publication {
    /// Nothing to publish yet.
    pub fn new() -> Self {
        Publication::default()
    }

    fn plain(mut self, key: &str, value: impl Into<String>) -> Self {
        self.plain.insert(key.to_owned(), value.into());
        self
    }

    fn sensitive(mut self, key: &str, value: impl Into<String>) -> Self {
        self.sensitive.insert(key.to_owned(), Sensitive::new(value));
        self
    }

    /// The database created (`database`; Python's `set_database`).
    #[must_use]
    pub fn database(self, name: impl Into<String>) -> Self {
        self.plain(p::DATABASE, name)
    }

    /// The relation user (`username`, `password`; Python's `set_credentials`).
    #[must_use]
    pub fn credentials(self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.sensitive(p::USERNAME, username)
            .sensitive(p::PASSWORD, password)
    }

    /// The custom entity created (`entity-name`, `entity-password`).
    #[must_use]
    pub fn entity_credentials(self, name: impl Into<String>, password: Option<String>) -> Self {
        let s = self.sensitive(p::ENTITY_NAME, name);
        match password {
            Some(pw) => s.sensitive(p::ENTITY_PASSWORD, pw),
            None => s,
        }
    }

    /// The read/write endpoints, `host:port` each (`endpoints`, comma separated).
    #[must_use]
    pub fn endpoints<S: AsRef<str>>(self, endpoints: impl IntoIterator<Item = S>) -> Self {
        let joined = join(endpoints);
        self.plain(p::ENDPOINTS, joined)
    }

    /// The read-only endpoints (`read-only-endpoints`).
    #[must_use]
    pub fn read_only_endpoints<S: AsRef<str>>(
        self,
        endpoints: impl IntoIterator<Item = S>,
    ) -> Self {
        let joined = join(endpoints);
        self.plain(p::READ_ONLY_ENDPOINTS, joined)
    }

    /// The connection URIs (`uris`).
    #[must_use]
    pub fn uris(self, uris: impl Into<String>) -> Self {
        self.sensitive(p::URIS, uris)
    }

    /// The read-only connection URIs (`read-only-uris`).
    #[must_use]
    pub fn read_only_uris(self, uris: impl Into<String>) -> Self {
        self.sensitive(p::READ_ONLY_URIS, uris)
    }

    /// The engine's version (`version`).
    #[must_use]
    pub fn version(self, version: impl Into<String>) -> Self {
        self.plain(p::VERSION, version)
    }

    /// Whether TLS is on (`tls`, written `True` or `False` as the Python providers do).
    #[must_use]
    pub fn tls(self, enabled: bool) -> Self {
        self.sensitive(p::TLS, if enabled { "True" } else { "False" })
    }

    /// The CA chain clients should trust (`tls-ca`).
    #[must_use]
    pub fn tls_ca(self, ca: impl Into<String>) -> Self {
        self.sensitive(p::TLS_CA, ca)
    }

    /// MongoDB's replica set (`replset`).
    #[must_use]
    pub fn replset(self, replset: impl Into<String>) -> Self {
        self.plain(p::REPLSET, replset)
    }

    /// The databases matching a requested prefix (`prefix-databases`, sorted, comma
    /// separated, as Python's `set_prefix_databases`).
    #[must_use]
    pub fn prefix_databases<S: AsRef<str>>(self, databases: impl IntoIterator<Item = S>) -> Self {
        let mut all: Vec<String> = databases
            .into_iter()
            .map(|s| s.as_ref().to_owned())
            .collect();
        all.sort();
        self.plain(p::PREFIX_DATABASES, all.join(","))
    }

    /// Marks this provider as a subordinate whose units say when they serve
    /// (`subordinated: true`).
    #[must_use]
    pub fn subordinated(self) -> Self {
        self.plain(p::SUBORDINATED, "true")
    }

    /// Any other field (sent in the `extra` secret if the requirer asked for it in
    /// `requested-secrets`, plain otherwise).
    #[must_use]
    pub fn field(self, key: &str, value: impl Into<String>) -> Self {
        self.sensitive(key, value)
    }

    /// Every field with its value as written. Holds credentials: keep it out of logs.
    pub fn fields(&self) -> BTreeMap<String, String> {
        self.plain
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(
                self.sensitive
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expose().to_owned())),
            )
            .collect()
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.sensitive.is_empty()
    }
}

fn join<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}
