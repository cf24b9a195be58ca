//! Secrets: owner, labels, revisions and content, the revision each observer tracks, grants.

use serde::{Deserialize, Serialize};

/// A secret's content: the model's own [`SecretContent`](crate::model::SecretContent), one
/// type for what a test seeds, what the charm reads and what it wrote.
pub use crate::hookcmds::secret::SecretContent;

/// Who owns a secret, from this unit's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretOwnership {
    /// This application: only the leader manages it; every unit may read it.
    Application,
    /// This unit.
    Unit,
    /// Another application, which granted it to this one: this unit only reads it.
    Consumer,
}

impl SecretOwnership {
    /// How `secret-add --owner` and `secret-info-get` spell it.
    pub fn as_juju(&self) -> &'static str {
        match self {
            SecretOwnership::Application => "application",
            SecretOwnership::Unit => "unit",
            SecretOwnership::Consumer => "consumer",
        }
    }
}

/// One revision of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRevisionState {
    /// The revision number, from 1.
    pub revision: u32,
    /// Its content.
    pub content: SecretContent,
}

/// Access granted to a relation's application, or to one unit of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SecretGrant {
    /// The relation the grant goes through.
    pub relation_id: u64,
    /// One unit, or `None` for the whole remote application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A secret this unit owns or was granted.
///
/// ```
/// use ops::testing::juju::{SecretState, SecretOwnership};
/// let s = SecretState::new("secret:cr0ahn1dqe3k7mqmsc2g", SecretOwnership::Consumer, [("password", "x")])
///     .label("db-pass");
/// assert_eq!(s.latest().map(|r| r.revision), Some(1));
/// assert!(!format!("{s:?}").contains("\"x\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SecretState {
    /// The secret's id, `secret:<xid>` (a `secret://<model>/<xid>` URI also matches it).
    pub id: String,
    /// Who owns it.
    pub owner: SecretOwnership,
    /// The label this unit knows it by (the owner's label, or the consumer's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Description (owner metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Expiry time, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire: Option<String>,
    /// Rotation policy (`never`, `hourly`, `daily`, `weekly`, `monthly`, `quarterly`, `yearly`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate: Option<String>,
    /// Revisions, oldest first.
    pub revisions: Vec<SecretRevisionState>,
    /// The revision this unit tracks; `None` until it first reads the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracked: Option<u32>,
    /// Grants made by the owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<SecretGrant>,
    /// The secret exists but this unit may not read it (never granted to it, or the owner
    /// revoked the grant): `secret-get` fails with `permission denied`, as Juju's secrets
    /// facade answers a consumer without access (`ErrPerm`); a secret that does not exist is
    /// `not found` instead. Set by juju-sim's model of several applications.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub denied: bool,
}

/// The part of a secret id or URI that identifies it: `secret:abc` and
/// `secret://model-uuid/abc` both give `abc`.
pub fn secret_xid(id: &str) -> &str {
    let rest = id.strip_prefix("secret:").unwrap_or(id);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    rest.rsplit('/').next().unwrap_or(rest)
}

impl SecretState {
    /// A secret with one revision holding `content`.
    pub fn new<K: Into<String>, V: Into<String>>(
        id: &str,
        owner: SecretOwnership,
        content: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        SecretState {
            id: id.to_owned(),
            owner,
            label: None,
            description: None,
            expire: None,
            rotate: None,
            revisions: vec![SecretRevisionState {
                revision: 1,
                content: content.into_iter().collect(),
            }],
            tracked: None,
            grants: Vec::new(),
            denied: false,
        }
    }

    /// Sets the label.
    #[must_use]
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_owned());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_owned());
        self
    }

    /// Adds a revision with `content` (the next number).
    #[must_use]
    pub fn with_revision<K: Into<String>, V: Into<String>>(
        mut self,
        content: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.push_revision(content.into_iter().collect());
        self
    }

    /// Sets the revision this unit tracks.
    #[must_use]
    pub fn tracking(mut self, revision: u32) -> Self {
        self.tracked = Some(revision);
        self
    }

    /// Appends a revision and returns its number.
    pub fn push_revision(&mut self, content: SecretContent) -> u32 {
        let revision = self.latest().map_or(1, |r| r.revision + 1);
        self.revisions
            .push(SecretRevisionState { revision, content });
        revision
    }

    /// The newest revision.
    pub fn latest(&self) -> Option<&SecretRevisionState> {
        self.revisions.last()
    }

    /// A revision by number.
    pub fn revision(&self, revision: u32) -> Option<&SecretRevisionState> {
        self.revisions.iter().find(|r| r.revision == revision)
    }

    /// The secret's xid (see [`secret_xid`]).
    pub fn xid(&self) -> &str {
        secret_xid(&self.id)
    }

    /// The keys of the latest revision's content, sorted.
    pub fn content_keys(&self) -> Vec<&str> {
        self.latest()
            .map(|r| r.content.keys().collect())
            .unwrap_or_default()
    }

    /// Whether this unit or its application owns the secret.
    pub fn is_owned(&self) -> bool {
        !matches!(self.owner, SecretOwnership::Consumer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xid_of_every_form() {
        assert_eq!(secret_xid("secret:abc"), "abc");
        assert_eq!(secret_xid("secret://0000-11/abc"), "abc");
        assert_eq!(secret_xid("abc"), "abc");
    }

    #[test]
    fn debug_hides_content() {
        let c: SecretContent = [("password", "hunter2")].into_iter().collect();
        assert_eq!(format!("{c:?}"), r#"{"password": "<redacted>"}"#);
    }
}
