#!/usr/bin/env bash
# The legacy set-up: ZooKeeper + a Kafka 3.9 broker through scripts/kafka.sh, the
# console tools and the C++ client, then a clean stop of both.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
MODE=zookeeper

data=$SCRATCH/zookeeper
port=$(free_ports 2)
zk_port=$((port + 1))

assert_status 0 "start" "$KAFKA_SH" start --mode zookeeper --data-dir "$data" --port "$port" --zk-port "$zk_port"
assert_contains "$output" "Kafka $(kafka_version zookeeper) (zookeeper, 1 broker(s)) is up" "start"
assert_status 0 "status" "$KAFKA_SH" status --data-dir "$data"
assert_contains "$output" "zookeeper: running" "status"
assert_contains "$output" "port $zk_port" "status"

console_roundtrip "localhost:$port"
cpp_roundtrip "localhost:$port" cpp 500

assert_status 1 "KRaft mode on a ZooKeeper data directory" "$KAFKA_SH" start --mode kraft --data-dir "$data"
assert_contains "$output" "holds a zookeeper-mode cluster" "other mode"

assert_status 0 "stop" "$KAFKA_SH" stop --data-dir "$data"
assert_contains "$output" "stopped 1 broker(s) and ZooKeeper" "stop"
assert_no_process_left "$data"
pass "stopped, no process left"
