#!/usr/bin/env bash
# A real Prometheus (Debian's) scrapes a running sfcrimed through etc/prometheus's own
# configuration and rules: while the ingest replays at a steady rate and the pipeline
# counts, the recording rules must give input and processed rates above 0 and a p99
# latency that moves, every rule must evaluate without error, and the target must be up.
# The endpoint is as one on a network should be (docs/security.md): HTTPS with a
# certificate signed by a test authority, and basic authentication; Prometheus scrapes
# it with the configuration's own (uncommented) tls_config and basic_auth, and a scrape
# without the right password gets 401. Both processes are stopped with SIGTERM; the
# daemon must exit 0.
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
  python3 "$SCRATCH/poll.py" "http://127.0.0.1:$prometheus_port" --query "$1"
}

# One Python process polls, so that a second of the test is a second of Prometheus time,
# not the start-up of five interpreters.
cat >"$SCRATCH/poll.py" <<'PY'
"""poll.py URL --query EXPR: prints the value of EXPR's only sample (empty: none).
poll.py URL --until-moving SECONDS DAEMON_PID SERVER_PID: polls the figures every second
until the target is up, the input and processed rates are above 0 and the p99 has taken
two values; prints them, or exits 1 with what it saw when SECONDS pass first."""
import json, sys, time, urllib.error, urllib.parse, urllib.request

base = sys.argv[1]

def query(expr):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    body = json.load(urllib.request.urlopen(url, timeout=10))
    result = body["data"]["result"]
    if len(result) > 1:
        sys.exit("%s: more than one series: %s" % (expr, json.dumps(result)))
    return result[0]["value"][1] if result else ""

def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False

def positive(value):
    return value not in ("", "NaN") and float(value) > 0

if sys.argv[2] == "--query":
    print(query(sys.argv[3]))
    sys.exit(0)

seconds, daemon, server = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
start = time.monotonic()
figures, p99s = {}, []
while time.monotonic() - start < seconds:
    time.sleep(1)
    for pid, who in ((daemon, "sfcrimed"), (server, "prometheus")):
        if not alive(pid):
            sys.exit("%s stopped early" % who)
    try:
        urllib.request.urlopen(base + "/-/ready", timeout=2)
    except (urllib.error.URLError, ConnectionError):
        continue  # still starting
    figures = {
        "up": query('up{job="sfcrimed"}'),
        "input": query("job:sfcrimed_pipeline_records_input:rate1m"),
        "processed": query("job:sfcrimed_pipeline_records_consumed:rate1m"),
        "p99": query("job:sfcrimed_pipeline_latency_seconds:p99_rate1m"),
    }
    if positive(figures["p99"]) and figures["p99"] not in p99s:
        p99s.append(figures["p99"])
    if figures["up"] == "1" and positive(figures["input"]) and positive(figures["processed"]) and len(p99s) >= 2:
        print("after %.0f s: up 1, input %s rows/s, processed %s rows/s, p99 %s s"
              % (time.monotonic() - start, figures["input"], figures["processed"], " then ".join(p99s)))
        sys.exit(0)
sys.exit("after %.0f s, expected up 1, input and processed rates > 0 and two p99 values; last seen %s, p99 values %s"
         % (seconds, json.dumps(figures), p99s))
PY

# 15,000 calls at 300/s last 50 s: the replay is still going when the test stops it.
"$sfcrimed" sample --records 15000 --seed 7 --out "$SCRATCH/calls.json"
read -r metrics_port prometheus_port < <(free_ports 2 | awk '{ print $1, $1 + 1 }')
# The endpoint's certificate and its one user, whose password Prometheus reads from a file.
endpoint_tls "$SCRATCH/tls"
password="scrape $RANDOM$RANDOM"
endpoint_user "$SCRATCH/users" prometheus "$password"
printf '%s' "$password" >"$SCRATCH/password" && chmod 600 "$SCRATCH/password"
"$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --pipeline.group "g-$topic" \
  --ingest.file "$SCRATCH/calls.json" --ingest.rate 300 --pipeline.commit_interval 200ms \
  --metrics.listen "127.0.0.1:$metrics_port" --metrics.tls_certificate "$SCRATCH/tls/server.crt" \
  --metrics.tls_key "$SCRATCH/tls/server.key" --metrics.users "$SCRATCH/users" \
  >"$SCRATCH/daemon.out" 2>"$SCRATCH/daemon.err" &
daemon=$!

