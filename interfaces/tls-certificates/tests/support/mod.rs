//! Shared fixtures: a charm holding the requirer, a provider that signs our CSRs as the
//! Python provider does and writes its databag as the Python library does, and the schemas.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses a part

pub mod provider;
pub mod schema;

use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::RelationState;
use ops::testing::{Context, State};
use ops_interface_tls_certificates::v1::{CertificateRequest, Mode, TlsRequirer};

/// The endpoint every test uses.
pub const ENDPOINT: &str = "certificates";
/// The relation id every test uses.
pub const RELATION_ID: u64 = 7;
/// The provider application.
pub const PROVIDER: &str = "self-signed-certificates";
/// The component's key in the test charm.
pub const KEY: &str = "tls";

/// A charm that holds one requirer and nothing else.
pub struct TestCharm {
    pub tls: TlsRequirer,
}

impl Charm for TestCharm {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.component(KEY, |c: &mut TestCharm| &mut c.tls);
        on.action("regenerate-key", "regenerate_key", |c, ctx, ev| {
            let mode = match ev.params::<serde_json::Value>()?["mode"].as_str() {
                Some("app") => Mode::App,
                _ => Mode::Unit,
            };
            let done = c.tls.regenerate_private_key(ctx.model(), mode)?;
            ctx.model()
                .action_set_results(&serde_json::json!({"regenerated": done}))?;
            Ok(())
        });
    }
}

/// The charm's metadata: the endpoint, and a `common-name` option.
pub fn meta() -> CharmMeta {
    CharmMeta::from_charmcraft_yaml(
        "name: web\n\
         requires:\n  certificates: {interface: tls-certificates, limit: 1}\n\
         config:\n  options:\n    common-name: {type: string, default: web.example.com}\n\
         actions:\n  regenerate-key:\n    params:\n      mode: {type: string}\n",
    )
    .unwrap()
}

/// A request for `name` (common name and DNS SAN).
pub fn request(name: &str) -> CertificateRequest {
    CertificateRequest::builder()
        .common_name(name)
        .dns(name)
        .build()
        .unwrap()
}

/// A context whose charm's requirer is built by `build` for every run.
pub fn context(build: fn() -> TlsRequirer) -> Context<TestCharm> {
    Context::with_factory(meta(), move || TestCharm { tls: build() })
}

/// One unit request for `web.example.com`.
pub fn unit_requirer() -> TlsRequirer {
    TlsRequirer::builder(ENDPOINT)
        .request(Mode::Unit, request("web.example.com"))
        .build()
        .unwrap()
}

/// One app request for `app.example.com`.
pub fn app_requirer() -> TlsRequirer {
    TlsRequirer::builder(ENDPOINT)
        .request(Mode::App, request("app.example.com"))
        .build()
        .unwrap()
}

/// Both: a unit request and an app request.
pub fn both_requirer() -> TlsRequirer {
    TlsRequirer::builder(ENDPOINT)
        .request(Mode::Unit, request("web.example.com"))
        .request(Mode::App, request("app.example.com"))
        .build()
        .unwrap()
}

/// The unit request's common name from config (`common-name`), reconciled on
/// config-changed.
pub fn config_requirer() -> TlsRequirer {
    TlsRequirer::builder(ENDPOINT)
        .requests_from(Mode::Unit, |model| {
            let cn = model
                .config_value("common-name")?
                .and_then(|v| v.as_str().map(str::to_owned))
                .ok_or("common-name is not set")?;
            Ok(vec![
                CertificateRequest::builder()
                    .common_name(&cn)
                    .dns(&cn)
                    .build()?,
            ])
        })
        .refresh_on(EventKind::ConfigChanged)
        .build()
        .unwrap()
}

/// The relation to the provider, empty.
pub fn relation() -> RelationState {
    RelationState::new(RELATION_ID, ENDPOINT, PROVIDER)
        .interface("tls-certificates")
        .remote_unit(&format!("{PROVIDER}/0"), Vec::<(String, String)>::new())
}

/// The relation in `state`.
pub fn relation_in(state: &State) -> RelationState {
    state.relation_by_id(RELATION_ID).unwrap().clone()
}

/// `state` with its relation replaced by `f` of it.
pub fn with_relation(state: &State, f: impl FnOnce(RelationState) -> RelationState) -> State {
    let mut state = state.clone();
    let i = state
        .juju
        .relations
        .iter()
        .position(|r| r.id == RELATION_ID)
        .unwrap();
    let r = state.juju.relations.remove(i);
    state.juju.relations.insert(i, f(r));
    state
}

/// The CSRs (PEM) in our `mode` databag.
pub fn csrs(state: &State, mode: Mode) -> Vec<(String, bool)> {
    let r = relation_in(state);
    let bag = match mode {
        Mode::Unit => &r.local_unit_data,
        Mode::App => &r.local_app_data,
    };
    let Some(text) = bag.get("certificate_signing_requests") else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["certificate_signing_request"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                e["ca"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// The labels of the secrets in `state`, sorted.
pub fn secret_labels(state: &State) -> Vec<String> {
    let mut labels: Vec<String> = state
        .juju
        .secrets
        .iter()
        .filter_map(|s| s.label.clone())
        .collect();
    labels.sort();
    labels
}
