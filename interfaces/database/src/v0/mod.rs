//! Version 0 of the database protocol: what `data_platform_libs/v0/data_interfaces.py`
//! (`DatabaseRequires`, `DatabaseProvides`) writes and reads, and what postgresql-k8s,
//! mysql-k8s and mongodb-k8s speak on `postgresql_client`, `mysql_client` and
//! `mongodb_client`.
//!
//! | Who | Writes | Where |
//! |---|---|---|
//! | requirer leader, on relation-created | `database`, `requested-secrets`, `provided-secrets`, optional `extra-user-roles`, `extra-group-roles`, `entity-type`, `entity-permissions`, `external-node-connectivity` | its application bag |
//! | requirer leader, on relation-created | `requested-secrets`, `provided-secrets` | its unit bag |
//! | every requirer unit, on relation-changed | `data`: its last view of the provider's bag | its unit bag |
//! | provider leader, on relation-changed | `data`: its last view of the requirer's bag | its application bag |
//! | provider leader, when publishing | `database`, `endpoints`, `read-only-endpoints`, `version`, `replset`, `prefix-databases`, `subordinated`, `secret-user`, `secret-tls`, ...; the requested secret fields in secrets | its application bag; Juju secrets granted to the relation |
//!
//! - [`DatabaseRequirer`] and its events ([`DatabaseCreated`], [`EndpointsChanged`], ...),
//!   [`DatabaseInfo`] for what the provider published.
//! - [`DatabaseProvider`] and its events ([`DatabaseRequested`], ...), [`Publication`] for
//!   what to publish.
//! - [`protocol`]: the keys, secret groups and labels.

mod diff;
mod error;
pub mod protocol;
mod provider;
mod requirer;
mod sensitive;
mod status;

pub use diff::Diff;
pub use error::DatabaseError;
pub use provider::{
    DatabaseEntityPermissionsChanged, DatabaseEntityRequested, DatabaseProvider, DatabaseRequest,
    DatabaseRequested, Publication,
};
pub use requirer::{
    AuthenticationUpdated, DatabaseCreated, DatabaseEntityCreated, DatabaseInfo, DatabaseRequirer,
    EndpointsChanged, EntityPermission, EntityType, PrefixDatabasesChanged,
    ReadOnlyEndpointsChanged, StatusRaised, StatusResolved,
};
pub use sensitive::Sensitive;
pub use status::RelationStatus;
