//! The prometheus_scrape v0 provider through `ops::testing`: what it writes on every path
//! (checked against the schema), the alert rules it reads from a directory, what it reads
//! from Prometheus, bad data, and its events.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod support;

use std::path::Path;

use ops::model::LogLevel;
use ops::status::Status;
use ops_interface_prometheus_scrape::v0::{MetricsEndpointConfig, ScrapeJob};
use serde_json::json;
use support::*;

const UUID: &str = "00000000-0000-4000-8000-000000000000";

/// A rules directory with both formats, a nested file, a file that is not a rule file and a
/// broken one.
fn rules_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "cpu.rule",
        "alert: HighCPU\nexpr: rate(cpu_seconds_total{%%juju_topology%%}[5m]) > 0.9\nfor: 10m\n\
         labels:\n  severity: Medium\nannotations:\n  summary: CPU busy on {{ $labels.instance }}\n",
    );
    write(
        "official.rules",
        "groups:\n- name: latency\n  rules:\n  - alert: HighRequestLatency\n    \
         expr: job:request_latency_seconds:mean5m{my_key=\"my_value\"} > 0.5\n    for: 10m\n    \
         labels:\n      severity: Medium\n  - record: job:up:sum\n    expr: sum(up)\n",
    );
    write("nested/mem.yaml", "alert: LowMemory\nexpr: mem_free < 10\n");
    write("README.md", "not a rule file");
    write("broken.rule", "alert: [unclosed\n");
    dir
}

fn config(dir: &Path) -> MetricsEndpointConfig {
    MetricsEndpointConfig::new()
        .job(ScrapeJob::new().port(9100))
        .alert_rules_path(dir)
}

