#!/usr/bin/env python3
"""py-tls-ca: a TLS provider built on the Python library, for the interoperation tests.

Only the library's public API: TLSCertificatesProvidesV4 finds the outstanding requests and
writes the answers; the CA is the library's own helpers' work.
"""

import datetime

import ops
from charmlibs.interfaces.tls_certificates import (
    Certificate,
    CertificateRequestAttributes,
    PrivateKey,
    ProviderCertificate,
    TLSCertificatesProvidesV4,
)

CA_LABEL = 'py-tls-ca'
CA_COMMON_NAME = 'py-tls-ca CA'


class PyTlsCa(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.certificates = TLSCertificatesProvidesV4(self, 'certificates')
        for event in (
            self.on.leader_elected,
            self.on.certificates_relation_joined,
            self.on.certificates_relation_changed,
            self.on.certificates_relation_departed,
            self.on.update_status,
        ):
            framework.observe(event, self._issue)

    def _ca(self) -> tuple[PrivateKey, Certificate]:
        try:
            content = self.model.get_secret(label=CA_LABEL).get_content(refresh=True)
            return (
                PrivateKey.from_string(content['ca-key']),
                Certificate.from_string(content['ca-certificate']),
            )
        except ops.SecretNotFoundError:
            key = PrivateKey.generate()
            ca = Certificate.generate_self_signed_ca(
                CertificateRequestAttributes(common_name=CA_COMMON_NAME, is_ca=True),
                key,
                datetime.timedelta(days=365),
            )
            self.app.add_secret(
                {'ca-key': str(key), 'ca-certificate': str(ca)}, label=CA_LABEL
            )
            return key, ca

    def _issue(self, _event: ops.EventBase):
        if not self.unit.is_leader():
            self.unit.status = ops.ActiveStatus('standing by')
            return
        outstanding = self.certificates.get_outstanding_certificate_requests()
        if outstanding:
            key, ca = self._ca()
            for request in outstanding:
                certificate = Certificate.generate(
                    csr=request.certificate_signing_request,
                    ca=ca,
                    ca_private_key=key,
                    validity=datetime.timedelta(days=90),
                    is_ca=request.is_ca,
                )
                self.certificates.set_relation_certificate(
                    ProviderCertificate(
                        relation_id=request.relation_id,
                        certificate=certificate,
                        certificate_signing_request=request.certificate_signing_request,
                        ca=ca,
                        chain=[certificate, ca],
                    )
                )
        issued = self.certificates.get_issued_certificates()
        names = sorted(c.certificate.common_name for c in issued)
        self.unit.status = ops.ActiveStatus(
            f'issued {len(issued)} certificates: {", ".join(names)}' if issued else 'no requests'
        )


if __name__ == '__main__':
    ops.main(PyTlsCa)
