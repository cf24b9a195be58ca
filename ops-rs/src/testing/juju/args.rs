//! A small command-line parser that behaves like Juju's `gnuflag` for hook tools.
//!
//! Long options are written `--name value` or `--name=value`; one-letter options `-r value`,
//! `-rvalue` or `-r=value`; boolean options take no value (`--app`) unless written
//! `--app=false`; options may follow positional arguments; `--` ends the options; `-h` and
//! `--help` ask for help. Errors use Juju's wording (`option provided but not defined: --x`).
//!
//! ```
//! use ops::testing::juju::args::{Opt, Spec};
//! let spec = Spec::new("relation-get", "<key> <unit id>", "Get relation settings.")
//!     .opt(Opt::value(&["r", "relation"], "specify a relation by id"))
//!     .opt(Opt::flag(&["app"], "get the application's settings"));
//! let argv: Vec<String> = ["-r", "db:1", "--app", "-", "mysql"].map(String::from).to_vec();
//! let p = spec.parse(&argv).unwrap();
//! assert_eq!(p.value("r"), Some("db:1"));
//! assert!(p.flag("app"));
//! assert_eq!(p.positional, vec!["-", "mysql"]);
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::error::ToolError;

/// One option a tool accepts.
#[derive(Debug, Clone)]
pub struct Opt {
    names: &'static [&'static str],
    takes_value: bool,
    usage: &'static str,
    default: &'static str,
}

impl Opt {
    /// An option that takes a value; `names[0]` is the name the tool looks it up by.
    pub fn value(names: &'static [&'static str], usage: &'static str) -> Self {
        Opt {
            names,
            takes_value: true,
            usage,
            default: "",
        }
    }

    /// A boolean option.
    pub fn flag(names: &'static [&'static str], usage: &'static str) -> Self {
        Opt {
            names,
            takes_value: false,
            usage,
            default: "false",
        }
    }

    /// The default shown in `--help`.
    #[must_use]
    pub fn default(mut self, default: &'static str) -> Self {
        self.default = default;
        self
    }

    fn key(&self) -> &'static str {
        self.names.first().copied().unwrap_or("")
    }
}

/// A tool's command line: its name, positional-argument synopsis, purpose and options.
#[derive(Debug, Clone)]
pub struct Spec {
    name: &'static str,
    args: &'static str,
    purpose: &'static str,
    doc: &'static str,
    opts: Vec<Opt>,
}

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    values: BTreeMap<&'static str, (String, String)>,
    flags: BTreeMap<&'static str, bool>,
    /// The positional arguments, in order.
    pub positional: Vec<String>,
}

