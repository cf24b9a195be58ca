#!/usr/bin/env python3
"""py-client: interop-client's Python twin, on the Python interface libraries.

Like interop-client, it keeps only what the libraries' events said and sets its status from
that at collect-status, so its hook-tool calls per event are the libraries' own.
"""

import ops
from charmlibs.interfaces.tls_certificates import (
    CertificateAvailableEvent,
    CertificateRequestAttributes,
    Mode,
    TLSCertificatesRequiresV4,
)
from dpcharmlibs.interfaces import (
    RequirerCommonModel,
    ResourceCreatedEvent,
    ResourceProviderModel,
    ResourceRequirerEventHandler,
)

COMMON_NAME = 'py-client.test'


class PyClient(ops.CharmBase):
    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(certificate='', database='')
        self.tls = TLSCertificatesRequiresV4(
            self,
            'certificates',
            [CertificateRequestAttributes(common_name=COMMON_NAME, sans_dns=[COMMON_NAME])],
            mode=Mode.UNIT,
        )
        self.db = ResourceRequirerEventHandler(
            self,
            'database',
            [RequirerCommonModel(resource='appdb')],
            response_model=ResourceProviderModel,
        )
        framework.observe(self.tls.on.certificate_available, self._on_certificate)
        framework.observe(self.db.on.resource_created, self._on_database)
        framework.observe(self.db.on.endpoints_changed, self._on_database)
        framework.observe(self.on.certificates_relation_broken, self._on_certificates_broken)
        framework.observe(self.on.database_relation_broken, self._on_database_broken)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_certificate(self, event: CertificateAvailableEvent):
        self._stored.certificate = (
            f'certificate for {event.certificate.common_name} from {event.ca.common_name}'
        )

    def _on_database(self, event: ResourceCreatedEvent):
        response = event.response
        if response.username and response.password:
            self._stored.database = (
                f'database {response.resource} as {response.username} at {response.endpoints}'
            )

    def _on_certificates_broken(self, _event: ops.RelationBrokenEvent):
        self._stored.certificate = ''

    def _on_database_broken(self, _event: ops.RelationBrokenEvent):
        self._stored.database = ''

    def _on_collect_status(self, event: ops.CollectStatusEvent):
        certificate = self._stored.certificate or 'no certificate yet'
        database = self._stored.database or 'no database yet'
        message = f'{certificate}; {database}'
        if self._stored.certificate and self._stored.database:
            event.add_status(ops.ActiveStatus(message))
        else:
            event.add_status(ops.WaitingStatus(message))


if __name__ == '__main__':
    ops.main(PyClient)
