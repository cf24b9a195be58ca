#!/usr/bin/env python3
"""What charm tracing costs a hook: the webkv charm built without and with ops-tracing, and
the Python peer without and with ops[tracing], through the benchmark's scenario
(benchmarks/scenarios/webkv.yaml) under juju-sim: with no tracing relation (spans only
buffered), with one whose receiver is juju-sim's own OTLP receiver on loopback, and (Rust
only) with that receiver serving HTTPS (`--otlp-tls`) and a certificate_transfer relation
bringing its CA.

Reports, per hook: instructions of the Rust charm process (valgrind's callgrind: repeatable
on a noisy machine), and wall time per hook (median over --iterations runs) for every
variant. Usage (BENCHMARKS.md, "Charm tracing", builds the inputs):

  python3 benchmarks/tracing.py --bin-dir target/debug --plain CHARM --traced CHARM \
      [--base CHARM] --plain-venv VENV --tracing-venv VENV [--iterations 5] [--out DIR] \
      [--only rust+tracing/https,...]
"""

import argparse
import json
import pathlib
import re
import shutil
import statistics
import subprocess
import sys

from compare import packed_dir

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / 'benchmarks'
SCENARIO = BENCH / 'scenarios' / 'webkv.yaml'
RECEIVERS = ('[{"protocol": {"name": "otlp_http", "type": "http"}, '
             '"url": "${otlp-receiver}"}]')
# What a certificate_transfer provider publishes: juju-sim's receiver's CA (--otlp-tls).
CA_RELATION = ('    - endpoint: receive-ca-cert\n'
               '      app: ca\n'
               '      units: [ca/0]\n'
               "      app-data: {certificates: '${otlp-ca-certificates}'}\n")


def pack(out: pathlib.Path, name: str, dispatch=None, venv=None, traced_py=False):
    """A charm directory as charmcraft packs it (compare.py's `packed_dir`)."""
    d = packed_dir(out / name)
    if venv is None:
        (d / 'dispatch').symlink_to(dispatch)
        return d
    (d / 'dispatch').symlink_to(BENCH / 'python-webkv' / 'dispatch')
    (d / 'src').mkdir()
    src = (BENCH / 'python-webkv' / 'src' / 'charm.py').read_text()
    if traced_py:
        # One line, as ops[tracing]'s docs show it.
        src = src.replace(
            '        super().__init__(framework)\n',
            '        super().__init__(framework)\n'
            '        import ops_tracing\n'
            "        self._tracing = ops_tracing.Tracing(self, tracing_relation_name='charm-tracing')\n",
            1)
        assert 'ops_tracing' in src
    (d / 'src' / 'charm.py').write_text(src)
    (d / 'src' / 'webkv-start.sh').symlink_to(ROOT / 'charm-example' / 'src' / 'webkv-start.sh')
    (d / 'venv').symlink_to(venv)
    return d


def scenarios(out: pathlib.Path) -> dict:
    """The benchmark's scenario, and the same with a tracing relation from the start."""
    text = SCENARIO.read_text()
    traced = text.replace(
        '  relations:\n',
        '  relations:\n'
        '    - endpoint: charm-tracing\n'
        '      app: tempo\n'
        '      units: [tempo/0]\n'
        f"      app-data: {{receivers: '{RECEIVERS}'}}\n", 1)
    assert traced != text
    p = out / 'webkv-loopback.yaml'
    p.write_text(traced)
    https = out / 'webkv-https.yaml'
    https.write_text(traced.replace('  relations:\n', '  relations:\n' + CA_RELATION, 1))
    return {'none': SCENARIO, 'loopback': p, 'https': https}


def juju_sim(bin_dir: pathlib.Path, charm: pathlib.Path, scenario: pathlib.Path, receiver):
    """Runs the scenario; `receiver`: None, 'loopback' (HTTP) or 'https'."""
    args = [bin_dir / 'juju-sim', 'run', '--charm', charm, '--scenario', scenario,
            '--format', 'json', '--mount-namespace', 'never']
    if receiver in ('loopback', 'https'):
        args.append('--otlp-receiver')
    if receiver == 'https':
        args.append('--otlp-tls')
    p = subprocess.run(args, capture_output=True, text=True)
    events = [json.loads(l) for l in p.stdout.splitlines() if l.startswith('{')]
    if p.returncode != 0:
        sys.exit(f'juju-sim failed for {charm}:\n{p.stderr[-2000:]}\n{p.stdout[-3000:]}')
    return events


