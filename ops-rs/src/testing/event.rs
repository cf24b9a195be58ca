//! [`TestEvent`]: one Juju event to run, built with the constructors of [`On`].
//!
//! Each constructor records what Juju would tell the charm for that event: the dispatch
//! path, the event's environment variables (`JUJU_RELATION_ID`, `JUJU_SECRET_ID`, ...) and
//! the hook context the hook tools default to (the relation of a relation hook, the storage
//! of a storage hook, the running action).
//!
//! ```
//! use ops::testing::On;
//! use ops::testing::juju::RelationState;
//! let db = RelationState::new(3, "db", "pg").remote_unit("pg/0", [("host", "h")]);
//! let ev = On.relation_changed(&db);
//! assert_eq!(ev.kind().to_string(), "db-relation-changed");
//! assert_eq!(ev.var("JUJU_RELATION_ID").as_deref(), Some("db:3"));
//! assert_eq!(ev.var("JUJU_REMOTE_UNIT").as_deref(), Some("pg/0")); // the first remote unit by default
//! ```

use serde_json::Value;

use crate::event::{CustomEvent, CustomEventData, Event, EventKind};
use crate::testing::juju::{RelationState, SecretState};

/// The uuid an action gets unless the test gives one with [`TestEvent::action_id`].
pub const DEFAULT_ACTION_ID: &str = "00000000-0000-4000-8000-00000000000a";

/// A relation as an event refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelationRef {
    pub(crate) id: u64,
    pub(crate) endpoint: String,
    pub(crate) remote_app: String,
}

/// One Juju event, ready to run with [`Context::run`](super::Context::run).
///
/// Build it with [`On`] (also reachable as `ctx.on`); adjust it with the methods below.
#[derive(Debug, Clone, PartialEq)]
pub struct TestEvent {
    pub(crate) kind: EventKind,
    pub(crate) relation: Option<RelationRef>,
    pub(crate) remote_unit: Option<String>,
    pub(crate) departing_unit: Option<String>,
    pub(crate) secret_id: Option<String>,
    pub(crate) secret_label: Option<String>,
    pub(crate) secret_revision: Option<u32>,
    pub(crate) storage: Option<(String, u32)>,
    pub(crate) action_params: Option<Value>,
    pub(crate) action_id: String,
    pub(crate) container: Option<String>,
    pub(crate) notice_key: Option<String>,
    pub(crate) notice_id: Option<String>,
    pub(crate) storage_location: Option<String>,
    pub(crate) check: Option<String>,
    pub(crate) remote_app_removed: bool,
    pub(crate) custom: Option<CustomEventData>,
}

impl TestEvent {
    fn new(kind: EventKind) -> Self {
        TestEvent {
            kind,
            relation: None,
            remote_unit: None,
            departing_unit: None,
            secret_id: None,
            secret_label: None,
            secret_revision: None,
            storage: None,
            action_params: None,
            action_id: DEFAULT_ACTION_ID.to_owned(),
            container: None,
            notice_key: None,
            notice_id: None,
            storage_location: None,
            check: None,
            remote_app_removed: false,
            custom: None,
        }
    }

    /// The event's kind.
    pub fn kind(&self) -> &EventKind {
        &self.kind
    }

    /// Sets the remote unit of a relation event (`JUJU_REMOTE_UNIT`); `None` for a change of
    /// the remote application's data only.
    #[must_use]
    pub fn remote_unit(mut self, unit: Option<&str>) -> Self {
        self.remote_unit = unit.map(str::to_owned);
        self
    }

    /// The remote application was removed, taking the relation with it: Juju then sends
    /// relation-broken with `JUJU_REMOTE_APP` empty (seen on Juju 3.4), and the event has no
    /// remote app.
    #[must_use]
    pub fn remote_app_removed(mut self) -> Self {
        self.remote_app_removed = true;
        self
    }

