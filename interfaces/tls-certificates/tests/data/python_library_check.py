"""The Python library's side of tests/python_library.rs: reads our CSR and answers it.

Usage: python python_library_check.py <csr.pem> <out.json>

With the library (pip install charmlibs-interfaces-tls-certificates), it checks that our CSR
is one the library's requirer would match to the same request (its attributes), that the
library labels it as we do (the SHA-256 of its text), and answers it as a provider: a CA made
by the library signs it, and the provider databag is dumped by the library's own model. It
writes {"sha256": ..., "attributes_match": bool, "databag": {...}} to <out.json>.
"""

import json
import sys
from datetime import timedelta

from charmlibs.interfaces.tls_certificates import (
    Certificate,
    CertificateRequestAttributes,
    CertificateSigningRequest,
    PrivateKey,
)
from charmlibs.interfaces.tls_certificates import _tls_certificates as lib

csr_path, out_path = sys.argv[1], sys.argv[2]
raw = open(csr_path).read()
csr = CertificateSigningRequest.from_string(raw)
expected = CertificateRequestAttributes(
    common_name="web.example.com",
    sans_dns={"web.example.com"},
)
ca_key = PrivateKey.generate()
ca = Certificate.generate_self_signed_ca(
    CertificateRequestAttributes(common_name="python-ca", is_ca=True), ca_key, timedelta(days=365)
)
certificate = csr.sign(ca, ca_key, timedelta(days=90))
data = lib._ProviderApplicationData(
    certificates=[
        lib._Certificate(
            ca=str(ca),
            certificate_signing_request=str(csr),
            certificate=str(certificate),
            chain=[str(certificate), str(ca)],
        )
    ]
)
out = {
    "same_text": str(csr) == raw,
    "sha256": csr.get_sha256_hex(),
    "attributes_match": CertificateRequestAttributes.from_csr(csr, False) == expected,
    "certificate": str(certificate),
    "ca": str(ca),
    "databag": data.dump({}),
}
with open(out_path, "w") as f:
    json.dump(out, f)
