//! The charm's configuration: read typed from Juju, then checked for what types alone
//! cannot say (ranges).
//!
//! Juju already checks each option against the type declared in `charmcraft.yaml`, and the
//! framework deserializes the options into a private `RawConfig`; [`WebkvConfig::load`] then checks
//! the ranges and tells an operator's mistake ([`ConfigError::Invalid`]: the unit is blocked
//! until the option is changed) from a failing hook tool ([`ConfigError::Read`]: the hook
//! fails and Juju retries it).

use std::ops::RangeInclusive;

use ops::model::{Model, ModelError};
use serde::Deserialize;

/// The ports webkv may listen on: unprivileged ones.
pub const PORT_RANGE: RangeInclusive<i64> = 1024..=65535;

/// The options as Juju gives them (names as in `charmcraft.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawConfig {
    port: i64,
    greeting: String,
    max_keys: i64,
    /// A secret id (`secret:...`), never the secret's content.
    admin_token: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebkvConfig {
    /// The port the service listens on.
    pub port: u16,
    /// The text served at `/`.
    pub greeting: String,
    /// The most keys the store holds.
    pub max_keys: u32,
    /// The id of the operator's secret holding the admin token, if they gave one.
    pub admin_token_secret: Option<String>,
}

/// An option whose value the operator must change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config option '{option}': {reason}")]
pub struct InvalidOption {
    /// The option, as named in `charmcraft.yaml`.
    pub option: String,
    /// What is wrong with its value and what to set instead.
    pub reason: String,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An option's value is not acceptable: block until the operator changes it.
    #[error(transparent)]
    Invalid(#[from] InvalidOption),
    /// `config-get` itself failed: not the operator's doing.
    #[error("cannot read the charm's configuration")]
    Read(#[source] ModelError),
}

impl WebkvConfig {
    /// Reads the configuration from Juju and validates it.
    pub fn load(model: &Model) -> Result<Self, ConfigError> {
        let raw: RawConfig = model.config().map_err(|e| match e {
            ModelError::Config {
                option,
                expected,
                value,
                ..
            } => ConfigError::Invalid(InvalidOption {
                option,
                reason: format!("expected {expected}, got {value}"),
            }),
            other => ConfigError::Read(other),
        })?;
        Ok(Self::validate(raw)?)
    }

    fn validate(raw: RawConfig) -> Result<Self, InvalidOption> {
        let invalid = |option: &str, reason: String| InvalidOption {
            option: option.to_owned(),
            reason,
        };
        let port = u16::try_from(raw.port)
            .ok()
            .filter(|p| PORT_RANGE.contains(&i64::from(*p)))
            .ok_or_else(|| {
                invalid(
                    "port",
                    format!(
                        "{} is outside {}-{}; choose a port in that range",
                        raw.port,
                        PORT_RANGE.start(),
                        PORT_RANGE.end()
                    ),
                )
            })?;
        let max_keys = u32::try_from(raw.max_keys)
            .ok()
            .filter(|m| *m >= 1)
            .ok_or_else(|| {
                invalid(
                    "max-keys",
                    format!(
                        "{} is not a number of keys from 1 to {}",
                        raw.max_keys,
                        u32::MAX
                    ),
                )
            })?;
        let admin_token_secret = match raw.admin_token {
            Some(id) if id.trim().is_empty() => None,
            Some(id) if !id.starts_with("secret:") => {
                return Err(invalid(
                    "admin-token",
                    "expected a secret id such as secret:cn4mvdnmp25c7c4m9d3g (from `juju \
                     add-secret`)"
                        .to_owned(),
                ));
            }
            other => other,
        };
        Ok(WebkvConfig {
            port,
            greeting: raw.greeting,
            max_keys,
            admin_token_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(port: i64, max_keys: i64, admin_token: Option<&str>) -> RawConfig {
        RawConfig {
            port,
            greeting: "hi".into(),
            max_keys,
            admin_token: admin_token.map(str::to_owned),
        }
    }

    #[test]
    fn valid_config_is_typed() {
        let c = WebkvConfig::validate(raw(8080, 10, Some("secret:abc"))).unwrap();
        assert_eq!(c.port, 8080);
        assert_eq!(c.max_keys, 10);
        assert_eq!(c.admin_token_secret.as_deref(), Some("secret:abc"));
        assert_eq!(
            WebkvConfig::validate(raw(1024, 1, None)).unwrap().port,
            1024
        );
        assert_eq!(
            WebkvConfig::validate(raw(65535, 1, None)).unwrap().port,
            65535
        );
        let blank = WebkvConfig::validate(raw(8080, 1, Some(""))).unwrap();
        assert_eq!(blank.admin_token_secret, None);
    }

    #[test]
    fn each_problem_names_its_option_and_the_fix() {
        for (bad, option, text) in [
            (raw(80, 1, None), "port", "80 is outside 1024-65535"),
            (raw(70000, 1, None), "port", "70000 is outside 1024-65535"),
            (raw(-1, 1, None), "port", "-1 is outside"),
            (
                raw(8080, 0, None),
                "max-keys",
                "0 is not a number of keys from 1",
            ),
            (raw(8080, -5, None), "max-keys", "-5 is not"),
            (
                raw(8080, 1, Some("hunter2")),
                "admin-token",
                "expected a secret id",
            ),
        ] {
            let e = WebkvConfig::validate(bad).unwrap_err();
            assert_eq!(e.option, option);
            let message = e.to_string();
            assert!(
                message.starts_with(&format!("config option '{option}': ")),
                "{message}"
            );
            assert!(message.contains(text), "{message}");
        }
    }

    #[test]
    fn a_value_that_is_not_a_secret_id_is_not_echoed() {
        let e = WebkvConfig::validate(raw(8080, 1, Some("hunter2"))).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
