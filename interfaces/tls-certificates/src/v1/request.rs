//! [`CertificateRequest`]: what a certificate should say (subject, SANs, CA or not), checked
//! when it is built; [`Mode`]: whose certificate it is.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Whose certificate a request is for, and so which databag its CSR goes to.
///
/// As the Python library's `Mode`: in [`Mode::Unit`] every unit has its own private key,
/// CSR (in its unit databag) and certificate; in [`Mode::App`] the leader holds the
/// application's key (an application-owned secret), puts the CSR in the application databag
/// and receives the certificate. A requirer can make requests of both modes (the Python
/// library's `APP_AND_UNIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// This unit's certificate: its own key, its unit databag.
    Unit,
    /// The application's certificate: the leader's business, the application databag.
    App,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Unit => "unit",
            Mode::App => "app",
        })
    }
}

/// A request that cannot become a CSR, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// Neither a common name nor a SAN: the certificate would name nothing.
    #[error(
        "a certificate request needs a common name or at least one subject alternative name \
         (DNS or IP): it would name nothing"
    )]
    NamesNothing,
    /// A subject field is empty or longer than X.509 allows.
    #[error(
        "the {field} {value:?} is {len} characters; X.509 allows 1 to {max} (RFC 5280, \
         appendix A), and providers refuse longer ones: shorten it or leave it out"
    )]
    FieldLength {
        /// The field (`common name`, `organization`, ...).
        field: &'static str,
        /// Its value.
        value: String,
        /// Its length in characters.
        len: usize,
        /// The most X.509 allows.
        max: usize,
    },
    /// The country is not two letters.
    #[error("the country name {0:?} must be a two-letter ISO 3166 code, such as \"GB\"")]
    Country(String),
    /// A DNS SAN that is not a DNS name.
    #[error(
        "the DNS name {0:?} is not a DNS name (letters, digits, '-', '.', and a leading '*.' \
         for a wildcard; no spaces, no empty labels)"
    )]
    DnsName(String),
    /// A value that a certificate cannot carry (a control character).
    #[error("the {field} {value:?} has a control character, which a certificate cannot carry")]
    ControlCharacter {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
}

/// The attributes of one certificate to request: the Python library's
/// `CertificateRequestAttributes` (common name, DNS and IP SANs, e-mail, organization,
/// organizational unit, country, state or province, locality, CA or not, and a unique id in
/// the subject).
///
/// Built with [`CertificateRequest::builder`], which checks what a provider would refuse:
///
/// ```
/// use std::net::IpAddr;
/// use ops_interface_tls_certificates::v1::CertificateRequest;
/// let request = CertificateRequest::builder()
///     .common_name("web.example.com")
///     .dns("web.example.com")
///     .dns("*.web.example.com")
///     .ip("10.1.2.3".parse::<IpAddr>()?)
///     .organization("Example")
///     .build()?;
/// assert_eq!(request.common_name(), Some("web.example.com"));
/// assert_eq!(request.sans_dns().count(), 2);
///
/// let nothing = CertificateRequest::builder().organization("Example").build();
/// assert!(nothing.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Two requests are equal when they would make the same CSR apart from its key and unique
/// id: this is how the requirer matches the CSRs in its databag to its configuration, as the
/// Python library does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateRequest {
    pub(crate) common_name: Option<String>,
    pub(crate) sans_dns: BTreeSet<String>,
    pub(crate) sans_ip: BTreeSet<IpAddr>,
    pub(crate) email_address: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) organizational_unit: Option<String>,
    pub(crate) country_name: Option<String>,
    pub(crate) state_or_province_name: Option<String>,
    pub(crate) locality_name: Option<String>,
    pub(crate) is_ca: bool,
    pub(crate) add_unique_id_to_subject_name: bool,
}

/// Builds a [`CertificateRequest`]; [`build`](Self::build) checks it.
#[derive(Debug, Clone)]
#[must_use]
pub struct CertificateRequestBuilder(CertificateRequest);

