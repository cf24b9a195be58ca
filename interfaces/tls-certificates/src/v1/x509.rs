//! X.509 through maintained crates: CSRs built and signed by rcgen, certificates and CSRs read
//! by x509-parser. No ASN.1 is written here by hand.

use std::collections::BTreeSet;
use std::net::IpAddr;

use time::OffsetDateTime;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::FromDer;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use super::key::PrivateKey;
use super::request::CertificateRequest;

/// `x500UniqueIdentifier` (2.5.4.45): the fresh id the Python library puts in each CSR's
/// subject, so a renewal's CSR differs from the one it replaces.
const UNIQUE_ID: [u64; 4] = [2, 5, 4, 45];
/// `emailAddress` (1.2.840.113549.1.9.1), in the subject as the Python library puts it.
const EMAIL: [u64; 7] = [1, 2, 840, 113_549, 1, 9, 1];

/// PEM text, or the DER inside it, that is not what it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct X509Error(pub(crate) String);

/// PEM text as the relation carries it: trimmed, with `\n` line ends (the Python library
/// strips the PEM it writes, and compares CSRs as text).
pub(crate) fn normalize_pem(pem: &str) -> String {
    pem.trim().replace("\r\n", "\n")
}

/// A new CSR for `request`, signed with `key`: the subject in the Python library's order
/// (common name, unique id, organization, organizational unit, e-mail, country, state,
/// locality) and the SANs in one extension. Returns the normalized PEM.
pub(crate) fn generate_csr(
    request: &CertificateRequest,
    key: &PrivateKey,
) -> Result<String, X509Error> {
    use rcgen::{CertificateParams, DnType, DnValue, SanType};
    let pair = key
        .key_pair()
        .map_err(|e| X509Error(format!("cannot sign a CSR: {e}")))?;
    let mut params = CertificateParams::default();
    let dn = &mut params.distinguished_name;
    if let Some(cn) = &request.common_name {
        dn.push(DnType::CommonName, cn.as_str());
    }
    if request.add_unique_id_to_subject_name {
        dn.push(DnType::CustomDnType(UNIQUE_ID.to_vec()), random_uuid()?);
    }
    if let Some(o) = &request.organization {
        dn.push(DnType::OrganizationName, o.as_str());
    }
    if let Some(ou) = &request.organizational_unit {
        dn.push(DnType::OrganizationalUnitName, ou.as_str());
    }
    if let Some(email) = &request.email_address {
        let value = rcgen::string::Ia5String::try_from(email.as_str()).map_err(|e| {
            X509Error(format!(
                "the e-mail address {email:?} must be ASCII (IA5String): {e}"
            ))
        })?;
        dn.push(
            DnType::CustomDnType(EMAIL.to_vec()),
            DnValue::Ia5String(value),
        );
    }
    if let Some(c) = &request.country_name {
        let value = rcgen::string::PrintableString::try_from(c.as_str()).map_err(|e| {
            X509Error(format!(
                "the country name {c:?} must be printable ASCII: {e}"
            ))
        })?;
        dn.push(DnType::CountryName, DnValue::PrintableString(value));
    }
    if let Some(st) = &request.state_or_province_name {
        dn.push(DnType::StateOrProvinceName, st.as_str());
    }
    if let Some(l) = &request.locality_name {
        dn.push(DnType::LocalityName, l.as_str());
    }
    for ip in &request.sans_ip {
        params.subject_alt_names.push(SanType::IpAddress(*ip));
    }
    for name in &request.sans_dns {
        let value = rcgen::string::Ia5String::try_from(name.as_str())
            .map_err(|e| X509Error(format!("the DNS name {name:?} must be ASCII: {e}")))?;
        params.subject_alt_names.push(SanType::DnsName(value));
    }
    let csr = params
        .serialize_request(&pair)
        .map_err(|e| X509Error(format!("cannot build the CSR: {e}")))?;
    let pem = csr
        .pem()
        .map_err(|e| X509Error(format!("cannot encode the CSR as PEM: {e}")))?;
    Ok(normalize_pem(&pem))
}

