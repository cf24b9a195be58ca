//! [`PrivateKey`]: the requirer's key, generated with rcgen; its PEM never reaches `Debug`,
//! `Display` or a log line, and is wiped from memory when dropped.

use std::fmt;

use zeroize::Zeroizing;

/// The kind of key the requirer generates.
///
/// The Python library generates RSA-2048 keys, and some providers only sign RSA CSRs (a Vault
/// PKI role's `key_type` is `rsa` unless set otherwise), so that is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA, 2048 bits, signing with SHA-256 (the Python library's key).
    #[default]
    Rsa2048,
    /// RSA, 3072 bits.
    Rsa3072,
    /// RSA, 4096 bits.
    Rsa4096,
    /// ECDSA on P-256, signing with SHA-256.
    EcdsaP256,
    /// ECDSA on P-384, signing with SHA-384.
    EcdsaP384,
}

/// The key could not be generated or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(String);

/// A private key: the PEM text the workload needs, kept out of every output.
///
/// `Debug` shows only the algorithm; there is no `Display`; the text is overwritten when the
/// value is dropped. Read it with [`PrivateKey::pem`] to hand it to the workload, and nowhere
/// else.
///
/// ```
/// use ops_interface_tls_certificates::v1::{KeyAlgorithm, PrivateKey};
/// let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
/// assert!(key.pem().starts_with("-----BEGIN PRIVATE KEY-----"));
/// assert_eq!(format!("{key:?}"), "PrivateKey { algorithm: EcdsaP256, pem: <redacted> }");
/// # Ok::<(), ops_interface_tls_certificates::v1::KeyError>(())
/// ```
#[derive(Clone)]
pub struct PrivateKey {
    pem: Zeroizing<String>,
    algorithm: KeyAlgorithm,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey {{ algorithm: {:?}, pem: <redacted> }}",
            self.algorithm
        )
    }
}

impl PartialEq for PrivateKey {
    fn eq(&self, other: &Self) -> bool {
        *self.pem == *other.pem
    }
}

impl Eq for PrivateKey {}

impl PrivateKey {
    /// A new random key (PKCS #8 PEM).
    ///
    /// # Errors
    ///
    /// The crypto library could not generate it (no randomness available).
    pub fn generate(algorithm: KeyAlgorithm) -> Result<PrivateKey, KeyError> {
        use rcgen::{KeyPair, RsaKeySize};
        let fail = |e: rcgen::Error| {
            KeyError(format!(
                "cannot generate a {algorithm:?} private key: {e} (the system's random source \
                 may be unavailable)"
            ))
        };
        let pair = match algorithm {
            KeyAlgorithm::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048)
            }
            KeyAlgorithm::Rsa3072 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_3072)
            }
            KeyAlgorithm::Rsa4096 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_4096)
            }
            KeyAlgorithm::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyAlgorithm::EcdsaP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        }
        .map_err(fail)?;
        Ok(PrivateKey {
            pem: Zeroizing::new(pair.serialize_pem()),
            algorithm,
        })
    }

    /// A key from PEM: PKCS #8 (`PRIVATE KEY`, what [`generate`](Self::generate) writes), or
    /// the `RSA PRIVATE KEY` / `EC PRIVATE KEY` forms (what the Python library writes, so a
    /// charm that moves from it to this library keeps its key).
    ///
    /// # Errors
    ///
    /// The text is not a private key of a supported kind (RSA of 2048 bits or more, ECDSA
    /// P-256 or P-384). The error never quotes the text.
    pub fn from_pem(pem: &str) -> Result<PrivateKey, KeyError> {
        let pair = rcgen::KeyPair::from_pem(pem).map_err(|e| {
            KeyError(format!(
                "the private key is not a PEM key of a supported kind (RSA, ECDSA P-256 or \
                 P-384): {e}"
            ))
        })?;
        let algorithm = if pair.algorithm() == &rcgen::PKCS_ECDSA_P256_SHA256 {
            KeyAlgorithm::EcdsaP256
        } else if pair.algorithm() == &rcgen::PKCS_ECDSA_P384_SHA384 {
            KeyAlgorithm::EcdsaP384
        } else if pair.algorithm() == &rcgen::PKCS_RSA_SHA256 {
            // RSAPublicKey DER: the modulus is most of it.
            match pair.public_key_raw().len() {
                0..=255 => {
                    return Err(KeyError(
                        "the private key is RSA with fewer than 2048 bits; use 2048 or more".into(),
                    ));
                }
                256..=383 => KeyAlgorithm::Rsa2048,
                384..=511 => KeyAlgorithm::Rsa3072,
                _ => KeyAlgorithm::Rsa4096,
            }
        } else {
            return Err(KeyError(format!(
                "the private key's algorithm {:?} is not supported; use RSA or ECDSA P-256/P-384",
                pair.algorithm()
            )));
        };
        Ok(PrivateKey {
            pem: Zeroizing::new(pem.trim().to_owned() + "\n"),
            algorithm,
        })
    }

    /// The key as PEM, for the workload. Never log it.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The kind of key.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The key pair, to sign with.
    pub(crate) fn key_pair(&self) -> Result<rcgen::KeyPair, KeyError> {
        rcgen::KeyPair::from_pem(&self.pem)
            .map_err(|e| KeyError(format!("the private key cannot be read back: {e}")))
    }

    /// The public key as a certificate's or CSR's `subjectPublicKey` bit string holds it.
    pub(crate) fn public_key_raw(&self) -> Result<Vec<u8>, KeyError> {
        Ok(self.key_pair()?.public_key_raw().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_read_back_with_their_algorithm() {
        for alg in [
            KeyAlgorithm::Rsa2048,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
        ] {
            let key = PrivateKey::generate(alg).unwrap();
            let again = PrivateKey::from_pem(key.pem()).unwrap();
            assert_eq!(again.algorithm(), alg);
            assert_eq!(again, key);
            assert_eq!(
                again.public_key_raw().unwrap(),
                key.public_key_raw().unwrap()
            );
        }
    }

    #[test]
    fn debug_never_shows_the_key_and_errors_never_quote_it() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let body: String = key.pem().lines().nth(1).unwrap().to_owned();
        assert!(!format!("{key:?}").contains(&body));
        assert!(!format!("{key:#?}").contains(&body));
        let broken = key.pem().replace(&body[..10], "AAAAAAAAAA");
        if let Err(e) = PrivateKey::from_pem(&broken) {
            assert!(!e.to_string().contains(&body[10..]), "{e}");
        }
        let e = PrivateKey::from_pem("not a key").unwrap_err();
        assert!(e.to_string().contains("not a PEM key"), "{e}");
    }
}
