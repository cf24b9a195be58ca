//! Relation endpoints: `requires`, `provides` and `peers`.

use serde::{Deserialize, Serialize};

/// Which section declared an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationRole {
    /// `requires`.
    Requires,
    /// `provides`.
    Provides,
    /// `peers`: the application's units relate to each other.
    Peer,
}

/// An endpoint's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelationScope {
    /// Every unit of one side sees every unit of the other (the default).
    #[default]
    Global,
    /// A subordinate sees only its principal unit.
    Container,
}

/// One relation endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelationMeta {
    /// requires, provides or peers.
    pub role: RelationRole,
    /// The interface name, e.g. `postgresql_client`.
    pub interface: String,
    /// The most relations the endpoint takes, if limited.
    pub limit: Option<u32>,
    /// Whether the charm works without this relation.
    pub optional: bool,
    /// Global or container scope.
    pub scope: RelationScope,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct RawRelation {
    interface: String,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    scope: Option<RelationScope>,
}

impl RawRelation {
    pub(super) fn with_role(self, role: RelationRole) -> RelationMeta {
        RelationMeta {
            role,
            interface: self.interface,
            limit: self.limit,
            optional: self.optional,
            scope: self.scope.unwrap_or_default(),
        }
    }
}