# The project's configuration, pointed at this daemon and sped up to 1 s so that a test
# of seconds sees many scrapes and evaluations, its HTTPS and basic_auth lines uncommented
# and given this test's files; the rules file beside it, as it expects.
mkdir -p "$SCRATCH/prometheus"
cp "$ROOT/etc/prometheus/sfcrimed.rules.yml" "$SCRATCH/prometheus/"
sed -E -e "s/127\.0\.0\.1:9464/127.0.0.1:$metrics_port/" -e 's/_interval: 10s/_interval: 1s/' \
  -e 's/^    # (scheme: https|tls_config:|basic_auth:)$/    \1/' \
  -e 's/^    #   (insecure_skip_verify: false|username: prometheus)$/      \1/' \
  -e "s|^    #   ca_file: .*|      ca_file: $SCRATCH/tls/ca.crt|" \
  -e "s|^    #   password_file: .*|      password_file: $SCRATCH/password|" \
  "$ROOT/etc/prometheus/prometheus.yml" >"$SCRATCH/prometheus/prometheus.yml"
[[ $(grep -c -e "127.0.0.1:$metrics_port" -e '_interval: 1s' "$SCRATCH/prometheus/prometheus.yml") -eq 3 ]] ||
  fail "etc/prometheus/prometheus.yml no longer has the target and intervals this test rewrites"
[[ $(grep -c -E -e '^    (scheme: https|tls_config:|basic_auth:)$' -e '^      (insecure_skip_verify: false|username: prometheus)$' \
  -e "^      (ca_file|password_file): $SCRATCH/" "$SCRATCH/prometheus/prometheus.yml") -eq 7 ]] ||
  fail "etc/prometheus/prometheus.yml no longer has the commented tls_config and basic_auth this test uncomments:"$'\n'"$(cat "$SCRATCH/prometheus/prometheus.yml")"
prometheus --config.file "$SCRATCH/prometheus/prometheus.yml" --web.listen-address "127.0.0.1:$prometheus_port" \
  --storage.tsdb.path "$SCRATCH/prometheus/data" --log.level warn >"$SCRATCH/prometheus.log" 2>&1 &
server=$!

# Until every figure is there and the p99 has moved; 40 s at most.
figures=$(python3 "$SCRATCH/poll.py" "http://127.0.0.1:$prometheus_port" --until-moving 40 "$daemon" "$server") ||
  fail "the recorded figures (above); sfcrimed's log ends:"$'\n'"$(tail -n 5 "$SCRATCH/daemon.err")"$'\n'"prometheus's log:"$'\n'"$(tail -n 5 "$SCRATCH/prometheus.log")"
pass "$figures; ingest acked $(query 'job:sfcrimed_ingest_records_acked:rate1m') rows/s," \
  "lag $(query 'job:sfcrimed_pipeline_consumer_lag_records:sum'), p50 $(query 'job:sfcrimed_pipeline_latency_seconds:p50_rate1m') s"
assert_contains "$(cat "$SCRATCH/daemon.err")" "https://127.0.0.1:$metrics_port/metrics" "the daemon's start-up line"
pass "scraped over HTTPS (a certificate Prometheus verified against the test authority) with basic_auth"

# Without the right password: 401 and the challenge, whatever the path; with it, 200.
metrics_url=https://127.0.0.1:$metrics_port/metrics
for credentials in "-uprometheus:wrong" "-uprometheus:${password}x" "-unobody:$password" ""; do
  status=$(http_status "$metrics_url" --cacert "$SCRATCH/tls/ca.crt" ${credentials:+"$credentials"})
  [[ $status == 401 ]] || fail "a scrape with '${credentials:-no credentials}' got $status, expected 401"
done
challenge=$(curl -sS -D - -o /dev/null --cacert "$SCRATCH/tls/ca.crt" -u prometheus:wrong "$metrics_url")
assert_contains "$challenge" 'WWW-Authenticate: Basic realm="sfcrimed"' "a 401's header"
[[ $(http_status "https://127.0.0.1:$metrics_port/healthz" --cacert "$SCRATCH/tls/ca.crt") == 401 ]] ||
  fail "/healthz answered without a password (metrics.open_healthz is false)"
[[ $(http_status "$metrics_url" --cacert "$SCRATCH/tls/ca.crt" -u "prometheus:$password") == 200 ]] ||
  fail "a scrape with the right password did not get 200"
[[ $(http_status "http://127.0.0.1:$metrics_port/metrics") == 000 ]] ||
  fail "plain HTTP on the TLS port got an HTTP answer"
pass "curl: 401 with a wrong password, another user's name or none (/healthz too), 200 with the right one," \
  "no HTTP answer to plain HTTP"

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
