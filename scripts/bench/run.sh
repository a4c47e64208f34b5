#!/usr/bin/env bash
# Benchmark (not a test): every measured answer of issue 6 in one command, on one local
# KRaft broker, each comparison measured in the same run, every point RUNS times:
#   ingest   sfcrimed's ingest (--pipeline.enabled false --drain, the summary's rate) vs
#            kafka-producer-perf-test.sh with the same record count, mean record size and
#            producer settings (acks=all, idempotence, and linger.ms, batch.size and
#            compression.type from etc/sfcrimed.ini); swept one setting at a time around
#            the defaults, then the best combination.
#   drain    the calls file as a backlog read to its end by sfcrimed's pipeline
#            (--ingest.enabled false --drain), a bare librdkafka consumer (the reading
#            limit) and the Spark baseline (availableNow); sweeps of pipeline.threads, the
#            consumer's fetch and prefetch settings, pipeline.emit_interval, the topic's
#            partitions and Spark's settings, then each one's best combination. Spark's
#            counts are checked against sfcrimed's (spark/check_totals.py): a "totals" row.
#   latency  steady input rates below saturation: end-to-end p50/p99 of sfcrimed (ingest
#            and pipeline in one process; /metrics' histogram), bare Kafka produce to
#            consume, and Spark at its best drain settings and several triggers.
# The Spark points need scripts/bench/spark/run.sh; without it they are recorded as not
# available. Results: one JSON object a line (--out); then scripts/bench/report.py writes
# the tables and plots (docs/benchmarks.md, docs/benchmarks/*.png) with matplotlib from a
# venv in .cache/bench-venv, which this script sets up when missing.
#
# Usage: scripts/bench/run.sh [--quick] [--file CALLS] [--out RESULTS.jsonl] [--runs N]
#                             [--seconds S] [--spark SCRIPT] [--no-report] [--dry-run]
#   --quick      under 15 minutes on 2 cores: the ingest of the first 50,000 calls of CALLS
#                (the drain still reads all of them), fewer sweep values, sweep points and
#                Spark's points once and the other comparisons 3 times, latency runs of
#                20 s (full: the whole file, 3 runs each, 30 s; some 70 minutes)
#   --file       the calls (default: the published file in ../shared/data; a generated
#                sample of 200,000 calls when it is missing, with a message)
#   --out        results file (default docs/benchmarks/results.jsonl); the report goes
#                beside it unless it is the default (then docs/benchmarks.md)
#   --runs       runs per point (default 3; --quick: 1 for sweep points)
#   --seconds    length of each latency run
#   --spark      the Spark baseline's script (default scripts/bench/spark/run.sh)
#   --no-report  only the measurements
#   --dry-run    print the points it would measure (experiment;system;setting;value;run;runs)
#                and the estimated time, and measure nothing
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

quick=false runs=3 sweep_runs=3 seconds=30 report=true dry_run=false
file=$SFCRIMED_ROOT/../shared/data/police-department-calls-for-service.json.bz2
default_out=$SFCRIMED_ROOT/docs/benchmarks/results.jsonl
out=$default_out
command_line="scripts/bench/run.sh $*"
runs_given='' seconds_given=''
spark_script=$SFCRIMED_ROOT/scripts/bench/spark/run.sh
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=true && shift ;;
    --file) file=$2 && shift 2 ;;
    --out) out=$2 && shift 2 ;;
    --runs) runs_given=$2 && shift 2 ;;
    --seconds) seconds_given=$2 && shift 2 ;;
    --spark) spark_script=$2 && shift 2 ;;
    --no-report) report=false && shift ;;
    --dry-run) dry_run=true && shift ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
if $quick; then
  runs=3 sweep_runs=1 seconds=20
fi
[[ -z $runs_given ]] || runs=$runs_given sweep_runs=$runs_given
[[ -z $seconds_given ]] || seconds=$seconds_given
((seconds >= 8)) || die "--seconds $seconds: a latency run needs 8 s at least (a quarter of it is left out as the start)"
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$(date +%s)

# ------------------------------------------------------------------ the calls
if [[ ! -r $file ]]; then
  say "no calls file at $file (the published dataset lives in ../shared/data): using a generated sample of 200,000 calls instead (sfcrimed sample --seed 1)"
  "$build/daemon/sfcrimed" sample --records 200000 --seed 1 --out "$work/sample-200000.jsonl" >/dev/null 2>&1
  file=$work/sample-200000.jsonl
  file_description="a generated sample of 200,000 calls (sfcrimed sample --seed 1; no published file here)"
