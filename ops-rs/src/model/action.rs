//! The running action: typed parameters checked against metadata, results, log, fail.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Model, ModelError};
use crate::hookcmds::action as tools;

impl Model {
    fn action_name(&self) -> String {
        self.current_hook()
            .action_name
            .clone()
            .unwrap_or_else(|| "(unknown)".into())
    }

    /// The action's parameters as `action-get` gives them (asked once per dispatch: the
    /// dispatcher's action event and the charm's calls share the answer).
    pub(crate) fn action_params_raw(&self) -> Result<Map<String, Value>, ModelError> {
        self.memo(
            |c| c.action_params.clone(),
            || tools::action_get(self.tools()).map_err(ModelError::from),
            |c, v| c.action_params = Some(v),
        )
    }

    /// The action's parameters (`action-get`; cached), checked against the action's metadata
    /// when the model has it and knows the action, with the JSON-schema keywords Juju checks
    /// (the table on [`ActionMeta::validate_params`](crate::metadata::ActionMeta::validate_params));
    /// declared defaults filled in.
    pub fn action_params_map(&self) -> Result<Map<String, Value>, ModelError> {
        let mut params = self.action_params_raw()?;
        let name = self.current_hook().action_name.as_deref();
        if let (Some(meta), Some(name)) = (self.meta(), name) {
            if let Some(action) = meta.actions.get(name) {
                action
                    .validate_params(&mut params)
                    .map_err(|p| ModelError::ActionParams {
                        action: name.to_owned(),
                        detail: p.to_string(),
                    })?;
            }
        }
        Ok(params)
    }

    /// The action's parameters as the charm's own type (after [`Model::action_params_map`]'s
    /// checks). A mismatch is [`ModelError::ActionParams`] naming the parameter.
    pub fn action_params<T: DeserializeOwned>(&self) -> Result<T, ModelError> {
        let params = self.action_params_map()?;
        serde_path_to_error::deserialize(Value::Object(params)).map_err(|e| {
            ModelError::ActionParams {
                action: self.action_name(),
                detail: format!("parameter '{}': {}", e.path(), e.inner()),
            }
        })
    }

    /// Sets action results (`action-set`): `results` serializes to a map; nested maps become
    /// dotted keys.
    ///
    /// What Juju allows, checked before anything runs: each part of a dotted key lowercase
    /// letters, digits and `-`, starting and ending with a letter or digit, and none of
    /// `stdout`, `stdout-encoding`, `stderr`, `stderr-encoding` (Juju's own); each
    /// `key=value` within one command-line argument,
    /// [`MAX_ARG_LEN`](crate::hookcmds::limits::MAX_ARG_LEN) bytes (Linux's limit): a longer
    /// result is refused, so keep large output
    /// in a file in the workload and return its path. Many results are set with several
    /// calls, which Juju merges.
    pub fn action_set_results<T: Serialize>(&self, results: &T) -> Result<(), ModelError> {
        let v = serde_json::to_value(results)
            .map_err(|e| ModelError::Invalid(format!("cannot encode action results: {e}")))?;
        let Value::Object(map) = v else {
            return Err(ModelError::Invalid(
                "action results must serialize to a map".into(),
            ));
        };
        tools::action_set(self.tools(), &map).map_err(ModelError::from)
    }

    /// Logs a progress line for the action's caller (`action-log`). A message longer than
    /// one command-line argument holds
    /// ([`MAX_ARG_LEN`](crate::hookcmds::limits::MAX_ARG_LEN) bytes) is sent whole as several
    /// lines.
    pub fn action_log(&self, message: &str) -> Result<(), ModelError> {
        tools::action_log(self.tools(), message).map_err(ModelError::from)
    }

    /// Marks the action failed with `message` (`action-fail`); the handler still returns
    /// normally. A message longer than one command-line argument holds
    /// ([`MAX_ARG_LEN`](crate::hookcmds::limits::MAX_ARG_LEN) bytes) is cut and ends with a
    /// marker saying so.
    pub fn action_fail(&self, message: &str) -> Result<(), ModelError> {
        tools::action_fail(self.tools(), Some(message)).map_err(ModelError::from)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{CurrentHook, ModelError};
    use crate::test_support::runners::{juju, model};
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Backup {
        target: String,
        level: u8,
    }

    fn with(params: &'static str) -> (crate::hookcmds::RecordingRunner, crate::model::Model) {
        let r = juju(&[("action-get --format=json", params)]);
        let m = model(&r).with_current_hook(CurrentHook::default().action("backup"));
        (r, m)
    }

    #[test]
    fn typed_params_with_defaults() {
        let (r, m) = with(r#"{"target":"s3"}"#);
        let p: Backup = m.action_params().unwrap();
        assert_eq!(
            p,
            Backup {
                target: "s3".into(),
                level: 1
            }
        );
        let _: Backup = m.action_params().unwrap();
        assert_eq!(r.lines(), ["action-get --format=json"]);
    }

    #[test]
    fn param_errors() {
        let cases = [
            (r#"{}"#, "required parameter 'target' is missing"),
            (r#"{"target": 5}"#, "'target' must be of type string"),
            (r#"{"target": "s3", "x": 1}"#, "'x' is not declared"),
            (r#"{"target": "s3", "level": 300}"#, "parameter 'level'"),
        ];
        for (given, want) in cases {
            let (_, m) = with(given);
            let e = m.action_params::<Backup>().unwrap_err();
            assert!(matches!(e, ModelError::ActionParams { .. }), "{e}");
            let text = e.to_string();
            assert!(
                text.starts_with("action 'backup': invalid parameters"),
                "{text}"
            );
            assert!(text.contains(want), "{given}: {text}");
        }
    }

    #[test]
    fn results_log_fail() {
        let (r, m) = with("{}");
        m.action_set_results(&json!({"backup": {"size": 10, "path": "/b"}, "ok": true}))
            .unwrap();
        m.action_log("working").unwrap();
        m.action_fail("disk full").unwrap();
        assert!(m.action_set_results(&json!({"Bad_Key": 1})).is_err());
        assert!(m.action_set_results(&json!([1])).is_err());
        assert_eq!(
            r.lines(),
            [
                "action-set backup.path=/b backup.size=10 ok=true",
                "action-log -- working",
                "action-fail -- disk full",
            ]
        );
    }
}
