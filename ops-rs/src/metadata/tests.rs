use super::*;

const UNIFIED: &str = r#"
name: web
type: charm
summary: A web server.
description: |
  Serves things.
assumes:
  - k8s-api
  - any-of:
      - juju >= 3.4
      - juju >= 4.0
bases:
  - build-on: [{name: ubuntu, channel: "22.04"}]
containers:
  nginx:
    resource: nginx-image
    mounts:
      - storage: data
        location: /srv
resources:
  nginx-image:
    type: oci-image
    description: the image
  blob:
    type: file
    filename: blob.tgz
requires:
  db:
    interface: postgresql_client
    limit: 1
    optional: true
  logging:
    interface: loki_push_api
    scope: container
provides:
  website:
    interface: http
peers:
  cluster:
    interface: web_peers
storage:
  data:
    type: filesystem
    location: /srv
    multiple:
      range: 1-3
  raw:
    type: block
extra-bindings:
  metrics:
config:
  options:
    port: {type: int, default: 8080, description: Port.}
    name: {type: string}
    ratio: {type: float, default: 0.5}
    debug: {type: boolean, default: false}
    creds: {type: secret}
actions:
  backup:
    description: Back up.
    params:
      target: {type: string}
      level: {type: integer, default: 1}
    required: [target]
    additionalProperties: false
  noop: {}
"#;

#[test]
fn unified_charmcraft_yaml() {
    let m = CharmMeta::from_charmcraft_yaml(UNIFIED).unwrap();
    assert_eq!(m.name, "web");
    assert_eq!(m.summary, "A web server.");
    assert_eq!(m.description, "Serves things.\n");
    assert_eq!(m.assumes[0], Assumes::Feature("k8s-api".into()));
    assert!(matches!(&m.assumes[1], Assumes::AnyOf { any_of } if any_of.len() == 2));
    let c = &m.containers["nginx"];
    assert_eq!(c.resource.as_deref(), Some("nginx-image"));
    assert_eq!(c.mounts[0].storage, "data");
    assert_eq!(c.mounts[0].location.as_deref(), Some("/srv"));
    assert_eq!(m.resources["nginx-image"].kind, ResourceType::OciImage);
    assert_eq!(m.resources["blob"].kind, ResourceType::File);
    assert_eq!(m.resources["blob"].filename.as_deref(), Some("blob.tgz"));
    let db = m.relation("db").unwrap();
    assert_eq!(
        (db.role, db.interface.as_str(), db.limit, db.optional),
        (RelationRole::Requires, "postgresql_client", Some(1), true)
    );
    assert_eq!(
        m.relation("logging").unwrap().scope,
        RelationScope::Container
    );
    assert_eq!(m.relation("website").unwrap().role, RelationRole::Provides);
    assert_eq!(m.relation("cluster").unwrap().role, RelationRole::Peer);
    assert!(m.is_peer("cluster") && !m.is_peer("db"));
    assert_eq!(m.relations().count(), 4);
    assert_eq!(m.storage["data"].kind, StorageType::Filesystem);
    assert_eq!(m.storage["data"].multiple, Some((1, Some(3))));
    assert_eq!(m.storage["raw"].kind, StorageType::Block);
    assert_eq!(m.storage["raw"].multiple, None);
    assert_eq!(m.extra_bindings, vec!["metrics".to_string()]);
    let o = &m.config.options;
    assert_eq!(o["port"].kind, ConfigType::Int);
    assert_eq!(o["port"].default, Some(serde_json::json!(8080)));
    assert_eq!(o["name"].default, None);
    assert_eq!(o["ratio"].kind, ConfigType::Float);
    assert_eq!(o["debug"].kind, ConfigType::Boolean);
    assert_eq!(o["creds"].kind, ConfigType::Secret);
    let b = &m.actions["backup"];
    assert_eq!(b.required, vec!["target".to_string()]);
    assert_eq!(b.additional_properties, Some(false));
    assert_eq!(b.params["level"]["default"], 1);
    assert_eq!(m.actions["noop"], ActionMeta::default());
}

#[test]
fn packed_form_and_charm_dir_preference() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("charmcraft.yaml"),
        "name: from-charmcraft\n",
    )
    .unwrap();
    let m = CharmMeta::from_charm_dir(dir.path()).unwrap();
    assert_eq!(m.name, "from-charmcraft");

    std::fs::write(
        dir.path().join("metadata.yaml"),
        "name: packed\nrequires:\n  db: {interface: pg}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        "options:\n  port: {type: int, default: 80}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("actions.yaml"),
        "go:\n  params:\n    fast: {type: boolean}\n",
    )
    .unwrap();
    let m = CharmMeta::from_charm_dir(dir.path()).unwrap();
    assert_eq!(m.name, "packed");
    assert_eq!(
        m.config.options["port"].default,
        Some(serde_json::json!(80))
    );
    assert!(m.actions["go"].params.contains_key("fast"));
    assert!(m.relation("db").is_some());
}

