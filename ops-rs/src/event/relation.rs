//! Relation hooks: `<endpoint>-relation-{created,joined,changed,departed,broken}`.

use super::{EventKind, deferrable, event_struct};

macro_rules! relation {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {$(
        event_struct! {
            $(#[$doc])*
            $name {
                /// The local endpoint, e.g. `db`.
                endpoint: String,
                /// The relation id (`N` of `JUJU_RELATION_ID=db:N`).
                relation_id: u32,
                /// The remote application, when Juju names it.
                remote_app: Option<String>,
                /// The remote unit this event is about, when there is one.
                remote_unit: Option<String>,
                /// The unit that is leaving (departed events).
                departing_unit: Option<String>,
            }
            kind = |s| EventKind::$kind(s.endpoint.clone());
        }
    )*};
}

relation! {
    /// `<endpoint>-relation-created`: a relation was established (before any unit joins).
    RelationCreated => RelationCreated;
    /// `<endpoint>-relation-joined`: a remote unit joined.
    RelationJoined => RelationJoined;
    /// `<endpoint>-relation-changed`: remote data may have changed.
    RelationChanged => RelationChanged;
    /// `<endpoint>-relation-departed`: a remote unit left (`departing_unit` says which).
    RelationDeparted => RelationDeparted;
    /// `<endpoint>-relation-broken`: the relation is going away.
    RelationBroken => RelationBroken;
}

deferrable!(
    RelationCreated,
    RelationJoined,
    RelationChanged,
    RelationDeparted,
    RelationBroken,
);
