//! [`EventKind`]: which event, and for which endpoint, container, storage or action.

use std::fmt;

/// The kind of an event, with its source where Juju names one (relation endpoint, storage
/// name, container, action name).
///
/// `Display` spells it as Juju names the hook (`db-relation-changed`, `web-pebble-ready`);
/// actions are spelled `<name>-action` and the framework's own events `pre-commit`,
/// `commit`, `collect-app-status` and `collect-unit-status`.
///
/// ```
/// use ops::event::EventKind;
/// let k = EventKind::relation_changed("db");
/// assert_eq!(k.to_string(), "db-relation-changed");
/// assert_eq!(EventKind::from_hook_name("db-relation-changed"), k);
/// assert_eq!(EventKind::from_dispatch_path("actions/do-backup"), EventKind::action("do-backup"));
/// assert_eq!(EventKind::from_hook_name("no-such-hook"), EventKind::Unknown("no-such-hook".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventKind {
    /// `install`
    Install,
    /// `start`
    Start,
    /// `stop`
    Stop,
    /// `remove`
    Remove,
    /// `upgrade-charm`
    UpgradeCharm,
    /// `config-changed`
    ConfigChanged,
    /// `update-status`
    UpdateStatus,
    /// `leader-elected`
    LeaderElected,
    /// `leader-settings-changed` (deprecated by Juju)
    LeaderSettingsChanged,
    /// `pre-series-upgrade` (machine charms; removed in Juju 4)
    PreSeriesUpgrade,
    /// `post-series-upgrade` (machine charms; removed in Juju 4)
    PostSeriesUpgrade,
    /// `collect-metrics` (a restricted context: no queue, no collect-status)
    CollectMetrics,
    /// `<endpoint>-relation-created`
    RelationCreated(String),
    /// `<endpoint>-relation-joined`
    RelationJoined(String),
    /// `<endpoint>-relation-changed`
    RelationChanged(String),
    /// `<endpoint>-relation-departed`
    RelationDeparted(String),
    /// `<endpoint>-relation-broken`
    RelationBroken(String),
    /// `<storage>-storage-attached`
    StorageAttached(String),
    /// `<storage>-storage-detaching`
    StorageDetaching(String),
    /// `secret-changed`
    SecretChanged,
    /// `secret-expired`
    SecretExpired,
    /// `secret-rotate`
    SecretRotate,
    /// `secret-remove`
    SecretRemove,
    /// An action, by name (dispatched as `actions/<name>`).
    Action(String),
    /// `<container>-pebble-ready`
    PebbleReady(String),
    /// `<container>-pebble-custom-notice`
    PebbleCustomNotice(String),
    /// `<container>-pebble-check-failed`
    PebbleCheckFailed(String),
    /// `<container>-pebble-check-recovered`
    PebbleCheckRecovered(String),
    /// The framework's `pre-commit`, before the state is saved.
    PreCommit,
    /// The framework's `commit`, as the state is saved.
    Commit,
    /// The framework's `collect-app-status` (leader only).
    CollectAppStatus,
    /// The framework's `collect-unit-status`.
    CollectUnitStatus,
    /// A custom event, by its emitter and name: `<emitter>/<name>`, e.g.
    /// `db/database-created` (see [`CustomEvent`](crate::event::CustomEvent)). Juju never
    /// dispatches one: a component or the charm emits it during a dispatch.
    Custom(String),
    /// A hook this framework does not know (e.g. `meter-status-changed`): nothing observes it.
    Unknown(String),
}

