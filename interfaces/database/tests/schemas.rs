//! The schemas kept as test data reject what the protocol forbids, so the checks made with
//! them in the other tests can fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use support::{Bag, validate};

fn bag(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const REQUESTED: &str = r#"["username", "password", "tls", "tls-ca"]"#;

#[test]
fn the_requirer_schema_takes_pythons_request_and_rejects_broken_ones() {
    let good = bag(&[
        ("database", "myapp"),
        ("requested-secrets", REQUESTED),
        ("provided-secrets", r#"["mtls-cert"]"#),
        ("extra-user-roles", "CREATEDB"),
    ]);
    validate(Bag::RequirerApp, &good).unwrap();
    let broken: [(&str, BTreeMap<String, String>); 5] = [
        ("no database", bag(&[("requested-secrets", REQUESTED)])),
        ("no requested-secrets", bag(&[("database", "myapp")])),
        (
            "requested-secrets without the password",
            bag(&[("database", "x"), ("requested-secrets", r#"["username"]"#)]),
        ),
        (
            "requested-secrets that is not JSON",
            bag(&[
                ("database", "x"),
                ("requested-secrets", "username,password"),
            ]),
        ),
        (
            "a misspelt key",
            bag(&[
                ("database", "x"),
                ("requested-secrets", REQUESTED),
                ("extra-user-role", "a"),
            ]),
        ),
    ];
    for (name, b) in broken {
        assert!(validate(Bag::RequirerApp, &b).is_err(), "{name} passed");
    }
}

#[test]
fn the_provider_schema_rejects_half_credentials_and_bad_uris() {
    validate(
        Bag::ProviderApp,
        &bag(&[
            ("secret-user", "secret:cjqub6vubg2s77p3nio0"),
            ("endpoints", "h:5432"),
        ]),
    )
    .unwrap();
    let broken: [(&str, BTreeMap<String, String>); 4] = [
        ("a password without a username", bag(&[("password", "p")])),
        (
            "a secret field without a URI",
            bag(&[("secret-user", "relation-4")]),
        ),
        ("endpoints without ports", bag(&[("endpoints", "h1,h2")])),
        ("a snapshot that is not an object", bag(&[("data", "[1]")])),
    ];
    for (name, b) in broken {
        assert!(validate(Bag::ProviderApp, &b).is_err(), "{name} passed");
    }
}

#[test]
fn the_requirer_unit_schema_takes_only_what_python_writes_there() {
    validate(
        Bag::RequirerUnit,
        &bag(&[
            ("requested-secrets", REQUESTED),
            ("data", r#"{"endpoints": "h:1"}"#),
        ]),
    )
    .unwrap();
    assert!(validate(Bag::RequirerUnit, &bag(&[("database", "x")])).is_err());
    assert!(validate(Bag::RequirerUnit, &bag(&[("data", r#"{"data": "{}"}"#)])).is_err());
}
