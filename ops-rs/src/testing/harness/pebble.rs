//! The Harness's containers: connectivity, pebble-ready, custom notices (with a simulated
//! clock for repeat-after), checks.

use std::time::Duration;

use pebble_client::testing::ExecRecord;

use super::{Harness, bag};
use crate::framework::Charm;
use crate::testing::container::{ContainerState, Exec, NoticeState};
use crate::testing::error::RunError;
use crate::testing::event::On;

impl<C: Charm> Harness<C> {
    fn container_mut(&mut self, name: &str) -> &mut ContainerState {
        self.state
            .containers
            .entry(name.to_owned())
            .or_insert_with(|| ContainerState::new(name).can_connect(false))
    }

    /// Sets whether the container's Pebble answers.
    pub fn set_can_connect(&mut self, container: &str, can_connect: bool) {
        self.container_mut(container).can_connect = can_connect;
    }

    /// Makes the container connectable and runs `<container>-pebble-ready`.
    pub fn container_pebble_ready(&mut self, container: &str) -> Result<(), RunError> {
        let name = container.to_owned();
        self.step(
            move |s| {
                s.containers
                    .entry(name.clone())
                    .or_insert_with(|| ContainerState::new(&name))
                    .can_connect = true;
            },
            Some(On.pebble_ready(container)),
        )
    }

