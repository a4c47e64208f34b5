# Helpers for the integration tests: real Kafka processes on free ports, assertions,
# and clean-up that leaves no process behind. Source it from a test script.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KAFKA_SH=$ROOT/scripts/kafka.sh
# shellcheck source=../../scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
BUILD_DIR=${SFCRIMED_BUILD_DIR:?run this test through ctest, which sets SFCRIMED_BUILD_DIR}
TEST_NAME=$(basename "$0" .sh)

# A test may set FAIL_LOG to its daemons' logs (paths separated by spaces): a failure then
# shows how each of them ends.
FAIL_LOG=
fail() {
  echo "FAIL ($TEST_NAME): $*" >&2
  local log
  for log in $FAIL_LOG; do
    [[ ! -f $log ]] || { echo "the end of $log:" && tail -n 25 "$log"; } >&2
  done
  exit 1
}
pass() { echo "ok: $*"; }

# assert_contains TEXT NEEDLE WHAT
assert_contains() {
  [[ $1 == *"$2"* ]] || fail "$3: expected to find '$2' in:"$'\n'"$1"
}

# assert_status EXPECTED WHAT COMMAND...: runs COMMAND; its standard output is then in
# $stdout, and its standard output and error together in $output.
assert_status() {
  local expected=$1 what=$2 status=0
  shift 2
  "$@" >"$SCRATCH/.stdout" 2>"$SCRATCH/.stderr" || status=$?
  # shellcheck disable=SC2034 # read by the test scripts that source this file
  stdout=$(<"$SCRATCH/.stdout")
  output=$(cat "$SCRATCH/.stdout" "$SCRATCH/.stderr")
  [[ $status -eq $expected ]] || fail "$what: exit status $status, expected $expected; output:"$'\n'"$output"
}

# A scratch directory for this test; every cluster started under it is stopped on exit.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/sfcrimed-$TEST_NAME.XXXXXX")
# stop_on_exit PID: a background process the test started, stopped (SIGTERM, then SIGKILL
# after 5 s) when the test exits, failed or not, so that ctest never waits on it.
BACKGROUND_PIDS=()
stop_on_exit() { BACKGROUND_PIDS+=("$1"); }

cleanup() {
  local dir pid
  for pid in "${BACKGROUND_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in {1..10}; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for dir in "$SCRATCH"/*/; do
    [[ -f $dir/cluster.env ]] && "$KAFKA_SH" stop --data-dir "${dir%/}" --timeout 10 >/dev/null 2>&1
  done
  [[ -n ${KEEP_SCRATCH:-} ]] || rm -rf "$SCRATCH"
}
trap cleanup EXIT

# assert_no_process_left DIR: no process mentions DIR on its command line.
assert_no_process_left() {
  local left
  left=$(pgrep -af -- "$1/" || true)
  [[ -z $left ]] || fail "processes left behind in $1:"$'\n'"$left"
}

# sum_offsets BOOTSTRAP TOPIC: the sum of the topic's end offsets (its message count).
sum_offsets() {
  "$(kafka_home "${MODE:-kraft}")/bin/kafka-get-offsets.sh" --bootstrap-server "$1" --topic "$2" |
    awk -F: '{ sum += $3 } END { print sum + 0 }'
}

