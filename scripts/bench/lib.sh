# What the benchmarks share: the release build, one local KRaft broker on free ports for
# the run (stopped on exit, with any measurement still running), medians, and the
# measurements themselves, so that ingest.sh, pipeline.sh and run.sh take them the same
# way. Source it from a benchmark script after scripts/lib/common.sh.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

"$SFCRIMED_ROOT/scripts/setup.sh" --preset release >/dev/null
build=$SFCRIMED_ROOT/build/release
work=$(mktemp -d "${TMPDIR:-/tmp}/sfcrimed-bench.XXXXXX")
# Background measurements (bench_background starts them): their ids go to a file rather
# than a variable, as they are often started inside $(...), and cleanup stops them and
# their children (a launcher script's JVM), so that no sfcrimed, bare_kafka or JVM outlives
# an interrupted benchmark.
bench_background() {
  "$@" &
  echo "$!" >>"$work/background.pids"
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port) controller=$(free_port)
while [[ $controller == "$port" ]]; do controller=$(free_port); done
cleanup() {
  local pid children
  if [[ -f $work/background.pids ]]; then
    while read -r pid; do
      children=$(pgrep -P "$pid" || true)
      # shellcheck disable=SC2086 # one id a word
      kill -TERM "$pid" $children 2>/dev/null || true
    done <"$work/background.pids"
  fi
  "$SFCRIMED_ROOT/scripts/kafka.sh" stop --data-dir "$work/kafka" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$SFCRIMED_ROOT/scripts/kafka.sh" start --data-dir "$work/kafka" --port "$port" --controller-port "$controller" >/dev/null 2>&1 ||
  die "the benchmark broker did not start (port $port)"
bootstrap=localhost:$port
bin=$(kafka_home kraft)/bin
sfcrimed=("$build/daemon/sfcrimed" --config "$SFCRIMED_ROOT/etc/sfcrimed.ini" --kafka.bootstrap "$bootstrap")

# median_range VALUES...: "median (min-max)"
median_range() {
  python3 -c 'import statistics, sys
v = sorted(float(x) for x in sys.argv[1:])
print(f"{statistics.median(v):.0f} ({v[0]:.0f}-{v[-1]:.0f})")' "$@"
}
median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

# json_field JSON KEY[.KEY...]: one value of a JSON object.
json_field() {
  python3 -c 'import json, sys; d = json.loads(sys.argv[1])
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$1" "$2"
}

# uncompressed CALLS OUT: the calls file as the reader alone and the perf tool's sizing need it.
uncompressed() {
  case "$1" in
    *.bz2) bzip2 -dc "$1" >"$2" ;;
    *.gz) gzip -dc "$1" >"$2" ;;
    *) cp "$1" "$2" ;;
  esac
}

# call_file_size CALLS: "records mean_size", the mean size of a record as the ingest sends
# it (compact JSON), so that the perf tool sends as many bytes.
call_file_size() {
  python3 - "$1" <<'PY'
import bz2, gzip, json, sys
path = sys.argv[1]
opener = bz2.open if path.endswith(".bz2") else gzip.open if path.endswith(".gz") else open
with opener(path, "rt", encoding="utf-8") as f:
    text = f.read()
records = json.loads(text) if text.lstrip().startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
sizes = [len(json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()) for r in records]
print(len(records), round(sum(sizes) / len(sizes)))
PY
}

# daemon_ingest TOPIC CALLS [SFCRIMED_ARGS...]: sfcrimed's ingest alone, as fast as the
# broker acknowledges, into TOPIC; prints its summary ({"sent":..,"rate":..,"rss_mb":..}).
daemon_ingest() {
  local topic=$1 calls=$2
  shift 2
  /usr/bin/time -f '%M' -o "$work/ingest.rss" "${sfcrimed[@]}" --kafka.topic "$topic" --ingest.file "$calls" \
    --ingest.rate 0 --pipeline.enabled false --metrics.listen "" --drain "$@" >"$work/ingest.json" 2>"$work/ingest.log" ||
    {
      say "the ingest into $topic failed: $(tail -n 3 "$work/ingest.log")"
      return 1
    }
  python3 -c 'import json, sys
report = json.loads(open(sys.argv[1]).read().splitlines()[-1])["ingest"]
report["rss_mb"] = int(open(sys.argv[2]).read().split()[-1]) // 1024
print(json.dumps(report))' "$work/ingest.json" "$work/ingest.rss"
}

