#!/usr/bin/env bash
# Several instances in one consumer group (separate processes, each its own
# pipeline.instance), on a 6-partition topic:
# 1. the same instance name twice: the first is fenced and exits 78 naming the clash;
# 2. two ingests of one file: the second waits for the ingest's turn, takes over when
#    the first stops mid-replay, resumes after what the topic holds: nothing sent twice;
# 3. scaling 1 -> 3 -> 1 and a SIGKILL, during a paced replay: partitions move between
#    instances (the killed one's after its session), and the stats end exact.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
records=30000
"$sfcrimed" sample --records "$records" --seed 21 --out "$SCRATCH/calls.json"

# start NAME TOPIC OPTIONS...: an instance NAME in the background, its pid in pids[NAME],
# its port in ports[NAME], its log in $SCRATCH/NAME.log. A short session (a dead
# instance's partitions and ingest's turn move after it) and a short transaction timeout
# (a killed instance's open transaction, which no restart aborts, holds read_committed
# readers of the stats topic back until the broker aborts it).
declare -A pids ports
start() {
  local name=$1 topic=$2
  shift 2
  ports[$name]=$(free_ports 1)
  "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --kafka.partitions 6 \
    --pipeline.instance "$name" --pipeline.threads 1 --pipeline.commit_interval 200ms \
    --consumer.session.timeout.ms=6000 --producer.transaction.timeout.ms=10000 --metrics.listen "127.0.0.1:${ports[$name]}" "$@" >"$SCRATCH/$name.log" 2>&1 &
  pids[$name]=$!
  stop_on_exit "${pids[$name]}"
}
ready() { curl -fsS "http://127.0.0.1:${ports[$1]}/readyz" >/dev/null 2>&1; }
# partitions NAME FIELD: how many partitions instance NAME's /api/live shows with FIELD
# set: "owner" (a thread of NAME's), or "member" (a member of the group); and how many
# distinct members own them.
partitions() {
  curl -fsS "http://127.0.0.1:${ports[$1]}/api/live" 2>/dev/null | python3 -c 'import json, sys
p = json.load(sys.stdin)["pipeline"] or {"partitions": []}
owned = [x[sys.argv[1]] for x in p["partitions"] if x[sys.argv[1]] is not None]
print(len(owned), len(set(owned)))' "$2" 2>/dev/null || echo 0 0
}
members_are() { [[ $(partitions "$1" member) == "6 $2" ]]; }
owns_all() { [[ $(partitions "$1" owner) == 6* ]]; }
stop() {
  kill -TERM "${pids[$1]}"
  local status=0
  wait "${pids[$1]}" || status=$?
  ((status == 0)) || fail "instance $1 exited $status on SIGTERM:"$'\n'"$(tail -n 20 "$SCRATCH/$1.log")"
}

# 1. The same name twice.
topic=instances-clash-$$
assert_status 0 "the ingest" "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" \
  --kafka.partitions 6 --ingest.file "$SCRATCH/calls.json" --pipeline.enabled false --metrics.listen "" --drain
start twin "$topic" --ingest.enabled false
first=${pids[twin]}
FAIL_LOG=$SCRATCH/twin.log
wait_for "the first twin ready" 60 "$first" ready twin
mv "$SCRATCH/twin.log" "$SCRATCH/twin.first.log"
FAIL_LOG="$SCRATCH/twin.first.log $SCRATCH/twin.log"
start twin "$topic" --ingest.enabled false
status=0
timeout 60 tail --pid "$first" -f /dev/null || fail "the first twin still runs 60 s after the second started"
wait "$first" || status=$?
((status == 78)) || fail "the fenced twin exited $status, expected 78:"$'\n'"$(tail -n 20 "$SCRATCH/twin.first.log")"
# Fenced in the pipeline's group or the windows stage's (sfcrimed.windows), whichever clashed first.
assert_contains "$(<"$SCRATCH/twin.first.log")" "another process joined group sfcrimed" "the fenced twin's log"
assert_contains "$(<"$SCRATCH/twin.first.log")" "as instance 'twin'" "the fenced twin's log"
assert_contains "$(<"$SCRATCH/twin.first.log")" "give each instance of a group its own pipeline.instance" "the fenced twin's log"
kill -0 "${pids[twin]}" 2>/dev/null || fail "the second twin exited too"
stop twin
pass "the same instance name twice: the first exits 78 naming the clash, the second goes on"

# 2. Two ingests of one file, then 3. scaling and a SIGKILL, on one topic.
topic=instances-$$
FAIL_LOG=
# A slow replay (100 s), and b started as soon as a sends: a is still replaying when b
# asks for the turn and when a stops, however slowly the instances start on a busy machine.
start a "$topic" --ingest.file "$SCRATCH/calls.json" --ingest.rate 300
wait_for "instance a sending" 120 "${pids[a]}" at_least acked "${ports[a]}" 1
start b "$topic" --ingest.file "$SCRATCH/calls.json" --ingest.rate 300
wait_for_line "$SCRATCH/b.log" "another instance replays into this topic now" 60 >/dev/null
wait_for "instance b ready" 60 "${pids[b]}" ready b
start c "$topic" --ingest.enabled false
wait_for "instance c ready" 60 "${pids[c]}" ready c
wait_for "three members owning the 6 partitions, seen from c" 60 "${pids[c]}" members_are c 3
pass "1 -> 3 instances: the group's description shows three members owning partitions"
(($(acked "${ports[a]}") < records)) || fail "a's replay ended before its stop: make it slower"
stop a # the ingest's turn goes to b, which resumes after what a sent
wait_for_line "$SCRATCH/b.log" "resuming at call" 60 >/dev/null
pass "a stopped mid-replay: b took the ingest's turn and $(grep -o 'resuming at call [0-9,]* of [0-9,]*' "$SCRATCH/b.log" | head -n 1)"
kill -KILL "${pids[c]}"
wait "${pids[c]}" 2>/dev/null || true
# b alone: every partition its own once c's session (6 s) has ended.
wait_for "b owning all 6 partitions after c's SIGKILL" 60 "${pids[b]}" owns_all b
pass "3 -> 1 instances (a stopped, c killed): b owns every partition"
wait_for_line "$SCRATCH/b.log" "ingest: sent" 300 >/dev/null
stop b
total=$(sum_offsets "$bootstrap" "$topic")
((total == records)) || fail "the topic holds $total messages for $records calls: an ingest sent some twice (or lost some)"
pass "two ingests, one after the other: the topic holds each of the $records calls once"
start last "$topic" --ingest.enabled false --drain
status=0
wait "${pids[last]}" || status=$?
((status == 0)) || fail "the drain exited $status:"$'\n'"$(tail -n 20 "$SCRATCH/last.log")"
expect_exact_stats "$bootstrap" "$topic" "$SCRATCH/calls.json"
pass "after the handovers and a SIGKILL the stats are exact"
