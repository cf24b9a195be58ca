//! The ingress v2 requirer through `ops::testing`: what it writes on every path (checked
//! against the schema), what it reads from traefik's provider, bad provider data, and its
//! events.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod support;

use ops::model::LogLevel;
use ops::status::Status;
use ops::testing::juju::RelationState;
use ops_interface_ingress::v2::{HealthCheck, IngressConfig, RequirerState, Scheme};
use serde_json::json;
use support::*;

const FQDN: &str = "web-0.web-endpoints.test-model.svc.cluster.local";

fn config() -> IngressConfig {
    IngressConfig::new(8080).host(FQDN)
}

fn with_url(relation: RelationState, url: &str) -> RelationState {
    relation.remote_app_data([("ingress", format!(r#"{{"url": "{url}"}}"#))])
}

#[test]
fn first_join_writes_nothing_and_the_first_change_writes_both_bags() {
    let ctx = web(config());
    let rel = to_traefik();
    // As the Python library: nothing on joined (its interface tests expect empty bags).
    let joined = ctx
        .run(ctx.on.relation_joined(&rel, "traefik/0"), &web_state(&rel))
        .unwrap();
    assert_eq!(joined.tool_count("relation-set"), 0);
    assert!(joined.emitted_events.is_empty());

    let out = ctx
        .run(ctx.on.relation_changed(&rel), &joined.state)
        .unwrap();
    let r = relation(&out, 1);
    assert_valid("requirer", r);
    assert_eq!(
        r.local_app_data,
        [
            ("model", "\"test-model\""),
            ("name", "\"web\""),
            ("port", "8080"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into()
    );
    assert_eq!(r.local_unit_data["host"], format!("\"{FQDN}\""));
    assert_eq!(r.local_unit_data["ip"], "\"10.1.2.3\"");
    assert!(out.emitted_events.is_empty(), "no URL yet");
}

#[test]
fn every_option_is_written_as_the_python_library_writes_it() {
    let ctx = web(config()
        .scheme(Scheme::Https)
        .strip_prefix(true)
        .redirect_https(true)
        .ip("fd00::7".parse().unwrap())
        .healthcheck(HealthCheck::new("/health").interval("10s")));
    let rel = to_traefik();
    let state = web_state(&rel).opened_port(ops::testing::juju::OpenedPort::tcp(8080));
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    let r = relation(&out, 1);
    assert_valid("requirer", r);
    let app = &r.local_app_data;
    assert_eq!(app["scheme"], "\"https\"");
    assert_eq!(app["strip-prefix"], "true");
    assert_eq!(app["redirect-https"], "true");
    assert_eq!(app["is_port_open"], "true");
    assert_eq!(
        app["healthcheck_params"],
        r#"{"interval":"10s","path":"/health"}"#
    );
    assert_eq!(r.local_unit_data["ip"], "\"fd00::7\"");
}

#[test]
fn a_non_leader_writes_only_its_unit_bag() {
    let ctx = web(config());
    let rel = to_traefik();
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &web_state(&rel).leader(false),
        )
        .unwrap();
    let r = relation(&out, 1);
    assert!(r.local_app_data.is_empty());
    assert_valid("requirer", r);
}

#[test]
fn the_url_makes_ready_once_a_new_url_makes_ready_again_and_departure_keeps_it() {
    let ctx = web(config());
    let rel = with_url(to_traefik(), "http://10.0.0.9/test-model-web");
    let first = ctx
        .run(ctx.on.relation_changed(&rel), &web_state(&rel))
        .unwrap();
    assert_eq!(
        first.emitted_payloads(),
        [(
            "ingress/ready".to_owned(),
            json!({"relation_id": 1, "url": "http://10.0.0.9/test-model-web"})
        )]
    );
    assert_eq!(first.handlers_called()[1], "on_ready");
    assert_valid("requirer", relation(&first, 1));
    let stored: RequirerState = first.state.component_stored_as("ingress").unwrap();
    assert_eq!(
        stored.current_url.map(String::from).as_deref(),
        Some("http://10.0.0.9/test-model-web")
    );

    // The same URL again: no event, and nothing to write.
    let again = ctx
        .run(ctx.on.relation_changed(&rel), &first.state)
        .unwrap();
    assert!(again.emitted_events.is_empty());
    assert_eq!(again.tool_count("relation-set"), 0);

    // A second traefik unit joins and leaves: the bags stay valid, the URL stays.
    let mut two = relation(&again, 1).clone();
    two.remote_units
        .insert("traefik/1".into(), Default::default());
    let state = again.state.clone();
    let departed = ctx
        .run(
            ctx.on.relation_departed(&two, "traefik/1"),
            &state_with(&state, two.clone()),
        )
        .unwrap();
    assert!(departed.emitted_events.is_empty());
    assert_valid("requirer", relation(&departed, 1));

    // Traefik moves to subdomain routing.
    let moved = with_url(
        relation(&departed, 1).clone(),
        "http://test-model-web.example.org/",
    );
    let out = ctx
        .run(
            ctx.on.relation_changed(&moved),
            &state_with(&departed.state, moved.clone()),
        )
        .unwrap();
    assert_eq!(
        out.emitted_payloads(),
        [(
            "ingress/ready".to_owned(),
            json!({"relation_id": 1, "url": "http://test-model-web.example.org/"})
        )]
    );
}

/// `state` with its relation 1 replaced by `relation`.
fn state_with(state: &ops::testing::State, relation: RelationState) -> ops::testing::State {
    let mut state = state.clone();
    state.juju.relations.retain(|r| r.id != relation.id);
    state.juju.relations.push(relation);
    state
}

#[test]
fn events_come_in_order_across_hooks_ready_ready_revoked_then_broken_revokes() {
    let ctx = web(config());
    let mut state = web_state(&to_traefik());
    let mut seen = Vec::new();
    for url in [
        Some("http://10.0.0.9/test-model-web"),
        Some("https://10.0.0.9/test-model-web"),
        None, // traefik withdraws it (wipe_ingress_data)
        Some("http://10.0.0.9/test-model-web"),
    ] {
        let mut rel = relation_of(&state).clone();
        rel.remote_app_data.clear();
        if let Some(url) = url {
            rel = with_url(rel, url);
        }
        let out = ctx
            .run(
                ctx.on.relation_changed(&rel),
                &state_with(&state, rel.clone()),
            )
            .unwrap();
        assert_valid("requirer", relation(&out, 1));
        seen.extend(out.emitted_payloads());
        state = out.state;
    }
    let rel = relation_of(&state).clone();
    let broken = ctx.run(ctx.on.relation_broken(&rel), &state).unwrap();
    assert_eq!(
        broken.tool_count("relation-set"),
        0,
        "nothing is written on broken"
    );
    assert!(broken.state.relation_by_id(1).is_none());
    seen.extend(broken.emitted_payloads());
    assert_eq!(
        seen,
        [
            (
                "ingress/ready".to_owned(),
                json!({"relation_id": 1, "url": "http://10.0.0.9/test-model-web"})
            ),
            (
                "ingress/ready".to_owned(),
                json!({"relation_id": 1, "url": "https://10.0.0.9/test-model-web"})
            ),
            ("ingress/revoked".to_owned(), json!({"relation_id": 1})),
            (
                "ingress/ready".to_owned(),
                json!({"relation_id": 1, "url": "http://10.0.0.9/test-model-web"})
            ),
            ("ingress/revoked".to_owned(), json!({"relation_id": 1})),
        ]
    );
    assert_eq!(
        broken
            .state
            .component_stored_as::<RequirerState>("ingress")
            .unwrap(),
        RequirerState::default()
    );
    assert!(broken.log_messages().contains(&"charm saw revoked"));
}

fn relation_of(state: &ops::testing::State) -> &RelationState {
    state.relation_by_id(1).expect("relation 1")
}

#[test]
fn leader_elected_and_upgrade_publish_and_config_changes_republish() {
    let ctx = web_from_config();
    let rel = to_traefik();
    let state = web_state(&rel);
    for event in [ctx.on.leader_elected(), ctx.on.upgrade_charm()] {
        let out = ctx.run(event, &state).unwrap();
        assert_valid("requirer", relation(&out, 1));
        assert_eq!(relation(&out, 1).local_app_data["port"], "8080");
    }
    let out = ctx
        .run(ctx.on.config_changed(), &state.clone().config("port", 9090))
        .unwrap();
    let r = relation(&out, 1);
    assert_valid("requirer", r);
    assert_eq!(r.local_app_data["port"], "9090");
    assert_eq!(r.local_unit_data["host"], format!("\"{FQDN}\""));
}

#[test]
fn stale_keys_are_removed_and_jujus_own_are_kept() {
    let ctx = web(config());
    // An older charm revision left v1-style keys behind.
    let rel = to_traefik()
        .local_app_data([
            ("host", "web.local"),
            ("port", "8080"),
            ("model", "test-model"),
        ])
        .local_unit_data([("ingress-address", "10.1.2.3"), ("kaboom", "\"boom\"")]);
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &web_state(&rel))
        .unwrap();
    let r = relation(&out, 1);
    assert_valid("requirer", r);
    assert!(!r.local_app_data.contains_key("host"));
    assert!(!r.local_unit_data.contains_key("kaboom"));
    assert_eq!(r.local_unit_data["ingress-address"], "10.1.2.3");
}

/// What traefik's provider writes, in the shapes its interface README, its library's unit
/// tests and its charm show; each is read as the URL the Python library would give.
#[test]
fn reads_every_shape_the_python_provider_writes() {
    let cases = [
        // interface README (charm-relation-interfaces, charmlibs): a port, normalised away.
        (
            r#"{"url": "http://foo.bar:80/model_name-app_name/0"}"#,
            "http://foo.bar/model_name-app_name/0",
        ),
        // the library's own round-trip test
        (r#"{"url": "https://foo.com/"}"#, "https://foo.com/"),
        // traefik's charm, path routing
        (
            r#"{"url": "http://10.0.0.9/test-model-web"}"#,
            "http://10.0.0.9/test-model-web",
        ),
        // traefik's charm, subdomain routing
        (
            r#"{"url": "http://test-model-web.foo.com/"}"#,
            "http://test-model-web.foo.com/",
        ),
        // pydantic's str(AnyHttpUrl) on a bare host adds the path
        (r#"{"url":"http://ready-app.com"}"#, "http://ready-app.com/"),
    ];
    let ctx = web(config());
    for (bag, url) in cases {
        let rel = to_traefik().remote_app_data([("ingress", bag), ("unrelated", "not json")]);
        let out = ctx
            .run(ctx.on.relation_changed(&rel), &web_state(&rel))
            .unwrap();
        assert_eq!(
            out.emitted_payloads(),
            [(
                "ingress/ready".to_owned(),
                json!({"relation_id": 1, "url": url})
            )],
            "{bag}"
        );
        assert!(out.log_messages_at(LogLevel::Warning).is_empty(), "{bag}");
    }
}

#[test]
fn bad_provider_data_is_logged_and_never_fails_the_hook() {
    let cases = [
        // ingress v1's YAML, on a v2 relation
        (
            "url: http://10.0.0.9/test-model-web\n",
            "the value of \"ingress\" is not JSON",
        ),
        ("{\"url\": \"http://h/", "is not JSON"),
        ("{}", "ingress: missing field `url`"),
        (
            r#"{"url": 42}"#,
            "ingress: invalid type: integer `42`, expected a string",
        ),
        (
            r#"{"url": "ftp://h/x"}"#,
            "the scheme must be http or https",
        ),
        (
            "[\"http://h/\"]",
            "ingress: expected an object, got [\"http://h/\"]",
        ),
    ];
    let ctx = web(config());
    for (bag, why) in cases {
        let rel = to_traefik().remote_app_data([("ingress", bag)]);
        let out = ctx
            .run(ctx.on.relation_changed(&rel), &web_state(&rel))
            .unwrap_or_else(|e| panic!("{bag}: the hook failed: {e}"));
        assert!(out.emitted_events.is_empty(), "{bag}");
        let warnings = out.log_messages_at(LogLevel::Warning);
        assert_eq!(warnings.len(), 1, "{bag}: {warnings:?}");
        assert!(
            warnings[0].starts_with(
                "ignoring the ingress provider's data: the ingress provider's data on relation ingress:1:"
            ) && warnings[0].contains(why),
            "{bag}: {}",
            warnings[0]
        );
        // Our own side is still published.
        assert_valid("requirer", relation(&out, 1));
    }
}

#[test]
fn bad_data_after_a_url_keeps_the_url_and_null_means_no_url_yet() {
    let ctx = web(config());
    let rel = with_url(to_traefik(), "http://10.0.0.9/test-model-web");
    let ready = ctx
        .run(ctx.on.relation_changed(&rel), &web_state(&rel))
        .unwrap();
    let garbled = to_traefik().remote_app_data([("ingress", "{oops")]);
    let out = ctx
        .run(
            ctx.on.relation_changed(&garbled),
            &state_with(&ready.state, garbled.clone()),
        )
        .unwrap();
    assert!(out.emitted_events.is_empty());
    assert_eq!(
        out.state
            .component_stored_as::<RequirerState>("ingress")
            .unwrap(),
        ready
            .state
            .component_stored_as::<RequirerState>("ingress")
            .unwrap()
    );
    // `null` is the Python library's "no URL": not ready, no warning.
    let null = to_traefik().remote_app_data([("ingress", "null")]);
    let out = ctx
        .run(ctx.on.relation_changed(&null), &web_state(&null))
        .unwrap();
    assert!(out.emitted_events.is_empty());
    assert!(out.log_messages_at(LogLevel::Warning).is_empty());
}

#[test]
fn a_missing_network_or_a_bad_configuration_is_logged_not_fatal() {
    let rel = to_traefik();
    let ctx = web(config());
    let no_network = ops::testing::State::new()
        .leader(true)
        .relation(rel.clone());
    let out = ctx.run(ctx.on.relation_changed(&rel), &no_network).unwrap();
    let r = relation(&out, 1);
    assert_valid("requirer", r);
    assert!(!r.local_unit_data.contains_key("ip"));
    assert!(
        out.log_messages_at(LogLevel::Warning)[0]
            .starts_with("cannot read the bind address of ingress:1"),
        "{:?}",
        out.juju_log
    );

    let ctx = web_from_config();
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &web_state(&rel).config("port", 0),
        )
        .unwrap();
    assert_eq!(out.tool_count("relation-set"), 0, "nothing is published");
    assert!(out.log_messages_at(LogLevel::Error)[0].contains("ingress port 0 is out of range"));
    assert_eq!(out.state.juju.unit_status, Status::Unknown(String::new()));
    // The charm's own call gets the error.
    let err = ctx
        .run(
            ctx.on.config_changed(),
            &web_state(&rel).config("port", 65535),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("ingress port 65535 is out of range"),
        "{err}"
    );
}

#[test]
fn the_url_accessor_reads_the_relation() {
    use ops::prelude::*;
    struct Probe {
        ingress: ops_interface_ingress::v2::IngressRequirer,
    }
    impl Charm for Probe {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.update_status("probe", |c, ctx, _| {
                let url = c.ingress.url(ctx.model())?;
                tracing::info!("url is {url:?}");
                Ok(())
            });
        }
    }
    let meta = ops::metadata::CharmMeta::from_charmcraft_yaml(WEB_META).unwrap();
    let ctx = ops::testing::Context::with_factory(meta, || Probe {
        ingress: ops_interface_ingress::v2::IngressRequirer::new("ingress", config()),
    });
    let out = ctx
        .run(ctx.on.update_status(), &web_state(&to_traefik()))
        .unwrap();
    assert!(out.log_messages().contains(&"url is None"));
    let rel = with_url(to_traefik(), "http://10.0.0.9/x");
    let out = ctx.run(ctx.on.update_status(), &web_state(&rel)).unwrap();
    assert!(
        out.log_messages()
            .contains(&"url is Some(IngressUrl(\"http://10.0.0.9/x\"))"),
        "{:?}",
        out.log_messages()
    );
    let out = ctx
        .run(ctx.on.update_status(), &ops::testing::State::new())
        .unwrap();
    assert!(out.log_messages().contains(&"url is None"));
}