impl CertificateRequest {
    /// A builder with nothing set, not a CA, with a unique id in the subject (the Python
    /// library's default).
    pub fn builder() -> CertificateRequestBuilder {
        CertificateRequestBuilder(CertificateRequest {
            common_name: None,
            sans_dns: BTreeSet::new(),
            sans_ip: BTreeSet::new(),
            email_address: None,
            organization: None,
            organizational_unit: None,
            country_name: None,
            state_or_province_name: None,
            locality_name: None,
            is_ca: false,
            add_unique_id_to_subject_name: true,
        })
    }

    /// The subject's common name.
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    /// The DNS subject alternative names, sorted.
    pub fn sans_dns(&self) -> impl Iterator<Item = &str> {
        self.sans_dns.iter().map(String::as_str)
    }

    /// The IP subject alternative names, sorted.
    pub fn sans_ip(&self) -> impl Iterator<Item = &IpAddr> {
        self.sans_ip.iter()
    }

    /// The subject's e-mail address.
    pub fn email_address(&self) -> Option<&str> {
        self.email_address.as_deref()
    }

    /// The subject's organization.
    pub fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }

    /// The subject's organizational unit.
    pub fn organizational_unit(&self) -> Option<&str> {
        self.organizational_unit.as_deref()
    }

    /// The subject's country (two letters).
    pub fn country_name(&self) -> Option<&str> {
        self.country_name.as_deref()
    }

    /// The subject's state or province.
    pub fn state_or_province_name(&self) -> Option<&str> {
        self.state_or_province_name.as_deref()
    }

    /// The subject's locality.
    pub fn locality_name(&self) -> Option<&str> {
        self.locality_name.as_deref()
    }

    /// Whether a CA certificate is requested (`"ca": true` next to the CSR).
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// Whether each CSR carries a fresh unique id (`x500UniqueIdentifier`) in its subject, so
    /// that a renewal's CSR differs from the one it replaces.
    pub fn add_unique_id_to_subject_name(&self) -> bool {
        self.add_unique_id_to_subject_name
    }
}

impl CertificateRequestBuilder {
    /// Sets the common name (at most 64 characters).
    pub fn common_name(mut self, name: impl Into<String>) -> Self {
        self.0.common_name = Some(name.into());
        self
    }

    /// Adds a DNS subject alternative name (`*.` allowed as the first label).
    pub fn dns(mut self, name: impl Into<String>) -> Self {
        self.0.sans_dns.insert(name.into());
        self
    }