# create_topic TOPIC PARTITIONS
create_topic() {
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --topic "$1" --partitions "$2" >/dev/null
}

# perf_producer TOPIC RECORDS SIZE [PROPERTY=VALUE...]: kafka-producer-perf-test.sh, as fast
# as it can, into TOPIC (created beforehand); prints {"records":..,"seconds":..,"rate":..}.
perf_producer() {
  local topic=$1 records=$2 size=$3
  shift 3
  "$bin/kafka-producer-perf-test.sh" --topic "$topic" --num-records "$records" --record-size "$size" \
    --throughput -1 --producer-props "bootstrap.servers=$bootstrap" "$@" >"$work/perf.log" 2>&1 || {
    say "kafka-producer-perf-test.sh failed: $(tail -n 3 "$work/perf.log")"
    return 1
  }
  # The last line: "N records sent, R records/sec (M MB/sec), A ms avg latency, ...".
  tail -n 1 "$work/perf.log" | sed -E 's/^([0-9]+) records sent, ([0-9.]+) records\/sec.*/{"records":\1,"rate":\2}/' |
    python3 -c 'import json, sys; r = json.loads(sys.stdin.read()); r["seconds"] = round(r["records"] / r["rate"], 3); print(json.dumps(r))'
}

# pipeline_drain TOPIC NAME [SFCRIMED_ARGS...]: sfcrimed's pipeline alone reads TOPIC to its
# end in a fresh group (and output topics) named after NAME; prints its summary
# ({"consumed":..,"seconds":..,"rate":..}).
pipeline_drain() {
  local topic=$1 name=$2
  shift 2
  "${sfcrimed[@]}" --kafka.topic "$topic" --ingest.enabled false --pipeline.group "$name" \
    --pipeline.stats_topic "$name.stats" --pipeline.state_topic "$name.state" --pipeline.dlq_topic "$name.dlq" \
    --pipeline.windows_topic "$name.windows" \
    --metrics.listen "" --drain "$@" >"$work/drain.json" 2>"$work/drain.log" || {
    say "the pipeline on $topic failed: $(tail -n 3 "$work/drain.log")"
    return 1
  }
  python3 -c 'import json, sys; print(json.dumps(json.loads(open(sys.argv[1]).read().splitlines()[-1])["pipeline"]))' \
    "$work/drain.json"
}

# bare_drain TOPIC: a bare librdkafka consumer reads TOPIC to its end, nothing else; prints
# {"records":..,"seconds":..,"rate":..}.
bare_drain() { "$build/test/bare_kafka" drain --bootstrap "$bootstrap" --topic "$1"; }

# histogram_quantiles START END [METRIC]: p50/p95/p99 (seconds) of the records that entered
# sfcrimed's latency histogram between two /metrics scrapes, estimated as Prometheus'
# histogram_quantile() does (linear within the bucket); prints {"records":..,"p50":..,...}.
histogram_quantiles() {
  python3 - "$1" "$2" "${3:-sfcrimed_pipeline_latency_seconds}" <<'PY'
import json, re, sys
def buckets(path):
    out = []
    for line in open(path):
        m = re.match(re.escape(sys.argv[3]) + r'_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            out.append((float(m.group(1)), float(m.group(2))))
    return out
start, end = buckets(sys.argv[1]), buckets(sys.argv[2])
delta = [(bound, count - before) for (bound, count), (_, before) in zip(end, start)]
total = delta[-1][1] if delta else 0
def quantile(q):
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in delta:
        if count >= rank:
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 0)
        lower, below = bound, count
    return None
print(json.dumps({"records": int(total), "p50": quantile(0.5), "p95": quantile(0.95), "p99": quantile(0.99)}))
PY
}