    /// Sets the action's id (`JUJU_ACTION_UUID`; `JUJU_ACTION_TAG` is `action-<id>`).
    #[must_use]
    pub fn action_id(mut self, id: &str) -> Self {
        self.action_id = id.to_owned();
        self
    }

    /// Sets the custom notice's id (`JUJU_NOTICE_ID`). A run finds it from the notice's
    /// key, so this matters only for [`Context::deferred`](super::Context::deferred), which
    /// has no state to look in ([`Context::deferred_in`](super::Context::deferred_in) has).
    #[must_use]
    pub fn notice_id(mut self, id: &str) -> Self {
        self.notice_id = Some(id.to_owned());
        self
    }

    /// Sets the storage's location (what `storage-get location` answers). A run takes it
    /// from the state, so this matters only for [`Context::deferred`](super::Context::deferred).
    #[must_use]
    pub fn storage_location(mut self, location: &str) -> Self {
        self.storage_location = Some(location.to_owned());
        self
    }

    /// The hook name Juju sets in `JUJU_HOOK_NAME` (none for actions).
    pub(crate) fn hook_name(&self) -> Option<String> {
        match &self.kind {
            EventKind::Action(_) => None,
            EventKind::Custom(_) => Some(CUSTOM_EVENT_HOOK.to_owned()),
            EventKind::Unknown(n) => Some(n.clone()),
            k => Some(k.to_string()),
        }
    }

    /// The custom event this runs, if it is one.
    pub(crate) fn custom_event(&self) -> Option<Event> {
        self.custom.clone().map(Event::Custom)
    }

    /// `JUJU_DISPATCH_PATH`.
    pub(crate) fn dispatch_path(&self) -> String {
        match &self.kind {
            EventKind::Action(name) => format!("actions/{name}"),
            // Juju never dispatches a custom event: the run's hook is one it never runs.
            EventKind::Custom(_) => format!("hooks/{CUSTOM_EVENT_HOOK}"),
            _ => format!("hooks/{}", self.hook_name().unwrap_or_default()),
        }
    }

    /// The variables Juju sets for this event (besides the unit, model and charm ones).
    pub(crate) fn vars(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("JUJU_DISPATCH_PATH", self.dispatch_path())];
        if let Some(h) = self.hook_name() {
            v.push(("JUJU_HOOK_NAME", h));
        }
        if let Some(r) = &self.relation {
            v.push(("JUJU_RELATION", r.endpoint.clone()));
            v.push(("JUJU_RELATION_ID", format!("{}:{}", r.endpoint, r.id)));
            let app = if self.remote_app_removed {
                String::new()
            } else {
                r.remote_app.clone()
            };
            v.push(("JUJU_REMOTE_APP", app));
            // Exported in every relation hook, empty where there is no remote unit.
            let unit = match self.kind {
                EventKind::RelationCreated(_) | EventKind::RelationBroken(_) => None,
                _ => self.remote_unit.clone(),
            };
            v.push(("JUJU_REMOTE_UNIT", unit.unwrap_or_default()));
        }
        if let Some(u) = &self.departing_unit {
            v.push(("JUJU_DEPARTING_UNIT", u.clone()));
        }
        if let Some(id) = &self.secret_id {
            v.push(("JUJU_SECRET_ID", id.clone()));
        }
        if let Some(l) = &self.secret_label {
            v.push(("JUJU_SECRET_LABEL", l.clone()));
        }
        if let Some(r) = self.secret_revision {
            v.push(("JUJU_SECRET_REVISION", r.to_string()));
        }
        if let Some((name, index)) = &self.storage {
            v.push(("JUJU_STORAGE_ID", format!("{name}/{index}")));
        }
        if let EventKind::Action(name) = &self.kind {
            v.push(("JUJU_ACTION_NAME", name.clone()));
            v.push(("JUJU_ACTION_UUID", self.action_id.clone()));
            v.push(("JUJU_ACTION_TAG", format!("action-{}", self.action_id)));
        }
        if let Some(c) = &self.container {
            v.push(("JUJU_WORKLOAD_NAME", c.clone()));
        }
        if let Some(k) = &self.notice_key {
            v.push(("JUJU_NOTICE_TYPE", "custom".to_owned()));
            v.push(("JUJU_NOTICE_KEY", k.clone()));
            if let Some(id) = &self.notice_id {
                v.push(("JUJU_NOTICE_ID", id.clone()));
            }
        }
        if let Some(c) = &self.check {
            v.push(("JUJU_PEBBLE_CHECK_NAME", c.clone()));
        }
        v
    }

    /// The value of one of the event's variables, as [`Context::run`](super::Context::run)
    /// sets it (`JUJU_NOTICE_ID` only if set with [`TestEvent::notice_id`]; a run takes it from the state).
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars()
            .into_iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// The event constructors: one per Juju event.
