//! A unit's life from deployment to serving: maintenance until the workload's ready notice,
//! then active, with the leader publishing the URL; a non-leader waiting for the leader's
//! token; later config changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod common;

use charm_example::website::{Consumers, KEY, UrlRequested};
use charm_example::workload::{CONFIG_FILE, CONTAINER, READY_NOTICE, SERVICE, START_SCRIPT};
use common::*;
use ops::status::Status;
use ops::testing::juju::{OpenedPort, SecretOwnership, SecretState, secret_xid};

#[test]
fn deploy_reaches_maintenance_then_active_after_the_ready_notice() {
    let ctx = ctx();
    // Juju's first hooks come before the container's Pebble is up.
    let state = unit(true, web().can_connect(false));
    let installed = ctx.run(ctx.on.install(), &state).unwrap();
    assert_eq!(
        installed.state.juju.unit_status,
        Status::maintenance("setting up")
    );

    let elected = ctx.run(ctx.on.leader_elected(), &installed.state).unwrap();
    assert_eq!(
        elected.state.juju.unit_status,
        Status::waiting("waiting for Pebble in the web container")
    );
    assert!(
        elected.state.deferred.is_empty(),
        "pebble-ready will follow: no defer"
    );
    assert!(
        ran(&elected, "open-port 8080/tcp"),
        "{:#?}",
        elected.tool_lines()
    );
    // The leader created the token secret and shared its id (not its content) already.
    let id = shared_secret_id(&elected.state).expect("the secret id is shared");
    let secret = elected.state.secret_by_id(&id).unwrap();
    assert_eq!(secret.label.as_deref(), Some("webkv-admin-token"));
    assert_eq!(secret.owner, SecretOwnership::Application);
    let token = secret.latest().unwrap().content["token"].clone();
    assert_eq!(token.len(), 64);

    // Pebble comes up.
    let mut state = elected.state;
    state.containers.get_mut(CONTAINER).unwrap().can_connect = true;
    let started = ctx.run(ctx.on.pebble_ready(CONTAINER), &state).unwrap();
    let s = &started.state;
    assert_eq!(
        s.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    let web = &s.containers[CONTAINER];
    assert!(web.service(SERVICE).unwrap().is_running());
    let env = &web.plan.services[SERVICE].environment;
    assert_eq!(env["WEBKV_PORT"], "8080");
    assert!(web.file_text(START_SCRIPT).unwrap().contains("pebble"));
    let config = workload_config(s).unwrap();
    assert_eq!(config["port"], 8080);
    assert_eq!(config["max-keys"], 1000);
    assert_eq!(config["admin-token"], token.as_str());
    assert_eq!(published_url(s), None, "not ready: no url yet");
    assert_eq!(s.juju.opened_ports, [OpenedPort::tcp(8080)]);

    // The wrapper reports ready.
    let state = notify_ready(next(&started), 8080);
    let ready = ctx
        .run(ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE), &state)
        .unwrap();
    assert_eq!(
        ready.state.juju.unit_status,
        Status::active("serving on :8080")
    );
    assert_eq!(
        published_url(&ready.state).as_deref(),
        Some("http://10.1.2.3:8080")
    );
    let history = &ready.state.juju.unit_status_history;
    assert!(history.contains(&Status::maintenance("starting webkv on :8080")));
}

