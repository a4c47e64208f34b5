#!/usr/bin/env bash
# The ingest's pace and its stop: a rate is kept (a loose lower bound on the time taken,
# not a benchmark), and SIGTERM mid-replay stops sending, flushes what is in flight and
# reports it: everything reported acknowledged is in the topic, nothing more.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=ingest-signals-$$-$RANDOM

"$sfcrimed" sample --records 150 --seed 2 --out "$SCRATCH/few.json"
assert_status 0 "paced ingest" "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" \
  --ingest.file "$SCRATCH/few.json" --ingest.rate 100 --pipeline.enabled false --metrics.listen "" --drain
seconds=$(tail -n 1 <<<"$stdout" | python3 -c 'import json, sys; print(json.load(sys.stdin)["ingest"]["seconds"])')
python3 -c "import sys; sys.exit(0 if $seconds >= 1.4 else 1)" ||
  fail "150 calls at 100/s took $seconds s; the schedule needs at least 1.49 s"
pass "150 calls at 100/s took $seconds s"

"$sfcrimed" sample --records 20000 --seed 3 --out "$SCRATCH/many.json"
metrics_port=$(free_ports 1)
"$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic-term" --ingest.file "$SCRATCH/many.json" \
  --ingest.rate 1000 --pipeline.enabled false --metrics.listen "127.0.0.1:$metrics_port" --drain \
  >"$SCRATCH/out" 2>"$SCRATCH/err" &
daemon=$!
stop_on_exit "$daemon"
# The replay starts once the ingest has its turn (a group join), which a sanitizer build
# takes seconds for: wait for the first delivery reports, not a fixed time.
wait_for "acknowledged calls on /metrics" 60 "$daemon" at_least acked "$metrics_port" 1
metrics=$(curl -fsS "http://127.0.0.1:$metrics_port/metrics")
acked_so_far=$(acked "$metrics_port")
assert_contains "$metrics" "sfcrimed_ingest_rate_limit_records_per_second 1000" "/metrics"
assert_contains "$metrics" 'sfcrimed_producer_config_info{' "/metrics"
pass "/metrics during the replay: $acked_so_far acknowledged, rate limit 1000"
kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM:"$'\n'"$(cat "$SCRATCH/err")"
assert_contains "$(cat "$SCRATCH/err")" "SIGTERM: stopping" "log"
summary=$(tail -n 1 "$SCRATCH/out")
read -r sent acked failed not_sent resumed_at < <(python3 -c '
import json, sys
s = json.loads(sys.argv[1])["ingest"]
print(s["sent"], s["acked"], s["failed"], s["not_sent"], s["resumed_at"] + s["already_in_topic"])' "$summary")
# A new topic: nothing to resume after, so sent and not sent are the whole file.
((resumed_at == 0 && sent > 0 && not_sent > 0 && sent + not_sent == 20000)) ||
  fail "SIGTERM summary does not add up: $summary"
((acked == sent && failed == 0)) || fail "not everything sent was acknowledged: $summary"
total=$(sum_offsets "$bootstrap" "$topic-term")
[[ $total -eq $acked ]] || fail "the topic holds $total messages, the daemon reported $acked acknowledged"
pass "SIGTERM mid-replay: $acked acknowledged and in the topic, $not_sent not sent, exit 0"
