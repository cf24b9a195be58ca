//! The forms of a secret's id: a bare unique identifier (`cr0ahn1dqe3k7mqmsc2g`), a short
//! id (`secret:cr0ahn1dqe3k7mqmsc2g`) and a full URI with the model
//! (`secret://<model uuid>/cr0ahn1dqe3k7mqmsc2g`). Juju's hook tools take all three.
//!
//! ```
//! use ops::hookcmds::secret::uri::{canonical_id, unique_identifier};
//! let uuid = "a1b2c3d4-0000-4000-8000-000000000000";
//! assert_eq!(canonical_id("cr0ahn1dqe3k7mqmsc2g", Some(uuid)),
//!            "secret://a1b2c3d4-0000-4000-8000-000000000000/cr0ahn1dqe3k7mqmsc2g");
//! assert_eq!(canonical_id(" secret:cr0ahn1dqe3k7mqmsc2g ", Some(uuid)), "secret:cr0ahn1dqe3k7mqmsc2g");
//! assert_eq!(unique_identifier("secret://a1b2/cr0ahn1dqe3k7mqmsc2g"), "cr0ahn1dqe3k7mqmsc2g");
//! assert_eq!(unique_identifier("secret:cr0ahn1dqe3k7mqmsc2g"), "cr0ahn1dqe3k7mqmsc2g");
//! ```

/// The id in the form the model hands to charms, as Python ops' `Secret._canonicalize_id`:
/// surrounding space removed; an id without the `secret:` prefix (a bare unique identifier)
/// expanded to the full URI `secret://<model uuid>/<id>`, or to `secret:<id>` when the model
/// is not known. An id with the prefix is kept as it is.
pub fn canonical_id(id: &str, model_uuid: Option<&str>) -> String {
    let id = id.trim();
    if id.starts_with("secret:") {
        return id.to_owned();
    }
    match model_uuid.filter(|u| !u.is_empty()) {
        Some(uuid) => format!("secret://{uuid}/{id}"),
        None => format!("secret:{id}"),
    }
}

/// The secret's globally unique identifier: the part after the last `/`, or after
/// `secret:` (Python ops' `Secret.unique_identifier`). Useful to tell apart many secrets of one
/// kind; send the id (not this) to other applications, and find a secret again by label.
pub fn unique_identifier(id: &str) -> &str {
    let id = id.trim();
    match id.rsplit_once('/') {
        Some((_, xid)) => xid,
        None => id.strip_prefix("secret:").unwrap_or(id),
    }
}

/// Whether `id` is a secret id in one of the three forms: a unique identifier of ASCII letters
/// and digits, with or without `secret:` or `secret://<model>/` before it.
pub fn is_secret_id(id: &str) -> bool {
    let id = id.trim();
    let rest = id.strip_prefix("secret:").unwrap_or(id);
    let xid = match rest.strip_prefix("//") {
        Some(uri) => match uri.split_once('/') {
            Some((model, xid)) if !model.is_empty() => xid,
            _ => return false,
        },
        None => rest,
    };
    !xid.is_empty() && xid.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_an_id() {
        assert!(is_secret_id("cr0ahn1dqe3k7mqmsc2g"));
        assert!(is_secret_id("secret:cr0ahn1dqe3k7mqmsc2g"));
        assert!(is_secret_id("secret://uuid/cr0ahn1dqe3k7mqmsc2g"));
        for bad in [
            "",
            "secret:",
            "secret://uuid/",
            "secret:///x",
            "a b",
            "secret:x/y/z",
        ] {
            assert!(!is_secret_id(bad), "{bad:?}");
        }
        assert_eq!(canonical_id("x1", None), "secret:x1");
        assert_eq!(canonical_id("x1", Some("")), "secret:x1");
        assert_eq!(unique_identifier("x1"), "x1");
    }
}
