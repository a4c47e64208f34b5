#!/usr/bin/env bash
# Benchmark (not a test): several sfcrimed instances in one consumer group (separate
# processes, each its own pipeline.instance, pipeline.threads each), on one local KRaft
# broker on free ports, a calls topic of 6 partitions, the release build, in one run:
#   drain     the calls (the published dataset, --file, or a generated sample of
#             --records N) put once into the topic by an ingest-only run
#             (--pipeline.enabled false --drain), then read to the end by 1, 2 and 3
#             instances started together (--ingest.enabled false --drain), each run in a
#             group with state, stats and dead-letter topics of its own (as pipeline.sh's
#             runs), so that no run sees another's commits. Per run: the wall time from
#             the start to the last exit, the group's records/s over it, each instance's
#             drain summary (its exit line: consumed, seconds from its first record,
#             rate), the records read twice (the partitions that moved while the
#             instances joined are read again from their last commit), and CPU over the
#             wall time: the instances' user+sys (/usr/bin/time), the broker JVM's
#             (/proc/PID/stat) and the whole machine's busy cores (/proc/stat), to tell
#             whether the cores or the broker's round trips bound the drain;
#   latency   the same instance counts on a paced replay (an ingest-only process at
#             --rate calls/s into a topic of their own): p50/p99 from each call's Kafka
#             timestamp to its application, from the instances' /metrics histograms
#             summed, over --seconds once every partition has an owner and the group's
#             lag is under two seconds' input (estimated as Prometheus'
#             histogram_quantile does);
#   handover  two instances a and b on a paced replay (--handover-rate calls/s), --before
#             seconds in: a is stopped with SIGTERM, or killed with SIGKILL, and b's
#             /api/live is polled every 100 ms until b's threads own all 6 partitions
#             (/api/live is refreshed once a second, so b's log is read too: its
#             "released"/"lost" and "owns" lines, ms timestamps, split the handover into
#             the time until the group takes a's partitions away, and the restore of the
#             partitions' state). Every instance runs with consumer.session.timeout.ms
#             --session-ms, which bounds the SIGKILL case. The SIGTERM handover is
#             repeated with larger open state (--states: window/allowed_lateness pairs,
#             more and longer open windows, more remembered crime_ids), and the state
#             entries a held (the sum of its sfcrimed_pipeline_state_entries) are printed
#             beside the handover time.
# Each point RUNS times (medians with min-max); tables with ratios at the end. Nothing is
# written into the project; --out keeps the raw results.
#
# Usage: scripts/bench/instances.sh [--file CALLS | --records N] [--runs N] [--threads N]
#                                   [--rate R] [--seconds S] [--handover-rate R]
#                                   [--before S] [--session-ms MS] [--states "W/L ..."]
#                                   [--out RESULTS.jsonl]
#   --file           the calls (default: the published file in ../shared/data; when it is
#                    missing the benchmark is skipped, with a message, exit 0)
#   --records N      a generated sample of N calls instead (sfcrimed sample --seed 1)
#   --runs N         runs of every point (default 3)
#   --threads N      pipeline.threads per instance (default 2)
#   --rate R         calls/s of the latency runs (default 1000)
#   --seconds S      measured seconds of each latency run (default 30)
#   --handover-rate  calls/s of the handover runs (default 2000)
#   --before S       seconds of replay before the stop (default 45: some 90,000 calls at
#                    2,000/s, 41 days of the published calls' time, for the open state)
#   --session-ms MS  consumer.session.timeout.ms of every instance (default 10000; the
#                    broker's group.min.session.timeout.ms is 6000)
#   --states         window/allowed_lateness pairs of the SIGTERM handovers (default
#                    "1h/1h 1d/1d 1d/30d"); SIGKILL runs with the first
#   --out FILE       also write the raw results there (one JSON object a line)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

