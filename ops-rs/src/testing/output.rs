//! [`Output`]: the new state, and what the charm did during the run.

use std::collections::BTreeMap;

use pebble_client::testing::ExecRecord;

use crate::event::{CustomEvent, CustomEventData};
use crate::framework::HandlerCall;
use crate::hookcmds::LogLevel;
use crate::testing::juju::{LogLine, ToolRecord};
use crate::testing::state::State;

/// What an action answered.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ActionOutput {
    /// Results set with `action-set`, nested at the dots of their keys.
    pub results: serde_json::Map<String, serde_json::Value>,
    /// Messages written with `action-log`.
    pub logs: Vec<String>,
    /// The failure message, if the charm failed the action (`action-fail`).
    pub failure: Option<String>,
}

/// The result of one run: the state to assert on (and feed to the next run), and the record
/// of what the charm did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Output {
    /// The unit's state after the run.
    pub state: State,
    /// The `juju-log` calls of this run, one entry per call: the lines the deferred queue's
    /// pass logs arrive together, as one message with a line each (see
    /// [`log_messages`](Self::log_messages) for the lines one by one).
    pub juju_log: Vec<LogLine>,
    /// Every hook-tool call of this run, in order (secret content redacted).
    pub tool_calls: Vec<ToolRecord>,
    /// Every handler call of this run, in order (re-emitted deferred events first).
    pub handler_calls: Vec<HandlerCall>,
    /// The custom events emitted during this run, in order, with their ids (the run's own
    /// event too, when it is a custom one): Scenario's `emitted_events`.
    pub emitted_events: Vec<CustomEventData>,
    /// The action's answer, for an action.
    pub action: Option<ActionOutput>,
    /// The commands the charm ran in each container during this run (those Pebble started:
    /// an unknown executable ran nothing), oldest first: command, environment and working
    /// directory as the charm asked for them, user and group, timeout, and stdin. Keyed by
    /// container name; containers where nothing ran are absent.
    pub exec_history: BTreeMap<String, Vec<ExecRecord>>,
    /// The workload versions the charm replaced during this run, oldest first: each
    /// `application-version-set` adds the version it replaced, if there was one (the current
    /// version is [`JujuState::app_version`](crate::testing::juju::JujuState::app_version)),
    /// as Scenario's `workload_version_history`.
    pub workload_version_history: Vec<String>,
    /// The secret revisions the charm removed during this run (`secret-remove --revision`),
    /// in order: Scenario's `removed_secret_revisions`. Removing a whole secret adds none.
    pub removed_secret_revisions: Vec<u64>,
    /// The storage the charm asked Juju for during this run (`storage-add`): name to count,
    /// Scenario's `requested_storages`.
    pub requested_storages: BTreeMap<String, u32>,
}

/// What a run's successful hook-tool calls add up to, for the output's history fields.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RunHistory {
    pub(crate) workload_versions: Vec<String>,
    pub(crate) removed_secret_revisions: Vec<u64>,
    pub(crate) requested_storages: BTreeMap<String, u32>,
}