    /// Records a custom notice as the workload's `pebble notify` would (a key already
    /// recorded occurs again, and every occurrence repeats it) and, if it is new or
    /// repeated, runs `<container>-pebble-custom-notice`. Returns its id.
    pub fn pebble_notify<K: Into<String>, V: Into<String>>(
        &mut self,
        container: &str,
        key: &str,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, RunError> {
        self.pebble_notify_with(container, key, data, None)
    }

    /// [`pebble_notify`](Self::pebble_notify) with a repeat-after interval: an occurrence
    /// within `repeat_after` of the last repeat (on the harness's clock, see
    /// [`advance_clock`](Self::advance_clock)) is counted, with its data, but does not
    /// repeat the notice, so no event runs.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ops::prelude::*;
    /// use ops::metadata::CharmMeta;
    /// use ops::testing::Harness;
    /// #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// struct Seen { #[serde(default)] n: u32 }
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = Seen;
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.pebble_custom_notice("web", "count", |_c, ctx, _ev| {
    ///             ctx.stored_mut().n += 1;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let meta = CharmMeta::from_charmcraft_yaml("name: app\ncontainers:\n  web: {resource: img}\n")?;
    /// let mut h = Harness::<App>::new(meta);
    /// h.begin();
    /// h.set_can_connect("web", true);
    /// let hour = Some(Duration::from_secs(3600));
    /// h.pebble_notify_with("web", "example.com/backup", [("n", "1")], hour)?;
    /// h.pebble_notify_with("web", "example.com/backup", [("n", "2")], hour)?; // not repeated
    /// assert_eq!(h.stored::<Seen>()?.n, 1);
    /// h.advance_clock(Duration::from_secs(3601));
    /// h.pebble_notify_with("web", "example.com/backup", [("n", "3")], hour)?; // repeated
    /// assert_eq!(h.stored::<Seen>()?.n, 2);
    /// assert_eq!(h.container("web").unwrap().notices[0].occurrences, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pebble_notify_with<K: Into<String>, V: Into<String>>(
        &mut self,
        container: &str,
        key: &str,
        data: impl IntoIterator<Item = (K, V)>,
        repeat_after: Option<Duration>,
    ) -> Result<String, RunError> {
        let data = bag(data);
        let now = self.clock;
        let repeat_key = (container.to_owned(), key.to_owned());
        let last = self.repeats.get(&repeat_key).copied();
        let mut updated = self.container_mut(container).clone();
        let repeated = match updated.notices.iter_mut().find(|n| n.key == key) {
            Some(n) => {
                n.occurrences += 1;
                n.data = data;
                n.repeat_after = repeat_after;
                match (repeat_after.filter(|d| !d.is_zero()), last) {
                    (Some(d), Some(last)) => now > last + d,
                    _ => true,
                }
            }
            None => {
                let mut n = NoticeState::custom(key).data(data);
                n.repeat_after = repeat_after;
                updated = updated.notice(n);
                true
            }
        };
        let name = container.to_owned();
        self.step(
            move |s| {
                s.containers.insert(name, updated);
            },
            repeated.then(|| On.pebble_custom_notice(container, key)),
        )?;
        if repeated {
            self.repeats.insert(repeat_key, now);
        }
        Ok(self.state.containers[container]
            .notice_by_key(key)
            .and_then(|n| n.id.clone())
            .unwrap_or_default())
    }

    /// Moves the harness's clock forward (it only decides whether a notice occurrence
    /// repeats; see [`pebble_notify_with`](Self::pebble_notify_with)).
    pub fn advance_clock(&mut self, by: Duration) {
        self.clock += by;
    }

    /// Marks check `check` down with `message` and runs `<container>-pebble-check-failed`.
    pub fn pebble_check_failed(
        &mut self,
        container: &str,
        check: &str,
        message: &str,
    ) -> Result<(), RunError> {
        let (name, chk, msg) = (container.to_owned(), check.to_owned(), message.to_owned());
        self.step(
            move |s| {
                if let Some(c) = s.containers.get_mut(&name) {
                    c.failing_checks.insert(chk, msg);
                }
            },
            Some(On.pebble_check_failed(container, check)),
        )
    }

    /// Brings check `check` back up and runs `<container>-pebble-check-recovered`.
    pub fn pebble_check_recovered(&mut self, container: &str, check: &str) -> Result<(), RunError> {
        let (name, chk) = (container.to_owned(), check.to_owned());
        self.step(
            move |s| {
                if let Some(c) = s.containers.get_mut(&name) {
                    c.failing_checks.remove(&chk);
                }
            },
            Some(On.pebble_check_recovered(container, check)),
        )
    }

    /// Lets the charm exec commands starting with the [`Exec`]'s prefix in `container`
    /// (Python Harness's `handle_exec`); one with the same prefix is replaced. Unregistered
    /// commands fail as Pebble fails for an unknown executable.
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::container::ExecOptions;
    /// use ops::metadata::CharmMeta;
    /// use ops::testing::{Exec, Harness};
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.pebble_ready("web", "version", |_c, ctx, _ev| {
    ///             let web = ctx.container("web")?;
    ///             let out = web.exec_output(&ExecOptions::new(["web", "--version"]))?;
    ///             ctx.model().set_workload_version(out.stdout_lossy().trim())?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let meta = CharmMeta::from_charmcraft_yaml("name: app\ncontainers:\n  web: {resource: img}\n")?;
    /// let mut h = Harness::<App>::new(meta);
    /// h.handle_exec("web", Exec::new("web --version").stdout("1.4.2\n"));
    /// h.begin();
    /// h.container_pebble_ready("web")?;
    /// assert_eq!(h.exec_history("web")[0].command, ["web", "--version"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle_exec(&mut self, container: &str, exec: Exec) {
        let c = self.container_mut(container);
        *c = c.clone().exec(exec);
    }

    /// Every command the charm ran in `container` in the hooks that succeeded since the
    /// harness was made, oldest first
    /// (for one hook only, see [`last_output`](Self::last_output)'s
    /// [`exec_history`](crate::testing::Output::exec_history)).
    pub fn exec_history(&self, container: &str) -> &[ExecRecord] {
        self.execs.get(container).map_or(&[], Vec::as_slice)
    }

    /// A container as the last hook left it (plan, services, files, notices, checks).
    pub fn container(&self, name: &str) -> Option<&ContainerState> {
        self.state.containers.get(name)
    }
}
