//! The bags a unit wrote on a relation, checked against one schema of
//! `{"unit": <unit bag>, "app": <application bag>}` that says how their values are held.

use std::collections::BTreeMap;

use ops::testing::juju::RelationState;
use serde_json::{Map, Value};

use crate::{JUJU_KEYS, Schema, Values, decode};

/// The keyword of ours, at the top of a relation schema, saying how the bags' values are
/// held: `"json"` or `"plain"` for both bags, or per bag (`{"app": "json", "unit": "plain"}`).
const VALUES_KEYWORD: &str = "x-databag-values";

/// How the schema says the values of bag `which` (`unit` or `app`) are held.
fn values_of(schema: &Schema, which: &str) -> Result<Values<'static>, String> {
    let said = &schema.document()[VALUES_KEYWORD];
    let said = if said.is_object() { &said[which] } else { said };
    match said.as_str() {
        Some("json") => Ok(Values::Json),
        Some("plain") => Ok(Values::Text),
        _ => Err(format!(
            "{}: {VALUES_KEYWORD} does not say how the {which} bag's values are held \
             (\"json\" or \"plain\", for both bags or per bag): {said}",
            schema.name()
        )),
    }
}

/// The errors of the bags this unit wrote on `relation` against `schema`, one line each;
/// empty when they are valid.
///
/// The instance is `{"unit": <unit bag>, "app": <application bag>}`, the application bag
/// only when it holds anything, Juju's own keys ([`JUJU_KEYS`]) left out, and each value as
/// the schema's `x-databag-values` says (`"json"` or `"plain"`, for both bags or per bag).
///
/// ```
/// use bag_schema::{Schema, relation_errors};
/// use ops::testing::juju::RelationState;
/// use serde_json::json;
///
/// let schema = Schema::new("requirer.json", &json!({
///     "x-databag-values": "json",
///     "properties": {"unit": {"required": ["port"], "properties": {"port": {"type": "integer"}}}},
/// }))?;
/// let good = RelationState::new(1, "ingress", "traefik").local_unit_data([("port", "8080")]);
/// assert!(relation_errors(&schema, &good).is_empty());
/// let bad = RelationState::new(1, "ingress", "traefik").local_unit_data([("port", "http")]);
/// assert_eq!(relation_errors(&schema, &bad).len(), 1); // `http` is not JSON
/// # Ok::<(), bag_schema::SchemaError>(())
/// ```
pub fn relation_errors(schema: &Schema, relation: &RelationState) -> Vec<String> {
    let mut errors = Vec::new();
    let mut instance = Map::new();
    let bags = [
        ("unit", &relation.local_unit_data),
        ("app", &relation.local_app_data),
    ];
    for (which, bag) in bags {
        if which == "app" && bag.is_empty() {
            continue;
        }
        let values = match values_of(schema, which) {
            Ok(values) => values,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let own: BTreeMap<String, String> = bag
            .iter()
            .filter(|(k, _)| !JUJU_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match decode(&own, values) {
            Ok(value) => {
                instance.insert(which.to_owned(), value);
            }
            Err(e) => errors.extend(e.into_iter().map(|e| format!("{which} bag: {e}"))),
        }
    }
    if errors.is_empty() {
        errors = schema.errors(&Value::Object(instance));
    }
    errors
}

/// Asserts the bags this unit wrote on `relation` fit `schema`, as
/// [`relation_errors`] checks them.
///
/// # Panics
///
/// They do not fit: the message holds the errors and both bags.
///
/// ```
/// use bag_schema::{Schema, assert_relation_valid};
/// use ops::testing::juju::RelationState;
/// use serde_json::json;
///
/// let schema = Schema::new("provider.json", &json!({
///     "x-databag-values": {"app": "json", "unit": "plain"},
///     "properties": {"app": {"required": ["url"]}},
/// }))?;
/// let relation = RelationState::new(1, "ingress", "web")
///     .local_unit_data([("host", "10.0.0.9")])
///     .local_app_data([("url", r#""http://10.0.0.9/web""#)]);
/// assert_relation_valid(&schema, &relation);
/// # Ok::<(), bag_schema::SchemaError>(())
/// ```
pub fn assert_relation_valid(schema: &Schema, relation: &RelationState) {
    let errors = relation_errors(schema, relation);
    assert!(
        errors.is_empty(),
        "the bags on relation {} do not fit {}:\n{}\nunit bag: {:#?}\napp bag: {:#?}",
        relation.id,
        schema.name(),
        errors.join("\n"),
        relation.local_unit_data,
        relation.local_app_data,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(values: Value) -> Schema {
        Schema::new(
            "s.json",
            &json!({
                "x-databag-values": values,
                "properties": {
                    "unit": {"additionalProperties": {"type": "integer"}},
                    "app": {"additionalProperties": {"type": "string"}},
                },
            }),
        )
        .unwrap()
    }

    fn relation() -> RelationState {
        RelationState::new(1, "e", "remote")
            .local_unit_data([("port", "80"), ("ingress-address", "10.0.0.1")])
            .local_app_data([("name", r#""web""#)])
    }

    #[test]
    fn values_are_held_as_the_schema_says_and_juju_keys_are_left_out() {
        assert!(relation_errors(&schema(json!("json")), &relation()).is_empty());
        let per_bag = schema(json!({"unit": "json", "app": "plain"}));
        // The app's value as text keeps its quotes: still a string.
        assert!(relation_errors(&per_bag, &relation()).is_empty());
        let plain = schema(json!("plain"));
        let errors = relation_errors(&plain, &relation());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].ends_with("at /unit/port"), "{errors:?}");
    }

    #[test]
    fn an_empty_app_bag_is_left_out_and_a_schema_that_does_not_say_is_an_error() {
        let mut r = relation();
        r.local_app_data.clear();
        let needs_app = Schema::new(
            "s.json",
            &json!({"x-databag-values": "json", "required": ["unit", "app"]}),
        )
        .unwrap();
        assert_eq!(relation_errors(&needs_app, &r).len(), 1);
        let silent = Schema::new("s.json", &json!({})).unwrap();
        let errors = relation_errors(&silent, &relation());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("x-databag-values"), "{errors:?}");
    }

    #[test]
    fn a_value_that_is_not_json_is_named() {
        let r = relation().local_unit_data([("port", "eighty")]);
        let errors = relation_errors(&schema(json!("json")), &r);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("unit bag: port: \"eighty\""),
            "{errors:?}"
        );
    }

    #[test]
    #[should_panic(expected = "do not fit s.json")]
    fn the_assertion_panics_with_the_errors() {
        assert_relation_valid(&schema(json!("plain")), &relation());
    }
}
