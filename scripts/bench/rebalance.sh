#!/usr/bin/env bash
# The consumer group protocols side by side: the classic protocol (eager rebalances, static
# members) and KIP-848's (group.protocol=consumer: the broker assigns, incrementally). For
# each, on a three-node cluster, one sfcrimed (release build, 2 pipeline threads, 6
# partitions, calls replayed at a steady rate) goes through:
#   start      the daemon starting: its threads join one after the other
#   join       another member joins its group (Kafka's console consumer, same protocol)
#   leave      that member leaves again
#   crash      kill -9, then started again at once, and again whenever it exits (as
#              systemd's Restart=on-failure would): until /readyz answers 200
#   restart    SIGTERM, then started again
# Measured from the daemon's log (each partition's "owns"/"adds" and "released" lines,
# in ms): how long partitions were without an owner in each step, the longest pause of a
# partition the daemon kept throughout, and the time until its assignment was settled;
# for crash and restart, the time until it was ready again and how many starts it took.
#
# Usage: scripts/bench/rebalance.sh [--rate R] [--out DIR]
#   --rate R   calls per second replayed (default 1000)
#   --out DIR  results (rebalance.jsonl, rebalance.md); default docs/benchmarks
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

rate=1000 out=$SFCRIMED_ROOT/docs/benchmarks
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rate) need_value "$1" $# && need_number "$1" "$2" 1 100000 && rate=$2 && shift 2 ;;
    --out) need_value "$1" $# && out=$2 && shift 2 ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see scripts/bench/rebalance.sh --help)" ;;
  esac
done
mkdir -p "$out"
# shellcheck source=cluster_lib.sh
source "$SFCRIMED_ROOT/scripts/bench/cluster_lib.sh"
"$build/daemon/sfcrimed" sample --records $((rate * 400)) --seed 4 --out "$work/calls.json" >/dev/null 2>&1
results=$work/rebalance.jsonl
events=$work/events

mark() { echo "$1 $(date +%s.%N)" >>"$events"; }

# ready PORT: /readyz answers 200.
ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz" 2>/dev/null) == 200 ]]; }

# start_daemon PROTOCOL TOPIC PORT LOG: the daemon in the background; its pid in $daemon.
start_daemon() {
  local protocol=$1 topic=$2 port=$3 log=$4 extra=()
  [[ $protocol == classic ]] || extra=(--consumer.group.protocol=consumer)
  bench_background "$build/daemon/sfcrimed" --config "$SFCRIMED_ROOT/etc/sfcrimed.ini" --kafka.bootstrap "$bootstrap" \
    --kafka.topic "$topic" --pipeline.group "$topic" --ingest.file "$work/calls.json" --ingest.rate "$rate" \
    --metrics.listen "127.0.0.1:$port" --log.file "$log" "${extra[@]}" >/dev/null 2>>"$work/stderr"
  daemon=$!
}

# wait_ready PORT SECONDS: true once ready; false after SECONDS or when the daemon exits.
wait_ready() {
  local deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    ready "$1" && return 0
    kill -0 "$daemon" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

one_protocol() {
  local protocol=$1 topic=rebalance-$1-$$ port log consumer starts=1
  port=$(free_ports 1)
  log=$work/$protocol.log
  : >"$events"
  new_topic "$topic"
  mark start
  start_daemon "$protocol" "$topic" "$port" "$log"
  wait_ready "$port" 120 || die "$protocol: the daemon did not get ready"
  sleep 20
  mark join
  local member_protocol=()
  [[ $protocol == classic ]] || member_protocol=(--consumer-property group.protocol=consumer)
  bench_background "$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$topic" --group "$topic" \
    "${member_protocol[@]}" >/dev/null 2>"$work/member.log"
  consumer=$!
  sleep 25
  mark leave
  # shellcheck disable=SC2046 # one id a word
  kill -TERM "$consumer" $(pgrep -P "$consumer" || true) 2>/dev/null || true
  wait "$consumer" 2>/dev/null || true
  sleep 25
  mark crash
  kill -KILL "$daemon"
  wait "$daemon" 2>/dev/null || true
  local crash_start=$SECONDS
  start_daemon "$protocol" "$topic" "$port" "$log"
  until wait_ready "$port" 5; do
    kill -0 "$daemon" 2>/dev/null && continue
    ((SECONDS - crash_start < 180)) || die "$protocol: not ready 180 s after the crash"
    sleep 1 # RestartSec= of a unit
    starts=$((starts + 1))
    start_daemon "$protocol" "$topic" "$port" "$log"
  done
  mark crash_ready
  echo "crash_starts $starts" >>"$events"
  sleep 15
  mark restart
  kill -TERM "$daemon"
  wait "$daemon" || true
  start_daemon "$protocol" "$topic" "$port" "$log"
  wait_ready "$port" 120 || die "$protocol: not ready after the restart"
  mark restart_ready
  sleep 10
  mark end
  kill -TERM "$daemon"
  wait "$daemon" || true
  python3 "$SFCRIMED_ROOT/scripts/bench/rebalance_report.py" record "$protocol" "$log" "$events" >>"$results"
}

for protocol in classic consumer; do
  say "$protocol protocol"
  one_protocol "$protocol"
done
python3 "$SFCRIMED_ROOT/scripts/bench/rebalance_report.py" table "$results" >"$out/rebalance.md"
cp "$results" "$out/rebalance.jsonl"
cat "$out/rebalance.md"
