#!/usr/bin/env python3
"""scripts/bench/rebalance.sh's measurements, from the daemon's log and the run's events.

    rebalance_report.py record PROTOCOL LOG EVENTS   one JSON line for a protocol's run
    rebalance_report.py table RESULTS.jsonl          the Markdown table of all runs

The log's lines carry UTC timestamps in ms (log.file); the pipeline logs each partition a
thread takes ("owns p0@12, p1@0", or "adds ..." when incremental) and gives up
("released p0, p1"). EVENTS has a line "NAME UNIX_SECONDS" per step of the run."""

import datetime
import json
import re
import sys

LINE = re.compile(r"^(\S+Z) <\d>pipeline: thread (\d+) (owns|adds|released|lost) (.*)$")
PARTITION = re.compile(r"p(\d+)")


def timestamp(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def ownership_events(log):
    """[(t, partition, owned?)] in log order."""
    events = []
    for line in open(log, encoding="utf-8"):
        m = LINE.match(line.strip())
        if not m:
            continue
        t, what, rest = timestamp(m.group(1)), m.group(3), m.group(4)
        if what == "lost":
            rest = rest.split(" to the group")[0]
        for p in PARTITION.findall(rest.split(" (")[0]):
            events.append((t, int(p), what in ("owns", "adds")))
    return events


def phase(events, start, end):
    """Within [start, end): per partition the time without an owner here after `start`,
    whether it was owned just before and at the end, and when the last change came."""
    owned_before, owned_at = {}, {}
    for t, p, owned in events:
        if t < start:
            owned_before[p] = owned
    state = dict(owned_before)
    since = {p: start for p, owned in state.items() if not owned}
    pauses, last_change = {}, None
    for t, p, owned in events:
        if not start <= t < end:
            continue
        last_change = t
        if owned and not state.get(p, False):
            pauses[p] = max(pauses.get(p, 0.0), t - since.get(p, start))
        elif not owned and state.get(p, False):
            since[p] = t
        state[p] = owned
    owned_at = state
    kept = [pauses.get(p, 0.0) for p in owned_at if owned_at[p] and owned_before.get(p, False)]
    return {
        "settled": None if last_change is None else round(last_change - start, 3),
        "kept_pause": round(max(kept), 3) if kept else 0.0,
        "longest_unowned": round(max(pauses.values()), 3) if pauses else 0.0,
        "owned_at_end": sorted(p for p, owned in owned_at.items() if owned),
    }


def record(protocol, log, events_file):
    marks, starts = {}, 1
    for line in open(events_file, encoding="utf-8"):
        name, value = line.split()
        if name == "crash_starts":
            starts = int(value)
        else:
            marks[name] = float(value)
    events = ownership_events(log)
    result = {"protocol": protocol}
    for name, until in (("start", "join"), ("join", "leave"), ("leave", "crash")):
        result[name] = phase(events, marks[name], marks[until])
    result["crash"] = {"ready": round(marks["crash_ready"] - marks["crash"], 3), "starts": starts}
    result["restart"] = {"ready": round(marks["restart_ready"] - marks["restart"], 3)}
    print(json.dumps(result))


def table(results):
    runs = [json.loads(line) for line in open(results, encoding="utf-8") if line.strip()]
    names = {"classic": "classic (eager, static members)", "consumer": "KIP-848 (`group.protocol=consumer`)"}
    rows = [
        ("start: assignment settled after", lambda r: f"{r['start']['settled']:.2f} s"),
        ("start: longest a partition waited for its owner", lambda r: f"{r['start']['longest_unowned']:.2f} s"),
        ("a member joins: pause of the partitions the daemon keeps", lambda r: f"{r['join']['kept_pause']:.2f} s"),
        ("a member joins: settled after", lambda r: "–" if r["join"]["settled"] is None else f"{r['join']['settled']:.2f} s"),
        ("the member leaves: its partitions back after", lambda r: f"{r['leave']['longest_unowned']:.2f} s"),
        ("the member leaves: pause of the partitions the daemon kept", lambda r: f"{r['leave']['kept_pause']:.2f} s"),
        ("kill -9 and start again: ready after", lambda r: f"{r['crash']['ready']:.1f} s ({r['crash']['starts']} start(s))"),
        ("SIGTERM and start again: ready after", lambda r: f"{r['restart']['ready']:.1f} s"),
    ]
    lines = ["| | " + " | ".join(names.get(r["protocol"], r["protocol"]) for r in runs) + " |",
             "| --- |" + " --- |" * len(runs)]
    for title, cell in rows:
        lines.append(f"| {title} | " + " | ".join(cell(r) for r in runs) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(*sys.argv[2:5])
    elif sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        sys.exit(__doc__)
