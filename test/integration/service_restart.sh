#!/usr/bin/env bash
# The operator's loop: run from an ini file, change the ingest's rate and a producer batch
# setting in it, restart. After the restart /metrics shows the new rate and settings, the
# ingest resumes where the first run stopped, and the statistics are exact across the
# restart: `sfcrimed stats` equals an independent count of the file.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=service-restart-$$-$RANDOM
port=$(free_ports 1)
ini=$SCRATCH/sfcrimed.ini
records=10000

# set_in_ini SECTION KEY VALUE: rewrites the key's line in that section of $ini.
set_in_ini() {
  python3 - "$ini" "$@" <<'PY'
import re, sys
path, section, key, value = sys.argv[1:]
text = open(path).read()
start = text.index(f"\n[{section}]\n")
end = text.find("\n[", start + 1)
end = len(text) if end < 0 else end
body, count = re.subn(rf"(?m)^{re.escape(key)} =.*$", f"{key} = {value}", text[start:end])
if count != 1:
    sys.exit(f"{key} not found once in [{section}]")
open(path, "w").write(text[:start] + body + text[end:])
PY
}

# metrics_text: all of /metrics.
metrics_text() {
  python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "http://127.0.0.1:$port/metrics"
}

# start_daemon LOG: runs sfcrimed on $ini in the background and waits until it is ready.
start_daemon() {
  "$sfcrimed" --config "$ini" 2>"$1" &
  daemon=$!
  stop_on_exit "$daemon"
  local deadline=$((SECONDS + 60))
  until grep -q '<5>sfcrimed: ready: ' "$1"; do
    ((SECONDS < deadline)) || fail "not ready within 60 s:"$'\n'"$(cat "$1")"
    kill -0 "$daemon" 2>/dev/null || fail "sfcrimed exited before it was ready:"$'\n'"$(cat "$1")"
    sleep 0.2
  done
}

stop_daemon() {
  kill -TERM "$daemon"
  local status=0
  wait "$daemon" || status=$?
  [[ $status -eq 0 ]] || fail "exit status $status after SIGTERM:"$'\n'"$(tail -n 20 "$1")"
}

"$sfcrimed" sample --records "$records" --seed 11 --out "$SCRATCH/calls.json"
cp "$ROOT/etc/sfcrimed.ini" "$ini"
set_in_ini kafka bootstrap "$bootstrap"
set_in_ini kafka topic "$topic"
set_in_ini ingest file "$SCRATCH/calls.json"
set_in_ini ingest rate 400
set_in_ini pipeline group "g-$topic"
set_in_ini metrics listen "127.0.0.1:$port"

start_daemon "$SCRATCH/run1.log"
sleep 3
metrics=$(metrics_text)
assert_contains "$metrics" $'\nsfcrimed_ingest_rate_limit_records_per_second 400\n' "the first run's rate on /metrics"
assert_contains "$metrics" 'linger_ms="20"' "the first run's producer settings on /metrics"
stop_daemon "$SCRATCH/run1.log"
first=$(sed -n 's/.*<6>ingest: sent \([0-9]*\), acknowledged.*/\1/p' "$SCRATCH/run1.log")
((first > 0 && first < records)) || fail "the first run sent '$first' of $records calls"
pass "first run: rate 400/s, linger.ms 20; $first calls sent before SIGTERM"

# The operator's edit, then the restart.
set_in_ini ingest rate 2500
set_in_ini producer linger.ms 5
set_in_ini producer batch.num.messages 500
start_daemon "$SCRATCH/run2.log"
commas() { python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$1"; }
resuming="resuming at call $(commas $((first + 1))) of $(commas "$records")"
deadline=$((SECONDS + 30))
until grep -q "$resuming" "$SCRATCH/run2.log"; do
  ((SECONDS < deadline)) || fail "no '$resuming' in the second run's log:"$'\n'"$(grep ingest: "$SCRATCH/run2.log")"
  sleep 0.2
done
metrics=$(metrics_text)
assert_contains "$metrics" $'\nsfcrimed_ingest_rate_limit_records_per_second 2500\n' "the new rate on /metrics"
assert_contains "$metrics" 'linger_ms="5"' "the new linger.ms on /metrics"
assert_contains "$metrics" 'batch_num_messages="500"' "the new batch.num.messages on /metrics"
deadline=$((SECONDS + 60))
until grep -q '<6>ingest: sent ' "$SCRATCH/run2.log"; do
  ((SECONDS < deadline)) || fail "the second run's ingest did not finish within 60 s"
  sleep 0.5
done
stop_daemon "$SCRATCH/run2.log"
second=$(sed -n 's/.*<6>ingest: sent \([0-9]*\), acknowledged \([0-9]*\), failed 0.*/\2/p' "$SCRATCH/run2.log")
((first + second == records)) || fail "the runs acknowledged $first + $second calls, the file has $records"
pass "restart with rate 2500/s, linger.ms 5, batch.num.messages 500 on /metrics; resumed at call $((first + 1))"

# Every window out (the pipeline alone, to the end of the topic), then the count.
assert_status 0 "the final drain" "$sfcrimed" --config "$ini" --ingest.enabled false --metrics.listen "" --drain
assert_status 0 "sfcrimed stats" "$sfcrimed" stats --bootstrap "$bootstrap" --topic "$topic" --json --windows
printf '%s\n' "$stdout" >"$SCRATCH/stats.json"
python3 "$(dirname "$0")/expected_stats.py" "$SCRATCH/calls.json" "$ROOT/etc/radio_codes.json" "$SCRATCH/stats.json" ||
  fail "the statistics after the restart differ from the file's"
pass "the statistics are exact across the restart"
