# Helpers for the failover tests: the three-node KRaft cluster they share (started by
# cluster_start.sh, one test at a time), its brokers' coordinators and leaders, faults
# (kill -9, SIGSTOP), healing, and the checks every failover test ends with. Source it
# after lib.sh.
# shellcheck shell=bash

CLUSTER_DIR=${SFCRIMED_CLUSTER_DIR:?run this test through ctest, which sets SFCRIMED_CLUSTER_DIR}
CLUSTER_DATA=$CLUSTER_DIR/data
BOOTSTRAP=$(<"$CLUSTER_DIR/bootstrap")
# 200,000 generated calls, as many as the published file has (cluster_start.sh writes them).
CALLS=$CLUSTER_DIR/calls.json
RECORDS=200000
SFCRIMED=$BUILD_DIR/daemon/sfcrimed
KAFKA_BIN=$(kafka_home kraft)/bin

# broker_pid NODE
broker_pid() { cat "$CLUSTER_DATA/node-$1/kafka.pid"; }

# kill_broker NODE [SIGNAL]: kill -9 by default.
kill_broker() {
  kill "-${2:-KILL}" "$(broker_pid "$1")"
  echo "$(date +%T) broker $1: SIG${2:-KILL}"
}

# heal: every broker running again, and every partition of every topic (the internal ones
# too) back in sync, so that the next fault starts from a whole cluster.
heal() {
  "$KAFKA_SH" start --data-dir "$CLUSTER_DATA" >/dev/null 2>&1 || fail "cannot start the cluster's brokers again"
  local under
  for _ in $(seq 1 120); do
    under=$("$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --describe --under-replicated-partitions 2>/dev/null) &&
      [[ -z $under ]] && return 0
    sleep 1
  done
  fail "partitions still under-replicated 120 s after the brokers came back:"$'\n'"$under"
}

# leader_of TOPIC PARTITION: the node id leading it.
leader_of() {
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --describe --topic "$1" |
    awk -v p="$2" '$3 == "Partition:" && $4 == p { for (i = 1; i <= NF; i++) if ($i == "Leader:") print $(i + 1) }'
}

# node_id WHAT COMMAND...: the node id (1-3) that COMMAND prints, asked again for up to
# 30 s while a coordinator moves or loads (the tools fail meanwhile).
node_id() {
  local what=$1 id
  shift
  for _ in $(seq 1 30); do
    id=$("$@" 2>/dev/null) || id=
    [[ $id =~ ^[1-3]$ ]] && echo "$id" && return 0
    sleep 1
  done
  fail "no $what found in 30 s"
}
describe_transaction() {
  "$KAFKA_BIN/kafka-transactions.sh" --bootstrap-server "$BOOTSTRAP" describe --transactional-id "$1" |
    awk 'NR == 2 { print $1 }'
}
describe_group() {
  "$KAFKA_BIN/kafka-consumer-groups.sh" --bootstrap-server "$BOOTSTRAP" --describe --group "$1" --state |
    sed -n 's/.*localhost:[0-9]* *(\([0-9]*\)).*/\1/p' | head -n 1
}
# transaction_coordinator TRANSACTIONAL_ID, group_coordinator GROUP: their node ids.
transaction_coordinator() { node_id "transaction coordinator of $1" describe_transaction "$1"; }
group_coordinator() { node_id "group coordinator of $1" describe_group "$1"; }

# replay TOPIC RATE [SFCRIMED_ARGS...]: sfcrimed in the background replaying the 200,000
# calls into TOPIC (made here) at RATE a second and counting them with --drain; sets $pid,
# $port (its /metrics) and $log.
replay() {
  local topic=$1 rate=$2
  shift 2
  new_topic "$topic"
  port=$(free_ports 1)
  log=$SCRATCH/daemon.log
  "$SFCRIMED" --kafka.bootstrap "$BOOTSTRAP" --kafka.topic "$topic" --pipeline.group "g-$topic" \
    --ingest.file "$CALLS" --ingest.rate "$rate" --metrics.listen "127.0.0.1:$port" --drain "$@" >"$log" 2>&1 &
  pid=$!
  stop_on_exit "$pid"
  # shellcheck disable=SC2034 # read by fail() in lib.sh
  FAIL_LOG=$log
}

# new_topic NAME: a calls topic of 6 partitions (3 replicas, 2 in sync to write).
new_topic() {
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --topic "$1" --partitions 6 >/dev/null
}

# fill TOPIC: the 200,000 calls in the topic, before a pipeline-only test.
fill() {
  assert_status 0 "the ingest into $1" "$SFCRIMED" --kafka.bootstrap "$BOOTSTRAP" --kafka.topic "$1" \
    --ingest.file "$CALLS" --pipeline.enabled false --metrics.listen "" --drain
}

# wait_exit PID LOG WHAT: the daemon's exit status must be 0.
wait_exit() {
  local status=0
  wait "$1" || status=$?
  ((status == 0)) || fail "$3: exit status $status; the log ends:"$'\n'"$(grep -v '^<6>config' "$2" | tail -n 40)"
}

# check_exact TOPIC [LOG]: every call acknowledged once (the topic holds exactly the
# file's calls, and the ingest's summary in LOG, when given, says all acknowledged and
# none failed), and the stats equal an independent count of the file.
check_exact() {
  local topic=$1 log=${2:-} total summary
  total=$(sum_offsets "$BOOTSTRAP" "$topic")
  ((total == RECORDS)) || fail "$topic holds $total calls, not $RECORDS: lost or written twice"
  if [[ -n $log ]]; then
    summary=$(grep '^{"ingest"' "$log" | tail -n 1)
    assert_contains "$summary" "\"acked\":$RECORDS,\"failed\":0," "the ingest's summary"
  fi
  expect_exact_stats "$BOOTSTRAP" "$topic" "$CALLS"
  pass "$topic: $RECORDS calls each acknowledged once; the stats equal an independent count (0 lost, 0 twice)"
}

# Every test starts from a whole cluster: one that failed midway may have left a broker
# killed or frozen, and the tests after it must not fail for that.
for node in 1 2 3; do
  kill -CONT "$(broker_pid "$node")" 2>/dev/null || true
done
heal
