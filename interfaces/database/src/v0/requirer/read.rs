//! [`DatabaseInfo`]: what the provider published on one relation, read as the Python
//! library reads it: secret fields from the secrets named by `secret-<group>`, falling back
//! to the plain databag fields when a group has no secret (a provider without secrets) or
//! its secret cannot be read.

use std::collections::BTreeMap;
use std::fmt;

use ops::model::{Model, ModelError};

use super::super::protocol::{self as p, SecretGroup};
use super::super::{RelationStatus, Sensitive};

/// What the provider published on one relation: connection fields, credentials (from its
/// secrets, or plain), TLS, and what could not be read.
///
/// `Debug` shows the plain fields and only the names of the sensitive ones.
///
/// ```
/// use ops_interface_database::v0::DatabaseInfo;
/// let info = DatabaseInfo::from_fields(
///     4,
///     Some("postgresql-k8s"),
///     [("endpoints", "pg-primary:5432,pg-1:5432")],
///     [("username", "relation-4"), ("password", "s3cret"), ("tls", "True")],
/// );
/// assert_eq!(info.endpoints(), ["pg-primary:5432", "pg-1:5432"]);
/// assert_eq!(info.username(), Some("relation-4"));
/// assert_eq!(info.password().map(|p| p.expose()), Some("s3cret"));
/// assert_eq!(info.tls(), Some(true));
/// assert!(info.is_created());
/// assert!(!format!("{info:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq)]
pub struct DatabaseInfo {
    relation_id: u32,
    remote_app: Option<String>,
    plain: BTreeMap<String, String>,
    sensitive: BTreeMap<String, Sensitive>,
    problems: Vec<String>,
}

impl fmt::Debug for DatabaseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseInfo")
            .field("relation_id", &self.relation_id)
            .field("remote_app", &self.remote_app)
            .field("fields", &self.plain)
            .field(
                "sensitive_fields",
                &self.sensitive.keys().collect::<Vec<_>>(),
            )
            .field("problems", &self.problems)
            .finish()
    }
}

fn split_list(value: Option<&str>) -> Vec<&str> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

impl DatabaseInfo {
    /// Built from fields already read (for tests and for charms that read the bag
    /// themselves): `plain` databag fields, and the `sensitive` ones (the requested secret
    /// fields: credentials, URIs, `tls`, `tls-ca`, ...).
    pub fn from_fields<K1, V1, K2, V2>(
        relation_id: u32,
        remote_app: Option<&str>,
        plain: impl IntoIterator<Item = (K1, V1)>,
        sensitive: impl IntoIterator<Item = (K2, V2)>,
    ) -> DatabaseInfo
    where
        K1: Into<String>,
        V1: Into<String>,
        K2: Into<String>,
        V2: Into<String>,
    {
        DatabaseInfo {
            relation_id,
            remote_app: remote_app.map(str::to_owned),
            plain: plain
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            sensitive: sensitive
                .into_iter()
                .map(|(k, v)| (k.into(), Sensitive::new(v)))
                .collect(),
            problems: Vec::new(),
        }
    }

    /// The relation id.
    pub fn relation_id(&self) -> u32 {
        self.relation_id
    }

    /// The provider application, when Juju names it.
    pub fn remote_app(&self) -> Option<&str> {
        self.remote_app.as_deref()
    }

