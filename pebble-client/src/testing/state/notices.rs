//! The notice store: Pebble's occurrence, repeat and expiry rules, unique by (user, type, key).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use time::OffsetDateTime;

use crate::testing::wire::StringMap;
use crate::types::{GoDuration, Notice, NoticeError, NoticeId, NoticeType, Timestamp};

/// How long a notice lives after its last occurrence (Pebble's default, 7 days).
pub(crate) const DEFAULT_EXPIRE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// One stored notice.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NoticeRecord {
    pub id: u64,
    pub user_id: Option<u32>,
    pub kind: String,
    pub key: String,
    pub first_occurred: OffsetDateTime,
    pub last_occurred: OffsetDateTime,
    pub last_repeated: OffsetDateTime,
    pub occurrences: u64,
    pub last_data: StringMap,
    pub repeat_after: Option<Duration>,
    pub expire_after: Duration,
}

impl NoticeRecord {
    /// The wire form of this notice.
    pub(crate) fn to_notice(&self) -> Notice {
        Notice {
            id: NoticeId(self.id.to_string()),
            user_id: self.user_id,
            notice_type: NoticeType::from(self.kind.as_str()),
            key: self.key.clone(),
            first_occurred: Timestamp::new(self.first_occurred),
            last_occurred: Timestamp::new(self.last_occurred),
            last_repeated: Timestamp::new(self.last_repeated),
            occurrences: self.occurrences,
            last_data: self.last_data.clone(),
            repeat_after: self
                .repeat_after
                .filter(|d| !d.is_zero())
                .map(GoDuration::from_std),
            expire_after: Some(GoDuration::from_std(self.expire_after)),
        }
    }

    fn expired(&self, now: OffsetDateTime) -> bool {
        self.last_occurred + self.expire_after < now
    }
}

/// Which notices a query wants.
#[derive(Debug, Clone, Default)]
pub(crate) struct NoticeFilter {
    /// `None`: every user's notices; `Some(uid)`: that user's plus public ones.
    pub user_id: Option<u32>,
    /// Whether to include every user's notices (`users=all`) – overrides `user_id`.
    pub all_users: bool,
    pub types: Vec<String>,
    pub keys: Vec<String>,
    /// Only notices whose last-repeated time is strictly after this.
    pub after: Option<OffsetDateTime>,
}

impl NoticeFilter {
    fn matches(&self, n: &NoticeRecord) -> bool {
        let user_ok = self.all_users || n.user_id.is_none() || n.user_id == self.user_id;
        user_ok
            && (self.types.is_empty() || self.types.contains(&n.kind))
            && (self.keys.is_empty() || self.keys.contains(&n.key))
            && self.after.is_none_or(|a| n.last_repeated > a)
    }
}

/// Options of one occurrence.
#[derive(Debug, Clone, Default)]
pub(crate) struct Occurrence {
    pub data: StringMap,
    pub repeat_after: Option<Duration>,
}

/// Every notice, by id, with the (user, type, key) index.
#[derive(Debug, Default)]
pub(crate) struct Notices {
    by_id: BTreeMap<u64, NoticeRecord>,
    index: HashMap<(Option<u32>, String, String), u64>,
    last_id: u64,
}