#[test]
fn first_join_on_the_leader_publishes_everything_and_it_validates() {
    let dir = rules_dir();
    let ctx = exporter(config(dir.path()));
    let rel = to_prometheus(&[]);
    let out = ctx
        .run(
            ctx.on.relation_joined(&rel, "prometheus/0"),
            &state(true, "10.1.2.3", &rel),
        )
        .unwrap();
    let r = relation(&out, 1);
    assert_valid("provider", r);
    assert_eq!(
        r.local_unit_data["prometheus_scrape_unit_address"],
        "10.1.2.3"
    );
    assert_eq!(
        r.local_unit_data["prometheus_scrape_unit_name"],
        "exporter/0"
    );
    assert_eq!(
        r.local_unit_data["prometheus_scrape_unit_fqdn"],
        ops_interface_prometheus_scrape::local_fqdn()
    );
    assert!(
        !r.local_unit_data
            .contains_key("prometheus_scrape_unit_path")
    );
    assert_eq!(
        app_json(r, "scrape_metadata"),
        json!({"model": "test-model", "model_uuid": UUID, "application": "exporter", "unit": "exporter/0", "charm_name": "exporter"})
    );
    assert_eq!(
        app_json(r, "scrape_jobs"),
        json!([{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:9100"]}]}])
    );
    let rules = app_json(r, "alert_rules");
    let names: Vec<&str> = rules["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "test_model_00000000_exporter_cpu_rules",
            "test_model_00000000_exporter_nested_mem_rules",
            "test_model_00000000_exporter_latency_rules",
            "test_model_00000000_exporter_HostHealth_rules",
        ]
    );
    assert_eq!(
        rules["groups"][0]["rules"][0]["expr"],
        "rate(cpu_seconds_total{}[5m]) > 0.9"
    );
    assert_eq!(
        rules["groups"][0]["rules"][0]["labels"],
        json!({"severity": "Medium", "juju_model": "test-model", "juju_model_uuid": UUID, "juju_application": "exporter", "juju_charm": "exporter"})
    );
    // The broken file is named, the hook succeeds.
    let errors = out.log_messages_at(LogLevel::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("alert rule file broken.rule: not YAML"),
        "{}",
        errors[0]
    );
    assert!(out.emitted_events.is_empty());
}

#[test]
fn a_non_leader_publishes_only_its_unit() {
    let ctx = exporter(MetricsEndpointConfig::new());
    let rel = to_prometheus(&[]);
    let out = ctx
        .run(
            ctx.on.relation_joined(&rel, "prometheus/0"),
            &state(false, "10.1.2.4", &rel),
        )
        .unwrap();
    let r = relation(&out, 1);
    assert!(r.local_app_data.is_empty());
    assert_valid("provider", r);
}

#[test]
fn defaults_forwarding_off_and_every_refresh_event_validate() {
    let ctx = exporter(MetricsEndpointConfig::new().forward_alert_rules(false));
    let rel = to_prometheus(&[]);
    let base = state(true, "10.1.2.3", &rel).container(ops::testing::ContainerState::new("node"));
    for event in [
        ctx.on.leader_elected(),
        ctx.on.upgrade_charm(),
        ctx.on.pebble_ready("node"),
    ] {
        let out = ctx.run(event, &base).unwrap();
        let r = relation(&out, 1);
        assert_valid("provider", r);
        assert_eq!(app_json(r, "alert_rules"), json!({}));
        assert_eq!(
            app_json(r, "scrape_jobs"),
            json!([{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:80"]}]}])
        );
    }
}

#[test]
fn change_update_status_and_departure_keep_the_unit_current_and_broken_writes_nothing() {
    let ctx = exporter(MetricsEndpointConfig::new());
    let rel = to_prometheus(&[]);
    let joined = ctx
        .run(
            ctx.on.relation_joined(&rel, "prometheus/0"),
            &state(true, "10.1.2.3", &rel),
        )
        .unwrap();
    // The pod was rescheduled: a new address, picked up on update-status.
    let mut moved = joined.state.clone();
    moved.juju = moved.juju.network(
        "metrics-endpoint",
        ops::testing::juju::Network::with_address("10.1.9.9"),
    );
    let status = ctx.run(ctx.on.update_status(), &moved).unwrap();
    let r = relation(&status, 1);
    assert_eq!(
        r.local_unit_data["prometheus_scrape_unit_address"],
        "10.1.9.9"
    );
    assert_eq!(status.tool_count("relation-set"), 1, "only the unit bag");
    assert_valid("provider", r);

    let changed = ctx.run(ctx.on.relation_changed(r), &status.state).unwrap();
    assert_eq!(changed.tool_count("relation-set"), 0, "nothing changed");
    assert_valid("provider", relation(&changed, 1));

    let mut two = relation(&changed, 1).clone();
    two.remote_units
        .insert("prometheus/1".into(), Default::default());
    let departed = ctx
        .run(
            ctx.on.relation_departed(&two, "prometheus/1"),
            &with_relation(&changed.state, two.clone()),
        )
        .unwrap();
    assert_eq!(departed.tool_count("relation-set"), 0);
    assert_valid("provider", relation(&departed, 1));

    let broken = ctx
        .run(
            ctx.on.relation_broken(relation(&departed, 1)),
            &departed.state,
        )
        .unwrap();
    assert_eq!(broken.tool_count("relation-set"), 0);
    assert!(broken.emitted_events.is_empty());
}

#[test]
fn without_an_ip_the_fqdn_is_the_address_and_an_external_url_wins() {
    let rel = to_prometheus(&[]);
    let ctx = exporter(MetricsEndpointConfig::new());
    // No network for the binding: a warning, the FQDN published.
    let bare = ops::testing::State::new()
        .leader(true)
        .relation(rel.clone());
    let out = ctx
        .run(ctx.on.relation_joined(&rel, "prometheus/0"), &bare)
        .unwrap();
    let r = relation(&out, 1);
    let fqdn = ops_interface_prometheus_scrape::local_fqdn();
    assert_eq!(r.local_unit_data["prometheus_scrape_unit_address"], fqdn);
    assert_eq!(r.local_unit_data["prometheus_scrape_unit_fqdn"], fqdn);
    assert!(
        out.log_messages_at(LogLevel::Warning)[0]
            .starts_with("cannot read the bind address of metrics-endpoint:1")
    );
    assert_valid("provider", r);

    let ctx = exporter(
        MetricsEndpointConfig::new()
            .external_url("https://Metrics.Example.org:443/test-model-exporter"),
    );
    let out = ctx
        .run(
            ctx.on.relation_joined(&rel, "prometheus/0"),
            &state(true, "10.1.2.3", &rel),
        )
        .unwrap();
    let r = relation(&out, 1);
    assert_eq!(
        r.local_unit_data["prometheus_scrape_unit_address"],
        "metrics.example.org"
    );
    assert_eq!(
        r.local_unit_data["prometheus_scrape_unit_path"],
        "/test-model-exporter"
    );
    assert!(
        !r.local_unit_data
            .contains_key("prometheus_scrape_unit_fqdn")
    );
    assert_valid("provider", r);

    // Back without the external URL: the path and the host go, the FQDN comes back.
    let ctx = exporter(MetricsEndpointConfig::new());
    let back = ctx.run(ctx.on.update_status(), &out.state).unwrap();
    let r = relation(&back, 1);
    assert!(
        !r.local_unit_data
            .contains_key("prometheus_scrape_unit_path")
    );
    assert_eq!(
        r.local_unit_data["prometheus_scrape_unit_address"],
        "10.1.2.3"
    );
    assert_valid("provider", r);
}

#[test]
fn jobs_keep_only_the_allowed_keys_and_warn_about_the_rest() {
    let ctx = exporter(
        MetricsEndpointConfig::new()
            .forward_alert_rules(false)
            .job(
                ScrapeJob::new()
                    .job_name("api")
                    .metrics_path("/api/metrics")
                    .targets(["*:8000", "10.1.32.215:7000"])
                    .label("some_key", "some-value")
                    .option("scrape_interval", "30s")
                    .option("honor_labels", true),
            )
            .job(ScrapeJob::new().port(9100)),
    );
    let rel = to_prometheus(&[]);
    let out = ctx
        .run(
            ctx.on.relation_joined(&rel, "prometheus/0"),
            &state(true, "10.1.2.3", &rel),
        )
        .unwrap();
    let r = relation(&out, 1);
    assert_valid("provider", r);
    assert_eq!(
        app_json(r, "scrape_jobs")[0],
        json!({
            "job_name": "api", "metrics_path": "/api/metrics", "scrape_interval": "30s",
            "static_configs": [{"targets": ["*:8000", "10.1.32.215:7000"], "labels": {"some_key": "some-value"}}]
        })
    );
    assert!(out.log_messages_at(LogLevel::Warning)[0].ends_with("ALLOWED_KEYS): honor_labels"));
}

/// What Prometheus' consumer writes in its application bag (`event`), and what the
/// provider emits for it, in order.
#[test]
fn reads_prometheus_reports_and_emits_in_order() {
    let alert_error = "error validating /tmp/tmpab/validate_rule.yaml: group \"test_model_00000000_exporter_cpu_rules\", rule 1, \"HighCPU\": could not parse expression: 1:5: parse error: unexpected <EOF>";
    let job_error = "Command '['./cos-tool-amd64', '--format', 'promql', 'validate-config', '/tmp/x.yaml']' returned non-zero exit status 1.";
    let cases = [
        (
            json!({"errors": alert_error}).to_string(),
            vec![(
                "metrics/alert-rule-status-changed",
                json!({"relation_id": 1, "valid": true, "errors": alert_error}),
            )],
        ),
        (
            json!({"scrape_job_errors": job_error}).to_string(),
            vec![
                (
                    "metrics/alert-rule-status-changed",
                    json!({"relation_id": 1, "valid": true, "errors": ""}),
                ),
                (
                    "metrics/invalid-scrape-job",
                    json!({"relation_id": 1, "errors": job_error}),
                ),
            ],
        ),
        (
            json!({"valid": false, "errors": "bad"}).to_string(),
            vec![(
                "metrics/alert-rule-status-changed",
                json!({"relation_id": 1, "valid": false, "errors": "bad"}),
            )],
        ),
        // After the errors are fixed the consumer leaves `{}`: nothing to say.
        ("{}".to_owned(), vec![]),
    ];
    let ctx = exporter(MetricsEndpointConfig::new().forward_alert_rules(false));
    for (report, expected) in cases {
        let rel = to_prometheus(&[("event", report.as_str())]);
        let out = ctx
            .run(
                ctx.on.relation_changed(&rel),
                &state(true, "10.1.2.3", &rel),
            )
            .unwrap();
        let expected: Vec<(String, serde_json::Value)> = expected
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(out.emitted_payloads(), expected, "{report}");
        assert_valid("provider", relation(&out, 1));
    }
    // The charm blocks on errors (its own choice, from the event).
    let rel = to_prometheus(&[("event", &json!({"errors": alert_error}).to_string())]);
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &state(true, "10.1.2.3", &rel),
        )
        .unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::blocked(format!("bad alert rules: {alert_error}"))
    );
    // A non-leader does not read Prometheus' report.
    let out = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &state(false, "10.1.2.3", &rel),
        )
        .unwrap();
    assert!(out.emitted_events.is_empty());
}

#[test]
fn bad_reports_are_logged_and_never_fail_the_hook() {
    let ctx = exporter(MetricsEndpointConfig::new().forward_alert_rules(false));
    for (report, why) in [
        ("{\"errors\": ", "`event` is not JSON"),
        ("errors: yaml", "`event` is not JSON"),
        ("[\"errors\"]", "`event` is not a JSON object"),
        ("\"errors\"", "`event` is not a JSON object"),
    ] {
        let rel = to_prometheus(&[("event", report)]);
        let out = ctx
            .run(
                ctx.on.relation_changed(&rel),
                &state(true, "10.1.2.3", &rel),
            )
            .unwrap_or_else(|e| panic!("{report}: the hook failed: {e}"));
        assert!(out.emitted_events.is_empty(), "{report}");
        let warnings = out.log_messages_at(LogLevel::Warning);
        assert_eq!(warnings.len(), 1, "{report}: {warnings:?}");
        assert!(
            warnings[0].starts_with("ignoring Prometheus' report on relation metrics-endpoint:1:")
                && warnings[0].contains(why),
            "{report}: {}",
            warnings[0]
        );
        assert_valid("provider", relation(&out, 1));
    }
}

#[test]
fn jobs_from_the_configuration_follow_it() {
    let meta = ops::metadata::CharmMeta::from_charmcraft_yaml(META).unwrap();
    let ctx = ops::testing::Context::with_factory(meta, || Exporter {
        metrics: ops_interface_prometheus_scrape::v0::MetricsEndpointProvider::from_fn(
            "metrics-endpoint",
            |model| {
                let port = model
                    .config_value("port")?
                    .and_then(|v| v.as_u64())
                    .and_then(|p| u16::try_from(p).ok())
                    .unwrap_or(9100);
                Ok(MetricsEndpointConfig::new()
                    .forward_alert_rules(false)
                    .job(ScrapeJob::new().port(port)))
            },
        )
        .refresh_on(ops::prelude::EventKind::ConfigChanged),
    });
    let rel = to_prometheus(&[]);
    let out = ctx
        .run(
            ctx.on.config_changed(),
            &state(true, "10.1.2.3", &rel).config("port", 9200),
        )
        .unwrap();
    let r = relation(&out, 1);
    assert_eq!(
        app_json(r, "scrape_jobs")[0]["static_configs"][0]["targets"][0],
        "*:9200"
    );
    assert_valid("provider", r);
}