///
/// `On` is a unit struct, so `On.install()` works anywhere; a
/// [`Context`](super::Context) also carries one as `ctx.on`, in Scenario's spelling.
///
/// ```
/// use ops::testing::On;
/// use ops::testing::juju::{SecretState, SecretOwnership};
/// let s = SecretState::new("secret:abc", SecretOwnership::Consumer, [("k", "v")]).label("creds");
/// let ev = On.secret_changed(&s);
/// assert_eq!(ev.var("JUJU_SECRET_ID").as_deref(), Some("secret:abc"));
/// assert_eq!(ev.var("JUJU_SECRET_LABEL").as_deref(), Some("creds"));
/// assert_eq!(On.action("backup", serde_json::json!({"to": "s3"})).var("JUJU_ACTION_NAME").as_deref(), Some("backup"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct On;

macro_rules! plain {
    ($($(#[$doc:meta])* $name:ident => $kind:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(&self) -> TestEvent {
            TestEvent::new($kind)
        }
    )*};
}

/// The hook a run of a custom event dispatches ([`On::custom`]): a name Juju never uses, so
/// the charm sees an unknown hook whose event is the custom one.
pub const CUSTOM_EVENT_HOOK: &str = "custom-event";

impl On {
    /// The custom event `event`, as `emitter` (a component's key, or
    /// [`CHARM_EMITTER`](crate::event::CHARM_EMITTER)) emits it, run as the dispatch's event
    /// (Scenario's `ctx.on.custom(...)`). The dispatch's hook is [`CUSTOM_EVENT_HOOK`]: the
    /// deferred queue runs first and collect-status after, as for a Juju event.
    ///
    /// # Errors
    ///
    /// The event's payload cannot be encoded as JSON.
    pub fn custom<T: CustomEvent>(
        &self,
        emitter: &str,
        event: &T,
    ) -> Result<TestEvent, serde_json::Error> {
        let data = CustomEventData::of(emitter, event)?;
        let mut ev = TestEvent::new(data.kind());
        ev.custom = Some(data);
        Ok(ev)
    }

    plain! {
        /// `install`
        install => EventKind::Install;
        /// `start`
        start => EventKind::Start;
        /// `stop`
        stop => EventKind::Stop;
        /// `remove`
        remove => EventKind::Remove;
        /// `upgrade-charm`
        upgrade_charm => EventKind::UpgradeCharm;
        /// `config-changed`
        config_changed => EventKind::ConfigChanged;
        /// `update-status`
        update_status => EventKind::UpdateStatus;
        /// `leader-elected` (the state should say `leader(true)`)
        leader_elected => EventKind::LeaderElected;
        /// `leader-settings-changed`
        leader_settings_changed => EventKind::LeaderSettingsChanged;
        /// `pre-series-upgrade`
        pre_series_upgrade => EventKind::PreSeriesUpgrade;
        /// `post-series-upgrade`
        post_series_upgrade => EventKind::PostSeriesUpgrade;
        /// `collect-metrics` (a restricted context: no deferred events, no collect-status)
        collect_metrics => EventKind::CollectMetrics;
    }

