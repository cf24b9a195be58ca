//! [`Breaker`]: a named circuit breaker whose state lives in the unit's state store.
//!
//! Get one from [`Ctx::breaker`](crate::framework::Ctx::breaker). Its state is loaded with
//! the rest of the unit's state and saved in the dispatch's transaction: if the hook fails,
//! the failures it recorded roll back with everything else, and Juju's retry of the hook
//! sees the breaker as it was.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::breaker::{BreakerPolicy, BreakerState, BreakerStatus};

/// The breakers of one dispatch: their persisted JSON and the states in use.
#[derive(Debug, Default)]
pub(crate) struct Book {
    raw: BTreeMap<String, String>,
    live: BTreeMap<String, BreakerState>,
}

/// The breakers of a dispatch, shared by every [`Breaker`] handle.
#[derive(Debug, Clone, Default)]
pub(crate) struct Breakers(Arc<Mutex<Book>>);

impl Breakers {
    /// Breakers as the store holds them.
    pub(crate) fn load(raw: BTreeMap<String, String>) -> Self {
        Breakers(Arc::new(Mutex::new(Book {
            raw,
            live: BTreeMap::new(),
        })))
    }

    /// The states to store: idle breakers are left out.
    pub(crate) fn save(&self) -> BTreeMap<String, String> {
        let mut book = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let live = std::mem::take(&mut book.live);
        for (name, state) in live {
            if state.is_idle() {
                book.raw.remove(&name);
                continue;
            }
            match serde_json::to_string(&state) {
                Ok(json) => {
                    book.raw.insert(name, json);
                }
                Err(e) => tracing::warn!(
                    target: "ops::resilience",
                    "cannot encode circuit breaker {name}: {e}; it restarts closed"
                ),
            }
        }
        book.raw.clone()
    }

    fn with<R>(&self, name: &str, f: impl FnOnce(&mut BreakerState) -> R) -> R {
        let mut book = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Book { raw, live } = &mut *book;
        if let Some(state) = live.get_mut(name) {
            return f(state);
        }
        let state = live.entry(name.to_owned()).or_insert_with(|| {
            raw.get(name)
                .map(|json| {
                    serde_json::from_str(json).unwrap_or_else(|e| {
                        tracing::warn!(
                            target: "ops::resilience",
                            "the stored state of circuit breaker {name} is unreadable ({e}); \
                             it restarts closed"
                        );
                        BreakerState::default()
                    })
                })
                .unwrap_or_default()
        });
        f(state)
    }

    pub(crate) fn breaker(&self, name: &str, policy: &BreakerPolicy) -> Breaker {
        Breaker {
            name: name.to_owned(),
            policy: policy.clone(),
            book: self.clone(),
        }
    }
}

/// A call refused because its breaker is open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{name} is failing: circuit breaker open until {until} (after {failures} failures within \
     {window:?}); calls fail fast until then. Set a waiting or blocked status and let a later \
     hook try again"
)]
pub struct BreakerOpen {
    /// The breaker's name.
    pub name: String,
    /// The end of the cool-down, in milliseconds since the Unix epoch.
    pub until_ms: i64,
    /// The failures that open it.
    pub failures: u32,
    /// The window they fall within.
    pub window: Duration,
    until: Rfc3339,
}

impl BreakerOpen {
    /// A short line for a unit status: `db unavailable; next try after 2025-01-01T10:05:00Z`.
    pub fn status_message(&self) -> String {
        format!("{} unavailable; next try after {}", self.name, self.until)
    }

    /// The end of the cool-down.
    pub fn until(&self) -> SystemTime {
        let ms = u64::try_from(self.until_ms).unwrap_or(0);
        UNIX_EPOCH + Duration::from_millis(ms)
    }
}

/// A UTC timestamp for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rfc3339(i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = i128::from(self.0) * 1_000_000;
        let text = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|t| {
                t.replace_millisecond(0)
                    .ok()?
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok()
            });
        match text {
            Some(t) => f.write_str(&t),
            None => write!(f, "{} ms after the epoch", self.0),
        }
    }
}

/// Why a call through a breaker failed: refused (open) or failed itself.
#[derive(Debug, thiserror::Error)]
pub enum BreakerError<E> {
    /// The breaker is open: the call was not made.
    #[error(transparent)]
    Open(BreakerOpen),
    /// The call was made and failed (and the failure was counted).
    #[error(transparent)]
    Failed(E),
}

impl<E> BreakerError<E> {
    /// The refusal, if the breaker was open.
    pub fn open(&self) -> Option<&BreakerOpen> {
        match self {
            BreakerError::Open(o) => Some(o),
            BreakerError::Failed(_) => None,
        }
    }

    /// The call's own error, if it was made.
    pub fn into_failed(self) -> Option<E> {
        match self {
            BreakerError::Failed(e) => Some(e),
            BreakerError::Open(_) => None,
        }
    }
}

/// A named circuit breaker for one dependency, bound to the dispatch's state.
///
/// Cheap to clone; it does not borrow the [`Ctx`](crate::framework::Ctx), so the handler
/// can keep using the context inside the call.
///
/// ```
/// use ops::resilience::{Breaker, BreakerError, BreakerPolicy, BreakerStatus};
///
/// // In a handler: `let db = ctx.breaker("db", &policy);` (persisted with the unit's state).
/// let db = Breaker::detached("db", &BreakerPolicy::default().failures(1));
/// let r: Result<(), BreakerError<&str>> = db.call(|| Err("connection refused"));
/// assert!(matches!(r, Err(BreakerError::Failed("connection refused"))));
/// // Open now: the next call is not made.
/// let r = db.call(|| -> Result<(), &str> { unreachable!() });
/// assert!(r.unwrap_err().open().is_some());
/// assert!(matches!(db.status(), BreakerStatus::Open { .. }));
/// ```
#[derive(Debug, Clone)]
pub struct Breaker {
    name: String,
    policy: BreakerPolicy,
    book: Breakers,
}

