#!/usr/bin/env bash
# A broker killed while --drain reads its end offsets: the leader of partition 0 is frozen
# (SIGSTOP) as a pipeline-only sfcrimed starts its drain, so the end offsets it leads do
# not come back; while the read waits on it, it is killed (SIGKILL). The read is tried
# again, the partitions get new leaders, the drain finishes with exact stats, exit 0.
# (librdkafka 2.0.2's query_watermark_offsets hung here for good.)
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"
topic=failover-offsets-$$
new_topic "$topic"
fill "$topic"
# The topics the pipeline writes exist before the freeze: their creation is not tested here.
for suffix in dlq stats state windows; do
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --topic "$topic.$suffix" --partitions 6 \
    --config cleanup.policy="$([[ $suffix == dlq ]] && echo delete || echo compact)" >/dev/null
done
node=$(leader_of "$topic" 0)
others=()
for n in 1 2 3; do [[ $n == "$node" ]] || others+=("localhost:$(($(cut -d: -f2 <<<"${BOOTSTRAP%%,*}") + n - 1))"); done
bootstrap=$(IFS=,; echo "${others[*]}")
log=$SCRATCH/daemon.log
kill_broker "$node" STOP
"$SFCRIMED" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --pipeline.group "g-$topic" \
  --ingest.enabled false --metrics.listen "" --drain >"$log" 2>&1 &
pid=$!
stop_on_exit "$pid"
wait_for "the pipeline's monitor starting" 60 "$pid" grep -q "threads consuming $topic" "$log"
sleep 1
kill_broker "$node" KILL
wait_exit "$pid" "$log" "the drain"
assert_contains "$(<"$log")" "cannot read the end offsets of '$topic' for the drain" "the drain's first read"
assert_contains "$(<"$log")" "draining to the end offsets" "the drain's read, tried again"
pass "broker $node (leader of partition 0) frozen, then killed during the drain's end-offset read: read again, exit 0"
check_exact "$topic"
heal