# console_roundtrip BOOTSTRAP: creates a topic and sends two keyed lines through the
# console producer, then reads them back with the console consumer, as users do.
console_roundtrip() {
  local bootstrap=$1 bin reader=--reader-property formatter=--formatter-property
  bin=$(kafka_home "${MODE:-kraft}")/bin
  # Kafka 4 renamed the tools' --property; 3.9 knows only the old name.
  [[ ${MODE:-kraft} == kraft ]] || reader=--property formatter=--property
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --topic console --partitions 2 >/dev/null
  printf 'k1:first call\nk2:second call\n' |
    "$bin/kafka-console-producer.sh" --bootstrap-server "$bootstrap" --topic console \
      "$reader" parse.key=true "$reader" key.separator=: 2>/dev/null
  local read
  read=$("$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic console --from-beginning \
    --max-messages 2 --timeout-ms 60000 "$formatter" print.key=true 2>/dev/null | sort)
  [[ $read == $'k1\tfirst call\nk2\tsecond call' ]] || fail "console consumer read back:"$'\n'"$read"
  pass "console producer -> console consumer round trip on $bootstrap"
}

# cpp_roundtrip BOOTSTRAP TOPIC COUNT: the project's librdkafka C++ client, produce and
# consume, then the topic's end offsets must sum to COUNT.
cpp_roundtrip() {
  local bootstrap=$1 topic=$2 count=$3 bin
  bin=$(kafka_home "${MODE:-kraft}")/bin
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --topic "$topic" >/dev/null
  "$BUILD_DIR/test/kafka_roundtrip" --bootstrap "$bootstrap" --topic "$topic" --count "$count" ||
    fail "the C++ client's round trip on $bootstrap failed"
  local total
  total=$(sum_offsets "$bootstrap" "$topic")
  [[ $total -eq $count ]] || fail "topic $topic holds $total messages, expected $count"
  pass "C++ client round trip of $count messages on $bootstrap"
}

# http_get PATH: "STATUS BODY" of a GET of $url PATH, STATUS 000 when nothing answers.
# shellcheck disable=SC2154 # $url is the test's
http_get() {
  python3 - "$url$1" <<'PY'
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as answer:
        print(answer.status, answer.read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
except OSError:
    print("000")
PY
}

# wait_for_line FILE PATTERN SECONDS: the first line of FILE matching PATTERN (grep -E).
wait_for_line() {
  local deadline=$((SECONDS + $3)) line
  while ((SECONDS < deadline)); do
    line=$(grep -m 1 -E -- "$2" "$1" 2>/dev/null || true)
    [[ -n $line ]] && echo "$line" && return 0
    sleep 0.1
  done
  fail "no line matching '$2' in $1 within $3 s:"$'\n'"$(cat "$1" 2>/dev/null)"
}

# metric PORT NAME_AND_LABELS: a sample of the daemon's /metrics (0 when absent).
metric() {
  { curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null || true; } |
    awk -v m="$2" 'index($0, m " ") == 1 { v = $2 } END { print v + 0 }'
}
acked() { metric "$1" 'sfcrimed_ingest_records_total{outcome="acked"}'; }
committed() { metric "$1" 'sfcrimed_pipeline_transactions_total{outcome="committed"}'; }

# wait_for WHAT SECONDS PID COMMAND...: until COMMAND succeeds, while PID (the daemon) lives.
wait_for() {
  local what=$1 seconds=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || fail "the daemon exited while waiting for $what"
    ((SECONDS < deadline)) || fail "$what: not within $seconds s"
    sleep 0.2
  done
}
at_least() { (($("$1" "$2") >= $3)); }

# expect_exact_stats BOOTSTRAP TOPIC CALLS_FILE [STATS_OPTION...]: what `sfcrimed stats`
# (with the options, say --config for a secured cluster) reads back from the stats topic
# of TOPIC equals an independent count of CALLS_FILE (expected_stats.py); without options
# (a plaintext cluster, which Kafka's console consumer reads without a client
# configuration) so does the windows topic TOPIC.windows (expect_exact_windows).
expect_exact_stats() {
  assert_status 0 "sfcrimed stats" "$BUILD_DIR/daemon/sfcrimed" stats --bootstrap "$1" --topic "$2" --json \
    --windows --timeout 300 "${@:4}"
  printf '%s\n' "$stdout" >"$SCRATCH/stats.json"
  python3 "$ROOT/test/integration/expected_stats.py" "$3" "$ROOT/etc/radio_codes.json" "$SCRATCH/stats.json" ||
    fail "the stats of $2 differ from an independent count of $3"
  (($# > 3)) || expect_exact_windows "$1" "$2.windows" "$3"
}

# expect_exact_windows BOOTSTRAP WINDOWS_TOPIC CALLS_FILE [EXPECTED_STATS_OPTION...]: the
# windows topic as Kafka's own console consumer reads it (read_committed; the latest
# message per window) equals an independent count of CALLS_FILE per window and crime type
# (expected_stats.py --windows-topic; --all-final to require every window final).
expect_exact_windows() {
  local bin
  bin=$(kafka_home kraft)/bin
  "$bin/kafka-console-consumer.sh" --bootstrap-server "$1" --topic "$2" --from-beginning \
    --isolation-level read_committed --timeout-ms 15000 --formatter-property print.key=true \
    >"$SCRATCH/windows.txt" 2>"$SCRATCH/windows.err" || true
  [[ -s $SCRATCH/windows.txt ]] || fail "the console consumer read nothing from $2: $(tail -n 3 "$SCRATCH/windows.err")"
  python3 "$ROOT/test/integration/expected_stats.py" "$3" "$ROOT/etc/radio_codes.json" "$SCRATCH/windows.txt" \
    --windows-topic "${@:4}" || fail "the windows topic $2 differs from an independent count of $3"
}

# fixture_start DIR BROKERS [SECURITY]: a cluster that the tests of a ctest fixture share
# (the shared broker, the failover tests' three nodes, the secured broker), started in
# DIR/data on free ports, with scripts/kafka.sh's --security SECURITY (plaintext by
# default; the clients' files are then in DIR/data); its bootstrap address goes to
# DIR/bootstrap. One a run that died left behind is stopped.
fixture_start() {
  local dir=$1 brokers=$2 security=${3:-plaintext} port i bootstrap=
  [[ ! -d $dir/data ]] || "$KAFKA_SH" stop --data-dir "$dir/data" --timeout 10 || true
  rm -rf "$dir"
  mkdir -p "$dir"
  port=$(free_ports $((2 * brokers)))
  "$KAFKA_SH" start --brokers "$brokers" --data-dir "$dir/data" --port "$port" --security "$security"
  for ((i = 0; i < brokers; i++)); do bootstrap+="${bootstrap:+,}localhost:$((port + i))"; done
  echo "$bootstrap" >"$dir/bootstrap"
}

# fixture_stop DIR: stops it; nothing may be left running.
fixture_stop() {
  "$KAFKA_SH" stop --data-dir "$1/data"
  assert_no_process_left "$1/data"
  rm -rf "$1"
}

# endpoint_tls DIR: for the daemon's HTTPS (metrics.tls_certificate, metrics.tls_key), a
# certificate authority DIR/ca.crt and, signed by it, DIR/server.crt for 127.0.0.1 (in
# its subjectAltName, which clients check) with its key DIR/server.key. EC keys: made in
# milliseconds.
endpoint_tls() {
  local dir=$1 ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  mkdir -p "$dir"
  openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=sfcrimed test CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    2>/dev/null || fail "openssl could not make a certificate authority"
  openssl req "${ec[@]}" -subj /CN=127.0.0.1 -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null || fail "openssl could not sign the certificate"
  chmod 600 "$dir/server.key"
}

# endpoint_user FILE NAME PASSWORD: FILE (metrics.users) holding NAME with the bcrypt hash
# of PASSWORD, as `sfcrimed hash-password` makes it.
endpoint_user() {
  printf '%s\n' "$3" | "$BUILD_DIR/daemon/sfcrimed" hash-password --user "$2" >"$1" ||
    fail "sfcrimed hash-password failed"
}

# http_status URL CURL_ARGS...: the status of a GET of URL (000: no answer).
http_status() {
  local url=$1
  shift
  curl -sS -o /dev/null -w '%{http_code}' "$@" "$url" 2>/dev/null || true
}
