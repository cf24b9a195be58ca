//! Workload containers: [`Container`], one container's Pebble, for handlers.
//!
//! A Kubernetes charm's workload runs in containers the charm declares in its metadata; each
//! has a Pebble whose socket Juju mounts at `/charm/containers/<name>/pebble.socket`
//! (for local simulation only, `OPS_RS_CONTAINERS_DIR` moves the directory: see
//! [`JujuContext::containers_dir`](crate::context::JujuContext::containers_dir)).
//!
//! - Get a container with [`Ctx::container`](crate::framework::Ctx::container) (an unknown
//!   name is an error listing the declared ones) or from a workload event
//!   (`ev.container(ctx)`). All handles on one container in a dispatch share one connection.
//! - Every call is retried by policy: charm-wide and per container with [`PebbleOptions`]
//!   (through [`MainOptions::pebble`](crate::MainOptions::pebble)), per call with
//!   [`Container::with_retry`]. Each retry and give-up is logged to `juju-log` at WARNING.
//! - [`Container::exec`] runs a command in the container ([`ExecProcess`]): for the
//!   workload's own tools (a backup, a migration, a config check).
//! - Errors are [`ContainerError`]s: [`ContainerError::is_unreachable`] says "Pebble is not up
//!   or is restarting; defer", the others are failures to report.
//! - Pebble's own types are here too, each with its own summary: a [`Layer`] of
//!   [`Service`]s, [`Check`]s (one of [`HttpCheck`], [`TcpCheck`], [`ExecCheck`]) and
//!   [`LogTarget`]s, what it reports ([`Plan`], [`ServiceInfo`], [`CheckInfo`], [`Notice`],
//!   [`FileInfo`]) and the options of calls ([`PushOptions`], [`ExecOptions`], ...).
//!
//! ```
//! use ops::container::{Check, HttpCheck, Layer, Override, Service, ServiceStartup};
//! let mut layer = Layer::default();
//! let mut web = Service::default();
//! web.override_ = Some(Override::Replace);
//! web.command = Some("/bin/web --port 8080".into());
//! web.startup = ServiceStartup::Enabled;
//! layer.services.insert("web".into(), web);
//! let mut up = Check::default();
//! up.override_ = Some(Override::Replace);
//! let mut http = HttpCheck::default();
//! http.url = Some("http://localhost:8080/health".into());
//! up.http = Some(http);
//! layer.checks.insert("up".into(), up);
//! assert!(layer.to_yaml()?.contains("http://localhost:8080/health"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```no_run
//! use ops::prelude::*;
//!
//! struct Web;
//! impl Charm for Web {
//!     type Stored = ();
//!     fn observe(on: &mut Observers<Self>) {
//!         on.config_changed("reconcile", Self::reconcile);
//!     }
//! }
//! impl Web {
//!     fn reconcile(&mut self, ctx: &mut Ctx<Self>, ev: &mut ConfigChanged) -> HandlerResult {
//!         let web = ctx.container("web")?;
//!         match web.push("/etc/web.conf", "port = 8080\n", &Default::default()) {
//!             Err(e) if e.is_unreachable() => {
//!                 ctx.add_unit_status(Status::waiting("waiting for Pebble"))?;
//!                 ev.defer()?;
//!                 return Ok(());
//!             }
//!             r => r?,
//!         }
//!         web.restart(&["web"])?;
//!         Ok(())
//!     }
//! }
//! ```

mod connections;
mod error;
mod exec;
mod files;
mod handle;
mod lookup;
mod notices;
mod options;
mod services;

pub(crate) use connections::Connections;
pub use error::{ContainerError, NoticeMismatch};
pub use exec::ExecProcess;
pub use handle::Container;
pub use lookup::ContainerLookup;
pub use options::{DEFAULT_CHANGE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, PebbleOptions};

// Pebble's types used with `Container`, shown here with their own docs (no doc comment on
// this `use`: rustdoc would repeat it as the summary of every one of them).
#[doc(inline)]
pub use pebble_client::{
    Check, CheckInfo, CheckLevel, CheckStartup, CheckStatus, ExecCheck, ExecError, ExecOptions,
    ExecOutput, ExitStatus, FileInfo, FileType, GoDuration, HttpCheck, Layer, ListFilesOptions,
    LogTarget, LogTargetType, MakeDirOptions, Notice, NoticeType, NoticesQuery, Override, Plan,
    PushOptions, Service, ServiceInfo, ServiceStartup, ServiceStatus, TcpCheck,
    blocking::{ExecReader, ExecStdin},
    retry::RetryPolicy,
};

#[cfg(all(test, feature = "testing"))]
mod tests;
