#!/usr/bin/env bash
# Benchmark (not a test): the pipeline against Kafka alone, on one local broker, in one
# run. Prints:
#   - drain: the published dataset's 199,999 records (or --file) ingested, then read to
#     the end by (a) sfcrimed's pipeline (--ingest.enabled false --drain, the ini file's
#     defaults, --threads N), (b) a bare librdkafka consumer that only reads
#     (test/bench/bare_kafka.cpp, same consumer settings), (c) kafka-consumer-perf-test.sh;
#     records/s each (median of RUNS), and the ratio pipeline/bare (target >= 0.5); and
#     the pipeline's own work with no Kafka (test/bench/pipeline_cpu_bench.cpp: parsing,
#     windows and shares of the same calls), records per CPU second;
#   - latency: sfcrimed (ingest and pipeline in one process) at a steady RATE records/s
#     for SECONDS, p50/p95/p99 from each record's Kafka timestamp to its application in
#     the steady state (from a second after every partition is caught up, and after a quarter
#     of the run, to its end; estimated from /metrics' histogram as
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
say "ingesting $file into topic calls"
"${sfcrimed[@]}" --kafka.topic calls --ingest.file "$file" --pipeline.enabled false --metrics.listen "" --drain >"$work/ingest.json" \
  2>"$work/ingest.log" || die "the ingest failed: $(tail -n 3 "$work/ingest.log")"
records=$(json_field "$(tail -n 1 "$work/ingest.json")" ingest.acked)

ours=() bare=() perf=()
for ((run = 1; run <= runs; run++)); do
  report=$(pipeline_drain calls "bench-$run" --pipeline.threads "$threads") || die "the pipeline failed"
  ours+=("$(json_field "$report" rate)")
  bare_out=$(bare_drain calls)
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
ours_latency=$(daemon_latency latency "$rate" "$seconds") || die "the latency run failed"
bare_latency=$(bare_latency bare-latency "$rate" "$seconds")

uncompressed "$file" "$work/calls.json"
cpu_rate=$(json_field "$("$build/test/pipeline_cpu_bench" "$work/calls.json" 3)" median_records_per_cpu_second)

ms() { python3 -c "print(f'{$1 * 1000:.1f} ms')"; }
commit_seconds=$(awk -F' *= *' '/^\[/ { section = $0; next } section == "[pipeline]" && $1 == "commit_interval" { print $2 }' \
  "$SFCRIMED_ROOT/etc/sfcrimed.ini" | sed -E 's/ms$/ \/ 1000/; s/s$//' | python3 -c 'print(eval(input()))')
cat <<EOF
pipeline benchmark: one local KRaft broker (Kafka $(kafka_version kraft)), $(nproc) cores, $runs runs
drain of $records records (pipeline.threads $threads):
  sfcrimed pipeline:        $(median_range "${ours[@]}") records/s
  bare librdkafka consumer: $(median_range "${bare[@]}") records/s
  kafka-consumer-perf-test: $(median_range "${perf[@]}") records/s
  the pipeline's own work:  $cpu_rate records per CPU second (parse, windows, shares; no Kafka: pipeline_cpu_bench)
  ratio pipeline/bare:      $(python3 -c "print(f'{$(median "${ours[@]}") / $(median "${bare[@]}"):.2f}')") (target >= 0.5)
latency at $rate records/s for $seconds s (Kafka timestamp to application; histogram estimates):
  sfcrimed:   p50 $(ms "$(json_field "$ours_latency" p50)"), p95 $(ms "$(json_field "$ours_latency" p95)"), p99 $(ms "$(json_field "$ours_latency" p99)") ($(json_field "$ours_latency" records) records)
  bare Kafka: p50 $(ms "$(json_field "$bare_latency" bucketed.p50)"), p95 $(ms "$(json_field "$bare_latency" bucketed.p95)"), p99 $(ms "$(json_field "$bare_latency" bucketed.p99)") (exact: p50 $(ms "$(json_field "$bare_latency" p50)"), p99 $(ms "$(json_field "$bare_latency" p99)"))
  ratio of p99s: $(python3 -c "print(f'{$(json_field "$ours_latency" p99) / $(json_field "$bare_latency" bucketed.p99):.2f}')") (target <= 2)
a window's close (the stats message that made it final) to its merged final message committed, in the same run:
  p50 $(ms "$(json_field "$ours_latency" window_final.p50)"), p99 $(ms "$(json_field "$ours_latency" window_final.p99)") ($(json_field "$ours_latency" window_final.records) windows; target p99 <= 2 commit intervals, $(python3 -c "print(2 * $commit_seconds)") s)
EOF
