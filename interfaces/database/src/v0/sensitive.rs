//! [`Sensitive`]: a credential that never shows in `Debug` output or logs.

use std::fmt;

/// A credential (a password, a URI with a password in it): read it with
/// [`expose`](Sensitive::expose); `Debug` prints `<redacted>` and there is no `Display`.
///
/// ```
/// use ops_interface_database::v0::Sensitive;
/// let password = Sensitive::new("hunter2");
/// assert_eq!(password.expose(), "hunter2");
/// assert_eq!(format!("{password:?}"), "Sensitive(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(String);

impl Sensitive {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Sensitive(value.into())
    }

    /// The value itself: keep it out of logs, statuses and stored state.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}
