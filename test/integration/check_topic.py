"""Checks a topic's contents against the calls file it was replayed from.

Reads `kafka-console-consumer.sh` output on stdin (print.partition, print.offset,
print.key, value: "Partition:P\tOffset:O\tKEY\tVALUE" per line) and the calls file
(JSON array or JSON lines, as written by `sfcrimed sample`), then asserts:
  - exactly one message per input record: the same (key, value) multiset, where a value
    is the record as compact JSON and the key its crime_id;
  - within each partition, call_date_time never decreases with the offset (the replay
    is in event-time order and the key picks the partition).
Prints a one-line summary; exits 1 with the first differences otherwise.

Usage: kafka-console-consumer.sh ... | python3 check_topic.py CALLS_FILE
"""
import collections
import json
import sys


def read_calls(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main():
    records = read_calls(sys.argv[1])
    expected = collections.Counter(
        (r["crime_id"], json.dumps(r, separators=(",", ":"), ensure_ascii=False)) for r in records
    )
    found = collections.Counter()
    last_time = {}
    disorder = []
    for line in sys.stdin:
        partition, offset, key, value = line.rstrip("\n").split("\t", 3)
        partition = int(partition.split(":")[1])
        found[(key, value)] += 1
        when = json.loads(value)["call_date_time"]
        if partition in last_time and when < last_time[partition]:
            disorder.append(f"partition {partition} {offset}: {when} after {last_time[partition]}")
        last_time[partition] = when
    problems = []
    missing = expected - found
    extra = found - expected
    if missing:
        problems.append(f"{sum(missing.values())} records missing from the topic, e.g. {next(iter(missing))}")
    if extra:
        problems.append(f"{sum(extra.values())} unexpected messages, e.g. {next(iter(extra))}")
    if disorder:
        problems.append(f"{len(disorder)} out-of-order messages, e.g. {disorder[0]}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"topic holds exactly the {len(records)} records, keys and values intact, "
          f"event-time order in each of {len(last_time)} partitions")


main()