    /// A plain (not sensitive) field as the provider wrote it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.plain.get(name).map(String::as_str)
    }

    /// A sensitive field (one of the requested secret fields, from a secret or plain).
    pub fn secret_field(&self, name: &str) -> Option<&Sensitive> {
        self.sensitive.get(name)
    }

    /// The database the provider created (may differ from the one requested).
    pub fn database(&self) -> Option<&str> {
        self.field(p::DATABASE)
    }

    /// The read/write endpoints, `host:port` each (empty until published).
    pub fn endpoints(&self) -> Vec<&str> {
        split_list(self.field(p::ENDPOINTS))
    }

    /// The read-only endpoints, `host:port` each.
    pub fn read_only_endpoints(&self) -> Vec<&str> {
        split_list(self.field(p::READ_ONLY_ENDPOINTS))
    }

    /// The database engine's version.
    pub fn version(&self) -> Option<&str> {
        self.field(p::VERSION)
    }

    /// MongoDB's replica set.
    pub fn replset(&self) -> Option<&str> {
        self.field(p::REPLSET)
    }

    /// The databases matching a requested prefix.
    pub fn prefix_databases(&self) -> Vec<&str> {
        split_list(self.field(p::PREFIX_DATABASES))
    }

    /// The relation user's name.
    pub fn username(&self) -> Option<&str> {
        self.secret_field(p::USERNAME).map(Sensitive::expose)
    }

    /// The relation user's password.
    pub fn password(&self) -> Option<&Sensitive> {
        self.secret_field(p::PASSWORD)
    }

    /// The connection URIs (they hold the password).
    pub fn uris(&self) -> Option<&Sensitive> {
        self.secret_field(p::URIS)
    }

    /// The read-only connection URIs.
    pub fn read_only_uris(&self) -> Option<&Sensitive> {
        self.secret_field(p::READ_ONLY_URIS)
    }

    /// Whether the provider serves TLS: providers write `True`/`False`, `true`/`false` or
    /// `enabled`/`disabled`; anything else is `None` (see [`tls_raw`](Self::tls_raw)).
    pub fn tls(&self) -> Option<bool> {
        match self.tls_raw()? {
            "true" | "True" | "enabled" => Some(true),
            "false" | "False" | "disabled" => Some(false),
            _ => None,
        }
    }

    /// The `tls` field as the provider wrote it.
    pub fn tls_raw(&self) -> Option<&str> {
        self.secret_field(p::TLS).map(Sensitive::expose)
    }

    /// The CA chain to trust when TLS is on.
    pub fn tls_ca(&self) -> Option<&str> {
        self.secret_field(p::TLS_CA).map(Sensitive::expose)
    }

    /// The custom entity's name (entity requests).
    pub fn entity_name(&self) -> Option<&str> {
        self.secret_field(p::ENTITY_NAME).map(Sensitive::expose)
    }

    /// The custom entity's password.
    pub fn entity_password(&self) -> Option<&Sensitive> {
        self.secret_field(p::ENTITY_PASSWORD)
    }

    /// Whether the provider is a subordinate that says per unit when it is ready.
    pub fn subordinated(&self) -> bool {
        self.field(p::SUBORDINATED) == Some("true")
    }

    /// The statuses the provider raised on this relation (unreadable entries are skipped
    /// and listed in [`problems`](Self::problems) by the read).
    pub fn statuses(&self) -> Vec<RelationStatus> {
        self.field(p::STATUS)
            .map(|text| RelationStatus::parse_list(text).0)
            .unwrap_or_default()
    }

    /// Whether the provider has created what was asked: a user and password, or an entity
    /// (Python's `is_resource_created`).
    pub fn is_created(&self) -> bool {
        let set = |f: &str| self.secret_field(f).is_some_and(|v| !v.expose().is_empty());
        (set(p::USERNAME) && set(p::PASSWORD)) || set(p::ENTITY_NAME)
    }

    /// What could not be read (a secret that does not resolve, a field that does not
    /// parse), one sentence each, never with a value in it. Each was also logged.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Reads relation `endpoint:relation_id`'s provider data; `requested` are the fields the
    /// requirer asked to receive in secrets.
    pub(crate) fn read(
        model: &Model,
        endpoint: &str,
        relation_id: u32,
        requested: &[String],
    ) -> Result<DatabaseInfo, ModelError> {
        let relation = model.relation(endpoint, relation_id);
        let remote_app = relation.remote_app()?;
        let bag = match relation.remote_app_data()? {
            Some(bag) => bag.get_all()?,
            None => BTreeMap::new(),
        };
        let mut info = DatabaseInfo {
            relation_id,
            remote_app,
            plain: BTreeMap::new(),
            sensitive: BTreeMap::new(),
            problems: Vec::new(),
        };
        let secrets = model.juju_version().has_secrets();
        let mut groups: Vec<SecretGroup> = requested.iter().map(|f| SecretGroup::of(f)).collect();
        groups.sort();
        groups.dedup();
        for group in groups {
            let Some(uri) = bag.get(&group.field()).filter(|_| secrets) else {
                continue;
            };
            let label = group.label(endpoint, relation_id);
            match read_secret(model, uri, &label) {
                Ok(content) => {
                    for field in requested.iter().filter(|f| SecretGroup::of(f) == group) {
                        if let Some(v) = content.get(field.as_str()) {
                            info.sensitive.insert(field.clone(), Sensitive::new(v));
                        }
                    }
                }
                Err(e) => info.problem(format!(
                    "the {} secret of relation {endpoint}:{relation_id} (field {}) cannot be \
                     read ({e}); using the plain databag fields instead, if any",
                    group.as_str(),
                    group.field()
                )),
            }
        }
        for (k, v) in &bag {
            if k == p::SNAPSHOT || k.starts_with(p::SECRET_FIELD_PREFIX) {
                continue;
            }
            if requested.iter().any(|f| f == k) {
                info.sensitive
                    .entry(k.clone())
                    .or_insert_with(|| Sensitive::new(v.as_str()));
            } else {
                info.plain.insert(k.clone(), v.clone());
            }
        }
        if let Some(text) = info.plain.get(p::STATUS).cloned() {
            for e in RelationStatus::parse_list(&text).1 {
                info.problem(format!(
                    "relation {endpoint}:{relation_id}: the provider's `status` field {e}"
                ));
            }
        }
        if let Some(raw) = info.tls_raw()
            && info.tls().is_none()
        {
            let shown = if raw.len() > 20 { "a long value" } else { raw };
            info.problem(format!(
                "relation {endpoint}:{relation_id}: the provider's `tls` field is {shown:?}, \
                 neither true nor false"
            ));
        }
        Ok(info)
    }

    fn problem(&mut self, message: String) {
        tracing::warn!("{message}");
        self.problems.push(message);
    }
}

/// The content of the secret at `uri`, labelled `label` for this unit (so `secret-changed`
/// names it): `secret-get <uri> --label <label>`; if Juju refuses the label (another secret
/// holds it, after the provider replaced its secret), the secret is read by URI alone.
pub(crate) fn read_secret(
    model: &Model,
    uri: &str,
    label: &str,
) -> Result<BTreeMap<String, String>, ModelError> {
    let secret = match model.get_secret(Some(uri), Some(label)) {
        Ok(s) => s,
        Err(ModelError::SecretNotFound { failure }) => {
            return Err(ModelError::SecretNotFound { failure });
        }
        Err(e) => {
            tracing::debug!("reading secret {uri} with label {label} failed ({e}); by URI alone");
            model.get_secret_by_id(uri)?
        }
    };
    let mut secret = secret;
    Ok(secret.content()?.into_map())
}
