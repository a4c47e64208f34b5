#!/usr/bin/env python3
"""Turns scripts/bench/failover.sh's runs (JSON lines: a fault, the run, the killed broker,
when it was killed and brought back, and the /metrics samples of the run) into a Markdown
table and a plot: per fault, the median (and range) over its runs of the time from the
kill to the first committed transaction after it (of any thread, of every thread), of the
longest stretch without a consumed call, of p99 latency in the steady state before the
kill and of its worst second after; and, for each fault's median run (by the time until
every thread committed), the input and processed rates and p99 latency around the kill,
second by second.

Usage: failover_report.py RESULTS.jsonl[.gz] OUT.md OUT.png   (needs matplotlib)"""

import gzip
import json
import math
import statistics
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
    if value is None:
        return "–"
    if math.isinf(value):
        return "> 12.6 s"
    return f"{value:.2f} {unit}" if value < 10 else f"{value:.1f} {unit}"


def spread(values):
    """'median (min-max)' of the values that are known."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return "–"
    if len(known) == 1:
        return fmt(known[0])
    return f"{fmt(statistics.median(known))} ({fmt(known[0])} to {fmt(known[-1])})"


def main():
    results, markdown, plot = sys.argv[1:4]
    opener = gzip.open if results.endswith(".gz") else open
    with opener(results, "rt", encoding="utf-8") as f:
        runs = [json.loads(line) for line in f if line.strip()]
    by_fault = {}
    for run in runs:
        run["figures"] = figures(run)
        by_fault.setdefault(run["fault"], []).append(run)
    lines = [f"{len(runs)} runs, {len(runs) // max(1, len(by_fault))} of each fault; median (range).", "",
             "| broker killed | time to the first commit after the kill | every thread committed again | "
             "longest stretch without a consumed call | p99 latency before | worst 1-s p99 after |",
             "| --- | --- | --- | --- | --- | --- |"]
    fig, axes = plt.subplots(2, len(by_fault), figsize=(5 * len(by_fault), 6), squeeze=False, sharex=True)
    for column, (fault, fault_runs) in enumerate(by_fault.items()):
        cells = [spread([r["figures"][key] for r in fault_runs])
                 for key in ("first_commit", "all_committed", "gap", "p99_before", "p99_worst")]
        nodes = ", ".join(str(r["node"]) for r in fault_runs)
        lines.append(f"| {TITLES.get(fault, fault)} (node {nodes}) | " + " | ".join(cells) + " |")
        ranked = sorted(fault_runs, key=lambda r: r["figures"]["all_committed"] or float("inf"))
        run = ranked[len(ranked) // 2]
        seconds = run["figures"]["seconds"]
        t = [row[0] for row in seconds]
        top, bottom = axes[0][column], axes[1][column]
        top.plot(t, [row[1] for row in seconds], label="input (acknowledged/s)")
        top.plot(t, [row[2] for row in seconds], label="processed (consumed/s)")
        top.set_title(f"killed: {TITLES.get(fault, fault)} (median run)", fontsize=10)
        top.set_ylabel("calls/s")
        bottom.plot(t, [row[3] if row[3] is not None else float("nan") for row in seconds], color="tab:red")
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
