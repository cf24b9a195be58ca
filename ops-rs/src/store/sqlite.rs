//! [`SqliteStore`]: the default store, `.unit-state.db` in the charm directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::file::{self, LOCK_WAIT, LockedFile};
use super::schema::{self, MIGRATIONS};
use super::{DeferredEntry, Store, StoreData, StoreError};

/// The state file's name, in the charm directory (as Python ops names it).
pub const STATE_FILE: &str = ".unit-state.db";

/// The unit's state in an SQLite file, one transaction per dispatch.
///
/// Opening takes the unit's lock on the file first (a second dispatch waits, saying so, up
/// to [`LOCK_WAIT`]; anything but a regular file at the path is refused untouched), creates a new file
/// whole and owner-only (an existing file of ours is made 0600), sets `synchronous=FULL`
/// with a rollback journal and exclusive locking, begins `BEGIN IMMEDIATE`, and migrates
/// the schema. Dropping the store without [`commit`](Store::commit) rolls everything back.
///
/// ```
/// use ops::store::{SqliteStore, Store};
/// let dir = tempfile::tempdir().unwrap();
/// let mut store = SqliteStore::open_in_charm_dir(dir.path()).unwrap();
/// let mut data = store.load().unwrap();
/// data.event_counter += 1;
/// store.save(&data).unwrap();
/// Box::new(store).commit().unwrap();
/// let mut again = SqliteStore::open_in_charm_dir(dir.path()).unwrap();
/// assert_eq!(again.load().unwrap().event_counter, 1);
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// What [`open_with`](Self::open_with) already read, for the first [`load`](Store::load).
    head: Option<Head>,
    /// The unit's lock on the file. Declared after `conn`, so it is released after the
    /// connection is closed.
    _lock: LockedFile,
}

/// The one-row part of the store, read by one statement: every dispatch opens and loads the
/// store, and compiling SQL is most of what that costs, so the schema check and the small
/// reads share a statement and the tables are read only when they hold something.
#[derive(Debug)]
struct Head {
    schema_version: Number,
    event_counter: Number,
    charm_state: Option<String>,
    has_queue: bool,
    has_breakers: bool,
    has_components: bool,
}

/// Compiles only against the current layout (every table present).
const HEAD: &str = "SELECT (SELECT value FROM meta WHERE key = 'schema_version'),
        (SELECT value FROM meta WHERE key = 'event_counter'),
        (SELECT data FROM charm_state WHERE id = 1),
        EXISTS (SELECT 1 FROM queue),
        EXISTS (SELECT 1 FROM breaker),
        EXISTS (SELECT 1 FROM component)";

/// A number the `meta` table holds, as found: SQLite keeps whatever type was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Number {
    /// No row (or NULL).
    Missing,
    /// A whole number.
    Whole(i64),
    /// Something else: the name of its SQLite type.
    Not(&'static str),
}

impl Number {
    pub(crate) fn read(v: ValueRef<'_>) -> Number {
        match v {
            ValueRef::Null => Number::Missing,
            ValueRef::Integer(n) => Number::Whole(n),
            ValueRef::Real(_) => Number::Not("a real number"),
            ValueRef::Text(_) => Number::Not("text"),
            ValueRef::Blob(_) => Number::Not("a blob"),
        }
    }
}

fn read_head(conn: &Connection) -> rusqlite::Result<Head> {
    conn.query_row(HEAD, [], |r| {
        Ok(Head {
            schema_version: Number::read(r.get_ref(0)?),
            event_counter: Number::read(r.get_ref(1)?),
            charm_state: r.get(2)?,
            has_queue: r.get(3)?,
            has_breakers: r.get(4)?,
            has_components: r.get(5)?,
        })
    })
}

pub(crate) fn sql_error(path: &Path, what: &'static str, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        Some(ErrorCode::ReadOnly | ErrorCode::DiskFull | ErrorCode::SystemIoFailure) => {
            StoreError::NotWritable {
                path: path.to_owned(),
                what,
                source: e,
            }
        }
        _ => StoreError::Sqlite {
            path: path.to_owned(),
            what,
            source: e,
        },
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and begins the dispatch's transaction.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path.as_ref(), MIGRATIONS)
    }

    /// Opens `.unit-state.db` in `charm_dir`.
    pub fn open_in_charm_dir(charm_dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open(charm_dir.as_ref().join(STATE_FILE))
    }

    pub(crate) fn open_with(path: &Path, migrations: &[&str]) -> Result<Self, StoreError> {
        Self::open_waiting(path, migrations, LOCK_WAIT)
    }

    /// [`open_with`](Self::open_with), waiting up to `wait` for the unit's lock.
    pub(crate) fn open_waiting(
        path: &Path,
        migrations: &[&str],
        wait: Duration,
    ) -> Result<Self, StoreError> {
        let lock = file::open_locked(path, migrations, wait)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )
        .map_err(|e| sql_error(path, "opening", e))?;
        conn.busy_timeout(LOCK_WAIT)
            .map_err(|e| sql_error(path, "setting the busy timeout", e))?;
        // Exclusive locking first: the journal-mode pragma reads the schema, and in exclusive
        // mode the shared lock it takes is kept for the transaction rather than released and
        // taken again (seven system calls fewer per dispatch: the lock cycle and the journal
        // and WAL checks that come with it). This is safe only because the unit's lock is
        // held: a second connection in exclusive mode would keep that shared lock while
        // waiting for the write lock, and neither could go on (see `file`).
        conn.execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             PRAGMA journal_mode = DELETE;
             PRAGMA synchronous = FULL;
             BEGIN IMMEDIATE;",
        )
        .map_err(|e| sql_error(path, "beginning the transaction", e))?;
        // A store of the current version needs no schema check beyond the head's own
        // statement compiling; anything else (a new file, an older or newer layout, a file
        // that is not ours) takes the migration path, which says what it found.
        let head = read_head(&conn)
            .ok()
            .filter(|h| h.schema_version == Number::Whole(migrations.len() as i64));
        if head.is_none() {
            schema::migrate(&conn, path, migrations)?;
        }
        Ok(SqliteStore {
            conn,
            path: path.to_owned(),
            head,
            _lock: lock,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |e| sql_error(&self.path, what, e)
    }
}

