//! Identities (`/v1/identities`): who may use the API, and with what access.
//!
//! `Debug` never prints a password or a certificate.
//!
//! # Example
//! ```
//! use pebble_client::{Identity, IdentityAccess};
//! let id = Identity::basic(IdentityAccess::Metrics, "$6$hash");
//! assert!(!format!("{id:?}").contains("hash"));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use super::string_enum::string_enum;

string_enum! {
    /// What an identity may do.
    pub enum IdentityAccess {
        /// Everything.
        Admin = "admin",
        /// Read-only endpoints.
        Read = "read",
        /// Only `/v1/metrics`.
        Metrics = "metrics",
        /// Only open endpoints.
        Untrusted = "untrusted",
    }
}

/// A named identity: an access level and at least one way to authenticate.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Its access level.
    pub access: IdentityAccess,
    /// Authenticated by the peer's unix user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalIdentity>,
    /// Authenticated by HTTP basic auth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<BasicIdentity>,
    /// Authenticated by a TLS client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<CertIdentity>,
}

impl Identity {
    /// A local identity for unix user `user_id`.
    pub fn local(access: IdentityAccess, user_id: u32) -> Self {
        Self {
            access,
            local: Some(LocalIdentity { user_id }),
            basic: None,
            cert: None,
        }
    }

    /// A basic-auth identity with a crypt(3) password hash.
    pub fn basic(access: IdentityAccess, password_hash: impl Into<String>) -> Self {
        Self {
            access,
            local: None,
            basic: Some(BasicIdentity {
                password: password_hash.into(),
            }),
            cert: None,
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("access", &self.access)
            .field("local", &self.local)
            .field("basic", &self.basic)
            .field("cert", &self.cert)
            .finish()
    }
}

/// Authentication by unix user id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LocalIdentity {
    /// The unix user id.
    pub user_id: u32,
}

/// Authentication by HTTP basic auth. `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicIdentity {
    /// The crypt(3) password hash (Pebble returns it masked as `*****`).
    pub password: String,
}

impl fmt::Debug for BasicIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicIdentity")
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Authentication by TLS client certificate. `Debug` redacts the PEM.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertIdentity {
    /// The PEM-encoded certificate (Pebble returns it masked as `*****`).
    pub pem: String,
}

impl fmt::Debug for CertIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertIdentity")
            .field("pem", &"<redacted>")
            .finish()
    }
}

/// What `POST /v1/identities` does with the identities given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentitiesAction {
    /// Add new identities (names must not exist).
    Add,
    /// Update existing identities.
    Update,
    /// Add or update; a `None` value removes that identity.
    Replace,
    /// Remove identities (values must be `None`).
    Remove,
}

impl IdentitiesAction {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Update => "update",
            Self::Replace => "replace",
            Self::Remove => "remove",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let mut id = Identity::basic(IdentityAccess::Admin, "secret-hash");
        id.cert = Some(CertIdentity {
            pem: "-----BEGIN CERTIFICATE-----".into(),
        });
        let dbg = format!("{id:?}");
        assert!(
            !dbg.contains("secret-hash") && !dbg.contains("BEGIN"),
            "{dbg}"
        );
    }

    #[test]
    fn round_trip() {
        let json = r#"{"access":"read","local":{"user-id":1000}}"#;
        let id: Identity = serde_json::from_str(json).unwrap();
        assert_eq!(id, Identity::local(IdentityAccess::Read, 1000));
        assert_eq!(serde_json::to_string(&id).unwrap(), json);
        let masked: Identity =
            serde_json::from_str(r#"{"access":"metrics","basic":{"password":"*****"}}"#).unwrap();
        assert_eq!(masked.basic.unwrap().password, "*****");
    }
}
