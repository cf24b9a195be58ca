//! The unit's state store: event counter, deferred queue, the charm's stored state and the
//! circuit breakers' states, saved in one transaction per dispatch.
//!
//! **Internal** (hidden from the docs): public only so that `juju-sim` can inspect a unit's
//! `.unit-state.db` and the crash tests can check it; the schema changes when it must.
//!
//! - [`SqliteStore`] (the default): `.unit-state.db` in the charm directory, owner-only,
//!   schema-versioned, one `BEGIN IMMEDIATE` transaction per dispatch, rollback journal with
//!   `synchronous=FULL` (a kill -9 at any instant leaves the old or the new state). A dispatch
//!   that deferred nothing and changed no state writes nothing: no journal, no `fsync`. Two
//!   dispatches never hold it at once: the second waits for the unit's lock, saying so, and
//!   a path holding anything but a regular file (a link, a directory) is refused untouched.
//! - [`JujuStore`]: Juju's controller-side store (`state-get`/`state-set`), for pods whose disk
//!   does not survive; Juju applies `state-set` only if the hook succeeds. The state is kept
//!   in parts cut into values Juju takes, up to Juju's limit for a unit
//!   ([`crate::hookcmds::limits`]).
//! - [`MemoryStore`]: in memory, shared by clones; for tests and the testing API.
//!
//! ```
//! use ops::store::{MemoryStore, Store, StoreData};
//! let shared = MemoryStore::default();
//! let mut tx = shared.clone();
//! let mut data = tx.load().unwrap();
//! data.event_counter = 7;
//! tx.save(&data).unwrap();
//! assert_eq!(shared.data().event_counter, 0); // not committed yet
//! Box::new(tx).commit().unwrap();
//! assert_eq!(shared.data().event_counter, 7);
//! ```

mod file;
mod juju;
mod memory;
mod schema;
mod sqlite;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use file::LOCK_WAIT;
pub use juju::JujuStore;
pub use memory::MemoryStore;
pub use schema::SCHEMA_VERSION;
pub use sqlite::{STATE_FILE, SqliteStore};

/// One deferred (event, handler) pair, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeferredEntry {
    /// Position in the queue (FIFO by first deferral; kept when deferred again).
    pub seq: u64,
    /// The event's id.
    pub event_id: u64,
    /// The stable name of the handler that deferred it.
    pub handler: String,
    /// The event kind without its source (`relation-changed`, `action`, `install`).
    pub kind: String,
    /// The kind's source (endpoint, storage, container, action name), if any.
    pub source: Option<String>,
    /// The event's data as JSON (never logged: it may hold anything the event carries).
    pub data: String,
}

/// Everything the framework persists for a unit.
///
/// A dispatch writes it back only if something other than the event counter changed (see
/// [`changed_since`](StoreData::changed_since)): most hooks defer nothing and change no state,
/// and then the store is not written at all (no journal, no `fsync`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreData {
    /// The last event id given out and saved. Ids are unique and increasing among the events
    /// that were ever deferred; the ids of a dispatch that saved nothing (it deferred no event
    /// and changed no state) are given out again by the next one (the rule, for charm
    /// authors: [Event ids](crate::event#event-ids)).
    pub event_counter: u64,
    /// The deferred queue, in order.
    pub queue: Vec<DeferredEntry>,
    /// The charm's stored state as JSON; `None` before it was first saved.
    pub charm_state: Option<String>,
    /// The state of each named circuit breaker, as JSON (see [`crate::resilience`]); saved
    /// and rolled back with everything else. Since schema version 2.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub breakers: BTreeMap<String, String>,
    /// The stored state of each component, by key, as JSON (see
    /// [`Component`](crate::framework::Component)). Since schema version 3.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub components: BTreeMap<String, String>,
}

impl StoreData {
    /// Whether `self` differs from `before` in anything worth writing: the deferred queue, the
    /// charm's state, a circuit breaker or a component's state. The event counter alone is not: it only has to stay
    /// ahead of the ids in the queue, and an unchanged queue holds no new id.
    ///
    /// ```
    /// use ops::store::StoreData;
    /// let before = StoreData::default();
    /// let mut after = before.clone();
    /// after.event_counter += 4;
    /// assert!(!after.changed_since(&before));
    /// after.charm_state = Some("{}".into());
    /// assert!(after.changed_since(&before));
    /// ```
    pub fn changed_since(&self, before: &StoreData) -> bool {
        self.queue != before.queue
            || self.charm_state != before.charm_state
            || self.breakers != before.breakers
            || self.components != before.components
    }
}