def hooks(events):
    """(`NN hook`, wall ms, CPU ms of the dispatch process, hook tools not included) per hook
    run, numbered so a hook that runs twice is two rows."""
    runs = [e for e in events if e.get('event') == 'hook']
    return [(f"{i:02d} {e['hook']}", e['duration_us'] / 1000, e.get('cpu_us', 0) / 1000)
            for i, e in enumerate(runs, 1)]


def callgrind(bin_dir, out, name, binary, scenario, receiver):
    """Instructions per hook of `binary`, run under callgrind by a wrapper dispatch."""
    cg = out / f'cg-{name}'
    if cg.exists():
        shutil.rmtree(cg)
    cg.mkdir(parents=True)
    wrapper = out / f'{name}-callgrind-dispatch'
    wrapper.write_text(
        '#!/bin/sh\n'
        f'n=$(ls {cg} | wc -l)\n'
        f'exec valgrind --tool=callgrind --callgrind-out-file={cg}/$n.$(basename "$JUJU_DISPATCH_PATH") '
        f'{binary} "$@" 2>/dev/null\n')
    wrapper.chmod(0o755)
    charm = pack(out, f'{name}-cg', dispatch=wrapper)
    juju_sim(bin_dir, charm, scenario, receiver)
    counts = []
    for f in sorted(cg.iterdir(), key=lambda p: int(p.name.split('.')[0])):
        m = re.search(r'^(?:summary|totals): (\d+)', f.read_text(errors='replace'), re.M)
        counts.append((f.name.split('.', 1)[1], int(m.group(1)) if m else 0))
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin-dir', type=pathlib.Path, required=True)
    ap.add_argument('--plain', type=pathlib.Path, required=True)
    ap.add_argument('--traced', type=pathlib.Path, required=True)
    ap.add_argument('--base', type=pathlib.Path)
    ap.add_argument('--plain-venv', type=pathlib.Path, required=True)
    ap.add_argument('--tracing-venv', type=pathlib.Path, required=True)
    ap.add_argument('--iterations', type=int, default=5)
    ap.add_argument('--out', type=pathlib.Path, default=ROOT / 'target' / 'bench-tracing')
    ap.add_argument('--skip-callgrind', action='store_true')
    ap.add_argument('--only', default='',
                    help='comma-separated variants to run (e.g. rust+tracing/https); their '
                         "results replace those in the last run's results.json")
    ap.add_argument('--report-only', action='store_true',
                    help="print the report of the last run's results.json")
    a = ap.parse_args()
    if a.report_only:
        print(report(json.loads((a.out / 'results.json').read_text())))
        return
    out = a.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    sc = scenarios(out)
    result = {'sizes': {}, 'instructions': {}, 'wall_ms': {}, 'cpu_ms': {}}
    only = [v for v in a.only.split(',') if v]
    if only and (out / 'results.json').exists():
        result = json.loads((out / 'results.json').read_text())
        for what in ('wall_ms', 'cpu_ms'):
            for v in only:
                result[what].pop(v, None)
    if a.skip_callgrind and (out / 'results.json').exists():
        # Keep the last run's instruction counts (they repeat; times do not).
        result['instructions'] = json.loads((out / 'results.json').read_text())['instructions']
    rust = {'plain': a.plain.resolve(), 'traced': a.traced.resolve()}
    if a.base:
        rust['base'] = a.base.resolve()
    for k, b in rust.items():
        result['sizes'][k] = b.stat().st_size
    # Instructions (callgrind), one run each.
    runs = [('base', 'none'), ('plain', 'none'), ('traced', 'none'), ('traced', 'loopback'),
            ('traced', 'https')]
    wanted_runs = {'rust-base/none': ('base', 'none'), 'rust/none': ('plain', 'none'),
                   'rust+tracing/none': ('traced', 'none'),
                   'rust+tracing/loopback': ('traced', 'loopback'),
                   'rust+tracing/https': ('traced', 'https')}
    if only:
        runs = [wanted_runs[v] for v in only if v in wanted_runs]
    for binary, where in runs if not a.skip_callgrind else []:
        if binary not in rust:
            continue
        key = f'{binary}/{where}'
        print(f'callgrind: {key}', file=sys.stderr)
        result['instructions'][key] = callgrind(
            a.bin_dir, out, key.replace('/', '-'), rust[binary], sc[where], where)
    # Wall time per hook, every variant.
    variants = {
        'rust/none': (pack(out, 'rust-plain', dispatch=rust['plain']), 'none'),
        'rust+tracing/none': (pack(out, 'rust-traced', dispatch=rust['traced']), 'none'),
        'rust+tracing/loopback': (out / 'rust-traced', 'loopback'),
        'rust+tracing/https': (out / 'rust-traced', 'https'),
        'python/none': (pack(out, 'py-plain', venv=a.plain_venv.resolve()), 'none'),
        'python+tracing/none': (pack(out, 'py-traced', venv=a.tracing_venv.resolve(),
                                     traced_py=True), 'none'),
        'python+tracing/loopback': (out / 'py-traced', 'loopback'),
    }
    if 'base' in rust:
        variants['rust-base/none'] = (pack(out, 'rust-base', dispatch=rust['base']), 'none')
    if only:
        variants = {k: v for k, v in variants.items() if k in only}
    for i in range(a.iterations):
        for key, (charm, where) in variants.items():
            print(f'run {i + 1}/{a.iterations}: {key}', file=sys.stderr)
            for hook, ms, cpu in hooks(juju_sim(a.bin_dir, charm, sc[where], where)):
                result['wall_ms'].setdefault(key, {}).setdefault(hook, []).append(ms)
                result['cpu_ms'].setdefault(key, {}).setdefault(hook, []).append(cpu)
    (out / 'results.json').write_text(json.dumps(result, indent=1))
    print(report(result))


