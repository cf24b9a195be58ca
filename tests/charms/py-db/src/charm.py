#!/usr/bin/env python3
"""py-db: a database provider built on the Python library, for the interoperation tests.

Only the library's public API: ResourceProviderEventHandler reads the request (v0 or v1)
and writes the answer, credentials in a Juju secret.
"""

import secrets

import ops
from dpcharmlibs.interfaces import (
    RequirerCommonModel,
    ResourceProviderEventHandler,
    ResourceProviderModel,
    ResourceRequestedEvent,
)

ENDPOINTS = 'py-db-0.py-db-endpoints:5432'


class PyDb(ops.CharmBase):
    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(served={})
        self.database = ResourceProviderEventHandler(self, 'database', RequirerCommonModel)
        framework.observe(self.database.on.resource_requested, self._on_resource_requested)
        framework.observe(self.on.database_relation_broken, self._on_broken)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_resource_requested(self, event: ResourceRequestedEvent):
        request = event.request
        client = event.relation.app.name
        response = ResourceProviderModel(
            salt=request.salt,
            request_id=request.request_id,
            resource=request.resource,
            username=f'{client}_{request.resource}',
            password=secrets.token_hex(16),
            endpoints=ENDPOINTS,
            version='16.4',
        )
        self.database.set_response(event.relation.id, response)
        self._stored.served[str(event.relation.id)] = f'{request.resource} to {client}'

    def _on_broken(self, event: ops.RelationBrokenEvent):
        self._stored.served.pop(str(event.relation.id), None)

    def _on_collect_status(self, event: ops.CollectStatusEvent):
        served = sorted(self._stored.served.values())
        if not self.unit.is_leader():
            event.add_status(ops.ActiveStatus('standing by'))
        elif served:
            event.add_status(ops.ActiveStatus(f'serving {", ".join(served)}'))
        else:
            event.add_status(ops.ActiveStatus('no requests'))


if __name__ == '__main__':
    ops.main(PyDb)
