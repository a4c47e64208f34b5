#!/usr/bin/env bash
# A real Prometheus (Debian's) scrapes a running sfcrimed through etc/prometheus's own
# configuration and rules: while the ingest replays at a steady rate and the pipeline
# counts, the recording rules must give input and processed rates above 0 and a p99
# latency that moves, every rule must evaluate without error, and the target must be up.
# Both processes are stopped with SIGTERM; the daemon must exit 0.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=prometheus-scrape-$$-$RANDOM
command -v prometheus >/dev/null || fail "no prometheus on PATH (scripts/setup.sh installs Debian's)"

daemon=
server=
# stop_and_wait PID: SIGTERM, then its exit status (0 when it was not running).
stop_and_wait() {
  local status=0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" || status=$?
  return "$status"
}
# Nothing left behind, whatever failed: both stopped before lib.sh removes SCRATCH.
stop_all() {
  [[ -z $daemon ]] || stop_and_wait "$daemon" || true
  [[ -z $server ]] || stop_and_wait "$server" || true
  cleanup
}
trap stop_all EXIT

# query EXPR: the value of an instant query's only sample, empty when it has none.
query() {
  python3 - "http://127.0.0.1:$prometheus_port/api/v1/query" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "?" + urllib.parse.urlencode({"query": sys.argv[2]})
body = json.load(urllib.request.urlopen(url, timeout=10))
if body["status"] != "success":
    sys.exit("query failed: " + json.dumps(body))
result = body["data"]["result"]
if len(result) > 1:
    sys.exit("more than one series: " + json.dumps(result))
print(result[0]["value"][1] if result else "")
PY
}
positive() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "${1:-0}"; }

# 15,000 calls at 300/s last 50 s: the replay is still going when the test stops it.
"$sfcrimed" sample --records 15000 --seed 7 --out "$SCRATCH/calls.json"
read -r metrics_port prometheus_port < <(free_ports 2 | awk '{ print $1, $1 + 1 }')
"$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --pipeline.group "g-$topic" \
  --ingest.file "$SCRATCH/calls.json" --ingest.rate 300 --pipeline.commit_interval 200ms \
  --metrics.listen "127.0.0.1:$metrics_port" >"$SCRATCH/daemon.out" 2>"$SCRATCH/daemon.err" &
daemon=$!

# The project's configuration, pointed at this daemon and sped up to 1 s so that a test
# of seconds sees many scrapes and evaluations; the rules file beside it, as it expects.
mkdir -p "$SCRATCH/prometheus"
cp "$ROOT/etc/prometheus/sfcrimed.rules.yml" "$SCRATCH/prometheus/"
sed -e "s/127\.0\.0\.1:9464/127.0.0.1:$metrics_port/" -e 's/_interval: 10s/_interval: 1s/' \
  "$ROOT/etc/prometheus/prometheus.yml" >"$SCRATCH/prometheus/prometheus.yml"
[[ $(grep -c -e "127.0.0.1:$metrics_port" -e '_interval: 1s' "$SCRATCH/prometheus/prometheus.yml") -eq 3 ]] ||
  fail "etc/prometheus/prometheus.yml no longer has the target and intervals this test rewrites"
prometheus --config.file "$SCRATCH/prometheus/prometheus.yml" --web.listen-address "127.0.0.1:$prometheus_port" \
  --storage.tsdb.path "$SCRATCH/prometheus/data" --log.level warn >"$SCRATCH/prometheus.log" 2>&1 &
server=$!

# Until every figure is there and the p99 has taken two values (or 45 s, then fail).
declare -A p99_seen=()
input='' processed='' up=''
for ((second = 0; second < 45; second++)); do
  sleep 1
  kill -0 "$daemon" 2>/dev/null || fail "sfcrimed stopped early:"$'\n'"$(cat "$SCRATCH/daemon.err")"
  kill -0 "$server" 2>/dev/null || fail "prometheus stopped early:"$'\n'"$(cat "$SCRATCH/prometheus.log")"
  ready=$(python3 -c 'import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
    print(1)
except Exception:
    print(0)' "http://127.0.0.1:$prometheus_port/-/ready")
  [[ $ready == 1 ]] || continue
  up=$(query 'up{job="sfcrimed"}')
  input=$(query 'job:sfcrimed_pipeline_records_input:rate1m')
  processed=$(query 'job:sfcrimed_pipeline_records_consumed:rate1m')
  p99=$(query 'job:sfcrimed_pipeline_latency_seconds:p99_rate1m')
  [[ -z $p99 || $p99 == NaN ]] || p99_seen[$p99]=1
  if [[ $up == 1 ]] && positive "$input" && positive "$processed" && ((${#p99_seen[@]} >= 2)); then
    break
  fi
done
[[ $up == 1 ]] || fail "up{job=\"sfcrimed\"} is '$up', expected 1:"$'\n'"$(cat "$SCRATCH/prometheus.log")"
positive "$input" || fail "input rate '$input', expected > 0"
positive "$processed" || fail "processed rate '$processed', expected > 0"
((${#p99_seen[@]} >= 2)) || fail "p99 latency took ${#p99_seen[@]} value(s) (${!p99_seen[*]}), expected it to move"
acked=$(query 'job:sfcrimed_ingest_records_acked:rate1m')
lag=$(query 'job:sfcrimed_pipeline_consumer_lag_records:sum')
p50=$(query 'job:sfcrimed_pipeline_latency_seconds:p50_rate1m')
pass "after ${second} s: up 1, input $input rows/s (ingest acked $acked), processed $processed rows/s, lag $lag," \
  "p50 $p50 s, p99 values ${!p99_seen[*]}"

# Every rule evaluated on real series without error (a label mismatch in a binary
# operation only shows here, on the daemon's own labels).
rules=$(python3 - "http://127.0.0.1:$prometheus_port/api/v1/rules" <<'PY'
import json, sys, urllib.request
groups = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))["data"]["groups"]
rules = [rule for group in groups for rule in group["rules"]]
bad = [(rule["name"], rule.get("health"), rule.get("lastError")) for rule in rules if rule.get("health") != "ok"]
if bad:
    sys.exit("rules not ok: %r" % bad)
print(len(rules))
PY
) || fail "rule evaluation: $rules"
[[ $rules -eq $(grep -cE '^ *- (record|alert):' "$ROOT/etc/prometheus/sfcrimed.rules.yml") ]] ||
  fail "Prometheus loaded $rules rules, the file has more"
pass "all $rules rules evaluated without error"

status=0
stop_and_wait "$daemon" || status=$?
daemon=
[[ $status -eq 0 ]] || fail "sfcrimed exited $status after SIGTERM:"$'\n'"$(tail -n 20 "$SCRATCH/daemon.err")"
assert_contains "$(cat "$SCRATCH/daemon.err")" "SIGTERM: stopping" "the daemon's log"
status=0
stop_and_wait "$server" || status=$?
server=
[[ $status -eq 0 ]] || fail "prometheus exited $status after SIGTERM:"$'\n'"$(cat "$SCRATCH/prometheus.log")"
pass "sfcrimed and prometheus stopped by SIGTERM, both exit 0"