/// A random (version 4) UUID, as the Python library's `uuid.uuid4()`.
fn random_uuid() -> Result<String, X509Error> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| X509Error("the system's random source failed".into()))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// The DER of the first PEM block of `pem`, which must be labelled `label`.
fn der_of(pem: &str, label: &str, what: &str) -> Result<Vec<u8>, X509Error> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.trim().as_bytes())
        .map_err(|e| X509Error(format!("the {what} is not PEM text: {e}")))?;
    if block.label != label {
        return Err(X509Error(format!(
            "the {what} is a PEM \"{}\" block, expected \"{label}\"",
            block.label
        )));
    }
    Ok(block.contents)
}

/// What the requirer needs to know of a CSR: the attributes it was made from, and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsrInfo {
    /// The attributes, as a request (the unique id as a yes/no).
    pub(crate) attributes: CertificateRequest,
    /// SANs of kinds this library never requests (OIDs, URIs, e-mail): a CSR with any of
    /// them matches no request.
    pub(crate) other_sans: bool,
    /// The public key (`subjectPublicKey`).
    pub(crate) public_key: Vec<u8>,
}

/// Reads a CSR (PEM); `is_ca` is the flag sent with it.
pub(crate) fn read_csr(pem: &str, is_ca: bool) -> Result<CsrInfo, X509Error> {
    let der = der_of(pem, "CERTIFICATE REQUEST", "CSR")?;
    let (_, csr) = X509CertificationRequest::from_der(&der)
        .map_err(|e| X509Error(format!("the CSR is not a PKCS #10 request: {e}")))?;
    let info = &csr.certification_request_info;
    let mut attributes = subject_of(&info.subject)?;
    attributes.is_ca = is_ca;
    let mut other_sans = false;
    if let Some(extensions) = csr.requested_extensions() {
        for ext in extensions {
            if let ParsedExtension::SubjectAlternativeName(san) = ext {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => {
                            attributes.sans_dns.insert((*d).to_owned());
                        }
                        GeneralName::IPAddress(bytes) => match ip_of(bytes) {
                            Some(ip) => {
                                attributes.sans_ip.insert(ip);
                            }
                            None => other_sans = true,
                        },
                        _ => other_sans = true,
                    }
                }
            }
        }
    }
    Ok(CsrInfo {
        attributes,
        other_sans,
        public_key: info.subject_pki.subject_public_key.data.to_vec(),
    })
}

fn ip_of(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// The first value of a subject field, as text.
fn first<'a>(
    mut values: impl Iterator<Item = &'a AttributeTypeAndValue<'a>>,
) -> Result<Option<String>, X509Error> {
    values
        .next()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .map_err(|e| X509Error(format!("a subject field is not text: {e}")))
        })
        .transpose()
}

/// The subject's fields, as a request with no SANs.
fn subject_of<'a>(name: &'a X509Name<'a>) -> Result<CertificateRequest, X509Error> {
    let oid = |arcs: &[u64]| {
        Oid::from(arcs).map_err(|_| X509Error(format!("the OID {arcs:?} cannot be encoded")))
    };
    let (unique, email) = (oid(&UNIQUE_ID)?, oid(&EMAIL)?);
    Ok(CertificateRequest {
        common_name: first(name.iter_common_name())?,
        sans_dns: BTreeSet::new(),
        sans_ip: BTreeSet::new(),
        email_address: first(name.iter_by_oid(&email))?,
        organization: first(name.iter_organization())?,
        organizational_unit: first(name.iter_organizational_unit())?,
        country_name: first(name.iter_country())?,
        state_or_province_name: first(name.iter_state_or_province())?,
        locality_name: first(name.iter_locality())?,
        is_ca: false,
        add_unique_id_to_subject_name: name.iter_by_oid(&unique).next().is_some(),
    })
}

