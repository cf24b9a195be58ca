"""Hook-tool calls per event of a charm using the interface libraries, Rust beside Python,
measured (not read off the code): benchmarks/scenarios/interfaces.yaml under juju-sim, one
unit of interop-client (the Rust libraries) and one of py-client (the Python ones), both
related to the Python providers; every hook of each client unit is counted.

Run by benchmarks/compare (its section "Interface libraries: hook-tool calls per event"), or
alone:

    cargo build -p juju-sim --bins && cargo build -p tests --bin interop-client
    python3 benchmarks/interface_calls.py --juju-sim target/debug/juju-sim \\
        --interop-client target/debug/interop-client --venv VENV

VENV: a virtualenv with ops, charmlibs-interfaces-tls-certificates and dpcharmlibs-interfaces.
Counts do not depend on the build profile or the machine: the same run gives the same counts.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCENARIO = ROOT / 'benchmarks' / 'scenarios' / 'interfaces.yaml'
PY_CHARMS = ('py-tls-ca', 'py-db', 'py-client')
CLIENTS = {'rust': 'interop-client/0', 'python': 'py-client/0'}


def fail(message: str) -> None:
    print(f'interface_calls: {message}', file=sys.stderr)
    sys.exit(1)


def pack_python(venv: pathlib.Path, into: pathlib.Path) -> dict[str, pathlib.Path]:
    """The Python test charms as charmcraft packs them, the virtualenv linked as venv/."""
    dirs = {}
    for name in PY_CHARMS:
        src = ROOT / 'tests' / 'charms' / name
        charm = into / name
        charm.mkdir(parents=True)
        for f in ('metadata.yaml', 'dispatch'):
            (charm / f).write_bytes((src / f).read_bytes())
        (charm / 'dispatch').chmod(0o755)
        (charm / 'src').symlink_to(src / 'src')
        (charm / 'venv').symlink_to(venv)
        dirs[name] = charm
    return dirs


def trace_events(stdout: str) -> list[dict]:
    """The events of juju-sim's JSON trace (`--format json`: one JSON object per line)."""
    events = []
    for line in stdout.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return events


def run_scenario(juju_sim: pathlib.Path, client: pathlib.Path, venv: pathlib.Path) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix='interface-calls-') as tmp:
        work = pathlib.Path(tmp)
        dirs = pack_python(venv, work / 'charms')
        args = [juju_sim, 'run', '--scenario', SCENARIO, '--work-dir', work / 'model',
                '--format', 'json', '--var', f'interop-client-bin={client}']
        for name, path in dirs.items():
            args += ['--var', f'{name}={path}']
        p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
        events = trace_events(p.stdout)
        if p.returncode != 0:
            fail(f'juju-sim failed ({p.returncode}):\n{p.stderr[-3000:]}')
        return events


def tool_name(call: str) -> str:
    return call.split(' ', 1)[0]


def count(events: list[dict]) -> dict:
    """Per client side: hook name -> {'runs', 'tools', 'logs', 'by_tool'} summed over runs."""
    out: dict = {side: {} for side in CLIENTS}
    for e in events:
        if e.get('event') != 'hook':
            continue
        for side, unit in CLIENTS.items():
            if e.get('unit') != unit:
                continue
            row = out[side].setdefault(e['hook'], {'runs': 0, 'tools': 0, 'logs': 0,
                                                   'by_tool': {}})
            row['runs'] += 1
            for call in e.get('calls', []):
                name = tool_name(call)
                if name == 'juju-log':
                    row['logs'] += 1
                else:
                    row['tools'] += 1
                    row['by_tool'][name] = row['by_tool'].get(name, 0) + 1
            row['logs'] += len(e.get('logs', []))
    return out


def report(counts: dict) -> str:
    """A Markdown table: per hook, each client's tool calls per run and which tools."""
    rust, python = counts['rust'], counts['python']
    hooks = list(dict.fromkeys([*rust, *python]))
    empty = {'runs': 0, 'tools': 0, 'logs': 0, 'by_tool': {}}
    out = ['| hook | runs, Rust / Python | tools per run, Rust | tools per run, Python '
           '| log lines per run, Rust / Python | Rust, by tool (all runs) '
           '| Python, by tool (all runs) |',
           '|---|---|---|---|---|---|---|']
    total = {'rust': [0, 0], 'python': [0, 0]}

    def per(row: dict, key: str) -> str:
        return f"{row[key] / row['runs']:.1f}" if row['runs'] else '–'

    def by_tool(row: dict) -> str:
        return ', '.join(f'{k} {v}' for k, v in sorted(row['by_tool'].items()))

    for h in hooks:
        r, p = rust.get(h, empty), python.get(h, empty)
        out.append(f"| {h} | {r['runs']} / {p['runs']} | {per(r, 'tools')} | {per(p, 'tools')} "
                   f"| {per(r, 'logs')} / {per(p, 'logs')} | {by_tool(r)} | {by_tool(p)} |")
        for side, row in (('rust', r), ('python', p)):
            total[side][0] += row['tools']
            total[side][1] += row['runs']
    out.append(f"| **every hook** | {total['rust'][1]} / {total['python'][1]} | "
               f"{total['rust'][0]} in all | {total['python'][0]} in all | | | |")
    return '\n'.join(out)


def measure(juju_sim: pathlib.Path, client: pathlib.Path, venv: pathlib.Path) -> dict:
    return count(run_scenario(juju_sim, client, venv))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--juju-sim', type=pathlib.Path, required=True)
    ap.add_argument('--interop-client', type=pathlib.Path, required=True)
    ap.add_argument('--venv', type=pathlib.Path, required=True)
    ap.add_argument('--json', type=pathlib.Path, help='also write the counts here')
    a = ap.parse_args()
    for f in (a.juju_sim, a.interop_client, a.venv / 'bin' / 'python'):
        if not f.exists():
            fail(f'{f} does not exist')
    counts = measure(a.juju_sim.resolve(), a.interop_client.resolve(), a.venv.resolve())
    if a.json:
        a.json.write_text(json.dumps(counts, indent=2))
    print(report(counts))


if __name__ == '__main__':
    main()
