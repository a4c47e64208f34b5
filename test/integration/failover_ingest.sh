#!/usr/bin/env bash
# A broker killed with SIGKILL in the middle of the ingest, and brought back later: one
# sfcrimed replays 200,000 calls at 8,000/s and counts them (--drain); every call is
# acknowledged once, the stats are exact, and it exits 0.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"
topic=failover-ingest-$$
replay "$topic" 8000
wait_for "40,000 calls acknowledged" 120 "$pid" at_least acked "$port" 40000
kill_broker 2
wait_for "120,000 calls acknowledged with broker 2 down" 180 "$pid" at_least acked "$port" 120000
"$KAFKA_SH" start --data-dir "$CLUSTER_DATA" >/dev/null
echo "$(date +%T) broker 2 back"
wait_exit "$pid" "$log" "sfcrimed --drain across the kill"
pass "killed broker 2 at 40,000 calls acknowledged, back at 120,000: exit 0"
check_exact "$topic" "$log"
heal