    /// A hook this framework does not know (e.g. `meter-status-changed`): nothing observes
    /// it, but the deferred queue and collect-status still run (unless restricted).
    pub fn hook(&self, name: &str) -> TestEvent {
        TestEvent::new(EventKind::from_hook_name(name))
    }

    fn relation(kind: EventKind, r: &RelationState) -> TestEvent {
        let mut ev = TestEvent::new(kind);
        ev.relation = Some(RelationRef {
            id: r.id,
            endpoint: r.endpoint.clone(),
            remote_app: r.remote_app.clone(),
        });
        ev
    }

    /// `<endpoint>-relation-created`
    pub fn relation_created(&self, relation: &RelationState) -> TestEvent {
        Self::relation(EventKind::relation_created(&relation.endpoint), relation)
    }

    /// `<endpoint>-relation-joined` by `remote_unit`.
    pub fn relation_joined(&self, relation: &RelationState, remote_unit: &str) -> TestEvent {
        Self::relation(EventKind::relation_joined(&relation.endpoint), relation)
            .remote_unit(Some(remote_unit))
    }

    /// `<endpoint>-relation-changed`, with the relation's first remote unit as the remote
    /// unit (change it with [`TestEvent::remote_unit`]).
    pub fn relation_changed(&self, relation: &RelationState) -> TestEvent {
        let first = relation.remote_units.keys().next().map(String::as_str);
        Self::relation(EventKind::relation_changed(&relation.endpoint), relation).remote_unit(first)
    }

    /// `<endpoint>-relation-departed`: `departing_unit` leaves (it is also the remote unit).
    /// The run moves it out of the relation's units, as Juju has by then.
    pub fn relation_departed(&self, relation: &RelationState, departing_unit: &str) -> TestEvent {
        let mut ev = Self::relation(EventKind::relation_departed(&relation.endpoint), relation)
            .remote_unit(Some(departing_unit));
        ev.departing_unit = Some(departing_unit.to_owned());
        ev
    }

    /// `<endpoint>-relation-broken`. The relation is gone from the output state.
    pub fn relation_broken(&self, relation: &RelationState) -> TestEvent {
        Self::relation(EventKind::relation_broken(&relation.endpoint), relation)
    }

    /// `<storage>-storage-attached` for instance `name/index`.
    pub fn storage_attached(&self, name: &str, index: u32) -> TestEvent {
        let mut ev = TestEvent::new(EventKind::storage_attached(name));
        ev.storage = Some((name.to_owned(), index));
        ev
    }

    /// `<storage>-storage-detaching` for instance `name/index`.
    pub fn storage_detaching(&self, name: &str, index: u32) -> TestEvent {
        let mut ev = TestEvent::new(EventKind::storage_detaching(name));
        ev.storage = Some((name.to_owned(), index));
        ev
    }

    fn secret(kind: EventKind, s: &SecretState, revision: Option<u32>) -> TestEvent {
        let mut ev = TestEvent::new(kind);
        ev.secret_id = Some(s.id.clone());
        ev.secret_label = s.label.clone();
        ev.secret_revision = revision;
        ev
    }

    /// `secret-changed` (an observer: a new revision of `secret` exists).
    pub fn secret_changed(&self, secret: &SecretState) -> TestEvent {
        Self::secret(EventKind::SecretChanged, secret, None)
    }

    /// `secret-rotate` (the owner: time to rotate `secret`).
    pub fn secret_rotate(&self, secret: &SecretState) -> TestEvent {
        Self::secret(EventKind::SecretRotate, secret, None)
    }

    /// `secret-expired` for `revision` (the owner).
    pub fn secret_expired(&self, secret: &SecretState, revision: u32) -> TestEvent {
        Self::secret(EventKind::SecretExpired, secret, Some(revision))
    }

