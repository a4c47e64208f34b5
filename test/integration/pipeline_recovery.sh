#!/usr/bin/env bash
# Crash-exact: the pipeline killed with SIGKILL at random moments (each after its first
# committed transaction, so mid-stream), restarted each time with the same
# configuration, then drained, ends with exactly the stats of an uninterrupted run (an
# independent count of the file), and the last run resumed from a committed state rather
# than starting over; so does the windows topic (the windows stage, killed with the rest),
# read by Kafka's console consumer. A SIGTERM among them must exit 0.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=pipeline-recovery-$$-$RANDOM
records=200000

"$sfcrimed" sample --records "$records" --seed 13 --out "$SCRATCH/calls.json"
assert_status 0 "ingest --drain" "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" \
  --ingest.file "$SCRATCH/calls.json" --pipeline.enabled false --metrics.listen "" --drain
pipeline=("$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --ingest.enabled false
  --pipeline.threads 2 --pipeline.commit_interval 100ms --pipeline.emit_interval 300ms)

committed() {
  curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null |
    sed -n 's/^sfcrimed_pipeline_transactions_total{outcome="committed"} \([0-9]*\).*/\1/p'
}
# lag PORT: records left behind the pipeline's committed positions, summed over partitions.
lag() {
  curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk '/^sfcrimed_pipeline_consumer_lag_records/ { sum += $2 } END { print sum + 0 }'
}
mid_stream=0
for round in 1 2 3 4; do
  port=$(free_ports 1)
  "${pipeline[@]}" --metrics.listen "127.0.0.1:$port" >"$SCRATCH/run.$round.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 600; i++)); do
    [[ $(committed "$port") -ge 1 ]] && break
    kill -0 "$pid" 2>/dev/null || fail "round $round: the pipeline exited:"$'\n'"$(<"$SCRATCH/run.$round.log")"
    sleep 0.1
  done
  delay=$(python3 -c "import random; print(round(random.uniform(0.2, 1.5), 2))")
  sleep "$delay"
  left=$(lag "$port")
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  ((left == 0)) || mid_stream=$((mid_stream + 1))
  pass "round $round: killed ${delay} s after its first commit, $left records to go"
done

# A graceful stop too: SIGTERM after a commit exits 0 once the threads have committed.
port=$(free_ports 1)
"${pipeline[@]}" --metrics.listen "127.0.0.1:$port" >"$SCRATCH/run.term.log" 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do
  [[ $(committed "$port") -ge 1 ]] && break
  sleep 0.1
done
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
((status == 0)) || fail "SIGTERM: exit status $status:"$'\n'"$(<"$SCRATCH/run.term.log")"
assert_contains "$(<"$SCRATCH/run.term.log")" "SIGTERM: stopping" "the SIGTERM log"
pass "SIGTERM after a commit: exit 0"

assert_status 0 "the drain after the kills" "${pipeline[@]}" --metrics.listen "" --drain
summary=$(tail -n 1 <<<"$stdout")
consumed=$(sed -E 's/.*"consumed":([0-9]+).*/\1/' <<<"$summary")
((consumed < records)) || fail "the last run consumed $consumed of $records records: it did not resume"
((mid_stream > 0)) || fail "no kill came while records were left to read"
# A generous timeout: the stats topic of 200,000 calls reads slowly in a sanitizer build on
# a busy machine, and how fast it reads is not what this test checks.
assert_status 0 "sfcrimed stats" "$sfcrimed" stats --bootstrap "$bootstrap" --topic "$topic" --json --windows \
  --timeout 300
printf '%s\n' "$stdout" >"$SCRATCH/stats.json"
python3 "$(dirname "$0")/expected_stats.py" "$SCRATCH/calls.json" "$ROOT/etc/radio_codes.json" "$SCRATCH/stats.json" ||
  fail "the stats after SIGKILLs differ from the file's counts"
expect_exact_windows "$bootstrap" "$topic.windows" "$SCRATCH/calls.json"
pass "after 4 SIGKILLs the stats and the windows topic are exact; the last run resumed and consumed $consumed of $records"
