//! A provider, in Rust, doing what the Python provider (`TLSCertificatesProvidesV4`, as
//! self-signed-certificates uses it) does: a CA signs each CSR it finds, and the application
//! databag holds `certificates` (and `request_errors`, `capabilities`) as the Python library
//! dumps them: `json.dumps` of the pydantic models, fields in declaration order, defaults
//! left out.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, CertifiedIssuer, DnType,
    IsCa, KeyPair, SerialNumber,
};
use time::{Duration, OffsetDateTime};

/// A certificate authority.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// Its certificate, PEM (stripped, as the Python library writes it).
    pub pem: String,
}

fn serial() -> SerialNumber {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    b[0] &= 0x7f;
    SerialNumber::from_slice(&b)
}

impl Ca {
    /// A self-signed root CA named `name` (ECDSA P-256: fast to make).
    pub fn root(name: &str) -> Ca {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        Ca::from_params(ca_params(name), key, None)
    }

    /// A self-signed root CA with an RSA-2048 key, as self-signed-certificates makes.
    pub fn root_rsa(name: &str) -> Ca {
        let key =
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
        Ca::from_params(ca_params(name), key, None)
    }

    /// An intermediate CA named `name`, signed by `self`.
    pub fn intermediate(&self, name: &str) -> Ca {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        Ca::from_params(ca_params(name), key, Some(self))
    }

    fn from_params(params: CertificateParams, key: KeyPair, parent: Option<&Ca>) -> Ca {
        let issuer = match parent {
            None => CertifiedIssuer::self_signed(params, key).unwrap(),
            Some(p) => CertifiedIssuer::signed_by(params, key, &p.issuer).unwrap(),
        };
        let pem = issuer.pem().trim().to_owned();
        Ca { issuer, pem }
    }

    /// Signs `csr` (PEM), valid from `from` for `days`: the certificate, PEM.
    pub fn sign_at(&self, csr: &str, is_ca: bool, from: OffsetDateTime, days: i64) -> String {
        let mut req = CertificateSigningRequestParams::from_pem(csr).unwrap();
        req.params.not_before = from;
        req.params.not_after = from + Duration::days(days);
        req.params.serial_number = Some(serial());
        req.params.is_ca = if is_ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        req.signed_by(&self.issuer).unwrap().pem().trim().to_owned()
    }

    /// Signs `csr` for 90 days from now.
    pub fn sign(&self, csr: &str, is_ca: bool) -> String {
        self.sign_at(
            csr,
            is_ca,
            OffsetDateTime::now_utc() - Duration::minutes(1),
            90,
        )
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.not_before = OffsetDateTime::now_utc() - Duration::days(1);
    p.not_after = OffsetDateTime::now_utc() + Duration::days(3650);
    p.serial_number = Some(serial());
    p
}

/// A JSON value with its object keys in the order given (pydantic dumps fields in
/// declaration order).
#[derive(Debug, Clone)]
pub enum Py {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Py>),
    /// An object, keys in order.
    Obj(Vec<(String, Py)>),
}

/// A string value.
pub fn s(text: &str) -> Py {
    Py::Str(text.to_owned())
}

/// An object from `(key, value)` pairs, in order.
pub fn obj(pairs: Vec<(&str, Py)>) -> Py {
    Py::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// `json.dumps(value)` as Python writes it: `", "` between items, `": "` after keys, keys in
/// the order given, non-ASCII escaped as `\uXXXX`.
pub fn dumps(value: &Py) -> String {
    match value {
        Py::Null => "null".into(),
        Py::Bool(b) => b.to_string(),
        Py::Int(n) => n.to_string(),
        Py::Str(text) => serde_json::to_string(text)
            .unwrap()
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    let mut buf = [0u16; 2];
                    c.encode_utf16(&mut buf)
                        .iter()
                        .map(|u| format!("\\u{u:04x}"))
                        .collect()
                }
            })
            .collect(),
        Py::List(items) => format!(
            "[{}]",
            items.iter().map(dumps).collect::<Vec<_>>().join(", ")
        ),
        Py::Obj(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", dumps(&Py::Str(k.clone())), dumps(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// One certificate entry as the Python library dumps `_Certificate`: `ca`,
/// `certificate_signing_request`, `certificate`, then `chain` (the provider always sets it,
/// leaf first) and `revoked` only when true (`exclude_defaults`).
pub fn entry(certificate: &str, csr: &str, ca: &str, chain: &[&str], revoked: bool) -> Py {
    let mut pairs = vec![
        ("ca", s(ca)),
        ("certificate_signing_request", s(csr)),
        ("certificate", s(certificate)),
        ("chain", Py::List(chain.iter().map(|c| s(c)).collect())),
    ];
    if revoked {
        pairs.push(("revoked", Py::Bool(true)));
    }
    obj(pairs)
}

/// The provider's application databag with `certificates` (the Python library leaves out
/// an empty list, and so does this).
pub fn certificates_bag(entries: &[Py]) -> Vec<(String, String)> {
    if entries.is_empty() {
        return Vec::new();
    }
    vec![("certificates".into(), dumps(&Py::List(entries.to_vec())))]
}

/// Signs every CSR in `csrs` with `ca` (a chain of the leaf and the CA), as
/// self-signed-certificates answers outstanding requests.
pub fn answer_all(ca: &Ca, csrs: &[(String, bool)]) -> Vec<Py> {
    csrs.iter()
        .map(|(csr, is_ca)| {
            let cert = ca.sign(csr, *is_ca);
            entry(&cert, csr, &ca.pem, &[&cert, &ca.pem], false)
        })
        .collect()
}