runs=3 threads=2 rate=1000 seconds=30 handover_rate=2000 before=45 session_ms=10000
states="1h/1h 1d/1d 1d/30d" sample_records='' out='' file_given=false
file=$SFCRIMED_ROOT/../shared/data/police-department-calls-for-service.json.bz2
command_line="scripts/bench/instances.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --file) need_value "$1" $# && file=$2 file_given=true && shift 2 ;;
    --records) need_value "$1" $# && need_number "$1" "$2" 1000 10000000 && sample_records=$2 && shift 2 ;;
    --runs) need_value "$1" $# && need_number "$1" "$2" 1 20 && runs=$2 && shift 2 ;;
    --threads) need_value "$1" $# && need_number "$1" "$2" 1 64 && threads=$2 && shift 2 ;;
    --rate) need_value "$1" $# && need_number "$1" "$2" 1 100000 && rate=$2 && shift 2 ;;
    --seconds) need_value "$1" $# && need_number "$1" "$2" 5 600 && seconds=$2 && shift 2 ;;
    --handover-rate) need_value "$1" $# && need_number "$1" "$2" 1 100000 && handover_rate=$2 && shift 2 ;;
    --before) need_value "$1" $# && need_number "$1" "$2" 5 600 && before=$2 && shift 2 ;;
    --session-ms) need_value "$1" $# && need_number "$1" "$2" 6000 300000 && session_ms=$2 && shift 2 ;;
    --states) need_value "$1" $# && states=$2 && shift 2 ;;
    --out) need_value "$1" $# && out=$2 && shift 2 ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see scripts/bench/instances.sh --help)" ;;
  esac
done
[[ -z $sample_records ]] || ! $file_given || die "--file and --records: give one of them"
for state in $states; do
  [[ $state =~ ^[0-9]+(ms|s|m|h|d)/[0-9]+(ms|s|m|h|d)$ ]] || die "--states: '$state' is not WINDOW/LATENESS (e.g. 1d/30d)"
done
if [[ -z $sample_records && ! -r $file ]]; then
  $file_given && die "no calls file at $file"
  say "skipped: no calls file at $file (the published dataset lives in ../shared/data); pass --file CALLS, or --records N for a generated sample"
  exit 0
fi
if [[ -n $out ]]; then
  mkdir -p "$(dirname "$out")"
  out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
fi

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
partitions=6
started_at=$(date +%s)
results=$work/instances.jsonl
clock_ticks=$(getconf CLK_TCK)
broker=$(cat "$(compgen -G "$work/kafka/node-*/kafka.pid" | head -n 1)")
[[ $(cat "/proc/$broker/comm" 2>/dev/null) == java ]] || die "the broker's pid file does not name its JVM (pid $broker)"

if [[ -n $sample_records ]]; then
  "$build/daemon/sfcrimed" sample --records "$sample_records" --seed 1 --out "$work/sample.json" >/dev/null 2>&1
  file=$work/sample.json
  file_description="a generated sample of $sample_records calls (sfcrimed sample --seed 1)"
else
  file_description=$(basename "$file")
fi

n_states=$(wc -w <<<"$states")
say "about $(((runs * (6 * 10 + (n_states + 1) * (before + session_ms / 1000 + 25)) + 3 * (seconds + 25)) / 60 + 1)) min: drains, then latency runs, then handovers"

# What every instance of every phase runs with, beside its group, name and topics.
instance_args=(--kafka.partitions "$partitions" --ingest.enabled false --pipeline.threads "$threads"
  "--consumer.session.timeout.ms=$session_ms")

now() { date +%s.%N; }
# machine_ticks: "busy total" clock ticks of every core since boot (/proc/stat).
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
# broker_ticks: user+sys clock ticks of the broker's JVM.
broker_ticks() { awk '{ print $14 + $15 }' "/proc/$broker/stat"; }
# stop_process PID: SIGTERM, and its exit waited for (whatever its status).
stop_process() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# tail_of LOG: its last lines, for a failure's message.
tail_of() { tail -n 5 "$1" 2>/dev/null | sed 's/^/    /'; }