    /// `secret-remove` for `revision` (the owner: no observer tracks it any more).
    pub fn secret_remove(&self, secret: &SecretState, revision: u32) -> TestEvent {
        Self::secret(EventKind::SecretRemove, secret, Some(revision))
    }

    /// The action `name` with `params` (a JSON object; the metadata's defaults are filled
    /// in and the params validated when it runs).
    pub fn action(&self, name: &str, params: Value) -> TestEvent {
        let mut ev = TestEvent::new(EventKind::action(name));
        ev.action_params = Some(params);
        ev
    }

    /// `<container>-pebble-ready`
    pub fn pebble_ready(&self, container: &str) -> TestEvent {
        let mut ev = TestEvent::new(EventKind::pebble_ready(container));
        ev.container = Some(container.to_owned());
        ev
    }

    /// `<container>-pebble-custom-notice` for the custom notice with `key`, which must be
    /// among the container's notices in the state (`JUJU_NOTICE_ID` is its id there).
    pub fn pebble_custom_notice(&self, container: &str, key: &str) -> TestEvent {
        let mut ev = TestEvent::new(EventKind::pebble_custom_notice(container));
        ev.container = Some(container.to_owned());
        ev.notice_key = Some(key.to_owned());
        ev
    }

    /// `<container>-pebble-check-failed` for check `check`.
    pub fn pebble_check_failed(&self, container: &str, check: &str) -> TestEvent {
        let mut ev = TestEvent::new(EventKind::pebble_check_failed(container));
        ev.container = Some(container.to_owned());
        ev.check = Some(check.to_owned());
        ev
    }

    /// `<container>-pebble-check-recovered` for check `check`.
    pub fn pebble_check_recovered(&self, container: &str, check: &str) -> TestEvent {
        let mut ev = TestEvent::new(EventKind::pebble_check_recovered(container));
        ev.container = Some(container.to_owned());
        ev.check = Some(check.to_owned());
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_vars_follow_juju() {
        let r = RelationState::new(4, "db", "pg").remote_unit("pg/1", [("a", "b")]);
        let created = On.relation_created(&r);
        assert_eq!(created.var("JUJU_REMOTE_UNIT").as_deref(), Some("")); // exported, empty
        assert_eq!(created.var("JUJU_REMOTE_APP").as_deref(), Some("pg"));
        let dep = On.relation_departed(&r, "pg/1");
        assert_eq!(dep.var("JUJU_DEPARTING_UNIT").as_deref(), Some("pg/1"));
        let app_only = On.relation_changed(&r).remote_unit(None);
        assert_eq!(app_only.var("JUJU_REMOTE_UNIT").as_deref(), Some("")); // set, empty
        assert!(
            app_only
                .vars()
                .iter()
                .any(|(k, v)| *k == "JUJU_REMOTE_UNIT" && v.is_empty())
        );
    }

    #[test]
    fn action_and_workload_vars() {
        let a = On.action("do-it", serde_json::json!({})).action_id("42");
        assert_eq!(a.dispatch_path(), "actions/do-it");
        assert_eq!(a.hook_name(), None);
        assert_eq!(a.var("JUJU_ACTION_UUID").as_deref(), Some("42"));
        let n = On.pebble_custom_notice("web", "example.com/ready");
        assert_eq!(
            n.var("JUJU_NOTICE_KEY").as_deref(),
            Some("example.com/ready")
        );
        assert_eq!(n.var("JUJU_NOTICE_TYPE").as_deref(), Some("custom"));
        assert_eq!(
            On.storage_attached("data", 2)
                .var("JUJU_STORAGE_ID")
                .as_deref(),
            Some("data/2")
        );
        assert_eq!(
            On.hook("meter-status-changed").dispatch_path(),
            "hooks/meter-status-changed"
        );
    }
}
