//! juju-sim's model state on disk: the model, and beside it a journal of the hook-tool calls.
//!
//! A [`JujuState`] is kept in two files so that a hook-tool call costs the same however long
//! the run has been going:
//!
//! ```text
//! <state>            the model (JSON, a JujuState without its append-only records)
//! <state>.records    the journal (JSON Lines): per line, some records, oldest first
//! ```
//!
//! The append-only records ([`Records`]) are what only ever grows and no hook tool reads:
//! `calls`, `logs`, `unit-status-history` and `app-status-history`.
//!
//! A hook tool loads only the model ([`load_model`]), runs, appends the call's records as one
//! line ([`append_records`]) and rewrites the model only if it changed ([`save_model_if_changed`]):
//! a read-only tool such as `is-leader` writes nothing but its journal line. juju-sim's runner
//! does the same around each hook: it reads and writes the model alone, notes where the
//! journal ends ([`journal_mark`]) and afterwards reads only the lines the hook's tools
//! appended ([`read_records_since`]), so a hook's bookkeeping does not grow with the run.
//! Whoever needs every record uses [`load`] (the model with the journal's records appended to
//! its own) and [`save`] (the model without records, and a journal holding exactly the
//! state's records), both written atomically (temporary file and rename).
//!
//! A final journal line without its newline is a tool killed mid-write: [`load`] ignores it
//! and [`append_records`] cuts it off before appending. Any other line that is not a record is
//! an error naming the file and line.
//!
//! ```
//! use ops::testing::juju::{JujuState, execute};
//! use juju_sim::state_file;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("state.json");
//! let mut state = JujuState::new("web/0");
//! execute(&mut state, "juju-log", &["hello".into()], None);
//! state_file::save(&path, &state).unwrap();
//! assert_eq!(state_file::load(&path).unwrap(), state);
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ops::status::Status;
use ops::testing::juju::{JujuState, LogLine, StateError, ToolRecord};
use serde::{Deserialize, Serialize};

/// Why the state files cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateFileError {
    /// A file operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done, e.g. `cannot read`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The model file is not a valid model (or the model cannot be serialised).
    #[error("model state file {path}: {source}")]
    Model {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: StateError,
    },
    /// A complete journal line is not a record.
    #[error("{path}:{line}: not a juju-sim call record: {source}")]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// Records cannot be serialised for the journal.
    #[error("cannot write records to {path}: {source}")]
    Encode {
        /// The journal file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StateFileError {
    let path = path.to_path_buf();
    move |source| StateFileError::Io { what, path, source }
}

/// One journal line: what one hook-tool call added to the state's append-only records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Records {
    /// Hook-tool calls, oldest first ([`JujuState::calls`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<ToolRecord>,
    /// Lines written with `juju-log`, oldest first ([`JujuState::logs`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
    /// Earlier unit statuses, oldest first ([`JujuState::unit_status_history`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unit_status_history: Vec<Status>,
    /// Earlier application statuses, oldest first ([`JujuState::app_status_history`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_status_history: Vec<Status>,
}

/// How many of each record a state holds: where a call's new records start.
#[derive(Debug, Clone, Copy)]
struct Marks([usize; 4]);

impl Marks {
    fn of(state: &JujuState) -> Marks {
        Marks([
            state.calls.len(),
            state.logs.len(),
            state.unit_status_history.len(),
            state.app_status_history.len(),
        ])
    }
}

fn split<T>(v: &mut Vec<T>, at: usize) -> Vec<T> {
    v.split_off(at.min(v.len()))
}

