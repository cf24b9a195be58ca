//! Checking databags against the schemas in `tests/schemas/` (ours, each naming the upstream
//! model it encodes), including the JSON held in their string values, which the upstream
//! generated schemas do not check.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bag_schema::{Schema, Values, decode};
use ops::testing::State;
use serde_json::Value;

use super::RELATION_ID;

/// The errors of `instance` against schema file `name`, one line each.
pub fn errors(name: &str, instance: &Value) -> Vec<String> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "schemas", name]
        .iter()
        .collect();
    let schema = Schema::load(&path).unwrap_or_else(|e| panic!("{e}"));
    schema.errors(instance)
}

/// The bag as its schema describes it: every value is text.
fn bag_value(bag: &BTreeMap<String, String>) -> Value {
    decode(bag, Values::Text).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The errors of one requirer databag: the bag, then the JSON in its value.
pub fn requirer_bag_errors(bag: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = errors("requirer_databag.json", &bag_value(bag));
    if let Some(text) = bag.get("certificate_signing_requests") {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => out.extend(errors("requirer_csrs.json", &v)),
            Err(e) => out.push(format!("certificate_signing_requests is not JSON: {e}")),
        }
    }
    out
}

/// Asserts that both of our databags in `state` fit the requirer schema; `path` names the
/// step for the failure message.
pub fn assert_requirer_bags_valid(state: &State, path: &str) {
    let Some(r) = state.relation_by_id(RELATION_ID) else {
        return;
    };
    for (which, bag) in [("unit", &r.local_unit_data), ("app", &r.local_app_data)] {
        let errors = requirer_bag_errors(bag);
        assert!(
            errors.is_empty(),
            "{path}: our {which} databag does not fit the schema:\n{}\n{bag:#?}",
            errors.join("\n")
        );
    }
}

/// The errors of a provider's application databag: the bag, then the JSON in each value.
pub fn provider_bag_errors(bag: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = errors("provider_databag.json", &bag_value(bag));
    for (key, schema) in [
        ("certificates", "provider_certificates.json"),
        ("request_errors", "provider_request_errors.json"),
        ("capabilities", "provider_capabilities.json"),
    ] {
        if let Some(text) = bag.get(key) {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => out.extend(errors(schema, &v)),
                Err(e) => out.push(format!("{key} is not JSON: {e}")),
            }
        }
    }
    out
}
