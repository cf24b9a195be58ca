//! Layers and the plan: adding, combining, Pebble's override rules, label rules, the YAML.

use pebble_client::{Layer, Override, Service};

use crate::fixture::Pebble;

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![
        empty_plan,
        layers_combine_with_override_rules,
        combine_into_the_same_label,
        a_label_cannot_be_added_twice,
        a_bad_layer_is_refused,
        plan_yaml_is_pebbles,
        plan_yaml_quoting,
        layer_values_round_trip,
    ]
}

async fn empty_plan(p: &Pebble) {
    let client = p.client();
    let plan = client.get_plan().await.unwrap();
    assert!(plan.services.is_empty() && plan.checks.is_empty());
    assert_eq!(client.get_plan_yaml().await.unwrap(), "{}\n");
}

async fn layers_combine_with_override_rules(p: &Pebble) {
    p.layer(
        "base",
        "services:\n  a:\n    override: replace\n    command: /bin/a --x\n    environment:\n      K1: one\n      K2: two\n    after: [b]\n  b:\n    override: replace\n    command: /bin/b\n",
    )
    .await;
    p.layer(
        "over",
        "services:\n  a:\n    override: merge\n    environment:\n      K2: TWO\n      K3: three\n    after: [c]\n  b:\n    override: replace\n    command: /bin/b2\n  c:\n    override: replace\n    command: /bin/c\n",
    )
    .await;
    let plan = p.client().get_plan().await.unwrap();
    let a = &plan.services["a"];
    assert_eq!(
        a.command.as_deref(),
        Some("/bin/a --x"),
        "merge keeps what is not given"
    );
    assert_eq!(a.environment["K1"], "one");
    assert_eq!(a.environment["K2"], "TWO", "merge: later values win");
    assert_eq!(a.environment["K3"], "three");
    assert_eq!(a.after, ["b", "c"], "merge appends lists");
    let b = &plan.services["b"];
    assert_eq!(
        b.command.as_deref(),
        Some("/bin/b2"),
        "replace replaces the whole entry"
    );
    assert_eq!(plan.services.len(), 3);
}

async fn combine_into_the_same_label(p: &Pebble) {
    let client = p.client();
    let mut first = Layer::default();
    first
        .services
        .insert("a".into(), Service::replace("/bin/a"));
    client.add_layer("one", &first, true).await.unwrap();
    let mut second = Layer::default();
    let merge = Service {
        override_: Some(Override::Merge),
        summary: Some("the a service".into()),
        ..Service::default()
    };
    second.services.insert("a".into(), merge);
    client.add_layer("one", &second, true).await.unwrap();
    let plan = client.get_plan().await.unwrap();
    assert_eq!(plan.services["a"].command.as_deref(), Some("/bin/a"));
    assert_eq!(plan.services["a"].summary.as_deref(), Some("the a service"));
}

async fn a_label_cannot_be_added_twice(p: &Pebble) {
    let yaml = "services:\n  a:\n    override: replace\n    command: /bin/a\n";
    p.layer("base", yaml).await;
    let err = p
        .client()
        .add_layer_yaml("base", yaml, false)
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    assert_eq!(err.api().unwrap().message, "layer \"base\" already exists");
}

async fn a_bad_layer_is_refused(p: &Pebble) {
    let client = p.client();
    // A service without override: refused by Pebble's validation.
    let err = client
        .add_layer_yaml("bad", "services:\n  a:\n    command: /bin/a\n", false)
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    let msg = &err.api().unwrap().message;
    assert!(msg.contains("override") && msg.contains("\"a\""), "{msg}");
    assert!(client.get_plan().await.unwrap().services.is_empty());
}

/// Pebble writes the plan with 4-space indents, its keys in its own order, and the
/// threshold it filled in for a check.
async fn plan_yaml_is_pebbles(p: &Pebble) {
    p.layer(
        "base",
        "services:\n  svc:\n    override: replace\n    command: /bin/svc\n    startup: enabled\n    environment:\n      A: \"1\"\nchecks:\n  chk:\n    override: replace\n    period: 10s\n    exec:\n      command: /bin/true\n",
    )
    .await;
    let yaml = p.client().get_plan_yaml().await.unwrap();
    assert_eq!(
        yaml,
        "services:\n    svc:\n        startup: enabled\n        override: replace\n        command: /bin/svc\n        environment:\n            A: \"1\"\nchecks:\n    chk:\n        override: replace\n        period: 10s\n        threshold: 3\n        exec:\n            command: /bin/true\n"
    );
}

/// Lists, quoting and literal blocks as Go's YAML writes them.
async fn plan_yaml_quoting(p: &Pebble) {
    p.layer(
        "base",
        "services:\n  y:\n    override: replace\n    command: /bin/y --a \"b c\"\n    after: [svc]\n    environment:\n      E1: \"\"\n      E2: \"true\"\n      E3: \"x: y\"\n      E4: \"it's\"\n      E5: \"multi\\nline\"\n      E6: \"#hash\"\n  svc:\n    override: replace\n    command: /bin/svc\n",
    )
    .await;
    let yaml = p.client().get_plan_yaml().await.unwrap();
    assert_eq!(
        yaml,
        "services:\n    svc:\n        override: replace\n        command: /bin/svc\n    \"y\":\n        override: replace\n        command: /bin/y --a \"b c\"\n        after:\n            - svc\n        environment:\n            E1: \"\"\n            E2: \"true\"\n            E3: 'x: y'\n            E4: it's\n            E5: |-\n                multi\n                line\n            E6: '#hash'\n"
    );
}

async fn layer_values_round_trip(p: &Pebble) {
    p.layer(
        "base",
        "summary: s\ndescription: d\nservices:\n  svc:\n    override: replace\n    summary: the service\n    command: /bin/svc [ --port 80 ]\n    startup: disabled\n    requires: [db]\n    before: [db]\n    user-id: 1000\n    group-id: 1000\n    working-dir: /srv\n    on-success: ignore\n    on-failure: shutdown\n    on-check-failure:\n      chk: restart\n    backoff-delay: 1s\n    backoff-factor: 1.5\n    backoff-limit: 20s\n    kill-delay: 3s\n  db:\n    override: replace\n    command: /bin/db\nchecks:\n  chk:\n    override: replace\n    level: alive\n    startup: disabled\n    period: 30s\n    timeout: 2s\n    threshold: 5\n    tcp:\n      port: 8080\n",
    )
    .await;
    let plan = p.client().get_plan().await.unwrap();
    let svc = &plan.services["svc"];
    assert_eq!(svc.command.as_deref(), Some("/bin/svc [ --port 80 ]"));
    assert_eq!(svc.requires, ["db"]);
    assert_eq!(svc.user_id, Some(1000));
    assert_eq!(svc.working_dir.as_deref(), Some("/srv"));
    assert_eq!(svc.backoff_factor, Some(1.5));
    let chk = &plan.checks["chk"];
    assert_eq!(chk.threshold, Some(5));
    assert_eq!(chk.tcp.as_ref().and_then(|t| t.port), Some(8080));
}
