//! Workload events as Juju's unit agent derives them from Pebble: `<c>-pebble-ready` when a
//! container's boot id changes, and notices (`GET /v1/notices?users=all&after=…`, in order,
//! `after` kept with nanoseconds) turned into custom-notice and check-failed/recovered hooks.
//!
//! The watcher talks to each Pebble over its socket with the real client, as Juju does, so
//! notices recorded by anything (a scenario step, `pebble-sim notify`, a workload process)
//! are seen.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use pebble_client::blocking::Client;
use pebble_client::retry::RetryPolicy;
use pebble_client::{ChangeId, ChangeStatus, Notice, NoticeType, NoticesQuery, Timestamp};

use super::hook_env::Hook;

/// What the watcher remembers per container (in memory only, as Juju does).
#[derive(Debug, Clone, Default)]
struct Seen {
    boot_id: Option<String>,
    after: Option<Timestamp>,
}

/// Turns Pebble state into workload hooks.
#[derive(Debug, Default)]
pub struct Watcher {
    seen: BTreeMap<String, Seen>,
    /// Whether workload events are delivered yet (from the end of deploy).
    pub active: bool,
    /// What the last custom notice handed out was, for the trace.
    note: Option<String>,
}

fn client(socket: &Path) -> Option<Client> {
    Client::builder(socket)
        .timeout(Duration::from_secs(5))
        .retry(RetryPolicy::never())
        .build()
        .ok()
}

impl Watcher {
    /// A watcher that delivers nothing until [`Watcher::active`] is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the last custom notice handed out by [`Watcher::next`] was (once).
    pub fn take_note(&mut self) -> Option<String> {
        self.note.take()
    }

    /// Forgets what was seen of container `c` (notices are then delivered again, as after an
    /// agent restart).
    pub fn forget(&mut self, c: &str) {
        self.seen.remove(c);
    }

    /// The next workload hook for container `c` whose socket is `socket`, if any.
    ///
    /// A Pebble that does not answer yields nothing (Juju logs it and tries again later).
    pub fn next(&mut self, c: &str, socket: &Path) -> Option<Hook> {
        if !self.active {
            return None;
        }
        let client = client(socket)?;
        let seen = self.seen.entry(c.to_owned()).or_default();
        let info = client.system_info().ok()?;
        if seen.boot_id.as_deref() != Some(info.boot_id.as_str()) {
            seen.boot_id = Some(info.boot_id);
            return Some(Hook::pebble_ready(c));
        }
        loop {
            let mut q = NoticesQuery::new().all_users();
            if let Some(a) = &seen.after {
                q = q.after(*a);
            }
            let notices = client.get_notices(&q).ok()?;
            let notice = notices.into_iter().next()?;
            seen.after = Some(notice.last_repeated);
            if let Some(h) = hook_for(c, &notice, &client) {
                if notice.notice_type == NoticeType::Custom {
                    let data: Vec<String> = notice
                        .last_data
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    self.note = Some(format!(
                        "Pebble in {c} has custom notice {} {} {}(occurrences: {})",
                        notice.id.as_str(),
                        notice.key,
                        if data.is_empty() {
                            String::new()
                        } else {
                            format!("[{}] ", data.join(" "))
                        },
                        notice.occurrences
                    ));
                }
                return Some(h);
            }
        }
    }
}

/// The hook a notice gives, as Juju decides it.
fn hook_for(c: &str, n: &Notice, client: &Client) -> Option<Hook> {
    match n.notice_type {
        NoticeType::Custom => Some(Hook::custom_notice(c, n.id.as_str(), &n.key)),
        NoticeType::ChangeUpdate => {
            let kind = n.last_data.get("kind").map(String::as_str);
            let check = n.last_data.get("check-name")?;
            let status = match client.get_change(&ChangeId(n.key.clone())) {
                Ok(change) => Some(change.status),
                Err(e) if e.api_status() == Some(404) => None,
                Err(_) => return None,
            };
            match (kind, status) {
                (Some("perform-check"), None | Some(ChangeStatus::Error)) => {
                    Some(Hook::check(c, "check-failed", check))
                }
                (Some("recover-check"), None | Some(ChangeStatus::Done)) => {
                    Some(Hook::check(c, "check-recovered", check))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pebble_client::testing::SimPebble;

    #[test]
    fn ready_then_notices_in_order_once() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("pebble.socket");
        let sim = SimPebble::start(&sock).unwrap();
        let mut w = Watcher::new();
        assert_eq!(
            w.next("web", &sock),
            None,
            "inactive watchers deliver nothing"
        );
        w.active = true;
        assert_eq!(w.next("web", &sock).unwrap().name, "web-pebble-ready");
        assert_eq!(w.next("web", &sock), None);
        let uid = 1000;
        sim.notify(uid, "example.com/a", &[], None).unwrap();
        sim.notify(uid, "example.com/b", &[], None).unwrap();
        let a = w.next("web", &sock).unwrap();
        assert_eq!(a.env["JUJU_NOTICE_KEY"], "example.com/a");
        assert_eq!(
            w.next("web", &sock).unwrap().env["JUJU_NOTICE_KEY"],
            "example.com/b"
        );
        assert_eq!(w.next("web", &sock), None);
        // A warning is not a hook.
        sim.warn("disk is full");
        assert_eq!(w.next("web", &sock), None);
        // Forgetting (agent restart) re-delivers ready and the notices.
        w.forget("web");
        assert_eq!(w.next("web", &sock).unwrap().name, "web-pebble-ready");
        assert_eq!(
            w.next("web", &sock).unwrap().env["JUJU_NOTICE_KEY"],
            "example.com/a"
        );
        sim.shutdown();
    }

    #[test]
    fn down_pebble_gives_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("pebble.socket");
        let mut w = Watcher {
            active: true,
            ..Watcher::default()
        };
        assert_eq!(w.next("web", &sock), None);
    }

    #[test]
    fn check_failure_and_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("pebble.socket");
        let sim = SimPebble::start(&sock).unwrap();
        sim.add_layer("l", "checks:\n  alive:\n    override: replace\n    threshold: 1\n    exec:\n      command: /bin/true\n").unwrap();
        let mut w = Watcher {
            active: true,
            ..Watcher::default()
        };
        assert_eq!(w.next("web", &sock).unwrap().name, "web-pebble-ready");
        while w.next("web", &sock).is_some() {}
        sim.fail_check("alive", "boom").unwrap();
        let h = w.next("web", &sock).unwrap();
        assert_eq!(h.name, "web-pebble-check-failed");
        assert_eq!(h.env["JUJU_PEBBLE_CHECK_NAME"], "alive");
        assert_eq!(w.next("web", &sock), None);
        sim.recover_check("alive").unwrap();
        assert_eq!(
            w.next("web", &sock).unwrap().name,
            "web-pebble-check-recovered"
        );
        sim.shutdown();
    }
}
