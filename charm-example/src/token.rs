//! The admin token: the bearer token webkv requires for writes.
//!
//! Two sources, chosen by the `admin-token` option:
//!
//! - **The operator's secret** (`admin-token` set to a secret id): read its `token` key,
//!   following the newest revision, so `juju update-secret` takes effect on the
//!   `secret-changed` that follows.
//! - **A secret the charm owns** (`admin-token` unset): the leader generates a random token
//!   once, keeps it in an application-owned secret labelled [`TOKEN_LABEL`], and shares the
//!   secret's **id** (never the token) in the peer relation's application data. Every unit of
//!   the application may read an application-owned secret, so the other units read it from
//!   there; until the leader has shared it, they wait.
//!
//! [`AdminToken`] keeps the value out of logs: it has no `Display`, and its `Debug` is
//! redacted.

use std::fmt;
use std::io::Read;

use ops::model::{Model, ModelError, Secret, SecretContent, SecretMetadata, SecretOwner};

use crate::config::WebkvConfig;

/// The label of the application-owned secret holding a generated token.
pub const TOKEN_LABEL: &str = "webkv-admin-token";
/// The peer relation through which the leader shares the secret's id.
pub const PEER_RELATION: &str = "webkv-peers";
/// The key, in the peer relation's application data, of the secret's id.
pub const PEER_SECRET_ID_KEY: &str = "admin-token-secret-id";
/// The key, in either secret, of the token itself.
pub const TOKEN_KEY: &str = "token";

/// The admin token. Never printed: no `Display`, and `Debug` shows `AdminToken(<redacted>)`.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// Wraps a token read from a secret or a file.
    pub fn new(token: impl Into<String>) -> Self {
        AdminToken(token.into())
    }

    /// The token itself, for the one place that must write it (the workload's config file)
    /// or send it (the `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A new random token: 32 bytes from the kernel's generator, hex-encoded.
    fn generate() -> Result<Self, TokenError> {
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(TokenError::Random)?;
        Ok(AdminToken(
            bytes.iter().map(|b| format!("{b:02x}")).collect(),
        ))
    }
}

/// Where the token stands.
#[derive(Debug)]
pub enum TokenState {
    /// The token to use.
    Ready(AdminToken),
    /// A non-leader waits for the leader to share the token; the message says what is
    /// missing.
    Waiting(String),
}

/// Why the token cannot be obtained.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The operator's secret cannot be read: not granted to the application, or removed.
    #[error(
        "config option 'admin-token': secret {id} cannot be read; grant it with \
         `juju grant-secret {id} webkv`, or unset admin-token"
    )]
    UserSecretUnreadable {
        /// The secret id from the config.
        id: String,
        /// What Juju said.
        #[source]
        source: ModelError,
    },
    /// The operator's secret has no non-empty `token` key.
    #[error(
        "config option 'admin-token': secret {id} has no 'token' key; set one with \
         `juju update-secret {id} token=<value>`"
    )]
    UserSecretWithoutToken {
        /// The secret id from the config.
        id: String,
    },
    /// The charm's own secret has no token: it was changed by hand.
    #[error(
        "the charm's secret {id} (label {TOKEN_LABEL}) has no 'token' key; remove it with \
         `juju remove-secret {id}` so the leader generates a new one"
    )]
    CharmSecretWithoutToken {
        /// The secret's id.
        id: String,
    },
    /// A hook tool failed: not the operator's doing; the hook fails and Juju retries it.
    #[error("cannot {doing}")]
    Model {
        /// What the charm was doing.
        doing: &'static str,
        /// The hook tool's failure.
        #[source]
        source: ModelError,
    },
    /// The random generator could not be read.
    #[error("cannot generate an admin token: /dev/urandom cannot be read")]
    Random(#[source] std::io::Error),
}

impl TokenError {
    /// Whether the operator must act (a config problem: block) rather than the hook fail.
    pub fn is_operator_fixable(&self) -> bool {
        matches!(
            self,
            TokenError::UserSecretUnreadable { .. }
                | TokenError::UserSecretWithoutToken { .. }
                | TokenError::CharmSecretWithoutToken { .. }
        )
    }
}

fn model_err(doing: &'static str) -> impl FnOnce(ModelError) -> TokenError {
    move |source| TokenError::Model { doing, source }
}

/// The token to use, from the source `config` selects (see the module docs). On the leader,
/// creates and shares the charm's secret if there is none yet.
pub fn obtain(model: &Model, config: &WebkvConfig) -> Result<TokenState, TokenError> {
    match &config.admin_token_secret {
        Some(id) => operator_token(model, id).map(TokenState::Ready),
        None => charm_token(model),
    }
}

/// The `token` key of the operator's secret `id`, newest revision.
fn operator_token(model: &Model, id: &str) -> Result<AdminToken, TokenError> {
    let unreadable = |source: ModelError| match source {
        ModelError::SecretNotFound { .. } | ModelError::PermissionDenied { .. } => {
            TokenError::UserSecretUnreadable {
                id: id.to_owned(),
                source,
            }
        }
        other => TokenError::Model {
            doing: "read the admin-token secret",
            source: other,
        },
    };
    let mut secret = model.get_secret_by_id(id).map_err(unreadable)?;
    // Follow the newest revision: an operator updating the secret means "use this token
    // now", and secret-changed (which runs the reconcile) is how Juju says so.
    let content = secret.refresh_content().map_err(unreadable)?;
    token_in(&content).ok_or_else(|| TokenError::UserSecretWithoutToken { id: id.to_owned() })
}