/// What the requirer needs to know of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertInfo {
    /// Start of validity.
    pub(crate) not_before: OffsetDateTime,
    /// End of validity.
    pub(crate) not_after: OffsetDateTime,
    /// Basic constraints say CA.
    pub(crate) is_ca: bool,
    /// The public key (`subjectPublicKey`).
    pub(crate) public_key: Vec<u8>,
    /// The subject's common name, if any.
    pub(crate) common_name: Option<String>,
}

/// Reads a certificate (PEM).
pub(crate) fn read_certificate(pem: &str, what: &str) -> Result<CertInfo, X509Error> {
    let der = der_of(pem, "CERTIFICATE", what)?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| X509Error(format!("the {what} is not an X.509 certificate: {e}")))?;
    let validity = cert.validity();
    let time = |t: &x509_parser::time::ASN1Time| {
        OffsetDateTime::from_unix_timestamp(t.timestamp())
            .map_err(|e| X509Error(format!("the {what}'s validity is out of range: {e}")))
    };
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_owned);
    Ok(CertInfo {
        not_before: time(&validity.not_before)?,
        not_after: time(&validity.not_after)?,
        is_ca: cert.is_ca(),
        public_key: cert.public_key().subject_public_key.data.to_vec(),
        common_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::KeyAlgorithm;

    fn request() -> CertificateRequest {
        CertificateRequest::builder()
            .common_name("web.example.com")
            .dns("web.example.com")
            .dns("*.web.example.com")
            .ip("10.1.2.3".parse().unwrap())
            .ip("::1".parse().unwrap())
            .email_address("ops@example.com")
            .organization("Example")
            .organizational_unit("Web")
            .country_name("GB")
            .state_or_province_name("London")
            .locality_name("Shoreditch")
            .build()
            .unwrap()
    }

    #[test]
    fn a_csr_reads_back_as_the_request_it_was_made_from() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let req = request();
        let pem = generate_csr(&req, &key).unwrap();
        assert!(
            pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"),
            "{pem}"
        );
        assert!(pem.ends_with("-----END CERTIFICATE REQUEST-----"), "{pem}");
        let info = read_csr(&pem, false).unwrap();
        assert_eq!(info.attributes, req);
        assert!(!info.other_sans);
        assert_eq!(info.public_key, key.public_key_raw().unwrap());
        // A second CSR differs (its unique id) but reads as the same request.
        let again = generate_csr(&req, &key).unwrap();
        assert_ne!(again, pem);
        assert_eq!(read_csr(&again, false).unwrap().attributes, req);
        // The CA flag travels beside the CSR, not in it.
        assert!(read_csr(&pem, true).unwrap().attributes.is_ca());
    }

    #[test]
    fn without_a_unique_id_the_same_key_makes_the_same_request() {
        let key = PrivateKey::generate(KeyAlgorithm::Rsa2048).unwrap();
        let req = CertificateRequest::builder()
            .common_name("a.example")
            .unique_id(false)
            .build()
            .unwrap();
        let pem = generate_csr(&req, &key).unwrap();
        let info = read_csr(&pem, false).unwrap();
        assert!(!info.attributes.add_unique_id_to_subject_name());
        assert_eq!(info.attributes, req);
    }

    #[test]
    fn bad_pem_is_a_clear_error() {
        let e = read_csr("junk", false).unwrap_err();
        assert!(e.0.contains("not PEM"), "{e}");
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let csr = generate_csr(&request(), &key).unwrap();
        let e = read_certificate(&csr, "certificate").unwrap_err();
        assert!(e.0.contains("\"CERTIFICATE REQUEST\""), "{e}");
        let bad = csr.replace("MII", "AAA");
        assert!(read_csr(&bad, false).is_err());
    }

    #[test]
    fn uuids_are_version_4() {
        let u = random_uuid().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(u, random_uuid().unwrap());
    }
}
