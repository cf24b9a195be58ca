//! Invalid config blocks naming the option; the operator's admin-token secret is read (and
//! followed when it changes); the token never reaches the logs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod common;

use charm_example::token::TOKEN_LABEL;
use charm_example::workload::CONTAINER;
use common::*;
use ops::status::Status;
use ops::testing::State;
use ops::testing::juju::{SecretOwnership, SecretState};

const USER_SECRET: &str = "secret:cn4mvdnmp25c7c4m9d3g";

#[test]
fn invalid_config_blocks_naming_the_option_and_touches_nothing() {
    let ctx = ctx();
    for (option, value, message) in [
        (
            "port",
            serde_json::json!(80),
            "config option 'port': 80 is outside 1024-65535",
        ),
        (
            "port",
            serde_json::json!(70000),
            "config option 'port': 70000 is outside 1024-65535",
        ),
        (
            "max-keys",
            serde_json::json!(0),
            "config option 'max-keys': 0 is not a number of keys",
        ),
    ] {
        let state = unit(true, web()).config(option, value);
        let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
        let Status::Blocked(text) = &out.state.juju.unit_status else {
            panic!("{option}: {:?}", out.state.juju.unit_status)
        };
        assert!(text.starts_with(message), "{text}");
        assert!(
            out.state.deferred.is_empty(),
            "config-changed will follow the fix"
        );
        assert!(workload_config(&out.state).is_none());
        assert!(out.state.containers[CONTAINER].plan.services.is_empty());
    }
}

#[test]
fn fixing_the_config_unblocks() {
    let ctx = ctx();
    let blocked = ctx
        .run(
            ctx.on.config_changed(),
            &unit(true, web()).config("port", 80),
        )
        .unwrap();
    let fixed = next(&blocked).config("port", 8081);
    let out = ctx.run(ctx.on.config_changed(), &fixed).unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::maintenance("starting webkv on :8081")
    );
}

#[test]
fn the_operators_secret_provides_the_token() {
    let ctx = ctx();
    let state = unit(false, web())
        .secret(operator_secret(USER_SECRET, "operator-token"))
        .config("admin-token", USER_SECRET);
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    assert_eq!(
        workload_config(&out.state).unwrap()["admin-token"],
        "operator-token"
    );
    assert!(
        !ran(&out, "secret-add"),
        "no charm secret when the operator gives one"
    );
}

#[test]
fn a_new_revision_of_the_operators_secret_is_applied_on_secret_changed() {
    let ctx = ctx();
    let state = unit(true, web())
        .secret(operator_secret(USER_SECRET, "first"))
        .config("admin-token", USER_SECRET);
    let first = ctx.run(ctx.on.config_changed(), &state).unwrap();
    let mut state = next(&first);
    let secret = state
        .juju
        .secrets
        .iter_mut()
        .find(|s| s.id == USER_SECRET)
        .unwrap();
    *secret = secret.clone().with_revision([("token", "second")]);
    let secret = secret.clone();
    let out = ctx.run(ctx.on.secret_changed(&secret), &state).unwrap();
    assert_eq!(
        workload_config(&out.state).unwrap()["admin-token"],
        "second"
    );
}

#[test]
fn an_unreadable_or_tokenless_secret_blocks_naming_admin_token() {
    let ctx = ctx();
    // Not granted to the application (not in this unit's view).
    let state = unit(true, web()).config("admin-token", USER_SECRET);
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    let Status::Blocked(text) = &out.state.juju.unit_status else {
        panic!()
    };
    assert!(
        text.starts_with("config option 'admin-token': secret"),
        "{text}"
    );
    assert!(
        text.contains("cannot be read") && text.contains("juju grant-secret"),
        "{text}"
    );

    // Granted, but without a `token` key.
    let wrong = ops::testing::juju::SecretState::new(
        USER_SECRET,
        ops::testing::juju::SecretOwnership::Consumer,
        [("password", "x")],
    );
    let out = ctx
        .run(ctx.on.config_changed(), &state.clone().secret(wrong))
        .unwrap();
    let Status::Blocked(text) = &out.state.juju.unit_status else {
        panic!()
    };
    assert!(text.contains("has no 'token' key"), "{text}");
}

#[test]
fn the_token_never_reaches_the_logs_or_the_hook_tool_arguments() {
    let ctx = ctx();
    let token = "s3cr3t-operator-token-do-not-log";
    let state = unit(true, web())
        .secret(operator_secret(USER_SECRET, token))
        .config("admin-token", USER_SECRET);
    let mut outputs = vec![ctx.run(ctx.on.config_changed(), &state).unwrap()];
    let state = notify_ready(next(&outputs[0]), 8080);
    outputs.push(
        ctx.run(
            ctx.on
                .pebble_custom_notice(CONTAINER, charm_example::workload::READY_NOTICE),
            &state,
        )
        .unwrap(),
    );
    // A generated token, too.
    outputs.push(
        ctx.run(ctx.on.leader_elected(), &unit(true, web()))
            .unwrap(),
    );
    let generated = outputs[2].state.juju.secrets[0].latest().unwrap().content["token"].clone();
    for out in &outputs {
        for secret in [token, generated.as_str()] {
            for line in out.log_messages() {
                assert!(!line.contains(secret), "logged: {line}");
            }
            for line in out.tool_lines() {
                assert!(!line.contains(secret), "in a hook tool call: {line}");
            }
        }
    }
    // Where it must be: in the workload's config file, readable only by its owner.
    assert_eq!(
        workload_config(&outputs[0].state).unwrap()["admin-token"],
        token
    );
}

#[test]
fn the_leader_asks_juju_for_its_secrets_id_only_to_share_it() {
    let ctx = ctx();
    // No peer relation yet: the secret made in an earlier hook is found by its label, which
    // gives its content but not its id, and nothing needs the id.
    let id = "secret:d1charmt0ken00000000";
    let mut state = State::new().leader(true).container(web());
    state.juju.secrets.push(
        SecretState::new(id, SecretOwnership::Application, [("token", "t0ken")]).label(TOKEN_LABEL),
    );
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert!(ran(&out, "secret-get"), "{:?}", out.tool_lines());
    assert!(!ran(&out, "secret-info-get"), "{:?}", out.tool_lines());
    assert_eq!(workload_config(&out.state).unwrap()["admin-token"], "t0ken");

    // The peer relation appears: now the id is asked for, and shared.
    let state = next(&out).relation(peers([]));
    let relation = state.relation_by_id(PEERS_ID).unwrap().clone();
    let out = ctx.run(ctx.on.relation_created(&relation), &state).unwrap();
    assert!(ran(&out, "secret-info-get"), "{:?}", out.tool_lines());
    // As `secret-info-get` reports it: the bare id, which the peers' `secret-get` accepts.
    assert_eq!(
        shared_secret_id(&out.state).as_deref(),
        id.strip_prefix("secret:")
    );
}
