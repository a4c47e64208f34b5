#!/usr/bin/env python3
"""Compares the Spark baseline's counts with sfcrimed's, total by total.

    check_totals.py --bootstrap HOST:PORT --topic T --spark-topic O [--daemon-json FILE]
                    [--windows-topic W] [--sfcrimed PATH] [--timeout-ms MS]

Spark's side: the output topic O of data_stream.py, read with Kafka's console consumer
(scripts/kafka.sh home), the latest message per key being each count's final value.
sfcrimed's side: `sfcrimed stats --bootstrap HOST:PORT --topic T --json --windows` (the
daemon's stats topic of calls topic T), or that command's output saved in FILE; and with
--windows-topic, sfcrimed's windows topic W too (one message per window, merged over the
partitions, read with the console consumer and read_committed), which must agree as well.

Compared: total calls, calls per crime type, per disposition (count and description),
and per (window, crime type). Exit 0 when all are equal; 1 with the differences listed
(at most 20 per kind); 2 when a side could not be read.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
SHOWN = 20


def fail(message):
    print(f"check_totals.py: {message}", file=sys.stderr)
    sys.exit(2)


def daemon_totals(args):
    if args.daemon_json:
        with open(args.daemon_json, encoding="utf-8") as f:
            text = f.read()
    else:
        done = subprocess.run([args.sfcrimed, "stats", "--bootstrap", args.bootstrap, "--topic", args.topic,
                               "--json", "--windows"], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            fail(f"sfcrimed stats failed (exit {done.returncode}): {done.stderr.strip()}")
        text = done.stdout
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        fail(f"expected one JSON line from sfcrimed stats --json, got {len(lines)}")
    stats = json.loads(lines[0])
    if "windows" not in stats:
        fail("sfcrimed's totals have no windows: run sfcrimed stats with --windows")
    return {
        "calls": stats["calls"],
        "crime_types": stats["crime_types"],
        "dispositions": {code: (d["description"], d["count"]) for code, d in stats["dispositions"].items()},
        "windows": {(w["start"], w["crime_type"]): w["count"] for w in stats["windows"]},
    }


def topic_messages(args, topic):
    """A topic's committed messages as (key, value) text pairs, in each partition's order."""
    kafka_home = subprocess.run([os.path.join(ROOT, "scripts", "kafka.sh"), "home"], capture_output=True,
                                text=True, check=True).stdout.strip()
    # The console consumer exits after --timeout-ms without a message: the topic's end.
    done = subprocess.run([os.path.join(kafka_home, "bin", "kafka-console-consumer.sh"),
                           "--bootstrap-server", args.bootstrap, "--topic", topic,
                           "--from-beginning", "--timeout-ms", str(args.timeout_ms),
                           "--isolation-level", "read_committed",
                           "--formatter-property", "print.key=true",
                           "--formatter-property", "key.separator=\t"],
                          capture_output=True, text=True, check=False)
    pairs = []
    for line in done.stdout.splitlines():
        key, separator, value = line.partition("\t")
        if not separator:
            fail(f"a message of {topic} without a key: {line[:200]}")
        pairs.append((key, value))
    if not pairs:
        fail(f"no messages in {topic} (console consumer: {done.stderr.strip()[-500:]})")
    return pairs


def windows_totals(pairs):
    """sfcrimed's windows topic: the latest message per window, summed."""
    latest = {}
    for key, value in pairs:
        latest[key] = json.loads(value)
    crime_types = collections.Counter()
    dispositions = {}
    windows = {}
    for window in latest.values():
        for name, n in window["crime_types"].items():
            crime_types[name] += n
            windows[(window["window_start"], name)] = n
        for code, d in window["dispositions"].items():
            description, total = dispositions.get(code, (d["description"], 0))
            dispositions[code] = (description, total + d["count"])
    return {"calls": sum(crime_types.values()), "crime_types": dict(crime_types), "dispositions": dispositions,
            "windows": windows}


def spark_totals(pairs):
    # A key's messages are in one partition, in order: the last one read is its final count.
    latest = {}
    for key, value in pairs:
        latest[key] = json.loads(value)
    crime_types = collections.Counter()
    dispositions = {}
    windows = collections.Counter()
    for count in latest.values():
        if count["metric"] == "crime_type":
            crime_types[count["name"]] += count["count"]
            windows[(count["window_start"], count["name"])] += count["count"]
        elif count["metric"] == "disposition":
            description, total = dispositions.get(count["name"], (count["description"], 0))
            if description != count["description"]:
                fail(f"disposition {count['name']} has two descriptions: {description!r} and "
                     f"{count['description']!r}")
            dispositions[count["name"]] = (description, total + count["count"])
        else:
            fail(f"unknown metric in {json.dumps(count)}")
    return {
        "calls": sum(crime_types.values()),
        "crime_types": dict(crime_types),
        "dispositions": dispositions,
        "windows": dict(windows),
    }


def differences(name, want, got):
    keys = sorted(set(want) | set(got), key=str)
    out = [f"{name} {key!r}: sfcrimed {want.get(key)!r}, spark {got.get(key)!r}"
           for key in keys if want.get(key) != got.get(key)]
    if len(out) > SHOWN:
        out = out[:SHOWN] + [f"{name}: ... and {len(out) - SHOWN} more"]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", help="sfcrimed's calls topic (its stats topic is read); not with --daemon-json")
    parser.add_argument("--spark-topic", required=True, help="data_stream.py's output topic")
    parser.add_argument("--daemon-json", help="saved output of sfcrimed stats --json --windows")
    parser.add_argument("--windows-topic", help="sfcrimed's windows topic, compared too")
    parser.add_argument("--sfcrimed", default=os.path.join(ROOT, "build", "release", "daemon", "sfcrimed"))
    parser.add_argument("--timeout-ms", type=int, default=10000,
                        help="how long without a message means the output topic's end (default 10000)")
    args = parser.parse_args()
    if not args.daemon_json and not args.topic:
        parser.error("give --topic (sfcrimed's calls topic) or --daemon-json")

    pairs = topic_messages(args, args.spark_topic)
    got = spark_totals(pairs)
    sides = [("sfcrimed", daemon_totals(args))]
    if args.windows_topic:
        sides.append(("sfcrimed's windows topic", windows_totals(topic_messages(args, args.windows_topic))))

    problems = []
    for side, want in sides:
        if want["calls"] != got["calls"]:
            problems.append(f"calls: {side} {want['calls']}, spark {got['calls']}")
        for kind in ("crime type", "disposition", "window"):
            key = {"crime type": "crime_types", "disposition": "dispositions", "window": "windows"}[kind]
            problems += [p.replace("sfcrimed", side, 1) for p in differences(kind, want[key], got[key])]
    if problems:
        print("\n".join(problems))
        print(f"check_totals.py: {len(problems)} difference(s) between sfcrimed and Spark", file=sys.stderr)
        sys.exit(1)
    print(f"equal: {got['calls']} calls, {len(got['crime_types'])} crime types, "
          f"{len(got['dispositions'])} dispositions, {len(got['windows'])} (window, crime type) counts "
          f"({len(pairs)} Spark messages; against {' and '.join(side for side, _ in sides)})")


if __name__ == "__main__":
    main()
