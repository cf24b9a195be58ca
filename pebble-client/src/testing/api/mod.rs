//! Endpoint handlers, one module per endpoint group.

pub(crate) mod changes;
pub(crate) mod checks;
pub(crate) mod files;
pub(crate) mod identities;
pub(crate) mod logs;
pub(crate) mod notices;
pub(crate) mod services;
pub(crate) mod system;