#[test]
fn a_non_leader_waits_for_the_token_then_proceeds_when_the_peer_data_arrives() {
    let ctx = ctx();
    let waiting = ctx
        .run(ctx.on.config_changed(), &unit(false, web()))
        .unwrap();
    assert_eq!(
        waiting.state.juju.unit_status,
        Status::waiting("waiting for the leader to share the admin token")
    );
    assert!(
        waiting.state.deferred.is_empty(),
        "peer relation-changed will follow"
    );
    assert!(
        workload_config(&waiting.state).is_none(),
        "nothing started without the token"
    );
    assert!(!ran(&waiting, "secret-add"));

    // The leader shares the id of the application's secret.
    let mut state = next(&waiting);
    state.juju.secrets.push(SecretState::new(
        "secret:d1charmt0ken00000000",
        SecretOwnership::Application,
        [("token", "shared-token")],
    ));
    let relation = state
        .juju
        .relations
        .iter_mut()
        .find(|r| r.id == PEERS_ID)
        .unwrap();
    relation.local_app_data.insert(
        "admin-token-secret-id".into(),
        "secret:d1charmt0ken00000000".into(),
    );
    let relation = relation.clone();
    let changed = ctx.run(ctx.on.relation_changed(&relation), &state).unwrap();
    assert_eq!(
        changed.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    assert_eq!(
        workload_config(&changed.state).unwrap()["admin-token"],
        "shared-token"
    );

    // Ready, but only the leader writes the application bag.
    let state = notify_ready(next(&changed), 8080);
    let ready = ctx
        .run(ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE), &state)
        .unwrap();
    assert_eq!(
        ready.state.juju.unit_status,
        Status::active("serving on :8080")
    );
    assert_eq!(published_url(&ready.state), None);
    assert!(!ran(&ready, "relation-set"));
}

#[test]
fn no_peer_relation_yet_a_non_leader_says_so() {
    let ctx = ctx();
    let state = ops::testing::State::new().container(web());
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::waiting("waiting for the peer relation to share the admin token")
    );
}

#[test]
fn a_leader_without_a_peer_relation_shares_the_token_once_it_exists() {
    let ctx = ctx();
    let alone = ops::testing::State::new().leader(true).container(web());
    let first = ctx.run(ctx.on.config_changed(), &alone).unwrap();
    assert_eq!(
        first.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    assert_eq!(first.state.juju.secrets.len(), 1);
    let id = first.state.juju.secrets[0].id.clone();

    // The peer relation is created later: the existing secret (found by label) is shared.
    let state = first.state.relation(peers([]));
    let created = ctx
        .run(ctx.on.relation_created(&peers([])), &state)
        .unwrap();
    let shared = shared_secret_id(&created.state).unwrap();
    assert_eq!(secret_xid(&shared), secret_xid(&id));
    assert_eq!(created.state.juju.secrets.len(), 1, "no second secret");
}

#[test]
fn a_repeated_reconcile_changes_nothing_and_a_config_change_restarts_the_service() {
    let ctx = ctx();
    let active = active_leader(unit(true, web()));

    // Same config again (e.g. upgrade-charm, or a website relation joining): still active.
    let again = ctx.run(ctx.on.upgrade_charm(), &active).unwrap();
    assert_eq!(
        again.state.juju.unit_status,
        Status::active("serving on :8080")
    );
    assert!(!ran(&again, "relation-set"), "the url is already published");

    // A new greeting: only the config file changes, so the service restarts.
    let state = next(&again).config("greeting", "bonjour");
    let changed = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        changed.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    assert_eq!(
        workload_config(&changed.state).unwrap()["greeting"],
        "bonjour"
    );
    let text = changed.state.containers[CONTAINER]
        .file_text(CONFIG_FILE)
        .unwrap();
    assert!(text.contains("bonjour"));

    // A new port: a new layer; the url follows once the workload is ready on it.
    let state = next(&changed).config("port", 9090);
    let moved = ctx.run(ctx.on.config_changed(), &state).unwrap();
    let web = &moved.state.containers[CONTAINER];
    assert_eq!(web.plan.services[SERVICE].environment["WEBKV_PORT"], "9090");
    let state = notify_ready(next(&moved), 9090);
    let ready = ctx
        .run(ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE), &state)
        .unwrap();
    assert_eq!(
        ready.state.juju.unit_status,
        Status::active("serving on :9090")
    );
    assert_eq!(
        published_url(&ready.state).as_deref(),
        Some("http://10.1.2.3:9090")
    );
}