else
  file_description=$(basename "$file")
fi
calls=$file backlog_file=$file
if $quick; then
  # For the ingest experiment (the perf tool is what takes long), the file's first 50,000 records (the newest calls: the published file is newest
  # first), as JSON lines; the ingest orders them by time as it does the whole file.
  calls=$work/calls-50000.jsonl
  python3 - "$file" "$calls" 50000 <<'PY'
import bz2, gzip, json, sys
path, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
opener = bz2.open if path.endswith(".bz2") else gzip.open if path.endswith(".gz") else open
with opener(path, "rt", encoding="utf-8") as f:
    text = f.read()
records = json.loads(text) if text.lstrip().startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
with open(out, "w", encoding="utf-8") as f:
    for record in records[:count]:
        f.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
PY
  ingest_description="the first 50,000 records of $file_description"
else
  ingest_description=$file_description
fi
read -r records mean_size < <(call_file_size "$calls")
# The drain reads the whole file's backlog even in --quick: a short drain would measure
# mostly the fixed costs of a run (the group's join, the last commit).
read -r backlog_records _ < <(call_file_size "$backlog_file")
say "ingest: $ingest_description ($records records, mean $mean_size bytes as sent); drain: $backlog_records records of $file_description"

# ini_value SECTION KEY: a default from etc/sfcrimed.ini, the one place for them.
ini_value() {
  python3 -c 'import configparser, sys
c = configparser.ConfigParser(interpolation=None); c.read(sys.argv[1])
print(c[sys.argv[2]][sys.argv[3]])' "$SFCRIMED_ROOT/etc/sfcrimed.ini" "$1" "$2"
}
declare -A defaults=(
  [linger.ms]=$(ini_value producer linger.ms)
  [batch.size]=$(ini_value producer batch.size)
  [compression.type]=$(ini_value producer compression.type)
  [pipeline.threads]=$(ini_value pipeline threads)
  [fetch.min.bytes]=$(ini_value consumer fetch.min.bytes)
  [fetch.wait.max.ms]=$(ini_value consumer fetch.wait.max.ms)
  [queued.max.messages.kbytes]=$(ini_value consumer queued.max.messages.kbytes)
  [pipeline.emit_interval]=$(ini_value pipeline emit_interval)
  [kafka.partitions]=$(ini_value kafka partitions)
)

