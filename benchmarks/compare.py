"""The driver of `benchmarks/compare`: runs the Rust webkv charm and its Python `ops` peer
side by side under juju-sim, and the Pebble client benchmarks, and prints a report.

Run it through `benchmarks/compare` (which builds everything and creates the virtualenv);
it needs the venv's Python (for `ops`, used by the Pebble client benchmark and to seed Python
ops' deferred queue) and the release binaries in target/release.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

import interface_calls

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / 'benchmarks'
# The binaries benchmarks/compare built: the simulators static for the host's target, the
# charm as charmcraft.yaml builds it (charm-example/build-dispatch: target/<triple>/release).
REL = pathlib.Path(os.environ.get('BENCH_BIN_DIR', ROOT / 'target' / 'release'))
CHARM_BIN = pathlib.Path(os.environ.get('BENCH_CHARM', REL / 'charm-example'))
INTEROP_CLIENT = pathlib.Path(os.environ.get('BENCH_INTEROP_CLIENT',
                                             ROOT / 'target' / 'release' / 'interop-client'))
OUT = ROOT / 'target' / 'bench'
CHARMS = ('rust', 'python')
SCENARIO = BENCH / 'scenarios' / 'webkv.yaml'
# How the hooks of SCENARIO's steps after the first (deploy) are told apart in the report.
STEP_LABELS = {2: ' (ready notice)', 4: ' (port change)', 5: ' (ready notice, new port)',
               6: ' (action)'}


def fail(message: str) -> None:
    print(f'compare: {message}', file=sys.stderr)
    sys.exit(1)


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


# -- packing: what `charmcraft pack` puts into a charm --------------------------------------

def packed_dir(d: pathlib.Path) -> pathlib.Path:
    """A fresh directory `d` holding what charmcraft packs from charmcraft.yaml:
    metadata.yaml, config.yaml and actions.yaml (the dispatch is the caller's)."""
    meta = yaml.safe_load((ROOT / 'charmcraft.yaml').read_text())
    config = {'options': meta.pop('config', {}).get('options', {})}
    actions = meta.pop('actions', {})
    for key in ('parts', 'base', 'platforms', 'type', 'bases', 'build-base'):
        meta.pop(key, None)
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    (d / 'metadata.yaml').write_text(yaml.safe_dump(meta, sort_keys=False))
    (d / 'config.yaml').write_text(yaml.safe_dump(config, sort_keys=False))
    (d / 'actions.yaml').write_text(yaml.safe_dump(actions, sort_keys=False))
    return d


def pack(venv: pathlib.Path) -> dict[str, pathlib.Path]:
    """Lays out both charms as charmcraft packs them: metadata.yaml, config.yaml and
    actions.yaml split out of charmcraft.yaml, and the dispatch."""
    dirs = {charm: packed_dir(OUT / f'{charm}-webkv') for charm in CHARMS}
    (dirs['rust'] / 'dispatch').symlink_to(CHARM_BIN)
    py = dirs['python']
    (py / 'dispatch').symlink_to(BENCH / 'python-webkv' / 'dispatch')
    (py / 'src').mkdir()
    (py / 'src' / 'charm.py').symlink_to(BENCH / 'python-webkv' / 'src' / 'charm.py')
    # The same start wrapper bytes as the Rust charm embeds.
    (py / 'src' / 'webkv-start.sh').symlink_to(ROOT / 'charm-example' / 'src' / 'webkv-start.sh')
    (py / 'venv').symlink_to(venv)
    return dirs


# -- juju-sim runs ---------------------------------------------------------------------------

def juju_sim(args: list) -> list[dict]:
    """Runs juju-sim with a JSON trace; returns its events. Fails on any failed run."""
    # The Python peer finds its sockets through OPS_RS_CONTAINERS_DIR (see its charm.py), so
    # both charms run without juju-sim's private mount namespace: hook times stay comparable.
    p = run([REL / 'juju-sim', *args, '--format', 'json', '--log-level', 'debug',
             '--mount-namespace', 'never'])
    events = interface_calls.trace_events(p.stdout)
    if p.returncode != 0:
        hooks = [e for e in events if e.get('event') == 'hook' and e.get('exit_code')]
        detail = '\n'.join(h.get('stderr', '') for h in hooks)[-3000:]
        fail(f'juju-sim {" ".join(map(str, args))} failed ({p.returncode}):\n{p.stderr[-3000:]}\n{detail}')
    return events


def hook_events(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get('event') == 'hook']


def evict_from_page_cache(venv: pathlib.Path) -> int:
    """Drops both charms' files from the page cache (posix_fadvise DONTNEED, no root needed):
    the Rust binary, and the Python peer's code, venv, interpreter and standard library.

    How a file came into the page cache changes how a process that maps it faults: the same
    binary took 150 page faults a dispatch as the linker (lld) wrote it, 114 once copied with
    `cp`, and 150 again after the cache was dropped, and each fault costs microseconds on a
    VM. So a benchmark that runs whatever the build left behind measures the linker. Read
    back from disk, both charms' files are in the state of a charm whose files were evicted
    once since Juju installed it. Returns how many files were evicted."""
    roots = [CHARM_BIN.resolve(), BENCH / 'python-webkv', venv,
             pathlib.Path(os.path.realpath(venv / 'bin' / 'python')),
             pathlib.Path(sys.base_prefix) / 'lib' / f'python{sys.version_info[0]}.{sys.version_info[1]}']
    done = 0
    for root in roots:
        files = [root] if root.is_file() else [f for f in root.rglob('*') if f.is_file()]
        for f in files:
            try:
                fd = os.open(f, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)  # dirty pages are not dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                done += 1
            except OSError:
                pass
            finally:
                os.close(fd)
    return done


def scenario_runs(dirs, iterations: int, work: pathlib.Path) -> dict:
    """Runs benchmarks/scenarios/webkv.yaml `iterations` times per charm (a fresh unit each
    time, the two charms interleaved); returns samples[charm][hook] = [hook event, ...].
    Iteration 0 is not counted: it reads both charms back into the page cache after
    `evict_from_page_cache`."""
    samples: dict = {c: {} for c in CHARMS}
    calls: dict = {c: {} for c in CHARMS}
    for i in range(-1, iterations):
        for charm in CHARMS:
            wd = work / f'{charm}-{i}'
            events = juju_sim(['run', '--charm', dirs[charm], '--scenario', SCENARIO,
                               '--work-dir', wd, '--retries', '0'])
            shutil.rmtree(wd, ignore_errors=True)
            if i < 0:
                continue
            step = 0
            for e in events:
                if e.get('event') == 'step':
                    step = e['step']
                elif e.get('event') == 'hook':
                    key = e['hook'] + STEP_LABELS.get(step, '')
                    samples[charm].setdefault(key, []).append(e)
                    calls[charm].setdefault(key, e['calls'])
    return {'samples': samples, 'calls': calls}


# -- the cost of a hook-tool process that the tool cannot time itself -------------------------

def tool_overhead(dirs, work: pathlib.Path, calls: int = 100) -> dict:
    """A hook tool times itself from its fork to the end of `main` (juju-sim's tool_times);
    what it cannot see is its exec's tail and its exit (freeing its memory, waking the
    caller). This spawns `is-leader` as both frameworks do (vfork + exec, waiting for it)
    and returns the median difference between the caller's view and the tool's record: it
    is added to every call's recorded time, for both charms."""
    wd = work / 'calibrate'
    juju_sim(['run', '--charm', dirs['rust'], '--scenario', SCENARIO, '--work-dir', wd,
              '--retries', '0'])
    times = wd / 'calibrate-times.log'
    env = {'PATH': f"{wd / 'bin'}:/usr/bin:/bin", 'JUJU_SIM_STATE': str(wd / 'state.json'),
           'JUJU_SIM_TOOL_TIMES': str(times)}
    tool = str(wd / 'bin' / 'is-leader')
    seen = []
    for _ in range(calls):
        start = time.perf_counter()
        pid = os.posix_spawn(tool, [tool, '--format=json'], env, file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
        os.waitpid(pid, 0)
        seen.append((time.perf_counter() - start) * 1e6)
    recorded = []
    for line in times.read_text().splitlines():
        _, pre, main = line.split('\t')
        recorded.append(int(pre) + int(main))
    shutil.rmtree(wd, ignore_errors=True)
    diffs = [a - b for a, b in zip(seen, recorded)]
    return {'calls': calls, 'caller_median_us': statistics.median(seen),
            'recorded_median_us': statistics.median(recorded),
            'overhead_us': max(0.0, statistics.median(diffs))}


# -- deferred events --------------------------------------------------------------------------

DEFERRED_KEY = 'bench.example.com/other'


def seed_rust(db: pathlib.Path, n: int) -> None:
    """n deferred web-pebble-custom-notice events (a key the charm ignores) in ops-rs' store."""
    conn = sqlite3.connect(db)
    with conn:
        (counter,) = conn.execute("SELECT value FROM meta WHERE key = 'event_counter'").fetchone()
        conn.execute('DELETE FROM queue')
        rows = []
        for i in range(n):
            data = json.dumps({'container': 'web', 'notice_id': str(1000 + i),
                               'notice_type': 'custom', 'notice_key': DEFERRED_KEY})
            rows.append((counter + 1 + i, 'on_web_notice', 'pebble-custom-notice', 'web', data))
        conn.executemany(
            'INSERT INTO queue (event_id, handler, kind, source, data) VALUES (?, ?, ?, ?, ?)', rows)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'event_counter'", (counter + n,))
    conn.close()


def seed_python(db: pathlib.Path, n: int) -> None:
    """The same n deferred events in Python ops' store (.unit-state.db), written with ops'
    own storage API as Framework.defer does: a snapshot of the event, a notice for the
    observer."""
    import ops.storage

    store = ops.storage.SQLiteStorage(db)
    for path, observer, method in list(store.notices()):
        store.drop_notice(path, observer, method)
        try:
            store.drop_snapshot(path)
        except Exception:  # noqa: BLE001 - already gone
            pass
    for i in range(n):
        path = f'WebKvCharm/on/web_pebble_custom_notice[{100000 + i}]'
        store.save_snapshot(path, {'container_name': 'web', 'notice_id': str(1000 + i),
                                   'notice_type': 'custom', 'notice_key': DEFERRED_KEY})
        store.save_notice(path, 'WebKvCharm', '_on_web_notice')
    store.commit()
    store.close()


def forget_calls(state_file: pathlib.Path) -> None:
    """Empties the simulated model's record of tool calls and log lines, so that every
    repetition starts from the same state files. The record is a journal beside the model
    (`<state>.records`, which hook tools only append to); a model file holding records of
    its own (an older juju-sim) is emptied too."""
    state = json.loads(state_file.read_text())
    if state.get('calls') or state.get('logs'):
        state['calls'], state['logs'] = [], []
        state_file.write_text(json.dumps(state))
    records = state_file.with_name(state_file.name + '.records')
    if records.exists():
        records.write_text('')


def deferred_runs(dirs, counts, reps: int, work: pathlib.Path) -> dict:
    """Dispatch time of update-status with n deferred events re-emitted first."""
    out: dict = {c: {} for c in CHARMS}
    for charm in CHARMS:
        wd = work / f'{charm}-deferred'
        juju_sim(['run', '--charm', dirs[charm], '--scenario', SCENARIO,
                  '--work-dir', wd, '--retries', '0'])
        db = wd / 'charm' / '.unit-state.db'
        for n in counts:
            for _ in range(reps):
                (seed_rust if charm == 'rust' else seed_python)(db, n)
                forget_calls(wd / 'state.json')
                events = juju_sim(['hook', 'update-status', '--work-dir', wd, '--retries', '0'])
                h = hook_events(events)[-1]
                logs = ' '.join(l['message'] for l in h['logs'])
                if n and DEFERRED_KEY not in logs:
                    fail(f'{charm}: the {n} deferred events were not re-emitted (logs: {logs[:500]})')
                out[charm].setdefault(n, []).append(h)
        shutil.rmtree(wd, ignore_errors=True)
    return out


# -- the Pebble clients -----------------------------------------------------------------------

PEBBLE_ROUNDS = 3


def placements() -> list[tuple[str, set | None, set | None]]:
    """Where the server and the client run: (label, server CPUs, client CPUs).

    A request's round trip wakes the other process twice. On one CPU that is a context
    switch; on two, the sleeping CPU must be woken, which on a VM (this one included) costs
    more than the request itself, and the scheduler picks either from one run to the next.
    Pinning measures each case on purpose, for both clients alike; the last placement is the
    scheduler's own choice."""
    cpus = sorted(os.sched_getaffinity(0))
    out: list[tuple[str, set | None, set | None]] = [('one CPU', {cpus[0]}, {cpus[0]})]
    if len(cpus) > 1:
        out.append(('two CPUs', {cpus[0]}, {cpus[1]}))
    out.append(('unpinned', None, None))
    return out


def pin_process(pid: int, cpus: set | None) -> None:
    """Pins every thread of a running process (its runtime may have started threads)."""
    all_cpus = os.sched_getaffinity(0)
    for task in pathlib.Path(f'/proc/{pid}/task').iterdir():
        os.sched_setaffinity(int(task.name), cpus or all_cpus)


def pebble_clients(python: pathlib.Path, requests: int, work: pathlib.Path) -> list[dict]:
    """Both clients against one `pebble-sim serve`, in PEBBLE_ROUNDS alternating rounds
    (ours, ops', ours, ops', ...) for each placement of server and client on the CPUs:
    this VM's speed drifts by the minute, and alternating short rounds lets each round's
    ratio compare like with like."""
    sock = work / 'pebble.socket'
    server = subprocess.Popen([REL / 'pebble-sim', 'serve', '--socket', sock, '--root', work / 'root'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(500):
            if sock.exists():
                break
            time.sleep(0.01)
        else:
            fail('pebble-sim did not create its socket')
        results = []
        for placement, server_cpus, client_cpus in placements():
            try:
                pin_process(server.pid, server_cpus)
            except OSError as e:
                print(f'compare: cannot pin pebble-sim for "{placement}" ({e}); skipping it',
                      file=sys.stderr)
                continue
            for round_ in range(1, PEBBLE_ROUNDS + 1):
                for side, cmd in (('rust', [REL / 'examples' / 'pebble_rps', sock, requests]),
                                  ('python', [python, BENCH / 'pebble_client_bench.py', sock,
                                              requests])):
                    pin = (lambda: os.sched_setaffinity(0, client_cpus)) if client_cpus else None
                    p = run(cmd, preexec_fn=pin)
                    if p.returncode != 0:
                        fail(f'{cmd[0]} failed: {p.stderr[-2000:]}')
                    for line in p.stdout.splitlines():
                        if line.startswith('{'):
                            results.append({**json.loads(line), 'round': round_, 'side': side,
                                            'placement': placement})
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


# -- the divan benches --------------------------------------------------------------------------

def divan(benches: list[list[str]]) -> str:
    """Runs divan benches (cargo bench arguments); returns their tables as printed."""
    text = []
    for args in benches:
        cmd = ['cargo', 'bench', '--quiet', *args]
        p = run(cmd, cwd=ROOT)
        if p.returncode != 0:
            fail(f'{" ".join(cmd)} failed:\n{p.stderr[-3000:]}')
        text.append(f'$ cargo bench {" ".join(args)}\n{p.stdout.strip()}\n')
    return '\n'.join(text)


# -- statistics and the report -------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round((len(s) - 1) * q)))]


def summarize(hooks: list[dict], overhead_us: float) -> dict:
    """Median and p95 of a hook's runs. Own time: wall time minus the hook-tool calls'
    recorded time and, per call, the tool process overhead they cannot record."""
    wall = [h['duration_us'] / 1000 for h in hooks]
    own = [(h['duration_us'] - h['tool_us'] - h['tool_calls'] * overhead_us) / 1000
           for h in hooks]
    # Without the per-call overhead: an upper bound, whatever the overhead really was.
    own_max = [(h['duration_us'] - h['tool_us']) / 1000 for h in hooks]
    rss = [h.get('peak_rss_kb') or 0 for h in hooks]
    cpu = [h['cpu_us'] / 1000 for h in hooks if h.get('cpu_us') is not None]
    return {
        'n': len(hooks),
        'median_ms': statistics.median(wall),
        'p95_ms': pct(wall, 0.95),
        'own_median_ms': statistics.median(own),
        'own_p95_ms': pct(own, 0.95),
        'own_upper_median_ms': statistics.median(own_max),
        'peak_rss_mib': max(rss) / 1024,
        'own_cpu_median_ms': statistics.median(cpu) if cpu else None,
        'tool_calls': statistics.median([h['tool_calls'] for h in hooks]),
        'tool_calls_no_log': statistics.median([len(h['calls']) for h in hooks]),
    }


def cpu_pair(a: dict, b: dict) -> str:
    """The two charms' own CPU medians and how many times less Rust's is ('n/a' cells when
    the scheduler's figures were not readable)."""
    x, y = a.get('own_cpu_median_ms'), b.get('own_cpu_median_ms')
    if x is None or y is None:
        return 'n/a | n/a'
    return f"{x:.2f} / {y:.1f} | {faster(x, y)}"


def ratio(a: float, b: float) -> str:
    return f'{a / b:.3f}' if b else 'n/a'


def faster(rust: float, python: float) -> str:
    return f'{python / rust:.1f}x' if rust else 'n/a'


def spread(values: list[float]) -> str:
    """`min–max` of ratios, or 'n/a'."""
    return f'{min(values):.1f}x–{max(values):.1f}x' if values else 'n/a'


def goals(r: dict) -> list[str]:
    """The issue's goals, checked against this run's figures: what each reached and whether
    it is met (and where not, by how much). Why a goal is missed is BENCHMARKS.md's part."""
    rust, py = r['hooks']['rust'], r['hooks']['python']
    hooks = [h for h in rust if h in py]

    def times(key: str) -> dict[str, float]:
        return {h: py[h][key] / rust[h][key] for h in hooks
                if rust[h].get(key) and py[h].get(key) is not None}

    def verdict(per_hook: dict[str, float], goal: float) -> str:
        if not per_hook:
            return 'n/a'
        met = [h for h, x in per_hook.items() if x >= goal]
        best, worst = max(per_hook.values()), min(per_hook.values())
        if len(met) == len(per_hook):
            return '**met** in every hook'
        if not met:
            return f'**missed** in every hook, by {goal / best:.1f}x–{goal / worst:.1f}x'
        return (f'**met in {len(met)} of {len(per_hook)} hooks** ({", ".join(met)}); '
                f'missed by up to {goal / worst:.1f}x')

    speed, own, cpu = times('median_ms'), times('own_median_ms'), times('own_cpu_median_ms')
    extra = {h: rust[h]['tool_calls'] - py[h]['tool_calls'] for h in hooks}
    rss = {h: rust[h]['peak_rss_mib'] / py[h]['peak_rss_mib'] for h in hooks
           if py[h]['peak_rss_mib']}
    out = ['### The goals in this run\n',
           '| goal | this run | met? |', '|---|---|---|',
           f'| a hook ≥ 30x faster than the Python peer\'s | {spread(list(speed.values()))} | '
           f'{verdict(speed, 30)} |',
           f'| the framework\'s own time ≥ 100x lower | {spread(list(own.values()))} (own CPU '
           f'{spread(list(cpu.values()))}) | {verdict(own, 100)} |']
    most, fewest = max(extra.values()), min(extra.values())
    if most <= 0:
        out.append(f'| never more hook-tool calls than the Python peer | {-most:g} to '
                   f'{-fewest:g} fewer in every hook | **met** |')
    else:
        out.append(f'| never more hook-tool calls than the Python peer | up to {most:g} more '
                   f'in a hook | **missed** |')
    worst_rss = max(rss.values()) if rss else float('nan')
    out.append(f'| peak RSS ≤ 1/4 of the Python peer\'s | at most {worst_rss:.3f} | '
               f'{"**met**" if worst_rss <= 0.25 else "**missed**"} |')
    by_key = {(p.get('placement'), p.get('round', 1), p.get('side'), p['request']): p
              for p in r['pebble']}
    per_placement: dict[str, list[float]] = {}
    for p in r['pebble']:
        ours = by_key.get((p.get('placement'), p.get('round', 1), 'rust', p['request']))
        if p.get('side') == 'python' and ours and p['requests_per_s']:
            per_placement.setdefault(p.get('placement') or 'unpinned', []).append(
                ours['requests_per_s'] / p['requests_per_s'])
    for placement, ratios in per_placement.items():
        met = sum(x >= 10 for x in ratios)
        if met == len(ratios):
            said = '**met** in every round'
        elif met == 0:
            said = f'**missed** in every round, by {10 / max(ratios):.1f}x–{10 / min(ratios):.1f}x'
        else:
            said = (f'**met in {met} of {len(ratios)} rounds**; missed by up to '
                    f'{10 / min(ratios):.1f}x')
        out.append(f'| Pebble requests/s ≥ 10x `ops.pebble.Client` ({placement}) | '
                   f'{spread(ratios)} | {said} |')
    d = r['deferred']['rust'].get('1000') or r['deferred']['rust'].get(1000)
    if d:
        out.append(f'| 1,000 deferred events re-emitted in < 50 ms | the whole update-status '
                   f'hook, tools included: {d["median_ms"]:.1f} ms | '
                   f'{"**met**" if d["median_ms"] < 50 else "**missed**"} |')
    out.append('')
    return out


def machine() -> dict:
    lscpu = run(['lscpu']).stdout
    model = next((l.split(':', 1)[1].strip() for l in lscpu.splitlines()
                  if l.startswith('Model name')), platform.processor())
    rustc = run(['rustc', '--version']).stdout.strip()
    import ops
    return {
        'cpu': model,
        'cores': os.cpu_count(),
        'kernel': platform.release(),
        'rustc': rustc,
        'charm_target': CHARM_BIN.parent.parent.name,
        'python': platform.python_version(),
        'ops': ops.__version__,
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
    }


def report(r: dict) -> str:
    out = []
    m = r['machine']
    out.append(f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}; {m['rustc']}, "
               f"the charm built for {m.get('charm_target', 'the host')}; Python {m['python']}, "
               f"ops {m['ops']}; {m['date']}. Load average (1 min) at the start "
               f"{r['load'][0]:.2f}, at the end {r['load'][1]:.2f}.")
    t = r['tool_overhead']
    out.append(f"Iterations: {r['iterations']} fresh units per charm running "
               f"benchmarks/scenarios/webkv.yaml, the two charms interleaved, after one uncounted "
               f"unit each that read both charms back from disk ({r.get('evicted_files', 0)} "
               f"files dropped from the page cache first). Hook-tool process "
               f"overhead not recorded by the tools themselves: {t['overhead_us']:.0f} µs per "
               f"call (spawn to exit {t['caller_median_us']:.0f} µs, recorded "
               f"{t['recorded_median_us']:.0f} µs), added to the tools' time for both charms.\n")
    out.extend(goals(r))
    out.append('### Hooks under juju-sim (wall time from spawn to exit; own = wall minus time '
               'inside hook tools)\n')
    out.append('| hook | Rust median / p95 ms | Python median / p95 ms | Rust/Python (median) '
               '| speed-up | own time Rust / Python ms (median) | own speed-up | own CPU Rust / '
               'Python ms (median) | own CPU ratio | peak RSS Rust / Python MiB | RSS ratio | '
               'hook-tool calls Rust / Python (without juju-log) |')
    out.append('|---|---|---|---|---|---|---|---|---|---|---|---|')
    for hook in r['hooks']['rust']:
        a, b = r['hooks']['rust'][hook], r['hooks']['python'].get(hook)
        if b is None:
            continue
        out.append(
            f"| {hook} | {a['median_ms']:.2f} / {a['p95_ms']:.2f} | {b['median_ms']:.1f} / "
            f"{b['p95_ms']:.1f} | {ratio(a['median_ms'], b['median_ms'])} | "
            f"{faster(a['median_ms'], b['median_ms'])} | {a['own_median_ms']:.2f} / "
            f"{b['own_median_ms']:.1f} | {faster(a['own_median_ms'], b['own_median_ms'])} | "
            f"{cpu_pair(a, b)} | "
            f"{a['peak_rss_mib']:.1f} / {b['peak_rss_mib']:.1f} | "
            f"{ratio(a['peak_rss_mib'], b['peak_rss_mib'])} | {a['tool_calls']:g} / "
            f"{b['tool_calls']:g} ({a['tool_calls_no_log']:g} / {b['tool_calls_no_log']:g}) |")
    out.append('')
    out.append('### Dispatch with deferred events (update-status; the deferred events are '
               'web-pebble-custom-notice events whose handler returns at once)\n')
    t = r['tool_overhead_deferred']
    out.append(f"Per-call tool overhead re-measured for this part: {t['overhead_us']:.0f} µs. "
               'With thousands of `juju-log` calls the own time is a small difference of large '
               'numbers: the upper bound (wall minus the time the tools recorded, no overhead '
               'added) is shown with the estimate (which can come out negative when the machine '
               'is busier than at calibration).\n')
    out.append('| deferred events | Rust median / p95 ms | Python median / p95 ms | speed-up | '
               'own time Rust / Python ms: estimate (upper bound) | hook-tool calls Rust / '
               'Python |')
    out.append('|---|---|---|---|---|---|')
    for n in r['deferred']['rust']:
        a, b = r['deferred']['rust'][n], r['deferred']['python'][n]
        out.append(f"| {n} | {a['median_ms']:.2f} / {a['p95_ms']:.2f} | {b['median_ms']:.1f} / "
                   f"{b['p95_ms']:.1f} | {faster(a['median_ms'], b['median_ms'])} | "
                   f"{a['own_median_ms']:.1f} ({a['own_upper_median_ms']:.1f}) / "
                   f"{b['own_median_ms']:.1f} ({b['own_upper_median_ms']:.1f}) | "
                   f"{a['tool_calls']:g} / {b['tool_calls']:g} |")
    out.append('')
    out.append('### Pebble clients against pebble-sim (one connection, sequential requests)\n')
    out.append('For each placement of the server and the client on the CPUs, alternating rounds '
               '(ours, then ops\', then ours again...); the ratios compare the two clients within '
               'a round. Client CPU is the client thread\'s own CPU time per request (its work, '
               'not the server\'s or the wait).\n')
    out.append('| placement | round | client | request | median µs | p95 µs | requests/s | '
               'client CPU µs/request | ours / ops: requests/s | ours / ops: CPU |')
    out.append('|---|---|---|---|---|---|---|---|---|---|')
    by_key = {(p.get('placement'), p.get('round', 1), p.get('side'), p['request']): p
              for p in r['pebble']}
    for p in r['pebble']:
        vs = cpu_vs = ''
        if p.get('side') == 'python':
            ours = by_key.get((p.get('placement'), p.get('round', 1), 'rust', p['request']))
            if ours:
                vs = f"{ours['requests_per_s'] / p['requests_per_s']:.1f}x"
                if ours.get('cpu_us_per_request') and p.get('cpu_us_per_request'):
                    cpu_vs = f"{p['cpu_us_per_request'] / ours['cpu_us_per_request']:.1f}x less"
        cpu = p.get('cpu_us_per_request')
        out.append(f"| {p.get('placement', '')} | {p.get('round', 1)} | {p['client']} | "
                   f"{p['request']} | {p['median_us']:.0f} | {p['p95_us']:.0f} | "
                   f"{p['requests_per_s']:.0f} | {'' if cpu is None else f'{cpu:.1f}'} | "
                   f"{vs} | {cpu_vs} |")
    out.append('')
    s = r['sizes']
    out.append(f"### Size\n\nRust: release `dispatch` binary {s['rust_binary_mib']:.2f} MiB. "
               f"Python: src/charm.py {s['python_charm_kib']:.1f} KiB plus the venv's packages "
               f"(ops and its dependencies) {s['python_venv_site_packages_mib']:.1f} MiB, on top "
               f"of a Python {m['python']} interpreter.\n")
    if r.get('interface_calls'):
        out.append('### Interface libraries: hook-tool calls per event\n\n'
                   'benchmarks/scenarios/interfaces.yaml: interop-client (Rust: '
                   'ops-interface-tls-certificates, ops-interface-database) and py-client (Python: '
                   'charmlibs-interfaces-tls-certificates, dpcharmlibs-interfaces), one unit each, '
                   'related to the Python providers, then the relations removed; every hook of '
                   'each client counted (status-set included: both set their status every '
                   'hook).\n')
        out.append(interface_calls.report(r['interface_calls']) + '\n')
    if r.get('divan'):
        out.append('### In-process benches (divan)\n\n```text\n' + r['divan'] + '```\n')
    return '\n'.join(out)


def du(path: pathlib.Path) -> int:
    return sum(f.stat().st_size for f in path.rglob('*') if f.is_file() and not f.is_symlink())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--iterations', type=int, default=20)
    ap.add_argument('--deferred-reps', type=int, default=5)
    ap.add_argument('--pebble-requests', type=int, default=2000)
    ap.add_argument('--venv', type=pathlib.Path, required=True)
    ap.add_argument('--skip-divan', action='store_true')
    ap.add_argument('--json', type=pathlib.Path, default=OUT / 'results.json')
    ap.add_argument('--markdown', type=pathlib.Path, default=OUT / 'results.md')
    a = ap.parse_args()
    tools = ('juju-sim', 'hook-tool', 'pebble-sim', 'examples/pebble_rps')
    for b in [REL / t for t in tools] + [CHARM_BIN, INTEROP_CLIENT]:
        if not b.is_file():
            fail(f'{b} is missing: run benchmarks/compare, which builds it')
    OUT.mkdir(parents=True, exist_ok=True)
    venv = a.venv.resolve()
    dirs = pack(venv)
    r: dict = {'machine': machine(), 'iterations': a.iterations, 'load': [os.getloadavg()[0]]}
    with tempfile.TemporaryDirectory(prefix='bench-', dir='/tmp') as tmp:
        work = pathlib.Path(tmp)
        r['tool_overhead'] = tool_overhead(dirs, work)
        e = r['tool_overhead']['overhead_us']
        print(f'compare: hooks, {a.iterations} iterations per charm...', file=sys.stderr)
        r['evicted_files'] = evict_from_page_cache(venv)
        runs = scenario_runs(dirs, a.iterations, work)
        r['hooks'] = {c: {h: summarize(v, e) for h, v in runs['samples'][c].items()}
                      for c in CHARMS}
        r['hook_calls'] = runs['calls']
        print('compare: deferred events...', file=sys.stderr)
        # Calibrated again: the machine may be busier or quieter than for the hooks.
        r['tool_overhead_deferred'] = tool_overhead(dirs, work)
        e = r['tool_overhead_deferred']['overhead_us']
        d = deferred_runs(dirs, (0, 100, 1000), a.deferred_reps, work)
        r['deferred'] = {c: {n: summarize(v, e) for n, v in d[c].items()} for c in CHARMS}
        print('compare: Pebble clients...', file=sys.stderr)
        r['pebble'] = pebble_clients(venv / 'bin' / 'python', a.pebble_requests, work)
        print('compare: interface libraries, hook-tool calls...', file=sys.stderr)
        r['interface_calls'] = interface_calls.measure(REL / 'juju-sim', INTEROP_CLIENT, venv)
    r['sizes'] = {
        'rust_binary_mib': CHARM_BIN.stat().st_size / 2**20,
        'python_charm_kib': (BENCH / 'python-webkv' / 'src' / 'charm.py').stat().st_size / 1024,
        'python_venv_site_packages_mib': du(next(venv.glob('lib/python*/site-packages'))) / 2**20,
    }
    if not a.skip_divan:
        print('compare: divan benches...', file=sys.stderr)
        r['divan'] = divan([['-p', 'pebble-client', '--bench', 'request'],
                            ['-p', 'ops-rs', '--bench', 'resilience'],
                            ['-p', 'ops-rs', '--features', 'testing', '--bench', 'dispatch']])
    r['load'].append(os.getloadavg()[0])
    a.json.write_text(json.dumps(r, indent=2, default=str))
    text = report(r)
    a.markdown.write_text(text + '\n')
    print(text)


if __name__ == '__main__':
    main()
