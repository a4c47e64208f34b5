#!/usr/bin/env bash
# The daemon as systemd sees it, without systemd (not running as init here): its
# notification messages are read from a socket this test listens on (NOTIFY_SOCKET), in
# order: READY=1 once /readyz answers 200 (the pipeline has its partitions, the endpoint
# listens), STATUS= progress lines, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1 on
# SIGTERM and exit 0. Also: /healthz, SIGHUP reopening a log file that logrotate moved,
# and a second SIGTERM exiting at once.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=service-notify-$$-$RANDOM
port=$(free_ports 1)
url=http://127.0.0.1:$port

"$sfcrimed" sample --records 20000 --seed 9 --out "$SCRATCH/calls.json"
python3 "$(dirname "$0")/notify_listener.py" "$SCRATCH/notify" "$SCRATCH/messages" &
listener=$!
stop_on_exit "$listener"
wait_for_line "$SCRATCH/messages" '^listening' 10 >/dev/null
mkdir "$SCRATCH/log"
NOTIFY_SOCKET=$SCRATCH/notify WATCHDOG_USEC=1000000 "$sfcrimed" --kafka.bootstrap "$bootstrap" \
  --kafka.topic "$topic" --pipeline.group "g-$topic" --ingest.file "$SCRATCH/calls.json" --ingest.rate 500 \
  --pipeline.progress_interval 1s --metrics.listen "127.0.0.1:$port" --log.file "$SCRATCH/log/sfcrimed.log" \
  2>"$SCRATCH/stderr" &
daemon=$!
stop_on_exit "$daemon"

ready=$(wait_for_line "$SCRATCH/messages" 'READY=1' 60)
read -r readyz readyz_body < <(http_get /readyz)
[[ $readyz == 200 && $readyz_body == ready ]] || fail "/readyz after READY=1: '$readyz $readyz_body'"
assert_contains "$ready" "STATUS=ready: replaying $SCRATCH/calls.json into $topic; 2 pipeline threads counting" \
  "the READY=1 message"
# Everything before READY=1 came from the watchdog (pings start with the loop).
before_ready=$(sed -n '2,/READY=1/p' "$SCRATCH/messages" | grep -v -e 'READY=1' -e '^+[0-9.]* WATCHDOG=1$' || true)
[[ -z $before_ready ]] || fail "messages before READY=1:"$'\n'"$before_ready"
read -r healthz healthz_body < <(http_get /healthz)
[[ $healthz == 200 && $healthz_body == ok ]] || fail "/healthz: '$healthz $healthz_body'"
pass "READY=1 and /readyz 200; /healthz 200"

wait_for_line "$SCRATCH/messages" 'STATUS=input [0-9.]+ rows/s, processed' 15 >/dev/null
sleep 2
pings=$(grep -c ' WATCHDOG=1$' "$SCRATCH/messages" || true)
((pings >= 3)) || fail "$pings WATCHDOG=1 pings at a 1 s watchdog (one every 0.5 s expected):"$'\n'"$(cat "$SCRATCH/messages")"
pass "STATUS= progress lines, $pings watchdog pings"

# logrotate's way: move the file, then SIGHUP (systemctl reload).
mv "$SCRATCH/log/sfcrimed.log" "$SCRATCH/log/sfcrimed.log.1"
kill -HUP "$daemon"
wait_for_line "$SCRATCH/log/sfcrimed.log" 'SIGHUP: reopened the log file' 10 >/dev/null
grep -q -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z <5>sfcrimed: ready: ' "$SCRATCH/log/sfcrimed.log.1" ||
  fail "the moved log file lacks the timestamped <5> ready line:"$'\n'"$(head -n 5 "$SCRATCH/log/sfcrimed.log.1")"
pass "SIGHUP reopened the log file after it was moved"

started=$(date +%s%N)
kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
stop_ms=$((($(date +%s%N) - started) / 1000000))
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM:"$'\n'"$(tail -n 20 "$SCRATCH/log/sfcrimed.log")"
stopping=$(wait_for_line "$SCRATCH/messages" 'STOPPING=1' 5)
assert_contains "$stopping" "STATUS=SIGTERM: stopping" "the STOPPING=1 message"
after_stopping=$(sed -n '/STOPPING=1/,$p' "$SCRATCH/messages" | grep -c 'READY=1' || true)
((after_stopping == 0)) || fail "READY=1 after STOPPING=1"
assert_contains "$(cat "$SCRATCH/log/sfcrimed.log")" "exiting with status 0" "the log file"
pass "SIGTERM: STOPPING=1, exit 0 in $stop_ms ms"

# A second signal does not wait for anything.
"$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic-2" --pipeline.group "g-$topic-2" \
  --ingest.file "$SCRATCH/calls.json" --ingest.rate 500 --metrics.listen "" 2>"$SCRATCH/stderr2" &
daemon=$!
stop_on_exit "$daemon"
wait_for_line "$SCRATCH/stderr2" 'ready: ' 60 >/dev/null
kill -TERM "$daemon" && kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
[[ $status -eq 0 || $status -eq 143 ]] || fail "exit status $status after two SIGTERMs"
if [[ $status -eq 143 ]]; then
  assert_contains "$(cat "$SCRATCH/stderr2")" "second signal: exiting now" "the log"
fi
pass "two SIGTERMs: exit status $status"