# daemon_latency TOPIC RATE SECONDS [SFCRIMED_ARGS...]: sfcrimed whole (ingest at a steady
# RATE records/s of a generated sample, and the pipeline) for SECONDS; prints the steady
# state's latency from each record's Kafka timestamp to its application: the histogram's
# growth from a second after every partition has been caught up (or a quarter of the run,
# whichever is later) to the run's end, leaving out the start, the group's join, during
# which the first calls wait. {"records":..,"p50":..,"p95":..,"p99":..,"window_final":
# {"records":..,"p50":..,..}}: window_final is the same for the time from the stats message
# that made a window final to the merged window committed (the windows stage).
daemon_latency() {
  local topic=$1 rate=$2 seconds=$3 metrics_port pid start end partitions caught_up=0
  shift 3
  "$build/daemon/sfcrimed" sample --records "$((rate * seconds))" --seed 1 --out "$work/sample.json" >/dev/null 2>&1
  partitions=$(awk -F' *= *' '/^\[/ { section = $0; next } section == "[kafka]" && $1 == "partitions" { print $2 }' \
    "$SFCRIMED_ROOT/etc/sfcrimed.ini")
  metrics_port=$(free_port)
  start=$(date +%s)
  bench_background "${sfcrimed[@]}" --kafka.topic "$topic" --ingest.file "$work/sample.json" --ingest.rate "$rate" \
    --pipeline.group "$topic" --metrics.listen "127.0.0.1:$metrics_port" --drain "$@" >"$work/latency.json" 2>"$work/latency.log"
  pid=$!
  end=$((start + seconds - 2))
  sleep $((seconds / 4))
  # Caught up: each partition's lag known, none unowned (the threads join one after the
  # other, and a later join moves partitions), and less than a second's input behind. Under load that can
  # outlast a quarter of the run; up to half of it is waited for.
  while ((caught_up == 0 && $(date +%s) < start + seconds / 2)); do
    caught_up=$(curl -fsS "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null |
      awk -v partitions="$partitions" -v rate="$rate" '
        /^sfcrimed_pipeline_consumer_lag_records\{/ { known++; if ($2 >= rate) behind++ }
        /^sfcrimed_pipeline_partitions_unowned / { unowned = $2 }
        END { print (known >= partitions && unowned == 0 && !behind) ? 1 : 0 }') || true
    caught_up=${caught_up:-0}
    ((caught_up)) || sleep 0.5
  done
  sleep 1
  curl -fsS "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics.start.txt" || true
  sleep $((end > $(date +%s) ? end - $(date +%s) : 0))
  curl -fsS "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics.end.txt" || true
  wait "$pid" || {
    say "the latency run on $topic failed: $(tail -n 3 "$work/latency.log")"
    return 1
  }
  python3 -c 'import json, sys
latency = json.loads(sys.argv[1])
latency["window_final"] = json.loads(sys.argv[2])
print(json.dumps(latency))' "$(histogram_quantiles "$work/metrics.start.txt" "$work/metrics.end.txt")" \
    "$(histogram_quantiles "$work/metrics.start.txt" "$work/metrics.end.txt" sfcrimed_pipeline_window_final_seconds)"
}

# bare_latency TOPIC RATE SECONDS: bare Kafka produce-to-consume latency at RATE records/s
# (the ingest's producer defaults, the pipeline's consumer defaults); prints
# {"records":..,"p50":..,..,"bucketed":{"p50":..,..}} (seconds).
bare_latency() {
  "$build/test/bare_kafka" latency --bootstrap "$bootstrap" --topic "$1" --rate "$2" --seconds "$3"
}
