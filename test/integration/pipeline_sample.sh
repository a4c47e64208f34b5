#!/usr/bin/env bash
# The pipeline against a real broker, exact to the last call: a generated sample (with
# duplicates) and every kind of malformed message in a 4-partition topic, drained with
# pipeline.threads 1, 2 and 4. Each time `sfcrimed stats --json --windows` must equal an
# independent count of the file (test/integration/expected_stats.py), the dead-letter
# topic must hold each malformed message with its reason and source in headers, and the
# windows topic, read by Kafka's own console consumer, must hold the same counts per
# window and crime type, one message per window.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
bin=$(kafka_home kraft)/bin
topic=pipeline-sample-$$-$RANDOM

"$sfcrimed" sample --records 20000 --seed 5 --out "$SCRATCH/calls.json"
assert_status 0 "ingest --drain" "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" \
  --kafka.partitions 4 --ingest.file "$SCRATCH/calls.json" --pipeline.enabled false --metrics.listen "" --drain
malformed=$("$BUILD_DIR/test/produce_malformed" --bootstrap "$bootstrap" --topic "$topic" | sed -n 's/^produced //p')
[[ $malformed -ge 12 ]] || fail "produce_malformed produced '$malformed' messages, expected at least 12"
pass "20000 calls and $malformed malformed messages in $topic (4 partitions)"

for threads in 1 2 4; do
  out=$topic.t$threads
  assert_status 0 "pipeline --drain with $threads threads" "$sfcrimed" --kafka.bootstrap "$bootstrap" \
    --kafka.topic "$topic" --ingest.enabled false --pipeline.threads "$threads" --pipeline.group "g-$out" \
    --pipeline.stats_topic "$out.stats" --pipeline.dlq_topic "$out.dlq" --pipeline.state_topic "$out.state" \
    --pipeline.windows_topic "$out.windows" --metrics.listen "" --drain
  summary=$(tail -n 1 <<<"$stdout")
  assert_contains "$summary" "{\"pipeline\":{\"consumed\":$((20000 + malformed)),\"malformed\":$malformed," \
    "drain summary ($threads threads)"
  assert_contains "$output" "closed: " "the window log lines"
  assert_status 0 "sfcrimed stats ($threads threads)" "$sfcrimed" stats --bootstrap "$bootstrap" --topic "$topic" \
    --stats-topic "$out.stats" --dlq-topic "$out.dlq" --json --windows
  printf '%s\n' "$stdout" >"$SCRATCH/stats.$threads.json"
  python3 "$(dirname "$0")/expected_stats.py" "$SCRATCH/calls.json" "$ROOT/etc/radio_codes.json" \
    "$SCRATCH/stats.$threads.json" --malformed "$malformed" || fail "the stats differ ($threads threads)"
  expect_exact_windows "$bootstrap" "$out.windows" "$SCRATCH/calls.json"
  pass "$threads threads: every count exact, in the stats topic and in the windows topic"
done

# The dead letters: raw value, and reason and source in headers, one per malformed kind.
letters=$("$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$topic.t2.dlq" \
  --from-beginning --max-messages "$malformed" --timeout-ms 60000 --formatter-property print.headers=true \
  --formatter-property print.key=true 2>/dev/null)
[[ $(grep -c 'sfcrimed.reason:' <<<"$letters") -eq $malformed ]] || fail "dead letters without a reason:"$'\n'"$letters"
assert_contains "$letters" "sfcrimed.source.topic:$topic,sfcrimed.source.partition:" "dead-letter headers"
assert_contains "$letters" "sfcrimed.reason:call_date_time \"2018-02-30T10:00\" is not a date-time" "dead letters"
assert_contains "$letters" "sfcrimed.reason:crime_id is missing" "dead letters"
pass "$malformed dead letters, each with its reason and source"

# The stats topic as Kafka users read it: shares, and the partitions' progress.
read=$("$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$topic.t1.stats" \
  --from-beginning --isolation-level read_committed --timeout-ms 10000 --formatter-property print.key=true \
  2>/dev/null || true)
first=$(grep -m 1 '^\["2018' <<<"$read" || true)
[[ $first =~ ^\[\"2018-[0-9-]+T[0-9:]+\",[0-3]\]$'\t'\{\"window_start\":.*\"crime_types\":\{.*\"dispositions\":\{ ]] ||
  fail "the console consumer read from the stats topic:"$'\n'"$(head -n 5 <<<"$read")"
assert_contains "$read" '["progress",0]'$'\t''{"partition":0,"closed_through":' "the stats topic's progress messages"
pass "the console consumer reads the stats topic: $first"
# And the windows topic: one JSON object per window, keyed by its start.
first=$(head -n 1 "$SCRATCH/windows.txt")
[[ $first =~ ^2018-[0-9-]+T[0-9:]+$'\t'\{\"window_start\":\"2018[^,]*,\"window_end\":[^,]*,\"final\":(true|false),\"calls\":[0-9]+,\"crime_types\":\{.*\"dispositions\":\{ ]] ||
  fail "the console consumer read from the windows topic:"$'\n'"$first"
pass "the console consumer reads the windows topic: ${first:0:160}..."
