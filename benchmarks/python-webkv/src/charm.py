#!/usr/bin/env python3
"""webkv, written with Python ops: the benchmark peer of charm-example (the Rust charm).

It does the same job as charm-example/src/*.rs, handler for handler, so that
`benchmarks/compare` measures the frameworks and not two different charms:

- one holistic reconcile for config-changed, upgrade-charm, leader-elected, web-pebble-ready,
  website-relation-joined/-changed, webkv-peers-relation-created/-changed and secret-changed;
- the same Pebble layer, config file (0600) and start wrapper (0755), restarting only on change;
- the workload's `webkv.example.com/ready` custom notice instead of deferring;
- the admin token from the operator's secret, or a charm-owned secret the leader creates and
  shares by id through the peer relation;
- the `url` the leader publishes on `website`;
- the `set-key` and `backup` actions;
- statuses decided in one collect-status handler from stored facts.

The start wrapper is the Rust charm's own file (`webkv-start.sh`, linked next to this one by
`benchmarks/compare`), so both charms write identical bytes into the container.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import pathlib
import re
import secrets
import time

import ops

logger = logging.getLogger(__name__)

CONTAINER = 'web'
SERVICE = 'webkv'
LAYER_LABEL = 'webkv'
SERVER_BIN = '/usr/bin/webkv-server'
CONFIG_FILE = '/etc/webkv/config.json'
START_SCRIPT = '/usr/local/bin/webkv-start'
DATA_DIR = '/var/lib/webkv'
DATA_FILE = '/var/lib/webkv/data.json'
PEBBLE_BIN = '/charm/bin/pebble'
READY_NOTICE = 'webkv.example.com/ready'
BACKUP_TIMEOUT = 60.0
BACKUP_EXIT_NO_DATA = 3
BACKUP_EXIT_CORRUPT = 4

WEBSITE = 'website'
URL_KEY = 'url'
PEER_RELATION = 'webkv-peers'
TOKEN_LABEL = 'webkv-admin-token'
PEER_SECRET_ID_KEY = 'admin-token-secret-id'
TOKEN_KEY = 'token'

PORT_MIN, PORT_MAX = 1024, 65535
U32_MAX = 2**32 - 1
KEY_RE = re.compile(r'^[A-Za-z0-9._-]+$')

_START_SCRIPT_PATH = pathlib.Path(__file__).parent / 'webkv-start.sh'


class InvalidConfig(Exception):
    """An option the operator must change (block)."""


class OperatorFixable(Exception):
    """A token problem the operator must fix (block)."""


class ActionFailed(Exception):
    """The action cannot do its work; the message is what the operator reads."""


def load_config(config: ops.ConfigData) -> dict:
    """The validated config (same checks and messages as charm-example's config.rs)."""
    port = config.get('port')
    if not isinstance(port, int) or not PORT_MIN <= port <= PORT_MAX:
        raise InvalidConfig(
            f"config option 'port': {port} is outside {PORT_MIN}-{PORT_MAX}; "
            'choose a port in that range'
        )
    max_keys = config.get('max-keys')
    if not isinstance(max_keys, int) or not 1 <= max_keys <= U32_MAX:
        raise InvalidConfig(
            f"config option 'max-keys': {max_keys} is not a number of keys from 1 to {U32_MAX}"
        )
    admin = config.get('admin-token')
    if admin is not None and not str(admin).strip():
        admin = None
    if admin is not None and not str(admin).startswith('secret:'):
        raise InvalidConfig(
            "config option 'admin-token': expected a secret id such as "
            'secret:cn4mvdnmp25c7c4m9d3g (from `juju add-secret`)'
        )
    return {
        'port': port,
        'greeting': config.get('greeting', ''),
        'max-keys': max_keys,
        'admin-token': admin,
    }


def layer(port: int) -> ops.pebble.LayerDict:
    """The charm's Pebble layer (as charm-example's workload::layer)."""
    return {
        'summary': 'webkv, managed by the webkv charm',
        'services': {
            SERVICE: {
                'override': 'replace',
                'summary': 'webkv key-value store',
                'command': f'/bin/sh {START_SCRIPT}',
                'startup': 'enabled',
                'environment': {
                    'WEBKV_CONFIG': CONFIG_FILE,
                    'WEBKV_PEBBLE': PEBBLE_BIN,
                    'WEBKV_PORT': str(port),
                    'WEBKV_SERVER': SERVER_BIN,
                },
            }
        },
    }


def config_file(config: dict, token: str) -> str:
    """The workload's configuration file (serde_json's pretty format, as the Rust charm)."""
    value = {
        'admin-token': token,
        'data-dir': DATA_DIR,
        'greeting': config['greeting'],
        'max-keys': config['max-keys'],
        'port': config['port'],
    }
    return json.dumps(value, indent=2) + '\n'


class WebKvCharm(ops.CharmBase):
    """The webkv charm."""

    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(phase={'phase': 'not-reconciled'}, ready_port=None, stale_through=0)
        on = self.on
        for event in (
            on.config_changed,
            on.upgrade_charm,
            on.leader_elected,
            on[CONTAINER].pebble_ready,
            on[WEBSITE].relation_joined,
            on[WEBSITE].relation_changed,
            on[PEER_RELATION].relation_created,
            on[PEER_RELATION].relation_changed,
            on.secret_changed,
        ):
            framework.observe(event, self._reconcile)
        framework.observe(on[CONTAINER].pebble_custom_notice, self._on_web_notice)
        framework.observe(on.set_key_action, self._on_set_key)
        framework.observe(on.backup_action, self._on_backup)
        framework.observe(on.collect_unit_status, self._on_collect_unit_status)

    # -- reconcile ---------------------------------------------------------------------

    def _reconcile(self, event: ops.EventBase):
        try:
            phase = self._converge()
        except ops.pebble.ConnectionError as e:
            # Pebble answered when the reconcile started: a transient outage; re-run later.
            logger.warning('lost contact with Pebble in the %s container: %s; deferring', CONTAINER, e)
            event.defer()
            phase = {'phase': 'waiting-for-pebble'}
        self._stored.phase = phase

    def _converge(self) -> dict:
        try:
            config = load_config(self.config)
        except InvalidConfig as e:
            return {'phase': 'blocked', 'message': str(e)}
        try:
            token = self._obtain_token(config)
        except OperatorFixable as e:
            return {'phase': 'blocked', 'message': str(e)}
        if token is None or isinstance(token, _Waiting):
            return {'phase': 'waiting-for-token', 'message': str(token)}

        self.unit.set_ports(ops.Port('tcp', config['port']))

        web = self.unit.get_container(CONTAINER)
        if not web.can_connect():
            return {'phase': 'waiting-for-pebble'}

        want_layer = layer(config['port'])
        want_config = config_file(config, token)
        want_script = _START_SCRIPT_PATH.read_text()
        plan = web.get_plan()
        info = web.get_services(SERVICE).get(SERVICE)
        running = info is not None and info.is_running()
        script = self._differs(web, START_SCRIPT, want_script)
        config_changed = self._differs(web, CONFIG_FILE, want_config)
        have = plan.services.get(SERVICE)
        layer_changed = have is None or have.to_dict() != ops.pebble.Service(SERVICE, want_layer['services'][SERVICE]).to_dict()
        if script or config_changed or layer_changed or not running:
            notices = web.get_notices(types=[ops.pebble.NoticeType.CUSTOM], keys=[READY_NOTICE])
            seen = max((n.occurrences for n in notices), default=0)
            self._stored.ready_port = None
            self._stored.stale_through = seen
        if script:
            web.push(START_SCRIPT, want_script, make_dirs=True, permissions=0o755)
        if config_changed:
            web.push(CONFIG_FILE, want_config, make_dirs=True, permissions=0o600)
        if layer_changed:
            web.add_layer(LAYER_LABEL, want_layer, combine=True)
        if layer_changed or not running:
            web.replan()
        elif script or config_changed:
            web.restart(SERVICE)

        if self._stored.ready_port == config['port']:
            self._publish_url(config['port'])
        return {'phase': 'started', 'port': config['port']}

    @staticmethod
    def _differs(web: ops.Container, path: str, want: str) -> bool:
        try:
            return web.pull(path, encoding=None).read() != want.encode()
        except ops.pebble.PathError as e:
            if e.kind == 'not-found':
                return True
            raise

    # -- the admin token -------------------------------------------------------------------

    def _obtain_token(self, config: dict):
        secret_id = config['admin-token']
        if secret_id is not None:
            try:
                content = self.model.get_secret(id=secret_id).get_content(refresh=True)
            except (ops.SecretNotFoundError, ops.ModelError) as e:
                if isinstance(e, ops.SecretNotFoundError) or 'permission denied' in str(e):
                    raise OperatorFixable(
                        f"config option 'admin-token': secret {secret_id} cannot be read; grant it "
                        f'with `juju grant-secret {secret_id} webkv`, or unset admin-token'
                    ) from e
                raise
            token = content.get(TOKEN_KEY)
            if not token:
                raise OperatorFixable(
                    f"config option 'admin-token': secret {secret_id} has no 'token' key; set one "
                    f'with `juju update-secret {secret_id} token=<value>`'
                )
            return token
        return self._charm_token()

    def _charm_token(self):
        peers = self.model.get_relation(PEER_RELATION)
        shared_id = peers.data[self.app].get(PEER_SECRET_ID_KEY) if peers else None
        if not self.unit.is_leader():
            if shared_id is None:
                what = 'leader' if peers else 'peer relation'
                return _Waiting(f'waiting for the {what} to share the admin token')
            content = self.model.get_secret(id=shared_id).get_content()
            token = content.get(TOKEN_KEY)
            if not token:
                raise OperatorFixable(_charm_secret_without_token(shared_id))
            return token
        if shared_id is not None:
            secret = self.model.get_secret(id=shared_id)
        else:
            try:
                secret = self.model.get_secret(label=TOKEN_LABEL)
            except ops.SecretNotFoundError:
                logger.info('created the admin token secret (%s)', TOKEN_LABEL)
                secret = self.app.add_secret(
                    {TOKEN_KEY: secrets.token_hex(32)},
                    label=TOKEN_LABEL,
                    description='webkv admin token (bearer token for writes)',
                )
        token = secret.get_content().get(TOKEN_KEY)
        if not token:
            raise OperatorFixable(
                _charm_secret_without_token(shared_id or secret.id or secret.get_info().id)
            )
        if peers is not None:
            # The id is needed only to share it: a secret found by its label comes without
            # one, and asking Juju for it is a hook-tool call a unit without peers can skip.
            secret_id = shared_id or secret.id or secret.get_info().id
            if peers.data[self.app].get(PEER_SECRET_ID_KEY) != secret_id:
                peers.data[self.app][PEER_SECRET_ID_KEY] = secret_id
        return token

    # -- the website relation ----------------------------------------------------------------

    def _publish_url(self, port: int):
        if not self.unit.is_leader():
            return
        relations = self.model.relations[WEBSITE]
        if not relations:
            return
        url = f'http://{self._address()}:{port}'
        for relation in relations:
            bag = relation.data[self.app]
            if bag.get(URL_KEY) != url:
                logger.info('publishing %s on %s:%d', url, WEBSITE, relation.id)
                bag[URL_KEY] = url

    def _address(self) -> str:
        ingress = None
        try:
            binding = self.model.get_binding(WEBSITE)
            if binding is not None and binding.network.ingress_address is not None:
                ingress = str(binding.network.ingress_address)
        except ops.ModelError as e:
            logger.warning('network-get %s failed (%s)', WEBSITE, e)
        if ingress:
            return ingress
        logger.info('no ingress address for %s: using the pod\'s DNS name', WEBSITE)
        pod = self.unit.name.replace('/', '-')
        return f'{pod}.{self.app.name}-endpoints.{self.model.name}.svc.cluster.local'

    # -- the ready notice ----------------------------------------------------------------------

    def _on_web_notice(self, event: ops.PebbleCustomNoticeEvent):
        if event.notice.key != READY_NOTICE:
            logger.debug('ignoring custom notice %r', event.notice.key)
            return
        try:
            notice = event.workload.get_notice(event.notice.id)
        except (ops.pebble.ConnectionError, ops.pebble.APIError) as e:
            if isinstance(e, ops.pebble.APIError) and e.code != 404:
                raise
            logger.info('ready notice no longer available: %s', e)
            return
        try:
            port = int(notice.last_data.get('port', ''))
        except ValueError:
            logger.warning('ready notice %s has no valid port in its data; ignoring it', notice.id)
            return
        phase = self._stored.phase
        if phase.get('phase') != 'started':
            logger.info('ready notice for :%d, but the service is not started; ignoring it', port)
            return
        if port != phase['port']:
            logger.info(
                'ready notice for :%d, but the service now uses :%d; ignoring it', port, phase['port']
            )
            return
        if notice.occurrences <= self._stored.stale_through:
            logger.info(
                'ready notice (occurrence %d) is from before the last restart; waiting for a new one',
                notice.occurrences,
            )
            return
        self._stored.ready_port = port
        self._publish_url(port)

    # -- collect-status ----------------------------------------------------------------------

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
        phase = self._stored.phase
        kind = phase.get('phase')
        if kind == 'blocked':
            status = ops.BlockedStatus(phase['message'])
        elif kind == 'waiting-for-pebble':
            status = ops.WaitingStatus('waiting for Pebble in the web container')
        elif kind == 'waiting-for-token':
            status = ops.WaitingStatus(phase['message'])
        elif kind == 'started':
            port = phase['port']
            if self._stored.ready_port == port:
                status = ops.ActiveStatus(f'serving on :{port}')
            else:
                status = ops.MaintenanceStatus(f'starting webkv on :{port}')
        else:
            status = ops.MaintenanceStatus('setting up')
        event.add_status(status)

    # -- actions ---------------------------------------------------------------------------

    def _on_set_key(self, event: ops.ActionEvent):
        try:
            key, value = event.params['key'], event.params['value']
            if not KEY_RE.match(key):
                raise ActionFailed(
                    f"invalid key {key!r}: use only letters, digits, '-', '_' and '.'"
                )
            web = self.unit.get_container(CONTAINER)
            port, config = self._serving_port(web)
            token = self._token_in_effect(web)
            status, body = _http_put(port, key, value, token)
            if status == 401:
                raise ActionFailed(
                    'webkv refused the admin token: the service may still run with an older one; '
                    'wait for the unit to be active, then retry'
                )
            if status == 507:
                raise ActionFailed(
                    f"the store is full (max-keys is {config['max-keys']}): raise max-keys or "
                    'delete keys, then retry'
                )
            if status != 200:
                raise ActionFailed(f'webkv answered {status}: {body}')
            event.set_results({'key': key, 'stored': True})
        except ActionFailed as e:
            event.fail(str(e))

    def _on_backup(self, event: ops.ActionEvent):
        try:
            directory = event.params['directory']
            trimmed = directory.rstrip('/')
            if not directory.startswith('/') or '..' in trimmed.split('/'):
                raise ActionFailed(
                    f'invalid directory {directory!r}: give an absolute path in the web container'
                )
            web = self.unit.get_container(CONTAINER)
            path = f'{trimmed}/data-{int(time.time())}.json'
            command = [SERVER_BIN, 'backup', '--data-dir', DATA_DIR, '--out', path]
            try:
                stdout, _ = web.exec(command, timeout=BACKUP_TIMEOUT).wait_output()
            except ops.pebble.ExecError as e:
                stderr = (e.stderr or '').strip()
                if e.exit_code == BACKUP_EXIT_NO_DATA:
                    raise ActionFailed(
                        f'nothing to back up: {DATA_FILE} does not exist yet (no key has been stored)'
                    ) from e
                if e.exit_code == BACKUP_EXIT_CORRUPT:
                    raise ActionFailed(f'{DATA_FILE} is not a JSON object of keys: {stderr}') from e
                raise ActionFailed(
                    f'webkv-server backup failed with exit code {e.exit_code}: {stderr}; check that '
                    'the directory can be written in the web container, then retry'
                ) from e
            except ops.pebble.TimeoutError as e:
                raise ActionFailed(
                    f'the backup did not finish within {int(BACKUP_TIMEOUT)}s and was stopped: '
                    'retry when the unit is less busy'
                ) from e
            except ops.pebble.APIError as e:
                if e.code == 400 and 'cannot find executable' in e.message:
                    raise ActionFailed(
                        f'the web container has no {SERVER_BIN}: the workload image (resource '
                        'webkv-image) is not a webkv image; attach the right one, then retry'
                    ) from e
                raise ActionFailed(str(e)) from e
            except ops.pebble.ConnectionError as e:
                raise ActionFailed(
                    'cannot reach Pebble in the web container: wait for the unit to be active, '
                    'then retry'
                ) from e
            try:
                keys = json.loads(stdout)['keys']
            except (ValueError, KeyError, TypeError) as e:
                raise ActionFailed(
                    f"webkv-server backup printed an unexpected summary ({e}): is the image's "
                    'webkv-server too old?'
                ) from e
            event.log(f'backed up {keys} keys to {path}')
            event.set_results({'path': path, 'keys': keys})
        except ActionFailed as e:
            event.fail(str(e))

    def _serving_port(self, web: ops.Container):
        try:
            config = load_config(self.config)
        except InvalidConfig as e:
            raise ActionFailed(f"the charm's config is invalid ({e}): fix it, then retry") from e
        try:
            info = web.get_services(SERVICE).get(SERVICE)
        except ops.pebble.ConnectionError as e:
            raise ActionFailed(
                'cannot reach Pebble in the web container: wait for the unit to be active, then retry'
            ) from e
        if info is None:
            raise ActionFailed('the webkv service is not running (not set up): start the unit, then retry')
        if not info.is_running():
            raise ActionFailed(
                f'the webkv service is not running ({info.current.value}): start the unit, then retry'
            )
        if self._stored.ready_port != config['port']:
            raise ActionFailed('webkv is not ready yet: wait for the unit to be active, then retry')
        return config['port'], config

    @staticmethod
    def _token_in_effect(web: ops.Container):
        try:
            text = web.pull(CONFIG_FILE, encoding=None).read()
        except ops.pebble.PathError as e:
            if e.kind == 'not-found':
                return None
            raise
        try:
            return json.loads(text).get('admin-token') or None
        except ValueError:
            return None


class _Waiting(str):
    """A non-leader waits for the leader to share the token; the text says what."""


def _charm_secret_without_token(secret_id: str) -> str:
    return (
        f"the charm's secret {secret_id} (label {TOKEN_LABEL}) has no 'token' key; remove it with "
        f'`juju remove-secret {secret_id}` so the leader generates a new one'
    )


def _http_put(port: int, key: str, value: str, token: str | None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    headers = {'Authorization': f'Bearer {token}'} if token else {}
    try:
        conn.request('PUT', f'/kv/{key}', body=value.encode(), headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors='replace').strip()
    except OSError as e:
        raise ActionFailed(f'cannot talk to webkv on 127.0.0.1:{port}: {e}') from e
    finally:
        conn.close()


if __name__ == '__main__':  # pragma: nocover
    # juju-sim serves each container's Pebble under $OPS_RS_CONTAINERS_DIR instead of
    # /charm/containers (a real unit has no such variable, and this is then a no-op).
    _sim_containers = os.environ.get('OPS_RS_CONTAINERS_DIR')
    if _sim_containers:
        _get_pebble = ops.model._ModelBackend.get_pebble

        def _sim_get_pebble(self, socket_path: str):
            return _get_pebble(self, socket_path.replace('/charm/containers', _sim_containers, 1))

        ops.model._ModelBackend.get_pebble = _sim_get_pebble
    ops.main(WebKvCharm)