# live_wait PORT MODE ARG TIMEOUT [LAG]: polls the instance's /api/live every 100 ms until
# MODE holds, then prints the Unix time it was seen; false after TIMEOUT seconds.
#   owns N       N partitions owned by threads of this instance;
#   members N    every partition owned by a member of the group, the members from N
#                instances, and (with LAG) the group's lag under LAG records.
live_wait() {
  python3 - "$partitions" "$@" <<'PY'
import json, sys, time, urllib.request
partitions, port, mode, arg, timeout = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
lag = float(sys.argv[6]) if len(sys.argv) > 6 else None
deadline = time.time() + timeout
while time.time() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/live", timeout=1) as response:
            pipeline = json.load(response).get("pipeline") or {"partitions": [], "lag": 0}
        parts = pipeline["partitions"]
        if mode == "owns":
            done = sum(p["owner"] is not None for p in parts) >= arg
        else:
            instances = {p["member"].rsplit(".", 1)[0] for p in parts if p["member"]}
            done = (len(parts) == partitions and all(p["member"] for p in parts) and len(instances) == arg
                    and (lag is None or pipeline["lag"] < lag))
        if done:
            print(f"{time.time():.3f}")
            sys.exit(0)
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    time.sleep(0.1)
sys.exit(1)
PY
}

# paced_ingest TOPIC RATE: an ingest-only process replaying the calls at RATE calls/s into
# TOPIC (6 partitions) in the background; its pid in $ingest.
paced_ingest() {
  bench_background "${sfcrimed[@]}" --kafka.topic "$1" --kafka.partitions "$partitions" --ingest.file "$file" \
    --ingest.rate "$2" --pipeline.enabled false --metrics.listen "" --log.file "$work/$1.ingest.log" >/dev/null 2>&1
  ingest=$!
}

# ------------------------------------------------------------------ the backlog
say "ingesting $file_description into topic calls ($partitions partitions), once"
fill=$(daemon_ingest calls "$file" --kafka.partitions "$partitions") || die "the ingest failed"
records=$(json_field "$fill" acked)
say "topic calls holds $records calls"
# The paced runs read the file at a steady rate: it must last them.
need=$((handover_rate * (before + session_ms / 1000 + 15)))
((rate * (seconds + 70) <= need)) || need=$((rate * (seconds + 70)))
((records >= need)) ||
  die "$records calls last the paced runs too short a time (they need $need at --rate $rate and --handover-rate $handover_rate): a larger --records, or lower rates"