    /// Adds an IP subject alternative name.
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.0.sans_ip.insert(ip);
        self
    }

    /// Sets the e-mail address in the subject.
    pub fn email_address(mut self, email: impl Into<String>) -> Self {
        self.0.email_address = Some(email.into());
        self
    }

    /// Sets the organization.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.0.organization = Some(organization.into());
        self
    }

    /// Sets the organizational unit.
    pub fn organizational_unit(mut self, unit: impl Into<String>) -> Self {
        self.0.organizational_unit = Some(unit.into());
        self
    }

    /// Sets the country (a two-letter ISO 3166 code).
    pub fn country_name(mut self, country: impl Into<String>) -> Self {
        self.0.country_name = Some(country.into());
        self
    }

    /// Sets the state or province.
    pub fn state_or_province_name(mut self, state: impl Into<String>) -> Self {
        self.0.state_or_province_name = Some(state.into());
        self
    }

    /// Sets the locality.
    pub fn locality_name(mut self, locality: impl Into<String>) -> Self {
        self.0.locality_name = Some(locality.into());
        self
    }

    /// Requests a CA certificate (default: no).
    pub fn ca(mut self, is_ca: bool) -> Self {
        self.0.is_ca = is_ca;
        self
    }

    /// Whether each CSR carries a fresh unique id in its subject (default: yes, as the Python
    /// library, which says to keep it for CSRs sent over this relation).
    pub fn unique_id(mut self, yes: bool) -> Self {
        self.0.add_unique_id_to_subject_name = yes;
        self
    }

    /// The request, checked: it names something (a common name or a SAN), its subject fields
    /// fit X.509's limits, the country is two letters, the DNS names are DNS names.
    ///
    /// # Errors
    ///
    /// [`InvalidRequest`] says which field and why.
    pub fn build(self) -> Result<CertificateRequest, InvalidRequest> {
        let r = self.0;
        if r.common_name.is_none() && r.sans_dns.is_empty() && r.sans_ip.is_empty() {
            return Err(InvalidRequest::NamesNothing);
        }
        // RFC 5280 appendix A: ub-common-name 64, ub-organization-name 64,
        // ub-organizational-unit-name 64, ub-state-name 128, ub-locality-name 128,
        // ub-emailaddress-length 255.
        let fields = [
            ("common name", &r.common_name, 64),
            ("e-mail address", &r.email_address, 255),
            ("organization", &r.organization, 64),
            ("organizational unit", &r.organizational_unit, 64),
            ("state or province name", &r.state_or_province_name, 128),
            ("locality name", &r.locality_name, 128),
        ];
        for (field, value, max) in fields {
            if let Some(v) = value {
                check_text(field, v, max)?;
            }
        }
        if let Some(c) = &r.country_name {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(InvalidRequest::Country(c.clone()));
            }
        }
        for name in &r.sans_dns {
            if !is_dns_name(name) {
                return Err(InvalidRequest::DnsName(name.clone()));
            }
        }
        Ok(r)
    }
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), InvalidRequest> {
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(InvalidRequest::FieldLength {
            field,
            value: value.to_owned(),
            len,
            max,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidRequest::ControlCharacter {
            field,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// A DNS name as certificates carry them: labels of letters, digits, `-` and `_`, at most 63
/// bytes each and 253 in all, optionally a leading `*` label.
fn is_dns_name(name: &str) -> bool {
    let bare = name.strip_prefix("*.").unwrap_or(name);
    if bare.is_empty() || name.len() > 253 {
        return false;
    }
    bare.trim_end_matches('.').split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_must_name_something() {
        assert_eq!(
            CertificateRequest::builder().build(),
            Err(InvalidRequest::NamesNothing)
        );
        assert!(
            CertificateRequest::builder()
                .dns("a.example")
                .build()
                .is_ok()
        );
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(CertificateRequest::builder().ip(ip).build().is_ok());
    }

    #[test]
    fn subject_fields_are_checked_against_x509_limits() {
        let long = "x".repeat(65);
        let e = CertificateRequest::builder()
            .common_name(&long)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("common name"), "{e}");
        assert!(e.to_string().contains("65 characters"), "{e}");
        let e = CertificateRequest::builder()
            .common_name("a")
            .country_name("GBR")
            .build()
            .unwrap_err();
        assert_eq!(e, InvalidRequest::Country("GBR".into()));
        let e = CertificateRequest::builder()
            .common_name("a")
            .organization("")
            .build()
            .unwrap_err();
        assert!(
            matches!(e, InvalidRequest::FieldLength { len: 0, .. }),
            "{e}"
        );
        let e = CertificateRequest::builder()
            .common_name("a\nb")
            .build()
            .unwrap_err();
        assert!(matches!(e, InvalidRequest::ControlCharacter { .. }), "{e}");
    }

    #[test]
    fn dns_names_are_checked() {
        for good in ["a.example", "*.a.example", "a-b.c_d.example.", "localhost"] {
            assert!(is_dns_name(good), "{good}");
        }
        for bad in [
            "",
            "*.",
            "a..b",
            "a b",
            "a/b",
            &format!("{}.x", "a".repeat(64)),
        ] {
            assert!(!is_dns_name(bad), "{bad}");
        }
        let e = CertificateRequest::builder()
            .dns("not a name")
            .build()
            .unwrap_err();
        assert_eq!(e, InvalidRequest::DnsName("not a name".into()));
    }

    #[test]
    fn equal_requests_are_equal_whatever_the_order_of_their_sans() {
        let a = CertificateRequest::builder()
            .dns("b.example")
            .dns("a.example")
            .build()
            .unwrap();
        let b = CertificateRequest::builder()
            .dns("a.example")
            .dns("b.example")
            .build()
            .unwrap();
        assert_eq!(a, b);
        assert!(a.add_unique_id_to_subject_name());
        assert!(!a.is_ca());
    }
}
