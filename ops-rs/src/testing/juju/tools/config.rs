//! `config-get`: the charm's configuration.

use serde_json::Value;

use super::super::args::{Opt, Spec};
use super::super::output::Format;
use super::{Call, Tool, ToolResult};

pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new("config-get", "[<key>]", "Print application configuration.")
            .format("smart")
            .opt(Opt::flag(&["a", "all"], "print all keys"))
            .doc("With no key, prints all settings that have a value; --all includes unset ones.")
    },
    run: get,
};

fn get(call: &mut Call<'_>) -> ToolResult {
    call.at_most(1)?;
    let all = call.args.flag("a");
    let settings = call.state.config.effective(all);
    let value = match call.args.positional.first() {
        Some(key) if !all => settings.get(key).cloned().unwrap_or(Value::Null),
        Some(_) => {
            return Err(super::ToolError::usage(
                "cannot use argument --all together with key",
            ));
        }
        None => Value::Object(settings.into_iter().collect()),
    };
    call.output(Format::Smart, &value)
}

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};

    #[test]
    fn forms() {
        let mut s = JujuState::new("a/0")
            .config_default("port", 80)
            .config_default("name", serde_json::Value::Null)
            .config("debug", true);
        assert_eq!(ok(&mut s, "config-get port"), "80\n");
        assert_eq!(ok(&mut s, "config-get debug"), "True\n");
        assert_eq!(ok(&mut s, "config-get missing"), "");
        assert_eq!(
            ok(&mut s, "config-get --format=json"),
            "{\"debug\":true,\"port\":80}\n"
        );
        assert_eq!(
            ok(&mut s, "config-get --all --format=json"),
            "{\"debug\":true,\"name\":null,\"port\":80}\n"
        );
        assert_eq!(ok(&mut s, "config-get port --format json"), "80\n");
        assert_eq!(ok(&mut s, "config-get"), "debug: true\nport: 80\n");
        assert!(err(&mut s, "config-get a b", 2).contains("unrecognized args: \"b\""));
    }
}