/// `(suffix, constructor)` for the kinds whose hook name is `<source><suffix>`.
type SourcedKind = (&'static str, fn(String) -> EventKind);
const SUFFIXES: &[SourcedKind] = &[
    ("-relation-created", EventKind::RelationCreated),
    ("-relation-joined", EventKind::RelationJoined),
    ("-relation-changed", EventKind::RelationChanged),
    ("-relation-departed", EventKind::RelationDeparted),
    ("-relation-broken", EventKind::RelationBroken),
    ("-storage-attached", EventKind::StorageAttached),
    ("-storage-detaching", EventKind::StorageDetaching),
    ("-pebble-ready", EventKind::PebbleReady),
    ("-pebble-custom-notice", EventKind::PebbleCustomNotice),
    ("-pebble-check-failed", EventKind::PebbleCheckFailed),
    ("-pebble-check-recovered", EventKind::PebbleCheckRecovered),
];

const PLAIN: &[(&str, EventKind)] = &[
    ("install", EventKind::Install),
    ("start", EventKind::Start),
    ("stop", EventKind::Stop),
    ("remove", EventKind::Remove),
    ("upgrade-charm", EventKind::UpgradeCharm),
    ("config-changed", EventKind::ConfigChanged),
    ("update-status", EventKind::UpdateStatus),
    ("leader-elected", EventKind::LeaderElected),
    ("leader-settings-changed", EventKind::LeaderSettingsChanged),
    ("pre-series-upgrade", EventKind::PreSeriesUpgrade),
    ("post-series-upgrade", EventKind::PostSeriesUpgrade),
    ("collect-metrics", EventKind::CollectMetrics),
    ("secret-changed", EventKind::SecretChanged),
    ("secret-expired", EventKind::SecretExpired),
    ("secret-rotate", EventKind::SecretRotate),
    ("secret-remove", EventKind::SecretRemove),
    ("pre-commit", EventKind::PreCommit),
    ("commit", EventKind::Commit),
    ("collect-app-status", EventKind::CollectAppStatus),
    ("collect-unit-status", EventKind::CollectUnitStatus),
];

impl EventKind {
    /// `<endpoint>-relation-created`
    pub fn relation_created(endpoint: impl Into<String>) -> Self {
        EventKind::RelationCreated(endpoint.into())
    }
    /// `<endpoint>-relation-joined`
    pub fn relation_joined(endpoint: impl Into<String>) -> Self {
        EventKind::RelationJoined(endpoint.into())
    }
    /// `<endpoint>-relation-changed`
    pub fn relation_changed(endpoint: impl Into<String>) -> Self {
        EventKind::RelationChanged(endpoint.into())
    }
    /// `<endpoint>-relation-departed`
    pub fn relation_departed(endpoint: impl Into<String>) -> Self {
        EventKind::RelationDeparted(endpoint.into())
    }
    /// `<endpoint>-relation-broken`
    pub fn relation_broken(endpoint: impl Into<String>) -> Self {
        EventKind::RelationBroken(endpoint.into())
    }
    /// `<storage>-storage-attached`
    pub fn storage_attached(storage: impl Into<String>) -> Self {
        EventKind::StorageAttached(storage.into())
    }
    /// `<storage>-storage-detaching`
    pub fn storage_detaching(storage: impl Into<String>) -> Self {
        EventKind::StorageDetaching(storage.into())
    }
    /// The action `name`.
    pub fn action(name: impl Into<String>) -> Self {
        EventKind::Action(name.into())
    }
    /// `<container>-pebble-ready`
    pub fn pebble_ready(container: impl Into<String>) -> Self {
        EventKind::PebbleReady(container.into())
    }
    /// `<container>-pebble-custom-notice`
    pub fn pebble_custom_notice(container: impl Into<String>) -> Self {
        EventKind::PebbleCustomNotice(container.into())
    }
    /// `<container>-pebble-check-failed`
    pub fn pebble_check_failed(container: impl Into<String>) -> Self {
        EventKind::PebbleCheckFailed(container.into())
    }
    /// `<container>-pebble-check-recovered`
    pub fn pebble_check_recovered(container: impl Into<String>) -> Self {
        EventKind::PebbleCheckRecovered(container.into())
    }

    /// The custom event `name` emitted by `emitter` (a component's key, or `charm`).
    ///
    /// ```
    /// use ops::event::EventKind;
    /// let k = EventKind::custom("db", "database-created");
    /// assert_eq!(k.to_string(), "db/database-created");
    /// assert_eq!(EventKind::from_parts(k.generic_name(), k.source()), Some(k));
    /// ```
    pub fn custom(emitter: &str, name: &str) -> Self {
        EventKind::Custom(format!("{emitter}/{name}"))
    }

    /// The custom event of type `T` emitted by `emitter`.
    pub fn custom_of<T: crate::event::CustomEvent>(emitter: &str) -> Self {
        Self::custom(emitter, T::NAME)
    }

    /// The kind Juju dispatches with `JUJU_DISPATCH_PATH` (`hooks/install`, `actions/backup`):
    /// the last part of the path is the name; under `actions/` it names an action.
    pub fn from_dispatch_path(path: &str) -> Self {
        let trimmed = path.trim_end_matches('/');
        let (parent, name) = match trimmed.rsplit_once('/') {
            Some((p, n)) => (p.rsplit('/').next().unwrap_or(p), n),
            None => ("", trimmed),
        };
        if parent == "actions" && !name.is_empty() {
            EventKind::Action(name.to_owned())
        } else {
            Self::from_hook_name(name)
        }
    }

    /// The kind of the hook `name` (`config-changed`, `db-relation-changed`), recognised by
    /// its exact name or its suffix, so no metadata is needed. Anything else is `Unknown`.
    pub fn from_hook_name(name: &str) -> Self {
        if let Some((_, k)) = PLAIN.iter().find(|(n, _)| *n == name) {
            return k.clone();
        }
        for (suffix, make) in SUFFIXES {
            if let Some(source) = name.strip_suffix(suffix)
                && !source.is_empty()
            {
                return make(source.to_owned());
            }
        }
        EventKind::Unknown(name.to_owned())
    }

    /// The kind without its source, as stored: `relation-changed`, `action`, `install`.
    pub fn generic_name(&self) -> &'static str {
        if let Some((n, _)) = PLAIN.iter().find(|(_, k)| k == self) {
            return n;
        }
        match self {
            EventKind::Action(_) => "action",
            EventKind::Custom(_) => "custom",
            EventKind::Unknown(_) => "unknown",
            _ => SUFFIXES
                .iter()
                .find(|(_, make)| make(String::new()).same_variant(self))
                .map(|(s, _)| &s[1..])
                .unwrap_or("unknown"),
        }
    }

    /// The container of a workload event (`<container>-pebble-ready`, `-pebble-custom-notice`,
    /// `-pebble-check-failed`, `-pebble-check-recovered`); `None` for other kinds.
    pub fn container(&self) -> Option<&str> {
        match self {
            EventKind::PebbleReady(c)
            | EventKind::PebbleCustomNotice(c)
            | EventKind::PebbleCheckFailed(c)
            | EventKind::PebbleCheckRecovered(c) => Some(c),
            _ => None,
        }
    }

    /// The source: relation endpoint, storage name, container, action name (or the raw hook
    /// name of an `Unknown` kind).
    pub fn source(&self) -> Option<&str> {
        match self {
            EventKind::RelationCreated(s)
            | EventKind::RelationJoined(s)
            | EventKind::RelationChanged(s)
            | EventKind::RelationDeparted(s)
            | EventKind::RelationBroken(s)
            | EventKind::StorageAttached(s)
            | EventKind::StorageDetaching(s)
            | EventKind::Action(s)
            | EventKind::PebbleReady(s)
            | EventKind::PebbleCustomNotice(s)
            | EventKind::PebbleCheckFailed(s)
            | EventKind::PebbleCheckRecovered(s)
            | EventKind::Custom(s)
            | EventKind::Unknown(s) => Some(s),
            _ => None,
        }
    }

    /// Rebuilds a kind from [`generic_name`](Self::generic_name) and [`source`](Self::source);
    /// `None` if they do not fit together.
    pub fn from_parts(generic: &str, source: Option<&str>) -> Option<Self> {
        match (generic, source) {
            ("action", Some(s)) => Some(EventKind::Action(s.to_owned())),
            ("custom", Some(s)) if s.contains('/') => Some(EventKind::Custom(s.to_owned())),
            ("unknown", Some(s)) => Some(EventKind::Unknown(s.to_owned())),
            (g, None) => PLAIN.iter().find(|(n, _)| *n == g).map(|(_, k)| k.clone()),
            (g, Some(s)) => SUFFIXES
                .iter()
                .find(|(suffix, _)| &suffix[1..] == g)
                .map(|(_, make)| make(s.to_owned())),
        }
    }

    fn same_variant(&self, other: &EventKind) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// Whether this is one of the framework's own events (pre-commit, commit, collect-status).
    pub fn is_framework(&self) -> bool {
        matches!(
            self,
            EventKind::PreCommit
                | EventKind::Commit
                | EventKind::CollectAppStatus
                | EventKind::CollectUnitStatus
        )
    }

    /// Whether Juju runs this hook in a restricted context (`collect-metrics`,
    /// `meter-status-changed`): the deferred queue and collect-status are skipped.
    pub fn is_restricted(&self) -> bool {
        match self {
            EventKind::CollectMetrics => true,
            EventKind::Unknown(n) => n == "meter-status-changed",
            _ => false,
        }
    }

    /// Why events of this kind cannot be deferred, or `None` if they can.
    pub fn defer_refusal(&self) -> Option<&'static str> {
        Some(match self {
            EventKind::Action(_) => {
                "an action must answer its caller now; fail it with a message instead"
            }
            EventKind::SecretExpired | EventKind::SecretRotate => {
                "Juju fires it again until a new revision of the secret exists"
            }
            EventKind::Stop | EventKind::Remove => {
                "no event will follow it, so nothing would re-run the deferred handler"
            }
            EventKind::PreCommit
            | EventKind::Commit
            | EventKind::CollectAppStatus
            | EventKind::CollectUnitStatus => {
                "framework events are part of this dispatch and are never re-emitted"
            }
            EventKind::Unknown(_) => "nothing observes an unknown event",
            _ => return None,
        })
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventKind::Action(name) => write!(f, "{name}-action"),
            EventKind::Custom(name) => f.write_str(name),
            EventKind::Unknown(name) => f.write_str(name),
            other => match other.source() {
                Some(source) => write!(f, "{source}-{}", other.generic_name()),
                None => f.write_str(other.generic_name()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds() -> Vec<EventKind> {
        let mut v: Vec<EventKind> = PLAIN.iter().map(|(_, k)| k.clone()).collect();
        v.extend(SUFFIXES.iter().map(|(_, make)| make("my-src".into())));
        v.push(EventKind::action("do-backup"));
        v.push(EventKind::Unknown("meter-status-changed".into()));
        v
    }

    #[test]
    fn every_kind_round_trips_through_its_parts() {
        for k in all_kinds() {
            let back = EventKind::from_parts(k.generic_name(), k.source());
            assert_eq!(back.as_ref(), Some(&k), "{k}");
        }
    }

    #[test]
    fn hook_names_parse_back_to_their_kind() {
        for k in all_kinds() {
            if matches!(k, EventKind::Action(_)) {
                continue;
            }
            assert_eq!(EventKind::from_hook_name(&k.to_string()), k);
        }
    }

    #[test]
    fn dispatch_paths() {
        assert_eq!(
            EventKind::from_dispatch_path("hooks/db-relation-changed"),
            EventKind::relation_changed("db")
        );
        assert_eq!(
            EventKind::from_dispatch_path("actions/do-backup"),
            EventKind::action("do-backup")
        );
        assert_eq!(
            EventKind::from_dispatch_path("/var/lib/juju/charm/actions/x"),
            EventKind::action("x")
        );
        assert_eq!(
            EventKind::from_dispatch_path("hooks/my-relation-pebble-ready"),
            EventKind::pebble_ready("my-relation")
        );
        assert_eq!(
            EventKind::from_dispatch_path(""),
            EventKind::Unknown("".into())
        );
        assert_eq!(
            EventKind::from_hook_name("-relation-changed"),
            EventKind::Unknown("-relation-changed".into())
        );
    }

    #[test]
    fn parts_that_do_not_fit_are_none() {
        assert_eq!(EventKind::from_parts("install", Some("x")), None);
        assert_eq!(EventKind::from_parts("relation-changed", None), None);
        assert_eq!(EventKind::from_parts("bogus", None), None);
    }

    #[test]
    fn restricted_and_deferrable() {
        assert!(EventKind::CollectMetrics.is_restricted());
        assert!(EventKind::Unknown("meter-status-changed".into()).is_restricted());
        assert!(!EventKind::Install.is_restricted());
        assert!(EventKind::relation_broken("db").defer_refusal().is_none());
        assert!(EventKind::SecretRemove.defer_refusal().is_none());
        assert!(EventKind::Stop.defer_refusal().is_some());
    }
}
