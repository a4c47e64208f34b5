#!/usr/bin/env bash
# The ingest resumes: a replay stopped by SIGTERM and started again at another rate goes
# on where it stopped (a graceful stop leaves every call sent acknowledged, so the topic
# then holds each call of the file exactly once); a third run finds them all there and
# sends nothing; --ingest.resume false replays the whole file again.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=ingest-resume-$$-$RANDOM
records=20000
ingest=("$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --ingest.file "$SCRATCH/calls.json"
  --pipeline.enabled false --metrics.listen "" --drain)

# ingest_fields SUMMARY: resumed_at already_in_topic sent acked not_sent failed
ingest_fields() {
  python3 -c '
import json, sys
s = json.loads(sys.argv[1])["ingest"]
print(s["resumed_at"], s["already_in_topic"], s["sent"], s["acked"], s["not_sent"], s["failed"])' "$1"
}

"$sfcrimed" sample --records "$records" --seed 21 --out "$SCRATCH/calls.json"

"${ingest[@]}" --ingest.rate 2000 >"$SCRATCH/first.out" 2>"$SCRATCH/first.err" &
daemon=$!
sleep 3
kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM:"$'\n'"$(<"$SCRATCH/first.err")"
summary=$(tail -n 1 "$SCRATCH/first.out")
read -r resumed ahead sent1 acked not_sent failed < <(ingest_fields "$summary")
((resumed == 0 && ahead == 0 && sent1 > 0 && not_sent > 0 && sent1 + not_sent == records)) ||
  fail "the first run's summary does not add up: $summary"
((acked == sent1 && failed == 0)) || fail "the first run's calls were not all acknowledged: $summary"
pass "first run stopped by SIGTERM: $sent1 sent and acknowledged, $not_sent not sent"

assert_status 0 "the second run" "${ingest[@]}" --ingest.rate 0
summary=$(tail -n 1 <<<"$stdout")
read -r resumed ahead sent2 acked not_sent failed < <(ingest_fields "$summary")
# Everything the first run sent was acknowledged, so the rest, exactly, is sent.
((resumed == sent1 && ahead == 0 && sent2 == records - sent1 && not_sent == 0)) ||
  fail "the second run did not resume at $sent1: $summary"
((acked == sent2 && failed == 0)) || fail "the second run's calls were not all acknowledged: $summary"
assert_contains "$output" "resuming at call $(python3 -c "print(f'{$sent1 + 1:,}')") of 20,000" "log"
[[ $(sum_offsets "$bootstrap" "$topic") -eq $records ]] ||
  fail "the topic holds $(sum_offsets "$bootstrap" "$topic") messages, expected $records"
"$sfcrimed" consume --bootstrap "$bootstrap" --topic "$topic" --from-beginning --json --max-messages "$records" \
  --timeout 20 >"$SCRATCH/topic.jsonl" 2>"$SCRATCH/consume.err" ||
  fail "sfcrimed consume failed: $(<"$SCRATCH/consume.err")"
python3 - "$SCRATCH/calls.json" "$SCRATCH/topic.jsonl" <<'PY' || fail "the topic does not hold every call of the file once"
import collections, json, sys
in_file = collections.Counter(call["crime_id"] for call in json.load(open(sys.argv[1])))
in_topic = collections.Counter(json.loads(line)["crime_id"] for line in open(sys.argv[2]) if line.strip())
assert in_topic == in_file, (len(in_file), len(in_topic), sum(in_topic.values()))
PY
pass "second run at another rate resumed at $resumed and sent the other $sent2: every call of the file in the topic, once"

assert_status 0 "the third run" "${ingest[@]}"
summary=$(tail -n 1 <<<"$stdout")
read -r resumed ahead sent3 acked not_sent failed < <(ingest_fields "$summary")
((resumed == records && sent3 == 0 && not_sent == 0)) || fail "the third run sent calls again: $summary"
assert_contains "$output" "already holds all" "log"
[[ $(sum_offsets "$bootstrap" "$topic") -eq $records ]] || fail "the third run added messages to the topic"
pass "third run: all $records calls in the topic already, nothing sent"

assert_status 0 "--ingest.resume false" "${ingest[@]}" --ingest.resume false
summary=$(tail -n 1 <<<"$stdout")
read -r resumed ahead sent4 acked not_sent failed < <(ingest_fields "$summary")
((resumed == 0 && sent4 == records && acked == records)) || fail "--ingest.resume false did not replay it all: $summary"
[[ $(sum_offsets "$bootstrap" "$topic") -eq $((2 * records)) ]] || fail "the topic does not hold the file twice"
pass "--ingest.resume false: all $records sent again"
