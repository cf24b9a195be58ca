//! The deferred queue in memory during a dispatch: FIFO by first deferral, deduplicated.

use crate::event::EventKind;
use crate::store::DeferredEntry;

/// The deferred (event, handler) entries, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Queue {
    entries: Vec<DeferredEntry>,
}

/// Whether two stored event data are equal: as JSON values, else as text.
fn same_data(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

impl Queue {
    pub(crate) fn new(entries: Vec<DeferredEntry>) -> Self {
        let mut entries = entries;
        entries.sort_by_key(|e| e.seq);
        Queue { entries }
    }

    pub(crate) fn entries(&self) -> &[DeferredEntry] {
        &self.entries
    }

    pub(crate) fn into_entries(self) -> Vec<DeferredEntry> {
        self.entries
    }

    /// Drops the entry at `seq` (handled, or no longer usable).
    pub(crate) fn remove(&mut self, seq: u64) {
        self.entries.retain(|e| e.seq != seq);
    }

    /// Whether an identical entry (same handler, kind, source and data; any event id) is
    /// queued.
    pub(crate) fn contains_identical(&self, handler: &str, kind: &EventKind, data: &str) -> bool {
        self.entries.iter().any(|e| {
            e.handler == handler
                && e.kind == kind.generic_name()
                && e.source.as_deref() == kind.source()
                && same_data(&e.data, data)
        })
    }

    /// Appends an entry, unless an identical one is queued; returns whether it was added.
    pub(crate) fn push(
        &mut self,
        handler: &str,
        kind: &EventKind,
        event_id: u64,
        data: String,
    ) -> bool {
        if self.contains_identical(handler, kind, &data) {
            return false;
        }
        let seq = self.entries.iter().map(|e| e.seq).max().unwrap_or(0) + 1;
        self.entries.push(DeferredEntry {
            seq,
            event_id,
            handler: handler.to_owned(),
            kind: kind.generic_name().to_owned(),
            source: kind.source().map(str::to_owned),
            data,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_dedup_ignoring_the_event_id() {
        let mut q = Queue::default();
        assert!(q.push("a", &EventKind::ConfigChanged, 1, "{}".into()));
        assert!(q.push("a", &EventKind::Start, 2, "{}".into()));
        assert!(!q.push("a", &EventKind::ConfigChanged, 3, "{ }".into()));
        assert!(q.push("b", &EventKind::ConfigChanged, 3, "{}".into()));
        let r = |ep: &str| EventKind::relation_changed(ep);
        assert!(q.push("a", &r("db"), 4, r#"{"relation_id":1}"#.into()));
        assert!(q.push("a", &r("db"), 5, r#"{"relation_id":2}"#.into()));
        assert!(q.push("a", &r("cache"), 6, r#"{"relation_id":1}"#.into()));
        let seqs: Vec<u64> = q.entries().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
        q.remove(1);
        assert!(q.push("a", &EventKind::ConfigChanged, 9, "{}".into()));
        assert_eq!(q.entries().last().map(|e| e.seq), Some(7));
    }

    #[test]
    fn loads_in_seq_order() {
        let e = |seq| DeferredEntry {
            seq,
            event_id: seq,
            handler: "h".into(),
            kind: "start".into(),
            source: None,
            data: "{}".into(),
        };
        let q = Queue::new(vec![e(5), e(2), e(9)]);
        let seqs: Vec<u64> = q.entries().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 5, 9]);
    }
}
