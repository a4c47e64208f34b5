#!/usr/bin/env bash
# Health that tells the truth: pipeline threads with records to read whose broker stops
# answering (frozen with SIGSTOP) are stuck after kafka.stall_timeout: /healthz answers
# 503 naming them and what they wait on, the log says so, and the systemd watchdog pings
# stop (so that systemd would restart the daemon); the broker going on (SIGCONT) brings
# /healthz back to 200 and the pings back, and the drain ends exact with exit 0. Its own
# broker: freezing the shared one would stop the other tests.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
sfcrimed=$BUILD_DIR/daemon/sfcrimed
data=$SCRATCH/kafka
kafka_port=$(free_ports 2)
assert_status 0 "start the broker" "$KAFKA_SH" start --data-dir "$data" --port "$kafka_port"
bootstrap=localhost:$kafka_port
topic=health-stuck-$$
"$sfcrimed" sample --records 100000 --seed 5 --out "$SCRATCH/calls.json"
assert_status 0 "the ingest" "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" \
  --ingest.file "$SCRATCH/calls.json" --pipeline.enabled false --metrics.listen "" --drain

python3 "$(dirname "$0")/notify_listener.py" "$SCRATCH/notify" "$SCRATCH/messages" &
stop_on_exit $!
wait_for_line "$SCRATCH/messages" '^listening' 10 >/dev/null
port=$(free_ports 1)
url=http://127.0.0.1:$port
log=$SCRATCH/daemon.log
FAIL_LOG=$log
NOTIFY_SOCKET=$SCRATCH/notify WATCHDOG_USEC=1000000 "$sfcrimed" --kafka.bootstrap "$bootstrap" \
  --kafka.topic "$topic" --ingest.enabled false --kafka.stall_timeout 3s --pipeline.commit_interval 200ms \
  --metrics.listen "127.0.0.1:$port" --drain >"$log" 2>&1 &
pid=$!
stop_on_exit "$pid"
# Every thread with its partitions (ready), past its first commit, and healthy: a freeze
# during the group's first rebalances would leave the partitions unowned, not a thread
# stuck. (On a loaded machine a rebalance can itself pass the 3 s stall timeout: hence a
# wait for /healthz 200, not one look.)
settled() {
  [[ $(http_get /readyz) == 200* ]] && at_least committed "$port" 1 &&
    (($(metric "$port" sfcrimed_pipeline_partitions_unowned) == 0)) && [[ $(http_get /healthz) == 200* ]]
}
wait_for "every partition owned, the first commit and /healthz 200" 120 "$pid" settled

broker=$(<"$data/node-1/kafka.pid")
kill -STOP "$broker"
stuck_reply=
for _ in $(seq 1 100); do
  reply=$(http_get /healthz)
  [[ $reply == 503* ]] && stuck_reply=$reply && break
  sleep 0.2
done
[[ -n $stuck_reply ]] || fail "/healthz did not turn 503 within 20 s of the broker's freeze: $reply"
assert_contains "$stuck_reply" "stuck: pipeline thread" "/healthz while the broker is frozen"
assert_contains "$stuck_reply" "records to read in its partitions" "/healthz while the broker is frozen"
pings() { grep -c 'WATCHDOG=1' "$SCRATCH/messages" || true; }
before=$(pings)
sleep 3
after=$(pings)
((after == before)) || fail "watchdog pings went on while stuck ($before, then $after)"
assert_contains "$(<"$log")" "health: stuck: pipeline thread" "the log"
pass "frozen broker: /healthz $stuck_reply; no watchdog ping in 3 s"

kill -CONT "$broker"
for _ in $(seq 1 600); do
  read -r status _ < <(http_get /healthz)
  [[ $status == 200 ]] && break
  kill -0 "$pid" 2>/dev/null || break # drained and gone: healthy to the end
  sleep 0.2
done
kill -0 "$pid" 2>/dev/null && [[ $status != 200 ]] && fail "/healthz still $status 120 s after the broker went on"
wait_for_line "$log" "no part is stuck any more" 120 >/dev/null
status=0
wait "$pid" || status=$?
((status == 0)) || fail "the drain: exit status $status; the log ends:"$'\n'"$(tail -n 30 "$log")"
(($(pings) > after)) || fail "no watchdog ping after the broker went on"
pass "broker going on: /healthz 200 and pings again, drain exit 0"
expect_exact_stats "$bootstrap" "$topic" "$SCRATCH/calls.json"
pass "the stats are exact"
