#!/usr/bin/env bash
# Three KRaft nodes: a new topic gets three in-sync replicas and min.insync.replicas=2
# without asking, and the C++ client works against the cluster.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

data=$SCRATCH/three
port=$(free_ports 6)
bootstrap=localhost:$port,localhost:$((port + 1)),localhost:$((port + 2))

assert_status 0 "start" "$KAFKA_SH" start --brokers 3 --data-dir "$data" --port "$port"
assert_contains "$output" "(kraft, 3 broker(s)) is up: bootstrap localhost:$port-$((port + 2))" "start"

bin=$(kafka_home kraft)/bin
"$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --topic replicated --partitions 3 >/dev/null
described=$("$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --describe --topic replicated)
assert_contains "$described" "ReplicationFactor: 3" "describe"
assert_contains "$described" "min.insync.replicas=2" "describe"
isr_lines=$(grep -cE 'Isr: [123],[123],[123]\b' <<<"$described" || true)
[[ $isr_lines -eq 3 ]] || fail "expected 3 partitions with 3 in-sync replicas each:"$'\n'"$described"
pass "3 partitions, each with 3 in-sync replicas"

cpp_roundtrip "$bootstrap" cpp 1000

# A broker killed: start brings back that one, with the cluster's own ports, and refuses
# another layout.
kill -KILL "$(<"$data/node-2/kafka.pid")"
assert_status 1 "start with other ports" "$KAFKA_SH" start --data-dir "$data" --port $((port + 100))
assert_contains "$output" "holds a cluster with port $port, not $((port + 100))" "start with other ports"
assert_status 0 "start after a kill" "$KAFKA_SH" start --data-dir "$data"
assert_contains "$output" "broker(s) 2 of 3 not running: starting them" "start after a kill"
assert_contains "$output" "(kraft, 3 broker(s)) is up: bootstrap localhost:$port-$((port + 2))" "start after a kill"
assert_status 0 "status" "$KAFKA_SH" status --data-dir "$data"
[[ $(grep -c "running, pid" <<<"$output") -eq 3 ]] || fail "not 3 brokers running after the restart:"$'\n'"$output"
pass "a killed broker brought back alone by start"

assert_status 0 "stop" "$KAFKA_SH" stop --data-dir "$data"
assert_contains "$output" "stopped 3 broker(s)" "stop"
assert_no_process_left "$data"
pass "stopped, no process left"
