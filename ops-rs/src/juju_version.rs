//! [`JujuVersion`]: the version of the Juju running the hook, and what that version can do.
//!
//! Juju tells every hook its version in `JUJU_VERSION` (`3.6.4`, `3.6-beta2`, `3.5.5.1`); a
//! hook Juju runs in a restricted context may not have it, and then the version is
//! [`JujuVersion::UNKNOWN`] (`0.0.0`), which supports nothing. The model reads the version to
//! work around older Juju releases (see the model module's table of what each call needs),
//! and charms can ask it too ([`Model::juju_version`](crate::model::Model::juju_version)).
//!
//! ```
//! use ops::juju_version::JujuVersion;
//! let v: JujuVersion = "3.5.4".parse()?;
//! assert!(v < JujuVersion::new(3, 6, 0));
//! assert!(!v.coalesces_secret_set());
//! assert!(v.has_secrets());
//! assert_eq!(v.to_string(), "3.5.4");
//! assert!("3.6-beta2".parse::<JujuVersion>()? < "3.6.0".parse()?); // a beta comes before its release
//! # Ok::<(), ops::juju_version::JujuVersionError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A Juju version: `major.minor.patch`, or `major.minor-<tag><patch>` for a pre-release,
/// either with an optional `.build`.
///
/// Versions compare as Juju orders them: by major, minor, then a pre-release before its
/// release (tags in alphabetical order: `alpha` < `beta` < `rc`), then patch and build. The
/// feature checks ([`has_secrets`](Self::has_secrets), ...) compare the release numbers
/// (major, minor, patch) alone, as Python ops' `JujuVersion` does.
///
/// ```
/// use ops::juju_version::JujuVersion;
/// let v: JujuVersion = "3.6.4.1".parse().unwrap();
/// assert_eq!((v.major(), v.minor(), v.patch(), v.build()), (3, 6, 4, 1));
/// assert!(v > JujuVersion::new(3, 6, 4));
/// assert_eq!(JujuVersion::default(), JujuVersion::UNKNOWN);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct JujuVersion {
    major: u32,
    minor: u32,
    tag: String,
    patch: u32,
    build: u32,
}

/// A string that is not a Juju version.
///
/// ```
/// use ops::juju_version::JujuVersion;
/// let e = "3.six".parse::<JujuVersion>().unwrap_err();
/// assert!(e.to_string().contains("\"3.six\" is not a Juju version"), "{e}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{value:?} is not a Juju version: expected <major>.<minor>.<patch> (3.6.4) or \
     <major>.<minor>-<tag><patch> (3.6-beta2), optionally followed by .<build>; \
     Juju sets JUJU_VERSION in this form"
)]
pub struct JujuVersionError {
    /// The string that did not parse.
    pub value: String,
}

impl JujuVersion {
    /// The version of a hook whose Juju did not say (`0.0.0`): it supports nothing.
    pub const UNKNOWN: JujuVersion = JujuVersion::new(0, 0, 0);

    /// The oldest Juju ops-rs supports: 3.4, the first to deliver Pebble's custom notices
    /// (`<container>-pebble-custom-notice`) to charms. The model module's docs list the calls
    /// that need more.
    pub const OLDEST_SUPPORTED: JujuVersion = JujuVersion::new(3, 4, 0);

