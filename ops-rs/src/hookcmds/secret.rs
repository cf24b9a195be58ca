//! `secret-add`, `secret-get`, `secret-info-get`, `secret-set`, `secret-grant`,
//! `secret-revoke`, `secret-remove`, `secret-ids`.
//!
//! Secret content never goes on a command line: each value is written to a file that only the
//! unit's user can read and passed as `key#file=/path`; the files are removed when the tool
//! returns, when the hook is stopped by `SIGTERM`, `SIGINT` or `SIGHUP`, and, after a
//! `SIGKILL`, at the start of the next dispatch (see [`files`] for where and how). Answers
//! holding content are parsed without quoting them in errors, and [`SecretContent`]'s `Debug`
//! shows keys only.

pub mod files;
pub mod uri;

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{HookToolError, HookToolRunner, args, limits, parse_json, run, run_json};

/// Secret content: key → value. `Debug` prints the keys with redacted values.
///
/// ```
/// use ops::hookcmds::secret::SecretContent;
/// let c = SecretContent::from_pairs([("password", "hunter2")]);
/// assert_eq!(c.get("password"), Some("hunter2"));
/// assert!(!format!("{c:?}").contains("hunter2"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretContent(BTreeMap<String, String>);

impl SecretContent {
    /// Content from key-value pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        SecretContent(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Sets `key`.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    /// The keys.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The content as a map (careful: the values are secret).
    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }

    /// Checks the content is what Juju's `secret-add` and `secret-set` accept: at least one
    /// key; each key Juju's `^[a-z](-?[a-z0-9]){2,}$` (a lowercase letter, then at least two
    /// more letters or digits, single hyphens between them); each value at most
    /// [`MAX_SECRET_VALUE_LEN`](limits::MAX_SECRET_VALUE_LEN) bytes once base64-encoded (as
    /// Juju counts it: 750,000 bytes of content), and all values together at most
    /// [`MAX_SECRET_CONTENT_LEN`](limits::MAX_SECRET_CONTENT_LEN) base64 bytes. The errors
    /// name the key (never the value) and the limit.
    pub fn validate(&self) -> Result<(), HookToolError> {
        if self.0.is_empty() {
            return Err(HookToolError::Invalid(
                "secret content must have at least one key".into(),
            ));
        }
        let mut total = 0;
        for (k, v) in &self.0 {
            if !is_valid_secret_key(k) {
                return Err(HookToolError::Invalid(format!(
                    "invalid secret key '{k}': use a lowercase letter followed by at least two \
                     more lowercase letters or digits, with single hyphens between them (e.g. \
                     'password', 'api-key')"
                )));
            }
            let encoded = limits::base64_len(v.len());
            if encoded > limits::MAX_SECRET_VALUE_LEN {
                return Err(HookToolError::Invalid(format!(
                    "the value of secret key '{k}' is {encoded} bytes as base64, over Juju's \
                     limit of {} bytes per value ({} bytes before encoding): keep large data \
                     elsewhere and put only what unlocks it in the secret",
                    limits::MAX_SECRET_VALUE_LEN,
                    limits::MAX_SECRET_VALUE_LEN / 4 * 3
                )));
            }
            total += encoded;
        }
        if total > limits::MAX_SECRET_CONTENT_LEN {
            return Err(HookToolError::Invalid(format!(
                "the secret's content is {total} bytes as base64, over Juju's limit of {} bytes \
                 for all its values together: split it into several secrets",
                limits::MAX_SECRET_CONTENT_LEN
            )));
        }
        Ok(())
    }
}

/// Juju's secret key rule, `^([a-z](?:-?[a-z0-9]){2,})$`.
fn is_valid_secret_key(k: &str) -> bool {
    let mut bytes = k.bytes();
    if !bytes.next().is_some_and(|c| c.is_ascii_lowercase()) {
        return false;
    }
    // Then groups of an optional hyphen and a letter or digit: at least two of them.
    let mut groups = 0;
    let mut after_hyphen = false;
    for c in bytes {
        match c {
            b'-' if !after_hyphen => after_hyphen = true,
            c if c.is_ascii_lowercase() || c.is_ascii_digit() => {
                groups += 1;
                after_hyphen = false;
            }
            _ => return false,
        }
    }
    !after_hyphen && groups >= 2
}

impl fmt::Debug for SecretContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, "<redacted>")))
            .finish()
    }
}

impl<'de> Deserialize<'de> for SecretContent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SecretContent(BTreeMap::deserialize(d)?))
    }
}

/// As a JSON object of key to value (what the simulated Juju keeps in its state file).
impl serde::Serialize for SecretContent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for SecretContent {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        SecretContent::from_pairs(iter)
    }
}

/// `content["password"]`: the value of a key, in tests mostly. Panics when the key is not
/// there, as a map's indexing does; [`SecretContent::get`] does not.
impl std::ops::Index<&str> for SecretContent {
    type Output = String;
    fn index(&self, key: &str) -> &String {
        &self.0[key]
    }
}