# ------------------------------------------------------------------ drain
# drain_run N RUN: N instances drain topic calls together, in a group of their own.
drain_run() {
  local n=$1 run=$2 name=drain-$1-$2-$$ i pids=() status started ended machine_before broker_before
  machine_before=$(machine_ticks) broker_before=$(broker_ticks) started=$(now)
  for ((i = 1; i <= n; i++)); do
    bench_background /usr/bin/time -f '%e %U %S %M' -o "$work/$name.i$i.time" "${sfcrimed[@]}" --kafka.topic calls \
      "${instance_args[@]}" --pipeline.group "$name" --pipeline.instance "i$i" --pipeline.stats_topic "$name.stats" \
      --pipeline.state_topic "$name.state" --pipeline.dlq_topic "$name.dlq" --pipeline.windows_topic "$name.windows" \
      --metrics.listen "" \
      --log.file "$work/$name.i$i.log" --drain >"$work/$name.i$i.json" 2>"$work/$name.i$i.err"
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do
    status=0
    wait "${pids[$i]}" || status=$?
    ((status == 0)) || die "drain with $n instances, run $run: instance i$((i + 1)) exited $status:"$'\n'"$(tail_of "$work/$name.i$((i + 1)).log")"
  done
  ended=$(now)
  python3 - "$n" "$run" "$records" "$started" "$ended" "$clock_ticks" "$broker_before" "$(broker_ticks)" \
    "$machine_before" "$(machine_ticks)" "$work/$name" >>"$results" <<'PY'
import json, sys
n, run, records = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
started, ended, tck = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
broker_before, broker_after = float(sys.argv[7]), float(sys.argv[8])
(busy_before, total_before), (busy_after, total_after) = map(float, sys.argv[9].split()), map(float, sys.argv[10].split())
prefix = sys.argv[11]
instances = []
for i in range(1, n + 1):
    summary = json.loads(open(f"{prefix}.i{i}.json").read().splitlines()[-1])["pipeline"]
    elapsed, user, system, rss_kb = open(f"{prefix}.i{i}.time").read().split()[-4:]
    instances.append({"name": f"i{i}", **summary, "elapsed": float(elapsed),
                      "cpu": float(user) + float(system), "rss_mb": int(rss_kb) // 1024})
print(json.dumps({"phase": "drain", "instances": n, "run": run, "records": records, "wall": round(ended - started, 3),
                  "broker_cpu": round((broker_after - broker_before) / tck, 2),
                  "machine_busy": round((busy_after - busy_before) / tck, 2),
                  "machine_cores": round((total_after - total_before) / tck / (ended - started), 2),
                  "each": instances}))
wall = ended - started
print(f"drain, {n} instance(s), run {run}: {wall:.2f} s, {records / wall:,.0f} records/s; CPU: instances "
      f"{sum(i['cpu'] for i in instances):.2f} s, broker {(broker_after - broker_before) / tck:.2f} s", file=sys.stderr)
PY
}

for ((run = 1; run <= runs; run++)); do
  for n in 1 2 3; do drain_run "$n" "$run"; done
done

# ------------------------------------------------------------------ latency
# latency_run N: N instances on a paced replay into a topic of their own.
latency_run() {
  local n=$1 topic=latency-$1-$$ base i pids=()
  base=$(free_ports 3)
  paced_ingest "$topic" "$rate"
  for ((i = 0; i < n; i++)); do
    bench_background "${sfcrimed[@]}" --kafka.topic "$topic" "${instance_args[@]}" --pipeline.group "$topic" \
      --pipeline.instance "i$((i + 1))" --metrics.listen "127.0.0.1:$((base + i))" --log.file "$work/$topic.i$((i + 1)).log" \
      >/dev/null 2>&1
    pids+=("$!")
  done
  live_wait "$base" members "$n" 90 $((2 * rate)) >/dev/null ||
    die "latency with $n instances: the group did not settle and catch up in 90 s:"$'\n'"$(tail_of "$work/$topic.i1.log")"
  sleep 2
  for ((i = 0; i < n; i++)); do curl -fsS "http://127.0.0.1:$((base + i))/metrics" >"$work/$topic.i$i.start"; done
  sleep "$seconds"
  for ((i = 0; i < n; i++)); do curl -fsS "http://127.0.0.1:$((base + i))/metrics" >"$work/$topic.i$i.end"; done
  for i in "${pids[@]}"; do stop_process "$i"; done
  stop_process "$ingest"
  python3 - "$n" "$rate" "$seconds" "$work/$topic" >>"$results" <<'PY'
import json, re, sys
n, rate, seconds, prefix = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def buckets(path):
    found = {}
    for line in open(path):
        m = re.match(r'sfcrimed_pipeline_latency_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            found[float(m.group(1))] = float(m.group(2))
    return found
delta = {}
for i in range(n):  # the group's histogram: every instance's growth, bucket by bucket
    start, end = buckets(f"{prefix}.i{i}.start"), buckets(f"{prefix}.i{i}.end")
    for bound, count in end.items():
        delta[bound] = delta.get(bound, 0.0) + count - start.get(bound, 0.0)
delta = sorted(delta.items())
total = delta[-1][1] if delta else 0
def quantile(q):
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in delta:
        if count >= rank:
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 0)
        lower, below = bound, count
    return None
print(json.dumps({"phase": "latency", "instances": n, "rate": rate, "seconds": seconds, "records": int(total),
                  "p50": quantile(0.5), "p99": quantile(0.99)}))
print(f"latency, {n} instance(s) at {rate} calls/s: p50 {(quantile(0.5) or 0) * 1000:.1f} ms, "
      f"p99 {(quantile(0.99) or 0) * 1000:.1f} ms ({int(total)} records)", file=sys.stderr)
PY
}

for n in 1 2 3; do latency_run "$n"; done

# ------------------------------------------------------------------ handover
# state_entries PORT: the window state an instance holds (entries over its partitions).
state_entries() {
  curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk '/^sfcrimed_pipeline_state_entries\{/ { sum += $2 } END { printf "%d\n", sum }'
}

# live_lag PORT: the group's lag (records) as an instance's /api/live shows it.
live_lag() {
  curl -fsS "http://127.0.0.1:$1/api/live" 2>/dev/null |
    python3 -c 'import json, sys; print((json.load(sys.stdin).get("pipeline") or {}).get("lag", -1))' 2>/dev/null || echo -1
}

# handover_run SIGNAL WINDOW/LATENESS RUN: instances a and b on a paced replay; a gets
# SIGNAL; until b's threads own every partition.
handover_run() {
  local signal=$1 window=${2%/*} lateness=${2#*/} run=$3 topic base a b start entries_a entries_b lag signalled owned
  topic=handover-$run-$signal-$window-$lateness-$$
  base=$(free_ports 2)
  start=$SECONDS
  paced_ingest "$topic" "$handover_rate"
  local name port
  for name in a b; do
    [[ $name == a ]] && port=$base || port=$((base + 1))
    bench_background "${sfcrimed[@]}" --kafka.topic "$topic" "${instance_args[@]}" --pipeline.group "$topic" \
      --pipeline.instance "$name" --pipeline.window "$window" --pipeline.allowed_lateness "$lateness" \
      --metrics.listen "127.0.0.1:$port" --log.file "$work/$topic.$name.log" >/dev/null 2>&1
    if [[ $name == a ]]; then a=$!; else b=$!; fi
  done
  live_wait "$((base + 1))" members 2 90 >/dev/null ||
    die "handover ($signal, $2): a and b did not share the partitions within 90 s:"$'\n'"$(tail_of "$work/$topic.b.log")"
  while ((SECONDS - start < before)); do sleep 0.2; done
  # Settled again (not inside a rebalance), then the state each holds, then the signal.
  live_wait "$((base + 1))" members 2 30 >/dev/null || die "handover ($signal, $2): the group is not settled"
  entries_a=$(state_entries "$base") entries_b=$(state_entries "$((base + 1))") lag=$(live_lag "$((base + 1))")
  signalled=$(now)
  kill "-$signal" "$a"
  owned=$(live_wait "$((base + 1))" owns "$partitions" $((session_ms / 1000 + 120))) ||
    die "handover ($signal, $2): b did not own all $partitions partitions $((session_ms / 1000 + 120)) s after a's SIG$signal:"$'\n'"$(tail_of "$work/$topic.b.log")"
  wait "$a" 2>/dev/null || true
  sleep 1
  stop_process "$b"
  stop_process "$ingest"
  python3 - "$signal" "$window" "$lateness" "$run" "$entries_a" "$entries_b" "$signalled" "$owned" \
    "$work/$topic.a.log" "$work/$topic.b.log" "$partitions" "$lag" >>"$results" <<'PY'
import datetime, json, re, sys
signal, window, lateness, run = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
entries_a, entries_b, signalled, owned = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
a_log, b_log, partitions, lag = sys.argv[9], sys.argv[10], int(sys.argv[11]), int(sys.argv[12])
LINE = re.compile(r"^(\S+Z) <\d>pipeline: thread (\d+) (owns|adds|released|lost) (.*)$")
EXIT = re.compile(r"^(\S+Z) <\d>sfcrimed: exiting with status (\d+)")
def timestamp(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
# b's partitions, replayed from its log: the first one taken away after the signal (the
# group noticed a's absence), and when its threads held all of them again.
owned_now, taken, all_owned = set(), None, None
for line in open(b_log, encoding="utf-8"):
    m = LINE.match(line.strip())
    if not m:
        continue
    t, what, rest = timestamp(m.group(1)), m.group(3), m.group(4)
    found = {int(p) for p in re.findall(r"p(\d+)", (rest.split(" to the group")[0] if what == "lost" else rest).split(" (")[0])}
    if what in ("owns", "adds"):
        owned_now |= found
    else:
        owned_now -= found
        if t > signalled and taken is None:
            taken = t
    if t > signalled and all_owned is None and len(owned_now) >= partitions:
        all_owned = t
exited = None
for line in open(a_log, encoding="utf-8"):
    m = EXIT.match(line.strip())
    if m and timestamp(m.group(1)) > signalled:
        exited = timestamp(m.group(1)) - signalled
rounded = lambda x: None if x is None else round(x, 3)
print(json.dumps({"phase": "handover", "signal": signal, "window": window, "lateness": lateness, "run": run,
                  "entries_a": entries_a, "entries_group": entries_a + entries_b, "lag": lag,
                  "live": round(owned - signalled, 3),
                  "log": rounded(all_owned and all_owned - signalled),
                  "taken": rounded(taken and taken - signalled),
                  "restore": rounded(all_owned and taken and all_owned - taken),
                  "a_exited": rounded(exited)}))
shown = lambda x: "n/a" if x is None else f"{x:.2f} s"
print(f"handover, SIG{signal}, window {window} lateness {lateness}, run {run}: a held {entries_a:,} state entries; "
      f"b owned all after {shown(owned - signalled)} (/api/live), {shown(all_owned and all_owned - signalled)} (log)",
      file=sys.stderr)
PY
}

first_state=${states%% *}
for ((run = 1; run <= runs; run++)); do
  for state in $states; do handover_run TERM "$state" "$run"; done
  handover_run KILL "$first_state" "$run"
done

# ------------------------------------------------------------------ the tables
[[ -z $out ]] || cp "$results" "$out"
python3 - "$results" <<PY
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def spread(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    m = statistics.median(values)
    return fmt(m) if len(values) == 1 else f"{fmt(m)} ({fmt(min(values))}–{fmt(max(values))})"
s2 = lambda x: f"{x:.2f}"
n0 = lambda x: f"{x:,.0f}"
ms = lambda x: f"{x * 1000:.1f}"

print("instances benchmark: $file_description, $records calls in a topic of $partitions partitions; "
      "pipeline.threads $threads per instance, consumer.session.timeout.ms $session_ms; one local KRaft broker "
      "(Kafka $(kafka_version kraft)), $(nproc) cores; $runs run(s) per point, median (min–max)")
print("command: $command_line; $(($(date +%s) - started_at)) s in all")
print()
drains = [r for r in rows if r["phase"] == "drain"]
counts = sorted({r["instances"] for r in drains})
def of(n): return [r for r in drains if r["instances"] == n]
rate = lambda r: r["records"] / r["wall"]
base = statistics.median(rate(r) for r in of(1)) if of(1) else None
print("## Drain (--ingest.enabled false --drain, the instances started together)")
print()
print("| instances | wall s, start to last exit | group records/s | ratio to 1 instance | instances that read any "
      "| records read twice "
      "| CPU s: instances | CPU s: broker | busy cores, whole machine (of $(nproc)) | instances + broker, cores |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for n in counts:
    rs = of(n)
    print(f"| {n} | {spread([r['wall'] for r in rs], s2)} | {spread([rate(r) for r in rs], n0)} "
          f"| {statistics.median(rate(r) for r in rs) / base:.2f} "
          f"| {spread([sum(i['consumed'] > 0 for i in r['each']) for r in rs], n0)} "
          f"| {spread([sum(i['consumed'] for i in r['each']) - r['records'] for r in rs], n0)} "
          f"| {spread([sum(i['cpu'] for i in r['each']) for r in rs], s2)} | {spread([r['broker_cpu'] for r in rs], s2)} "
          f"| {spread([r['machine_busy'] / r['wall'] for r in rs], s2)} "
          f"| {spread([(sum(i['cpu'] for i in r['each']) + r['broker_cpu']) / r['wall'] for r in rs], s2)} |")
print()
print("Each instance's drain summary (its exit line: consumed, seconds from its first record to its end, rate), "
      "its process time and CPU (/usr/bin/time):")
print()
print("| instances | run | instance | consumed | summary s | summary records/s | process s | CPU s (user+sys) | peak RSS MB |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in drains:
    for i in r["each"]:
        print(f"| {r['instances']} | {r['run']} | {i['name']} | {i['consumed']:,} | {i['seconds']:.2f} | {i['rate']:,.0f} "
              f"| {i['elapsed']:.2f} | {i['cpu']:.2f} | {i['rss_mb']} |")
print()
latency = [r for r in rows if r["phase"] == "latency"]
if latency:
    first = next((r["p99"] for r in latency if r["instances"] == 1), None)
    print(f"## Latency (a paced replay, Kafka timestamp to application; the instances' histograms summed, {latency[0]['seconds']} s each)")
    print()
    print("| instances | calls/s | records measured | p50 ms | p99 ms | p99 ratio to 1 instance |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in latency:
        ratio = f"{r['p99'] / first:.2f}" if first and r["p99"] else "n/a"
        print(f"| {r['instances']} | {r['rate']:,} | {r['records']:,} | {spread([r['p50']], ms)} | {spread([r['p99']], ms)} | {ratio} |")
    print()
handovers = [r for r in rows if r["phase"] == "handover"]
keys = []
for r in handovers:
    if (r["signal"], r["window"], r["lateness"]) not in keys:
        keys.append((r["signal"], r["window"], r["lateness"]))
def group(k): return [r for r in handovers if (r["signal"], r["window"], r["lateness"]) == k]
reference = statistics.median(r["log"] or r["live"] for r in group(keys[0])) if keys else None
print("## Handover (two instances at $handover_rate calls/s; a stopped $before s in; until b's threads own all $partitions partitions)")
print()
print("| a gets | window / lateness | state entries: a / group | group's lag at the stop | b owns all: /api/live (100 ms polls, 1 s pushes) s "
      "| b owns all: b's log s | of which: until the rebalance (b releases its partitions) s | then: restored s "
      "| a exited after s | ratio to the first row (log) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for k in keys:
    rs = group(k)
    print(f"| SIG{k[0]} | {k[1]} / {k[2]} | {spread([r['entries_a'] for r in rs], n0)} / {spread([r['entries_group'] for r in rs], n0)} "
          f"| {spread([r['lag'] for r in rs], n0)} | {spread([r['live'] for r in rs], s2)} | {spread([r['log'] for r in rs], s2)} | {spread([r['taken'] for r in rs], s2)} "
          f"| {spread([r['restore'] for r in rs], s2)} | {spread([r['a_exited'] for r in rs], s2)} "
          f"| {statistics.median(r['log'] or r['live'] for r in rs) / reference:.2f} |")
print()
print("consumer.session.timeout.ms = $session_ms on every instance (each pipeline thread is a static member of the group, "
      "group.instance.id; group.protocol as in etc/sfcrimed.ini).")
PY
