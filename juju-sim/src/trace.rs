//! The trace: what happened, printed as it happens — as text for people or JSON lines for
//! machines. Secret content never appears: tool-call records are redacted at the source.

use std::io::Write;
use std::time::Duration;

use ops::testing::juju::LogLine;
use serde::Serialize;

/// Trace output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `juju-log` levels, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, clap::ValueEnum)]
pub enum LogLevel {
    /// Everything.
    Debug,
    /// INFO and above.
    #[default]
    Info,
    /// WARNING and above.
    Warning,
    /// ERROR and above.
    Error,
}

impl LogLevel {
    fn of(level: &str) -> LogLevel {
        match level.to_ascii_uppercase().as_str() {
            "DEBUG" | "TRACE" => LogLevel::Debug,
            "WARNING" | "WARN" => LogLevel::Warning,
            "ERROR" | "CRITICAL" => LogLevel::Error,
            _ => LogLevel::Info,
        }
    }
}

/// One run of one hook, for the trace.
#[derive(Debug, Clone, Serialize)]
pub struct HookReport {
    /// The hook (or action) name.
    pub hook: String,
    /// 1 for the first run, 2.. for retries.
    pub attempt: u32,
    /// What the hook is about (relation, unit, notice key, ...).
    pub context: String,
    /// The hook-tool calls, as command lines (secret content redacted).
    pub calls: Vec<String>,
    /// The `juju-log` lines.
    pub logs: Vec<LogLine>,
    /// The exit code.
    pub exit_code: i32,
    /// How long dispatch ran, in milliseconds.
    pub duration_ms: u128,
    /// How long dispatch ran, in microseconds (spawn to exit, hook-tool calls included).
    pub duration_us: u128,
    /// Dispatch's peak resident set in KiB (sampled; hook tools not included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_kb: Option<u64>,
    /// The CPU time dispatch's own process used, in microseconds (hook tools not included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_us: Option<u128>,
    /// Hook-tool calls, `juju-log` included.
    pub tool_calls: usize,
    /// Time spent in those calls, in microseconds (each from its fork to its exit).
    pub tool_us: u64,
    /// The unit status afterwards.
    pub unit_status: String,
    /// The application status afterwards.
    pub app_status: String,
    /// Deferred events afterwards (ops-rs charms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred: Option<Vec<String>>,
    /// The end of stderr, for failed runs.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Whether it was killed for running too long.
    pub timed_out: bool,
}

/// Totals for the end of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Hook runs, retries included.
    pub hooks_run: usize,
    /// Runs that failed.
    pub failures: usize,
    /// Retries.
    pub retries: usize,
    /// Hooks that failed every retry.
    pub hooks_given_up: usize,
    /// Of those, the ones a step expected to fail (`expect: {exit-code: N}`, N not 0).
    pub expected_failures: usize,
    /// Expectations that did not hold.
    pub expectation_failures: usize,
    /// Events deferred at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred: Option<Vec<String>>,
    /// Final unit status.
    pub unit_status: String,
    /// Final application status.
    pub app_status: String,
    /// In a model of several applications: each unit's final statuses (the fields above are
    /// then empty).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub units: std::collections::BTreeMap<String, UnitSummary>,
}

/// One unit's end, in a model of several applications.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UnitSummary {
    /// Its status.
    pub unit_status: String,
    /// Its application's status.
    pub app_status: String,
    /// Its deferred events (ops-rs charms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred: Option<Vec<String>>,
    /// Whether the unit was removed during the run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

impl Summary {
    /// Adds another unit's totals (runs, failures, retries, given up) to these.
    pub fn add_counts(&mut self, other: &Summary) {
        self.hooks_run += other.hooks_run;
        self.failures += other.failures;
        self.retries += other.retries;
        self.hooks_given_up += other.hooks_given_up;
        self.expected_failures += other.expected_failures;
    }
}

/// Writes the trace.
///
/// In a model of several applications every unit has its own trace, labelled with the unit
/// ([`Trace::for_unit`]), writing to the one output: hook headers then name the unit
/// (`-> web/0 install`), and JSON hook events carry `unit` and `app`.
pub struct Trace {
    out: std::sync::Arc<std::sync::Mutex<Box<dyn Write + Send>>>,
    format: Format,
    level: LogLevel,
    /// The unit this trace is about, in a model of several applications.
    unit: Option<String>,
    /// The hook (and attempt) whose header [`Trace::hook_started`] printed.
    started: Option<(String, u32)>,
    /// The OTLP receiver's spans, shown after the hook that sent them (`--otlp-receiver`).
    spans: Option<crate::otlp::Inbox>,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

impl Trace {
    /// A trace to `out`.
    pub fn new(out: Box<dyn Write + Send>, format: Format, level: LogLevel) -> Self {
        Trace {
            out: std::sync::Arc::new(std::sync::Mutex::new(out)),
            format,
            level,
            unit: None,
            started: None,
            spans: None,
        }
    }

