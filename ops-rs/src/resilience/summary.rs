//! The per-dispatch retry summary: recorded for the whole dispatch, logged at its end.

use pebble_client::retry::RetrySummary;

/// Runs `f` recording every retry on this thread (the charm's and the Pebble client's), then
/// logs the summary at INFO when anything retried, so it reaches `juju-log`.
pub(crate) fn with_retry_summary<R>(f: impl FnOnce() -> R) -> R {
    let recording = RetrySummary::record();
    let out = f();
    let summary = recording.finish();
    if !summary.is_empty() {
        tracing::info!(
            target: "ops::resilience",
            retries = summary.total_retries(),
            waited = ?summary.total_waited(),
            "retries in this hook: {summary}"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::resilience::Retrying;
    use crate::test_support::retry::recording_policy;

    #[test]
    fn nothing_is_logged_without_retries() {
        let (r, m) = crate::test_support::retry::logging_model();
        tracing::subscriber::with_default(crate::log::subscriber(m, false), || {
            with_retry_summary(|| ());
        });
        assert!(r.lines().is_empty());
    }

    #[test]
    fn the_summary_is_logged_once_at_the_end() {
        let (r, m) = crate::test_support::retry::logging_model();
        let (policy, _) = recording_policy();
        tracing::subscriber::with_default(crate::log::subscriber(m, false), || {
            with_retry_summary(|| {
                let mut a = Retrying::new(&policy, "db");
                let _ = a.retry_after("refused", Some(Duration::from_millis(40)));
                let _ = a.retry_after("refused", Some(Duration::from_millis(60)));
            });
        });
        let lines = r.lines();
        let last = lines.last().cloned().unwrap_or_default();
        assert_eq!(
            last,
            "juju-log --log-level INFO -- retries in this hook: db: 2 retries, waited 100ms \
             retries=2 waited=100ms"
        );
        assert_eq!(lines.iter().filter(|l| l.contains("retrying")).count(), 2);
    }
}