impl Store for SqliteStore {
    fn load(&mut self) -> Result<StoreData, StoreError> {
        let head = match self.head.take() {
            Some(head) => head,
            None => read_head(&self.conn).map_err(self.err("reading the store"))?,
        };
        let event_counter = match head.event_counter {
            Number::Whole(n) if n >= 0 => n,
            Number::Whole(n) => {
                return Err(StoreError::BadCounter {
                    path: self.path.clone(),
                    found: format!("{n}, a negative number"),
                });
            }
            Number::Not(what) => {
                return Err(StoreError::BadCounter {
                    path: self.path.clone(),
                    found: what.to_owned(),
                });
            }
            Number::Missing => {
                return Err(StoreError::Corrupt {
                    path: self.path.clone(),
                    detail: "it has no event counter".into(),
                });
            }
        };
        let queue = if head.has_queue {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT seq, event_id, handler, kind, source, data FROM queue ORDER BY seq",
                )
                .map_err(self.err("reading the deferred queue"))?;
            stmt.query_map([], |r| {
                Ok(DeferredEntry {
                    seq: r.get::<_, i64>(0)?.max(0) as u64,
                    event_id: r.get::<_, i64>(1)?.max(0) as u64,
                    handler: r.get(2)?,
                    kind: r.get(3)?,
                    source: r.get(4)?,
                    data: r.get(5)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(self.err("reading the deferred queue"))?
        } else {
            Vec::new()
        };
        let breakers = if head.has_breakers {
            let mut stmt = self
                .conn
                .prepare("SELECT name, data FROM breaker")
                .map_err(self.err("reading the circuit breakers"))?;
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .and_then(|rows| rows.collect::<Result<_, _>>())
                .map_err(self.err("reading the circuit breakers"))?
        } else {
            Default::default()
        };
        let components = if head.has_components {
            let mut stmt = self
                .conn
                .prepare("SELECT key, data FROM component")
                .map_err(self.err("reading the components' states"))?;
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .and_then(|rows| rows.collect::<Result<_, _>>())
                .map_err(self.err("reading the components' states"))?
        } else {
            Default::default()
        };
        Ok(StoreData {
            event_counter: event_counter as u64,
            queue,
            charm_state: head.charm_state,
            breakers,
            components,
        })
    }

    fn save(&mut self, data: &StoreData) -> Result<(), StoreError> {
        // What the open read is out of date from here on.
        self.head = None;
        let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.conn
            .execute(
                "UPDATE meta SET value = ?1 WHERE key = 'event_counter'",
                [to_i64(data.event_counter)],
            )
            .map_err(self.err("writing the event counter"))?;
        self.conn
            .execute("DELETE FROM queue", [])
            .map_err(self.err("writing the deferred queue"))?;
        for e in &data.queue {
            self.conn
                .execute(
                    "INSERT INTO queue (seq, event_id, handler, kind, source, data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![
                        to_i64(e.seq),
                        to_i64(e.event_id),
                        e.handler,
                        e.kind,
                        e.source,
                        e.data
                    ],
                )
                .map_err(self.err("writing the deferred queue"))?;
        }
        match &data.charm_state {
            Some(s) => self.conn.execute(
                "INSERT OR REPLACE INTO charm_state (id, data) VALUES (1, ?1)",
                [s],
            ),
            None => self.conn.execute("DELETE FROM charm_state", []),
        }
        .map_err(self.err("writing the charm state"))?;
        self.conn
            .execute("DELETE FROM breaker", [])
            .map_err(self.err("writing the circuit breakers"))?;
        for (name, state) in &data.breakers {
            self.conn
                .execute(
                    "INSERT INTO breaker (name, data) VALUES (?1, ?2)",
                    [name, state],
                )
                .map_err(self.err("writing the circuit breakers"))?;
        }
        self.conn
            .execute("DELETE FROM component", [])
            .map_err(self.err("writing the components' states"))?;
        for (key, state) in &data.components {
            self.conn
                .execute(
                    "INSERT INTO component (key, data) VALUES (?1, ?2)",
                    [key, state],
                )
                .map_err(self.err("writing the components' states"))?;
        }
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| sql_error(&self.path, "committing", e))
    }
}