    /// The release `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> JujuVersion {
        JujuVersion {
            major,
            minor,
            tag: String::new(),
            patch,
            build: 0,
        }
    }

    /// The major number.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The minor number.
    pub fn minor(&self) -> u32 {
        self.minor
    }

    /// The patch number (the `2` of `3.6-beta2`).
    pub fn patch(&self) -> u32 {
        self.patch
    }

    /// The build number (`0` when absent).
    pub fn build(&self) -> u32 {
        self.build
    }

    /// The pre-release tag (`beta` of `3.6-beta2`), empty for a release.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    fn release_at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }

    /// Secrets work as charms use them (3.0.3: `secret-get --refresh`, `secret-info-get`,
    /// observer labels fixed).
    pub fn has_secrets(&self) -> bool {
        self.release_at_least(3, 0, 3)
    }

    /// `open-port` works on Kubernetes (3.0.3).
    pub fn supports_open_port_on_k8s(&self) -> bool {
        self.release_at_least(3, 0, 3)
    }

    /// Pebble's exec takes a service context (3.1.6, except 3.2.0, released before the
    /// Pebble that has it).
    pub fn supports_exec_service_context(&self) -> bool {
        self.release_at_least(3, 1, 6) && (self.major, self.minor, self.patch) != (3, 2, 0)
    }

    /// Pebble's custom notices reach the charm as `<container>-pebble-custom-notice` (3.4).
    pub fn has_pebble_notices(&self) -> bool {
        self.release_at_least(3, 4, 0)
    }

    /// The Pebble shipped with this Juju forwards logs with labels (3.4: Pebble 1.7).
    pub fn supports_pebble_log_forwarding(&self) -> bool {
        self.release_at_least(3, 4, 0)
    }

    /// Pebble check events reach the charm as `<container>-pebble-check-failed` and
    /// `-recovered` (3.6).
    pub fn has_pebble_check_events(&self) -> bool {
        self.release_at_least(3, 6, 0)
    }

    /// Pebble identities and metrics (3.6.4).
    pub fn supports_pebble_identities(&self) -> bool {
        self.release_at_least(3, 6, 4)
    }

    /// Several `secret-set` calls for one secret in one hook are merged, and a `secret-set`
    /// keeps what it does not mention (3.6; juju/juju#18154, LP#2081034). Before, each call
    /// replaces the hook's earlier ones, so the model resends every field (as Python ops
    /// does). A pre-release of 3.6 counts as before.
    pub fn coalesces_secret_set(&self) -> bool {
        *self >= JujuVersion::new(3, 6, 0)
    }

    /// `relation-model-get` exists (3.6.2).
    pub fn has_relation_model_get(&self) -> bool {
        *self >= JujuVersion::new(3, 6, 2)
    }

    /// `credential-get` answers on Kubernetes too (3.6.10; machines always could).
    pub fn supports_cloud_spec_on_k8s(&self) -> bool {
        self.release_at_least(3, 6, 10)
    }
}

impl FromStr for JujuVersion {
    type Err = JujuVersionError;

    /// Parses `3.6.4`, `3.6`, `3.6-beta2`, `3.6.4.1`, `3.6-rc1.2`: up to nine digits per
    /// number, a lowercase tag.
    fn from_str(s: &str) -> Result<JujuVersion, JujuVersionError> {
        let bad = || JujuVersionError {
            value: s.to_owned(),
        };
        let number = |part: &str| -> Result<u32, JujuVersionError> {
            if part.is_empty() || part.len() > 9 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let (major, rest) = s.split_once('.').ok_or_else(bad)?;
        let major = number(major)?;
        // The minor number runs to the first '.' or '-'.
        let end = rest.find(['.', '-']).unwrap_or(rest.len());
        let minor = number(&rest[..end])?;
        let rest = &rest[end..];
        let (tag, patch, rest) = if let Some(after) = rest.strip_prefix('-') {
            let letters = after.bytes().take_while(u8::is_ascii_lowercase).count();
            if letters == 0 {
                return Err(bad());
            }
            let digits_end = after[letters..]
                .find('.')
                .map_or(after.len(), |i| i + letters);
            (
                after[..letters].to_owned(),
                number(&after[letters..digits_end])?,
                &after[digits_end..],
            )
        } else if let Some(after) = rest.strip_prefix('.') {
            let end = after.find('.').unwrap_or(after.len());
            (String::new(), number(&after[..end])?, &after[end..])
        } else {
            (String::new(), 0, rest)
        };
        let build = match rest.strip_prefix('.') {
            Some(b) => number(b)?,
            None if rest.is_empty() => 0,
            None => return Err(bad()),
        };
        Ok(JujuVersion {
            major,
            minor,
            tag,
            patch,
            build,
        })
    }
}

impl fmt::Display for JujuVersion {
    /// `3.6.4`, `3.6-beta2`, with `.build` when it is not 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tag.is_empty() {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        } else {
            write!(
                f,
                "{}.{}-{}{}",
                self.major, self.minor, self.tag, self.patch
            )?;
        }
        if self.build > 0 {
            write!(f, ".{}", self.build)?;
        }
        Ok(())
    }
}

