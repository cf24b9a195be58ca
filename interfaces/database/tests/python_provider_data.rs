//! Every provider bag in `tests/data/v0/provider-bags.json` (the shapes the Python library
//! and the database charms write) is read as the Python requirer reads it: the event it
//! announces, and every field through `DatabaseInfo`; and each validates against our
//! provider schema, which therefore describes what Python writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::prelude::*;
use ops::testing::juju::{RelationState, SecretOwnership, SecretState};
use ops::testing::{Context, State};
use ops_interface_database::v0::DatabaseRequirer;
use serde_json::{Value, json};
use support::*;

/// Reads relation 3 on update-status and keeps what it read.
struct Reader {
    db: DatabaseRequirer,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            db: DatabaseRequirer::new(DB, "myapp"),
        }
    }
}

impl Charm for Reader {
    type Stored = Value;
    fn observe(on: &mut Observers<Self>) {
        on.component(KEY, |c: &mut Reader| &mut c.db);
        on.update_status("read", |c, ctx, _ev| {
            let i = c.db.fetch(ctx.model(), 3)?;
            let read = json!({
                "database": i.database(),
                "endpoints": i.endpoints(),
                "read_only_endpoints": i.read_only_endpoints(),
                "username": i.username(),
                "password": i.password().map(|p| p.expose()),
                "uris": i.uris().map(|p| p.expose()),
                "tls": i.tls(),
                "tls_ca": i.tls_ca(),
                "version": i.version(),
                "replset": i.replset(),
                "prefix_databases": i.prefix_databases(),
                "entity_name": i.entity_name(),
                "entity_password": i.entity_password().map(|p| p.expose()),
                "created": i.is_created(),
                "problems": i.problems(),
            });
            *ctx.stored_mut() = read;
            Ok(())
        });
    }
}

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/v0/provider-bags.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn state_of(case: &Value) -> (RelationState, State) {
    let remote: Vec<(String, String)> = case["remote"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let rel = RelationState::new(3, DB, "pg")
        .remote_unit("pg/0", [("x", "y")])
        .remote_app_data(remote);
    let mut state = State::new().relation(rel.clone());
    for (id, content) in case["secrets"].as_object().unwrap() {
        let content: Vec<(String, String)> = content
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        state = state.secret(SecretState::new(id, SecretOwnership::Consumer, content));
    }
    (rel, state)
}

#[test]
fn every_python_provider_bag_is_read_and_announced_as_python_reads_it() {
    let cases = cases();
    assert!(cases.len() >= 9);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expect = &case["expect"];
        let (rel, state) = state_of(&case);

        let ctx = requirer();
        let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
        assert_eq!(
            out.emitted_names(),
            [expect["event"].as_str().unwrap()],
            "{name}: events"
        );

        let reader = Context::<Reader>::new(requirer_meta());
        let out = reader.run(reader.on.update_status(), &state).unwrap();
        let read = out.state.stored_json().unwrap().clone();
        for (field, want) in expect.as_object().unwrap() {
            if field == "event" {
                continue;
            }
            assert_eq!(&read[field], want, "{name}: {field}");
        }
        assert_eq!(read["problems"], json!([]), "{name}: problems");

        if case.get("schema_skip").is_none() {
            let bag = rel.remote_app_data.clone();
            if let Err(e) = validate(Bag::ProviderApp, &bag) {
                panic!("{name}: a bag Python writes fails our provider schema: {e:#?}");
            }
        }
    }
}
