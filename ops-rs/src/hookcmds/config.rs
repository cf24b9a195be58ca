//! `config-get`: the application's config.

use serde_json::{Map, Value};

use super::{HookToolError, HookToolRunner, args, run_json};

/// `config-get --format=json`: every option that has a value (secret options as their id).
pub fn config_get(r: &dyn HookToolRunner) -> Result<Map<String, Value>, HookToolError> {
    let v: Option<Map<String, Value>> = run_json(
        r,
        "config-get",
        args(["--format=json"]),
        "an object of options",
    )?;
    Ok(v.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_and_parse() {
        let r = answering(r#"{"port": 80, "name": "x"}"#);
        let c = config_get(&r).unwrap();
        assert_eq!(c["port"], 80);
        assert_eq!(r.lines(), ["config-get --format=json"]);
        assert!(config_get(&answering("null")).unwrap().is_empty());
        let e = config_get(&answering("[1]")).unwrap_err().to_string();
        assert!(e.contains("`config-get`") && e.contains("object"), "{e}");
        let e = config_get(&answering("")).unwrap_err().to_string();
        assert!(e.contains("empty answer"), "{e}");
    }
}