/// Who owns a secret (and so may change it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SecretOwner {
    /// The application: the leader manages it; every unit can read it.
    #[default]
    Application,
    /// This unit alone.
    Unit,
}

impl SecretOwner {
    /// As `--owner` takes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            SecretOwner::Application => "application",
            SecretOwner::Unit => "unit",
        }
    }
}

/// How often Juju asks the owner to rotate a secret (`secret-rotate` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum SecretRotate {
    Never,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl SecretRotate {
    /// As `--rotate` takes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            SecretRotate::Never => "never",
            SecretRotate::Hourly => "hourly",
            SecretRotate::Daily => "daily",
            SecretRotate::Weekly => "weekly",
            SecretRotate::Monthly => "monthly",
            SecretRotate::Quarterly => "quarterly",
            SecretRotate::Yearly => "yearly",
        }
    }
}

/// Metadata to give a secret when adding or updating it; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretMetadata {
    /// The owner's label for the secret.
    pub label: Option<String>,
    /// A description.
    pub description: Option<String>,
    /// When the secret expires (`secret-expired` event).
    pub expire: Option<OffsetDateTime>,
    /// The rotation policy.
    pub rotate: Option<SecretRotate>,
}

impl SecretMetadata {
    /// Sets the label.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
    /// Sets the expiry.
    #[must_use]
    pub fn expire(mut self, at: OffsetDateTime) -> Self {
        self.expire = Some(at);
        self
    }
    /// Sets the rotation policy.
    #[must_use]
    pub fn rotate(mut self, r: SecretRotate) -> Self {
        self.rotate = Some(r);
        self
    }

    fn push_args(&self, a: &mut Vec<String>) -> Result<(), HookToolError> {
        for (what, text) in [("label", &self.label), ("description", &self.description)] {
            if let Some(t) = text
                && !limits::fits_in_arg(t)
            {
                return Err(HookToolError::Invalid(format!(
                    "the secret's {what} is {} bytes, more than one command-line argument can \
                     carry ({} bytes; Linux refuses longer ones): shorten it",
                    t.len(),
                    limits::MAX_ARG_LEN
                )));
            }
        }
        if let Some(l) = &self.label {
            a.extend(["--label".to_owned(), l.clone()]);
        }
        if let Some(d) = &self.description {
            a.extend(["--description".to_owned(), d.clone()]);
        }
        if let Some(e) = &self.expire {
            let text = e.format(&Rfc3339).map_err(|err| {
                HookToolError::Invalid(format!(
                    "cannot format secret expiry {e} as RFC 3339: {err}"
                ))
            })?;
            a.extend(["--expire".to_owned(), text]);
        }
        if let Some(r) = &self.rotate {
            a.extend(["--rotate".to_owned(), r.as_str().to_owned()]);
        }
        Ok(())
    }
}

/// What `secret-info-get` says about a secret (owners only).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretInfo {
    /// The secret id (`secret:...`).
    pub id: String,
    /// The owner's label.
    pub label: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The latest revision.
    pub revision: u64,
    /// Who owns it, as Juju says (`application` or `unit`).
    pub owner: Option<String>,
    /// When it expires (RFC 3339).
    pub expiry: Option<String>,
    /// The rotation policy.
    pub rotation: Option<SecretRotate>,
    /// When it is next due for rotation (RFC 3339).
    pub rotates: Option<String>,
}

#[derive(Deserialize)]
struct RawInfo {
    revision: u64,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    expiry: Option<String>,
    #[serde(default)]
    rotation: Option<SecretRotate>,
    #[serde(default)]
    rotates: Option<String>,
}

/// How `secret-get` picks the revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SecretRevision {
    /// The revision this unit is tracking.
    #[default]
    Tracked,
    /// The latest revision, without tracking it (`--peek`).
    Peek,
    /// The latest revision, and track it from now on (`--refresh`).
    Refresh,
}

/// The content's private files (see [`files`]), after checking it is what Juju takes.
fn content_files(content: &SecretContent) -> Result<files::ContentFiles, HookToolError> {
    content.validate()?;
    files::ContentFiles::write(&files::content_root(), content.iter())
}

/// `secret-add [--label L] [--description D] [--expire T] [--rotate P] --owner O k#file=...`:
/// returns the new secret's id.
pub fn secret_add(
    r: &dyn HookToolRunner,
    content: &SecretContent,
    meta: &SecretMetadata,
    owner: SecretOwner,
) -> Result<String, HookToolError> {
    let files = content_files(content)?;
    let mut a = Vec::new();
    meta.push_args(&mut a)?;
    a.extend(["--owner".to_owned(), owner.as_str().to_owned()]);
    a.extend(files.args.iter().cloned());
    let out = run(r, "secret-add", a, None)?;
    drop(files);
    let id = String::from_utf8_lossy(&out).trim().to_owned();
    if id.is_empty() {
        return Err(HookToolError::bad_answer(
            "secret-add",
            "empty answer, expected the new secret's id",
        ));
    }
    Ok(id)
}

