#!/usr/bin/env bash
# Windows that close when calls stop, late calls kept, and a stats topic of the old format
# refused, against a real broker. A one-partition topic gets three calls, the last one
# late; the daemon runs with pipeline.idle_timeout 3s. Then:
#   - the late call is in the dead-letter topic with sfcrimed.reason:late;
#   - once the partition has had no call for 3 s, its open window goes out final (read by
#     the console consumer with read_committed, not by sfcrimed);
#   - a call for that window afterwards is late too; `sfcrimed stats` counts 2 late apart
#     from malformed; the windows topic holds both windows final, each with its counts;
#   - a sample in a 4-partition topic given a fifth, empty, partition: once calls stop,
#     every window of the windows topic is final (the empty partition and those that
#     stopped receiving calls are idle) and exact against an independent count;
#   - a stats topic holding a message of the old format (one count per message) makes
#     `sfcrimed stats` exit 65, and the pipeline exit 78 (its windows stage reads it), as
#     does a state topic with a snapshot of the old version, all saying to use new topics.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
bin=$(kafka_home kraft)/bin
topic=idle-late-$$-$RANDOM

call() { printf '%s\t{"crime_id":"%s","original_crime_type_name":"%s","call_date_time":"%s","disposition":"HAN"}\n' "$1" "$1" "$2" "$3"; }
produce() {
  "$bin/kafka-console-producer.sh" --bootstrap-server "$bootstrap" --topic "$1" --property parse.key=true \
    --property key.separator=$'\t' >/dev/null 2>&1 || fail "kafka-console-producer.sh could not write to $1"
}
# committed_messages TOPIC COUNT: COUNT messages of TOPIC, committed ones only, with keys and headers.
committed_messages() {
  "$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$1" --from-beginning \
    --isolation-level read_committed --max-messages "$2" --timeout-ms 30000 --formatter-property print.key=true \
    --formatter-property print.headers=true 2>/dev/null || true
}
# all_committed TOPIC: every committed message of TOPIC now, with keys (none for 3 s: the
# end). A read that got nothing is made again, up to 5 times: on a loaded machine the
# console consumer can take more than 3 s to join and fetch, and every topic read here
# has messages by then.
all_committed() {
  local messages='' _
  for _ in 1 2 3 4 5; do
    messages=$("$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$1" --from-beginning \
      --isolation-level read_committed --timeout-ms 3000 --formatter-property print.key=true 2>/dev/null || true)
    [[ -z $messages ]] || break
  done
  printf '%s\n' "$messages"
}

"$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --topic "$topic" --partitions 1 >/dev/null
{
  call a "Traffic Stop" 2018-10-02T09:10:00
  call b "Passing Call" 2018-10-02T11:30:00 # the watermark (11:30 - 1 h) closes the 09:00 window
  call c "Traffic Stop" 2018-10-02T09:20:00 # late
} | produce "$topic"

log=$SCRATCH/daemon.log
"$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --ingest.enabled false \
  --pipeline.idle_timeout 3s --pipeline.commit_interval 200ms --metrics.listen "" >"$log" 2>&1 &
daemon=$!
stop_on_exit "$daemon"

# The 11:00 window closes only by the idle timeout: no later call moves the watermark.
deadline=$((SECONDS + 60))
until shares=$(all_committed "$topic.stats") && grep -q '"window_start":"2018-10-02T11:00:00".*"final":true' <<<"$shares"; do
  kill -0 "$daemon" 2>/dev/null || fail "the daemon exited:"$'\n'"$(cat "$log")"
  ((SECONDS < deadline)) || fail "the 11:00 window did not close when calls stopped:"$'\n'"$shares"
done
assert_contains "$shares" '["2018-10-02T09:00:00",0]' "the stats topic"
assert_contains "$shares" '"calls":1,"crime_types":{"Passing Call":1}' "the idle-closed share"
pass "the window of a partition without calls closed after pipeline.idle_timeout: final, read by the console consumer"

call d "Passing Call" 2018-10-02T11:40:00 | produce "$topic" # its window closed: late
deadline=$((SECONDS + 60))
until [[ $(committed_messages "$topic.dlq" 2 | grep -c 'sfcrimed.reason:late') -eq 2 ]]; do
  ((SECONDS < deadline)) || fail "two late calls not in $topic.dlq:"$'\n'"$(committed_messages "$topic.dlq" 2)"
  sleep 0.5
done
letters=$(committed_messages "$topic.dlq" 2)
assert_contains "$letters" "sfcrimed.source.topic:$topic,sfcrimed.source.partition:0,sfcrimed.source.offset:2" \
  "the late call's source headers"
assert_contains "$letters" '"crime_id":"d"' "the dead letters"
pass "both late calls are in the dead-letter topic with reason late and their source"

