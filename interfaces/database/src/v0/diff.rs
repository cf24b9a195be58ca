//! What changed in the other side's application bag since this side last looked: the
//! Python library's `diff()`, which decides every event both sides emit.
//!
//! Each side keeps its last view of the other side's bag as a JSON object under the key
//! `data` ([`SNAPSHOT`]): the requirer in its own unit bag (each unit decides for itself),
//! the provider in its application bag (so a new leader carries on where the old one
//! stopped). Keeping it there, as the Python library does, means a charm can move between
//! the Python library and this crate, and lose its local state, without events firing twice.

use std::collections::{BTreeMap, BTreeSet};

use super::protocol::{SNAPSHOT, parse_string_map, py_json_map};

/// The keys added, changed and deleted between two views of a bag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Keys that are new.
    pub added: BTreeSet<String>,
    /// Keys whose value changed.
    pub changed: BTreeSet<String>,
    /// Keys that are gone.
    pub deleted: BTreeSet<String>,
}

impl Diff {
    /// The difference from `old` to `new`.
    pub fn between(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Diff {
        let mut diff = Diff::default();
        for (k, v) in new {
            match old.get(k) {
                None => {
                    diff.added.insert(k.clone());
                }
                Some(o) if o != v => {
                    diff.changed.insert(k.clone());
                }
                Some(_) => {}
            }
        }
        diff.deleted = old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        diff
    }

    /// Whether `key` was added or changed.
    pub fn touched(&self, key: &str) -> bool {
        self.added.contains(key) || self.changed.contains(key)
    }
}

/// The other side's bag as this side compares it: everything but its own snapshot key.
pub(crate) fn comparable(remote: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    remote
        .iter()
        .filter(|(k, _)| k.as_str() != SNAPSHOT)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The snapshot kept in `bag`, or an empty one; a snapshot that does not parse is logged
/// and counts as empty (every key then reads as added).
pub(crate) fn load_snapshot(
    bag: &BTreeMap<String, String>,
    whose: &str,
) -> BTreeMap<String, String> {
    match bag.get(SNAPSHOT) {
        None => BTreeMap::new(),
        Some(text) => parse_string_map(text).unwrap_or_else(|e| {
            tracing::warn!(
                "the `{SNAPSHOT}` key of {whose} does not hold a JSON object of strings ({e}); \
                 comparing against an empty one, so every key of the remote bag counts as new"
            );
            BTreeMap::new()
        }),
    }
}

/// The text to store as the new snapshot.
pub(crate) fn snapshot_text(view: &BTreeMap<String, String>) -> String {
    py_json_map(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn added_changed_deleted_as_the_python_library_computes_them() {
        // The sequence of the Python library's own `test_diff`.
        let empty = bag(&[]);
        let first = bag(&[("username", "u"), ("password", "p")]);
        let d = Diff::between(&empty, &first);
        assert_eq!(d.added, ["password", "username"].map(String::from).into());
        assert!(d.changed.is_empty() && d.deleted.is_empty());
        assert_eq!(Diff::between(&first, &first), Diff::default());
        let changed = bag(&[("username", "u1"), ("password", "p")]);
        let d = Diff::between(&first, &changed);
        assert_eq!(d.changed, ["username"].map(String::from).into());
        assert!(d.touched("username") && !d.touched("password"));
        let d = Diff::between(&changed, &empty);
        assert_eq!(d.deleted, ["password", "username"].map(String::from).into());
    }

    #[test]
    fn the_snapshot_key_is_not_compared_and_a_bad_snapshot_counts_as_empty() {
        let remote = bag(&[("data", "{}"), ("endpoints", "h:5432")]);
        assert_eq!(comparable(&remote), bag(&[("endpoints", "h:5432")]));
        assert_eq!(load_snapshot(&bag(&[("data", "[1]")]), "x"), empty());
        assert_eq!(load_snapshot(&bag(&[]), "x"), empty());
        let kept = bag(&[("a", "1")]);
        let stored = bag(&[("data", &snapshot_text(&kept))]);
        assert_eq!(load_snapshot(&stored, "x"), kept);
    }

    fn empty() -> BTreeMap<String, String> {
        BTreeMap::new()
    }
}
