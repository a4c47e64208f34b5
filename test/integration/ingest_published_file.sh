#!/usr/bin/env bash
# The acceptance run on the published dataset (../shared/data, beside the project): all
# 199,999 records acknowledged and in the topic. Skipped (exit 77) where the data is absent.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
data=$ROOT/../shared/data/police-department-calls-for-service.json.bz2
if [[ ! -r $data ]]; then
  echo "skipped: $data is not here"
  exit 77
fi
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
topic=published-$$-$RANDOM
assert_status 0 "the acceptance command" "$BUILD_DIR/daemon/sfcrimed" --config "$ROOT/etc/sfcrimed.ini" \
  --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --ingest.file "$data" --ingest.rate 0 \
  --pipeline.enabled false --metrics.listen "" --drain
summary=$(tail -n 1 <<<"$stdout")
assert_contains "$summary" '{"ingest":{"sent":199999,"acked":199999,"failed":0,"skipped":0,' "drain summary"
[[ $(sum_offsets "$bootstrap" "$topic") -eq 199999 ]] || fail "the topic's end offsets do not sum to 199,999"
shown=$("$(kafka_home kraft)/bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$topic" \
  --from-beginning --max-messages 3 2>/dev/null)
assert_contains "$shown" '"call_date_time":"2018-10-02T' "console consumer"
pass "199,999 records acknowledged and in the topic; the oldest calls come first"
