//! What a charm usually needs: `use ops::prelude::*;`.

pub use crate::container::{Container, ContainerError};
pub use crate::event::{
    ActionEvent, CollectMetrics, CollectStatus, Commit, ConfigChanged, DeferError, Event,
    EventKind, EventType, Install, LeaderElected, LeaderSettingsChanged, PebbleCheckFailed,
    PebbleCheckRecovered, PebbleCustomNotice, PebbleReady, PostSeriesUpgrade, PreCommit,
    PreSeriesUpgrade, RelationBroken, RelationChanged, RelationCreated, RelationDeparted,
    RelationJoined, Remove, SecretChanged, SecretExpired, SecretRemove, SecretRotate, Start, Stop,
    StorageAttached, StorageDetaching, UpdateStatus, UpgradeCharm,
};
pub use crate::framework::{
    Charm, Ctx, HandlerError, HandlerResult, Observers, SecretEvent, SecretRevisionEvent,
};
pub use crate::model::Model;
pub use crate::status::Status;
