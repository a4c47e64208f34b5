#!/usr/bin/env bash
# A broker killed with SIGKILL while a pipeline-only sfcrimed drains a backlog of 200,000
# calls (its transactions committing every 200 ms): it drains to the end, the stats are
# exact, and it exits 0.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"
topic=failover-drain-$$
new_topic "$topic"
fill "$topic"
port=$(free_ports 1)
log=$SCRATCH/daemon.log
"$SFCRIMED" --kafka.bootstrap "$BOOTSTRAP" --kafka.topic "$topic" --pipeline.group "g-$topic" \
  --ingest.enabled false --pipeline.commit_interval 200ms --metrics.listen "127.0.0.1:$port" --drain >"$log" 2>&1 &
pid=$!
stop_on_exit "$pid"
wait_for "the drain's first commit" 120 "$pid" at_least committed "$port" 1
left=$(metric "$port" 'sfcrimed_pipeline_records_total{outcome="consumed"}')
kill_broker 3
wait_exit "$pid" "$log" "the drain across the kill"
((left < RECORDS)) || fail "the drain had consumed everything before the kill; nothing was tested"
pass "killed broker 3 after $left of $RECORDS calls were consumed: the drain finished, exit 0"
check_exact "$topic"
heal