impl Ord for JujuVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let tag = match (self.tag.is_empty(), other.tag.is_empty()) {
            (true, true) => Ordering::Equal,
            // A release comes after any pre-release of it.
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.tag.cmp(&other.tag),
        };
        (self.major, self.minor)
            .cmp(&(other.major, other.minor))
            .then(tag)
            .then((self.patch, self.build).cmp(&(other.patch, other.build)))
    }
}

impl PartialOrd for JujuVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl serde::Serialize for JujuVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for JujuVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> JujuVersion {
        s.parse().unwrap()
    }

    /// Major, minor, tag, patch, build.
    type Parts = (u32, u32, &'static str, u32, u32);

    #[test]
    fn parses_every_form() {
        let cases: &[(&str, Parts)] = &[
            ("0.0.0", (0, 0, "", 0, 0)),
            ("3.6", (3, 6, "", 0, 0)),
            ("3.6.4", (3, 6, "", 4, 0)),
            ("3.6.4.1", (3, 6, "", 4, 1)),
            ("3.6-beta2", (3, 6, "beta", 2, 0)),
            ("3.6-rc1.5", (3, 6, "rc", 1, 5)),
            ("10.20.30", (10, 20, "", 30, 0)),
            ("123456789.0.0", (123_456_789, 0, "", 0, 0)),
        ];
        for (text, (major, minor, tag, patch, build)) in cases {
            let got = v(text);
            assert_eq!(
                (got.major, got.minor, got.tag.as_str(), got.patch, got.build),
                (*major, *minor, *tag, *patch, *build),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_what_juju_never_sets() {
        for bad in [
            "",
            "3",
            "3.",
            ".6",
            "3.6.",
            "3.6..4",
            "3.6-",
            "3.6-2",
            "3.6-Beta2",
            "3.6-beta",
            "3.6.4.1.2",
            "3.6.4-beta1",
            "a.b.c",
            "3.6.x",
            "1234567890.0.0",
            "3.6 ",
            " 3.6",
            "-3.6",
            "3.6-beta2-1",
            "３.6",
        ] {
            assert!(bad.parse::<JujuVersion>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn displays_as_it_parses() {
        for text in ["3.6.4", "3.6-beta2", "3.6.4.1", "3.6-rc1.5", "0.0.0"] {
            assert_eq!(v(text).to_string(), text);
        }
        assert_eq!(v("3.6").to_string(), "3.6.0");
    }

    #[test]
    fn orders_as_juju_releases() {
        let ordered = [
            "2.9.0",
            "3.0-beta1",
            "3.0.0",
            "3.5.4",
            "3.5.5",
            "3.6-alpha3",
            "3.6-beta1",
            "3.6-beta2",
            "3.6-rc1",
            "3.6.0",
            "3.6.0.1",
            "3.6.2",
            "3.10.0",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("3.6"), v("3.6.0"));
    }

    #[test]
    fn feature_gates() {
        assert!(!JujuVersion::UNKNOWN.has_secrets());
        assert!(!v("3.0.2").has_secrets() && v("3.0.3").has_secrets());
        assert!(v("3.1.6").supports_exec_service_context());
        assert!(!v("3.2.0").supports_exec_service_context());
        assert!(v("3.2.1").supports_exec_service_context());
        assert!(!v("3.3.9").has_pebble_notices() && v("3.4.0").has_pebble_notices());
        assert!(!v("3.5.7").coalesces_secret_set());
        assert!(!v("3.6-rc1").coalesces_secret_set());
        assert!(v("3.6.0").coalesces_secret_set());
        assert!(!v("3.6.1").has_relation_model_get() && v("3.6.2").has_relation_model_get());
        assert!(!v("3.6.9").supports_cloud_spec_on_k8s());
        assert!(v("3.6.10").supports_cloud_spec_on_k8s());
    }

    #[test]
    fn serde_as_a_string() {
        let json = serde_json::to_string(&v("3.6-beta2")).unwrap();
        assert_eq!(json, "\"3.6-beta2\"");
        assert_eq!(
            serde_json::from_str::<JujuVersion>(&json).unwrap(),
            v("3.6-beta2")
        );
        assert!(serde_json::from_str::<JujuVersion>("\"x\"").is_err());
    }
}
