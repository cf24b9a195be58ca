//! The provider's custom events and the request they announce.

use ops::event::CustomEvent;
use serde::{Deserialize, Serialize};

/// What a requirer asked for on one relation (its application bag, read as the Python
/// provider reads it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseRequest {
    /// The relation id.
    pub relation_id: u32,
    /// The requirer application.
    #[serde(default)]
    pub remote_app: Option<String>,
    /// The database (or `prefix*`) requested.
    #[serde(default)]
    pub database: Option<String>,
    /// Extra roles for the relation user (`extra-user-roles`).
    #[serde(default)]
    pub extra_user_roles: Option<String>,
    /// Extra roles for a group entity (`extra-group-roles`).
    #[serde(default)]
    pub extra_group_roles: Option<String>,
    /// `USER` or `GROUP` for an entity request (`entity-type`).
    #[serde(default)]
    pub entity_type: Option<String>,
    /// The entity's permissions, JSON as sent (`entity-permissions`).
    #[serde(default)]
    pub entity_permissions: Option<String>,
    /// Whether a subordinate provider should listen beyond its host
    /// (`external-node-connectivity` is `"true"`).
    #[serde(default)]
    pub external_node_connectivity: bool,
    /// The prefix-matching strategy requested (`prefix-matching`).
    #[serde(default)]
    pub prefix_matching: Option<String>,
}

/// `database-requested`: the requirer asked for a database (its `database` field appeared
/// without `entity-type`). Create the user, then
/// [`publish`](super::DatabaseProvider::publish). Python's `database_requested`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseRequested {
    /// The request.
    pub request: DatabaseRequest,
}

impl CustomEvent for DatabaseRequested {
    const NAME: &'static str = "database-requested";
}

/// `database-entity-requested`: the requirer asked for a custom entity (`database` and
/// `entity-type` appeared together). Python's `database_entity_requested`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseEntityRequested {
    /// The request.
    pub request: DatabaseRequest,
}

impl CustomEvent for DatabaseEntityRequested {
    const NAME: &'static str = "database-entity-requested";
}

/// `database-entity-permissions-changed`: the entity's requested permissions changed.
/// Python's `database_entity_permissions_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseEntityPermissionsChanged {
    /// The request.
    pub request: DatabaseRequest,
}

impl CustomEvent for DatabaseEntityPermissionsChanged {
    const NAME: &'static str = "database-entity-permissions-changed";
}