fn token_in(content: &SecretContent) -> Option<AdminToken> {
    content
        .get(TOKEN_KEY)
        .filter(|t| !t.is_empty())
        .map(AdminToken::new)
}

/// The charm's own token: created by the leader, shared through the peer relation.
fn charm_token(model: &Model) -> Result<TokenState, TokenError> {
    let peers = model
        .single_relation(PEER_RELATION)
        .map_err(model_err("find the peer relation"))?;
    // Any unit may read its own application's bag on a peer relation.
    let shared_id = match &peers {
        Some(r) => r
            .local_app_data()
            .get(PEER_SECRET_ID_KEY)
            .map_err(model_err("read the peer relation's application data"))?,
        None => None,
    };
    let leader = model.is_leader().map_err(model_err("check leadership"))?;
    if !leader {
        let Some(id) = shared_id else {
            let message = if peers.is_some() {
                "waiting for the leader to share the admin token"
            } else {
                "waiting for the peer relation to share the admin token"
            };
            return Ok(TokenState::Waiting(message.to_owned()));
        };
        let mut secret = model
            .get_secret_by_id(&id)
            .map_err(model_err("read the shared admin-token secret"))?;
        let content = secret
            .content()
            .map_err(model_err("read the shared admin-token secret"))?;
        return token_in(&content)
            .map(TokenState::Ready)
            .ok_or(TokenError::CharmSecretWithoutToken { id });
    }

    let (mut secret, known_id) = leader_secret(model, shared_id)?;
    let content = secret
        .content()
        .map_err(model_err("read the charm's admin-token secret"))?;
    let Some(token) = token_in(&content) else {
        let id = secret_id(&mut secret, known_id)?;
        return Err(TokenError::CharmSecretWithoutToken { id });
    };
    if let Some(r) = &peers {
        // The id is needed only to share it: a secret found by its label comes without one,
        // and asking Juju for it is a hook-tool call a unit without peers can skip.
        let id = secret_id(&mut secret, known_id)?;
        if r.local_app_data()
            .get(PEER_SECRET_ID_KEY)
            .map_err(model_err("read the peer relation's application data"))?
            .as_deref()
            != Some(id.as_str())
        {
            // Only the secret's id goes into relation data: the content stays in the secret.
            r.local_app_data()
                .set(PEER_SECRET_ID_KEY, id)
                .map_err(model_err(
                    "share the admin-token secret's id with the peers",
                ))?;
        }
    }
    Ok(TokenState::Ready(token))
}

/// The leader's secret: the shared one, else the one it labelled, else a new one; with its
/// id when that is known without asking Juju.
fn leader_secret(
    model: &Model,
    shared_id: Option<String>,
) -> Result<(Secret, Option<String>), TokenError> {
    let found = match &shared_id {
        Some(id) => Some(
            model
                .get_secret_by_id(id)
                .map_err(model_err("read the charm's admin-token secret"))?,
        ),
        // Created in an earlier hook, before the peer relation existed.
        None => match model.get_secret_by_label(TOKEN_LABEL) {
            Ok(s) => Some(s),
            Err(e) if e.is_secret_not_found() => None,
            Err(e) => return Err(model_err("look up the charm's admin-token secret")(e)),
        },
    };
    let secret = match found {
        Some(s) => s,
        None => {
            let token = AdminToken::generate()?;
            let content = SecretContent::from_pairs([(TOKEN_KEY, token.expose())]);
            let meta = SecretMetadata::default()
                .label(TOKEN_LABEL)
                .description("webkv admin token (bearer token for writes)");
            tracing::info!("created the admin token secret ({TOKEN_LABEL})");
            model
                .add_secret(&content, SecretOwner::Application, &meta)
                .map_err(model_err("create the admin-token secret"))?
        }
    };
    let known_id = shared_id.or_else(|| secret.id().map(str::to_owned));
    Ok((secret, known_id))
}

/// The secret's id: `known`, else asked of Juju (`secret-info-get`).
fn secret_id(secret: &mut Secret, known: Option<String>) -> Result<String, TokenError> {
    match known {
        Some(id) => Ok(id),
        None => Ok(secret
            .info()
            .map_err(model_err("read the admin-token secret's id"))?
            .id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug() {
        let t = AdminToken::new("s3cr3t");
        assert_eq!(format!("{t:?}"), "AdminToken(<redacted>)");
        assert_eq!(
            format!("{:?}", TokenState::Ready(t.clone())),
            "Ready(AdminToken(<redacted>))"
        );
        assert_eq!(t.expose(), "s3cr3t");
    }

    #[test]
    fn generated_tokens_are_long_random_hex() {
        let a = AdminToken::generate().unwrap();
        let b = AdminToken::generate().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_token_must_be_present_and_non_empty() {
        assert!(token_in(&SecretContent::from_pairs([("token", "x")])).is_some());
        assert!(token_in(&SecretContent::from_pairs([("token", "")])).is_none());
        assert!(token_in(&SecretContent::from_pairs([("other", "x")])).is_none());
    }

    #[test]
    fn only_secret_problems_are_the_operators_to_fix() {
        assert!(
            TokenError::UserSecretWithoutToken {
                id: "secret:x".into()
            }
            .is_operator_fixable()
        );
        let e = TokenError::Random(std::io::Error::other("no"));
        assert!(!e.is_operator_fixable());
    }
}
