//! The database relation interface for ops-rs charms: the `postgresql_client`,
//! `mysql_client` and `mongodb_client` interfaces, both sides, wire-compatible with the
//! Python library the deployed database charms use (data-platform-libs'
//! `data_interfaces` v0).
//!
//! The protocol version is a module: [`v0`]. A charm holds a [`v0::DatabaseRequirer`] (or a
//! [`v0::DatabaseProvider`]) as a field, registers it as a component under a key, and
//! observes its custom events under that key:
//!
//! ```
//! use ops::prelude::*;
//! use ops::event::Custom;
//! use ops_interface_database::v0::{DatabaseCreated, DatabaseRequirer, EndpointsChanged};
//!
//! struct App { db: DatabaseRequirer }
//! impl Default for App {
//!     fn default() -> Self { App { db: DatabaseRequirer::new("database", "myapp") } }
//! }
//! impl Charm for App {
//!     type Stored = ();
//!     fn observe(on: &mut Observers<Self>) {
//!         on.component("db", |c: &mut App| &mut c.db);
//!         on.custom::<DatabaseCreated>("db", "on_db_created", |c, ctx, ev| c.configure(ctx, ev.relation_id));
//!         on.custom::<EndpointsChanged>("db", "on_db_moved", |c, ctx, ev| c.configure(ctx, ev.relation_id));
//!     }
//! }
//! impl App {
//!     fn configure(&mut self, ctx: &mut Ctx<Self>, relation_id: u32) -> HandlerResult {
//!         let info = self.db.fetch(ctx.model(), relation_id)?;
//!         for problem in info.problems() {
//!             ctx.add_unit_status(Status::blocked(problem.clone()))?;
//!         }
//!         tracing::info!("database at {:?}, user {:?}", info.endpoints(), info.username());
//!         Ok(())
//!     }
//! }
//! ```
//!
//! See the crate's README for the protocol, how `dpcharmlibs-interfaces`' v1 differs, and
//! the hook-tool calls per event compared with the Python library.

pub mod v0;
