//! Storage hooks: `<storage>-storage-attached` and `<storage>-storage-detaching`.

use super::{EventKind, deferrable, event_struct};

macro_rules! storage {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {$(
        event_struct! {
            $(#[$doc])*
            $name {
                /// The storage name from the charm's metadata, e.g. `data`.
                storage_name: String,
                /// The storage instance index (`N` of `JUJU_STORAGE_ID=data/N`).
                index: u64,
                /// Where it is mounted, if Juju said (`storage-get location`).
                location: Option<String>,
            }
            kind = |s| EventKind::$kind(s.storage_name.clone());
        }
    )*};
}

storage! {
    /// `<storage>-storage-attached`: a storage instance is ready.
    StorageAttached => StorageAttached;
    /// `<storage>-storage-detaching`: a storage instance is about to go.
    StorageDetaching => StorageDetaching;
}

deferrable!(StorageAttached, StorageDetaching);
