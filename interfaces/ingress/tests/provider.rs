//! The ingress v2 provider through `ops::testing`: it reads what the Python requirer writes
//! (the shapes of the interface tests and the library's unit tests), publishes URLs that
//! validate against the schema, and says why a requirer is not ready.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod support;

use ops::model::LogLevel;
use serde_json::json;
use support::*;

#[test]
fn reads_the_python_requirers_data_and_publishes_a_valid_url() {
    // charmlibs interfaces/ingress/interface/v2/tests: test_data_published_on_changed_remote_valid
    let rel = from_web(
        &[("model", "\"bar\""), ("port", "42"), ("name", "\"remote\"")],
        &[("host", "\"0.0.0.42\"")],
    );
    let ctx = proxy();
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &ops::testing::State::new()
                .leader(true)
                .relation(rel.clone()),
        )
        .unwrap();
    assert_eq!(
        out.emitted_payloads(),
        [(
            "ingress/data-provided".to_owned(),
            json!({
                "relation_id": 1,
                "data": {
                    "app": {"model": "bar", "name": "remote", "port": 42},
                    "units": [{"unit": "web/0", "data": {"host": "0.0.0.42"}}]
                }
            })
        )]
    );
    let r = relation(&out, 1);
    assert_eq!(
        r.local_app_data["ingress"],
        r#"{"url":"http://10.0.0.9/bar-remote"}"#
    );
    assert_valid("provider", r);
}

#[test]
fn reads_every_field_the_python_requirer_can_write() {
    // The library's own dump: every value json.dumps'd, Python's separators.
    let rel = from_web(
        &[
            ("model", "\"coslite\""),
            ("name", "\"foo\""),
            ("port", "10"),
            ("strip-prefix", "true"),
            ("redirect-https", "true"),
            ("scheme", "\"h2c\""),
            ("is_port_open", "true"),
            ("healthcheck_params", r#"{"path": "/ping", "port": 9000}"#),
        ],
        &[
            ("host", "\"foo.com\""),
            ("ip", "\"10.0.0.1\""),
            ("ingress-address", "10.0.0.1"),
        ],
    );
    let ctx = proxy();
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &ops::testing::State::new().relation(rel.clone()),
        )
        .unwrap();
    let (_, payload) = &out.emitted_payloads()[0];
    assert_eq!(
        payload["data"]["app"],
        json!({
            "model": "coslite", "name": "foo", "port": 10, "strip-prefix": true,
            "redirect-https": true, "scheme": "h2c", "is_port_open": true,
            "healthcheck_params": {"path": "/ping", "port": 9000}
        })
    );
    assert_eq!(
        payload["data"]["units"][0]["data"],
        json!({"host": "foo.com", "ip": "10.0.0.1"})
    );
    // Not the leader: nothing published, nothing written.
    assert_eq!(out.tool_count("relation-set"), 0);
}

#[test]
fn a_requirer_that_is_not_ready_is_logged_and_never_fails_the_hook() {
    type Bags<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Bags, Bags, &str); 5] = [
        // test_data_published_on_changed_remote_invalid_json: values not JSON
        (
            &[("model", "bar"), ("port", "42"), ("name", "true")],
            &[("host", "0.0.0.42")],
            "the value of \"model\" is not JSON",
        ),
        // test_data_published_on_changed_remote_invalid: no host in the unit bag
        (
            &[("model", "\"bar\""), ("port", "42"), ("name", "\"true\"")],
            &[("bubble", "blabla")],
            "the data of ingress requirer unit web/0 on ingress:1: missing field `host`",
        ),
        (
            &[("model", "\"bar\""), ("name", "\"n\"")],
            &[("host", "\"h\"")],
            "missing field `port`",
        ),
        (
            &[("model", "\"bar\""), ("name", "\"n\""), ("port", "70000")],
            &[("host", "\"h\"")],
            "port: port 70000 is out of range",
        ),
        (
            &[
                ("model", "\"bar\""),
                ("name", "\"n\""),
                ("port", "1"),
                ("scheme", "\"ftp\""),
            ],
            &[("host", "\"h\"")],
            "scheme: unknown variant `ftp`",
        ),
    ];
    let ctx = proxy();
    for (app, unit, why) in cases {
        let rel = from_web(app, unit);
        let state = ops::testing::State::new()
            .leader(true)
            .relation(rel.clone());
        let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
        assert!(out.emitted_events.is_empty(), "{why}");
        assert_eq!(
            out.tool_count("relation-set"),
            0,
            "{why}: nothing published"
        );
        let infos = out.log_messages_at(LogLevel::Info);
        assert!(
            infos
                .iter()
                .any(|l| l.starts_with("the ingress requirer is not ready:") && l.contains(why)),
            "{why}: {infos:?}"
        );
    }
}

