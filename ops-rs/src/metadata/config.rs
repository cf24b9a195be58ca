//! Config options (`config.options` in charmcraft.yaml, or a packed `config.yaml`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The config section: its options by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ConfigMeta {
    /// Options by name.
    #[serde(deserialize_with = "null_as_empty")]
    pub options: BTreeMap<String, ConfigOption>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ConfigOption>, D::Error> {
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

impl ConfigMeta {
    /// Checks that every default has its option's type (Juju refuses such a charm; saying so
    /// here names the option instead of failing later on a value of the wrong type).
    pub(crate) fn check_defaults(&self, file: &str) -> Result<(), super::MetadataError> {
        for (name, option) in &self.options {
            if let Some(default) = option.default.as_ref().filter(|d| !d.is_null())
                && !option.kind.accepts(default)
            {
                return Err(super::MetadataError::Invalid {
                    file: file.to_owned(),
                    line: None,
                    detail: format!(
                        "config option '{name}' is of type {} but its default is {default}",
                        option.kind
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The type of a config option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigType {
    /// Text.
    String,
    /// A whole number.
    Int,
    /// A number.
    Float,
    /// true or false.
    Boolean,
    /// A secret id (`secret:...`); Juju passes the id as a string.
    Secret,
}

impl ConfigType {
    /// The name as metadata spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConfigType::String => "string",
            ConfigType::Int => "int",
            ConfigType::Float => "float",
            ConfigType::Boolean => "boolean",
            ConfigType::Secret => "secret",
        }
    }

    /// Whether the JSON `value` (as `config-get` gives it) has this type.
    pub fn accepts(&self, value: &serde_json::Value) -> bool {
        use serde_json::Value;
        match (self, value) {
            (ConfigType::String | ConfigType::Secret, Value::String(_)) => true,
            (ConfigType::Int, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (ConfigType::Float, Value::Number(_)) => true,
            (ConfigType::Boolean, Value::Bool(_)) => true,
            _ => false,
        }
    }
}

impl fmt::Display for ConfigType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One config option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConfigOption {
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ConfigType,
    /// The default value, if any.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// What the option does.
    #[serde(default)]
    pub description: String,
}
