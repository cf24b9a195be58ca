//! Layer YAML, merge-rule and validation tests.

use super::*;
use crate::types::check::CheckLevel;
use crate::types::duration::GoDuration;
use crate::types::service::ServiceStartup;

const FULL: &str = r#"summary: full layer
description: every field
services:
  web:
    summary: web server
    description: serves
    startup: enabled
    override: replace
    command: /bin/web --port 8080 [ --debug ]
    after:
    - db
    before:
    - cron
    requires:
    - db
    workload: wl
    environment:
      A: '1'
      B: two
    user-id: 1000
    user: app
    group-id: 1000
    group: app
    working-dir: /srv
    on-success: ignore
    on-failure: shutdown
    on-check-failure:
      up: restart
    backoff-delay: 1s
    backoff-factor: 1.5
    backoff-limit: 1m0s
    kill-delay: 10s
checks:
  cmd:
    override: replace
    exec:
      command: /bin/true
      service-context: web
      environment:
        K: V
      user-id: 0
      user: root
      group-id: 0
      group: root
      working-dir: /
  port:
    override: replace
    tcp:
      port: 8080
      host: localhost
  up:
    override: merge
    level: alive
    startup: disabled
    period: 5s
    timeout: 1s
    threshold: 2
    http:
      url: http://localhost:8080/health
      headers:
        X-Token: t
log-targets:
  loki:
    override: merge
    type: loki
    location: http://loki:3100/loki/api/v1/push
    services:
    - all
    - -cron
    labels:
      env: prod
"#;

#[test]
fn full_layer_round_trips_byte_for_byte() {
    let layer = Layer::from_yaml(FULL).unwrap();
    assert_eq!(layer.services["web"].backoff_factor, Some(1.5));
    assert_eq!(
        layer.services["web"].kill_delay,
        Some(GoDuration::from_secs(10))
    );
    assert_eq!(layer.checks["up"].level, CheckLevel::Alive);
    assert_eq!(layer.to_yaml().unwrap(), FULL);
}

#[test]
fn unknown_fields_are_errors() {
    let err =
        Layer::from_yaml("services:\n  web:\n    override: replace\n    comand: x\n").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("comand") && msg.starts_with("cannot parse layer YAML"),
        "{msg}"
    );
    assert!(Layer::from_yaml("servics: {}\n").is_err());
    assert!(
        Layer::from_yaml("checks:\n  c:\n    override: merge\n    http:\n      uri: x\n").is_err()
    );
    assert!(Layer::from_yaml("services:\n  web:\n    override: sideways\n").is_err());
    assert!(Layer::from_yaml("services:\n  web:\n    kill-delay: 5\n").is_err());
    assert!(Layer::from_yaml("services:\n  web:\n    kill-delay: 5 seconds\n").is_err());
}

#[test]
fn empty_layer_is_fine() {
    assert_eq!(Layer::from_yaml("").unwrap(), Layer::default());
    assert_eq!(Layer::from_yaml("# nothing\n").unwrap(), Layer::default());
    assert_eq!(Plan::default().to_yaml().unwrap(), "{}\n");
    assert_eq!(Plan::from_yaml("{}\n").unwrap(), Plan::default());
}

fn svc(yaml: &str) -> Layer {
    Layer::from_yaml(yaml).unwrap()
}

#[test]
fn replace_takes_the_new_definition_wholesale() {
    let a = svc(
        "services:\n  s:\n    override: replace\n    command: a\n    environment: {X: '1'}\n    after: [t]\n",
    );
    let b = svc("services:\n  s:\n    override: replace\n    command: b\n");
    let plan = combine_layers(&[a, b]).unwrap();
    let s = &plan.services["s"];
    assert_eq!(s.command.as_deref(), Some("b"));
    assert!(s.environment.is_empty() && s.after.is_empty());
}