impl Notices {
    /// Records an occurrence; returns the notice id and whether it was new or repeated
    /// (only then are long-polling waiters woken).
    pub(crate) fn add(
        &mut self,
        user_id: Option<u32>,
        kind: &str,
        key: &str,
        occ: Occurrence,
        now: OffsetDateTime,
    ) -> (u64, bool) {
        self.prune(now);
        let index_key = (user_id, kind.to_owned(), key.to_owned());
        if let Some(id) = self.index.get(&index_key).copied()
            && let Some(n) = self.by_id.get_mut(&id)
        {
            n.occurrences += 1;
            n.last_occurred = now;
            n.last_data = occ.data;
            n.repeat_after = occ.repeat_after;
            let repeat = match occ.repeat_after {
                None => true,
                Some(d) if d.is_zero() => true,
                Some(d) => now > n.last_repeated + d,
            };
            if repeat {
                n.last_repeated = now;
            }
            return (id, repeat);
        }
        self.last_id += 1;
        let id = self.last_id;
        self.by_id.insert(
            id,
            NoticeRecord {
                id,
                user_id,
                kind: kind.to_owned(),
                key: key.to_owned(),
                first_occurred: now,
                last_occurred: now,
                last_repeated: now,
                occurrences: 1,
                last_data: occ.data,
                repeat_after: occ.repeat_after,
                expire_after: DEFAULT_EXPIRE_AFTER,
            },
        );
        self.index.insert(index_key, id);
        (id, true)
    }

    /// Records the first occurrence of a new notice under a chosen id (restoring a saved
    /// notice, so its id stays the same); later ids continue after the highest one. `Err` if
    /// the id, or a notice of that (user, type, key), already exists.
    pub(crate) fn add_with_id(
        &mut self,
        id: u64,
        user_id: Option<u32>,
        kind: &str,
        key: &str,
        occ: Occurrence,
        now: OffsetDateTime,
    ) -> Result<(), String> {
        self.prune(now);
        if id == 0 || self.by_id.contains_key(&id) {
            return Err(format!("notice id {id} is taken or invalid"));
        }
        if self
            .index
            .contains_key(&(user_id, kind.to_owned(), key.to_owned()))
        {
            return Err(format!("a {kind} notice with key {key:?} already exists"));
        }
        let last = self.last_id;
        self.last_id = id - 1;
        self.add(user_id, kind, key, occ, now);
        self.last_id = last.max(id);
        Ok(())
    }

    /// Notices matching `filter`, ordered by last-repeated time.
    pub(crate) fn query(&self, filter: &NoticeFilter, now: OffsetDateTime) -> Vec<&NoticeRecord> {
        let mut out: Vec<&NoticeRecord> = self
            .by_id
            .values()
            .filter(|n| !n.expired(now) && filter.matches(n))
            .collect();
        out.sort_by_key(|n| (n.last_repeated, n.id));
        out
    }

    /// The notice with this id, unless expired.
    pub(crate) fn get(&self, id: u64, now: OffsetDateTime) -> Option<&NoticeRecord> {
        self.by_id.get(&id).filter(|n| !n.expired(now))
    }

    /// The most recent last-repeated time of a warning notice, for `latest-warning`.
    pub(crate) fn latest_warning(&self) -> Option<OffsetDateTime> {
        self.by_id
            .values()
            .filter(|n| n.kind == "warning")
            .map(|n| n.last_repeated)
            .max()
    }

    fn prune(&mut self, now: OffsetDateTime) {
        let expired: Vec<u64> = self
            .by_id
            .values()
            .filter(|n| n.expired(now))
            .map(|n| n.id)
            .collect();
        for id in expired {
            if let Some(n) = self.by_id.remove(&id) {
                self.index.remove(&(n.user_id, n.kind, n.key));
            }
        }
    }
}

