//! `credential-get`: the cloud spec, for charms trusted with the cloud credential.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use super::{HookToolError, HookToolRunner, args, parse_json, run};

/// The cloud the model runs on, with its credential (`juju trust` required).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct CloudSpec {
    /// The cloud type, e.g. `lxd`, `ec2`, `kubernetes`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The cloud name.
    pub name: String,
    /// The region, if any.
    #[serde(default)]
    pub region: Option<String>,
    /// The API endpoint.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The identity endpoint.
    #[serde(default)]
    pub identity_endpoint: Option<String>,
    /// The storage endpoint.
    #[serde(default)]
    pub storage_endpoint: Option<String>,
    /// The credential.
    #[serde(default)]
    pub credential: Option<CloudCredential>,
    /// CA certificates.
    #[serde(default, rename = "cacertificates")]
    pub ca_certificates: Vec<String>,
    /// Whether TLS verification is skipped.
    #[serde(default)]
    pub skip_tls_verify: bool,
    /// Whether this is the controller's cloud.
    #[serde(default)]
    pub is_controller_cloud: bool,
}

/// A cloud credential. `Debug` does not show the attribute values.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct CloudCredential {
    /// The auth type, e.g. `userpass`.
    pub auth_type: String,
    /// The attributes (secrets: keys, passwords).
    #[serde(default, rename = "attrs")]
    pub attributes: BTreeMap<String, String>,
    /// Attributes Juju redacted.
    #[serde(default)]
    pub redacted: Vec<String>,
}

impl fmt::Debug for CloudCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudCredential")
            .field("auth_type", &self.auth_type)
            .field("attributes", &self.attributes.keys().collect::<Vec<_>>())
            .field("redacted", &self.redacted)
            .finish()
    }
}

/// `credential-get --format=json`.
pub fn credential_get(r: &dyn HookToolRunner) -> Result<CloudSpec, HookToolError> {
    let out = run(r, "credential-get", args(["--format=json"]), None)?;
    parse_json("credential-get", &out, "a cloud spec object", true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_parse_and_redaction() {
        let r = answering(
            r#"{"type":"ec2","name":"aws","region":"eu","credential":{"auth-type":"access-key","attrs":{"secret-key":"s3cr3t"}}}"#,
        );
        let c = credential_get(&r).unwrap();
        assert_eq!(r.lines(), ["credential-get --format=json"]);
        assert_eq!(c.kind, "ec2");
        let cred = c.credential.unwrap();
        assert_eq!(cred.attributes["secret-key"], "s3cr3t");
        assert!(!format!("{cred:?}").contains("s3cr3t"));
        let e = credential_get(&answering(
            r#"{"type": "x", "name": "s3cr3t", "credential": 5}"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(!e.contains("s3cr3t"), "{e}");
    }
}
