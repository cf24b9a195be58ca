"""Per-request latency and requests per second of Python ops' Pebble client
(`ops.pebble.Client`) against a running Pebble: the same loop as
pebble-client/examples/pebble_rps.rs. Prints one JSON object per request kind, with the
client's own CPU time per request (this thread's CPU time: the client's work, not the
server's or the wait for it).

Usage: python pebble_client_bench.py SOCKET [REQUESTS]
"""

import json
import sys
import time

import ops.pebble


def measure(name, requests, call):
    for _ in range(min(requests, 50)):
        call()
    each = []
    cpu_start = time.thread_time_ns()
    start = time.perf_counter()
    for _ in range(requests):
        t = time.perf_counter()
        call()
        each.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    cpu_us = (time.thread_time_ns() - cpu_start) / 1e3 / requests
    each.sort()

    def at(q):
        return each[round((len(each) - 1) * q)] * 1e6

    print(json.dumps({
        'client': f'ops.pebble.Client (ops {ops.__version__})',
        'request': name,
        'requests': requests,
        'median_us': at(0.5),
        'p95_us': at(0.95),
        'requests_per_s': requests / total,
        'cpu_us_per_request': cpu_us,
    }))


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: pebble_client_bench.py SOCKET [REQUESTS]')
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    client = ops.pebble.Client(socket_path=sys.argv[1])
    measure('GET /v1/system-info', requests, client.get_system_info)
    measure('GET /v1/services', requests, client.get_services)


if __name__ == '__main__':
    main()
