#!/usr/bin/env bash
# The ingest against a real broker: a generated sample replayed with --drain lands as
# exactly one message per record, keys and values intact, in event-time order within
# each partition; the classic console consumer shows the calls; `sfcrimed consume` reads
# them, shows a malformed message as such, commits, and resumes where its group left off.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
bin=$(kafka_home kraft)/bin
topic=ingest-sample-$$-$RANDOM

"$sfcrimed" sample --records 5000 --seed 11 --out "$SCRATCH/calls.json"
assert_status 0 "ingest --drain" "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" \
  --ingest.file "$SCRATCH/calls.json" --pipeline.enabled false --metrics.listen "" --drain
summary=$(tail -n 1 <<<"$stdout")
assert_contains "$summary" '{"ingest":{"sent":5000,"acked":5000,"failed":0,"skipped":0,"not_sent":0,' "drain summary"
assert_contains "$output" "created topic $topic with 3 partitions" "topic creation"
[[ $(sum_offsets "$bootstrap" "$topic") -eq 5000 ]] || fail "the topic's end offsets do not sum to 5000"
pass "5000 records acknowledged; end offsets sum to 5000"

"$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$topic" --from-beginning \
  --max-messages 5000 --timeout-ms 60000 --formatter-property print.partition=true \
  --formatter-property print.offset=true --formatter-property print.key=true 2>/dev/null |
  python3 "$(dirname "$0")/check_topic.py" "$SCRATCH/calls.json" || fail "the topic does not match the file"

# The hand-written consumer: readable lines, a malformed message shown as such, commits.
printf 'this is not a call\n' | "$bin/kafka-console-producer.sh" --bootstrap-server "$bootstrap" --topic "$topic" 2>/dev/null
assert_status 0 "sfcrimed consume" "$sfcrimed" consume --bootstrap "$bootstrap" --topic "$topic" --group "g-$topic" \
  --from-beginning --max-messages 5001
lines=$(grep -cE '^2018-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}  18[0-9]+  .+  \[.+\]' <<<"$output" || true)
[[ $lines -eq 5000 ]] || fail "sfcrimed consume printed $lines call lines, expected 5000"
assert_contains "$output" "MALFORMED (not a JSON object)  this is not a call" "sfcrimed consume"
assert_contains "$output" "sfcrimed consume: 5000 calls, 1 malformed; lag 0" "sfcrimed consume"
pass "sfcrimed consume: 5000 call lines, the malformed one shown, lag 0 on exit"

# The group committed its offsets: it resumes at the end, where only new messages wait.
printf '%s\n' '{"crime_id":"1","original_crime_type_name":"Fire","disposition":"HAN","call_date_time":"2018-12-31T23:59"}' |
  "$bin/kafka-console-producer.sh" --bootstrap-server "$bootstrap" --topic "$topic" 2>/dev/null
assert_status 0 "sfcrimed consume, again" "$sfcrimed" consume --bootstrap "$bootstrap" --topic "$topic" \
  --group "g-$topic" --json --timeout 5
assert_contains "$output" '{"crime_id":"1","original_crime_type_name":"Fire"' "resumed consume"
assert_contains "$output" "sfcrimed consume: 1 calls, 0 malformed; lag 0" "resumed consume"
pass "the group resumed after its committed offsets"
