//! Reading a `juju-sim run --format json` trace: one JSON object per line (`step`, `hook`,
//! `note`, `expect`, `summary` events), for the whole-program tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::process::Command;

use serde_json::Value;

/// One juju-sim run: its exit code, its JSON trace and its stderr.
pub struct Trace {
    pub code: i32,
    pub events: Vec<Value>,
    pub stderr: String,
}

impl Trace {
    /// Runs `cmd` (a `juju-sim run --format json ...`) and reads its trace.
    pub fn run(cmd: &mut Command) -> Trace {
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let events = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        Trace {
            code: out.status.code().unwrap_or(-1),
            events,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Every hook attempt, in order.
    pub fn attempts(&self) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| e["event"] == "hook")
            .collect()
    }

    /// The hooks run, in order (retries included, as attempts).
    pub fn hooks(&self) -> Vec<String> {
        self.attempts()
            .iter()
            .map(|e| e["hook"].as_str().unwrap().to_owned())
            .collect()
    }

    /// In a model of several applications: every hook attempt as `unit hook`, in order.
    pub fn unit_hooks(&self) -> Vec<String> {
        self.attempts()
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["unit"].as_str().unwrap_or("?"),
                    e["hook"].as_str().unwrap()
                )
            })
            .collect()
    }

    /// In a model of several applications: the hooks unit `unit` ran, in order.
    pub fn hooks_of(&self, unit: &str) -> Vec<String> {
        self.attempts()
            .iter()
            .filter(|e| e["unit"] == unit)
            .map(|e| e["hook"].as_str().unwrap().to_owned())
            .collect()
    }

    /// In a model of several applications: the hook attempts of step `n` as `unit hook`.
    pub fn step_unit_hooks(&self, n: u64) -> Vec<String> {
        self.step_events(n)
            .into_iter()
            .filter(|e| e["event"] == "hook")
            .map(|e| {
                format!(
                    "{} {}",
                    e["unit"].as_str().unwrap_or("?"),
                    e["hook"].as_str().unwrap()
                )
            })
            .collect()
    }

    /// In a model of several applications: the first attempt of hook `name` on `unit`.
    pub fn unit_hook(&self, unit: &str, name: &str) -> &Value {
        self.attempts()
            .into_iter()
            .find(|e| e["unit"] == unit && e["hook"] == name)
            .unwrap_or_else(|| panic!("no {name} hook on {unit} in {:?}", self.unit_hooks()))
    }

    /// The first attempt of hook `name`.
    pub fn hook(&self, name: &str) -> &Value {
        self.attempts()
            .into_iter()
            .find(|e| e["hook"] == name)
            .unwrap_or_else(|| panic!("no {name} hook in {:?}", self.hooks()))
    }

    /// The events of step `n` (1-based).
    pub fn step_events(&self, n: u64) -> Vec<&Value> {
        let mut current = 0;
        let mut out = Vec::new();
        for e in &self.events {
            if e["event"] == "step" {
                current = e["step"].as_u64().unwrap();
            } else if current == n {
                out.push(e);
            }
        }
        out
    }

    /// The hooks of step `n`, in order.
    pub fn step_hooks(&self, n: u64) -> Vec<String> {
        self.step_events(n)
            .into_iter()
            .filter(|e| e["event"] == "hook")
            .map(|e| e["hook"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The first attempt of hook `name` in step `n`.
    pub fn step_hook(&self, n: u64, name: &str) -> &Value {
        self.step_events(n)
            .into_iter()
            .find(|e| e["event"] == "hook" && e["hook"] == name)
            .unwrap_or_else(|| panic!("no {name} hook in step {n}: {:?}", self.step_hooks(n)))
    }

    /// The hook tool calls of a hook attempt.
    pub fn calls(hook: &Value) -> Vec<String> {
        hook["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    }

    /// The `juju-log` messages of every hook attempt, in order.
    pub fn logs(&self) -> Vec<String> {
        self.attempts()
            .into_iter()
            .flat_map(|e| {
                e["logs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["message"].as_str().unwrap().to_owned())
            })
            .collect()
    }

    /// The notes juju-sim printed.
    pub fn notes(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["event"] == "note")
            .map(|e| e["text"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The expectation failures.
    pub fn failures(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["event"] == "expect")
            .flat_map(|e| e["failures"].as_array().unwrap().clone())
            .map(|f| f.as_str().unwrap().to_owned())
            .collect()
    }

    /// The summary.
    pub fn summary(&self) -> &Value {
        self.events
            .iter()
            .find(|e| e["event"] == "summary")
            .expect("a summary")
    }
}
