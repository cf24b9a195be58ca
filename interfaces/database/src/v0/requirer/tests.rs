use std::collections::BTreeMap;

use super::*;

fn diff(old: &[(&str, &str)], new: &[(&str, &str)]) -> Diff {
    let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    Diff::between(&m(old), &m(new))
}

#[test]
fn credentials_win_over_endpoints_as_in_python() {
    let d = diff(&[], &[("secret-user", "secret:a"), ("endpoints", "h:1")]);
    assert_eq!(announce(&d, false), Some(Announce::Created));
    // From a provider without secrets: both plain fields at once.
    let d = diff(&[], &[("username", "u"), ("password", "p")]);
    assert_eq!(announce(&d, false), Some(Announce::Created));
    let d = diff(&[], &[("username", "u")]);
    assert_eq!(announce(&d, false), None);
}

#[test]
fn an_entity_request_announces_the_entity_not_the_user() {
    let d = diff(
        &[],
        &[("secret-user", "secret:a"), ("secret-entity", "secret:b")],
    );
    assert_eq!(announce(&d, true), Some(Announce::EntityCreated));
    let d = diff(&[], &[("entity-name", "role")]);
    assert_eq!(announce(&d, true), Some(Announce::EntityCreated));
    assert_eq!(announce(&d, false), None);
}

#[test]
fn endpoints_then_read_only_then_prefixes_then_tls() {
    let old = [("endpoints", "a:1"), ("read-only-endpoints", "b:1")];
    let d = diff(
        &old,
        &[("endpoints", "c:1"), ("read-only-endpoints", "d:1")],
    );
    assert_eq!(announce(&d, false), Some(Announce::EndpointsChanged));
    let d = diff(
        &old,
        &[("endpoints", "a:1"), ("read-only-endpoints", "d:1")],
    );
    assert_eq!(
        announce(&d, false),
        Some(Announce::ReadOnlyEndpointsChanged)
    );
    let d = diff(&[], &[("prefix-databases", "x,y")]);
    assert_eq!(announce(&d, false), Some(Announce::PrefixDatabasesChanged));
    let d = diff(&[("secret-tls", "secret:1")], &[("secret-tls", "secret:2")]);
    assert_eq!(announce(&d, false), Some(Announce::TlsUpdated));
    // Deleting endpoints announces nothing, as in Python.
    let d = diff(&old, &[]);
    assert_eq!(announce(&d, false), None);
}

#[test]
fn statuses_raised_and_resolved_by_code() {
    let s = |code: i64| format!(r#"{{"code": {code}, "message": "m{code}", "resolution": "r"}}"#);
    let old = format!("[{}, {}]", s(1001), s(4001));
    let new = format!("[{}, {}]", s(4001), s(5002));
    let (raised, resolved) = status_changes(Some(&old), Some(&new), "db:1");
    assert_eq!(raised.iter().map(|s| s.code).collect::<Vec<_>>(), [5002]);
    assert_eq!(resolved.iter().map(|s| s.code).collect::<Vec<_>>(), [1001]);
    let (raised, resolved) = status_changes(None, Some(&"oops".to_owned()), "db:1");
    assert!(raised.is_empty() && resolved.is_empty());
}

#[test]
fn the_request_is_what_python_writes() {
    let r =
        DatabaseRequirer::new("database", "data_platform").extra_user_roles("CREATEDB,CREATEROLE");
    let bag = r.request_fields(false);
    assert_eq!(bag["database"], "data_platform");
    assert_eq!(bag["extra-user-roles"], "CREATEDB,CREATEROLE");
    assert_eq!(bag["provided-secrets"], r#"["mtls-cert"]"#);
    assert_eq!(
        bag["requested-secrets"],
        r#"["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]"#
    );
    assert_eq!(bag.len(), 4);
    assert!(!r.request_fields(true).contains_key("provided-secrets"));
    let ext = DatabaseRequirer::new("db", "x").external_node_connectivity(true);
    assert_eq!(
        ext.request_fields(false)["external-node-connectivity"],
        "true"
    );
}

#[test]
fn entity_configuration_is_checked() {
    let bad = DatabaseRequirer::new("db", "x")
        .entity(EntityType::Group)
        .extra_user_roles("admin");
    assert!(bad.config_problem().unwrap().contains("GROUP"));
    let orphan = DatabaseRequirer::new("db", "x").entity_permission(EntityPermission {
        resource_name: "t".into(),
        resource_type: "TABLE".into(),
        privileges: vec!["SELECT".into()],
    });
    assert!(orphan.config_problem().is_some());
    let ok = orphan.entity(EntityType::User);
    assert_eq!(ok.config_problem(), None);
    assert_eq!(
        ok.request_fields(false)["entity-permissions"],
        r#"[{"resource_name":"t","resource_type":"TABLE","privileges":["SELECT"]}]"#
    );
}