# ------------------------------------------------------------------ the plan
# One entry per measured point: experiment;system;setting;value;run;runs. "defaults" is
# the ini file's settings; "best" is resolved when it runs, from the sweep before it.
spark=false
[[ -x $spark_script ]] && spark=true
plan=()
add() { # add EXPERIMENT SYSTEM SETTING RUNS VALUE...
  local experiment=$1 system=$2 setting=$3 count=$4 value run
  shift 4
  for value in "$@"; do
    for ((run = 1; run <= count; run++)); do plan+=("$experiment;$system;$setting;$value;$run;$count"); done
  done
}
# sweep EXPERIMENT SETTING VALUE...: the values other than the default, for the systems
# the setting applies to (the producer settings to both producers).
sweep() {
  local experiment=$1 setting=$2 value values=()
  shift 2
  for value in "$@"; do [[ $value == "${defaults[$setting]}" ]] || values+=("$value"); done
  ((${#values[@]})) || return 0
  add "$experiment" sfcrimed "$setting" "$sweep_runs" "${values[@]}"
  case "$setting" in
    linger.ms | batch.size | compression.type) add "$experiment" perf_tool "$setting" "$sweep_runs" "${values[@]}" ;;
    kafka.partitions) add "$experiment" bare_kafka "$setting" "$sweep_runs" "${values[@]}" ;;
  esac
}

add ingest sfcrimed defaults "$runs" defaults
add ingest perf_tool defaults "$runs" defaults
if $quick; then
  sweep ingest linger.ms 5 100
  sweep ingest batch.size 200000
else
  sweep ingest linger.ms 0 5 20 50 100 500
  sweep ingest batch.size 16384 200000 1000000 4000000
fi
sweep ingest compression.type none lz4 zstd snappy gzip
add ingest sfcrimed best "$runs" best

add drain sfcrimed defaults "$runs" defaults
add drain bare_kafka defaults "$runs" defaults
# Spark's points: its defaults (200 shuffle partitions), its shuffle partitions swept down
# to the core count, and its other settings swept around that base (at 200 partitions
# every run would take the shuffle's cost, whatever else was set); then its best
# combination. A Spark run takes 30 to 100 s: --quick measures each point once.
spark_runs=$runs
$quick && spark_runs=$sweep_runs
spark_base=spark.sql.shuffle.partitions=$(nproc)
if $spark; then
  add drain spark defaults "$spark_runs" defaults
  if $quick; then
    add drain spark spark.sql.shuffle.partitions "$spark_runs" "$(nproc)"
  else
    mapfile -t shuffle_partitions < <(printf '%s\n' 50 8 "$(nproc)" | sort -nu)
    add drain spark spark.sql.shuffle.partitions "$spark_runs" "${shuffle_partitions[@]}"
    add drain spark maxOffsetsPerTrigger "$spark_runs" 10000 100000
    add drain spark spark.default.parallelism "$spark_runs" 1 8
    add drain spark kafka.partitions "$spark_runs" 1 6
    add drain spark best "$spark_runs" best
  fi
fi
if $quick; then
  sweep drain pipeline.threads 1 4
  sweep drain fetch.min.bytes 1048576
  sweep drain fetch.wait.max.ms 500
  sweep drain queued.max.messages.kbytes 16384
  sweep drain pipeline.emit_interval 1s
  sweep drain kafka.partitions 1 6
else
  sweep drain pipeline.threads 1 2 4
  sweep drain fetch.min.bytes 1 1024 65536 1048576
  sweep drain fetch.wait.max.ms 10 100 500
  sweep drain queued.max.messages.kbytes 4096 16384 65536 262144
  sweep drain pipeline.emit_interval 0 1s 10s
  sweep drain kafka.partitions 1 3 6
fi
add drain sfcrimed best "$runs" best

latency_rates=(1000 10000)
$quick || latency_rates=(1000 3000 10000)
add latency sfcrimed ingest.rate "$runs" "${latency_rates[@]}"
add latency bare_kafka ingest.rate "$runs" "${latency_rates[@]}"
# Spark at its best drain settings, its micro-batches back to back (the default trigger)
# and at fixed intervals.
if $spark; then
  if $quick; then
    add latency spark trigger "$spark_runs" default@1000
  else
    add latency spark trigger "$spark_runs" default@1000 500ms@1000 5s@1000 default@10000 500ms@10000
  fi
fi

# Runs interleaved: each experiment's first runs of every point, then the second runs, and
# so on (the best combination still after the sweeps it comes from), so that a busy minute
# on a shared machine spreads over the points instead of falling on one point's runs.
mapfile -t plan < <(printf '%s\n' "${plan[@]}" | python3 -c 'import sys
entries = [line.rstrip("\n").split(";") for line in sys.stdin]
order = {"ingest": 0, "drain": 1, "latency": 2}
indexed = list(enumerate(entries))
indexed.sort(key=lambda ie: (order[ie[1][0]], ie[1][3] == "best", int(ie[1][4]), ie[0]))
print("\n".join(";".join(e) for _, e in indexed))')

# estimate ENTRY: a rough cost in seconds, for the time left until the real ones are known.
estimate() {
  local experiment system setting value
  IFS=';' read -r experiment system setting value _ <<<"$1"
  case "$experiment;$system" in
    ingest\;sfcrimed) echo $((3 + records / 100000)) ;;
    ingest\;perf_tool) echo $((8 + records / 60000)) ;;
    drain\;spark) [[ $setting == defaults ]] && echo 100 || echo 45 ;;
    drain\;*) echo $((5 + backlog_records / 100000)) ;;
    latency\;spark) echo $((seconds + 30)) ;;
    latency\;*) echo $((seconds + 6)) ;;
  esac
}

# ------------------------------------------------------------------ measuring
# The perf tool's producer settings: the ingest's, where the two clients share a name.
perf_props() { # perf_props LINGER BATCH COMPRESSION
  echo "acks=all enable.idempotence=true linger.ms=$1 batch.size=$2 compression.type=$3"
}