/// A state store open for one dispatch: one transaction from [`load`](Store::load) to
/// [`commit`](Store::commit). Dropping it without committing rolls back.
pub trait Store {
    /// Reads the persisted data (within the transaction).
    fn load(&mut self) -> Result<StoreData, StoreError>;
    /// Writes `data` (within the transaction; visible only after commit).
    fn save(&mut self, data: &StoreData) -> Result<(), StoreError>;
    /// Commits the transaction.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The state store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file cannot be created, opened or have its permissions fixed.
    #[error("cannot open the state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a database, or is damaged.
    #[error(
        "the state file {path} is corrupt ({detail}); move it aside to start with an empty \
         state (the deferred events and charm state in it will be lost)"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// Something other than a regular file stands at the state file's path: ops-rs follows
    /// no link and changes nothing there.
    #[error(
        "the state file {path} is {found}, not a regular file: ops-rs keeps the unit's state \
         in a file of its own and changed nothing there. Replace a link with the file it \
         points to (the state is kept), or move whatever it is aside (the unit starts with an \
         empty state: no deferred events, the charm's stored state at its default)"
    )]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What is there instead (`a directory`, `a symbolic link to ...`).
        found: String,
    },
    /// The event counter in the file is not a whole number of zero or more (edited by hand,
    /// or damaged): event ids cannot be given out from it.
    #[error(
        "the state file {path} holds an event counter that is {found}, not a whole number of \
         zero or more: the file was edited by hand or damaged. Nothing was changed; set the \
         counter to the highest event id in the deferred queue with `sqlite3 {path} \"UPDATE \
         meta SET value = (SELECT coalesce(max(event_id), 0) FROM queue) WHERE key = \
         'event_counter'\"`, then let Juju retry the hook"
    )]
    BadCounter {
        /// The file.
        path: PathBuf,
        /// What the counter is (`text`, `-3, a negative number`).
        found: String,
    },
    /// Another process held the unit's lock on the state file for the whole of
    /// [`LOCK_WAIT`]: the hook did nothing.
    #[error(
        "another process has held the state file {path} for {} s (a hook that is still \
         running, `juju exec`, or a `juju debug-hooks` session): this hook did nothing and \
         fails, and Juju retries it. `fuser {path}` names the process",
        waited.as_secs()
    )]
    Locked {
        /// The file.
        path: PathBuf,
        /// How long this dispatch waited.
        waited: std::time::Duration,
    },
    /// The file was written by Python ops.
    #[error(
        "the state file {path} was written by Python ops (tables `snapshot` and `notice`); \
         ops-rs cannot read it. Move it aside (its deferred events and stored state will be \
         lost) to let this charm start with an empty state"
    )]
    PythonOps {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a newer ops-rs.
    #[error(
        "the state file {path} has schema version {found}, newer than this charm's ops-rs \
         understands ({supported}); refresh the charm to a revision built with a newer ops-rs"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The file or its directory cannot be written: a full disk, a read-only charm
    /// directory, an I/O error. Nothing was saved (SQLite rolled back).
    #[error(
        "cannot write the state file {path} ({what} failed: {source}): is the disk full or the \
         charm directory read-only? Nothing was saved; the hook fails and Juju retries it"
    )]
    NotWritable {
        /// The file.
        path: PathBuf,
        /// The operation.
        what: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A database operation failed.
    #[error("state store {path}: {what} failed: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The operation.
        what: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The Juju controller-side store failed.
    #[error("the Juju state store: {what} failed: {source}")]
    Juju {
        /// The operation.
        what: &'static str,
        /// The hook tool failure.
        #[source]
        source: crate::hookcmds::HookToolFailure,
    },
    /// The state is more than Juju keeps in its controller-side store for a unit; nothing was
    /// written (see [`JujuStore`] and [`crate::hookcmds::limits`]).
    #[error(
        "the unit's state takes {size} bytes in Juju's state store, more than the {limit} \
         bytes Juju keeps for a unit (its default for the controller's max-charm-state-size): \
         keep less in the charm's stored state or the deferred queue, or use the default \
         store (the `.unit-state.db` file) instead. Nothing was saved; the hook fails and \
         Juju retries it"
    )]
    JujuLimit {
        /// The bytes the state takes, as Juju counts them.
        size: usize,
        /// The most Juju keeps.
        limit: usize,
    },
    /// The stored document could not be read or written.
    #[error("the {store} state store holds data this version cannot read: {detail}")]
    Format {
        /// Which store.
        store: &'static str,
        /// What was wrong (never the data).
        detail: String,
    },
}

#[cfg(test)]
mod tests;