impl RunHistory {
    /// Reads the history from `calls`, the workload version having been `version` before.
    pub(crate) fn from_calls(calls: &[ToolRecord], version: &str) -> Self {
        let mut out = RunHistory::default();
        let mut current = version.to_owned();
        for call in calls.iter().filter(|c| c.exit_code == 0) {
            let positional = positional(&call.args);
            match call.tool.as_str() {
                "application-version-set" => {
                    let new = positional.first().map_or("", |s| s.as_str()).to_owned();
                    let old = std::mem::replace(&mut current, new);
                    if !old.is_empty() {
                        out.workload_versions.push(old);
                    }
                }
                "secret-remove" => {
                    if let Some(rev) = flag_value(&call.args, "--revision") {
                        if let Ok(rev) = rev.parse() {
                            out.removed_secret_revisions.push(rev);
                        }
                    }
                }
                "storage-add" => {
                    for spec in positional {
                        let (name, count) = spec.split_once('=').unwrap_or((spec, "1"));
                        let count: u32 = count.parse().unwrap_or(1);
                        *out.requested_storages.entry(name.to_owned()).or_default() += count;
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The arguments that are not flags (everything after `--` counts as positional).
fn positional(args: &[String]) -> Vec<&String> {
    let mut out = Vec::new();
    let mut rest = false;
    let mut skip_value = false;
    for a in args {
        if rest {
            out.push(a);
        } else if a == "--" {
            rest = true;
        } else if skip_value {
            skip_value = false;
        } else if a.starts_with("--") {
            skip_value = !a.contains('=') && a == "--revision";
        } else {
            out.push(a);
        }
    }
    out
}

/// The value of `--flag value` or `--flag=value`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == flag {
            return it.next().map(String::as_str);
        }
        if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            return Some(v);
        }
    }
    None
}

impl Output {
    /// The hook-tool calls as command lines, e.g. `status-set --application=false active -- `.
    pub fn tool_lines(&self) -> Vec<String> {
        self.tool_calls.iter().map(ToolRecord::line).collect()
    }

    /// The logged lines, without levels, in order: a message that holds several lines (a
    /// batch from the deferred queue's pass) gives each of them.
    pub fn log_messages(&self) -> Vec<&str> {
        self.juju_log
            .iter()
            .flat_map(|l| l.message.lines())
            .collect()
    }

    /// The commands run in `container`, oldest first (empty if none).
    pub fn execs(&self, container: &str) -> &[ExecRecord] {
        self.exec_history.get(container).map_or(&[], Vec::as_slice)
    }

    /// The command lines run in `container`, words joined with spaces (e.g.
    /// `tar -cf /tmp/b.tar /data`), oldest first.
    pub fn exec_lines(&self, container: &str) -> Vec<String> {
        self.execs(container)
            .iter()
            .map(|r| r.command.join(" "))
            .collect()
    }

    /// The names of the handlers called, in order.
    pub fn handlers_called(&self) -> Vec<&str> {
        self.handler_calls
            .iter()
            .map(|c| c.handler.as_str())
            .collect()
    }

    /// The names of the custom events emitted during the run, in order (each event's
    /// [`CustomEvent::NAME`], without its emitter's key).
    ///
    /// ```
    /// # use ops::prelude::*;
    /// # use ops::event::CustomEvent;
    /// # use ops::testing::{Context, State};
    /// #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    /// struct Ready {
    ///     url: String,
    /// }
    /// impl CustomEvent for Ready {
    ///     const NAME: &'static str = "ready";
    /// }
    /// #[derive(Default)]
    /// struct Web;
    /// impl Charm for Web {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("announce", |_c, ctx, _ev| {
    ///             ctx.emit(Ready { url: "http://web/".into() })?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<Web>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: web\n")?);
    /// let out = ctx.run(ctx.on.config_changed(), &State::new())?;
    /// assert_eq!(out.emitted_names(), ["ready"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn emitted_names(&self) -> Vec<&str> {
        self.emitted_events
            .iter()
            .map(|e| e.name.as_str())
            .collect()
    }

    /// The custom events emitted during the run, in order, each as its kind
    /// (`<emitter>/<name>`, see [`CustomEventData::kind`]) and its payload as JSON: the form
    /// a deferred event is stored in, for pinning the wire form of a library's events.
    ///
    /// ```
    /// # use ops::prelude::*;
    /// # use ops::event::CustomEvent;
    /// # use ops::testing::{Context, State};
    /// #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    /// struct Ready {
    ///     url: String,
    /// }
    /// impl CustomEvent for Ready {
    ///     const NAME: &'static str = "ready";
    /// }
    /// #[derive(Default)]
    /// struct Web;
    /// impl Charm for Web {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("announce", |_c, ctx, _ev| {
    ///             ctx.emit(Ready { url: "http://web/".into() })?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<Web>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: web\n")?);
    /// let out = ctx.run(ctx.on.config_changed(), &State::new())?;
    /// assert_eq!(
    ///     out.emitted_payloads(),
    ///     [("charm/ready".to_owned(), serde_json::json!({"url": "http://web/"}))]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn emitted_payloads(&self) -> Vec<(String, serde_json::Value)> {
        self.emitted_events
            .iter()
            .map(|e| (e.kind().to_string(), e.payload.clone()))
            .collect()
    }