#[test]
fn a_website_relation_joining_after_ready_gets_the_url() {
    let ctx = ctx();
    let mut state = active_leader(unit(true, web()));
    state.juju.relations.retain(|r| r.id != WEBSITE_ID);
    let joined_relation = website();
    let state = state.relation(joined_relation.clone());
    let out = ctx
        .run(ctx.on.relation_joined(&joined_relation, "client/0"), &state)
        .unwrap();
    assert_eq!(
        published_url(&out.state).as_deref(),
        Some("http://10.1.2.3:8080")
    );
    // The website component turned the Juju event into its custom event, and the
    // reconcile ran for that, right after the component's handler.
    let requested: Vec<UrlRequested> = out
        .emitted_events
        .iter()
        .map(|e| e.payload_as::<UrlRequested>().unwrap())
        .collect();
    assert_eq!(
        requested,
        [UrlRequested {
            relation_id: WEBSITE_ID as u32,
            app: "client".into(),
            path: None,
        }]
    );
    let calls: Vec<(String, String)> = out
        .handler_calls
        .iter()
        .map(|c| (c.handler.clone(), c.kind.to_string()))
        .collect();
    assert_eq!(
        calls[..2],
        [
            ("website/on_joined".into(), "website-relation-joined".into()),
            ("reconcile".into(), "website/url-requested".into()),
        ]
    );
}

#[test]
fn the_website_component_reads_and_remembers_the_consumers_path() {
    let ctx = ctx();
    let state = active_leader(unit(true, web()));
    let mut with_path = state.clone();
    let rel = with_path
        .juju
        .relations
        .iter_mut()
        .find(|r| r.id == WEBSITE_ID)
        .unwrap();
    rel.remote_app_data.insert("path".into(), "/kv".into());
    let out = ctx
        .run(ctx.on.relation_changed(&website()), &with_path)
        .unwrap();
    let request: UrlRequested = out.emitted_events[0].payload_as().unwrap();
    assert_eq!(request.path.as_deref(), Some("/kv"));
    let consumers: Consumers = out.state.component_stored_as(KEY).unwrap();
    assert_eq!(consumers.paths[&(WEBSITE_ID as u32)], "/kv");
    assert!(
        out.juju_log
            .iter()
            .any(|l| l.message == "client uses path /kv on website:2"),
        "{:?}",
        out.juju_log
    );

    // The relation goes: the component forgets it.
    let gone = ctx
        .run(ctx.on.relation_broken(&website()), &out.state)
        .unwrap();
    let consumers: Consumers = gone.state.component_stored_as(KEY).unwrap();
    assert!(consumers.paths.is_empty());
}

#[test]
fn the_url_request_can_be_emitted_directly_as_a_test_entry_point() {
    let ctx = ctx();
    let state = active_leader(unit(true, web()));
    let request = UrlRequested {
        relation_id: WEBSITE_ID as u32,
        app: "client".into(),
        path: Some("/kv".into()),
    };
    let event = ctx.on.custom(KEY, &request).unwrap();
    let out = ctx.run(event, &state).unwrap();
    let handlers: Vec<&str> = out
        .handler_calls
        .iter()
        .map(|c| c.handler.as_str())
        .collect();
    assert_eq!(handlers, ["reconcile", "collect_unit_status"]);
    assert_eq!(
        published_url(&out.state).as_deref(),
        Some("http://10.1.2.3:8080")
    );
}

#[test]
fn without_an_ingress_address_the_url_names_the_pod() {
    let ctx = ctx();
    let mut state = unit(true, web());
    state.juju.networks.clear();
    let ready = active_leader(state);
    assert_eq!(
        published_url(&ready).as_deref(),
        Some("http://webkv-0.webkv-endpoints.test-model.svc.cluster.local:8080")
    );
    let _ = ctx;
}