#[test]
fn merge_sets_scalars_appends_lists_merges_maps() {
    let a = svc(
        "services:\n  s:\n    override: replace\n    command: a\n    summary: first\n    startup: enabled\n    user-id: 5\n    after: [x]\n    before: [y]\n    requires: [x]\n    environment: {A: '1', B: '1'}\n    on-check-failure: {c1: restart}\n    backoff-delay: 1s\n  x:\n    override: replace\n    command: x\n  y:\n    override: replace\n    command: y\n  z:\n    override: replace\n    command: z\n",
    );
    let b = svc(
        "services:\n  s:\n    override: merge\n    summary: ''\n    after: [z]\n    before: [w]\n    requires: [y]\n    environment: {B: '2', C: '3'}\n    on-check-failure: {c2: ignore}\n    backoff-limit: 2m0s\n",
    );
    let plan = combine_layers(&[a, b]).unwrap();
    let s = &plan.services["s"];
    assert_eq!(
        s.command.as_deref(),
        Some("a"),
        "unset command keeps the old one"
    );
    assert_eq!(
        s.summary.as_deref(),
        Some("first"),
        "empty string counts as unset"
    );
    assert_eq!(s.startup, ServiceStartup::Enabled);
    assert_eq!(s.user_id, Some(5));
    assert_eq!(s.after, ["x", "z"]);
    assert_eq!(s.before, ["y", "w"]);
    assert_eq!(s.requires, ["x", "y"]);
    assert_eq!(
        s.environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>(),
        ["A=1", "B=2", "C=3"]
    );
    assert_eq!(s.on_check_failure.len(), 2);
    assert_eq!(s.backoff_delay, Some(GoDuration::from_secs(1)));
    assert_eq!(s.backoff_limit, Some(GoDuration::from_secs(120)));
    assert_eq!(
        s.override_,
        Some(Override::Replace),
        "merge keeps the old override"
    );
}

#[test]
fn merge_without_previous_copies_the_new_one() {
    let a = svc("services:\n  s:\n    override: merge\n    command: a\n");
    let plan = combine_layers(&[a]).unwrap();
    assert_eq!(plan.services["s"].override_, Some(Override::Merge));
}

#[test]
fn checks_merge_nested_blocks_field_by_field() {
    let a = svc(
        "checks:\n  c:\n    override: replace\n    level: alive\n    threshold: 5\n    http:\n      url: http://a\n      headers: {A: '1'}\n",
    );
    let b = svc(
        "checks:\n  c:\n    override: merge\n    period: 1s\n    http:\n      headers: {B: '2'}\n",
    );
    let plan = combine_layers(&[a, b]).unwrap();
    let c = &plan.checks["c"];
    let http = c.http.as_ref().unwrap();
    assert_eq!(http.url.as_deref(), Some("http://a"));
    assert_eq!(http.headers.len(), 2);
    assert_eq!(c.level, CheckLevel::Alive);
    assert_eq!(c.threshold, Some(5));
    assert_eq!(
        c.effective_timeout(),
        GoDuration::from_secs(1),
        "timeout capped at period"
    );

    let t1 = svc("checks:\n  t:\n    override: replace\n    tcp: {port: 80}\n");
    let t2 = svc("checks:\n  t:\n    override: merge\n    tcp: {host: db}\n");
    let plan = combine_layers(&[t1, t2]).unwrap();
    let tcp = plan.checks["t"].tcp.clone().unwrap();
    assert_eq!((tcp.port, tcp.host.as_deref()), (Some(80), Some("db")));
    assert_eq!(
        plan.checks["t"].threshold,
        Some(3),
        "threshold default filled"
    );

    let e1 = svc(
        "services:\n  s: {override: replace, command: s}\nchecks:\n  e:\n    override: replace\n    exec: {command: a, environment: {A: '1'}}\n",
    );
    let e2 = svc(
        "checks:\n  e:\n    override: merge\n    exec: {service-context: s, environment: {B: '2'}, user: u}\n",
    );
    let plan = combine_layers(&[e1, e2]).unwrap();
    let exec = plan.checks["e"].exec.clone().unwrap();
    assert_eq!(exec.command.as_deref(), Some("a"));
    assert_eq!(exec.service_context.as_deref(), Some("s"));
    assert_eq!(exec.environment.len(), 2);
    assert_eq!(exec.user.as_deref(), Some("u"));
}

