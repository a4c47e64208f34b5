#!/usr/bin/env bash
# A broker frozen with SIGSTOP for 25 s in the middle of a paced replay, then let go on
# with SIGCONT: its partitions' leadership moves while it is frozen, its requests time
# out; every call is acknowledged once, the stats are exact, and sfcrimed exits 0.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"
topic=failover-freeze-$$
replay "$topic" 5000
wait_for "30,000 calls acknowledged" 120 "$pid" at_least acked "$port" 30000
node=$(leader_of "$topic" 0)
kill_broker "$node" STOP
sleep 25
kill_broker "$node" CONT
if ! kill -0 "$pid" 2>/dev/null || (($(acked "$port") >= RECORDS)); then fail "the ingest was over while broker $node was frozen; rate too high for the test"; fi
wait_exit "$pid" "$log" "sfcrimed --drain across the freeze"
pass "broker $node (the leader of partition 0) frozen for 25 s mid-replay: exit 0"
check_exact "$topic" "$log"
heal
