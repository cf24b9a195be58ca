#!/usr/bin/env python3
"""py-web: a Python ops charm beside Rust ones in juju-sim's model of several applications.

Plain ops: Pebble at /charm/containers/web/pebble.socket, hook tools on PATH. One reconcile
for every event it observes (see metadata.yaml for what it does).
"""

import ops

LAYER = {
    'summary': 'py-web',
    'services': {
        'web': {
            'override': 'replace',
            'command': '/usr/bin/py-web-server --port {port}',
            'startup': 'enabled',
        }
    },
}


class PyWeb(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        for event in (
            self.on.web_pebble_ready,
            self.on.config_changed,
            self.on.leader_elected,
            self.on.website_relation_joined,
            self.on.website_relation_changed,
            self.on.website_relation_departed,
        ):
            framework.observe(event, self._reconcile)

    def _reconcile(self, _event: ops.EventBase):
        container = self.unit.get_container('web')
        if not container.can_connect():
            self.unit.status = ops.WaitingStatus('waiting for Pebble in web')
            return
        port = int(self.config['port'])
        layer = {**LAYER, 'services': {'web': {**LAYER['services']['web']}}}
        layer['services']['web']['command'] = LAYER['services']['web']['command'].format(port=port)
        container.add_layer('py-web', layer, combine=True)
        container.replan()
        binding = self.model.get_binding('website')
        address = binding.network.ingress_address if binding else None
        url = f'http://{address}:{port}'
        clients = []
        paths = []
        for relation in self.model.relations['website']:
            if self.unit.is_leader():
                relation.data[self.app]['url'] = url
            for unit in sorted(relation.units, key=lambda u: u.name):
                client = relation.data[unit].get('client')
                if client:
                    clients.append(client)
            if relation.app is not None:
                path = relation.data[relation.app].get('path')
                if path:
                    paths.append(path)
        container.push('/srv/py-web/clients', '\n'.join(clients) + '\n', make_dirs=True)
        kept = container.pull('/srv/py-web/clients').read().split()
        self.unit.status = ops.ActiveStatus(
            f'serving {url} for {",".join(kept) or "nobody"} at {",".join(paths) or "/"}'
        )


if __name__ == '__main__':
    ops.main(PyWeb)