#[test]
fn defaults_are_not_written_to_the_plan() {
    let a = svc(
        "services:\n  s:\n    override: replace\n    command: a\nchecks:\n  c:\n    override: replace\n    exec: {command: x}\n",
    );
    let plan = combine_layers(&[a]).unwrap();
    let yaml = plan.to_yaml().unwrap();
    assert!(
        !yaml.contains("backoff") && !yaml.contains("period"),
        "{yaml}"
    );
    assert!(yaml.contains("threshold: 3"), "{yaml}");
    assert_eq!(
        plan.services["s"].effective_backoff_delay().to_string(),
        "500ms"
    );
    assert_eq!(plan.services["s"].effective_backoff_factor(), 2.0);
    assert_eq!(plan.checks["c"].effective_period().to_string(), "10s");
    assert_eq!(plan.checks["c"].effective_timeout().to_string(), "3s");
    assert_eq!(Plan::from_yaml(&yaml).unwrap(), plan);
}

#[test]
fn log_targets_append_services_and_merge_labels() {
    let a = svc(
        "services:\n  s: {override: replace, command: s}\nlog-targets:\n  l:\n    override: replace\n    type: loki\n    location: http://l\n    services: [all]\n    labels: {a: '1'}\n",
    );
    let b =
        svc("log-targets:\n  l:\n    override: merge\n    services: [-s]\n    labels: {b: '2'}\n");
    let plan = combine_layers(&[a, b]).unwrap();
    let l = &plan.log_targets["l"];
    assert_eq!(l.services, ["all", "-s"]);
    assert_eq!(l.labels.len(), 2);
    assert_eq!(l.target_type, Some(LogTargetType::Loki));
}

#[test]
fn summary_and_description_come_from_the_last_layer() {
    let a = svc("summary: a\ndescription: a\n");
    let b = svc("summary: b\n");
    let merged = a.combine("base", &b).unwrap();
    assert_eq!(merged.summary.as_deref(), Some("b"));
    assert_eq!(merged.description, None);
}

#[test]
fn layer_into_layer_combine() {
    let base = svc("services:\n  s:\n    override: replace\n    command: a\n    after: [x]\n");
    let extra = svc(
        "services:\n  s:\n    override: merge\n    after: [y]\n  t:\n    override: replace\n    command: t\n",
    );
    let merged = base.combine("base", &extra).unwrap();
    assert_eq!(merged.services["s"].after, ["x", "y"]);
    assert!(merged.services.contains_key("t"));
    assert_eq!(merged.services["s"].override_, Some(Override::Replace));
}

fn plan_err(layers: &[&str]) -> String {
    let layers: Vec<Layer> = layers.iter().map(|y| svc(y)).collect();
    combine_layers(&layers).unwrap_err().to_string()
}

