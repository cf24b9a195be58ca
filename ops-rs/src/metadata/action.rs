//! Actions and their parameters (a JSON schema per parameter).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ActionMeta {
    /// What the action does.
    pub description: String,
    /// Parameters by name, each a JSON schema (`type`, `description`, `default`, `enum`,
    /// `properties`, ...).
    pub params: BTreeMap<String, Value>,
    /// Parameters that must be given.
    pub required: Vec<String>,
    /// Whether parameters not in `params` are accepted. `None` (not declared) is treated as
    /// `true`, Juju 3's default (Juju 4 defaults to `false`: declare it to be explicit).
    #[serde(rename = "additionalProperties")]
    pub additional_properties: Option<bool>,
}

/// Why action parameters do not match the action's metadata.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamProblem {
    /// A required parameter is missing.
    #[error("required parameter '{0}' is missing")]
    Missing(String),
    /// A parameter is not declared and `additionalProperties` is false.
    #[error(
        "parameter '{0}' is not declared in the action's params (additionalProperties is false)"
    )]
    Unknown(String),
    /// A parameter's value has the wrong JSON type.
    #[error("parameter '{name}' must be of type {expected}, got {value}")]
    WrongType {
        /// The parameter (dotted for nested properties).
        name: String,
        /// The schema's type.
        expected: String,
        /// The value received.
        value: Value,
    },
    /// A parameter's value breaks one of its schema's constraints (`minimum`, `maxLength`,
    /// `pattern`, `minItems`, `const`, ...).
    #[error("parameter '{name}' must {rule}, got {value}")]
    Constraint {
        /// The parameter (dotted for nested properties, `[i]` for array items).
        name: String,
        /// The rule, in words: "be at least 1", "match the pattern ^[a-z]+$".
        rule: String,
        /// The value received.
        value: Value,
    },
    /// The action's schema itself is not usable (a `pattern` that is not a regular
    /// expression): Juju would have refused the charm's metadata.
    #[error("the schema of parameter '{name}' is invalid: {detail}")]
    BadSchema {
        /// The parameter.
        name: String,
        /// What is wrong with its schema.
        detail: String,
    },
    /// A parameter's value is not one of the schema's `enum`.
    #[error("parameter '{name}' must be one of {allowed}, got {value}")]
    NotInEnum {
        /// The parameter.
        name: String,
        /// The allowed values, as JSON.
        allowed: String,
        /// The value received.
        value: Value,
    },
}

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true, // an unknown type keyword: Juju validated it already
    }
}

fn check_value(name: &str, schema: &Value, v: &Value) -> Result<(), ParamProblem> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, v)) {
        return Err(ParamProblem::WrongType {
            name: name.to_owned(),
            expected: types.join(" or "),
            value: v.clone(),
        });
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        if !allowed.iter().any(|a| json_equal(a, v)) {
            return Err(ParamProblem::NotInEnum {
                name: name.to_owned(),
                allowed: Value::Array(allowed.clone()).to_string(),
                value: v.clone(),
            });
        }
    }
    let broken = |rule: String| ParamProblem::Constraint {
        name: name.to_owned(),
        rule,
        value: v.clone(),
    };
    if let Some(c) = schema.get("const") {
        if !json_equal(c, v) {
            return Err(broken(format!("be {c}")));
        }
    }
    match v {
        Value::Number(n) => check_number(schema, n.as_f64().unwrap_or(f64::NAN), &broken)?,
        Value::String(text) => check_string(name, schema, text, &broken)?,
        Value::Array(items) => check_array(name, schema, items, &broken)?,
        Value::Object(obj) => check_object(name, schema, obj, &broken)?,
        _ => {}
    }
    check_combinators(name, schema, v, &broken)
}

/// `allOf` (every schema), `anyOf` (at least one), `oneOf` (exactly one) and `not`.
fn check_combinators(
    name: &str,
    schema: &Value,
    v: &Value,
    broken: &impl Fn(String) -> ParamProblem,
) -> Result<(), ParamProblem> {
    let schemas = |key| {
        schema
            .get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    for sub in schemas("allOf") {
        check_value(name, sub, v)?;
    }
    let any = schemas("anyOf");
    if !any.is_empty() && !any.iter().any(|sub| check_value(name, sub, v).is_ok()) {
        return Err(broken(format!(
            "match at least one of the {} schemas of anyOf",
            any.len()
        )));
    }
    let one = schemas("oneOf");
    if !one.is_empty() {
        let matched = one
            .iter()
            .filter(|sub| check_value(name, sub, v).is_ok())
            .count();
        if matched != 1 {
            return Err(broken(format!(
                "match exactly one of the {} schemas of oneOf (it matches {matched})",
                one.len()
            )));
        }
    }
    if let Some(sub) = schema.get("not")
        && check_value(name, sub, v).is_ok()
    {
        return Err(broken(format!("not match the schema {sub}")));
    }
    Ok(())
}

/// JSON equality as JSON Schema means it: numbers by value (`1` equals `1.0`).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| json_equal(p, q)))
        }
        _ => a == b,
    }
}

