//! The labels of the secrets the requirer keeps: the Python library's, so a charm that moves
//! between the two keeps its key and its certificates.
//!
//! | Secret | Owner | Label | Content |
//! |---|---|---|---|
//! | private key, mode unit | unit | `<LIBID>-private-key-<unit number>-<endpoint>` | `private-key` |
//! | private key, mode app | application | `<LIBID>-private-key-app-<endpoint>` | `private-key` |
//! | certificate, mode unit | unit | `<LIBID>-certificate-<unit number>-<endpoint>-<sha256 of the CSR>` | `certificate`, `csr` |
//! | certificate, mode app | unit (the leader that received it) | `<LIBID>-certificate-<endpoint>-<sha256 of the CSR>` | `certificate`, `csr` |
//!
//! A certificate secret expires at the renewal time (by default 90% of the way from when it
//! was stored to the certificate's end); Juju's `secret-expired` then starts the renewal.

use super::request::Mode;

/// The Python library's id (its Charmhub library id), the prefix of every label it uses.
pub const LIBID: &str = "afd8c2bccf834997afce12c2706d2ede";

/// The prefix every certificate secret's label starts with.
pub fn certificate_prefix_any() -> String {
    format!("{LIBID}-certificate")
}

/// The unit's number: `web/3` gives `3`.
pub fn unit_number(unit: &str) -> &str {
    unit.rsplit_once('/').map_or(unit, |(_, n)| n)
}

/// The label of the private key secret.
pub fn private_key(mode: Mode, unit: &str, endpoint: &str) -> String {
    match mode {
        Mode::Unit => format!("{LIBID}-private-key-{}-{endpoint}", unit_number(unit)),
        Mode::App => format!("{LIBID}-private-key-app-{endpoint}"),
    }
}

/// The prefix of the certificate secrets of one endpoint and mode.
pub fn certificate_prefix(mode: Mode, unit: &str, endpoint: &str) -> String {
    match mode {
        Mode::Unit => format!("{LIBID}-certificate-{}-{endpoint}-", unit_number(unit)),
        Mode::App => format!("{LIBID}-certificate-{endpoint}-"),
    }
}

/// The label of the secret holding the certificate issued for `csr_pem` (normalized PEM).
pub fn certificate(mode: Mode, unit: &str, endpoint: &str, csr_pem: &str) -> String {
    format!(
        "{}{}",
        certificate_prefix(mode, unit, endpoint),
        sha256_hex(csr_pem)
    )
}

/// SHA-256 of the text, in lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_python_librarys() {
        assert_eq!(
            private_key(Mode::Unit, "web/3", "certificates"),
            "afd8c2bccf834997afce12c2706d2ede-private-key-3-certificates"
        );
        assert_eq!(
            private_key(Mode::App, "web/3", "certificates"),
            "afd8c2bccf834997afce12c2706d2ede-private-key-app-certificates"
        );
        // sha256("abc")
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex("abc"), abc);
        assert_eq!(
            certificate(Mode::Unit, "web/0", "certs", "abc"),
            format!("{LIBID}-certificate-0-certs-{abc}")
        );
        assert_eq!(
            certificate(Mode::App, "web/0", "certs", "abc"),
            format!("{LIBID}-certificate-certs-{abc}")
        );
        assert!(
            certificate(Mode::App, "web/0", "certs", "abc").starts_with(&certificate_prefix_any())
        );
    }
}
