#!/usr/bin/env bash
# The coordinators killed with SIGKILL during a paced replay: first the broker that is the
# transaction coordinator of pipeline thread 0, then, that broker back and in sync, the
# one that is the group coordinator of the pipeline's consumer group. The transactions
# and the group move to other brokers; every call is acknowledged once, the stats are
# exact, and sfcrimed exits 0.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"
topic=failover-coord-$$
group=g-$topic
# 1,000 calls/s: a replay of 200 s, long enough on a loaded machine for the first kill,
# the 5 commits after it and the broker's return in sync (at 1,500/s CI once saw the
# 133 s replay end first).
replay "$topic" 1000 --pipeline.commit_interval 200ms

# kill_and_recover NODE WHAT: kills NODE, waits for 5 commits after it, brings it back.
kill_and_recover() {
  local before
  before=$(committed "$port")
  kill_broker "$1"
  wait_for "5 transactions committed after killing the $2 (broker $1)" 120 "$pid" \
    at_least committed "$port" $((before + 5))
  pass "the $2 (broker $1) killed at $before commits; the pipeline committed on"
  heal
}
wait_for "the first commits" 120 "$pid" at_least committed "$port" 3
txn=$(transaction_coordinator "$group.$topic.$(hostname).0")
kill_and_recover "$txn" "transaction coordinator of $group.$topic.$(hostname).0"
coordinator=$(group_coordinator "$group")
if ! kill -0 "$pid" 2>/dev/null || (($(acked "$port") >= RECORDS)); then fail "the replay was over before the group coordinator's kill"; fi
kill_and_recover "$coordinator" "group coordinator of $group"
wait_exit "$pid" "$log" "sfcrimed --drain across both kills"
check_exact "$topic" "$log"