# best_settings EXPERIMENT SYSTEM: the best combination so far, "setting=value" lines: for
# each setting swept, the value with the highest median rate when it beat the point it was
# swept around (the defaults; for Spark's settings other than its shuffle partitions, the
# base $spark_base), with the base's own setting kept.
best_settings() {
  python3 - "$out" "$1" "$2" "$run_id" "$spark_base" <<'PY'
import collections, json, statistics, sys
path, experiment, system, run_id, spark_base = sys.argv[1:]
rates = collections.defaultdict(list)
for line in open(path):
    r = json.loads(line)
    if r.get("run_id") == run_id and r.get("experiment") == experiment and r.get("system") == system \
            and r.get("status") == "ok" and r.get("setting") not in ("best", "run"):
        rates[(r["setting"], str(r["value"]))].append(r["records_per_s"])
medians = {key: statistics.median(v) for key, v in rates.items()}
base_setting, base_value = spark_base.split("=", 1)
chosen = {}
for setting in sorted({s for s, _ in medians if s not in ("defaults", "kafka.partitions")}):
    # The topic's partitions are the topic's, not a setting of the reader.
    around = (base_setting, base_value) if system == "spark" and setting != base_setting else ("defaults", "defaults")
    candidates = {v: m for (s, v), m in medians.items() if s == setting}
    value, rate = max(candidates.items(), key=lambda kv: kv[1])
    if around not in medians or rate > medians[around]:
        chosen[setting] = value
    if around[0] != "defaults" and around in medians:
        chosen.setdefault(*around)
for setting, value in chosen.items():
    print(f"{setting}={value}")
PY
}

# setting_args SYSTEM SETTING VALUE: the command-line arguments for one setting of sfcrimed
# or of the Spark baseline's script (none for the topic's partitions: backlog picks the topic).
setting_args() {
  case "$1;$2" in
    *\;defaults | *\;kafka.partitions | *\;ingest.rate | *\;trigger) ;; # the latency runs pass the rate themselves
    perf_tool\;* | bare_kafka\;*) ;; # measure passes their settings itself
    sfcrimed\;linger.ms | sfcrimed\;batch.size | sfcrimed\;compression.type) echo "--producer.$2=$3" ;;
    sfcrimed\;fetch.min.bytes | sfcrimed\;fetch.wait.max.ms | sfcrimed\;queued.max.messages.kbytes) echo "--consumer.$2=$3" ;;
    sfcrimed\;pipeline.threads | sfcrimed\;pipeline.emit_interval) echo "--$2=$3" ;;
    spark\;maxOffsetsPerTrigger) echo "--max-offsets $3" ;;
    spark\;spark.*) echo "--conf $2=$3" ;;
    *) die "no $1 argument for setting $2" ;;
  esac
}