impl Records {
    /// Whether there is nothing to record.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
            && self.logs.is_empty()
            && self.unit_status_history.is_empty()
            && self.app_status_history.is_empty()
    }

    /// Takes `state`'s records past `marks` out of it.
    fn take_from(state: &mut JujuState, marks: Marks) -> Records {
        let [c, l, u, a] = marks.0;
        Records {
            calls: split(&mut state.calls, c),
            logs: split(&mut state.logs, l),
            unit_status_history: split(&mut state.unit_status_history, u),
            app_status_history: split(&mut state.app_status_history, a),
        }
    }

    /// Appends these records to `state`'s.
    fn extend_into(self, state: &mut JujuState) {
        state.calls.extend(self.calls);
        state.logs.extend(self.logs);
        state.unit_status_history.extend(self.unit_status_history);
        state.app_status_history.extend(self.app_status_history);
    }

    /// Appends `other` to these records.
    fn extend(&mut self, other: Records) {
        self.calls.extend(other.calls);
        self.logs.extend(other.logs);
        self.unit_status_history.extend(other.unit_status_history);
        self.app_status_history.extend(other.app_status_history);
    }

    /// One record a line, for [`save`].
    fn lines(&self, journal: &Path) -> Result<String, StateFileError> {
        let one = Records::default;
        let singles = self
            .calls
            .iter()
            .map(|c| Records {
                calls: vec![c.clone()],
                ..one()
            })
            .chain(self.logs.iter().map(|l| Records {
                logs: vec![l.clone()],
                ..one()
            }))
            .chain(self.unit_status_history.iter().map(|u| Records {
                unit_status_history: vec![u.clone()],
                ..one()
            }))
            .chain(self.app_status_history.iter().map(|a| Records {
                app_status_history: vec![a.clone()],
                ..one()
            }));
        let mut out = String::new();
        for r in singles {
            out.push_str(&r.line(journal)?);
        }
        Ok(out)
    }

    /// The line for the journal of `journal`, ending in `\n`.
    fn line(&self, journal: &Path) -> Result<String, StateFileError> {
        let mut line = serde_json::to_string(self).map_err(|source| StateFileError::Encode {
            path: journal.to_path_buf(),
            source,
        })?;
        line.push('\n');
        Ok(line)
    }
}

/// The journal beside the model file `path`: `<path>.records`.
pub fn journal_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".records");
    PathBuf::from(p)
}

/// Reads the model file `path` alone: the model (with any records the file itself holds,
/// but none from the journal) and the text it was read from, for [`save_model_if_changed`].
pub fn load_model(path: &Path) -> Result<(JujuState, String), StateFileError> {
    let text = fs::read_to_string(path).map_err(io_err("cannot read", path))?;
    let state = JujuState::from_json(&text).map_err(|source| StateFileError::Model {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((state, text))
}

/// The records in the journal `journal`, oldest first; none if it does not exist.
///
/// A final line without its newline (a writer killed mid-write) is ignored.
pub fn read_records(journal: &Path) -> Result<Records, StateFileError> {
    read_records_since(journal, 0)
}

/// Where the complete lines of the journal `journal` end, in bytes (0 if it does not exist):
/// [`read_records_since`] with this mark later returns the records appended in between.
///
/// A torn final line is not counted: the next append cuts it off before writing.
pub fn journal_mark(journal: &Path) -> Result<u64, StateFileError> {
    let mut file = match File::open(journal) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err("cannot read", journal)(e)),
    };
    let len = file
        .metadata()
        .map_err(io_err("cannot read", journal))?
        .len();
    // Read back from the end to the last newline (one short read unless a torn line is long:
    // the journal normally ends with one).
    let mut end = len;
    let mut chunk = vec![0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let n = usize::try_from(end - start).unwrap_or(chunk.len());
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(&mut chunk[..n]))
            .map_err(io_err("cannot read", journal))?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// The records of the journal `journal` after `mark` (from [`journal_mark`]), oldest first.
///
/// A final line without its newline (a writer killed mid-write) is ignored. This reads only
/// what was appended since the mark, however long the journal.
pub fn read_records_since(journal: &Path, mark: u64) -> Result<Records, StateFileError> {
    let mut file = match File::open(journal) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Records::default()),
        Err(e) => return Err(io_err("cannot read", journal)(e)),
    };
    let mut text = String::new();
    file.seek(SeekFrom::Start(mark))
        .and_then(|_| file.read_to_string(&mut text))
        .map_err(io_err("cannot read", journal))?;
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    let mut all = Records::default();
    for (i, line) in complete.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: Records = serde_json::from_str(line).map_err(|source| StateFileError::Journal {
            path: journal.to_path_buf(),
            line: lines_before(journal, mark) + i + 1,
            source,
        })?;
        all.extend(r);
    }
    Ok(all)
}

