#!/usr/bin/env bash
# A single-node KRaft cluster through scripts/kafka.sh: start, the classic console tools
# and the C++ client, stop, a restart over a stale pid file, refusal of the other mode.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

data=$SCRATCH/kraft
port=$(free_ports 2)

assert_status 0 "start" "$KAFKA_SH" start --data-dir "$data" --port "$port"
assert_contains "$output" "is up: bootstrap localhost:$port" "start"
assert_status 0 "status" "$KAFKA_SH" status --data-dir "$data"
assert_contains "$output" "broker 1:  running" "status"
assert_contains "$output" "port $port, controller $((port + 1))" "status"

console_roundtrip "localhost:$port"
cpp_roundtrip "localhost:$port" cpp 500

assert_status 0 "stop" "$KAFKA_SH" stop --data-dir "$data"
assert_contains "$output" "stopped 1 broker(s)" "stop"
assert_no_process_left "$data"
assert_status 0 "stop again" "$KAFKA_SH" stop --data-dir "$data"
assert_contains "$output" "nothing is running" "stop again"
pass "stopped, no process left"

# A pid file naming a dead process must not be trusted, nor block the next start.
sleep 60 &
dead=$!
kill "$dead"
wait "$dead" 2>/dev/null || true
echo "$dead" >"$data/node-1/kafka.pid"
assert_status 0 "restart over a stale pid file" "$KAFKA_SH" start --data-dir "$data" --port "$port"
assert_contains "$output" "removed stale pid file $data/node-1/kafka.pid" "restart"
[[ $(sum_offsets "localhost:$port" cpp) -eq 500 ]] || fail "the topic did not survive the restart"
pass "restart kept the data and cleaned the stale pid file"

assert_status 0 "start while running" "$KAFKA_SH" start --data-dir "$data" --port "$port"
assert_contains "$output" "already running in $data" "start while running"

assert_status 1 "zookeeper mode on a KRaft data directory" "$KAFKA_SH" start --mode zookeeper --data-dir "$data"
assert_contains "$output" "holds a kraft-mode cluster (Kafka $(kafka_version kraft)), not a zookeeper one" "other mode"
pass "a KRaft data directory is refused in ZooKeeper mode"

assert_status 0 "final stop" "$KAFKA_SH" stop --data-dir "$data"
assert_no_process_left "$data"
