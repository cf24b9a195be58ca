//! [`SecretRef`]: a secret's id as a value (a `secret`-typed config option, an id read from
//! relation data), turned into a [`Secret`] handle without reading it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Model, ModelError, Secret};
use crate::hookcmds::secret::uri::{is_secret_id, unique_identifier};

/// The id of a secret, checked to be one, that becomes a [`Secret`] handle on demand: the
/// type of a `secret` config option in the charm's config struct (Python ops' `load_config`
/// gives a `Secret` there), so the charm gets a secret, not a string.
///
/// Deserializing checks the form only (a secret id, short or full, or a bare unique
/// identifier); whether the secret exists and may be read is known when it is read, as in
/// Juju, which does not check either when the option is set.
///
/// ```
/// use std::sync::Arc;
/// use ops::hookcmds::RecordingRunner;
/// use ops::model::{Model, SecretRef};
/// #[derive(serde::Deserialize)]
/// #[serde(rename_all = "kebab-case")]
/// struct Config { api_token: Option<SecretRef> }
///
/// let runner = RecordingRunner::new(|call| match call.tool.as_str() {
///     "config-get" => Ok(br#"{"api-token": "secret:cr0ahn1dqe3k7mqmsc2g"}"#.to_vec()),
///     "secret-get" => Ok(br#"{"token": "t0k3n"}"#.to_vec()),
///     _ => Ok(Vec::new()),
/// });
/// let model = Model::new(Arc::new(runner.clone()), "web/0");
/// let config: Config = model.config()?;
/// let token = config.api_token.expect("set");
/// assert_eq!(token.unique_identifier(), "cr0ahn1dqe3k7mqmsc2g");
/// let mut secret = token.secret(&model); // no secret-get yet
/// assert_eq!(runner.lines(), ["config-get --format=json"]);
/// assert_eq!(secret.content()?.get("token"), Some("t0k3n"));
///
/// let bad = serde_json::from_str::<SecretRef>(r#""not a secret""#).unwrap_err();
/// assert!(bad.to_string().contains("not a secret id"), "{bad}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretRef(String);

impl SecretRef {
    /// The id `id`, if it is a secret id.
    pub fn new(id: &str) -> Result<Self, ModelError> {
        if is_secret_id(id) {
            Ok(SecretRef(id.trim().to_owned()))
        } else {
            Err(ModelError::Invalid(format!(
                "{id:?} is not a secret id (secret:<id>, secret://<model>/<id> or <id>)"
            )))
        }
    }

    /// The id as given.
    pub fn id(&self) -> &str {
        &self.0
    }

    /// The secret's unique identifier (the last part of the id).
    pub fn unique_identifier(&self) -> &str {
        unique_identifier(&self.0)
    }

    /// The secret, not read yet: no hook tool runs until a method of [`Secret`] needs one
    /// (see [`Model::secret`]).
    pub fn secret(&self, model: &Model) -> Secret {
        model.secret(Some(&self.0), None)
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({:?})", self.0)
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SecretRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        SecretRef::new(&id).map_err(serde::de::Error::custom)
    }
}
