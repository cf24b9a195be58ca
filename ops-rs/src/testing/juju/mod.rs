//! Simulated Juju: an in-memory model and an interpreter that answers hook-tool command lines.
//!
//! Build a [`JujuState`], wrap it in a [`JujuSim`] and hand the sim to the model as its
//! [`HookToolRunner`](crate::hookcmds::HookToolRunner). Every call is answered as Juju's
//! real hook tools answer it (flags, output formats, error texts, exit codes, and the limits
//! in [`hookcmds::limits`](crate::hookcmds::limits): a command line Linux would not start
//! fails as the kernel's refusal does, never reaching the model) and recorded; afterwards the
//! state shows what the charm did.
//!
//! ```
//! use ops::hookcmds::HookToolRunner;
//! use ops::testing::juju::{JujuSim, JujuState, RelationState};
//!
//! let sim = JujuSim::new(
//!     JujuState::new("web/0")
//!         .leader(true)
//!         .relation(RelationState::new(1, "db", "mysql").remote_unit("mysql/0", [("host", "10.0.0.7")])),
//! );
//! let out = sim.run("relation-get", &["-r".into(), "db:1".into(), "host".into(), "mysql/0".into()], None).unwrap();
//! assert_eq!(out, b"10.0.0.7\n");
//! sim.run("relation-set", &["-r".into(), "db:1".into(), "--app".into(), "--file".into(), "-".into()],
//!         Some(br#"{"user": "web"}"#)).unwrap();
//! assert_eq!(sim.state().relations[0].local_app_data["user"], "web");
//! assert_eq!(sim.state().calls.len(), 2);
//! ```

pub mod args;
mod error;
mod interpreter;
pub mod output;
mod record;
mod state;
mod tools;

pub use error::ToolError;
pub use interpreter::{JujuSim, ToolOutput, execute, tool_names};
pub use record::ToolRecord;
pub use state::{
    ActionState, Address, BindAddress, Config, Databag, Goal, GoalState, JujuState, LogLine,
    ModelInfo, Network, OpenedPort, Protocol, Reboot, RelationState, STATE_VERSION, SecretContent,
    SecretGrant, SecretOwnership, SecretRevisionState, SecretState, StateError, StorageInstance,
    SubordinateRelation, ThisHook, ToolDefaults, secret_xid,
};
