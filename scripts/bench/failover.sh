#!/usr/bin/env bash
# Measures what a broker's loss costs: on a three-node KRaft cluster, sfcrimed (release
# build) replays calls at a steady rate and counts them, and one broker is killed with
# SIGKILL: the leader of partition 0, the transaction coordinator of pipeline thread 0,
# the group coordinator of the pipeline's group (each in a run of its own, on a topic of
# its own). Recorded every 200 ms from /metrics: calls acknowledged and consumed, each
# thread's last commit, the latency histogram. Reported: the time from the kill to the
# first committed transaction after it (of any thread, and of every thread), the longest
# stretch without a consumed call, p99 latency before and across the failover, and a plot
# of the rates and p99 around each kill.
#
# Usage: scripts/bench/failover.sh [--rate R] [--before S] [--runs N] [--out DIR] [--faults "leader txn group"]
#   --rate R      calls per second replayed (default 2000)
#   --before S    seconds of steady state before the kill (default 20)
#   --runs N      runs of each fault, interleaved (default 3); the report gives medians and ranges
#   --out DIR     results (failover.jsonl.gz, failover.md, failover.png); default docs/benchmarks
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

rate=2000 before=20 runs=3 out=$SFCRIMED_ROOT/docs/benchmarks faults="leader txn group"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rate) need_value "$1" $# && need_number "$1" "$2" 1 100000 && rate=$2 && shift 2 ;;
    --before) need_value "$1" $# && need_number "$1" "$2" 5 600 && before=$2 && shift 2 ;;
    --runs) need_value "$1" $# && need_number "$1" "$2" 1 20 && runs=$2 && shift 2 ;;
    --out) need_value "$1" $# && out=$2 && shift 2 ;;
    --faults) need_value "$1" $# && faults=$2 && shift 2 ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see scripts/bench/failover.sh --help)" ;;
  esac
done
mkdir -p "$out"
# shellcheck source=cluster_lib.sh
source "$SFCRIMED_ROOT/scripts/bench/cluster_lib.sh"

# The run's calls: enough for the steady state, the failover and the time after it.
records=$((rate * (before + 150)))
"$build/daemon/sfcrimed" sample --records "$records" --seed 3 --out "$work/calls.json" >/dev/null 2>&1
results=$work/failover.jsonl

# all_committed_after PORT T: every thread has committed after Unix time T.
all_committed_after() {
  curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk -v t="$2" '/^sfcrimed_pipeline_last_commit_timestamp_seconds\{/ { n++; if ($2 > t) after++ }
      END { exit !(n > 0 && after == n) }'
}

# one_fault NAME RUN: a run on a topic of its own, with one kill.
one_fault() {
  local fault=$1 run=$2 topic=failover-$1-$2-$$ metrics_port pid node killed
  local group=$topic
  new_topic "$topic"
  metrics_port=$(free_ports 1)
  bench_background "$build/daemon/sfcrimed" --config "$SFCRIMED_ROOT/etc/sfcrimed.ini" --kafka.bootstrap "$bootstrap" \
    --kafka.topic "$topic" --pipeline.group "$group" --ingest.file "$work/calls.json" --ingest.rate "$rate" \
    --metrics.listen "127.0.0.1:$metrics_port" --log.file "$work/$fault-$run.log" >/dev/null 2>&1
  pid=$!
  sample_metrics "$metrics_port" "$work/$fault.samples"
  local sampler=$!
  sleep "$before"
  for _ in $(seq 1 30); do
    case "$fault" in
      leader) node=$(leader_of "$topic" 0) ;;
      txn) node=$(transaction_coordinator "$group.$topic.$(hostname).0") ;;
      group) node=$(group_coordinator "$group") ;;
      *) die "unknown fault '$fault' (leader, txn or group)" ;;
    esac
    [[ $node =~ ^[1-3]$ ]] && break
    sleep 1
  done
  [[ $node =~ ^[1-3]$ ]] || die "no broker found for the fault '$fault'"
  killed=$(date +%s.%N)
  kill -KILL "$(broker_pid "$node")"
  say "$fault, run $run: broker $node killed"
  local deadline=$((SECONDS + 120))
  until all_committed_after "$metrics_port" "$killed" || ((SECONDS > deadline)); do sleep 0.2; done
  sleep 15
  local restarted
  restarted=$(date +%s.%N)
  heal
  sleep 10
  kill -TERM "$pid"
  wait "$pid" || true
  kill -TERM "$sampler" 2>/dev/null || true
  python3 - "$fault" "$run" "$node" "$killed" "$restarted" "$rate" "$work/$fault.samples" >>"$results" <<'PY'
import json, sys
fault, run, node, killed, restarted, rate, samples = sys.argv[1:]
print(json.dumps({"fault": fault, "run": int(run), "node": int(node), "killed": float(killed),
                  "restarted": float(restarted), "rate": int(rate),
                  "samples": [json.loads(l) for l in open(samples) if l.strip()]}))
PY
  rm -f "$work/$fault.samples"
}

for ((run = 1; run <= runs; run++)); do
  for fault in $faults; do one_fault "$fault" "$run"; done
done
python=$(plotting_python)
"$python" "$SFCRIMED_ROOT/scripts/bench/failover_report.py" "$results" "$out/failover.md" "$out/failover.png"
gzip -c "$results" >"$out/failover.jsonl.gz"
cat "$out/failover.md"