kill -TERM "$daemon"
wait "$daemon" || fail "the daemon did not exit 0 on SIGTERM:"$'\n'"$(cat "$log")"
assert_status 0 "sfcrimed stats" "$sfcrimed" stats --bootstrap "$bootstrap" --topic "$topic" --json
assert_contains "$stdout" '"calls":2,"crime_types":{"Passing Call":1,"Traffic Stop":1}' "sfcrimed stats"
assert_contains "$stdout" '"malformed":0,"late":2' "sfcrimed stats"
pass "sfcrimed stats: 2 calls, 0 malformed, 2 late"
windows=$(all_committed "$topic.windows")
nine=$(grep '^2018-10-02T09:00:00' <<<"$windows" | tail -n 1)
eleven=$(grep '^2018-10-02T11:00:00' <<<"$windows" | tail -n 1)
assert_contains "$nine" '"final":true,"calls":1,"crime_types":{"Traffic Stop":1}' "the windows topic's 09:00 window"
assert_contains "$eleven" '"final":true,"calls":1,"crime_types":{"Passing Call":1}' "the windows topic's 11:00 window"
pass "the windows topic: 09:00 closed by the watermark, 11:00 by the idle timeout, both final without the late calls"

# Several partitions, one of them empty: every window becomes final once calls stop.
idle=$topic-idle
"$sfcrimed" sample --records 400 --seed 3 --out "$SCRATCH/idle.json"
assert_status 0 "ingest --drain" "$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$idle" \
  --kafka.partitions 4 --ingest.file "$SCRATCH/idle.json" --pipeline.enabled false --metrics.listen "" --drain
"$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --alter --topic "$idle" --partitions 5 >/dev/null
"$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$idle" --ingest.enabled false --pipeline.threads 2 \
  --pipeline.idle_timeout 3s --pipeline.commit_interval 200ms --metrics.listen "" >"$log" 2>&1 &
daemon=$!
stop_on_exit "$daemon"
deadline=$((SECONDS + 90))
until all_committed "$idle.windows" | python3 -c 'import json, sys
latest = {}
for line in sys.stdin:
    key, value = line.split("\t", 1)
    latest[key] = json.loads(value)
sys.exit(0 if latest and all(w["final"] for w in latest.values()) else 1)'; do
  kill -0 "$daemon" 2>/dev/null || fail "the daemon exited:"$'\n'"$(cat "$log")"
  ((SECONDS < deadline)) || fail "not every window of $idle.windows became final once calls stopped"
done
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon did not exit 0 on SIGTERM:"$'\n'"$(cat "$log")"
expect_exact_windows "$bootstrap" "$idle.windows" "$SCRATCH/idle.json" --all-final
assert_contains "$(cat "$log")" "closed: " "the log's window lines"
pass "5 partitions, one empty: every window of the windows topic final once calls stopped, and exact"

# The old format: refused by the reader and by the pipeline, never misread.
old=$topic-old
for name in "$old.stats" "$old.state"; do
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --topic "$name" --partitions 1 \
    --config cleanup.policy=compact >/dev/null
done
printf '%s\t%s\n' '["crime_type","2018-10-02T09:00:00","Traffic Stop",0]' \
  '{"metric":"crime_type","window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00","name":"Traffic Stop","partition":0,"count":1,"final":true}' |
  produce "$old.stats"
assert_status 65 "sfcrimed stats of an old-format topic" "$sfcrimed" stats --bootstrap "$bootstrap" --topic "$old"
assert_contains "$output" "holds messages of an older sfcrimed" "sfcrimed stats"
assert_contains "$output" "give it new topics" "sfcrimed stats"
"$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --topic "$old" --partitions 1 >/dev/null
call e "Traffic Stop" 2018-10-02T09:10:00 | produce "$old"
printf '0\t%s\n' '{"v":1,"partition":0,"next_offset":0,"max_time":0,"closed_through":0,"windows":[]}' | produce "$old.state"
assert_status 78 "the pipeline on a state topic of the old version" "$sfcrimed" --kafka.bootstrap "$bootstrap" \
  --kafka.topic "$old" --ingest.enabled false --metrics.listen "" --drain
assert_contains "$output" "older sfcrimed" "the pipeline's error"
assert_status 78 "the pipeline on a stats topic of the old format" "$sfcrimed" --kafka.bootstrap "$bootstrap" \
  --kafka.topic "$old" --pipeline.state_topic "$old.new-state" --pipeline.stats_topic "$old.stats" \
  --ingest.enabled false --metrics.listen "" --drain
assert_contains "$output" "holds messages of an older sfcrimed" "the windows stage's error"
pass "an old-format stats topic: sfcrimed stats exits 65, the pipeline 78, both naming the fix"