#[test]
fn empty_config_and_actions_files() {
    let m = CharmMeta::from_packed_yaml("name: x", Some("options:\n"), Some("# none\n")).unwrap();
    assert!(m.config.options.is_empty());
    assert!(m.actions.is_empty());
}

#[test]
fn missing_dir_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let e = CharmMeta::from_charm_dir(dir.path()).unwrap_err();
    assert!(matches!(e, MetadataError::NotFound { .. }), "{e}");
    assert!(e.to_string().contains("metadata.yaml"));
}

#[test]
fn invalid_yaml_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("metadata.yaml"), "name: x\n").unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        "options:\n  port:\n    type: int\n   bad: [\n",
    )
    .unwrap();
    let e = CharmMeta::from_charm_dir(dir.path()).unwrap_err();
    let MetadataError::Invalid { file, line, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(file, "config.yaml");
    assert!(line.is_some(), "{e}");
    assert!(
        e.to_string()
            .starts_with("invalid charm metadata in config.yaml at line"),
        "{e}"
    );
}

#[test]
fn comment_only_or_null_files_declare_nothing() {
    for text in ["# nothing yet\n", "---\n# nothing\n", "~\n", "null\n"] {
        let meta = CharmMeta::from_packed_yaml("name: x\n", Some(text), Some(text))
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert!(meta.config.options.is_empty(), "{text:?}");
        assert!(meta.actions.is_empty(), "{text:?}");
    }
}

#[test]
fn a_syntax_error_is_reported_rather_than_the_type_error_it_causes() {
    // `[` opens a flow sequence that never closes; a typed reading sees a sequence where a
    // string belongs first, but the thing to fix is the syntax.
    let e = CharmMeta::from_charmcraft_yaml("name: [\n").unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("did not find expected node content"),
        "{text}"
    );
    assert!(!text.contains("invalid type"), "{text}");
    // A well-formed file of the wrong shape still names the wrong type.
    let e = CharmMeta::from_charmcraft_yaml("name: [a, b]\n").unwrap_err();
    assert!(e.to_string().contains("invalid type: sequence"), "{e}");
}

#[test]
fn wrong_shape_is_an_error() {
    let e = CharmMeta::from_charmcraft_yaml("name: x\nrequires:\n  db: {limit: 1}\n").unwrap_err();
    assert!(e.to_string().contains("interface"), "{e}");
    let e =
        CharmMeta::from_charmcraft_yaml("config:\n  options:\n    a: {type: list}\n").unwrap_err();
    assert!(e.to_string().contains("charmcraft.yaml"), "{e}");
}

#[test]
fn action_param_validation() {
    let m = CharmMeta::from_charmcraft_yaml(UNIFIED).unwrap();
    let b = &m.actions["backup"];
    let obj = |v: serde_json::Value| v.as_object().unwrap().clone();
    let mut p = obj(serde_json::json!({"target": "s3"}));
    b.validate_params(&mut p).unwrap();
    assert_eq!(p["level"], 1);
    let cases = [
        (
            serde_json::json!({}),
            "required parameter 'target' is missing",
        ),
        (
            serde_json::json!({"target": 3}),
            "'target' must be of type string, got 3",
        ),
        (
            serde_json::json!({"target": "x", "level": 1.5}),
            "'level' must be of type integer",
        ),
        (
            serde_json::json!({"target": "x", "extra": 1}),
            "parameter 'extra' is not declared",
        ),
    ];
    for (given, want) in cases {
        let e = b.validate_params(&mut obj(given.clone())).unwrap_err();
        assert!(e.to_string().contains(want), "{given}: {e}");
    }
    // additionalProperties not declared: extra params pass (Juju 3 default)
    let mut p = obj(serde_json::json!({"anything": true}));
    m.actions["noop"].validate_params(&mut p).unwrap();
}