/// Checks a custom notice key; the error message is the daemon's.
pub(crate) fn validate_custom_key(key: &str) -> Result<(), String> {
    match crate::types::validate_custom_key(key) {
        Ok(()) => Ok(()),
        Err(NoticeError::KeyTooLong { .. }) => Err("key must be 256 bytes or less".into()),
        Err(_) => Err(format!(
            "invalid key {key:?} (must be in \"example.com/path\" format)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn occ(data: &[(&str, &str)], repeat: Option<u64>) -> Occurrence {
        Occurrence {
            data: data
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            repeat_after: repeat.map(Duration::from_secs),
        }
    }

    /// The key rules are `crate::types::validate_custom_key`'s (tested there); this checks
    /// that the simulated daemon words its refusals as Pebble does.
    #[test]
    fn key_errors_are_worded_as_the_daemons() {
        assert_eq!(validate_custom_key("example.com/foo"), Ok(()));
        assert_eq!(
            validate_custom_key("foo/bar"),
            Err("invalid key \"foo/bar\" (must be in \"example.com/path\" format)".into())
        );
        let long = format!("a.com/{}", "x".repeat(260));
        assert_eq!(
            validate_custom_key(&long),
            Err("key must be 256 bytes or less".into())
        );
    }

    #[test]
    fn repeat_after_suppresses_last_repeated_but_counts() {
        let mut n = Notices::default();
        let t0 = datetime!(2024-01-01 0:00 UTC);
        let (id, woke) = n.add(
            Some(1),
            "custom",
            "a.com/x",
            occ(&[("a", "1")], Some(60)),
            t0,
        );
        assert!(woke);
        let t1 = t0 + Duration::from_secs(30);
        let (id2, woke) = n.add(
            Some(1),
            "custom",
            "a.com/x",
            occ(&[("b", "2")], Some(60)),
            t1,
        );
        assert_eq!(id, id2);
        assert!(!woke);
        let rec = n.get(id, t1).unwrap();
        assert_eq!(rec.occurrences, 2);
        assert_eq!(rec.last_repeated, t0);
        assert_eq!(rec.last_occurred, t1);
        assert_eq!(rec.last_data.get("b").map(String::as_str), Some("2"));
        assert!(!rec.last_data.contains_key("a"));
        let t2 = t0 + Duration::from_secs(61);
        let (_, woke) = n.add(Some(1), "custom", "a.com/x", occ(&[], Some(60)), t2);
        assert!(woke);
        assert_eq!(n.get(id, t2).unwrap().last_repeated, t2);
    }

    #[test]
    fn unique_by_user_type_key_and_filtered() {
        let mut n = Notices::default();
        let t = datetime!(2024-01-01 0:00 UTC);
        let (a, _) = n.add(Some(1), "custom", "a.com/x", occ(&[], None), t);
        let (b, _) = n.add(
            Some(2),
            "custom",
            "a.com/x",
            occ(&[], None),
            t + Duration::from_secs(1),
        );
        let (c, _) = n.add(
            None,
            "change-update",
            "1",
            occ(&[], None),
            t + Duration::from_secs(2),
        );
        assert_ne!(a, b);
        let mine = NoticeFilter {
            user_id: Some(1),
            ..Default::default()
        };
        let ids: Vec<u64> = n.query(&mine, t).iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![a, c]);
        let after = NoticeFilter {
            all_users: true,
            after: Some(t),
            ..Default::default()
        };
        let ids: Vec<u64> = n.query(&after, t).iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![b, c]);
    }

    #[test]
    fn a_chosen_id_is_kept_and_later_ids_follow_the_highest() {
        let mut n = Notices::default();
        let t = datetime!(2024-01-01 0:00 UTC);
        n.add_with_id(7, Some(1), "custom", "a.com/x", occ(&[], None), t)
            .unwrap();
        n.add_with_id(3, Some(1), "custom", "a.com/y", occ(&[], None), t)
            .unwrap();
        assert!(
            n.add_with_id(3, Some(1), "custom", "a.com/z", occ(&[], None), t)
                .is_err()
        );
        assert!(
            n.add_with_id(9, Some(1), "custom", "a.com/x", occ(&[], None), t)
                .is_err()
        );
        let (next, _) = n.add(None, "change-update", "1", occ(&[], None), t);
        assert_eq!(next, 8);
        assert_eq!(n.get(3, t).unwrap().key, "a.com/y");
    }

    #[test]
    fn expired_notices_disappear() {
        let mut n = Notices::default();
        let t = datetime!(2024-01-01 0:00 UTC);
        let (id, _) = n.add(None, "custom", "a.com/x", occ(&[], None), t);
        let later = t + DEFAULT_EXPIRE_AFTER + Duration::from_secs(1);
        assert!(n.get(id, later).is_none());
    }
}