fn number(schema: &Value, key: &str) -> Option<f64> {
    schema.get(key).and_then(Value::as_f64)
}

fn count(schema: &Value, key: &str) -> Option<u64> {
    schema.get(key).and_then(Value::as_u64)
}

/// `minimum`, `maximum` (with draft 4's boolean `exclusiveMinimum`/`exclusiveMaximum`, or
/// the later numeric ones) and `multipleOf`.
fn check_number(
    schema: &Value,
    n: f64,
    broken: &impl Fn(String) -> ParamProblem,
) -> Result<(), ParamProblem> {
    let flag = |key| schema.get(key).and_then(Value::as_bool).unwrap_or(false);
    if let Some(min) = number(schema, "minimum") {
        if flag("exclusiveMinimum") && n <= min {
            return Err(broken(format!("be greater than {min}")));
        }
        if n < min {
            return Err(broken(format!("be at least {min}")));
        }
    }
    if let Some(max) = number(schema, "maximum") {
        if flag("exclusiveMaximum") && n >= max {
            return Err(broken(format!("be less than {max}")));
        }
        if n > max {
            return Err(broken(format!("be at most {max}")));
        }
    }
    if let Some(min) = number(schema, "exclusiveMinimum")
        && n <= min
    {
        return Err(broken(format!("be greater than {min}")));
    }
    if let Some(max) = number(schema, "exclusiveMaximum")
        && n >= max
    {
        return Err(broken(format!("be less than {max}")));
    }
    if let Some(step) = number(schema, "multipleOf")
        && step > 0.0
    {
        let q = n / step;
        if (q - q.round()).abs() > 1e-9 {
            return Err(broken(format!("be a multiple of {step}")));
        }
    }
    Ok(())
}

/// `minLength` and `maxLength` (in characters, as JSON Schema counts them), `pattern`
/// (a regular expression found anywhere in the string unless anchored) and `format`.
fn check_string(
    name: &str,
    schema: &Value,
    text: &str,
    broken: &impl Fn(String) -> ParamProblem,
) -> Result<(), ParamProblem> {
    let len = text.chars().count() as u64;
    if let Some(min) = count(schema, "minLength")
        && len < min
    {
        return Err(broken(format!("be at least {min} characters long")));
    }
    if let Some(max) = count(schema, "maxLength")
        && len > max
    {
        return Err(broken(format!("be at most {max} characters long")));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        let re = regex_lite::Regex::new(pattern).map_err(|e| ParamProblem::BadSchema {
            name: name.to_owned(),
            detail: format!("pattern {pattern:?} is not a regular expression: {e}"),
        })?;
        if !re.is_match(text) {
            return Err(broken(format!("match the pattern {pattern}")));
        }
    }
    if let Some(format) = schema.get("format").and_then(Value::as_str)
        && !super::action_format::matches(format, text)
    {
        return Err(broken(format!("be a valid {format}")));
    }
    Ok(())
}

