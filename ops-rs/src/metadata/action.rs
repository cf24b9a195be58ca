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
        if !allowed.contains(v) {
            return Err(ParamProblem::NotInEnum {
                name: name.to_owned(),
                allowed: Value::Array(allowed.clone()).to_string(),
                value: v.clone(),
            });
        }
    }
    if let (Some(Value::Object(props)), Value::Object(obj)) = (schema.get("properties"), v) {
        for (k, sub) in obj {
            if let Some(s) = props.get(k) {
                check_value(&format!("{name}.{k}"), s, sub)?;
            }
        }
        if let Some(Value::Array(req)) = schema.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    return Err(ParamProblem::Missing(format!("{name}.{r}")));
                }
            }
        }
    }
    Ok(())
}

impl ActionMeta {
    /// Checks `params` (as `action-get` gives them) against this action's schema, filling in
    /// declared defaults for parameters not given.
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