impl Breaker {
    /// A breaker whose state is not persisted (for examples and unit tests of charm code;
    /// handlers use [`Ctx::breaker`](crate::framework::Ctx::breaker)).
    pub fn detached(name: &str, policy: &BreakerPolicy) -> Self {
        Breakers::default().breaker(name, policy)
    }

    /// The breaker's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the breaker stands now.
    pub fn status(&self) -> BreakerStatus {
        let now = self.policy.now_ms();
        self.book.with(&self.name, |s| s.status(&self.policy, now))
    }

    /// Whether a call may be made now (closed, or half-open for a trial); if not, why. Use
    /// with [`record_success`](Self::record_success) and
    /// [`record_failure`](Self::record_failure) when [`call`](Self::call) does not fit (for
    /// example, to count only some errors).
    pub fn check(&self) -> Result<(), BreakerOpen> {
        match self.status() {
            BreakerStatus::Open { until_ms } => Err(BreakerOpen {
                name: self.name.clone(),
                until_ms,
                failures: self.policy.get_failures(),
                window: self.policy.get_window(),
                until: Rfc3339(until_ms),
            }),
            BreakerStatus::Closed { .. } | BreakerStatus::HalfOpen => Ok(()),
        }
    }

    /// Records a successful call (closes a half-open breaker).
    pub fn record_success(&self) {
        let now = self.policy.now_ms();
        self.book
            .with(&self.name, |s| s.record_success(&self.policy, now));
    }

    /// Records a failed call (may open the breaker; re-opens a half-open one).
    pub fn record_failure(&self) {
        let now = self.policy.now_ms();
        if self
            .book
            .with(&self.name, |s| s.record_failure(&self.policy, now))
        {
            tracing::warn!(
                target: "ops::resilience",
                breaker = self.name.as_str(),
                cool_down = ?self.policy.get_cool_down(),
                "circuit breaker opened: calls to {} fail fast until the cool-down ends",
                self.name
            );
        }
    }

    /// Runs `f` unless the breaker is open; every `Err` counts as a failure.
    pub fn call<T, E>(&self, f: impl FnOnce() -> Result<T, E>) -> Result<T, BreakerError<E>> {
        self.check().map_err(BreakerError::Open)?;
        let out = f();
        self.record(&out);
        out.map_err(BreakerError::Failed)
    }

    /// Runs the future from `f` unless the breaker is open; every `Err` counts as a failure.
    pub async fn call_async<T, E, Fut>(&self, f: impl FnOnce() -> Fut) -> Result<T, BreakerError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        self.check().map_err(BreakerError::Open)?;
        let out = f().await;
        self.record(&out);
        out.map_err(BreakerError::Failed)
    }

    fn record<T, E>(&self, out: &Result<T, E>) {
        match out {
            Ok(_) => self.record_success(),
            Err(_) => self.record_failure(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::ManualWallClock;

    #[test]
    fn breakers_load_lazily_and_save_only_what_matters() {
        let clock = ManualWallClock::at_ms(1_000);
        let p = BreakerPolicy::default().failures(2).clock(clock.clone());
        let stored: BTreeMap<String, String> = [
            ("old".to_owned(), r#"{"opened_at":5}"#.to_owned()),
            ("broken".to_owned(), "not json".to_owned()),
        ]
        .into();
        let book = Breakers::load(stored);
        let db = book.breaker("db", &p);
        let _ = db.call(|| Err::<(), _>("down"));
        assert_eq!(db.status(), BreakerStatus::Closed { recent_failures: 1 });
        assert_eq!(
            book.breaker("broken", &p).status(),
            BreakerStatus::Closed { recent_failures: 0 }
        );
        let saved = book.save();
        assert_eq!(
            saved.keys().map(String::as_str).collect::<Vec<_>>(),
            ["db", "old"] // "broken" was idle once read; "old" was never touched
        );
        assert_eq!(saved["db"], r#"{"failures":[1000]}"#);
    }

    #[test]
    fn open_refuses_with_a_message_that_says_what_to_do() {
        let clock = ManualWallClock::at_ms(0);
        let p = BreakerPolicy::default()
            .failures(1)
            .cool_down(Duration::from_secs(60))
            .clock(clock.clone());
        let b = Breaker::detached("db", &p);
        b.record_failure();
        let e = b.check().unwrap_err();
        assert_eq!(e.until_ms, 60_000);
        assert_eq!(e.until(), UNIX_EPOCH + Duration::from_secs(60));
        let msg = e.to_string();
        assert!(msg.contains("db is failing"), "{msg}");
        assert!(msg.contains("1970-01-01T00:01:00Z"), "{msg}");
        assert!(msg.contains("waiting or blocked"), "{msg}");
        assert_eq!(
            e.status_message(),
            "db unavailable; next try after 1970-01-01T00:01:00Z"
        );
        clock.advance(Duration::from_secs(60));
        assert_eq!(b.status(), BreakerStatus::HalfOpen);
        assert_eq!(b.call(|| Ok::<_, ()>(5)).ok(), Some(5));
        assert_eq!(b.status(), BreakerStatus::Closed { recent_failures: 0 });
    }

    #[test]
    fn breaker_errors_convert_into_handler_errors() {
        let b = Breaker::detached("db", &BreakerPolicy::default());
        let f = || -> crate::framework::HandlerResult {
            b.call(|| Err(std::io::Error::other("refused")))?;
            Ok(())
        };
        let msg = f().unwrap_err().to_string();
        assert!(msg.contains("refused"), "{msg}");
    }
}
