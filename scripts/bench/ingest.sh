#!/usr/bin/env bash
# Benchmark (not a test): the ingest thread against Kafka's own producer perf tool, on one
# local broker, in one run. Prints, for the published dataset (../shared/data):
#   - the reader alone: parse rate of the uncompressed file (GB/s);
#   - sfcrimed's ingest (--ingest.rate 0 --drain, producer defaults of etc/sfcrimed.ini):
#     records/s, MB/s of JSON, peak RSS;
#   - kafka-producer-perf-test.sh with its defaults and the same record count and mean
#     record size (acks=all, idempotent, as ours);
#   - the ratio ours/theirs. Each figure is the median of RUNS runs (default 3), min-max beside it.
#
# Usage: scripts/bench/ingest.sh [--runs N] [--file CALLS]
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

runs=3
file=$SFCRIMED_ROOT/../shared/data/police-department-calls-for-service.json.bz2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2 && shift 2 ;;
    --file) file=$2 && shift 2 ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[[ -r $file ]] || die "no calls file at $file (the published dataset lives in ../shared/data; or pass --file)"

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

uncompressed "$file" "$work/calls.json"
read -r records mean_size < <(call_file_size "$work/calls.json")

parse=$("$build/test/call_file_bench" "$work/calls.json" 5)

ours=() ours_rss=() theirs=()
for ((run = 1; run <= runs; run++)); do
  report=$(daemon_ingest "ours-$run" "$file") || die "the ingest failed"
  ours+=("$(json_field "$report" rate)")
  ours_rss+=("$(json_field "$report" rss_mb)")
  create_topic "theirs-$run" 3
  report=$(perf_producer "theirs-$run" "$records" "$mean_size") || die "the perf tool failed"
  theirs+=("$(json_field "$report" rate)")
  echo "run $run/$runs: sfcrimed ${ours[-1]} records/s (RSS ${ours_rss[-1]} MB), perf tool ${theirs[-1]} records/s" >&2
done

ratio=$(python3 -c "print(f'{$(median "${ours[@]}") / $(median "${theirs[@]}"):.2f}')")
mb() { python3 -c "print(f'{$1 * $mean_size / 1e6:.1f}')"; }
cat <<EOF
ingest benchmark: $records records, mean $mean_size bytes as sent, one local KRaft broker (Kafka $(kafka_version kraft)), $(nproc) cores, $runs runs
reader alone:     $(python3 -c 'import json, sys
r = json.loads(sys.argv[1])
print("%.2f GB/s median, %.2f best (%.0f MB in %.3f s)" % (r["median_gb_per_s"], r["best_gb_per_s"], r["bytes"] / 1e6, r["median_seconds"]))' "$parse")
sfcrimed ingest:  $(median_range "${ours[@]}") records/s, $(mb "$(median "${ours[@]}")") MB/s; peak RSS $(median_range "${ours_rss[@]}") MB
perf tool:        $(median_range "${theirs[@]}") records/s, $(mb "$(median "${theirs[@]}")") MB/s (kafka-producer-perf-test.sh defaults)
ratio ours/theirs: $ratio
EOF
