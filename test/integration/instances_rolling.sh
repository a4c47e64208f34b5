#!/usr/bin/env bash
# A rolling restart of three instances in one group, one at a time, during a paced
# replay (an ingest of its own): each instance stopped with SIGTERM exits 0 and, started
# again under its name, takes its static members' partitions back; then a drain ends
# with stats equal to an independent count of the file.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=instances-rolling-$$
records=40000
"$sfcrimed" sample --records "$records" --seed 22 --out "$SCRATCH/calls.json"
common=(--kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --kafka.partitions 6 --consumer.session.timeout.ms=6000)
"$sfcrimed" "${common[@]}" --ingest.file "$SCRATCH/calls.json" --ingest.rate 500 --pipeline.enabled false \
  --metrics.listen "" --drain >"$SCRATCH/ingest.log" 2>&1 &
ingest=$!
stop_on_exit "$ingest"

declare -A pids ports
start() {
  local name=$1
  shift
  ports[$name]=$(free_ports 1)
  "$sfcrimed" "${common[@]}" --ingest.enabled false --pipeline.instance "$name" --pipeline.threads 1 \
    --pipeline.commit_interval 200ms --metrics.listen "127.0.0.1:${ports[$name]}" "$@" >>"$SCRATCH/$name.log" 2>&1 &
  pids[$name]=$!
  stop_on_exit "${pids[$name]}"
}
ready() { curl -fsS "http://127.0.0.1:${ports[$1]}/readyz" >/dev/null 2>&1; }
# owners NAME: how many distinct members own the topic's partitions, as NAME sees the group.
owners() {
  curl -fsS "http://127.0.0.1:${ports[$1]}/api/live" 2>/dev/null | python3 -c 'import json, sys
p = json.load(sys.stdin)["pipeline"] or {"partitions": []}
print(len({x["member"] for x in p["partitions"] if x["member"]}))' 2>/dev/null || echo 0
}
three_owners() { [[ $(owners "$1") == 3 ]]; }
stop() {
  kill -TERM "${pids[$1]}"
  local status=0
  wait "${pids[$1]}" || status=$?
  ((status == 0)) || fail "instance $1 exited $status on SIGTERM:"$'\n'"$(tail -n 20 "$SCRATCH/$1.log")"
}

for name in a b c; do start "$name"; done
for name in a b c; do wait_for "instance $name ready" 60 "${pids[$name]}" ready "$name"; done
wait_for "three members owning the partitions" 60 "${pids[a]}" three_owners a
for name in a b c; do
  kill -0 "$ingest" 2>/dev/null || fail "the replay ended before instance $name's restart: make it slower"
  stop "$name"
  start "$name"
  wait_for "instance $name ready again" 60 "${pids[$name]}" ready "$name"
  wait_for "three members again after $name's restart" 60 "${pids[$name]}" three_owners "$name"
  pass "instance $name restarted: three members own the partitions again"
done
status=0
wait "$ingest" || status=$?
((status == 0)) || fail "the ingest exited $status:"$'\n'"$(tail -n 20 "$SCRATCH/ingest.log")"
for name in a b c; do stop "$name"; done
start a --drain
status=0
wait "${pids[a]}" || status=$?
((status == 0)) || fail "the drain exited $status:"$'\n'"$(tail -n 20 "$SCRATCH/a.log")"
expect_exact_stats "$bootstrap" "$topic" "$SCRATCH/calls.json"
pass "after a rolling restart of three instances during the replay the stats are exact"
