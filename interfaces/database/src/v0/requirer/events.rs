//! The requirer's custom events, emitted under the component's key.
//!
//! Each carries the relation and the provider's plain connection fields as they were when it
//! was emitted (a deferred event keeps them); credentials are never in a payload (payloads
//! are stored when deferred): read them with
//! [`DatabaseRequirer::fetch`](super::DatabaseRequirer::fetch), which also gives the fields
//! as they are now.

use ops::event::CustomEvent;
use serde::{Deserialize, Serialize};

use super::super::RelationStatus;

macro_rules! connection_event {
    ($($(#[$doc:meta])* $name:ident = $wire:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// The relation id.
            pub relation_id: u32,
            /// The provider application.
            #[serde(default)]
            pub remote_app: Option<String>,
            /// The database the provider created.
            #[serde(default)]
            pub database: Option<String>,
            /// The read/write endpoints, comma separated, as published.
            #[serde(default)]
            pub endpoints: Option<String>,
            /// The read-only endpoints, comma separated, as published.
            #[serde(default)]
            pub read_only_endpoints: Option<String>,
            /// The database engine's version.
            #[serde(default)]
            pub version: Option<String>,
            /// The databases matching a requested prefix, comma separated.
            #[serde(default)]
            pub prefix_databases: Option<String>,
        }

        impl CustomEvent for $name {
            const NAME: &'static str = $wire;
        }
    )*};
}

connection_event! {
    /// `database-created`: the provider shared the relation user's credentials (the
    /// `secret-user` field appeared, or, from a provider without secrets, `username` and
    /// `password` together). Python's `database_created`.
    DatabaseCreated = "database-created";
    /// `database-entity-created`: the provider created the requested custom entity
    /// (`secret-entity` or `entity-name` appeared). Python's `database_entity_created`.
    DatabaseEntityCreated = "database-entity-created";
    /// `endpoints-changed`: `endpoints` appeared or changed (and credentials were not
    /// shared in the same change). Python's `endpoints_changed`.
    EndpointsChanged = "endpoints-changed";
    /// `read-only-endpoints-changed`: `read-only-endpoints` appeared or changed (and neither
    /// credentials nor `endpoints` in the same change). Python's `read_only_endpoints_changed`.
    ReadOnlyEndpointsChanged = "read-only-endpoints-changed";
    /// `prefix-databases-changed`: the databases matching a requested prefix changed.
    /// Python's `prefix_databases_changed`.
    PrefixDatabasesChanged = "prefix-databases-changed";
}

/// `authentication-updated`: a credentials or TLS secret has a new revision (its
/// `secret-changed`, the library now tracks the new revision), or `secret-tls` appeared or
/// changed with nothing else to announce. The Python v0 library emits nothing then (its
/// charm observes `secret-changed` itself); `dpcharmlibs-interfaces` emits
/// `authentication_updated`, whose name this borrows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationUpdated {
    /// The relation id.
    pub relation_id: u32,
    /// The provider application.
    #[serde(default)]
    pub remote_app: Option<String>,
    /// The secret group that changed: `user`, `tls`, `entity` or `extra`.
    pub group: String,
}

impl CustomEvent for AuthenticationUpdated {
    const NAME: &'static str = "authentication-updated";
}

/// `status-raised`: the provider raised a status on the relation. Python's `status_raised`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRaised {
    /// The relation id.
    pub relation_id: u32,
    /// The provider application.
    #[serde(default)]
    pub remote_app: Option<String>,
    /// The status.
    pub status: RelationStatus,
}

impl CustomEvent for StatusRaised {
    const NAME: &'static str = "status-raised";
}

/// `status-resolved`: a status the provider had raised is gone. Python's `status_resolved`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResolved {
    /// The relation id.
    pub relation_id: u32,
    /// The provider application.
    #[serde(default)]
    pub remote_app: Option<String>,
    /// The status that was resolved.
    pub status: RelationStatus,
}

impl CustomEvent for StatusResolved {
    const NAME: &'static str = "status-resolved";
}