/// `secret-get --format=json [<id>] [--label L] [--refresh|--peek]`: the content. With both
/// id and label, Juju also sets this unit's label for the secret.
pub fn secret_get(
    r: &dyn HookToolRunner,
    id: Option<&str>,
    label: Option<&str>,
    revision: SecretRevision,
) -> Result<SecretContent, HookToolError> {
    if id.is_none() && label.is_none() {
        return Err(HookToolError::Invalid(
            "secret-get needs a secret id or a label".into(),
        ));
    }
    let mut a = vec!["--format=json".to_owned()];
    if let Some(id) = id {
        a.push(id.to_owned());
    }
    if let Some(l) = label {
        a.extend(["--label".to_owned(), l.to_owned()]);
    }
    match revision {
        SecretRevision::Tracked => {}
        SecretRevision::Peek => a.push("--peek".to_owned()),
        SecretRevision::Refresh => a.push("--refresh".to_owned()),
    }
    let out = run(r, "secret-get", a, None)?;
    parse_json("secret-get", &out, "an object of strings", true)
}

/// `secret-info-get --format=json <id>` or `secret-info-get --format=json --label L`.
pub fn secret_info_get(
    r: &dyn HookToolRunner,
    id: Option<&str>,
    label: Option<&str>,
) -> Result<SecretInfo, HookToolError> {
    let mut a = vec!["--format=json".to_owned()];
    match (id, label) {
        (Some(id), _) => a.push(id.to_owned()),
        (None, Some(l)) => a.extend(["--label".to_owned(), l.to_owned()]),
        (None, None) => {
            return Err(HookToolError::Invalid(
                "secret-info-get needs a secret id or a label".into(),
            ));
        }
    }
    let map: BTreeMap<String, RawInfo> =
        run_json(r, "secret-info-get", a, "an object of secret id to info")?;
    let Some((id, raw)) = map.into_iter().next() else {
        return Err(HookToolError::bad_answer(
            "secret-info-get",
            "empty object, expected one secret",
        ));
    };
    Ok(SecretInfo {
        id,
        label: raw.label.filter(|s| !s.is_empty()),
        description: raw.description.filter(|s| !s.is_empty()),
        revision: raw.revision,
        owner: raw.owner,
        expiry: raw.expiry,
        rotation: raw.rotation,
        rotates: raw.rotates,
    })
}

/// `secret-set [--label L] [--description D] [--expire T] [--rotate P] --owner application
/// <id> [k#file=...]`: new content (a new revision) and/or new metadata. `--owner application`
/// is always passed, exactly as Python ops does (Juju does not change the owner of an existing
/// secret).
pub fn secret_set(
    r: &dyn HookToolRunner,
    id: &str,
    content: Option<&SecretContent>,
    meta: &SecretMetadata,
) -> Result<(), HookToolError> {
    let files = content.map(content_files).transpose()?;
    let mut a = Vec::new();
    meta.push_args(&mut a)?;
    a.extend([
        "--owner".to_owned(),
        "application".to_owned(),
        id.to_owned(),
    ]);
    if let Some(f) = &files {
        a.extend(f.args.iter().cloned());
    }
    run(r, "secret-set", a, None).map(drop)
}

fn grant_args(id: &str, relation_id: u32, unit: Option<&str>) -> Vec<String> {
    let mut a = args(["--relation", &relation_id.to_string()]);
    if let Some(u) = unit {
        a.extend(["--unit".to_owned(), u.to_owned()]);
    }
    a.push(id.to_owned());
    a
}

/// `secret-grant --relation N [--unit U] <id>`: let the related app (or one unit) read it.
pub fn secret_grant(
    r: &dyn HookToolRunner,
    id: &str,
    relation_id: u32,
    unit: Option<&str>,
) -> Result<(), HookToolError> {
    run(r, "secret-grant", grant_args(id, relation_id, unit), None).map(drop)
}

/// `secret-revoke --relation N [--unit U] <id>`.
pub fn secret_revoke(
    r: &dyn HookToolRunner,
    id: &str,
    relation_id: u32,
    unit: Option<&str>,
) -> Result<(), HookToolError> {
    run(r, "secret-revoke", grant_args(id, relation_id, unit), None).map(drop)
}

/// `secret-remove <id> [--revision N]`: remove one revision, or the whole secret.
pub fn secret_remove(
    r: &dyn HookToolRunner,
    id: &str,
    revision: Option<u64>,
) -> Result<(), HookToolError> {
    let mut a = vec![id.to_owned()];
    if let Some(rev) = revision {
        a.extend(["--revision".to_owned(), rev.to_string()]);
    }
    run(r, "secret-remove", a, None).map(drop)
}

/// `secret-ids --format=json`: the secrets this unit (or its app) owns.
pub fn secret_ids(r: &dyn HookToolRunner) -> Result<Vec<String>, HookToolError> {
    let v: Option<Vec<String>> = run_json(
        r,
        "secret-ids",
        args(["--format=json"]),
        "a list of secret ids",
    )?;
    Ok(v.unwrap_or_default())
}

#[cfg(test)]
mod tests;
