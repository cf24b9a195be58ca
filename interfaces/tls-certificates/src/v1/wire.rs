//! The relation data of `tls-certificates` v1, as the Python library writes and reads it.
//!
//! | Databag | Key | Value (JSON in a string) |
//! |---|---|---|
//! | requirer unit (mode unit) or app (mode app) | `certificate_signing_requests` | `[{"certificate_signing_request": PEM, "ca": bool}]` |
//! | provider app | `certificates` | `[{"certificate": PEM, "certificate_signing_request": PEM, "ca": PEM, "chain": [PEM]?, "revoked": bool?}]` |
//! | provider app | `request_errors` | `[{"csr": PEM, "error": {"code": int, "name": str, "message": str, "reason"?, "provider"?, "endpoint"?}}]` |
//! | provider app | `capabilities` | `{"supports_ip_sans"?: bool, ...}` |
//!
//! PEM values are the text itself (the interface README's examples show them base64-encoded;
//! the library writes, and providers read, plain PEM, stripped of surrounding whitespace).
//! `request_errors` entries name their CSR `csr` in the library and
//! `certificate_signing_request` in the interface's schema: both are read.
//!
//! Reading is lenient where the Python library is strict: a bad entry is skipped with a
//! [`Problem`] and the others are still used (the library drops the whole bag), so one bad
//! certificate for another unit does not hide ours.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The key of the requirer's CSR list.
pub const CSRS_KEY: &str = "certificate_signing_requests";
/// The key of the provider's certificate list.
pub const CERTIFICATES_KEY: &str = "certificates";
/// The key of the provider's list of refused requests.
pub const REQUEST_ERRORS_KEY: &str = "request_errors";
/// The key of the provider's capabilities.
pub const CAPABILITIES_KEY: &str = "capabilities";

/// One CSR in the requirer's databag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrEntry {
    /// The CSR, PEM.
    pub certificate_signing_request: String,
    /// Whether a CA certificate is requested (`null` and absent read as `false`; written
    /// always, as the Python library does).
    #[serde(default, deserialize_with = "null_as_false")]
    pub ca: bool,
}

fn null_as_false<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// One certificate in the provider's databag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateEntry {
    /// The certificate, PEM.
    pub certificate: String,
    /// The CSR it answers, PEM.
    pub certificate_signing_request: String,
    /// The CA certificate that signed it, PEM.
    pub ca: String,
    /// The chain, leaf first (optional; `null` reads as empty).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub chain: Vec<String>,
    /// Whether the provider revoked it.
    #[serde(default, deserialize_with = "null_as_false")]
    pub revoked: bool,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// Why a provider could not issue a certificate (`request_errors[].error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderError {
    /// 1XX: the request (101 IP not allowed, 102 domain not allowed, 103 wildcard not
    /// allowed); 2XX: the server (201 not available); 9XX: other.
    pub code: i64,
    /// Machine-readable name (`ip_not_allowed`, ...).
    pub name: String,
    /// What the provider says.
    pub message: String,
    /// More detail, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The provider or backend, if said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The backend's URL, if said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// One refused request in the provider's databag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestErrorEntry {
    /// The CSR that was refused, PEM.
    pub certificate_signing_request: String,
    /// Why.
    pub error: ProviderError,
}

#[derive(Deserialize)]
struct RawRequestError {
    #[serde(default)]
    csr: Option<String>,
    #[serde(default)]
    certificate_signing_request: Option<String>,
    error: ProviderError,
}

/// What a provider says it can issue (every field optional: `None` is "not said").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProviderCapabilities {
    /// IP addresses accepted in SANs.
    #[serde(default)]
    pub supports_ip_sans: Option<bool>,
    /// Wildcard DNS names accepted.
    #[serde(default)]
    pub supports_wildcard_dns: Option<bool>,
    /// Subdomain certificates issued.
    #[serde(default)]
    pub supports_subdomain: Option<bool>,
    /// CA certificates issued.
    #[serde(default)]
    pub supports_ca_certificates: Option<bool>,
    /// The DNS domains allowed, if limited.
    #[serde(default)]
    pub allowed_domains: Option<Vec<String>>,
    /// A hint of the provider's kind (`acme`, `vault`, ...).
    #[serde(default)]
    pub provider_type: Option<String>,
}

/// Something in a databag that could not be used, said so that an operator can find it:
/// which key, which entry, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(pub String);

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The entries of the JSON list under `key` that fit `T`, with their index in the list; the
/// rest as problems. An absent key is an empty list.
fn list<T: serde::de::DeserializeOwned>(
    bag: &std::collections::BTreeMap<String, String>,
    key: &str,
    problems: &mut Vec<Problem>,
) -> Vec<(usize, T)> {
    let Some(text) = bag.get(key) else {
        return Vec::new();
    };
    let items = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items,
        Ok(other) => {
            problems.push(Problem(format!(
                "`{key}` is JSON {}, expected a list",
                kind_of(&other)
            )));
            return Vec::new();
        }
        Err(e) => {
            problems.push(Problem(format!("`{key}` is not JSON ({e})")));
            return Vec::new();
        }
    };
    items
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| match serde_json::from_value::<T>(item) {
            Ok(v) => Some((i, v)),
            Err(e) => {
                problems.push(Problem(format!("`{key}` entry {i} is skipped: {e}")));
                None
            }
        })
        .collect()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The CSRs of a requirer databag.