/// `minItems`, `maxItems`, `uniqueItems`, and `items` (one schema for every item, or one
/// per position with `additionalItems` for the rest).
fn check_array(
    name: &str,
    schema: &Value,
    items: &[Value],
    broken: &impl Fn(String) -> ParamProblem,
) -> Result<(), ParamProblem> {
    let len = items.len() as u64;
    if let Some(min) = count(schema, "minItems")
        && len < min
    {
        return Err(broken(format!("have at least {min} items")));
    }
    if let Some(max) = count(schema, "maxItems")
        && len > max
    {
        return Err(broken(format!("have at most {max} items")));
    }
    if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
        for (i, a) in items.iter().enumerate() {
            if items[..i].iter().any(|b| json_equal(a, b)) {
                return Err(broken("have no item twice".to_owned()));
            }
        }
    }
    match schema.get("items") {
        Some(item_schema @ Value::Object(_)) => {
            for (i, item) in items.iter().enumerate() {
                check_value(&format!("{name}[{i}]"), item_schema, item)?;
            }
        }
        // A tuple: one schema per position; `additionalItems` says what may follow.
        Some(Value::Array(positions)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("{name}[{i}]");
                match (positions.get(i), schema.get("additionalItems")) {
                    (Some(s), _) => check_value(&at, s, item)?,
                    (None, Some(Value::Bool(false))) => {
                        return Err(broken(format!("have at most {} items", positions.len())));
                    }
                    (None, Some(extra @ Value::Object(_))) => check_value(&at, extra, item)?,
                    (None, _) => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// `properties` and `patternProperties` (each checked), `additionalProperties` (`false`, or
/// a schema for the others), `required`, `dependencies`, `minProperties` and
/// `maxProperties`.
fn check_object(
    name: &str,
    schema: &Value,
    obj: &Map<String, Value>,
    broken: &impl Fn(String) -> ParamProblem,
) -> Result<(), ParamProblem> {
    let props = schema.get("properties").and_then(Value::as_object);
    let patterns = match schema.get("patternProperties").and_then(Value::as_object) {
        Some(p) => p
            .iter()
            .map(|(re, sub)| {
                regex_lite::Regex::new(re).map(|re| (re, sub)).map_err(|e| {
                    ParamProblem::BadSchema {
                        name: name.to_owned(),
                        detail: format!(
                            "patternProperties {re:?} is not a regular expression: {e}"
                        ),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    for (k, sub) in obj {
        let at = format!("{name}.{k}");
        let declared = props.and_then(|p| p.get(k));
        if let Some(s) = declared {
            check_value(&at, s, sub)?;
        }
        let mut by_pattern = false;
        for (re, s) in &patterns {
            if re.is_match(k) {
                by_pattern = true;
                check_value(&at, s, sub)?;
            }
        }
        if declared.is_none() && !by_pattern {
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => return Err(ParamProblem::Unknown(at)),
                Some(extra @ Value::Object(_)) => check_value(&at, extra, sub)?,
                _ => {}
            }
        }
    }
    if let Some(Value::Object(deps)) = schema.get("dependencies") {
        for (k, dep) in deps.iter().filter(|(k, _)| obj.contains_key(*k)) {
            match dep {
                Value::Array(needed) => {
                    for n in needed.iter().filter_map(Value::as_str) {
                        if !obj.contains_key(n) {
                            return Err(broken(format!("have '{n}' when it has '{k}'")));
                        }
                    }
                }
                Value::Object(_) => check_value(name, dep, &Value::Object(obj.clone()))?,
                _ => {}
            }
        }
    }
    if let Some(Value::Array(req)) = schema.get("required") {
        for r in req.iter().filter_map(Value::as_str) {
            if !obj.contains_key(r) {
                return Err(ParamProblem::Missing(format!("{name}.{r}")));
            }
        }
    }
    let len = obj.len() as u64;
    if let Some(min) = count(schema, "minProperties")
        && len < min
    {
        return Err(broken(format!("have at least {min} properties")));
    }
    if let Some(max) = count(schema, "maxProperties")
        && len > max
    {
        return Err(broken(format!("have at most {max} properties")));
    }
    Ok(())
}

impl ActionMeta {
    /// Checks `params` (as `action-get` gives them) against this action's schema, filling in
    /// declared defaults for parameters not given.
    ///
    /// Juju validates parameters against the action's JSON schema (draft 4) before it runs
    /// the action (`juju run` refuses the rest); this is the same check, for the testing
    /// API's consistency check, `Harness::run_action`, juju-sim and
    /// [`Model::action_params_map`](crate::model::Model::action_params_map). The keywords:
    ///
    /// | applies to | keywords |
    /// | --- | --- |
    /// | the action | `params` (the properties), `required`, `additionalProperties` (`false`; not declared: accepted, Juju 3's default) |
    /// | any value | `type` (one or a list), `enum`, `const`, `allOf`, `anyOf`, `oneOf`, `not` |
    /// | numbers | `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (draft 4's booleans or later numbers), `multipleOf` |
    /// | strings | `minLength`, `maxLength` (in characters), `pattern`, `format` (`date-time`, `date`, `email`, `hostname`, `ipv4`, `ipv6`, `uri`, `uuid`, `regex`; others are annotations) |
    /// | arrays | `items` (one schema, or one per position), `additionalItems`, `minItems`, `maxItems`, `uniqueItems` |
    /// | objects | `properties`, `patternProperties`, `additionalProperties` (`false` or a schema), `required`, `dependencies`, `minProperties`, `maxProperties` |
    ///
    /// Not checked: `$ref` and `$schema` (Juju refuses a charm whose schema has them).
    ///
    /// ```
    /// use ops::metadata::ActionMeta;
    /// let meta: ActionMeta = serde_json::from_value(serde_json::json!({
    ///     "params": {"n": {"type": "integer", "default": 3}, "to": {"type": "string"}},
    ///     "required": ["to"],
    ///     "additionalProperties": false,
    /// })).unwrap();
    /// let mut p = serde_json::json!({"to": "s3"}).as_object().unwrap().clone();
    /// meta.validate_params(&mut p).unwrap();
    /// assert_eq!(p["n"], 3);
    /// let mut bad = serde_json::json!({"to": 1}).as_object().unwrap().clone();
    /// assert!(meta.validate_params(&mut bad).unwrap_err().to_string().contains("'to' must be of type string"));
    /// ```
    pub fn validate_params(&self, params: &mut Map<String, Value>) -> Result<(), ParamProblem> {
        for (name, schema) in &self.params {
            if !params.contains_key(name) {
                if let Some(d) = schema.get("default") {
                    params.insert(name.clone(), d.clone());
                }
            }
        }
        for r in &self.required {
            if !params.contains_key(r) {
                return Err(ParamProblem::Missing(r.clone()));
            }
        }
        for (name, v) in params.iter() {
            match self.params.get(name) {
                Some(schema) => check_value(name, schema, v)?,
                None if self.additional_properties == Some(false) => {
                    return Err(ParamProblem::Unknown(name.clone()));
                }
                None => {}
            }
        }
        Ok(())
    }
}
