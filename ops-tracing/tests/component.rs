//! The `Tracing` component through `ops::testing`: where it decides spans go, from the
//! `tracing` relation and, for HTTPS, the CA (as `ops_tracing.Tracing` decides it).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::RelationState;
use ops::testing::{Context, State};
use ops_tracing::{Destination, Tracing};

const META: &str = "name: web
requires:
  charm-tracing: {interface: tracing, limit: 1}
  receive-ca-cert: {interface: certificate_transfer, limit: 1}
";

struct Web {
    tracing: Tracing,
}

impl Charm for Web {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.component("tracing", |c: &mut Web| &mut c.tracing);
    }
}

fn context(tracing: impl Fn() -> Tracing + 'static, meta: &str) -> Context<Web> {
    Context::with_factory(CharmMeta::from_charmcraft_yaml(meta).unwrap(), move || {
        Web { tracing: tracing() }
    })
}

fn tempo(url: &str) -> RelationState {
    let receivers =
        format!(r#"[{{"protocol":{{"name":"otlp_http","type":"http"}},"url":"{url}"}}]"#);
    RelationState::new(1, "charm-tracing", "tempo").remote_app_data([("receivers", receivers)])
}

fn ca(certificates: &[&str]) -> RelationState {
    RelationState::new(2, "receive-ca-cert", "ca")
        .remote_app_data([("certificates", serde_json::json!(certificates).to_string())])
}

/// Where the component sends spans, in `state`, on update-status.
fn destination(ctx: &Context<Web>, state: &State) -> Option<Destination> {
    let (_, d) = ctx
        .run_inspect(ctx.on.update_status(), state, |web, ctx| {
            web.tracing.destination(ctx.model())
        })
        .unwrap();
    d.unwrap()
}

#[test]
fn an_http_receiver_needs_no_ca() {
    let ctx = context(
        || Tracing::new("charm-tracing").ca_relation("receive-ca-cert"),
        META,
    );
    let d = destination(&ctx, &State::new().relation(tempo("http://tempo:4318/")));
    assert_eq!(
        d,
        Some(Destination {
            url: "http://tempo:4318/v1/traces".into(),
            ca: None
        })
    );
    assert_eq!(destination(&ctx, &State::new()), None);
}

#[test]
fn https_with_a_ca_relation_waits_for_its_certificates() {
    let ctx = context(
        || Tracing::new("charm-tracing").ca_relation("receive-ca-cert"),
        META,
    );
    let https = tempo("https://tempo:4318");
    // No CA relation, then one without certificates: nothing is sent yet.
    assert_eq!(
        destination(&ctx, &State::new().relation(https.clone())),
        None
    );
    let empty = RelationState::new(2, "receive-ca-cert", "ca");
    let state = State::new().relation(https.clone()).relation(empty);
    assert_eq!(destination(&ctx, &state), None);
    // The provider's certificates, deduplicated and sorted, one PEM after another.
    let state = State::new()
        .relation(https)
        .relation(ca(&["PEM-B", "PEM-A", "PEM-B"]));
    assert_eq!(
        destination(&ctx, &state),
        Some(Destination {
            url: "https://tempo:4318/v1/traces".into(),
            ca: Some("PEM-A\nPEM-B".into())
        })
    );
}

#[test]
fn https_without_a_ca_relation_trusts_the_fixed_list_or_the_systems() {
    let fixed = context(|| Tracing::new("charm-tracing").ca_data("FIXED-PEM"), META);
    let state = State::new().relation(tempo("https://tempo"));
    assert_eq!(
        destination(&fixed, &state).and_then(|d| d.ca),
        Some("FIXED-PEM".into())
    );
    let system = context(|| Tracing::new("charm-tracing"), META);
    let d = destination(&system, &state).unwrap();
    assert_eq!((d.url.as_str(), d.ca), ("https://tempo/v1/traces", None));
}

#[test]
fn endpoints_declared_otherwise_fail_the_hook_and_say_how_to_declare_them() {
    let wrong = "name: web
requires:
  charm-tracing: {interface: tempo}
";
    let ctx = context(|| Tracing::new("charm-tracing"), wrong);
    let err = ctx
        .run(ctx.on.start(), &State::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            r#"endpoint "charm-tracing" has interface "tempo" where "tracing" is expected"#
        ),
        "{err}"
    );
    let ctx = context(
        || Tracing::new("charm-tracing").ca_relation("send-ca-cert"),
        "name: web\nrequires: {charm-tracing: {interface: tracing}}\n",
    );
    let err = ctx
        .run(ctx.on.start(), &State::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains(r#""send-ca-cert" is not declared"#), "{err}");
    assert!(err.contains("interface: certificate_transfer"), "{err}");
}

#[test]
fn a_unit_test_sees_the_spans_through_a_context_layer() {
    // The collector `ops_tracing::main` installs, added to `ops::testing` runs instead.
    let collector =
        ops_tracing::SpanCollector::new(ops_tracing::TraceParent::from_juju(None, None));
    let ctx = context(|| Tracing::new("charm-tracing"), META).layer(collector.clone());
    let state = State::new().relation(tempo("http://tempo:4318"));
    ctx.run(ctx.on.relation_changed(&tempo("http://tempo:4318")), &state)
        .unwrap();
    let (spans, dropped) = collector.take();
    assert_eq!(dropped, 0);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "ops.main",
        "emit charm-tracing-relation-changed",
        "charm-tracing-relation-changed: tracing/on_tracing_changed",
        "relation-get",
        "ops.collect_status",
    ] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
}
