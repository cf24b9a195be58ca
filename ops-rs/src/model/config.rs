//! Config: `config-get` merged with metadata defaults, checked against metadata types, and
//! deserialized into the charm's own struct.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Model, ModelError};
use crate::hookcmds::config as tools;

impl Model {
    /// Every option with a value: `config-get` (cached), with metadata defaults filled in for
    /// options Juju gave no value, each checked against its metadata type. A value of the
    /// wrong type is [`ModelError::Config`] naming the option, the type and the value.
    pub fn config_map(&self) -> Result<Map<String, Value>, ModelError> {
        let mut map = self.memo(
            |c| c.config.clone(),
            || tools::config_get(self.tools()).map_err(ModelError::from),
            |c, v| c.config = Some(v),
        )?;
        let Some(meta) = self.meta() else {
            return Ok(map);
        };
        for (name, opt) in &meta.config.options {
            let missing = map.get(name).is_none_or(Value::is_null);
            if missing {
                match &opt.default {
                    Some(d) if !d.is_null() => {
                        map.insert(name.clone(), d.clone());
                    }
                    _ => {
                        map.remove(name);
                    }
                }
            }
            if let Some(v) = map.get(name) {
                if !opt.kind.accepts(v) {
                    return Err(ModelError::Config {
                        option: name.clone(),
                        expected: opt.kind.as_str().to_owned(),
                        value: v.to_string(),
                        detail: "the type declared in the charm's config options".into(),
                    });
                }
            }
        }
        Ok(map)
    }

    /// One option's value (see [`Model::config_map`]); `None` if it has no value.
    pub fn config_value(&self, name: &str) -> Result<Option<Value>, ModelError> {
        Ok(self.config_map()?.remove(name))
    }

    /// The secret a `secret`-typed option names, not read yet (see [`Model::secret`]);
    /// `None` if the option has no value. An option the metadata declares with another type,
    /// or a value that is not a secret id, is [`ModelError::Config`]. In the charm's config
    /// struct, a [`SecretRef`](super::SecretRef) field does the same.
    pub fn config_secret(&self, name: &str) -> Result<Option<super::Secret>, ModelError> {
        let declared = self
            .meta()
            .and_then(|m| m.config.options.get(name))
            .map(|o| o.kind);
        let wrong = |value: String, detail: &str| ModelError::Config {
            option: name.to_owned(),
            expected: "secret".to_owned(),
            value,
            detail: detail.to_owned(),
        };
        if let Some(kind) = declared.filter(|k| *k != crate::metadata::ConfigType::Secret) {
            return Err(wrong(
                format!("an option of type {kind}"),
                "the type declared in the charm's config options",
            ));
        }
        let Some(value) = self.config_value(name)? else {
            return Ok(None);
        };
        let id = value
            .as_str()
            .ok_or_else(|| wrong(value.to_string(), "a secret id is a string"))?;
        let secret_ref =
            super::SecretRef::new(id).map_err(|_| wrong(value.to_string(), "not a secret id"))?;
        Ok(Some(secret_ref.secret(self)))
    }

    /// The config as the charm's own type. Option names are kebab-case or snake_case as
    /// declared, so use `#[serde(rename_all = "kebab-case")]` where needed, and `Option<T>`
    /// for options without a default.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ops::hookcmds::RecordingRunner;
    /// # use ops::model::Model;
    /// #[derive(Debug, serde::Deserialize)]
    /// #[serde(rename_all = "kebab-case")]
    /// struct Config {
    ///     port: u16,
    ///     log_level: Option<String>,
    /// }
    /// let runner = RecordingRunner::new(|_| Ok(br#"{"port": 70000}"#.to_vec()));
    /// let model = Model::new(Arc::new(runner), "web/0");
    /// let err = model.config::<Config>().unwrap_err().to_string();
    /// assert!(err.starts_with("config option 'port': expected"), "{err}");
    /// assert!(err.contains("70000"), "{err}");
    /// ```
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, ModelError> {
        let map = self.config_map()?;
        let value = Value::Object(map.clone());
        serde_path_to_error::deserialize(&value).map_err(|e| {
            let option = e.path().to_string();
            let first = e.path().iter().next().map(|s| s.to_string());
            let got = first
                .as_deref()
                .and_then(|k| map.get(k))
                .map_or_else(|| "no value".to_owned(), Value::to_string);
            let inner = e.into_inner().to_string();
            let expected = inner.split_once(", expected ").map_or_else(
                || "a value the charm's config type accepts".to_owned(),
                |(_, x)| x.to_owned(),
            );
            ModelError::Config {
                option: if option == "." {
                    "(all)".into()
                } else {
                    option
                },
                expected,
                value: got,
                detail: inner,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::ModelError;
    use crate::test_support::runners::{juju, model};
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Cfg {
        port: u16,
        name: Option<String>,
        ratio: f64,
        debug: bool,
    }

    #[test]
    fn defaults_merge_and_typed() {
        let r = juju(&[(
            "config-get --format=json",
            r#"{"name": "x", "port": null, "extra": 1}"#,
        )]);
        let m = model(&r);
        let c: Cfg = m.config().unwrap();
        assert_eq!(
            c,
            Cfg {
                port: 8080,
                name: Some("x".into()),
                ratio: 0.5,
                debug: false
            }
        );
        assert_eq!(m.config_value("extra").unwrap(), Some(serde_json::json!(1)));
        assert_eq!(m.config_value("nope").unwrap(), None);
        // cached: one config-get for all reads
        assert_eq!(r.lines(), ["config-get --format=json"]);
    }

    #[test]
    fn wrong_type_names_option_type_and_value() {
        let r = juju(&[("config-get --format=json", r#"{"port": "80"}"#)]);
        let e = model(&r).config_map().unwrap_err();
        let ModelError::Config {
            option,
            expected,
            value,
            ..
        } = &e
        else {
            panic!("{e}")
        };
        assert_eq!(
            (option.as_str(), expected.as_str(), value.as_str()),
            ("port", "int", "\"80\"")
        );
        assert!(
            e.to_string()
                .starts_with("config option 'port': expected int, got \"80\""),
            "{e}"
        );

        let r = juju(&[("config-get --format=json", r#"{"port": 1.5}"#)]);
        assert!(model(&r).config_map().is_err());
        let r = juju(&[("config-get --format=json", r#"{"port": 99999}"#)]);
        let e = model(&r).config::<Cfg>().unwrap_err().to_string();
        assert!(
            e.contains("'port'") && e.contains("99999") && e.contains("u16"),
            "{e}"
        );
    }

    #[test]
    fn malformed_answer() {
        let r = juju(&[("config-get --format=json", "not json")]);
        let e = model(&r).config_map().unwrap_err().to_string();
        assert!(e.contains("`config-get`"), "{e}");
    }
}