/// How many lines the first `mark` bytes of `journal` hold (for an error's line number).
fn lines_before(journal: &Path, mark: u64) -> usize {
    if mark == 0 {
        return 0;
    }
    let mut head = Vec::new();
    let _ = File::open(journal).and_then(|f| f.take(mark).read_to_end(&mut head));
    head.iter().filter(|&&b| b == b'\n').count()
}

/// Reads the whole state: the model file `path`, with the journal's records (calls, log
/// lines, status histories) appended to its own.
pub fn load(path: &Path) -> Result<JujuState, StateFileError> {
    let (mut state, _) = load_model(path)?;
    read_records(&journal_path(path))?.extend_into(&mut state);
    Ok(state)
}

/// Writes `text` to a temporary file beside `path` and renames it over `path`.
///
/// The rename is atomic: a reader, or a writer killed at any instant, sees the old or the
/// new file, never a torn one. The new file keeps the permissions of the one it replaces
/// (0644 for a new one), so a work directory opened to another user stays open. There is no
/// `fsync`: that would guard against the machine losing power, which a simulator run does not
/// survive anyway, and it cost every hook-tool call about a millisecond.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), StateFileError> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let permissions = fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| fs::Permissions::from_mode(0o644));
    let mut tmp = tempfile::Builder::new()
        .permissions(permissions)
        .tempfile_in(dir)
        .map_err(io_err("cannot write", path))?;
    tmp.write_all(text.as_bytes())
        .map_err(io_err("cannot write", path))?;
    tmp.persist(path)
        .map_err(|e| io_err("cannot write", path)(e.error))?;
    Ok(())
}

/// Writes the whole state: the model file `path` without its records, and the journal
/// holding exactly `state`'s records, each atomically.
pub fn save(path: &Path, state: &JujuState) -> Result<(), StateFileError> {
    let mut model = state.clone();
    let records = Records::take_from(&mut model, Marks([0; 4]));
    let model = model.to_json().map_err(|source| StateFileError::Model {
        path: path.to_path_buf(),
        source,
    })?;
    let journal_file = journal_path(path);
    let journal = records.lines(&journal_file)?;
    write_atomically(&journal_file, &journal)?;
    write_atomically(path, &model)
}

/// Writes `state` (as it is, records included) to the model file `path` if its JSON differs
/// from `read` (the text [`load_model`] returned); returns whether it wrote.
pub fn save_model_if_changed(
    path: &Path,
    state: &JujuState,
    read: &str,
) -> Result<bool, StateFileError> {
    let json = state.to_json().map_err(|source| StateFileError::Model {
        path: path.to_path_buf(),
        source,
    })?;
    if json == read {
        return Ok(false);
    }
    write_atomically(path, &json)?;
    Ok(true)
}

/// Cuts a torn final line (no newline: a writer killed mid-write) off the journal `file`.
fn cut_torn_tail(file: &mut File, journal: &Path) -> Result<(), StateFileError> {
    let len = file
        .metadata()
        .map_err(io_err("cannot read", journal))?
        .len();
    if len == 0 {
        return Ok(());
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))
        .and_then(|_| file.read_exact(&mut last))
        .map_err(io_err("cannot read", journal))?;
    if last[0] == b'\n' {
        return Ok(());
    }
    let mut text = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut text))
        .map_err(io_err("cannot read", journal))?;
    let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    file.set_len(u64::try_from(keep).unwrap_or(0))
        .map_err(io_err("cannot write", journal))
}

/// Appends `records` to the journal of the model file `path` as one line, in one write.
///
/// The caller holds the state lock (juju-sim's hook tool holds `<state>.lock`). A torn final
/// line left by a killed writer is cut off first.
pub fn append_records(path: &Path, records: &Records) -> Result<(), StateFileError> {
    if records.is_empty() {
        return Ok(());
    }
    let journal = journal_path(path);
    let line = records.line(&journal)?;
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&journal)
        .map_err(io_err("cannot open", &journal))?;
    cut_torn_tail(&mut file, &journal)?;
    file.write_all(line.as_bytes())
        .map_err(io_err("cannot write", &journal))
}