    /// The payloads of the custom events of type `T` emitted during the run, in order,
    /// decoded: the events named [`T::NAME`](CustomEvent::NAME), whatever their emitter (to
    /// tell two emitters apart, filter [`emitted_events`](Self::emitted_events) by
    /// [`kind`](CustomEventData::kind)).
    ///
    /// # Errors
    ///
    /// A payload of an event of that name does not fit `T` (another type of the same name,
    /// from another emitter); the error names what did not fit.
    ///
    /// ```
    /// # use ops::prelude::*;
    /// # use ops::event::CustomEvent;
    /// # use ops::testing::{Context, State};
    /// #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    /// struct Ready {
    ///     url: String,
    /// }
    /// impl CustomEvent for Ready {
    ///     const NAME: &'static str = "ready";
    /// }
    /// #[derive(Default)]
    /// struct Web;
    /// impl Charm for Web {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("announce", |_c, ctx, _ev| {
    ///             ctx.emit(Ready { url: "http://web/".into() })?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<Web>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: web\n")?);
    /// let out = ctx.run(ctx.on.config_changed(), &State::new())?;
    /// assert_eq!(out.emitted_of::<Ready>()?, [Ready { url: "http://web/".into() }]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn emitted_of<T: CustomEvent>(&self) -> Result<Vec<T>, serde_json::Error> {
        self.emitted_events
            .iter()
            .filter(|e| e.name == T::NAME)
            .map(CustomEventData::payload_as)
            .collect()
    }

    /// The hook tools called during the run, by name, in order, leaving out `juju-log`: its
    /// calls are the run's log ([`juju_log`](Self::juju_log)), and a log line added should
    /// not change what a test pins. [`tool_calls`](Self::tool_calls) has every call.
    ///
    /// ```
    /// # use ops::prelude::*;
    /// # use ops::model::LogLevel;
    /// # use ops::testing::{Context, State};
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("check", |_c, ctx, _ev| {
    ///             if ctx.model().is_leader()? {
    ///                 ctx.model().juju_log(LogLevel::Info, "leading")?;
    ///                 ctx.model().set_workload_version("1.2")?;
    ///             }
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app\n")?);
    /// let out = ctx.run(ctx.on.config_changed(), &State::new().leader(true))?;
    /// assert_eq!(out.tools_called(), ["is-leader", "application-version-set"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tools_called(&self) -> Vec<&str> {
        self.calls_without_logs().map(|c| c.tool.as_str()).collect()
    }

    /// The hook-tool calls of [`tools_called`](Self::tools_called) (`juju-log` left out) as
    /// command lines, e.g. `is-leader --format=json`; [`tool_lines`](Self::tool_lines) has
    /// every call.
    ///
    /// ```
    /// # use ops::prelude::*;
    /// # use ops::model::LogLevel;
    /// # use ops::testing::{Context, State};
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("check", |_c, ctx, _ev| {
    ///             ctx.model().juju_log(LogLevel::Info, "checking")?;
    ///             ctx.model().is_leader()?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app\n")?);
    /// let out = ctx.run(ctx.on.config_changed(), &State::new())?;
    /// assert_eq!(out.tools_called_lines(), ["is-leader --format=json"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tools_called_lines(&self) -> Vec<String> {
        self.calls_without_logs().map(ToolRecord::line).collect()
    }

    /// How many times `tool` was called during the run; every call counts, `juju-log`'s
    /// too.
    ///
    /// ```
    /// # use ops::prelude::*;
    /// # use ops::testing::{Context, State};
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("version", |_c, ctx, _ev| {
    ///             ctx.model().set_workload_version("1.2")?;
    ///             ctx.model().set_workload_version("1.5")?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app\n")?);
    /// let out = ctx.run(ctx.on.config_changed(), &State::new())?;
    /// assert_eq!(out.tool_count("application-version-set"), 2);
    /// assert_eq!(out.tool_count("relation-set"), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tool_count(&self, tool: &str) -> usize {
        self.tool_calls.iter().filter(|c| c.tool == tool).count()
    }

    /// How many times each hook tool was called during the run, by tool (every call,
    /// `juju-log`'s too), e.g. `{"relation-get": 2, "relation-set": 1}`.
    ///
    /// ```
    /// # use ops::prelude::*;
    /// # use ops::testing::{Context, State};
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("version", |_c, ctx, _ev| {
    ///             ctx.model().set_workload_version("1.2")?;
    ///             ctx.model().set_workload_version("1.5")?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app\n")?);
    /// let out = ctx.run(ctx.on.config_changed(), &State::new())?;
    /// let counts = out.tool_counts();
    /// assert_eq!(counts["application-version-set"], 2);
    /// assert!(!counts.contains_key("relation-set"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tool_counts(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for call in &self.tool_calls {
            *counts.entry(call.tool.as_str()).or_insert(0) += 1;
        }
        counts
    }

    /// The lines logged at `level` during the run, in order, as
    /// [`log_messages`](Self::log_messages) gives them (a message of several lines gives
    /// each).
    ///
    /// ```
    /// # use ops::prelude::*;
    /// # use ops::model::LogLevel;
    /// # use ops::testing::{Context, State};
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("check", |_c, ctx, _ev| {
    ///             ctx.model().juju_log(LogLevel::Warning, "port 0 is out of range")?;
    ///             ctx.model().juju_log(LogLevel::Info, "configured")?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app\n")?);
    /// let out = ctx.run(ctx.on.config_changed(), &State::new())?;
    /// assert_eq!(out.log_messages_at(LogLevel::Warning), ["port 0 is out of range"]);
    /// assert!(out.log_messages_at(LogLevel::Error).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_messages_at(&self, level: LogLevel) -> Vec<&str> {
        self.juju_log
            .iter()
            .filter(|l| l.level == level.as_juju())
            .flat_map(|l| l.message.lines())
            .collect()
    }

    /// The hook-tool calls other than `juju-log`, in order.
    fn calls_without_logs(&self) -> impl Iterator<Item = &ToolRecord> {
        self.tool_calls.iter().filter(|c| c.tool != "juju-log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Ready {
        url: String,
    }
    impl CustomEvent for Ready {
        const NAME: &'static str = "ready";
    }

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Revoked {
        relation_id: u32,
    }
    impl CustomEvent for Revoked {
        const NAME: &'static str = "revoked";
    }

    fn log(level: &str, message: &str) -> LogLine {
        LogLine {
            level: level.to_owned(),
            message: message.to_owned(),
        }
    }

    /// An output with two tools called around two logs, three events from two emitters,
    /// and logs at three levels, one of them a batch of lines.
    fn output() -> Output {
        let ready = |url: &str| Ready {
            url: url.to_owned(),
        };
        let emitted_events = vec![
            CustomEventData::of("ingress", &ready("a")).unwrap(),
            CustomEventData::of("ingress", &Revoked { relation_id: 1 }).unwrap(),
            CustomEventData::of("charm", &ready("b")).unwrap(),
        ];
        Output {
            state: State::new(),
            juju_log: vec![
                log("DEBUG", "emitting config-changed"),
                log("WARNING", "first\nsecond"),
                log("ERROR", "broken"),
                log("WARNING", "third"),
            ],
            tool_calls: vec![
                call("juju-log", &["--log-level", "DEBUG", "--", "x"], 0),
                call(
                    "relation-get",
                    &["--format=json", "-r", "db:1", "-", "a/0"],
                    0,
                ),
                call("juju-log", &["--log-level", "WARNING", "--", "y"], 0),
                call("relation-set", &["-r", "db:1", "--file", "-"], 0),
                call(
                    "relation-get",
                    &["--format=json", "-r", "db:1", "-", "b/0"],
                    1,
                ),
            ],
            handler_calls: Vec::new(),
            emitted_events,
            action: None,
            exec_history: BTreeMap::new(),
            workload_version_history: Vec::new(),
            removed_secret_revisions: Vec::new(),
            requested_storages: BTreeMap::new(),
        }
    }

    #[test]
    fn emitted_events_by_name_kind_and_type() {
        let out = output();
        assert_eq!(out.emitted_names(), ["ready", "revoked", "ready"]);
        assert_eq!(
            out.emitted_payloads(),
            [
                ("ingress/ready".to_owned(), serde_json::json!({"url": "a"})),
                (
                    "ingress/revoked".to_owned(),
                    serde_json::json!({"relation_id": 1})
                ),
                ("charm/ready".to_owned(), serde_json::json!({"url": "b"})),
            ]
        );
        // Every emitter's events of the type's name, in order.
        assert_eq!(
            out.emitted_of::<Ready>().unwrap(),
            [Ready { url: "a".into() }, Ready { url: "b".into() }]
        );
        assert_eq!(
            out.emitted_of::<Revoked>().unwrap(),
            [Revoked { relation_id: 1 }]
        );
        // A payload of that name that does not fit the type is an error, not a skip.
        let mut bad = output();
        bad.emitted_events[1].payload = serde_json::json!({"relation_id": "one"});
        let err = bad.emitted_of::<Revoked>().unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
        let none = Output {
            emitted_events: Vec::new(),
            ..output()
        };
        assert!(none.emitted_names().is_empty());
        assert!(none.emitted_of::<Ready>().unwrap().is_empty());
    }

    #[test]
    fn tools_called_leave_logging_out_and_counts_keep_it() {
        let out = output();
        assert_eq!(
            out.tools_called(),
            ["relation-get", "relation-set", "relation-get"]
        );
        assert_eq!(
            out.tools_called_lines(),
            [
                "relation-get --format=json -r db:1 - a/0",
                "relation-set -r db:1 --file -",
                "relation-get --format=json -r db:1 - b/0",
            ]
        );
        // A failed call was still made, and counts.
        assert_eq!(out.tool_count("relation-get"), 2);
        assert_eq!(out.tool_count("juju-log"), 2);
        assert_eq!(out.tool_count("secret-get"), 0);
        assert_eq!(
            out.tool_counts(),
            [("juju-log", 2), ("relation-get", 2), ("relation-set", 1)].into()
        );
    }

    #[test]
    fn log_messages_at_a_level_give_each_line() {
        let out = output();
        assert_eq!(
            out.log_messages_at(LogLevel::Warning),
            ["first", "second", "third"]
        );
        assert_eq!(out.log_messages_at(LogLevel::Error), ["broken"]);
        assert_eq!(
            out.log_messages_at(LogLevel::Debug),
            ["emitting config-changed"]
        );
        assert!(out.log_messages_at(LogLevel::Info).is_empty());
    }

    fn call(tool: &str, args: &[&str], exit_code: i32) -> ToolRecord {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        ToolRecord::new(tool, &args, None, exit_code)
    }

    #[test]
    fn history_from_successful_calls() {
        let calls = [
            call("application-version-set", &["--", "1.2"], 0),
            call("application-version-set", &["--", "1.5"], 0),
            call("application-version-set", &["--", "9"], 1),
            call("secret-remove", &["secret:abc", "--revision", "3"], 0),
            call("secret-remove", &["secret:abc", "--revision=4"], 0),
            call("secret-remove", &["secret:abc"], 0),
            call("secret-remove", &["secret:abc", "--revision", "5"], 2),
            call("storage-add", &["data=2"], 0),
            call("storage-add", &["data", "logs=1"], 0),
        ];
        let h = RunHistory::from_calls(&calls, "1");
        assert_eq!(h.workload_versions, ["1", "1.2"]);
        assert_eq!(h.removed_secret_revisions, [3, 4]);
        assert_eq!(
            h.requested_storages,
            [("data".to_owned(), 3), ("logs".to_owned(), 1)].into()
        );
        // No version before: nothing replaced by the first set.
        let h = RunHistory::from_calls(&calls[..1], "");
        assert!(h.workload_versions.is_empty());
    }
}
