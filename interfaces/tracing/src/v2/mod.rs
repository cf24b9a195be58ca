//! `tracing` v2: the requirer lists the protocols it wants in its application databag
//! (`receivers`: a JSON list of names, e.g. `["otlp_http"]`); the provider answers in its
//! own (`receivers`: a JSON list of `{"protocol": {"name", "type"}, "url"}`).
//!
//! ```
//! use ops_interface_tracing::v2::{ProviderAppData, Protocol};
//! let bag = r#"[{"protocol": {"name": "otlp_http", "type": "http"}, "url": "http://tempo:4318"}]"#;
//! let data = ProviderAppData::from_receivers(bag)?;
//! assert_eq!(data.url_for(Protocol::OTLP_HTTP), Some("http://tempo:4318"));
//! # Ok::<(), ops_interface_tracing::v2::TracingError>(())
//! ```

mod data;
mod events;
mod requirer;

pub use data::{Protocol, ProviderAppData, Receiver, ReceiverProtocol, RequirerAppData};
pub use events::{EndpointChanged, EndpointRemoved};
pub use requirer::{TracingError, TracingRequirer};
