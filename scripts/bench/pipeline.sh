#!/usr/bin/env bash
# Benchmark (not a test): the pipeline against Kafka alone, on one local broker, in one
# run. Prints:
#   - drain: the published dataset's 199,999 records (or --file) ingested, then read to
#     the end by (a) sfcrimed's pipeline (--ingest.enabled false --drain, the ini file's
#     defaults, --threads N), (b) a bare librdkafka consumer that only reads
#     (test/bench/bare_kafka.cpp, same consumer settings), (c) kafka-consumer-perf-test.sh;
#     records/s each (median of RUNS), and the ratio pipeline/bare (target >= 0.7);
#   - latency: sfcrimed (ingest and pipeline in one process) at a steady RATE records/s
#     for SECONDS, p50/p95/p99 from each record's Kafka timestamp to its application in
#     the steady state (the last three quarters; estimated from /metrics' histogram as
#     Prometheus' histogram_quantile does), beside
#     bare produce-to-consume latency (same producer settings, same broker, same
#     bucketing), and the ratio of the p99s (target <= 2).
#
# Usage: scripts/bench/pipeline.sh [--runs N] [--file CALLS] [--threads N] [--rate R] [--seconds S]
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

runs=3 threads=2 rate=1000 seconds=60
file=$SFCRIMED_ROOT/../shared/data/police-department-calls-for-service.json.bz2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2 && shift 2 ;;
    --file) file=$2 && shift 2 ;;
    --threads) threads=$2 && shift 2 ;;
    --rate) rate=$2 && shift 2 ;;
    --seconds) seconds=$2 && shift 2 ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[[ -r $file ]] || die "no calls file at $file (the published dataset lives in ../shared/data; or pass --file)"

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sfcrimed=("$build/daemon/sfcrimed" --config "$SFCRIMED_ROOT/etc/sfcrimed.ini" --kafka.bootstrap "$bootstrap")
json_field() { python3 -c 'import json, sys; d = json.loads(sys.argv[1])
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$1" "$2"; }

say "ingesting $file into topic calls"
"${sfcrimed[@]}" --kafka.topic calls --ingest.file "$file" --pipeline.enabled false --metrics.listen "" --drain >"$work/ingest.json" \
  2>"$work/ingest.log" || die "the ingest failed: $(tail -n 3 "$work/ingest.log")"
records=$(json_field "$(tail -n 1 "$work/ingest.json")" ingest.acked)

ours=() bare=() perf=()
for ((run = 1; run <= runs; run++)); do
  "${sfcrimed[@]}" --kafka.topic calls --ingest.enabled false --pipeline.threads "$threads" --pipeline.group "bench-$run" \
    --pipeline.stats_topic "stats-$run" --pipeline.state_topic "state-$run" --pipeline.dlq_topic "dlq-$run" \
    --metrics.listen "" --drain >"$work/ours.json" 2>"$work/ours.log" || die "the pipeline failed: $(tail -n 3 "$work/ours.log")"
  ours+=("$(json_field "$(tail -n 1 "$work/ours.json")" pipeline.rate)")
  bare_out=$("$build/test/bare_kafka" drain --bootstrap "$bootstrap" --topic calls)
  [[ $(json_field "$bare_out" records) -eq $records ]] || die "the bare consumer read: $bare_out"
  bare+=("$(json_field "$bare_out" rate)")
  "$bin/kafka-consumer-perf-test.sh" --bootstrap-server "$bootstrap" --topic calls --num-records "$records" \
    --group "perf-$run" --timeout 60000 >"$work/perf.log" 2>&1
  # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  # rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec: the fetch rate, which
  # leaves out the group's join as the other two figures do.
  perf+=("$(awk -F', ' '/^[0-9][0-9][0-9][0-9]-/ { print $10 }' "$work/perf.log")")
  echo "run $run/$runs: pipeline ${ours[-1]}, bare consumer ${bare[-1]}, perf tool ${perf[-1]} records/s" >&2
done

# Latency: sfcrimed whole (ingest at a steady rate and pipeline), then bare Kafka.
say "latency: $rate records/s for $seconds s"
"$build/daemon/sfcrimed" sample --records $((rate * seconds)) --seed 1 --out "$work/sample.json" >/dev/null
metrics_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${sfcrimed[@]}" --kafka.topic latency --ingest.file "$work/sample.json" --ingest.rate "$rate" \
  --metrics.listen "127.0.0.1:$metrics_port" --drain >"$work/latency.json" 2>"$work/latency.log" &
pid=$!
# Steady state: the histogram's growth between a quarter of the run and its end, leaving
# out the start (the group's join, during which the first calls wait).
sleep $((seconds / 4))
curl -fsS "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics.start.txt"
sleep $((seconds - seconds / 4 - 2))
curl -fsS "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics.end.txt"
wait "$pid" || die "the latency run failed: $(tail -n 3 "$work/latency.log")"
ours_latency=$(python3 - "$work/metrics.start.txt" "$work/metrics.end.txt" <<'PY'
import json, re, sys
def buckets(path):
    out = []
    for line in open(path):
        m = re.match(r'sfcrimed_pipeline_latency_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            out.append((float(m.group(1)), float(m.group(2))))
    return out
start, end = buckets(sys.argv[1]), buckets(sys.argv[2])
delta = [(bound, count - before) for (bound, count), (_, before) in zip(end, start)]
total = delta[-1][1]
def quantile(q):
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in delta:
        if count >= rank:
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 0)
        lower, below = bound, count
print(json.dumps({"records": int(total), "p50": quantile(0.5), "p95": quantile(0.95), "p99": quantile(0.99)}))
PY
)
bare_latency=$("$build/test/bare_kafka" latency --bootstrap "$bootstrap" --topic bare-latency --rate "$rate" \
  --seconds "$seconds")

ms() { python3 -c "print(f'{$1 * 1000:.1f} ms')"; }
cat <<EOF
pipeline benchmark: one local KRaft broker (Kafka $(kafka_version kraft)), $(nproc) cores, $runs runs
drain of $records records (pipeline.threads $threads):
  sfcrimed pipeline:        $(median_range "${ours[@]}") records/s
  bare librdkafka consumer: $(median_range "${bare[@]}") records/s
  kafka-consumer-perf-test: $(median_range "${perf[@]}") records/s
  ratio pipeline/bare:      $(python3 -c "print(f'{$(median "${ours[@]}") / $(median "${bare[@]}"):.2f}')") (target >= 0.7)
latency at $rate records/s for $seconds s (Kafka timestamp to application; histogram estimates):
  sfcrimed:   p50 $(ms "$(json_field "$ours_latency" p50)"), p95 $(ms "$(json_field "$ours_latency" p95)"), p99 $(ms "$(json_field "$ours_latency" p99)") ($(json_field "$ours_latency" records) records)
  bare Kafka: p50 $(ms "$(json_field "$bare_latency" bucketed.p50)"), p95 $(ms "$(json_field "$bare_latency" bucketed.p95)"), p99 $(ms "$(json_field "$bare_latency" bucketed.p99)") (exact: p50 $(ms "$(json_field "$bare_latency" p50)"), p99 $(ms "$(json_field "$bare_latency" p99)"))
  ratio of p99s: $(python3 -c "print(f'{$(json_field "$ours_latency" p99) / $(json_field "$bare_latency" bucketed.p99):.2f}')") (target <= 2)
EOF
