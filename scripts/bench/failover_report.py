#!/usr/bin/env python3
"""Turns scripts/bench/failover.sh's runs (JSON lines: a fault, the killed broker, when
it was killed and brought back, and the /metrics samples of the run) into a Markdown table
and a plot: per fault, the time from the kill to the first committed transaction after it
(of any thread, of every thread), the longest stretch without a consumed call, p99 latency
in the steady state before the kill and its worst second after, and the input and
processed rates and p99 latency around the kill, second by second.

Usage: failover_report.py RESULTS.jsonl OUT.md OUT.png   (needs matplotlib)"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TITLES = {
    "leader": "leader of partition 0",
    "txn": "transaction coordinator of thread 0",
    "group": "group coordinator",
}


def per_second(samples, start):
    """Rates and p99 per whole second from `start`: [(t, input/s, processed/s, p99 s|None)]."""
    rows, previous = [], None
    for s in samples:
        if previous is not None and int(s["t"] - start) != int(previous["t"] - start):
            dt = s["t"] - previous["t"]
            if dt > 0 and "acked" in s and "acked" in previous:
                rows.append((s["t"] - start, (s["acked"] - previous["acked"]) / dt,
                             (s.get("consumed", 0) - previous.get("consumed", 0)) / dt, quantile(previous, s, 0.99)))
            previous = s
        elif previous is None:
            previous = s
    return rows


def quantile(earlier, later, q):
    """The bucket bound below which a share q of the calls applied between two samples fall."""
    before = dict((le, c) for le, c in earlier["latency"])
    deltas = [(le, c - before.get(le, 0)) for le, c in later["latency"]]
    total = deltas[-1][1] if deltas else 0
    if total <= 0:
        return None
    for le, count in deltas:
        if count >= q * total:
            return le
    return None


def figures(run):
    samples, killed = run["samples"], run["killed"]
    firsts = {}
    for s in samples:
        for thread, at in s["last_commit"].items():
            if at > killed and thread not in firsts:
                firsts[thread] = at - killed
    gap, last_change, last_consumed = 0.0, killed, None
    for s in samples:
        if s["t"] < killed or "consumed" not in s:
            continue
        if last_consumed is not None and s["consumed"] != last_consumed:
            gap = max(gap, s["t"] - last_change)
            last_change = s["t"]
        elif last_consumed is None:
            last_change = s["t"]
        last_consumed = s["consumed"]
    steady = [s for s in samples if killed - 10 <= s["t"] <= killed]
    seconds = per_second(samples, killed)
    worst = max((p for t, _, _, p in seconds if t >= 0 and p is not None), default=None)
    return {
        "first_commit": min(firsts.values()) if firsts else None,
        "all_committed": max(firsts.values()) if len(firsts) == len(samples[-1]["last_commit"]) else None,
        "gap": gap,
        "p99_before": quantile(steady[0], steady[-1], 0.99) if len(steady) > 1 else None,
        "p99_worst": worst,
        "seconds": seconds,
    }


def fmt(value, unit="s"):
    return "–" if value is None else f"{value:.2f} {unit}" if value < 10 else f"{value:.1f} {unit}"


def main():
    results, markdown, plot = sys.argv[1:4]
    runs = [json.loads(line) for line in open(results, encoding="utf-8") if line.strip()]
    lines = ["| broker killed | time to the first commit after the kill | every thread committed again | "
             "longest stretch without a consumed call | p99 latency before | worst 1-s p99 after |",
             "| --- | --- | --- | --- | --- | --- |"]
    fig, axes = plt.subplots(2, len(runs), figsize=(5 * len(runs), 6), squeeze=False, sharex=True)
    for column, run in enumerate(runs):
        f = figures(run)
        lines.append(f"| {TITLES.get(run['fault'], run['fault'])} (node {run['node']}) | {fmt(f['first_commit'])} | "
                     f"{fmt(f['all_committed'])} | {fmt(f['gap'])} | {fmt(f['p99_before'])} | {fmt(f['p99_worst'])} |")
        t = [row[0] for row in f["seconds"]]
        top, bottom = axes[0][column], axes[1][column]
        top.plot(t, [row[1] for row in f["seconds"]], label="input (acknowledged/s)")
        top.plot(t, [row[2] for row in f["seconds"]], label="processed (consumed/s)")
        top.set_title(f"killed: {TITLES.get(run['fault'], run['fault'])}", fontsize=10)
        top.set_ylabel("calls/s")
        bottom.plot(t, [row[3] if row[3] is not None else float("nan") for row in f["seconds"]], color="tab:red")
        bottom.set_yscale("log")
        bottom.set_ylabel("p99 latency (s, bucket bound)")
        bottom.set_xlabel("seconds from the kill")
        for axis in (top, bottom):
            axis.axvline(0, color="black", linestyle="--", linewidth=0.8)
            axis.axvline(run["restarted"] - run["killed"], color="grey", linestyle=":", linewidth=0.8)
        top.legend(fontsize=8)
    fig.suptitle(f"sfcrimed across a broker's SIGKILL (3 nodes, {runs[0]['rate']} calls/s; dashed: kill, dotted: back)")
    fig.tight_layout()
    fig.savefig(plot, dpi=110)
    with open(markdown, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