# best_args EXPERIMENT SYSTEM: sets args to the best combination's arguments, and writes the
# combination to $work/best.txt for the results.
best_args() {
  local line more=()
  args=()
  best_settings "$1" "$2" >"$work/best.txt"
  while read -r line; do
    read -ra more <<<"$(setting_args "$2" "${line%%=*}" "${line#*=}")" && args+=("${more[@]}")
  done <"$work/best.txt"
}

# backlog PARTITIONS: the calls topic with PARTITIONS partitions holding the calls, ingested
# once per run and read by every drain point.
backlog() {
  local topic=backlog-p$1
  if [[ ! -f $work/$topic.done ]]; then
    daemon_ingest "$topic" "$backlog_file" --kafka.partitions "$1" >/dev/null || return 1
    touch "$work/$topic.done"
  fi
  echo "$topic"
}

# measure EXPERIMENT SYSTEM SETTING VALUE NAME: one measurement, its topics and groups
# named after NAME; prints its JSON report.
measure() {
  local experiment=$1 system=$2 setting=$3 value=$4 name=$5 args=() rate
  local partitions=${defaults[kafka.partitions]}
  [[ $setting == kafka.partitions ]] && partitions=$value
  if [[ $value == best ]]; then
    best_args "$experiment" "$system"
  else
    read -ra args <<<"$(setting_args "$system" "$setting" "$value")"
  fi
  # Spark's sweeps other than its shuffle partitions run around its base.
  if [[ $system == spark && $value != best && $setting != defaults && $setting != "${spark_base%%=*}" ]]; then
    args+=(--conf "$spark_base")
  fi
  case "$experiment;$system" in
    ingest\;sfcrimed) daemon_ingest "$name" "$calls" "${args[@]}" ;;
    ingest\;perf_tool)
      local linger=${defaults[linger.ms]} batch=${defaults[batch.size]} compression=${defaults[compression.type]}
      case "$setting" in
        linger.ms) linger=$value ;;
        batch.size) batch=$value ;;
        compression.type) compression=$value ;;
      esac
      create_topic "$name" "${defaults[kafka.partitions]}"
      # shellcheck disable=SC2046 # one property a word
      perf_producer "$name" "$records" "$mean_size" $(perf_props "$linger" "$batch" "$compression")
      ;;
    drain\;sfcrimed)
      pipeline_drain "$(backlog "$partitions")" "$name" "${args[@]}" || return 1
      # The first drain of the default topic is the one Spark's counts are checked against.
      if [[ ! -f $work/daemon-totals.json && $partitions == "${defaults[kafka.partitions]}" ]]; then
        "$build/daemon/sfcrimed" stats --bootstrap "$bootstrap" --topic "$(backlog "$partitions")" \
          --stats-topic "$name.stats" --dlq-topic "$name.dlq" --json --windows >"$work/daemon-totals.json" 2>"$work/stats.log" ||
          rm -f "$work/daemon-totals.json"
        printf '%s\n' "$name.windows" >"$work/daemon-windows-topic"
      fi
      ;;
    drain\;bare_kafka) bare_drain "$(backlog "$partitions")" ;;
    drain\;spark)
      "$spark_script" --bootstrap "$bootstrap" --topic "$(backlog "$partitions")" --output-topic "$name.out" \
        --trigger availableNow "${args[@]}" 2>"$work/spark.log" | tail -n 1 || return 1
      if [[ ! -f $work/totals.checked && -f $work/daemon-totals.json && $partitions == "${defaults[kafka.partitions]}" ]]; then
        check_spark_totals "$name.out"
      fi
      ;;
    latency\;sfcrimed) daemon_latency "$name" "$value" "$seconds" ;;
    latency\;bare_kafka) bare_latency "$name" "$value" "$seconds" ;;
    latency\;spark)
      # At the best drain combination so far (at least the base), the trigger as given.
      best_args drain spark
      if ((${#args[@]} == 0)); then
        args=(--conf "$spark_base")
        echo "$spark_base" >"$work/best.txt"
      fi
      rate=${value#*@}
      create_topic "$name" "${defaults[kafka.partitions]}"
      # Input for as long as Spark runs, its start (some 15 s) included.
      "$build/daemon/sfcrimed" sample --records $((rate * (seconds + 60))) --seed 1 --out "$work/spark-input.jsonl" >/dev/null 2>&1
      bench_background "${sfcrimed[@]}" --kafka.topic "$name" --ingest.file "$work/spark-input.jsonl" \
        --ingest.rate "$rate" --pipeline.enabled false --metrics.listen "" >/dev/null 2>"$work/spark-ingest.log"
      local feeder=$!
      "$spark_script" --bootstrap "$bootstrap" --topic "$name" --output-topic "$name.out" \
        --trigger "${value%@*}" --seconds "$seconds" "${args[@]}" 2>"$work/spark.log" | tail -n 1
      kill -TERM "$feeder" 2>/dev/null || true
      wait "$feeder" 2>/dev/null || true
      ;;
  esac
}

# check_spark_totals OUTPUT_TOPIC: Spark's counts in OUTPUT_TOPIC against sfcrimed's first
# drain (check_totals.py); the verdict goes to the results as a "totals" row, and a
# difference is said loudly: without equal totals the comparison means nothing.
check_spark_totals() {
  local verdict status=ok
  verdict=$("$SFCRIMED_ROOT/scripts/bench/spark/check_totals.py" --bootstrap "$bootstrap" --spark-topic "$1" \
    --daemon-json "$work/daemon-totals.json" --windows-topic "$(<"$work/daemon-windows-topic")" 2>&1) || status=differs
  [[ $status == ok ]] || say "Spark's totals differ from sfcrimed's: $verdict"
  fields run_id "$run_id" experiment totals system spark setting defaults value - status "$status" \
    verdict "$(tail -n 25 <<<"$verdict")" >>"$out"
  touch "$work/totals.checked"
}

run_id=$(date -u +%Y%m%dT%H%M%SZ)-$$
# emit FIELDS_JSON MEASUREMENT_JSON: one line of results, the measurement's own figures
# under common names (records_per_s, seconds, p50_ms, ...).
emit() {
  python3 - "$out" "$1" "$2" <<'PY'
import json, sys
path, fields, measured = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
try:
    m = json.loads(measured) if measured.strip() else {}
except ValueError:
    m, fields["status"], fields["error"] = {}, "failed", f"unreadable output: {measured[:200]}"
row = dict(fields)
records = m.get("records", m.get("acked", m.get("consumed")))
if records is not None:
    row["records"] = records
for key in ("seconds", "batches", "rss_mb"):
    if key in m:
        row[key] = m[key]
if "rate" in m or "rows_per_s" in m:
    row["records_per_s"] = m.get("rate", m.get("rows_per_s"))
for q in ("p50", "p95", "p99"):
    if m.get("latency_ms", {}).get(q) is not None:  # the Spark baseline's
        row[q + "_ms"] = m["latency_ms"][q]
    elif m.get(q + "_ms") is not None:
        row[q + "_ms"] = m[q + "_ms"]
    elif m.get(q) is not None:
        row[q + "_ms"] = round(m[q] * 1000, 3)
if "bucketed" in m:
    row["bucketed_ms"] = {q: round(v * 1000, 3) for q, v in m["bucketed"].items()}
row["raw"] = m
with open(path, "a", encoding="utf-8") as f:
    f.write(json.dumps(row) + "\n")
print(json.dumps(row))
PY
}
fields() { # fields KEY VALUE ...: a JSON object of strings, numbers where they are numbers
  python3 -c 'import json, sys
a = sys.argv[1:]
def v(x):
    for t in (int, float):
        try:
            return t(x)
        except ValueError:
            pass
    return x
print(json.dumps({a[i]: v(a[i + 1]) for i in range(0, len(a), 2)}))' "$@"
}

total=${#plan[@]}
estimates=() remaining_estimate=0
for entry in "${plan[@]}"; do
  estimates+=("$(estimate "$entry")")
  remaining_estimate=$((remaining_estimate + estimates[-1]))
done
say "$total points, roughly $(((remaining_estimate + 59) / 60)) min; results to $out"
if $dry_run; then
  printf '%s\n' "${plan[@]}"
  exit 0
fi
# The run itself, first: the machine, versions, the file, what was asked.
: >"$out"
python3 - "$out" <<PY
import json, sys
row = {"experiment": "run", "run_id": "$run_id", "command": "$command_line", "quick": "$quick" == "true",
       "file": "$ingest_description", "records": $records, "mean_record_bytes": $mean_size,
       "drain_file": "$file_description", "drain_records": $backlog_records,
       "runs": $runs, "sweep_runs": $sweep_runs, "latency_seconds": $seconds,
       "started": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "nproc": $(nproc),
       "cpu": "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)",
       "memory_gib": round($(awk '/^MemTotal/ { print $2 }' /proc/meminfo) / 1024 / 1024, 1),
       "os": "$(. /etc/os-release && echo "$PRETTY_NAME")",
       "kafka": "$(kafka_version kraft)", "java": "$("$(java_bin)" -version 2>&1 | head -n 1 | tr -d '"')",
       "sfcrimed": $(python3 -c 'import json, sys; print(json.dumps(sys.stdin.read().strip().splitlines()))' < <("$build/daemon/sfcrimed" --version)),
       "git_commit": "$(git -C "$SFCRIMED_ROOT" rev-parse --short HEAD)",
       "spark": "$spark" == "true",
       # Spark's own defaults for what is swept (local[*] runs as many tasks as cores), and
       # the base its other settings are swept around.
       "spark_defaults": {"spark.sql.shuffle.partitions": "200", "maxOffsetsPerTrigger": "unlimited",
                          "spark.default.parallelism": "$(nproc)", "kafka.partitions": "${defaults[kafka.partitions]}"},
       "spark_base": {"${spark_base%%=*}": "${spark_base#*=}"},
       "defaults": $(for k in "${!defaults[@]}"; do echo "$k=${defaults[$k]}"; done | python3 -c 'import json, sys; print(json.dumps(dict(l.strip().split("=", 1) for l in sys.stdin)))')}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(row) + "\n")
PY
if ! $spark; then
  say "no $spark_script: the Spark points are recorded as not available"
  for point in "drain;defaults" "latency;trigger"; do
    emit "$(fields run_id "$run_id" experiment "${point%;*}" system spark setting "${point#*;}" value - status "not available" \
      error "no $spark_script")" "" >/dev/null
  done
fi

done_estimate=0 measuring_started=$(date +%s)
for ((i = 0; i < total; i++)); do
  IFS=';' read -r experiment system setting value run count <<<"${plan[i]}"
  # A drain's backlog is written before its clock starts (the first point of each topic's).
  if [[ $experiment == drain ]]; then
    partitions=${defaults[kafka.partitions]}
    [[ $setting == kafka.partitions ]] && partitions=$value
    backlog "$partitions" >/dev/null || die "could not write the backlog topic with $partitions partitions"
  fi
  status=ok measured='' point_started=$(date +%s.%N)
  if ! measured=$(measure "$experiment" "$system" "$setting" "$value" "$experiment-$system-$i"); then
    status=failed
  fi
  # Wall time: the whole point as a user waits for it, start-up and group join included.
  extra=(wall_s "$(python3 -c "print(round($(date +%s.%N) - $point_started, 3))")")
  [[ $experiment == latency ]] && extra+=(input_rate "${value#*@}")
  [[ $setting == kafka.partitions ]] && extra+=(partitions "$value")
  # The settings a best combination, or Spark's latency run, resolved to.
  if [[ $value == best || "$experiment;$system" == "latency;spark" ]] && [[ -s $work/best.txt ]]; then
    extra+=(settings "$(paste -sd, "$work/best.txt")")
    rm -f "$work/best.txt"
  fi
  row=$(emit "$(fields run_id "$run_id" experiment "$experiment" system "$system" setting "$setting" value "$value" \
    run "$run" runs "$count" status "$status" "${extra[@]}")" "$measured")
  # The time left: what the estimates leave, scaled by how far off they have been so far.
  remaining_estimate=$((remaining_estimate - estimates[i]))
  done_estimate=$((done_estimate + estimates[i]))
  left=$(((remaining_estimate * ($(date +%s) - measuring_started) / done_estimate + 59) / 60))
  figure=$(python3 -c 'import json, sys; r = json.loads(sys.argv[1])
if r["status"] != "ok": print(r["status"])
elif r["experiment"] == "latency": print("p50 {:,.1f} ms, p99 {:,.1f} ms".format(r["p50_ms"], r["p99_ms"]))
else: print("{:,.0f} rec/s".format(r.get("records_per_s", 0)))' "$row")
  label=$setting=$value
  [[ $setting == defaults ]] && label=defaults
  echo "[$((i + 1))/$total] $experiment $system, $label, run $run/$count: $figure; about $left min left" >&2
done

python3 - "$out" "$(($(date +%s) - started))" <<'PY'
import json, sys
path, seconds = sys.argv[1], int(sys.argv[2])
lines = open(path).read().splitlines()
run = json.loads(lines[0])
run["seconds"] = seconds
lines[0] = json.dumps(run)
open(path, "w").write("\n".join(lines) + "\n")
PY
say "measured in $((($(date +%s) - started) / 60)) min $((($(date +%s) - started) % 60)) s: $out"

# ------------------------------------------------------------------ the report
$report || exit 0
venv=$SFCRIMED_CACHE/bench-venv
if ! "$venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
  say "setting up $venv (matplotlib, for the plots)"
  { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet matplotlib >&2; } ||
    die "could not install matplotlib into $venv (python3-venv and PyPI needed); the results are in $out"
fi
if [[ $out == "$default_out" ]]; then
  markdown=$SFCRIMED_ROOT/docs/benchmarks.md plots=$SFCRIMED_ROOT/docs/benchmarks
else
  markdown=${out%.jsonl}.md plots=$(dirname "$out")
fi
"$venv/bin/python" "$SFCRIMED_ROOT/scripts/bench/report.py" --results "$out" --markdown "$markdown" --plots "$plots"
say "report: $markdown"
