//! The SQLite schema, its version, and migrations from older versions.
//!
//! The version lives in `meta` (`key = 'schema_version'`). `MIGRATIONS[n]` takes a store
//! from version `n` to `n + 1`; an empty file is version 0. A store written by an older
//! ops-rs is migrated forward when opened, inside the dispatch's transaction; a newer
//! version is refused with [`StoreError::NewerSchema`].

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::StoreError;
use super::sqlite::{Number, sql_error};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `MIGRATIONS[n]` migrates version `n` to `n + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the first layout.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
     CREATE TABLE queue (
         seq INTEGER PRIMARY KEY,
         event_id INTEGER NOT NULL,
         handler TEXT NOT NULL,
         kind TEXT NOT NULL,
         source TEXT,
         data TEXT NOT NULL
     );
     CREATE TABLE charm_state (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
     INSERT INTO meta (key, value) VALUES ('event_counter', 0);",
    // 1 -> 2: circuit breakers (crate::resilience), one JSON document per name.
    "CREATE TABLE breaker (name TEXT PRIMARY KEY, data TEXT NOT NULL);",
    // 2 -> 3: components' stored states (crate::framework::Component), one per key.
    "CREATE TABLE component (key TEXT PRIMARY KEY, data TEXT NOT NULL);",
];

fn table_exists(conn: &Connection, path: &Path, name: &str) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
    .map_err(|e| sql_error(path, "reading the schema", e))
}

/// Brings the store at `path` to the newest version of `migrations` (inside the open
/// transaction).
pub(crate) fn migrate(
    conn: &Connection,
    path: &Path,
    migrations: &[&str],
) -> Result<(), StoreError> {
    let newest = migrations.len() as i64;
    let found = if table_exists(conn, path, "meta")? {
        let version = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| Ok(Number::read(r.get_ref(0)?)),
            )
            .optional()
            .map_err(|e| sql_error(path, "reading the schema version", e))?
            .unwrap_or(Number::Missing);
        // Every file ops-rs commits has its version beside its `meta` table (written in the
        // transaction that creates the table).
        match version {
            Number::Whole(v) => v,
            Number::Missing => {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: "it has a `meta` table but no schema version: it was not written \
                             by ops-rs, or was damaged"
                        .into(),
                });
            }
            Number::Not(what) => {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: format!("its schema version is {what}, not a number"),
                });
            }
        }
    } else if table_exists(conn, path, "snapshot")? && table_exists(conn, path, "notice")? {
        return Err(StoreError::PythonOps {
            path: path.to_owned(),
        });
    } else {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| sql_error(path, "reading the schema", e))?;
        if tables > 0 {
            return Err(StoreError::Corrupt {
                path: path.to_owned(),
                detail: "it is an SQLite database, but not an ops-rs state file".into(),
            });
        }
        0
    };
    if found > newest {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: newest,
        });
    }
    if found < 0 {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: format!("schema version {found}"),
        });
    }
    for (from, sql) in migrations.iter().enumerate().skip(found as usize) {
        conn.execute_batch(sql)
            .map_err(|e| sql_error(path, "migrating the schema", e))?;
        tracing::debug!(
            "migrated state store {} to schema {}",
            path.display(),
            from + 1
        );
    }
    if found < newest {
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?1)",
            [newest],
        )
        .map_err(|e| sql_error(path, "writing the schema version", e))?;
    }
    Ok(())
}
