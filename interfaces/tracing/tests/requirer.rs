//! The requirer through `ops::testing`: what it writes (validated against our schema of
//! `tracing` v2) and what it reads.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::RelationState;
use ops::testing::{Context, Output, State};
use ops_interface_tracing::v2::{EndpointChanged, EndpointRemoved, Protocol, TracingRequirer};

struct Web {
    tracing: TracingRequirer,
}

impl Default for Web {
    fn default() -> Self {
        Web {
            tracing: TracingRequirer::new("charm-tracing", &[Protocol::OTLP_HTTP]),
        }
    }
}

impl Charm for Web {
    type Stored = Option<String>;
    fn observe(on: &mut Observers<Self>) {
        on.component("tracing", |c: &mut Web| &mut c.tracing);
        on.config_changed("on_config", |web, ctx, _| {
            *ctx.stored_mut() = web.tracing.url(ctx.model(), Protocol::OTLP_HTTP)?;
            Ok(())
        });
    }
}

fn context() -> Context<Web> {
    Context::new(
        CharmMeta::from_charmcraft_yaml(
            "name: web\nrequires: {charm-tracing: {interface: tracing, limit: 1}}\n",
        )
        .unwrap(),
    )
}

fn relation(out: &Output) -> &RelationState {
    out.state.relation_by_id(1).unwrap()
}

fn schema(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_leader_asks_for_otlp_http_when_the_relation_is_created() {
    let ctx = context();
    let rel = RelationState::new(1, "charm-tracing", "tempo");
    let state = State::new().leader(true).relation(rel.clone());
    let out = ctx.run(ctx.on.relation_created(&rel), &state).unwrap();
    let bag = relation(&out).local_app_data.clone();
    let bag = serde_json::to_value(&bag).unwrap();
    assert!(
        jsonschema::is_valid(&schema("requirer.json"), &bag),
        "{bag}"
    );
    let receivers: serde_json::Value =
        serde_json::from_str(bag["receivers"].as_str().unwrap()).unwrap();
    assert!(jsonschema::is_valid(&schema("receivers.json"), &receivers));
    assert_eq!(receivers, serde_json::json!(["otlp_http"]));
}

#[test]
fn a_follower_writes_nothing() {
    let ctx = context();
    let rel = RelationState::new(1, "charm-tracing", "tempo");
    let state = State::new().leader(false).relation(rel.clone());
    let out = ctx.run(ctx.on.relation_created(&rel), &state).unwrap();
    assert!(relation(&out).local_app_data.is_empty());
}

#[test]
fn the_url_is_read_from_the_providers_receivers() {
    let ctx = context();
    let rel = RelationState::new(1, "charm-tracing", "tempo").remote_app_data([(
        "receivers",
        r#"[{"protocol":{"name":"otlp_grpc","type":"grpc"},"url":"tempo:4317"},{"protocol":{"name":"otlp_http","type":"http"},"url":"http://tempo:4318"}]"#,
    )]);
    let state = State::new().relation(rel);
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        out.state.stored_as::<Option<String>>().unwrap().as_deref(),
        Some("http://tempo:4318")
    );
}

#[test]
fn bad_provider_data_is_an_error_that_says_so() {
    let ctx = context();
    let rel = RelationState::new(1, "charm-tracing", "tempo")
        .remote_app_data([("receivers", "not json")]);
    let state = State::new().relation(rel);
    let err = ctx.run(ctx.on.config_changed(), &state).unwrap_err();
    assert!(err.to_string().contains("receivers"), "{err}");
}

#[test]
fn valid_receivers_are_an_endpoint_changed_event() {
    let ctx = context();
    let rel = RelationState::new(1, "charm-tracing", "tempo").remote_app_data([(
        "receivers",
        r#"[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://tempo:4318"}]"#,
    )]);
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    assert_eq!(out.emitted_names(), ["endpoint-changed"]);
    let changed = out.emitted_events[0]
        .payload_as::<EndpointChanged>()
        .unwrap();
    assert_eq!(changed.relation_id, 1);
    assert_eq!(
        changed.url_for(Protocol::OTLP_HTTP),
        Some("http://tempo:4318")
    );
    assert_eq!(out.emitted_events[0].emitter, "tracing");
}

#[test]
fn missing_or_invalid_receivers_and_a_broken_relation_are_endpoint_removed() {
    let ctx = context();
    for data in [None, Some("not json"), Some(r#"[{"url": 3}]"#)] {
        let mut rel = RelationState::new(1, "charm-tracing", "tempo");
        if let Some(d) = data {
            rel = rel.remote_app_data([("receivers", d)]);
        }
        let out = ctx
            .run(
                ctx.on.relation_changed(&rel),
                &State::new().relation(rel.clone()),
            )
            .unwrap();
        assert_eq!(out.emitted_names(), ["endpoint-removed"], "{data:?}");
        assert_eq!(
            out.emitted_events[0].payload,
            serde_json::json!({"relation_id": 1}),
            "{data:?}"
        );
    }
    let rel = RelationState::new(1, "charm-tracing", "tempo");
    let out = ctx
        .run(
            ctx.on.relation_broken(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    let removed = out.emitted_events[0]
        .payload_as::<EndpointRemoved>()
        .unwrap();
    assert_eq!(removed, EndpointRemoved { relation_id: 1 });
}

#[test]
fn a_charm_observes_the_events_under_the_requirers_key() {
    #[derive(Default)]
    struct Watcher {
        tracing: Option<TracingRequirer>,
    }
    impl Charm for Watcher {
        type Stored = Vec<String>;
        fn observe(on: &mut Observers<Self>) {
            on.component("tracing", |c: &mut Watcher| {
                c.tracing.get_or_insert_with(|| {
                    TracingRequirer::new("charm-tracing", &[Protocol::OTLP_HTTP])
                })
            });
            on.custom::<EndpointChanged>("tracing", "on_changed", |_, ctx, ev| {
                let url = ev.payload().url_for(Protocol::OTLP_HTTP).unwrap_or("-");
                ctx.stored_mut().push(format!("changed {url}"));
                Ok(())
            });
            on.custom::<EndpointRemoved>("tracing", "on_removed", |_, ctx, ev| {
                ctx.stored_mut()
                    .push(format!("removed {}", ev.payload().relation_id));
                Ok(())
            });
        }
    }
    let ctx = Context::<Watcher>::new(
        CharmMeta::from_charmcraft_yaml(
            "name: web\nrequires: {charm-tracing: {interface: tracing, limit: 1}}\n",
        )
        .unwrap(),
    );
    let rel = RelationState::new(1, "charm-tracing", "tempo").remote_app_data([(
        "receivers",
        r#"[{"protocol":{"name":"otlp_http","type":"http"},"url":"http://tempo:4318"}]"#,
    )]);
    let state = State::new().relation(rel.clone());
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    let out = ctx.run(ctx.on.relation_broken(&rel), &out.state).unwrap();
    assert_eq!(
        out.state.stored_as::<Vec<String>>().unwrap(),
        ["changed http://tempo:4318", "removed 1"]
    );
}
