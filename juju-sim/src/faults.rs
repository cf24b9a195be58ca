//! Hook-tool faults: the next N invocations of a tool fail, as if Juju's API call failed.
//!
//! juju-sim writes `<work>/tool-faults.json` (tool name to remaining failures) and names it
//! in `JUJU_SIM_TOOL_FAULTS`; the `hook-tool` binary calls [`take`] under the state lock
//! before answering, and fails the call (exit 1, recorded like any call) while a count is left.
//!
//! # Example
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let file = dir.path().join("tool-faults.json");
//! juju_sim::faults::add(&file, "relation-set", 1).unwrap();
//! assert!(juju_sim::faults::take(&file, "relation-set").unwrap());
//! assert!(!juju_sim::faults::take(&file, "relation-set").unwrap());
//! ```

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// The environment variable naming the fault file.
pub const FAULTS_ENV: &str = "JUJU_SIM_TOOL_FAULTS";

/// The message a faulted tool prints (after `ERROR `).
pub fn message(tool: &str) -> String {
    format!("{tool}: injected failure (juju-sim tool-fault): connection to the controller lost")
}

fn read(file: &Path) -> io::Result<BTreeMap<String, u32>> {
    match std::fs::read_to_string(file) {
        Ok(text) if text.trim().is_empty() => Ok(BTreeMap::new()),
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

fn write(file: &Path, faults: &BTreeMap<String, u32>) -> io::Result<()> {
    let text = serde_json::to_string_pretty(faults).map_err(io::Error::other)?;
    std::fs::write(file, text)
}

/// Makes the next `times` invocations of `tool` fail.
pub fn add(file: &Path, tool: &str, times: u32) -> io::Result<()> {
    let mut faults = read(file)?;
    *faults.entry(tool.to_owned()).or_default() += times;
    write(file, &faults)
}

/// Whether this invocation of `tool` must fail (consuming one failure).
pub fn take(file: &Path, tool: &str) -> io::Result<bool> {
    let mut faults = read(file)?;
    match faults.get_mut(tool) {
        Some(n) if *n > 0 => {
            *n -= 1;
            write(file, &faults)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Failures still pending, per tool.
pub fn pending(file: &Path) -> io::Result<BTreeMap<String, u32>> {
    Ok(read(file)?.into_iter().filter(|(_, n)| *n > 0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_per_tool() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f.json");
        assert!(!take(&f, "x").unwrap());
        add(&f, "x", 2).unwrap();
        add(&f, "y", 1).unwrap();
        assert!(take(&f, "x").unwrap());
        assert_eq!(
            pending(&f).unwrap(),
            [("x".to_owned(), 1), ("y".to_owned(), 1)].into()
        );
        assert!(take(&f, "x").unwrap());
        assert!(!take(&f, "x").unwrap());
    }
}
