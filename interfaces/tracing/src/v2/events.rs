//! The requirer's custom events (Python: `TracingEndpointRequirer.on.endpoint_changed` and
//! `endpoint_removed`), emitted under the key the charm registered the requirer with.

use ops::event::CustomEvent;
use serde::{Deserialize, Serialize};

use super::data::{Protocol, Receiver};

/// `endpoint-changed`: the provider published valid receivers on a relation (emitted on
/// each of its relation-changed events, as the Python library does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointChanged {
    /// The relation.
    pub relation_id: u32,
    /// Every receiver the provider published.
    pub receivers: Vec<Receiver>,
}

impl CustomEvent for EndpointChanged {
    const NAME: &'static str = "endpoint-changed";
}

impl EndpointChanged {
    /// The URL of the receiver speaking `protocol`, if the provider runs one.
    pub fn url_for(&self, protocol: Protocol) -> Option<&str> {
        super::data::url_for(&self.receivers, protocol)
    }
}

/// `endpoint-removed`: the relation is going (relation-broken), or its provider data is
/// missing or not valid any more (relation-changed): stop sending to its receivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRemoved {
    /// The relation.
    pub relation_id: u32,
}

impl CustomEvent for EndpointRemoved {
    const NAME: &'static str = "endpoint-removed";
}