def by_occurrence(names):
    """`config-changed`, `config-changed #2`, ...: the same hook lines up across scenarios
    whose hook lists differ (the loopback one has the tracing relation's hooks too)."""
    seen, out = {}, []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f'{n} #{seen[n]}')
    return out


def report(r):
    lines = ['Sizes (bytes): ' + ', '.join(f'{k} {v:,}' for k, v in r['sizes'].items()), '']
    ins = {k: dict(zip(by_occurrence([h for h, _ in v]), [c for _, c in v]))
           for k, v in r['instructions'].items()}
    keys = list(ins)
    rows = list(dict.fromkeys(h for k in keys for h in ins[k]))
    lines.append('| hook (instructions) | ' + ' | '.join(keys) + ' |')
    lines.append('|---' * (len(keys) + 1) + '|')
    for h in rows:
        cells = [f'{ins[k][h]:,}' if h in ins[k] else '' for k in keys]
        lines.append(f'| {h} | ' + ' | '.join(cells) + ' |')
    lines.append('')
    for what, title in (('cpu_ms', 'median CPU ms of the dispatch process'),
                        ('wall_ms', 'median wall ms')):
        if not r.get(what):
            continue
        walls = {k: dict(zip(by_occurrence([h.split(' ', 1)[1] for h in v]), v.values()))
                 for k, v in r[what].items()}
        keys = list(walls)
        rows = list(dict.fromkeys(h for k in keys for h in walls[k]))
        lines.append(f'| hook ({title}) | ' + ' | '.join(keys) + ' |')
        lines.append('|---' * (len(keys) + 1) + '|')
        for h in rows:
            cells = [f"{statistics.median(walls[k][h]):.1f}" if h in walls[k] else ''
                     for k in keys]
            lines.append(f'| {h} | ' + ' | '.join(cells) + ' |')
        common = [h for h in rows if all(h in walls[k] for k in keys)]
        totals = [f"{sum(statistics.median(walls[k][h]) for h in common):.0f}" for k in keys]
        lines.append(f'| the {len(common)} hooks every variant runs, sum | '
                     + ' | '.join(totals) + ' |')
        lines.append('')
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
