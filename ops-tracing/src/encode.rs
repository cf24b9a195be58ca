//! One dispatch's spans as an OTLP `ExportTraceServiceRequest`, in protobuf.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message as _;

use crate::collector::kv;

/// The instrumentation scope every span is reported under.
pub const SCOPE: &str = "ops";

/// Who sent the spans: the unit, its application and model, named as Python `ops[tracing]`
/// names them (`service.name` is the application, `service.instance.id` the unit number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The unit (`web/0`).
    pub unit: String,
    /// The model's name.
    pub model: String,
    /// The model's UUID.
    pub model_uuid: String,
    /// The charm's Rust type (Python: `charm_type`, the charm class).
    pub charm_type: String,
}

impl Origin {
    fn attributes(&self) -> Vec<KeyValue> {
        let (app, number) = self.unit.split_once('/').unwrap_or((&self.unit, ""));
        vec![
            kv("service.namespace", &*self.model_uuid),
            kv("service.namespace.name", &*self.model),
            kv("service.name", app),
            kv("service.instance.id", number),
            kv("charm_type", &*self.charm_type),
            kv("juju_model", &*self.model),
            kv("juju_model_uuid", &*self.model_uuid),
            kv("juju_application", app),
            kv("juju_unit", &*self.unit),
            kv("telemetry.sdk.name", "ops-rs"),
            kv("telemetry.sdk.language", "rust"),
        ]
    }
}

/// The request carrying `spans` from `origin`.
pub fn request(origin: &Origin, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: origin.attributes(),
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: SCOPE.to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..InstrumentationScope::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// `request` in protobuf, as OTLP/HTTP sends it (`application/x-protobuf`).
///
/// Two encoded requests written one after the other are one valid request holding both's
/// spans (protobuf merges repeated fields), which is how the buffer sends several
/// dispatches at once.
pub fn encode(request: &ExportTraceServiceRequest) -> Vec<u8> {
    request.encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenated_requests_decode_as_one() {
        let origin = Origin {
            unit: "web/0".into(),
            model: "m".into(),
            model_uuid: "u".into(),
            charm_type: "Web".into(),
        };
        let one = |name: &str| {
            encode(&request(
                &origin,
                vec![Span {
                    name: name.into(),
                    ..Span::default()
                }],
            ))
        };
        let mut both = one("install");
        both.extend(one("start"));
        let decoded = ExportTraceServiceRequest::decode(&*both).unwrap();
        let names: Vec<&str> = decoded
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["install", "start"]);
        let resource = decoded.resource_spans[0].resource.as_ref().unwrap();
        assert!(resource.attributes.contains(&kv("service.name", "web")));
        assert!(
            resource
                .attributes
                .contains(&kv("service.instance.id", "0"))
        );
    }
}
