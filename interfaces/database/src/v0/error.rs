//! [`DatabaseError`]: why publishing on a relation failed.

use ops::model::ModelError;

/// Why [`DatabaseProvider::publish`](super::DatabaseProvider::publish) or
/// [`remove_secrets`](super::DatabaseProvider::remove_secrets) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// Only the leader writes the application bag and owns the relation's secrets.
    #[error(
        "only the leader publishes on relation {relation}; this unit is not the leader \
         (check `is_leader()` first)"
    )]
    NotLeader {
        /// The relation, `endpoint:id`.
        relation: String,
    },
    /// The requirer has not asked for a database yet: only endpoints may be published before
    /// (as the Python provider refuses with `PrematureDataAccessError`).
    #[error(
        "relation {relation}: the requirer has not requested a database yet, so {fields} \
         cannot be published; publish from the `database-requested` handler"
    )]
    Premature {
        /// The relation, `endpoint:id`.
        relation: String,
        /// The fields refused (names only).
        fields: String,
    },
    /// A hook tool failed.
    #[error(transparent)]
    Model(#[from] ModelError),
}
