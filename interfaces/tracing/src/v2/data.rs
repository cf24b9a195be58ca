//! The two databags of `tracing` v2.

use serde::{Deserialize, Serialize};

use super::TracingError;

/// A receiver protocol's name, as the provider and requirer spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol(pub &'static str);

impl Protocol {
    /// OTLP over HTTP (what `ops-tracing` sends: protobuf to `<url>/v1/traces`).
    pub const OTLP_HTTP: Protocol = Protocol("otlp_http");
    /// OTLP over gRPC.
    pub const OTLP_GRPC: Protocol = Protocol("otlp_grpc");
}

/// The requirer's application databag: `receivers`, the protocols it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirerAppData {
    /// The protocol names, in the order asked.
    pub receivers: Vec<String>,
}

impl RequirerAppData {
    /// The value of the `receivers` key (a JSON list of names).
    pub fn receivers_value(&self) -> String {
        serde_json::Value::from(self.receivers.clone()).to_string()
    }
}

/// One protocol a receiver speaks: its name and transport (`http` or `grpc`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverProtocol {
    /// The protocol's name (`otlp_http`).
    pub name: String,
    /// The transport: `http` or `grpc`.
    #[serde(rename = "type")]
    pub transport: String,
}

/// One receiver the provider runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receiver {
    /// What it speaks.
    pub protocol: ReceiverProtocol,
    /// Where (for HTTP, with the scheme; for gRPC, `host:port`).
    pub url: String,
}

/// The provider's application databag: the receivers it runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderAppData {
    /// Every receiver the provider published.
    pub receivers: Vec<Receiver>,
}

impl ProviderAppData {
    /// Parses the value of the provider's `receivers` key.
    pub fn from_receivers(value: &str) -> Result<Self, TracingError> {
        let receivers = serde_json::from_str(value).map_err(|e| TracingError::Remote {
            detail: format!(
                "its `receivers` is not a JSON list of {{protocol: {{name, type}}, url}}: {e}"
            ),
        })?;
        Ok(ProviderAppData { receivers })
    }

    /// The URL of the receiver speaking `protocol`, if the provider runs one.
    pub fn url_for(&self, protocol: Protocol) -> Option<&str> {
        url_for(&self.receivers, protocol)
    }
}

/// The URL of the first of `receivers` speaking `protocol`.
pub(super) fn url_for(receivers: &[Receiver], protocol: Protocol) -> Option<&str> {
    receivers
        .iter()
        .find(|r| r.protocol.name == protocol.0)
        .map(|r| r.url.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirer_receivers_are_a_json_list() {
        let data = RequirerAppData {
            receivers: vec!["otlp_http".into()],
        };
        assert_eq!(data.receivers_value(), r#"["otlp_http"]"#);
    }

    #[test]
    fn provider_data_finds_the_protocol_or_says_what_is_wrong() {
        let d = ProviderAppData::from_receivers(
            r#"[{"protocol":{"name":"otlp_grpc","type":"grpc"},"url":"tempo:4317"},
                {"protocol":{"name":"otlp_http","type":"http"},"url":"http://tempo:4318"}]"#,
        )
        .unwrap();
        assert_eq!(d.url_for(Protocol::OTLP_HTTP), Some("http://tempo:4318"));
        assert_eq!(d.url_for(Protocol("zipkin")), None);
        let e = ProviderAppData::from_receivers(r#"{"url": 1}"#).unwrap_err();
        assert!(e.to_string().contains("receivers"), "{e}");
    }
}
