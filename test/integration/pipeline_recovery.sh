#!/usr/bin/env bash
# Crash-exact: the pipeline killed with SIGKILL at random moments, restarted each time
# with the same configuration, then drained, ends with exactly the stats of an
# uninterrupted run (an independent count of the file), and the last run resumed from a
# committed state rather than starting over.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=pipeline-recovery-$$-$RANDOM
records=60000

"$sfcrimed" sample --records "$records" --seed 13 --out "$SCRATCH/calls.json"
assert_status 0 "ingest --drain" "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" \
  --ingest.file "$SCRATCH/calls.json" --pipeline.enabled false --metrics.listen "" --drain
pipeline=("$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --ingest.enabled false
  --pipeline.threads 2 --pipeline.commit_interval 100ms --pipeline.emit_interval 300ms --metrics.listen "")

for round in 1 2 3 4; do
  delay=$(python3 -c "import random; print(round(random.uniform(0.5, 4.0), 2))")
  "${pipeline[@]}" >"$SCRATCH/run.$round.log" 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  committed=$(grep -c 'owns p' "$SCRATCH/run.$round.log" || true)
  pass "round $round: killed after ${delay} s ($committed assignment(s) logged)"
done

assert_status 0 "the drain after the kills" "${pipeline[@]}" --drain
summary=$(tail -n 1 <<<"$stdout")
consumed=$(sed -E 's/.*"consumed":([0-9]+).*/\1/' <<<"$summary")
((consumed < records)) || fail "the last run consumed $consumed of $records records: it did not resume"
assert_status 0 "sfcrimed stats" "$sfcrimed" stats --bootstrap "$bootstrap" --topic "$topic" --json --windows
printf '%s\n' "$stdout" >"$SCRATCH/stats.json"
python3 "$(dirname "$0")/expected_stats.py" "$SCRATCH/calls.json" "$ROOT/etc/radio_codes.json" "$SCRATCH/stats.json" ||
  fail "the stats after SIGKILLs differ from the file's counts"
pass "after 4 SIGKILLs the stats are exact; the last run resumed and consumed $consumed of $records"
