"""Makes python_csr.pem: a CSR for web.example.com made with python_private_key.pem the way the
Python library (charmlibs-interfaces-tls-certificates) makes one: the subject is the common
name, then a fresh x500UniqueIdentifier; one DNS subject alternative name; SHA-256.

Run with the `cryptography` package: python3 make_python_csr.py > python_csr.pem
"""

import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

with open("python_private_key.pem", "rb") as f:
    key = serialization.load_pem_private_key(f.read(), password=None)

subject = x509.Name([
    x509.NameAttribute(NameOID.COMMON_NAME, "web.example.com"),
    x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, str(uuid.uuid4())),
])
csr = (
    x509.CertificateSigningRequestBuilder()
    .subject_name(subject)
    .add_extension(x509.SubjectAlternativeName([x509.DNSName("web.example.com")]), critical=False)
    .sign(key, hashes.SHA256())
)
print(csr.public_bytes(serialization.Encoding.PEM).decode().strip())
