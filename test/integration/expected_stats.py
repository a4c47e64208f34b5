#!/usr/bin/env python3
"""Counts a calls file independently of sfcrimed and compares the counts with what
`sfcrimed stats --json --windows` printed, key by key; or, with --windows-topic, with the
windows topic as Kafka's console consumer printed it (read_committed, "KEY<TAB>VALUE" per
line): the latest message per window is its truth, one JSON object each.

    expected_stats.py CALLS_FILE RADIO_CODES_JSON ACTUAL [--malformed N] [--window-seconds S]
                      [--windows-topic [--all-final]]

CALLS_FILE: a JSON array or JSON lines, optionally .bz2 or .gz. A call counts once per
crime_id (the first time it appears); its window is call_date_time as written, floored to
the window length. Exits 1, listing the differences, when any count differs."""
import argparse
import bz2
import collections
import datetime
import gzip
import json
import sys


def read_calls(path):
    opener = {b"BZh": bz2.open, b"\x1f\x8b": gzip.open}
    with open(path, "rb") as f:
        magic = f.read(3)
    op = next((o for m, o in opener.items() if magic.startswith(m)), open)
    with op(path, "rt", encoding="utf-8") as f:
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def window_of(when, seconds):
    t = datetime.datetime.fromisoformat(when[:19])
    epoch = int((t - datetime.datetime(1970, 1, 1)).total_seconds())
    start = epoch - epoch % seconds
    fmt = lambda s: (datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S")
    return fmt(start), fmt(start + seconds)


def expected(calls, codes, window_seconds, malformed):
    seen = set()
    types = collections.Counter()
    dispositions = collections.Counter()
    windows = collections.Counter()
    for call in calls:
        if call["crime_id"] in seen:
            continue
        seen.add(call["crime_id"])
        types[call["original_crime_type_name"]] += 1
        dispositions[call["disposition"]] += 1
        windows[window_of(call["call_date_time"], window_seconds) + (call["original_crime_type_name"],)] += 1
    return {
        "calls": len(seen),
        "crime_types": dict(types),
        "dispositions": {c: {"description": codes.get(c), "count": n} for c, n in dispositions.items()},
        "malformed": malformed,
        "windows": {(s, e, t): n for (s, e, t), n in windows.items()},
    }


def read_windows_topic(lines, all_final):
    """The totals the windows topic's latest messages hold, in `sfcrimed stats --json`'s shape."""
    latest = {}
    for line in lines:
        key, value = line.split("\t", 1)
        latest[key] = json.loads(value)
    problems = []
    got = {"calls": 0, "crime_types": collections.Counter(), "dispositions": {}, "windows": {}}
    for key, window in latest.items():
        if window["window_start"] != key:
            problems.append(f"window {key}: its value's window_start is {window['window_start']}")
        if all_final and window["final"] is not True:
            problems.append(f"window {key}: not final")
        if window["calls"] != sum(window["crime_types"].values()):
            problems.append(f"window {key}: calls {window['calls']} is not the sum of its crime types")
        got["calls"] += window["calls"]
        for name, n in window["crime_types"].items():
            got["crime_types"][name] += n
            got["windows"][(window["window_start"], window["window_end"], name)] = n
        for code, d in window["dispositions"].items():
            entry = got["dispositions"].setdefault(code, {"description": d["description"], "count": 0})
            entry["count"] += d["count"]
    got["crime_types"] = dict(got["crime_types"])
    return got, problems, len(latest)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("calls")
    parser.add_argument("radio_codes")
    parser.add_argument("actual")
    parser.add_argument("--malformed", type=int, default=0)
    parser.add_argument("--window-seconds", type=int, default=3600)
    parser.add_argument("--windows-topic", action="store_true")
    parser.add_argument("--all-final", action="store_true")
    args = parser.parse_args()

    with open(args.radio_codes, encoding="utf-8") as f:
        codes = {e["disposition_code"]: e["description"] for e in json.load(f)}
    want = expected(read_calls(args.calls), codes, args.window_seconds, args.malformed)
    with open(args.actual, encoding="utf-8") as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    problems = []
    if args.windows_topic:
        got, problems, messages = read_windows_topic(lines, args.all_final)
        got["malformed"] = want["malformed"]  # not the windows topic's business
        if messages == 0:
            problems.append("the windows topic has no message")
    else:
        if len(lines) != 1:
            sys.exit(f"expected exactly one JSON line from sfcrimed stats --json, got {len(lines)}")
        got = json.loads(lines[0])
        got["windows"] = {(w["start"], w["end"], w["crime_type"]): w["count"] for w in got.get("windows", [])}

    for key in ("calls", "malformed"):
        if got.get(key) != want[key]:
            problems.append(f"{key}: got {got.get(key)}, expected {want[key]}")
    for key in ("crime_types", "dispositions", "windows"):
        g, w = got.get(key, {}), want[key]
        for name in sorted(set(g) | set(w), key=str):
            if g.get(name) != w.get(name):
                problems.append(f"{key}[{name!r}]: got {g.get(name)}, expected {w.get(name)}")
    if problems:
        print(f"{len(problems)} differences:", *problems[:40], sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(
        f"exact{' (windows topic)' if args.windows_topic else ''}: {want['calls']} calls, {len(want['crime_types'])} crime types, "
        f"{len(want['dispositions'])} dispositions, {len(want['windows'])} (window, crime type) counts, "
        f"{want['malformed']} malformed"
    )


if __name__ == "__main__":
    main()
