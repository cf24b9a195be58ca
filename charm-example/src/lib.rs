//! webkv: a Kubernetes sidecar charm written with ops-rs, and the template to copy.
//!
//! It runs `webkv-server` (a small key-value store over HTTP, `src/bin/webkv-server.rs`) in
//! the `web` container, and shows the framework's patterns, one concept per module:
//!
//! | Pattern | Where |
//! |---|---|
//! | Registration: one reconcile for many events, a notice handler, actions, collect-status | [`charm`] |
//! | Holistic reconcile; when to defer and when not to | [`reconcile`] |
//! | Typed config, validated, telling operator mistakes from failures | [`config`] |
//! | Pebble layer, config file (0600), start wrapper; restart only on change | [`workload`] |
//! | Custom notice instead of deferring; idempotent on re-delivery | [`notice`] |
//! | Secrets: the operator's (by id) or the charm's (leader creates, peers share the id) | [`token`] |
//! | A component with a custom event (the charm-library pattern); application data written by the leader only | [`website`] |
//! | Interface libraries (crates of components): ingress v2, Prometheus scraping | [`ingress`], [`metrics`] |
//! | Actions with typed parameters that fail with a message instead of deferring | [`actions`] |
//! | Exec: the workload's own tool run in its container, exit codes mapped to failures | [`actions`] (`backup`) |
//! | Statuses decided in one place from recorded facts | [`status`], [`state`] |
//!
//! The binary (`src/main.rs`) is one line: `ops::main(WebKv::default())`. Tests use `ops::testing`
//! (see `tests/`): they run these handlers through the real dispatcher against a simulated
//! Juju and a simulated Pebble.

pub mod actions;
pub mod charm;
pub mod config;
pub mod ingress;
pub mod kvclient;
pub mod metrics;
pub mod notice;
pub mod reconcile;
pub mod state;
pub mod status;
pub mod token;
pub mod website;
pub mod workload;

pub use charm::WebKv;