/// Runs one hook-tool call against the state at `path` as juju-sim's hook tool does:
/// loads the model, lets `run` change it and record the call, appends the call's new records
/// to the journal and rewrites the model only if it changed. The caller holds the lock.
pub fn call<T>(path: &Path, run: impl FnOnce(&mut JujuState) -> T) -> Result<T, StateFileError> {
    let (mut state, read) = load_model(path)?;
    let marks = Marks::of(&state);
    let out = run(&mut state);
    let records = Records::take_from(&mut state, marks);
    save_model_if_changed(path, &state, &read)?;
    append_records(path, &records)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops::testing::juju::execute;

    fn grown() -> JujuState {
        let mut s = JujuState::new("web/0").leader(true).config("port", 8080);
        execute(
            &mut s,
            "juju-log",
            &["--log-level".into(), "WARNING".into(), "one".into()],
            None,
        );
        execute(&mut s, "status-set", &["active".into(), "ok".into()], None);
        execute(&mut s, "is-leader", &[], None);
        execute(&mut s, "juju-log", &["two".into()], None);
        s
    }

    #[test]
    fn records_since_a_mark_are_those_appended_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let journal = journal_path(&path);
        assert_eq!(journal_mark(&journal).unwrap(), 0);
        assert!(read_records_since(&journal, 0).unwrap().is_empty());
        save(&path, &grown()).unwrap();
        let mark = journal_mark(&journal).unwrap();
        assert_eq!(mark, fs::metadata(&journal).unwrap().len());
        assert!(read_records_since(&journal, mark).unwrap().is_empty());

        call(&path, |s| execute(s, "is-leader", &[], None)).unwrap();
        let since = read_records_since(&journal, mark).unwrap();
        assert_eq!(since.calls.len(), 1);
        assert_eq!(since.calls[0].tool, "is-leader");

        // A torn last line is not part of the mark; the next append cuts it off, and reading
        // from the mark finds the new record.
        let mut f = OpenOptions::new().append(true).open(&journal).unwrap();
        f.write_all(b"{\"calls\":[{\"to").unwrap();
        drop(f);
        let mark = journal_mark(&journal).unwrap();
        assert!(mark < fs::metadata(&journal).unwrap().len());
        assert!(read_records_since(&journal, mark).unwrap().is_empty());
        call(&path, |s| execute(s, "juju-log", &["three".into()], None)).unwrap();
        let since = read_records_since(&journal, mark).unwrap();
        assert_eq!((since.calls.len(), since.logs.len()), (1, 1));
        assert_eq!(since.logs[0].message, "three");
        // The whole journal still reads as every record.
        assert_eq!(load(&path).unwrap().calls.len(), 4 + 1 + 1);
    }

    #[test]
    fn a_bad_line_after_a_mark_is_named_by_its_line_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let journal = journal_path(&path);
        save(&path, &grown()).unwrap(); // 7 lines
        let mark = journal_mark(&journal).unwrap();
        let mut f = OpenOptions::new().append(true).open(&journal).unwrap();
        f.write_all(b"{}\nnot json\n").unwrap();
        drop(f);
        let e = read_records_since(&journal, mark).unwrap_err();
        assert!(e.to_string().contains("state.json.records:9:"), "{e}");
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let s = grown();
        assert_eq!((s.calls.len(), s.logs.len()), (4, 2));
        save(&path, &s).unwrap();
        assert_eq!(load(&path).unwrap(), s);
        // The model file holds no records; the journal one line per record.
        let (model, _) = load_model(&path).unwrap();
        assert!(model.calls.is_empty() && model.logs.is_empty());
        assert!(model.unit_status_history.is_empty());
        let journal = fs::read_to_string(journal_path(&path)).unwrap();
        // 4 calls, 2 log lines, 1 earlier unit status.
        assert_eq!(journal.lines().count(), 7);
        // Saving fewer records rewrites the journal to hold exactly those.
        let mut fewer = s.clone();
        fewer.calls.truncate(1);
        fewer.logs.clear();
        fewer.unit_status_history.clear();
        save(&path, &fewer).unwrap();
        assert_eq!(load(&path).unwrap(), fewer);
    }

    #[test]
    fn calls_append_one_line_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save(&path, &JujuState::new("web/0")).unwrap();
        let mut expected = JujuState::new("web/0");
        for args in [vec!["hi".to_owned()], vec!["there".to_owned()]] {
            call(&path, |s| execute(s, "juju-log", &args, None)).unwrap();
            execute(&mut expected, "juju-log", &args, None);
        }
        call(&path, |s| {
            execute(s, "status-set", &["active".into()], None)
        })
        .unwrap();
        execute(&mut expected, "status-set", &["active".into()], None);
        assert_eq!(load(&path).unwrap(), expected);
        let journal = fs::read_to_string(journal_path(&path)).unwrap();
        assert_eq!(journal.lines().count(), 3, "{journal}");
        assert!(journal.lines().next().unwrap().contains("\"logs\""));
    }

    #[test]
    fn a_read_only_call_writes_no_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save(&path, &JujuState::new("web/0").config("port", 80)).unwrap();
        let before = fs::metadata(&path).unwrap();
        let ino = |m: &fs::Metadata| std::os::unix::fs::MetadataExt::ino(m);
        for tool in ["is-leader", "config-get"] {
            let out = call(&path, |s| execute(s, tool, &[], None)).unwrap();
            assert_eq!(out.exit_code, 0);
        }
        // Not rewritten: a rename would have replaced the inode.
        assert_eq!(ino(&fs::metadata(&path).unwrap()), ino(&before));
        let state = load(&path).unwrap();
        let tools: Vec<&str> = state.calls.iter().map(|c| c.tool.as_str()).collect();
        assert_eq!(tools, ["is-leader", "config-get"]);
        // A call that changes the model rewrites it.
        call(&path, |s| {
            execute(s, "status-set", &["active".into()], None)
        })
        .unwrap();
        assert_ne!(ino(&fs::metadata(&path).unwrap()), ino(&before));
        let state = load(&path).unwrap();
        assert_eq!(state.unit_status.to_string(), "active");
        // The earlier status is a record: in the journal, not the model.
        assert_eq!(state.unit_status_history.len(), 1);
        assert!(load_model(&path).unwrap().0.unit_status_history.is_empty());
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let s = grown();
        save(&path, &s).unwrap();
        let journal = journal_path(&path);
        let mut f = OpenOptions::new().append(true).open(&journal).unwrap();
        f.write_all(br#"{"calls":[{"tool":"is-lea"#).unwrap();
        drop(f);
        assert_eq!(load(&path).unwrap(), s);
        // The next call cuts the torn line off before appending its own.
        call(&path, |st| execute(st, "is-leader", &[], None)).unwrap();
        let after = load(&path).unwrap();
        assert_eq!(after.calls.len(), s.calls.len() + 1);
        let text = fs::read_to_string(&journal).unwrap();
        assert!(!text.contains("is-lea\""), "{text}");
        assert!(text.ends_with('\n'));
        // A journal holding only a torn line is empty.
        fs::write(&journal, "{\"calls\":[").unwrap();
        assert_eq!(load(&path).unwrap().calls.len(), 0);
    }

    #[test]
    fn a_malformed_line_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save(&path, &grown()).unwrap();
        let journal = journal_path(&path);
        let mut text = fs::read_to_string(&journal).unwrap();
        text.insert_str(0, "{\"calls\":[\n");
        fs::write(&journal, text).unwrap();
        let e = load(&path).unwrap_err();
        assert!(
            matches!(e, StateFileError::Journal { line: 1, .. }),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!(
                "{}:1: not a juju-sim call record",
                journal.display()
            )),
            "{msg}"
        );
    }

    #[test]
    fn records_in_the_model_file_come_first() {
        // A model file written whole (by an older juju-sim, or a test) keeps its records.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut s = grown();
        fs::write(&path, s.to_json().unwrap()).unwrap();
        call(&path, |st| execute(st, "juju-log", &["three".into()], None)).unwrap();
        execute(&mut s, "juju-log", &["three".into()], None);
        assert_eq!(load(&path).unwrap(), s);
        let e = load(&dir.path().join("missing.json")).unwrap_err();
        assert!(e.to_string().starts_with("cannot read "), "{e}");
    }
}