#[test]
fn departure_republishes_broken_removes_and_wipe_withdraws() {
    let rel = from_web(
        &[("model", "\"m\""), ("port", "80"), ("name", "\"web\"")],
        &[("host", "\"h\"")],
    )
    .remote_unit("web/1", [("host", "\"h1\"")]);
    let ctx = proxy();
    let state = ops::testing::State::new()
        .leader(true)
        .relation(rel.clone());
    let out = ctx
        .run(ctx.on.relation_departed(&rel, "web/1"), &state)
        .unwrap();
    let (_, payload) = &out.emitted_payloads()[0];
    assert_eq!(payload["data"]["units"].as_array().map(Vec::len), Some(1));
    assert_valid("provider", relation(&out, 1));

    let broken = ctx
        .run(ctx.on.relation_broken(relation(&out, 1)), &out.state)
        .unwrap();
    assert_eq!(
        broken.emitted_payloads(),
        [("ingress/data-removed".to_owned(), json!({"relation_id": 1}))]
    );
    assert_eq!(broken.tool_count("relation-set"), 0);
}

#[test]
fn publish_url_refuses_a_bad_url_and_wipe_withdraws_it() {
    use ops::prelude::*;
    use ops_interface_ingress::v2::IngressProvider;
    struct Admin {
        ingress: IngressProvider,
    }
    impl Charm for Admin {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.action("publish", "publish", |c, ctx, ev| {
                let url = ev.params["url"].as_str().unwrap_or_default().to_owned();
                if let Err(e) = c.ingress.publish_url(ctx, 1, &url) {
                    ctx.model().action_fail(&e.to_string())?;
                }
                Ok(())
            });
            on.action("wipe", "wipe", |c, ctx, _| {
                c.ingress.wipe_url(ctx, 1)?;
                Ok(())
            });
        }
    }
    let meta = ops::metadata::CharmMeta::from_charmcraft_yaml(
        "name: proxy\nprovides:\n  ingress: {interface: ingress}\n\
         actions:\n  publish: {params: {url: {type: string}}}\n  wipe: {}\n",
    )
    .unwrap();
    let ctx = ops::testing::Context::with_factory(meta, || Admin {
        ingress: IngressProvider::new("ingress"),
    });
    let rel = from_web(&[], &[]);
    let state = ops::testing::State::new().leader(true).relation(rel);
    let bad = ctx
        .run(
            ctx.on.action("publish", json!({"url": "gopher://x/"})),
            &state,
        )
        .unwrap();
    assert_eq!(bad.tool_count("relation-set"), 0);
    assert_eq!(
        bad.action.unwrap().failure.as_deref(),
        Some("\"gopher://x/\" is not an ingress URL: the scheme must be http or https")
    );
    let ok = ctx
        .run(
            ctx.on.action("publish", json!({"url": "HTTP://X.org"})),
            &state,
        )
        .unwrap();
    assert_eq!(
        relation(&ok, 1).local_app_data["ingress"],
        r#"{"url":"http://x.org/"}"#
    );
    assert_valid("provider", relation(&ok, 1));
    let wiped = ctx
        .run(ctx.on.action("wipe", json!({})), &ok.state)
        .unwrap();
    assert!(relation(&wiped, 1).local_app_data.is_empty());
    assert_valid("provider", relation(&wiped, 1));
}