#[test]
fn combined_plan_validation() {
    assert_eq!(
        plan_err(&["services:\n  s: {command: a}\n"]),
        "layer \"#0\" must define \"override\" for service \"s\""
    );
    let labelled = [("mine", &svc("checks:\n  c: {exec: {command: a}}\n"))];
    assert_eq!(
        combine_labelled_layers(labelled).unwrap_err().to_string(),
        "layer \"mine\" must define \"override\" for check \"c\""
    );
    assert_eq!(
        plan_err(&["services:\n  s: {override: merge, summary: x}\n"]),
        "plan must define \"command\" for service \"s\""
    );
    assert_eq!(
        plan_err(&["checks:\n  c: {override: merge, level: alive}\n"]),
        "plan must specify one of \"http\", \"tcp\", or \"exec\" for check \"c\""
    );
    assert_eq!(
        plan_err(&["checks:\n  c: {override: merge, tcp: {port: 1}, exec: {command: x}}\n"]),
        "plan must specify one of \"http\", \"tcp\", or \"exec\" for check \"c\""
    );
    assert_eq!(
        plan_err(&["checks:\n  c: {override: merge, http: {headers: {a: b}}}\n"]),
        "plan must set \"url\" for http check \"c\""
    );
    assert_eq!(
        plan_err(&["checks:\n  c: {override: merge, exec: {command: x, service-context: nope}}\n"]),
        "plan check \"c\" service context specifies non-existent service \"nope\""
    );
    assert_eq!(
        plan_err(&["log-targets:\n  l: {override: merge, location: x}\n"]),
        "plan must define \"type\" (\"loki\", \"opentelemetry\" or \"syslog\") for log target \"l\""
    );
    assert_eq!(
        plan_err(&[
            "log-targets:\n  l: {override: merge, type: syslog, location: x, services: [ghost]}\n"
        ]),
        "log target \"l\" specifies unknown service \"ghost\""
    );
    assert_eq!(
        plan_err(&["services:\n  s: {override: merge, command: a, requires: [ghost]}\n"]),
        "service \"ghost\" does not exist"
    );
}

#[test]
fn before_after_cycles_are_errors() {
    let err = plan_err(&[
        "services:\n  a: {override: replace, command: a, after: [b]}\n  b: {override: replace, command: b, after: [c]}\n  c: {override: replace, command: c, after: [a]}\n  d: {override: replace, command: d, after: [a]}\n",
    ]);
    assert_eq!(err, "services in before/after loop: a, b, c");
    let err = plan_err(&[
        "services:\n  a: {override: replace, command: a, before: [b]}\n  b: {override: replace, command: b, before: [a]}\n",
    ]);
    assert_eq!(err, "services in before/after loop: a, b");
    // after/before naming unknown services are ignored, as in Pebble.
    let layer =
        svc("services:\n  a: {override: replace, command: a, after: [ghost], before: [ghost2]}\n");
    assert!(combine_layers(&[layer]).is_ok());
}

#[test]
fn layer_validation() {
    let bad = |y: &str| Layer::from_yaml(y).unwrap_err().to_string();
    assert_eq!(
        bad("services:\n  pebble: {override: replace, command: a}\n"),
        "cannot use reserved service name \"pebble\""
    );
    assert!(
        bad("services:\n  -x: {override: replace, command: a}\n").contains("starting with \"-\"")
    );
    assert_eq!(
        bad("services:\n  s: {override: replace, command: a, on-success: success-shutdown}\n"),
        "plan service \"s\" on-success action \"success-shutdown\" invalid"
    );
    assert_eq!(
        bad("services:\n  s: {override: replace, command: a, on-failure: failure-shutdown}\n"),
        "plan service \"s\" on-failure action \"failure-shutdown\" invalid"
    );
    assert_eq!(
        bad("services:\n  s: {override: replace, command: a, backoff-factor: 0.5}\n"),
        "plan service \"s\" backoff-factor must be 1.0 or greater, not 0.5"
    );
    assert_eq!(
        bad("checks:\n  c: {override: replace, level: dead, exec: {command: x}}\n"),
        "plan check \"c\" level must be \"alive\" or \"ready\""
    );
    assert_eq!(
        bad("checks:\n  c: {override: replace, period: 0s, exec: {command: x}}\n"),
        "plan check \"c\" period must not be zero"
    );
    assert!(
        bad("log-targets:\n  l: {override: merge, type: loki, labels: {pebble_x: y}}\n")
            .contains("reserved prefix")
    );
    assert!(
        bad("log-targets:\n  l: {override: merge, type: graylog}\n").contains("unsupported type")
    );
    assert!(validate_label("").is_err());
    assert!(validate_label("pebble-x").is_err());
    assert!(validate_label("charm").is_ok());
}
