#!/usr/bin/env bash
# The main job on the embedded default: sets up what is missing (scripts/setup.sh),
# starts a local KRaft broker, creates the calls topic, sends a call and reads it back
# with Kafka's console tools, then stops the broker.
#
# (Until the daemon's ingest and pipeline land, this is the platform's end-to-end check:
# the broker, the topic and the classic console round trip that the daemon builds on.)
#
# Usage: scripts/demo.sh [--port P] [--topic T]
#   --port P    the broker's port (default 9092; its controller uses P+1)
#   --topic T   the calls topic (default sf.police.calls)
# Data and logs: .run/demo/kafka (kept, so the second run starts faster).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

port=9092
topic=sf.police.calls
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) [[ $# -ge 2 ]] || die "--port needs a value" && port=$2 && shift 2 ;;
    --topic) [[ $# -ge 2 ]] || die "--topic needs a value" && topic=$2 && shift 2 ;;
    -h | --help) sed -n '2,13s/^# \{0,1\}//p' "$0" && exit 0 ;;
    *) die "unknown argument '$1' (see scripts/demo.sh --help)" ;;
  esac
done

"$SFCRIMED_ROOT/scripts/setup.sh" --preset release
data_dir=$SFCRIMED_ROOT/.run/demo/kafka
kafka_sh=$SFCRIMED_ROOT/scripts/kafka.sh
bin=$(kafka_home kraft)/bin
bootstrap=localhost:$port

stop_broker() { "$kafka_sh" stop --data-dir "$data_dir"; }
"$kafka_sh" start --data-dir "$data_dir" --port "$port" ||
  die "the broker did not start (above); if port $port is taken, try scripts/demo.sh --port 19092"
trap 'say "stopping the broker"; stop_broker' EXIT
trap 'exit 130' INT TERM

"$SFCRIMED_ROOT/build/release/daemon/sfcrimed" --version

"$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$topic"
"$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --describe --topic "$topic"

# One call in the shape of the SF police calls-for-service records (made up, not real data).
crime_id=$((900000000 + RANDOM))
call="{\"crime_id\":\"$crime_id\",\"original_crime_type_name\":\"Traffic Stop\",\"report_date\":\"2018-12-31T00:00:00.000\",\"call_date\":\"2018-12-31T00:00:00.000\",\"offense_date\":\"2018-12-31T00:00:00.000\",\"call_time\":\"23:57\",\"call_date_time\":\"2018-12-31T23:57:00.000\",\"disposition\":\"ADM\",\"address\":\"Geary Bl/divisadero St\",\"city\":\"San Francisco\",\"state\":\"CA\",\"agency_id\":\"1\",\"address_type\":\"Intersection\",\"common_location\":\"\"}"
say "sending call $crime_id to $topic"
printf '%s\t%s\n' "$crime_id" "$call" |
  "$bin/kafka-console-producer.sh" --bootstrap-server "$bootstrap" --topic "$topic" \
    --reader-property parse.key=true --reader-property "key.separator=$(printf '\t')"

say "reading $topic from the beginning (kafka-console-consumer.sh --from-beginning)"
held=$("$bin/kafka-get-offsets.sh" --bootstrap-server "$bootstrap" --topic "$topic" | awk -F: '{ n += $3 } END { print n + 0 }')
received=$("$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$topic" --from-beginning \
  --max-messages "$held" --timeout-ms 30000 --formatter-property print.key=true 2>/dev/null || true)
echo "$received"
grep -q "^$crime_id"$'\t' <<<"$received" || die "call $crime_id did not come back from $topic"
say "call $crime_id went through Kafka and back: $(wc -l <<<"$received") call(s) in $topic"
