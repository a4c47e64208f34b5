#!/usr/bin/env bash
# scripts/kafka.sh on bad input: each case gets its own message and a non-zero exit, and
# nothing is left running. (A stale pid file and a data directory of the other mode are
# in kraft_roundtrip.sh and zookeeper_roundtrip.sh, on real data directories.)
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# A port already in use is named, with who holds it.
port=$(free_ports 2)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(120)' "$port" &
holder=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
assert_status 1 "port in use" "$KAFKA_SH" start --data-dir "$SCRATCH/busy" --port "$port"
assert_contains "$output" "port $port (broker 1) is already in use by" "port in use"
assert_contains "$output" "python3" "port in use"
kill "$holder"
assert_no_process_left "$SCRATCH/busy"
pass "port in use"

# No Java, and a Java too old for Kafka 4.
assert_status 1 "no Java" env JAVA_HOME="$SCRATCH/no-such-jdk" "$KAFKA_SH" start --data-dir "$SCRATCH/nojava" --port "$port"
assert_contains "$output" "Java not found ('$SCRATCH/no-such-jdk/bin/java')" "no Java"
mkdir -p "$SCRATCH/old-jdk/bin"
printf '#!/bin/sh\necho %s >&2\n' "'openjdk version \"11.0.22\" 2024-01-16'" >"$SCRATCH/old-jdk/bin/java"
chmod +x "$SCRATCH/old-jdk/bin/java"
assert_status 1 "old Java" env JAVA_HOME="$SCRATCH/old-jdk" "$KAFKA_SH" start --data-dir "$SCRATCH/oldjava" --port "$port"
assert_contains "$output" "Java 11 at '$SCRATCH/old-jdk/bin/java' is too old" "old Java"
pass "missing and old Java"

# A directory that scripts/kafka.sh did not make is not written into.
mkdir -p "$SCRATCH/foreign" && echo precious >"$SCRATCH/foreign/notes.txt"
assert_status 1 "foreign data directory" "$KAFKA_SH" start --data-dir "$SCRATCH/foreign" --port "$port"
assert_contains "$output" "is not empty and was not made by scripts/kafka.sh" "foreign data directory"
[[ $(ls "$SCRATCH/foreign") == notes.txt ]] || fail "kafka.sh wrote into a foreign directory"
pass "foreign data directory"

# Bad arguments.
assert_status 1 "bad mode" "$KAFKA_SH" start --mode kraftt
assert_contains "$output" "--mode must be kraft or zookeeper, not 'kraftt'" "bad mode"
assert_status 1 "bad port" "$KAFKA_SH" start --port 90921
assert_contains "$output" "--port must be a whole number from 1 to 65535, not '90921'" "bad port"
assert_status 1 "bad broker count" "$KAFKA_SH" start --brokers 0
assert_contains "$output" "--brokers must be a whole number from 1 to 9" "bad broker count"
assert_status 1 "missing value" "$KAFKA_SH" start --data-dir
assert_contains "$output" "--data-dir needs a value" "missing value"
assert_status 2 "unknown command" "$KAFKA_SH" restart
assert_contains "$output" "unknown command 'restart'" "unknown command"
assert_contains "$output" "Usage:" "unknown command"
pass "bad arguments"

# Nothing to stop or show.
assert_status 0 "stop with nothing running" "$KAFKA_SH" stop --data-dir "$SCRATCH/empty"
assert_contains "$output" "nothing is running in $SCRATCH/empty" "stop with nothing running"
assert_status 3 "status with nothing there" "$KAFKA_SH" status --data-dir "$SCRATCH/empty"
assert_contains "$output" "no cluster in $SCRATCH/empty" "status with nothing there"
pass "stop and status with nothing running"