pub fn read_csrs(
    bag: &std::collections::BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Vec<CsrEntry> {
    list(bag, CSRS_KEY, problems)
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

/// The value to write under [`CSRS_KEY`] (`None`: delete the key, as the Python library
/// leaves no key for an empty list).
pub fn csrs_value(entries: &[CsrEntry]) -> Option<String> {
    if entries.is_empty() {
        return None;
    }
    serde_json::to_string(entries).ok()
}

/// Everything a provider's application databag says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderData {
    /// The certificates.
    pub certificates: Vec<CertificateEntry>,
    /// The refused requests.
    pub request_errors: Vec<RequestErrorEntry>,
    /// The capabilities, if advertised.
    pub capabilities: Option<ProviderCapabilities>,
}

/// Reads a provider's application databag.
pub fn read_provider(
    bag: &std::collections::BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> ProviderData {
    let certificates = list(bag, CERTIFICATES_KEY, problems)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let request_errors = list::<RawRequestError>(bag, REQUEST_ERRORS_KEY, problems)
        .into_iter()
        .filter_map(
            |(i, raw)| match raw.csr.or(raw.certificate_signing_request) {
                Some(csr) => Some(RequestErrorEntry {
                    certificate_signing_request: csr,
                    error: raw.error,
                }),
                None => {
                    problems.push(Problem(format!(
                        "`{REQUEST_ERRORS_KEY}` entry {i} is skipped: it names no CSR (`csr`)"
                    )));
                    None
                }
            },
        )
        .collect();
    let capabilities = bag.get(CAPABILITIES_KEY).and_then(|text| {
        match serde_json::from_str::<ProviderCapabilities>(text) {
            Ok(c) => Some(c),
            Err(e) => {
                problems.push(Problem(format!(
                    "`{CAPABILITIES_KEY}` is not a capabilities object ({e})"
                )));
                None
            }
        }
    });
    ProviderData {
        certificates,
        request_errors,
        capabilities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn bag(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn csrs_round_trip_and_ca_is_always_written() {
        let entries = vec![CsrEntry {
            certificate_signing_request: "PEM".into(),
            ca: false,
        }];
        let text = csrs_value(&entries).unwrap();
        assert_eq!(
            text,
            r#"[{"certificate_signing_request":"PEM","ca":false}]"#
        );
        let mut problems = Vec::new();
        assert_eq!(
            read_csrs(&bag(&[(CSRS_KEY, &text)]), &mut problems),
            entries
        );
        assert!(problems.is_empty());
        assert_eq!(csrs_value(&[]), None);
        // null or absent ca is false
        let text = r#"[{"certificate_signing_request":"A","ca":null},{"certificate_signing_request":"B"}]"#;
        let read = read_csrs(&bag(&[(CSRS_KEY, text)]), &mut problems);
        assert!(read.iter().all(|e| !e.ca));
    }

    #[test]
    fn one_bad_certificate_entry_does_not_hide_the_others() {
        let text = r#"[{"certificate":"C","certificate_signing_request":"R","ca":"A"},
                       {"certificate":1},
                       {"certificate":"C2","certificate_signing_request":"R2","ca":"A","chain":null,"revoked":true}]"#;
        let mut problems = Vec::new();
        let data = read_provider(&bag(&[(CERTIFICATES_KEY, text)]), &mut problems);
        assert_eq!(data.certificates.len(), 2);
        assert!(data.certificates[1].revoked);
        assert!(data.certificates[1].chain.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].0.contains("`certificates` entry 1 is skipped"),
            "{problems:?}"
        );
    }

    #[test]
    fn not_json_and_not_a_list_are_problems() {
        let mut problems = Vec::new();
        let data = read_provider(
            &bag(&[
                (CERTIFICATES_KEY, "{nope"),
                (REQUEST_ERRORS_KEY, r#"{"a":1}"#),
            ]),
            &mut problems,
        );
        assert!(data.certificates.is_empty());
        assert!(
            problems[0].0.contains("`certificates` is not JSON"),
            "{problems:?}"
        );
        assert!(
            problems[1]
                .0
                .contains("`request_errors` is JSON an object, expected a list"),
            "{problems:?}"
        );
    }

    #[test]
    fn request_errors_are_read_under_either_name_for_their_csr() {
        let text = r#"[{"csr":"A","error":{"code":101,"name":"ip_not_allowed","message":"no IPs"}},
                       {"certificate_signing_request":"B","error":{"code":201,"name":"server_not_available","message":"sealed","provider":"vault"}},
                       {"error":{"code":999,"name":"other","message":"?"}}]"#;
        let mut problems = Vec::new();
        let data = read_provider(&bag(&[(REQUEST_ERRORS_KEY, text)]), &mut problems);
        let csrs: Vec<&str> = data
            .request_errors
            .iter()
            .map(|e| e.certificate_signing_request.as_str())
            .collect();
        assert_eq!(csrs, ["A", "B"]);
        assert_eq!(
            data.request_errors[1].error.provider.as_deref(),
            Some("vault")
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn capabilities_are_optional_field_by_field() {
        let mut problems = Vec::new();
        let data = read_provider(
            &bag(&[(
                CAPABILITIES_KEY,
                r#"{"supports_ip_sans":false,"provider_type":"acme"}"#,
            )]),
            &mut problems,
        );
        let caps = data.capabilities.unwrap();
        assert_eq!(caps.supports_ip_sans, Some(false));
        assert_eq!(caps.supports_wildcard_dns, None);
        assert_eq!(read_provider(&bag(&[]), &mut problems).capabilities, None);
        assert!(problems.is_empty());
    }
}