impl Parsed {
    /// The last value given for the option named `key` (its first name).
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(_, v)| v.as_str())
    }

    /// The value and the spelling used for it (`-r` or `--relation`), for error messages.
    pub fn value_spelled(&self, key: &str) -> Option<(&str, &str)> {
        self.values
            .get(key)
            .map(|(spelling, v)| (spelling.as_str(), v.as_str()))
    }

    /// Whether the boolean option named `key` is set.
    pub fn flag(&self, key: &str) -> bool {
        self.flags.get(key).copied().unwrap_or(false)
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl Spec {
    /// A tool with no options yet.
    pub fn new(name: &'static str, args: &'static str, purpose: &'static str) -> Self {
        Spec {
            name,
            args,
            purpose,
            doc: "",
            opts: Vec::new(),
        }
    }

    /// Adds an option.
    #[must_use]
    pub fn opt(mut self, opt: Opt) -> Self {
        self.opts.push(opt);
        self
    }

    /// Adds `--format` with the given default and accepted formats.
    #[must_use]
    pub fn format(self, default: &'static str) -> Self {
        self.opt(
            Opt::value(&["format"], "Specify output format (json|smart|yaml)").default(default),
        )
    }

    /// Adds the long description shown by `--help`.
    #[must_use]
    pub fn doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }

    /// The tool's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The `--help` text.
    pub fn help(&self) -> String {
        let mut out = String::new();
        let args = if self.args.is_empty() {
            String::new()
        } else {
            format!(" {}", self.args)
        };
        let _ = writeln!(out, "Usage: {} [options]{args}\n", self.name);
        let _ = writeln!(out, "Summary:\n{}\n", self.purpose);
        if !self.opts.is_empty() {
            let _ = writeln!(out, "Options:");
            for o in &self.opts {
                let names: Vec<String> = o
                    .names
                    .iter()
                    .map(|n| {
                        if n.len() == 1 {
                            format!("-{n}")
                        } else {
                            format!("--{n}")
                        }
                    })
                    .collect();
                let default = if o.default.is_empty() {
                    String::new()
                } else {
                    format!(" (= {})", o.default)
                };
                let _ = writeln!(out, "{}{default}\n    {}", names.join(", "), o.usage);
            }
        }
        if !self.doc.is_empty() {
            let _ = writeln!(out, "\nDetails:\n{}", self.doc.trim());
        }
        out
    }

    fn find(&self, name: &str) -> Option<&Opt> {
        self.opts.iter().find(|o| o.names.contains(&name))
    }

    /// Parses `args` as Juju would; `--help` comes back as [`ToolError::Help`].
    pub fn parse(&self, args: &[String]) -> Result<Parsed, ToolError> {
        let mut p = Parsed::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--" {
                p.positional.extend(it.by_ref().cloned());
                break;
            }
            if arg == "-" || !arg.starts_with('-') {
                p.positional.push(arg.clone());
                continue;
            }
            let (long, body) = match arg.strip_prefix("--") {
                Some(b) => (true, b),
                None => (false, &arg[1..]),
            };
            let (name, inline) = if long {
                match body.split_once('=') {
                    Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                    None => (body.to_owned(), None),
                }
            } else {
                let mut chars = body.chars();
                let first = chars.next().map(String::from).unwrap_or_default();
                let rest = chars.as_str();
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                (first, (!rest.is_empty()).then(|| rest.to_owned()))
            };
            let dashes = if long { "--" } else { "-" };
            let spelled = format!("{dashes}{name}");
            if name == "h" || name == "help" {
                return Err(ToolError::Help(self.help()));
            }
            let Some(opt) = self.find(&name) else {
                return Err(ToolError::usage(format!(
                    "option provided but not defined: {spelled}"
                )));
            };
            if opt.takes_value {
                let value = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| {
                        ToolError::usage(format!("option needs an argument: {spelled}"))
                    })?,
                };
                p.values.insert(opt.key(), (spelled, value));
            } else {
                let on = match inline {
                    None => true,
                    Some(v) => parse_bool(&v).ok_or_else(|| {
                        ToolError::usage(format!(
                            "invalid value {v:?} for option {spelled}: strconv.ParseBool: parsing {v:?}: invalid syntax"
                        ))
                    })?,
                };
                p.flags.insert(opt.key(), on);
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec::new("t", "", "test")
            .opt(Opt::value(&["r", "relation"], "rel"))
            .opt(Opt::flag(&["app"], "app"))
            .opt(Opt::value(&["label"], "label"))
            .format("smart")
    }

    fn parse(args: &[&str]) -> Result<Parsed, ToolError> {
        let v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        spec().parse(&v)
    }

    #[test]
    fn value_forms() {
        for form in [
            &["-r", "db:1"][..],
            &["-rdb:1"],
            &["-r=db:1"],
            &["--relation", "db:1"],
            &["--relation=db:1"],
        ] {
            assert_eq!(parse(form).unwrap().value("r"), Some("db:1"), "{form:?}");
        }
        let p = parse(&["--relation=db:1"]).unwrap();
        assert_eq!(p.value_spelled("r"), Some(("--relation", "db:1")));
    }

    #[test]
    fn bools_and_interspersed_positionals() {
        let p = parse(&["a", "--app", "b", "--format=json", "c"]).unwrap();
        assert!(p.flag("app"));
        assert_eq!(p.value("format"), Some("json"));
        assert_eq!(p.positional, ["a", "b", "c"]);
        assert!(!parse(&["--app=False"]).unwrap().flag("app"));
        assert!(parse(&["--app=True"]).unwrap().flag("app"));
        let e = parse(&["--app=maybe"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn double_dash_ends_options() {
        let p = parse(&["--app", "--", "--label", "-x"]).unwrap();
        assert_eq!(p.positional, ["--label", "-x"]);
        assert_eq!(p.value("label"), None);
    }

    #[test]
    fn errors_are_usage_errors() {
        let e = parse(&["--nope"]).unwrap_err();
        assert_eq!(
            e,
            ToolError::usage("option provided but not defined: --nope")
        );
        let e = parse(&["--label"]).unwrap_err();
        assert_eq!(e, ToolError::usage("option needs an argument: --label"));
        assert!(matches!(parse(&["--help"]), Err(ToolError::Help(_))));
        assert!(matches!(parse(&["-h"]), Err(ToolError::Help(_))));
    }

    #[test]
    fn help_lists_options() {
        let h = spec().help();
        assert!(h.starts_with("Usage: t [options]"));
        assert!(h.contains("-r, --relation"));
        assert!(h.contains("--format (= smart)"));
    }
}
