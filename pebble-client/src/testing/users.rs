//! Users and groups by name, from `/etc/passwd` and `/etc/group` (as Pebble's static binary
//! reads them), and Pebble's rules for combining names and ids.

/// One `/etc/passwd` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

fn passwd() -> Vec<User> {
    let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            Some(User {
                name: (*f.first()?).to_owned(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
                home: (*f.get(5)?).to_owned(),
            })
        })
        .collect()
}

/// The user named `name`.
pub(crate) fn user_by_name(name: &str) -> Option<User> {
    passwd().into_iter().find(|u| u.name == name)
}

/// The user with id `uid`.
pub(crate) fn user_by_id(uid: u32) -> Option<User> {
    passwd().into_iter().find(|u| u.uid == uid)
}

/// The id of the group named `name`.
pub(crate) fn group_by_name(name: &str) -> Option<u32> {
    let text = std::fs::read_to_string("/etc/group").unwrap_or_default();
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.first() == Some(&name)).then(|| f.get(2)?.parse().ok())?
    })
}

/// The effective user and group of this process.
pub(crate) fn current() -> (u32, u32) {
    (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    )
}

/// Pebble's `NormalizeUidGid`: names resolved and checked against ids given with them, a
/// user's primary group when no group is given; `None` when nothing is given. The errors are
/// Pebble's (Go's) words.
pub(crate) fn resolve(
    uid: Option<u32>,
    user: Option<&str>,
    gid: Option<u32>,
    group: Option<&str>,
) -> Result<Option<(u32, u32)>, String> {
    let user = user.filter(|u| !u.is_empty());
    let group = group.filter(|g| !g.is_empty());
    if uid.is_none() && user.is_none() && gid.is_none() && group.is_none() {
        return Ok(None);
    }
    let mut uid = uid;
    if let Some(name) = user {
        let u = user_by_name(name).ok_or_else(|| format!("user: unknown user {name}"))?;
        if let Some(given) = uid
            && given != u.uid
        {
            return Err(format!(
                "user {name:?} UID ({}) does not match user-id ({given})",
                u.uid
            ));
        }
        uid = Some(u.uid);
    }
    let mut gid = gid;
    if let Some(name) = group {
        let g = group_by_name(name).ok_or_else(|| format!("group: unknown group {name}"))?;
        if let Some(given) = gid
            && given != g
        {
            return Err(format!(
                "group {name:?} GID ({g}) does not match group-id ({given})"
            ));
        }
        gid = Some(g);
    }
    match (uid, gid) {
        (Some(u), Some(g)) => Ok(Some((u, g))),
        (Some(u), None) => {
            let user = user_by_id(u).ok_or_else(|| format!("user: unknown userid {u}"))?;
            Ok(Some((u, user.gid)))
        }
        (None, _) => Err("must specify user, not just group".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_known_and_rules_hold() {
        assert_eq!(user_by_name("root").map(|u| u.uid), Some(0));
        assert_eq!(group_by_name("root"), Some(0));
        assert_eq!(resolve(None, None, None, None), Ok(None));
        assert_eq!(resolve(None, Some("root"), None, None), Ok(Some((0, 0))));
        assert_eq!(resolve(Some(0), None, None, None), Ok(Some((0, 0))));
        assert_eq!(
            resolve(None, None, Some(0), None),
            Err("must specify user, not just group".into())
        );
        assert_eq!(
            resolve(Some(5), Some("root"), None, None),
            Err("user \"root\" UID (0) does not match user-id (5)".into())
        );
        assert_eq!(
            resolve(None, Some("no-such-user-xyz"), None, None),
            Err("user: unknown user no-such-user-xyz".into())
        );
    }
}