    /// Shows the spans `inbox` received after each hook (the hook sent them before it
    /// exited): as a tree under the hook (text), or a `spans` event (JSON).
    #[must_use]
    pub fn with_spans(mut self, inbox: crate::otlp::Inbox) -> Self {
        self.spans = Some(inbox);
        self
    }

    fn received_spans(&mut self) {
        let Some(inbox) = &self.spans else { return };
        let requests = crate::otlp::take(inbox);
        if requests.is_empty() {
            return;
        }
        match self.format {
            Format::Text => {
                self.line("   spans (OTLP receiver):");
                for l in crate::otlp::render(&requests) {
                    self.line(&format!("   {l}"));
                }
            }
            Format::Json => {
                for r in &requests {
                    let mut v = crate::otlp::to_json(r);
                    v["event"] = "spans".into();
                    self.json(v);
                }
            }
        }
    }

    /// A trace about unit `unit`, to the same output.
    pub fn for_unit(&self, unit: &str) -> Trace {
        Trace {
            out: self.out.clone(),
            format: self.format,
            level: self.level,
            unit: Some(unit.to_owned()),
            started: None,
            spans: self.spans.clone(),
        }
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    fn write(&self, text: &str) {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(out, "{text}");
    }

    fn flush(&self) {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = out.flush();
    }

    /// `unit` and `app` fields for a JSON event of a labelled trace.
    fn label(&self, v: &mut serde_json::Value) {
        if let Some(u) = &self.unit {
            v["unit"] = u.as_str().into();
            v["app"] = u.split('/').next().unwrap_or(u).into();
        }
    }

    /// A trace to stdout.
    pub fn stdout(format: Format, level: LogLevel) -> Self {
        Trace::new(Box::new(std::io::stdout()), format, level)
    }

    fn json(&mut self, mut v: serde_json::Value) {
        self.label(&mut v);
        self.write(&v.to_string());
    }

    fn line(&mut self, s: &str) {
        self.write(s);
    }

    /// A step begins.
    pub fn step(&mut self, n: usize, keyword: &str, detail: &str) {
        match self.format {
            Format::Text => self.line(format!("\n== step {n}: {keyword} {detail}").trim_end()),
            Format::Json => self.json(
                serde_json::json!({"event": "step", "step": n, "kind": keyword, "detail": detail}),
            ),
        }
    }

    /// Something juju-sim did or noticed (not a hook).
    pub fn note(&mut self, text: &str) {
        match self.format {
            Format::Text => match &self.unit {
                Some(u) => self.line(&format!("   * {u}: {text}")),
                None => self.line(&format!("   * {text}")),
            },
            Format::Json => self.json(serde_json::json!({"event": "note", "text": text})),
        }
    }

    fn header(&self, hook: &str, attempt: u32, context: &str) -> String {
        let retry = if attempt > 1 {
            format!(" (retry {})", attempt - 1)
        } else {
            String::new()
        };
        let unit = self
            .unit
            .as_deref()
            .map_or(String::new(), |u| format!("{u} "));
        format!("-> {unit}{hook}{retry}  {context}")
            .trim_end()
            .to_owned()
    }

    /// A hook starts (text: its header line now, so output of workloads running meanwhile
    /// shows under it; the rest comes with [`Trace::hook`]).
    pub fn hook_started(&mut self, hook: &str, attempt: u32, context: &str) {
        if self.format == Format::Text {
            let header = self.header(hook, attempt, context);
            self.line(&header);
            self.flush();
            self.started = Some((hook.to_owned(), attempt));
        }
    }

    /// A hook ran.
    pub fn hook(&mut self, r: &HookReport) {
        let logs: Vec<&LogLine> = r
            .logs
            .iter()
            .filter(|l| LogLevel::of(&l.level) >= self.level)
            .collect();
        match self.format {
            Format::Json => {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["event"] = "hook".into();
                v["logs"] = serde_json::to_value(&logs).unwrap_or_default();
                self.json(v);
            }
            Format::Text => {
                if self.started.take() != Some((r.hook.clone(), r.attempt)) {
                    let header = self.header(&r.hook, r.attempt, &r.context);
                    self.line(&header);
                }
                for c in &r.calls {
                    self.line(&format!("   $ {c}"));
                }
                for l in logs {
                    self.line(&format!("   {:<7} {}", l.level, l.message));
                }
                let how = if r.timed_out {
                    " (killed: time limit)".to_owned()
                } else {
                    String::new()
                };
                self.line(&format!(
                    "   exit {}{how} in {} ms; unit {}; app {}",
                    r.exit_code, r.duration_ms, r.unit_status, r.app_status
                ));
                if let Some(d) = r.deferred.as_ref().filter(|d| !d.is_empty()) {
                    self.line(&format!("   deferred: {}", d.join(", ")));
                }
                if !r.stderr.is_empty() {
                    for l in r.stderr.lines() {
                        self.line(&format!("   stderr| {l}"));
                    }
                }
            }
        }
        self.received_spans();
    }

    /// A failed hook's changes were rolled back; it will be retried or given up.
    pub fn failed(&mut self, hook: &str, retry: Option<(u32, u32)>) {
        let text = match retry {
            Some((n, max)) => format!(
                "hook failed: {hook:?}; model changes rolled back (statuses and logs stay); Juju retries it ({n} of {max})"
            ),
            None => format!(
                "hook failed: {hook:?}; model changes rolled back (statuses and logs stay); no retries left: the unit stays in error (as after `juju resolved --no-retry`, the next event runs)"
            ),
        };
        match self.format {
            Format::Text => match &self.unit {
                Some(u) => self.line(&format!("!! {u}: {text}")),
                None => self.line(&format!("!! {text}")),
            },
            Format::Json => self.json(serde_json::json!({"event": "hook-failed", "hook": hook, "retry": retry.map(|r| r.0), "text": text})),
        }
    }

    /// Expectations of a step were checked.
    pub fn expectations(&mut self, n: usize, failures: &[String]) {
        match self.format {
            Format::Text => {
                if failures.is_empty() {
                    self.line(&format!("   ok: step {n} expectations hold"));
                } else {
                    for f in failures {
                        self.line(&format!("   FAILED step {n}: {f}"));
                    }
                }
            }
            Format::Json => self.json(serde_json::json!({"event": "expect", "step": n, "ok": failures.is_empty(), "failures": failures})),
        }
    }

    /// The end.
    pub fn summary(&mut self, s: &Summary) {
        match self.format {
            Format::Json => {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["event"] = "summary".into();
                self.json(v);
            }
            Format::Text => {
                self.line(&format!(
                    "\n== summary: {} hook runs, {} failed, {} retries, {} given up; {} expectation failures",
                    s.hooks_run, s.failures, s.retries, s.hooks_given_up, s.expectation_failures
                ));
                if s.units.is_empty() {
                    self.line(&format!("   unit {}; app {}", s.unit_status, s.app_status));
                }
                for (unit, u) in &s.units {
                    let end = if u.removed { " (removed)" } else { "" };
                    let deferred = match u.deferred.as_deref() {
                        Some([]) | None => String::new(),
                        Some(d) => format!("; deferred: {}", d.join(", ")),
                    };
                    self.line(&format!(
                        "   {unit}{end}: unit {}; app {}{deferred}",
                        u.unit_status, u.app_status
                    ));
                }
                if let Some(d) = &s.deferred {
                    self.line(&format!(
                        "   deferred at the end: {}",
                        if d.is_empty() {
                            "none".to_owned()
                        } else {
                            d.join(", ")
                        }
                    ));
                }
            }
        }
        self.flush();
    }

    /// Duration in ms for reports.
    pub fn millis(d: Duration) -> u128 {
        ms(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn report() -> HookReport {
        HookReport {
            hook: "install".into(),
            attempt: 2,
            context: String::new(),
            calls: vec!["juju-log --log-level DEBUG -- hi".into()],
            logs: vec![
                LogLine {
                    level: "DEBUG".into(),
                    message: "noisy".into(),
                },
                LogLine {
                    level: "INFO".into(),
                    message: "hello".into(),
                },
            ],
            exit_code: 0,
            duration_ms: 3,
            duration_us: 3000,
            peak_rss_kb: Some(4000),
            cpu_us: Some(1200),
            tool_calls: 2,
            tool_us: 1000,
            unit_status: "active".into(),
            app_status: "unknown".into(),
            deferred: None,
            stderr: String::new(),
            timed_out: false,
        }
    }

    #[test]
    fn text_filters_logs_by_level() {
        let buf = Buf::default();
        let mut t = Trace::new(Box::new(buf.clone()), Format::Text, LogLevel::Info);
        t.hook(&report());
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("-> install (retry 1)"), "{text}");
        assert!(text.contains("hello") && !text.contains("noisy"), "{text}");
    }

    #[test]
    fn json_lines() {
        let buf = Buf::default();
        let mut t = Trace::new(Box::new(buf.clone()), Format::Json, LogLevel::Debug);
        t.hook(&report());
        t.summary(&Summary::default());
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["event"], "hook");
        assert_eq!(lines[0]["logs"].as_array().unwrap().len(), 2);
        assert_eq!(lines[1]["event"], "summary");
    }
}
