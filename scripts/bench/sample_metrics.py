#!/usr/bin/env python3
"""Samples sfcrimed's /metrics every 200 ms, one JSON line each, for the cluster
benchmarks: {"t": unix seconds, "acked": N, "consumed": N, "committed": N,
"last_commit": {"0": unix seconds, ...}, "latency": [[le, cumulative count], ...],
"unowned": N}. A sample that finds nothing (the daemon not listening yet, or gone) is
left out. Runs until terminated.

Usage: sample_metrics.py URL OUT"""

import json
import re
import signal
import sys
import time
import urllib.request

SERIES = {
    'sfcrimed_ingest_records_total{outcome="acked"}': "acked",
    'sfcrimed_pipeline_records_total{outcome="consumed"}': "consumed",
    'sfcrimed_pipeline_transactions_total{outcome="committed"}': "committed",
    "sfcrimed_pipeline_partitions_unowned": "unowned",
}


def sample(url):
    with urllib.request.urlopen(url, timeout=2) as answer:
        text = answer.read().decode()
    point = {"t": time.time(), "last_commit": {}, "latency": []}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        if name in SERIES:
            point[SERIES[name]] = float(value)
        elif m := re.fullmatch(r'sfcrimed_pipeline_last_commit_timestamp_seconds\{thread="(\d+)"\}', name):
            point["last_commit"][m.group(1)] = float(value)
        elif m := re.fullmatch(r'sfcrimed_pipeline_latency_seconds_bucket\{le="([^"]+)"\}', name):
            point["latency"].append([float(m.group(1)), float(value)])
    return point


def main():
    url, out = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(out, "a", encoding="utf-8", buffering=1) as f:
        while True:
            started = time.monotonic()
            try:
                print(json.dumps(sample(url)), file=f)
            except OSError:
                pass
            time.sleep(max(0.0, 0.2 - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