/// What Juju's JSON-schema validation of action parameters checks beyond types (issue 16,
/// row 13): each keyword refuses a value that breaks it and accepts one that keeps it.
#[test]
fn action_param_schema_keywords() {
    use serde_json::json;
    let cases = [
        (
            json!({"type": "integer", "minimum": 1}),
            json!(1),
            json!(0),
            "be at least 1",
        ),
        (
            json!({"type": "integer", "maximum": 9}),
            json!(9),
            json!(10),
            "be at most 9",
        ),
        (
            json!({"type": "number", "minimum": 1, "exclusiveMinimum": true}),
            json!(1.5),
            json!(1),
            "be greater than 1",
        ),
        (
            json!({"type": "number", "exclusiveMaximum": 2}),
            json!(1.9),
            json!(2),
            "be less than 2",
        ),
        (
            json!({"type": "number", "multipleOf": 0.5}),
            json!(2.5),
            json!(2.2),
            "multiple of 0.5",
        ),
        (
            json!({"type": "string", "minLength": 2}),
            json!("éé"),
            json!("é"),
            "at least 2 characters",
        ),
        (
            json!({"type": "string", "maxLength": 3}),
            json!("abc"),
            json!("abcd"),
            "at most 3 characters",
        ),
        (
            json!({"type": "string", "pattern": "^[a-z]+$"}),
            json!("abc"),
            json!("ab1"),
            "match the pattern ^[a-z]+$",
        ),
        (
            json!({"type": "string", "pattern": "b"}),
            json!("abc"),
            json!("xyz"),
            "match the pattern b",
        ),
        (
            json!({"enum": ["a", 1]}),
            json!(1.0),
            json!("b"),
            "must be one of",
        ),
        (json!({"const": "x"}), json!("x"), json!("y"), "be \"x\""),
        (
            json!({"type": "array", "minItems": 1}),
            json!([1]),
            json!([]),
            "at least 1 items",
        ),
        (
            json!({"type": "array", "maxItems": 1}),
            json!([1]),
            json!([1, 2]),
            "at most 1 items",
        ),
        (
            json!({"type": "array", "uniqueItems": true}),
            json!([1, 2]),
            json!([1, 1.0]),
            "no item twice",
        ),
        (
            json!({"type": "array", "items": {"type": "string"}}),
            json!(["a"]),
            json!(["a", 2]),
            "'p[1]' must be of type string",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": false}),
            json!({"a": 1}),
            json!({"a": 1, "b": 2}),
            "'p.b' is not declared",
        ),
        (
            json!({"type": "object", "minProperties": 1}),
            json!({"a": 1}),
            json!({}),
            "at least 1 properties",
        ),
        // Issue 19, item 3: the rest of what Juju's draft-4 validator checks.
        (
            json!({"allOf": [{"type": "integer"}, {"minimum": 2}]}),
            json!(3),
            json!(1),
            "be at least 2",
        ),
        (
            json!({"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]}),
            json!("ab"),
            json!("abc"),
            "match at least one of the 2 schemas of anyOf",
        ),
        (
            json!({"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 5}]}),
            json!(4),
            json!(6),
            "match exactly one of the 2 schemas of oneOf (it matches 2)",
        ),
        (
            json!({"not": {"enum": ["root"]}}),
            json!("web"),
            json!("root"),
            "not match the schema",
        ),
        (
            json!({"type": "object", "patternProperties": {"^x-": {"type": "string"}}}),
            json!({"x-a": "1"}),
            json!({"x-a": 1}),
            "'p.x-a' must be of type string",
        ),
        (
            json!({"type": "object", "patternProperties": {"^x-": {}}, "additionalProperties": false}),
            json!({"x-a": 1}),
            json!({"y": 1}),
            "'p.y' is not declared",
        ),
        (
            json!({"type": "object", "properties": {"a": {}}, "additionalProperties": {"type": "integer"}}),
            json!({"a": "s", "b": 2}),
            json!({"b": "s"}),
            "'p.b' must be of type integer",
        ),
        (
            json!({"type": "object", "dependencies": {"user": ["password"]}}),
            json!({"user": "u", "password": "p"}),
            json!({"user": "u"}),
            "have 'password' when it has 'user'",
        ),
        (
            json!({"type": "object", "dependencies": {"tls": {"required": ["cert"]}}}),
            json!({"tls": true, "cert": "c"}),
            json!({"tls": true}),
            "'p.cert' is missing",
        ),
        (
            json!({"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}),
            json!(["a", 1]),
            json!(["a", 1, 2]),
            "have at most 2 items",
        ),
        (
            json!({"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "integer"}}),
            json!(["a", 1, 2]),
            json!(["a", "b"]),
            "'p[1]' must be of type integer",
        ),
        (
            json!({"type": "string", "format": "date-time"}),
            json!("2025-01-02T03:04:05Z"),
            json!("yesterday"),
            "be a valid date-time",
        ),
        (
            json!({"type": "string", "format": "ipv4"}),
            json!("10.0.0.7"),
            json!("10.0.0"),
            "be a valid ipv4",
        ),
    ];
    for (schema, good, bad, want) in cases {
        let meta: ActionMeta =
            serde_json::from_value(json!({"params": {"p": schema.clone()}})).unwrap();
        let mut ok = json!({"p": good.clone()}).as_object().unwrap().clone();
        meta.validate_params(&mut ok)
            .unwrap_or_else(|e| panic!("{schema} refused {good}: {e}"));
        let mut refused = json!({"p": bad.clone()}).as_object().unwrap().clone();
        let e = meta.validate_params(&mut refused).unwrap_err().to_string();
        assert!(e.contains(want), "{schema} with {bad}: {e}");
    }
    let meta: ActionMeta =
        serde_json::from_value(json!({"params": {"p": {"pattern": "("}}})).unwrap();
    let e = meta
        .validate_params(json!({"p": "x"}).as_object_mut().unwrap())
        .unwrap_err();
    assert!(matches!(e, ParamProblem::BadSchema { .. }), "{e}");
}
